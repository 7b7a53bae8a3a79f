import { sql } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import { rowsOf } from '../outbox.js';

/**
 * What an import's dry run reads of the database (planImport, src/import/plan.ts), as one hash: the teams and their
 * members (a member is refused as a team's contact), the organisations, the people, the honours, the cycles and
 * applications (a rename waits for one under way), the links made on a first message, and the day (a date later than
 * today is refused). It is taken before the plan, so a change committed while planning makes it differ too: equal
 * versions mean the same plan. 确认导入 compares it: in the one statement (src/fast/importApply.ts), which leaves any
 * other version to the ordinary path, and there (startImport) before planning again. `day` is the SQL of the day's
 * text (a parameter).
 */
export const dataVersionSql = (day: string) => `md5(concat_ws('|', ${day},
  coalesce((select string_agg(row(t.id, t.code, t.name, t.organization_id, t.type, t.leader_open_id, t.contact_open_id, t.registered_at, t.member_count, t.department)::text, ',' order by t.id) from teams t), ''),
  coalesce((select string_agg(row(m.team_id, m.open_id, m.role)::text, ',' order by m.team_id, m.open_id) from team_members m), ''),
  coalesce((select string_agg(row(o.id, o.key, o.name)::text, ',' order by o.id) from organizations o), ''),
  coalesce((select string_agg(row(p.open_id, p.name, p.organization_id, p.specialities::text, p.max_load, p.roles::text)::text, ',' order by p.open_id) from people p), ''),
  coalesce((select string_agg(row(h.id, h.team_id, h.year, h.title, h.cycle_id)::text, ',' order by h.id) from honours h), ''),
  coalesce((select string_agg(row(c.id, c.year, c.status)::text, ',' order by c.id) from cycles c), ''),
  coalesce((select string_agg(row(a.id, a.team_id, a.cycle_id, a.status)::text, ',' order by a.id) from applications a), ''),
  coalesce((select string_agg(row(l.id, l.entity_id, l.details ->> 'key')::text, ',' order by l.id) from audit_log l where l.action = 'person.link'), '')))`;

/** The version of the data an import plans against today. */
export async function importDataVersion(tx: Db, today: string): Promise<string> {
  const [head, tail] = dataVersionSql('\u0000').split('\u0000');
  const [row] = rowsOf(await tx.execute(sql`select ${sql.raw(head)}${today}::text${sql.raw(tail)} as version`)) as { version: string }[];
  return row.version;
}
