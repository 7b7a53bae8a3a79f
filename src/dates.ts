/**
 * Calendar dates as 'YYYY-MM-DD' strings, the form the database (`date` columns) and Feishu's date
 * picker use. A date string has no timezone: "today" is asked of a timezone (BOT_TIMEZONE) explicitly.
 */

const DAY_MS = 86_400_000;
const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The calendar date at `now` in `timeZone`, e.g. todayIn('Asia/Shanghai', new Date('2026-02-28T17:00:00Z')) → '2026-03-01'. */
export function todayIn(timeZone: string, now: Date): string {
  const parts = formatterFor(timeZone).formatToParts(now);
  const get = (type: 'year' | 'month' | 'day') => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** 'YYYY-MM-DD' that names a day of the calendar (no 2026-02-30). */
export function isRealDate(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  const m = datePattern.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

function utcMs(date: string): number {
  if (!isRealDate(date)) throw new Error(`not a date: ${JSON.stringify(date)}`);
  const [y, m, d] = date.split('-').map(Number);
  return Date.UTC(y, m - 1, d);
}

/** Whole days from `a` to `b` (positive when b is later): daysBetween('2026-03-01', '2026-03-31') → 30. */
export function daysBetween(a: string, b: string): number {
  return Math.round((utcMs(b) - utcMs(a)) / DAY_MS);
}

/** The date `n` days after `date` (before, for negative n). */
export function addDays(date: string, n: number): string {
  return new Date(utcMs(date) + n * DAY_MS).toISOString().slice(0, 10);
}

/** '2026-03-01' → '2026年3月1日'; anything that is not a date is returned as it is. */
export function formatDateZh(s: string): string {
  if (!isRealDate(s)) return s;
  const [y, m, d] = s.split('-').map(Number);
  return `${y}年${m}月${d}日`;
}

const dateTimeFormatters = new Map<string, Intl.DateTimeFormat>();

/** A moment as people read it in `timeZone`: '2027年6月1日 09:30', one style with `formatDateZh`; the formatter is made once per zone. */
export function formatDateTimeZh(at: Date | string, timeZone: string): string {
  let f = dateTimeFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    dateTimeFormatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(at)).map((p) => [p.type, p.value]));
  return `${formatDateZh(`${parts.year}-${parts.month}-${parts.day}`)} ${parts.hour}:${parts.minute}`;
}

