import { and, desc, eq, inArray, isNotNull, isNull, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import { applications, cycles, honours } from '../../db/schema.js';
import type { ResultYear } from '../../cards/results.js';
import { cycleStatusLabel } from '../cycles.js';
import { halfWidth } from '../forms.js';
import { reviewedStatuses } from './results.js';
import { rowsOf } from '../outbox.js';

/**
 * 历年评审结果: every year whose results were published, newest first, with its counts as they stand now (第二十二条:
 * a title revoked since publishing is counted apart, as the year's 评审结果 card counts it). The 协会管理 card has a
 * button for the latest one only; the others are reached from here.
 */

/** Every published year with its counts, newest first: one statement. */
export async function publishedYears(tx: Db): Promise<ResultYear[]> {
  const scored = tx
    .select({ n: sql<number>`count(*)::int` })
    .from(applications)
    .where(and(eq(applications.cycleId, cycles.id), inArray(applications.status, reviewedStatuses), isNotNull(applications.finalScore)));
  const titles = (revoked: boolean, recommended?: boolean) =>
    tx
      .select({ n: sql<number>`count(*)::int` })
      .from(honours)
      .where(and(eq(honours.cycleId, cycles.id), revoked ? isNotNull(honours.revokedAt) : isNull(honours.revokedAt), recommended ? eq(honours.recommended, true) : undefined));
  const rows = await tx
    .select({
      cycleId: cycles.id,
      year: cycles.year,
      scored: sql<number>`(${scored})`.mapWith(Number),
      awarded: sql<number>`(${titles(false)})`.mapWith(Number),
      recommended: sql<number>`(${titles(false, true)})`.mapWith(Number),
      revoked: sql<number>`(${titles(true)})`.mapWith(Number),
    })
    .from(cycles)
    .where(eq(cycles.status, 'published'))
    .orderBy(desc(cycles.year));
  return rows;
}

/** The year an administrator typed after 评审结果 (or before it: 2026年度评审结果): four digits, 年 or 年度 after them. */
export function yearTyped(text: string): number | undefined {
  const m = /^(\d{4})\s*(?:年度?)?$/.exec(halfWidth(text).trim());
  return m ? Number(m[1]) : undefined;
}

/**
 * `2026年度评审结果`, `2026年评审结果`, `2026 results` as an administrator types them, the year first: the year, else
 * undefined (any other text, a question about results among them, is not this).
 */
export function yearFirstTyped(text: string): number | undefined {
  const t = halfWidth(text).trim().replace(/[。.!！?？~～\s]+$/u, '');
  const m = /^(\d{4})\s*(?:年度?)?\s*(?:的)?\s*(?:评审结果|results|review results)$/i.exec(t);
  return m ? Number(m[1]) : undefined;
}

/**
 * Where the results a team's person asks for stand (评审结果, results 2026): the year typed, else the newest year
 * published; whether it is published, reviewed in the bot at all, and whether a team of `openId`'s (leader, member or
 * contact) was among those decided in it (whose leader and contact got a result card), or, for a year the bot never
 * reviewed, holds a title of it (imported). Undefined when no year is typed and none was ever published.
 */
export async function resultsStanding(tx: Db, openId: string, year?: number): Promise<{ year: number; published: boolean; reviewed: boolean; theirs: boolean } | undefined> {
  const theirTeam = sql`(t.leader_open_id = ${openId} or t.contact_open_id = ${openId} or exists (select 1 from team_members m where m.team_id = t.id and m.open_id = ${openId}))`;
  const decidedIn = (cycleId: SQL) => sql`exists (select 1 from applications a join teams t on t.id = a.team_id where a.cycle_id = ${cycleId} and a.status = 'decided' and ${theirTeam})`;
  // no year typed: the newest published year their team was in, else the newest published
  const [cycle] = rowsOf(
    await tx.execute(sql`
      select c.year, c.status, ${decidedIn(sql`c.id`)} as theirs from cycles c
      where ${year === undefined ? sql`c.status = 'published'` : sql`c.year = ${year}`}
      order by 3 desc, c.year desc limit 1`),
  ) as { year: number; status: string; theirs: boolean }[];
  if (cycle) return { year: Number(cycle.year), published: cycle.status === 'published', reviewed: true, theirs: cycle.theirs === true };
  if (year === undefined) return undefined;
  // a year the bot never reviewed: a title of it their team holds (imported)
  const [held] = rowsOf(await tx.execute(sql`select exists (select 1 from honours h join teams t on t.id = h.team_id where h.year = ${year} and ${theirTeam}) as theirs`)) as { theirs: boolean }[];
  return { year, published: false, reviewed: false, theirs: held?.theirs === true };
}

/** What a year asked for that has no published results is told: where it stands, and which years have them. */
export async function noResultsOf(tx: Db, year: number, published: readonly ResultYear[]): Promise<string> {
  const [cycle] = await tx.select({ status: cycles.status }).from(cycles).where(eq(cycles.year, year));
  // newest first; the 协会管理 card has a button for the newest, and 历年评审结果 once more than one is published
  const newest = published[0]?.year;
  const which = published.length
    ? `已公布评审结果的年度：${published.map((y) => y.year).join('、')}（发送“评审结果 ${newest}”查看，或点协会管理卡片上的“${published.length > 1 ? '历年评审结果' : `${newest}年度评审结果`}”）。`
    : '还没有公布过评审结果的年度。';
  if (!cycle) return `${year} 年度没有已公布的评审结果。${which}`;
  if (cycle.status === 'closed') return `${year} 年度评审已汇总专家评分，结果尚未公布：请发送“管理”，点“评审进度/结果”查看预览。${which}`;
  return `${year} 年度评审正在进行（${cycleStatusLabel(cycle.status)}），结果尚未公布。${which}`;
}
