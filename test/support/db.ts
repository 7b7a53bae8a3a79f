import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { type Database, openDatabase } from '../../db/index.js';

/** Real PostgreSQL when TEST_DATABASE_URL or DATABASE_URL is set (unless TEST_DB=pglite), embedded PGlite otherwise. */
export function testDatabaseKind(): 'postgres' | 'pglite' {
  if (process.env.TEST_DB === 'pglite') return 'pglite';
  return adminUrl() ? 'postgres' : 'pglite';
}

function adminUrl(): string | undefined {
  return process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;
}

export interface TestDatabase extends Database {
  /** A URL other processes can open (postgres only). */
  url?: string;
}

/** A fresh, migrated database of its own for one test file; dropped on close. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const base = adminUrl();
  if (testDatabaseKind() === 'pglite' || !base) {
    return openDatabase({});
  }
  const name = `test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), max: 20 });
  return {
    ...database,
    url: url.toString(),
    async close() {
      await database.close();
      const a = postgres(base, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}
