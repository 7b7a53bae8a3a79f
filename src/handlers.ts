import type { z } from 'zod';
import { zh } from '../cards/strings.js';
import type { Database, Db } from '../db/index.js';
import { removedAdministratorRefusal } from './admins.js';
import { lastDone } from './audit.js';
import { formatDateTimeZh } from './dates.js';
import { isSharedChat } from './groups.js';
import { AlreadyDone, cite, UserError } from './errors.js';
import { halfWidth, trailingRun } from './forms.js';
import { headAndRest, SLIP_MAX_LENGTH, slipDistance } from './nearestCommand.js';
import { simplified } from './traditional.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { FeishuReader } from './lark/reader.js';
import { type Logger, withoutContacts } from './log.js';
import type { Destination, OutgoingMessage } from './outbox.js';
import type { ResolvedUserIds } from './lark/contact.js';
import { type Actor, hasRole, type Role } from './people.js';
import { adminOnlyMessage } from './permissions.js';
import { ReadAfterCommit } from './pipeline.js';

/** What every handler acts through: the transaction, who acts, the clock, and the outbox. */
export interface HandlerContext {
  tx: Db;
  actor: Actor;
  clock: Clock;
  config: Config;
  log: Logger;
  eventId: string;
  /** Queues a message in this transaction (sent after commit); a key queued before is not queued again. Waits for no answer. */
  send(message: OutgoingMessage): Promise<void>;
  /** `card` to every administrators' destination (their bound groups, else each in p2p), keyed `${dedupeKey}:${destinationKey}`: one statement, no read. */
  sendToAdmins(message: { dedupeKey: string; card: object }): Promise<void>;
  /** `send`, answering whether the key was new (a round trip of its own on PostgreSQL). */
  sendIfNew(message: OutgoingMessage): Promise<boolean>;
  /** open_ids of people named by mobile or e-mail, from the tenant's address book (a read; nothing is written). */
  findUsers(query: { mobiles?: string[]; emails?: string[] }): Promise<ResolvedUserIds>;
  /** The same context on a savepoint: its writes and messages roll back together. */
  within(tx: Db): HandlerContext;
  /**
   * The rest of the answer, read once the event's transaction has committed (on PostgreSQL in the COMMIT's own
   * round trip): return `ctx.afterCommit((read) => …)` from a handler instead of awaiting its answer's reads
   * last. `read` is this context on the committed state; it reads only (nothing it sent or wrote would be atomic).
   */
  afterCommit<T>(read: (ctx: HandlerContext) => Promise<T>): ReadAfterCommit<T>;
  /** Reads from Feishu (a sent file, people by mobile or e-mail); absent where no client is wired. */
  feishu?: FeishuReader;
}

/**
 * Thrown out of a handler to refuse: the event's transaction rolls back whole, then `answer` runs in a
 * fresh transaction (which records the event) to say why — so the happy path needs no savepoint.
 */
export class Refusal<T = unknown> extends Error {
  constructor(
    readonly reason: Error,
    readonly answer: (ctx: HandlerContext) => Promise<T>,
  ) {
    super(reason.message);
    this.name = 'Refusal';
  }
}

export interface IncomingText {
  text: string; // mentions removed, trimmed
  /** A post's title when its body says something: a subject line, read before the body only when the body alone is no command. */
  subject?: string;
  chatId: string;
  chatType: 'p2p' | 'group';
  messageId: string;
  mentionedBot: boolean;
  /** A message that is neither text nor rich text: its message_type (image, file, audio, sticker, share_chat…); its `text` is empty. */
  messageType?: string;
}

/** A file message: its key, for downloading it through the message's resources. */
export interface IncomingFile {
  fileKey: string;
  fileName: string;
}

export interface CardActionInput {
  value: Record<string, unknown>;
  formValue: Record<string, unknown>;
  tag?: string;
  name?: string;
  option?: string;
  messageId?: string;
  chatId?: string;
  /** The token for a delayed card update (valid 30 minutes, twice). */
  cardToken?: string;
}

export type ToastType = 'success' | 'error' | 'info' | 'warning';

/** The body answered to card.action.trigger. */
export interface CardResponse {
  toast?: { type: ToastType; content: string; i18n?: Record<string, string> };
  card?: { type: 'raw'; data: object };
}

/**
 * A command's work. With `glued` (the argument followed the Chinese name without a space, as Chinese is typed:
 * 投诉市政养护一班) it may answer `false`: not this command after all, and the text goes to the fallback (the measures).
 */
export type CommandRun = (ctx: HandlerContext, msg: IncomingText, argument: string, how?: { glued: boolean }) => Promise<void | false>;

export interface CommandDef {
  /** Chinese name first, then the English alias. */
  names: string[];
  /** Whether the command takes the rest of the text as argument (`条款 16`). */
  takesArgument?: boolean;
  /**
   * How the argument is read: `keyword` (a number, a purpose, a code) in half width, as a phone's IME may type it
   * (`绑定通知 ｅｘｐｅｒｔ` is `绑定通知 expert`); `asTyped` (the default) for a name or text that is searched or kept as typed.
   */
  argument?: 'keyword' | 'asTyped';
  /** Whether the Chinese name may be followed by its argument with no space (then `run` is told `glued` and may decline). */
  glued?: boolean;
  /**
   * What may follow a name as the thing it acts on, the whole rest of the text, and leave it this command taking
   * nothing (`register my team`, `注册新班组`): after a space for an English name. For a command without an argument.
   */
  objects?: RegExp;
  /**
   * Who the command is for, when not everyone: a slip for it is suggested to these roles only (a visitor typing 绑定通之
   * is not told of 绑定通知). The command checks its caller itself; this is only what is offered.
   */
  roles?: readonly Role[];
  run: CommandRun;
}

/** A card action's answer: whole, or with its reads left for after the COMMIT (`ctx.afterCommit`). */
export type CardAnswer = CardResponse | ReadAfterCommit<CardResponse>;
export type CardRun = (ctx: HandlerContext, input: CardActionInput) => Promise<CardAnswer>;
/** Redraws a refused card (typically the same form with what was typed), in the fresh transaction of the answer. */
export type OnRefused = (err: UserError, ctx: HandlerContext, input: CardActionInput) => CardResponse | undefined | Promise<CardResponse | undefined>;

/** The six personas of the role matrix: `public` is anyone at all; the others are roles of the actor. */
export type Persona = 'public' | Role;
export const personas: readonly Persona[] = ['public', 'member', 'leader', 'org_contact', 'expert', 'admin'];

/**
 * A role that needs a row to decide (the leader of the team in value.teamId): the registry lets through
 * whoever has `persona` at all, and the named service refuses anyone else under the row's lock.
 */
export interface RowRole {
  persona: Exclude<Persona, 'public' | 'admin'>;
  /** The id in the button's value that names the row. */
  key: string;
  /** Who, in the refusal's words (本班组的班组长). */
  who: string;
  /** The src/ service that checks the row, named so the declaration points at it. */
  checkedBy: (...args: never[]) => unknown;
  /** The article that names this person, cited in the refusal. */
  article?: number;
  /** Someone the row named before (the leader who handed the team over): only the service knows who, from its audit row. */
  former?: true;
}

export type Allowed = Persona | RowRole;

type Check = RowRole['checkedBy'];
/** The leader of the team in value.teamId, as `checkedBy` refuses anyone else. */
export const leaderOfTeam = (checkedBy: Check): RowRole => ({ persona: 'leader', key: 'teamId', who: '本班组的班组长', checkedBy });
/** The leader who handed the team in value.teamId over, a member of it now: `checkedBy` tells them their change was made. */
export const formerLeaderOfTeam = (checkedBy: Check): RowRole => ({ persona: 'member', key: 'teamId', who: '本班组的班组长', checkedBy, former: true });
/** The organisation contact named by the team of value.applicationId (第十五条). */
export const contactOfApplication = (checkedBy: Check): RowRole => ({ persona: 'org_contact', key: 'applicationId', who: '该班组登记的单位联系人', checkedBy, article: 15 });
/** The expert assigned to value.assignmentId (第十七条). */
export const assignedExpert = (checkedBy: Check): RowRole => ({ persona: 'expert', key: 'assignmentId', who: '被分配的评审专家', checkedBy, article: 17 });

/** A card action as declared: its verb, who may use it, what its button's value holds, and what it does. */
export interface CardActionDecl<V extends Record<string, unknown> = Record<string, unknown>> {
  action: string;
  /**
   * What the action is called, as its button says it out of its card ('保留称号'): a redelivered click (Feishu sent the
   * same event again) with no `duplicate` answer is told it was already handled under this name. Unset, the toast names none.
   */
  label?: string;
  roles: readonly Allowed[];
  value: z.ZodType<V, unknown>;
  run: CardRun;
  onRefused?: OnRefused;
  /**
   * The words of the refusal for who you are, where the button's value ties the clicker to its row all the same (the
   * leader who handed the team in value.teamId over): who to turn to instead; undefined for `rolesMessage`. Only the
   * words: `roles` decide, and the card is not redrawn.
   */
  refusalFor?(ctx: HandlerContext, input: CardActionInput): Promise<string | undefined>;
  /** Tried before `run`'s transaction on a hot path: does the whole event itself, or answers undefined to leave it to `run`. */
  fast?(fx: FastContext, input: CardActionInput): Promise<FastOutcome | undefined>;
  /** The answer to a delivery of an event already handled, from the state it left (reads only); undefined for the generic toast. */
  duplicate?(tx: Db, who: { openId: string; config: Config }, input: CardActionInput): Promise<CardResponse | undefined>;
  /**
   * A view for the clicker alone, named as the toast names it ('协会管理卡片'): clicked on a card in a group (inSharedChat:
   * the 协会管理群's digests and alerts, still there once it is unbound, one card for everyone there), the card it answers with goes to the clicker's p2p
   * chat and the answer is a toast saying so, and a refusal there redraws nothing: the group's card stays as it is.
   */
  privateInGroup?: string;
}

/** A registered card action: the declaration and the one dispatch the registry made of it. */
export interface CardActionDef extends CardActionDecl {
  dispatch: CardRun;
}

/** What a fast path gets: no transaction (it makes its own), the event and who sent it. */
export interface FastContext {
  database: Database;
  eventId: string;
  eventType: string;
  openId: string;
  clock: Clock;
  config: Config;
  log: Logger;
}

/** A fast path's result: answered (done or refused, the event recorded), or the event was seen before. */
export type FastOutcome =
  /**
   * `queued`: how many outbox rows the committed statement added (the dispatcher is woken when any). `changesSender`:
   * the event may have changed the sender's own roles (注册 makes them a leader), so the process's guess of who they
   * are (`KnownActors`) is dropped, and their next event is claimed before it runs.
   */
  | { outcome: 'ok' | 'refused'; answer: CardResponse; queued?: number; changesSender?: boolean }
  | { outcome: 'duplicate'; answer?: CardResponse };

export interface MenuEntry {
  action: string;
  label: string;
  /** Shown to these roles; empty means everyone. */
  roles: Role[];
  order: number;
  value?: Record<string, unknown>;
  /**
   * The command that does what the button does, Chinese then English as typed (`['进度', 'status']`, with an example
   * argument: `['条款 16', 'article 16']`): the 帮助 card lists it with the button, so it lists only what the caller may use.
   */
  command?: readonly [string, string];
}

export interface EventDef {
  eventType: string;
  run(ctx: HandlerContext, event: Record<string, unknown>): Promise<void>;
}

/**
 * What a refusal for who you are says: who may do it (第十四条 for the association's work alone; an action the
 * administrators share with someone of the row, as 修改资料 with 本班组的班组长, names both).
 */
export function rolesMessage(roles: readonly Allowed[]): string {
  if (roles.length && roles.every((r) => r === 'admin')) return adminOnlyMessage;
  const who = roles.map((r) => (typeof r === 'string' ? zh.roleNames[r] : r.who));
  const said = `只有${[...new Set(who)].join('或')}可以使用此功能。`;
  const article = roles.find((r): r is RowRole => typeof r !== 'string' && r.article !== undefined)?.article;
  return article ? cite(article, said) : said;
}

/** `rolesMessage`, or, for the administrators' actions, to an administrator removed since, when (removedAdministratorRefusal). */
async function refusalForWho(ctx: HandlerContext, roles: readonly Allowed[]): Promise<string> {
  const adminsOnly = roles.length > 0 && roles.every((r) => r === 'admin');
  return (adminsOnly && (await removedAdministratorRefusal(ctx.tx, ctx.actor.openId, ctx.config.BOT_TIMEZONE))) || rolesMessage(roles);
}

/** Whether the actor has one of the personas the declaration names (a row role counts by its persona here). */
export function mayUse(actor: Actor, roles: readonly Allowed[]): boolean {
  return roles.some((r) => {
    const persona = typeof r === 'string' ? r : r.persona;
    return persona === 'public' || hasRole(actor, persona);
  });
}

export function toastFor(err: UserError): NonNullable<CardResponse['toast']> {
  // a thing already done whose own row says when (a stored score sheet) answers with that time
  if (err instanceof AlreadyDone) return { type: 'info', content: err.at(undefined) };
  const type: ToastType = err.opts.kind ?? 'error';
  return { type, content: err.message };
}

/** The toast of a refusal; a thing already done names when, read now that the first doing has committed. */
async function answerToast(err: UserError, ctx: HandlerContext): Promise<NonNullable<CardResponse['toast']>> {
  if (!(err instanceof AlreadyDone)) return toastFor(err);
  const at = await lastDone(ctx.tx, err.record);
  return { type: 'info', content: err.at(at && formatDateTimeZh(at, ctx.config.BOT_TIMEZONE)) };
}

/** Where a command's answer goes: the user's p2p chat, or a reply in the group it was asked in. */
export function replyDestination(ctx: HandlerContext, msg: IncomingText): Destination {
  return msg.chatType === 'p2p' ? { openId: ctx.actor.openId } : { replyTo: msg.messageId, chatId: msg.chatId };
}

/** What a button whose value does not parse says: its ids are stale or forged, either way it is spent. */
export const staleButtonMessage = '这个按钮已失效，请重新打开菜单。';

/**
 * The one refusal policy of card actions: a UserError rolls back everything the event wrote and queued,
 * then the answer (an error toast plus what `onRefused` redraws) is drawn in a fresh transaction.
 * Any other error propagates and fails the whole event.
 */
function cardDispatch(decl: CardActionDecl): CardRun {
  return async (ctx, input) => {
    let parsed = false;
    try {
      if (!mayUse(ctx.actor, decl.roles)) throw new UserError((await decl.refusalFor?.(ctx, input)) ?? (await refusalForWho(ctx, decl.roles)));
      const value = decl.value.safeParse(input.value);
      if (!value.success) throw new UserError(staleButtonMessage);
      parsed = true;
      const answer = await decl.run(ctx, { ...input, value: { ...input.value, ...value.data } });
      if (decl.privateInGroup && !(answer instanceof ReadAfterCommit) && answer.card && (await inSharedChat(ctx, input))) {
        return cardPrivately(ctx, answer.card.data, decl.privateInGroup, answer.toast);
      }
      if (!(answer instanceof ReadAfterCommit)) return answer;
      // what was done is committed by then: a refusal while reading the answer can only say why the card is not redrawn
      return new ReadAfterCommit(async (db) =>
        answer.read(db).catch((err: unknown) => {
          if (!(err instanceof UserError)) throw err;
          ctx.log.warn({ action: decl.action, reason: withoutContacts(err.message) }, 'answer after commit refused');
          return { toast: toastFor(err) };
        }),
      );
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      ctx.log.info({ action: decl.action, reason: withoutContacts(err.message), field: err.opts.field }, 'card action refused');
      // a refusal for who you are or for a spent button redraws nothing: the card is not theirs to fill; nor does one
      // of a view clicked in a group, whose card is everyone's there (asked in the refusal's own transaction)
      const redraw = parsed ? decl.onRefused : undefined;
      throw new Refusal(err, async (fresh): Promise<CardResponse> => {
        const shared = !!redraw && !!decl.privateInGroup && (await inSharedChat(fresh, input));
        return { toast: await answerToast(err, fresh), ...((!shared && (await redraw?.(err, fresh, input))) || {}) };
      });
    }
  };
}

/**
 * Whether a click came from a group chat (bound now, or ever bound, posted or replied in: isSharedChat), not from the
 * clicker's p2p chat with the bot: its cards are one card for everyone there, a group unbound since included.
 */
export async function inSharedChat(ctx: HandlerContext, input: { chatId?: string }): Promise<boolean> {
  return !!input.chatId && (await isSharedChat(ctx.tx, input.chatId));
}

/**
 * `card` to the clicker's p2p chat (keyed by the event, so a retried click sends it once); the answer is a toast saying
 * so (`toast`, if given, with that said after it), and the card clicked stays as it is.
 */
export async function cardPrivately(ctx: HandlerContext, card: object, what: string, toast?: CardResponse['toast']): Promise<CardResponse> {
  await ctx.send({ dedupeKey: `private:${ctx.eventId}`, to: { openId: ctx.actor.openId }, card });
  const said = `${what}已私信发给你`;
  return { toast: toast ? { ...toast, content: `${toast.content}（${said}）` } : { type: 'info', content: said } };
}

/** The same policy for a text command: a UserError rolls back and is answered as a text message. */
export function commandDispatch(run: CommandRun): CommandRun {
  return async (ctx, msg, argument, how) => {
    try {
      return await run(ctx, msg, argument, how);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      throw new Refusal(err, async (fresh) => {
        await fresh.send({ dedupeKey: `refused:${fresh.eventId}`, to: replyDestination(fresh, msg), text: err.message });
      });
    }
  };
}

function checkDeclaration(def: CardActionDecl): void {
  const where = `card action ${String(def?.action)}`;
  if (typeof def?.action !== 'string' || !def.action) throw new Error('a card action needs its verb (action)');
  if (!Array.isArray(def.roles) || def.roles.length === 0) throw new Error(`${where}: declare who may use it (roles)`);
  for (const r of def.roles) {
    const ok = typeof r === 'string' ? personas.includes(r as Persona) : !!r && personas.includes(r.persona) && !!r.key && !!r.who && typeof r.checkedBy === 'function';
    if (!ok) throw new Error(`${where}: unknown role ${JSON.stringify(r)}`);
  }
  if (typeof (def.value as { safeParse?: unknown } | undefined)?.safeParse !== 'function') throw new Error(`${where}: declare its value as a zod schema (value)`);
  if (typeof def.run !== 'function') throw new Error(`${where}: needs run`);
  if (def.onRefused !== undefined && typeof def.onRefused !== 'function') throw new Error(`${where}: onRefused must be a function`);
  if (def.privateInGroup !== undefined && (typeof def.privateInGroup !== 'string' || !def.privateInGroup)) throw new Error(`${where}: privateInGroup names what is sent (协会管理卡片)`);
  // a fast path answers by itself, past the check that sends the view privately
  if (def.privateInGroup && def.fast) throw new Error(`${where}: a view sent privately from a bound group has no fast path`);
}

/**
 * What a phone's keyboard ends a line with, in either width: 帮助。 进度？ 绑定通知 专家. 进度…… 帮助， 进度；
 * 帮助、 help, 帮助： status: — the invisible characters pasted with a line (zero-width space, word joiner, BOM) —
 * and an emoji (帮助🙏, with its skin tone, variation selector or joiner), with the spaces between them.
 */
const STOP = String.raw`[\s.。!！?？~～…，,；;、:：\u200b\u2060\ufeff\u200d\ufe0f\u20e3\u{1f3fb}-\u{1f3ff}]|\p{Extended_Pictographic}`;
const TRAILING_STOPS = trailingRun(STOP);

/**
 * The same, an emoji picked from Feishu's panel, which a text message carries as its name in brackets (帮助[微笑],
 * help[OK]), and one typed in letters (apply :), 进度 ^_^): stripped after a command's name and a keyword argument, not
 * after a name searched as typed (投诉 某班[东区]).
 */
const NOISE = String.raw`${STOP}|\[[^[\]\s]{1,8}\]|[:;：；]-?[)）(（dDpP]|\^_*\^`;
const TRAILING_NOISE = trailingRun(NOISE);

/** A text of stops alone (“@助手 。”): nothing said, as a bare mention. */
export const onlyStops = (text: string): boolean => /^[\s.。!！?？~～…，,；;、:：\u200b\u2060\ufeff]*$/.test(text);

/**
 * The words a request is wrapped in, typed or said to a phone: 查看进度, 查一下进度, 看下投诉, 我要投诉 市政养护一班,
 * 请帮我注册一下, 请给我帮助, please help, I want to apply, I'd like to register, can you help me register, file a
 * complaint, list complaints, and a greeting first (你好，进度, hi bot, status, Good morning, status). Only in front of a
 * command's name; what follows it is matched as ever. show my team keeps its `my`: `my team` is a name of 进度, as
 * 我的班组 is the label of its button; what is my status keeps it too (`my status`).
 */
const COURTESY_BEFORE =
  /^(?:(?:(?:你好|您好|早上好|上午好|下午好|晚上好|(?:hi|hello|hey|good\s+(?:morning|afternoon|evening))\b)(?:[\s,，]*(?:机器人|小助手|助手|老师|\bbot\b))?[!！.。~～]?|请问|请|麻烦你?|帮我|给我|我要|我想要?|我需要|查看|查询|看看|[查看]一?下|打开|please|pls|i\s+(?:want|would\s+like|need)\s+to|i(?:'|’)?d\s+like\s+to|(?:can|could|would)\s+you(?:\s+please)?(?:\s+help\s+me)?(?:\s+to)?(?=\s)|help\s+me(?:\s+to)?(?=\s)|(?:file|make|lodge|submit|raise)\s+an?(?=\s+complaint\b)|what(?:'|’)?s\s+(?=(?:my|our)\s)|what\s+is\s+(?=(?:my|our)\s)|let\s+me|(?:show|list|view)(?:\s+me)?(?:\s+my(?!\s+team\b))?|check(?:\s+my(?!\s+team\b))?)(?:一下)?[\s,，]*)+/;
/** …and after it: 注册一下, 进度吧, status pls, and whom it is said to (你好，机器人, 您好，请问, hello bot). */
const REQUEST_WORDS = String.raw`一下|吧|啦|呀|please|\bpls|\bplz`;
// the separators read from the first of a run only: from each of them, a long run of spaces inside a message was read to its end again
const COURTESY_AFTER = new RegExp(String.raw`(?:${REQUEST_WORDS}|(?<![\s,，、])[\s,，、]*(?:老师|机器人|小助手|助手|请问|\bbot))$`);
/**
 * Those words run together with what ends a line (一下吧, 一下[微笑], please 🙏), read in lower case: all that follows a
 * command taking an argument (投诉一下吧, 我要投诉一下[微笑], apply please), they are no team and no year.
 */
const TRAILING_REQUEST = trailingRun(`${REQUEST_WORDS}|${NOISE}`);

/** A text without the request words and noise it ends with (投诉一下吧 → 投诉); empty when it is nothing else. */
function withoutRequest(t: string): string {
  const run = TRAILING_REQUEST.exec(simplified(halfWidth(t)).toLowerCase())?.[0].length ?? 0;
  return t.slice(0, t.length - run).trim();
}

/** Longest text read as one command's two names typed together (`条款 16 / article 16`); anything longer is a question. */
const NAMES_TOGETHER_MAX = 40;
/** Between a command's two names: a slash, a comma or spaces (`进度` / `status`, help 帮助), or a bracket opened (“进度”（status）). */
const BETWEEN_NAMES = /\s*[/／,，、|]\s*|\s*[(（]\s*|\s+/g;

/** The pairs the bot's cards print a command in (发送“进度”, the 帮助 card's `进度`), copied with it from a phone: “进度”, 【进度】, "status". */
const QUOTE_PAIRS: readonly (readonly [string, string])[] = [
  ['`', '`'], ['“', '”'], ['"', '"'], ['＂', '＂'], ['‘', '’'], ["'", "'"], ['＇', '＇'], ['「', '」'], ['『', '』'], ['【', '】'], ['〔', '〕'],
];

/** A command without one pair of quotes around the whole of it and without a leading slash or bang: /status, ／注册, !help, “进度”。 */
function unquoted(t: string): string {
  let s = t.replace(TRAILING_STOPS, '').trim();
  const pair = QUOTE_PAIRS.find(([open, close]) => s.length > open.length + close.length && s.startsWith(open) && s.endsWith(close));
  if (pair) s = s.slice(pair[0].length, s.length - pair[1].length).trim();
  // /help as a slash command; !help and #help as other chat apps' bots are called
  return s.replace(/^[/／!！#＃]\s*/, '');
}

/** What may open a keyword argument besides a space or a colon: a comma or 、, a dash, an opening bracket (read in half width). */
const KEYWORD_OPENING = /^[,，、\-－—–(（【〔]/;
/** The brackets a keyword may be typed in: 绑定通知（专家）, 条款【16】 (in half width, （ is already ( ). */
const KEYWORD_BRACKETS: Readonly<Record<string, string>> = { '(': ')', '（': '）', '【': '】', '〔': '〕' };

/**
 * A keyword argument as typed after the command's name: the space, colon, comma or dash before it left out, and a
 * bracket opened before it with the one closing it: ` 专家。` `，专家` `-16` `——16` `（专家）` are 专家, 专家, 16, 16, 专家.
 */
function keywordArgument(rest: string): string {
  const s = rest.replace(/^[\s:：,，、\-－—–]+/, '');
  const open = s[0];
  const close = open === undefined ? undefined : KEYWORD_BRACKETS[open];
  if (close === undefined) return s.replace(TRAILING_NOISE, '').trim();
  const inner = s.slice(1).replace(TRAILING_NOISE, '').trim();
  return (inner.endsWith(close) ? inner.slice(0, -close.length) : inner).trim();
}

/** What a text that is no command was most likely meant as (BotRegistry.nearestCommand). */
export interface CommandSuggestion {
  /** The command to send, Chinese then English, with the argument typed (`条款 16`, `article 16`). */
  command?: readonly [string, string];
  /** The caller's menu button that does it, or whose label the text is (形式审查 has no command). */
  entry?: MenuEntry;
  /** The text is the button's label exactly. */
  exact: boolean;
}

/** What the bot's features register into; the event processor reads it. */
/** A text this short, spaces left out (and not three times as long with them), may be a command's name typed with spaces inside it (帮　助). */
const FOLDED_MAX = 8;

export class BotRegistry {
  readonly #commands: CommandDef[] = [];
  readonly #actions = new Map<string, CardActionDef>();
  readonly events = new Map<string, EventDef>();
  readonly menu: MenuEntry[] = [];
  fallback?: CommandDef['run'];
  /** A file sent to the bot; when it returns false the message is treated as any other non-text one. */
  file?: (ctx: HandlerContext, msg: IncomingText, file: IncomingFile) => Promise<boolean>;

  /** The commands as registered, each already under the refusal policy. */
  get commands(): readonly CommandDef[] {
    return Object.freeze([...this.#commands]);
  }

  command(def: CommandDef): this {
    this.#commands.push({ ...def, run: commandDispatch(def.run) });
    return this;
  }

  /** Declares a card action; the registry checks roles, parses the value and applies the refusal policy. */
  cardAction<V extends Record<string, unknown>>(decl: CardActionDecl<V>): this {
    checkDeclaration(decl as CardActionDecl);
    if (this.#actions.has(decl.action)) throw new Error(`card action ${decl.action} registered twice`);
    const def = Object.freeze({ ...(decl as CardActionDecl), roles: Object.freeze([...decl.roles]), dispatch: cardDispatch(decl as CardActionDecl) });
    this.#actions.set(decl.action, def);
    return this;
  }

  /** The registered action of a verb, or undefined. */
  action(verb: string): CardActionDef | undefined {
    return this.#actions.get(verb);
  }

  /** Every registered card action, in registration order. */
  get actions(): ReadonlyMap<string, CardActionDef> {
    return new Map(this.#actions);
  }

  event(def: EventDef): this {
    this.events.set(def.eventType, def);
    return this;
  }

  menuEntry(entry: MenuEntry): this {
    this.menu.push(entry);
    return this;
  }

  /** Finds the command a text starts with: `帮助`, `help`, `条款 16`, `article16`, `进度 / status`. */
  matchCommand(text: string): { def: CommandDef; argument: string; glued?: boolean } | undefined {
    const found = this.#matchTyped(text);
    if (!found?.argument || withoutRequest(found.argument)) return found;
    // 投诉一下 is 投诉, not a complaint about a team named 一下 (which found none and went to the measures)
    const core = withoutRequest(text.trim());
    return (core && this.#matchTyped(core)) || found;
  }

  #matchTyped(text: string): { def: CommandDef; argument: string; glued?: boolean } | undefined {
    const match = this.#matchNames(text.trim()) ?? this.#matchCommand(text.trim());
    if (match) return match;
    // “进度” and /status as copied from a card or typed out of habit; a word that is not a command stays what it was
    const plain = unquoted(text.trim());
    if (plain && plain !== text.trim()) {
      const inside = this.matchCommand(plain);
      if (inside) return inside;
    }
    // 查看进度 is 进度 and 我要投诉 市政养护一班 is 投诉 市政养护一班; 我要申报需要什么条件 stays a question (申报 takes nothing)
    const t = text.trim();
    const before = COURTESY_BEFORE.exec(simplified(halfWidth(t)).toLowerCase())?.[0] ?? '';
    const prefix = before.length;
    // 请问一下 is courtesy words only: 请问 (a greeting) and 一下, not nothing
    const inner = t.slice(prefix) || t;
    // show my tasks: the `my` left out by show is the name's own when what follows is no command (`my tasks`)
    const mySpan = /\bmy\s+$/.exec(before)?.[0].length ?? 0;
    const my = mySpan ? t.slice(prefix - mySpan, prefix) : '';
    if (prefix) {
      const unwrapped = this.#matchCommand(inner) ?? (unquoted(inner) ? this.#matchCommand(unquoted(inner)) : undefined);
      if (unwrapped) return unwrapped;
      const mine = my ? this.#matchCommand(my + inner) : undefined;
      if (mine) return mine;
    }
    // 注册一下, 请帮我看看进度吧, 申报一下吧; show my tasks please with its my as above
    const bare = inner.replace(TRAILING_STOPS, '').trim();
    const requested = withoutRequest(bare);
    const core = requested !== bare ? requested : bare.slice(0, bare.length - (COURTESY_AFTER.exec(simplified(halfWidth(bare)).toLowerCase())?.[0].length ?? 0)).trim();
    const unwrapped = core && core !== bare ? (this.#matchCommand(core) ?? (my ? this.#matchCommand(my + core) : undefined)) : undefined;
    if (unwrapped) return unwrapped;
    // 帮　助, 进 度: a short command's name typed with spaces between its characters (an argument is never folded in)
    if (t.length > FOLDED_MAX * 3) return undefined;
    const folded = t.replace(/(?<=\p{Script=Han})\s+(?=\p{Script=Han})/gu, '');
    if (folded === t || [...folded].length > FOLDED_MAX) return undefined;
    const named = this.#matchCommand(folded);
    return named && !named.argument ? named : undefined;
  }

  /**
   * A text of one command's two names alone, as the 帮助 card prints them (`进度` / `status`) or the hints do
   * (“进度”（status）), or typed both to be sure (help 帮助, status 进度): that command, with the same argument in both
   * (`条款 16 / article 16`). Read before a name's argument, so `投诉 complain` is 投诉, not a complaint about a team
   * named complain.
   */
  #matchNames(text: string): { def: CommandDef; argument: string } | undefined {
    const t = text.replace(TRAILING_STOPS, '').trim();
    if (t.length > NAMES_TOGETHER_MAX) return undefined;
    const name = (s: string) => {
      const m = this.#matchCommand(s) ?? (unquoted(s) ? this.#matchCommand(unquoted(s)) : undefined);
      return m && !m.glued ? m : undefined;
    };
    const same = (a: string, b: string) => halfWidth(a).toLowerCase() === halfWidth(b).toLowerCase();
    for (const between of t.matchAll(BETWEEN_NAMES)) {
      const left = t.slice(0, between.index);
      let right = t.slice(between.index + between[0].length);
      // “进度”（status）: the second in brackets, closed at the end
      if (/[(（]/.test(between[0])) {
        if (!/[)）]$/.test(right)) continue;
        right = right.slice(0, -1).trim();
      }
      const first = left && right ? name(left) : undefined;
      const second = first && name(right);
      if (first && second && first.def === second.def && same(first.argument, second.argument)) return first;
    }
    return undefined;
  }

  #matchCommand(t: string): { def: CommandDef; argument: string; glued?: boolean } | undefined {
    // ＨＥＬＰ and 条款１６ as typed in full width read as help and 条款16; one unit for one, so the argument is sliced as typed
    // 註冊 and 條款 16 as typed in traditional characters read as 注册 and 条款 16, one character for one too
    const lower = simplified(halfWidth(t)).toLowerCase();
    // a phone's keyboard often ends the line: 帮助。 and 进度？ are still the commands (a bare ？ stays the menu's alias)
    // 注册 。 with a space before the stop is 注册 too
    const bare = lower.replace(TRAILING_NOISE, '').trim() || lower;
    // a name typed whole before any name with an argument: `edit team details` is that name, not `edit team` of `details`
    for (const def of this.#commands) {
      if (def.names.some((name) => bare === name.toLowerCase() || lower === name.toLowerCase())) return { def, argument: '' };
    }
    for (const def of this.#commands) {
      for (const name of def.names) {
        const n = name.toLowerCase();
        // register my team, 注册新班组: what the command acts on, after its name
        if (def.objects && bare.startsWith(n)) {
          const after = bare.slice(n.length);
          if ((!/^[a-z]/.test(n) || /^\s/.test(after)) && def.objects.test(after.trim())) return { def, argument: '' };
        }
        if (def.takesArgument && lower.startsWith(n)) {
          // a keyword in half width (绑定通知 ｅｘｐｅｒｔ．), anything else as typed
          const rest = def.argument === 'keyword' ? halfWidth(t.slice(n.length)) : t.slice(n.length);
          const after = lower.slice(n.length);
          // 绑定通知，专家, bind,experts, 条款-16, 绑定通知（专家）: a comma, a dash or a bracket before a keyword, as a phone types it
          if (def.argument === 'keyword' && (/^[\s\d:：]/.test(after) || KEYWORD_OPENING.test(after))) return { def, argument: keywordArgument(rest) };
          // 绑定通知 专家。 is 绑定通知 专家
          if (/^[\s\d:：]/.test(after)) return { def, argument: rest.replace(/^[\s:：]+/, '').replace(TRAILING_STOPS, '').trim() };
          // Complain，广州养护一班: a comma after an English name, as after a Chinese one below
          if (def.glued && /^[,，、]/.test(after)) {
            const argument = rest.replace(/^[,，、\s]+/, '').replace(TRAILING_STOPS, '').trim();
            if (argument) return { def, argument, glued: true };
          }
        }
      }
    }
    // 投诉市政养护一班: a Chinese name and its argument with no space between, for a command that reads it so
    // (投诉，市政养护一班 too: the comma is no part of the name, and the command still declines what names no team)
    for (const def of this.#commands) {
      if (!def.glued || !def.takesArgument) continue;
      const n = def.names.find((name) => !/^[\x00-\x7f]+$/.test(name) && simplified(t).startsWith(name));
      const rest = n === undefined ? '' : t.slice(n.length).replace(/^[,，、]+/, '').replace(TRAILING_STOPS, '').trim();
      if (rest) return { def, argument: rest, glued: true };
    }
    return undefined;
  }

  /**
   * What a short text that is no command was meant to be, for this caller: a button of their menu named exactly
   * (我的班组, 形式审查), else the command it is a slip for (regster, 进渡, artcle 16; one offered by a menu only to
   * others is not named: 管理 to a visitor), else a button whose label it is a slip for. Undefined for anything longer
   * (a question) or near nothing. A command for some roles only (`CommandDef.roles`) is named to them alone.
   */
  nearestCommand(text: string, roles: readonly Role[]): CommandSuggestion | undefined {
    const read = (s: string) => simplified(halfWidth(unquoted(s.trim())).toLowerCase()).replace(TRAILING_NOISE, '').replace(/\s+/g, ' ').trim();
    const t = read(text);
    if (!t || [...t].length > SLIP_MAX_LENGTH) return undefined;
    const mine = this.menuFor(roles);
    const exact = mine.find((e) => read(e.label) === t);
    if (exact) return { entry: exact, command: exact.command, exact: true };
    const commandOf = (e: MenuEntry) => e.command?.[0].split(' ')[0];
    const offered = new Set(mine.map(commandOf));
    const { head, rest } = headAndRest(t);
    let best: { def: CommandDef; distance: number } | undefined;
    let tied = false;
    for (const def of this.#commands) {
      const [zhName] = def.names;
      if (rest && !def.takesArgument) continue;
      if (this.menu.some((e) => commandOf(e) === zhName) && !offered.has(zhName)) continue;
      if (def.roles && !def.roles.some((r) => roles.includes(r))) continue;
      const shown = [zhName, def.names.find((n) => /^[a-z]/.test(n))].filter((n): n is string => !!n);
      const distance = Math.min(...shown.map((n) => slipDistance(head, n.toLowerCase()) ?? Infinity));
      if (distance === Infinity) continue;
      if (!best || distance < best.distance) [best, tied] = [{ def, distance }, false];
      // one command registered twice (申报 and 申报 2027, 导出 and its sheets) is the same command, no tie
      else if (distance === best.distance && def.names[0] !== best.def.names[0]) tied = true;
    }
    if (best && !tied) {
      const [zhName] = best.def.names;
      const enName = best.def.names.find((n) => /^[a-z]/.test(n)) ?? zhName;
      const entry = mine.find((e) => commandOf(e) === zhName);
      const command: readonly [string, string] = rest ? [`${zhName} ${rest}`, `${enName} ${rest}`] : (entry?.command ?? [zhName, enName]);
      return { command, ...(entry && !rest ? { entry } : {}), exact: false };
    }
    const near = mine.find((e) => slipDistance(t, read(e.label)) !== undefined);
    return near && { entry: near, command: near.command, exact: false };
  }

  menuFor(roles: readonly Role[]): MenuEntry[] {
    return this.menu
      .filter((m) => m.roles.length === 0 || m.roles.some((r) => roles.includes(r)))
      .sort((a, b) => a.order - b.order);
  }
}
