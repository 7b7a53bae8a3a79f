import { type AdminCardData, adminCard, type CycleFormData, cycleFormCard, type ShownDate } from '../../cards/admin.js';
import type { Card } from '../../cards/kit.js';
import {
  applicationCountsByStatus,
  type Cycle,
  cycleDefaults,
  type CycleField,
  cycleForm,
  cycleScoreSheet,
  cycleStatusLabel,
  getLatestCycle,
  getRunningCycle,
} from '../../src/cycles.js';
import { type ApplicationStatus, applicationStatusNames } from '../../src/applications.js';
import { addDays, daysBetween, formatDateZh, isRealDate, todayIn } from '../../src/dates.js';
import { readDate } from '../../src/forms.js';
import type { HandlerContext } from '../../src/handlers.js';

/** The bot's "today" in its timezone. */
export function today(ctx: HandlerContext): string {
  return todayIn(ctx.config.BOT_TIMEZONE, ctx.clock.now());
}

function shown(date: string, from: string): ShownDate {
  return { text: formatDateZh(date), daysLeft: daysBetween(from, date) };
}

/** The admin card as the database has it now. */
export async function adminCardFor(ctx: HandlerContext): Promise<Card> {
  const now = today(ctx);
  const data: AdminCardData = { today: formatDateZh(now), applicationCounts: [] };
  const cycle = await getRunningCycle(ctx.tx);
  if (cycle) {
    const sheet = cycleScoreSheet(cycle);
    data.cycle = {
      id: cycle.id,
      year: cycle.year,
      status: cycle.status,
      statusLabel: cycleStatusLabel(cycle.status),
      applicationDeadline: shown(cycle.applicationDeadline, now),
      scoringDeadline: shown(cycle.scoringDeadline, now),
      reviewMeetingDate: shown(cycle.reviewMeetingDate, now),
      awardThreshold: cycle.awardThreshold,
      expertsPerApplication: cycle.expertsPerApplication,
      recommendShare: cycle.recommendShare,
      sheet: { title: sheet.title, total: sheet.total, items: sheet.areas.reduce((n, a) => n + a.items.length, 0) },
    };
    data.applicationCounts = countsInOrder(await applicationCountsByStatus(ctx.tx, cycle.id));
  } else {
    const last = await getLatestCycle(ctx.tx);
    if (last) data.lastCycle = { year: last.year, statusLabel: cycleStatusLabel(last.status) };
  }
  return adminCard(data);
}

/** Every status of an application, in order, with its count; a status unknown here is listed last. */
function countsInOrder(counts: Record<string, number>): AdminCardData['applicationCounts'] {
  const known = Object.entries(applicationStatusNames) as [ApplicationStatus, string][];
  const rows = known.map(([status, label]) => ({ label, count: counts[status] ?? 0 }));
  for (const [status, count] of Object.entries(counts)) if (!(status in applicationStatusNames)) rows.push({ label: status, count });
  return rows;
}

type FormValues = CycleFormData['values'];

/** Defaults of a new cycle: this year, applications for 60 days, scoring 30 more, the meeting 15 after. */
export async function newCycleDefaults(ctx: HandlerContext): Promise<FormValues> {
  const now = today(ctx);
  const latest = await getLatestCycle(ctx.tx);
  const thisYear = Number(now.slice(0, 4));
  const year = latest && latest.year >= thisYear ? latest.year + 1 : thisYear;
  const applicationDeadline = addDays(now, 60);
  const scoringDeadline = addDays(applicationDeadline, 30);
  return {
    year: String(year),
    applicationDeadline,
    scoringDeadline,
    reviewMeetingDate: addDays(scoringDeadline, 15),
    awardThreshold: String(cycleDefaults.awardThreshold),
    expertsPerApplication: String(cycleDefaults.expertsPerApplication),
    recommendShare: String(cycleDefaults.recommendShare),
  };
}

export function cycleValues(cycle: Cycle): FormValues {
  return {
    year: String(cycle.year),
    applicationDeadline: cycle.applicationDeadline,
    scoringDeadline: cycle.scoringDeadline,
    reviewMeetingDate: cycle.reviewMeetingDate,
    awardThreshold: String(cycle.awardThreshold),
    expertsPerApplication: String(cycle.expertsPerApplication),
    recommendShare: String(cycle.recommendShare),
  };
}

const formFields: CycleField[] = ['year', 'applicationDeadline', 'scoringDeadline', 'reviewMeetingDate', 'awardThreshold', 'expertsPerApplication', 'recommendShare'];
const dateFields = new Set<CycleField>(['applicationDeadline', 'scoringDeadline', 'reviewMeetingDate']);

/** What the user typed, to fill the form again: dates cut to YYYY-MM-DD, and only real dates (a picker cannot show others). */
export function typedValues(text: Record<string, string>): FormValues {
  const out: FormValues = {};
  for (const field of formFields) {
    const v = text[field]?.trim();
    if (v === undefined || v === '') continue;
    if (dateFields.has(field)) {
      const d = readDate(v);
      if (isRealDate(d)) out[field] = d;
    } else out[field] = v;
  }
  return out;
}

export function settingsFormCard(cycle: Cycle, values: FormValues, error?: string): Card {
  return cycleFormCard({
    descriptor: cycleForm,
    mode: 'settings',
    cycleId: cycle.id,
    year: cycle.year,
    values,
    error,
    applicationDeadlineFixed: cycle.status === 'open' ? undefined : formatDateZh(cycle.applicationDeadline),
  });
}
