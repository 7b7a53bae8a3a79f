import { createHash } from 'node:crypto';
import { and, asc, desc, eq, gt, inArray, lte, or, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { chatBindings, complaints, outbox, people, teams } from '../db/schema.js';
import { type Clock, dbClockIn, systemClock } from './clock.js';
import { contactSpans, errorText, type Logger } from './log.js';
import { metrics } from './metrics.js';
import { OutageLog } from './reachability.js';
import { storable } from './storable.js';
import { type AssociationContact, withContact, withContactInCard } from '../cards/contact.js';
import { DRAFT_INPUT_ID } from '../cards/forms.js';
import { escapeText } from '../cards/kit.js';
import { type ContactSeen, contactDlpMayRefuse, contactOf } from './associationContact.js';
import { associationContactRead } from './people.js';

/**
 * Where a message goes: a user, a chat, a reply to a message, or an in-place update of a sent card. A reply in someone's
 * p2p chat with the bot names them (`p2pOpenId`): Feishu's 5 messages a second are per user, whether a message reaches
 * them by their open_id or in that chat (https://open.feishu.cn/document/server-docs/im-v1/message/create).
 */
export type Destination =
  | { openId: string }
  | { chatId: string }
  | { replyTo: string; chatId: string; p2pOpenId?: string }
  | { updateMessage: string };

/** Bytes made only when the message is sent (slow work such as drawing certificates stays out of the callback). */
export type AttachmentSpec = { kind: string } & Record<string, unknown>;

/**
 * What an attachment renderer makes of one spec, as the transport is about to upload it: the bytes; or
 * `drop` when the file must no longer go out (a certificate whose title was revoked): nothing is uploaded
 * or sent and the row ends `dropped`, as a card's does (`RenderedCard`). A renderer that throws is a failed send.
 */
export type RenderedAttachment = { bytes: Buffer } | { drop: string };

/** A file message: the bytes travel in the outbox row (base64), or are rendered from `render` when it is sent. */
export interface OutgoingFile {
  fileName: string;
  fileType: 'xls' | 'pdf' | 'doc' | 'ppt' | 'stream';
  base64?: string;
  render?: AttachmentSpec;
}

/** An image message (PNG, at most 10 MB), uploaded to im/v1/images when it is sent. */
export interface OutgoingImage {
  base64?: string;
  render?: AttachmentSpec;
}

/**
 * A card drawn only when it is sent, from the state at that moment: the row holds this small description
 * (`{ kind: 'reviewTask', assignmentId }`) and the dispatcher asks the renderer registered for its kind.
 */
export type CardSpec = { kind: string } & Record<string, unknown>;

/**
 * What a renderer makes of one spec: the card to send; `drop` when the message no longer matters (the row
 * ends `dropped`, nothing is sent); `error` when it cannot be drawn now (a failed send: backoff, then dead letter).
 */
export type RenderedCard = { card: object } | { drop: string } | { error: string };

/**
 * Draws the specs of one kind claimed together (one read for the batch): one result per spec, in order. A throw fails each.
 * `rows` are the claimed rows the specs came from, in the same order (the dispatcher always gives them).
 */
export type CardRenderer = (specs: CardSpec[], rows?: readonly OutboxRow[]) => Promise<RenderedCard[]>;

/** The renderers by spec kind, given to the dispatcher by the composition root. */
export type CardRenderers = Readonly<Record<string, CardRenderer>>;

/** Whom a card to a group answers (OutgoingMessage.asked). */
export interface Asked {
  openId: string;
  said?: string;
  render?: CardSpec;
}

export interface OutgoingMessage {
  /** Unique per intended delivery: the same key twice is sent once. */
  dedupeKey: string;
  to: Destination;
  card?: object;
  /** A card drawn when it is sent (see `CardSpec`), instead of `card`. */
  render?: CardSpec;
  text?: string;
  file?: OutgoingFile;
  /** `interactive` answers what a user just did and is sent before any `bulk` notification (the default). */
  priority?: 'interactive' | 'bulk';
  image?: OutgoingImage;
  /** Kept back (status `held`) until this moment of the bot's clock, so the card can still grow (a batch of alerts). */
  holdUntil?: Date;
  /**
   * A card to a group that answers someone: who (`openId`) and what they sent (`said`), so that where the group takes no
   * cards (a 互通群, 230054) the card still reaches them privately and the group is told why in text (cardsRefusedFallback);
   * `render`, what goes to them privately instead of the group's card (their own menu for the group's 帮助).
   */
  asked?: Asked;
  /**
   * The dedupe key of a message to the same receiver that must reach them first (the result card before the certificate
   * it names): this one waits (status `waiting`, never claimed) until that one is sent, dropped, dead or undeliverable (or deleted unsent),
   * so the order holds though a batch is sent at once and across replicas. It then goes whatever became of that one
   * (a certificate whose card could not be sent is still the title's): it is a message of its own, and its renderer
   * says whether it still matters. Queued after a message already finished, or never queued, it goes at once.
   */
  after?: string;
}

/** Queues a message in the caller's transaction; false when the key was queued before. */
export async function enqueue(tx: Db, message: OutgoingMessage): Promise<boolean> {
  return (await enqueueMany(tx, [message])) > 0;
}

/**
 * Queues a message in the caller's transaction without asking whether its key was new (a key queued
 * before is left as it was): the insert returns nothing, so on a pipelined transaction it waits for
 * no answer and shares the next statement's round trip.
 */
export async function enqueueQuietly(tx: Db, message: OutgoingMessage): Promise<void> {
  if (message.after) return void (await enqueueMany(tx, [message]));
  if ('openId' in message.to && message.to.openId.startsWith('pending:')) return;
  await tx.insert(outbox).values(outboxRow(message)).onConflictDoNothing({ target: outbox.dedupeKey });
  metrics.outboxEnqueued.inc();
}

/** Queues many messages in one statement per 200; how many were new. */
export async function enqueueMany(tx: Db, messages: OutgoingMessage[]): Promise<number> {
  // an imported person not yet linked to a Feishu account has no open_id to send to
  const rows = messages.filter((m) => !('openId' in m.to && m.to.openId.startsWith('pending:'))).map(outboxRow);
  let added = 0;
  for (let i = 0; i < rows.length; i += 200) {
    const inserted = await tx.insert(outbox).values(rows.slice(i, i + 200)).onConflictDoNothing({ target: outbox.dedupeKey }).returning({ id: outbox.id });
    added += inserted.length;
  }
  await releaseFollowersOfFinished(tx, rows.filter((r) => r.afterKey));
  if (added) metrics.outboxEnqueued.inc(added);
  return added;
}

/**
 * Rows just queued behind another message (`OutgoingMessage.after`) whose message has already finished (or was never
 * queued) are handed to the dispatcher at once. The messages they follow are locked (for share) as they are read: one
 * being marked sent meanwhile waits for this transaction, and the release that comes with it (the outbox trigger
 * `outbox_release_followers`) then sees these rows.
 */
async function releaseFollowersOfFinished(tx: Db, rows: { dedupeKey: string; afterKey?: string | null }[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    await tx.execute(sql`
      with earlier as (select dedupe_key, status from outbox where dedupe_key in ${[...new Set(chunk.map((r) => r.afterKey!))]} for share)
      update outbox set status = 'pending' where status = 'waiting' and dedupe_key in ${chunk.map((r) => r.dedupeKey)}
        and not exists (select 1 from earlier where earlier.dedupe_key = outbox.after_key and earlier.status in ('held', 'pending', 'sending', 'waiting'))`);
  }
}

function outboxRow(message: OutgoingMessage) {
  const { kind, receiveIdType, receiver, rateKey } = routeOf(message.to);
  const msgType = message.file ? 'file' : message.image ? 'image' : message.card || message.render ? 'interactive' : 'text';
  const body = message.file ?? message.image ?? message.card ?? (message.render ? { render: message.render } : { text: message.text ?? '' });
  const priority = message.priority === 'interactive' ? 0 : 1;
  // a message queued behind another waits for it (releaseFollowersOfFinished, the trigger outbox_release_followers)
  const held = message.holdUntil ? { status: 'held', nextAttemptAt: message.holdUntil } : { nextAttemptAt: new Date(), ...(message.after ? { status: 'waiting' } : {}) };
  // a card holding half of a character (a text cut inside an emoji) or a NUL would fail the json column, and with it the
  // whole transaction (an event, a job's run): stored with U+FFFD in its place instead
  const asked = message.asked && msgType === 'interactive' ? { asked: storable(message.asked) } : {};
  const after = message.after ? { afterKey: message.after } : {};
  return { dedupeKey: message.dedupeKey, kind, receiveIdType, receiver, rateKey, msgType, priority, card: storable(body), ...held, ...asked, ...after };
}

/** How long a second press of a button that sends the clicker a message (私信菜单, 下载导入模板) sends nothing new: a double tap, a press again while it arrives. */
export const RESEND_AFTER_MS = 10_000;

/**
 * The keys of such a message at `now`: this period's, which a press queues, and the one before, which it looks for
 * too (queuedBefore), so that any press within RESEND_AFTER_MS of one queued is told to look above. `prefix` names the
 * message and whom it goes to (help:private:<open_id>).
 */
export function resendKeys(prefix: string, now: Date): { key: string; previous: string } {
  const period = Math.floor(now.getTime() / RESEND_AFTER_MS);
  return { key: `${prefix}:${period}`, previous: `${prefix}:${period - 1}` };
}

/** Whether a message of this key is in the outbox (queued, sent or given up; until the rows are cleared). */
export async function queuedBefore(tx: Db, dedupeKey: string): Promise<boolean> {
  const [row] = await tx.select({ id: outbox.id }).from(outbox).where(eq(outbox.dedupeKey, dedupeKey)).limit(1);
  return Boolean(row);
}

/** The held row with this key, locked until the caller's transaction ends; undefined once released. */
export async function lockHeld(tx: Db, dedupeKey: string): Promise<OutboxRow | undefined> {
  const [row] = await tx.select().from(outbox).where(and(eq(outbox.dedupeKey, dedupeKey), eq(outbox.status, 'held'))).for('update');
  return row;
}

/**
 * The newest of the rows with these keys still waiting for its first attempt (pending, never tried), locked until the
 * caller's transaction ends, so what it sends can still be decided there. A dispatcher claiming it meanwhile skips it
 * (`skip locked`); one that claimed it first is waited for, and the row, then `sending`, is no longer returned.
 * Found by exact key (the unique index), never by a scan.
 */
export async function lockWaiting(tx: Db, dedupeKeys: string[]): Promise<OutboxRow | undefined> {
  if (!dedupeKeys.length) return undefined;
  const rows = await tx
    .select()
    .from(outbox)
    .where(and(inArray(outbox.dedupeKey, dedupeKeys), eq(outbox.status, 'pending'), eq(outbox.attempts, 0)))
    .orderBy(desc(outbox.id))
    .for('update');
  return rows[0];
}

/** Drops the rows with these keys still waiting for the dispatcher (pending: one already claimed goes on); how many. */
export async function dropWaiting(db: Db, dedupeKeys: string[], reason: string): Promise<number> {
  if (!dedupeKeys.length) return 0;
  const dropped = await db
    .update(outbox)
    .set({ status: 'dropped', lastError: reason })
    .where(and(inArray(outbox.dedupeKey, dedupeKeys), eq(outbox.status, 'pending')))
    .returning({ id: outbox.id });
  return dropped.length;
}

/** Replaces the card of a row still held (the caller holds its lock). */
export async function replaceHeldCard(tx: Db, id: number, card: object): Promise<void> {
  await tx.update(outbox).set({ card }).where(and(eq(outbox.id, id), eq(outbox.status, 'held')));
}

/**
 * Hands rows whose hold has ended by the bot's clock to the dispatcher; their next_attempt_at becomes the
 * database's time, the frame every other row is claimed in.
 */
export async function releaseHeld(db: Db, now: Date): Promise<number> {
  const released = await db
    .update(outbox)
    .set({ status: 'pending', nextAttemptAt: dbClockIn(0) })
    .where(and(eq(outbox.status, 'held'), lte(outbox.nextAttemptAt, now)))
    .returning({ id: outbox.id });
  return released.length;
}

function routeOf(to: Destination) {
  if ('updateMessage' in to) return { kind: 'update', receiveIdType: 'message_id', receiver: to.updateMessage, rateKey: to.updateMessage };
  // one person is one budget: a reply in their p2p chat counts with what is sent to their open_id
  if ('replyTo' in to) return { kind: 'reply', receiveIdType: 'message_id', receiver: to.replyTo, rateKey: to.p2pOpenId ?? to.chatId };
  if ('chatId' in to) return { kind: 'send', receiveIdType: 'chat_id', receiver: to.chatId, rateKey: to.chatId };
  return { kind: 'send', receiveIdType: 'open_id', receiver: to.openId, rateKey: to.openId };
}

export type OutboxRow = typeof outbox.$inferSelect;

/** The spec of a card row drawn at send time (a card JSON 2.0 has no top-level `render`), else undefined. */
export function cardSpecOf(row: Pick<OutboxRow, 'msgType' | 'card'>): CardSpec | undefined {
  if (row.msgType !== 'interactive') return undefined;
  const spec = (row.card as { render?: unknown } | null)?.render;
  return spec && typeof spec === 'object' && typeof (spec as CardSpec).kind === 'string' ? (spec as CardSpec) : undefined;
}

/** The message a row holds, as it was queued (its card, spec, text or attachment, and its priority): to queue it again to someone else. */
export function messageOf(row: Pick<OutboxRow, 'msgType' | 'card' | 'priority'>): Omit<OutgoingMessage, 'dedupeKey' | 'to'> {
  const priority = row.priority === 0 ? 'interactive' : 'bulk';
  if (row.msgType === 'file') return { file: row.card as OutgoingFile, priority };
  if (row.msgType === 'image') return { image: row.card as OutgoingImage, priority };
  if (row.msgType === 'text') return { text: (row.card as { text?: string }).text ?? '', priority };
  const spec = cardSpecOf(row);
  return spec ? { render: spec, priority } : { card: row.card as object, priority };
}

/**
 * What the transport reports for one attempt; `drop`: nothing was sent, the message no longer matters (see `RenderedAttachment`).
 * `chatGone`: the receiving chat is gone for the bot (disbanded, not found, the bot removed), so nothing will reach it again.
 * `mayPassInChat`: undeliverable to a person, but to a chat perhaps only for a while (a muted group): tried again later.
 * `cardLocked`: the card updated is being interacted with (a click not answered yet): tried again `cardLockedRetryMs` later.
 */
export type SendOutcome =
  | { ok: true; messageId?: string }
  | {
      ok: false;
      retryable: boolean;
      undeliverable: boolean;
      error: string;
      retryAfterMs?: number;
      chatGone?: boolean;
      appWide?: boolean;
      mayPassInChat?: boolean;
      /** The person is out of the bot's reach: outside the app's 可用范围 (230013), resigned (230029), the bot stopped by them (230053). */
      unreachablePerson?: UnreachablePerson;
      outage?: Outage;
      cardLocked?: boolean;
      /**
       * The tenant's data-loss prevention refused the content (230028): sent again once without the association's contact
       * and the phone numbers and e-mails users typed (`dlpVersion`).
       */
      dlpRefused?: boolean;
      /** The open_id is another app's (99992361 open_id cross app): nothing sent to it arrives. */
      foreignOpenId?: boolean;
    }
  | { ok: false; drop: string };

/**
 * A failure that is the app's, not the row's (`SendOutcome.outage`, always with `appWide`): `network` when no answer came
 * (connection refused or reset, a timeout, DNS), `credentials` when the token endpoint refused LARK_APP_ID /
 * LARK_APP_SECRET (10014 app secret invalid), `bot` when the app's 机器人 ability is off (230006), `scope` when the app lacks the
 * permission to send messages (99991672 naming im:message). Every send fails alike
 * until it passes, so the dispatcher holds them all.
 */
export type Outage = 'network' | 'credentials' | 'bot' | 'scope';

export interface MessageTransport {
  /** `uuidKey`: what Feishu's uuid is made from (`messageUuid`), the row's dedupe key unless said. */
  deliver(row: OutboxRow, uuidKey?: string): Promise<SendOutcome>;
}

export interface OutboxLimits {
  perApp: number; // messages per second for the app (Feishu: 50/s)
  perReceiver: number; // messages per second per user or chat (Feishu: 5/s)
  perMinute: number; // messages per minute for the app (Feishu: 1000/min)
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  leaseMs: number; // a row claimed but never finished (process died) is claimed again after this
  /**
   * The longest a claimed row's message request can take to reach Feishu: a row still `sending` holds its slot in the
   * per-second budgets this long after its claim, no longer, so the rows of a replica that died mid-send (left
   * `sending` until their lease runs out) stop holding every replica's budget once their requests cannot still arrive.
   */
  inFlightMs: number;
  batch: number;
  /** The first pause of every send when the Open Platform cannot be reached (`Outage`); doubled at each failed probe. */
  outagePauseMs: number;
  /** The longest pause between two probes of an unreachable Open Platform. */
  outagePauseMaxMs: number;
  /**
   * A row still unsent this long after it was queued, because of an outage, is dead-lettered at its next probe; but a
   * card drawn at send time (`CardSpec`), which its renderer drops when it no longer holds (see `holdForOutage`).
   */
  outageMaxAgeMs: number;
  /**
   * How long a card update refused because its card was being interacted with (`cardLocked`) waits before the next try:
   * Feishu locks the card until the click's callback is answered, at most the 3 s it waits for the answer.
   */
  cardLockedRetryMs: number;
}

export const defaultOutboxLimits: OutboxLimits = {
  perApp: 50,
  perReceiver: 5,
  perMinute: 1000,
  maxAttempts: 8,
  baseDelayMs: 1000,
  maxDelayMs: 3_600_000,
  // longer than the longest attempt can take: a token, an upload and the send of 20 s each (SDK_HTTP_TIMEOUT_MS), twice
  // when the token was refused, and the attachment drawn; a row claimed again while its first attempt is still out
  // would be sent twice at once
  leaseMs: 180_000,
  // the request leaves at the latest after a token and an upload of 20 s each (SDK_HTTP_TIMEOUT_MS)
  inFlightMs: 40_000,
  batch: 50,
  outagePauseMs: 1000,
  outagePauseMaxMs: 60_000,
  outageMaxAgeMs: 24 * 3_600_000,
  cardLockedRetryMs: 3_000,
};

/**
 * How long a row to a chat that refused it for want of permission (a muted group, `mayPassInChat`) waits before the next
 * try: with the usual attempts, about four hours in all before it is dead-lettered and the administrators are told.
 */
export const MAY_PASS_RETRY_MS = 30 * 60_000;

/** How the error of a row given up after an outage held it `outageMaxAgeMs` begins (`expiredInOutage`). */
const OUTAGE_EXPIRED = 'not sent within ';

/** Whether a dead letter's error is that of a row given up because the Open Platform stayed out of reach (no code of Feishu's). */
export const expiredInOutage = (error: string): boolean => error.startsWith(OUTAGE_EXPIRED) && error.includes('the Open Platform stayed out of reach');

/** The same as `expiredInOutage`, in SQL, for an error read from the database. */
export const expiredInOutageSql = (error: SQL): SQL => sql`(starts_with(${error}, ${OUTAGE_EXPIRED}) and strpos(${error}, 'the Open Platform stayed out of reach') > 0)`;

/** A message counts against the per-second budgets until this long after Feishu answered it. */
export const RATE_WINDOW_MS = 1000;

/**
 * How far behind the database's now (a CTE `clock` holding `t`) the oldest message counted in the per-second window
 * lies, in ms (negative), or null with none: a slot frees when it leaves the window (`nextClaimInMs`, `drainWait`).
 */
const oldestInWindow = sql`(select extract(epoch from min(greatest(claimed_at, sent_at)) - (select t from clock)) * 1000 from outbox
  where claimed_at > (select t from clock) - interval '1 minute'
    and greatest(claimed_at, sent_at) > (select t from clock) - ${RATE_WINDOW_MS}::float8 * interval '1 millisecond')::float8`;

/** Any number for the advisory lock that serialises claims across replicas, so the rate budget is global. */
const CLAIM_LOCK = 7231_0001;

export interface DeadLetterHook {
  (tx: Db, row: OutboxRow, error: string): Promise<void>;
}

/**
 * Called in the transaction that marks sent a row that went without 协会联系方式 because the tenant's DLP refused it with
 * the contact in it (230028): the administrators are told what to change.
 */
export interface ContactRefusedHook {
  (tx: Db, row: OutboxRow, contact: AssociationContact): Promise<void>;
}

/**
 * Called in the transaction that marks sent a row that went with the phone numbers and e-mails users typed into it
 * withheld (`TYPED_CONTACTS_WITHHELD`) because the tenant's DLP refused it with them (230028).
 */
export interface TypedContactsWithheldHook {
  (tx: Db, row: OutboxRow): Promise<void>;
}

/** Why a person cannot be sent anything (`SendOutcome.unreachablePerson`). */
export type UnreachablePerson = 'outside' | 'resigned' | 'stopped';

/** Called in the transaction that marks a row to a person undeliverable because they are out of the bot's reach. */
export interface PersonUnreachableHook {
  (tx: Db, row: OutboxRow, error: string, why: UnreachablePerson): Promise<void>;
}

/**
 * Called in the transaction that marks a row to a chat (a send to a chat_id, or a reply, which lands in the chat its
 * rate_key names) undeliverable because the chat is gone for the bot (`SendOutcome.chatGone`): what becomes of the
 * chat's bindings and of the message is the composition root's to say.
 */
export interface ChatGoneHook {
  (tx: Db, row: OutboxRow, error: string): Promise<void>;
}

/**
 * Claims due rows and sends them. Claims take a transaction-scoped advisory lock and count what was
 * in flight or answered in the last second (RATE_WINDOW_MS), so every replica together stays under 50/s per app and 5/s per receiver;
 * rows are locked FOR UPDATE SKIP LOCKED and marked `sending` before the lock is released.
 */
export class OutboxDispatcher {
  private readonly limits: OutboxLimits;
  private running = false;
  private wake?: () => void;
  /** A nudge that came while the loop was not waiting: the next wait is skipped. */
  private nudged = false;
  private loop?: Promise<void>;
  /** Sends the loop started and has not seen finish; the loop claims again while they run. */
  private readonly inFlight = new Set<Promise<void>>();
  /** The rows of those sends, as claimed: what a stop hands over (`handOver`) when they are still out. */
  private readonly inFlightRows = new Set<OutboxRow>();
  private pollMs: number;
  /**
   * Feishu's app-wide frequency limit (HTTP 429 / 99991400, https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control)
   * answered with the moment its window reopens: until then every send of this app fails alike, so nothing is claimed.
   */
  private pausedUntil = 0;
  /**
   * The Open Platform out of reach, or refusing the app's credentials (`Outage`): every send is held (`pausedUntil`),
   * then one row is claimed as a probe, with a pause doubled at each failed probe up to `outagePauseMaxMs`. The rows
   * keep their attempts; the first answer of the platform ends it. Logged once as it starts and once as it ends; a
   * network blip that the first probe gets through (a reset keep-alive socket) only at debug.
   */
  private outage?: { kind: Outage; since: number; pauseMs: number; pausedAt: number; probes: number; error: string; logged: boolean };
  /** 协会联系方式 as the claim of a row read it. */
  private readonly contactOfRow = new WeakMap<OutboxRow, AssociationContact | undefined>();
  /** The open_ids of another app already said in the log (99992361), each once a process. */
  private readonly foreignOpenIdsLogged = new Set<string>();
  /** When this process began the claim of a row, by its own clock (the one `pausedAt` is in; claimed_at is the database's). */
  private readonly claimedLocally = new WeakMap<OutboxRow, number>();
  /** `performance.now()` just before the claim's statement read the database's clock (a claim without `at`): see `sentAtOf`. */
  private readonly claimedAtMonotonic = new WeakMap<OutboxRow, number>();

  /** Whether sends are held for an outage, and why: for tests and the health of the process. */
  get outageKind(): Outage | undefined {
    return this.outage?.kind;
  }

  constructor(
    private readonly deps: {
      db: Db;
      transport: MessageTransport;
      log: Logger;
      onDeadLetter?: DeadLetterHook;
      onChatGone?: ChatGoneHook;
      /** A person out of the bot's reach (230013, 230029, 230053): the administrators are told, in the transaction marking the row. */
      onPersonUnreachable?: PersonUnreachableHook;
      limits?: Partial<OutboxLimits>;
      pollMs?: number;
      /** The bot's clock: held rows are released by it, sends are paced by real time. */
      clock?: Clock;
      /** Draw the cards of rows that carry a `CardSpec`, by its kind, just before they are sent. */
      cards?: CardRenderers;
      /** Told the 协会联系方式 each claim reads (shared with the event processor). */
      contact?: ContactSeen;
      /** A row sent without 协会联系方式 after the tenant's DLP refused it with it (230028). */
      onContactRefused?: ContactRefusedHook;
      /** A row sent without the phone numbers and e-mails users typed into it after the tenant's DLP refused it with them (230028). */
      onTypedContactsWithheld?: TypedContactsWithheldHook;
      /** ADMIN_OPEN_IDS, for the error line that names it when one of them is another app's open_id (99992361). */
      adminOpenIds?: readonly string[];
    },
  ) {
    this.limits = { ...defaultOutboxLimits, ...deps.limits };
    this.pollMs = deps.pollMs ?? 1000;
    this.databaseOutage = new OutageLog(deps.log, 'outbox dispatcher');
  }

  /** Claims up to one batch within the rate budget. */
  async claim(at?: Date): Promise<OutboxRow[]> {
    if (Date.now() < this.pausedUntil) return [];
    // one probe at a time while the platform is out of reach: the next waits for its answer (or its timeout)
    if (this.outage && this.inFlight.size > 0) return [];
    const { perApp, perReceiver, perMinute, leaseMs, inFlightMs } = this.limits;
    // while the platform is out of reach one row goes as a probe: a batch would only fail alike
    const batch = this.outage ? 1 : this.limits.batch;
    const claimStarted = Date.now();
    return this.deps.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${CLAIM_LOCK})`);
      // before the claim's statement reads the database's clock, after the wait for a connection and the lock (`sentAtOf`)
      const claimStartedMonotonic = performance.now();
      // Feishu counts a message when its request arrives, some time between our claim and its answer (sent_at):
      // under load that lag varies by up to a second, so a message counts while in flight and for one second after
      // its answer (for the minute: for a minute after its answer). No margin is needed on top, and the loop claims the
      // moment a slot frees (nextClaimInMs). A row still `sending` counts as in flight for `inFlightMs` after its claim:
      // by then its request has reached Feishu, or its replica died and will send nothing (its lease keeps it from being
      // claimed again). Every bound is the database's clock, the same for every replica (a replica's own clock 1.5 s
      // ahead put its window after the others' answers: 58 sends in one second); `at` stands for it in tests. The clock
      // is read after the lock, once for the statement (a volatile CTE is evaluated once).
      // to the millisecond, as a Date holds it: a failure is written only where claimed_at still equals the row's (`sendOne`)
      const now = at ? sql`${at.toISOString()}::timestamptz` : sql`date_trunc('milliseconds', clock_timestamp())`;
      const t = sql`(select t from clock)`;
      const ago = (ms: number) => sql`(${t} - ${ms}::float8 * interval '1 millisecond')`;
      // counted by Feishu within the window: answered within it, or still on its way (its request reaches Feishu by
      // `inFlightMs` after the claim)
      const counted = (windowMs: number) => sql`((status = 'sending' and claimed_at > ${ago(windowMs + inFlightMs)}) or greatest(claimed_at, sent_at) > ${ago(windowMs)})`;
      const rows = await tx.execute(sql`
        with clock as materialized (select ${now} as t),
        recent as (
          select rate_key, count(*)::int as n from outbox
          where claimed_at > ${ago(RATE_WINDOW_MS + inFlightMs)} and ${counted(RATE_WINDOW_MS)}
          group by rate_key
        ), budget as (
          select greatest(0, least(
            ${perApp}::int - count(*) filter (where ${counted(RATE_WINDOW_MS)}),
            ${perMinute}::int - count(*) filter (where ${counted(60_000)})
          ))::int as n from outbox
          where claimed_at > ${ago(60_000 + inFlightMs)}
        ), updating as (
          select receiver from outbox where status = 'sending' and kind = 'update' and claimed_at >= ${ago(leaseMs)}
        ),
        -- the rows due and the rows whose claim lapsed, each read in its index's order only as far as the batch needs
        -- (outbox_due_idx): one scan of both under an OR read and sorted every pending row, 60–180 ms a claim with
        -- 30 000 task cards queued
        due_pending as (
          select id, rate_key, priority, kind, receiver, next_attempt_at from outbox
          where status = 'pending' and next_attempt_at <= ${t}
            -- an update is the whole card, and of two PATCHes in flight the slower lands last: one at a time per message
            and not (kind = 'update' and receiver in (select receiver from updating))
          order by priority, next_attempt_at, id
          limit ${batch * 4}
          for update skip locked
        ), due_lapsed as (
          select id, rate_key, priority, kind, receiver, next_attempt_at from outbox
          where status = 'sending' and claimed_at < ${ago(leaseMs)}
            and not (kind = 'update' and receiver in (select receiver from updating))
          order by priority, next_attempt_at, id
          limit ${batch * 4}
          for update skip locked
        ), due as (
          select * from due_pending union all select * from due_lapsed
          order by priority, next_attempt_at, id
          limit ${batch * 4}
        ), ranked as (
          select due.id, due.priority,
            row_number() over (partition by due.rate_key order by due.priority, due.id) + coalesce(recent.n, 0) as slot,
            -- a message's updates in the order they were queued, the next one claimed once this one is answered
            case when due.kind = 'update' then row_number() over (partition by due.kind, due.receiver order by due.id) else 1 end as turn
          from due left join recent on recent.rate_key = due.rate_key
        )
        update outbox set status = 'sending', claimed_at = ${t}, attempts = attempts + 1
        where id in (
          select id from ranked where slot <= ${perReceiver} and turn = 1
          order by priority, id limit least(${batch}::int, (select n from budget))
        )
        returning id`);
      const ids = (rowsOf(rows) as { id: number | string }[]).map((r) => Number(r.id));
      if (!ids.length) return [];
      // 协会联系方式 read with the rows (no round trip of its own): appended to 请联系协会 as they are sent
      const read = await tx.select({ row: outbox, contact: sql<unknown>`${sql.raw(associationContactRead)}` }).from(outbox).where(inArray(outbox.id, ids)).orderBy(asc(outbox.id));
      const contact = read.length ? contactOf(read[0].contact) : undefined;
      if (read.length) this.deps.contact?.seen(read[0].contact);
      const claimed = read.map((r) => r.row);
      for (const row of claimed) {
        this.claimedLocally.set(row, claimStarted);
        if (!at) this.claimedAtMonotonic.set(row, claimStartedMonotonic);
        this.contactOfRow.set(row, contact);
      }
      return claimed;
    });
  }

  /** Claims one batch and sends it; returns how many rows were attempted. */
  /** Claims one batch and starts sending it without waiting: the slot freed by one answer is claimed while slower ones are in flight. */
  private async claimAndLaunch(): Promise<number> {
    await releaseHeld(this.deps.db, (this.deps.clock ?? systemClock).now());
    const rows = await this.claim();
    const cards = this.renderCards(rows);
    for (const row of rows) {
      const sending: Promise<void> = this.sendOne(row, cards.get(row.id))
        .catch((err) => this.deps.log.error({ err, outboxId: row.id }, 'outbox send failed'))
        .finally(() => {
          this.inFlight.delete(sending);
          this.inFlightRows.delete(row);
        });
      this.inFlight.add(sending);
      this.inFlightRows.add(row);
    }
    return rows.length;
  }

  async runOnce(): Promise<number> {
    await releaseHeld(this.deps.db, (this.deps.clock ?? systemClock).now());
    const rows = await this.claim();
    const cards = this.renderCards(rows);
    await Promise.all(rows.map((row) => this.sendOne(row, cards.get(row.id))));
    return rows.length;
  }

  /**
   * Starts drawing the cards of the claimed rows that carry a spec: one call to each kind's renderer for the
   * batch, while the other rows are already being sent. A row's promise never rejects: a renderer that throws
   * or is missing becomes that row's `error`.
   */
  private renderCards(rows: OutboxRow[]): Map<number, Promise<RenderedCard>> {
    const byKind = new Map<string, { row: OutboxRow; spec: CardSpec }[]>();
    for (const row of rows) {
      const spec = cardSpecOf(row);
      if (!spec) continue;
      byKind.set(spec.kind, [...(byKind.get(spec.kind) ?? []), { row, spec }]);
    }
    const out = new Map<number, Promise<RenderedCard>>();
    for (const [kind, group] of byKind) {
      const renderer = this.deps.cards?.[kind];
      const all: Promise<RenderedCard[]> = renderer
        ? Promise.resolve()
            .then(() => renderer(group.map((g) => g.spec), group.map((g) => g.row)))
            .then((cards) => {
              if (!Array.isArray(cards) || cards.length !== group.length) throw new Error(`renderer ${kind} answered ${Array.isArray(cards) ? cards.length : 'no'} cards for ${group.length}`);
              return cards;
            })
        : Promise.reject(new Error(`no renderer for card kind ${kind}`));
      group.forEach(({ row }, i) =>
        out.set(
          row.id,
          all.then(
            (cards) => cards[i],
            (err: unknown) => ({ error: `card ${kind} not rendered: ${errorText(err)}` }),
          ),
        ),
      );
    }
    return out;
  }

  /** Whether a later update of the same message is queued, in flight or sent. */
  private async supersededUpdate(row: OutboxRow): Promise<boolean> {
    const [later] = await this.deps.db
      .select({ id: outbox.id })
      .from(outbox)
      .where(and(eq(outbox.kind, 'update'), eq(outbox.receiver, row.receiver), gt(outbox.id, row.id), inArray(outbox.status, ['pending', 'held', 'sending', 'sent'])))
      .limit(1);
    return !!later;
  }

  /**
   * Who a row lands with: the person or chat it was sent to; a reply in the chat (or with the person) it answers, an
   * update where the message it updates was sent. Undefined for an update of a message not found.
   */
  private async readerOf(row: OutboxRow): Promise<{ type: string; to: string } | undefined> {
    if (row.kind === 'reply') {
      // its rate key is the chat or the person it lands with
      return { type: row.rateKey.startsWith('oc_') ? 'chat_id' : 'open_id', to: row.rateKey };
    }
    if (row.kind === 'update') {
      const [sent] = await this.deps.db.select({ type: outbox.receiveIdType, to: outbox.receiver }).from(outbox).where(and(eq(outbox.messageId, row.receiver), eq(outbox.kind, 'send'))).limit(1);
      return sent;
    }
    return { type: row.receiveIdType, to: row.receiver };
  }

  /**
   * Whether a row lands with the administrators: one of them (ADMIN_OPEN_IDS, the admin role) or the group bound as
   * theirs. Asked only of a row the tenant's DLP refused.
   */
  private async readByAdministrators(reader: { type: string; to: string } | undefined): Promise<boolean> {
    const { db } = this.deps;
    if (!reader) return false;
    const { type, to } = reader;
    if (type === 'chat_id') return (await db.select({ chatId: chatBindings.chatId }).from(chatBindings).where(and(eq(chatBindings.chatId, to), eq(chatBindings.purpose, 'admin'))).limit(1)).length > 0;
    if (type !== 'open_id') return false;
    if (this.deps.adminOpenIds?.includes(to)) return true;
    return (await db.select({ openId: people.openId }).from(people).where(and(eq(people.openId, to), sql`'admin' = any(${people.roles})`)).limit(1)).length > 0;
  }

  /**
   * Who reads the contacts users typed that a row refused by DLP withholds (`values`, as its reader would have seen them):
   * the administrators; the person whose own they all are, kept in what is theirs (the 联系电话 of a team they lead, a
   * complaint they filed) or in a form of theirs not yet sent (`TypedReader.own`: `values` empty, a person's only); anyone
   * else. Theirs is a whole contact of what is theirs, equal to the one shown (`contactKey`), not a part of one.
   */
  private async typedReader(row: OutboxRow, values: readonly string[]): Promise<TypedReader> {
    const { db } = this.deps;
    const reader = await this.readerOf(row);
    // only their own draft's, stored nowhere: theirs, an administrator's too (the database holds none of it)
    if (!values.length && reader?.type === 'open_id') return { kind: 'own', team: false, complaint: false };
    if (await this.readByAdministrators(reader)) return { kind: 'administrators' };
    if (reader?.type !== 'open_id' || !values.length) return { kind: 'others' };
    const to = reader.to;
    const keysOf = (texts: (string | null)[]) => new Set(texts.flatMap((t) => (t ? contactSpans(t).map((s) => contactKey(t.slice(s.start, s.end))) : [])));
    const team = keysOf((await db.select({ phone: teams.phone }).from(teams).where(eq(teams.leaderOpenId, to))).map((t) => t.phone));
    const complaint = keysOf(
      (await db.select({ content: complaints.content, contact: complaints.contact }).from(complaints).where(eq(complaints.complainantOpenId, to))).flatMap((c) => [c.content, c.contact]),
    );
    const keys = values.map(contactKey);
    if (keys.some((k) => !team.has(k) && !complaint.has(k))) return { kind: 'others' };
    return { kind: 'own', team: keys.some((k) => team.has(k)), complaint: keys.some((k) => complaint.has(k)) };
  }

  /**
   * When Feishu answered a row's send, on the database's clock as the claim counts it (a message counts for one second
   * after its answer): the row's claimed_at plus the time this process counted from just before its claim's statement
   * to the answer (and 1 ms, as claimed_at is cut to the millisecond). The statement reads the clock after that moment,
   * so this is never before the answer; and it is not after it by the wait for a free connection to write it, which held
   * each slot of the 50 a second 8 ms longer at the median, 18 ms at the 90th percentile (`npm run bench`'s large cycle).
   * The database's clock where the claim was given its time (`at`, tests) or is not known.
   */
  private sentAtOf(row: OutboxRow, answeredMonotonic: number): SQL<Date> {
    const began = this.claimedAtMonotonic.get(row);
    if (began === undefined || !row.claimedAt) return dbClockIn(0);
    const afterClaimMs = Math.max(0, answeredMonotonic - began) + 1;
    return sql<Date>`least(clock_timestamp(), ${row.claimedAt.toISOString()}::timestamptz + ${afterClaimMs}::float8 * interval '1 millisecond')`;
  }

  private async sendOne(row: OutboxRow, card?: Promise<RenderedCard>): Promise<void> {
    const { db, transport, log } = this.deps;
    let outcome: SendOutcome;
    /** what this row went without, the tenant's DLP having refused it with it (230028): 协会联系方式, contacts users typed */
    let withheld: Pick<DlpVersion, 'contact' | 'typed'> | undefined;
    /** a try of a row whose version without them may have gone already (its error says so) */
    let dlpBefore = false;
    try {
      const rendered = card ? await card : undefined;
      // the claim takes a message's updates in order, but one retried after its backoff may come after a later one:
      // sent, it would put the older card back
      if (row.kind === 'update' && row.attempts > 1 && (await this.supersededUpdate(row))) outcome = { ok: false, drop: 'superseded by a later update' };
      else if (rendered && 'drop' in rendered) outcome = { ok: false, drop: rendered.drop };
      else if (rendered && 'error' in rendered) outcome = { ok: false, retryable: true, undeliverable: false, error: rendered.error };
      // the same dedupe key, so the same uuid: a resend after a crash draws the card again and Feishu keeps the first
      else {
        const drawn = rendered ? { ...row, card: rendered.card } : row;
        const contact = this.contactOfRow.get(row);
        // the version without them, under its uuid; refused again with a form's own words kept masked (something in them
        // the masking missed), once more with them cleared, under that version's own uuid
        const sendDlpVersion = async (version: DlpVersion): Promise<SendOutcome> => {
          withheld = { contact: version.contact, typed: version.typed };
          const sent = await transport.deliver(version.row, dlpUuidKey(row.dedupeKey));
          if (!version.draftKept || sent.ok || !('dlpRefused' in sent) || !sent.dlpRefused) return sent;
          const cleared = await dlpVersion(drawn, contact, (values) => this.typedReader(row, values), { keepDraft: false });
          if (!cleared) return sent;
          withheld = { contact: cleared.contact, typed: cleared.typed };
          return transport.deliver(cleared.row, `${dlpUuidKey(row.dedupeKey)}-cleared`);
        };
        // refused by DLP at an earlier try: without the contact and what users typed at once, under that version's uuid,
        // so a resend after a crash is the one Feishu may already hold and the first version never goes as well
        if (row.lastError?.startsWith(DLP_WITHHELD)) {
          // every later try under that version's uuid, even when the contact changed since and leaves nothing to hide:
          // the original uuid Feishu refused, so a version sent under it would arrive beside one it may hold already
          const bare = await dlpVersion(drawn, contact, (values) => this.typedReader(row, values));
          dlpBefore = true;
          outcome = bare ? await sendDlpVersion(bare) : await transport.deliver(withContactInRow(drawn, contact), dlpUuidKey(row.dedupeKey));
        } else {
          outcome = await transport.deliver(withContactInRow(drawn, contact));
          const again = !outcome.ok && 'dlpRefused' in outcome && outcome.dlpRefused ? await dlpVersion(drawn, contact, (values) => this.typedReader(row, values)) : undefined;
          if (again && !outcome.ok && 'error' in outcome) {
            // said on the row before the second send: whatever happens next, a later try sends this version alone
            await db.update(outbox).set({ lastError: `${DLP_WITHHELD}${outcome.error}`.slice(0, 500) }).where(and(eq(outbox.id, row.id), eq(outbox.status, 'sending'), row.claimedAt ? eq(outbox.claimedAt, row.claimedAt) : undefined));
            outcome = await sendDlpVersion(again);
          }
        }
        // any answer of the platform, even a refusal of this row, ends an outage
        if (outcome.ok || ('retryable' in outcome && !outcome.outage)) this.platformAnswered();
      }
    } catch (err) {
      outcome = { ok: false, retryable: true, undeliverable: false, error: errorText(err) };
    }
    const sentAt = this.sentAtOf(row, performance.now());
    // a failure of the version without them keeps saying so, for the next try
    if ((withheld || dlpBefore) && !outcome.ok && 'error' in outcome && !outcome.error.startsWith(DLP_WITHHELD)) outcome = { ...outcome, error: `${DLP_WITHHELD}${outcome.error}`.slice(0, 500) };
    if (!outcome.ok && 'foreignOpenId' in outcome && outcome.foreignOpenId) this.logForeignOpenId(row, outcome.error);
    if (outcome.ok && withheld) {
      const { contact, typed } = withheld;
      // the contact was withheld with what users typed: the advice to change it only if it is what DLP commonly refuses
      // (a mobile, a personal mailbox), not a landline hidden along with the rest
      const contactTold = contact && (!typed || contactDlpMayRefuse(contact)) ? contact : undefined;
      const messageId = outcome.messageId ?? null;
      const marked = await db.transaction(async (tx) => {
        const [sent] = await tx
          .update(outbox)
          .set({ status: 'sent', sentAt, messageId, lastError: null })
          .where(and(eq(outbox.id, row.id), eq(outbox.status, 'sending')))
          .returning({ followed: sql<boolean>`exists (select 1 from outbox later where later.after_key = outbox.dedupe_key and later.status = 'waiting')` });
        if (sent && contactTold && this.deps.onContactRefused) await this.deps.onContactRefused(tx, row, contactTold);
        if (sent && typed && this.deps.onTypedContactsWithheld) await this.deps.onTypedContactsWithheld(tx, row);
        return sent;
      });
      metrics.outboxSent.inc({ kind: row.kind });
      log.warn(
        { outboxId: row.id, dedupeKey: row.dedupeKey, contact: !!contact, typed },
        'message sent without its phone numbers and e-mails: the tenant’s DLP refused it with them (230028)',
      );
      if (marked?.followed) this.nudge();
      return;
    }
    if (outcome.ok) {
      const [sent] = await db
        .update(outbox)
        // the database's clock, as the claim counts it (see `claim` and `sentAtOf`)
        .set({ status: 'sent', sentAt, messageId: outcome.messageId ?? null, lastError: null })
        .where(and(eq(outbox.id, row.id), eq(outbox.status, 'sending')))
        // as the statement began: the followers the trigger outbox_release_followers hands to the dispatcher as it marks it
        .returning({ followed: sql<boolean>`exists (select 1 from outbox later where later.after_key = outbox.dedupe_key and later.status = 'waiting')` });
      metrics.outboxSent.inc({ kind: row.kind });
      // what waited for this message (a certificate after its result card) is claimed now, not at the next poll
      if (sent?.followed) this.nudge();
      return;
    }
    // a failure is written only while the row is still this claim's: past its lease another replica may have taken it
    // over (and sent it), and this one's retry, dead letter or alert would undo that
    const held = and(eq(outbox.id, row.id), eq(outbox.status, 'sending'), row.claimedAt ? eq(outbox.claimedAt, row.claimedAt) : undefined);
    if ('outage' in outcome && outcome.outage) {
      if (await this.holdForOutage(row, outcome.outage, outcome.error, held)) return;
      // queued longer ago than an outage may hold a row: dead-lettered below, saying why
      outcome = { ok: false, retryable: false, undeliverable: false, error: `${OUTAGE_EXPIRED}${Math.round(this.limits.outageMaxAgeMs / 3_600_000)} h of being queued: the Open Platform stayed out of reach (${outcome.error})`.slice(0, 500) };
    }
    if ('drop' in outcome) {
      // no longer relevant (a task withdrawn before its card went out, the certificate of a revoked title):
      // nothing was sent, the row says why
      await db.update(outbox).set({ status: 'dropped', lastError: outcome.drop }).where(held);
      metrics.outboxFailed.inc({ reason: 'dropped' });
      log.info({ outboxId: row.id, dedupeKey: row.dedupeKey, reason: outcome.drop }, 'message dropped: no longer relevant');
      return;
    }
    if (outcome.undeliverable && outcome.mayPassInChat && row.receiveIdType === 'chat_id') {
      // a muted group: the same message is tried again once the mute may be lifted; after the last try it is dead-lettered,
      // so the administrators learn what did not reach the group
      outcome = { ...outcome, undeliverable: false, retryable: true, retryAfterMs: Math.max(outcome.retryAfterMs ?? 0, MAY_PASS_RETRY_MS) };
    }
    if (outcome.undeliverable) {
      // a reply lands in the chat of the message it answers (its rate_key): that chat is gone for it as for a send
      const onChatGone = outcome.chatGone && (row.receiveIdType === 'chat_id' || row.kind === 'reply') ? this.deps.onChatGone : undefined;
      const markUndeliverable = async (tx: Db) => (await tx.update(outbox).set({ status: 'undeliverable', lastError: outcome.error }).where(held).returning({ id: outbox.id })).length > 0;
      const why = row.receiveIdType === 'open_id' ? outcome.unreachablePerson : undefined;
      const onPerson = why && this.deps.onPersonUnreachable ? (tx: Db, r: OutboxRow, error: string) => this.deps.onPersonUnreachable!(tx, r, error, why) : undefined;
      const hook = onChatGone ?? onPerson;
      if (hook) {
        await db.transaction(async (tx) => {
          if (await markUndeliverable(tx)) await hook(tx, row, outcome.error);
        });
      } else await markUndeliverable(db);
      metrics.outboxFailed.inc({ reason: 'undeliverable' });
      log.warn({ outboxId: row.id, receiver: row.receiver, error: outcome.error, ...(onChatGone ? { chatGone: true } : {}) }, 'message undeliverable');
      return;
    }
    if (outcome.retryable && outcome.appWide && outcome.retryAfterMs) {
      // at most a minute at a time: a header out of reason must not stop sending; the next 429 says how long again
      const until = Date.now() + Math.min(outcome.retryAfterMs, APP_PAUSE_MAX_MS);
      if (until > this.pausedUntil) {
        this.pausedUntil = until;
        log.warn({ outboxId: row.id, pauseMs: until - Date.now(), error: outcome.error }, 'app-wide rate limit: holding every send');
      }
    }
    if (outcome.retryable && row.kind === 'update' && (await this.supersededUpdate(row))) {
      // a card update is the whole card: one queued after this one shows the newer state, and this one sent again
      // after it would put the card back (a job's 500 / 1 000 over its final card, its 重试 lost)
      await db.update(outbox).set({ status: 'dropped', lastError: `superseded by a later update (${outcome.error})`.slice(0, 500) }).where(held);
      metrics.outboxFailed.inc({ reason: 'dropped' });
      log.info({ outboxId: row.id, dedupeKey: row.dedupeKey }, 'card update dropped: a later one replaces it');
      return;
    }
    if (outcome.retryable && row.attempts < this.limits.maxAttempts) {
      // Feishu says when its rate-limit window reopens (x-ogw-ratelimit-reset), and a card being clicked takes updates
      // once the click is answered; earlier tries only fail again
      const delay = Math.max(backoffMs(row.attempts, this.limits), outcome.retryAfterMs ?? 0, outcome.cardLocked ? this.limits.cardLockedRetryMs : 0);
      await db
        .update(outbox)
        .set({ status: 'pending', nextAttemptAt: dbClockIn(delay), lastError: outcome.error })
        .where(held);
      metrics.outboxFailed.inc({ reason: 'retry' });
      log.info({ outboxId: row.id, attempt: row.attempts, retryInMs: delay, error: outcome.error }, 'message send failed, will retry');
      return;
    }
    const dead = await db.transaction(async (tx) => {
      const [marked] = await tx.update(outbox).set({ status: 'dead', lastError: outcome.error }).where(held).returning({ id: outbox.id });
      if (marked && this.deps.onDeadLetter) await this.deps.onDeadLetter(tx, row, outcome.error);
      return !!marked;
    });
    if (!dead) {
      log.warn({ outboxId: row.id, dedupeKey: row.dedupeKey }, 'message failed after its claim was taken over: left to the replica that holds it');
      return;
    }
    metrics.outboxFailed.inc({ reason: 'dead' });
    log.error({ outboxId: row.id, dedupeKey: row.dedupeKey, receiver: row.receiver, attempts: row.attempts, error: outcome.error }, 'message dead-lettered');
  }

  /**
   * A send refused because its open_id is another app's (99992361): said once a process for each, at error naming
   * ADMIN_OPEN_IDS when it is one of them (the first administrator's open_id copied from another app or tool).
   */
  private logForeignOpenId(row: OutboxRow, error: string): void {
    if (row.receiveIdType !== 'open_id' || this.foreignOpenIdsLogged.has(row.receiver)) return;
    this.foreignOpenIdsLogged.add(row.receiver);
    if (this.deps.adminOpenIds?.includes(row.receiver)) {
      this.deps.log.error(
        { receiver: row.receiver, error },
        `ADMIN_OPEN_IDS names ${row.receiver}, an open_id of another Feishu app (99992361 open_id cross app): nothing the bot sends reaches it, and the person it was meant for is not an administrator of this bot. Empty ADMIN_OPEN_IDS, restart the bot and have the administrator send 管理 to the bot: it answers with their open_id for this app; put that in ADMIN_OPEN_IDS and restart again`,
      );
    } else {
      this.deps.log.error({ receiver: row.receiver, error }, `open_id ${row.receiver} is another Feishu app's (99992361 open_id cross app): nothing the bot sends reaches it`);
    }
  }

  /**
   * A send that failed for the whole app (`Outage`): the row goes back to `pending` with the attempt it was claimed with
   * given back, and every send is held. The outage is logged as it starts (a wrong secret at error, naming the setting)
   * and as its kind changes; a probe claimed after the last pause that fails again doubles the pause. False when the
   * row was queued more than `outageMaxAgeMs` ago: the caller dead-letters it.
   */
  private async holdForOutage(row: OutboxRow, kind: Outage, error: string, held: SQL | undefined): Promise<boolean> {
    const { db, log } = this.deps;
    const now = Date.now();
    const { outagePauseMs, outagePauseMaxMs, outageMaxAgeMs } = this.limits;
    const o = this.outage;
    if (!o) {
      this.outage = { kind, since: now, pauseMs: outagePauseMs, pausedAt: now, probes: 1, error, logged: false };
      this.pausedUntil = Math.max(this.pausedUntil, now + outagePauseMs);
      this.logOutage(this.outage);
    } else if ((this.claimedLocally.get(row) ?? 0) >= o.pausedAt) {
      // a probe sent after the last pause failed as well (rows claimed with the first failure do not count)
      if (o.kind !== kind) o.logged = false;
      Object.assign(o, { kind, error, pauseMs: Math.min(o.pauseMs * 2, outagePauseMaxMs), pausedAt: now, probes: o.probes + 1 });
      this.logOutage(o);
      this.pausedUntil = Math.max(this.pausedUntil, now + o.pauseMs);
    }
    // A card drawn at send time (`CardSpec`: a reminder, a task, an alert) is held however old: its renderer has just
    // drawn it from the state as it is now, and draws it again at the try that gets through. What has lost its point
    // meanwhile (a deadline or the meeting day passed, a task withdrawn, applications closed) is dropped by it then,
    // without a word; what still holds (a deadline still ahead, counted in days from the day it is sent) is worth more
    // to the reader late than an alert to the administrators that it was not sent. Only a message fixed when it was
    // queued, which could say what is no longer true, is given up, and counted in the hour's alert (deadLetterAlert).
    if (row.createdAt && now - row.createdAt.getTime() > outageMaxAgeMs && !cardSpecOf(row)) return false;
    await db
      .update(outbox)
      .set({ status: 'pending', attempts: sql`greatest(${outbox.attempts} - 1, 0)`, nextAttemptAt: dbClockIn(Math.max(0, this.pausedUntil - now)), lastError: error })
      .where(held);
    metrics.outboxFailed.inc({ reason: 'outage' });
    return true;
  }

  /** The outage's one line: a refused secret at once, no answer once a probe after the first pause failed too. */
  private logOutage(o: NonNullable<OutboxDispatcher['outage']>): void {
    const { log } = this.deps;
    const { kind, error } = o;
    if (o.logged || (kind === 'network' && o.probes < 2)) {
      log.debug({ outage: kind, error }, 'Open Platform failing: sends held');
      return;
    }
    o.logged = true;
    if (kind === 'credentials') {
      log.error({ error }, 'Feishu refused the app credentials: check LARK_APP_ID and LARK_APP_SECRET (the app of the developer console, its current secret); every message is held until a token is granted');
    } else if (kind === 'bot') {
      log.error({ error }, 'Feishu says the app has no bot ability (230006): in the developer console turn on 机器人 under 应用能力 and publish a version; every message is held until Feishu takes them');
    } else if (kind === 'scope') {
      log.error({ error }, 'Feishu says the app lacks the permission to send messages (99991672): in the developer console add the scope it names (im:message) under 权限管理 and publish a version; every message is held until Feishu takes them');
    } else {
      log.warn({ error }, 'Open Platform out of reach: every message is held and tried again with a growing pause (at most a minute), no attempts spent');
    }
  }

  /**
   * An outage seen outside a send (the token asked for at start-up): logged as a failed send would log it, and sends held
   * for the first pause, then probed as in any outage. Nothing when one is already known.
   */
  reportOutage(kind: Outage, error: string): void {
    if (this.outage) return;
    const now = Date.now();
    this.outage = { kind, since: now, pauseMs: this.limits.outagePauseMs, pausedAt: now, probes: 1, error, logged: false };
    this.pausedUntil = Math.max(this.pausedUntil, now + this.limits.outagePauseMs);
    this.logOutage(this.outage);
  }

  /**
   * The start-up check (`check`, the token asked for: credentialsProblem): what it finds is reported (reportOutage); no
   * answer is asked once more after the first pause, as a send's probe would be, so an Open Platform out of reach (a
   * mistyped LARK_DOMAIN, a network that blocks it) is said in the log seconds after the start, not at the first message.
   */
  async checkAtStart(check: () => Promise<{ kind: Outage; error: string } | undefined>): Promise<void> {
    const problem = await check();
    if (!problem) return;
    this.reportOutage(problem.kind, problem.error);
    const o = this.outage;
    if (problem.kind !== 'network' || !o || o.logged) return;
    await new Promise((resolve) => setTimeout(resolve, this.limits.outagePauseMs).unref());
    const again = await check();
    // still the outage the first check found, not logged by a send's probe meanwhile: the second failed probe's line
    if (!again || this.outage !== o || o.logged) return;
    if (again.kind !== o.kind) o.logged = false;
    Object.assign(o, { kind: again.kind, error: again.error, probes: o.probes + 1 });
    this.logOutage(o);
  }

  /** The platform answered a send: an outage, if any, is over. */
  private platformAnswered(): void {
    const o = this.outage;
    if (!o) return;
    this.outage = undefined;
    this.deps.log[o.logged ? 'warn' : 'debug']({ outage: o.kind, downMs: Date.now() - o.since, probes: o.probes }, o.kind === 'credentials' ? 'Feishu granted a token again: sending resumed' : o.kind === 'bot' || o.kind === 'scope' ? 'Feishu takes the bot’s messages again: sending resumed' : 'Open Platform reachable again: sending resumed');
  }

  /** Runs until nothing is due or in flight; for tests, scripts and shutdown. */
  /**
   * Rows left \`sending\` by a process that died mid-send, given back now instead of when their lease runs out (three
   * minutes): only where this process is the only one on the database (PGlite, one process per DATA_DIR), so no
   * other holds them. Sent again with the same uuid, Feishu keeps the first.
   */
  async releaseAbandoned(): Promise<number> {
    const rows = await this.deps.db.update(outbox).set({ status: 'pending', nextAttemptAt: dbClockIn(0) }).where(eq(outbox.status, 'sending')).returning({ id: outbox.id });
    if (rows.length) this.deps.log.info({ rows: rows.length }, 'outbox rows left sending by the last run given back');
    return rows.length;
  }

  async drain(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // nothing to send, nor held back and due by now: one statement, not a claim's five (a test drains after every event)
    const now = (this.deps.clock ?? systemClock).now();
    const [busy] = rowsOf(
      await this.deps.db.execute(sql`select exists (select 1 from outbox where status in ('pending', 'sending') or (status = 'held' and next_attempt_at <= ${now.toISOString()}::timestamptz)) as busy`),
    ) as { busy: boolean }[];
    if (!busy?.busy) return;
    while (Date.now() < deadline) {
      const n = await this.runOnce();
      if (n > 0) continue;
      const left = await this.drainWait();
      if (!left) return;
      await sleep(Math.min(left.waitMs, Math.max(0, deadline - Date.now())));
    }
    throw new Error(`outbox not drained within ${timeoutMs} ms`);
  }

  /**
   * What `drain` waits for when its claim took nothing and rows are left (undefined when none are): until the next row
   * falls due, or, with rows due but held back by a rate limit (a receiver's 5 a second), until the oldest message
   * counted in the window leaves it; 10–250 ms, so a limit this cannot see (the minute's) is still tried again soon.
   * With nothing pending, only sends in flight elsewhere, 10 ms as before.
   * Polling every 10 ms through a one-second window cost dozens of claims for each message held back.
   */
  private async drainWait(): Promise<{ waitMs: number } | undefined> {
    const rows = await this.deps.db.execute(sql`
      with clock as materialized (select clock_timestamp() as t)
      select (select count(*)::int from outbox where status in ('pending', 'sending')) as open,
        (select extract(epoch from min(next_attempt_at) - (select t from clock)) * 1000 from outbox where status = 'pending')::float8 as next_due,
        ${oldestInWindow} as oldest`);
    const [row] = rowsOf(rows) as { open: number | string; next_due: number | string | null; oldest: number | string | null }[];
    if (!row || Number(row.open) === 0) return undefined;
    const nextDue = row.next_due === null ? undefined : Number(row.next_due);
    const pausedMs = this.pausedUntil - Date.now();
    // none pending: only sends in flight (the loop's, another replica's), whose answers nothing here foretells
    const waitMs = pausedMs > 0 ? pausedMs : nextDue === undefined ? 10 : nextDue > 0 ? nextDue : row.oldest === null ? 10 : Number(row.oldest) + RATE_WINDOW_MS + 1;
    return { waitMs: Math.min(250, Math.max(10, Math.ceil(waitMs))) };
  }

  /** Wakes the loop now instead of at the next poll. */
  nudge(): void {
    if (this.wake) this.wake();
    else this.nudged = true;
  }

  /** A database outage (not the Open Platform's, `outage`) said once when it begins and once when it ends, not at every poll. */
  private readonly databaseOutage: OutageLog;

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        let n = 0;
        this.nudged = false;
        try {
          n = await this.claimAndLaunch();
          this.databaseOutage.reached();
        } catch (err) {
          if (!this.databaseOutage.failed(err)) this.deps.log.error({ err }, 'outbox dispatcher failed');
        }
        if (!this.running) break;
        if (n > 0) continue;
        // rows held back only by the rate window are claimed the moment it frees, not a whole poll later
        const waitMs = await this.nextClaimInMs().catch(() => this.pollMs);
        if (this.nudged) {
          this.nudged = false;
          continue;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, waitMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    })();
  }

  /**
   * Stops the loop and waits for the sends in flight. With `lastRoundMs`, one more batch is claimed and sent first,
   * for at most that long: the replies the last callbacks queued as the stop began leave now, not at the next start.
   */
  async stop(lastRoundMs?: number): Promise<void> {
    const wasRunning = this.running;
    this.running = false;
    this.wake?.();
    await this.loop;
    if (wasRunning && lastRoundMs) {
      let timer: NodeJS.Timeout | undefined;
      const claimed = this.claimAndLaunch();
      const lastRound = claimed.then(
        () => Promise.all(this.inFlight),
        (err: unknown) => {
          if (!this.databaseOutage.failed(err)) this.deps.log.error({ err }, 'outbox dispatcher failed');
        },
      );
      await Promise.race([lastRound, new Promise((resolve) => (timer = setTimeout(resolve, lastRoundMs)))]);
      clearTimeout(timer);
      // the rows of a claim still under way when the round's time ran out are handed over with the rest
      const handedOver = claimed.then(
        () => this.handOver(),
        () => this.handOver(),
      );
      await Promise.race([handedOver, new Promise((resolve) => (timer = setTimeout(resolve, HANDOVER_WAIT_MS)))]);
      clearTimeout(timer);
      return;
    }
    await Promise.all(this.inFlight);
  }

  /**
   * The sends a stop stops waiting for, still out (the Open Platform slow to answer, a batch the last round claimed):
   * their lease is cut to end HANDOVER_MS from now, by when this process has exited (src/main.ts: 6 s after the
   * signal), so another replica, or this one started again, sends them seconds after the stop instead of when the
   * three-minute lease of their claim runs out. Sent again with the same uuid, Feishu keeps the one that may have
   * reached it; a card update is the same whole card again, and stays `sending` until then, so no later update of its
   * message can go before it. A send that is answered before the process exits is still marked as usual.
   */
  private async handOver(): Promise<void> {
    const rows = [...this.inFlightRows].filter((r) => r.claimedAt);
    if (!rows.length) return;
    const shortened = sql`clock_timestamp() - ${this.limits.leaseMs - HANDOVER_MS}::float8 * interval '1 millisecond'`;
    try {
      const handed = await this.deps.db
        .update(outbox)
        .set({ claimedAt: shortened })
        .where(and(eq(outbox.status, 'sending'), or(...rows.map((r) => and(eq(outbox.id, r.id), eq(outbox.claimedAt, r.claimedAt!))))))
        .returning({ id: outbox.id });
      if (handed.length) this.deps.log.info({ rows: handed.length, inMs: HANDOVER_MS }, 'sends still unanswered at the stop handed over: another replica, or the next start, sends them again');
    } catch (err) {
      // left as they are, their lease runs out as it would have
      this.deps.log.warn({ err: errorText(err), rows: rows.length }, 'sends still unanswered at the stop could not be handed over: they are sent again when their lease runs out');
    }
  }

  /** A poll when nothing is due; else until the oldest answer leaves the per-second window (at most 100 ms: other replicas' sends, the per-minute budget). */
  private async nextClaimInMs(): Promise<number> {
    const now = Date.now();
    if (now < this.pausedUntil) return Math.max(1, this.pausedUntil - now);
    // a probe of an outage in flight: its answer (or its timeout) decides the next pause
    if (this.outage && this.inFlight.size > 0) return this.pollMs;
    // in the database's time, as the claim counts
    const rows = await this.deps.db.execute(sql`
      with clock as materialized (select clock_timestamp() as t)
      select exists (select 1 from outbox where status = 'pending' and next_attempt_at <= (select t from clock)) as due, ${oldestInWindow} as oldest`);
    const [row] = rowsOf(rows) as { due: boolean; oldest: number | string | null }[];
    if (!row?.due) return this.pollMs;
    if (row.oldest === null) return Math.min(this.pollMs, 100);
    // `oldest`: how far the oldest answer in the window lies behind the database's now (negative, in ms)
    return Math.min(this.pollMs, 100, Math.max(1, Math.ceil(Number(row.oldest) + RATE_WINDOW_MS)));
  }

  async due(): Promise<OutboxRow[]> {
    return this.deps.db.select().from(outbox).where(and(eq(outbox.status, 'pending'), lte(outbox.nextAttemptAt, dbClockIn(0))));
  }
}

export function backoffMs(attempt: number, limits: Pick<OutboxLimits, 'baseDelayMs' | 'maxDelayMs'>): number {
  const exp = Math.min(limits.maxDelayMs, limits.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp * (0.8 + Math.random() * 0.4));
}

/** Feishu's uuid idempotency (one hour) makes a resend after a crash harmless. */
export function messageUuid(dedupeKey: string): string {
  return createHash('sha256').update(dedupeKey).digest('hex').slice(0, 48);
}

/** postgres.js returns an array; PGlite a `{rows}` result. */
export function rowsOf(result: unknown): unknown[] {
  if (Array.isArray(result)) return result;
  return ((result as { rows?: unknown[] })?.rows ?? []) as unknown[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How soon after a stop the sends it left unanswered may be claimed by another process (`handOver`). */
export const HANDOVER_MS = 10_000;
/** The longest a stop waits for that hand-over (a database out of reach fails it within its connect timeout, 2 s). */
const HANDOVER_WAIT_MS = 500;

/** The longest the dispatcher holds every send after one app-wide 429 (x-ogw-ratelimit-reset is seconds in practice). */
const APP_PAUSE_MAX_MS = 60_000;

/**
 * How the error of a row begins once the tenant's DLP refused it (230028) and a version without 协会联系方式 or the
 * contacts users typed was made (`dlpVersion`): each later try sends that version, under its uuid (`dlpUuidKey`). The
 * words stay as rows already queued hold them.
 */
export const DLP_WITHHELD = 'sent without 协会联系方式, DLP refused it (230028): ';

/**
 * The key of the uuid of a row's version without 协会联系方式 and the contacts users typed (`dlpVersion`): another content,
 * so another uuid (Feishu keeps what it first took under a uuid for an hour and answers a later send of it with that, "持有相同 uuid 的请求 1 小时内至多成功发送一条消息",
 * https://open.feishu.cn/document/server-docs/im-v1/message/create, 请求体 uuid); the same at every try of it.
 */
const dlpUuidKey = (dedupeKey: string) => `${dedupeKey}#dlp`;

/** What a message says in place of the contact's phone and e-mail when the tenant's DLP refused them. */
export const CONTACT_WITHHELD = '联系方式请向协会管理员索取';

/**
 * What a message says, at its end (a card's: at its top), once the tenant's DLP refused it and the phone numbers and
 * e-mails users typed into it (a leader's 联系电话, a phone in a complaint) are shown as `withoutContacts` writes them.
 */
export const TYPED_CONTACTS_WITHHELD = '（企业的数据防泄漏（DLP）策略不允许消息中出现明文手机号和邮箱，本消息中的电话号码、邮箱已隐去，显示为[号码]、[邮箱]；需要时请向协会管理员索取。）';
/**
 * The same, in what the administrators read (TYPED_CONTACTS_WITHHELD would send them to themselves): no message of the
 * bot can carry them, and where they are kept. Nothing in Feishu shows them: the bot's other cards and replies are
 * messages under the same policy.
 */
export const TYPED_CONTACTS_WITHHELD_ADMINS =
  '（企业的数据防泄漏（DLP）策略不允许飞书消息中出现明文手机号和邮箱，本消息中用户填写的电话号码、邮箱已隐去，显示为[号码]、[邮箱]，机器人发出的其他消息也无法带上它们。' +
  '它们完整保存在机器人的数据库中：投诉人留下的联系方式在该投诉的记录里，班组的联系电话在班组资料里。需要时请负责运行机器人的技术人员从数据库中查出，或请企业的飞书管理员在数据防泄漏策略中放行机器人的消息。）';
/**
 * The same, to the person whose own they are (the 联系电话 of a team they lead, what they wrote in a complaint, what they
 * typed into a form): not to ask the association for their own number, but that it is kept as typed, and where
 * (`typedOwnNote`).
 */
export const TYPED_CONTACTS_WITHHELD_OWN = '（企业的数据防泄漏（DLP）策略不允许消息中出现明文手机号和邮箱，本消息中你填写的电话号码、邮箱已隐去，显示为[号码]、[邮箱]';
/** Where theirs are kept, said after TYPED_CONTACTS_WITHHELD_OWN: a team's 联系电话 (修改资料 changes it), a complaint's. */
export const TYPED_OWN_KEPT_TEAM = '；班组的联系电话已按原样保存在班组资料中，可发送“修改资料”更改';
export const TYPED_OWN_KEPT_COMPLAINT = '；投诉中的已按原样保存在你的投诉记录中，可发送“我的投诉”查看处理情况';
/** Said after it on a form one of whose inputs held one: the input is left empty rather than filled with the mask. */
export const TYPED_INPUT_CLEARED = '表单中原已填有电话号码或邮箱的栏目现为空白，需要时请重新填写。';
/**
 * Said after it on a form whose own words were filled in with them masked (an input marked DRAFT_INPUT_ID, cards/forms.ts:
 * a complaint typed after 投诉 <班组>): submitted as it is, [号码] is what is kept.
 */
export const TYPED_DRAFT_MASKED = '表单中预填的文字里的[号码]、[邮箱]提交后不会还原，需要保留的，请在表单中重新填写。';

/** A row as the tenant's DLP may take it after a refusal (`dlpVersion`), and what it withholds. */
interface DlpVersion {
  row: OutboxRow;
  /** 协会联系方式, its phone and e-mail withheld */
  contact?: AssociationContact;
  /** phone numbers or e-mails typed by users withheld */
  typed: boolean;
  /** a form's own words (DRAFT_INPUT_ID) kept, masked */
  draftKept: boolean;
}

/** Who reads the contacts users typed withheld from a row (`typedReader`), and for `own`, where theirs are kept. */
type TypedReader = { kind: 'administrators' } | { kind: 'others' } | { kind: 'own'; team: boolean; complaint: boolean };

/** TYPED_CONTACTS_WITHHELD_OWN with where they are kept, closed. */
function typedOwnNote(reader: { team: boolean; complaint: boolean }): string {
  return `${TYPED_CONTACTS_WITHHELD_OWN}${reader.team ? TYPED_OWN_KEPT_TEAM : ''}${reader.complaint ? TYPED_OWN_KEPT_COMPLAINT : ''}。）`;
}

/**
 * The version of a row sent once the tenant's DLP refused it (230028, "消息DLP审查未通过，当消息内容中含有明文电话号码、
 * 明文个人邮箱等内容时可能会触发该错误", https://open.feishu.cn/document/server-docs/im-v1/message/create, error codes):
 * - 协会联系方式: after each 请联系协会, the contact's name (and office hours) with CONTACT_WITHHELD in place of its phone
 *   and e-mail; wherever else they are shown as the administrator typed them (the 联系协会 card), CONTACT_WITHHELD;
 * - whatever else looks like a phone number or an e-mail (what users typed: a leader's 联系电话 in a card to the
 *   organisation's contact, a phone in a complaint's text) as `withoutContacts` writes it, [号码] / [邮箱], with a note
 *   saying why and, as its reader is (`readerOf`: the administrators, the person whose own they are, anyone else), where
 *   they are kept or where to ask.
 * Only what the reader sees: a button's value and a callback's payload, which come back on a click, never; an input
 * filled with one is left empty (the mask typed back would be taken for the value), but for the person's own words stored
 * nowhere yet (DRAFT_INPUT_ID), filled masked while nothing number-like is left in them (`keepDraft`; else left empty
 * too). Undefined when that changes nothing: the refusal was of something else, and sending it again would only be
 * refused again.
 */
async function dlpVersion(
  row: OutboxRow,
  contact: AssociationContact | undefined,
  readerOf: (values: readonly string[]) => Promise<TypedReader>,
  opts: { keepDraft: boolean } = { keepDraft: true },
): Promise<DlpVersion | undefined> {
  if (row.msgType !== 'text' && row.msgType !== 'interactive') return undefined;
  const refused = withContactInRow(row, contact);
  let shown = refused;
  let withheld: AssociationContact | undefined;
  if (contact && (contact.phone || contact.email)) {
    const neutral: AssociationContact = { name: `${contact.name}，${CONTACT_WITHHELD}`, ...(contact.hours ? { hours: contact.hours } : {}) };
    const typed = [contact.phone, contact.email].filter((v): v is string => !!v);
    // as typed, and as a card's markdown shows them (escaped)
    const forms = [...new Set(typed.flatMap((t) => [t, escapeText(t, false), escapeText(t)]))].sort((a, b) => b.length - a.length);
    const bare = shownMasked(withContactInRow(row, neutral), (text) => forms.reduce((t, f) => t.split(f).join(CONTACT_WITHHELD), text));
    if (!sameCard(bare, refused)) {
      shown = bare;
      withheld = contact;
    }
  }
  // what was withheld as its reader would have seen it, every occurrence but a draft's (its own words, DRAFT_INPUT_ID):
  // those are the reader's, whatever else shows the same
  const values: string[] = [];
  let draftKept = false;
  const masked = shownMasked(shown, (text, markdown, draft) => {
    const out = shownWithoutContacts(text, markdown, draft ? undefined : (v) => values.push(v));
    if (!draft) return out;
    // a number the masking missed (wx13912345678, 0755-13812345678) would be refused again: the draft left empty,
    // also when it is the draft's only one (nothing masked: the draft as it was is what was refused)
    if (out === text && !numberLike(text)) return out;
    if (!opts.keepDraft || numberLike(out)) return undefined;
    draftKept = true;
    return out;
  });
  const typed = !sameCard(masked, shown);
  if (!withheld && !typed) return undefined;
  if (!typed) return { row: shown, ...(withheld ? { contact: withheld } : {}), typed, draftKept };
  const reader = await readerOf(values);
  const note = { reader, cleared: inputCleared(masked, shown), draft: draftKept };
  return { row: withTypedWithheldNote(masked, note), ...(withheld ? { contact: withheld } : {}), typed, draftKept };
}

const sameCard = (a: OutboxRow, b: OutboxRow) => JSON.stringify(a.card) === JSON.stringify(b.card);

/**
 * Keys whose values Feishu does not show as text, or which name something (a field, a link, an image, the options a
 * select starts with): kept as they are, strings and arrays alike.
 */
const UNSHOWN_KEY = /^(?:tag|name|element_id|img_key|image_key|file_key|initial_option|initial_options|selected_values|initial_chosen_options|template)$|url$/i;

/**
 * A text or card row with `mask` applied to every string its reader is shown (`markdown`: a card's rich text, as its
 * markdown elements and lark_md texts hold it). A button's `value` and a callback's `behaviors` are what come back on a
 * click: never rewritten. An input's `default_value` changed by the mask is dropped: submitted, the mask would come
 * back as if typed; one of the person's own words stored nowhere yet (DRAFT_INPUT_ID) is kept masked (`draft`) unless
 * `mask` answers undefined for it.
 */
function shownMasked(row: OutboxRow, mask: (text: string, markdown: boolean, draft?: boolean) => string | undefined): OutboxRow {
  const walk = (v: unknown, markdown = false): unknown => {
    if (typeof v === 'string') return mask(v, markdown) ?? v;
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (!v || typeof v !== 'object') return v;
    const node = v as Record<string, unknown>;
    const rich = node.tag === 'markdown' || node.tag === 'lark_md';
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(node)) {
      if (k === 'value' || k === 'behaviors' || UNSHOWN_KEY.test(k)) out[k] = x;
      else if (k === 'default_value' && typeof x === 'string') {
        // the person's own words not yet sent anywhere (DRAFT_INPUT_ID): kept masked, the note says to type them again
        const draft = typeof node.element_id === 'string' && node.element_id.startsWith(DRAFT_INPUT_ID);
        const shown = mask(x, false, draft);
        if (shown === x || (draft && shown !== undefined)) out[k] = shown;
      } else out[k] = walk(x, rich && k === 'content');
    }
    return out;
  };
  return { ...row, card: walk(row.card) as OutboxRow['card'] };
}

/** An entity our markdown escaping writes (`&#95;`, cards/markdown.ts escapeText), or its hexadecimal form. */
const ENTITY = /&#(?:(\d{1,7})|[xX]([0-9a-fA-F]{1,6}));/g;
/** A link's destination in markdown, `](…)`: our own (`link` percent-encodes any `)` and space in it); a typed one is escaped. */
const LINK_TARGET = /\]\([^)\s]*\)/g;
/** An address as its reader sees it, to where a space, a bracket or a CJK character ends it. */
const ADDRESS = /[a-z][a-z0-9+.-]*:\/\/[^\s<>"'()[\]{}\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+/gi;

/**
 * `withoutContacts` as the reader sees a text: in a card's markdown (`markdown`), through the entities our escaping writes
 * (`wang&#95;li@qq.com`, a line that is only `&#49;&#51;…&#46;`, are an address and a number to a reader, and to DLP), an
 * entity-written one replaced whole. What is no text a reader sees as such, nor works once rewritten, is kept: a link's
 * destination, and any address (`…/s?mid=2247483650`, `…/doc/12345678`).
 */
function shownWithoutContacts(text: string, markdown: boolean, found?: (value: string) => void): string {
  // the text as read, each of its UTF-16 units with the span of `text` it comes from
  let seen = '';
  const from: number[] = [];
  const to: number[] = [];
  const add = (chars: string, start: number, end: number) => {
    seen += chars;
    for (let i = 0; i < chars.length; i++) {
      from.push(start);
      to.push(end);
    }
  };
  let i = 0;
  if (markdown) {
    for (const m of text.matchAll(ENTITY)) {
      for (; i < m.index; i++) add(text[i], i, i + 1);
      const code = m[1] !== undefined ? Number(m[1]) : parseInt(m[2], 16);
      const end = m.index + m[0].length;
      if (code > 0x10ffff) for (; i < end; i++) add(text[i], i, i + 1);
      else add(String.fromCodePoint(code), m.index, end);
      i = end;
    }
  }
  for (; i < text.length; i++) add(text[i], i, i + 1);
  const spans = contactSpans(seen);
  if (!spans.length) return text;
  // kept: a link's destination (in `text`), an address (as read)
  const keptInText = markdown ? [...text.matchAll(LINK_TARGET)].map((m) => [m.index, m.index + m[0].length]) : [];
  const keptSeen = [...seen.matchAll(ADDRESS)].map((m) => [m.index, m.index + m[0].length]);
  let out = '';
  let done = 0;
  for (const span of spans) {
    const start = from[span.start];
    const end = to[span.end - 1];
    if (start < done) continue;
    if (keptSeen.some(([a, b]) => span.start < b && a < span.end) || keptInText.some(([a, b]) => start < b && a < end)) continue;
    out += text.slice(done, start) + span.mask;
    found?.(seen.slice(span.start, span.end));
    done = end;
  }
  return done === 0 ? text : out + text.slice(done);
}

/** A contact as compared (`typedReader`): an e-mail in lower case; a phone's digits, a mobile's without its +86. */
function contactKey(value: string): string {
  if (value.includes('@')) return value.toLowerCase();
  const digits = value.replace(/\D/g, '');
  return /^861\d{10}$/.test(digits) ? digits.slice(2) : digits;
}

/** What DLP may still take for a phone or an e-mail once masked: seven digits in a row whatever precedes them, an @ between words. */
const numberLike = (text: string) => /\d{7,}|[\w.+-]@[\w-]/.test(text);

/** Whether `masked` has an input left empty that `shown` had filled. */
function inputCleared(masked: OutboxRow, shown: OutboxRow): boolean {
  const filled = (card: unknown) => {
    let n = 0;
    JSON.stringify(card, (k, x: unknown) => {
      if (k === 'default_value') n++;
      return x;
    });
    return n;
  };
  return filled(masked.card) < filled(shown.card);
}

/**
 * What its reader is told of the contacts withheld, at the end of a text, as the first line of a card (a grey note, above
 * what it says of): TYPED_CONTACTS_WITHHELD, the administrators' TYPED_CONTACTS_WITHHELD_ADMINS, or to the person whose
 * own they are, where they are kept (`typedOwnNote`); then what became of a form's inputs.
 */
function withTypedWithheldNote(row: OutboxRow, opts: { reader: TypedReader; cleared: boolean; draft: boolean }): OutboxRow {
  const { reader } = opts;
  const note = reader.kind === 'administrators' ? TYPED_CONTACTS_WITHHELD_ADMINS : reader.kind === 'own' ? typedOwnNote(reader) : TYPED_CONTACTS_WITHHELD;
  const said = `${note}${opts.draft ? TYPED_DRAFT_MASKED : ''}${opts.cleared ? TYPED_INPUT_CLEARED : ''}`;
  const card = row.card as { text?: unknown; body?: { elements?: unknown }; elements?: unknown };
  if (row.msgType === 'text') return typeof card.text === 'string' ? { ...row, card: { ...card, text: `${card.text}\n\n${said}` } } : row;
  // our own words, markdown as they are: no [text] of them is followed by (, so none is a link
  if (card.body && Array.isArray(card.body.elements)) return { ...row, card: { ...card, body: { ...card.body, elements: [{ tag: 'markdown', content: said, text_size: 'notation' }, ...(card.body.elements as unknown[])] } } as OutboxRow['card'] };
  // a card of JSON 1.0: its elements at the top level
  if (Array.isArray(card.elements)) return { ...row, card: { ...card, elements: [{ tag: 'markdown', content: said }, ...(card.elements as unknown[])] } as OutboxRow['card'] };
  return row;
}

/**
 * A row as sent: 协会联系方式 after each 请联系协会 of its text (as typed: the transport makes a text message inert) or of
 * its card (escaped in markdown). Files and images are as they are.
 */
function withContactInRow(row: OutboxRow, contact: AssociationContact | undefined): OutboxRow {
  if (!contact || (row.msgType !== 'text' && row.msgType !== 'interactive')) return row;
  const card = row.card as { text?: unknown };
  if (row.msgType === 'text') return typeof card.text === 'string' ? { ...row, card: { ...card, text: withContact(card.text, contact) } } : row;
  const shown = withContactInCard(row.card, contact);
  return shown === row.card ? row : { ...row, card: shown };
}
