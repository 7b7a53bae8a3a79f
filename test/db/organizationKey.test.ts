import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, migrateDatabase, migrationsFolder } from '../../db/index.js';
import { organizationKey } from '../../src/organizations.js';
import { rowsOf } from '../../src/outbox.js';
import { createTestDatabase, testDatabaseKind, type TestDatabase } from '../support/db.js';

/**
 * One organisation however its name is typed: `organizationKey` (TypeScript, for comparisons in memory) and
 * `organization_key` (SQL, behind the unique `organizations.key`) say the same, and migration 0005 merges organisations
 * already duplicated under one key, on data written with the schema before it.
 */

const rows = async <T>(database: Database, q: ReturnType<typeof sql>) => rowsOf(await database.db.execute(q)) as T[];

/** Names as people type them: bracket widths, the ideographic space, trailing and inner spaces, full-width Latin, case. */
const TRICKY = [
  '广州市政建设（集团）有限公司',
  '广州市政建设(集团)有限公司',
  '广州市政建设 (集团)有限公司 ',
  '  广州市政建设（集团）有限公司\u3000',
  '广州市政建设\u3000（集团）\t有限公司\n',
  '广州市政建设\u00a0(集团)\u2002有限公司\ufeff',
  'ＡＢＣ公司',
  'ABC公司',
  'abc 公司',
  'AbC公司',
  '深圳市第１２３工程公司',
  '深圳市第123工程公司',
  'ＧＤ市政【一公司】',
  'Ⅱ号工程处',
  'Élan工程',
  '',
];

describe(`organization_key and organizationKey agree, on ${testDatabaseKind()}`, () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  const sqlKeys = async (names: string[]) =>
    (await rows<{ k: string }>(database, sql`select organization_key(x) as k from jsonb_array_elements_text(${JSON.stringify(names)}::jsonb) with ordinality as t(x, n) order by n`)).map((r) => r.k);

  it('on names people type: the bracket widths, spaces and full-width Latin are one key; the display name is kept', async () => {
    expect(await sqlKeys(TRICKY)).toEqual(TRICKY.map(organizationKey));
    expect(new Set(TRICKY.slice(0, 6).map(organizationKey))).toEqual(new Set(['广州市政建设(集团)有限公司']));
    expect(new Set(TRICKY.slice(6, 10).map(organizationKey))).toEqual(new Set(['abc公司']));
    expect(organizationKey('深圳市第１２３工程公司')).toBe(organizationKey('深圳市第123工程公司'));
    // only ASCII letters are folded, whatever the database's locale; other full-width punctuation is NFKC's
    expect(organizationKey('Élan工程')).toBe('Élan工程');
    expect(organizationKey('ＧＤ市政【一公司】')).toBe('gd市政【一公司】');
    // the stored key is the function's; the name stays as typed
    await database.db.execute(sql`insert into organizations (name) values (${TRICKY[0]})`);
    expect(await rows(database, sql`select name, key from organizations`)).toEqual([{ name: TRICKY[0], key: '广州市政建设(集团)有限公司' }]);
    await expect(database.db.execute(sql`insert into organizations (name) values (${TRICKY[2]})`)).rejects.toThrow();
  });

  it('on every character of the Basic Multilingual Plane, but those newer than the database’s Unicode tables', async () => {
    const got = await rows<{ cp: number; k: string }>(
      database,
      sql`select g as cp, organization_key('a' || chr(g) || 'B') as k from generate_series(1, 65535) g where g < 55296 or g > 57343 order by g`,
    );
    expect(got).toHaveLength(65535 - 2048);
    const differ = got.filter((r) => organizationKey(`a${String.fromCharCode(r.cp)}B`) !== r.k);
    // Node's ICU may know a character PostgreSQL's normalisation tables do not yet: PostgreSQL then leaves it as it is
    for (const r of differ) expect(r.k, `U+${r.cp.toString(16)}`).toBe(`a${String.fromCharCode(r.cp)}b`);
    expect(differ.length).toBeLessThan(20);
    // none of them where organisations' names are written: Latin, punctuation, CJK, full and half width
    const written = (cp: number) => cp < 0x0250 || (cp >= 0x2000 && cp < 0x2070) || (cp >= 0x3000 && cp < 0xa000) || (cp >= 0xf900 && cp < 0xfb00) || cp >= 0xfe30;
    expect(differ.filter((r) => written(r.cp))).toEqual([]);
  });
});

/** The migrations folder up to and including `last` (by index), as the migrator reads it. */
function migrationsUpTo(last: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'gdsz-migrations-'));
  mkdirSync(join(dir, 'meta'));
  const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: { idx: number; tag: string }[] };
  journal.entries = journal.entries.filter((e) => e.idx <= last);
  writeFileSync(join(dir, 'meta', '_journal.json'), JSON.stringify(journal));
  for (const e of journal.entries) copyFileSync(join(migrationsFolder, `${e.tag}.sql`), join(dir, `${e.tag}.sql`));
  return dir;
}

async function migrateFrom(database: Database, folder: string): Promise<void> {
  if (database.kind === 'postgres') {
    const { migrate } = await import('drizzle-orm/postgres-js/migrator');
    await migrate(database.db as never, { migrationsFolder: folder });
  } else {
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    await migrate(database.db as never, { migrationsFolder: folder });
  }
}

describe(`migration 0005 merges organisations duplicated under one key, on ${testDatabaseKind()}`, () => {
  let database: TestDatabase;
  let folder: string;
  beforeAll(async () => {
    database = await createTestDatabase({ migrate: false });
    folder = migrationsUpTo(4);
  });
  afterAll(async () => {
    await database?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('moves every team, person and conflict to the lowest id of each group, renames a team whose name its group already has, and deletes the rest', async () => {
    await migrateFrom(database, folder);
    // the schema before 0005: organizations.name unique as typed, so each spelling is an organisation
    const orgs = [
      '广州市政建设（集团）有限公司', // 1
      '广州市政建设(集团)有限公司', // 2
      '广州市政建设 (集团)有限公司 ', // 3
      '深圳市政建设集团', // 4
      'ＡＢＣ市政公司', // 5
      'abc 市政公司', // 6
    ];
    for (const name of orgs) await database.db.execute(sql`insert into organizations (name) values (${name})`);
    await database.db.execute(sql`insert into people (open_id, roles, organization_id) values
      ('ou_m_leader', '{}', null), ('ou_m_contact', '{org_contact}', 3), ('ou_m_expert', '{expert}', 2), ('ou_m_expert2', '{expert}', 6)`);
    const team = (id: number, org: number, name: string) =>
      database.db.execute(sql`insert into teams (id, code, name, organization_id, department, type, leader_open_id, phone, member_count, functions, goals, plan, contact_open_id, registered_at)
        values (${id}, ${`GDSZ-2025-000${id}`}, ${name}, ${org}, '养护部', 'project', 'ou_m_leader', '020-1', 10, '', '', '', 'ou_m_contact', '2025-01-10')`);
    await team(1, 1, '养护一班');
    await team(2, 3, '养护一班'); // the same name in another spelling of organisation 1
    await team(3, 2, '养护一班');
    await team(4, 2, '桥梁班');
    await team(5, 4, '养护一班'); // another organisation: kept as it is
    await team(6, 6, '检测班');
    await database.db.execute(sql`insert into conflicts (expert_open_id, organization_id, reason) values ('ou_m_expert2', 3, '亲属在该单位'), ('ou_m_expert2', 5, '曾任顾问')`);

    await migrateDatabase(database);

    expect(await rows(database, sql`select id, name, key from organizations order by id`)).toEqual([
      { id: 1, name: '广州市政建设（集团）有限公司', key: '广州市政建设(集团)有限公司' },
      { id: 4, name: '深圳市政建设集团', key: '深圳市政建设集团' },
      { id: 5, name: 'ＡＢＣ市政公司', key: 'abc市政公司' },
    ]);
    expect(await rows(database, sql`select id, name, organization_id from teams order by id`)).toEqual([
      { id: 1, name: '养护一班', organization_id: 1 },
      { id: 2, name: '养护一班（GDSZ-2025-0002）', organization_id: 1 },
      { id: 3, name: '养护一班（GDSZ-2025-0003）', organization_id: 1 },
      { id: 4, name: '桥梁班', organization_id: 1 },
      { id: 5, name: '养护一班', organization_id: 4 },
      { id: 6, name: '检测班', organization_id: 5 },
    ]);
    expect(await rows(database, sql`select open_id, organization_id from people order by open_id`)).toEqual([
      { open_id: 'ou_m_contact', organization_id: 1 },
      { open_id: 'ou_m_expert', organization_id: 1 },
      { open_id: 'ou_m_expert2', organization_id: 5 },
      { open_id: 'ou_m_leader', organization_id: null },
    ]);
    expect(await rows(database, sql`select organization_id from conflicts order by id`)).toEqual([{ organization_id: 1 }, { organization_id: 5 }]);
    // each merge and each rename audited
    const audited = await rows<{ action: string; entity_id: string; details: Record<string, unknown> }>(
      database,
      sql`select action, entity_id, details from audit_log where actor = 'system:migration' order by action, entity_id`,
    );
    expect(audited).toEqual([
      {
        action: 'organization.merge',
        entity_id: '1',
        details: { name: '广州市政建设（集团）有限公司', merged: [{ id: 2, name: '广州市政建设(集团)有限公司' }, { id: 3, name: '广州市政建设 (集团)有限公司 ' }] },
      },
      { action: 'organization.merge', entity_id: '5', details: { name: 'ＡＢＣ市政公司', merged: [{ id: 6, name: 'abc 市政公司' }] } },
      { action: 'team.rename', entity_id: '2', details: expect.objectContaining({ from: '养护一班', to: '养护一班（GDSZ-2025-0002）' }) },
      { action: 'team.rename', entity_id: '3', details: expect.objectContaining({ from: '养护一班', to: '养护一班（GDSZ-2025-0003）' }) },
    ]);
    // from now on one key, one organisation
    await expect(database.db.execute(sql`insert into organizations (name) values ('广州市政建设(集团)有限公司')`)).rejects.toThrow();
    await database.db.execute(sql`insert into organizations (name) values ('广州市政建设（二公司）')`);
  });
});

describe(`migration 0007 makes a team's name unique by its key, on ${testDatabaseKind()}`, () => {
  let database: TestDatabase;
  let folder: string;
  beforeAll(async () => {
    database = await createTestDatabase({ migrate: false });
    folder = migrationsUpTo(6);
  });
  afterAll(async () => {
    await database?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('renames, audited, a team stored under another spelling of a name its organisation has; then refuses a third spelling', async () => {
    await migrateFrom(database, folder);
    await database.db.execute(sql`insert into organizations (name) values ('佛山市政养护公司'), ('江门市政公司')`);
    await database.db.execute(sql`insert into people (open_id, roles) values ('ou_k_leader', '{}'), ('ou_k_contact', '{org_contact}')`);
    const team = (id: number, org: number, name: string) =>
      database.db.execute(sql`insert into teams (id, code, name, organization_id, department, type, leader_open_id, phone, member_count, functions, goals, plan, contact_open_id, registered_at)
        values (${id}, ${`GDSZ-2026-000${id}`}, ${name}, ${org}, '养护部', 'project', 'ou_k_leader', '020-1', 10, '', '', '', 'ou_k_contact', '2026-01-10')`);
    // before 0007 only the exact name was unique: the race of two spellings could keep both
    await team(1, 1, '养护（四）班');
    await team(2, 1, '养护(四)班');
    await team(3, 1, '养护 (四) 班');
    await team(4, 2, '养护(四)班'); // another organisation: kept as it is

    await migrateDatabase(database);

    expect(await rows(database, sql`select id, name from teams order by id`)).toEqual([
      { id: 1, name: '养护（四）班' },
      { id: 2, name: '养护(四)班（GDSZ-2026-0002）' },
      { id: 3, name: '养护 (四) 班（GDSZ-2026-0003）' },
      { id: 4, name: '养护(四)班' },
    ]);
    const audited = await rows<{ entity_id: string; details: Record<string, unknown> }>(
      database,
      sql`select entity_id, details from audit_log where actor = 'system:migration' and action = 'team.rename' order by entity_id`,
    );
    expect(audited.map((a) => [a.entity_id, a.details.from])).toEqual([
      ['2', '养护(四)班'],
      ['3', '养护 (四) 班'],
    ]);
    await expect(team(5, 1, '养护（四）  班')).rejects.toThrow();
    await team(6, 1, '养护（五）班');
  });
});
