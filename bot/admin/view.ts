import { adminCard, type CycleFormData, cycleFormCard } from '../../cards/admin.js';
import type { Card } from '../../cards/kit.js';
import type { FormError } from '../../cards/forms.js';
import { adminOverview } from '../../src/adminOverview.js';
import { type Cycle, cycleDefaults, type CycleField, getLatestCycle, latestTitledYear, applicationCountsByStatus, cycleForm, cycleRules, cycleScoreSheet, type RuleField, ruleFields, cycleStatusLabel, getRunningCycle } from '../../src/cycles.js';
import { addDays, formatDateZh, isRealDate, daysBetween, todayIn } from '../../src/dates.js';
import { type ApplicationStatus, applicationStatusNames } from '../../src/applications.js';
import { readDate } from '../../src/forms.js';
import type { Db } from '../../db/index.js';
import type { HandlerContext } from '../../src/handlers.js';
import { formText, today } from '../respond.js';


/** The admin card as the database has it now; `lead`: what the click it answers did, above it. */
export function adminCardFor(ctx: HandlerContext, lead?: string): Promise<Card> {
  return adminCardOn(ctx.tx, today(ctx), lead);
}

/** The admin card as `tx` reads it on `now` (YYYY-MM-DD): a fast path's connection after its COMMIT; `lead` above it. */
export async function adminCardOn(tx: Db, now: string, lead?: string): Promise<Card> {
  return adminCard({ ...(await adminOverview(tx, now)), ...(lead ? { lead } : {}) });
}

type FormValues = CycleFormData['values'];

/**
 * Defaults of a new cycle: this year (the next once this year's is held, here or before the programme: its titles
 * imported), applications for 60 days, scoring 30 more, the meeting 15 after. Next year's review opened early counts its 60 days from that year's 1 January, so its dates
 * fall in its own year.
 */
export async function newCycleDefaults(ctx: HandlerContext): Promise<FormValues> {
  const now = today(ctx);
  const latest = await getLatestCycle(ctx.tx);
  const thisYear = Number(now.slice(0, 4));
  // a year whose titles were imported was held before the programme: the next one is suggested (openCycle refuses it)
  const held = Math.max(latest?.year ?? 0, await latestTitledYear(ctx.tx));
  const year = held >= thisYear ? held + 1 : thisYear;
  const applicationDeadline = addDays(year > thisYear ? `${year}-01-01` : now, 60);
  const scoringDeadline = addDays(applicationDeadline, 30);
  return {
    year: String(year),
    applicationDeadline,
    scoringDeadline,
    reviewMeetingDate: addDays(scoringDeadline, 15),
    awardThreshold: String(cycleDefaults.awardThreshold),
    expertsPerApplication: String(cycleDefaults.expertsPerApplication),
    recommendShare: String(cycleDefaults.recommendShare),
    dropExtremesFrom: String(cycleDefaults.dropExtremesFrom),
    outlierDistance: String(cycleDefaults.outlierDistance),
    revocationRun: String(cycleDefaults.revocationRun),
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
    ...(Object.fromEntries(Object.entries(cycleRules(cycle)).map(([k, v]) => [k, String(v)])) as Record<RuleField, string>),
  };
}

const formFields: CycleField[] = ['year', 'applicationDeadline', 'scoringDeadline', 'reviewMeetingDate', 'awardThreshold', 'expertsPerApplication', 'recommendShare', ...ruleFields];
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

export function settingsFormCard(cycle: Cycle, values: FormValues, error?: FormError | string): Card {
  return cycleFormCard({
    descriptor: cycleForm,
    mode: 'settings',
    cycleId: cycle.id,
    year: cycle.year,
    values,
    error,
    applicationDeadlineFixed: cycle.status === 'open' ? undefined : formatDateZh(cycle.applicationDeadline),
    drawn: cycleValues(cycle),
  });
}

/**
 * What a 保存设置 changes: the fields whose value differs from the one the form was drawn with (the button's `drawn`).
 * Feishu sends every input's value, the ones left as drawn too: two administrators on two copies of the form, the later
 * save put back what the earlier one had changed, and named it among its changes. A button without `drawn` (a card
 * sent before it carried one) changes every field given, as before.
 */
export function changedOnForm(formValue: Record<string, unknown>, buttonValue: Record<string, unknown>): Record<string, unknown> {
  const drawn = buttonValue.drawn;
  if (!drawn || typeof drawn !== 'object') return formValue;
  const typed = typedValues(formText(formValue));
  return Object.fromEntries(Object.entries(formValue).filter(([k]) => typed[k as CycleField] === undefined || typed[k as CycleField] !== (drawn as Record<string, unknown>)[k]));
}

/**
 * The values the form was drawn with (the button's `drawn`) of the fields a save changes: a setting another administrator
 * changed since is not overwritten unseen (updateCycleSettings' `drawn`). Empty for a button without `drawn`.
 */
export function drawnOfChanged(given: Record<string, unknown>, buttonValue: Record<string, unknown>): Partial<Record<CycleField, string>> {
  const drawn = buttonValue.drawn;
  if (!drawn || typeof drawn !== 'object') return {};
  return Object.fromEntries(
    Object.keys(given)
      .filter((k) => formFields.includes(k as CycleField) && typeof (drawn as Record<string, unknown>)[k] === 'string')
      .map((k) => [k, (drawn as Record<string, string>)[k]]),
  );
}
