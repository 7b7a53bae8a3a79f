/**
 * Card markdown built safely: every value put into the `md` template shows as the literal text typed,
 * unless it is markdown our own code built (`md`, `raw`, `link`), which is an `Md` object, not a string.
 */

/** Markdown our code built: the only thing `markdown()`/`note()` take besides a literal constant. */
export class Md {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type MdValue = Md | Typed | string | number | null | undefined;

// Feishu's rich-text markdown takes HTML entities (&#60; &#91; &#42; …) for characters it would read as markup:
// https://open.feishu.cn/document/feishu-cards/card-json-v2-components/content-components/rich-text
const INLINE = /[&<>[\]()*_`~\\$|{}]/g;
// list, heading and rule markers act only at the start of a line, before a space (or alone, as `---`)
const LINE_START = /(^|\n)([ \t]*)([-+#=]+|\d+[.)])(?=[ \t\n]|$)/g;

const entity = (ch: string) => `&#${ch.codePointAt(0)};`;
// a Feishu emoji code (:DONE:, :OK:, :THUMBSUP:) between two colons is drawn as the emoji in rich text ("飞书表情 | `:DONE:`、
// `:OK:`", larksuite/cli skills/lark-im/references/card/components/markdown.md): the colon opening one is written as an entity.
// So is the colon of an address's `://`: a bare address is made a link, and one glued to Chinese
// (`https://xxxx.xxx中文文本`) is an invalid link for which Feishu refuses the whole card (飞书卡片常见问题, 发送卡片 Q5,
// https://open.feishu.cn/document/common-capabilities/message-card/message-card); written `&#58;` (the rich-text page's
// escape for `:`) it is shown as typed and linked never
const COLON = /:(?=[A-Za-z0-9_+-]+:|\/\/)/g;

// a line's indentation: four spaces or a tab after a blank line make an indented code block, inside which the entities
// above show as typed (`&#60;`) ("四个及以上空格（缩进式代码块语法）也将触发代码块效果", the rich-text page above; CommonMark
// counts only spaces and tabs as indentation): written as no-break spaces, which indent the same and start nothing
const INDENT = /(^|\n)([ \t]+)/g;
const noBreak = (space: string) => space.replace(/\t/g, '    ').replace(/ /g, '\u00a0');

// whether `s` holds anything INLINE, LINE_START or INDENT would replace: most values (names, numbers, dates) hold nothing;
// a carriage return ends a line as a line feed does (CommonMark), so it is one
const NEEDS_ESCAPE = /[&<>[\]()*_`~\\$|{}\r]|(?:^|\n)[ \t]|(?:^|\n)(?:[-+#=]|\d+[.)])|:[A-Za-z0-9_+-]+:|:\/\//;

/** The entity-escaped text of `s`: no link, mention, tag or style in it survives. */
export function escapeText(s: string, atLineStart = true): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  const midLine = (offset: number, nl: string) => offset === 0 && !nl && !atLineStart;
  return s
    .replace(/\r\n?/g, '\n')
    .replace(INLINE, entity)
    .replace(COLON, entity)
    .replace(LINE_START, (m, nl: string, space: string, mark: string, offset: number) =>
      midLine(offset, nl) ? m : `${nl}${space}${[...mark].map(entity).join('')}`,
    )
    .replace(INDENT, (m, nl: string, space: string, offset: number) => (midLine(offset, nl) ? m : `${nl}${noBreak(space)}`));
}

/**
 * What a person wrote in their own words (a complaint, an opinion, a note, a reason), escaped as `md` escapes it and shown
 * exactly as written: 协会联系方式 goes after each 请联系协会 of a card's text as it is sent (cards/contact.ts withContact),
 * which in a complaint's 请联系协会督促整改 would put words its writer never wrote; the 协 of 联系协会 there is written as an
 * entity, which shows the same and is no such phrase. Our own texts, passed through `md` as values too, keep it.
 */
export function asTyped(v: string): Typed {
  return new Typed(v);
}

/** A person's own words (`asTyped`), escaped where `md` places it: at a line's start a typed `- ` is no list either. */
class Typed {
  constructor(readonly text: string) {}
}
const typedPart = (t: Typed, atLineStart: boolean) => escapeText(t.text, atLineStart).replace(/联系协会/g, `联系${entity('协')}会`);

/** Markdown made by our own code (a constant, a colour of ours): not escaped. Mark each use with why. */
export const raw = (s: string): Md => new Md(s);

/** `atLineStart`: whether the text before the value ends a line, so a leading `- ` would start a list. */
function part(v: MdValue, atLineStart = true): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Md) return v.text;
  if (v instanceof Typed) return typedPart(v, atLineStart);
  return escapeText(String(v), atLineStart);
}

/** Whether what follows `s` starts a line's text: after a line break, or after a list item's or a quote's marker (`- `, `1. `, `> `), where a `#` or `- ` typed would start a heading or another list. */
const endsLine = (s: string) => s === '' || /(?:^|\n)[ \t]*(?:(?:[-+*]|\d+[.)]|>)[ \t]+)*$/.test(s);

/** Tagged template: `md\`**班组**：${team.name}\`` entity-escapes every interpolated string and number. */
export function md(strings: TemplateStringsArray, ...values: MdValue[]): Md {
  let out = strings[0];
  values.forEach((v, i) => {
    out += part(v, endsLine(out)) + strings[i + 1];
  });
  return new Md(out);
}

/** Joins pieces (escaping plain strings) with a separator of ours. */
export function mdJoin(parts: MdValue[], separator: string): Md {
  return new Md(parts.map((p, i) => part(p, i === 0 || separator.endsWith('\n'))).join(separator));
}

/** An http(s) URL as it will be opened, or undefined for anything else (javascript:, data:, a typo). */
export function safeUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  // "卡片中的链接不支持特殊字符。建议将对应的参数转义": Feishu refuses `?time=31/12/2014 23:59:59`, takes
  // `?time=31%2F12%2F2014%2023%3A59%3A59` (飞书卡片常见问题, 发送卡片 Q6,
  // https://open.feishu.cn/document/common-capabilities/message-card/message-card): the query's names and values encoded
  let href = url.href;
  if (url.search.length > 1) href = `${href.slice(0, href.length - url.hash.length - url.search.length)}?${queryOf(url.search)}${url.hash}`;
  // the href ends the link at `)`, and a space would end it too: percent-encode what markdown would read
  return href.replace(/[()\s<>`*_~[\]]/g, percent);
}

const percent = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
/**
 * A query with each name and value percent-encoded as encodeURIComponent would (`/`, `:`, `?`, `@`, `=` in a value …),
 * what URL encoded already kept, and `+` kept: a form's query writes a space so.
 */
const queryOf = (search: string) =>
  search
    .slice(1)
    .split('&')
    .map((param) => {
      const eq = param.indexOf('=');
      return eq < 0 ? queryPart(param) : `${queryPart(param.slice(0, eq))}=${queryPart(param.slice(eq + 1))}`;
    })
    .join('&');
const queryPart = (s: string) => s.replace(/%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~%+!]/g, percent);

/**
 * A link in Feishu's syntax `[text](url)` when `url` is http(s); otherwise the text and the value as plain text,
 * so a `javascript:` or mistyped address is shown, never made clickable.
 */
export function link(text: MdValue, url: unknown): Md {
  const href = safeUrl(url);
  if (href) return new Md(`[${part(text)}](${href})`);
  return typeof url === 'string' && url.trim() ? md`${text}：${url}` : md`${text}`;
}

/**
 * An open_id as Feishu issues it, ou_ then lowercase letters and digits (the test worlds' ids add _ and capitals): an
 * `<at id=…>` naming anything else, or no user, makes Feishu refuse the whole card, "ErrCode: 100290; ErrMsg: There is
 * an invalid user resource(at/person) in your card" (230099 子错误码, https://open.feishu.cn/document/server-docs/im-v1/message/create).
 */
const OPEN_ID = /^ou_\w{1,64}$/;
/** The placeholder an import keeps for someone named by mobile or e-mail who has not written to the bot (src/import/people.ts). */
const PENDING = /^pending:[me]:/;

/**
 * A mention of one person, only by an open_id (the doc's syntax `<at id=open_id></at>`); anyone else is named in text:
 * by `name` when the caller has it, someone an import named and not yet linked by the mobile or e-mail they were
 * imported by (as 更换班组长 names them), any other id as it is.
 */
export function mention(openId: string, name?: string | null): Md {
  if (OPEN_ID.test(openId)) return new Md(`<at id=${openId}></at>`);
  const unlinked = PENDING.test(openId);
  if (name?.trim()) return unlinked ? md`${name.trim()}（尚未关联飞书）` : md`${name.trim()}`;
  return unlinked ? md`${openId.replace(PENDING, '')}（尚未关联飞书）` : md`${openId}`;
}
