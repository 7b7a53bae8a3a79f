import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, cycles, complaints, honours, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { applicationForm, registrationForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { scoreForm } from './securityFixture.js';

/**
 * What a person typed is shown as typed wherever a card shows it: 协会联系方式 goes after the bot's own 请联系协会
 * (cards/contact.ts withContact), never into a contact's 退回意见 or 推荐意见, a complainant's 联系方式, an expert's
 * 利益冲突 reason or a 撤销理由, which would then say what their writer never wrote.
 */
const L = 'ou_typedwordsleader00000000000000001';
const C = 'ou_typedwordscontact0000000000000001';
const E = 'ou_typedwordsexpert00000000000000001';
const E2 = 'ou_typedwordsexpert00000000000000002';

const CONTACT = { contactName: '协会秘书处 张三', contactPhone: '020-12345678', contactEmail: '', contactHours: '' };
const PHRASE = '（协会秘书处 张三，电话 020-12345678）';

/** A card's text as Feishu shows it: markdown's entities (&#42;) read as the characters they stand for. */
const shownText = (card: unknown) => cardText(card).replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)));
const lastTo = (h: Harness, openId: string) => h.fake.messages.filter((m) => m.receiveId === openId).at(-1)!;

/** `card` shows `typed` whole: no contact put after the 联系协会 the writer wrote, in the middle of their words. */
function expectAsTyped(card: unknown, typed: string) {
  expectValidCard(card);
  const text = shownText(card);
  expect(text, text).toContain(typed);
}

describe('协会联系方式 stays out of what people typed', () => {
  let h: Harness;
  let teamId: number;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00'), admins: [ADMIN], outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    expect((await h.click(L, { action: 'team.register' }, registrationForm('原样显示班', C))).toast.type).toBe('success');
    [{ id: teamId }] = await h.db.db.select({ id: teams.id }).from(teams).where(eq(teams.name, '原样显示班'));
    h.clock.set('2027-03-10T09:00:00+08:00');
    await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-04-30', scoringDeadline: '2027-05-31', reviewMeetingDate: '2027-06-15' });
    expect((await h.click(ADMIN, { action: 'association.contactSave' }, CONTACT)).toast.type).toBe('success');
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('a contact’s 退回意见: on the contact’s own card and on the leader’s 申报表', async () => {
    expect((await h.click(L, { action: 'application.submit', teamId, year: 2027 }, applicationForm({ title: '路面修补' }))).toast.type).toBe('success');
    const [app] = await h.db.db.select().from(applications).where(eq(applications.teamId, teamId));
    const opinion = '工程量数据与台账不符，或联系协会质监站核对后再报';
    const done = await h.click(C, { action: 'endorse.return', applicationId: app.id }, { opinion });
    expect(done.toast.type).toBe('success');
    expectAsTyped(done.card.data, opinion);
    const form = await h.click(L, { action: 'application.open', teamId });
    expectAsTyped(form.card.data, opinion);
    // the bot's own 请联系协会 on the same form still carries it
    const recommended = '经审核同意推荐。如有疑问请直接联系协会核实';
    expect((await h.click(L, { action: 'application.submit', teamId, year: 2027 }, applicationForm({ title: '路面修补' }))).toast.type).toBe('success');
    const again = await h.click(C, { action: 'endorse.recommend', applicationId: app.id }, { truthful: true, opinion: recommended });
    expect(again.toast.type, JSON.stringify(again.toast)).toBe('success');
    expectAsTyped(again.card.data, recommended);
    // the leader's notice quotes it (fields() of 成果名称, 状态, 推荐意见): as typed, and no contact anywhere
    await h.drain();
    const notice = lastTo(h, L).content;
    expectAsTyped(notice, recommended);
    expect(shownText(notice)).not.toContain(PHRASE);
  });

  it('a web complainant’s 联系方式 on the decided card, where the administrator is asked to tell them', async () => {
    await h.db.db.insert(honours).values({ teamId, year: 2026, awardedAt: new Date('2026-12-01T00:00:00Z') });
    const [team] = await h.db.db.select().from(teams).where(eq(teams.id, teamId));
    const contact = '13900001111，白天不便接听可直接联系协会转告';
    const posted = await fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ team: team.code, content: '路面修补后一周又塌陷', contact }) });
    expect(posted.status).toBe(201);
    await h.drain();
    const [complaint] = await h.db.db.select().from(complaints).where(eq(complaints.teamId, teamId));
    const decided = await h.click(ADMIN, { action: 'complaint.uphold', complaintId: complaint.id }, { note: '经核实属实' });
    expect(decided.toast.type).toBe('success');
    // as stored: the form reads a full-width comma as a half-width one
    expect(complaint.contact).toBe('13900001111,白天不便接听可直接联系协会转告');
    expectAsTyped(decided.card.data, `请按其联系方式（${complaint.contact}）告知`);
  });

  it('a 撤销理由 on the administrator’s card and the team’s notice', async () => {
    // a second upheld complaint makes the run that raises the revocation (连续 2 次)
    const [team] = await h.db.db.select().from(teams).where(eq(teams.id, teamId));
    h.clock.advance(10 * 60_000);
    const posted = await fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ team: team.code, content: '井盖修补后仍松动', contact: '13900002222' }) });
    expect(posted.status).toBe(201);
    await h.drain();
    const [, second] = await h.db.db.select().from(complaints).where(eq(complaints.teamId, teamId)).orderBy(complaints.id);
    expect((await h.click(ADMIN, { action: 'complaint.uphold', complaintId: second.id }, { note: '经核实属实' })).toast.type).toBe('success');
    await h.drain();
    const [honour] = await h.db.db.select().from(honours).where(eq(honours.teamId, teamId));
    const reason = '连续投诉成立。班组如有异议请联系协会纪检组复核';
    const revoked = await h.click(ADMIN, { action: 'revocation.revoke', honourId: honour.id }, { reason });
    expect(revoked.toast.type, JSON.stringify(revoked.toast)).toBe('success');
    expectAsTyped(revoked.card.data, reason);
    await h.drain();
    const notice = lastTo(h, L).content;
    expect(shownText(notice)).toContain('撤销');
    expectAsTyped(notice, reason);
    // the notice's own 如有异议，请联系协会 still carries it
    expect(shownText(notice)).toContain(`如有异议，请联系协会${PHRASE}`);
  });

  it('an expert’s 利益冲突 reason on their declarations', async () => {
    expect((await h.click(ADMIN, { action: 'experts.add' }, { experts: [E, E2], organization: '专家委员会', specialities: '道路', maxLoad: '' })).toast.type).toBe('success');
    const [team] = await h.db.db.select().from(teams).where(eq(teams.id, teamId));
    const reason = '曾任该班组技术顾问，详情请联系协会专家委员会';
    const declared = await h.click(E, { action: 'experts.conflictAdd' }, { kind: 'team', target: team.code, reason });
    expect(declared.toast.type, JSON.stringify(declared.toast)).toBe('success');
    expectAsTyped(declared.card.data, reason);
    expect(cardActions(declared.card.data).length).toBeGreaterThan(0);
  });

  it('an expert’s 评分意见 on the sheet they submitted', async () => {
    const [app] = await h.db.db.select().from(applications).where(eq(applications.teamId, teamId));
    const [assignment] = await h.db.db
      .insert(assignments)
      .values({ applicationId: app.id, expertOpenId: E2, status: 'assigned' })
      .returning();
    await h.db.db.update(applications).set({ status: 'scoring' }).where(eq(applications.id, app.id));
    await h.db.db.update(cycles).set({ status: 'scoring' });
    const comment = '现场记录齐全。个别数据存疑，请联系协会核实原始台账';
    const scored = await h.click(E2, { action: 'review.submit', assignmentId: assignment.id }, { ...scoreForm(10), comment });
    expect(scored.toast.type, JSON.stringify(scored.toast)).toBe('success');
    expectAsTyped(scored.card.data, comment);
  });
});
