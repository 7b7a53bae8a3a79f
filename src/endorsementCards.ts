import { endorsementDoneCard, endorsementRequestCard, formalCheckRequestCard, leaderNoticeCard } from '../cards/applications.js';
import type { Db } from '../db/index.js';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { applications, auditLog, cycles, outbox, people } from '../db/schema.js';
import {
  type Application,
  applicationForm,
  applicationStatusNames,
  type ApplicationStatus,
  applicationsWithNames,
  type EndorsementDecision,
  endorsementForm,
  RecalledByLeader,
  recommenderOf,
  resubmittable,
  returnBefore,
  returnNotes,
  submissionOf,
  summaryOf,
  takenBack,
} from './applications.js';
import { type Clock, systemClock } from './clock.js';
import { formatDateTimeZh, todayIn } from './dates.js';
import type { SendDay } from './jobs/reminderCards.js';
import { formDisplay } from './forms.js';
import { destinationKey } from './notifications.js';
import type { CardRenderer, CardSpec, Destination, OutboxRow, OutgoingMessage, RenderedCard } from './outbox.js';
import type { ContactChange } from './teams.js';
import { isPending } from './import/people.js';
import { contactReplacedCard } from '../cards/teams.js';

/**
 * 请确认申报材料 (第十五条): the card a submitted application sends its organisation contact, drawn when it is
 * sent. The row holds what the leader submitted (`form`, and when: `submitted`, epoch ms, which the card's buttons
 * carry), the application and the year; the team's name, code and organisation are read then. Both 提交 paths
 * queue this spec (the ordinary one and the one-statement `src/fast/apply.ts`, which cannot wait for TypeScript to
 * draw a card), so the contact gets the same card.
 */

export const ENDORSEMENT_REQUEST_CARD = 'endorsementRequest';

/** The spec of the request for one submitted application; `src/fast/apply.ts` builds the same object in SQL. */
export function endorsementRequestSpec(applicationId: number, year: number, form: unknown, submitted: number | undefined): CardSpec {
  return { kind: ENDORSEMENT_REQUEST_CARD, applicationId, year, form, ...(submitted !== undefined ? { submitted } : {}) };
}

/** The request to the contact, keyed as it always was (one per submit event). */
export function endorsementRequestMessage(application: { id: number; form: unknown; submittedAt: Date | null }, year: number, contactOpenId: string, eventId: string): OutgoingMessage {
  return {
    dedupeKey: `endorse:request:${application.id}:${eventId}`,
    to: { openId: contactOpenId },
    render: endorsementRequestSpec(application.id, year, application.form, submissionOf(application)),
  };
}

/**
 * 第十五条: a team's organisation contact changed (修改资料, or an import: 确认导入 and `npm run import`), in the
 * transaction that changes it. The contact replaced is told, in one card, who replaced them and when, and what became of
 * the applications that waited for their confirmation (`change.pendingApplicationIds`, status submitted), whether or not
 * any did; the new contact gets the request for each. `key` tells one change from another (the event, the import); `by`
 * made it (`byLeader`: the team's leader, else an administrator), on the day `on`. Someone not yet linked (pending) gets
 * nothing here: linking sends a new contact the requests. The requests of those applications still unsent are dropped,
 * so that whoever is contact holds one live request for each (one in flight is dropped as it is drawn).
 */
export async function contactHandOverMessages(
  tx: Db,
  team: { id: number; name: string; code: string },
  change: ContactChange,
  key: string,
  by: { openId: string; byLeader: boolean; on: string },
  /** false: the caller tells the contact replaced itself (an import, once for all the teams it replaced them in). */
  tellFormer = true,
): Promise<OutgoingMessage[]> {
  if (change.from === change.to) return [];
  const ids = change.pendingApplicationIds;
  // and the requests of these applications not yet sent, to whichever contact, are dropped: the new contact's go with
  // this change, and one to someone named contact again later (A, then B, then A) would be a second live card for them.
  // Issued together: one round trip
  const [waiting] = ids.length
    ? await Promise.all([
        tx
          .select({ id: applications.id, form: applications.form, submittedAt: applications.submittedAt, year: cycles.year })
          .from(applications)
          .innerJoin(cycles, eq(cycles.id, applications.cycleId))
          .where(inArray(applications.id, ids))
          .orderBy(asc(applications.id)),
        tx
          .update(outbox)
          .set({ status: 'dropped', lastError: `班组 ${team.code} 的单位联系人已更换，确认卡片改发新的单位联系人` })
          .where(and(eq(outbox.status, 'pending'), sql`${outbox.card}->'render'->>'kind' = ${ENDORSEMENT_REQUEST_CARD}`, inArray(sql`${outbox.card}->'render'->>'applicationId'`, ids.map(String)))),
      ])
    : [[]];
  const told = { by: by.openId, byLeader: by.byLeader, on: by.on, waiting: change.pendingApplicationIds.length };
  return [
    ...(isPending(change.from) || !tellFormer ? [] : [{ dedupeKey: `team:contact-replaced:${team.id}:${change.from}:${key}`, to: { openId: change.from }, card: contactReplacedCard(team, told) }]),
    ...waiting.map((a) => endorsementRequestMessage(a, a.year, change.to, `contact:${change.to}:${key}`)),
  ];
}

/** The person a claimed row goes to (an open_id send), if the dispatcher gave the rows. */
const receiverOf = (rows: readonly OutboxRow[] | undefined, i: number) => (rows?.[i]?.receiveIdType === 'open_id' ? rows[i].receiver : undefined);

/**
 * Whether the submission a request was queued for still stands: the application's submission is the one the spec
 * names (whatever the contact did with it since, which their click is told), or, for a spec queued before specs said
 * when, the application was not taken back.
 */
function submissionStands(application: Application, spec: CardSpec): boolean {
  return Number.isSafeInteger(spec.submitted) ? submissionOf(application) === spec.submitted : !takenBack(application);
}

/** The 撤回申报 of these applications, oldest first: when each was made, and the submission it took back (epoch ms). One read. */
async function recallsOf(db: Db, ids: number[]): Promise<Map<number, { at: Date; submitted?: number }[]>> {
  const rows = await db
    .select({ id: auditLog.entityId, at: auditLog.at, details: auditLog.details })
    .from(auditLog)
    .where(and(eq(auditLog.entity, 'application'), inArray(auditLog.entityId, ids.map(String)), eq(auditLog.action, 'application.recall')))
    .orderBy(asc(auditLog.at), asc(auditLog.id));
  const out = new Map<number, { at: Date; submitted?: number }[]>();
  for (const r of rows) {
    const taken = Date.parse(String((r.details as { submittedAt?: unknown } | null)?.submittedAt ?? ''));
    out.set(Number(r.id), [...(out.get(Number(r.id)) ?? []), { at: r.at, ...(Number.isFinite(taken) ? { submitted: taken } : {}) }]);
  }
  return out;
}

/** What a request taken back before it went out says in place of its form: that, and when (as the contact's notice of the recall says it). */
export const recalledBeforeSentText = (at: string, recalled = new RecalledByLeader()) => `撤回时间：${at}。${recalled.message}`;

/**
 * Draws the requests of a claimed batch: one read of their teams and of the return each came after (重新提交). A request
 * whose submission no longer stands by the time it goes out (the outbox held it while Feishu was out of reach or the
 * contact's rate was spent) is never a live card, so the contact never holds two live requests for one application:
 * taken back by 撤回申报, it goes out withdrawn, as a click on it is answered (the materials as submitted, no form, the
 * leader took it back and when), whatever came after (a request of the later submission is queued of its own); replaced
 * by a later submission without a recall (returned and submitted again), it is not sent. Those need one more read. One
 * whose submission the contact decided from 待确认的申报 before it arrived goes out decided (推荐 / 退回 and the opinion). One to
 * a contact replaced since it was queued is not sent either: the new contact was sent the request with the change.
 */
export function endorsementRequestRenderer(db: Db, timezone = 'Asia/Shanghai', clock: Clock = systemClock): CardRenderer {
  return async (specs: CardSpec[], queued?: readonly OutboxRow[]): Promise<RenderedCard[]> => {
    const ids = specs.map((s) => Number(s.applicationId));
    // and the return each came after, if any (重新提交): issued together, one round trip
    const [byId, returns] = await Promise.all([applicationsWithNames(db, ids), returnNotes(db, ids.filter((id) => Number.isSafeInteger(id) && id > 0))]);
    const stale = [...new Set(specs.flatMap((spec, i) => { const row = byId.get(ids[i]); return row && !submissionStands(row.application, spec) ? [row.application.id] : []; }))];
    const recalls = stale.length ? await recallsOf(db, stale) : new Map<number, { at: Date; submitted?: number }[]>();
    return specs.map((spec, i): RenderedCard => {
      const row = byId.get(ids[i]);
      if (!row) return { drop: `申报 ${String(spec.applicationId)} 已不存在` };
      // to a contact replaced since (修改资料, an import): they were told their card is spent, the new one has the request
      const to = receiverOf(queued, i);
      if (to !== undefined && to !== row.team.contactOpenId) return { drop: `班组 ${row.team.code} 的单位联系人已更换，申报 ${row.application.id} 改由新的单位联系人确认` };
      // summaryOf (src/applications.ts) of the application as it was submitted; a spec queued before specs said when has no `submitted`
      const summary = {
        id: row.application.id,
        year: Number(spec.year),
        statusLabel: applicationStatusNames.submitted,
        team: { id: row.team.id, name: row.team.name, code: row.team.code, organization: row.organization },
        display: formDisplay(applicationForm, spec.form as Record<string, unknown> | null),
        ...(Number.isSafeInteger(spec.submitted) ? { submitted: spec.submitted as number } : {}),
      };
      if (!submissionStands(row.application, spec)) {
        const taken = recalls.get(row.application.id) ?? [];
        // the recall of this submission; a spec that does not say which: the latest
        const recall = Number.isSafeInteger(spec.submitted) ? taken.find((r) => r.submitted === spec.submitted) : taken.at(-1);
        if (!recall) return { drop: `申报 ${row.application.id} 已重新提交，这张确认卡片所示的提交已不再待确认` };
        return { card: endorsementRequestCard(summary, { descriptor: endorsementForm, closed: recalledBeforeSentText(formatDateTimeZh(recall.at, timezone), RecalledByLeader.asOf({ ...row.cycle, year: row.year }, todayIn(timezone, clock.now()))) }) };
      }
      // decided by the contact before it went out (from 待确认的申报): the decision, as opening the request would show it
      const endorsement = row.application.endorsement as { decision?: unknown; opinion?: unknown } | null;
      if (row.application.status !== 'submitted' && decisions.includes(String(endorsement?.decision)) && typeof endorsement?.opinion === 'string' && endorsement.opinion) {
        const decision = endorsement.decision as EndorsementDecision;
        // a return the team can no longer submit again says so, as the contact's answer to it did
        const closed = decision === 'return' && !resubmittable(row.cycle, todayIn(timezone, clock.now()));
        return { card: endorsementDoneCard(summaryOf(row.application, row.team, row.organization, row.year), decision, endorsement.opinion, closed) };
      }
      const returned = returnBefore(returns.get(row.application.id), summary.submitted, timezone, spec.form);
      return { card: endorsementRequestCard(summary, { descriptor: endorsementForm, ...(returned ? { returned } : {}) }) };
    });
  };
}

/**
 * The notices of 推荐 / 退回 by the organisation contact (第十五条), drawn when they are sent: to the team
 * leader, `{ kind: 'endorsementLeaderNotice', applicationId, decision, opinion }`; on a recommendation, to the
 * administrators, `{ kind: 'formalCheckRequest', applicationId }`. The spec holds what the decision said (the
 * decision and the opinion typed); the names (team, code, organisation, year, 成果名称) are read when the card is
 * drawn. The state the card shows is the one the decision made, whatever happened since. Both paths of the
 * decision (the ordinary transaction and the one statement of src/fast/endorse.ts) queue these same specs.
 */

export const ENDORSEMENT_LEADER_NOTICE = 'endorsementLeaderNotice';
export const FORMAL_CHECK_REQUEST = 'formalCheckRequest';

/** The state a decision leaves the application in (what its leader notice says it is). */
export const endorsedStatus: Record<EndorsementDecision, ApplicationStatus> = { recommend: 'recommended', return: 'returned' };

export function leaderNoticeSpec(applicationId: number, decision: EndorsementDecision, opinion: string): CardSpec {
  return { kind: ENDORSEMENT_LEADER_NOTICE, applicationId, decision, opinion };
}

export function formalCheckRequestSpec(applicationId: number): CardSpec {
  return { kind: FORMAL_CHECK_REQUEST, applicationId };
}

/** The key of the leader's notice: one per decision event. */
export const leaderNoticeKey = (applicationId: number, decision: EndorsementDecision, eventId: string) => `application:${decision}:${applicationId}:${eventId}`;

/** The key of the administrators' request, before its destination (`destinationKey`) is added. */
export const formalCheckRequestKeyPrefix = (applicationId: number, eventId: string) => `check:request:${applicationId}:${eventId}`;

/** The leader's notice of the decision. */
export function leaderNoticeMessage(applicationId: number, decision: EndorsementDecision, opinion: string, leaderOpenId: string, eventId: string): OutgoingMessage {
  return { dedupeKey: leaderNoticeKey(applicationId, decision, eventId), to: { openId: leaderOpenId }, render: leaderNoticeSpec(applicationId, decision, opinion) };
}

/** One administrators' destination's request for the formal check of a recommended application. */
export function formalCheckRequestMessage(applicationId: number, to: Destination, eventId: string): OutgoingMessage {
  return { dedupeKey: `${formalCheckRequestKeyPrefix(applicationId, eventId)}:${destinationKey(to)}`, to, render: formalCheckRequestSpec(applicationId) };
}

const decisions: readonly string[] = ['recommend', 'return'];

/** The applications of a batch with their names, one read. */
const applicationsByIds = (db: Db, specs: CardSpec[]) => applicationsWithNames(db, specs.map((s) => Number(s.applicationId)));

/** Draws the leaders' notices of a claimed batch (one read): the card `leaderNoticeCard` draws for the decision. */
export function endorsementLeaderNoticeRenderer(db: Db, day: SendDay): CardRenderer {
  return async (specs) => {
    const rows = await applicationsByIds(db, specs);
    const today = todayIn(day.timezone, day.clock.now());
    return specs.map((spec): RenderedCard => {
      const row = rows.get(Number(spec.applicationId));
      if (!row) return { drop: `申报 ${String(spec.applicationId)} 不存在` };
      if (!decisions.includes(String(spec.decision)) || typeof spec.opinion !== 'string') return { error: `推荐通知的描述不完整：${JSON.stringify(spec)}` };
      const decision = spec.decision as EndorsementDecision;
      const summary = summaryOf({ ...row.application, status: endorsedStatus[decision] }, row.team, row.organization, row.year);
      // a return the team can no longer submit again (the year's applications closed by now): it says so
      const closed = decision === 'return' && !resubmittable(row.cycle, today) ? { deadline: row.cycle.applicationDeadline } : undefined;
      return { card: leaderNoticeCard(summary, decision === 'recommend' ? 'recommended' : 'returnedByOrganization', spec.opinion, closed) };
    });
  };
}

/** The names of the people who recommended (the endorsements' `by`), by open_id: one read. */
async function recommenderNames(db: Db, rows: Iterable<{ application: { endorsement: unknown } }>): Promise<Map<string, string | null>> {
  const ids = [...new Set([...rows].map((r) => (r.application.endorsement as { by?: unknown } | null)?.by).filter((by): by is string => typeof by === 'string' && by !== ''))];
  if (!ids.length) return new Map();
  const found = await db.select({ openId: people.openId, name: people.name }).from(people).where(inArray(people.openId, ids));
  return new Map(found.map((p) => [p.openId, p.name]));
}

/** Draws the administrators' requests for the formal check of a claimed batch (two reads): who recommended is named. */
export function formalCheckRequestRenderer(db: Db): CardRenderer {
  return async (specs) => {
    const rows = await applicationsByIds(db, specs);
    const names = await recommenderNames(db, rows.values());
    return specs.map((spec): RenderedCard => {
      const row = rows.get(Number(spec.applicationId));
      if (!row) return { drop: `申报 ${String(spec.applicationId)} 不存在` };
      const by = (row.application.endorsement as { by?: unknown } | null)?.by;
      const recommendedBy = recommenderOf(row.application, typeof by === 'string' ? names.get(by) : undefined);
      return { card: formalCheckRequestCard(summaryOf({ ...row.application, status: endorsedStatus.recommend }, row.team, row.organization, row.year), recommendedBy) };
    });
  };
}
