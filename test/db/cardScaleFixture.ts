import { sql } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import { rowsOf } from '../../src/outbox.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';

/**
 * An association at its largest, in a few set-based INSERTs (not through the bot): 3 000 accepted applications of
 * one scoring cycle, 500 experts, one expert with sixty tasks, a panel of fifteen with ten declines, 200 open
 * complaints, a team with several years of results and titles, and every free text at its form's maximum length,
 * in Chinese mixed with the characters card markdown must escape.
 */

/** What markdown escapes (each becomes a five- or six-byte entity) among Chinese (three bytes each). */
export const ESCAPED = '<>*[]_~#|';
const PATTERN = `质量${ESCAPED}控制班组`;
/** `prefix`, then the pattern, to exactly `n` characters. */
export function filled(prefix: string, n: number): string {
  let s = prefix;
  while (s.length < n) s += PATTERN;
  return s.slice(0, n);
}
const FILLER = filled('', 2000);

export const SCALE = { applications: 3000, experts: 500, organizations: 10, complaints: 200, expertTasks: 60, panel: 15, declines: 10, pastYears: 9 } as const;
export const YEAR = 2027;
export const NOW = '2027-06-10T09:00:00+08:00';
/** An open_id as Feishu makes them: ou_ and 32 characters. */
export const openIdOf = (kind: 'leader' | 'contact' | 'expert', n: number | string) => `ou_sc_${kind}_${String(n).padStart(35 - 7 - kind.length, '0')}`;
export const EXPERT60 = openIdOf('expert', 'busy');
/** The contact of organisation 1: a tenth of the teams (300). */
export const BIG_CONTACT = openIdOf('contact', 1);
/** The leader of team 1: applied in each of the nine years before, a title in most. */
export const OLD_LEADER = openIdOf('leader', 1);
export const ADMIN_GROUP = 'oc_card_scale_admin_group_000000001';

export interface ScaleFixture {
  cycleId: number;
  /** Team 1's application this year: the panel of fifteen with ten declines. */
  bigPanelApp: number;
  /** The busy expert's first task. */
  firstTask: number;
  complaintIds: number[];
  teamOne: number;
}

/**
 * Names as long as the forms allow, of the character that escapes to six bytes in card markdown (| is &#124;), and
 * codes of the 30 characters an import keeps: the worst a card meets.
 */
/** A person's name at the 50 characters an import keeps (src/import/plan.ts), of the same six-byte character. */
const personName = (prefix: ReturnType<typeof sql>) => sql`rpad(${prefix}, 50, '|')`;
const orgName = (g: ReturnType<typeof sql>) => sql`rpad(${g} || '号单位', 100, '|')`;
const teamCode = (g: ReturnType<typeof sql>) => sql`'GDSZ-2016-' || lpad((${g})::text, 20, '0')`;
export const TEAM_ONE_CODE = `GDSZ-2016-${'1'.padStart(20, '0')}`;

const one = async <T>(db: Db, q: ReturnType<typeof sql>) => (rowsOf(await db.execute(q)) as T[])[0];

export async function seedScale(db: Db): Promise<ScaleFixture> {
  const n = SCALE.applications;
  const orgs = SCALE.organizations;
  await db.execute(sql`insert into organizations (name) select ${orgName(sql`g`)} from generate_series(1, ${orgs}::int) g`);
  const orgOf = (g: ReturnType<typeof sql>) => sql`(select id from organizations where name = ${orgName(sql`(1 + (${g}) % ${orgs}::int)`)})`;
  await db.execute(sql`
    insert into people (open_id, name, roles)
    select 'ou_sc_contact_' || lpad(g::text, 21, '0'), ${personName(sql`'联系人' || g`)}, '{org_contact}'::text[] from generate_series(1, ${orgs}::int) g
    union all select 'ou_sc_leader_' || lpad(g::text, 22, '0'), ${personName(sql`'班长' || g`)}, '{}'::text[] from generate_series(1, ${n}::int) g`);
  // experts of every organisation, each with the twenty specialities the form keeps, at its 200 characters
  await db.execute(sql`
    insert into people (open_id, name, roles, organization_id, specialities, max_load)
    select 'ou_sc_expert_' || lpad(g::text, 22, '0'), ${personName(sql`'专家' || g || '号欧阳'`)}, '{expert}'::text[], ${orgOf(sql`g`)},
      array(select left(k || ${PATTERN}, 9) from generate_series(1, 20) k), 500
    from generate_series(1, ${SCALE.experts}::int) g
    union all select ${EXPERT60}, '忙碌的专家', '{expert}'::text[], null, '{}'::text[], null`);
  await db.execute(sql`
    insert into teams (code, name, organization_id, department, type, leader_open_id, phone, member_count, functions, goals, plan, contact_open_id, registered_at)
    select ${teamCode(sql`g`)}, rpad(g || '班', 50, '|'), ${orgOf(sql`g`)}, left(${FILLER}, 100), 'project',
      'ou_sc_leader_' || lpad(g::text, 22, '0'), '020-12345678', 500, left(${FILLER}, 500), left(${FILLER}, 1000), left(${FILLER}, 1000), 'ou_sc_contact_' || lpad((1 + g % ${orgs}::int)::text, 21, '0'),
      (case when g = 1 then '2016-01-10' else '2023-01-10' end)::date
    from generate_series(1, ${n}::int) g`);
  await db.execute(sql`insert into team_members (team_id, open_id, role) select id, leader_open_id, 'leader' from teams`);
  const teamOne = (await one<{ id: number }>(db, sql`select id from teams where code = ${TEAM_ONE_CODE}`)).id;
  // team 1's past years: a published cycle each, its application decided, a title (and a certificate) in most
  await db.execute(sql`
    insert into cycles (year, status, application_deadline, score_sheet, scoring_deadline, review_meeting_date, opened_by)
    select y, 'published', (y || '-05-31')::date, ${JSON.stringify(defaultScoreSheet)}::jsonb, (y || '-06-30')::date, (y || '-07-15')::date, 'system:scale'
    from generate_series(${YEAR - SCALE.pastYears}::int, ${YEAR - 1}::int) y`);
  await db.execute(sql`
    insert into applications (team_id, cycle_id, status, form, final_score, rank, decision, submitted_at)
    select ${teamOne}::int, c.id, 'decided', jsonb_build_object('title', left(${FILLER}, 100), 'category', 'maintenance'), 90.5, 1, 'awarded', now()
    from cycles c where c.status = 'published'`);
  await db.execute(sql`
    insert into honours (team_id, cycle_id, year, score, recommended, revoked_at)
    select ${teamOne}::int, c.id, c.year, 90.5, c.year % 2 = 0, case when c.year = ${YEAR - 5}::int then now() end from cycles c where c.status = 'published' and c.year % 3 <> 0`);
  await db.execute(sql`
    insert into certificates (number, honour_id, team_id, cycle_id, year, association, team_name, organization, title, issued_at)
    select 'GDSZ-ZS-' || h.year || '-' || lpad(h.id::text, 4, '0'), h.id, h.team_id, h.cycle_id, h.year, '广东省市政行业协会', 't', 'o', '质量信得过班组', now() from honours h`);

  const cycle = await one<{ id: number }>(db, sql`
    insert into cycles (year, status, application_deadline, score_sheet, scoring_deadline, review_meeting_date, experts_per_application, opened_by)
    values (${YEAR}, 'scoring', ${`${YEAR}-05-31`}, ${JSON.stringify(defaultScoreSheet)}::jsonb, ${`${YEAR}-06-30`}, ${`${YEAR}-07-15`}, ${SCALE.panel}, 'system:scale')
    returning id`);
  const form = {
    title: filled('', 100),
    category: 'maintenance',
    startDate: '2026-04-01',
    endDate: '2027-03-31',
    goalRate: 100,
    trainingRate: 96,
    examPassRate: 93.5,
    accidents: 'none',
    customer: FILLER.slice(0, 1000),
    qc: FILLER.slice(0, 1000),
    summary: FILLER.slice(0, 1000),
    features: FILLER.slice(0, 1000),
    materialsUrl: `https://example.feishu.cn/docx/${'a'.repeat(500 - 31)}`,
  };
  const endorsement = { decision: 'recommend', truthful: true, opinion: FILLER.slice(0, 1000), by: BIG_CONTACT };
  await db.execute(sql`
    insert into applications (team_id, cycle_id, status, form, endorsement, submitted_at)
    select t.id, ${cycle.id}::int, 'accepted', ${JSON.stringify(form)}::jsonb, ${JSON.stringify(endorsement)}::jsonb, now()
    from teams t order by t.id`);
  // three experts on each panel, in turn; the busy expert on the first sixty
  await db.execute(sql`
    insert into assignments (application_id, expert_open_id, status)
    select a.id, 'ou_sc_expert_' || lpad((1 + ((a.id * 3 + k) % ${SCALE.experts}::int))::text, 22, '0'), 'assigned'
    from applications a, generate_series(0, 2) k where a.cycle_id = ${cycle.id}::int`);
  await db.execute(sql`
    insert into assignments (application_id, expert_open_id, status)
    select a.id, ${EXPERT60}, case when a.rn % 3 = 0 then 'submitted' else 'assigned' end
    from (select id, row_number() over (order by id) rn from applications where cycle_id = ${cycle.id}::int) a where a.rn <= ${SCALE.expertTasks}::int`);
  await db.execute(sql`update assignments set total = 88.5, scores = '{}'::jsonb, submitted_at = now() where status = 'submitted'`);
  const bigPanelApp = (await one<{ id: number }>(db, sql`select id from applications where cycle_id = ${cycle.id}::int and team_id = ${teamOne}::int`)).id;
  // the panel filled to the fifteen the cycle form allows, after ten declines (each with its reason at 500 characters)
  await db.execute(sql`
    insert into assignments (application_id, expert_open_id, status, decline_reason, total, scores, submitted_at)
    select ${bigPanelApp}::int, 'ou_sc_expert_' || lpad((400 + g)::text, 22, '0'),
      case when g <= ${SCALE.declines}::int then 'declined' when g % 2 = 0 then 'submitted' else 'assigned' end,
      case when g <= ${SCALE.declines}::int then left(${FILLER}, 500) end,
      case when g > ${SCALE.declines}::int and g % 2 = 0 then 91.5 end,
      case when g > ${SCALE.declines}::int and g % 2 = 0 then '{}'::jsonb end,
      case when g > ${SCALE.declines}::int and g % 2 = 0 then now() end
    from generate_series(1, ${SCALE.declines + SCALE.panel - 4}::int) g`);
  const firstTask = (await one<{ id: number }>(db, sql`select min(id) as id from assignments where expert_open_id = ${EXPERT60} and status = 'assigned'`)).id;
  await db.execute(sql`
    insert into complaints (reference, team_id, content, channel, contact, status, created_at)
    select 'TS-${sql.raw(String(YEAR))}-' || lpad(g::text, 4, '0'), (select id from teams where code = ${teamCode(sql`(1 + g * 7 % ${n}::int)`)}),
      left(${FILLER}, 2000), 'web', left(${FILLER}, 100), 'open', now() - (g || ' hours')::interval
    from generate_series(1, ${SCALE.complaints}::int) g`);
  const complaintIds = (rowsOf(await db.execute(sql`select id from complaints order by id`)) as { id: number }[]).map((r) => Number(r.id));
  await db.execute(sql`insert into chat_bindings (chat_id, purpose, bound_by) values (${ADMIN_GROUP}, 'admin', 'system:scale')`);
  await db.execute(sql`analyze`);
  return { cycleId: Number(cycle.id), bigPanelApp: Number(bigPanelApp), firstTask: Number(firstTask), complaintIds, teamOne: Number(teamOne) };
}

/** A sheet of `items` items under `areas` areas in the line form, whole points totalling 100 (the last items one more). */
export function sheetText(areas: number, items: number): string {
  const lines = ['评分表：细则', '总分：100'];
  const base = Math.floor(100 / items);
  const more = 100 - base * items;
  let n = 0;
  for (let a = 1; a <= areas; a++) {
    lines.push(`${a} 区${a}`);
    const count = Math.floor(items / areas) + (a <= items % areas ? 1 : 0);
    for (let i = 1; i <= count; i++, n++) lines.push(`${a}.${i} 项 ${n >= items - more ? base + 1 : base}`);
  }
  return lines.join('\n');
}
