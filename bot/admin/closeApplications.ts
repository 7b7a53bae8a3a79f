import { closeApplications } from '../../src/cycles.js';
import type { CardActionInput, CardResponse, HandlerContext } from '../../src/handlers.js';
import { requireAdmin } from '../../src/permissions.js';
import { idFrom } from '../respond.js';
import { adminCardFor } from './view.js';

/** `cycle.closeApplications` (截止申报, after the confirm dialog): open → scoring. */
export async function closeApplicationsNow(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  requireAdmin(ctx.actor);
  const cycle = await closeApplications(ctx.tx, ctx.actor, idFrom(input.value, 'cycleId'), ctx.clock.now());
  return {
    toast: { type: 'success', content: `${cycle.year}年度申报已截止，进入专家评分阶段` },
    card: { type: 'raw', data: await adminCardFor(ctx) },
  };
}

/** Whatever was refused, the card shows the state as it is now. */
export async function adminCardAgain(_err: unknown, ctx: HandlerContext): Promise<CardResponse | undefined> {
  if (!ctx.actor.roles.includes('admin')) return undefined;
  return { card: { type: 'raw', data: await adminCardFor(ctx) } };
}
