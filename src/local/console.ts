import { readFileSync } from 'node:fs';
import type Router from '@koa/router';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Database } from '../../db/index.js';
import { consoleEntries, outbox, processedEvents } from '../../db/schema.js';
import type { AttachmentRenderer } from '../lark/client.js';
import type { Logger } from '../log.js';
import type { OutgoingFile, OutgoingImage } from '../outbox.js';
import { type FakeOpenPlatform, type FakeUpdate, p2pChatIdFor, type SentMessage } from './fakeOpenPlatform.js';
import { asFeishuPickerValues, cardActionEvent, messageEvent, randomMessageId, signedRequest } from './feishuEvents.js';
import { addLocalPerson, listPeople, LOCAL_ADMIN_GROUP } from './seed.js';

/** The app id src/app.ts gives the SDK in local mode; it stamps the callbacks' headers. */
const LOCAL_APP_ID = 'cli_local_mode';
const LONG_POLL_MS = 25_000;
/** The most entries one write of console_entries takes (a card is up to 30 KB). */
const STORE_BATCH = 100;

/** One message in a chat as the console shows it: the user's text or what the bot sent (card updates replace it). */
export interface ConsoleEntry {
  id: string;
  chatId: string;
  from: 'user' | 'bot';
  /** the sender, for the user's messages */
  openId?: string;
  at: number;
  msgType: string;
  content: unknown;
  replyTo?: string;
  /** where a file message's bytes are served */
  fileHref?: string;
  /** where an image message's picture is served */
  imageHref?: string;
  /** the console version at which this entry last changed */
  v: number;
  /** order of arrival; negative for messages kept from before this start */
  seq: number;
}

export interface ConsoleDeps {
  database: Database;
  platform: FakeOpenPlatform;
  secrets: { encryptKey: string; verificationToken: string };
  /** the bot's own base URL: messages and clicks are posted to its /lark/events and /lark/cards */
  baseUrl: () => string;
  log: Logger;
  /**
   * The outbox's certificate renderer: a file or image drawn at send time (a certificate, the year's zip) has its
   * bytes only in the simulated platform's memory, so after a restart it is drawn again from the outbox row.
   */
  attachments?: AttachmentRenderer;
}

export interface ClickInput {
  openId: string;
  chatId: string;
  messageId: string;
  value: Record<string, unknown>;
  formValue?: Record<string, unknown>;
  name?: string;
  tag?: string;
  option?: string;
}

export interface SayResult {
  /** the bot's HTTP status for the event; 500 with `error` when the message could not be stored (the bot never got it) */
  status: number;
  messageId: string;
  version: number;
  error?: string;
}

export interface ClickResult {
  status: number;
  toast?: { type: string; content: string };
  card?: unknown;
  error?: string;
  /** the callback's answer could not be stored: the page is answered 500 with `error` */
  notStored?: true;
  version: number;
}

const consoles = new WeakMap<FakeOpenPlatform, LocalConsole>();

/** The console mounted for this local-mode bot, for scripts (the demo) that drive the same chats. */
export function localConsoleOf(platform: FakeOpenPlatform | undefined): LocalConsole | undefined {
  return platform ? consoles.get(platform) : undefined;
}

/**
 * Local mode's chats: records what the fake Open Platform receives and what the user says, and posts the
 * user's messages and clicks to the bot exactly as Feishu would (signed, encrypted, over HTTP).
 */
export class LocalConsole {
  private readonly entries = new Map<string, ConsoleEntry>();
  /** card-update token of a click → the message it was clicked on */
  private readonly tokens = new Map<string, string>();
  private seq = 0;
  private version = 0;
  /** Versions restart with the process: a page that polled the previous one starts over. */
  private readonly boot = randomMessageId().slice(3, 15);
  private readonly waiters = new Set<() => void>();
  private closing = false;
  /** The chats as they stood before this start (console_entries), so a restart (or the demo) leaves them as they were. */
  readonly restored: Promise<void>;
  /** Entries waiting to be written to console_entries, in the order shown, each with who waits for it. */
  private queued: { entry: ConsoleEntry; done: (stored: boolean) => void }[] = [];
  /** The outcome of the last entry asked to be stored: it settles once every write asked for before it has. */
  private lastStored: Promise<boolean> = Promise.resolve(true);
  /** The write of console_entries under way (`writeQueued`), if any. */
  private writing: Promise<void> | undefined;
  /** The people's messages still on their way to the bot, one after another (`inTurn`). */
  private turns: Promise<void> = Promise.resolve();
  /** Messages the bot never got being taken out of console_entries (`deliver`): waited for before the database closes. */
  private readonly removing = new Set<Promise<boolean>>();

  constructor(private readonly deps: ConsoleDeps) {
    this.restored = this.restore().catch((err) => deps.log.warn({ err }, 'local console could not read the earlier conversation'));
    // what arrives while the earlier conversation loads waits for it, so an update finds the card it replaces; the
    // platform answers the bot's send or update once it is stored here, as Feishu answers once it holds the message:
    // the outbox marks it sent on that answer and never sends it again, so a bot killed right after still shows it
    deps.platform.on('message', (m) => this.restored.then(() => this.onBotMessage(m)));
    deps.platform.on('update', (u) => this.restored.then(() => this.onUpdate(u)));
  }

  /** Resolves when everything shown so far is stored: before the database closes. */
  async flushed(): Promise<void> {
    while (this.writing || this.removing.size) await Promise.all([this.writing, ...this.removing]);
  }

  /** The chats a person sees: the p2p chat with the bot and the administrators' group. */
  chatsOf(openId: string): { chatId: string; kind: 'p2p' | 'group'; title: string }[] {
    return [
      { chatId: p2pChatIdFor(openId), kind: 'p2p', title: '与助手的私聊' },
      { chatId: LOCAL_ADMIN_GROUP, kind: 'group', title: '协会管理群' },
    ];
  }

  /**
   * A text message from a person, posted to /lark/events as im.message.receive_v1. As Feishu keeps a message before it
   * pushes its event, it is stored first and the bot gets it after; a message typed while an earlier one is still with
   * the bot waits for it, so the bot has them in the order typed. The answer comes only once the message is stored (a
   * bot killed right after shows it at its next start, as a click's answer); one that cannot be stored goes nowhere,
   * and so does one stored that the bot did not take (it was stopping): it is taken out of the chat again (`deliver`).
   */
  async say(p: { openId: string; chatId?: string; text: string; mentionBot?: boolean }): Promise<SayResult> {
    const chatId = p.chatId ?? p2pChatIdFor(p.openId);
    const group = chatId !== p2pChatIdFor(p.openId);
    const mention = group && p.mentionBot !== false;
    const messageId = randomMessageId();
    return this.inTurn(async () => {
      await this.restored;
      const stored = this.put({ id: messageId, chatId, from: 'user', openId: p.openId, at: Date.now(), msgType: 'text', content: { text: mention ? `@助手 ${p.text}` : p.text } });
      return this.deliver(messageId, stored, () =>
        messageEvent({
          token: this.deps.secrets.verificationToken,
          appId: LOCAL_APP_ID,
          openId: p.openId,
          text: p.text,
          chatType: group ? 'group' : 'p2p',
          chatId,
          messageId,
          mentionBot: mention,
        }),
        p.text,
      );
    });
  }

  /**
   * A file a person sends in their chat with the bot (a workbook for 导入): stored first, in turn with typed messages,
   * as `say`; once stored, kept by the simulated platform under a key of its own, as Feishu keeps a message's file, and
   * posted to /lark/events as a file message. One that cannot be stored leaves no bytes behind.
   */
  async sendFile(p: { openId: string; chatId: string; fileName: string; bytes: Buffer }): Promise<SayResult> {
    const messageId = randomMessageId();
    const fileKey = `file_local_${messageId.slice(3)}`;
    return this.inTurn(async () => {
      await this.restored;
      const stored = this.put({ id: messageId, chatId: p.chatId, from: 'user', openId: p.openId, at: Date.now(), msgType: 'file', content: { file_name: p.fileName } }).then((ok) => {
        if (ok) this.deps.platform.addMessageFile(messageId, fileKey, p.bytes);
        return ok;
      });
      return this.deliver(messageId, stored, () =>
        messageEvent({ token: this.deps.secrets.verificationToken, appId: LOCAL_APP_ID, openId: p.openId, text: '', chatType: 'p2p', chatId: p.chatId, messageId, file: { fileKey, fileName: p.fileName } }),
        p.fileName,
      );
    });
  }

  /** Runs `work` once the messages sent before it are with the bot: the people's messages reach it in the order sent. */
  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = this.turns.then(work);
    this.turns = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Posts a person's message to the bot once it is stored; one that could not be stored is taken off the chat, and so is
   * one the bot did not take (no answer: it was stopping; or an error, the message not recorded as handled), so no chat
   * shows a message the bot never answers: the page says to send it again.
   */
  private async deliver(messageId: string, stored: Promise<boolean>, payload: () => object, shown: string): Promise<SayResult> {
    if (!(await stored)) {
      this.entries.delete(messageId);
      this.bump();
      return { status: 500, messageId, version: this.version, error: '消息未能保存，没有发给机器人：请查看机器人的日志（数据目录所在的磁盘可能已满），处理后再发一次' };
    }
    let status: number;
    try {
      status = (await this.post('/lark/events', payload())).status;
    } catch (err) {
      this.deps.log.warn({ err, messageId }, 'local console could not hand a message to the bot');
      status = 0;
    }
    if (status >= 200 && status < 300) return { status, messageId, version: this.version };
    // the look and the removal are waited for before the database closes (`flushed`): a stop is what makes most posts fail
    const takenBack = this.takeBack(messageId);
    this.removing.add(takenBack);
    const removed = await takenBack.finally(() => this.removing.delete(takenBack));
    if (!removed) return { status, messageId, version: this.version };
    const text = shown.length > 30 ? `${shown.slice(0, 30)}…` : shown;
    return {
      status: 500,
      messageId,
      version: this.version,
      error: `消息「${text}」没有送到机器人（${status ? `机器人返回 HTTP ${status}` : '机器人没有应答，可能正在停止或重启'}），已从聊天中移除：请等机器人运行后再发一次`,
    };
  }

  /** Takes a message the bot did not record as handled out of the chat and console_entries; false when the bot has it. */
  private async takeBack(messageId: string): Promise<boolean> {
    if (await this.handled(messageId)) return false;
    this.entries.delete(messageId);
    this.bump();
    await this.deps.database.db
      .delete(consoleEntries)
      .where(eq(consoleEntries.messageId, messageId))
      .catch((err: unknown) => this.deps.log.warn({ err, messageId }, 'local console could not take back a message the bot did not get'));
    return true;
  }

  /** Whether the bot recorded the message as handled (its dedupe row): an error answered after that still reached it. */
  private async handled(messageId: string): Promise<boolean> {
    try {
      const [row] = await this.deps.database.db.select({ id: processedEvents.eventId }).from(processedEvents).where(eq(processedEvents.eventId, `message:${messageId}`)).limit(1);
      return Boolean(row);
    } catch {
      // unreadable: the message stays, as it did before this check
      return true;
    }
  }

  /** A click on a card button (with the form's values for a submit), posted to /lark/cards as card.action.trigger. */
  async click(input: ClickInput): Promise<ClickResult> {
    // Feishu judges a click before calling back (14-day window, who a picker offers); a card from before a restart, by
    // its 14 days alone (earlierCard is told when it was sent)
    const earlier = this.entries.get(input.messageId);
    if (this.deps.platform.knows(input.messageId) || (earlier?.from === 'bot' && earlier.msgType === 'interactive')) {
      const judged = this.deps.platform.cardAction({ messageId: input.messageId, openId: input.openId, value: input.value, formValue: input.formValue });
      if (!judged.ok) return { status: 400, error: `飞书拒绝了这次操作（${judged.code}）：${judged.msg}`, version: this.version };
    }
    const cardToken = `c-local-${randomMessageId().slice(3)}`;
    this.tokens.set(cardToken, input.messageId);
    // the pickers' values as Feishu's client writes them (with the chooser's offset), whatever the browser's inputs gave
    const shown = this.deps.platform.currentCard(input.messageId) ?? earlier?.content;
    const payload = cardActionEvent({
      token: this.deps.secrets.verificationToken,
      appId: LOCAL_APP_ID,
      openId: input.openId,
      value: input.value,
      formValue: input.formValue && asFeishuPickerValues(shown, input.formValue),
      name: input.name,
      tag: input.tag,
      option: input.option,
      messageId: input.messageId,
      chatId: input.chatId,
      cardToken,
    });
    const res = await this.post('/lark/cards', payload);
    if (res.status !== 200) {
      // Feishu takes a failed callback as answered too (it shows its own error): the card takes updates again at once
      this.deps.platform.answerCallback(input.messageId, {});
      return { status: res.status, error: typeof res.body?.msg === 'string' ? res.body.msg : `回调返回 ${res.status}`, version: this.version };
    }
    const body = (res.body ?? {}) as { toast?: { type: string; content: string }; card?: { type?: string; data?: unknown } };
    const card = body.card?.data;
    const answered = this.deps.platform.answerCallback(input.messageId, body);
    if (!answered.ok) return { status: 200, toast: body.toast, error: `飞书不接受回调返回的卡片（${answered.code}）：${answered.msg}`, version: this.version };
    // the callback's answer replaces the card in place, as Feishu does; stored before the click is answered, so a bot
    // killed right after it shows the answer at its next start, not the form again. Writes go in the order asked for,
    // so once the answer is stored so is everything shown before it (what the bot sent or updated while it handled the
    // click); what is shown after it, a burst of the bot's cards, is not waited for
    const stored = card && typeof card === 'object' ? await this.replaceCard(input.messageId, card, { keepShown: true }) : await this.storedSoFar();
    if (!stored) {
      return {
        status: 500,
        notStored: true,
        error: '机器人已处理这次点击，但它回复的卡片未能保存，重启后会显示点击前的卡片：请查看机器人的日志（数据目录所在的磁盘可能已满），处理后刷新页面',
        version: this.version,
      };
    }
    return { status: 200, toast: body.toast, card, version: this.version };
  }

  /** What changed in a chat since a version: every id in order, and the entries changed since. */
  changes(chatId: string, after: number): { boot: string; version: number; order: string[]; entries: ConsoleEntry[] } {
    const inChat = [...this.entries.values()].filter((e) => e.chatId === chatId).sort((a, b) => a.seq - b.seq);
    return { boot: this.boot, version: this.version, order: inChat.map((e) => e.id), entries: inChat.filter((e) => e.v > after) };
  }

  /** Resolves once the version passes `after`, or after `ms`; at once when the bot is stopping. */
  waitForChange(after: number, ms: number): Promise<void> {
    if (this.version > after || this.closing) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  /** Answers every open long-poll now and every later one at once, so stopping the server does not wait on an open tab. */
  close(): void {
    this.closing = true;
    for (const w of [...this.waiters]) w();
  }

  get currentVersion(): number {
    return this.version;
  }

  /** Every entry, in order: for scripts that print a transcript. */
  all(): ConsoleEntry[] {
    return [...this.entries.values()].sort((a, b) => a.seq - b.seq);
  }

  private async post(path: string, payload: object): Promise<{ status: number; body: any }> {
    const req = signedRequest(payload, { encryptKey: this.deps.secrets.encryptKey });
    const res = await fetch(this.deps.baseUrl() + path, { method: 'POST', headers: req.headers, body: req.body });
    const text = await res.text();
    let body: any;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = { msg: text };
    }
    return { status: res.status, body };
  }

  private bump(): number {
    this.version++;
    for (const w of [...this.waiters]) w();
    return this.version;
  }

  /** Shows the entry and stores it: resolves true once it is stored, false when that failed (logged). */
  private put(e: Omit<ConsoleEntry, 'v' | 'seq'>): Promise<boolean> {
    const existing = this.entries.get(e.id);
    const entry = { ...e, seq: existing?.seq ?? ++this.seq, v: this.bump() };
    this.entries.set(e.id, entry);
    return this.store(entry);
  }

  /**
   * Shows the card in place of the message's and stores it: resolves true once stored (false when that failed, or no such
   * message). An update not stored is refused, and the page goes back to the card stored; a callback's answer, which
   * Feishu has taken already, stays shown (`keepShown`).
   */
  private replaceCard(messageId: string, card: unknown, opts: { keepShown?: boolean } = {}): Promise<boolean> {
    const e = this.entries.get(messageId);
    if (!e) return Promise.resolve(false);
    const entry = { ...e, msgType: 'interactive', content: card, v: this.bump() };
    this.entries.set(messageId, entry);
    return this.store(entry).then((stored) => {
      // not stored, the update is refused: the page shows the card as stored, unless a later update replaced it since
      if (!stored && !opts.keepShown && this.entries.get(messageId) === entry) {
        this.entries.set(messageId, { ...e, v: this.bump() });
      }
      return stored;
    });
  }

  /**
   * Keeps the entry as now shown, after every write asked for before it: resolves true once stored. A failed write is
   * logged (false), the chat in the page stays right. What is asked for while a write is under way goes in the next
   * one, all of it in one statement: a burst of the bot's cards costs a few writes, not one each.
   */
  private store(e: ConsoleEntry): Promise<boolean> {
    const stored = new Promise<boolean>((done) => {
      this.queued.push({ entry: e, done });
      this.writing ??= this.writeQueued();
    });
    this.lastStored = stored;
    return stored;
  }

  /** Resolves once every write asked for so far has been tried (whatever its outcome), and not later ones: true. */
  private storedSoFar(): Promise<boolean> {
    return this.lastStored.then(() => true);
  }

  /** Writes what is queued, in statements of up to STORE_BATCH entries, until nothing is left. */
  private async writeQueued(): Promise<void> {
    try {
      while (this.queued.length) {
        const batch = this.queued.splice(0, STORE_BATCH);
        const failed = await this.write(batch.map((b) => b.entry));
        for (const b of batch) b.done(!failed.has(b.entry.id));
      }
    } finally {
      this.writing = undefined;
    }
  }

  /**
   * One statement: each message once, at the place it first had in the batch and as it was shown last. When it fails,
   * each row alone, in the same order: one row the database refuses fails only its own callers, not a message typed
   * beside it. Returns the ids not stored (logged).
   */
  private async write(entries: ConsoleEntry[]): Promise<Set<string>> {
    const latest = new Map<string, ConsoleEntry>();
    for (const e of entries) latest.set(e.id, e);
    const rows = [...latest.values()].map((e) => ({
      messageId: e.id,
      chatId: e.chatId,
      sender: e.from,
      openId: e.openId ?? null,
      sentAt: new Date(e.at),
      msgType: e.msgType,
      content: e.content ?? null,
      replyTo: e.replyTo ?? null,
    }));
    const insert = (some: typeof rows) =>
      this.deps.database.db
        .insert(consoleEntries)
        .values(some)
        .onConflictDoUpdate({ target: consoleEntries.messageId, set: { msgType: sql`excluded.msg_type`, content: sql`excluded.content`, updatedAt: sql`now()` } });
    let error: unknown;
    try {
      await insert(rows);
      return new Set();
    } catch (err) {
      error = err;
    }
    const failed = new Set<string>();
    if (rows.length === 1) failed.add(rows[0].messageId);
    else {
      for (const row of rows) {
        try {
          await insert([row]);
        } catch (err) {
          error = err;
          failed.add(row.messageId);
        }
      }
    }
    if (failed.size) this.deps.log.warn({ err: error, messageIds: [...failed] }, 'local console could not store a message');
    return failed;
  }

  /** The chat a bot message lands in: the fake knows it for sends; for a reply to the user's message, that message's chat. */
  private chatOf(m: SentMessage): string {
    if (m.chatId) return m.chatId;
    const parent = m.replyTo ? this.entries.get(m.replyTo) : undefined;
    if (parent) return parent.chatId;
    return m.receiveIdType === 'open_id' ? p2pChatIdFor(m.receiveId) : m.receiveId;
  }

  /**
   * Shows and stores what the bot sent; resolves once it is stored, and rejects when it could not be: the platform
   * then refuses the send (the outbox tries it again) and the page no longer shows it.
   */
  private async onBotMessage(m: SentMessage): Promise<void> {
    const stored = this.put({
      id: m.messageId,
      chatId: this.chatOf(m),
      from: 'bot',
      at: m.at,
      msgType: m.msgType,
      content: m.content,
      replyTo: m.replyTo,
      ...(m.msgType === 'file' ? { fileHref: fileHref(m.messageId) } : {}),
      ...(m.msgType === 'image' ? { imageHref: imageHref(m.messageId) } : {}),
    });
    if (!(await stored)) {
      this.entries.delete(m.messageId);
      this.bump();
      throw new Error(`local console could not store message ${m.messageId}`);
    }
    if (m.msgType === 'file') void this.nameFile(m.messageId);
  }

  /**
   * A file message carries only its file_key; the name is in the outbox row, which gets the message id once the
   * send is answered, so it is looked for a few times.
   */
  private async nameFile(messageId: string): Promise<void> {
    for (let attempt = 0; attempt < 20 && !this.closing; attempt++) {
      const fileName = await this.fileNameOf(messageId).catch(() => undefined);
      const e = this.entries.get(messageId);
      if (fileName && e) {
        const entry = { ...e, content: { fileName }, v: this.bump() };
        this.entries.set(messageId, entry);
        void this.store(entry);
        return;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  private async fileNameOf(messageId: string): Promise<string | undefined> {
    const [row] = await this.deps.database.db
      .select({ card: outbox.card })
      .from(outbox)
      .where(and(eq(outbox.messageId, messageId), eq(outbox.msgType, 'file')))
      .limit(1);
    return (row?.card as OutgoingFile | undefined)?.fileName;
  }

  /** Shows and stores a card's update; rejects when it could not be stored, and the platform then refuses the update. */
  private async onUpdate(u: FakeUpdate): Promise<void> {
    const messageId = u.messageId ?? (u.token ? this.tokens.get(u.token) : undefined);
    if (!messageId || !u.card || typeof u.card !== 'object' || !this.entries.has(messageId)) return;
    if (!(await this.replaceCard(messageId, u.card))) throw new Error(`local console could not store the update of message ${messageId}`);
  }

  private async restore(): Promise<void> {
    const rows = await this.deps.database.db.select().from(consoleEntries).orderBy(asc(consoleEntries.seq));
    for (const [i, r] of rows.entries()) {
      this.entries.set(r.messageId, {
        id: r.messageId,
        chatId: r.chatId,
        from: r.sender,
        ...(r.openId ? { openId: r.openId } : {}),
        at: r.sentAt.getTime(),
        msgType: r.msgType,
        content: r.content,
        ...(r.replyTo ? { replyTo: r.replyTo } : {}),
        ...(r.msgType === 'file' ? { fileHref: fileHref(r.messageId) } : {}),
        ...(r.msgType === 'image' ? { imageHref: imageHref(r.messageId) } : {}),
        // before everything recorded live, in the order they came
        seq: i - rows.length,
        v: 0,
      });
    }
    for (const e of this.entries.values()) {
      const named = e.msgType === 'file' && (e.content as { fileName?: string } | null)?.fileName;
      if (e.msgType === 'file' && !named) void this.nameFile(e.id);
      // the bot's cards from before this start, as Feishu still holds them: the bot may update them by their id
      if (e.from === 'bot' && e.msgType === 'interactive') this.deps.platform.earlierCard(e.id, e.content, e.at);
    }
    // stamped with a new version so a page that already loaded sees them
    if (rows.length) {
      const v = this.bump();
      for (const e of this.entries.values()) if (e.v === 0) e.v = v;
    }
  }
}

const fileHref = (messageId: string) => `/dev/api/file?messageId=${encodeURIComponent(messageId)}`;
const imageHref = (messageId: string) => `/dev/api/image?messageId=${encodeURIComponent(messageId)}`;

/** An image's type from its first bytes: the platform takes PNG, JPEG, GIF and others; PNG when unknown. */
function imageType(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'image/jpeg';
  if (bytes[0] === 0x47 && bytes[1] === 0x49 && bytes[2] === 0x46) return 'image/gif';
  return 'image/png';
}

const openIdSchema = z.string().regex(/^ou_[A-Za-z0-9_-]+$/, 'open_id must start with ou_');
const saySchema = z.object({ openId: openIdSchema, chatId: z.string().min(1), text: z.string().trim().min(1).max(2000), mentionBot: z.boolean().optional() });
/**
 * A file sent from the page, as base64 in the JSON body: the server reads at most 1 MB of body, so a file of up to
 * 700 KB (a workbook of several thousand rows); a larger one is for `npm run import`, as the page says.
 */
export const CONSOLE_FILE_MAX_BYTES = 700 * 1024;
const sendFileSchema = z.object({
  openId: openIdSchema,
  chatId: z.string().min(1),
  fileName: z.string().trim().min(1).max(200),
  base64: z.string().min(1).max(Math.ceil(CONSOLE_FILE_MAX_BYTES / 3) * 4 + 4),
});
const clickSchema = z.object({
  openId: openIdSchema,
  chatId: z.string().min(1),
  messageId: z.string().min(1),
  value: z.record(z.string(), z.unknown()),
  formValue: z.record(z.string(), z.unknown()).optional(),
  name: z.string().optional(),
  tag: z.string().optional(),
  option: z.string().optional(),
});
const personSchema = z.object({ name: z.string(), roles: z.array(z.string()).default([]) });

function bodyOf<T>(ctx: Context, schema: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse((ctx.state.rawBody as string | undefined) || '{}');
  } catch {
    ctx.throw(400, 'body is not JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) ctx.throw(400, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return parsed.data;
}

/** A message's answer to the page: a message that could not be stored is an error the page shows (its `msg`). */
function answerSaid(ctx: Context, said: SayResult): void {
  if (said.error) {
    ctx.status = 500;
    ctx.body = { code: 500, msg: said.error, messageId: said.messageId, version: said.version };
    return;
  }
  ctx.body = said;
}

const asset = (name: string) => readFileSync(new URL(name, import.meta.url), 'utf8');

/** GET /dev (the console page), its scripts, and the JSON API the page calls. Local mode only. */
export function mountConsole(router: Router, deps: ConsoleDeps): LocalConsole {
  const local = new LocalConsole(deps);
  consoles.set(deps.platform, local);
  const db = deps.database.db;
  const allowedChat = (openId: string, chatId: string) => local.chatsOf(openId).some((c) => c.chatId === chatId);

  router.get('/dev', (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('cache-control', 'no-store');
    ctx.body = asset('./console.html');
  });
  for (const file of ['consoleApp.js', 'renderer.js']) {
    router.get(`/dev/${file}`, (ctx) => {
      ctx.type = 'text/javascript; charset=utf-8';
      ctx.set('cache-control', 'no-store');
      ctx.body = asset(`./${file}`);
    });
  }

  router.get('/dev/api/people', async (ctx) => {
    ctx.body = { people: await listPeople(db) };
  });
  router.post('/dev/api/people', async (ctx) => {
    const input = bodyOf(ctx, personSchema);
    try {
      const person = await addLocalPerson(db, input);
      // a Feishu user of the simulated tenant: in its address book, as user.get refuses anyone outside it
      deps.platform.addUser({ openId: person.openId, name: person.name ?? input.name });
      ctx.body = { person };
    } catch (err) {
      ctx.throw(400, (err as Error).message);
    }
  });
  router.get('/dev/api/chats', (ctx) => {
    const openId = openIdSchema.safeParse(ctx.query.openId);
    if (!openId.success) return ctx.throw(400, 'openId is required');
    ctx.body = { chats: local.chatsOf(openId.data) };
  });
  router.get('/dev/api/messages', async (ctx) => {
    await local.restored;
    const chatId = String(ctx.query.chatId ?? '');
    const after = Number(ctx.query.after ?? 0) || 0;
    if (!chatId) ctx.throw(400, 'chatId is required');
    if (ctx.query.wait) await local.waitForChange(after, Math.min(Number(ctx.query.wait) || LONG_POLL_MS, LONG_POLL_MS));
    ctx.set('cache-control', 'no-store');
    ctx.body = local.changes(chatId, after);
  });
  router.post('/dev/api/say', async (ctx) => {
    const input = bodyOf(ctx, saySchema);
    if (!allowedChat(input.openId, input.chatId)) ctx.throw(400, 'this person is not in that chat');
    answerSaid(ctx, await local.say(input));
  });
  router.post('/dev/api/send-file', async (ctx) => {
    const input = bodyOf(ctx, sendFileSchema);
    // a file goes to the bot in the p2p chat only, as the 导入 card asks
    if (input.chatId !== p2pChatIdFor(input.openId)) ctx.throw(400, 'a file is sent in the chat with the bot');
    answerSaid(ctx, await local.sendFile({ openId: input.openId, chatId: input.chatId, fileName: input.fileName, bytes: Buffer.from(input.base64, 'base64') }));
  });
  router.post('/dev/api/click', async (ctx) => {
    const input = bodyOf(ctx, clickSchema);
    if (!allowedChat(input.openId, input.chatId)) ctx.throw(400, 'this person is not in that chat');
    const clicked = await local.click(input);
    // an answer that could not be stored is an error the page shows (its `msg`), as a typed message's
    if (clicked.notStored) {
      ctx.status = 500;
      ctx.body = { code: 500, msg: clicked.error, version: clicked.version };
      return;
    }
    ctx.body = clicked;
  });
  /**
   * The bytes of a file or image message the bot sent: those the simulated platform received (this process), else
   * those in the outbox row, else drawn again from the row's description (a certificate, the year's zip), as at send.
   */
  const sentBytes = async (messageId: string, msgType: 'file' | 'image'): Promise<{ bytes: Uint8Array; attachment: OutgoingFile | OutgoingImage } | { missing: string }> => {
    const [row] = await db
      .select({ card: outbox.card })
      .from(outbox)
      .where(and(eq(outbox.messageId, messageId), eq(outbox.msgType, msgType)))
      .limit(1);
    const what = msgType === 'file' ? '文件' : '图片';
    if (!row) return { missing: `没有这条${what}消息` };
    const attachment = row.card as OutgoingFile | OutgoingImage;
    if (attachment.base64 !== undefined) return { bytes: Buffer.from(attachment.base64, 'base64'), attachment };
    const sent = deps.platform.messages.find((m) => m.messageId === messageId);
    const uploaded = deps.platform.upload(String(sent?.content?.[msgType === 'file' ? 'file_key' : 'image_key'] ?? ''));
    if (uploaded) return { bytes: uploaded.bytes, attachment };
    if (!attachment.render || !deps.attachments) return { missing: `这份${what}是发送时生成的，未能保留；请重新公布结果，或用 npm run demo 在新的数据目录中查看` };
    try {
      const drawn = await deps.attachments(attachment.render);
      if ('drop' in drawn) return { missing: drawn.drop };
      return { bytes: drawn.bytes, attachment };
    } catch (err) {
      deps.log.warn({ err, messageId }, 'local console could not draw a sent attachment again');
      return { missing: `这份${what}未能重新生成：${(err as Error).message}` };
    }
  };
  const notFound = (ctx: Context, msg: string): never => ctx.throw(404, msg);

  router.get('/dev/api/image', async (ctx) => {
    const key = String(ctx.query.key ?? '');
    if (key) {
      const upload = deps.platform.upload(key);
      if (!upload || upload.kind !== 'image') return notFound(ctx, '没有这个图片');
      ctx.type = upload.format === 'jpeg' ? 'image/jpeg' : `image/${upload.format ?? 'png'}`;
      ctx.body = upload.bytes;
      return;
    }
    const found = await sentBytes(String(ctx.query.messageId ?? ''), 'image');
    if ('missing' in found) return notFound(ctx, found.missing);
    ctx.type = imageType(found.bytes);
    ctx.body = Buffer.from(found.bytes);
  });
  router.get('/dev/api/file', async (ctx) => {
    const found = await sentBytes(String(ctx.query.messageId ?? ''), 'file');
    if ('missing' in found) return notFound(ctx, found.missing);
    ctx.set('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent((found.attachment as OutgoingFile).fileName)}`);
    ctx.type = 'application/octet-stream';
    ctx.body = Buffer.from(found.bytes);
  });
  return local;
}
