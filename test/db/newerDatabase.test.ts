import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase, migrationsFolder } from '../../db/index.js';
import { parseConfig } from '../../src/config.js';
import { rowsOf } from '../../src/outbox.js';
import { startupProblem } from '../../src/startup.js';
import { createTestDatabase, testDatabaseKind, type TestDatabase } from '../support/db.js';

/**
 * A rollback of the code, or a backup a newer version made restored: the database holds a migration this version does
 * not have. Drizzle's migrator applies only migrations later than the last recorded and never looks for unknown ones,
 * so the old code would start on a schema it never made and fail at the users' clicks (v3's 注册 against 0010 failed
 * every registration: its ON CONFLICT ("name") had lost its constraint in 0005). The start refuses it in one line.
 */
let database: TestDatabase;
let newer: string;
beforeAll(async () => {
  database = await createTestDatabase();
  const [last] = rowsOf(await database.db.execute(sql`select max(created_at)::text as m from drizzle.__drizzle_migrations`)) as { m: string }[];
  newer = String(BigInt(last.m) + 86_400_000n);
  // what a newer version's migrator leaves: its next migration recorded, and the schema changed by it
  await database.db.execute(sql.raw(`insert into drizzle.__drizzle_migrations (hash, created_at) values ('${'f'.repeat(64)}', ${newer})`));
  await database.db.execute(sql`alter table teams add column "from_the_future" text not null default 'x'`);
});
afterAll(async () => {
  await database?.close();
});

/** The number the newer version gave its next migration: 0011 after this version's 0000–0010. */
const nextNumber = () => String((JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] }).entries.length).padStart(4, '0');

const recorded = async () => rowsOf(await database.db.execute(sql`select hash, created_at::text as at from drizzle.__drizzle_migrations order by id`));

describe(`a database ahead of the code on ${testDatabaseKind()}`, () => {
  it('is refused at start in one line naming the migration, blaming neither DATABASE_URL nor DATA_DIR, and left as it was', async () => {
    const before = await recorded();
    const err = await migrateDatabase(database).then(() => undefined, (e: unknown) => e);
    const day = new Date(Number(newer)).toISOString().slice(0, 10);
    const line = `the database was migrated by a newer version of the bot (migration ${nextNumber()} of ${day}, which this version does not have); run that version, or restore a backup made by this one`;
    expect((err as Error)?.message).toBe(line);
    const server = parseConfig({
      LARK_APP_ID: 'cli_test_placeholder', LARK_APP_SECRET: 'placeholder-not-a-secret', LARK_EVENT_MODE: 'http', LARK_ENCRYPT_KEY: 'placeholder-key', LARK_VERIFICATION_TOKEN: 'placeholder-token',
      DATABASE_URL: 'postgres://bot@db.example.internal:5432/bot',
    });
    // Chinese first, the English line naming the migration in brackets, as npm start's other lines
    const said = `数据库已被更新版本的机器人迁移过，这个版本不能打开它：请运行那个更新的版本，或恢复用这个版本做的备份（${line}）`;
    expect(startupProblem(err, server)).toBe(said);
    expect(startupProblem(err, parseConfig({ DATA_DIR: '/srv/gdsz/data' }))).toBe(said);
    expect(await recorded()).toEqual(before);
  });

  it('starts once the unknown migration is gone (the database restored from a backup this version made)', async () => {
    await database.db.execute(sql.raw(`delete from drizzle.__drizzle_migrations where created_at = ${newer}`));
    await expect(migrateDatabase(database)).resolves.toBeUndefined();
  });
});
