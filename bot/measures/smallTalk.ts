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

/**
 * Asked of the bot itself, whole (你是谁, 转人工, 不懂): who it is (README: the bot that runs the programme for the
 * association), that no person answers here and the association's 秘书处 does (its phone is in no text we have), or where
 * to start. What it can do (你能做什么) is the menu's alias (bot/help).
 */
const ABOUT_BOT: Record<string, 'who' | 'howAreYou' | 'human' | 'lost'> = {};
for (const w of '你是谁 您是谁 你是什么 你是干什么的 你是做什么的 你是机器人吗 你是人吗 你是真人吗 你叫什么 你叫什么名字 你是哪位 这是什么 这是谁 这是什么机器人'.split(' ')) ABOUT_BOT[w] = 'who';
for (const w of '你好吗 你还好吗 最近好吗'.split(' ')) ABOUT_BOT[w] = 'howAreYou';
for (const w of '人工 人工客服 转人工 转人工客服 人工服务 找人工 我要人工 要人工 人工咨询 客服 联系客服 找客服 真人 找真人 有人工吗 有没有人工 有人工客服吗 有没有人工客服 真人客服'.split(' ')) ABOUT_BOT[w] = 'human';
for (const w of '不懂 看不懂 听不懂 不明白 没看懂 没听懂 不会用 不知道怎么用 怎么弄 我不懂 还是不懂 什么意思'.split(' ')) ABOUT_BOT[w] = 'lost';

const ABOUT_BOT_EN: readonly (readonly [RegExp, 'who' | 'howAreYou' | 'human' | 'lost'])[] = [
  [/^(?:who|what) are you$|^are you (?:a |an )?(?:bot|robot|human|person|real person|ai|machine)$|^what is this(?: bot)?$/, 'who'],
  [/^how are you(?: doing| today)?$|^how(?: s| is) it going$/, 'howAreYou'],
  [/^(?:(?:i want to |can i |let me )?(?:talk|speak|chat) (?:to|with) (?:a |an )?(?:human|person|real person|agent|someone))$|^(?:a )?(?:human|real person|live agent|agent|customer service|operator)(?: please)?$/, 'human'],
  // an apostrophe is read as a space: don’t is don t
  [/^(?:i )?(?:don t|do not|dont) (?:understand|get it|know how)$|^i(?: a| )m lost$|^confused$/, 'lost'],
];

const ABOUT_BOT_REPLIES = {
  who: {
    zh: '我是质量信得过班组助手，广东省市政行业协会“质量信得过班组”活动的飞书机器人：按《广东省市政工程质量信得过班组建设管理办法（暂行）》办理班组注册、年度申报、单位确认推荐、专家评分和质量投诉，也可以回答办法中的问题。发送“帮助”查看可用的命令。',
    en: 'I am 质量信得过班组助手, the Feishu bot of the Guangdong Municipal Engineering Association’s Quality Trustworthy Team programme: teams register and apply here, organisation contacts confirm, experts score, anyone may complain, and I answer questions about the measures. Send “help” (帮助) for the menu.',
  },
  howAreYou: { zh: '我很好，谢谢。需要办理或查询时，发送“帮助”查看可用的命令。', en: 'Fine, thank you. Send “help” (帮助) for the menu any time.' },
  human: {
    zh: '这里是自动回复的机器人，没有人工客服。需要人工咨询的，请联系广东省市政行业协会秘书处（发送“联系协会”查看协会的联系方式）；注册、申报、投诉等可以在这里办理，发送“帮助”查看可用的命令。',
    en: 'This is an automatic bot: no person answers here. For a person, contact the secretariat of the Guangdong Municipal Engineering Association (广东省市政行业协会秘书处; send “contact” for how to reach it). Registering, applying and complaining are done here: send “help” (帮助) for the menu.',
  },
  lost: {
    zh: '发送“帮助”打开菜单，点按钮即可办理（注册班组、查看进度、申报等）；也可以直接用一句话提问，例如“注册多久才能参加评选”。',
    en: 'Send “help” (帮助) for the menu and press a button (register a team, see your status, apply), or ask a question in one sentence, such as “When can we apply?”.',
  },
} as const;

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

/** The reply to a message that is only thanks, an okay, a goodbye or emoji, or asks who the bot is; undefined for anything else. */
export function smallTalkReply(text: string): string | undefined {
  // 謝謝 is 谢谢
  const typed = simplified(text.normalize('NFKC')).toLowerCase();
  const t = typed.replace(PANEL_EMOJI, ' ');
  const panelEmoji = t !== typed;
  // emoji, punctuation and spaces say nothing more: 谢谢🙏 is 谢谢, 👍 alone is an okay
  const words = t.replace(/[\p{Extended_Pictographic}\p{P}\p{S}\u200d\ufe0f\s]+/gu, ' ').trim().replace(/\s+/g, ' ');
  if (!words) return PICTOGRAPH.test(t) || panelEmoji ? REPLIES.ok.zh : undefined;
  const about = ABOUT_BOT[words.replace(/\s/g, '')] ?? ABOUT_BOT_EN.find(([re]) => re.test(words))?.[1];
  if (about) return ABOUT_BOT_REPLIES[about][/\p{Script=Han}/u.test(words) ? 'zh' : 'en'];
  const zh = zhKind(words.replace(/\s/g, ''));
  if (zh && /\p{Script=Han}/u.test(words)) return REPLIES[zh].zh;
  for (const [re, kind] of EN) if (re.test(words)) return REPLIES[kind].en;
  return zh ? REPLIES[zh].zh : undefined;
}
