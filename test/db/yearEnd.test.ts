import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, cycles, honours, organizations, people, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { applicationForm } from '../support/forms.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { type Fixture, personas, snapshot, startSecurityHarness } from './securityFixture.js';

/**
 * The end of a year. One that ends with nothing scored: nobody applied, or nothing was accepted. It used to stay 专家评分中 for ever
 * (结束评分并汇总 refused: “没有完成评分的申报”), and with it the association, since a new year opens only once the last is
 * published (第十九条). It now ends with no title and can be published, unless the formal check could still bring an
 * application to the review.
 */

const form = (year: number) => ({ year: String(year), applicationDeadline: `${year}-05-31`, scoringDeadline: `${year}-06-30`, reviewMeetingDate: `${year}-07-15`, awardThreshold: '85', expertsPerApplication: '3', recommendShare: '10%' });

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-03-10T09:00:00+08:00') });
});
afterAll(async () => {
  await h?.close();
});

const cycleOf = async (year: number) => (await h.db.db.select().from(cycles).where(eq(cycles.year, year)))[0];

describe('a year with nothing scored', () => {
  it('nobody applied: 截止申报, 结束评分并汇总 and 公布结果 end it with no title, and the next year opens', async () => {
    expect((await h.click(ADMIN, { action: 'cycle.open' }, form(2027))).toast.type).toBe('success');
    const c = await cycleOf(2027);
    const closed = await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId: c.id });
    expect(closed.toast.type).toBe('success');
    // applications closed early are closed that day: the administrator's card says when, and no longer counts the days to the deadline set
    expect(cardText(closed.card.data)).toContain('2027年3月10日（已截止）');
    expect(cardText(closed.card.data)).not.toMatch(/2027年5月31日/);

    const ended = await h.click(ADMIN, { action: 'results.close', cycleId: c.id });
    expect(ended.toast).toEqual({ type: 'success', content: expect.stringContaining('2027年度没有完成评分的申报，汇总已完成，不授予称号。请点“公布结果”') });
    expect(cardText(ended.card.data)).toContain('参评申报**：0 份');
    expect((await cycleOf(2027)).status).toBe('closed');
    const again = await h.click(ADMIN, { action: 'results.close', cycleId: c.id });
    expect(again.toast.type).toBe('info');
    expect(again.toast.content).toMatch(/已于 .*汇总2027年度专家评分，无需重复汇总/);

    const published = await h.click(ADMIN, { action: 'results.publish', cycleId: c.id });
    expect(published.toast.type).toBe('success');
    await h.drain();
    expect((await cycleOf(2027)).status).toBe('published');
    expect(await h.db.db.select().from(honours)).toEqual([]);
    // 结束评分并汇总 pressed again on an old card: done, and the results published since
    const late = await h.click(ADMIN, { action: 'results.close', cycleId: c.id });
    expect(late.toast).toEqual({ type: 'info', content: expect.stringMatching(/^已于 .*汇总2027年度专家评分，无需重复汇总。2027年度评审结果已公布；要查看，请发送“评审结果 2027”。$/) });
    const afterClose = await h.click(ADMIN, { action: 'admin.menu' });
    expect(cardText(afterClose.card.data)).toContain('当前没有进行中的年度评审');

    const next = await h.click(ADMIN, { action: 'cycle.open' }, form(2028));
    expect(next.toast).toEqual({ type: 'success', content: expect.stringContaining('已开启2028年度评审') });
  });

  it('an application still waiting for the formal check keeps the year open until it is accepted or returned', async () => {
    const c = await cycleOf(2028);
    const [org] = await h.db.db.insert(organizations).values({ name: '广州市政养护有限公司' }).returning();
    await h.db.db.insert(people).values([
      { openId: 'ou_leader_empty_year_000000000001', name: '班组长' },
      { openId: 'ou_contact_empty_year_00000000001', name: '联系人', roles: ['org_contact'], organizationId: org.id },
    ]);
    const [team] = await h.db.db
      .insert(teams)
      .values({ code: 'GDSZ-2026-0001', name: '养护一班', organizationId: org.id, department: '工程部', type: 'project', leaderOpenId: 'ou_leader_empty_year_000000000001', phone: '020-1234567', memberCount: 8, functions: '道路养护', goals: '合格率 98%', plan: '每月 QC 活动', contactOpenId: 'ou_contact_empty_year_00000000001', registeredAt: '2026-01-10' })
      .returning();
    await h.db.db.insert(teamMembers).values({ teamId: team.id, openId: 'ou_leader_empty_year_000000000001', role: 'leader' });
    const [app] = await h.db.db
      .insert(applications)
      .values({ teamId: team.id, cycleId: c.id, status: 'recommended', form: applicationForm(), submittedAt: new Date('2028-03-01T00:00:00Z'), endorsement: { decision: 'recommend', truthful: true, opinion: '同意推荐', by: 'ou_contact_empty_year_00000000001' } })
      .returning();
    expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId: c.id })).toast.type).toBe('success');

    const refused = await h.click(ADMIN, { action: 'results.close', cycleId: c.id });
    expect(refused.toast.type).toBe('error');
    expect(refused.toast.content).toBe('还有 1 份申报待形式审查（GDSZ-2026-0001）：请先在“形式审查”中受理（再分配专家评分）或退回，之后再汇总。');
    expect((await cycleOf(2028)).status).toBe('scoring');

    // after 截止申报 a return takes it out of the year: confirmed first (确认退回)
    const asked = await h.click(ADMIN, { action: 'check.return', applicationId: app.id }, { [`reason_${app.id}`]: '缺少顾客确认材料' });
    expect(asked.toast.content).toContain('这份申报将不参加 2028 年度评审');
    expect((await cycleOf(2028)).status).toBe('scoring');
    const returned = await h.click(ADMIN, { action: 'check.return', applicationId: app.id, late: true }, { [`reason_${app.id}`]: '缺少顾客确认材料' });
    expect(returned.toast.type).toBe('success');
    const ended = await h.click(ADMIN, { action: 'results.close', cycleId: c.id });
    expect(ended.toast.content).toContain('2028年度没有完成评分的申报，汇总已完成');
    expect((await cycleOf(2028)).status).toBe('closed');
  });
});

describe('after the experts’ scoring has ended, an application is no longer taken in', () => {
  let s: Harness;
  let f: Fixture;
  beforeAll(async () => {
    ({ h: s, f } = await startSecurityHarness());
  });
  afterAll(async () => {
    await s?.close();
  });

  const toAsk = '如有疑问，请联系协会。';
  // the year named, and the 管理 card's button for its results: 评审进度/结果 while summed, its own once published
  const toResults = (status: string) =>
    status === 'closed' ? '2027 年度的评审结果请发送“管理”，点协会管理卡片上的“评审进度/结果”查看。' : '2027 年度的评审结果请发送“管理”，点协会管理卡片上的“2027年度评审结果”查看，可下载结果工作簿。';
  const late = (status = 'closed') => [
    { who: personas.contact, value: { action: 'endorse.recommend', applicationId: f.appA }, form: { truthful: true, opinion: '同意推荐' }, what: '不能再推荐这份申报', then: toAsk },
    { who: personas.contact, value: { action: 'endorse.return', applicationId: f.appA }, form: { opinion: '请补充材料' }, what: '不能再退回这份申报', then: toAsk },
    // an administrator is the association: pointed to the year's results, not told to ask it
    { who: ADMIN, value: { action: 'check.accept', applicationId: f.appC }, form: undefined, what: '不能再受理申报', then: toResults(status) },
    { who: ADMIN, value: { action: 'check.return', applicationId: f.appC }, form: { [`reason_${f.appC}`]: '材料不全' }, what: '不能再退回申报', then: toResults(status) },
  ];

  it.each([
    ['closed', '2027年度评审已汇总专家评分'],
    ['published', '2027年度评审结果已公布'],
  ])('in a year %s, the contact’s 推荐 / 退回 and the formal check are refused, and nothing changes', async (status, stage) => {
    await s.db.db.update(cycles).set({ status }).where(eq(cycles.id, f.cycleId));
    const before = await snapshot(s.db.db);
    for (const c of late(status)) {
      const body = await s.click(c.who, c.value, c.form);
      expect(body.toast, JSON.stringify(c.value)).toEqual({ type: 'info', content: `${stage}，${c.what}。${c.then}` });
    }
    expect(await snapshot(s.db.db)).toEqual(before);
    // the button named is on the 管理 card
    await s.say(ADMIN, '管理');
    const admin = s.fake.messages.filter((m) => m.receiveId === ADMIN && m.msgType === 'interactive').at(-1)!.content;
    expect(JSON.stringify(admin)).toContain(status === 'closed' ? '"评审进度/结果"' : '"2027年度评审结果"');
  });

  it('while the experts score, a late 推荐 and its 受理 are still taken', async () => {
    await s.db.db.update(cycles).set({ status: 'scoring' }).where(eq(cycles.id, f.cycleId));
    const [recommend, , accept] = late();
    expect((await s.click(recommend.who, recommend.value, recommend.form)).toast.type).toBe('success');
    expect((await s.click(accept.who, accept.value, accept.form)).toast.type).toBe('success');
    const rows = await s.db.db.select({ id: applications.id, status: applications.status }).from(applications).where(eq(applications.cycleId, f.cycleId));
    expect(rows.find((r) => r.id === f.appA)?.status).toBe('recommended');
    expect(rows.find((r) => r.id === f.appC)?.status).toBe('accepted');
  });
});

describe('an administrator acting on an application of a year whose review is over is told where that year’s results are', () => {
  let s: Harness;
  let f: Fixture;
  beforeAll(async () => {
    ({ h: s, f } = await startSecurityHarness());
  });
  afterAll(async () => {
    await s?.close();
  });

  const buttonsOf = (card: unknown) => {
    const out: string[] = [];
    JSON.stringify(card, (_k, v) => {
      if (v && v.tag === 'button') out.push(String(v.text?.content));
      return v;
    });
    return out;
  };
  /** The 管理 card the administrator is sent: its year's heading and its buttons. */
  async function adminCard() {
    await s.say(ADMIN, '管理');
    const card = s.fake.messages.filter((m) => m.receiveId === ADMIN && m.msgType === 'interactive').at(-1)!.content;
    return { text: cardText(card), buttons: buttonsOf(card) };
  }
  async function yearOf(year: number, status: string) {
    const [c] = await s.db.db.select().from(cycles).where(eq(cycles.id, f.cycleId));
    const { id: _id, createdAt: _c, updatedAt: _u, ...rest } = c;
    return (await s.db.db.insert(cycles).values({ ...rest, year, status }).returning())[0];
  }

  it('a later year running: 管理 shows that year, and the one asked about is named with the button for its results', async () => {
    await s.db.db.update(cycles).set({ status: 'published' }).where(eq(cycles.id, f.cycleId));
    await yearOf(2028, 'open');
    const body = await s.click(ADMIN, { action: 'check.accept', applicationId: f.appC });
    expect(body.toast).toEqual({ type: 'info', content: '2027年度评审结果已公布，不能再受理申报。2027 年度的评审结果请发送“管理”，点协会管理卡片上的“2027年度评审结果”查看，可下载结果工作簿。' });
    // what 管理 really offers: the 2028 year, and 2027's results behind that button
    const admin = await adminCard();
    expect(admin.text).toContain('2028年度评审');
    expect(admin.buttons).toContain('2027年度评审结果');
  });

  it('an older year, no longer the latest published: sent to 管理’s 历年评审结果, or to type the year', async () => {
    const older = await yearOf(2026, 'published');
    const [app] = await s.db.db
      .insert(applications)
      .values({ teamId: f.teamB.id, cycleId: older.id, status: 'recommended', form: applicationForm(), submittedAt: new Date('2026-03-01T00:00:00Z'), endorsement: { decision: 'recommend', truthful: true, opinion: '同意推荐', by: 'ou_othercontact00000000000000000001' } })
      .returning();
    const body = await s.click(ADMIN, { action: 'check.return', applicationId: app.id }, { [`reason_${app.id}`]: '材料不全' });
    expect(body.toast).toEqual({
      type: 'info',
      content: '2026年度评审结果已公布，不能再退回申报。2026 年度的评审结果请发送“管理”，点协会管理卡片上的“历年评审结果”查看（或发送“评审结果 2026”），可下载结果工作簿。',
    });
    // the buttons named are on the 管理 card: the latest year's own, and 历年评审结果 for the others
    const { buttons } = await adminCard();
    expect(buttons.filter((b) => b.endsWith('年度评审结果'))).toEqual(['2027年度评审结果']);
    expect(buttons).toContain('历年评审结果');
    // and what it says to type is that year's results
    s.fake.reset();
    await s.say(ADMIN, '评审结果 2026');
    const sent = s.fake.messages.filter((m) => m.receiveId === ADMIN);
    expect(sent.map((m) => m.content.header?.title?.content)).toEqual(['2026年度评审结果']);
  });
});
