import type { CardResponse, HandlerContext, IncomingText } from '../../src/handlers.js';
import { firstAdministratorNotice, removedAdministratorLine } from '../../src/admins.js';
import { hasRole } from '../../src/people.js';
import { adminOnlyCommand } from '../../src/permissions.js';
import { sendPrivately } from '../respond.js';
import { adminCardFor } from './view.js';

/** `管理` / `admin`: the admin card for administrators; others are told who may use it. */
export async function showAdmin(ctx: HandlerContext, msg: IncomingText): Promise<void> {
  // the admin card's buttons act for whoever clicks: in a group it would be a shared card anyone there could press
  if (!hasRole(ctx.actor, 'admin')) {
    // on a new tenant nobody is an administrator yet: the first one learns here the open_id that ADMIN_OPEN_IDS takes
    const first = await firstAdministratorNotice(ctx.tx, ctx.config.ADMIN_OPEN_IDS, ctx.actor.openId);
    // an administrator removed since is told when, as their old cards' buttons say it (removedAdministratorRefusal)
    const removed = await removedAdministratorLine(ctx.tx, ctx.actor.openId, ctx.config.BOT_TIMEZONE);
    await sendPrivately(ctx, msg, `admin:${ctx.eventId}`, { text: adminOnlyCommand('管理') + (removed ?? '') + (first ? `\n${first}` : '') }, '回复');
    return;
  }
  await sendPrivately(ctx, msg, `admin:${ctx.eventId}`, { card: await adminCardFor(ctx) }, '管理卡片');
}

/** `admin.menu`: the admin card, redrawn in place. */
export async function refreshAdmin(ctx: HandlerContext): Promise<CardResponse> {
  return { card: { type: 'raw', data: await adminCardFor(ctx) } };
}
