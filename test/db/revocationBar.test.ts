import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, auditLog, cycles, honours, organizations, outbox, people, teamMembers, teams } from '../../db/schema.js';
import { barEnds } from '../../src/applications.js';
import { ManualClock } from '../../src/clock.js';
import { barEndsSql } from '../../src/fast/apply.js';
import { rowsOf } from '../../src/outbox.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { applicationForm } from '../support/forms.js';
import { ADMIN, startHarness, type Harness } from '../support/harness.js';
import { upheldRun } from '../support/upheldRun.js';

/**
 * E5 (RULES.md): a team whose title was revoked in the last year is told so before its application can go to review.
 * "The last year" is a calendar year by default (as 第十六条's is, oneYearAfter), not 365 days; the bar holds at the
 * formal check (受理) as at submission; both on the ordinary path and in the one-statement SQL.
 */

const CONTACT = 'ou_barcontact00000000000000000000001';
const TZ = 'Asia/Shanghai';
let h: Harness;
let orgId: number;
let n = 0;

async function newTeam() {
  n++;
  const leader = `ou_barleader${String(n).padStart(22, '0')}`;
  await h.db.db.insert(people).values({ openId: leader, name: `班组长${n}` });
  const [t] = await h.db.db
    .insert(teams)
    .values({
      code: `GDSZ-2024-${String(500 + n).padStart(4, '0')}`, name: `撤销期${n}班`, organizationId: orgId, department: '工程部', type: 'project', leaderOpenId: leader,
      phone: '020-1234567', memberCount: 10, functions: '道路养护', goals: '合格率 98%', plan: '每月 QC 活动', contactOpenId: CONTACT, registeredAt: '2024-01-01',
    })
    .returning();
  await h.db.db.insert(teamMembers).values({ teamId: t.id, openId: leader, role: 'leader' });
  return { id: t.id, leader };
}

async function openCycle(year: number, settings: Record<string, unknown> = {}) {
  const [c] = await h.db.db
    .insert(cycles)
    .values({ year, status: 'open', applicationDeadline: `${year}-05-31`, scoringDeadline: `${year}-06-30`, reviewMeetingDate: `${year}-07-15`, scoreSheet: defaultScoreSheet, openedBy: ADMIN, settings })
    .returning();
  return c;
}

async function dropCycle(id: number) {
  await h.db.db.delete(applications).where(eq(applications.cycleId, id));
  await h.db.db.delete(cycles).where(eq(cycles.id, id));
}

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2028-03-09T10:00:00+08:00') });
  const [org] = await h.db.db.insert(organizations).values({ name: '广州市市政工程维修有限公司' }).returning();
  orgId = org.id;
  await h.db.db.insert(people).values({ openId: CONTACT, name: '联系人', roles: ['org_contact'], organizationId: org.id });
});
afterAll(async () => {
  await h?.close();
});

describe('E5 over a leap year: a title revoked 2027-03-10 09:00 Beijing bars the team until 2028-03-10 09:00', () => {
  for (const fast of [true, false]) {
    it(`fastPaths=${fast}: refused on 2028-03-09 and at 08:59 on 2028-03-10, taken at 09:00`, async () => {
      h.app.processor.fastPaths = fast;
      const c = await openCycle(2028);
      try {
        const t = await newTeam();
        await h.db.db.insert(honours).values({ teamId: t.id, year: 2026, awardedAt: new Date('2026-08-01T00:00:00Z'), revokedAt: new Date('2027-03-10T09:00:00+08:00'), revokedReason: '连续投诉' });
        const submit = () => h.click(t.leader, { action: 'application.submit', teamId: t.id, year: 2028 }, applicationForm());
        const status = async () => (await h.db.db.select({ status: applications.status }).from(applications).where(eq(applications.teamId, t.id)))[0]?.status;

        h.clock.set('2028-03-09T10:00:00+08:00');
        const first = await submit();
        expect(first.toast?.content).toBe('协会规定：撤销称号后一年内不受理该班组的申报；本班组 2026 年度称号已于 2027年3月10日 撤销，2028年3月10日 09:00 起方可再申报。');
        expect(await status()).not.toBe('submitted');

        h.clock.set('2028-03-10T08:59:59+08:00');
        expect((await submit()).toast?.content).toMatch(/^协会规定：撤销称号后一年内不受理该班组的申报/);
        expect(await status()).not.toBe('submitted');

        h.clock.set('2028-03-10T09:00:00+08:00');
        expect((await submit()).toast?.type).toBe('success');
        expect(await status()).toBe('submitted');
      } finally {
        await dropCycle(c.id);
      }
    });
  }

  it('a bar the cycle sets in days keeps its days: 365 days after 2027-03-10 09:00 is 2028-03-09 09:00', async () => {
    h.app.processor.fastPaths = true;
    const c = await openCycle(2028, { revocationBarDays: 365 });
    try {
      const t = await newTeam();
      await h.db.db.insert(honours).values({ teamId: t.id, year: 2026, awardedAt: new Date('2026-08-01T00:00:00Z'), revokedAt: new Date('2027-03-10T09:00:00+08:00'), revokedReason: '连续投诉' });
      h.clock.set('2028-03-09T08:00:00+08:00');
      const refused = await h.click(t.leader, { action: 'application.submit', teamId: t.id, year: 2028 }, applicationForm());
      expect(refused.toast?.content).toBe('协会规定：撤销称号后 365 天内不受理该班组的申报；本班组 2026 年度称号已于 2027年3月10日 撤销，2028年3月9日 09:00 起方可再申报。');
      h.clock.set('2028-03-09T10:00:00+08:00');
      expect((await h.click(t.leader, { action: 'application.submit', teamId: t.id, year: 2028 }, applicationForm())).toast?.type).toBe('success');
    } finally {
      await dropCycle(c.id);
    }
  });
});

describe('the end of the default bar: barEnds and its SQL twin agree', () => {
  it.each([
    ['2027-03-10T09:00:00+08:00', '2028-03-10T09:00:00+08:00'],
    // 29 February: 28 February of the next year, as oneYearAfter
    ['2028-02-29T10:15:30.250+08:00', '2029-02-28T10:15:30.250+08:00'],
    // early on 1 March in Beijing is still 28 February in UTC: the year counted in Beijing
    ['2028-03-01T07:00:00+08:00', '2029-03-01T07:00:00+08:00'],
    ['2028-02-29T23:59:59+08:00', '2029-02-28T23:59:59+08:00'],
    ['2026-12-31T23:30:00+08:00', '2027-12-31T23:30:00+08:00'],
  ])('revoked %s: the bar ends %s', async (revoked, ends) => {
    const ts = barEnds(new Date(revoked), null, TZ);
    expect(ts.toISOString()).toBe(new Date(ends).toISOString());
    const rows = rowsOf(await h.db.db.execute(sql`select (${sql.raw(barEndsSql('r', 'd', 'z'))}) as e from (select ${revoked}::timestamptz as r, null::int as d, ${TZ}::text as z) x`));
    expect(new Date((rows[0] as { e: string | Date }).e).toISOString()).toBe(ts.toISOString());
    // a set number of days is that many days, in both
    const days = rowsOf(await h.db.db.execute(sql`select (${sql.raw(barEndsSql('r', 'd', 'z'))}) as e from (select ${revoked}::timestamptz as r, 365 as d, ${TZ}::text as z) x`));
    expect(new Date((days[0] as { e: string | Date }).e).toISOString()).toBe(barEnds(new Date(revoked), 365, TZ).toISOString());
  });
});

describe('E5 at the formal check: a title revoked after the organisation recommended the application', () => {
  for (const fast of [true, false]) {
    it(`fastPaths=${fast}: 受理 refused with the bar's words, nothing changed; 退回 still allowed`, async () => {
      h.app.processor.fastPaths = fast;
      h.clock.set('2029-03-10T09:00:00+08:00');
      const c = await openCycle(2029);
      try {
        const t = await newTeam();
        const [ho] = await h.db.db.insert(honours).values({ teamId: t.id, year: 2028, awardedAt: new Date('2028-08-01T00:00:00Z') }).returning();
        const endorsement = { decision: 'recommend', truthful: true, opinion: '同意推荐', by: CONTACT };
        const [app] = await h.db.db.insert(applications).values({ teamId: t.id, cycleId: c.id, status: 'recommended', form: applicationForm(), submittedAt: new Date('2029-03-01T00:00:00Z'), endorsement }).returning();
        // 撤销称号 answers a pending alert: two upheld complaints in a row
        await upheldRun(h.db.db, t.id);
        const revoked = await h.click(ADMIN, { action: 'revocation.revoke', honourId: ho.id }, { reason: '连续投诉成立' });
        expect(revoked.toast?.type).toBe('success');
        await h.drain();

        h.clock.set('2029-03-11T09:00:00+08:00');
        const auditsBefore = await h.db.db.select().from(auditLog).where(and(eq(auditLog.entity, 'application'), eq(auditLog.entityId, String(app.id))));
        const outboxBefore = (await h.db.db.select({ id: outbox.id }).from(outbox)).length;
        const accept = await h.click(ADMIN, { action: 'check.accept', applicationId: app.id });
        expect(accept.toast?.type).toBe('error');
        expect(accept.toast?.content).toMatch(/^协会规定：撤销称号后一年内不受理该班组的申报；\S+ 2028 年度称号已于 2029年3月10日 撤销，2030年3月10日 09:00 起方可再申报。该申报不能受理，请“退回”并写明原因。$/);
        expect(accept.toast?.content).not.toContain('本班组');
        const [row] = await h.db.db.select().from(applications).where(eq(applications.id, app.id));
        expect(row.status).toBe('recommended');
        expect(await h.db.db.select().from(auditLog).where(and(eq(auditLog.entity, 'application'), eq(auditLog.entityId, String(app.id))))).toEqual(auditsBefore);
        expect((await h.db.db.select({ id: outbox.id }).from(outbox)).length).toBe(outboxBefore);

        const back = await h.click(ADMIN, { action: 'check.return', applicationId: app.id }, { [`reason_${app.id}`]: '班组称号已撤销' });
        expect(back.toast?.type).toBe('success');
        expect((await h.db.db.select().from(applications).where(eq(applications.id, app.id)))[0].status).toBe('returned');
      } finally {
        await dropCycle(c.id);
      }
    });
  }
});
