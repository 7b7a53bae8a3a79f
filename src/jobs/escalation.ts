import { and, eq, inArray, lt, max } from 'drizzle-orm';
import { batchAlertListed, complaintAlertCard, complaintEscalationCard, revocationEscalationCard, type TitleDecidedOnList } from '../../cards/complaints.js';
import type { Db } from '../../db/index.js';
import { honours, jobRuns } from '../../db/schema.js';
import type { Clock } from '../clock.js';
import {
  complaintEscalationListSpec,
  complaintEscalationSpec,
  complaintSummary,
  complaintsWithTeams,
  complaintTeam,
  type ComplaintTeamRow,
  complaintView,
  daysOpen,
  escalationKey,
  landsInGroup,
  openComplaintTimes,
  revocationAlertSpec,
  revocationEscalationKey,
  revocationEscalationListSpec,
  titleDecider,
  titlesAwaitingDecision,
  titleStatus,
} from '../complaints.js';
import { daysBetween, formatDateTimeZh, todayIn } from '../dates.js';
import { adminDestinations, destinationKey } from '../notifications.js';
import type { CardRenderer, CardSpec, OutboxRow, RenderedCard } from '../outbox.js';
import { type JobOptions, type RunOutcome, runClaimed } from './claimRun.js';

/** A complaint open longer than this is raised again in the admin group. */
export const escalateAfterDays = 7;

/** A week mark (8, 15, 22… days) reached since the last run done, `since` days ago. */
const weekMarkReached = (days: number, since: number) => days > escalateAfterDays && (days - escalateAfterDays - 1) % 7 < since;

/**
 * The `escalation` job: each complaint open for more than 7 days is raised again once per week open (day 8, 15, 22…),
 * all those of one run on ONE card per destination, so a flood of complaints never comes back as a flood of cards.
 * A lone complaint keeps its own card with the decision form. So are the titles whose 撤销 / 保留 (第二十二条) have been
 * awaited that long (`titlesAwaitingDecision`, counted from when its run reached the number): a lone one's alert again,
 * with the decision form and the days waited (its first alert stops taking clicks after 14 days); several on one card
 * a destination, each with 决定 (`revocationEscalationCard`). Period: the date. The
 * marks passed since the last run done (a week at most) count, so a day the bot was down is made up by the next run.
 */
export async function runEscalation(db: Db, opts: JobOptions): Promise<RunOutcome[]> {
  const today = todayIn(opts.timezone, opts.now);
  return [
    await runClaimed(db, 'escalation', today, opts.now, async (tx, messages) => {
      const [open, since, awaiting] = await Promise.all([openComplaintTimes(tx), daysSinceLastRun(tx, today), titlesAwaitingDecision(tx)]);
      const due = open.map((c) => ({ id: c.id, days: daysOpen(c, opts.now, opts.timezone) })).filter((c) => weekMarkReached(c.days, since));
      const titles = awaiting.map((t) => ({ ...t, days: daysBetween(todayIn(opts.timezone, t.dueAt), today) })).filter((t) => weekMarkReached(t.days, since));
      if (!due.length && !titles.length) return { complaints: 0 };
      const destinations = await adminDestinations(tx, opts.bootstrapAdmins);
      if (due.length) {
        // drawn when it is sent (escalationRenderer / escalationListRenderer): a complaint decided before it goes out is
        // left out, and a card with none still open is not sent
        const render = due.length === 1 ? complaintEscalationSpec(due[0].id) : complaintEscalationListSpec(due.map((c) => c.id));
        for (const to of destinations) await messages.send({ dedupeKey: escalationKey(today, destinationKey(to)), to, render });
      }
      if (titles.length === 1) {
        // drawn when it is sent (revocationAlertRenderer): decided before it goes out, it goes out decided
        const [t] = titles;
        for (const to of destinations) await messages.send({ dedupeKey: revocationEscalationKey(today, destinationKey(to), t.honourId), to, render: revocationAlertSpec(t.honourId, t.days) });
      } else if (titles.length) {
        // several: one card a destination (revocationEscalationListRenderer), drawn when sent with those still awaiting
        const render = revocationEscalationListSpec(titles.map((t) => t.honourId));
        for (const to of destinations) await messages.send({ dedupeKey: revocationEscalationKey(today, destinationKey(to)), to, render });
      }
      return { complaints: due.length, ...(titles.length ? { titles: titles.length } : {}) };
    }),
  ];
}

/** Days since the last escalation run done, a week at most (and a week when there was none). */
async function daysSinceLastRun(tx: Db, today: string): Promise<number> {
  const [row] = await tx
    .select({ period: max(jobRuns.period) })
    .from(jobRuns)
    .where(and(eq(jobRuns.job, 'escalation'), eq(jobRuns.status, 'done'), lt(jobRuns.period, today)));
  return row?.period ? Math.min(7, Math.max(1, daysBetween(row.period, today))) : 7;
}

/** The day of sending, for the days a complaint has been open. */
interface SendDay {
  timezone: string;
  clock: Clock;
}

/** The complaints a batch of specs names (`complaintId`, or `complaintIds`), with their teams: one read. */
async function complaintsOfSpecs(db: Db, specs: CardSpec[], idsOf: (spec: CardSpec) => number[]) {
  const wanted = [...new Set(specs.flatMap(idsOf).filter((id) => Number.isSafeInteger(id) && id > 0 && id <= 2_147_483_647))];
  return new Map((await complaintsWithTeams(db, wanted)).map((r) => [r.complaint.id, r]));
}

const idList = (value: unknown): number[] => (Array.isArray(value) ? value : [value]).map(Number);

/**
 * A lone complaint's escalation card with its 成立 / 不成立 form, drawn from the complaint as it is when sent (its days
 * open counted to that day). Decided before it goes out (another administrator's card, 投诉处理), or gone: not sent,
 * so the group never gets a decision form of a complaint already decided.
 */
export function escalationRenderer(db: Db, day: SendDay): CardRenderer {
  return async (specs: CardSpec[], outboxRows?: readonly OutboxRow[]): Promise<RenderedCard[]> => {
    const rows = await complaintsOfSpecs(db, specs, (s) => idList(s.complaintId));
    // the title line as the team's title stands when the card goes out (titleStatus), read once a team
    const titles = new Map<number, Awaited<ReturnType<typeof titleStatus>>>();
    for (const r of rows.values()) if (r.complaint.status === 'open' && !titles.has(r.team.id)) titles.set(r.team.id, await titleStatus(db, r.team.id));
    const now = day.clock.now();
    return specs.map((spec, i): RenderedCard => {
      const r = rows.get(Number(spec.complaintId));
      if (!r) return { drop: `投诉 ${String(spec.complaintId)} 不存在` };
      if (r.complaint.status !== 'open') return { drop: `投诉 ${r.complaint.reference} 已认定，无需再提醒` };
      const { complaint, team } = r;
      return { card: complaintAlertCard(complaintView(complaint, team, day.timezone), { title: titles.get(team.id)?.view, daysOpen: daysOpen(complaint, now, day.timezone), group: landsInGroup(spec, outboxRows?.[i]) }) };
    });
  };
}

/**
 * The escalation card of several complaints, drawn when sent: those still open then, oldest first, the first
 * `batchAlertListed` listed with 处理 and the rest counted. None still open: not sent.
 */
export function escalationListRenderer(db: Db, day: SendDay): CardRenderer {
  return async (specs: CardSpec[], outboxRows?: readonly OutboxRow[]): Promise<RenderedCard[]> => {
    const rows = await complaintsOfSpecs(db, specs, (s) => idList(s.complaintIds));
    const now = day.clock.now();
    return specs.map((spec, i): RenderedCard => {
      const open = idList(spec.complaintIds).flatMap((id) => {
        const r = rows.get(id);
        return r && r.complaint.status === 'open' ? [r] : [];
      });
      if (!open.length) return { drop: '所列投诉均已认定，无需再提醒' };
      const items = open.slice(0, batchAlertListed).map((r) => ({ ...complaintSummary(r.complaint, r.team, day.timezone), daysOpen: daysOpen(r.complaint, now, day.timezone) }));
      return { card: complaintEscalationCard({ items, total: open.length, afterDays: escalateAfterDays, group: landsInGroup(spec, outboxRows?.[i]) }) };
    });
  };
}

/**
 * The escalation card of several titles awaiting 撤销 / 保留, drawn when sent: those still awaiting then, the longest
 * awaited first, the days counted to that day, the first `batchAlertListed` listed with 决定 and the rest counted. None
 * still awaiting (each revoked or kept since): not sent.
 */
export function revocationEscalationListRenderer(db: Db, day: SendDay): CardRenderer {
  return async (specs: CardSpec[], outboxRows?: readonly OutboxRow[]): Promise<RenderedCard[]> => {
    // a few a year: every title awaiting, read once
    const awaiting = await titlesAwaitingDecision(db);
    const today = todayIn(day.timezone, day.clock.now());
    return specs.map((spec, i): RenderedCard => {
      const wanted = new Set(idList(spec.honourIds));
      const still = awaiting.filter((t) => wanted.has(t.honourId));
      if (!still.length) return { drop: '所列称号均已决定撤销或保留，无需再提醒' };
      const items = still.slice(0, batchAlertListed).map((t) => ({ honourId: t.honourId, year: t.year, run: t.run, team: t.team, days: daysBetween(todayIn(day.timezone, t.dueAt), today) }));
      return { card: revocationEscalationCard({ items, total: still.length, afterDays: escalateAfterDays, group: landsInGroup(spec, outboxRows?.[i]) }) };
    });
  };
}

/**
 * The list of several titles redrawn in place once one of them is decided (`REVOCATION_ESCALATION_LIST_REDRAWN`, queued
 * by the decision): in the list's order, those still awaiting with 决定 and their days counted to the day it is drawn,
 * those decided (撤销 / 保留) since the list's day with who decided and when, no button; a title neither (a 更正认定 took
 * its run back) said to need no decision, no button; none left awaiting, the title says which of the two they all are.
 */
export function revocationEscalationListRedrawnRenderer(db: Db, day: SendDay): CardRenderer {
  return async (specs: CardSpec[], outboxRows?: readonly OutboxRow[]): Promise<RenderedCard[]> => {
    // a few a year: every title awaiting, read once; the decided ones one at a time
    const awaiting = new Map((await titlesAwaitingDecision(db)).map((t) => [t.honourId, t]));
    const today = todayIn(day.timezone, day.clock.now());
    const listed = specs.map((spec) => idList(spec.honourIds).filter((id) => Number.isSafeInteger(id) && id > 0 && id <= 2_147_483_647));
    const others = [...new Set(listed.flat().filter((id) => !awaiting.has(id)))];
    const rows = others.length ? await db.select().from(honours).where(inArray(honours.id, others)) : [];
    const decided = new Map<number, { honourId: number; year: number; team: ComplaintTeamRow; decided: TitleDecidedOnList; on: string }>();
    // neither awaiting nor decided since the list's day: its run taken back by 更正认定
    const takenBack = new Map<number, { honourId: number; year: number; team: ComplaintTeamRow }>();
    for (const h of rows) {
      const at = h.revokedAt ?? h.keptAt;
      const team = await complaintTeam(db, h.teamId);
      if (!team) continue;
      if (!h.revokedAt) takenBack.set(h.id, { honourId: h.id, year: h.year, team });
      if (!at) continue;
      const decision = h.revokedAt ? 'revoked' : 'kept';
      const by = await titleDecider(db, h.id, decision === 'revoked' ? 'honour.revoke' : 'honour.keep');
      decided.set(h.id, { honourId: h.id, year: h.year, team, on: todayIn(day.timezone, at), decided: { decision, by: by?.name ?? '管理员', at: formatDateTimeZh(at, day.timezone) } });
    }
    return specs.map((spec, i): RenderedCard => {
      const since = typeof spec.day === 'string' ? spec.day : '';
      const items = listed[i].flatMap((id): { honourId: number; year: number; run: number; team: ComplaintTeamRow; days: number; decided?: TitleDecidedOnList; takenBack?: boolean }[] => {
        const t = awaiting.get(id);
        if (t) return [{ honourId: t.honourId, year: t.year, run: t.run, team: t.team, days: daysBetween(todayIn(day.timezone, t.dueAt), today) }];
        // decided since the list was raised (a 保留 before it, of an earlier run, is not this list's decision)
        const d = decided.get(id);
        if (d && d.on >= since) return [{ honourId: d.honourId, year: d.year, run: 0, team: d.team, days: 0, decided: d.decided }];
        // its run taken back by 更正认定: said so, with no 决定 left to tap
        const b = takenBack.get(id);
        return b ? [{ honourId: b.honourId, year: b.year, run: 0, team: b.team, days: 0, takenBack: true }] : [];
      });
      if (!items.length) return { drop: '所列称号均不存在，卡片不再更新' };
      const total = items.filter((t) => !t.decided && !t.takenBack).length;
      return { card: revocationEscalationCard({ items, total, afterDays: escalateAfterDays, group: landsInGroup(spec, outboxRows?.[i]) }) };
    });
  };
}
