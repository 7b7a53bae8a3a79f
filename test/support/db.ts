import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { type Database, migrationsFolder, openDatabase } from '../../db/index.js';
import { pgliteTemplateDir } from '../../src/local/dataDir.js';

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

/** A fresh, migrated database of its own for one test file (empty with `migrate: false`); dropped on close. */
export async function createTestDatabase(opts: { migrate?: false } = {}): Promise<TestDatabase> {
  const base = adminUrl();
  if (testDatabaseKind() === 'pglite' || !base) {
    return opts.migrate === false ? openDatabase({ migrate: false }) : openDatabase({ loadDataDir: await migratedPgliteDump() });
  }
  const name = `test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  try {
    // a migrated database is a copy of the migrated template: the migrations run once per cluster, not once per file
    const template = opts.migrate === false ? undefined : await migratedTemplate(base, admin);
    await admin.unsafe(template ? `create database ${name} template ${template}` : `create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), max: 20, ...opts, migrate: false });
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

/**
 * The name of a database of the cluster holding every migration and nothing else, made by the first file that needs it
 * (under a name of its own, then renamed: two workers may make one at once, and the loser drops its copy). Keyed like
 * the PGlite dump, so a new migration makes a new template. Nothing stays connected to it: CREATE DATABASE … TEMPLATE
 * refuses a template in use.
 */
async function migratedTemplate(base: string, admin: postgres.Sql): Promise<string> {
  const template = `test_template_${dumpKey()}`;
  const [found] = await admin`select 1 from pg_database where datname = ${template}`;
  if (found) return template;
  const building = `${template}_${process.pid}_${randomBytes(3).toString('hex')}`;
  await admin.unsafe(`create database ${building}`);
  const url = new URL(base);
  url.pathname = `/${building}`;
  const database = await openDatabase({ databaseUrl: url.toString(), max: 1 });
  await database.close();
  try {
    await admin.unsafe(`alter database ${building} rename to ${template}`);
  } catch (err) {
    // 42P04: another worker's template got there first
    if ((err as { code?: string }).code !== '42P04') throw err;
    await admin.unsafe(`drop database if exists ${building} with (force)`);
  }
  return template;
}

/**
 * PGlite's initdb takes about 2 s on a 2-core machine, and every test file opens at least one database: the
 * first file to need it makes one migrated database, dumps it, and every later one loads the dump (0.3 s).
 * Keyed by the PGlite version and the migrations, so a new migration makes a new dump.
 */
async function migratedPgliteDump(): Promise<Blob> {
  const file = join(tmpdir(), 'gdsz-bot-test', `pglite-migrated-${dumpKey()}.tar`);
  if (!existsSync(file)) {
    const fresh = await openDatabase({});
    const client = (fresh.db as unknown as { $client: { dumpDataDir(c: 'none'): Promise<Blob> } }).$client;
    const dump = Buffer.from(await (await client.dumpDataDir('none')).arrayBuffer());
    await fresh.close();
    mkdirSync(join(tmpdir(), 'gdsz-bot-test'), { recursive: true });
    // two workers may make it at once: each writes its own file and the rename is atomic
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, dump);
    renameSync(partial, file);
  }
  return new Blob([readFileSync(file)]);
}

function dumpKey(): string {
  const hash = createHash('sha256').update(pgliteTemplateDir() ?? 'pglite');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, name.name);
      hash.update(name.name);
      if (name.isDirectory()) walk(path);
      else hash.update(readFileSync(path));
    }
  };
  walk(migrationsFolder);
  return hash.digest('hex').slice(0, 16);
}
