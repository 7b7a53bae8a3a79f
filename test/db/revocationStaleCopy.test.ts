import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complaints, honours, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * A copy of the 撤销称号 card that no decision redraws (the one an administrator opened from 投诉处理 → 决定, privately)
 * clicked after another administrator decided: the toast said it was decided, yet the card kept its form and its
 * 撤销称号 / 保留称号 buttons, as if still awaiting a decision. It now shows the decision, as a complaint's card does.
 */

const ADMIN2 = 'ou_admin000000000000000000000000002';
let h: Harness;
const clock = new ManualClock('2027-03-10T09:00:00+08:00');
const titles: number[] = [];

beforeAll(async () => {
  h = await startHarness({ clock });
  const db = h.db.db;
  await db.insert(people).values([{ openId: ADMIN2, name: '赵管理员', roles: ['admin'] }]);
  for (const n of [1, 2]) {
    const [org] = await db.insert(organizations).values({ name: `清远市政养护公司${n}` }).returning();
    await db.insert(people).values([{ openId: `ou_stalecopy_leader${n}00000000000000001` }, { openId: `ou_stalecopy_contact${n}0000000000000001`, roles: ['org_contact'] }]);
    const [t] = await db
      .insert(teams)
      .values({
        code: `GDSZ-2025-080${n}`, name: `清远道路养护${n}班`, organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: `ou_stalecopy_leader${n}00000000000000001`,
        phone: '0763-1234567', memberCount: 8, functions: '道路养护', goals: '零缺陷', plan: '每月 QC', contactOpenId: `ou_stalecopy_contact${n}0000000000000001`, registeredAt: '2025-01-10',
      })
      .returning();
    const [ho] = await db.insert(honours).values({ teamId: t.id, year: 2026, awardedAt: new Date('2026-12-01T10:00:00+08:00') }).returning();
    titles.push(ho.id);
    for (const i of [1, 2]) {
      const [c] = await db
        .insert(complaints)
        .values({ reference: `TS-2027-08${n}${i}`, teamId: t.id, content: `路面沉陷（第 ${i} 处）`, channel: 'web', status: 'open', createdAt: new Date(`2027-02-0${i}T10:00:00+08:00`) })
        .returning();
      clock.advance(60_000);
      expect((await h.click(ADMIN, { action: 'complaint.uphold', complaintId: c.id }, { note: '经核实属实' })).toast.type).toBe('success');
    }
  }
  await h.drain();
});
afterAll(async () => {
  await h?.close();
});

describe('a copy of the 撤销称号 card clicked after the decision', () => {
  for (const [i, decided] of (['kept', 'revoked'] as const).entries()) {
    it(`shows the decision (${decided}), with no form left`, async () => {
      const honourId = titles[i];
      // the copy one administrator opened privately, before the other decided
      const opened = await h.click(ADMIN2, { action: 'revocation.open', honourId });
      expect(cardActions(opened.card.data)).toContainEqual({ action: 'revocation.revoke', honourId });
      clock.advance(60_000);
      const first = await h.click(ADMIN, { action: decided === 'kept' ? 'revocation.keep' : 'revocation.revoke', honourId }, { reason: '已整改，回访满意' });
      expect(first.toast.type).toBe('success');
      const late = await h.click(ADMIN2, { action: 'revocation.revoke', honourId }, { reason: '连续投诉成立' });
      expect(late.toast.type).toBe('info');
      expect(late.card?.data).toBeDefined();
      expect(cardText(late.card.data)).toContain(decided === 'kept' ? '已保留称号' : '已撤销称号');
      expect(cardActions(late.card.data)).toEqual([]);
    });
  }
});
