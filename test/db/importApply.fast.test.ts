import ExcelJS from 'exceljs';
import { and, count, desc, eq, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { auditLog, bulkJobs, honours, imports, organizations, people, processedEvents, teamMembers, teams } from '../../db/schema.js';
import { type FastImportApply, fastImportApply } from '../../src/fast/importApply.js';
import { importDataVersion } from '../../src/import/dataVersion.js';
import { cardActions, cardText } from '../support/cards.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, type Harness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActionEvent, fileMessageEvent, randomEventId } from '../support/larkEvents.js';
import { claimProbe, heldTransaction, lockWaits, until } from '../support/waiting.js';
import { expectAnswer, expectSameWorlds, leavesToOrdinary, MODES_HERE, outboxRows, twoWorlds, writtenCounts } from '../support/worlds.js';
import { countedFixtureBot, type Fixture, NOW, ORG_A, ORG_POOL, personas, startSecurityHarness, TODAY } from './securityFixture.js';

/**
 * 确认导入 in one statement (src/fast/importApply.ts) against the ordinary transaction: the same answers, rows, audit
 * trail, jobs, outbox rows and messages sent (the import jobs run to the end in both, the workbook's rows written the
 * same), on the same rows; every other answer still the ordinary path's with nothing of the fast attempt kept; one
 * round trip on a warm connection; an import confirmed under the statement; two clicks at once end as one job; a preview
 * planned against other data left to the ordinary path, which shows it planned again when the plan changed.
 */

/** An administrator by the stored role (the fixture's ADMIN is one by ADMIN_OPEN_IDS). */
const ROLE_ADMIN = 'ou_roleadmin0000000000000000000001';
const NEW_ORG = '佛山市政养护有限公司';

type Body = { toast?: { type: string; content: string }; card?: { data?: any } };

/** The tenant's address book as the workbook names it (explicit open_ids, so both worlds resolve alike). */
const directory = [
  { openId: 'ou_implead000000000000000000000001', name: '导入班长一', mobile: '13800000001' },
  { openId: 'ou_implead000000000000000000000002', name: '导入班长二', mobile: '13800000002' },
  { openId: 'ou_impcontact0000000000000000000001', name: '佛山联系人', email: 'contact@fsszyh.cn' },
  { openId: personas.leader, name: '班组长', mobile: '13800000010' },
  { openId: personas.contact, name: '联系人', email: 'contact@gzszwx.cn' },
  { openId: 'ou_impexpert000000000000000000000001', name: '导入专家', mobile: '13700000001' },
  { openId: personas.expert, name: '专家', mobile: '13700000002' },
];

/**
 * A workbook an association fills: one new organisation (and one known), two new teams and one whose leader Feishu
 * cannot find, team A updated (成员人数), a new expert and the fixture's expert updated (专业特长), a title for team
 * A, and one refused row.
 */
async function workbook(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('单位').addRows([['单位名称*'], [NEW_ORG], [ORG_A]]);
  const t = wb.addWorksheet('班组');
  t.addRow(['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门']);
  t.addRow(['', '佛山养护一班', NEW_ORG, '项目团队', '13800000001', '导入班长一', 'contact@fsszyh.cn', '佛山联系人', '2024-05-06', 9, '养护部']);
  t.addRow(['GDSZ-2024-0101', '佛山养护二班', NEW_ORG, '行政班组', '13800000002', '导入班长二', 'contact@fsszyh.cn', '佛山联系人', '2024-06-01', 12, '']);
  t.addRow(['', '佛山养护三班', NEW_ORG, '部门', '13800000009', '未登记班长', 'contact@fsszyh.cn', '佛山联系人', '2025-01-02', 7, '']);
  t.addRow(['GDSZ-2025-0001', '广州养护一班', ORG_A, 'project', '13800000010', '班组长', 'contact@gzszwx.cn', '联系人', '2025-01-10', 12, '工程部']);
  t.addRow(['', '日期错班', NEW_ORG, '项目团队', '13800000001', '', 'contact@fsszyh.cn', '', '2024-02-30', 5, '']);
  const e = wb.addWorksheet('专家');
  e.addRow(['姓名*', '手机或邮箱*', '所属单位*', '专业特长', '评审上限']);
  e.addRow(['导入专家', '13700000001', ORG_POOL, '桥梁', 4]);
  e.addRow(['专家', '13700000002', ORG_POOL, '道路养护、检测', '']);
  const o = wb.addWorksheet('荣誉');
  o.addRow(['班组编号或名称*', '年度*', '称号*']);
  o.addRow(['GDSZ-2025-0001', 2025, '广东省市政工程质量信得过班组']);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

let workbookBytes: Buffer;

/** The workbook sent in chat by `from` and previewed (both worlds alike); the import it recorded. */
async function sendWorkbook(h: Harness, from: string, n: number): Promise<number> {
  const messageId = `om_workbook_${n}`;
  const fileKey = `file_v2_workbook_${n}`;
  h.fake.addMessageFile(messageId, fileKey, workbookBytes);
  const res = await h.post('/lark/events', fileMessageEvent({ token: TEST_VERIFICATION_TOKEN, openId: from, messageId, fileKey, fileName: `历年班组${n}.xlsx`, eventId: `evt_workbook_${n}` }));
  expect(res.status).toBe(200);
  await h.drain();
  return latestImport(h.db.db);
}

const latestImport = async (db: Db) => (await db.select({ id: imports.id }).from(imports).orderBy(desc(imports.id)).limit(1))[0].id;

/** A preview recorded as the bot records one, with `add` organisations to add. */
async function preview(db: Db, name: string, status: 'planned' | 'applying', add: string[]): Promise<number> {
  const summary = { add: add.map((label, i) => ({ sheet: 'organizations', row: i + 2, label })), update: [], unchanged: { organizations: 0, teams: 0, experts: 0, honours: 0 }, refused: [], pending: [] };
  const [r] = await db
    .insert(imports)
    .values({ actor: ADMIN, fileName: name, sha256: '2'.repeat(64), status, rows: { organizations: add.map((label, i) => ({ row: i + 2, name: label })), teams: [], experts: [], honours: [] }, summary, dataVersion: await importDataVersion(db, TODAY) })
    .returning();
  return r.id;
}

const byFile = async (db: Db, name: string) => (await db.select({ id: imports.id }).from(imports).where(eq(imports.fileName, name)))[0]?.id ?? 0;

interface Step {
  name: string;
  who: string;
  /** The import clicked on. */
  importId: (db: Db, f: Fixture, h: Harness) => Promise<number>;
  eventId?: string;
  toast: 'success' | 'error' | 'info' | 'warning';
  says: RegExp;
  leftToOrdinary?: boolean;
  before?: (db: Db, f: Fixture, h: Harness) => Promise<void>;
}

const fixtureImport = async (_db: Db, f: Fixture) => f.importId;

const steps: Step[] = [
  { name: 'not an administrator', who: personas.leader, importId: fixtureImport, eventId: 'evt_import_refused', toast: 'error', says: /只有协会管理员/, leftToOrdinary: true },
  { name: 'no such import', who: ADMIN, importId: async () => 999_999, toast: 'error', says: /^找不到这次导入，请重新发送文件。$/, leftToOrdinary: true },
  // the event was recorded with its refusal above: the fast attempt must not take this import under another's event
  { name: 'an event seen before, the import still planned', who: ADMIN, importId: fixtureImport, eventId: 'evt_import_refused', toast: 'info', says: /这次点击已收到/, leftToOrdinary: true },
  { name: 'nothing to add or update: applied at once', who: ADMIN, importId: (db) => byFile(db, '无变化.xlsx'), toast: 'success', says: /^已导入：新增 0 行，更新 0 行$/, leftToOrdinary: true,
    before: async (db) => void (await preview(db, '无变化.xlsx', 'planned', [])),
  },
  { name: '确认导入 by the bootstrap administrator: the fixture’s preview, one organisation', who: ADMIN, importId: fixtureImport, eventId: 'evt_import_fixture', toast: 'success', says: /^正在导入，完成后卡片会更新$/ },
  { name: 'the same delivery again', who: ADMIN, importId: fixtureImport, eventId: 'evt_import_fixture', toast: 'info', says: /这次点击已收到/, leftToOrdinary: true },
  { name: '确认导入 clicked again, the import applied', who: ADMIN, importId: fixtureImport, toast: 'info', says: /^文件“矩阵.xlsx”已经导入过（2027年3月10日 09:00 导入完成），无需重复确认$/, leftToOrdinary: true },
  { name: 'an import whose job stopped: its card, to retry', who: ADMIN, importId: (db) => byFile(db, '中断.xlsx'), toast: 'info', says: /^这个文件的导入中断了/, leftToOrdinary: true,
    before: async (db) => {
      const id = await preview(db, '中断.xlsx', 'applying', ['中断导入单位']);
      await db.insert(bulkJobs).values({ kind: 'import', params: { importId: id, heading: '文件：中断.xlsx' }, status: 'failed', total: 1, createdBy: ADMIN, messageId: 'om_import_stopped', error: '数据库连接中断', finishedAt: new Date(NOW) });
    },
  },
  { name: 'an import applying with no job found: the ordinary path starts one', who: ADMIN, importId: (db) => byFile(db, '无任务.xlsx'), toast: 'success', says: /^正在导入，完成后卡片会更新$/, leftToOrdinary: true,
    before: async (db) => void (await preview(db, '无任务.xlsx', 'applying', ['无任务导入单位'])),
  },
  { name: 'a preview planned against other data, the plan now another: nothing started, the preview planned again shown', who: ADMIN, importId: (db) => byFile(db, '过期.xlsx'), toast: 'warning', says: /^预览后数据已有变化，尚未导入/, leftToOrdinary: true,
    before: async (db) => {
      await preview(db, '过期.xlsx', 'planned', ['过期导入单位', '另一导入单位']);
      // the organisation registered since: the row is no longer one to add
      await db.insert(organizations).values({ name: '过期导入单位' });
    },
  },
  { name: 'a preview planned against other data, the plan still the same: the ordinary path starts its job', who: ADMIN, importId: (db) => byFile(db, '无关变化.xlsx'), toast: 'success', says: /^正在导入，完成后卡片会更新$/, leftToOrdinary: true,
    before: async (db, f) => {
      await preview(db, '无关变化.xlsx', 'planned', ['无关变化导入单位']);
      await db.update(teams).set({ memberCount: 13 }).where(eq(teams.id, f.teamB.id));
    },
  },
  { name: 'a workbook sent in chat, confirmed by an administrator of the stored role', who: ROLE_ADMIN, importId: (db) => byFile(db, '历年班组1.xlsx'), eventId: 'evt_import_workbook', toast: 'success', says: /^正在导入，完成后卡片会更新$/,
    before: async (_db, _f, h) => void (await sendWorkbook(h, ROLE_ADMIN, 1)),
  },
];

/** What real time leaves in a row or a message (a job's seconds): compared as placeholders. */
const timeless = <T>(v: T): T => JSON.parse(JSON.stringify(v).replace(/用时 \d+ 秒/g, '用时 <n> 秒'));

/** A row with each time PostgreSQL stamps (not the bot's clock) as a placeholder. */
const stamped = <T extends Record<string, unknown>>(row: T) =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? (v.getTime() === Date.parse(NOW) ? NOW : 'real time') : v]));

/** What the database holds that a confirmation (and its job, run by the drain) writes. */
async function snapshot(db: Db) {
  const importRows = (await db.select().from(imports).orderBy(imports.id)).map(stamped);
  const orgs = (await db.select().from(organizations).orderBy(organizations.id)).map(stamped);
  const teamRows = (await db.select().from(teams).orderBy(teams.id)).map(stamped);
  const members = (await db.select().from(teamMembers).orderBy(teamMembers.teamId, teamMembers.openId)).map(stamped);
  const persons = (await db.select().from(people).orderBy(people.openId)).map(stamped);
  const titles = (await db.select().from(honours).orderBy(honours.id)).map(stamped);
  const jobs = (await db.select().from(bulkJobs).orderBy(bulkJobs.id)).map(({ createdAt: _c, startedAt: _s, finishedAt: _f, leaseUntil: _l, progressAt: _p, claimedBy: _b, ...j }) => j);
  const audits = (await db.select().from(auditLog).orderBy(auditLog.id)).map(({ id: _i, ...a }) => stamped(a));
  const out = await outboxRows(db);
  const events = await db.select({ eventId: processedEvents.eventId, eventType: processedEvents.eventType }).from(processedEvents).where(like(processedEvents.eventId, 'evt_import_%')).orderBy(processedEvents.eventId);
  return timeless({ importRows, orgs, teamRows, members, persons, titles, jobs, audits, out, events });
}

/** What a fast attempt could leave behind. */
const counts = async (db: Db) => ({
  ...(await writtenCounts(db)),
  jobs: (await db.select().from(bulkJobs).orderBy(bulkJobs.id)).map((j) => `${j.id}:${j.kind}:${j.status}:${JSON.stringify(j.params)}`),
  imports: (await db.select().from(imports).orderBy(imports.id)).map((i) => `${i.id}:${i.status}`),
});

const direct = (h: Harness, who: string, importId: number, eventId: string): FastImportApply => ({
  eventId,
  eventType: 'card.action.trigger',
  openId: who,
  importId,
  messageId: 'om_probe',
  now: h.clock.now(),
  bootstrapAdmins: [ADMIN],
  today: TODAY,
});

beforeAll(async () => {
  workbookBytes = await workbook();
});

describe('确认导入: the one statement answers and writes what the ordinary transaction does', () => {
  const worlds = twoWorlds(async () => {
    const { h, f } = await startSecurityHarness();
    await h.db.db.insert(people).values([{ openId: ROLE_ADMIN, name: '协会管理员', roles: ['admin'] }]);
    // the fixture's preview as planned against the data with that administrator in it
    await h.db.db.update(imports).set({ dataVersion: await importDataVersion(h.db.db, TODAY) }).where(eq(imports.id, f.importId));
    for (const u of directory) h.fake.addUser(u);
    return { h, f, answers: [] as Body[], after: [] as Awaited<ReturnType<typeof snapshot>>[] };
  }, { oneOnPglite: true });

  it.each(steps.map((s, i) => [s.name, s, i] as const))('%s', async (_name, step, i) => {
    for (const mode of MODES_HERE) {
      const { h, f } = worlds[mode];
      const db = h.db.db;
      await step.before?.(db, f, h);
      const importId = await step.importId(db, f, h);
      if (mode === 'fast' && step.leftToOrdinary) {
        // the statement itself, on this case: it leaves it, having written nothing (PGlite has no statement: undefined at once)
        await leavesToOrdinary(() => counts(db), () => fastImportApply(h.db, direct(h, step.who, importId, step.eventId ?? `probe_${randomEventId()}`)));
      }
      const body: Body = await h.click(step.who, { action: 'import.apply', importId }, {}, { eventId: step.eventId ?? `evt_import_step${i}`, messageId: `om_import_${i}` });
      expectAnswer(body, step, mode);
      // a refusal for who you are, or a delivery seen before, has no card; every other answer shows one
      if (step.toast !== 'error' && !/这次点击已收到/.test(body.toast?.content ?? '')) expect(body.card?.data, mode).toBeTruthy();
      worlds[mode].answers[i] = body;
      worlds[mode].after[i] = await snapshot(db);
    }
    expectSameWorlds(worlds, i, timeless);
  });

  it('the workbook was imported through the job in both, and the fake Open Platform received the same messages and card updates', async () => {
    const sent: Record<string, unknown> = {};
    for (const mode of ['fast', 'ordinary'] as const) {
      const { h } = worlds[mode];
      const db = h.db.db;
      const [record] = await db.select().from(imports).where(eq(imports.fileName, '历年班组1.xlsx'));
      expect(record.status, mode).toBe('applied');
      const summary = record.summary as { add: unknown[]; update: { label: string; changes: string[] }[]; refused: unknown[] };
      // organisation, 3 teams, expert, title added; team A and the fixture's expert updated; the bad date refused
      expect([summary.add.length, summary.update.length, summary.refused.length], mode).toEqual([6, 2, 1]);
      expect(summary.update.map((u) => u.changes), mode).toEqual([['成员人数'], ['专业特长']]);
      const [job] = await db.select().from(bulkJobs).where(and(eq(bulkJobs.kind, 'import'), sql`${bulkJobs.params}->>'importId' = ${String(record.id)}`));
      expect(job, mode).toMatchObject({ status: 'done', done: 8, total: 8, createdBy: ROLE_ADMIN, messageId: `om_import_${steps.length - 1}` });
      expect((await db.select().from(teams).where(eq(teams.code, 'GDSZ-2024-0101')))[0], mode).toMatchObject({ name: '佛山养护二班', leaderOpenId: directory[1].openId, memberCount: 12 });
      expect((await db.select().from(teams).where(eq(teams.code, 'GDSZ-2025-0001')))[0].memberCount, mode).toBe(12);
      expect((await db.select().from(teams).where(eq(teams.name, '佛山养护三班')))[0].leaderOpenId, mode).toBe('pending:m:13800000009');
      const final = h.fake.updates.filter((u) => u.messageId === `om_import_${steps.length - 1}`).at(-1);
      expect(cardText(final?.card), mode).toContain('新增 6 行，更新 2 行');
      sent[mode] = {
        messages: h.fake.messages.map((m) => JSON.stringify(timeless([m.receiveId, m.msgType, m.content]))).sort(),
        updates: h.fake.updates.map((u) => JSON.stringify(timeless([u.messageId, u.card]))).sort(),
      };
      expect((sent[mode] as { messages: unknown[] }).messages.length, mode).toBeGreaterThan(0);
    }
    expect(sent.fast).toEqual(sent.ordinary);
  });
});

describe.skipIf(testDatabaseKind() !== 'postgres')('确认导入 on PostgreSQL: one round trip, and an import confirmed under the statement', () => {
  const bot = countedFixtureBot(async (db) => {
    await db.insert(people).values([{ openId: ROLE_ADMIN, name: '协会管理员', roles: ['admin'] }]);
  });
  const click = (openId: string, importId: number, eventId?: string) => bot.click<Body>(openId, { action: 'import.apply', importId }, undefined, eventId);
  let n = 0;

  const fresh = () => preview(bot.db, `往返${++n}.xlsx`, 'planned', [`往返导入单位${n}`]);
  const startAudits = async (importId: number) => {
    const jobs = await bot.db.select({ id: bulkJobs.id }).from(bulkJobs).where(and(eq(bulkJobs.kind, 'import'), sql`${bulkJobs.params}->>'importId' = ${String(importId)}`));
    return jobs.length ? bot.db.select({ actor: auditLog.actor, details: auditLog.details }).from(auditLog).where(and(eq(auditLog.action, 'bulk.import.start'), sql`${auditLog.entityId} in ${jobs.map((j) => String(j.id))}`)) : [];
  };

  it('确认导入 costs one round trip on a warm connection (the ordinary path: more)', async () => {
    const figures: Record<string, number> = {};
    for (const fast of [true, false]) {
      bot.app.processor.fastPaths = fast;
      // an administrator by ADMIN_OPEN_IDS, then one by the stored role: each is the one statement's
      for (const [step, who] of [['warm', ADMIN], ['measured', ADMIN], ['measured, stored role', ROLE_ADMIN]] as const) {
        const importId = await fresh();
        const { body, trips } = await click(who, importId);
        expect(body.toast, JSON.stringify(body.toast)).toEqual({ type: 'success', content: '正在导入，完成后卡片会更新' });
        expect(cardText(body.card?.data)).toContain('正在导入：已导入 0 / 1 行');
        expect(await startAudits(importId)).toEqual([{ actor: who, details: { cycleId: null, total: 1 } }]);
        if (step !== 'warm') figures[`${fast ? 'one statement' : 'ordinary path'}${step === 'measured' ? '' : ' (stored role)'}`] = trips;
      }
    }
    bot.app.processor.fastPaths = true;
    console.log(`确认导入 round trips (warm): ${JSON.stringify(figures)}`);
    expect(figures['one statement']).toBe(1);
    expect(figures['one statement (stored role)']).toBe(1);
    expect(figures['ordinary path']).toBeGreaterThan(1);
  });

  it.each([
    ['an import applied already', 'applied' as const],
    ['a preview with nothing to add or update', 'nothing' as const],
  ])('%s takes no claim: the statement does not wait for the event’s row', async (_name, kind) => {
    const importId = kind === 'applied' ? await fresh() : await preview(bot.db, `往返${++n}.xlsx`, 'planned', []);
    if (kind === 'applied') await bot.db.update(imports).set({ status: 'applied', appliedAt: new Date(NOW) }).where(eq(imports.id, importId));
    const eventId = randomEventId();
    // the same event id claimed by a transaction not yet committed: a claim of it would wait
    const other = await heldTransaction(bot.db, (tx) => tx.insert(processedEvents).values({ eventId, eventType: 'probe' }), { rollback: true });
    let answered = false;
    const attempt = fastImportApply(bot.base, { eventId, eventType: 'card.action.trigger', openId: ADMIN, importId, messageId: undefined, now: bot.clock.now(), bootstrapAdmins: [ADMIN], today: TODAY }).finally(
      () => (answered = true),
    );
    await until(async () => answered || (await lockWaits(bot.db)) > 0);
    const waited = !answered;
    other.release();
    await other.ended;
    expect(await attempt).toBeUndefined();
    expect(waited).toBe(false);
  });

  it('the claim comes before the import’s lock; an import confirmed meanwhile leaves nothing of the statement', async () => {
    const importId = await fresh();
    const eventId = randomEventId();
    // another 确认导入, not yet committed: the statement reads the import as planned, then waits for its row
    const other = await heldTransaction(bot.db, async (tx) => {
      await tx.update(imports).set({ status: 'applying' }).where(eq(imports.id, importId));
      const [job] = await tx.insert(bulkJobs).values({ kind: 'import', params: { importId, heading: `文件：往返${n}.xlsx` }, total: 1, createdBy: ROLE_ADMIN, messageId: 'om_other' }).returning();
      await tx.insert(auditLog).values({ actor: ROLE_ADMIN, action: 'bulk.import.start', entity: 'bulk_job', entityId: String(job.id), details: { cycleId: null, total: 1 } });
    });
    let answered = false;
    const clicked = click(ADMIN, importId, eventId).finally(() => (answered = true));
    await until(async () => answered || (await lockWaits(bot.db)) > 0);
    expect(answered).toBe(false);
    // waiting for the import's row, the statement has already claimed the event: a claim of the same id waits for it
    const probe = await claimProbe(bot.db, eventId);
    expect(probe).toBe('55P03');
    other.release();
    await other.ended;
    const { body } = await clicked;
    // the ordinary path answered: the other's job is shown
    expect(body.toast).toEqual({ type: 'info', content: '这个文件正在导入，卡片显示当前进度' });
    expect(body.card?.data).toBeTruthy();
    expect(await startAudits(importId)).toEqual([{ actor: ROLE_ADMIN, details: { cycleId: null, total: 1 } }]);
    expect(await bot.db.select({ type: processedEvents.eventType }).from(processedEvents).where(eq(processedEvents.eventId, eventId))).toEqual([{ type: 'card.action.trigger' }]);
  });
  it('an import planned again by another 确认导入 under the statement leaves nothing of it; the ordinary path shows the stored preview', async () => {
    const importId = await fresh();
    const eventId = randomEventId();
    // another confirmation found the data changed and stored the preview planned again, not yet committed
    const other = await heldTransaction(bot.db, (tx) =>
      tx
        .update(imports)
        .set({ dataVersion: 'planned again', summary: { add: [], update: [], unchanged: { organizations: 1, teams: 0, experts: 0, honours: 0 }, refused: [], pending: [] } })
        .where(eq(imports.id, importId)),
    );
    let answered = false;
    const clicked = click(ADMIN, importId, eventId).finally(() => (answered = true));
    await until(async () => answered || (await lockWaits(bot.db)) > 0);
    expect(answered).toBe(false);
    other.release();
    await other.ended;
    const { body } = await clicked;
    // the statement gave way (the preview it compared is no longer the import's): nothing started on a preview nobody saw
    expect(body.toast).toEqual({ type: 'warning', content: '预览后数据已有变化，尚未导入：请核对重新生成的预览后再确认导入' });
    expect(await startAudits(importId)).toEqual([]);
    expect((await bot.db.select().from(imports).where(eq(imports.id, importId)))[0].status).toBe('planned');
  });

  it('a card older than the stored preview starts nothing; the stored preview’s own card does, in one round trip', async () => {
    const importId = await fresh();
    const [stored] = await bot.db.select().from(imports).where(eq(imports.id, importId));
    const old = await bot.click<Body>(ADMIN, { action: 'import.apply', importId, version: 'an older preview' });
    expect(old.body.toast).toEqual({ type: 'warning', content: '预览后数据已有变化，尚未导入：请核对重新生成的预览后再确认导入' });
    expect(cardActions(old.body.card?.data).find((a) => a.action === 'import.apply')).toEqual({ action: 'import.apply', importId, version: stored.dataVersion });
    expect(await startAudits(importId)).toEqual([]);
    const confirmed = await bot.click<Body>(ADMIN, { action: 'import.apply', importId, version: stored.dataVersion });
    expect(confirmed.body.toast).toEqual({ type: 'success', content: '正在导入，完成后卡片会更新' });
    expect(confirmed.trips).toBe(1);
    expect(await startAudits(importId)).toHaveLength(1);
  });
});

describe('确认导入 clicked twice at once, the fast paths on', () => {
  let h: Harness;

  beforeAll(async () => {
    ({ h } = await startSecurityHarness());
    await h.db.db.insert(people).values([{ openId: ROLE_ADMIN, name: '协会管理员', roles: ['admin'] }]);
  });

  afterAll(async () => {
    await h?.close();
  });

  /** Both clicks posted together, neither drained before the other is answered. */
  async function both(who: readonly string[], importId: number, eventIds: string[]): Promise<Body[]> {
    const res = await Promise.all(
      who.map((openId, k) => h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId, value: { action: 'import.apply', importId }, eventId: eventIds[k], messageId: `om_twice_${importId}_${k}` }))),
    );
    for (const r of res) expect(r.status).toBe(200);
    return res.map((r) => r.body as Body);
  }

  const jobsOf = (importId: number) => h.db.db.select().from(bulkJobs).where(and(eq(bulkJobs.kind, 'import'), sql`${bulkJobs.params}->>'importId' = ${String(importId)}`));

  it.each([
    ['two administrators', [ADMIN, ROLE_ADMIN], false],
    ['one administrator, the click delivered twice under two event ids', [ADMIN, ADMIN], false],
    ['one administrator, the same delivery twice', [ADMIN, ADMIN], true],
  ] as const)('by %s: one job; the other answered as the ordinary path answers it', async (_name, who, sameEvent) => {
    for (let round = 0; round < 3; round++) {
      const db = h.db.db;
      const label = `并发导入单位${(await db.select({ n: count() }).from(imports))[0].n}`;
      const importId = await preview(db, `${label}.xlsx`, 'planned', [label]);
      const id = randomEventId();
      const answers = await both(who, importId, sameEvent ? [id, id] : [randomEventId(), randomEventId()]);
      const toasts = JSON.stringify(answers.map((b) => b.toast));
      const started = answers.filter((b) => b.toast?.content === '正在导入，完成后卡片会更新');
      expect(started, toasts).toHaveLength(1);
      const other = answers.find((b) => b !== started[0])!;
      // the second, under the lock, finds the first's job (or, the same delivery, the event recorded)
      expect(other.toast, toasts).toEqual({ type: 'info', content: sameEvent ? '“确认导入”：这次点击已收到并处理过，请以卡片当前内容为准；如卡片未更新，请重新打开后再操作' : '这个文件正在导入，卡片显示当前进度' });
      const jobs = await jobsOf(importId);
      expect(jobs, toasts).toHaveLength(1);
      const audits = await db.select({ actor: auditLog.actor }).from(auditLog).where(and(eq(auditLog.action, 'bulk.import.start'), eq(auditLog.entityId, String(jobs[0].id))));
      expect(audits).toHaveLength(1);
      expect(who).toContain(audits[0].actor);
      await h.drain();
      expect((await db.select().from(imports).where(eq(imports.id, importId)))[0].status).toBe('applied');
      expect(await db.select().from(organizations).where(eq(organizations.name, label))).toHaveLength(1);
      expect((await jobsOf(importId))[0]).toMatchObject({ status: 'done', createdBy: audits[0].actor });
    }
  });
});
