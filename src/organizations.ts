import { sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { organizations } from '../db/schema.js';
import { rowsOf } from './outbox.js';

/**
 * What makes two spellings of an organisation's name one organisation: Unicode NFKC (（）→ (), full-width letters and
 * digits → half width, U+3000 → space), every whitespace character removed, ASCII letters lower-cased. The database keeps
 * it as `organizations.key`, computed by `organization_key(name)` (db/migrations/0005_organization_key.sql), which says the
 * same in SQL; test/db/organizationKey.test.ts holds the two together. Use it to compare names in memory; in SQL, compare
 * `key` with `organization_key(...)` of the name typed.
 */
export function organizationKey(name: string): string {
  // the class is JavaScript's \s written out, as the SQL function lists it
  return name
    .normalize('NFKC')
    .replace(/[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/g, '')
    .replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/** The organisation's row for a name as typed (any spelling), if there is one; `name` is the spelling first seen. */
export async function findOrganization(tx: Db, name: string): Promise<{ id: number; name: string } | undefined> {
  const [org] = await tx
    .select({ id: organizations.id, name: organizations.name })
    .from(organizations)
    .where(sql`${organizations.key} = organization_key(${name})`);
  return org;
}

/**
 * The organisation of a name as typed, created with that spelling when none has its key; its row is locked (the upsert
 * writes it either way), so a second registration or expert in it waits for the first. The name stays the first spelling.
 */
export async function upsertOrganization(tx: Db, name: string): Promise<{ id: number; name: string }> {
  const [org] = await tx
    .insert(organizations)
    .values({ name })
    .onConflictDoUpdate({ target: organizations.key, set: { name: sql`"organizations"."name"` } })
    .returning({ id: organizations.id, name: organizations.name });
  return org;
}

/**
 * The organisations of names as typed, each found by its key in the database (so by `organization_key`, whatever the
 * TypeScript side says): typed name → the organisation's id and stored name. A name of no organisation is absent.
 */
export async function organizationsNamed(tx: Db, names: readonly string[]): Promise<Map<string, { id: number; name: string }>> {
  const distinct = [...new Set(names)];
  if (!distinct.length) return new Map();
  const rows = await tx.execute(
    sql`select x.typed, o.id, o.name from jsonb_array_elements_text(${JSON.stringify(distinct)}::jsonb) as x(typed) join organizations o on o.key = organization_key(x.typed)`,
  );
  return new Map((rowsOf(rows) as { typed: string; id: number; name: string }[]).map((r) => [r.typed, { id: Number(r.id), name: r.name }]));
}
