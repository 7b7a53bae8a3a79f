import { and, asc, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { complaints, cycles, honours, organizations, outbox, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActionEvent } from '../support/larkEvents.js';
import { until } from '../support/waiting.js';

/**
 * 更正认定 while the first decision's notice is still in the outbox: a notice never tried is drawn when sent from the
 * complaint as it stands, so it already tells the decision as corrected; the complainant gets that one card (投诉处理结果：
 * 不成立, with the 更正说明), not 成立 then 认定已更正, and the team, never told of the 成立, is told nothing. A first notice
 * already on its way (being sent, or retried) is followed, never overtaken, by the correction's; one retried shows the
 * decision it announced (its first try may have reached Feishu, which keeps the first card under its uuid), so nobody
 * hears of a correction of a decision they were never told, nor gets 不成立 and then “由成立更正为不成立”. A correction
 * taken back before its own notice went out leaves what they heard as it was: neither is sent.
 */

const LEADER = 'ou_noticecorrectleader00000000000001';
const CONTACT = 'ou_noticecorrectcontact0000000000001';
const COMPLAINANT = 'ou_noticecorrectcomplainant00000001';

async function seed(db: Db) {
  await db.insert(cycles).values({
    year: 2027, status: 'open', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-20', scoreSheet: defaultScoreSheet, settings: { revocationRun: 5 },
  });
  const [org] = await db.insert(organizations).values({ name: '通知更正测试单位' }).returning();
  await db.insert(people).values([{ openId: LEADER }, { openId: CONTACT, roles: ['org_contact'] }, { openId: COMPLAINANT }]);
  const [t] = await db
    .insert(teams)
    .values({
      code: 'GDSZ-2025-0731', name: '茂名道路养护班', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: LEADER,
      phone: '020-12345678', memberCount: 8, functions: '道路养护', goals: '零缺陷', plan: '每月 QC', contactOpenId: CONTACT, registeredAt: '2025-01-10',
    })
    .returning();
  await db.insert(honours).values({ teamId: t.id, year: 2026, awardedAt: new Date('2026-12-01T10:00:00+08:00') });
  const ids: number[] = [];
  for (const [i, content] of ['人行道砖松动', '井盖异响', '路灯不亮', '桥面积水'].entries()) {
    const [c] = await db
      .insert(complaints)
      .values({ reference: `TS-2027-096${i + 1}`, teamId: t.id, content, channel: 'chat', complainantOpenId: COMPLAINANT, status: 'open', createdAt: new Date(`2027-02-0${i + 1}T10:00:00+08:00`) })
      .returning();
    ids.push(c.id);
  }
  return ids;
}

describe('更正认定 while the first decision’s notice is still in the outbox', () => {
  let h: Harness;
  let c: number[];
  const clock = new ManualClock('2027-03-02T09:00:00+08:00');
  beforeAll(async () => {
    h = await startHarness({ clock });
    c = await seed(h.db.db);
  });
  afterAll(() => h?.close());

  /** A click answered, what it queued left in the outbox. */
  const clickQueued = async (value: Record<string, unknown>, formValue: Record<string, unknown>) => {
    const res = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value, formValue }));
    expect(res.status).toBe(200);
    expect(res.body.toast?.type, JSON.stringify(res.body.toast)).toBe('success');
  };
  const sentTo = (openId: string, reference: string) => h.fake.messages.filter((m) => m.receiveId === openId).map((m) => cardText(m.content)).filter((t) => t.includes(reference));

  it('成立 corrected to 不成立 before its notice went out: one card to the complainant, as corrected; nothing to the team', async () => {
    await clickQueued({ action: 'complaint.uphold', complaintId: c[0] }, { note: '核实成立' });
    await clickQueued({ action: 'complaint.correct', complaintId: c[0], to: 'dismissed' }, { note: '误点成立，经核查投诉不实' });
    await h.drain();
    const told = sentTo(COMPLAINANT, 'TS-2027-0961');
    expect(told).toHaveLength(1);
    expect(told[0]).toContain('投诉处理结果：不成立');
    expect(told[0]).toContain('误点成立，经核查投诉不实');
    for (const who of [LEADER, CONTACT]) expect(sentTo(who, 'TS-2027-0961'), who).toEqual([]);
  });

  it('a correction taken back before its notice went out: nobody hears either, the decision they heard stands', async () => {
    // TS-2027-0963 upheld, its complainant and the team told; corrected to 不成立 and back before anything is sent
    const r = await h.click(ADMIN, { action: 'complaint.uphold', complaintId: c[2] }, { note: '核实成立' });
    expect(r.toast?.type).toBe('success');
    expect(sentTo(COMPLAINANT, 'TS-2027-0963')).toHaveLength(1);
    const before = h.fake.messages.length;
    clock.set(new Date('2027-03-03T09:00:00+08:00'));
    await clickQueued({ action: 'complaint.correct', complaintId: c[2], to: 'dismissed' }, { note: '误点成立' });
    clock.set(new Date('2027-03-03T09:05:00+08:00'));
    await clickQueued({ action: 'complaint.correct', complaintId: c[2], to: 'upheld' }, { note: '再次复核，投诉属实' });
    await h.drain();
    const fresh = h.fake.messages.slice(before).filter((m) => [COMPLAINANT, LEADER, CONTACT].includes(m.receiveId)).map((m) => cardText(m.content));
    expect(fresh.filter((t) => t.includes('TS-2027-0963'))).toEqual([]);
  });
  it('a first notice already being sent: the correction’s waits for it, and goes after it', async () => {
    await clickQueued({ action: 'complaint.uphold', complaintId: c[1] }, { note: '核实成立' });
    // the complainant's notice claimed by a dispatcher (on its way to Feishu) when the correction is made
    const first = `complaint:decided:${c[1]}:complainant`;
    await h.db.db.update(outbox).set({ status: 'sending', attempts: 1, claimedAt: new Date() }).where(eq(outbox.dedupeKey, first));
    await clickQueued({ action: 'complaint.correct', complaintId: c[1], to: 'dismissed' }, { note: '误点成立' });
    const [correction] = await h.db.db.select().from(outbox).where(and(like(outbox.dedupeKey, `complaint:corrected:${c[1]}:%`), eq(outbox.receiver, COMPLAINANT)));
    expect(correction).toMatchObject({ status: 'waiting', afterKey: first });
    // its send answered (sent, as Feishu took it before the correction): the correction follows
    await h.db.db.update(outbox).set({ status: 'sent', sentAt: new Date(), messageId: 'om_firstnotice' }).where(eq(outbox.dedupeKey, first));
    await h.drain();
    const told = sentTo(COMPLAINANT, 'TS-2027-0962');
    expect(told).toHaveLength(1);
    expect(told[0]).toContain('投诉认定已更正：不成立');
    const rows = await h.db.db.select({ key: outbox.dedupeKey, status: outbox.status }).from(outbox).where(eq(outbox.receiver, COMPLAINANT)).orderBy(asc(outbox.id));
    expect(rows.filter((r) => r.key.includes(`:${c[1]}:`)).map((r) => r.status)).toEqual(['sent', 'sent']);
  });

  it('a first notice Feishu refused once, retried after the correction: it tells the decision it announced, and the correction follows it', async () => {
    clock.set(new Date('2027-03-04T09:00:00+08:00'));
    await clickQueued({ action: 'complaint.uphold', complaintId: c[3] }, { note: '核实成立，路面积水严重' });
    // each notice's send refused (HTTP 400 230020, too many messages to one user) until the correction is made: each
    // tried and waiting for its retry
    for (const who of [COMPLAINANT, LEADER, CONTACT]) h.fake.failReceiver(who, { status: 400, code: 230020, msg: 'rate limited' });
    const firsts = () => h.db.db.select({ status: outbox.status, attempts: outbox.attempts }).from(outbox).where(like(outbox.dedupeKey, `complaint:%:${c[3]}:%`));
    await until(async () => (await h.app.dispatcher.runOnce()) >= 0 && (await firsts()).every((r) => r.attempts > 0));
    expect(await firsts()).toHaveLength(3);
    for (const r of await firsts()) expect(r.status).toBe('pending');
    clock.set(new Date('2027-03-04T09:10:00+08:00'));
    await clickQueued({ action: 'complaint.correct', complaintId: c[3], to: 'dismissed' }, { note: '误点成立，经核查为雨后正常积水' });
    h.fake.clearFaults();
    await h.drain();
    // the complainant: the result as decided (成立, its 处理意见), then its correction; not 不成立 and then “由成立更正为不成立”
    const complainant = sentTo(COMPLAINANT, 'TS-2027-0964');
    expect(complainant).toHaveLength(2);
    expect(complainant[0]).toContain('投诉处理结果：成立');
    expect(complainant[0]).toContain('核实成立，路面积水严重');
    expect(complainant[1]).toContain('投诉认定已更正：不成立');
    expect(complainant[1]).toContain('误点成立，经核查为雨后正常积水');
    // the team: the 成立 it is then told was corrected, before the correction; not a correction of a 成立 it never had
    for (const who of [LEADER, CONTACT]) {
      const team = sentTo(who, 'TS-2027-0964');
      expect(team, who).toHaveLength(2);
      expect(team[0]).toContain('投诉成立：茂名道路养护班');
      expect(team[1]).toContain('投诉认定已更正：不成立');
    }
  });

});
