import { type SQL, sql } from 'drizzle-orm';
import type { Database, Db } from '../../db/index.js';
import { pipelined, postgresClient, readOn } from '../pipeline.js';
import { aggregation } from '../review/results.js';
import { aggregationRuleSql, claimCte, failWhenNotWritten, raisedOnPurpose } from './sql.js';

/**
 * 结束评分并汇总 (`results.close`) in one round trip on PostgreSQL, on the success path only: BEGIN, the cycle's lock (a
 * statement of its own, as `closeScoring` in src/review/results.ts takes it before it reads), one statement that
 * aggregates every panel, decides and writes, COMMIT, and the preview's reads after the COMMIT, in one write. It is raw
 * SQL because one statement must check and write at once, which the query builder cannot say.
 *
 * The statement computes what `closeScoring` computes in TypeScript from the rows it reads (`aggregatePanel`,
 * `median`, `panelOutliers`, `decideResults` in src/review/aggregation.ts, `areaSubtotals` in src/scoreSheet.ts),
 * bit for bit: the same float8 (IEEE double) operations in the same order (sums as `sum(x order by …)`, which adds
 * row by row from the first), `round2` with its EPSILON nudge and JavaScript's `Math.round` (ties up; PostgreSQL's
 * round() of a float8 ties to even, so it is not used), and numbers stored in jsonb through float8's shortest
 * round-trip text, which is what JSON.stringify writes. test/db/aggregate.fast.test.ts checks it against the ordinary
 * path on many random cycles.
 *
 * It handles the success alone, and only what it mirrors exactly. Anything else writes nothing, not even the claim,
 * and the ordinary path answers as it always has: every refusal (not an administrator, no such cycle, not scoring,
 * applications unassigned or unscored, none scored), a second click, a delivery seen before, and the cases it does
 * not express: a stored score sheet the schema would not take as it is (`cycleScoreSheet` fails on it, or trims its
 * names), a score sheet whose scores are not numbers, an item code that names a property every JavaScript object has
 * (`scores[code]` would find it), a team code beyond ASCII (the tie-break is JavaScript's `<`, UTF-16 order; `collate
 * "C"` agrees on ASCII), and a session whose float8 text is not the shortest round trip (`extra_float_digits` ≤ 0).
 *
 * Locks come in the ordinary path's order but for the claim: the cycle's, then the claim's row (the ordinary path
 * claims first; only the same event on both paths at once could wait on each other, and PostgreSQL would end one),
 * then the applications' and the cycle's updates. With the cycle locked and no application still to score, the
 * scored applications and their sheets change only under the cycle's lock (a 重开评分 takes it first), so the
 * statement's snapshot, taken after the lock, reads what the ordinary path would. Should the cycle still not move
 * after the claim, the statement fails on purpose (`RACED`) and nothing is kept.
 */

export interface FastCloseScoring {
  eventId: string;
  eventType: string;
  openId: string;
  cycleId: number;
  now: Date;
  /** ADMIN_OPEN_IDS: administrators without the stored role. */
  bootstrapAdmins: readonly string[];
}

/** What `closeScoring` answers (its counts), and what `read` read after the COMMIT. */
export interface ScoringClosed<R> {
  applications: number;
  awarded: number;
  recommended: number;
  read: R;
}

/** The text of the error a statement raises when the cycle did not move after the claim: nothing it did is kept. */
const RACED = 'close scoring: the cycle changed after this event read it';

/** Number.EPSILON, 2^-52, as float8 (the literal is its shortest text, read back exactly). */
const EPSILON = `'2.220446049250313e-16'::float8`;

/** JavaScript's Math.round of a float8 `y` (ties towards +∞): its floor, plus one when the fraction (exact) is at least a half. */
const jsRound = (y: string) => `(floor(${y}) + case when (${y}) - floor(${y}) >= 0.5 then 1 else 0 end)`;

/** `round2` (src/review/aggregation.ts) of a float8 expression: Math.round((x + EPSILON * sign(x)) * 100) / 100. */
const round2 = (x: string) => `(select ${jsRound('r2.y')} / 100 from (select ((${x}) + ${EPSILON} * sign(${x})) * 100 as y) r2)`;

/** `sum` of src/scoreSheet.ts applied to a float8 sum already added in order: Math.round(s * 100) / 100. */
const centsOf = (s: string) => `(select ${jsRound('c2.y')} / 100 from (select (${s}) * 100 as y) c2)`;

/**
 * A string the schema's `text()` takes as it is: nothing for String.prototype.trim to cut at either end ($8: its
 * whitespace), and not empty (strpos of the empty string is 1).
 */
const untrimmed = (t: string) => `coalesce(strpos($8, left(${t}, 1)) = 0 and strpos($8, right(${t}, 1)) = 0, false)`;

/** The schema's `points` on a jsonb value: a number, positive, whole or half (and small enough that every sum of them is exact). */
const points = (v: string) => `case when jsonb_typeof(${v}) = 'number' then (${v})::numeric > 0 and (${v})::numeric * 2 % 1 = 0 and (${v})::numeric < 100000 else false end`;

/** aggregatePanel's kept sheets: all of a panel under the cycle's `dropExtremesFrom`, else all but its lowest and its highest. */
const kept = (sh: string) => `(${sh}.n < (select drop_from from cycle) or (${sh}.pos > 1 and ${sh}.pos < ${sh}.n))`;

const closeSql = `
with cycle as (
  -- lockCycle (src/review/results.ts): the row as it stands once the lock (taken just before) was granted
  select c.id, c.year, c.status, c.score_sheet as s, c.award_threshold::float8 as threshold, c.recommend_share::float8 as share,
    -- aggregationRuleOf: the cycle's rule, from its settings
    ${aggregationRuleSql('c.settings', 'dropExtremesFrom')} as drop_from, ${aggregationRuleSql('c.settings', 'outlierDistance')} as outlier
  from cycles c where c.id = $5
),
pending as (
  -- closeScoring's read of the applications still under review: any refuses (awaiting the formal check, unassigned, or
  -- not fully scored)
  select count(*) as n from applications a where a.cycle_id = $5 and a.status in ('recommended', 'accepted', 'scoring')
),
scored as (
  -- closeScoring's read of the scored applications, with their team's code (decideResults' tie-break)
  select a.id, t.code from applications a join teams t on t.id = a.team_id where a.cycle_id = $5 and a.status = 'scored'
),
sheets as (
  -- submittedSheetsOfScored + submittedPanels: each submitted sheet, its total as Number() reads it (none: 0); pos its
  -- place in aggregatePanel's order (total, then id), n its panel's size
  select s.application_id as app, s.id, s.expert_open_id as expert, coalesce(s.total::float8, 0) as total, s.scores,
    row_number() over (partition by s.application_id order by coalesce(s.total::float8, 0), s.id) as pos,
    count(*) over (partition by s.application_id) as n
  from assignments s join scored a on a.id = s.application_id
  where s.status = 'submitted'
),
areas as (
  -- cycleScoreSheet's areas, in order (whether the schema takes them: sheet_ok)
  select a.ord, a.area
  from cycle c cross join lateral jsonb_array_elements(case when jsonb_typeof(c.s -> 'areas') = 'array' then c.s -> 'areas' else '[]'::jsonb end) with ordinality a (area, ord)
),
items as (
  -- each area's items, in order
  select ar.ord as area_ord, i.ord, i.item, i.item ->> 'code' as code
  from areas ar cross join lateral jsonb_array_elements(case when jsonb_typeof(ar.area -> 'items') = 'array' then ar.area -> 'items' else '[]'::jsonb end) with ordinality i (item, ord)
),
sheet_ok as (
  -- scoreSheetSchema (src/scoreSheet.ts), which cycleScoreSheet parses the stored sheet with: what it takes unchanged.
  -- An object (else it has no title); a list of areas, at least one, each an object (else no code) with a list of at
  -- least one item (else none of its own), each an object (else no code): else the items' sum below is null
  select jsonb_typeof(c.s -> 'title') = 'string' and ${untrimmed(`(c.s ->> 'title')`)}
    and not exists (
      select 1 from areas ar
      where not (jsonb_typeof(ar.area -> 'code') = 'string' and ${untrimmed(`(ar.area ->> 'code')`)}
        and jsonb_typeof(ar.area -> 'name') = 'string' and ${untrimmed(`(ar.area ->> 'name')`)}
        and coalesce(jsonb_typeof(ar.area -> 'article') = 'string', not (ar.area ? 'article'))
        and exists (select 1 from items i where i.area_ord = ar.ord)))
    and not exists (
      select 1 from items i
      where not (jsonb_typeof(i.item -> 'code') = 'string' and ${untrimmed('i.code')}
        and jsonb_typeof(i.item -> 'name') = 'string' and ${untrimmed(`(i.item ->> 'name')`)}
        and ${points(`(i.item -> 'max')`)}
        -- not a property every object has ($9): scores[code] would find Object.prototype's
        and i.code <> all($9::text[])))
    -- 编号重复
    and (select count(distinct i.code) = count(*) from items i)
    -- 各评分项满分合计 = 总分 (half points add up exactly); so the total too is a number of positive half points
    and (select sum(case when jsonb_typeof(i.item -> 'max') = 'number' then (i.item -> 'max')::numeric end) from items i)
      = case when jsonb_typeof(c.s -> 'total') = 'number' then (c.s -> 'total')::numeric end as ok
  from cycle c
),
scores_ok as (
  -- areaSubtotals reads Number(scores[code] ?? 0) of an object (none: {}): mirrored for numbers and nulls only
  select not exists (select 1 from sheets sh where sh.scores is not null and jsonb_typeof(sh.scores) not in ('object', 'null'))
    and not exists (
      select 1 from sheets sh cross join items i
      where jsonb_typeof(sh.scores) = 'object' and sh.scores ? i.code
        and not case jsonb_typeof(sh.scores -> i.code)
          when 'null' then true
          when 'number' then abs((sh.scores -> i.code)::numeric) < 1000000
          else false end) as ok
),
panels as (
  -- aggregatePanel: the kept totals added in order (total, then id) from 0, and median() of the sorted totals
  select sh.app, max(sh.n) as n,
    sum(sh.total order by sh.pos) filter (where ${kept('sh')}) as kept_sum,
    count(*) filter (where ${kept('sh')}) as kept_n,
    case when max(sh.n) % 2 = 1 then max(sh.total) filter (where sh.pos = sh.n / 2 + 1)
      else (max(sh.total) filter (where sh.pos = sh.n / 2) + max(sh.total) filter (where sh.pos = sh.n / 2 + 1)) / 2 end as median
  from sheets sh
  group by sh.app
),
results as (
  -- aggregatePanel's finalScore: round2 of the kept mean; null with nobody scored
  select a.id, a.code, p.n, coalesce(p.kept_n, 0) as kept_n, p.median,
    case when p.kept_n > 0 then ${round2('p.kept_sum / p.kept_n')} end as final
  from scored a left join panels p on p.app = a.id
),
item_values as (
  -- areaSubtotals(sheet, p.scores) of each kept sheet: Number(scores[code] ?? 0) of every item
  select sh.app, sh.pos, i.area_ord, i.ord,
    case when jsonb_typeof(sh.scores -> i.code) = 'number' then
      case when abs((sh.scores -> i.code)::numeric) < 1000000 then (sh.scores ->> i.code)::float8 else 0 end else 0 end as v
  from sheets sh cross join items i
  where ${kept('sh')}
),
sheet_sums as (
  -- … added per area in the items' order from 0
  select app, pos, area_ord, sum(v order by ord) as s
  from item_values
  group by app, pos, area_ord
),
sheet_areas as (
  -- … and rounded to cents (sum, src/scoreSheet.ts)
  select app, pos, area_ord, ${centsOf('s')} as score from sheet_sums
),
area_sums as (
  -- aggregatePanel: each area's subtotals added over the kept sheets in their order from 0
  select app, area_ord, sum(score order by pos) as acc, count(*) as k
  from sheet_areas
  group by app, area_ord
),
area_items as (
  -- areaSubtotals' max: the area's items' max added in order from 0
  select area_ord, sum(case when jsonb_typeof(item -> 'max') = 'number' then
    case when abs((item -> 'max')::numeric) < 100000 then (item ->> 'max')::float8 else 0 end else 0 end order by ord) as s
  from items
  group by area_ord
),
area_max as (
  -- … rounded to cents (sum)
  select area_ord, ${centsOf('s')} as max from area_items
),
area_rounded as (
  -- areasToFinal: round2 of each area's mean, and what the rounding left (mean − rounded)
  select m.app, m.area_ord, m.score, m.mean - m.score as remainder, am.max
  from (select app, area_ord, acc / k as mean, ${round2('acc / k')} as score from area_sums) m
    join area_max am on am.area_ord = m.area_ord
),
area_cents as (
  -- … the cents between the final score and the rounded areas added in order from 0: Math.round(round2(final − Σ) × 100)
  select t.app, ${jsRound(`${round2('r.final - t.s')} * 100`)} as n
  from (select app, sum(score order by area_ord) as s from area_rounded group by app) t join results r on r.id = t.app
  where r.final is not null
),
area_order as (
  -- … the areas that can take a cent (one more stays within the max; one less stays at 0 or above), the most rounded down
  -- first when cents are missing, the most rounded up first when there are too many, ties in the sheet's order
  select ar.app, ar.area_ord, c.n,
    row_number() over (partition by ar.app order by case when c.n > 0 then -ar.remainder else ar.remainder end, ar.area_ord) as place
  from area_rounded ar join area_cents c on c.app = ar.app
  where c.n <> 0 and case when c.n > 0 then ${round2(`ar.score + '0.01'::float8`)} <= ar.max else ${round2(`ar.score + '-0.01'::float8`)} >= 0 end
),
area_means as (
  -- … and the first |n| of them a cent more (or less): the areas add up to the final score
  select ar.app, ar.area_ord,
    case when o.place <= abs(o.n) then ${round2(`ar.score + case when o.n > 0 then '0.01'::float8 else '-0.01'::float8 end`)} else ar.score end as score
  from area_rounded ar left join area_order o on o.app = ar.app and o.area_ord = ar.area_ord
),
ranked as (
  -- decideResults: those with a final score, ranked 1, 2, 2, 4 on ties; ord its order (score, then team code as
  -- JavaScript's < compares ASCII, then id); the title at round2(awardThreshold)
  select r.id, r.final, rank() over (order by r.final desc) as rank,
    row_number() over (order by r.final desc, r.code collate "C", r.id) as ord,
    ${round2('r.final')} >= ${round2('c.threshold')} as awarded
  from results r cross join cycle c
  where r.final is not null
),
cut as (
  -- decideResults: with anyone titled and a share above 0, the k-th titled score, k = max(1, floor(titled × share + 1e-9))
  -- and at most the titled
  select (select r.final from ranked r where r.awarded order by r.final desc
    offset least(greatest(1, floor(t.n * c.share + '1e-9'::float8)), t.n)::bigint - 1 limit 1) as cutoff
  from (select count(*) as n from ranked where awarded) t cross join cycle c
  where t.n > 0 and c.share > 0
),
decided as (
  -- … and every titled team at or above it recommended
  select r.*, r.awarded and coalesce(r.final >= (select cutoff from cut), false) as recommended
  from ranked r
),
panel_json as (
  -- each panel's totals and outliers (panelOutliers: more than the cycle's outlierDistance from the median; the distance
  -- round2'd), in the panel's order (by id), aggregated once per panel
  select sh.app,
    jsonb_agg(jsonb_build_object('assignmentId', sh.id, 'expertOpenId', sh.expert, 'total', sh.total, 'counted', ${kept('sh')},
      'outlier', abs(sh.total - p.median) > (select outlier from cycle)) order by sh.id) as totals,
    jsonb_agg(jsonb_build_object('assignmentId', sh.id, 'expertOpenId', sh.expert, 'total', sh.total, 'median', p.median,
      'distance', ${round2('abs(sh.total - p.median)')}) order by sh.id) filter (where abs(sh.total - p.median) > (select outlier from cycle)) as outliers
  from sheets sh join panels p on p.app = sh.app
  group by sh.app
),
area_json as (
  -- each panel's area subtotals, in the sheet's order
  select m.app, jsonb_agg(jsonb_build_object('code', ar.area ->> 'code', 'name', ar.area ->> 'name', 'max', am.max, 'score', m.score) order by ar.ord) as areas
  from area_means m join areas ar on ar.ord = m.area_ord join area_max am on am.area_ord = m.area_ord
  group by m.app
),
zero_areas as (
  -- aggregatePanel with no sheet kept: every area at 0
  select jsonb_agg(jsonb_build_object('code', ar.area ->> 'code', 'name', ar.area ->> 'name', 'max', am.max, 'score', 0::float8) order by ar.ord) as areas
  from areas ar join area_max am on am.area_ord = ar.ord
),
reviews as (
  -- StoredReview (closeScoring) of each scored application
  select r.id, r.final, d.rank, d.awarded,
    jsonb_build_object(
      'rule', case when coalesce(r.n, 0) >= (select drop_from from cycle) then 'trimmedMean' else 'mean' end,
      'median', r.median,
      'totals', coalesce(pj.totals, '[]'::jsonb),
      'areas', case when r.kept_n > 0 then aj.areas else z.areas end,
      'outliers', coalesce(pj.outliers, '[]'::jsonb),
      'awarded', coalesce(d.awarded, false),
      'recommended', coalesce(d.recommended, false),
      'aggregatedAt', $7::text) as review
  from results r
    left join decided d on d.id = r.id
    left join panel_json pj on pj.app = r.id
    left join area_json aj on aj.app = r.id
    cross join zero_areas z
),
verdict as (
  select
    -- the registry's roles ['admin'] (mayUse, src/handlers.ts), requireAdmin and cycleStates' roles: the stored role or
    -- ADMIN_OPEN_IDS, as actorFrom (src/people.ts) makes the actor
    (exists (select 1 from people p where p.open_id = $3 and 'admin' = any(p.roles)) or $3 = any($4::text[]))
    -- closeScoring: 仍在接受申报 / 不能再汇总 (cycleStates: closeScoring from scoring alone)
    and c.status = 'scoring'
    -- closeScoring: 待形式审查 / 尚未分配专家 / 未完成评分
    and pending.n = 0
    -- a year with nothing scored ends with no title on the ordinary path (scoringToClose): left to it
    and exists (select 1 from scored)
    -- closeAndAggregate (bot/results/preview.ts): a cycle of more than aggregation.inCallbackMax ($10) scored
    -- applications is aggregated by a job, and so is one whose job is queued or running. Tested before what follows:
    -- AND stops at the first false and the subqueries below run when first reached, so a refusal reads no sheet
    and (select count(*) from scored) <= $10
    and not exists (select 1 from bulk_jobs j where j.kind = 'aggregate' and j.cycle_id = $5 and j.status in ('queued', 'running'))
    -- what this statement mirrors exactly (see the header); anything else is the ordinary path's
    and coalesce((select ok from sheet_ok), false) and (select ok from scores_ok)
    and not exists (select 1 from scored s where octet_length(s.code) <> char_length(s.code))
    and current_setting('extra_float_digits')::int > 0 as ok
  from cycle c cross join pending
),
${claimCte()},
updated as (
  -- closeScoring's update of each scored application, once the event is claimed: the score as String(x) writes it
  update applications a
  set final_score = v.final::text::numeric, rank = v.rank,
    decision = case when v.rank is null then null when v.awarded then 'awarded' else 'not_awarded' end,
    review = v.review, updated_at = $6::timestamptz
  from reviews v
  where a.id = v.id and exists (select 1 from claim)
  returning a.id
),
closed as (
  -- transitionCycle's update: scoring → closed (the cycle is locked already)
  update cycles set status = 'closed', updated_at = $6::timestamptz
  where id = $5 and status = 'scoring' and exists (select 1 from claim)
  returning id
),
counted as (
  -- only once claimed: the aggregation is computed for the writes alone (a refusal computes nothing, and answers no row)
  select (select count(*) from results) as applications,
    (select count(*) from decided where awarded) as awarded,
    (select count(*) from decided where recommended) as recommended
  where exists (select 1 from claim)
),
audited as (
  -- audit() of transitionCycle (with closeScoring's counts), then review.aggregate's, in that order, at the bot's clock
  insert into audit_log (at, actor, action, entity, entity_id, details)
  select $6::timestamptz, $3, x.action, 'cycle', x.entity_id, x.details
  from (
    select 1 as n, 'cycle.closeScoring' as action, c.id::text as entity_id,
      jsonb_build_object('from', 'scoring', 'to', 'closed', 'applications', k.applications, 'awarded', k.awarded, 'recommended', k.recommended) as details
    from closed c cross join counted k
    union all
    select 2, 'review.aggregate', c.id::text,
      jsonb_build_object('results', coalesce((select jsonb_agg(jsonb_build_array(d.id, d.final, d.rank, d.awarded, d.recommended) order by d.ord) from decided d), '[]'::jsonb))
    from closed c
  ) x
  order by x.n
  returning id
)
select coalesce((select ok from verdict), false) as ok,
  exists (select 1 from closed) as closed,
  (select count(*) from updated)::int as updated,
  (select count(*) from audited)::int as audited,
  k.applications::int as applications, k.awarded::int as awarded, k.recommended::int as recommended,
  -- claimed, but the cycle no longer scoring: fail, so the claim is not kept
  ${failWhenNotWritten('closed', RACED)}
from counted k`;

/** The planner's settings for the statement, until the COMMIT (see `fastCloseScoring`). */
const plannerSql = `select set_config('jit', 'off', true), set_config('enable_nestloop', 'off', true)`;

/**
 * lockCycle (src/review/results.ts): taken before the statement, so what it reads is read after the lock. Not while
 * an aggregation job is queued or running: its batch holds the cycle's lock for as long as it aggregates (a second, more
 * on PGlite), and the statement refuses then anyway; the ordinary path reads the job before any lock and answers with
 * its progress.
 */
const lockSql = `select 1 from cycles where id = $1
  and not exists (select 1 from bulk_jobs j where j.kind = 'aggregate' and j.cycle_id = $1 and j.status in ('queued', 'running'))
  for update`;

/** What String.prototype.trim cuts: WhiteSpace and LineTerminator of ECMA-262. */
const JS_WHITESPACE = '\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff';

/** The names `scores[code]` finds on any object. */
const OBJECT_PROPERTIES = Object.getOwnPropertyNames(Object.prototype);

interface Outcome {
  ok: boolean;
  closed: boolean;
  updated: number;
  audited: number;
  applications: number;
  awarded: number;
  recommended: number;
  raced: null;
}

/**
 * 结束评分并汇总 in one round trip; `read` runs after the COMMIT on the committed state (the preview's rows), each of its
 * queries also conditioned on `claimed`. Undefined
 * (nothing written) whenever the ordinary path must answer; always so on PGlite.
 */
export async function fastCloseScoring<R>(database: Database, event: FastCloseScoring, read: (db: Db, claimed: SQL) => Promise<R>): Promise<ScoringClosed<R> | undefined> {
  const client = postgresClient(database);
  if (!client) return undefined;
  const params = [
    event.eventId,
    event.eventType,
    event.openId,
    [...event.bootstrapAdmins],
    event.cycleId,
    event.now.toISOString(),
    // StoredReview.aggregatedAt
    event.now.toISOString(),
    JS_WHITESPACE,
    OBJECT_PROPERTIES,
    aggregation.inCallbackMax,
  ];
  let outcome: Outcome[];
  let answer: { ok: true; value: R } | { ok: false; err: unknown };
  // the preview's reads are sent whatever the statement decides, so each is given a condition that holds only when this
  // statement closed the cycle: the event claimed, and the cycle's updated_at the one it writes (a delivery seen before
  // has its claim already, but the cycle was closed, if at all, at another time). A refusal, or a cycle left to the job,
  // reads nothing (ten thousand applications: 0.6–0.9 s saved). They count only when the cycle was closed
  const claimed = sql`(exists (select 1 from processed_events where event_id = ${event.eventId})
    and exists (select 1 from cycles where id = ${event.cycleId} and status = 'closed' and updated_at = ${event.now.toISOString()}::timestamptz))`;
  const reading = (db: Db) =>
    read(db, claimed).then(
      (value) => ({ ok: true as const, value }),
      (err: unknown) => ({ ok: false as const, err }),
    );
  try {
    // the cycle's lock first, a statement of its own, as closeScoring takes it before it reads: the statement's snapshot
    // is then taken after it, so it reads what the last holder of the lock (a 重开评分, say) committed
    [[, , outcome], [answer]] = await pipelined<[unknown, unknown, Outcome[]], [typeof answer]>(
      client,
      [
        // for this transaction only: JIT-compiling the statement's many expressions takes seconds once a large cycle's
        // estimate passes jit_above_cost, far longer than running it (a thousand applications: 4.6 s against 0.25 s); and
        // on tables not yet analysed (a cycle just imported) the planner takes the CTEs for a few rows and loops over them
        // (two thousand applications: 29 s), where hash and merge joins take 0.4 s
        (c) => c.unsafe(plannerSql, [], { prepare: true }).execute(),
        (c) => c.unsafe(lockSql, [event.cycleId], { prepare: true }).execute(),
        (c) => c.unsafe(closeSql, params as never[], { prepare: true }).execute() as never,
      ],
      [readOn(database, reading)],
    );
  } catch (err) {
    if (raisedOnPurpose(err, RACED)) return undefined;
    throw err;
  }
  const row = outcome[0];
  // closed only when the verdict held and the event was new
  if (!row?.closed) return undefined;
  // committed: a failed read fails the answer, as the ordinary path's afterCommit does
  if (!answer.ok) throw answer.err;
  return { applications: row.applications, awarded: row.awarded, recommended: row.recommended, read: answer.value };
}
