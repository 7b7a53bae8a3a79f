import { and, asc, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { auditLog, complaints, honours, organizations, people, processedEvents, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { titleStatus } from '../../src/complaints.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { randomEventId } from '../support/larkEvents.js';
import { inEachWorld, outboxRows, twoWorlds } from '../support/worlds.js';

/**
 * 第二十二条's run (连续出现顾客对质量不满意的投诉) counted in the order the complaints came in, on the ordinary path and
 * the one-statement one (src/fast/decisions.ts) alike: an open complaint, like a dismissed one, ends a run, whatever order
 * they are decided in; the alert is due once any run reaches the threshold; 撤销称号, like 保留称号, only while one does.
 */

const NOW = '2027-03-10T09:00:00+08:00';

interface Seeded {
  /** Complaints 1, 2, 3 open, in the order they came in. */
  gap: { team: number; honour: number; c: number[] };
  /** Complaints 4, 5, 6 open, in the order they came in. */
  late: { team: number; honour: number; c: number[] };
  /** A title with no complaints since its award. */
  quiet: { team: number; honour: number };
  /** One upheld complaint, then one dismissed. */
  ended: { team: number; honour: number };
  /** Two upheld, one open, one dismissed, in the order they came in; all three decided before NOW. */
  kept: { team: number; honour: number; c: number[] };
}

let nextTeam = 0;
async function seed(db: Db): Promise<Seeded> {
  const [org] = await db.insert(organizations).values({ name: '撤销测试单位' }).returning();
  let ref = 0;
  const titled = async (name: string, statuses: ('open' | 'upheld' | 'dismissed')[]) => {
    const n = ++nextTeam;
    const leader = `ou_revleader${String(n).padStart(24, '0')}`;
    const contact = `ou_revcontact${String(n).padStart(23, '0')}`;
    await db.insert(people).values([{ openId: leader }, { openId: contact, roles: ['org_contact'] }]);
    const [t] = await db
      .insert(teams)
      .values({
        code: `GDSZ-2025-05${String(n).padStart(2, '0')}`, name, organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: leader,
        phone: '020-12345678', memberCount: 8, functions: '道路养护', goals: '零缺陷', plan: '每月 QC', contactOpenId: contact, registeredAt: '2025-01-10',
      })
      .returning();
    const [ho] = await db.insert(honours).values({ teamId: t.id, year: 2026, awardedAt: new Date('2026-12-01T10:00:00+08:00') }).returning();
    const c: number[] = [];
    for (const [i, status] of statuses.entries()) {
      const [row] = await db
        .insert(complaints)
        .values({
          reference: `TS-2027-09${String(++ref).padStart(2, '0')}`, teamId: t.id, content: `井盖松动（第 ${ref} 处）`, channel: 'web', status,
          ...(status === 'open' ? {} : { note: '核实', decidedBy: ADMIN, decidedAt: new Date(`2027-02-${String(i + 11).padStart(2, '0')}T10:00:00+08:00`) }),
          createdAt: new Date(`2027-02-${String(i + 1).padStart(2, '0')}T10:00:00+08:00`),
        })
        .returning();
      c.push(row.id);
    }
    return { team: t.id, honour: ho.id, c };
  };
  const gap = await titled('珠海路灯维护班', ['open', 'open', 'open']);
  const late = await titled('珠海排水班', ['open', 'open', 'open']);
  const quiet = await titled('珠海绿化班', []);
  const ended = await titled('珠海桥梁班', ['upheld', 'dismissed']);
  const kept = await titled('珠海隧道班', ['upheld', 'upheld', 'open', 'dismissed']);
  return { gap, late, quiet: { team: quiet.team, honour: quiet.honour }, ended: { team: ended.team, honour: ended.honour }, kept };
}

async function rows(db: Db) {
  return {
    complaints: await db.select().from(complaints).orderBy(asc(complaints.id)),
    honours: await db.select().from(honours).orderBy(asc(honours.id)),
    audit: await db.select({ actor: auditLog.actor, action: auditLog.action, entityId: auditLog.entityId, details: auditLog.details, at: auditLog.at }).from(auditLog).orderBy(asc(auditLog.id)),
    outbox: await outboxRows(db),
    processed: await db.select({ eventId: processedEvents.eventId }).from(processedEvents).orderBy(asc(processedEvents.eventId)),
  };
}

type Body = { toast?: { type: string; content: string }; card?: unknown };

describe('第二十二条: consecutive upheld complaints in the order they came in, on both paths', () => {
  const { fast, ordinary } = twoWorlds(async () => {
    nextTeam = 0;
    const h = await startHarness({ clock: new ManualClock(NOW) });
    return { h, s: await seed(h.db.db) } as { h: Harness; s: Seeded };
  }, { oneOnPglite: true });
  /** The bots to change alike: on PGlite the one bot standing for both. */
  const twins = [...new Set([fast, ordinary])];
  beforeAll(() => expect(fast.s).toEqual(ordinary.s));
  const s = () => fast.s;

  /** The same click, with the same event id, on both bots (on PGlite the one): the same answer and the same rows after. */
  async function both(value: Record<string, unknown>, form: Record<string, unknown>): Promise<Body> {
    const eventId = randomEventId();
    const { fast: f, ordinary: o } = await inEachWorld({ fast, ordinary }, async ({ h }) => (await h.click(ADMIN, value, form, { eventId })) as Body);
    expect(f, 'the answer').toEqual(o);
    expect(await rows(fast.h.db.db), 'the rows').toEqual(await rows(ordinary.h.db.db));
    return f;
  }
  const uphold = (complaintId: number) => both({ action: 'complaint.uphold', complaintId }, { note: '核实成立' });
  const dismiss = (complaintId: number) => both({ action: 'complaint.dismiss', complaintId }, { note: '经核实不属实' });
  const revoke = (honourId: number) => both({ action: 'revocation.revoke', honourId }, { reason: '连续投诉' });
  const keep = (honourId: number) => both({ action: 'revocation.keep', honourId }, { reason: '已整改' });
  const alerts = (honourId: number) =>
    fast.h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'honour.revocationAlert'), eq(auditLog.entityId, String(honourId))));
  const run = async (team: number) => {
    const f = await titleStatus(fast.h.db.db, team);
    const o = await titleStatus(ordinary.h.db.db, team);
    expect({ view: f?.view, runStart: f?.runStart }).toEqual({ view: o?.view, runStart: o?.runStart });
    return { run: f?.view.run, required: f?.view.required, runStart: f?.runStart };
  };
  /** A refusal that changes nothing on either bot but the event. */
  async function refused(click: () => Promise<Body>, says: RegExp) {
    const before = { ...(await rows(fast.h.db.db)), processed: [] };
    const body = await click();
    expect(body.toast).toEqual({ type: 'info', content: expect.stringMatching(says) });
    expect({ ...(await rows(fast.h.db.db)), processed: [] }).toEqual(before);
  }

  it('complaint 1 upheld, 2 still open, 3 upheld: not consecutive, no alert, and 撤销称号 refused', async () => {
    const { honour, team, c } = s().gap;
    await uphold(c[0]);
    await uphold(c[2]);
    expect(await alerts(honour)).toHaveLength(0);
    expect(await run(team)).toEqual({ run: 1, required: 2, runStart: c[2] });
    await refused(() => revoke(honour), /^第二十二条：珠海路灯维护班 目前连续成立的投诉为 1 次（连续 2 次才提醒撤销），没有待决定的撤销提醒。$/);
    await refused(() => keep(honour), /^第二十二条：珠海路灯维护班 目前连续成立的投诉为 1 次（连续 2 次才提醒撤销），没有待决定的撤销提醒。$/);
  });

  it('the open complaint between them upheld after all: one run of three, one alert, and then 撤销称号 stands', async () => {
    const { honour, team, c } = s().gap;
    await uphold(c[1]);
    expect(await alerts(honour)).toHaveLength(1);
    expect(await run(team)).toEqual({ run: 3, required: 2, runStart: c[0] });
    const r = await revoke(honour);
    expect(r.toast).toEqual({ type: 'success', content: '已撤销称号，已通知班组长和单位联系人' });
    for (const w of twins) expect((await w.h.db.db.select().from(honours).where(eq(honours.id, honour)))[0].revokedAt).not.toBeNull();
  });

  it('complaints 4 and 5 upheld, 6 dismissed before 5 was decided: 4 and 5 came in one after the other, the alert raised once', async () => {
    const { honour, team, c } = s().late;
    await uphold(c[0]);
    await dismiss(c[2]);
    expect(await run(team)).toEqual({ run: 0, required: 2, runStart: undefined });
    expect(await alerts(honour)).toHaveLength(0);
    await uphold(c[1]);
    expect(await alerts(honour)).toHaveLength(1);
    expect(await alerts(ordinary.s.late.honour)).toHaveLength(1);
    // the run ended by complaint 6 still awaits a decision
    expect(await run(team)).toEqual({ run: 2, required: 2, runStart: c[0] });
    expect((await keep(honour)).toast).toEqual({ type: 'success', content: '已保留称号' });
    expect(await run(team)).toEqual({ run: 0, required: 2, runStart: undefined });
    // the other administrator's copy of the alert: kept, no longer to revoke
    await refused(() => revoke(honour), /^第二十二条：你已于 2027年3月10日 \d{2}:\d{2} 决定保留 珠海排水班 的 2026 年度称号（理由：已整改），无需再处理/);
  });

  it('after 保留称号, a complaint dismissed before it still ends a run: the open one before it and a later one upheld are not consecutive', async () => {
    const { honour, team, c } = s().kept;
    expect((await keep(honour)).toast).toEqual({ type: 'success', content: '已保留称号' });
    for (const w of twins) w.h.clock.advance(60_000);
    // the one open at the keep, upheld now: it came in before the dismissed one
    await uphold(c[2]);
    // one more, after the dismissed one, upheld: the dismissal between them ends the run (it counted 2 and alerted)
    const later = { teamId: team, content: '井盖又松动', channel: 'web', status: 'open', createdAt: new Date('2027-03-09T10:00:00+08:00') } as const;
    const { fast: [f], ordinary: [o] } = await inEachWorld({ fast, ordinary }, ({ h }) => h.db.db.insert(complaints).values({ ...later, reference: 'TS-2027-0999' }).returning());
    expect(o.id).toBe(f.id);
    expect((await uphold(f.id)).toast?.type).toBe('success');
    expect(await run(team)).toEqual({ run: 1, required: 2, runStart: f.id });
    expect(await alerts(honour)).toHaveLength(0);
  });

  it('撤销称号 of a title without a run at the threshold is refused, saying how far the run has gone, and changes nothing', async () => {
    await refused(() => revoke(s().quiet.honour), /^第二十二条：珠海绿化班 目前连续成立的投诉为 0 次（连续 2 次才提醒撤销），没有待决定的撤销提醒。$/);
    // an upheld complaint, then a dismissed one: the run ended
    expect(await run(s().ended.team)).toEqual({ run: 0, required: 2, runStart: undefined });
    await refused(() => revoke(s().ended.honour), /^第二十二条：珠海桥梁班 目前连续成立的投诉为 0 次（连续 2 次才提醒撤销），没有待决定的撤销提醒。$/);
    for (const w of twins) expect((await w.h.db.db.select().from(honours).where(eq(honours.id, w.s.quiet.honour)))[0].revokedAt).toBeNull();
  });
});
