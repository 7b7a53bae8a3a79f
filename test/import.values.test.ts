import { describe, expect, it } from 'vitest';
import { importedAward } from '../src/import/apply.js';
import { personRef } from '../src/import/people.js';
import { importDate, importYear } from '../src/import/plan.js';

/** Cells as an association's secretary leaves them in Excel: a date cell with a time, a year typed with 年 or 年度. */
describe('import cell values', () => {
  it('a date: Excel day numbers (a time of day dropped), and the ways a date is typed', () => {
    expect(importDate('45321')).toBe('2024-01-30');
    expect(importDate('45321.5')).toBe('2024-01-30');
    expect(importDate('45321.999988')).toBe('2024-01-30');
    expect(importDate('2024/3/15')).toBe('2024-03-15');
    expect(importDate('2024年3月15日')).toBe('2024-03-15');
    expect(importDate('2024-02-30')).toBeUndefined();
    // eight digits, as another system exports a date (a number cell of 20240315)
    expect(importDate('20240315')).toBe('2024-03-15');
    expect(importDate('20240230')).toBeUndefined();
    expect(importDate('2024031')).toBeUndefined();
    // a moment with its offset is that moment's day in BOT_TIMEZONE, a space before the offset or not
    for (const typed of ['2024-03-14T16:00:00.000Z', '2024-03-14T16:00:00 Z', '2024-03-14 16:00:00 Z', '2024-03-15T00:00:00 +08:00']) {
      expect(importDate(typed, 'Asia/Shanghai'), typed).toBe('2024-03-15');
    }
  });

  it('a year: 2025, 2025年, 2025 年度, in full width too; not a phrase, not before 1990 or after this year', () => {
    for (const typed of ['2025', '2025年', '2025 年度', '２０２５年']) expect(importYear(typed, 2026), typed).toBe(2025);
    for (const typed of ['2025年度评审', '1989', '2027', '二〇二五']) expect(importYear(typed, 2026), typed).toBeUndefined();
  });
});

describe('a person named in a cell', () => {
  it('is one mobile however it is written: 0086 before it, en or em dashes in it, a full stop after it', () => {
    for (const typed of ['13800000001', '0086 13800000001', '138–0000–0001', '138—0000—0001', '＋８６ １３８－００００－０００１', '13800000001。']) {
      expect(personRef(typed), typed).toEqual({ kind: 'mobile', key: '13800000001' });
    }
    expect(personRef('00852 9123 4567')).toEqual({ kind: 'mobile', key: '+85291234567' });
    expect(personRef('138–0000')).toBeUndefined();
  });
});

describe('an imported title’s award day', () => {
  it('is the end of its year, or the import itself for this year’s: 第二十二条 counts complaints from the award on', () => {
    const now = new Date('2026-10-01T02:00:00Z');
    expect(importedAward(2024, now).toISOString()).toBe('2024-12-31T00:00:00.000Z');
    expect(importedAward(2026, now)).toEqual(now);
  });
});
