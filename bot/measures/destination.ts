import type { HandlerContext, IncomingText } from '../../src/handlers.js';
import type { Destination } from '../../src/outbox.js';

/** p2p: to the user; in a group: a reply to the message that mentioned the bot. */
export function replyDestination(ctx: HandlerContext, msg: IncomingText): Destination {
  return msg.chatType === 'p2p' ? { openId: ctx.actor.openId } : { replyTo: msg.messageId, chatId: msg.chatId };
}
