import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noValue } from '../../bot/respond.js';
import { auditLog } from '../../db/schema.js';
import { audit } from '../../src/audit.js';
import { UserError } from '../../src/errors.js';
import { ADMIN, startHarness, type Harness } from '../support/harness.js';

/**
 * A card action whose answer is read after its COMMIT (`ctx.afterCommit`), through the real HTTP path on
 * PostgreSQL (the reads ride with the COMMIT) and PGlite (they run once it has committed).
 */
describe('answers read after the COMMIT', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ admins: [ADMIN] });
    h.app.registry.cardAction({
      action: 'probe.afterCommit',
      roles: ['public'],
      value: noValue,
      run: async (ctx) => {
        await audit(ctx.tx, { actor: ctx.actor.openId, action: 'probe.afterCommit', entity: 'probe', entityId: ctx.eventId, at: ctx.clock.now() });
        return ctx.afterCommit(async (read) => {
          const rows = await read.tx.select().from(auditLog).where(eq(auditLog.action, 'probe.afterCommit'));
          return { toast: { type: 'success', content: `已记录 ${rows.length} 次` } };
        });
      },
    });
    h.app.registry.cardAction({
      action: 'probe.afterCommitRefused',
      roles: ['public'],
      value: noValue,
      run: async (ctx) => {
        await audit(ctx.tx, { actor: ctx.actor.openId, action: 'probe.afterCommitRefused', entity: 'probe', entityId: ctx.eventId, at: ctx.clock.now() });
        return ctx.afterCommit(async () => {
          throw new UserError('这张卡片已无法刷新，请重新打开菜单。');
        });
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('the answer sees what the event committed; a retried delivery does nothing again', async () => {
    expect((await h.click('ou_probe0000000000000000000000001', { action: 'probe.afterCommit' }, {}, { eventId: 'ev-after-1' })).toast).toEqual({ type: 'success', content: '已记录 1 次' });
    expect((await h.click('ou_probe0000000000000000000000001', { action: 'probe.afterCommit' }, {}, { eventId: 'ev-after-2' })).toast).toEqual({ type: 'success', content: '已记录 2 次' });
    const again = await h.click('ou_probe0000000000000000000000001', { action: 'probe.afterCommit' }, {}, { eventId: 'ev-after-2' });
    expect(again.toast.type).toBe('info');
    expect(await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'probe.afterCommit'))).toHaveLength(2);
  });

  it('a refusal while reading the answer is told as a toast; what was done stays done', async () => {
    const answer = await h.click('ou_probe0000000000000000000000001', { action: 'probe.afterCommitRefused' }, {}, { eventId: 'ev-after-3' });
    expect(answer).toEqual({ toast: { type: 'error', content: '这张卡片已无法刷新，请重新打开菜单。' } });
    expect(await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'probe.afterCommitRefused'))).toHaveLength(1);
  });
});
