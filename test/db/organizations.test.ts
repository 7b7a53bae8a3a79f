import ExcelJS from 'exceljs';
import { and, asc, eq, inArray } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { applications, assignments, auditLog, conflicts, cycles, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText } from '../support/cards.js';
import { testDatabaseKind } from '../support/db.js';
import { registrationForm } from '../support/forms.js';
import { ADMIN, startHarness, TEST_VERIFICATION_TOKEN, type Harness } from '../support/harness.js';
import { fileMessageEvent } from '../support/larkEvents.js';
import { inEachWorld, type Mode, MODES_HERE, twoWorlds } from '../support/worlds.js';

/**
 * One organisation however its name is typed (src/organizations.ts), through signed callbacks: registration, 添加专家,
 * the same-organisation exclusion of 分配专家 (第十七条), a conflict declared against an organisation, and the import.
 * Every step runs on two bots, the one-statement paths on and off (on PGlite both run the ordinary path), and must end
 * alike in both.
 */

const NOW = '2026-03-01T09:00:00+08:00';
// the official name with full-width brackets, first seen; then the half-width spelling, and one with stray spaces
const ORG = '广州市政建设（集团）有限公司';
const ORG_HALF = '广州市政建设(集团)有限公司';
const ORG_SPACED = ' 广州市政建设 (集团)有限公司\u3000';
const POOL = '广东省市政行业专家委员会';

const L1 = 'ou_orgkey_leader0000000000000000001';
const L2 = 'ou_orgkey_leader0000000000000000002';
const L3 = 'ou_orgkey_leader0000000000000000003';
const CONTACT = 'ou_orgkey_contact000000000000000001';
// E1 has the lowest open_id: the one assignment would pick first, were it not of the teams' organisation
const [E1, E2, E3, E4, E5] = [1, 2, 3, 4, 5].map((n) => `ou_orgkey_expert000000000000000000${n}`);
const mobile = (n: number) => `1390000${String(n).padStart(4, '0')}`;

type Body = { toast?: { type: string; content: string }; card?: { type: string; data: any } };
const doneAt = /已于 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} /g;
const withoutTime = (b: Body) => JSON.parse(JSON.stringify(b).replace(doneAt, '已于 (time) '));

/** What the steps change, by name rather than id (the ordinary path's upserts draw organisation ids the fast one does not). */
async function state(db: Db) {
  const orgs = await db.select({ id: organizations.id, name: organizations.name }).from(organizations).orderBy(asc(organizations.id));
  const orgName = new Map(orgs.map((o) => [o.id, o.name]));
  return {
    organizations: orgs.map((o) => o.name),
    teams: (await db.select().from(teams).orderBy(asc(teams.code))).map((t) => ({ code: t.code, name: t.name, organization: orgName.get(t.organizationId) })),
    people: (await db.select().from(people).orderBy(asc(people.openId))).map((p) => ({ openId: p.openId, organization: p.organizationId === null ? null : orgName.get(p.organizationId) })),
    conflicts: (await db.select().from(conflicts).orderBy(asc(conflicts.id))).map((c) => ({ expert: c.expertOpenId, organization: c.organizationId === null ? null : orgName.get(c.organizationId) })),
    audit: (await db.select({ action: auditLog.action, details: auditLog.details }).from(auditLog).orderBy(asc(auditLog.id))).filter((a) => a.action !== 'import.apply'),
  };
}

describe(`one organisation however its name is typed, through the bot on ${testDatabaseKind()}`, () => {
  const worlds = twoWorlds(async () => {
    const h = await startHarness({ clock: new ManualClock(NOW), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    h.fake.addUser({ openId: L1, name: '班长一', mobile: mobile(1) });
    h.fake.addUser({ openId: L3, name: '班长三', mobile: mobile(3) });
    h.fake.addUser({ openId: CONTACT, name: '质量负责人', mobile: mobile(9) });
    h.fake.addUser({ openId: E5, name: '专家五', mobile: mobile(15) });
    return { h };
  }, { oneOnPglite: true });
  let orgId: Record<string, number>;
  let cycleId: Record<string, number>;
  let event = 0;

  /**
   * The same callback on both bots, the fast one first (on PGlite the one bot standing for both); both answers, which
   * must match, as must the rows after.
   */
  async function both(openId: string, value: Record<string, unknown>, formValue?: Record<string, unknown>): Promise<Body> {
    const eventId = `ev_orgkey_${++event}`;
    const seen = await inEachWorld(worlds, async ({ h }) => {
      const answer: Body = await h.click(openId, value, formValue, { eventId });
      await h.drain();
      return { answer, state: await state(h.db.db) };
    });
    expect(withoutTime(seen.fast.answer)).toEqual(withoutTime(seen.ordinary.answer));
    expect(seen.fast.state).toEqual(seen.ordinary.state);
    return seen.fast.answer;
  }
  /** `f` on each bot (on PGlite the one). */
  const each = async (f: (h: Harness, mode: Mode) => Promise<void>) => {
    for (const mode of MODES_HERE) await f(worlds[mode].h, mode);
  };

  it('two teams registering under the two bracket widths end in one organisation, under the name first seen', async () => {
    const first = await both(L1, { action: 'team.register' }, registrationForm('养护一班', CONTACT, { organization: ORG }));
    expect(first.toast?.type).toBe('success');
    const second = await both(L2, { action: 'team.register' }, registrationForm('养护二班', CONTACT, { organization: ORG_HALF }));
    expect(second.toast?.type).toBe('success');
    // the answer names the organisation as stored, not as typed
    expect(cardText(second.card!.data)).toContain(ORG);
    expect(cardText(second.card!.data)).not.toContain(ORG_HALF);
    // the same team again, its organisation typed a third way: done before, not a team of another organisation
    const again = await both(L1, { action: 'team.register' }, registrationForm('养护一班', CONTACT, { organization: ORG_SPACED }));
    expect(again.toast).toMatchObject({ type: 'info', content: expect.stringMatching(/已于 .* 注册/) });
    const s = await state(worlds.fast.h.db.db);
    expect(s.organizations).toEqual([ORG]);
    expect(s.teams.map((t) => [t.name, t.organization])).toEqual([
      ['养护一班', ORG],
      ['养护二班', ORG],
    ]);
    expect(s.people.find((p) => p.openId === CONTACT)?.organization).toBe(ORG);
    expect(s.audit.filter((a) => a.action === 'team.register').map((a) => (a.details as { organization: string }).organization)).toEqual([ORG, ORG]);
    // the contact's notices name the one organisation
    await each(async (h) => {
      const toContact = h.fake.messages.filter((m) => m.receiveId === CONTACT && m.msgType === 'interactive').map((m) => cardText(m.content));
      expect(toContact).toHaveLength(2);
      for (const text of toContact) expect(text).toContain(`**${ORG}** 的单位联系人`);
    });
    orgId = await inEachWorld(worlds, async ({ h }) => (await h.db.db.select().from(organizations))[0].id);
  });

  it('an expert added under “X(集团)” is that organisation, and 分配专家 keeps them off the panels of the teams of “X（集团）”', async () => {
    const opened = await both(ADMIN, { action: 'cycle.open' }, {
      year: '2026', applicationDeadline: '2026-05-31', scoringDeadline: '2026-06-30', reviewMeetingDate: '2026-07-15', expertsPerApplication: '2',
    });
    expect(opened.toast?.type).toBe('success');
    cycleId = await inEachWorld(worlds, async ({ h }) => {
      const [{ id }] = await h.db.db.select({ id: cycles.id }).from(cycles).where(eq(cycles.year, 2026));
      // both teams' applications accepted (the steps before are other tests' subject)
      for (const team of await h.db.db.select().from(teams).orderBy(asc(teams.id))) {
        await h.db.db.insert(applications).values({
          teamId: team.id, cycleId: id, status: 'accepted', submittedAt: new Date('2026-04-01T00:00:00Z'),
          form: { title: `${team.name}成果`, category: 'maintenance', summary: '成果简介', materialsUrl: 'https://example.feishu.cn/docx/x' },
        });
      }
      return id;
    });
    expect(cycleId.fast).toBe(cycleId.ordinary);
    const added = await both(ADMIN, { action: 'experts.add' }, { experts: [E1], organization: ORG_HALF });
    expect(added.toast).toEqual({ type: 'success', content: `已添加 1 位专家（${ORG}）` });
    expect((await both(ADMIN, { action: 'experts.add' }, { experts: [E2, E3], organization: POOL })).toast?.type).toBe('success');
    const s = await state(worlds.fast.h.db.db);
    expect(s.organizations).toEqual([ORG, POOL]);
    expect(s.people.find((p) => p.openId === E1)?.organization).toBe(ORG);

    expect((await both(ADMIN, { action: 'review.assign', cycleId: cycleId.fast })).toast?.type).toBe('success');
    await each(async (h, mode) => {
      const tasks = await h.db.db.select().from(assignments).where(eq(assignments.cycleId, cycleId[mode]));
      expect(tasks, mode).toHaveLength(4);
      expect(new Set(tasks.map((t) => t.expertOpenId)), mode).toEqual(new Set([E2, E3]));
    });
  });

  it('a conflict declared against one spelling covers the teams of the other, and declared again under a third it is done', async () => {
    // someone free to take E2's tasks: E1 may not (the same organisation), E3 is on both panels already
    expect((await both(ADMIN, { action: 'experts.add' }, { experts: [E4], organization: POOL })).toast?.type).toBe('success');
    const declared = await both(E2, { action: 'experts.conflictAdd' }, { kind: 'organization', target: ORG_HALF, reason: '亲属在该单位' });
    expect(declared.toast).toEqual({ type: 'success', content: `已声明与“${ORG}”存在利益冲突，其 2 项未完成的评分任务已改派其他专家。` });
    await each(async (h, mode) => {
      const pending = await h.db.db
        .select({ expert: assignments.expertOpenId })
        .from(assignments)
        .where(and(eq(assignments.cycleId, cycleId[mode]), eq(assignments.status, 'assigned')));
      expect(pending.map((p) => p.expert).sort(), mode).toEqual([E3, E3, E4, E4]);
      const [conflict] = await h.db.db.select().from(conflicts).where(eq(conflicts.expertOpenId, E2));
      expect(conflict.organizationId, mode).toBe(orgId[mode]);
    });
    const again = await both(E2, { action: 'experts.conflictAdd' }, { kind: 'organization', target: ORG_SPACED, reason: '亲属在该单位' });
    expect(again.toast).toMatchObject({ type: 'info', content: expect.stringContaining(`与“${ORG}”存在利益冲突`) });
    expect((await state(worlds.fast.h.db.db)).conflicts).toEqual([{ expert: E2, organization: ORG }]);
  });

  it('the import finds the organisation in any spelling: no second organisation, no 所属单位 changed, new rows under the one organisation', async () => {
    const [team1] = await worlds.fast.h.db.db.select().from(teams).where(eq(teams.name, '养护一班'));
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('单位').addRows([['单位名称*'], [ORG_HALF], [ORG_SPACED]]);
    wb.addWorksheet('班组').addRows([
      ['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门'],
      // the team registered above, as the association's sheet has it: only the organisation's spelling differs
      [team1.code, '养护一班', ORG_SPACED, '项目团队', mobile(1), '班长一', mobile(9), '质量负责人', '2026-03-01', 12, ''],
      ['GDSZ-2025-0031', '检测班', `${ORG_HALF} `, '项目团队', mobile(3), '班长三', mobile(9), '质量负责人', '2025-01-10', 8, '检测部'],
    ]);
    wb.addWorksheet('专家').addRows([
      ['姓名*', '手机或邮箱*', '所属单位*', '专业特长', '评审上限'],
      ['专家五', mobile(15), '广州市政建设（集团）有限公司 ', '道路', 5],
    ]);
    const bytes = Buffer.from(await wb.xlsx.writeBuffer());
    const importIds = await inEachWorld(worlds, async ({ h }, mode) => {
      h.fake.addMessageFile('om_orgkey_import', 'file_v2_orgkey', bytes);
      expect((await h.post('/lark/events', fileMessageEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, messageId: 'om_orgkey_import', fileKey: 'file_v2_orgkey', fileName: '班组.xlsx' }))).status).toBe(200);
      await h.drain();
      const preview = [...h.fake.messages].reverse().find((m) => m.receiveId === ADMIN && cardActions(m.content).some((a) => a.action === 'import.apply'))!;
      const text = cardText(preview.content);
      expect(text, mode).toContain('| 单位 | 0 | 0 | 2 | 0 |');
      expect(text, mode).toContain('| 班组 | 1 | 0 | 1 | 0 |');
      expect(text, mode).toContain('| 专家 | 1 | 0 | 0 | 0 |');
      expect(text, mode).not.toContain('所属单位');
      return cardActions(preview.content).find((a) => a.action === 'import.apply')!.importId as number;
    });
    expect(importIds.fast).toBe(importIds.ordinary);
    expect((await both(ADMIN, { action: 'import.apply', importId: importIds.fast })).toast?.type).toBe('success');
    const s = await state(worlds.fast.h.db.db);
    expect(s.organizations).toEqual([ORG, POOL]);
    expect(s.teams.map((t) => [t.code, t.name, t.organization])).toEqual([
      ['GDSZ-2025-0031', '检测班', ORG],
      ['GDSZ-2026-0001', '养护一班', ORG],
      ['GDSZ-2026-0002', '养护二班', ORG],
    ]);
    expect(s.people.find((p) => p.openId === E5)?.organization).toBe(ORG);
    await each(async (h, mode) => {
      const told = h.fake.messages.filter((m) => m.receiveId === L3 && m.msgType === 'interactive').map((m) => cardText(m.content));
      expect(told.at(-1), mode).toContain(ORG);
      expect(await h.db.db.select().from(teams).where(inArray(teams.organizationId, [orgId[mode]])), mode).toHaveLength(3);
    });
  });
});
