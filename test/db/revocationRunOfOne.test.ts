import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { auditLog, complaints, cycles, honours, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { titleStatus } from '../../src/complaints.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { randomEventId } from '../support/larkEvents.js';
import { inEachWorld, twoWorlds } from '../support/worlds.js';

/**
 * 第二十二条 speaks of complaints 连续出现: one upheld complaint is no run. 连续成立投诉提醒次数 is at least 2 on the
 * settings form (test/db/reviewRules.test.ts), and a cycle saved with 1 before that (its row keeps it) is read as 2,
 * on the ordinary path and the one-statement one alike: its first upheld complaint raises no 撤销称号提醒.
 */

const NOW = '2027-03-10T09:00:00+08:00';

interface Seeded {
  team: number;
  honour: number;
  complaints: number[];
}

async function seed(db: Db): Promise<Seeded> {
  // the running year, saved while the form still took a run of 1
  await db.insert(cycles).values({
    year: 2027, status: 'open', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-20', scoreSheet: defaultScoreSheet, settings: { revocationRun: 1 },
  });
  const [org] = await db.insert(organizations).values({ name: '连续投诉测试单位' }).returning();
  const leader = 'ou_runofoneleader0000000000000000001';
  const contact = 'ou_runofonecontact000000000000000001';
  await db.insert(people).values([{ openId: leader }, { openId: contact, roles: ['org_contact'] }]);
  const [t] = await db
    .insert(teams)
    .values({
      code: 'GDSZ-2025-0601', name: '汕头道路养护班', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: leader,
      phone: '020-12345678', memberCount: 8, functions: '道路养护', goals: '零缺陷', plan: '每月 QC', contactOpenId: contact, registeredAt: '2025-01-10',
    })
    .returning();
  const [ho] = await db.insert(honours).values({ teamId: t.id, year: 2026, awardedAt: new Date('2026-12-01T10:00:00+08:00') }).returning();
  const ids: number[] = [];
  for (const i of [1, 2]) {
    const [c] = await db
      .insert(complaints)
      .values({ reference: `TS-2027-070${i}`, teamId: t.id, content: `井盖松动（第 ${i} 处）`, channel: 'web', status: 'open', createdAt: new Date(`2027-02-0${i}T10:00:00+08:00`) })
      .returning();
    ids.push(c.id);
  }
  return { team: t.id, honour: ho.id, complaints: ids };
}

describe('连续成立投诉提醒次数 saved as 1: read as 2 on both paths', () => {
  const { fast, ordinary } = twoWorlds(async () => {
    const h = await startHarness({ clock: new ManualClock(NOW) });
    return { h, s: await seed(h.db.db) } as { h: Harness; s: Seeded };
  }, { oneOnPglite: true });
  beforeAll(() => expect(fast.s).toEqual(ordinary.s));

  const uphold = async (i: number) => {
    const eventId = randomEventId();
    const { fast: f, ordinary: o } = await inEachWorld({ fast, ordinary }, async ({ h, s }) => (await h.click(ADMIN, { action: 'complaint.uphold', complaintId: s.complaints[i] }, { note: '核实成立' }, { eventId })) as { toast?: unknown });
    expect(f, 'the answer').toEqual(o);
    return f;
  };
  const seen = () =>
    inEachWorld({ fast, ordinary }, async ({ h, s }) => {
      await h.drain();
      const alerts = await h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'honour.revocationAlert'), eq(auditLog.entityId, String(s.honour))));
      const status = await titleStatus(h.db.db, s.team);
      const sent = h.fake.messages.map((m) => cardText(m.content)).filter((t) => t.includes('已连续'));
      return { alerts: alerts.map((a) => a.details), run: status?.view.run, required: status?.view.required, sent };
    });

  it('one upheld complaint: a run of 1 of the 2 required, no 撤销称号提醒', async () => {
    expect(await uphold(0)).toMatchObject({ toast: { type: 'success' } });
    const { fast: f, ordinary: o } = await seen();
    expect(f).toEqual(o);
    expect(f).toEqual({ alerts: [], run: 1, required: 2, sent: [] });
  });

  it('the second upheld one in a row: the alert, saying 连续 2 次', async () => {
    expect(await uphold(1)).toMatchObject({ toast: { type: 'success' } });
    const { fast: f, ordinary: o } = await seen();
    expect(f.alerts).toEqual(o.alerts);
    expect(f.alerts).toEqual([expect.objectContaining({ run: 2, required: 2 })]);
    expect(f.sent.join('\n')).toContain('已连续 **2** 次投诉成立（协会规定：连续 2 次成立时提醒）');
  });
});
