import type { BotRegistry } from '../../src/handlers.js';
import { bindGroup, unbindGroup } from './bind.js';
import { forgetDisbandedGroup, forgetGroup, introduceInGroup } from './introduce.js';

/** Group chats: the introduction when added, binding a group to the association's notifications, and forgetting a group that is gone. */
export function register(bot: BotRegistry): void {
  bot.command({ names: ['绑定通知', 'bind'], roles: ['admin'], takesArgument: true, argument: 'keyword', glued: true, run: bindGroup });
  bot.command({ names: ['解绑', '解除绑定', 'unbind'], roles: ['admin'], takesArgument: true, argument: 'keyword', glued: true, run: unbindGroup });
  bot.event({ eventType: 'im.chat.member.bot.added_v1', run: introduceInGroup });
  bot.event({ eventType: 'im.chat.member.bot.deleted_v1', run: forgetGroup });
  bot.event({ eventType: 'im.chat.disbanded_v1', run: forgetDisbandedGroup });
}
