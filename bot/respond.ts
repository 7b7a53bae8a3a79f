import { z } from 'zod';
import type { Card } from '../cards/kit.js';
import { commandSuggestionCard } from '../cards/help.js';
import { zh } from '../cards/strings.js';
import { todayIn } from '../src/dates.js';
import { UserError } from '../src/errors.js';
import { type BotRegistry, type CardResponse, type HandlerContext, type IncomingText, replyDestination, staleButtonMessage } from '../src/handlers.js';
import { menuButtons } from '../src/helpMenuCards.js';
import { hasRole } from '../src/people.js';
import { questionLanguage } from '../src/measures/index.js';
import { associationContactCard } from '../cards/contact.js';
import { getAssociationContact } from '../src/associationContact.js';
import { leaderForInsider } from '../src/teams.js';
import { resultsStanding, yearTyped } from '../src/review/pastYears.js';

export { replyDestination };

/** The bot's today (YYYY-MM-DD) in its timezone. */
export const today = (ctx: Pick<HandlerContext, 'config' | 'clock'>) => todayIn(ctx.config.BOT_TIMEZONE, ctx.clock.now());

/** What `notUnderstood` says in English, before or after the Chinese, as the measures' fallback does (NOT_IN_MEASURES_EN). */
const UNKNOWN_TEXT_EN = 'Sorry, I did not understand this. Send “help” for the menu.';

/**
 * What is said to text that is no command (the last fallback, after the measures' answers): to a text with English
 * words in it, in English too, first when the text is English (a reader of English is not told to send 帮助 alone).
 */
export async function notUnderstood(ctx: HandlerContext, msg: IncomingText): Promise<void> {
  const to = msg.chatType === 'p2p' ? { openId: ctx.actor.openId } : { replyTo: msg.messageId, chatId: msg.chatId };
  await ctx.send({ dedupeKey: `reply:${ctx.eventId}`, to, text: msg.text ? unknownText(msg.text) : nonTextAnswer(msg.messageType) });
}

/**
 * What is said to a message with nothing to read: a picture, a document or a video (or a rich text of pictures alone)
 * is told where application materials go; a voice message to type the question; a group's card how a group is bound for
 * notifications; anything else (a sticker, a forwarded chat record, a contact's card, a location) that only text is read.
 */
function nonTextAnswer(messageType: string | undefined): string {
  switch (messageType) {
    case undefined:
    case 'image':
    case 'file':
    case 'media':
      return zh.nonTextMessage;
    case 'audio':
      return zh.voiceMessage;
    case 'share_chat':
      return zh.sharedChatMessage;
    default:
      return zh.otherMessage;
  }
}

function unknownText(text: string): string {
  if (!/[a-z]{2,}/i.test(text.normalize('NFKC'))) return zh.unknownText;
  return questionLanguage(text) === 'en' ? `${UNKNOWN_TEXT_EN}\n${zh.unknownText}` : `${zh.unknownText}\n${UNKNOWN_TEXT_EN}`;
}

/**
 * A short text that is no command but close to one (regster, 进渡, artcle 16) or to a button of the caller's menu (我的
 * 班组, 形式审查): a button's label typed exactly runs the button's command when it has one that takes nothing; else
 * the command or button meant is named, with the button in a p2p chat. `exactOnly`: labels typed exactly, nothing
 * else (before the measures, which keep every question). False when nothing is near.
 */
export async function offerNearestCommand(registry: BotRegistry, ctx: HandlerContext, msg: IncomingText, how: { exactOnly: boolean }): Promise<boolean> {
  const near = registry.nearestCommand(msg.text, ctx.actor.roles);
  if (!near || (how.exactOnly && !near.exact)) return false;
  const run = near.exact && near.command ? registry.matchCommand(near.command[0]) : undefined;
  if (run && !run.argument && (await run.def.run(ctx, msg, '', { glued: false })) !== false) return true;
  const button = msg.chatType === 'p2p' && near.entry ? menuButtons([near.entry])[0] : undefined;
  // a label typed exactly whose command needs an argument (查看办法条款: 条款 16) is offered as its button alone
  const command = near.exact ? undefined : near.command;
  const card = commandSuggestionCard({ command, label: near.entry?.label, button, english: /^[\x00-\x7f]+$/.test(msg.text) });
  await ctx.send({ dedupeKey: `suggest:${ctx.eventId}`, to: replyDestination(ctx, msg), card });
  return true;
}

/** A callback answer that replaces the card, with an optional toast. */
export function raw(data: Card, toast?: CardResponse['toast']): CardResponse {
  return { ...(toast ? { toast } : {}), card: { type: 'raw', data } };
}

/**
 * `联系协会` / `contact`, and a question for it (协会电话是多少, how do I contact the association): 协会联系方式 as an
 * administrator set it, or that none is set (an administrator is told where to set it). Read here: no hot path.
 */
export async function answerAssociationContact(ctx: HandlerContext, msg: IncomingText): Promise<void> {
  const contact = await getAssociationContact(ctx.tx);
  await ctx.send({ dedupeKey: `contact:${ctx.eventId}`, to: replyDestination(ctx, msg), card: associationContactCard(contact, { admin: hasRole(ctx.actor, 'admin') }) });
}

/** What the group note adds for a person the private message cannot reach. */
export const PRIVATE_NOT_RECEIVED = '没有收到时，请确认没有屏蔽我，再发一次；仍收不到，可能不在本应用的可用范围内，请联系协会管理员。';
/**
 * The same advice to an administrator, who is the one others are sent to: the app's 可用范围 is widened in the developer
 * console and published with a version, as the alert of someone outside it says (src/notifications.ts, 230013).
 */
export const PRIVATE_NOT_RECEIVED_ADMIN = '没有收到时，请确认没有屏蔽我，再发一次；仍收不到，可能你不在本应用的可用范围内：请在飞书开发者后台的“版本管理与发布”中把你加入应用的可用范围并发布新版本。';

/**
 * Forms and personal cards go to the user's p2p chat; asked for in a group, the group gets a one-line
 * reply saying so, so nobody's form or team details land on a card the whole group shares.
 */
export async function sendPrivately(ctx: HandlerContext, msg: IncomingText, key: string, message: { card?: object; text?: string }, what: string): Promise<void> {
  await ctx.send({ dedupeKey: key, to: { openId: ctx.actor.openId }, ...message });
  if (msg.chatType === 'group') {
    // queued beside the private message, before Feishu says whether it can reach the person (230013: outside the app's
    // availability; 230053: the bot blocked; 230038: another tenant): so the note says what to do when nothing came
    await ctx.send({ dedupeKey: `${key}:group-note`, to: { replyTo: msg.messageId, chatId: msg.chatId }, text: `已通过私聊把${what}发给你，请在与我的单聊中查看。${hasRole(ctx.actor, 'admin') ? PRIVATE_NOT_RECEIVED_ADMIN : PRIVATE_NOT_RECEIVED}` });
  }
}

/** What someone of a team asking for 评审结果 is told: where their team's result is. */
export const OWN_RESULTS = '你的班组的评审结果（得分和是否获得称号）在协会公布结果后发送“进度”查看；结果公布时，班组长和单位联系人也会各收到一张结果卡片（第二十一条）。';
/** The same once the year asked about is published: the result is there now, and the cards were sent. */
export const ownResultsPublished = (year: number) =>
  `${year} 年度评审结果已公布：你的班组的评审结果（得分和是否获得称号）请发送“进度”查看；公布时班组长和单位联系人已各收到一张结果卡片（第二十一条）。`;
/** What anyone else (the public, an expert) asking for 评审结果 is told: how a title is checked, which anyone may do. */
export const PUBLIC_RESULTS = '评审结果由协会公布，获得称号的班组会收到结果卡片和证书。要查询某个班组是否为质量信得过班组，请发送“查询证书 班组名称”或“查询证书 证书编号”。';

/**
 * 评审结果 / results (with a year or not) asked by someone who is no administrator. Someone of a team wants their own
 * team's result, which is in 进度 once published (第二十一条): told so, and whether the year asked (else the newest
 * published) is published. Anyone else is told how to check a team's title (查询证书). An argument that is not a year
 * (评审结果什么时候公布) is a question: false leaves it to the measures.
 */
export async function tellOwnResults(ctx: HandlerContext, msg: IncomingText, argument = ''): Promise<void | false> {
  const year = yearTyped(argument);
  if (argument.trim() && year === undefined) return false;
  const key = `results:own:${ctx.eventId}`;
  if (!hasRole(ctx.actor, 'leader', 'member', 'org_contact')) return sendPrivately(ctx, msg, key, { text: PUBLIC_RESULTS }, '回复');
  const standing = await resultsStanding(ctx.tx, ctx.actor.openId, year);
  const text = !standing
    ? OWN_RESULTS
    : standing.published
      ? standing.theirs
        ? ownResultsPublished(standing.year)
        : `${standing.year} 年度评审结果已公布；你的班组没有参加 ${standing.year} 年度评审。各年度的申报情况请发送“进度”查看。`
      : standing.reviewed
        ? `${standing.year} 年度评审结果尚未公布。${OWN_RESULTS}`
        : standing.theirs
          ? `${standing.year} 年度不在本机器人中评审；你的班组该年度获得的称号见“进度”中的荣誉。`
          : `${standing.year} 年度没有在本机器人中评审。${OWN_RESULTS}`;
  await sendPrivately(ctx, msg, key, { text }, '回复');
}

/**
 * form_value as the strings the user typed, to fill a form again: text inputs are strings already,
 * numbers and booleans become strings, multi-selects are joined.
 */
export function formText(formValue: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(formValue)) {
    if (v === null || v === undefined) continue;
    out[key] = Array.isArray(v) ? v.map(String).join(',') : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}

/** A positive integer id as a button carries it (a number or its digits), or undefined. */
function parseId(v: unknown): number | undefined {
  // Number() would take true, [3] and "1e3"; ids are int4, so a larger one would fail in the database instead
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^[1-9][0-9]{0,9}$/.test(v) ? Number(v) : Number.NaN;
  return Number.isInteger(n) && n > 0 && n <= 2_147_483_647 ? n : undefined;
}

/** A positive integer id from a button's value (`{action, cycleId: 3}`), a number or its digits; UserError otherwise. */
export function idFrom(value: Record<string, unknown>, key: string): number {
  const n = parseId(value[key]);
  if (n === undefined) throw new UserError(staleButtonMessage);
  return n;
}

/** An id in a card action's value schema, read as `idFrom` reads it. */
export const id = z.unknown().transform((v, c) => {
  const n = parseId(v);
  if (n === undefined) {
    c.addIssue({ code: 'custom', message: staleButtonMessage });
    return z.NEVER;
  }
  return n;
});

/** An instant a button carries (epoch milliseconds, a number or its digits), or undefined. */
function parseMillis(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^[0-9]{1,15}$/.test(v) ? Number(v) : Number.NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** An instant in a card action's value schema (epoch milliseconds): which version of a row the card showed. */
export const millis = z.unknown().transform((v, c) => {
  const n = parseMillis(v);
  if (n === undefined) {
    c.addIssue({ code: 'custom', message: staleButtonMessage });
    return z.NEVER;
  }
  return n;
});

/** A review year as a form's buttons carry it (`{teamId, year: 2026}`), a number or its digits, 2000–2100; stale otherwise. */
export const cycleYear = z.unknown().transform((v, c) => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^[0-9]{4}$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isInteger(n) || n < 2000 || n > 2100) {
    c.addIssue({ code: 'custom', message: staleButtonMessage });
    return z.NEVER;
  }
  return n;
});

/**
 * The instant under `key` as `millis` reads it, for a fast path that sees the raw value: undefined when the button
 * has no such key, null when it has one that does not read (the value schema refuses it on the ordinary path).
 */
export function millisOrAbsent(value: Record<string, unknown>, key: string): number | undefined | null {
  if (value[key] === undefined) return undefined;
  return parseMillis(value[key]) ?? null;
}

/** A button's value: the keys named are parsed, anything else (the verb, a page) passes as it is. */
export const values = <S extends z.ZodRawShape>(shape: S) => z.looseObject(shape);

/** The value of a button that carries nothing but its verb. */
export const noValue = values({});

/** The id `idFrom` reads, or 0 (no row has it): for redrawing a refused card, where a bad id must not reach a query. */
export function idOrZero(value: Record<string, unknown>, key: string): number {
  try {
    return idFrom(value, key);
  } catch {
    return 0;
  }
}

/**
 * A team leader's button (修改资料, 班组成员, 添加 / 移除成员, 更换班组长, 申报表, 撤回申报) on a card the leader who handed the
 * team in value.teamId over (更换班组长) still holds: that they no longer lead it, who does, and whom to ask; undefined
 * for anyone else, who is told who may (rolesMessage). Before, they read only “只有协会管理员或本班组的班组长可以使用此功能。”.
 */
export async function teamNowLedBy(ctx: HandlerContext, input: { value: Record<string, unknown> }): Promise<string | undefined> {
  const teamId = idOrZero(input.value, 'teamId');
  const found = teamId ? await leaderForInsider(ctx.tx, ctx.actor.openId, teamId) : undefined;
  if (!found?.formerLeader) return undefined;
  const leader = found.leader ?? '现任班组长';
  return `你已不是${found.team}的班组长${found.leader ? `（现任班组长：${found.leader}）` : ''}，此前收到的该班组卡片上的班组长按钮不再可用，这次没有改动。班组的资料、成员和申报由${leader}办理，如需修改请联系其本人；发送“进度”可查看班组现在的情况。`;
}

/** The page a 上一页 / 下一页 button asks for; 1 when absent or not a number. */
/** A team's code as typed after a command, out of the quotes of an example (“GDSZ-2025-0001”, GDSZ-2025-0001”). */
export const typedCode = (argument: string) => argument.trim().replace(/^["'“”‘’「『]+|["'“”‘’」』]+$/g, '').trim();

export function pageFrom(value: Record<string, unknown>): number {
  const n = Number(value.page);
  return Number.isInteger(n) && n > 0 ? n : 1;
}
