import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatBindings, outbox, people } from '../../db/schema.js';
import { adminDestinationsSql, adminOutboxQuery, outboxSpecsSql } from '../../src/fast/sql.js';
import { adminDestinations, destinationKey } from '../../src/notifications.js';
import { enqueueQuietly, rowsOf } from '../../src/outbox.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

/** The SQL pieces of the one-statement actions answer what the TypeScript they mirror answers, on the same rows. */
describe('one-statement pieces against the functions they mirror', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });

  const bootstrap = ['ou_boot_b', 'ou_admin_a'];
  const fromSql = async () => {
    const rows = await db.db.execute(sql.raw(`select * from (${adminDestinationsSql(`'{${bootstrap.join(',')}}'`)}) d order by receiver`));
    return (rowsOf(rows) as { receive_id_type: string; receiver: string; dest_key: string }[]).map((r) => ({ ...r }));
  };
  const fromTs = async () =>
    (await adminDestinations(db.db, bootstrap))
      .map((to) => ({ receive_id_type: 'chatId' in to ? 'chat_id' : 'open_id', receiver: 'chatId' in to ? to.chatId : (to as { openId: string }).openId, dest_key: destinationKey(to) }))
      .sort((a, b) => a.receiver.localeCompare(b.receiver));

  it('administrators in p2p: the bootstrap ids and the people with the role, once each, none pending', async () => {
    await db.db.insert(people).values([
      { openId: 'ou_admin_a', roles: ['admin'] },
      { openId: 'ou_admin_c', roles: ['admin', 'expert'] },
      { openId: 'pending:13800000000', roles: ['admin'] },
      { openId: 'ou_expert_d', roles: ['expert'] },
    ]);
    const ts = await fromTs();
    expect(ts.map((d) => d.receiver)).toEqual(['ou_admin_a', 'ou_admin_c', 'ou_boot_b', 'pending:13800000000']);
    // the TypeScript lists the pending person and enqueueQuietly skips it; the SQL leaves it out at once
    expect(await fromSql()).toEqual(ts.filter((d) => !d.receiver.startsWith('pending:')));
  });

  it('a bound admin group replaces them', async () => {
    await db.db.insert(chatBindings).values([
      { chatId: 'oc_admins_2', purpose: 'admin', boundBy: 'ou_admin_a' },
      { chatId: 'oc_admins_1', purpose: 'admin', boundBy: 'ou_admin_a' },
      { chatId: 'oc_experts', purpose: 'experts', boundBy: 'ou_admin_a' },
    ]);
    const ts = await fromTs();
    expect(ts.map((d) => d.dest_key)).toEqual(['chat:oc_admins_1', 'chat:oc_admins_2']);
    expect(await fromSql()).toEqual(ts);
  });

  it('the outbox rows it inserts are the rows enqueueQuietly writes, but for the time', async () => {
    const spec = { kind: 'fastSqlTest', id: 7 };
    await db.db.execute(sql.raw(`with admin_to as (${adminDestinationsSql(`'{}'`)}) ${outboxSpecsSql('admin_to', `'fast:sql'`, `'${JSON.stringify(spec)}'::jsonb`)}`));
    for (const to of await adminDestinations(db.db, [])) await enqueueQuietly(db.db, { dedupeKey: `ts:sql:${destinationKey(to)}`, to, render: spec, priority: 'bulk' });
    const rows = await db.db.select().from(outbox).orderBy(outbox.dedupeKey);
    const shape = (r: (typeof rows)[number]) => ({ key: r.dedupeKey.replace(/^(fast|ts):sql:/, ''), kind: r.kind, type: r.receiveIdType, receiver: r.receiver, rateKey: r.rateKey, msgType: r.msgType, priority: r.priority, card: r.card, status: r.status });
    const fast = rows.filter((r) => r.dedupeKey.startsWith('fast:')).map(shape);
    expect(fast).toHaveLength(2);
    expect(fast).toEqual(rows.filter((r) => r.dedupeKey.startsWith('ts:')).map(shape));
  });

  it('a card to the administrators in one statement: the rows a send to each destination writes, the actor’s own first', async () => {
    await db.db.delete(chatBindings);
    await db.db.delete(outbox);
    const card = { schema: '2.0', body: { elements: [{ tag: 'markdown', content: '**通知** <at id=all></at>' }] } };
    const boot = ['ou_boot_b'];
    await db.db.execute(adminOutboxQuery({ dedupeKey: 'fast:admins', card }, boot, 'ou_admin_c'));
    for (const to of await adminDestinations(db.db, boot)) {
      const own = 'openId' in to && to.openId === 'ou_admin_c';
      await enqueueQuietly(db.db, { dedupeKey: `ts:admins:${destinationKey(to)}`, to, card, priority: own ? 'interactive' : 'bulk' });
    }
    const rows = await db.db.select().from(outbox).orderBy(outbox.dedupeKey);
    const shape = (r: (typeof rows)[number]) => ({ key: r.dedupeKey.replace(/^(fast|ts):admins:/, ''), kind: r.kind, type: r.receiveIdType, receiver: r.receiver, rateKey: r.rateKey, msgType: r.msgType, priority: r.priority, card: r.card, status: r.status });
    const fast = rows.filter((r) => r.dedupeKey.startsWith('fast:')).map(shape);
    expect(fast.map((r) => [r.receiver, r.priority])).toEqual([['ou_admin_a', 1], ['ou_admin_c', 0], ['ou_boot_b', 1]]);
    expect(fast).toEqual(rows.filter((r) => r.dedupeKey.startsWith('ts:')).map(shape));
    // queued again (a retried event): nothing new
    await db.db.execute(adminOutboxQuery({ dedupeKey: 'fast:admins', card }, boot, 'ou_admin_c'));
    expect(await db.db.select().from(outbox)).toHaveLength(rows.length);
    // no bootstrap id and nobody with the role beyond: still the people with the role
    await db.db.execute(adminOutboxQuery({ dedupeKey: 'fast:none', card }, []));
    expect((await db.db.select().from(outbox)).filter((r) => r.dedupeKey.startsWith('fast:none:')).map((r) => r.receiver).sort()).toEqual(['ou_admin_a', 'ou_admin_c']);
  });
});
