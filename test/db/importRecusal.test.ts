import ExcelJS from 'exceljs';
import { and, asc, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments, auditLog, outbox, people } from '../../db/schema.js';
import { applyImport, previewImport } from '../../src/import/index.js';
import type { ImportSummary } from '../../src/import/plan.js';
import { cardActions } from '../support/cards.js';
import { ADMIN, type Harness, workbookSender } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';
import { type Fixture, invariantViolations, ORG_A, ORG_B, OTHER_EXPERT, personas, scoreForm, securityBotForBlock, startSecurityHarness, TODAY } from './securityFixture.js';

/**
 * 回避 (第十七条; RULES.md: no expert from the applicant's own organisation): an import whose 专家 sheet moves an expert
 * into the organisation of a team whose application they hold to score steps them aside in the import's transaction,
 * as 添加专家 does (`recuseColleagues`): the task is declined with the reason, the expert is told why, and they can no
 * longer score their own organisation's team. Through `npm run import` (applyImport) and through the chat (确认导入,
 * whose import job writes the rows), on the one-statement path and the ordinary one.
 */

const MOBILE = '13900000042';
const OTHER_MOBILE = '13900000043';
const reason = `存在利益冲突：所在单位已改为“${ORG_B}”，与该班组同属一个单位，须回避`;

/** The 专家 sheet: the expert persona now of ORG_B (team D's), and OTHER_EXPERT of ORG_A (no team of theirs to score). */
async function book(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('单位').addRows([['单位名称*'], [ORG_A], [ORG_B]]);
  wb.addWorksheet('专家').addRows([
    ['姓名*', '手机或邮箱*', '所属单位*', '专业特长', '评审上限'],
    ['专家', MOBILE, ORG_B, '道路养护', ''],
    ['其他专家', OTHER_MOBILE, ORG_A, '', ''],
  ]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const outboxLike = (h: Harness, pattern: string) => h.db.db.select().from(outbox).where(like(outbox.dedupeKey, pattern)).orderBy(asc(outbox.id));
const taskById = async (h: Harness, id: number) => (await h.db.db.select().from(assignments).where(eq(assignments.id, id)))[0];

/** What every path must leave: the moved expert stepped aside from team D, told once; the other expert's task kept. */
async function expectSteppedAside(h: Harness, f: Fixture): Promise<void> {
  const [p] = await h.db.db.select().from(people).where(eq(people.openId, personas.expert));
  expect(p.organizationId).not.toBeNull();
  const own = await taskById(h, f.ownTask);
  expect(own).toMatchObject({ status: 'declined', declineReason: reason });
  expect((await taskById(h, f.foreignTask)).status).toBe('assigned');
  expect((await invariantViolations(h.db.db))['expert assigned to an application of their own organisation']).toBeUndefined();
  // the expert hears why, citing 第十七条; nobody else in the pool may take the place: the administrators hear it
  const told = (await outboxLike(h, 'review:recused:%')).filter((r) => r.receiver === personas.expert);
  expect(told).toHaveLength(1);
  expect((told[0].card as { text: string }).text).toContain(`第十七条：评审坚持公开、公平和公正原则。你的所在单位已改为“${ORG_B}”`);
  expect((await outboxLike(h, `review:unfilled:${f.ownTask}:%`)).length).toBeGreaterThan(0);
  const [recuse] = await h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'review.recuse'), eq(auditLog.actor, ADMIN)));
  expect(recuse.details).toMatchObject({ expert: personas.expert, organization: ORG_B, declined: [f.ownTask] });
  // and the expert can no longer score their own organisation's team
  const res = await h.click(personas.expert, { action: 'review.submit', assignmentId: f.ownTask }, scoreForm(5));
  expect(res.toast.type).not.toBe('success');
  expect((await taskById(h, f.ownTask)).status).toBe('declined');
}

describe('an import (npm run import) moving an expert into the applicant\'s organisation', () => {
  let h: Harness;
  let f: Fixture;
  beforeAll(async () => {
    ({ h, f } = await startSecurityHarness());
  });
  afterAll(async () => {
    await h?.close();
  });

  it('steps them aside from that team\'s task in the import\'s transaction, as 添加专家 does', async () => {
    const actor = { openId: ADMIN, name: null, roles: ['admin' as const] };
    const lookup = async () => ({ byMobile: new Map([[MOBILE, personas.expert], [OTHER_MOBILE, OTHER_EXPERT]]), byEmail: new Map<string, string>() });
    const now = h.clock.now();
    const bytes = await book();
    const preview = await h.db.db.transaction((tx) => previewImport(tx, actor, { name: '专家.xlsx', bytes }, lookup, TODAY, now));
    expect((preview.summary as ImportSummary).update.map((r) => [r.label, r.changes])).toEqual([
      [expect.stringContaining('专家'), ['所属单位']],
      [expect.stringContaining('其他专家'), ['所属单位']],
    ]);
    await h.db.db.transaction((tx) => applyImport(tx, actor, preview.id, now, TODAY, { bootstrapAdmins: [ADMIN] }));
    await expectSteppedAside(h, f);
  });
});

describe.each(MODES_HERE)('an import through the chat moving an expert into the applicant\'s organisation (%s)', (mode) => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((b) => ({ h, f } = b), mode);

  it('确认导入 steps them aside from that team\'s task', async () => {
    h.fake.addUser({ name: '专家', mobile: MOBILE, openId: personas.expert });
    h.fake.addUser({ name: '其他专家', mobile: OTHER_MOBILE, openId: OTHER_EXPERT });
    const msg = await workbookSender(() => h, `recuse${mode}`)(await book());
    const apply = cardActions(msg.content).find((a) => a.action === 'import.apply');
    expect(apply, JSON.stringify(msg.content).slice(0, 300)).toBeDefined();
    const answer = await h.click(ADMIN, apply as never, {});
    expect(answer.toast?.type ?? 'success').not.toBe('error');
    await h.drain();
    await expectSteppedAside(h, f);
  });
});
