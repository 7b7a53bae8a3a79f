import type { CardResponse, HandlerContext, IncomingText } from '../../src/handlers.js';
import { hasRole } from '../../src/people.js';
import { adminOnlyMessage, requireAdmin } from '../../src/permissions.js';
import { replyDestination } from '../respond.js';
import { adminCardFor } from './view.js';

/** `管理` / `admin`: the admin card for administrators; others are told who may use it. */
export async function showAdmin(ctx: HandlerContext, msg: IncomingText): Promise<void> {
  const to = replyDestination(ctx, msg);
  if (!hasRole(ctx.actor, 'admin')) {
    await ctx.send({ dedupeKey: `admin:${ctx.eventId}`, to, text: `只有协会管理员可以使用“管理”。${adminOnlyMessage}` });
    return;
  }
  await ctx.send({ dedupeKey: `admin:${ctx.eventId}`, to, card: await adminCardFor(ctx) });
}

/** `admin.menu`: the admin card, redrawn in place. */
export async function refreshAdmin(ctx: HandlerContext): Promise<CardResponse> {
  requireAdmin(ctx.actor);
  return { card: { type: 'raw', data: await adminCardFor(ctx) } };
}
