import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noValue } from '../../bot/respond.js';
import { auditLog } from '../../db/schema.js';
import { audit } from '../../src/audit.js';
import { postgresClient } from '../../src/pipeline.js';
import { testDatabaseKind } from '../support/db.js';
import { startHarness, type Harness } from '../support/harness.js';

/**
 * A one-statement path that PostgreSQL aborts (a deadlock, 40P01, or a serialisation failure, 40001) kept nothing, so the
 * ordinary path answers the click instead of a 500; any other error of the fast path is still an error.
 */
describe.skipIf(testDatabaseKind() !== 'postgres')('a one-statement path aborted by the server falls back to the ordinary path (PostgreSQL)', () => {
  let h: Harness;
  const clicker = 'ou_probe0000000000000000000000002';

  beforeAll(async () => {
    h = await startHarness();
    for (const [action, code] of [
      ['probe.deadlocked', '40P01'],
      ['probe.serialisation', '40001'],
      ['probe.otherError', '23505'],
    ] as const) {
      h.app.registry.cardAction({
        action,
        roles: ['public'],
        value: noValue,
        // a real server error with that code, raised by PostgreSQL in the fast path's own statement
        fast: async (fx) => {
          const client = postgresClient(fx.database);
          if (!client) return undefined;
          await client.unsafe(`do $$ begin raise exception 'probe' using errcode = '${code}'; end $$`);
          return { outcome: 'ok', answer: { toast: { type: 'success', content: 'fast' } } };
        },
        run: async (ctx) => {
          await audit(ctx.tx, { actor: ctx.actor.openId, action, entity: 'probe', entityId: ctx.eventId });
          return { toast: { type: 'success', content: '已记录' } };
        },
      });
    }
  });

  afterAll(async () => {
    await h?.close();
  });

  it.each(['probe.deadlocked', 'probe.serialisation'])('%s: the ordinary path answers and writes once', async (action) => {
    expect((await h.click(clicker, { action }, {}, { eventId: `ev-${action}` })).toast).toEqual({ type: 'success', content: '已记录' });
    expect(await h.db.db.select().from(auditLog).where(eq(auditLog.action, action))).toHaveLength(1);
  });

  it('any other error of a one-statement path is not hidden', async () => {
    await expect(h.click(clicker, { action: 'probe.otherError' }, {}, { eventId: 'ev-other' })).rejects.toThrow(/answered 500/);
    expect(await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'probe.otherError'))).toHaveLength(0);
  });
});
