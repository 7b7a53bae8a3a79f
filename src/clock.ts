import { type SQL, sql } from 'drizzle-orm';

/** Time comes from here so tests and the demo can move it. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that stands still until moved; for tests and the scripted demo. */
export class ManualClock implements Clock {
  private current: number;
  constructor(start: Date | string = '2026-01-01T00:00:00+08:00') {
    this.current = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  set(at: Date | string): void {
    this.current = new Date(at).getTime();
  }
  advance(ms: number): void {
    this.current += ms;
  }
  advanceDays(days: number): void {
    this.current += days * 86_400_000;
  }
}

/** A clock offset from real time, so the local demo can jump a year ahead while time still flows. */
export class OffsetClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

/**
 * The database's time `ms` from now, for a column several replicas write and compare (the outbox's next_attempt_at and
 * sent_at, a bulk job's lease): one clock for every replica, whatever its own says (a replica whose clock ran ahead sent
 * over the shared 50 a second, and took running jobs over from live workers).
 */
export function dbClockIn(ms: number): SQL<Date> {
  return ms ? sql<Date>`clock_timestamp() + ${ms}::float8 * interval '1 millisecond'` : sql<Date>`clock_timestamp()`;
}
