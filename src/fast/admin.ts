import type { Database, Db } from '../../db/index.js';
import { type CycleField, cycleDefaults, type RuleField, settingsForm } from '../cycles.js';
import { type Issue, pipelined, postgresClient, readOn } from '../pipeline.js';
import { aggregationRuleSql, claimCte, failOnPurpose, outboxSpecsSql, raisedOnPurpose, revocationRunNumberSql } from './sql.js';
import { EXPERT_WELCOME_CARD, EXPERT_WELCOME_KEY } from '../review/expertWelcome.js';
import type { ExpertDetails } from '../review/experts.js';

/**
 * The expert pool's and the cycle settings' card actions in one round trip on PostgreSQL, on their success path:
 * 启用专家 / 停用专家 (`setExpertActive`), 添加专家 (`addExperts`, src/review/experts.ts), 评审设置
 * (`updateCycleSettings`) and 评分表 (`loadScoreSheet`, src/cycles.ts). BEGIN, one statement, COMMIT and the answer
 * card's reads (the pool, or the admin card, read after the COMMIT) go out in one write. Each statement computes the
 * ordinary path's verdict from the rows and the actor; only when it holds does it claim the event, and only a new
 * claim lets it write what the ordinary path writes, taking the same row locks in the same order: the claim's, then
 * the row the service locks (the person's, the cycle's; for 添加专家 the organisation's, then the people's). None of
 * these actions queues a notice: 添加专家 that moves someone into the organisation of a team whose application they
 * hold (回避, 第十七条) is left to the ordinary path. Anything else (a refusal, a thing already done, an event seen before, a form that
 * does not parse, an address-book look-up) writes nothing, not even the claim, and the ordinary path answers as it
 * always has. It is raw SQL because one statement must check and write at once, which the query builder cannot say.
 *
 * A row the statement decided on may change before its lock is granted (another administrator's click committed
 * first). The writes then compare the locked row's version (`xmin`, which every UPDATE of the row renews) with the one
 * decided on, and a changed row fails the statement on purpose (`RACED`): nothing is kept, and the ordinary path
 * decides again on the row as it is.
 */

/** Who acts and which event: what every statement here claims and checks. */
export interface FastAdminEvent {
  eventId: string;
  eventType: string;
  openId: string;
  now: Date;
  /** ADMIN_OPEN_IDS: administrators without the stored role. */
  bootstrapAdmins: readonly string[];
}

/** The text of the error a statement raises when a row changed under it: nothing it did is kept. */
const RACED = 'admin action: a row changed after this event read it';

/**
 * How many statements of this file failed on purpose (RACED) in this process. A refusal is the verdict's to decide,
 * before any claim; tests read this to tell it from a claim undone.
 */
export const racedStatements = { count: 0 };

// the registry's roles ['admin'] (mayUse, src/handlers.ts) and requireAdmin (src/permissions.ts): the stored role or
// ADMIN_OPEN_IDS, as actorFrom (src/people.ts) makes the actor ($3 the actor, $4 ADMIN_OPEN_IDS)
const isAdmin = `(exists (select 1 from people p where p.open_id = $3::text and 'admin' = any(p.roles)) or $3::text = any($4::text[]))`;

const claim = claimCte({ eventId: '$1::text', eventType: '$2::text' });

/** The final column that fails the statement when `when` holds (a text cast to int is how a plain statement raises). */
const racedWhen = (when: string) => failOnPurpose(when, RACED);

/** Runs `statement`, then `after`, and the answer's read in one write; undefined when one of them raised RACED (all rolled back). */
async function run<O, R>(
  database: Database,
  statement: string,
  params: unknown[],
  read: (db: Db) => Promise<R>,
  after: { statement: string; params: unknown[] }[] = [],
): Promise<{ row: O | undefined; answer: R } | undefined> {
  const client = postgresClient(database)!;
  try {
    const statements = [{ statement, params }, ...after].map((a): Issue<unknown> => (c) => c.unsafe(a.statement, a.params as never[], { prepare: true }).execute());
    const [[rows], [answer]] = await pipelined<[O[], ...unknown[]], [R]>(client, statements as never, [readOn(database, read)]);
    return { row: rows[0], answer };
  } catch (err) {
    if (raisedOnPurpose(err, RACED)) {
      racedStatements.count++;
      return undefined;
    }
    throw err;
  }
}

// --- 启用专家 / 停用专家 ------------------------------------------------------------------------------

const toggleSql = `
with verdict as (
  select ${isAdmin}
    -- setExpertActive: a person in the pool ('expert' = any(roles)), else 找不到这位专家; already so is its AlreadyDone
    and exists (select 1 from people p where p.open_id = $5::text and 'expert' = any(p.roles) and p.expert_active <> $6::boolean) as ok
),
${claim},
changed as (
  -- setExpertActive's update, once the event is claimed: the person's lock comes after the claim's, as there
  update people set expert_active = $6::boolean, updated_at = $7::timestamptz
  where open_id = $5::text and 'expert' = any(roles) and expert_active <> $6::boolean and exists (select 1 from claim)
  returning open_id
),
pending as (
  -- setExpertActive's count: the expert's tasks not yet scored in the running cycle
  select count(*)::int as n
  from assignments a join applications ap on ap.id = a.application_id join cycles c on c.id = ap.cycle_id
  where a.expert_open_id = $5::text and a.status = 'assigned' and c.status in ('open', 'scoring', 'closed')
),
audited as (
  -- audit() (src/audit.ts) at the bot's time, as there
  insert into audit_log (at, actor, action, entity, entity_id, details)
  select $7::timestamptz, $3::text, $8::text, 'person', c.open_id, '{}'::jsonb from changed c
  returning id
)
select exists (select 1 from changed) as changed, (select n from pending) as pending, (select count(*) from audited)::int as audited,
  -- claimed, but the person left the pool or was toggled since the statement's snapshot
  ${racedWhen('exists (select 1 from claim) and not exists (select 1 from changed)')}`;

/** 启用 / 停用 done: the expert's pending tasks (for the 停用 toast) and the answer's reads. */
export async function fastToggleExpert<R>(
  database: Database,
  event: FastAdminEvent & { expertOpenId: string; activeNow: boolean },
  read: (db: Db) => Promise<R>,
): Promise<{ pending: number; answer: R } | undefined> {
  if (!postgresClient(database)) return undefined;
  const params = [
    event.eventId,
    event.eventType,
    event.openId,
    [...event.bootstrapAdmins],
    event.expertOpenId,
    event.activeNow,
    event.now.toISOString(),
    event.activeNow ? 'expert.activate' : 'expert.deactivate',
  ];
  const done = await run<{ changed: boolean; pending: number }, R>(database, toggleSql, params, read);
  if (!done?.row?.changed) return undefined;
  return { pending: Number(done.row.pending), answer: done.answer };
}

// --- 添加专家 -------------------------------------------------------------------------------------

const addSql = `
with asked as (
  select x.open_id, x.n from unnest($5::text[]) with ordinality as x (open_id, n)
),
seen as (
  -- the picked people as this statement's snapshot has them, with their row versions
  select p.open_id, p.xmin as version,
    -- what the write goes over, for the audit row's before (addExperts' expertBefore); the row is as read (RACED otherwise)
    jsonb_build_object('expert', 'expert' = any(p.roles), 'active', p.expert_active,
      'organization', (select o.name from organizations o where o.id = p.organization_id),
      'specialities', to_jsonb(coalesce(p.specialities, '{}'::text[])), 'maxLoad', p.max_load) as before,
    coalesce('expert' = any(p.roles) and p.expert_active and p.organization_id = (select o.id from organizations o where o.key = organization_key($6::text))
      -- a blank 专业特长 ($7 null) or 评审上限 ($10) keeps what is stored; 无 is '{}', 不限 a null $8
      and p.max_load is not distinct from case when $10::boolean then p.max_load else $8::int end
      and p.specialities = coalesce($7::text[], p.specialities), false) as as_asked
  from people p where p.open_id = any($5::text[])
),
moving as (
  -- someone picked and known whose organisation changes: addExperts' recuseColleagues (src/review/recusal.ts)
  select p.open_id from people p
  where p.open_id = any($5::text[])
    and p.organization_id is distinct from (select o.id from organizations o where o.key = organization_key($6::text))
),
scoring_locked as (
  -- 回避: the running cycles, in share mode until the COMMIT, when someone's organisation changes: a 分配专家 batch
  -- (it takes them for update) that starts later reads the new organisation; one holding them now may have read the
  -- old one, so the statement gives way and the ordinary path waits for it (recuseColleagues)
  select id from cycles where status in ('open', 'scoring') and exists (select 1 from moving) for share skip locked
),
verdict as (
  select ${isAdmin}
    -- addExperts' AlreadyDone: every picked person already in the pool as asked (a second click); the ordinary path answers it
    and not ((select count(*) from seen) = (select count(*) from asked) and (select bool_and(as_asked) from seen))
    -- 回避 (第十七条): someone moved into the organisation of a team whose application they hold to score in a running
    -- cycle, or scored in a year not yet published, is left to the ordinary path, which steps them aside
    and not exists (
      select 1 from moving m join assignments s on s.expert_open_id = m.open_id
        join applications ap on ap.id = s.application_id join cycles c on c.id = ap.cycle_id
        join teams t on t.id = ap.team_id join organizations o on o.id = t.organization_id
      where o.key = organization_key($6::text)
        and ((s.status = 'assigned' and c.status in ('open', 'scoring')) or (s.status = 'submitted' and c.status in ('open', 'scoring', 'closed'))))
    and (not exists (select 1 from moving) or (select count(*) from scoring_locked) = (select count(*) from cycles where status in ('open', 'scoring'))) as ok
),
${claim},
org as (
  -- upsertOrganization (src/organizations.ts): the organisation upserted, its row locked, after the claim; another
  -- spelling of a known organisation is that one, under the name first seen
  insert into organizations (name) select $6::text from claim
  on conflict (key) do update set name = organizations.name
  returning id, name
),
locked as (
  -- addExperts' locking read of the picked people, after the organisation's row as there
  select p.open_id, p.xmin as version from people p where p.open_id = any($5::text[]) and exists (select 1 from org)
  for update
),
upserted as (
  -- grantRole(openId, 'expert') (src/people.ts) and addExperts' update of the person, as one write (one statement may
  -- change a row only once), in the order picked; after the locking read (its count is read first)
  insert into people (open_id, roles, organization_id, specialities, max_load, expert_active, updated_at)
  select a.open_id, array['expert']::text[], (select id from org), coalesce($7::text[], '{}'::text[]), case when $10::boolean then null else $8::int end, true, $9::timestamptz
  from asked a where exists (select 1 from org) and (select count(*) from locked) >= 0
  order by a.n
  on conflict (open_id) do update set roles = (select array(select distinct unnest(people.roles || array['expert']::text[]))),
    organization_id = excluded.organization_id,
    -- a blank 专业特长 or 评审上限 keeps what is stored, a typed one replaces it, 无 / 不限 clear it (addExperts)
    specialities = case when $7::text[] is null then people.specialities else excluded.specialities end,
    max_load = case when $10::boolean then people.max_load else excluded.max_load end,
    expert_active = true, updated_at = excluded.updated_at
  returning open_id, xmax = 0 as inserted, specialities, max_load
),
audited as (
  -- addExperts' audit row of each picked person, in the order picked, with what they now have and, for someone on
  -- record, what they had
  insert into audit_log (at, actor, action, entity, entity_id, details)
  select $9::timestamptz, $3::text, 'expert.add', 'person', a.open_id,
    jsonb_build_object('organization', (select name from org), 'specialities', to_jsonb(u.specialities), 'maxLoad', u.max_load)
      || case when s.before is null then '{}'::jsonb else jsonb_build_object('before', s.before) end
  from asked a join upserted u on u.open_id = a.open_id left join seen s on s.open_id = a.open_id
  order by a.n
  returning id
),
welcomes as (
  -- addToPool's welcome (expertWelcomeNotice, src/review/expertWelcome.ts): each picked person new to the pool (no
  -- expert role in the statement's snapshot) and linked to Feishu, keyed expert:welcome:<open_id>
  select 'open_id'::text as receive_id_type, u.open_id as receiver, u.open_id as dest_key,
    jsonb_build_object('kind', '${EXPERT_WELCOME_CARD}'::text, 'organization', (select name from org)) as spec
  from upserted u
  where not starts_with(u.open_id, 'pending:')
    and not exists (select 1 from people p where p.open_id = u.open_id and 'expert' = any(p.roles))
),
welcomed as (
  ${outboxSpecsSql('welcomes', `'${EXPERT_WELCOME_KEY}'::text`, 's.spec', 1, '$11::timestamptz')}
)
select exists (select 1 from claim) as claimed, (select count(*) from upserted)::int as written, (select count(*) from audited)::int as audited,
  (select count(*) from welcomed)::int as queued, (select name from org) as organization,
  -- claimed, but a picked person changed (or came to be) since the statement's snapshot: the ordinary path decides on them as they are
  ${racedWhen(`exists (select 1 from claim) and (
    exists (select 1 from locked l join seen s on s.open_id = l.open_id where s.version <> l.version)
    or exists (select 1 from upserted u where not u.inserted and not exists (select 1 from seen s where s.open_id = u.open_id)))`)}`;

/** 添加专家, as `addExperts` reads its form: whom (distinct), the organisation, specialities and the load limit (undefined: left blank, kept). */
export interface FastAddExperts extends ExpertDetails {
  experts: string[];
  organization: string;
}

/** The experts added, and the answer's reads; undefined when anything is left to the ordinary path. */
export async function fastAddExperts<R>(database: Database, event: FastAdminEvent & { input: FastAddExperts }, read: (db: Db) => Promise<R>): Promise<{ answer: R; organization: string; queued: number } | undefined> {
  const { input } = event;
  // a person picked twice is written twice by the ordinary path; one statement cannot change a row twice
  if (!postgresClient(database) || new Set(input.experts).size !== input.experts.length) return undefined;
  const params = [
    event.eventId,
    event.eventType,
    event.openId,
    [...event.bootstrapAdmins],
    input.experts,
    input.organization,
    input.specialities ?? null,
    input.maxLoad ?? null,
    event.now.toISOString(),
    input.maxLoad === undefined,
    // the welcome's due time: the process's, as enqueueQuietly stamps it
    new Date().toISOString(),
  ];
  const done = await run<{ claimed: boolean; organization: string; queued: number }, R>(database, addSql, params, read);
  // claimed: every picked person written with their audit row (or the statement failed whole)
  if (!done?.row?.claimed) return undefined;
  return { answer: done.answer, organization: done.row.organization, queued: Number(done.row.queued) };
}

// --- 评审设置 -------------------------------------------------------------------------------------

type SettingField = Exclude<CycleField, 'year'>;

/** The settings in `updateCycleSettings`' order, with their columns and how SQL compares them as JavaScript does. */
const settingColumns: { field: SettingField; column: string; type: string; from: string }[] = [
  { field: 'applicationDeadline', column: 'application_deadline', type: 'date', from: 'application_deadline::text' },
  { field: 'scoringDeadline', column: 'scoring_deadline', type: 'date', from: 'scoring_deadline::text' },
  { field: 'reviewMeetingDate', column: 'review_meeting_date', type: 'date', from: 'review_meeting_date::text' },
  // numeric read as a number (Drizzle's mode 'number' is Number() of the text): compared as decimals, told as float8 (the same number)
  { field: 'awardThreshold', column: 'award_threshold', type: 'numeric', from: 'award_threshold::float8' },
  { field: 'expertsPerApplication', column: 'experts_per_application', type: 'int', from: 'experts_per_application' },
  { field: 'recommendShare', column: 'recommend_share', type: 'numeric', from: 'recommend_share::float8' },
];
/**
 * The settings kept in cycles.settings, in updateCycleSettings' order after the columns: each as cycleRules reads the
 * stored one (`from`, on `c.settings`; null when only TypeScript's coercion reads it, and the ordinary path decides),
 * given as $15… (null: not given).
 */
const ruleSettings: { field: RuleField; from: string }[] = [
  { field: 'dropExtremesFrom', from: `${aggregationRuleSql('c.settings', 'dropExtremesFrom')}::float8` },
  { field: 'outlierDistance', from: aggregationRuleSql('c.settings', 'outlierDistance') },
  // cycleRules' revocationRun (z.coerce.number().int(), up to 20, below 2 as 2, else 2): a number, missing or null said here
  {
    field: 'revocationRun',
    from: `(select case when r.v is null or jsonb_typeof(r.v) = 'null' then ${cycleDefaults.revocationRun}::float8
      when jsonb_typeof(r.v) = 'number' then ${revocationRunNumberSql('r.v')}::float8 end
      from (select case when jsonb_typeof(c.settings) = 'object' then c.settings -> 'revocationRun' end as v) r)`,
  },
];
const givenRule = (i: number) => `$${15 + i}::float8`;

/** $6… the values given (null: not given, the cycle's kept), in settingColumns' order. */
const given = (i: number) => `$${6 + i}::${settingColumns[i].type}`;
/** The value the cycle ends with: the one given, else its own. */
const merged = (i: number) => `coalesce(${given(i)}, c.${settingColumns[i].column})`;

/**
 * parseCycleSettings reads a setting not given from the cycle, through the form's own check: a stored value the form
 * would refuse is left to the ordinary path. The numeric columns' scales are the fields' steps (numeric(5,2) for
 * 0.01, numeric(4,3) for 0.001); a date column always holds a real date, written as dateField's pattern asks.
 */
function storedValid(i: number): string {
  const { field, column } = settingColumns[i];
  // the settings form's limits (a threshold up to a loaded sheet's total, beyond 100), as parseCycleSettings reads them
  const spec = settingsForm.fields[field];
  const check = 'min' in spec ? `c.${column} between ${spec.min} and ${spec.max}` : `c.${column}::text ~ '^\\d{4}-\\d{2}-\\d{2}$'`;
  return `(${given(i)} is not null or ${check})`;
}

const settingsSql = `
with cycle as (
  -- lockCycle's row as this statement's snapshot has it, its version checked again under the lock; which settings change
  select c.id, c.year, c.status, c.xmin as version, c.score_sheet, c.award_threshold,
    ${settingColumns.map((s, i) => `${given(i)} is not null and c.${s.column} <> ${given(i)} as ch_${i}`).join(',\n    ')},
    ${settingColumns.map((s) => `c.${s.from} as from_${s.column}`).join(', ')},
    ${ruleSettings.map((r) => `${r.from} as from_${r.field}`).join(',\n    ')},
    ${ruleSettings.map((r, i) => `${givenRule(i)} is not null and ${givenRule(i)} <> ${r.from} as ch_r${i}`).join(',\n    ')},
    ${settingColumns.map((_, i) => storedValid(i)).join(' and ')}
    ${ruleSettings.map((r) => `and ${r.from} is not null`).join(' ')}
    -- parseCycleSettings' datesInOrder, on the dates as merged
    and ${merged(1)} >= ${merged(0)} and ${merged(2)} >= ${merged(1)} as valid
  from cycles c where c.id = $5::int
),
verdict as (
  select ${isAdmin}
    -- updateCycleSettings: only while applications are open or experts are scoring (第十七条)
    and c.status in ('open', 'scoring')
    and c.valid
    -- updateCycleSettings: the application deadline changes only while applications are open
    and (not c.ch_0 or c.status = 'open')
    -- updateCycleSettings: a changed threshold no higher than the score sheet's total (sheetTotal)
    and (not c.ch_3 or ${merged(3)} <= (c.score_sheet ->> 'total')::numeric)
    -- updateCycleSettings' aggregatedBefore: the settings deciding the results stay fixed once scores were summed
    and (not (c.ch_3 or c.ch_4 or c.ch_5 or c.ch_r0 or c.ch_r1) or c.status = 'open'
      or not exists (select 1 from audit_log a where a.entity = 'cycle' and a.entity_id = c.id::text and a.action = 'cycle.closeScoring'))
    -- updateCycleSettings' tooYoungAt: a deadline brought forward leaves no submitted application of a team not yet a
    -- year old by it (第十六条, E1 as submission checks it)
    and (not c.ch_0 or $6::date >= c.from_application_deadline::date or not exists (
      select 1 from applications a join teams t on t.id = a.team_id
      where a.cycle_id = c.id and a.status in ('submitted', 'recommended', 'accepted', 'scoring', 'scored') and (t.registered_at + interval '1 year')::date > $6::date))
    -- updateCycleSettings: a changed date may not lie in the past ($12 the bot's today)
    and (not c.ch_0 or $6::date >= $12::date) and (not c.ch_1 or $7::date >= $12::date) and (not c.ch_2 or $8::date >= $12::date)
    -- updateCycleSettings' offItsYear: a changed date in the cycle's 评审年度 or the year after
    and (not c.ch_0 or (extract(year from $6::date)::int - c.year) between 0 and 1)
    and (not c.ch_1 or (extract(year from $7::date)::int - c.year) between 0 and 1)
    and (not c.ch_2 or (extract(year from $8::date)::int - c.year) between 0 and 1)
    -- updateCycleSettings' drawn: a setting changed is as the form was drawn with ($18, by field; none for an old card),
    -- else someone changed it since and the ordinary path refuses the save
    ${settingColumns.map((s, i) => `and (not c.ch_${i} or $18::jsonb -> '${s.field}' is null or c.from_${s.column} = ($18::jsonb ->> '${s.field}')::${s.type === 'date' ? 'text' : 'float8'})`).join('\n    ')}
    ${ruleSettings.map((r, i) => `and (not c.ch_r${i} or $18::jsonb -> '${r.field}' is null or c.from_${r.field} = ($18::jsonb ->> '${r.field}')::float8)`).join('\n    ')}
    -- updateCycleSettings' AlreadyDone: something changes
    and (${[...settingColumns.map((_, i) => `c.ch_${i}`), ...ruleSettings.map((_, i) => `c.ch_r${i}`)].join(' or ')}) as ok
  from cycle c
),
${claim},
changed as (
  -- updateCycleSettings' update of every setting, once the event is claimed, on the row decided on (its lock after the claim's)
  update cycles c set ${settingColumns.map((s, i) => `${s.column} = ${merged(i)}`).join(', ')}, updated_at = $13::timestamptz,
    -- the rules as merged written into cycles.settings, its other keys kept
    settings = (case when jsonb_typeof(c.settings) = 'object' then c.settings else '{}'::jsonb end) || jsonb_build_object(
      ${ruleSettings.map((r, i) => `'${r.field}', to_jsonb(coalesce(${givenRule(i)}, (select from_${r.field} from cycle)))`).join(', ')})
  where c.id = $5::int and c.xmin = (select version from cycle) and exists (select 1 from claim)
  returning c.id
),
audited as (
  -- updateCycleSettings' audit row: each changed setting, from what it was to what it is ($14 the values given by field)
  insert into audit_log (at, actor, action, entity, entity_id, details)
  select $13::timestamptz, $3::text, 'cycle.updateSettings', 'cycle', ch.id::text, jsonb_build_object('changes',
    ${[
      ...settingColumns.map((s, i) => `case when c.ch_${i} then jsonb_build_object('${s.field}', jsonb_build_object('from', to_jsonb(c.from_${s.column}), 'to', $14::jsonb -> '${s.field}')) else '{}'::jsonb end`),
      ...ruleSettings.map((r, i) => `case when c.ch_r${i} then jsonb_build_object('${r.field}', jsonb_build_object('from', to_jsonb(c.from_${r.field}), 'to', $14::jsonb -> '${r.field}')) else '{}'::jsonb end`),
    ].join('\n    || ')})
  from changed ch cross join cycle c
  returning id
)
select exists (select 1 from changed) as changed, c.year,
  array_remove(array[${[...settingColumns.map((s, i) => `case when c.ch_${i} then '${s.field}' end`), ...ruleSettings.map((r, i) => `case when c.ch_r${i} then '${r.field}' end`)].join(', ')}]::text[], null) as changes,
  -- claimed, but the cycle changed since the statement's snapshot: the ordinary path decides on it as it is
  ${racedWhen('exists (select 1 from claim) and not exists (select 1 from changed)')}
from cycle c`;

/** 评审设置 saved: the cycle's year, the fields changed (in updateCycleSettings' order) and the answer's reads. */
export async function fastSaveSettings<R>(
  database: Database,
  /** `values`: the settings given, as `parseGivenSettings` read them; `today`: the bot's (YYYY-MM-DD). */
  event: FastAdminEvent & { cycleId: number; values: Partial<Record<SettingField, string | number>>; today: string; drawn?: Partial<Record<CycleField, string>> },
  read: (db: Db) => Promise<R>,
): Promise<{ year: number; changes: SettingField[]; answer: R } | undefined> {
  if (!postgresClient(database)) return undefined;
  const { values } = event;
  // a drawn value SQL cannot read as its setting (a card made up): the ordinary path compares it as text, and refuses
  const drawn = event.drawn ?? {};
  const readable = (field: string, v: string) => (settingColumns.find((s) => s.field === field)?.type === 'date' ? /^\d{4}-\d{2}-\d{2}$/.test(v) : Number.isFinite(Number(v)) && v.trim() !== '');
  if (Object.entries(drawn).some(([field, v]) => v !== undefined && !readable(field, v))) return undefined;
  const params = [
    event.eventId,
    event.eventType,
    event.openId,
    [...event.bootstrapAdmins],
    event.cycleId,
    ...settingColumns.map((s) => (values[s.field] === undefined ? null : String(values[s.field]))),
    event.today,
    event.now.toISOString(),
    JSON.stringify(values),
    ...ruleSettings.map((r) => (values[r.field] === undefined ? null : String(values[r.field]))),
    JSON.stringify(drawn),
  ];
  const done = await run<{ changed: boolean; year: number; changes: SettingField[] }, R>(database, settingsSql, params, read);
  if (!done?.row?.changed) return undefined;
  return { year: done.row.year, changes: done.row.changes, answer: done.answer };
}

// --- 评分表 ---------------------------------------------------------------------------------------

const sheetSql = `
with cycle as (
  -- lockCycle's row as this statement's snapshot has it, its version checked again under the lock
  select c.id, c.status, c.xmin as version, c.score_sheet = $6::jsonb as same, c.score_sheet ->> 'title' as previous_title, c.score_sheet as previous_sheet, c.award_threshold
  from cycles c where c.id = $5::int
),
verdict as (
  select ${isAdmin}
    -- loadScoreSheet: only before experts start scoring, while applications are open (第十八条)
    and c.status = 'open'
    -- loadScoreSheet: not once an expert has submitted a sheet scored against the sheet in force, nor while a reopened
    -- one keeps its scores
    and not exists (select 1 from assignments a where a.cycle_id = c.id and (a.status = 'submitted' or (a.status = 'assigned' and a.scores is not null)))
    -- loadScoreSheet's AlreadyDone: the sheet in force is this one. Every stored sheet is the schema's own output
    -- (openCycle's default, loadScoreSheet's parse), so parsing it again gives it back: equal JSON is equal sheets
    and not c.same
    -- loadScoreSheet: a sheet totalling less than the award threshold is refused (第十八条)
    and ($6::jsonb ->> 'total')::numeric >= c.award_threshold as ok
  from cycle c
),
${claim},
changed as (
  -- loadScoreSheet's update, once the event is claimed, on the row decided on (its lock after the claim's)
  update cycles set score_sheet = $6::jsonb, updated_at = $7::timestamptz
  where id = $5::int and xmin = (select version from cycle) and exists (select 1 from claim)
  returning id
),
audited as (
  -- loadScoreSheet's audit row ($8: its details but the previous title and the sheet written over, as read: the row's
  -- version is checked above)
  insert into audit_log (at, actor, action, entity, entity_id, details)
  select $7::timestamptz, $3::text, 'cycle.loadScoreSheet', 'cycle', ch.id::text,
    $8::jsonb || jsonb_build_object('previousTitle', c.previous_title, 'previousSheet', coalesce(c.previous_sheet, 'null'::jsonb))
  from changed ch cross join cycle c
  returning id
)
select exists (select 1 from changed) as changed,
  -- claimed, but the cycle changed since the statement's snapshot: the ordinary path decides on it as it is
  ${racedWhen('exists (select 1 from claim) and not exists (select 1 from changed)')}`;

// 第十八条, after the load's claim and the cycle's row lock, as loadScoreSheet takes them: SHARE on assignments (above)
// waits for submits in flight and holds new ones until the COMMIT, so this count sees every sheet committed before;
// one found undoes a sheet this transaction loaded (RACED), and the ordinary path refuses it with its count
const sheetScoredSql = `
select case when exists (select 1 from assignments a where a.cycle_id = $1::int and (a.status = 'submitted' or (a.status = 'assigned' and a.scores is not null)))
  and exists (select 1 from cycles c where c.id = $1::int and c.xmin = pg_current_xact_id_if_assigned()::xid)
  then (select '${RACED} (cycle ' || c.id || ')' from cycles c where c.id = $1::int)::int end as raced`;

/** 评分表 loaded: `sheet` as `loadScoreSheet` parsed it; the answer's reads. */
export async function fastLoadSheet<R>(
  database: Database,
  event: FastAdminEvent & { cycleId: number; sheet: { title: string; total: number; areas: { items: unknown[] }[] } },
  read: (db: Db) => Promise<R>,
): Promise<{ answer: R } | undefined> {
  if (!postgresClient(database)) return undefined;
  const { sheet } = event;
  const details = { title: sheet.title, total: sheet.total, areas: sheet.areas.length, items: sheet.areas.reduce((n, a) => n + a.items.length, 0) };
  const params = [event.eventId, event.eventType, event.openId, [...event.bootstrapAdmins], event.cycleId, JSON.stringify(sheet), event.now.toISOString(), JSON.stringify(details)];
  const done = await run<{ changed: boolean }, R>(database, sheetSql, params, read, [
    { statement: 'lock table assignments in share mode', params: [] },
    { statement: sheetScoredSql, params: [event.cycleId] },
  ]);
  if (!done?.row?.changed) return undefined;
  return { answer: done.answer };
}
