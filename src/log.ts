import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths whose values never reach a log line. */
export const redactedPaths = [
  'appSecret',
  'app_secret',
  'encryptKey',
  'encrypt_key',
  'verificationToken',
  'token',
  'tenant_access_token',
  'authorization',
  'headers.authorization',
  'config.LARK_APP_SECRET',
  'config.LARK_ENCRYPT_KEY',
  'config.LARK_VERIFICATION_TOKEN',
  'config.DATABASE_URL',
];

/** An HTTP client's error carries its request (headers with the tenant token, the token request's body): never logged. */
const requestKeys = ['config', 'request', 'response', 'headers', 'options', 'socket'];

/**
 * A database error carries the values of its query (a complaint's text, a phone number, scores): Drizzle's
 * `DrizzleQueryError` in `params` and in its message ("Failed query: …\nparams: …"), PGlite's in `params` and
 * `queryOptions`, postgres.js's in `parameters` (debug mode), and PostgreSQL's own `detail` may quote a row
 * ("Failing row contains (…)", "Key (phone)=(…) already exists"). The query text, the SQLSTATE, the constraint,
 * table and column names stay: they say what failed.
 */
const valueKeys = ['params', 'parameters', 'queryOptions', 'detail'];

/**
 * A refusal's message may quote what a user typed about someone else: a contact's mobile or e-mail not found
 * (“没有找到 手机号 13812345678 对应的飞书用户”), a file's rows. Logged, those are masked: mobiles and other runs of
 * seven digits or more (138 1234 5678, 020-12345678, +86 138…), and e-mail addresses. Team codes (GDSZ-2026-0001) and
 * dates, in groups of four digits or fewer, stay.
 */
const PHONE = /(?<![\w-])(?:\+?86[\s-]?)?(?:1\d{2}[\s-]\d{4}[\s-]\d{4}|0\d{2,3}-\d{7,8}|\d{7,})(?![\w])/g;
const EMAIL_NAME = /[\w.+-]/;
const EMAIL_DOMAIN = /[\w-]+(?:\.[\w-]+)+/y;

/**
 * Where `[\w.+-]+@[\w-]+(?:\.[\w-]+)+` matches, found from each @ rather than from each character: as a regular expression
 * each character of a long word without an @ was read to the word's end, and 100 000 of them held every event for 10 s.
 * The same addresses, the same span: the name reaches back to where the last one ended, the domain as far as it goes.
 */
function emailSpans(text: string): ContactSpan[] {
  const spans: ContactSpan[] = [];
  let done = 0;
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    let start = at;
    while (start > done && EMAIL_NAME.test(text[start - 1])) start--;
    if (start === at) continue;
    EMAIL_DOMAIN.lastIndex = at + 1;
    if (!EMAIL_DOMAIN.test(text)) continue;
    done = EMAIL_DOMAIN.lastIndex;
    spans.push({ start, end: done, mask: '[邮箱]' });
    at = done - 1;
  }
  return spans;
}

/** A phone number or an e-mail address in a text (`contactSpans`): from `start` to `end`, and what `withoutContacts` writes instead. */
export interface ContactSpan {
  start: number;
  end: number;
  mask: '[号码]' | '[邮箱]';
}

/** Where `withoutContacts` masks: the e-mail addresses, then the phone numbers outside them; in order. */
export function contactSpans(text: string): ContactSpan[] {
  const emails = emailSpans(text);
  // an address blanked, as long as it was: no number is read inside one, nor across it
  let blanked = '';
  let from = 0;
  for (const e of emails) {
    blanked += text.slice(from, e.start) + '\0'.repeat(e.end - e.start);
    from = e.end;
  }
  blanked += text.slice(from);
  const phones = [...blanked.matchAll(PHONE)].map((m): ContactSpan => ({ start: m.index, end: m.index + m[0].length, mask: '[号码]' }));
  return [...emails, ...phones].sort((a, b) => a.start - b.start);
}

export function withoutContacts(text: string): string {
  let out = '';
  let from = 0;
  for (const span of contactSpans(text)) {
    out += text.slice(from, span.start) + span.mask;
    from = span.end;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** A text that may quote an error (the SDK's own log lines): whatever follows Drizzle's "params:" goes. */
export function withoutParams(text: string): string {
  const at = text.indexOf('\nparams: ');
  return at < 0 ? text : `${text.slice(0, at)}\nparams: [not logged]`;
}

/**
 * The messages of `err` and its causes that carry Drizzle's "params: …", each with its safe form. The values
 * may hold anything a user typed (line breaks, "    at "), so they are cut by the error's own message, not by
 * the look of the text.
 */
function valueMessages(err: unknown): [string, string][] {
  const found: [string, string][] = [];
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && message.includes('\nparams: ')) found.push([message, withoutParams(message)]);
  }
  return found;
}

function scrub(text: string, messages: [string, string][]): string {
  return messages.reduce((t, [raw, safe]) => t.split(raw).join(safe), text);
}

/** What an error says, for a log field or a row's `last_error`, less the query values. */
export function errorText(err: unknown): string {
  return scrub(String((err as Error)?.message ?? err), valueMessages(err));
}

/**
 * `err` as pino writes it, less what an HTTP client's error carries of its request: the SDK throws axios errors whose
 * `config.headers` and `request._header` hold `Authorization: Bearer t-…`. Kept: the message, type, stack, code,
 * and of the answer its HTTP status, Feishu's `{code, msg}`, its log id, troubleshooter link and field violations. The
 * same for its `cause`, a few levels down.
 */
export function safeErr(err: unknown, depth = 0): unknown {
  if (!err || typeof err !== 'object') return err;
  const raw = err as { response?: { status?: unknown; data?: unknown } };
  const out = (err instanceof Error ? pino.stdSerializers.err(err) : { ...(err as object) }) as Record<string, unknown>;
  for (const key of requestKeys) delete out[key];
  for (const key of valueKeys) delete out[key];
  // pino's serializer has appended the causes' messages and stacks: each one's values go
  const messages = valueMessages(err);
  if (typeof out.message === 'string') out.message = scrub(out.message, messages);
  if (typeof out.stack === 'string') out.stack = scrub(out.stack, messages);
  const status = raw.response?.status;
  const data = raw.response?.data && typeof raw.response.data === 'object' ? (raw.response.data as { code?: unknown; msg?: unknown }) : undefined;
  if (typeof status === 'number') out.status = status;
  if (typeof data?.code === 'number') out.feishuCode = data.code;
  if (typeof data?.msg === 'string') out.feishuMsg = data.msg.slice(0, 300);
  // what Feishu's support asks for: the request's log id (x-tt-logid, or the body's error.log_id), its troubleshooter
  // link and which fields it refused
  const detail = (data as { error?: { log_id?: unknown; troubleshooter?: unknown; field_violations?: unknown } } | undefined)?.error;
  const headers = raw.response as { headers?: Record<string, unknown> | { get?: (k: string) => unknown } } | undefined;
  const header = (k: string) => {
    const h = headers?.headers as { get?: (k: string) => unknown; [k: string]: unknown } | undefined;
    return typeof h?.get === 'function' ? h.get(k) : h?.[k];
  };
  const logId = detail?.log_id ?? header('x-tt-logid');
  if (typeof logId === 'string') out.logId = logId.slice(0, 100);
  if (typeof detail?.troubleshooter === 'string') out.troubleshooter = detail.troubleshooter.slice(0, 300);
  if (Array.isArray(detail?.field_violations)) out.fieldViolations = JSON.stringify(detail.field_violations).slice(0, 500);
  const cause = (err as { cause?: unknown }).cause;
  if (cause !== undefined) out.cause = depth < 3 ? safeErr(cause, depth + 1) : '[cause]';
  return out;
}

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      redact: { paths: redactedPaths, censor: '[redacted]' },
      serializers: { err: (e: unknown) => safeErr(e) },
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination as never,
  );
}

/**
 * A password written libpq's way, in the query (`?password=…`, `sslpassword`, a key's path): postgres.js reads none of
 * them (it sends `password` to the server as a setting, refused), so the configuration refuses the first, and every
 * line that shows the URL masks them all.
 */
const SECRET_QUERY = /([?&](?:password|sslpassword|sslkey)=)([^&#]*)/gi;
export const passwordInQuery = (url: string): boolean => /[?&](?:password|sslpassword)=/i.test(url);

/**
 * `text` without the password of DATABASE_URL `url`, nor any piece of it: a password holding an unescaped `@`, `#` or
 * `/` (postgres://bob:a@Secret#1@db/x) is split by the URL parser, and its tail ends up in a driver's message as the
 * host's name (getaddrinfo ENOTFOUND Secret).
 */
export function withoutDatabasePassword(text: string, url: string): string {
  const start = url.indexOf('://');
  const end = url.lastIndexOf('@');
  const userinfo = start >= 0 && end > start ? url.slice(start + 3, end) : '';
  const colon = userinfo.indexOf(':');
  const secrets = [...(colon >= 0 ? [userinfo.slice(colon + 1)] : []), ...[...url.matchAll(SECRET_QUERY)].map((m) => m[2])];
  const decoded = (p: string) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  };
  // the whole before its pieces, as typed and percent-decoded; a piece of one or two characters says nothing
  const pieces = secrets.flatMap((secret) => [secret, ...secret.split(/[@#/?:]/)]).flatMap((p) => [p, decoded(p)]).filter((p) => p.length >= 3);
  let out = text;
  for (const piece of new Set(pieces.sort((a, b) => b.length - a.length))) out = out.split(piece).join('***');
  return out;
}

/**
 * Removes the password from a database URL before it is shown. Read as text, not parsed: a password with `/`, `#`
 * or `?` is no valid URL, and postgres.js still takes it. Everything between `://` and the last `@` is the user
 * and password; the user (up to the first `:`) stays. Its query's secrets (SECRET_QUERY) are masked too.
 */
export function safeDatabaseUrl(url: string): string {
  const masked = url.replace(SECRET_QUERY, '$1***');
  const start = masked.indexOf('://');
  const end = masked.lastIndexOf('@');
  if (start < 0 || end < start) return masked;
  const userinfo = masked.slice(start + 3, end);
  const colon = userinfo.indexOf(':');
  if (colon < 0) return masked;
  return `${masked.slice(0, start + 3)}${userinfo.slice(0, colon)}:***${masked.slice(end)}`;
}

/**
 * The one line naming DATABASE_URL, its password left out, and what went wrong using it (the first line of the error or
 * its cause): what npm start (src/startup.ts) and the command-line scripts (src/local/dataDirFailure.ts) say.
 */
export function databaseUrlProblem(err: unknown, url: string): string {
  const e = err as { message?: string; cause?: { message?: string } } | null | undefined;
  const message = (e?.cause?.message ?? e?.message ?? String(err)).split('\n')[0];
  return `DATABASE_URL ${safeDatabaseUrl(url)} cannot be used: ${withoutDatabasePassword(message, url)}`;
}

/** pino's levels as a person reads them on a terminal. */
const LEVEL_NAMES: Record<number, string> = { 10: '跟踪', 20: '调试', 30: '信息', 40: '警告', 50: '错误', 60: '致命' };
const LEVEL_COLOURS: Record<number, string> = { 10: '2', 20: '2', 30: '36', 40: '33', 50: '31', 60: '1;31' };
/** What a field's value may take on a line before it is cut. */
const FIELD_MAX = 120;

/** Control characters (an escape sequence typed by a user among them): never written to a terminal as they are. */
const CONTROL = /\p{Cc}/u;

/** A field's value on a terminal line: text as it is (quoted when it holds a space or a control character), anything else as JSON, cut long unless `whole`. */
function fieldValue(v: unknown, whole = false): string {
  const text = typeof v === 'string' ? (/[\s="]/.test(v) || CONTROL.test(v) || v === '' ? JSON.stringify(v) : v) : JSON.stringify(v);
  return !whole && text.length > FIELD_MAX ? `${text.slice(0, FIELD_MAX - 1)}…` : text;
}

/**
 * A logged error's fields on a terminal line, whole (a failed query's cause comes after the query, past any cut): its
 * message (err=), then each cause, a few levels down (cause=, cause.cause=), as its code and whatever of its message
 * the lines before do not already say (pino's serializer appends a cause's message to its error's).
 */
function errorFields(e: unknown): string[] {
  if (typeof e !== 'object' || !e) return [`err=${fieldValue(e, true)}`];
  const top = e as { type?: string; message?: string };
  const message = top.message ?? top.type ?? JSON.stringify(e);
  const fields = [`err=${fieldValue(message, true)}`];
  let said = String(message);
  let label = 'cause';
  for (let c = (e as { cause?: unknown }).cause, depth = 0; c !== undefined && c !== null && depth < 5; c = (c as { cause?: unknown }).cause, depth++) {
    const cause = typeof c === 'object' ? (c as { message?: unknown; code?: unknown }) : { message: c };
    const text = typeof cause.message === 'string' && !said.includes(cause.message) ? cause.message : '';
    const code = typeof cause.code === 'string' || typeof cause.code === 'number' ? String(cause.code) : '';
    const value = [code, text].filter(Boolean).join(' ');
    if (value) fields.push(`${label}=${fieldValue(value, true)}`);
    if (typeof cause.message === 'string') said += `\n${cause.message}`;
    label += '.cause';
    if (typeof c !== 'object') break;
  }
  return fields;
}

/**
 * One of pino's JSON lines as a person reads it on a terminal: the local time, the level in Chinese, the message, then
 * the other fields as key=value (cut long); an error's whole message and its causes with them (errorFields), and at
 * level error and above its stack below, indented.
 * A line that is not pino's JSON passes as it is.
 */
export function terminalLine(json: string, colour = false): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
    if (!o || typeof o !== 'object' || Array.isArray(o)) return json;
  } catch {
    return json;
  }
  const { time, level, msg, err, ...rest } = o;
  const at = typeof time === 'string' || typeof time === 'number' ? new Date(time) : undefined;
  const clock = at && !Number.isNaN(at.getTime()) ? at.toTimeString().slice(0, 8) : '--:--:--';
  const n = typeof level === 'number' ? level : 30;
  const name = LEVEL_NAMES[n] ?? String(level);
  const paint = (code: string, s: string) => (colour ? `\x1b[${code}m${s}\x1b[0m` : s);
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${fieldValue(v)}`);
  const e = err as { type?: string; message?: string; stack?: string } | string | undefined;
  if (e !== undefined) fields.unshift(...errorFields(e));
  // a message is the bot's own words, but may carry what someone typed: control characters escaped, as JSON has them
  const said = typeof msg === 'string' ? (CONTROL.test(msg) ? JSON.stringify(msg).slice(1, -1) : msg) : '';
  let line = `${paint('2', clock)} ${paint(LEVEL_COLOURS[n] ?? '0', name)} ${said}${fields.length ? `  ${paint('2', fields.join(' '))}` : ''}`;
  const stack = typeof e === 'object' && e && typeof e.stack === 'string' && n >= 50 ? e.stack.split('\n').slice(1) : [];
  if (stack.length) line += `\n${stack.map((l) => `    ${l.trim()}`).join('\n')}`;
  return `${line}\n`;
}

/** A destination for pino that writes each line as `terminalLine` says it to `out` (a terminal). */
export function terminalStream(out: NodeJS.WritableStream, colour: boolean): { write(line: string): boolean } {
  return { write: (line: string) => out.write(terminalLine(line.trimEnd(), colour)) };
}

/**
 * The log of `npm start` and the scripts: on a terminal (stdout a TTY) short lines a person reads (terminalLine), in
 * colour unless NO_COLOR is set; anywhere else (a service, a pipe, CI, the tests) pino's JSON, one object a line, as
 * the runtime contract says.
 */
export function createCliLogger(level: string, out: NodeJS.WriteStream = process.stdout): Logger {
  if (!out.isTTY) return createLogger(level);
  return createLogger(level, terminalStream(out, !process.env.NO_COLOR) as unknown as NodeJS.WritableStream);
}
