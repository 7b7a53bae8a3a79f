import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applications, auditLog, cycles, organizations, people, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { fastFormalCheck } from '../../src/fast/formalCheck.js';
import { cardActions, cardText, expectValidCard, inputValues } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { comparableAnswer, inEachWorld, leavesToOrdinary, twoWorlds, writtenCounts } from '../support/worlds.js';

/**
 * 形式审查's 退回 once the year's applications are closed (after 截止申报, or past the deadline): the team can no longer
 * submit again, so the return takes the application out of the year. As a contact's late 退回 (LateReturn), the
 * administrator's first click says so and keeps the reason typed; only its “确认退回（不参加本年度评审）” returns it, on
 * both paths (the one statement takes only a return in time).
 */
const LEADER = 'ou_lateleader00000000000000000000001';
const CONTACT = 'ou_latecontact0000000000000000000001';
const REASON = '材料链接打不开，请补充';

async function seed(h: Harness, cycle: { status: 'open' | 'scoring' }) {
  const [org] = await h.db.db.insert(organizations).values({ name: '广州市政集团' }).returning();
  await h.db.db.insert(people).values([{ openId: ADMIN, name: '王管理员' }, { openId: LEADER, name: '张班长' }, { openId: CONTACT, name: '李联系人', roles: ['org_contact'] }]);
  const [t] = await h.db.db
    .insert(teams)
    .values({
      code: 'GDSZ-2025-0010', name: '市政养护十班', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: LEADER,
      phone: '020-12345678', memberCount: 8, functions: '道路养护', goals: '零缺陷', plan: '每月 QC', contactOpenId: CONTACT, registeredAt: '2025-01-10',
    })
    .returning();
  await h.db.db.insert(teamMembers).values({ teamId: t.id, openId: LEADER, role: 'leader' });
  const [c] = await h.db.db
    .insert(cycles)
    .values({ year: 2027, status: cycle.status, applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15', scoreSheet: defaultScoreSheet })
    .returning();
  const [a] = await h.db.db
    .insert(applications)
    .values({ teamId: t.id, cycleId: c.id, status: 'recommended', form: { title: '路面修补' }, submittedAt: new Date('2027-05-30T10:00:00+08:00'), endorsement: { by: CONTACT, decision: 'recommend', opinion: '同意推荐' } })
    .returning();
  return { h, appId: a.id };
}

const statusOf = async (h: Harness, id: number) => (await h.db.db.select({ status: applications.status }).from(applications).where(eq(applications.id, id)))[0].status;
const cardsTo = (h: Harness, openId: string, from: number) => h.fake.messages.slice(from).filter((m) => m.receiveId === openId && m.msgType === 'interactive');

describe.each([
  ['after 截止申报 (the experts scoring)', 'scoring'],
  ['past the deadline, 截止申报 not yet run', 'open'],
] as const)('形式审查 退回 %s', (_name, status) => {
  const worlds = twoWorlds(async () => seed(await startHarness({ clock: new ManualClock('2027-06-05T10:00:00+08:00'), admins: [ADMIN] }), { status }), { oneOnPglite: true });

  it('asks to confirm first, saying the team cannot submit again and is out of this year, and changes nothing', async () => {
    const answers = await inEachWorld(worlds, async ({ h, appId }, mode) => {
      const { audits, outbox } = await writtenCounts(h.db.db);
      const sent = h.fake.messages.length;
      // the one statement itself leaves a late return, having written nothing (PGlite has no statement: undefined at once)
      await leavesToOrdinary(
        () => writtenCounts(h.db.db),
        () =>
          fastFormalCheck(h.db, {
            eventId: `probe_late_${mode}`, eventType: 'card.action.trigger', openId: ADMIN, applicationId: appId, decision: 'return', reason: REASON,
            now: h.clock.now(), bootstrapAdmins: [ADMIN], timezone: 'Asia/Shanghai', today: '2027-06-05',
          }),
      );
      const body = await h.click(ADMIN, { action: 'check.return', applicationId: appId }, { [`reason_${appId}`]: REASON });
      expect(body.toast.type, mode).toBe('info');
      expect(body.toast.content).toBe(
        '市政养护十班的申报：2027 年度申报已于 2027年5月31日 截止：退回后班组不能再修改提交，这份申报将不参加 2027 年度评审。确需退回请点该申报下的“确认退回（不参加本年度评审）”；材料可用请点“受理”。',
      );
      expectValidCard(body.card.data);
      const text = cardText(body.card.data);
      expect(text).toContain('请确认：');
      expect(text).toContain('不参加 2027 年度评审');
      // the reason typed is kept; the application's 退回 is now the confirmation, 受理 still beside it
      expect(inputValues(body.card.data)[`reason_${appId}`]).toBe(REASON);
      const actions = cardActions(body.card.data).filter((v) => v.applicationId === appId);
      expect(actions.map((v) => [v.action, v.late])).toEqual([
        ['check.application', undefined],
        ['check.accept', undefined],
        ['check.return', true],
      ]);
      expect(text).toContain('确认退回（不参加本年度评审）');
      // nothing written but the event's claim, no one told
      expect(await statusOf(h, appId), mode).toBe('recommended');
      expect(await writtenCounts(h.db.db)).toMatchObject({ audits, outbox });
      expect(h.fake.messages.length).toBe(sent);
      return comparableAnswer(body);
    });
    expect(answers.fast).toEqual(answers.ordinary);
  });

  it('returns it on 确认退回, saying it is out of this year, and tells the leader and the contact', async () => {
    const answers = await inEachWorld(worlds, async ({ h, appId }, mode) => {
      const sent = h.fake.messages.length;
      const confirm = cardActions((await h.click(ADMIN, { action: 'check.return', applicationId: appId }, { [`reason_${appId}`]: REASON })).card.data).find((v) => v.applicationId === appId && v.late === true);
      expect(confirm, mode).toBeDefined();
      const body = await h.click(ADMIN, confirm!, { [`reason_${appId}`]: REASON });
      expect(body.toast, mode).toEqual({ type: 'success', content: '已退回：市政养护十班；申报已截止，这份申报不参加本年度评审' });
      expect(await statusOf(h, appId), mode).toBe('returned');
      const audits = await h.db.db.select().from(auditLog).where(eq(auditLog.entityId, String(appId)));
      expect(audits.map((a) => [a.action, (a.details as { reason?: string }).reason])).toEqual([['application.returnByAssociation', REASON]]);
      for (const to of [LEADER, CONTACT]) {
        const [notice] = cardsTo(h, to, sent);
        expect(notice, `${mode}: ${to}`).toBeDefined();
        expect(cardText(notice.content)).toContain('不参加本年度评审');
        // its state is out of the year, not 退回修改 beside “不能再修改提交”
        expect(cardText(notice.content)).toContain('已退回，不参加本年度评审');
        expect(cardText(notice.content)).not.toContain('退回修改');
      }
      const before = h.fake.messages.length;
      await h.say(LEADER, '进度');
      const [status] = cardsTo(h, LEADER, before);
      expect(cardText(status.content), mode).toContain('2027 年度：已退回，不参加本年度评审');
      return comparableAnswer(body);
    });
    expect(answers.fast).toEqual(answers.ordinary);
  });
});

describe.each([
  ['after 截止申报 (the experts scoring)', 'scoring'],
  ['past the deadline, 截止申报 not yet run', 'open'],
] as const)('形式审查 受理 %s', (_name, status) => {
  const worlds = twoWorlds(async () => seed(await startHarness({ clock: new ManualClock('2027-06-05T10:00:00+08:00'), admins: [ADMIN] }), { status }), { oneOnPglite: true });
  it('tells the leader and the contact the association assigns its experts, not that it waits for a deadline already past', async () => {
    await inEachWorld(worlds, async ({ h, appId }, mode) => {
      const sent = h.fake.messages.length;
      const body = await h.click(ADMIN, { action: 'check.accept', applicationId: appId }, {});
      expect(body.toast.type, `${mode}: ${body.toast.content}`).toBe('success');
      await h.drain();
      for (const to of [LEADER, CONTACT]) {
        const [notice] = cardsTo(h, to, sent);
        expect(notice, `${mode}: ${to}`).toBeDefined();
        const text = cardText(notice.content);
        expect(text).toContain('2027 年度申报已于 2027年5月31日 截止；这份申报参加本年度评审，由协会为它分配评审专家（第十四条）');
        expect(text).not.toContain('申报截止后由协会分配专家评审');
      }
    });
  });
});
