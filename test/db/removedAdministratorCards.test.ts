import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complaints, people } from '../../db/schema.js';
import { adminOnlyMessage } from '../../src/permissions.js';
import { ADMIN, type Harness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';
import { type Fixture, personas, startSecurityHarness } from './securityFixture.js';

/**
 * An administrator removed (移除管理员) still holds the administrators' cards they were sent: a complaint's alert, 评审进度,
 * the 协会管理 card. Each button on them is refused, nothing written and no card drawn, and the toast says why in their
 * case: their role was taken back, when, and whom to ask; it says nothing of what the card holds nor who removed them.
 * Typing 管理, they are told the same. Someone who never was one is told, as before, that the function is the administrators'.
 */
const FORMER = 'ou_formeradmin00000000000000000001';

for (const mode of MODES_HERE) {
  describe(`a removed administrator's old cards (${mode})`, () => {
    let h: Harness;
    let f: Fixture;
    beforeAll(async () => {
      ({ h, f } = await startSecurityHarness());
      h.app.processor.fastPaths = mode === 'fast';
      await h.db.db.insert(people).values({ openId: FORMER, name: '前管理员', roles: ['admin'] });
      // an administrator then: the complaint's card opens
      expect((await h.click(FORMER, { action: 'complaint.open', complaintId: f.complaintId })).card).toBeDefined();
      h.clock.advance(3_600_000);
      const removed = await h.click(ADMIN, { action: 'admins.remove', openId: FORMER });
      expect(removed.toast.type, removed.toast.content).toBe('success');
    });
    afterAll(async () => h?.close());

    it.each([
      ['complaint.uphold', { complaintId: 0 }, { note: '经核查属实' }],
      ['complaint.open', { complaintId: 0 }],
      ['complaint.list', {}],
      ['review.progress', { cycleId: 0 }],
      ['import.export', {}],
      ['admin.menu', {}],
    ] as [string, Record<string, unknown>, Record<string, unknown>?][])('%s is refused with when their role was taken back', async (action, value, form) => {
      const ids = { complaintId: f.complaintId, cycleId: f.cycleId };
      const filled = Object.fromEntries(Object.entries(value).map(([k]) => [k, ids[k as keyof typeof ids]]));
      const r = await h.click(FORMER, { action, ...filled }, form);
      expect(r.toast.type).toBe('error');
      expect(r.toast.content).toContain(adminOnlyMessage);
      expect(r.toast.content).toContain('你的协会管理员身份已于 2027年3月10日 10:00 移除');
      expect(r.toast.content).toContain('请联系其他协会管理员');
      expect(r.toast.content).not.toContain(ADMIN);
      expect(r.card).toBeUndefined();
    });

    it('typing 管理, they are told the same', async () => {
      h.fake.reset();
      await h.say(FORMER, '管理');
      const [m] = h.fake.messages.filter((x) => x.receiveId === FORMER);
      expect(m.msgType).toBe('text');
      expect((m.content as { text: string }).text).toContain('只有协会管理员可以使用“管理”');
      expect((m.content as { text: string }).text).toContain('你的协会管理员身份已于 2027年3月10日 10:00 移除');
    });

    it('the complaint stays open', async () => {
      const [c] = await h.db.db.select({ status: complaints.status }).from(complaints).where(eq(complaints.id, f.complaintId));
      expect(c.status).toBe('open');
    });

    it('someone who never was an administrator is told only that it is the administrators’', async () => {
      const r = await h.click(personas.member, { action: 'complaint.open', complaintId: f.complaintId });
      expect(r.toast.content).toBe(adminOnlyMessage);
    });
  });
}
