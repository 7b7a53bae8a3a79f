import { constants, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

/**
 * PGlite's initdb on an empty DATA_DIR takes 3–5 s on a 2-core machine, most of a first start. `npm ci` makes
 * one initialised (empty, unmigrated) data directory per PGlite version under node_modules/.cache, and a
 * first start copies it: a fraction of a second. Migrations still run on every start, as before.
 */

const require = createRequire(import.meta.url);

function pgliteVersion(): string | undefined {
  try {
    const main = require.resolve('@electric-sql/pglite');
    for (let dir = dirname(main); dir !== dirname(dir); dir = dirname(dir)) {
      const pkg = join(dir, 'package.json');
      if (existsSync(pkg)) {
        const json = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string; version?: string };
        if (json.name === '@electric-sql/pglite') return json.version;
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** node_modules/.cache/gdsz-bot/pglite-<version>, next to the installed PGlite. */
export function pgliteTemplateDir(): string | undefined {
  const version = pgliteVersion();
  if (!version) return undefined;
  const main = require.resolve('@electric-sql/pglite');
  const nodeModules = main.slice(0, main.lastIndexOf('node_modules') + 'node_modules'.length);
  return join(nodeModules, '.cache', 'gdsz-bot', `pglite-${version}`);
}

/** A PGlite (PostgreSQL) data directory: PG_VERSION is what PGlite itself looks for. */
export const isPgliteDataDir = (dir: string) => existsSync(join(dir, 'PG_VERSION'));

const isEmptyOrMissing = (dir: string) => !existsSync(dir) || readdirSync(dir).length === 0;

/** Runs initdb once into the template directory (install time); returns it, or undefined when there is one already. */
export async function buildPgliteTemplate(): Promise<string | undefined> {
  const target = pgliteTemplateDir();
  if (!target || isPgliteDataDir(target)) return undefined;
  const building = `${target}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  const { PGlite } = await import('@electric-sql/pglite');
  const pg = new PGlite(building);
  await pg.waitReady;
  await pg.close();
  if (isPgliteDataDir(target)) {
    // another install made it meanwhile: keep theirs
    rmSync(building, { recursive: true, force: true });
    return undefined;
  }
  rmSync(target, { recursive: true, force: true });
  renameSync(building, target);
  return target;
}

/**
 * Fills an empty or missing DATA_DIR from the template; false (and PGlite runs initdb itself) when there is no
 * template or the directory holds anything. PG_VERSION is copied last, so an interrupted copy is not taken for a database.
 */
export function copyPgliteTemplate(dataDir: string): boolean {
  const template = pgliteTemplateDir();
  if (!template || !isPgliteDataDir(template) || !isEmptyOrMissing(dataDir)) return false;
  mkdirSync(dataDir, { recursive: true });
  for (const name of readdirSync(template)) {
    if (name === 'PG_VERSION') continue;
    cpSync(join(template, name), join(dataDir, name), { recursive: true, mode: constants.COPYFILE_FICLONE });
  }
  cpSync(join(template, 'PG_VERSION'), join(dataDir, 'PG_VERSION'));
  return true;
}

export type WipeOutcome = { wiped: true; dir: string } | { wiped: false; dir: string; reason: string };

/** Empties a local PGlite DATA_DIR; refuses anything that does not look like one, so a mistyped path is never emptied. */
export function wipeDataDir(dataDir: string): WipeOutcome {
  const dir = resolve(dataDir);
  if (!existsSync(dir)) return { wiped: false, dir, reason: `${dir} does not exist: nothing to wipe` };
  if (readdirSync(dir).length === 0) return { wiped: false, dir, reason: `${dir} is already empty` };
  if (!isPgliteDataDir(dir)) return { wiped: false, dir, reason: `${dir} has no PG_VERSION, so it is not a PGlite data directory; not touching it` };
  for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
  return { wiped: true, dir };
}
