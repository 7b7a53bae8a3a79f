import type { Db } from '../db/index.js';
import { type Clock, systemClock } from './clock.js';
import { UNCONFIRMED_CONTACT_NOTICE, UNCONFIRMED_LEADER_NOTICE, unconfirmedContactNoticeRenderer, unconfirmedLeaderNoticeRenderer } from './deadlineNotices.js';
import { COMPLAINT_ALERT_CARD, COMPLAINT_BATCH_CARD, complaintBatchRenderer, COMPLAINT_CORRECTED_CARD, complaintCorrectedRenderer, COMPLAINT_DECIDED_CARD, COMPLAINT_ESCALATION_CARD, COMPLAINT_ESCALATION_LIST, COMPLAINT_OUTCOME_CARD, COMPLAINT_UPHELD_CARD, complaintAlertRenderer, complaintDecidedRenderer, complaintOutcomeRenderer, complaintUpheldRenderer, REVOCATION_ALERT_CARD, REVOCATION_DECIDED_CARD, REVOCATION_ESCALATION_LIST, REVOCATION_ESCALATION_LIST_REDRAWN, REVOCATION_WITHDRAWN_CARD, revocationAlertRenderer, revocationDecidedRenderer, revocationWithdrawnRenderer, TITLE_REVOKED_CARD, titleRevokedRenderer } from './complaints.js';
import {
  ENDORSEMENT_LEADER_NOTICE,
  ENDORSEMENT_REQUEST_CARD,
  endorsementLeaderNoticeRenderer,
  endorsementRequestRenderer,
  FORMAL_CHECK_REQUEST,
  formalCheckRequestRenderer,
} from './endorsementCards.js';
import {
  APPLY_OPEN_NOTICE,
  APPLY_REMINDER,
  applyOpenNoticeRenderer,
  applyReminderRenderer,
  CONTACT_APPLY_REMINDER,
  contactApplyReminderRenderer,
  LEADER_APPLY_REMINDER,
  leaderApplyReminderRenderer,
  REVIEW_MEETING_REMINDER,
  reviewMeetingReminderRenderer,
  SCORING_GROUP_REMINDER,
  SCORING_REMINDER,
  scoringGroupReminderRenderer,
  scoringReminderRenderer,
} from './jobs/reminderCards.js';
import { escalationListRenderer, escalationRenderer, revocationEscalationListRedrawnRenderer, revocationEscalationListRenderer } from './jobs/escalation.js';
import { FORMAL_CHECK_NOTICE, formalCheckNoticeRenderer } from './formalCheckNotices.js';
import { HELP_MENU_CARD, helpMenuRenderer } from './helpMenuCards.js';
import { UNFINISHED_CLICK_CARD, unfinishedClickRenderer } from './lateClicks.js';
import { EXPERT_WELCOME_CARD, expertWelcomeRenderer } from './review/expertWelcome.js';
import type { CardRenderers } from './outbox.js';
import { OUTAGE_DEAD_LETTERS_CARD, outageDeadLettersRenderer } from './notifications.js';
import { CONTACT_NAMED_CARD, contactNamedRenderer, TEAM_REGISTERED_CARD, teamRegisteredRenderer } from './registrationCards.js';
import { TEAM_RESULT_CARD, teamResultRenderer } from './review/resultCards.js';
import { REVIEW_TASK_CARD, reviewTaskRenderer, TASK_APPLICATION_CARD, taskApplicationRenderer } from './review/taskCards.js';

/**
 * Every card drawn when it is sent, by its spec's kind: for the bot's dispatcher and `npm run job`'s. `clock`
 * is the bot's (a reminder counts its days left to the day it is sent); `npm run job` sends now, by the real one.
 */
export function cardRenderers(db: Db, timezone: string, clock: Clock = systemClock): CardRenderers {
  const day = { timezone, clock };
  return {
    [REVIEW_TASK_CARD]: reviewTaskRenderer(db, day),
    [TASK_APPLICATION_CARD]: taskApplicationRenderer(db),
    [TEAM_RESULT_CARD]: teamResultRenderer(db, timezone),
    [APPLY_REMINDER]: applyReminderRenderer(db, day),
    [APPLY_OPEN_NOTICE]: applyOpenNoticeRenderer(db, day),
    [LEADER_APPLY_REMINDER]: leaderApplyReminderRenderer(db, day),
    [CONTACT_APPLY_REMINDER]: contactApplyReminderRenderer(db, day),
    [SCORING_REMINDER]: scoringReminderRenderer(db, day),
    [SCORING_GROUP_REMINDER]: scoringGroupReminderRenderer(db, day),
    [REVIEW_MEETING_REMINDER]: reviewMeetingReminderRenderer(db, day),
    [FORMAL_CHECK_NOTICE]: formalCheckNoticeRenderer(db, day),
    [UNCONFIRMED_CONTACT_NOTICE]: unconfirmedContactNoticeRenderer(db),
    [UNCONFIRMED_LEADER_NOTICE]: unconfirmedLeaderNoticeRenderer(db),
    [TEAM_REGISTERED_CARD]: teamRegisteredRenderer,
    [CONTACT_NAMED_CARD]: contactNamedRenderer,
    [ENDORSEMENT_REQUEST_CARD]: endorsementRequestRenderer(db, day.timezone, day.clock),
    [ENDORSEMENT_LEADER_NOTICE]: endorsementLeaderNoticeRenderer(db, day),
    [FORMAL_CHECK_REQUEST]: formalCheckRequestRenderer(db),
    [COMPLAINT_ALERT_CARD]: complaintAlertRenderer(db, timezone),
    [COMPLAINT_BATCH_CARD]: complaintBatchRenderer(db, timezone),
    [COMPLAINT_OUTCOME_CARD]: complaintOutcomeRenderer(db, timezone),
    [COMPLAINT_CORRECTED_CARD]: complaintCorrectedRenderer(db, timezone),
    [COMPLAINT_DECIDED_CARD]: complaintDecidedRenderer(db, timezone),
    [COMPLAINT_ESCALATION_CARD]: escalationRenderer(db, day),
    [COMPLAINT_ESCALATION_LIST]: escalationListRenderer(db, day),
    [COMPLAINT_UPHELD_CARD]: complaintUpheldRenderer(db, timezone),
    [TITLE_REVOKED_CARD]: titleRevokedRenderer(db),
    [REVOCATION_ALERT_CARD]: revocationAlertRenderer(db, timezone, clock),
    [REVOCATION_ESCALATION_LIST]: revocationEscalationListRenderer(db, day),
    [REVOCATION_ESCALATION_LIST_REDRAWN]: revocationEscalationListRedrawnRenderer(db, day),
    [REVOCATION_DECIDED_CARD]: revocationDecidedRenderer(db),
    [REVOCATION_WITHDRAWN_CARD]: revocationWithdrawnRenderer(db, timezone),
    [HELP_MENU_CARD]: helpMenuRenderer(db, day),
    [EXPERT_WELCOME_CARD]: expertWelcomeRenderer,
    [OUTAGE_DEAD_LETTERS_CARD]: outageDeadLettersRenderer(db, timezone),
    [UNFINISHED_CLICK_CARD]: unfinishedClickRenderer(db),
  };
}
