import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationsFolder, openDatabase } from '../../db/index.js';
import { rowsOf } from '../../src/outbox.js';
import { createTestDatabase, TEST_CONNECT_TIMEOUT_S, testDatabaseKind, type TestDatabase } from '../support/db.js';

/**
 * README, Deployment: any number of processes may share one PostgreSQL. After an upgrade that adds migrations, the
 * replicas started together (a deployment of 2, docker compose --scale bot=2) each run the migrator; drizzle's takes no
 * lock, so all but one applied the same migrations again and failed to start (`column … already exists`). Each waits
 * for the one migrating and finds nothing left to do.
 */
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase({ migrate: false });
});
afterAll(async () => {
  await database?.close();
});

describe.skipIf(testDatabaseKind() !== 'postgres')('replicas started together on a database to migrate', () => {
  it('all start, and each migration is applied once', async () => {
    const starts = await Promise.allSettled([0, 1, 2].map(() => openDatabase({ databaseUrl: database.url!, max: 2, connectTimeout: TEST_CONNECT_TIMEOUT_S })));
    for (const s of starts) if (s.status === 'fulfilled') await s.value.close();
    const failed = starts.filter((s) => s.status === 'rejected').map((s) => String((s as PromiseRejectedResult).reason?.message ?? '').split('\n')[0]);
    expect(failed).toEqual([]);
    const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: { when: number }[] };
    const recorded = rowsOf(await database.db.execute(sql`select created_at::text as at from drizzle.__drizzle_migrations order by id`)) as { at: string }[];
    expect(recorded.map((r) => Number(r.at))).toEqual(journal.entries.map((e) => e.when));
    // the lock is the session's, given back: nothing holds it once the starts are done (pg_locks is the cluster's: the
    // other test files' databases take advisory locks of their own meanwhile, so only this database's are counted)
    const held = rowsOf(
      await database.db.execute(sql`select count(*)::int as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`),
    ) as { n: number }[];
    expect(Number(held[0].n)).toBe(0);
  });
});
