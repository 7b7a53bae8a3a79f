import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { reapedAfterTest } from '../support/children.js';
import { openDatabase } from '../../db/index.js';
import { organizations } from '../../db/schema.js';
import { backupLocalData, restoreLocalData } from '../../src/local/backup.js';
import { claimDataDir, LOCK_FILE, MARKER_FILE } from '../../src/local/dataDir.js';

/**
 * Local mode keeps the association's data on disk: DATA_DIR, everything in it and every backup are the owner's alone,
 * never readable by other users of the machine (folders 0700, files 0600), whatever the umask, the template's modes
 * (PGlite's initdb makes its files 0666) or the modes an earlier version left. Windows has no such modes.
 */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const newDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'modes-'));
  dirs.push(dir);
  return dir;
};

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

/** Every folder and file under dir whose mode is not the owner's alone, as "path mode" (symbolic links left out). */
function openToOthers(dir: string): string[] {
  const found: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (modeOf(path) !== '700') found.push(`${path} ${modeOf(path)}`);
      found.push(...openToOthers(path));
    } else if (e.isFile() && modeOf(path) !== '600') found.push(`${path} ${modeOf(path)}`);
  }
  return found;
}

/** The first write-ahead log segment, in every cluster PostgreSQL 17 makes. */
const walSegment = (dataDir: string) => join(dataDir, 'pg_wal', readdirSync(join(dataDir, 'pg_wal')).find((n) => /^[0-9A-F]{24}$/.test(n))!);

/** Whether this runs as root in a checkout whose tsx user nobody (65534) can load. */
function nobodyReadsCheckout(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(join(process.cwd(), 'node_modules', 'tsx', 'package.json'))})`], { uid: 65534, gid: 65534 });
  return probe.status === 0;
}

const silent = () => new Writable({ write: (_c, _e, cb) => cb() });

/** What the bot does with a folder: claim it, open PGlite (migrations), write a row, close, release. */
async function runOnce(dataDir: string) {
  const lock = claimDataDir(dataDir);
  const database = await openDatabase({ dataDir });
  try {
    await database.db.insert(organizations).values({ name: '广州市市政养护一公司' });
  } finally {
    await database.close();
    lock.release();
  }
}

describe.skipIf(process.platform === 'win32')('local data is the owner’s alone', () => {
  it('a new DATA_DIR is made 0700 with its files 0600, the write-ahead log too, and stays so after PGlite ran in it', async () => {
    const dataDir = join(newDir(), 'data');
    const lock = claimDataDir(dataDir);
    expect(modeOf(dataDir)).toBe('700');
    expect(modeOf(join(dataDir, MARKER_FILE))).toBe('600');
    expect(modeOf(join(dataDir, LOCK_FILE))).toBe('600');
    // the copy of the install-time template (0666 files, as PGlite's initdb made them)
    expect(openToOthers(dataDir)).toEqual([]);
    lock.release();

    await runOnce(dataDir);
    expect(modeOf(dataDir)).toBe('700');
    expect(modeOf(walSegment(dataDir))).toBe('600');
    // PGlite writes files of its own while it runs (pg_internal.init as the umask says); the release narrows them
    expect(openToOthers(dataDir)).toEqual([]);
  }, 120_000);

  it('a DATA_DIR an earlier version left open (0755, files 0666) is narrowed at start', async () => {
    const dataDir = join(newDir(), 'data');
    await runOnce(dataDir);
    for (const dir of [dataDir, join(dataDir, 'pg_wal'), join(dataDir, 'base')]) chmodSync(dir, 0o755);
    for (const file of [walSegment(dataDir), join(dataDir, 'PG_VERSION'), join(dataDir, 'postgresql.conf'), join(dataDir, MARKER_FILE)]) chmodSync(file, 0o666);

    const lock = claimDataDir(dataDir);
    lock.release();
    expect(modeOf(dataDir)).toBe('700');
    expect(modeOf(join(dataDir, 'pg_wal'))).toBe('700');
    expect(modeOf(walSegment(dataDir))).toBe('600');
    expect(openToOthers(dataDir)).toEqual([]);
  }, 120_000);

  // npm start itself: test/start.test.ts

  // another user (nobody) starts on a folder someone else owns: what it cannot narrow is said in one line, the rest is
  // narrowed. Needs root, and a checkout nobody can read (a clone inside a 0700 temporary folder is not)
  it.skipIf(!nobodyReadsCheckout())('a DATA_DIR the bot does not own is narrowed as far as it can, with one warning saying what to do', async () => {
    const parent = newDir();
    chmodSync(parent, 0o755);
    const dataDir = join(parent, 'data');
    mkdirSync(join(dataDir, 'pg_wal'), { recursive: true });
    writeFileSync(join(dataDir, 'PG_VERSION'), '17\n');
    writeFileSync(join(dataDir, 'pg_wal', '000000010000000000000001'), 'wal');
    for (const path of [join(dataDir, 'PG_VERSION'), join(dataDir, 'pg_wal'), join(dataDir, 'pg_wal', '000000010000000000000001')]) chownSync(path, 65534, 65534);
    chmodSync(join(dataDir, 'pg_wal', '000000010000000000000001'), 0o666);
    // the folder stays root's, open to all: nobody can write in it but not chmod it
    chmodSync(dataDir, 0o777);
    const script = join(parent, 'claim.mts');
    writeFileSync(script, `import { claimDataDir } from ${JSON.stringify(join(process.cwd(), 'src/local/dataDir.ts'))};\nclaimDataDir(${JSON.stringify(dataDir)}).release();\n`);
    chmodSync(script, 0o644);
    const child = reapedAfterTest(spawn(process.execPath, ['--import', 'tsx', script], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'pipe'] }));
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, stderr).toBe(0);
    expect(stderr.trim().split('\n')).toEqual([
      `DATA_DIR ${dataDir}: 1 of its files and folders could not be made the owner's alone (chmod failed, first ${dataDir} (EPERM)), so other users of this machine may read the association's data; run the bot as the folder's owner, or run chmod -R go-rwx ${dataDir}`,
    ]);
    expect(modeOf(dataDir)).toBe('777');
    expect(modeOf(join(dataDir, 'pg_wal', '000000010000000000000001'))).toBe('600');
    expect(modeOf(join(dataDir, MARKER_FILE))).toBe('600');
  }, 120_000);

  it('a backup is written 0600, even over a .part file an earlier attempt left 0644, and a restore is narrowed like a start', async () => {
    const parent = newDir();
    const dataDir = join(parent, 'data');
    await runOnce(dataDir);

    const archive = join(parent, 'gdsz-bot-backup-2026-12-02T150000.tar.gz');
    expect(await backupLocalData({ dataDir, now: new Date('2026-12-02T07:00:00Z'), timezone: 'Asia/Shanghai', output: silent() })).toBe(0);
    expect(modeOf(archive)).toBe('600');
    // what PGlite wrote while the backup had the folder open (pg_internal.init as the umask says) is narrowed too
    expect(openToOthers(dataDir)).toEqual([]);

    const named = join(parent, 'copy.tar.gz');
    writeFileSync(`${named}.part`, 'cut short');
    chmodSync(`${named}.part`, 0o644);
    expect(await backupLocalData({ dataDir, file: named, now: new Date(), timezone: 'Asia/Shanghai', output: silent() })).toBe(0);
    expect(modeOf(named)).toBe('600');
    expect(readdirSync(parent).sort()).toEqual(['copy.tar.gz', 'data', 'gdsz-bot-backup-2026-12-02T150000.tar.gz']);

    // a restore into a new folder, and into one that exists open (made by hand before the restore)
    const restored = join(parent, 'restored');
    expect(await restoreLocalData({ dataDir: restored, file: named, output: silent() })).toBe(0);
    expect(modeOf(restored)).toBe('700');
    expect(modeOf(walSegment(restored))).toBe('600');
    expect(openToOthers(restored)).toEqual([]);
    const byHand = join(parent, 'by-hand');
    mkdirSync(byHand, { mode: 0o755 });
    chmodSync(byHand, 0o755);
    expect(await restoreLocalData({ dataDir: byHand, file: archive, output: silent() })).toBe(0);
    expect(modeOf(byHand)).toBe('700');
    expect(lstatSync(join(byHand, 'PG_VERSION')).isFile()).toBe(true);
    expect(openToOthers(byHand)).toEqual([]);
  }, 120_000);
});
