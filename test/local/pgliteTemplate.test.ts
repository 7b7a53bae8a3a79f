import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationsFolder, openDatabase } from '../../db/index.js';
import { buildPgliteTemplate, copyPgliteTemplate, pgliteTemplateDir, TEMPLATE_MIGRATIONS, usableTemplate } from '../../src/local/dataDir.js';

/**
 * The install-time template a first start (and a start after `npm run reset`) copies is initialised and migrated: the
 * copy needs no migration, a checkout with migrations added since the install applies only those, and a checkout
 * older than the install (it does not know a migration the template holds) does not use it.
 */
const tags = (JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] }).entries.map((e) => e.tag);
const root = mkdtempSync(join(tmpdir(), 'template-test-'));
let template: string;

// the install's template (npm ci made it), only read: other test files copy it meanwhile; one of the test's own when
// the install's is missing or older than this checkout's migrations (a migration added since the last npm install)
beforeAll(async () => {
  const installed = pgliteTemplateDir();
  const current = installed && usableTemplate(installed) && readFileSync(join(installed, TEMPLATE_MIGRATIONS), 'utf8').trim() === tags.join('\n');
  template = current ? installed : join(root, 'template');
  if (!current) expect(await buildPgliteTemplate(template)).toBe(template);
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The migrations a data folder's database holds, by the migrator's own table. */
async function applied(dataDir: string): Promise<number> {
  const db = await openDatabase({ dataDir, migrate: false });
  try {
    const { rows } = (await (db.db as unknown as { execute(q: string): Promise<{ rows: { n: number }[] }> }).execute('select count(*)::int as n from drizzle.__drizzle_migrations')) as { rows: { n: number }[] };
    return rows[0].n;
  } finally {
    await db.close();
  }
}

describe('the install-time PGlite template', () => {
  it('holds every migration of this checkout, and a copy of it is a migrated database without its list', async () => {
    expect(readFileSync(join(template, TEMPLATE_MIGRATIONS), 'utf8').trim().split('\n')).toEqual(tags);
    expect(usableTemplate(template)).toBe(true);
    const dataDir = join(root, 'copy');
    expect(copyPgliteTemplate(dataDir, template)).toBe(true);
    expect(existsSync(join(dataDir, TEMPLATE_MIGRATIONS))).toBe(false);
    expect(await applied(dataDir)).toBe(tags.length);
    // the migrator on the copy finds nothing to do, and the schema is there
    const db = await openDatabase({ dataDir });
    await db.close();
    expect(await applied(dataDir)).toBe(tags.length);
  });

  it('made before a migration was added: still copied, and the start applies only the new one', { timeout: 120_000 }, async () => {
    // a template one migration behind, as an install before the last migration made it
    const folder = join(root, 'migrations-before');
    cpSync(migrationsFolder, folder, { recursive: true });
    const journal = JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] };
    rmSync(join(folder, `${journal.entries.pop()!.tag}.sql`));
    writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify(journal));
    const older = join(root, 'older');
    const { PGlite } = await import('@electric-sql/pglite');
    const { drizzle } = await import('drizzle-orm/pglite');
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    const pg = new PGlite(older);
    await migrate(drizzle(pg), { migrationsFolder: folder });
    await pg.close();
    writeFileSync(join(older, TEMPLATE_MIGRATIONS), `${tags.slice(0, -1).join('\n')}\n`);
    expect(usableTemplate(older)).toBe(true);
    expect(await applied(older)).toBe(tags.length - 1);
    const dataDir = join(root, 'from-older');
    expect(copyPgliteTemplate(dataDir, older)).toBe(true);
    expect(await applied(dataDir)).toBe(tags.length - 1);
    const db = await openDatabase({ dataDir });
    await db.close();
    expect(await applied(dataDir)).toBe(tags.length);
  });

  it('holding a migration this checkout does not know, or no list at all: not used', async () => {
    const newer = join(root, 'newer');
    cpSync(template, newer, { recursive: true });
    writeFileSync(join(newer, TEMPLATE_MIGRATIONS), `${[...tags, '9999_from_a_later_version'].join('\n')}\n`);
    expect(usableTemplate(newer)).toBe(false);
    expect(copyPgliteTemplate(join(root, 'from-newer'), newer)).toBe(false);
    expect(existsSync(join(root, 'from-newer'))).toBe(false);

    const renamed = join(root, 'renamed');
    cpSync(template, renamed, { recursive: true });
    writeFileSync(join(renamed, TEMPLATE_MIGRATIONS), `${['0000_something_else', ...tags.slice(1)].join('\n')}\n`);
    expect(usableTemplate(renamed)).toBe(false);

    const unlisted = join(root, 'unlisted');
    cpSync(template, unlisted, { recursive: true });
    rmSync(join(unlisted, TEMPLATE_MIGRATIONS));
    expect(usableTemplate(unlisted)).toBe(false);
  });

  it('is made again by the install when this checkout has a migration it lacks', { timeout: 120_000 }, async () => {
    expect(await buildPgliteTemplate(template)).toBeUndefined();
    // the one-behind template of the test above
    const older = join(root, 'older');
    expect(await buildPgliteTemplate(older)).toBe(older);
    expect(readFileSync(join(older, TEMPLATE_MIGRATIONS), 'utf8').trim().split('\n')).toEqual(tags);
    expect(await applied(older)).toBe(tags.length);
  });
});
