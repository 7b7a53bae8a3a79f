import type { Database, Db } from '../db/index.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { FeishuReader } from './lark/reader.js';
import type { Logger } from './log.js';
import type { OutgoingMessage } from './outbox.js';
import type { ResolvedUserIds } from './lark/contact.js';
import type { Actor, Role } from './people.js';

/** What every handler acts through: the transaction, who acts, the clock, and the outbox. */
export interface HandlerContext {
  tx: Db;
  actor: Actor;
  clock: Clock;
  config: Config;
  log: Logger;
  eventId: string;
  /** Queues a message in this transaction (sent after commit). */
  send(message: OutgoingMessage): Promise<boolean>;
  /** open_ids of people named by mobile or e-mail, from the tenant's address book (a read; nothing is written). */
  findUsers(query: { mobiles?: string[]; emails?: string[] }): Promise<ResolvedUserIds>;
  /** The same context on a savepoint: its writes and messages roll back together. */
  within(tx: Db): HandlerContext;
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
  chatId: string;
  chatType: 'p2p' | 'group';
  messageId: string;
  mentionedBot: boolean;
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

export interface CommandDef {
  /** Chinese name first, then the English alias. */
  names: string[];
  /** Whether the command takes the rest of the text as argument (`条款 16`). */
  takesArgument?: boolean;
  run(ctx: HandlerContext, msg: IncomingText, argument: string): Promise<void>;
}

export interface CardActionDef {
  action: string;
  run(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse>;
  /** Tried before `run`'s transaction on a hot path: does the whole event itself, or answers undefined to leave it to `run`. */
  fast?(fx: FastContext, input: CardActionInput): Promise<FastOutcome | undefined>;
  /** The answer to a delivery of an event already handled, from the state it left (reads only); undefined for the generic toast. */
  duplicate?(tx: Db, who: { openId: string; config: Config }, input: CardActionInput): Promise<CardResponse | undefined>;
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
export type FastOutcome = { outcome: 'ok' | 'refused'; answer: CardResponse } | { outcome: 'duplicate'; answer?: CardResponse };

export interface MenuEntry {
  action: string;
  label: string;
  /** Shown to these roles; empty means everyone. */
  roles: Role[];
  order: number;
  value?: Record<string, unknown>;
}

export interface EventDef {
  eventType: string;
  run(ctx: HandlerContext, event: Record<string, unknown>): Promise<void>;
}

/** What the bot's features register into; the event processor reads it. */
export class BotRegistry {
  readonly commands: CommandDef[] = [];
  readonly actions = new Map<string, CardActionDef>();
  readonly events = new Map<string, EventDef>();
  readonly menu: MenuEntry[] = [];
  fallback?: CommandDef['run'];
  /** A file sent to the bot; when it returns false the message is treated as any other non-text one. */
  file?: (ctx: HandlerContext, msg: IncomingText, file: IncomingFile) => Promise<boolean>;

  command(def: CommandDef): this {
    this.commands.push(def);
    return this;
  }

  cardAction(def: CardActionDef): this {
    if (this.actions.has(def.action)) throw new Error(`card action ${def.action} registered twice`);
    this.actions.set(def.action, def);
    return this;
  }

  event(def: EventDef): this {
    this.events.set(def.eventType, def);
    return this;
  }

  menuEntry(entry: MenuEntry): this {
    this.menu.push(entry);
    return this;
  }

  /** Finds the command a text starts with: `帮助`, `help`, `条款 16`, `article16`. */
  matchCommand(text: string): { def: CommandDef; argument: string } | undefined {
    const t = text.trim();
    const lower = t.toLowerCase();
    for (const def of this.commands) {
      for (const name of def.names) {
        const n = name.toLowerCase();
        if (lower === n) return { def, argument: '' };
        if (def.takesArgument && lower.startsWith(n)) {
          const rest = t.slice(n.length);
          if (/^[\s\d:：]/.test(rest)) return { def, argument: rest.replace(/^[\s:：]+/, '').trim() };
        }
      }
    }
    return undefined;
  }

  menuFor(roles: readonly Role[]): MenuEntry[] {
    return this.menu
      .filter((m) => m.roles.length === 0 || m.roles.some((r) => roles.includes(r)))
      .sort((a, b) => a.order - b.order);
  }
}
