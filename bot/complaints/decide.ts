import { revokedTold } from '../../cards/strings.js';
import { complaintAlertCard, complaintCorrectionCard, complaintDecidedCard, complaintListCard, complaintListPage, revocationDecidedCard } from '../../cards/complaints.js';
import type { Card } from '../../cards/kit.js';
import {
  type ComplaintDecision,
  complaintCorrectionForm,
  correctComplaint,
  isCorrectable,
  complaintView,
  countOpenComplaints,
  daysOpen,
  decideComplaint,
  getComplaint,
  readComplaintDecision,
  readRevocationDecision,
  keepTitle,
  openComplaints,
  revocationAlertFor,
  revocationDecidedFor,
  revocationDecidedOf,
  revokeTitle,
  titleDecider,
  titlesAwaitingDecision,
  titleStatus,
  revokedSinceUpheld,
} from '../../src/complaints.js';
import { AlreadyDone, formErrorOf, UserError } from '../../src/errors.js';
import { fastDecideComplaint, fastKeepTitle, fastRevokeTitle } from '../../src/fast/decisions.js';
import { type CardActionDecl, type CardActionInput, type CardRun, type FastContext, type HandlerContext, inSharedChat } from '../../src/handlers.js';
import { revocationBarDays } from '../../src/policy.js';
import { hasRole } from '../../src/people.js';
import { idFrom, idOrZero, pageFrom, raw } from '../respond.js';
import { complaintOptions } from './intake.js';

/**
 * The alert again with what is wrong, for an administrator whose decision was refused (e.g. no note); decided already
 * (by another administrator's copy, or a first click), the decision with who made it and when, no buttons left.
 */
export async function alertAgain(err: UserError, ctx: HandlerContext, input: CardActionInput) {
  if (!hasRole(ctx.actor, 'admin')) return undefined;
  const found = await getComplaint(ctx.tx, idOrZero(input.value, 'complaintId'));
  if (!found) return undefined;
  // the card clicked in a group is everyone's there: drawn again without the complainant's contact (ComplaintCardWhere)
  const [title, group] = await Promise.all([titleStatus(ctx.tx, found.team.id), inSharedChat(ctx, input)]);
  if (found.complaint.status !== 'open') return raw(complaintDecidedCard(complaintView(found.complaint, found.team, ctx.config.BOT_TIMEZONE), { title: title?.view, group }));
  if (err.opts.kind === 'info') return undefined;
  return raw(complaintAlertCard(complaintView(found.complaint, found.team, ctx.config.BOT_TIMEZONE), { title: title?.view, error: formErrorOf(err), values: input.formValue, group }));
}

const decidedToast = (decision: ComplaintDecision, revocationRaised: boolean, repeats?: string) => {
  const raised = revocationRaised ? '，撤销称号提醒已发出' : '';
  const said = { uphold: '已认定投诉成立', dismiss: '已认定投诉不成立', duplicate: `已按重复投诉处理（同 ${repeats}）`, withdraw: '已按投诉人要求撤回' }[decision];
  return { type: 'success' as const, content: `${said}${raised}` };
};

function decide(decision: ComplaintDecision): CardRun {
  return async (ctx, input) => {
    // the alert clicked in a group is redrawn there, for everyone: without the complainant's contact (ComplaintCardWhere);
    // asked beside the decision's first reads, in their round trip
    const [result, group] = await Promise.all([
      decideComplaint(ctx.tx, ctx.actor, idFrom(input.value, 'complaintId'), decision, input.formValue, complaintOptions(ctx), input.messageId),
      inSharedChat(ctx, input),
    ]);
    return raw(complaintDecidedCard(result.view, { title: result.title, revocationRaised: result.revocationRaised, group }), decidedToast(decision, result.revocationRaised, result.view.repeats));
  };
}

/** What was typed in a decision's form, read by the ordinary path's parser; undefined when it refuses (the ordinary path then says why). */
function parsed<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (err) {
    if (err instanceof UserError) return undefined;
    throw err;
  }
}

/**
 * The same decision in one round trip on PostgreSQL (src/fast/decisions.ts), when it succeeds and raises no
 * revocation alert; anything else (a refusal, a second click, a note missing, an uphold that completes a run of
 * 第二十二条) answers undefined having written nothing, and `decide` runs.
 */
function decideFast(decision: 'uphold' | 'dismiss'): NonNullable<CardActionDecl['fast']> {
  return async (fx, input) => {
    const complaintId = idOrZero(input.value, 'complaintId');
    const typed = parsed(() => readComplaintDecision(input.formValue));
    if (!complaintId || !typed) return undefined;
    const done = await fastDecideComplaint(fx.database, { ...who(fx), complaintId, decision, note: typed.note, clicked: input.messageId, chatId: input.chatId, timezone: fx.config.BOT_TIMEZONE });
    if (!done) return undefined;
    const view = complaintView(done.found.complaint, done.found.team, fx.config.BOT_TIMEZONE);
    return { outcome: 'ok', answer: raw(complaintDecidedCard(view, { title: done.title, revocationRaised: false, group: done.shared }), decidedToast(decision, false)), queued: done.queued };
  };
}

const who = (fx: FastContext) => ({ eventId: fx.eventId, eventType: fx.eventType, openId: fx.openId, now: fx.clock.now(), bootstrapAdmins: fx.config.ADMIN_OPEN_IDS });

/** complaint.uphold / dismiss / duplicate / withdraw {complaintId} with the note (and for 重复 the reference it repeats): administrators only (第十四条). */
export const upholdComplaint = decide('uphold');
export const dismissComplaint = decide('dismiss');
/** 重复 and 已撤回 are a few a year: the ordinary path alone. */
export const duplicateComplaint = decide('duplicate');
export const withdrawComplaint = decide('withdraw');
export const upholdComplaintFast = decideFast('uphold');
export const dismissComplaintFast = decideFast('dismiss');

/**
 * The 撤销 / 保留 card again with what is wrong; decided already (a copy no decision redrew, a second click), the
 * decision, with no form left.
 */
export async function revocationAgain(err: UserError, ctx: HandlerContext, input: CardActionInput) {
  if (!hasRole(ctx.actor, 'admin')) return undefined;
  if (err.opts.kind === 'info') {
    const decided = await revocationDecidedFor(ctx.tx, idOrZero(input.value, 'honourId'));
    return decided ? raw(decided.card) : undefined;
  }
  // drawn again where it was clicked: a group's quotes the complaints without a phone or e-mail typed into them
  const alert = await revocationAlertFor(ctx.tx, idOrZero(input.value, 'honourId'), ctx.config.BOT_TIMEZONE, { error: formErrorOf(err), values: input.formValue }, undefined, await inSharedChat(ctx, input));
  return alert ? raw(alert) : undefined;
}

/** 已撤销称号 and who was told (an unlinked leader or contact named as not told). */
const revokedToast = (team: { leaderOpenId: string; contactOpenId: string }) => ({ type: 'success' as const, content: `已撤销称号，${revokedTold(team)}` });
const keptToast = { type: 'success' as const, content: '已保留称号' };

/** revocation.revoke {honourId} with the reason (撤销称号, 第二十二条): administrators only. */
export const revokeHonour: CardRun = async (ctx, input) => {
  const { team, honour, reason, certificate, barDays, others } = await revokeTitle(ctx.tx, ctx.actor, idFrom(input.value, 'honourId'), input.formValue, complaintOptions(ctx), input.messageId);
  return raw(revocationDecidedCard({ team, year: honour.year, decision: 'revoked', reason, certificate, barDays, others }), revokedToast(team));
};

/** revocation.keep {honourId} with the reason (保留称号): administrators only. */
export const keepHonour: CardRun = async (ctx, input) => {
  const { team, honour, reason, others } = await keepTitle(ctx.tx, ctx.actor, idFrom(input.value, 'honourId'), input.formValue, complaintOptions(ctx), input.messageId);
  return raw(revocationDecidedCard({ team, year: honour.year, decision: 'kept', reason, others }), keptToast);
};

/**
 * 撤销称号 / 保留称号 in one round trip on PostgreSQL (src/fast/decisions.ts), when it succeeds; anything else (a
 * refusal, a second click, a reason missing, a notice that would go to the actor themself) answers undefined having
 * written nothing, and `revokeHonour` / `keepHonour` runs.
 */
function titleFast(decision: 'revoke' | 'keep'): NonNullable<CardActionDecl['fast']> {
  return async (fx, input) => {
    const honourId = idOrZero(input.value, 'honourId');
    const typed = parsed(() => readRevocationDecision(input.formValue));
    if (!honourId || !typed) return undefined;
    const event = { ...who(fx), honourId, reason: typed.reason, clicked: input.messageId, timezone: fx.config.BOT_TIMEZONE };
    const done = decision === 'revoke' ? await fastRevokeTitle(fx.database, event) : await fastKeepTitle(fx.database, event);
    if (!done) return undefined;
    const card =
      decision === 'revoke'
        ? revocationDecidedCard({ team: done.team, year: done.year, decision: 'revoked', reason: typed.reason, certificate: done.certificate, barDays: revocationBarDays(done.settings === undefined ? undefined : { settings: done.settings }) })
        : revocationDecidedCard({ team: done.team, year: done.year, decision: 'kept', reason: typed.reason });
    return { outcome: 'ok', answer: raw(card, decision === 'revoke' ? revokedToast(done.team) : keptToast), queued: done.queued };
  };
}

export const revokeHonourFast = titleFast('revoke');
export const keepHonourFast = titleFast('keep');

/**
 * 撤销称号 / 保留称号 delivered again (Feishu retried the event): when the title stands as this click would have left it
 * and its latest such decision on record is the clicker's, the decided card, drawn from the honour as it stands, and a
 * toast saying the decision stands as theirs; else undefined, for the toast that says the click was handled.
 */
function titleDuplicate(decision: 'revoke' | 'keep'): NonNullable<CardActionDecl['duplicate']> {
  return async (tx, who, input) => {
    const honourId = idOrZero(input.value, 'honourId');
    const [decided, decider] = await Promise.all([revocationDecidedOf(tx, honourId), titleDecider(tx, honourId, decision === 'revoke' ? 'honour.revoke' : 'honour.keep')]);
    if (!decided || decided.decision !== (decision === 'revoke' ? 'revoked' : 'kept') || decider?.by !== who.openId) return undefined;
    // true whether this delivery made the decision or was refused beside it (the same clicker's other copy first): only
    // the event_id is kept, so the toast says the decision stands as theirs, not that this click made it
    return raw(decided.card, {
      type: 'info',
      content: decision === 'revoke' ? `“撤销称号”：这次点击已收到并处理过，该称号已由你撤销，${revokedTold(decided.team)}` : '“保留称号”：这次点击已收到并处理过，该称号已由你决定保留',
    });
  };
}

export const revokeHonourDuplicate = titleDuplicate('revoke');
export const keepHonourDuplicate = titleDuplicate('keep');

/**
 * complaint.list {page?}: 投诉处理, a page at a time: the titles awaiting 撤销 / 保留 (第二十二条), then the open
 * complaints oldest first. A page past the end (complaints handled since the button was drawn) shows the last page.
 */
export const listComplaints: CardRun = async (ctx, input) => raw(await complaintListFor(ctx, pageFrom(input.value)));

export async function complaintListFor(ctx: HandlerContext, asked = 1): Promise<Card> {
  const [total, titles] = await Promise.all([countOpenComplaints(ctx.tx), titlesAwaitingDecision(ctx.tx)]);
  const size = complaintListPage;
  const pages = Math.max(1, Math.ceil((titles.length + total) / size));
  const page = Math.min(Math.max(1, asked), pages);
  // titles first, then the complaints: the page's window over both
  const start = (page - 1) * size;
  const end = start + size;
  const offset = Math.max(0, start - titles.length);
  const limit = Math.max(0, end - Math.max(start, titles.length));
  const rows = limit ? await openComplaints(ctx.tx, { offset, limit }) : [];
  const now = ctx.clock.now();
  const items = rows.map((r) => ({ ...complaintView(r.complaint, r.team, ctx.config.BOT_TIMEZONE), daysOpen: daysOpen(r.complaint, now, ctx.config.BOT_TIMEZONE) }));
  return complaintListCard({ items, total, titles: titles.slice(start, end), titleTotal: titles.length, first: offset + 1, page, pages, asked: asked > pages ? asked : undefined });
}

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

/** complaint.correctAsk {complaintId}: 更正认定 on a decided complaint's card: the correction card, asking for the 更正说明 first. */
export const askCorrection: CardRun = async (ctx, input) => {
  const found = await getComplaint(ctx.tx, idFrom(input.value, 'complaintId'));
  if (!found) throw new UserError('找不到这件投诉，请发送“投诉处理”查看投诉。');
  const view = complaintView(found.complaint, found.team, ctx.config.BOT_TIMEZONE);
  const title = await titleStatus(ctx.tx, found.team.id);
  if (!isCorrectable(found.complaint.status)) return raw(found.complaint.status === 'open' ? complaintAlertCard(view, { title: title?.view }) : complaintDecidedCard(view, { title: title?.view }));
  // counted in a title revoked since: refused now, before a 更正说明 is typed for nothing (correctComplaint refuses it too)
  const barred = await revokedSinceUpheld(ctx.tx, found.complaint, found.team, ctx.config.BOT_TIMEZONE);
  if (barred) throw barred;
  return raw(complaintCorrectionCard(view, complaintCorrectionForm, { title: title?.view }));
};

/** complaint.correct {complaintId, to} with the 更正说明: 成立 ⇄ 不成立, administrators only. */
export const correctDecision: CardRun = async (ctx, input) => {
  const to = input.value.to === 'dismissed' ? 'dismissed' : 'upheld';
  const drawn = typeof input.value.decided === 'number' ? input.value.decided : undefined;
  // clicked in a group (the correction card sent there before it went privately): drawn without the contact, asked beside the first reads
  const [r, group] = await Promise.all([
    correctComplaint(ctx.tx, ctx.actor, idFrom(input.value, 'complaintId'), to, input.formValue, complaintOptions(ctx), input.messageId, drawn),
    inSharedChat(ctx, input),
  ]);
  const said = `已将投诉 ${r.view.reference} 由“${r.from === 'upheld' ? '成立' : '不成立'}”更正为“${to === 'upheld' ? '成立' : '不成立'}”`;
  const after = r.revocationRaised
    ? '，撤销称号提醒已发出'
    : r.revocationWithdrawn
      ? '，此前的撤销称号提醒不再适用'
      : r.revocationPending
        ? '，连续成立已达规定次数：请在此前的撤销称号提醒中决定（也可在“投诉处理”中找到）'
        : '';
  return raw(complaintDecidedCard(r.view, { title: r.title, revocationRaised: r.revocationRaised, revocationWithdrawn: r.revocationWithdrawn, group }), { type: 'success', content: `${said}${after}` });
};

/** A refused correction: the correction card again with what is wrong (the 更正说明 missing); anything else, the complaint as it stands. */
export async function correctionAgain(err: UserError, ctx: HandlerContext, input: CardActionInput) {
  if (!hasRole(ctx.actor, 'admin')) return undefined;
  const found = await getComplaint(ctx.tx, idOrZero(input.value, 'complaintId'));
  if (!found) return undefined;
  const view = complaintView(found.complaint, found.team, ctx.config.BOT_TIMEZONE);
  const [title, group] = await Promise.all([titleStatus(ctx.tx, found.team.id), inSharedChat(ctx, input)]);
  if (err.opts.field && isCorrectable(found.complaint.status)) return raw(complaintCorrectionCard(view, complaintCorrectionForm, { title: title?.view, error: formErrorOf(err), values: input.formValue }));
  if (found.complaint.status === 'open') return raw(complaintAlertCard(view, { title: title?.view, group }));
  return raw(complaintDecidedCard(view, { title: title?.view, group }));
}
