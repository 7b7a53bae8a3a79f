import type { BotRegistry } from '../../src/handlers.js';
import { answerAssociationContact, notUnderstood, noValue } from '../respond.js';
import { runBotMenu } from './botMenu.js';
import { showAssociationContact } from './contact.js';
import { greetOnChatEntered, openMenuPrivately, openMenuPrivatelyFast, refreshMenu, showHelp } from './showHelp.js';

const greetings = [
  ...['你好', '您好', '你好呀', '您好呀', '嗨', '哈喽', '在吗', '在么', '在不在', '有人吗', '有人在吗', '请问', '问一下', '老师好', '老师您好', '老师你好', '大家好', '早', '早上好', '早安', '上午好', '中午好', '下午好', '晚上好'],
  ...['hello', 'hi', 'hey', 'hi there', 'hello there', 'hey there', 'good morning', 'good afternoon', 'good evening'],
];

/** What someone new asks of the bot itself (not of the measures): the menu is the answer. */
const askingForHelp = [
  ...['你能做什么', '你会什么', '你会做什么', '能做什么', '有什么功能', '怎么用', '怎么使用', '如何使用', '使用说明', '使用帮助', '求助'],
  ...['help me', 'can you help', 'can you help me', 'what can you do', 'what do you do', 'how do i use this', 'how to use', 'commands', 'get started'],
];

export function register(bot: BotRegistry): void {
  // a first message is often a greeting: the menu answers it, so it says in one reply what to do next
  bot.command({ names: ['帮助', 'help', '菜单', 'menu', '?', '？', ...greetings, ...askingForHelp], run: showHelp(bot) });
  // 协会联系方式, as an administrator set it (管理 → 协会联系方式): for anyone sent to the association
  bot.command({ names: ['联系协会', 'contact', '协会联系方式', 'contact association'], run: answerAssociationContact });
  bot.cardAction({ action: 'association.contact', roles: ['public'], value: noValue, run: showAssociationContact });
  bot.menuEntry({ action: 'association.contact', label: '联系协会', roles: [], order: 95, command: ['联系协会', 'contact'] });
  bot.cardAction({ action: 'help.menu', roles: ['public'], value: noValue, run: refreshMenu(bot) });
  bot.cardAction({ action: 'help.private', roles: ['public'], value: noValue, run: openMenuPrivately(bot), fast: openMenuPrivatelyFast(bot) });
  bot.event({ eventType: 'im.chat.access_event.bot_p2p_chat_entered_v1', run: greetOnChatEntered(bot) });
  // an item of the bot's custom menu set up in the developer console: its event key is a command (README, Creating the Feishu app)
  bot.event({ eventType: 'application.bot.menu_v6', run: runBotMenu(bot) });
  bot.fallback = notUnderstood;
}
