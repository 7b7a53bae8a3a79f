/**
 * One digest a day: the claim is the local date whether the digest is daily (a cycle running) or weekly (a Monday
 * without one), so a Monday on which a cycle stops or starts running gets one digest, not one of each kind.
 */
import { like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cycles, outbox } from '../../db/schema.js';
import { runJob } from '../../src/jobs/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { ADMIN_CHAT, BOOTSTRAP_ADMIN, generateCycle } from './jobsFixture.js';

const at = (iso: string) => ({ now: new Date(iso), timezone: 'Asia/Shanghai', bootstrapAdmins: [BOOTSTRAP_ADMIN] });
const digestKeys = async (db: TestDatabase) =>
  (await db.db.select({ k: outbox.dedupeKey }).from(outbox).where(like(outbox.dedupeKey, 'digest:%'))).map((r) => r.k).filter((k) => k.endsWith(`chat:${ADMIN_CHAT}`)).sort();

describe('one digest a day', () => {
  let db: TestDatabase;
  beforeAll(async () => { db = await createTestDatabase(); });
  afterAll(async () => { await db?.close(); });

  it('a Monday on which results are published: the daily digest at 09:00, no weekly one after', async () => {
    await generateCycle(db.db, 7);
    // Monday 2027-09-06, 09:00: the cycle still runs, the daily digest
    const [morning] = await runJob('digest', db.db, at('2027-09-06T09:00:00+08:00'));
    expect(morning).toMatchObject({ period: '2027-09-06', status: 'done', queued: [`digest:2027-09-06:chat:${ADMIN_CHAT}`] });
    // the administrators publish the results; the 14:00 tick finds no cycle running on a Monday
    await db.db.update(cycles).set({ status: 'published' });
    const [afternoon] = await runJob('digest', db.db, at('2027-09-06T14:00:00+08:00'));
    expect(afternoon).toMatchObject({ period: '2027-09-06', status: 'skipped', queued: [] });
    expect(await digestKeys(db)).toEqual([`digest:2027-09-06:chat:${ADMIN_CHAT}`]);
    // the next Monday the weekly digest comes, labelled by its week
    const [weekly] = await runJob('digest', db.db, at('2027-09-13T09:00:00+08:00'));
    expect(weekly).toMatchObject({ period: '2027-09-13', status: 'done', queued: [`digest:2027-W37:chat:${ADMIN_CHAT}`] });
  });

  it('a Monday on which a cycle starts running: the weekly digest at 09:00, no daily one after', async () => {
    await db.db.delete(outbox);
    const [morning] = await runJob('digest', db.db, at('2027-09-20T09:00:00+08:00'));
    expect(morning).toMatchObject({ period: '2027-09-20', status: 'done', queued: [`digest:2027-W38:chat:${ADMIN_CHAT}`] });
    await db.db.update(cycles).set({ status: 'open' });
    const [later] = await runJob('digest', db.db, at('2027-09-20T11:00:00+08:00'));
    expect(later).toMatchObject({ status: 'skipped', queued: [] });
    expect(await digestKeys(db)).toEqual([`digest:2027-W38:chat:${ADMIN_CHAT}`]);
    // the next day, the cycle running, the daily digest
    const [tuesday] = await runJob('digest', db.db, at('2027-09-21T09:00:00+08:00'));
    expect(tuesday).toMatchObject({ period: '2027-09-21', status: 'done', queued: [`digest:2027-09-21:chat:${ADMIN_CHAT}`] });
  });

  it('a week whose Monday had no run (the bot down): its weekly digest at the first run after, once', async () => {
    await db.db.update(cycles).set({ status: 'published' });
    await db.db.delete(outbox);
    // Monday 2027-10-04 passes without a tick; Tuesday's first run sends the week's digest (an open complaint is news)
    const [tuesday] = await runJob('digest', db.db, at('2027-10-05T09:00:00+08:00'));
    expect(tuesday).toMatchObject({ period: '2027-10-05', status: 'done', queued: [`digest:2027-W40:chat:${ADMIN_CHAT}`] });
    expect(await runJob('digest', db.db, at('2027-10-05T10:00:00+08:00'))).toMatchObject([{ status: 'skipped' }]);
    // Wednesday: the week had its digest
    expect(await runJob('digest', db.db, at('2027-10-06T09:00:00+08:00'))).toEqual([]);
    expect(await digestKeys(db)).toEqual([`digest:2027-W40:chat:${ADMIN_CHAT}`]);
    // a week whose Monday ran stays quiet on its Tuesday
    expect(await runJob('digest', db.db, at('2027-10-11T09:00:00+08:00'))).toMatchObject([{ status: 'done', queued: [`digest:2027-W41:chat:${ADMIN_CHAT}`] }]);
    expect(await runJob('digest', db.db, at('2027-10-12T09:00:00+08:00'))).toEqual([]);
  });
});
