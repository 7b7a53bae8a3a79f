/**
 * Thanks, okays and goodbyes said to the bot (谢谢, 好的, 👍, thanks, ok): answered politely with where the menu is,
 * not as a question the measures cannot answer. Greetings are the menu's aliases (bot/help).
 */

import { simplified } from '../../src/traditional.js';

type Kind = 'thanks' | 'bye' | 'ok';

const ZH: Record<string, Kind | 'address'> = {};
for (const w of '谢谢 谢谢你 谢谢您 谢啦 多谢 感谢 感谢感谢 非常感谢 太感谢了 辛苦了 辛苦 麻烦了'.split(' ')) ZH[w] = 'thanks';
for (const w of '再见 拜拜 拜 下次再聊'.split(' ')) ZH[w] = 'bye';
// whom the thanks are for (谢谢老师, 感谢您, 谢谢你的帮助): no kind of its own, and nothing said without thanks or a goodbye
for (const w of '老师 您 你 你们 机器人 助手 小助手 的帮助 帮助 帮忙'.split(' ')) ZH[w] = 'address';
for (const w of '好 好的 好滴 好嘞 好吧 行 行的 可以 嗯 嗯嗯 哦 噢 哦哦 收到 收到了 明白 明白了 知道了 了解 懂了 清楚了 没问题 测试 ok okay'.split(' ')) ZH[w] = 'ok';

const EN: readonly (readonly [RegExp, Kind])[] = [
  // ok thanks, thank you for your help, thanks bot
  [/^(?:(?:ok|okay|great|cool|alright|got it) )?(?:thanks?|thank you|thx|ty|many thanks|cheers)(?: (?:a lot|so much|very much|again|for (?:your|the) help))?(?: (?:bot|sir|madam|teacher))?$/, 'thanks'],
  [/^(?:bye|goodbye|good bye|bye bye|see you|see ya)$/, 'bye'],
  [/^(?:ok|okay|k|got it|cool|great|noted|sure|fine|alright|all right|understood|test|testing)$/, 'ok'],
];

const REPLIES: Record<Kind, { zh: string; en: string }> = {
  thanks: { zh: '不客气。需要办理或查询时，发送“帮助”查看可用的命令。', en: 'You’re welcome. Send “help” (帮助) for the menu any time.' },
  bye: { zh: '再见。需要时发送“帮助”查看可用的命令。', en: 'Goodbye. Send “help” (帮助) for the menu any time.' },
  ok: { zh: '好的。需要办理或查询时，发送“帮助”查看可用的命令。', en: 'OK. Send “help” (帮助) for the menu any time.' },
};

const ZH_WORDS = Object.keys(ZH).sort((a, b) => b.length - a.length);

/** 好的谢谢, 收到谢谢: a message made only of these words is thanks when it thanks, else its one kind. */
function zhKind(text: string): Kind | undefined {
  const kinds = new Set<Kind>();
  let addressed = false;
  let rest = text;
  while (rest) {
    const w = ZH_WORDS.find((x) => rest.startsWith(x));
    if (!w) return undefined;
    const kind = ZH[w];
    if (kind === 'address') addressed = true;
    else kinds.add(kind);
    rest = rest.slice(w.length);
  }
  // 你好, 老师好 are greetings (the menu), 帮助 the command: a word of address counts only with thanks or a goodbye
  if (addressed && !kinds.has('thanks') && !kinds.has('bye')) return undefined;
  return kinds.has('thanks') ? 'thanks' : kinds.has('bye') ? 'bye' : [...kinds][0];
}

const PICTOGRAPH = /\p{Extended_Pictographic}/u;

/** An emoji picked from Feishu's panel: a text message carries its name in brackets (谢谢[抱拳], [赞], [THUMBSUP]). */
const PANEL_EMOJI = /\[[^[\]\s]{1,8}\]/gu;

/** The reply to a message that is only thanks, an okay, a goodbye or emoji; undefined for anything else. */
export function smallTalkReply(text: string): string | undefined {
  // 謝謝 is 谢谢
  const typed = simplified(text.normalize('NFKC')).toLowerCase();
  const t = typed.replace(PANEL_EMOJI, ' ');
  const panelEmoji = t !== typed;
  // emoji, punctuation and spaces say nothing more: 谢谢🙏 is 谢谢, 👍 alone is an okay
  const words = t.replace(/[\p{Extended_Pictographic}\p{P}\p{S}\u200d\ufe0f\s]+/gu, ' ').trim().replace(/\s+/g, ' ');
  if (!words) return PICTOGRAPH.test(t) || panelEmoji ? REPLIES.ok.zh : undefined;
  const zh = zhKind(words.replace(/\s/g, ''));
  if (zh && /\p{Script=Han}/u.test(words)) return REPLIES[zh].zh;
  for (const [re, kind] of EN) if (re.test(words)) return REPLIES[kind].en;
  return zh ? REPLIES[zh].zh : undefined;
}
