import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statfsSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { type Database, migrationsFolder, openDatabase } from '../../db/index.js';
import { copyPgliteTemplate, pgliteTemplateDir } from '../../src/local/dataDir.js';

/** Real PostgreSQL when TEST_DATABASE_URL or DATABASE_URL is set (unless TEST_DB=pglite), embedded PGlite otherwise. */
export function testDatabaseKind(): 'postgres' | 'pglite' {
  if (process.env.TEST_DB === 'pglite') return 'pglite';
  return adminUrl() ? 'postgres' : 'pglite';
}

function adminUrl(): string | undefined {
  return process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;
}

/** Seconds a test database's pool waits for a new connection (the bot's own pool waits 2: db/index.ts). */
export const TEST_CONNECT_TIMEOUT_S = 30;

export interface TestDatabase extends Database {
  /** A URL other processes can open (postgres only). */
  url?: string;
}

/** A fresh, migrated database of its own for one test file (empty with `migrate: false`); dropped on close. */
export async function createTestDatabase(opts: { migrate?: false } = {}): Promise<TestDatabase> {
  const base = adminUrl();
  if (testDatabaseKind() === 'pglite' || !base) {
    return openPgliteCopy(opts.migrate === false ? await emptyPgliteDir() : await migratedPgliteDir());
  }
  const name = `test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  try {
    // a migrated database is a copy of the migrated template: the migrations run once per cluster, not once per file
    const template = opts.migrate === false ? undefined : await migratedTemplate(base, admin);
    await admin.unsafe(template ? `create database ${name} template ${template}${await fileCopy(admin)}` : `create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  // a new connection is given 30 s, not the bot's 2: under load a connection took longer, and the test failed on it
  const database = await openDatabase({ databaseUrl: url.toString(), max: 20, connectTimeout: TEST_CONNECT_TIMEOUT_S, ...opts, migrate: false });
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

let copyClause: Promise<string> | undefined;

/**
 * ` strategy file_copy` on PostgreSQL 15 and later: the template's few megabytes copied as files, not written block by
 * block through the write-ahead log (15's default), about a third less time for each test file's database.
 */
function fileCopy(admin: postgres.Sql): Promise<string> {
  copyClause ??= admin`show server_version_num`.then(([row]) => (Number(row.server_version_num) >= 150000 ? ' strategy file_copy' : ''));
  return copyClause;
}

/**
 * The name of a database of the cluster holding every migration and nothing else, made by the first file that needs it
 * (under a name of its own, then renamed: two workers may make one at once, and the loser drops its copy). Keyed like
 * the PGlite folder, so a new migration makes a new template. Nothing stays connected to it: CREATE DATABASE … TEMPLATE
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
  const database = await openDatabase({ databaseUrl: url.toString(), max: 1, connectTimeout: TEST_CONNECT_TIMEOUT_S });
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
 * PGlite's initdb takes about 2 s on a 2-core machine, and every test file opens at least one database: the first
 * file to need it makes one migrated data folder, and every later database is a copy of it on disk, opened as the bot
 * opens its DATA_DIR (0.2 s to copy, 0.2 s to start: half of loading a dump into memory, which also kept its 40 MB on
 * the JavaScript heap). Keyed by the PGlite version and the migrations, so a new migration makes a new one.
 */
async function migratedPgliteDir(): Promise<string> {
  return madeOnce(join(testFolder(), `pglite-migrated-${dumpKey()}`), async (building) => {
    copyPgliteTemplate(building);
    await (await openDatabase({ dataDir: building })).close();
  });
}

/**
 * An initialised data folder holding no migration, made once like the migrated one: PGlite's initdb in memory took
 * 6–8 s a database on a loaded machine, a copy takes a fraction of a second. Keyed by the PGlite version alone.
 */
async function emptyPgliteDir(): Promise<string> {
  const version = createHash('sha256').update(pgliteTemplateDir() ?? 'pglite').digest('hex').slice(0, 16);
  return madeOnce(join(testFolder(), `pglite-empty-${version}`), async (building) => {
    await (await openDatabase({ dataDir: building, migrate: false })).close();
  });
}

/** A data folder `make` fills, made by the first process to need it: two workers may make one at once, each in a folder of its own, and the rename is atomic; the loser's copy goes. */
async function madeOnce(dir: string, make: (building: string) => Promise<void>): Promise<string> {
  if (existsSync(join(dir, 'PG_VERSION'))) {
    // in use: not pruned (pruneOldFolders)
    const now = new Date();
    utimesSync(dir, now, now);
    return dir;
  }
  const building = `${dir}.${process.pid}.building`;
  rmSync(building, { recursive: true, force: true });
  await make(building);
  try {
    renameSync(building, dir);
  } catch (err) {
    if (!existsSync(join(dir, 'PG_VERSION'))) throw err;
    rmSync(building, { recursive: true, force: true });
  }
  return dir;
}

/**
 * Copies of a made folder (migrated or empty) this process opened and has not closed, removed when it exits; a worker that ends
 * without exiting (vitest stops its forks) leaves its own, which the next process to open one removes (their pid is gone).
 */
const openCopies = new Set<string>();
let tidied = false;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Copies and half-made folders of processes that are gone. */
function removeLeftovers(folder: string): void {
  for (const name of readdirSync(folder)) {
    const pid = Number(/^db-(\d+)-/.exec(name)?.[1] ?? /\.(\d+)\.building$/.exec(name)?.[1]);
    if (pid && pid !== process.pid && !alive(pid)) rmSync(join(folder, name), { recursive: true, force: true });
  }
}

async function openPgliteCopy(migrated: string): Promise<Database> {
  if (!tidied) {
    tidied = true;
    removeLeftovers(testFolder());
    process.once('exit', () => {
      for (const d of openCopies) rmSync(d, { recursive: true, force: true });
    });
  }
  const copy = mkdtempSync(join(testFolder(), `db-${process.pid}-`));
  openCopies.add(copy);
  cpSync(migrated, copy, { recursive: true });
  const database = await openDatabase({ dataDir: copy, migrate: false });
  return {
    ...database,
    async close() {
      await database.close();
      rmSync(copy, { recursive: true, force: true });
      openCopies.delete(copy);
    },
  };
}

let folder: string | undefined;

/**
 * Where the PGlite copies go: memory (/dev/shm) when it is a tmpfs with room, else the temporary folder. Every test
 * file copies a 40 MB folder and PGlite writes into it; on this project's 2-core VMs 60 database files took 98–114 s
 * with the copies on disk (57–66 s of it in the kernel) and 68–80 s in memory (22–25 s).
 */
function testFolder(): string {
  if (folder) return folder;
  const TMPFS = 0x01021994;
  const inMemory = (dir: string, room: number) => {
    try {
      const fs = statfsSync(dir);
      return fs.type === TMPFS && fs.bavail * fs.bsize >= room;
    } catch {
      return false;
    }
  };
  // a temporary folder already in memory (.ci/run sets TMPDIR so) is used as it is, and goes with it
  const base = inMemory(tmpdir(), 0) || !inMemory('/dev/shm', 4 * 2 ** 30) ? tmpdir() : '/dev/shm';
  folder = join(base, 'gdsz-bot-test');
  mkdirSync(folder, { recursive: true });
  pruneOldFolders(folder);
  return folder;
}

/** Made folders of other migrations untouched for a day: in memory, each keeps its 40 MB until the machine restarts. */
function pruneOldFolders(dir: string): void {
  const dayAgo = Date.now() - 86_400_000;
  for (const name of readdirSync(dir)) {
    if (!/^pglite-(migrated|empty)-[0-9a-f]{16}$/.test(name)) continue;
    const path = join(dir, name);
    try {
      if (statSync(path).mtimeMs < dayAgo) rmSync(path, { recursive: true, force: true });
    } catch {
      // another process removed it first
    }
  }
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
