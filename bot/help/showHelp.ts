import { helpCard } from '../../cards/help.js';
import { firstAdministratorNotice } from '../../src/admins.js';
import { fastPrivateMenu } from '../../src/fast/requests.js';
import { isSharedChat } from '../../src/groups.js';
import type { BotRegistry, CardActionDecl, CardActionInput, CardResponse, HandlerContext, IncomingText } from '../../src/handlers.js';
import { helpMenuSpec, menuButtons, menuPrimaryOf, menuTable } from '../../src/helpMenuCards.js';
import { queuedBefore, resendKeys } from '../../src/outbox.js';
import { hasRole } from '../../src/people.js';
import { today } from '../respond.js';

/** The caller's menu, its highlighted button their next step (menuPrimary). */
export async function menuCardFor(registry: BotRegistry, ctx: HandlerContext) {
  const entries = registry.menuFor(ctx.actor.roles);
  const primary = await menuPrimaryOf(ctx.tx, ctx.actor.openId, ctx.actor.roles, { today: today(ctx), timezone: ctx.config.BOT_TIMEZONE });
  // a new tenant: whoever opens the bot first (the association's administrator, as a rule) learns how to become one
  const first = hasRole(ctx.actor, 'admin') ? undefined : await firstAdministratorNotice(ctx.tx, ctx.config.ADMIN_OPEN_IDS, ctx.actor.openId);
  return helpCard({ roles: ctx.actor.roles, buttons: menuButtons(entries), primary, ...(first ? { firstAdministrator: first } : {}) });
}

/** `帮助` / `help`: the menu card, in reply to the message. */
export function showHelp(registry: BotRegistry) {
  return async (ctx: HandlerContext, msg: IncomingText): Promise<void> => {
    if (msg.chatType === 'p2p') {
      await ctx.send({ dedupeKey: `help:${ctx.eventId}`, to: { openId: ctx.actor.openId }, card: await menuCardFor(registry, ctx) });
      return;
    }
    // the group shares one card: its button opens each person's own menu in their p2p chat; a group that shows no cards
    // (a 互通群) sends the asker that menu privately instead (OutgoingMessage.asked)
    const ownMenu = helpMenuSpec(ctx.actor.roles, menuButtons(registry.menuFor(ctx.actor.roles)), ctx.actor.openId);
    const card = helpCard({ buttons: [{ action: 'help.private', label: '在私聊中打开我的菜单' }] });
    await ctx.send({ dedupeKey: `help:${ctx.eventId}`, to: { replyTo: msg.messageId, chatId: msg.chatId }, card, asked: { openId: ctx.actor.openId, render: ownMenu } });
  };
}

/** 私信菜单's keys at `now` (resendKeys): a press within about 10 s of one queued sends nothing new. */
const privateMenuKeys = (openId: string, now: Date) => resendKeys(`help:private:${openId}`, now);
const privateMenuSent: CardResponse = { toast: { type: 'info', content: '菜单已通过私聊发给你' } };
const privateMenuSentAlready: CardResponse = { toast: { type: 'info', content: '菜单已通过私聊发给你，请查看上一条消息' } };

/**
 * The group menu's button: the clicker's own menu, privately, drawn when it is sent from the roles they have now
 * (src/helpMenuCards.ts). Pressed again within about 10 s (a double tap on a phone) it sends nothing new.
 */
export function openMenuPrivately(registry: BotRegistry) {
  return async (ctx: HandlerContext): Promise<CardResponse> => {
    const keys = privateMenuKeys(ctx.actor.openId, ctx.clock.now());
    if (await queuedBefore(ctx.tx, keys.previous)) return privateMenuSentAlready;
    const render = helpMenuSpec(ctx.actor.roles, menuButtons(registry.menuFor(ctx.actor.roles)), ctx.actor.openId);
    return (await ctx.sendIfNew({ dedupeKey: keys.key, to: { openId: ctx.actor.openId }, render })) ? privateMenuSent : privateMenuSentAlready;
  };
}

/**
 * The same in one round trip on PostgreSQL (src/fast/requests.ts): the statement finds the clicker's roles and
 * their buttons itself; a delivery seen before answers undefined having written nothing, and `openMenuPrivately` runs.
 */
export function openMenuPrivatelyFast(registry: BotRegistry): NonNullable<CardActionDecl['fast']> {
  return async (fx) => {
    const keys = privateMenuKeys(fx.openId, fx.clock.now());
    const done = await fastPrivateMenu(fx.database, {
      eventId: fx.eventId,
      eventType: fx.eventType,
      openId: fx.openId,
      bootstrapAdmins: fx.config.ADMIN_OPEN_IDS,
      dedupeKey: keys.key,
      previousKey: keys.previous,
      menu: menuTable(registry.menu),
    });
    return done && { outcome: 'ok', answer: done.queued ? privateMenuSent : privateMenuSentAlready, queued: done.queued };
  };
}

/**
 * The menu button on other cards: redraws the menu in place; on a card in a group (the admin card opened from the
 * digest in the 协会管理群), whose redraw everyone there would see, the clicker's menu goes to their p2p chat instead.
 */
export function refreshMenu(registry: BotRegistry) {
  const privately = openMenuPrivately(registry);
  return async (ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> => {
    if (input.chatId && (await isSharedChat(ctx.tx, input.chatId))) return privately(ctx);
    return { card: { type: 'raw', data: await menuCardFor(registry, ctx) } };
  };
}

/** A user opened the p2p chat with the bot: greet with the menu. */
export function greetOnChatEntered(registry: BotRegistry) {
  return async (ctx: HandlerContext, event: Record<string, unknown>): Promise<void> => {
    if (!ctx.actor.openId) return;
    const chatId = typeof event.chat_id === 'string' ? event.chat_id : 'p2p';
    // one greeting per user and chat per day (the bot's day, not UTC's) is enough, whatever the client re-sends
    const day = today(ctx);
    await ctx.send({ dedupeKey: `greet:${chatId}:${ctx.actor.openId}:${day}`, to: { openId: ctx.actor.openId }, card: await menuCardFor(registry, ctx) });
  };
}
