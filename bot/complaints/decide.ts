import { complaintAlertCard, complaintDecidedCard, complaintListCard, revocationDecidedCard } from '../../cards/complaints.js';
import {
  complaintView,
  countOpenComplaints,
  daysOpen,
  decideComplaint,
  getComplaint,
  keepTitle,
  openComplaints,
  revocationAlertFor,
  revokeTitle,
  titlesAwaitingDecision,
  titleStatus,
} from '../../src/complaints.js';
import { AlreadyDone, UserError } from '../../src/errors.js';
import type { CardActionInput, CardRun, HandlerContext } from '../../src/handlers.js';
import { hasRole } from '../../src/people.js';
import { idFrom, idOrZero, raw } from '../respond.js';
import { complaintOptions } from './intake.js';

/** The alert again with what is wrong, for an administrator whose decision was refused (e.g. no note). */
export async function alertAgain(err: UserError, ctx: HandlerContext, input: CardActionInput) {
  // decided by the first click: the decision, as the first answer showed it
  if (err instanceof AlreadyDone) {
    const decided = await getComplaint(ctx.tx, idOrZero(input.value, 'complaintId'));
    const title = decided && (await titleStatus(ctx.tx, decided.team.id));
    if (decided) return raw(complaintDecidedCard(complaintView(decided.complaint, decided.team, ctx.config.BOT_TIMEZONE), { title: title?.view }));
  }
  if (!hasRole(ctx.actor, 'admin') || err.opts.kind === 'info') return undefined;
  const found = await getComplaint(ctx.tx, idOrZero(input.value, 'complaintId'));
  if (!found || found.complaint.status !== 'open') return undefined;
  const title = await titleStatus(ctx.tx, found.team.id);
  return raw(complaintAlertCard(complaintView(found.complaint, found.team, ctx.config.BOT_TIMEZONE), { title: title?.view, error: { field: err.opts.field, message: err.message }, values: input.formValue }));
}

function decide(decision: 'uphold' | 'dismiss'): CardRun {
  return async (ctx, input) => {
    const result = await decideComplaint(ctx.tx, ctx.actor, idFrom(input.value, 'complaintId'), decision, input.formValue, complaintOptions(ctx));
    const toast = decision === 'uphold' ? `已认定投诉成立${result.revocationRaised ? '，撤销称号提醒已发出' : ''}` : '已认定投诉不成立';
    return raw(complaintDecidedCard(result.view, { title: result.title, revocationRaised: result.revocationRaised }), { type: 'success', content: toast });
  };
}

/** complaint.uphold / complaint.dismiss {complaintId} with the note: administrators only (第十四条). */
export const upholdComplaint = decide('uphold');
export const dismissComplaint = decide('dismiss');

export async function revocationAgain(err: UserError, ctx: HandlerContext, input: CardActionInput) {
  if (!hasRole(ctx.actor, 'admin') || err.opts.kind === 'info') return undefined;
  const alert = await revocationAlertFor(ctx.tx, idOrZero(input.value, 'honourId'), ctx.config.BOT_TIMEZONE, { error: { field: err.opts.field, message: err.message }, values: input.formValue });
  return alert ? raw(alert) : undefined;
}

/** revocation.revoke {honourId} with the reason (撤销称号, 第二十二条): administrators only. */
export const revokeHonour: CardRun = async (ctx, input) => {
  const { team, honour, reason, certificate, barDays } = await revokeTitle(ctx.tx, ctx.actor, idFrom(input.value, 'honourId'), input.formValue, complaintOptions(ctx));
  return raw(revocationDecidedCard({ team, year: honour.year, decision: 'revoked', reason, certificate, barDays }), { type: 'success', content: '已撤销称号，已通知班组长和单位联系人' });
};

/** revocation.keep {honourId} with the reason (保留称号): administrators only. */
export const keepHonour: CardRun = async (ctx, input) => {
  const { team, honour, reason } = await keepTitle(ctx.tx, ctx.actor, idFrom(input.value, 'honourId'), input.formValue, complaintOptions(ctx));
  return raw(revocationDecidedCard({ team, year: honour.year, decision: 'kept', reason }), { type: 'success', content: '已保留称号' });
};

/** complaint.list: the open complaints, oldest first, for administrators. */
export const listComplaints: CardRun = async (ctx) => {
  const now = ctx.clock.now();
  const rows = await openComplaints(ctx.tx, { limit: 20 });
  const items = rows.map((r) => ({ ...complaintView(r.complaint, r.team, ctx.config.BOT_TIMEZONE), daysOpen: daysOpen(r.complaint, now, ctx.config.BOT_TIMEZONE) }));
  return raw(complaintListCard({ items, total: await countOpenComplaints(ctx.tx), titles: await titlesAwaitingDecision(ctx.tx) }));
};

/** revocation.open {honourId}: the 撤销 / 保留 card of a title awaiting a decision, drawn fresh. */
export const openRevocation: CardRun = async (ctx, input) => {
  const alert = await revocationAlertFor(ctx.tx, idFrom(input.value, 'honourId'), ctx.config.BOT_TIMEZONE);
  if (!alert) throw new UserError('该称号已处理，无需再决定。', { kind: 'info' });
  return raw(alert);
};

/** complaint.open {complaintId}: the alert card of one complaint (or its decision), for administrators. */
export const openComplaint: CardRun = async (ctx, input) => {
  const found = await getComplaint(ctx.tx, idFrom(input.value, 'complaintId'));
  if (!found) throw new UserError('找不到这件投诉。');
  const view = complaintView(found.complaint, found.team, ctx.config.BOT_TIMEZONE);
  const title = await titleStatus(ctx.tx, found.team.id);
  return raw(found.complaint.status === 'open' ? complaintAlertCard(view, { title: title?.view }) : complaintDecidedCard(view, { title: title?.view }));
};
