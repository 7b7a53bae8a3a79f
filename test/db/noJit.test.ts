import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/outbox.js';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../support/db.js';

/**
 * The bot's connections start with PostgreSQL's JIT off (db/index.ts `botSession`): a statement the planner costs over
 * jit_above_cost was compiled before it ran, 230 ms of 截止申报's 280 with 10 000 applications. A statement costed so
 * here is planned with JIT on a plain connection to the same server and without it on both of the bot's pools.
 */
const COSTLY = 'select sum(g) from generate_series(1, 50000000) g';

type Plan = [{ Plan: unknown; JIT?: unknown }];

describe.skipIf(testDatabaseKind() !== 'postgres')('the bot plans without JIT (PostgreSQL)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  it('a plain connection to the server compiles the statement; the bot’s pool and its statements’ connections do not', async () => {
    const plain = postgres(database.url!, { max: 1, onnotice: () => {} });
    try {
      const [{ jit }] = await plain`show jit`;
      // a server built without LLVM (or configured jit = off) has nothing to turn off: the case this test is about is absent
      if (jit !== 'on') return void expect(jit).toBe('off');
      const [row] = await plain.unsafe(`explain (format json, analyze false) ${COSTLY}`);
      const planned = (row['QUERY PLAN'] as Plan)[0];
      // the server's own settings would JIT-compile it (whether LLVM is installed shows only when it runs)
      expect(Number((await plain`show jit_above_cost`)[0].jit_above_cost)).toBeLessThan(Number((planned.Plan as { 'Total Cost': number })['Total Cost']));
    } finally {
      await plain.end();
    }
    const pool = rowsOf(await database.db.execute(sql`show jit`)) as { jit: string }[];
    expect(pool[0].jit).toBe('off');
    const [statements] = await database.statements!`show jit`;
    expect(statements.jit).toBe('off');
  });
});
