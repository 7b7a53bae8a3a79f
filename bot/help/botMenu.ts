import type { BotRegistry, HandlerContext, IncomingText } from '../../src/handlers.js';
import { menuCardFor } from './showHelp.js';

/** An event key as the developer console takes it: 1–30 characters (the page below). */
const EVENT_KEY_MAX = 30;

/**
 * The command an item of the bot's custom menu (机器人自定义菜单) stands for: its event key is a command as typed (帮助,
 * 进度, status, 条款 16) or the action of a button of the 帮助 card (team.status), read as that button's command.
 */
function commandText(registry: BotRegistry, key: string): string {
  const entry = registry.menu.find((e) => e.action === key);
  // a button's command carries an example argument (条款 16): the command alone, as the button does
  return entry?.command ? entry.command[0].split(' ')[0] : key;
}

/**
 * application.bot.menu_v6: an item of the bot's custom menu clicked, whose action is to push an event
 * (https://open.larksuite.com/document/uAjLw4CM/ukTMukTMukTM/application-v6/bot/events/menu). It does what the
 * command typed in the p2p chat does, through the same dispatch (its roles, its refusals, sent privately); a key
 * that is no command, or a command that declines, brings the caller's own 帮助 card.
 */
export function runBotMenu(registry: BotRegistry) {
  return async (ctx: HandlerContext, event: Record<string, unknown>): Promise<void> => {
    if (!ctx.actor.openId) return;
    const key = typeof event.event_key === 'string' ? event.event_key.trim().slice(0, EVENT_KEY_MAX) : '';
    const text = key ? commandText(registry, key) : '';
    // the menu opens beside the p2p chat and says nothing of a message: whatever is answered goes to the caller
    const said: IncomingText = { text, chatId: '', chatType: 'p2p', messageId: '', mentionedBot: false };
    const match = text ? registry.matchCommand(text) : undefined;
    if (match && (await match.def.run(ctx, said, match.argument, { glued: match.glued === true })) !== false) return;
    await ctx.send({ dedupeKey: `menu:${ctx.eventId}`, to: { openId: ctx.actor.openId }, card: await menuCardFor(registry, ctx) });
  };
}
