import ExcelJS from 'exceljs';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments, cycles, imports, people } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { ADMIN, type Harness, startHarness, workbookSender } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';

/**
 * Experts imported by a mobile not yet in the Feishu address book are kept under a `pending:` id until they first
 * message the bot (src/import/linking.ts). 专家库 shows them as waiting to be linked — not struck through as 已停用,
 * with no 启用 / 停用 (a button on a `pending:` id only ever answered that it no longer worked) — and counts them
 * apart; 分配专家 and 截止申报, with no other expert, say that the pool's experts are all waiting and how they join.
 */
const ORG = '广东省市政行业专家委员会';
const MOBILES = ['13900003001', '13900003002', '13900003003'];
const LINKED = 'ou_unlinkedpool_expert_linked00000001';

async function expertsBook(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('单位').addRows([['单位名称*'], [ORG]]);
  wb.addWorksheet('班组').addRows([['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门']]);
  wb.addWorksheet('专家').addRows([['姓名*', '手机或邮箱*', '所属单位*', '专业特长', '评审上限'], ...MOBILES.map((m, i) => [`待关联专家${i + 1}`, m, ORG, '道路养护', 10])]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe.each(MODES_HERE)('experts imported but not yet in the address book (%s path)', (mode) => {
  let h: Harness;
  let cycleId: number;
  const db = () => h.db.db;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    h.app.processor.fastPaths = mode === 'fast';
    ({ cycleId } = await seedLargeCycle(db(), { applications: 2, experts: 0, organizations: 2, year: 2030 }));
    // the mobiles are not in the fake address book: the three experts are imported pending
    await workbookSender(() => h, `unlinked${mode}`)(await expertsBook());
    const [{ id }] = await db().select({ id: imports.id }).from(imports).orderBy(sql`${imports.id} desc`).limit(1);
    expect((await h.click(ADMIN, { action: 'import.apply', importId: id })).toast?.type).not.toBe('error');
    await h.drain();
    const pool = await db().select().from(people).where(sql`'expert' = any(${people.roles})`);
    expect(pool.map((p) => p.openId.startsWith('pending:'))).toEqual([true, true, true]);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('专家库 counts them apart and shows each as waiting to be linked, with no 启用 / 停用', async () => {
    const answer = await h.click(ADMIN, { action: 'experts.list' });
    const card = answer.card.data;
    expectValidCard(card);
    const text = cardText(card);
    expect(text).toContain('**专家库**：3 位，在用 0 位，待关联 3 位');
    for (let i = 1; i <= 3; i++) expect(text).toContain(`**待关联专家${i}**（尚未在飞书通讯录中找到：首次给机器人发消息后自动加入专家库）`);
    expect(text).not.toContain('已停用');
    expect(text).not.toContain('~~');
    expect(cardActions(card).filter((a) => a.action === 'experts.activate' || a.action === 'experts.deactivate')).toEqual([]);
  });

  it('分配专家 says the pool’s experts are all waiting to be linked, how many, and how they join', async () => {
    const answer = await h.click(ADMIN, { action: 'review.assign', cycleId });
    expect(answer.toast?.content).toBe(
      '专家库中没有可用的专家：导入的 3 位专家尚未在飞书通讯录中找到，本人首次给机器人发消息后会自动加入专家库；也可以在“专家库”中用“添加专家”选择已在通讯录中的专家。',
    );
    expect(await db().select().from(assignments)).toEqual([]);
  });

  it('截止申报 closes and says the same of the assignment it could not start', async () => {
    const answer = await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId });
    // the toast a phone shows whole; the card it answers with says why
    expect(answer.toast?.content).toBe('2030年度申报已截止，进入专家评分阶段。专家尚未分配，见卡片。');
    expect(cardText(answer.card.data)).toContain(
      '专家尚未分配：专家库中没有可用的专家：导入的 3 位专家尚未在飞书通讯录中找到，本人首次给机器人发消息后会自动加入专家库；也可以在“专家库”中用“添加专家”选择已在通讯录中的专家。',
    );
    const [cycle] = await db().select().from(cycles).where(eq(cycles.id, cycleId));
    expect(cycle.status).toBe('scoring');
    expect(await db().select().from(assignments)).toEqual([]);
  });

  it('添加专家 and 停用 (their one-statement paths on PostgreSQL) draw the same pool: the waiting experts still apart, without buttons', async () => {
    await db().insert(people).values({ openId: LINKED, name: '已关联专家' });
    const added = await h.click(ADMIN, { action: 'experts.add' }, { experts: [LINKED], organization: ORG, maxLoad: '10' });
    expect(added.toast?.type).toBe('success');
    const addedText = cardText(added.card.data);
    expect(addedText).toContain('**专家库**：4 位，在用 1 位，待关联 3 位');
    expect(addedText).toContain('**待关联专家1**（尚未在飞书通讯录中找到');
    expect(cardActions(added.card.data).filter((a) => a.action === 'experts.activate' || a.action === 'experts.deactivate').map((a) => a.openId)).toEqual([LINKED]);

    const stopped = await h.click(ADMIN, { action: 'experts.deactivate', openId: LINKED, page: 1 });
    expect(stopped.toast?.type).toBe('success');
    const stoppedText = cardText(stopped.card.data);
    expect(stoppedText).toContain('**专家库**：4 位，在用 0 位，待关联 3 位');
    expect(stoppedText).toContain('~~**已关联专家**~~（已停用）');
    expect(cardActions(stopped.card.data).filter((a) => a.action === 'experts.activate' || a.action === 'experts.deactivate').map((a) => a.openId)).toEqual([LINKED]);
    // with a deactivated expert beside the waiting ones, 分配专家 still counts the waiting
    expect((await h.click(ADMIN, { action: 'review.assign', cycleId })).toast?.content).toContain('导入的 3 位专家尚未在飞书通讯录中找到');
  });
});
