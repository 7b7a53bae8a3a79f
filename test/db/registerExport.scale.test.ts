import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { honours, imports, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { registerWorkbook } from '../../src/import/export.js';
import type { ImportSummary } from '../../src/import/plan.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN, workbookSender } from '../support/harness.js';
import { cardActionEvent } from '../support/larkEvents.js';

/**
 * 导出当前名册 of the largest register: 3 000 teams of 10 organisations (6 000 leaders and contacts), 300 experts and
 * 1 000 past titles. The callback only queues the file (the outbox writes it as it sends it); how long the writing
 * takes is printed, and the file sent back previews nothing to change.
 */
let h: Harness;
const TEAMS = 3000;
const send = workbookSender(() => h, 'regexportscale');

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2026-12-06T09:00:00+08:00'), outboxLimits: { perApp: 100_000, perReceiver: 100_000 } });
  const db = h.db.db;
  const orgs = await db.insert(organizations).values(Array.from({ length: 10 }, (_, k) => ({ name: `第${k + 1}市政工程有限公司` }))).returning();
  const leader = (i: number) => `pending:m:138${String(i).padStart(8, '0')}`;
  const contact = (i: number) => `pending:e:contact${i}@example.com`;
  const expert = (j: number) => `pending:m:137${String(j).padStart(8, '0')}`;
  const rows = <T>(n: number, f: (i: number) => T) => Array.from({ length: n }, (_, k) => f(k + 1));
  const chunked = async <T>(all: T[], write: (part: T[]) => Promise<unknown>) => {
    for (let i = 0; i < all.length; i += 1000) await write(all.slice(i, i + 1000));
  };
  await chunked([...rows(TEAMS, (i) => ({ openId: leader(i), name: `班长${i}` })), ...rows(TEAMS, (i) => ({ openId: contact(i), name: `联系人${i}` }))], (p) => db.insert(people).values(p));
  await chunked(
    rows(300, (j) => ({ openId: expert(j), name: `专家${j}`, roles: ['expert'], organizationId: orgs[j % 10].id, specialities: ['道路', '桥梁'], maxLoad: j % 2 ? 10 : null })),
    (p) => db.insert(people).values(p),
  );
  await chunked(
    rows(TEAMS, (i) => ({
      code: `GDSZ-2024-${String(i).padStart(4, '0')}`,
      name: `养护${i}班`,
      organizationId: orgs[i % 10].id,
      department: i % 2 ? '养护部' : '',
      type: 'project',
      leaderOpenId: leader(i),
      phone: `138${String(i).padStart(8, '0')}`,
      memberCount: 5 + (i % 30),
      functions: '',
      goals: '',
      plan: '',
      contactOpenId: contact(i),
      registeredAt: '2019-03-01',
    })),
    (p) => db.insert(teams).values(p),
  );
  const ids = (await db.select({ id: teams.id }).from(teams)).map((t) => t.id).slice(0, 1000);
  await chunked(ids.map((teamId, k) => ({ teamId, year: 2020 + (k % 5), title: '广东省市政工程质量信得过班组' })), (p) => db.insert(honours).values(p));
}, 300_000);
afterAll(async () => {
  await h?.close();
});

describe('导出当前名册 of 3 000 teams', () => {
  it('is queued at once, written in seconds, and sent back changes nothing', async () => {
    // the bot warm, as it runs: the first callback after a start loads the handlers
    await h.click(ADMIN, { action: 'import.guide' });
    const started = performance.now();
    // the callback alone (h.click would wait for the outbox too)
    const res = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value: { action: 'import.export' }, messageId: 'om_regexportscale_guide' }));
    const answered = performance.now() - started;
    expect(res.body.toast.type).toBe('success');
    const writing = performance.now();
    const bytes = await registerWorkbook(h.db.db, h.clock.now());
    const written = performance.now() - writing;
    console.log(`导出当前名册 of ${TEAMS} teams: answered in ${Math.round(answered)} ms; workbook written in ${Math.round(written)} ms, ${Math.round(bytes.length / 1024)} KB`);
    expect(answered).toBeLessThan(3000);
    await h.drain();
    const sent = h.fake.messages.filter((m) => m.msgType === 'file' && m.receiveId === ADMIN).map((m) => h.fake.upload(m.content.file_key)!);
    expect(sent.map((u) => u.fileName)).toEqual(['质量信得过班组名册-2026-12-06.xlsx']);

    await send(sent[0].bytes as Buffer);
    const [record] = await h.db.db.select().from(imports).orderBy(sql`${imports.id} desc`).limit(1);
    const s = record.summary as ImportSummary;
    expect([s.add, s.update, s.refused]).toEqual([[], [], []]);
    expect(s.unchanged).toEqual({ organizations: 10, teams: TEAMS, experts: 300, honours: 1000 });
  }, 300_000);
});
