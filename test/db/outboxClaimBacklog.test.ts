import { sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { createLogger } from '../../src/log.js';
import { enqueueMany, OutboxDispatcher, rowsOf } from '../../src/outbox.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

/**
 * After 截止申报 the outbox holds tens of thousands of task cards, and the claim runs a few times a second for as long
 * as they drain: it must read the rows due in its order only as far as one batch, not read and sort the whole backlog
 * (30 000 rows: 60–180 ms a claim, while the rate window's freed slots wait for it).
 */
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const BACKLOG = 3000;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

function outboxScans(node: PlanNode, out: { type: string; rows: number }[] = []) {
  if (node['Relation Name'] === 'outbox') out.push({ type: node['Node Type'], rows: (node['Actual Rows'] ?? 0) * (node['Actual Loops'] ?? 1) });
  for (const child of node.Plans ?? []) outboxScans(child, out);
  return out;
}

it('claims one batch out of a backlog of thousands reading no more than a few batches of it', async () => {
  const { db } = database;
  const messages = Array.from({ length: BACKLOG }, (_, i) => ({
    dedupeKey: `review:task:backlog-${i}`,
    to: { openId: `ou_backlog_expert_${i % 500}` },
    card: { schema: '2.0', body: { elements: [{ tag: 'markdown', content: `task ${i}` }] } },
  }));
  await db.transaction((tx) => enqueueMany(tx, messages));
  await db.execute(sql`analyze outbox`);

  // the claim's statements as the dispatcher runs them, kept to be explained
  const statements: SQL[] = [];
  const watched = new Proxy(db, {
    get(target, key, receiver) {
      if (key !== 'transaction') return Reflect.get(target, key, receiver);
      return (work: (tx: Db) => Promise<unknown>) =>
        target.transaction((tx) =>
          work(
            new Proxy(tx, {
              get(t, k, r) {
                if (k !== 'execute') return Reflect.get(t, k, r);
                return (query: SQL) => {
                  statements.push(query);
                  return t.execute(query);
                };
              },
            }),
          ),
        );
    },
  }) as Db;
  const dispatcher = new OutboxDispatcher({ db: watched, transport: { deliver: async () => ({ ok: true }) }, log: createLogger('silent') });
  const claimed = await dispatcher.claim();
  expect(claimed).toHaveLength(50);
  // the batch is the oldest rows, one to an expert
  expect(claimed.map((r) => r.dedupeKey)).toEqual(messages.slice(0, 50).map((m) => m.dedupeKey));

  const claim = statements.find((s) => JSON.stringify(s.queryChunks).includes('for update skip locked'));
  expect(claim).toBeDefined();
  // the same statement again, explained with what it did, and undone: with the batch unclaimed again, or the second
  // second's budget would be spent and it would read nothing
  let plan: PlanNode | undefined;
  await db
    .transaction(async (tx) => {
      await tx.execute(sql`update outbox set status = 'pending', claimed_at = null, attempts = 0`);
      const [row] = rowsOf(await tx.execute(sql`explain (analyze, format json) ${claim}`)) as { 'QUERY PLAN': { Plan: PlanNode }[] | string }[];
      const json = row['QUERY PLAN'];
      plan = (typeof json === 'string' ? (JSON.parse(json) as { Plan: PlanNode }[]) : json)[0].Plan;
      throw new Error('rolled back');
    })
    .catch((err: Error) => {
      if (err.message !== 'rolled back') throw err;
    });
  const scans = outboxScans(plan!);
  // the batch claimed again
  expect(scans.find((s) => s.type === 'ModifyTable')?.rows).toBe(50);
  // a batch of 50 looks at 4 batches' worth of rows (several receivers may each take only 5): never the backlog
  const largest = Math.max(...scans.filter((s) => s.type !== 'ModifyTable').map((s) => s.rows));
  expect(largest, JSON.stringify(scans)).toBeLessThanOrEqual(50 * 4);
});
