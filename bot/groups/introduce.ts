import { groupIntroCard } from '../../cards/groups.js';
import { addedSince, forgetChat, forgetLostChat, noteBotAdded } from '../../src/groups.js';
import { boundGroupLoss } from '../../src/notifications.js';
import type { HandlerContext } from '../../src/handlers.js';

const chatIdOf = (event: Record<string, unknown>) => (typeof event.chat_id === 'string' ? event.chat_id : '');
/** The event's header create_time (ms since epoch, a string; the SDK flattens the header into the data), undefined if absent. */
const createdAt = (event: Record<string, unknown>): number | undefined => {
  const t = event.create_time;
  return typeof t === 'string' && /^\d{1,16}$/.test(t) ? Number(t) : typeof t === 'number' && Number.isSafeInteger(t) && t >= 0 ? t : undefined;
};

/**
 * im.chat.member.bot.added_v1: on record (when), and the bot introduces itself and says how an administrator binds the
 * group; in a 互通群, which shows no cards, to the one who added it, privately, the group told why in text.
 */
export async function introduceInGroup(ctx: HandlerContext, event: Record<string, unknown>): Promise<void> {
  const chatId = chatIdOf(event);
  if (!chatId) return;
  await noteBotAdded(ctx.tx, chatId, ctx.actor.openId, createdAt(event), ctx.clock.now());
  // a 互通群 takes no cards: then the one who added the bot gets the introduction privately (OutgoingMessage.asked)
  const asked = ctx.actor.openId ? { asked: { openId: ctx.actor.openId } } : {};
  await ctx.send({ dedupeKey: `group:intro:${chatId}:${ctx.eventId}`, to: { chatId }, card: groupIntroCard(), ...asked });
}

/**
 * im.chat.member.bot.deleted_v1: a chat the bot left cannot receive notifications any more. A removal created before
 * the bot's latest addition to the chat (Feishu's late retry of it) changes nothing: the bot is in the group again.
 */
export async function forgetGroup(ctx: HandlerContext, event: Record<string, unknown>): Promise<void> {
  const chatId = chatIdOf(event);
  if (!chatId) return;
  const removedAt = createdAt(event);
  if (removedAt !== undefined && (await addedSince(ctx.tx, chatId, removedAt))) {
    ctx.log.info({ chatId, removedAt }, 'bot removal older than its latest addition to the chat; nothing changed');
    return;
  }
  const removed = await forgetChat(ctx.tx, chatId, ctx.actor.openId, ctx.clock.now(), ctx.config.ADMIN_OPEN_IDS);
  if (removed.length) ctx.log.info({ chatId, removed }, 'bot removed from a bound chat; bindings dropped');
  await tellAdminsOfLoss(ctx, chatId);
}

/** im.chat.disbanded_v1: a disbanded chat cannot receive notifications any more. */
export async function forgetDisbandedGroup(ctx: HandlerContext, event: Record<string, unknown>): Promise<void> {
  const chatId = chatIdOf(event);
  if (!chatId) return;
  const removed = await forgetLostChat(ctx.tx, chatId, { actor: ctx.actor.openId || 'system:feishu', action: 'chat.disbanded' }, ctx.clock.now());
  if (removed.length) ctx.log.info({ chatId, removed }, 'a bound chat was disbanded; bindings dropped');
  await tellAdminsOfLoss(ctx, chatId);
}

/**
 * The administrators' group or the experts' gone (the bot removed, the group disbanded): the administrators hear where
 * their notifications go now, or that the experts' group reminders stopped and how to bind a new group, under the key
 * of the loss the outbox's reroute uses (chatGoneReroute), so they hear it once whichever finds it first.
 */
async function tellAdminsOfLoss(ctx: HandlerContext, chatId: string): Promise<void> {
  const lost = await boundGroupLoss(ctx.tx, chatId, ctx.config.ADMIN_OPEN_IDS);
  for (const notice of lost?.notices ?? []) await ctx.send(notice);
}
