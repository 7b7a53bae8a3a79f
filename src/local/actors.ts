import { eq } from 'drizzle-orm';
import { outbox } from '../../db/schema.js';
import type { BotApp } from '../app.js';
import { type ConsoleEntry, type LocalConsole, localConsoleOf } from './console.js';
import { p2pChatIdFor } from './fakeOpenPlatform.js';
import { LOCAL_ADMIN_GROUP } from './seed.js';

/**
 * People acting in local mode as they would in Feishu: they say things to the bot and press buttons on the
 * cards it sent, through the console (signed, encrypted callbacks to /lark/events and /lark/cards), and read
 * back what the bot answered. The scripted demo uses it; a test driving the console may too.
 */

export interface Person {
  openId: string;
  name: string;
}

/** A message the bot sent, or a card it changed, as a transcript reads it. */
export interface BotMessage {
  messageId: string;
  chatId: string;
  /** whose chat: a person's name, or 协会管理群 */
  where: string;
  kind: 'card' | 'text' | 'file' | 'other';
  /** the card's title, the text's first line, or the file's name */
  summary: string;
  content: unknown;
  /** an earlier message the bot changed in place */
  updated: boolean;
}

/** A button on a card in a chat: what pressing it sends. */
export interface CardButton {
  chatId: string;
  messageId: string;
  /** the title of the card it is on */
  cardTitle: string;
  text: string;
  value: Record<string, unknown>;
  name?: string;
  /** for a form's submit button: what Feishu sends for the form as the card shows it (default values, checkers) */
  form?: Record<string, unknown>;
}

export interface Answer {
  toast?: { type: string; content: string };
  /** the card that replaced the pressed one */
  card?: unknown;
  title?: string;
  /** what the bot sent elsewhere meanwhile */
  sent: BotMessage[];
}

type Json = Record<string, any>;

/** The header title of a card JSON 2.0. */
export function cardTitle(card: unknown): string {
  const title = (card as Json | undefined)?.header?.title?.content;
  return typeof title === 'string' ? title : '（无标题卡片）';
}

/** Every callback button of a card, in order, with the form values a submit button sends. */
export function cardButtons(card: unknown): Omit<CardButton, 'chatId' | 'messageId' | 'cardTitle'>[] {
  const out: Omit<CardButton, 'chatId' | 'messageId' | 'cardTitle'>[] = [];
  const walk = (node: unknown, form: Json | undefined) => {
    if (Array.isArray(node)) return node.forEach((n) => walk(n, form));
    if (!node || typeof node !== 'object') return;
    const el = node as Json;
    const inForm = el.tag === 'form' ? el : form;
    if (el.tag === 'button') {
      const value = (el.behaviors as Json[] | undefined)?.find((b) => b.type === 'callback')?.value;
      if (value && typeof value === 'object') {
        out.push({
          text: typeof el.text?.content === 'string' ? el.text.content : '',
          value: value as Record<string, unknown>,
          ...(typeof el.name === 'string' ? { name: el.name } : {}),
          ...(el.form_action_type === 'submit' && inForm ? { form: formDefaults(inForm) } : {}),
        });
      }
    }
    for (const [key, v] of Object.entries(el)) if (key !== 'behaviors' && v && typeof v === 'object') walk(v, inForm);
  };
  walk((card as Json | undefined)?.body?.elements ?? [], undefined);
  return out;
}

/** A form's fields as an untouched submit sends them (the console sends the same shapes). */
export function formDefaults(form: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const el = node as Json;
    if (typeof el.name === 'string' && el.tag !== 'button' && el.tag !== 'form') {
      switch (el.tag) {
        case 'input':
          out[el.name] = el.default_value === undefined ? '' : String(el.default_value);
          break;
        case 'select_static':
        case 'select_person':
          if (el.initial_option) out[el.name] = el.initial_option;
          break;
        case 'multi_select_static':
        case 'multi_select_person':
          out[el.name] = Array.isArray(el.selected_values) ? [...el.selected_values] : [];
          break;
        case 'checker':
          out[el.name] = el.checked === true;
          break;
        case 'date_picker':
          if (el.initial_date) out[el.name] = el.initial_date;
          break;
        case 'picker_time':
          if (el.initial_time) out[el.name] = el.initial_time;
          break;
        case 'picker_datetime':
          if (el.initial_datetime) out[el.name] = el.initial_datetime;
          break;
      }
    }
    for (const [key, v] of Object.entries(el)) if (key !== 'behaviors' && v && typeof v === 'object') walk(v);
  };
  walk((form as Json).elements ?? []);
  return out;
}

const toastMark: Record<string, string> = { success: '✔', error: '✘', warning: '⚠', info: 'ℹ' };

/** The local-mode bot and the people acting on it; `print` receives the transcript, one line at a time. */
export class LocalStage {
  readonly console: LocalConsole;
  private readonly chatNames = new Map<string, string>([[LOCAL_ADMIN_GROUP, '协会管理群']]);
  /** bot messages already reported, so the next report lists only what is new or changed */
  private readonly reported = new Map<string, number>();

  constructor(
    readonly app: BotApp,
    readonly print: (line: string) => void = () => {},
  ) {
    const local = localConsoleOf(app.platform);
    if (!local) throw new Error('LocalStage needs the bot in local mode (no LARK_APP_ID), where the /dev console is mounted');
    this.console = local;
  }

  /** Waits for the console to have read earlier messages, and takes them as already reported. */
  async ready(): Promise<void> {
    await this.console.restored;
    for (const e of this.console.all()) if (e.from === 'bot') this.reported.set(e.id, e.v);
  }

  as(person: Person): Actor {
    this.chatNames.set(p2pChatIdFor(person.openId), person.name);
    return new Actor(this, person);
  }

  /** Someone new, added as the console's “add a person” does (POST /dev/api/people). */
  async addPerson(name: string, roles: string[] = []): Promise<Actor> {
    const res = await fetch(`${this.app.url}/dev/api/people`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, roles }) });
    const body = (await res.json().catch(() => ({}))) as { person?: Person; msg?: string };
    if (res.status !== 200 || !body.person) throw new Error(`could not add ${name}: ${res.status} ${body.msg ?? ''}`);
    return this.as(body.person);
  }

  chatName(chatId: string): string {
    return this.chatNames.get(chatId) ?? chatId;
  }

  /** Until every queued message has reached the simulated Open Platform (and so the console). */
  async settle(): Promise<void> {
    await this.app.dispatcher.drain(30_000);
  }

  /** Bot messages new or changed since the last report, except the one a click answered in place. */
  async news(except?: string): Promise<BotMessage[]> {
    const out: BotMessage[] = [];
    for (const e of this.console.all()) {
      if (e.from !== 'bot') continue;
      const seen = this.reported.get(e.id);
      if (seen !== undefined && seen >= e.v) continue;
      this.reported.set(e.id, e.v);
      if (e.id === except) continue;
      out.push(this.describe(e, seen !== undefined));
    }
    // a file message carries only its file_key: its name is in the outbox row that sent it
    for (const m of out.filter((x) => x.kind === 'file')) {
      const [row] = await this.app.database.db.select({ card: outbox.card }).from(outbox).where(eq(outbox.messageId, m.messageId)).limit(1);
      const fileName = (row?.card as { fileName?: unknown } | undefined)?.fileName;
      if (typeof fileName === 'string') m.summary = `〔文件〕${fileName}`;
    }
    return out;
  }

  /** The latest bot card in a chat with a button for `action` (and `where` true of its value). */
  findButton(chatId: string, action: string, where: (value: Record<string, unknown>) => boolean = () => true): CardButton | undefined {
    const cards = this.console.all().filter((e) => e.chatId === chatId && e.from === 'bot' && e.msgType === 'interactive');
    for (const e of cards.reverse()) {
      const b = cardButtons(e.content).find((x) => x.value.action === action && where(x.value));
      if (b) return { ...b, chatId, messageId: e.id, cardTitle: cardTitle(e.content) };
    }
    return undefined;
  }

  /** Every button for `action` on the bot's cards in a chat, oldest card first. */
  findButtons(chatId: string, action: string): CardButton[] {
    return this.console
      .all()
      .filter((e) => e.chatId === chatId && e.from === 'bot' && e.msgType === 'interactive')
      .flatMap((e) => cardButtons(e.content).filter((b) => b.value.action === action).map((b) => ({ ...b, chatId, messageId: e.id, cardTitle: cardTitle(e.content) })));
  }

  printSent(messages: BotMessage[], indent = '    '): void {
    for (const m of messages) this.print(`${indent}助手 → ${m.where}：${m.updated ? '（更新）' : ''}${m.summary}`);
  }

  printAnswer(answer: Answer, indent = '    '): void {
    if (answer.toast) this.print(`${indent}↳ ${toastMark[answer.toast.type] ?? '·'} ${answer.toast.content}`);
    if (answer.title) this.print(`${indent}↳ 卡片变为〔${answer.title}〕`);
    this.printSent(answer.sent, indent);
  }

  private describe(e: ConsoleEntry, updated: boolean): BotMessage {
    const content = e.content as Json;
    let kind: BotMessage['kind'] = 'other';
    let summary = `（${e.msgType} 消息）`;
    if (e.msgType === 'interactive') {
      kind = 'card';
      summary = `〔${cardTitle(content)}〕`;
    } else if (e.msgType === 'text') {
      kind = 'text';
      const text = String(content?.text ?? '').split('\n')[0];
      summary = `“${text.length > 70 ? `${text.slice(0, 70)}…` : text}”`;
    } else if (e.msgType === 'file') {
      kind = 'file';
      summary = `〔文件〕${content?.fileName ?? content?.file_name ?? '附件'}`;
    }
    return { messageId: e.id, chatId: e.chatId, where: this.chatName(e.chatId), kind, summary, content: e.content, updated };
  }
}

/** One person: says things in their p2p chat (or a group) and presses buttons on the bot's cards. */
export class Actor {
  readonly chatId: string;

  constructor(
    private readonly stage: LocalStage,
    readonly person: Person,
  ) {
    this.chatId = p2pChatIdFor(person.openId);
  }

  get name(): string {
    return this.person.name;
  }

  get openId(): string {
    return this.person.openId;
  }

  /** A text message to the bot; returns what the bot sent because of it. */
  async say(text: string, opts: { chatId?: string; quiet?: boolean } = {}): Promise<BotMessage[]> {
    const chatId = opts.chatId ?? this.chatId;
    const group = chatId !== this.chatId;
    if (!opts.quiet) this.stage.print(`  ${this.name}${group ? `（${this.stage.chatName(chatId)}）` : ''}：${group ? '@助手 ' : ''}${text}`);
    const res = await this.stage.console.say({ openId: this.openId, chatId, text });
    if (res.status !== 200) throw new Error(`the bot answered ${res.status} to ${this.name}'s message “${text}”`);
    await this.stage.settle();
    const sent = await this.stage.news();
    if (!opts.quiet) this.stage.printSent(sent);
    return sent;
  }

  /** The latest card in this person's chat (or `chatId`) with a button for `action`; throws when there is none. */
  button(action: string, opts: { chatId?: string; where?: (value: Record<string, unknown>) => boolean } = {}): CardButton {
    const chatId = opts.chatId ?? this.chatId;
    const b = this.stage.findButton(chatId, action, opts.where);
    if (!b) throw new Error(`${this.name} sees no card with a “${action}” button in ${this.stage.chatName(chatId)}`);
    return b;
  }

  /**
   * Presses a button (found by action if given as a string) with `form` typed into its form; returns the
   * toast, the card that replaced it, and what the bot sent elsewhere.
   */
  async click(
    target: CardButton | string,
    form: Record<string, unknown> = {},
    opts: { chatId?: string; where?: (value: Record<string, unknown>) => boolean; quiet?: boolean; label?: string } = {},
  ): Promise<Answer> {
    const b = typeof target === 'string' ? this.button(target, opts) : target;
    const inGroup = b.chatId !== this.chatId;
    if (!opts.quiet) this.stage.print(`  ${this.name}${inGroup ? `（${this.stage.chatName(b.chatId)}）` : ''} 点击「${b.text}」${opts.label ?? ''}`);
    const formValue = b.form ? { ...b.form, ...form } : Object.keys(form).length ? form : undefined;
    const res = await this.stage.console.click({ openId: this.openId, chatId: b.chatId, messageId: b.messageId, value: b.value, formValue, name: b.name, tag: 'button' });
    if (res.status !== 200) throw new Error(`the card callback answered ${res.status} to ${this.name} pressing “${b.text}”: ${res.error ?? ''}`);
    await this.stage.settle();
    const answer: Answer = {
      toast: res.toast,
      card: res.card,
      ...(res.card ? { title: cardTitle(res.card) } : {}),
      sent: await this.stage.news(b.messageId),
    };
    if (!opts.quiet) this.stage.printAnswer(answer);
    return answer;
  }
}
