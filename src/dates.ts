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
/** The last minute formatted in each zone: answers given in the same minute (most of a busy minute's) reuse it. */
const lastFormatted = new Map<string, { minute: number; text: string }>();
/** 1973-01-01T00:00Z in minutes. */
const SINCE_WHOLE_MINUTE_OFFSETS = Date.UTC(1973, 0, 1) / 60_000;

/** A moment as people read it in `timeZone`: '2027年6月1日 09:30', one style with `formatDateZh`; the formatter is made once per zone. */
export function formatDateTimeZh(at: Date | string, timeZone: string): string {
  const date = new Date(at);
  const minute = Math.floor(date.getTime() / 60_000);
  const last = lastFormatted.get(timeZone);
  if (last?.minute === minute) return last.text;
  let f = dateTimeFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    dateTimeFormatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(date).map((p) => [p.type, p.value]));
  const text = `${formatDateZh(`${parts.year}-${parts.month}-${parts.day}`)} ${parts.hour}:${parts.minute}`;
  // from 1973 every zone's offset is whole minutes (Monrovia's -0:44:30 ended in 1972): one UTC minute is one local minute
  if (minute >= SINCE_WHOLE_MINUTE_OFFSETS) lastFormatted.set(timeZone, { minute, text });
  return text;
}


const offsetFormatters = new Map<string, Intl.DateTimeFormat>();
/** How far `timeZone`'s clock is ahead of UTC at `at`, in milliseconds (to the second). */
function zoneOffsetMs(timeZone: string, at: number): number {
  let f = offsetFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    offsetFormatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(at)).map((x) => [x.type, Number(x.value)]));
  const second = Math.floor(at / 1000) * 1000;
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - second;
}

/**
 * A moment as a Date whose local getters (getHours…, in the process's own zone) read its wall time in `timeZone`: for a
 * format that keeps a time without a zone, written by a library through those getters (a zip entry's DOS time).
 */
export function wallTimeAsLocal(at: Date, timeZone: string): Date {
  const wall = new Date(Math.floor(at.getTime() / 1000) * 1000 + zoneOffsetMs(timeZone, at.getTime()));
  return new Date(wall.getUTCFullYear(), wall.getUTCMonth(), wall.getUTCDate(), wall.getUTCHours(), wall.getUTCMinutes(), wall.getUTCSeconds());
}

/** `timeZone`'s offset from UTC at `at`, as ISO 8601 writes it: '+08:00', '-04:00', '+05:45'. */
export function utcOffsetText(at: Date, timeZone: string): string {
  const minutes = Math.round(zoneOffsetMs(timeZone, at.getTime()) / 60_000);
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/**
 * The same day and time of the next year in `timeZone` (29 February → 28 February, as `oneYearAfter` counts a year):
 * PostgreSQL's `((at at time zone tz) + interval '1 year') at time zone tz`.
 */
export function sameTimeNextYear(at: Date, timeZone: string): Date {
  const offset = zoneOffsetMs(timeZone, at.getTime());
  const wall = new Date(at.getTime() + offset);
  const month = wall.getUTCMonth();
  wall.setUTCFullYear(wall.getUTCFullYear() + 1);
  if (wall.getUTCMonth() !== month) wall.setUTCDate(0);
  // the wall time back to a moment: the zone's offset a year on, taken where that wall time falls
  const guess = wall.getTime() - offset;
  return new Date(wall.getTime() - zoneOffsetMs(timeZone, guess));
}

/**
 * A moment given as people there write it: '2027-05-24T09:00' (or with a space, seconds) is that wall time in `timeZone`,
 * '2027-05-24' that day at `dayTime` there; one with its own offset or Z ('2027-05-24T09:00:00+08:00') is that moment.
 * Undefined when it is none of these. `new Date` reads a date alone as UTC midnight (the day before, west of UTC) and a
 * time without an offset in the process's zone (a server in UTC read 20:00 typed in Beijing as 04:00 of the next day).
 * A wall time the zone skips (a daylight-saving gap) is read with the offset before the gap.
 */
export function momentIn(text: string, timeZone: string, dayTime = '00:00'): Date | undefined {
  const s = text.trim();
  const wall = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?)?$/.exec(s);
  if (!wall) {
    // new Date reads 2024-02-30T16:00Z as 1 March: the day must be one of the calendar
    const at = /^\d{4}-\d{2}-\d{2}[T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})$/i.test(s) && isRealDate(s.slice(0, 10)) ? new Date(s.replace(/^(\d{4}-\d{2}-\d{2}) /, '$1T').replace(/\s+(?=[Z+-][^\s]*$)/i, '')) : undefined;
    return at && Number.isFinite(at.getTime()) ? at : undefined;
  }
  if (!isRealDate(wall[1])) return undefined;
  const [hour, minute, second] = wall[2] === undefined ? dayTime.split(':').map(Number) : [Number(wall[2]), Number(wall[3]), Number(wall[4] ?? 0)];
  if (hour > 23 || minute > 59 || (second ?? 0) > 59) return undefined;
  const [y, m, d] = wall[1].split('-').map(Number);
  const asUtc = Date.UTC(y, m - 1, d, hour, minute, second ?? 0, Math.round(Number(wall[5] ?? 0) * 1000));
  // the zone's offsets a day either side: the one the wall time reads back with (the earlier of two when the clock went
  // back), else (a gap) the one before it, as PostgreSQL reads a time that does not exist
  const [before, after] = [asUtc - zoneOffsetMs(timeZone, asUtc - DAY_MS), asUtc - zoneOffsetMs(timeZone, asUtc + DAY_MS)];
  const readsBack = (at: number) => at + zoneOffsetMs(timeZone, at) === asUtc;
  return new Date(readsBack(before) || !readsBack(after) ? before : after);
}
