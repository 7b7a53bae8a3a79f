import * as lark from './lark/sdk.js';
import type { ReservedSql } from 'postgres';
import { z } from 'zod';
import type { Database, Db } from '../db/index.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { type BotRegistry, type CardActionInput, type CardResponse, type FastOutcome, type HandlerContext, type IncomingFile, type IncomingText, onlyStops, Refusal } from './handlers.js';
import { sdkLogger } from './lark/client.js';
import type { FeishuReader } from './lark/reader.js';
import { errorText, type Logger } from './log.js';
import { metrics } from './metrics.js';
import { databaseUnreachable } from './reachability.js';
import { type Destination, dropWaiting, enqueue, enqueueQuietly, HANDOVER_MS, type OutgoingMessage } from './outbox.js';
import { dropUnfinishedNotice, holdUnfinishedNotice, LATE_CLICK_LEASE_MS, unfinishedClickNotice } from './lateClicks.js';
import { ContactSeen } from './associationContact.js';
import { withContact, withContactInCard } from '../cards/contact.js';
import { type Actor, actorFromClaim, claimEventAndLoadActor, claimEventSql, KnownActors, sameActor } from './people.js';
import { adminOutboxQuery } from './fast/sql.js';
import { answerOf, postgresClient, ReadAfterCommit, rolledBackWhole, transactionOnGuess, transactionWith } from './pipeline.js';
import { storable } from './storable.js';

/** card.action.trigger as the SDK flattens it ({...header, ...event}); the SDK has no type for it. */
export const cardActionSchema = z.object({
  event_id: z.string().min(1),
  operator: z.object({ open_id: z.string().min(1) }).passthrough(),
  // the optional fields may come as null (the SDKs type them so): read as absent
  token: z.string().nullish().transform((v) => v ?? undefined),
  action: z
    .object({
      value: z.record(z.string(), z.unknown()).nullish(),
      form_value: z.record(z.string(), z.unknown()).nullish(),
      tag: z.string().nullish().transform((v) => v ?? undefined),
      name: z.string().nullish().transform((v) => v ?? undefined),
      option: z.string().nullish().transform((v) => v ?? undefined),
    })
    .passthrough(),
  context: z
    .object({ open_message_id: z.string().nullish().transform((v) => v ?? undefined), open_chat_id: z.string().nullish().transform((v) => v ?? undefined) })
    .passthrough()
    .nullish()
    .transform((v) => v ?? undefined),
});

export const messageEventSchema = z.object({
  event_id: z.string().min(1),
  // another app's message may come without a sender's open_id (the SDK types it optional): ignored as any app's is
  sender: z.object({ sender_id: z.object({ open_id: z.string().nullish() }).passthrough().nullish(), sender_type: z.string().nullish() }).passthrough(),
  message: z
    .object({
      message_id: z.string(),
      chat_id: z.string(),
      chat_type: z.string(),
      message_type: z.string(),
      content: z.string(),
      // @所有人 may come without an id (or none at all in the list): a mention without one is nobody's, not a malformed event
      mentions: z
        .array(z.object({ key: z.string(), name: z.string().nullish(), id: z.object({ open_id: z.string().nullish() }).passthrough().nullish() }).passthrough())
        .nullish(),
    })
    .passthrough(),
});

export interface ProcessorDeps {
  database: Database;
  registry: BotRegistry;
  clock: Clock;
  config: Config;
  log: Logger;
  /** Called after a transaction that queued messages commits. */
  onCommitted?: () => void;
  /** The bot's own open_id, to tell a mention of the bot from a mention of someone else. */
  botOpenId?: () => Promise<string | undefined>;
  /** Reads from Feishu for handlers (files sent to the bot, contact look-ups). */
  feishu?: FeishuReader;
  /** Runs before a message is handled: links someone imported before they had an open_id here. */
  linkSender?: (openId: string) => Promise<void>;
  /** Looks people up by mobile or e-mail in the tenant's address book. */
  findUsers?: HandlerContext['findUsers'];
  /**
   * How long a card action may take before it is answered with `slowToast` (CARD_ANSWER_MS, unless given). Tests
   * that click through HTTP and check the answer's card give it far longer: a starved machine took past 2.5 s.
   */
  cardAnswerMs?: number;
  /** The 协会联系方式 this process read last (each claim reads it): appended to 请联系协会 in card answers. */
  contact?: ContactSeen;
}

/**
 * Feishu counts a message event not answered within 3 s as failed and pushes it again ("需要在 3 秒内处理完成，否则会触发
 * 超时重推", the node SDK's README on the long connection; the same for the request URL). What a message asks of the
 * Open Platform before it is handled (the bot's own open_id, the sender's address-book entry) is waited for this long
 * at most, each: a slow API costs the answer 2 s at most, where the SDK's timeout let each hold it 20 s.
 */
export const MESSAGE_LOOKUP_WAIT_MS = 1_000;

/** What `work` gives, or `late` when it takes more than `ms`; the work goes on either way. */
async function within<T, L>(work: Promise<T>, ms: number, late: L): Promise<T | L> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<L>((resolve) => (timer = setTimeout(() => resolve(late), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

// a delivery seen before may have been refused the first time: the answer claims nothing was done, nor that it was not
const duplicateToast: CardResponse = { toast: { type: 'info', content: '这次点击已收到，请以卡片当前内容为准；如卡片未更新，请重新打开后再操作' } };

/** The answers to a redelivered click that say nothing of its result, by the action's label: a late one sends nothing more. */
const duplicateToasts = new Map<string, CardResponse>();
const isDuplicateToast = (answer: CardResponse) => answer === duplicateToast || duplicateToasts.get(answer.toast?.content ?? '') === answer;

/**
 * The answer to a redelivered click, naming the action as its button does (“保留称号”) when it has a label: handled
 * before, done or refused (the toast says which only where the action's `duplicate` reads it from what it left).
 */
export function duplicateToastFor(label: string | undefined): CardResponse {
  if (!label) return duplicateToast;
  const content = `“${label}”：这次点击已收到并处理过，请以卡片当前内容为准；如卡片未更新，请重新打开后再操作`;
  let answer = duplicateToasts.get(content);
  if (!answer) duplicateToasts.set(content, (answer = { toast: { type: 'info', content } }));
  return answer;
}

/** The answer to a card action the database could not take now: nothing was done, a later click works. */
export const unavailableToast: CardResponse = { toast: { type: 'error', content: '系统暂时不可用，请稍后再试' } };

/** The answer to a card action still being handled when Feishu's time is nearly up: it goes on, and its card follows. */
export const slowToast: CardResponse = { toast: { type: 'info', content: '正在处理，请稍候：完成后会更新这张卡片，或发消息告诉你结果' } };

/**
 * A card action that failed for a reason nobody foresaw: answered with HTTP 200 and this toast, as Feishu asks ("在接收回调的 3
 * 秒内先以 HTTP 200 状态码响应该回调", https://open.feishu.cn/document/ukTMukTMukTM/uMDO1YjLzgTN24yM4UjN); a 500 shows the user
 * Feishu's own error code and nothing of what to do.
 */
export const failedToast: CardResponse = { toast: { type: 'error', content: '出了点问题，这次操作可能没有完成：请稍后再试一次；若一再出现，请联系协会管理员' } };

/**
 * How long a card action may take before it is answered with `slowToast`: Feishu wants the callback's answer within
 * 3 s (https://open.larkoffice.com/document/ukTMukTMukTM/uMDO1YjLzgTN24yM4UjN), else the user sees an error of
 * Feishu's own. The work goes on and commits (a slow machine still gets it done: a click answered "try again" and
 * rolled back would fail the same way each time); its card then replaces the clicked one through the outbox, as
 * DESIGN.md's delayed card update.
 */
export const CARD_ANSWER_MS = 2500;

/** How long after a late answer's card is queued a newer click's card, answered in time, still takes it off the queue. */
const LATE_CARD_WATCH_MS = 120_000;

/**
 * The last part of CARD_ANSWER_MS, kept for a click whose work is at its COMMIT when the rest has passed (its result not
 * queued with it): the answer is then the result itself. Any other click is answered `slowToast` when the rest has
 * passed, and one still committing at CARD_ANSWER_MS too, its result queued after the COMMIT.
 */
export const COMMIT_WAIT_MS = 300;

/**
 * A card action being handled, as its answer and its transaction see it. Answered `slowToast` before its work reaches
 * its COMMIT (`late`), the work queues its result in its own transaction: a process dying once it has committed (kill
 * -9, out of memory) cannot lose the word the toast promised. Reaching its COMMIT first (`committing`), it is answered
 * with its result, waited for up to COMMIT_WAIT_MS.
 */
interface ClickWatch {
  eventId: string;
  openId: string;
  messageId?: string;
  click: number;
  late: boolean;
  committing: boolean;
  /** The late answer queued in the work's transaction: the card's dedupe key, if a card went; undefined when none was. */
  queued?: { card?: string };
}

/**
 * Runs each event once: the event_id row and every effect commit in one transaction, so a retried
 * delivery finds the row and does nothing, and a failed one leaves nothing behind to block the retry.
 */
export class EventProcessor {
  /** Whether declared fast paths are tried; off, every action takes its ordinary transaction (compared in tests). */
  fastPaths = true;
  /** The actor of each recent sender, as their last event found them (a guess, checked by every claim). */
  private readonly actors = new KnownActors();

  /** 协会联系方式 as the latest claim read it (src/associationContact.ts). */
  private readonly contact: ContactSeen;

  constructor(private readonly deps: ProcessorDeps) {
    this.contact = deps.contact ?? new ContactSeen();
  }

  /** Card actions in the order they arrived: the later click is the newer card. */
  private clicks = 0;
  /**
   * The card messages with a late answer of this process still working or just queued: the newest click whose card was
   * given on it (answered in time, or queued late), and the late cards queued (dedupe key, click). An ordinary click
   * pays a look-up here, no round trip.
   */
  private readonly lateCards = new Map<string, { newest: number; working: number; queued: Map<string, number> }>();

  /** Clicks answered `slowToast` whose work is still running, by event id: the person who clicked. */
  private readonly lateClicks = new Map<string, string>();
  /** Those of them a stop told of (`handOverUnfinished`): the notice queued then speaks for a failure. */
  private readonly handedOver = new Set<string>();
  /** Their notices, queued as each was answered and held while this process lives (`leaseNotice`). */
  private readonly leases = new Map<string, { queued: Promise<unknown>; stop: () => void }>();

  /** Handlers still running (both receivers): a stop waits for them before it closes connections. */
  private readonly running = new Set<Promise<unknown>>();

  /** Resolves once every handler running now (and any started meanwhile) has finished, or after `timeoutMs`; true when all finished. */
  async settled(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.running.size) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.running]), new Promise((resolve) => (timer = setTimeout(resolve, left)))]);
      clearTimeout(timer);
    }
    return true;
  }

  private track(work: Promise<unknown>): void {
    const tracked: Promise<unknown> = work.then(
      () => this.running.delete(tracked),
      () => this.running.delete(tracked),
    );
    this.running.add(tracked);
  }

  /** One SDK dispatcher for both receivers (HTTP and the WS client). */
  createDispatcher(): lark.EventDispatcher {
    const handles: Record<string, (data: Record<string, unknown>) => Promise<unknown>> = {
      'im.message.receive_v1': (d) => this.onMessage(d),
      'card.action.trigger': (d) => this.onCardAction(d),
    };
    for (const type of this.deps.registry.events.keys()) handles[type] = (d) => this.onOtherEvent(type, d);
    const sdkLog = sdkLogger(this.deps.log, [this.deps.config.LARK_ENCRYPT_KEY, this.deps.config.LARK_VERIFICATION_TOKEN]);
    const dispatcher = new lark.EventDispatcher({ logger: quietUnhandledTypes(sdkLog, this.deps.log, new Set(Object.keys(handles))), loggerLevel: lark.LoggerLevel.warn });
    // what fails leaves as an error that says what failed and not with what values: over the long connection the SDK
    // logs it itself as text (`error: ${error}`), past our log's serializer (a Drizzle error's message holds its params)
    for (const [type, handle] of Object.entries(handles)) {
      handles[type] = (d) => {
        // NUL or a lone surrogate in an id (an event's, a message's, a person's) would fail every statement that stores
        // it, and Feishu would retry the event for ever: cleaned once here, as typed text is (3 µs for a score sheet's)
        const run = handle(storable(d)).catch((err: unknown) => {
          throw new Error(failureText(err), { cause: err });
        });
        this.track(run);
        return run;
      };
    }
    dispatcher.register(handles as never);
    return dispatcher;
  }

  private async once<T>(
    event: { eventId: string; eventType: string; openId: string; dedupeKey?: string; replyTo?: string; said?: string },
    onDuplicate: T,
    work: (ctx: HandlerContext) => Promise<T | ReadAfterCommit<T>>,
    /** A better answer to a delivery seen before, read from the state the first one left. */
    answerDuplicate?: (tx: Db) => Promise<T | undefined>,
    /** A card action's: answered late, its result is queued in this transaction (`sealClick`). */
    click?: ClickWatch,
  ): Promise<T> {
    const { log } = this.deps;
    const { eventId, eventType, openId } = event;
    const dedupeKey = event.dedupeKey ?? eventId;
    const queued = { n: 0 };
    type Result = { duplicate: true; answer?: T } | { duplicate: false; value: T };
    let result: Result;
    // a transaction begun again (a wrong guess of the actor, a refusal) starts with nothing queued
    const seal = async (tx: Db, value: T | ReadAfterCommit<T>): Promise<T | ReadAfterCommit<T>> =>
      click ? ((await this.sealClick(tx, click, value as CardResponse | ReadAfterCommit<CardResponse>, queued)) as T | ReadAfterCommit<T>) : value;
    try {
      result = await this.claimed<Result>(dedupeKey, eventType, openId, async (tx, actor) => {
        if (click) click.queued = undefined;
        if (!actor) return { duplicate: true as const, answer: await answerDuplicate?.(tx) };
        const value = await seal(tx, await work(this.context(tx, actor, event, queued)));
        // the answer read after the COMMIT, in its round trip (see ReadAfterCommit)
        if (value instanceof ReadAfterCommit) return new ReadAfterCommit(async (db) => ({ duplicate: false as const, value: await value.read(db) }));
        return { duplicate: false as const, value };
      });
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      // the refused work left nothing behind; record the event and answer in a transaction of its own
      queued.n = 0;
      result = await this.claimed(dedupeKey, eventType, openId, async (tx, actor) => {
        if (click) click.queued = undefined;
        if (!actor) return { duplicate: true as const, answer: await answerDuplicate?.(tx) };
        return { duplicate: false as const, value: (await seal(tx, (await err.answer(this.context(tx, actor, event, queued))) as T)) as T };
      });
      metrics.eventsProcessed.inc({ type: eventType, outcome: 'refused' });
    }
    if (result.duplicate) {
      metrics.eventsProcessed.inc({ type: eventType, outcome: 'duplicate' });
      log.info({ eventId, eventType, dedupeKey }, 'duplicate event ignored');
      return result.answer ?? onDuplicate;
    }
    metrics.eventsProcessed.inc({ type: eventType, outcome: 'ok' });
    if (queued.n) this.deps.onCommitted?.();
    return result.value;
  }

  /**
   * A transaction that first records the event and loads who acts (undefined when the event was seen
   * before). On PostgreSQL that statement is prepared and goes out with the BEGIN: one round trip.
   */
  private async claimed<R>(eventId: string, eventType: string, openId: string, body: (tx: Db, actor: Actor | undefined) => Promise<R | ReadAfterCommit<R>>): Promise<R> {
    const { database, config } = this.deps;
    const client = postgresClient(database);
    if (!client) {
      const result = await database.db.transaction(async (tx) => body(tx, await claimEventAndLoadActor(tx, eventId, eventType, openId, config.ADMIN_OPEN_IDS, (c) => this.contact.seen(c))));
      return answerOf(result, database.db);
    }
    const claim = (conn: ReservedSql) => conn.unsafe(claimEventSql, [eventId, eventType, openId], { prepare: true }).execute();
    const actorOf = (rows: readonly unknown[]) => {
      this.contact.seen((rows[0] as { association_contact?: unknown } | undefined)?.association_contact);
      const actor = actorFromClaim(openId, rows[0] as never, config.ADMIN_OPEN_IDS);
      if (actor) this.actors.remember(actor);
      return actor;
    };
    // who acted last time is the likely actor now: the handler starts on that guess, its first statement with the claim
    const known = this.actors.get(openId);
    if (known) {
      // the handler gets its own copy: the kept actor stays what the last claim found
      const guess = { value: { ...known, roles: [...known.roles] }, holds: (rows: readonly unknown[]) => sameActor(actorOf(rows), known) };
      const guessed = await transactionOnGuess(database, client, claim, guess, body);
      if (guessed) return guessed.value;
    }
    return transactionWith(database, client, claim, (tx, rows) => body(tx, actorOf(rows)));
  }

  /**
   * The end of a card action's transaction, before its COMMIT: answered `slowToast` already, its result (read now, in
   * the transaction, where an in-time answer reads it after the COMMIT) is queued here, so it commits with the work or
   * not at all; else the answer waits for the COMMIT (`ClickWatch`).
   */
  private async sealClick(tx: Db, click: ClickWatch, value: CardResponse | ReadAfterCommit<CardResponse>, queued: { n: number }): Promise<CardResponse | ReadAfterCommit<CardResponse>> {
    if (!click.late) {
      click.committing = true;
      return value;
    }
    click.committing = false;
    const answer = value instanceof ReadAfterCommit ? await value.read(tx) : value;
    const { messages, card } = this.lateMessages(click, withContactInAnswer(answer, this.contact.current), false);
    for (const message of messages) await enqueue(tx, message);
    queued.n += messages.length;
    click.queued = { card };
    return answer;
  }

  private context(tx: Db, actor: Actor, event: { eventId: string; eventType: string; replyTo?: string; said?: string }, queued: { n: number }): HandlerContext {
    const { config, clock, log } = this.deps;
    const { eventId } = event;
    const answersUser = event.eventType === 'im.message.receive_v1' || event.eventType === 'card.action.trigger';
    // the answer to what the user just did goes before bulk notifications; messages to anyone else stay bulk
    const isInteractive = (to: Destination) =>
      answersUser && (('openId' in to && to.openId === actor.openId) || ('replyTo' in to && to.replyTo === event.replyTo));
    // a card answering someone in a group says whom and what they sent: a group that takes no cards (a 互通群) then still
    // answers them, privately (OutgoingMessage.asked)
    const asked = (message: OutgoingMessage): OutgoingMessage['asked'] =>
      answersUser && actor.openId && (message.card || message.render) && 'replyTo' in message.to && message.to.replyTo === event.replyTo && !message.to.p2pOpenId
        ? { openId: actor.openId, ...(event.said ? { said: event.said } : {}) }
        : undefined;
    const queue = (message: OutgoingMessage): OutgoingMessage => {
      const who = asked(message);
      return { priority: isInteractive(message.to) ? 'interactive' : 'bulk', ...message, ...(who ? { asked: { ...who, ...message.asked } } : {}) };
    };
    const bind = (db: Db): HandlerContext => ({
      tx: db,
      actor,
      clock,
      config,
      log: log.child({ eventId, actor: actor.openId }),
      eventId,
      send: async (message) => {
        await enqueueQuietly(db, queue(message));
        queued.n++;
      },
      sendToAdmins: async (message) => {
        await db.execute(adminOutboxQuery(message, config.ADMIN_OPEN_IDS, answersUser ? actor.openId : undefined));
        metrics.outboxEnqueued.inc();
        queued.n++;
      },
      sendIfNew: async (message) => {
        const added = await enqueue(db, queue(message));
        if (added) queued.n++;
        return added;
      },
      findUsers: (query) => (this.deps.findUsers ? this.deps.findUsers(query) : Promise.reject(new Error('no address book configured'))),
      within: (inner) => bind(inner),
      afterCommit: (read) => new ReadAfterCommit((committed) => read(bind(committed))),
      feishu: this.deps.feishu,
    });
    return bind(tx);
  }

  async onMessage(data: Record<string, unknown>): Promise<void> {
    const parsed = messageEventSchema.safeParse(data);
    if (!parsed.success) {
      this.deps.log.warn({ issues: parsed.error.issues.slice(0, 3) }, 'malformed message event ignored');
      return;
    }
    const { event_id, sender, message } = parsed.data;
    if (sender.sender_type && sender.sender_type !== 'user') return;
    const openId = sender.sender_id?.open_id;
    if (!openId) {
      this.deps.log.warn({ eventId: event_id }, 'message event without a sender open_id ignored');
      return;
    }
    // what is asked of the Open Platform first is waited for MESSAGE_LOOKUP_WAIT_MS at most, each: the bot's own open_id
    // (once a process, at the first mention in a group) and the sender's address-book entry (while imported people wait)
    const needBotId = message.chat_type !== 'p2p' && !!message.mentions?.length && !!this.deps.botOpenId;
    // late, it is as unknown: any mention counts as one of the bot (as when /bot/v3/info fails); Feishu sends a group's
    // messages only when they mention the bot (im:message.group_at_msg:readonly), so that one is among them
    const botId = needBotId ? await within(this.deps.botOpenId!(), MESSAGE_LOOKUP_WAIT_MS, undefined) : undefined;
    const incoming = toIncomingText(message, botId);
    // in a group the bot answers only when mentioned
    if (incoming.chatType === 'group' && !incoming.mentionedBot) return;
    const linking = this.deps.linkSender?.(openId).then(
      () => true,
      (err: unknown) => {
        this.deps.log.warn({ err, openId }, 'linking an imported person failed');
        return true;
      },
    );
    if (linking) {
      // a stop waits for a late link as for a handler (settled), so it is not cut off by the database closing
      this.track(linking);
      if (!(await within(linking, MESSAGE_LOOKUP_WAIT_MS, false))) {
        this.deps.log.warn({ openId, waitedMs: MESSAGE_LOOKUP_WAIT_MS }, 'linking the sender took longer than it may wait (the address book answers slowly): the message is handled now, the link made when it answers');
      }
    }
    await this.handleMessage(event_id, openId, message, incoming);
  }

  private async handleMessage(event_id: string, openId: string, message: z.infer<typeof messageEventSchema>['message'], incoming: IncomingText): Promise<void> {
    const { registry } = this.deps;
    // Feishu may redeliver a message under a new event_id: the message_id is what makes it the same
    // https://open.feishu.cn/document/server-docs/im-v1/message/events/receive
    // what was sent, as a group that takes no cards is told to send it privately: a bare mention is a call for the menu
    const typed = incoming.mentionedBot && onlyStops(incoming.text) ? '帮助' : incoming.text;
    const claim = { eventId: event_id, eventType: 'im.message.receive_v1', openId, dedupeKey: `message:${message.message_id}`, replyTo: message.message_id, said: typed };
    await this.once(claim, undefined, async (ctx) => {
      const file = message.message_type === 'file' ? fileOf(message.content) : undefined;
      if (file && registry.file && (await registry.file(ctx, incoming, file))) return;
      if (message.message_type !== 'text' && message.message_type !== 'post') {
        if (registry.fallback) await registry.fallback(ctx, { ...incoming, text: '', messageType: message.message_type }, '');
        return;
      }
      // a bare @mention is a call for the menu, and so is one followed by a stop alone (@助手 。)
      const whole = incoming.subject ? { ...incoming, text: `${incoming.subject} ${incoming.text}` } : incoming;
      const bare = incoming.mentionedBot && onlyStops(incoming.text);
      const body = registry.matchCommand(bare ? '帮助' : incoming.text);
      // a post's title read before its body only when the body alone is no command (条款 / 16)
      const [said, match] = body || whole === incoming ? [incoming, body] : [whole, registry.matchCommand(whole.text)];
      const done = match ? await match.def.run(ctx, said, match.argument, { glued: match.glued === true }) : false;
      if (done === false && registry.fallback) await registry.fallback(ctx, whole, whole.text);
    });
  }

  async onCardAction(data: Record<string, unknown>): Promise<CardResponse> {
    const started = performance.now();
    const parsed = cardActionSchema.safeParse(data);
    if (!parsed.success) {
      this.deps.log.warn({ issues: parsed.error.issues.slice(0, 3) }, 'malformed card action refused');
      return { toast: { type: 'error', content: '无法识别的卡片操作' } };
    }
    const { event_id, operator, action, context, token } = parsed.data;
    const value = storable(action.value ?? {});
    const verb = typeof value.action === 'string' ? value.action : '';
    const def = this.deps.registry.action(verb);
    if (!def) {
      this.deps.log.warn({ verb }, 'unknown card action');
      return { toast: { type: 'error', content: '该按钮已失效，请发送“帮助”重新打开菜单' } };
    }
    const input: CardActionInput = {
      value,
      formValue: storable(action.form_value ?? {}),
      tag: action.tag,
      name: action.name,
      option: action.option,
      messageId: context?.open_message_id,
      chatId: context?.open_chat_id,
      cardToken: token,
    };
    const claim = { eventId: event_id, eventType: 'card.action.trigger', openId: operator.open_id };
    const click = ++this.clicks;
    const watch: ClickWatch = { eventId: event_id, openId: operator.open_id, messageId: input.messageId, click, late: false, committing: false };
    const work = this.cardWork(claim, def, input, watch);
    let timer: NodeJS.Timeout | undefined;
    const answerMs = this.deps.cardAnswerMs ?? CARD_ANSWER_MS;
    let waited = false;
    // the answer goes by answerMs at the latest (Feishu waits 3 s from the request): a click found at its COMMIT when
    // the wait for it is all that is left gets that wait; any other is answered slowToast then
    const commitWait = Math.min(COMMIT_WAIT_MS, Math.floor(answerMs / 4));
    const late = new Promise<'late'>((resolve) => {
      const due = () => {
        // at its COMMIT, not late: its result is the answer, if it comes in time
        if (watch.committing && !waited) return void ((waited = true), (timer = setTimeout(due, commitWait)));
        watch.late = true;
        resolve('late');
      };
      timer = setTimeout(due, answerMs - commitWait);
    });
    const { log } = this.deps;
    try {
      const answer = await Promise.race([work, late]);
      if (answer !== 'late') {
        if (answer.card && input.messageId) this.cardShown(input.messageId, click);
        return answer;
      }
      log.warn({ eventId: event_id, verb, ms: answerMs }, 'card action not answered in time; answered as still running');
      if (input.messageId) this.lateCardsOf(input.messageId).working++;
      this.lateClicks.set(event_id, operator.open_id);
      if (operator.open_id) this.leaseNotice(event_id, operator.open_id);
      // a stop waits for it as for any handler: its card is queued before the connections close
      this.track(this.finishLate(event_id, verb, operator.open_id, input.messageId, click, work, watch));
      return slowToast;
    } catch (err) {
      if (!databaseUnreachable(err)) {
        log.error({ eventId: event_id, verb, err }, 'card action failed; answered with an error toast');
        metrics.eventsProcessed.inc({ type: 'card.action.trigger', outcome: 'failed' });
        // 请联系协会管理员 with how (协会联系方式 as this process last read it: the failed event's claim may not have)
        return withContactInAnswer(failedToast, this.contact.current);
      }
      log.warn({ eventId: event_id, verb, err: errorText(err) }, 'card action: database unreachable; answered as unavailable');
      return unavailableToast;
    } finally {
      clearTimeout(timer);
      metrics.callbackSeconds.observe({ kind: 'card' }, (performance.now() - started) / 1000);
    }
  }

  /** A card action's work: its fast path where it has one, else its transaction. */
  private async cardWork(claim: { eventId: string; eventType: string; openId: string }, def: NonNullable<ReturnType<BotRegistry['action']>>, input: CardActionInput, watch?: ClickWatch): Promise<CardResponse> {
    // 请联系协会 in the toast or the card says how (协会联系方式, as the event's claim read it; a fast path's, as this process last did)
    return withContactInAnswer(await this.cardWorkAsDrawn(claim, def, input, watch), this.contact.current);
  }

  private async cardWorkAsDrawn(claim: { eventId: string; eventType: string; openId: string }, def: NonNullable<ReturnType<BotRegistry['action']>>, input: CardActionInput, watch?: ClickWatch): Promise<CardResponse> {
    const { database, clock, config, log } = this.deps;
    const { eventId, openId } = claim;
    if (def.fast && this.fastPaths) {
      const fast = await def
        .fast({ ...claim, database, clock, config, log: log.child({ eventId, actor: openId }) }, input)
        .catch((err: unknown) => {
          // a deadlock or a serialisation failure rolled the whole write back: the ordinary path runs instead
          if (!abortedByServer(err)) throw err;
          log.warn({ eventId, code: (err as { code: string }).code }, 'one-statement path aborted by the server; ordinary path');
          return undefined;
        });
      if (fast) return this.answered(claim, fast, def.label);
    }
    const answerDuplicate = def.duplicate && ((tx: Db) => def.duplicate!(tx, { openId, config }, input));
    return await this.once(claim, duplicateToastFor(def.label), (ctx: HandlerContext) => def.dispatch(ctx, input), answerDuplicate, watch);
  }

  /**
   * A card action answered with `slowToast`, once its work is done: its card replaces the clicked one (an update of
   * the message, keyed by the event, so a redelivery queues it once); what a card cannot say (a refusal's reason, a
   * toast alone) is sent to the person who clicked as a message, and so is a failure, since the toast promised word of
   * the result. A redelivery of the same click, answered as a duplicate, sends nothing.
   */
  private async finishLate(eventId: string, verb: string, openId: string, messageId: string | undefined, click: number, work: Promise<CardResponse>, watch?: ClickWatch): Promise<void> {
    const { log } = this.deps;
    let answer: CardResponse;
    let failed = false;
    try {
      answer = await work;
    } catch (err) {
      log.error({ eventId, verb, err }, 'card action answered late failed');
      metrics.eventsProcessed.inc({ type: 'card.action.trigger', outcome: 'failed' });
      answer = {};
      failed = true;
    }
    const cards = messageId ? this.lateCards.get(messageId) : undefined;
    if (cards) cards.working--;
    this.lateClicks.delete(eventId);
    const lease = this.leases.get(eventId);
    this.leases.delete(eventId);
    lease?.stop();
    // queued with the work, committed: what is left is this process's watch on the card
    const say = () => (!failed && watch?.queued ? this.saidLate(eventId, verb, messageId, click, watch.queued.card) : this.sayLate(eventId, verb, openId, messageId, click, answer, failed));
    try {
      // a stop handed the click over: what happened is said here instead, if it still can be. A failure is left to the
      // notice, which reads what it left: nothing saved (rolled back), or saved (the read after its COMMIT failed as
      // the database closed) with no answer queued
      if (this.handedOver.delete(eventId) && failed) return;
      if (failed && watch?.queued) {
        // its COMMIT failed with its result queued in it (the connection lost as it committed): whether it committed is
        // for the notice to tell, which reads what the click left, held until then; said here, the person could get the
        // result and “可能没有完成” both, or neither truly
        await lease?.queued;
        await holdUnfinishedNotice(this.deps.database.db, eventId, new Date(this.deps.clock.now().getTime() + HANDOVER_MS));
        return;
      }
      await say();
      await lease?.queued;
      await dropUnfinishedNotice(this.deps.database.db, eventId);
    } catch (err) {
      // the notice, held, is then dropped by its renderer if the click was done (src/lateClicks.ts)
      log.warn({ eventId, verb, err: errorText(err) }, 'card action answered late: its notice could not be dropped');
    } finally {
      if (messageId) this.forgetIdle(messageId);
    }
  }

  /**
   * A stop whose grace ran out with clicks answered `slowToast` still working: each person is queued the notice that
   * their click was cut short (src/lateClicks.ts), held until HANDOVER_MS from now, when this process is gone and the
   * work, rolled back or committed, is known. How many were queued.
   */
  async handOverUnfinished(): Promise<number> {
    const open = [...this.lateClicks].filter(([, openId]) => openId);
    if (!open.length) return 0;
    const holdUntil = new Date(this.deps.clock.now().getTime() + HANDOVER_MS);
    // marked first: a click that fails while its notice is being queued leaves the saying to the notice, not to both
    for (const [eventId] of open) this.handedOver.add(eventId);
    // their notices, held while this process lived, go once it is gone
    for (const [eventId] of open) this.leases.get(eventId)?.stop();
    try {
      await this.deps.database.db.transaction(async (tx) => {
        for (const [eventId, openId] of open) {
          await enqueue(tx, unfinishedClickNotice(eventId, openId, holdUntil));
          await holdUnfinishedNotice(tx, eventId, holdUntil);
        }
      });
    } catch (err) {
      for (const [eventId] of open) this.handedOver.delete(eventId);
      throw err;
    }
    this.deps.log.warn({ clicks: open.length }, 'clicks answered as still running were cut short by the stop: each person is told, unless the click is found done');
    return open.length;
  }

  /**
   * A click just answered `slowToast`: the notice that it was cut short is queued at once, held LATE_CLICK_LEASE_MS
   * and held on while this process lives, so a death before the work's COMMIT (or a one-statement path's, whose result
   * is queued after it) is still told; `finishLate` drops it once the result is queued.
   */
  private leaseNotice(eventId: string, openId: string): void {
    const { database, clock, log } = this.deps;
    const until = () => new Date(clock.now().getTime() + LATE_CLICK_LEASE_MS);
    const queued = enqueue(database.db, unfinishedClickNotice(eventId, openId, until())).catch((err: unknown) =>
      log.warn({ eventId, err: errorText(err) }, 'card action answered late: the notice held for it could not be queued'),
    );
    const timer = setInterval(() => {
      holdUnfinishedNotice(database.db, eventId, until()).catch((err: unknown) => log.warn({ eventId, err: errorText(err) }, 'card action answered late: its notice could not be held on'));
    }, LATE_CLICK_LEASE_MS / 3).unref();
    this.leases.set(eventId, { queued, stop: () => clearInterval(timer) });
  }

  /**
   * What a late answer sends: its card over the clicked one (unless a newer click's card was given on it since), and
   * what the card cannot say; `card` is the card's dedupe key when it goes.
   */
  private lateMessages(click: { eventId: string; openId: string; messageId?: string; click: number }, answer: CardResponse, failed: boolean): { messages: OutgoingMessage[]; card?: string; stale: boolean } {
    const { eventId, openId, messageId } = click;
    if (isDuplicateToast(answer)) return { messages: [], stale: false };
    const toast = answer.toast?.content;
    const said = failed
      ? '你刚才在卡片上的操作出了问题，可能没有完成。请稍后再试一次；若一再出现，请联系协会管理员。'
      : toast && (!answer.card || answer.toast?.type === 'error')
        ? answer.toast?.type === 'error'
          ? `你刚才在卡片上的操作没有完成：${toast}`
          : `你刚才在卡片上的操作：${toast}`
        : undefined;
    // a late card older than a card since given on the same message (a newer click's) would put the older state back
    const watch = messageId ? this.lateCards.get(messageId) : undefined;
    const stale = !!answer.card && !!watch && watch.newest > click.click;
    const messages: OutgoingMessage[] = [];
    const card = answer.card && messageId && !stale ? `late-answer:${eventId}` : undefined;
    if (card) messages.push({ dedupeKey: card, to: { updateMessage: messageId! }, card: answer.card!.data, priority: 'interactive' });
    if (said && openId) messages.push({ dedupeKey: `late-answer:${eventId}:said`, to: { openId }, text: said, priority: 'interactive' });
    return { messages, card, stale };
  }

  /** What `finishLate` sends of a late answer its work did not queue: its card over the clicked one, and what the card cannot say. */
  private async sayLate(eventId: string, verb: string, openId: string, messageId: string | undefined, click: number, answer: CardResponse, failed: boolean): Promise<void> {
    const { log, database } = this.deps;
    const { messages, card, stale } = this.lateMessages({ eventId, openId, messageId, click }, answer, failed);
    if (!messages.length && !stale) return;
    try {
      for (const message of messages) await enqueue(database.db, message);
      if (stale) log.info({ eventId, verb }, 'card action answered late: its card dropped, a newer click on the card was answered since');
      await this.saidLate(eventId, verb, messageId, click, card, messages.length);
    } catch (err) {
      log.warn({ eventId, verb, err: errorText(err) }, 'card action answered late: its result could not be queued');
    }
  }

  /**
   * A late answer queued (by its work's transaction, or after it): its card is watched, so that a newer click's card,
   * answered in time, takes it off the queue; one given already while the work committed takes it off now.
   */
  private async saidLate(eventId: string, verb: string, messageId: string | undefined, click: number, card: string | undefined, sent?: number): Promise<void> {
    const { log, database } = this.deps;
    if (card && messageId) {
      const queued = this.lateCardsOf(messageId);
      if (queued.newest > click) {
        await dropWaiting(database.db, [card], 'a newer click on the card was answered first').catch((err: unknown) =>
          log.warn({ eventId, verb, err: errorText(err) }, 'a late card older than the one shown could not be dropped'),
        );
        log.info({ eventId, verb }, 'card action answered late: its card dropped, a newer click on the card was answered since');
        card = undefined;
      } else {
        queued.newest = Math.max(queued.newest, click);
        queued.queued.set(card, click);
        setTimeout(() => {
          queued.queued.delete(card!);
          this.forgetIdle(messageId);
        }, LATE_CARD_WATCH_MS).unref();
      }
    }
    log.info({ eventId, verb, card: Boolean(card), messages: sent, withWork: sent === undefined }, 'card action answered late: its result follows through the outbox');
  }

  private lateCardsOf(messageId: string) {
    let watch = this.lateCards.get(messageId);
    if (!watch) this.lateCards.set(messageId, (watch = { newest: 0, working: 0, queued: new Map() }));
    return watch;
  }

  private forgetIdle(messageId: string): void {
    const watch = this.lateCards.get(messageId);
    if (watch && !watch.working && !watch.queued.size) this.lateCards.delete(messageId);
  }

  /**
   * A click answered in time with a card, which Feishu shows now: a late answer of an older click on the same message
   * still working is dropped when it ends, and one queued and not yet sent is taken off the queue.
   */
  private cardShown(messageId: string, click: number): void {
    const watch = this.lateCards.get(messageId);
    if (!watch) return;
    watch.newest = Math.max(watch.newest, click);
    const older = [...watch.queued].filter(([, c]) => c < click).map(([key]) => key);
    if (!older.length) return;
    for (const key of older) watch.queued.delete(key);
    this.forgetIdle(messageId);
    this.track(
      dropWaiting(this.deps.database.db, older, 'a newer click on the card was answered first').catch((err: unknown) =>
        this.deps.log.warn({ messageId, err: errorText(err) }, 'a late card older than the one shown could not be dropped'),
      ),
    );
  }

  /** The bookkeeping `once` does, for an event a fast path handled itself. */
  private answered(event: { eventId: string; eventType: string; openId: string }, fast: FastOutcome, label: string | undefined): CardResponse {
    metrics.eventsProcessed.inc({ type: event.eventType, outcome: fast.outcome });
    if (fast.outcome !== 'duplicate') {
      if (fast.changesSender) this.actors.forget(event.openId);
      if (fast.queued) {
        metrics.outboxEnqueued.inc(fast.queued);
        this.deps.onCommitted?.();
      }
      return fast.answer;
    }
    this.deps.log.info({ eventId: event.eventId, eventType: event.eventType, dedupeKey: event.eventId }, 'duplicate event ignored');
    return fast.answer ?? duplicateToastFor(label);
  }

  async onOtherEvent(eventType: string, data: Record<string, unknown>): Promise<void> {
    const def = this.deps.registry.events.get(eventType);
    const eventId = typeof data.event_id === 'string' ? data.event_id : typeof data.uuid === 'string' ? data.uuid : '';
    if (!def || !eventId) return;
    const openId = operatorOpenId(data);
    await this.once({ eventId, eventType, openId }, undefined, (ctx) => def.run(ctx, data));
  }
}

/** A file message's content: {"file_key": "...", "file_name": "..."}. */
function fileOf(content: string): IncomingFile | undefined {
  try {
    const c = JSON.parse(content) as { file_key?: unknown; file_name?: unknown };
    return typeof c.file_key === 'string' && c.file_key ? { fileKey: c.file_key, fileName: typeof c.file_name === 'string' ? storable(c.file_name) : '' } : undefined;
  } catch {
    return undefined;
  }
}

function operatorOpenId(data: Record<string, unknown>): string {
  const op = (data.operator_id ?? data.operator) as { open_id?: unknown; operator_id?: { open_id?: unknown } } | undefined;
  // a bot menu click (application.bot.menu_v6) names its operator one level down, operator.operator_id.open_id:
  // https://open.larksuite.com/document/uAjLw4CM/ukTMukTMukTM/application-v6/bot/events/menu
  const id = op?.open_id ?? op?.operator_id?.open_id;
  return typeof id === 'string' ? id : '';
}

/** @所有人's placeholder where Feishu leaves it in the text: not the start of a longer word typed (`@_allen`), as the node SDK reads it. */
const MENTION_ALL = /@_all(?![A-Za-z0-9_])\s*[:：,，、]?/g;

/**
 * A post's body, unwrapped when it comes under its language (`{"zh_cn": {title, content}}`, as a post is sent and as the
 * node SDK's message normaliser also reads a received one, `unwrapLocale`): 中文 first, then any.
 */
function postBody(parsed: unknown): unknown {
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || 'content' in parsed || 'text' in parsed) return parsed;
  const byLanguage = parsed as Record<string, unknown>;
  const bodies = ['zh_cn', ...Object.keys(byLanguage)].map((k) => byLanguage[k]);
  return bodies.find((b) => b && typeof b === 'object' && Array.isArray((b as { content?: unknown }).content)) ?? parsed;
}

/** A node of a post's paragraph: `text`, `a`, `code_block` carry text; `at` (its key is in `mentions`), `img`, `emotion` none. */
type PostNode = { tag?: unknown; text?: unknown; href?: unknown } | null;

/**
 * What a node of a post says, as the same typed in a text message would: a link (`a`) is the text it shows and, when
 * that is not already its address, the address after it, so a 飞书表格 pasted as its title ("2027年班组名单") is still
 * its link (https://open.feishu.cn/document/server-docs/im-v1/message-content-description/message_content#post).
 */
function nodeText(node: PostNode): string {
  const text = typeof node?.text === 'string' ? node.text : '';
  const href = node?.tag === 'a' && typeof node.href === 'string' ? node.href.trim() : '';
  return href && !text.includes(href) ? `${text} ${href} ` : text;
}

/** Text of a text or post message, with the @-mentions (the bot's, anyone's, @所有人) removed. */
export function toIncomingText(message: z.infer<typeof messageEventSchema>['message'], botOpenId?: string): IncomingText {
  let text = '';
  let subject: string | undefined;
  // @所有人's placeholder is removed whether or not `mentions` lists it: Feishu often leaves it out of the array and
  // inline in the text (the node SDK's message normaliser says so and scans the content for it)
  const keys = (message.mentions ?? []).map((m) => m.key);
  const strip = (t: string) => withoutMentions(t, keys).replace(MENTION_ALL, ' ');
  try {
    const content = postBody(JSON.parse(message.content)) as { text?: string; content?: PostNode[][]; title?: string };
    if (typeof content.text === 'string') text = content.text;
    // a post: its title, then each paragraph (a line of nodes) on a line of its own, as a text message's lines are
    // https://open.feishu.cn/document/server-docs/im-v1/message-content-description/message_content#post
    else if (Array.isArray(content.content)) {
      const lines = content.content.map((line) => (Array.isArray(line) ? line.map(nodeText).join('') : ''));
      // the title is a subject line (“请教”): the body is read alone first (see onMessage), the title with it after
      const title = typeof content.title === 'string' ? content.title : '';
      const said = lines.some((l) => strip(l).trim());
      if (said && title.trim()) subject = title;
      text = [said ? '' : title, ...lines].filter((l) => l.trim()).join('\n');
    }
  } catch {
    text = '';
  }
  const mentions = message.mentions ?? [];
  text = strip(text);
  return {
    text: storable(text).replace(/\s+/g, ' ').trim(),
    ...(subject ? { subject: storable(strip(subject)).replace(/\s+/g, ' ').trim() } : {}),
    chatId: message.chat_id,
    chatType: message.chat_type === 'p2p' ? 'p2p' : 'group',
    messageId: message.message_id,
    // @所有人 is not a call for the bot; without its open_id, any other mention counts
    mentionedBot: mentions.some((m) => m.key !== '@_all' && (!botOpenId || m.id?.open_id === botOpenId)),
  };
}

/**
 * Removes exactly the event's mention keys: the longest key is tried first at each position, so
 * `@_user_1` never eats the start of `@_user_10`.
 */
export function withoutMentions(text: string, keys: readonly string[]): string {
  const sorted = [...new Set(keys.filter(Boolean))].sort((a, b) => b.length - a.length);
  if (!sorted.length) return text;
  // a longer key is tried first (@_user_10 before @_user_1); a digit after the longest key that fits is typed text
  // (@助手16 arrives as @_user_116 when the space is deleted), as every key in the text is in the event's mentions
  // with the separator typed after it (@助手：帮助, @Bot, status): it belongs to the mention, not to the command
  const pattern = new RegExp(`(?:${sorted.map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})\\s*[:：,，、]?`, 'g');
  return text.replace(pattern, ' ');
}

/**
 * A deadlock (40P01) or a serialisation failure (40001) in a statement of a one-statement path's transaction: PostgreSQL
 * rolled it back whole, nothing of it was kept. One raised by a read after the COMMIT is not: what was written stays.
 */
function abortedByServer(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (code === '40P01' || code === '40001') && rolledBackWhole(err);
}

/** How many event types with no handler are said once each; past it (never, from Feishu's signed events) each goes to debug. */
const UNHANDLED_TYPES_TOLD = 200;

/**
 * The dispatcher's SDK logger, with its warning for an event type nobody registered (“no im.message.message_read_v1
 * handle”, on every arrival) made one info line per type per process, and debug after: Feishu sends the odd type the
 * app is subscribed to and the bot has no use for (a message read, a reaction), acknowledged and ignored. Every other
 * line is the SDK's as it was, a type the bot handles included; a handler that fails throws to its receiver, which
 * logs it (the HTTP server's “request failed”, the long connection's own error line).
 */
export function quietUnhandledTypes(sdkLog: lark.Logger, log: Logger, handled: ReadonlySet<string>): lark.Logger {
  const told = new Set<string>();
  return {
    ...sdkLog,
    warn: (...args: unknown[]) => {
      // the SDK's LoggerProxy passes its arguments as one array
      const said = args.flat();
      const type = said.length === 1 && typeof said[0] === 'string' ? /^no (\S+) handle$/.exec(said[0])?.[1] : undefined;
      if (type === undefined || handled.has(type)) return sdkLog.warn(...args);
      if (told.has(type) || told.size >= UNHANDLED_TYPES_TOLD) return log.debug({ component: 'lark-sdk', eventType: type }, 'event type with no handler, acknowledged and ignored');
      told.add(type);
      log.info({ component: 'lark-sdk', eventType: type }, 'event type with no handler, acknowledged and ignored (said once per type until the bot restarts)');
    },
  };
}

/** A card answer with 协会联系方式 after each 请联系协会 of its toast (as typed) and card (escaped in markdown). */
function withContactInAnswer(answer: CardResponse, contact: ContactSeen['current']): CardResponse {
  // a redelivery's toast says nothing of 协会 and stays itself, for a late answer to know it (sayLate)
  if (!contact || isDuplicateToast(answer)) return answer;
  const toast = answer.toast && { ...answer.toast, content: withContact(answer.toast.content, contact) };
  return { ...answer, ...(toast ? { toast } : {}), ...(answer.card ? { card: withContactInCard(answer.card, contact) } : {}) };
}

/**
 * What a failed handler's error says in the long connection's error line, which the SDK logger clips at 300 characters:
 * Drizzle's “Failed query: <the statement>” (how PGlite's errors come) runs past that before the database says why, so
 * the why goes first.
 */
function failureText(err: unknown): string {
  const text = errorText(err);
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  return cause instanceof Error && text.startsWith('Failed query:') ? `${errorText(cause)} · ${text}` : text;
}
