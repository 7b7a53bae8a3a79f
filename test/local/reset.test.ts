import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE, MARKER_FILE } from '../../src/local/dataDir.js';
import { resetLocalData } from '../../src/local/reset.js';

const dirs: string[] = [];
/** The folders reset kept beside `dir`. */
const keptBeside = (dir: string) => readdirSync(dirname(dir)).filter((n) => n.startsWith(`${basename(dir)}.before-reset-`)).map((n) => join(dirname(dir), n));

afterAll(() => {
  for (const d of dirs) for (const f of [d, ...keptBeside(d)]) rmSync(f, { recursive: true, force: true });
});

/** A directory shaped like PGlite's: PG_VERSION and a subfolder, with the bot's marker unless it is a user's folder. */
function dataDir(madeByBot = true): string {
  const dir = mkdtempSync(join(tmpdir(), 'reset-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'PG_VERSION'), '17\n');
  if (madeByBot) writeFileSync(join(dir, MARKER_FILE), 'made by the bot\n');
  mkdirSync(join(dir, 'base'));
  writeFileSync(join(dir, 'base', '1'), 'x');
  return dir;
}

async function reset(dir: string, opts: { answer?: string; yes?: boolean; databaseUrl?: string; noCopy?: boolean; now?: Date } = {}) {
  let said = '';
  const output = new Writable({
    write(chunk, _enc, cb) {
      said += String(chunk);
      cb();
    },
  });
  const input = Readable.from(opts.answer === undefined ? [] : [opts.answer]);
  const code = await resetLocalData({ dataDir: dir, databaseUrl: opts.databaseUrl, yes: opts.yes, noCopy: opts.noCopy, now: opts.now, input, output });
  return { code, said };
}

describe('npm run reset', () => {
  it('wipes the PGlite data after a yes', async () => {
    const dir = dataDir();
    const { code, said } = await reset(dir, { answer: 'y\n' });
    expect(code).toBe(0);
    expect(said).toContain('[y/N]');
    expect(said).toContain(`wiped ${dir}`);
    expect(existsSync(dir)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('keeps everything on no, on an empty answer and when stdin is closed', async () => {
    for (const answer of ['n\n', '\n', undefined]) {
      const dir = dataDir();
      const { code, said } = await reset(dir, { answer });
      expect(code).toBe(0);
      expect(said).toContain('not wiped');
      expect(readdirSync(dir).sort()).toEqual([MARKER_FILE, 'PG_VERSION', 'base'].sort());
    }
  });

  it('does not ask with --yes', async () => {
    const dir = dataDir();
    const { said } = await reset(dir, { yes: true });
    expect(said).not.toContain('[y/N]');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('keeps what it wipes: the database is moved whole beside the folder, which the bot can start on again', async () => {
    const dir = dataDir();
    writeFileSync(join(dir, LOCK_FILE), '2147483646\n');
    const { code, said } = await reset(dir, { answer: 'y\n', now: new Date('2026-12-06T22:15:00.500Z') });
    expect(code).toBe(0);
    const kept = `${dir}.before-reset-2026-12-06T221500Z`;
    expect(keptBeside(dir)).toEqual([kept]);
    expect(said).toContain(`已清空 ${dir}；原来的数据整个移到了 ${kept}，要再用它：DATA_DIR="${kept}" npm start`);
    expect(said).toContain(`（wiped ${dir}; the data it held was moved whole to ${kept}`);
    // the database and the marker, without the lock reset held
    expect(readdirSync(kept).sort()).toEqual([MARKER_FILE, 'PG_VERSION', 'base'].sort());
    expect(readFileSync(join(kept, 'base', '1'), 'utf8')).toBe('x');
    expect(readdirSync(dir)).toEqual([]);

    // a second reset the same second keeps its own copy
    writeFileSync(join(dir, 'PG_VERSION'), '17\n');
    writeFileSync(join(dir, MARKER_FILE), 'made by the bot\n');
    expect((await reset(dir, { yes: true, now: new Date('2026-12-06T22:15:00.900Z') })).code).toBe(0);
    expect(keptBeside(dir).sort()).toEqual([kept, `${kept}-2`]);
  });

  it('keeps the folder a linked DATA_DIR names beside that folder, the link still leading to the (now empty) data folder', async () => {
    const target = dataDir();
    const link = `${target}-link`;
    symlinkSync(target, link);
    dirs.push(link);
    const { code } = await reset(link, { yes: true, now: new Date('2026-12-06T22:15:00Z') });
    expect(code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readdirSync(link)).toEqual([]);
    expect(readdirSync(`${target}.before-reset-2026-12-06T221500Z`)).toEqual(expect.arrayContaining([MARKER_FILE, 'PG_VERSION', 'base']));
  });

  it("keeps a database's files without PG_VERSION, which npm start refuses and says to keep a copy of first", async () => {
    const dir = dataDir();
    rmSync(join(dir, 'PG_VERSION'));
    const { code } = await reset(dir, { yes: true, now: new Date('2026-12-06T22:16:00Z') });
    expect(code).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
    expect(readdirSync(`${dir}.before-reset-2026-12-06T221600Z`).sort()).toEqual([MARKER_FILE, 'base']);
  });

  it('keeps no copy with --no-copy', async () => {
    const dir = dataDir();
    const { code, said } = await reset(dir, { yes: true, noCopy: true });
    expect(code).toBe(0);
    expect(said).toContain(`wiped ${dir}`);
    expect(readdirSync(dir)).toEqual([]);
    expect(keptBeside(dir)).toEqual([]);
  });

  it('refuses when DATABASE_URL is set: a server database is never wiped', async () => {
    const dir = dataDir();
    const { code, said } = await reset(dir, { yes: true, databaseUrl: 'postgres://bot@db.example/prod' });
    expect(code).toBe(1);
    // Chinese first, the English in brackets
    expect(said).toMatch(/^重置被拒绝：设置了 DATABASE_URL。.*（reset refused: DATABASE_URL is set/);
    expect(readdirSync(dir).sort()).toEqual([MARKER_FILE, 'PG_VERSION', 'base'].sort());
  });

  it('refuses a folder the bot did not make, even one shaped like a database, and leaves it alone', async () => {
    const dir = dataDir(false);
    writeFileSync(join(dir, 'thesis.docx'), 'a user file');
    const { code, said } = await reset(dir, { yes: true });
    expect(code).toBe(1);
    expect(said.trim()).toBe(`重置被拒绝：${dir} 中没有 ${MARKER_FILE}，不是机器人建立的文件夹，不会动它：请检查 DATA_DIR（reset refused: ${dir} has no ${MARKER_FILE}, so the bot did not make it; not touching it）`);
    expect(readdirSync(dir).sort()).toEqual(['PG_VERSION', 'base', 'thesis.docx']);
  });

  it('refuses while a live process holds the folder, and takes over a stale lock', async () => {
    const dir = dataDir();
    // pid 1 is alive on every machine and is never this test
    writeFileSync(join(dir, LOCK_FILE), '1\n');
    const held = await reset(dir, { yes: true });
    expect(held.code).toBe(1);
    expect(held.said).toContain(`is in use by process 1`);
    expect(readdirSync(dir)).toContain('PG_VERSION');

    // a pid no process has: the lock is stale
    writeFileSync(join(dir, LOCK_FILE), '2147483646\n');
    const stale = await reset(dir, { yes: true });
    expect(stale.code).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });
});
