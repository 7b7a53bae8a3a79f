import { chatBoundCard, chatUnboundCard } from '../../cards/groups.js';
import { noAdministrator } from '../../src/admins.js';
import { UserError } from '../../src/errors.js';
import { adminGroupBound, bindChat, bindingsOf, parsePurpose, unbindChat } from '../../src/groups.js';
import type { HandlerContext, IncomingText } from '../../src/handlers.js';
import { adminOnlyMessage, requireAdmin } from '../../src/permissions.js';
import { hasRole } from '../../src/people.js';
import { replyDestination } from '../respond.js';

function knownPurpose(word: string): boolean {
  try {
    return parsePurpose(word) !== undefined;
  } catch {
    return false;
  }
}

function inGroup(msg: IncomingText, command: string): void {
  if (msg.chatType !== 'group') throw new UserError(`请在要接收通知的群聊中 @机器人 发送“${command}”。`);
}

/** 绑定通知 [管理|专家] (@the bot in a group): administrators only. */
export async function bindGroup(ctx: HandlerContext, msg: IncomingText, argument: string, how?: { glued: boolean }): Promise<void | false> {
  // 绑定通知专家 as Chinese is typed is 绑定通知 专家; 绑定通知书在哪 is a question, answered as any other text
  if (how?.glued && !knownPurpose(argument)) return false;
  // who first: someone who may not bind is not sent to a group only to be refused there
  // the refusal is a reply in the group, read by everyone there: the first administrator's open_id is told privately, at 管理
  if (!hasRole(ctx.actor, 'admin') && (await noAdministrator(ctx.tx, ctx.config.ADMIN_OPEN_IDS))) {
    throw new UserError(`${adminOnlyMessage}\n机器人还没有协会管理员：协会管理员请先私聊机器人发送“管理”，按回复的说明成为管理员，再回到群里发送“绑定通知”。`, { article: 14 });
  }
  requireAdmin(ctx.actor);
  inGroup(msg, '绑定通知');
  const purpose = parsePurpose(argument) ?? 'admin';
  const isNew = await bindChat(ctx.tx, ctx.actor, msg.chatId, purpose, ctx.clock.now());
  const purposes = await bindingsOf(ctx.tx, msg.chatId);
  await ctx.send({ dedupeKey: `group:bind:${ctx.eventId}`, to: replyDestination(ctx, msg), card: chatBoundCard({ purpose, isNew, purposes }) });
}

/** 解绑 [管理|专家] (@the bot in a group): administrators only; without a purpose every binding goes. */
export async function unbindGroup(ctx: HandlerContext, msg: IncomingText, argument: string, how?: { glued: boolean }): Promise<void | false> {
  if (how?.glued && !knownPurpose(argument)) return false;
  requireAdmin(ctx.actor);
  inGroup(msg, '解绑');
  const asked = parsePurpose(argument);
  const removed = await unbindChat(ctx.tx, ctx.actor, msg.chatId, asked, ctx.clock.now(), ctx.config.ADMIN_OPEN_IDS);
  const remaining = await bindingsOf(ctx.tx, msg.chatId);
  const adminGroupLeft = await adminGroupBound(ctx.tx);
  await ctx.send({ dedupeKey: `group:unbind:${ctx.eventId}`, to: replyDestination(ctx, msg), card: chatUnboundCard({ asked, removed, remaining, adminGroupLeft }) });
}
