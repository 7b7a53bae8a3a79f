import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noValue } from '../../bot/respond.js';
import { auditLog } from '../../db/schema.js';
import { audit } from '../../src/audit.js';
import { failedToast } from '../../src/events.js';
import { pipelined, postgresClient } from '../../src/pipeline.js';
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
        // a one-statement path's write: an audit row, then a real server error with that code raised by PostgreSQL in
        // the same transaction (the row must not be kept)
        fast: async (fx) => {
          const client = postgresClient(fx.database);
          if (!client) return undefined;
          await pipelined(
            client,
            [
              (c) => c.unsafe(`insert into audit_log (actor, action, entity, entity_id) values ($1, $2, 'probe', 'fast')`, [fx.openId, action]).execute(),
              (c) => c.unsafe(`do $$ begin raise exception 'probe' using errcode = '${code}'; end $$`).execute(),
            ],
            [],
          );
          return { outcome: 'ok', answer: { toast: { type: 'success', content: 'fast' } } };
        },
        run: async (ctx) => {
          await audit(ctx.tx, { actor: ctx.actor.openId, action, entity: 'probe', entityId: ctx.eventId, at: ctx.clock.now() });
          return { toast: { type: 'success', content: '已记录' } };
        },
      });
    }
  });

  afterAll(async () => {
    await h?.close();
  });

  it.each(['probe.deadlocked', 'probe.serialisation'])('%s: nothing of the attempt is kept, the ordinary path answers and writes once', async (action) => {
    expect((await h.click(clicker, { action }, {}, { eventId: `ev-${action}` })).toast).toEqual({ type: 'success', content: '已记录' });
    expect((await h.db.db.select().from(auditLog).where(eq(auditLog.action, action))).map((r) => r.entityId)).toEqual([`ev-${action}`]);
  });

  it('an error of that code after the COMMIT (the answer\'s reads) is not taken for a rollback', async () => {
    h.app.registry.cardAction({
      action: 'probe.readAborted',
      roles: ['public'],
      value: noValue,
      fast: async (fx) => {
        const client = postgresClient(fx.database);
        if (!client) return undefined;
        await pipelined(
          client,
          [(c) => c.unsafe(`insert into audit_log (actor, action, entity, entity_id) values ($1, 'probe.readAborted', 'probe', 'fast')`, [fx.openId]).execute()],
          [(c) => c.unsafe(`do $$ begin raise exception 'probe' using errcode = '40P01'; end $$`).execute()],
        );
        return { outcome: 'ok', answer: { toast: { type: 'success', content: 'fast' } } };
      },
      run: async (ctx) => {
        await audit(ctx.tx, { actor: ctx.actor.openId, action: 'probe.readAborted', entity: 'probe', entityId: ctx.eventId, at: ctx.clock.now() });
        return { toast: { type: 'success', content: '已记录' } };
      },
    });
    // not hidden: answered with the error toast (HTTP 200, as Feishu asks) and logged as a failure
    expect((await h.click(clicker, { action: 'probe.readAborted' }, {}, { eventId: 'ev-read' })).toast).toMatchObject(failedToast.toast!);
    expect(h.logs.some((l) => l.includes('card action failed') && l.includes('ev-read'))).toBe(true);
    // the write was kept; the ordinary path did not run on top of it
    expect((await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'probe.readAborted'))).map((r) => r.entityId)).toEqual(['fast']);
  });

  it('any other error of a one-statement path is not hidden', async () => {
    expect((await h.click(clicker, { action: 'probe.otherError' }, {}, { eventId: 'ev-other' })).toast).toMatchObject(failedToast.toast!);
    expect(h.logs.some((l) => l.includes('card action failed') && l.includes('ev-other'))).toBe(true);
    expect(await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'probe.otherError'))).toHaveLength(0);
  });
});
