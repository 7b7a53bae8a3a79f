/** A small kit for Feishu card JSON 2.0. Pure functions: the same data gives the same JSON. */
import { Md, md, type MdValue } from './markdown.js';

export { asTyped, escapeText, link, Md, md, mdJoin, mention, raw, safeUrl, type MdValue } from './markdown.js';

/** Markdown content: an `Md` our code built, or a literal constant; a computed string does not type-check. */
export type MdContent<S> = S & (string extends S ? Md : unknown);

export type Template = 'blue' | 'wathet' | 'turquoise' | 'green' | 'yellow' | 'orange' | 'red' | 'carmine' | 'violet' | 'purple' | 'indigo' | 'grey';
export type Element = Record<string, unknown>;
export type ActionValue = { action: string } & Record<string, unknown>;

export interface Card {
  schema: '2.0';
  config: Record<string, unknown>;
  header?: Record<string, unknown>;
  body: { elements: Element[] };
}

export function card(opts: { title: string; subtitle?: string; template?: Template; elements: Element[]; summary?: string }): Card {
  return {
    schema: '2.0',
    config: { update_multi: true, width_mode: 'fill', ...(opts.summary ? { summary: { content: opts.summary } } : {}) },
    header: {
      title: plain(opts.title),
      ...(opts.subtitle ? { subtitle: plain(opts.subtitle) } : {}),
      template: opts.template ?? 'blue',
    },
    body: { elements: opts.elements },
  };
}

export const plain = (content: string) => ({ tag: 'plain_text', content });

export function markdown<S extends string | Md>(content: MdContent<S>, opts: { size?: 'normal' | 'notation' } = {}): Element {
  return { tag: 'markdown', content: String(content), ...(opts.size === 'notation' ? { text_size: 'notation' } : {}) };
}

/** A grey small line under a section (JSON 2.0 has no `note` tag). */
export function note<S extends string | Md>(content: MdContent<S>): Element {
  return { tag: 'markdown', content: String(content), text_size: 'notation' };
}

export const hr = (): Element => ({ tag: 'hr' });

export function button(opts: {
  text: string;
  value: ActionValue;
  type?: 'primary' | 'default' | 'danger' | 'primary_filled' | 'danger_filled' | 'laser' | 'text';
  confirm?: { title: string; text: string };
  name?: string;
  width?: 'default' | 'fill';
}): Element {
  return {
    tag: 'button',
    ...(opts.name ? { name: opts.name } : {}),
    text: plain(opts.text),
    type: opts.type ?? 'default',
    width: opts.width ?? 'default',
    ...(opts.confirm ? { confirm: { title: plain(opts.confirm.title), text: plain(opts.confirm.text) } } : {}),
    behaviors: [{ type: 'callback', value: opts.value }],
  };
}

/** A row of buttons that wraps on a phone. */
export function buttonRow(buttons: Element[]): Element {
  return {
    tag: 'column_set',
    flex_mode: 'flow',
    horizontal_spacing: '8px',
    columns: buttons.map((b) => ({ tag: 'column', width: 'auto', elements: [b] })),
  };
}

export function columns(cols: Element[][], opts: { flex?: 'none' | 'stretch' | 'flow' | 'bisect' | 'trisect' } = {}): Element {
  return {
    tag: 'column_set',
    flex_mode: opts.flex ?? 'none',
    columns: cols.map((elements) => ({ tag: 'column', width: 'weighted', weight: 1, elements })),
  };
}

/** key: value lines, for summaries on a phone. */
export function fields(pairs: [string, MdValue][]): Element {
  return markdown(new Md(pairs.map(([k, v]) => md`**${k}**：${v === null || v === undefined || v === '' ? '—' : v}`.text).join('\n')));
}

/**
 * Feishu's limit for a card message: 卡片及富文本消息请求体最大不能超过30KB, refused with 230025
 * (https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message/create and .../message/patch).
 * What is counted is the request's body, in which the card travels as a JSON string: every `"` and `\` of the
 * card's JSON escaped once more, 7–18 % more than the card's own JSON.
 */
export const CARD_BODY_LIMIT = 30 * 1024;
/**
 * What the rest of a send's body takes around the content: `{"receive_id":…,"msg_type":"interactive","content":…,"uuid":…}`
 * is about 180 bytes with an email receiver and a 50-character uuid; a reply's or a patch's is less.
 */
const BODY_AROUND_CONTENT = 256;
/** What the bot allows a card: a kilobyte under Feishu's limit, so no body it sends comes near the edge. */
export const CARD_BYTES_BUDGET = CARD_BODY_LIMIT - 1024;

/**
 * The bytes a card takes in the request that sends or updates it: its JSON as the `content` string (escaped), with
 * the rest of the body. The measure of every card budget, and of the card checker.
 */
export function cardBodyBytes(card: unknown): number {
  return Buffer.byteLength(JSON.stringify(JSON.stringify(card)), 'utf8') + BODY_AROUND_CONTENT;
}

/**
 * A card showing texts people typed, drawn whole (`draw()`) and, while it is over the budget, again with each long text
 * cut at fewer characters. A text of 1 000 characters fits four times over as typed, but what escaping makes of it may
 * not: `|` is six bytes as `&#124;`, a tab opening a line eight (four no-break spaces), so a form pasted from a
 * spreadsheet's columns came to 31 KB. A card over Feishu's limit is refused (230025) and reaches no one.
 */
export function fittedCard(draw: (clip?: number) => Card, clips: readonly number[] = [800, 600, 400, 300, 200, 100]): Card {
  let drawn = draw();
  for (const clip of clips) {
    if (cardBodyBytes(drawn) <= CARD_BYTES_BUDGET) break;
    drawn = draw(clip);
  }
  return drawn;
}

/**
 * The first `max` UTF-16 units of `s`, one fewer when the last would be the first half of a character outside the BMP
 * (an emoji, 𠮷): half a character is no text; PostgreSQL's json refuses it (a queued card could not be stored) and a
 * card would show it as garbage. Every cut of a text someone typed goes through here or `clipText`.
 */
export function cutText(s: string, max: number): string {
  if (s.length <= max) return s;
  const end = max > 0 && isHighSurrogate(s.charCodeAt(max - 1)) ? max - 1 : max;
  return s.slice(0, Math.max(0, end));
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;

/** The first `max` characters of `s` and “…” when it is longer: a free text whose whole is reachable elsewhere. */
export function clipText(s: string, max: number): string {
  return s.length > max ? `${cutText(s, max)}…` : s;
}

/**
 * Feishu shows at most 100 characters on a button ("最多支持 100 个字符",
 * https://open.feishu.cn/document/feishu-cards/card-json-v2-components/interactive-components/button) and refuses a
 * card with a longer one.
 */
export const BUTTON_TEXT_MAX = 100;

/**
 * A button's text naming something and what tells it apart (`名称（单位）`), within BUTTON_TEXT_MAX: the name is clipped
 * past 60 characters, the detail to what is left. Whether anything was clipped is `clipped`, so the card can show the whole.
 */
export function namedButtonText(name: string, detail: string): { text: string; clipped: boolean } {
  const n = clipText(name, 59);
  const d = clipText(detail, BUTTON_TEXT_MAX - 3 - n.length);
  return { text: `${n}（${d}）`, clipped: n !== name || d !== detail };
}

/** The page of a long list a card shows: Feishu counts every tagged object of a card against 200. */
export function pageOf<T>(items: T[], page: number, size: number): { items: T[]; page: number; pages: number } {
  const pages = Math.max(1, Math.ceil(items.length / size));
  const p = Math.min(Math.max(1, Math.floor(page) || 1), pages);
  return { items: items.slice((p - 1) * size, p * size), page: p, pages };
}

/** 上一页 / 下一页, each carrying the page it opens; nothing when everything fits on one page. */
export function pager(opts: { page: number; pages: number; value: ActionValue }): Element[] {
  if (opts.pages <= 1) return [];
  const buttons: Element[] = [];
  if (opts.page > 1) buttons.push(button({ text: '上一页', value: { ...opts.value, page: opts.page - 1 } }));
  if (opts.page < opts.pages) buttons.push(button({ text: '下一页', value: { ...opts.value, page: opts.page + 1 } }));
  return [note(md`第 ${opts.page} / ${opts.pages} 页`), buttonRow(buttons)];
}
