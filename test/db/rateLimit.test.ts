import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRequest, RateLimited } from '../../src/rateLimit.js';
import { complaintRateLimit, complaintRules } from '../../src/web/complaintForm.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

/**
 * The public complaint form's limits as the database counts them (src/rateLimit.ts): an IPv6 customer holds 65 536 /64s,
 * each an address of its own, so the /48 they all share is counted too; otherwise one tunnel could fill the hourly cap
 * on every complainant's behalf.
 */
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

/** Whether a complaint from `ip` at `now` is taken (counted) or refused, and by which rule. */
async function take(ip: string, now: Date): Promise<true | string> {
  try {
    await database.db.transaction((tx) => countRequest(tx, complaintRules(ip), now));
    return true;
  } catch (err) {
    if (err instanceof RateLimited) return err.rule.key;
    throw err;
  }
}

describe('the complaint limits of an IPv6 network', () => {
  it('take the configured number from a /48 however many /64s it posts from, and the next /48 is counted apart', async () => {
    const now = new Date('2027-03-01T09:00:00Z');
    const answers = [];
    for (let i = 0; i < 12; i++) answers.push(await take(`2001:db8:77:${(i + 1).toString(16)}::1`, now));
    expect(answers.slice(0, complaintRateLimit.max)).toEqual(Array(complaintRateLimit.max).fill(true));
    expect(answers.slice(complaintRateLimit.max)).toEqual(Array(12 - complaintRateLimit.max).fill('complaint:2001:db8:77::/48'));
    expect(await take('2001:db8:78:1::1', now)).toBe(true);
    // IPv4 has no network rule: neighbours in a /24 (a carrier's NAT) are counted apart
    for (let i = 1; i <= complaintRateLimit.max + 1; i++) expect(await take(`198.51.100.${i}`, now)).toBe(true);
  });

  it('and the /48’s day: a new window each ten minutes still stops at the day’s number', async () => {
    let now = new Date('2027-03-02T09:00:00Z').getTime();
    let taken = 0;
    for (let round = 0; round < complaintRateLimit.perDay / complaintRateLimit.max + 1; round++) {
      now += complaintRateLimit.windowMs + 1;
      for (let i = 0; i < complaintRateLimit.max; i++) if ((await take(`2001:db8:99:${(round * 16 + i + 1).toString(16)}::1`, new Date(now))) === true) taken++;
    }
    expect(taken).toBe(complaintRateLimit.perDay);
  });
});
