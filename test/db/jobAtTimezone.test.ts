import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { momentIn, todayIn } from '../../src/dates.js';

const run = promisify(execFile);

/**
 * `npm run job -- <name> --at …` reads a day, or a time without an offset, in BOT_TIMEZONE, as the administrators say it:
 * `--at 2027-09-06` previewed 5 September in New York (new Date read it as UTC midnight), and 20:00 typed in Beijing
 * on a server in UTC previewed the next day (04:00 there).
 */
describe('npm run job --at reads its day in BOT_TIMEZONE', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'job-at-zone-'));
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });
  const job = (at: string, zone: string) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LARK_') && k !== 'DATABASE_URL' && k !== 'ADMIN_OPEN_IDS'));
    return run(process.execPath, ['--import', 'tsx', 'scripts/job.ts', 'digest', '--at', at], {
      // the server's own clock in UTC, as most are
      env: { ...env, TZ: 'UTC', DATA_DIR: dataDir, LOG_LEVEL: 'warn', BOT_TIMEZONE: zone },
      cwd: process.cwd(),
      timeout: 60_000,
    });
  };

  it('a day alone is that day in a zone west of UTC', async () => {
    const shown = await job('2027-09-06', 'America/New_York');
    expect(shown.stdout).toContain('digest 2027-09-06: would run');
    expect(shown.stdout).toContain('preview only: 2027-09-06 is not today');
  }, 120_000);

  it('an evening typed in Beijing is that evening, on a server in UTC', async () => {
    const shown = await job('2027-09-06T20:00', 'Asia/Shanghai');
    expect(shown.stdout).toContain('digest 2027-09-06: would run');
  }, 120_000);

  it('a time that says its offset is that moment; what is no time is refused with the forms it takes', async () => {
    expect((await job('2027-09-06T20:00:00Z', 'Asia/Shanghai')).stdout).toContain('digest 2027-09-07: would run');
    const refused = await job('2027-09-31', 'Asia/Shanghai').then(
      () => ({ code: 0, stderr: '' }),
      (e: { stderr: string; code: number }) => e,
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--at "2027-09-31" is not a time: write a day (2027-05-24), a time in BOT_TIMEZONE (2027-05-24T09:00)');
  }, 120_000);
});

describe('momentIn', () => {
  const at = (text: string, zone: string) => momentIn(text, zone, '09:00')?.toISOString();
  it('reads a wall time in the zone, across daylight saving', () => {
    expect(at('2027-05-28', 'America/New_York')).toBe('2027-05-28T13:00:00.000Z');
    expect(at('2027-12-31 23:59:59', 'Asia/Shanghai')).toBe('2027-12-31T15:59:59.000Z');
    expect(todayIn('Asia/Shanghai', momentIn('2028-01-01T00:00', 'Asia/Shanghai')!)).toBe('2028-01-01');
    expect(at('2028-02-29', 'Europe/London')).toBe('2028-02-29T09:00:00.000Z');
    // 02:30 on the day New York's clocks go forward does not exist: read with the offset before, 03:30 EDT, as PostgreSQL does
    expect(at('2027-03-14T02:30', 'America/New_York')).toBe('2027-03-14T07:30:00.000Z');
    // 01:30 on the day they go back comes twice: the first
    expect(at('2027-11-07T01:30', 'America/New_York')).toBe('2027-11-07T05:30:00.000Z');
    expect(at('2027-10-31T01:30', 'Europe/London')).toBe('2027-10-31T00:30:00.000Z');
  });
  it('keeps an offset given, and refuses what is no time', () => {
    expect(at('2027-05-24T09:00:00+08:00', 'America/New_York')).toBe('2027-05-24T01:00:00.000Z');
    expect(at('2027-05-24T09:00:00Z', 'Asia/Shanghai')).toBe('2027-05-24T09:00:00.000Z');
    // a space before the offset only, or between the day and the time as well
    expect(at('2027-05-24T09:00:00 Z', 'Asia/Shanghai')).toBe('2027-05-24T09:00:00.000Z');
    expect(at('2027-05-24T09:00:00 +08:00', 'America/New_York')).toBe('2027-05-24T01:00:00.000Z');
    expect(at('2027-05-24 09:00:00 +08:00', 'America/New_York')).toBe('2027-05-24T01:00:00.000Z');
    expect(at('2027-05-24 09:00+0800', 'UTC')).toBe('2027-05-24T01:00:00.000Z');
    for (const bad of ['2027-02-29', '2027-05-24T24:00', 'tomorrow', '24/05/2027', '']) expect(at(bad, 'UTC'), bad).toBeUndefined();
  });
});
