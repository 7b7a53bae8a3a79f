import type { AdminCardData, AdminSetup, ShownDate } from '../cards/admin.js';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { associationSettings, auditLog, chatBindings, cycles, people, teams } from '../db/schema.js';
import { type ApplicationStatus, applicationStatusNames } from './applications.js';
import { applicationCountsOfRunningCycle, cycleScoreSheet, cycleStatusLabel, getRunningOrLatestCycle, runningStatuses } from './cycles.js';
import { daysBetween, formatDateZh } from './dates.js';

function shown(date: string, from: string): ShownDate {
  return { text: formatDateZh(date), daysLeft: daysBetween(from, date) };
}

/** What the admin card shows, as the database has it on `now` (YYYY-MM-DD). */
export async function adminOverview(tx: Db, now: string): Promise<AdminCardData> {
  const data: AdminCardData = { today: formatDateZh(now), applicationCounts: [] };
  // issued together: one round trip (the running cycle, else the latest; the running cycle's counts; whether its scores
  // were summed before, aggregatedBefore of the running cycle; the latest two published years: the latest has a button,
  // and a second one means 历年评审结果 has years the card has no button for)
  const [cycle, counts, summed, [published, older]] = await Promise.all([
    getRunningOrLatestCycle(tx),
    applicationCountsOfRunningCycle(tx),
    runningCycleSummedBefore(tx),
    tx.select({ id: cycles.id, year: cycles.year }).from(cycles).where(eq(cycles.status, 'published')).orderBy(desc(cycles.year)).limit(2),
  ]);
  if (older) data.olderPublished = true;
  if (cycle && (runningStatuses as readonly string[]).includes(cycle.status)) {
    const sheet = cycleScoreSheet(cycle);
    data.cycle = {
      id: cycle.id,
      year: cycle.year,
      status: cycle.status,
      statusLabel: cycleStatusLabel(cycle.status),
      applicationDeadline: shown(cycle.applicationDeadline, now),
      applicationDeadlineDay: cycle.applicationDeadline,
      scoringDeadline: shown(cycle.scoringDeadline, now),
      reviewMeetingDate: shown(cycle.reviewMeetingDate, now),
      awardThreshold: cycle.awardThreshold,
      expertsPerApplication: cycle.expertsPerApplication,
      recommendShare: cycle.recommendShare,
      sheet: { title: sheet.title, total: sheet.total, items: sheet.areas.reduce((n, a) => n + a.items.length, 0) },
      reopenedForSheets: cycle.status === 'scoring' && summed,
      notSubmitted: (counts.draft ?? 0) + (counts.returned ?? 0),
      accepted: counts.accepted ?? 0,
      notYetAccepted: cycle.status === 'open' ? { contact: counts.submitted ?? 0, check: counts.recommended ?? 0 } : undefined,
      // 结束评分并汇总 leaves these out of the year for good: its dialog says how many (once summed, they are out already)
      unconfirmed: cycle.status === 'scoring' && !summed ? (counts.submitted ?? 0) : 0,
      inReview: {
        toScore: (counts.submitted ?? 0) + (counts.recommended ?? 0) + (counts.accepted ?? 0) + (counts.scoring ?? 0),
        scored: (counts.scored ?? 0) + (counts.decided ?? 0),
      },
    };
    data.applicationCounts = countsInOrder(counts);
    if (published) data.lastPublished = published;
  } else if (cycle) {
    data.lastCycle = { id: cycle.id, year: cycle.year, status: cycle.status, statusLabel: cycleStatusLabel(cycle.status) };
  } else {
    data.setup = await setupDone(tx);
  }
  return data;
}

/** Before any year was opened (a new association): what of the setting up is done (one round trip). */
async function setupDone(tx: Db): Promise<AdminSetup> {
  const [row] = await tx
    .select({
      contactSet: sql<boolean>`exists(select 1 from ${associationSettings} where ${associationSettings.contact} is not null)`,
      adminGroupBound: sql<boolean>`exists(select 1 from ${chatBindings} where ${chatBindings.purpose} = 'admin')`,
      teams: sql<number>`(select count(*)::int from ${teams})`,
      experts: sql<number>`(select count(*)::int from ${people} where 'expert' = any(${people.roles}) and ${people.expertActive})`,
    })
    .from(sql`(select 1) one`);
  return { contactSet: Boolean(row?.contactSet), adminGroupBound: Boolean(row?.adminGroupBound), teams: Number(row?.teams ?? 0), experts: Number(row?.experts ?? 0) };
}

/**
 * Whether the running cycle's scores were summed once (结束评分并汇总's audit row), so that a scoring now is a reopen
 * for single sheets (第十七条): `aggregatedBefore` without the cycle's id, to share the overview's round trip.
 */
async function runningCycleSummedBefore(tx: Db): Promise<boolean> {
  const running = tx.select({ id: sql`${cycles.id}::text` }).from(cycles).where(inArray(cycles.status, [...runningStatuses]));
  const [row] = await tx
    .select({ id: auditLog.id })
    .from(auditLog)
    .where(and(eq(auditLog.entity, 'cycle'), inArray(auditLog.entityId, running), eq(auditLog.action, 'cycle.closeScoring')))
    .limit(1);
  return row !== undefined;
}

/** Every status of an application, in order, with its count; a status unknown here is listed last. */
function countsInOrder(counts: Record<string, number>): AdminCardData['applicationCounts'] {
  const known = Object.entries(applicationStatusNames) as [ApplicationStatus, string][];
  const rows = known.map(([status, label]) => ({ label, count: counts[status] ?? 0 }));
  for (const [status, count] of Object.entries(counts)) if (!(status in applicationStatusNames)) rows.push({ label: status, count });
  return rows;
}
