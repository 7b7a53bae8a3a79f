import net from 'node:net';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/index.js';
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

  it('behind a pooler that refuses the jit startup parameter (PgBouncer: unsupported startup parameter), the pools connect without it', async () => {
    const target = new URL(database.url!);
    const refused: string[] = [];
    // PgBouncer's answer to a startup parameter it does not track: an ErrorResponse (FATAL, 08P01), then it closes
    const pooler = net.createServer((client) => {
      client.once('data', (startup) => {
        if (startup.includes(Buffer.from('jit\0'))) {
          refused.push('jit');
          const fields = Buffer.from('SFATAL\0VFATAL\0C08P01\0Munsupported startup parameter: jit\0\0');
          const header = Buffer.alloc(5);
          header.write('E', 0);
          header.writeInt32BE(fields.length + 4, 1);
          client.end(Buffer.concat([header, fields]));
          return;
        }
        const server = net.connect(Number(target.port), target.hostname, () => {
          server.write(startup);
          client.pipe(server).pipe(client);
        });
        server.on('error', () => client.destroy());
        client.on('error', () => server.destroy());
      });
    });
    await new Promise<void>((resolve) => pooler.listen(0, '127.0.0.1', resolve));
    const url = new URL(database.url!);
    url.port = String((pooler.address() as net.AddressInfo).port);
    const behind = await openDatabase({ databaseUrl: url.toString(), max: 2, migrate: false });
    try {
      expect(refused.length).toBeGreaterThan(0);
      const pool = rowsOf(await behind.db.execute(sql`select count(*)::int as n from cycles`)) as { n: number }[];
      expect(pool[0].n).toBe(0);
      const [row] = await behind.statements!`select 1 as one`;
      expect(row.one).toBe(1);
    } finally {
      await behind.close();
      await new Promise<void>((resolve) => pooler.close(() => resolve()));
    }
  });
});

