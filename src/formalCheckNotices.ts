import { leaderNoticeCard } from '../cards/applications.js';
import type { Db } from '../db/index.js';
import { type ApplicationStatus, applicationMachine, applicationsWithNames, resubmittable, summaryOf } from './applications.js';
import { todayIn } from './dates.js';
import type { SendDay } from './jobs/reminderCards.js';
import type { CardRenderer, CardSpec, OutgoingMessage, RenderedCard } from './outbox.js';

/**
 * 形式审查's notice to the team's leader and its organisation contact (协会已受理申报 / 协会退回了申报: both read it, so it speaks of the team's application, not “你的”;
 * the contact's copy of a return says what it means for them and has no 修改申报, which only the leader can use). The
 * outbox row holds only `{ kind: 'formalCheckNotice', applicationId, decision, reason?, reader? }`: the decision and the
 * reason typed are the spec's own, the names (team, organisation, year, the application's title) are read when it
 * is sent. Queued so by both ways of deciding (the ordinary transaction, and the one statement of
 * src/fast/formalCheck.ts, which cannot wait for a card drawn in TypeScript), so both send the same card.
 */

export const FORMAL_CHECK_NOTICE = 'formalCheckNotice';

export type FormalCheckDecision = 'accept' | 'return';

/** The state a decision leaves the application in, as the state machine says. */
export const decidedStatus = (decision: FormalCheckDecision): ApplicationStatus =>
  applicationMachine.transitions[decision === 'accept' ? 'accept' : 'returnByAssociation'].to;

/** The card's description: what was decided, the reason typed for a return, and `reader: 'contact'` on the contact's copy. */
export function formalCheckNoticeSpec(applicationId: number, decision: FormalCheckDecision, reason: string | undefined, reader: 'leader' | 'contact' = 'leader'): CardSpec {
  return { kind: FORMAL_CHECK_NOTICE, applicationId, decision, ...(reason !== undefined ? { reason } : {}), ...(reader === 'contact' ? { reader } : {}) };
}

/** The dedupe key of one event's notices, before `:<open_id>` of each receiver. */
export const formalCheckNoticeKey = (decision: FormalCheckDecision, applicationId: number, eventId: string) => `application:check-${decision}:${applicationId}:${eventId}`;

/** The notices of one decision: to the leader, and to the contact when it is someone else. */
export function formalCheckNotices(
  team: { leaderOpenId: string; contactOpenId: string },
  applicationId: number,
  decision: FormalCheckDecision,
  reason: string | undefined,
  eventId: string,
): OutgoingMessage[] {
  return [...new Set([team.leaderOpenId, team.contactOpenId])].map((openId) => ({
    dedupeKey: `${formalCheckNoticeKey(decision, applicationId, eventId)}:${openId}`,
    to: { openId },
    render: formalCheckNoticeSpec(applicationId, decision, reason, openId === team.leaderOpenId ? 'leader' : 'contact'),
  }));
}

/**
 * Draws the notices of a claimed batch with one read. The state shown is the one the decision led to (the
 * application may have moved on since, a return resubmitted); an application no longer there is not told.
 */
export function formalCheckNoticeRenderer(db: Db, day: SendDay): CardRenderer {
  return async (specs: CardSpec[]): Promise<RenderedCard[]> => {
    const ids = specs.map((s) => Number(s.applicationId));
    const rows = await applicationsWithNames(db, ids);
    const today = todayIn(day.timezone, day.clock.now());
    return specs.map((spec, i): RenderedCard => {
      const row = rows.get(ids[i]);
      const decision = spec.decision === 'accept' || spec.decision === 'return' ? spec.decision : undefined;
      if (!row) return { drop: `申报 ${ids[i]} 已不存在` };
      if (!decision) return { error: `形式审查通知的决定无法识别：${String(spec.decision)}` };
      const summary = summaryOf({ ...row.application, status: decidedStatus(decision) }, row.team, row.organization, row.year);
      const reason = typeof spec.reason === 'string' ? spec.reason : undefined;
      // returned once the year's applications closed (形式审查 during scoring): out of this year's review, and it says so
      // and accepted then: its experts come when the administrators assign them, not at a deadline already past
      const closed = !resubmittable(row.cycle, today) ? { deadline: row.cycle.applicationDeadline } : undefined;
      return { card: leaderNoticeCard(summary, decision === 'accept' ? 'accepted' : 'returnedByAssociation', reason, closed, spec.reader === 'contact' ? 'contact' : 'leader') };
    });
  };
}
