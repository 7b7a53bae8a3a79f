import { type StatusEntry, statusCard } from '../../cards/teams.js';
import { applicationStatusNames, type ApplicationStatus, oneYearAfter } from '../../src/applications.js';
import { daysBetween, formatDateZh } from '../../src/dates.js';
import type { HandlerContext, IncomingText } from '../../src/handlers.js';
import { certificateNumbersOfTeam } from '../../src/certificates/index.js';
import { teamStatus, teamsOf } from '../../src/teams.js';
import { getRunningCycle } from '../../src/cycles.js';
import { raw, sendPrivately, today } from '../respond.js';
import { teamData } from './view.js';

/** Everything the 进度 card needs for the caller. */
export async function statusCardFor(ctx: HandlerContext) {
  // each step's reads issued together: one round trip for the teams and the cycle, one for every team's rows
  const [views, cycle] = await Promise.all([teamsOf(ctx.tx, ctx.actor.openId), getRunningCycle(ctx.tx)]);
  const rows = await Promise.all(views.map((view) => Promise.all([teamStatus(ctx.tx, view.team.id), certificateNumbersOfTeam(ctx.tx, view.team.id)])));
  const now = today(ctx);
  const cycleTakesApplications = cycle?.status === 'open' && now <= cycle.applicationDeadline;
  const entries: StatusEntry[] = [];
  for (const [i, view] of views.entries()) {
    const [{ applications, honours }, certificates] = rows[i];
    const eligibleFrom = oneYearAfter(view.team.registeredAt);
    const current = cycle ? applications.find((a) => a.year === cycle.year) : undefined;
    entries.push({
      team: teamData({ ...view.team, organization: view.organization }),
      myRole: view.myRole === 'admin' ? 'contact' : view.myRole,
      eligibleFrom: formatDateZh(eligibleFrom),
      daysUntilEligible: Math.max(0, daysBetween(now, eligibleFrom)),
      applications: applications.map((a) => ({
        id: a.id,
        year: a.year,
        statusLabel: applicationStatusNames[a.status as ApplicationStatus] ?? a.status,
        title: a.title,
        finalScore: a.finalScore,
        decision: a.decision,
      })),
      honours: honours.map((h) => ({ year: h.year, revoked: h.revokedAt !== null, recommended: h.recommended, certificate: certificates.get(h.id) })),
      canApply: Boolean(cycleTakesApplications && view.team.status === 'active' && (!current || current.status === 'draft' || current.status === 'returned')),
    });
  }
  return statusCard(entries);
}

export async function sendStatus(ctx: HandlerContext, msg: IncomingText): Promise<void> {
  await sendPrivately(ctx, msg, `team:status:${ctx.eventId}`, { card: await statusCardFor(ctx) }, '进度卡片');
}

export async function showStatus(ctx: HandlerContext) {
  return raw(await statusCardFor(ctx));
}
