import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, cycles, organizations, people, teams } from '../../db/schema.js';
import type { BotApp } from '../../src/app.js';
import { ManualClock } from '../../src/clock.js';
import { cycleScoreSheet, loadScoreSheet } from '../../src/cycles.js';
import { type FakeOpenPlatform, startFakeOpenPlatform } from '../../src/local/fakeOpenPlatform.js';
import { scoreFields } from '../../src/review/scoring.js';
import { defaultScoreSheet, type ScoreSheet } from '../../src/scoreSheet.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTestBot, TEST_ENCRYPT_KEY, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActionEvent, randomEventId, signedRequest } from '../support/larkEvents.js';

/**
 * The scoring callback keeps each cycle's sheet in the process and reads only the row's version: a sheet
 * an administrator loads before applications close must reach the very next callback, on PostgreSQL's one
 * round trip as on PGlite's ordinary path.
 */

/** The default sheet with 1.1 worth 3 points and 1.2 worth 7 (renamed): the same total, other limits. */
const revised: ScoreSheet = {
  ...defaultScoreSheet,
  title: '质量信得过班组建设评分表（修订）',
  areas: defaultScoreSheet.areas.map((a) =>
    a.code !== '1'
      ? a
      : { ...a, items: a.items.map((i) => (i.code === '1.1' ? { ...i, max: 3 } : i.code === '1.2' ? { ...i, name: '质量安全管理制度（修订）', max: 7 } : i)) },
  ),
};

/** Every item at its max but `set`, on the fields of `sheet`. */
function form(sheet: ScoreSheet, set: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = { comment: '' };
  for (const f of scoreFields(sheet)) out[f.field] = String(f.max);
  return { ...out, ...set };
}

const E = ['ou_sheetexpert000000000000000000001', 'ou_sheetexpert000000000000000000002', 'ou_sheetexpert000000000000000000003'];
const admin = { openId: 'ou_sheetadmin', name: '管理员', roles: ['admin' as const] };

describe('a score sheet loaded while applications are open reaches the next scoring callback', () => {
  const clock = new ManualClock('2027-05-10T09:00:00+08:00');
  let db: TestDatabase;
  let fake: FakeOpenPlatform;
  let app: BotApp;
  let cycleId = 0;
  let tasks: (typeof assignments.$inferSelect)[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const [org] = await db.db.insert(organizations).values({ name: '广州市市政工程维修有限公司' }).returning();
    await db.db.insert(people).values([{ openId: 'ou_sheetlead', name: '组长' }, { openId: 'ou_sheetcontact', roles: ['org_contact'] }, { ...admin }, ...E.map((openId) => ({ openId, roles: ['expert'] }))]);
    const [cycle] = await db.db
      .insert(cycles)
      .values({ year: 2027, status: 'open', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-20', scoreSheet: defaultScoreSheet })
      .returning();
    cycleId = cycle.id;
    const [team] = await db.db
      .insert(teams)
      .values({
        code: 'GDSZ-2025-0201', name: '养护一班', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: 'ou_sheetlead', phone: '020-1234567',
        memberCount: 10, functions: '道路养护', goals: '合格率 98%', plan: '每月 QC 活动', contactOpenId: 'ou_sheetcontact', registeredAt: '2025-01-10',
      })
      .returning();
    const [application] = await db.db.insert(applications).values({ teamId: team.id, cycleId: cycle.id, status: 'scoring', form: { title: '成果一' } }).returning();
    tasks = await db.db.insert(assignments).values(E.map((expertOpenId) => ({ applicationId: application.id, expertOpenId, status: 'assigned' }))).returning();
    fake = await startFakeOpenPlatform({ appId: 'cli_test', appSecret: 'test-secret', now: () => clock.now().getTime() });
    ({ app } = await startTestBot({
      env: {
        LARK_APP_ID: 'cli_test', LARK_APP_SECRET: 'test-secret', LARK_DOMAIN: fake.url, LARK_EVENT_MODE: 'http',
        LARK_ENCRYPT_KEY: TEST_ENCRYPT_KEY, LARK_VERIFICATION_TOKEN: TEST_VERIFICATION_TOKEN,
      },
      db,
      clock,
    }));
  });

  afterAll(async () => {
    await app?.stop();
    await db?.close();
    await fake?.close();
  });

  async function submit(i: number, formValue: Record<string, string>) {
    const t = tasks[i];
    const req = signedRequest(
      cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: t.expertOpenId, value: { action: 'review.submit', assignmentId: t.id }, formValue, eventId: randomEventId() }),
      { encryptKey: TEST_ENCRYPT_KEY, encrypt: true },
    );
    const res = await fetch(app.url + '/lark/cards', { method: 'POST', headers: req.headers, body: req.body });
    expect(res.status).toBe(200);
    return (await res.json()) as { toast?: { type: string; content: string }; card?: { data: unknown } };
  }

  it('reads the values against the new sheet and draws the new sheet in the answer, with no stale limit left anywhere', async () => {
    // the process has read (and cached) the default sheet
    const first = await submit(0, form(defaultScoreSheet));
    expect(first.toast).toEqual({ type: 'success', content: '已提交评分：养护一班，总分 100 分' });
    expect(JSON.stringify(first.card)).toContain('质量安全管理制度健全并严格执行');

    // the sheet is replaced only while no submitted sheet was scored against it (第十八条): the first is taken back
    await db.db.update(assignments).set({ status: 'assigned', scores: null, total: null, comment: null, submittedAt: null }).where(eq(assignments.id, tasks[0].id));
    // loaded at the same clock time: the row's updated_at does not change, its version does
    await db.db.transaction((tx) => loadScoreSheet(tx, admin, cycleId, revised, clock.now()));

    // 7 points for 1.2 was out of range on the old sheet
    const second = await submit(1, form(revised));
    expect(second.toast).toEqual({ type: 'success', content: '已提交评分：养护一班，总分 100 分' });
    const drawn = JSON.stringify(second.card);
    expect(drawn).toContain('1.2 质量安全管理制度（修订）');
    expect(drawn).not.toContain('质量安全管理制度健全并严格执行');
    const [stored] = await db.db.select().from(assignments).where(eq(assignments.id, tasks[1].id));
    expect(stored.scores).toMatchObject({ '1.1': 3, '1.2': 7 });

    // 5 points for 1.1 was within the old sheet's limit and is not within the new one's
    const third = await submit(2, form(revised, { i1_1: '5' }));
    expect(third.toast?.type).toBe('error');
    expect(third.toast?.content).toContain('1.1 目标分解与职能明确：须在 0 到 3 分之间，且为整分或半分');
    expect((await db.db.select().from(assignments).where(eq(assignments.id, tasks[2].id)))[0]).toMatchObject({ status: 'assigned', total: null });
  });

  it('a sheet changed in place by SQL is seen too (the version is the row’s, not the sheet’s title or time)', async () => {
    const again: ScoreSheet = { ...revised, areas: revised.areas.map((a) => (a.code !== '1' ? a : { ...a, items: a.items.map((i) => (i.code === '1.1' ? { ...i, max: 5 } : i.code === '1.2' ? { ...i, max: 5 } : i)) })) };
    await db.db.update(cycles).set({ scoreSheet: again }).where(eq(cycles.id, cycleId));
    const r = await submit(2, form(again, { i1_1: '5' }));
    expect(r.toast).toEqual({ type: 'success', content: '已提交评分：养护一班，总分 100 分' });
  });

  it('the parsed sheet is shared by identity: the same stored value or a built sheet is not parsed again', () => {
    const stored = JSON.parse(JSON.stringify(revised)) as unknown;
    const sheet = cycleScoreSheet({ scoreSheet: stored });
    expect(cycleScoreSheet({ scoreSheet: stored })).toBe(sheet);
    expect(cycleScoreSheet({ scoreSheet: sheet })).toBe(sheet);
    expect(cycleScoreSheet({ scoreSheet: JSON.parse(JSON.stringify(revised)) })).toBe(sheet);
    expect(Object.isFrozen(sheet.areas[0].items[0])).toBe(true);
  });
});
