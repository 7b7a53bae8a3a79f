import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../../db/index.js';
import { rowsOf } from '../../src/outbox.js';
import { createTestDatabase, testDatabaseKind, type TestDatabase } from '../support/db.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const tables = [
  'applications', 'assignments', 'audit_log', 'chat_bindings', 'code_sequences', 'complaints', 'conflicts', 'cycles',
  'honours', 'job_runs', 'organizations', 'outbox', 'people', 'processed_events', 'team_members', 'teams',
];

describe(`migrations on ${testDatabaseKind()}`, () => {
  it('create every table of the data model', async () => {
    const result = await database.db.execute(sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`);
    const names = (rowsOf(result) as { table_name: string }[]).map((r) => r.table_name);
    for (const t of tables) expect(names).toContain(t);
  });

  it('name the columns as the data model (DESIGN.md) does', async () => {
    const named: Record<string, string[]> = {
      teams: ['code', 'registered_at', 'status'],
      team_members: ['role'],
      people: ['open_id', 'name', 'roles'],
      cycles: ['year', 'score_sheet', 'status'],
      applications: ['form', 'declarations', 'endorsement', 'status', 'final_score', 'decision'],
      assignments: ['scores', 'total', 'status'],
      honours: ['team_id', 'year', 'revoked_at', 'reason'],
      complaints: ['team_id', 'content', 'channel', 'status'],
      chat_bindings: ['chat_id', 'purpose'],
      outbox: ['dedupe_key', 'receiver', 'card', 'status', 'attempts', 'next_attempt_at', 'last_error'],
      processed_events: ['event_id'],
      job_runs: ['job', 'period'],
      audit_log: ['at', 'actor', 'action', 'entity', 'entity_id', 'details'],
    };
    const result = await database.db.execute(sql`select table_name, column_name from information_schema.columns where table_schema = 'public'`);
    const columns = new Map<string, string[]>();
    for (const r of rowsOf(result) as { table_name: string; column_name: string }[]) columns.set(r.table_name, [...(columns.get(r.table_name) ?? []), r.column_name]);
    for (const [table, wanted] of Object.entries(named)) expect(columns.get(table), table).toEqual(expect.arrayContaining(wanted));
  });

  it('apply again without change', async () => {
    await migrateDatabase(database);
    const result = await database.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
    expect(Number((rowsOf(result)[0] as { n: number }).n)).toBeGreaterThanOrEqual(1);
  });

  it('allow one running cycle at a time', async () => {
    const insert = (year: number) =>
      database.db.execute(sql`insert into cycles (year, status, application_deadline, scoring_deadline, review_meeting_date, score_sheet)
        values (${year}, 'open', '2026-05-31', '2026-06-30', '2026-07-15', '{}'::jsonb)`);
    await insert(2026);
    await expect(insert(2027)).rejects.toThrow();
  });
});
