import { adminCard } from '../../cards/admin.js';
import { panelCard } from '../../cards/review.js';
import type { Card } from '../../cards/kit.js';
import { adminOverview } from '../../src/adminOverview.js';
import { type ApplicationStatus, applicationStatusNames, getApplication } from '../../src/applications.js';
import { getCycle } from '../../src/cycles.js';
import { formatDateZh, todayIn } from '../../src/dates.js';
import { cite, UserError } from '../../src/errors.js';
import { type CardActionDecl, type CardActionInput, type CardAnswer, type CardResponse, cardPrivately, type HandlerContext, inSharedChat } from '../../src/handlers.js';
import { applicationByTeamCode } from '../../src/review/results.js';
import { fastReopen, type ReopenedPanel } from '../../src/fast/reopen.js';
import { fastSwap } from '../../src/fast/replace.js';
import { getTask, type PanelMember, panelOf, reopenScore, swapExpert } from '../../src/review/scoring.js';
import { alertOutliers } from '../../src/review/outlierAlert.js';
import { announceReopeningDone } from '../../src/review/reopeningDone.js';
import { idFrom, idOrZero, pageFrom, raw, today } from '../respond.js';
import { startAssignment } from './assignJob.js';
import { announceReplacement, progressCardFor, reopenedTaskMessage, taskApplication } from './view.js';

/** A refused 分配专家 or 评审进度 on the admin card: the card as it is now. */
export async function adminCardAgain(_err: UserError, ctx: HandlerContext, input: CardActionInput): Promise<CardResponse | undefined> {
  // the admin card is the clicker's: on a card in a group (a job card, the digest; bound now or unbound since) the refusal's toast is all
  if (await inSharedChat(ctx, input)) return undefined;
  return { card: { type: 'raw', data: adminCard(await adminOverview(ctx.tx, today(ctx))) } };
}

/**
 * `review.assign` (分配专家): records the job that fills every panel and sends each new task to its expert;
 * the answer is the job's progress card, whose final state reports what is missing.
 */
export async function assignExperts(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  // the cycle is read with the rest of the checks (an unknown one is refused there)
  return startAssignment(ctx, input, idFrom(input.value, 'cycleId'));
}

/** `review.progress` (评审进度). */
export async function showProgress(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  return { card: { type: 'raw', data: await progressCardFor(ctx, idFrom(input.value, 'cycleId')) } };
}

/**
 * The panel card of an application as read: its application row with team, organisation and cycle, and its members, as
 * `viewer` sees it: an administrator with a sheet of the panel still to submit is shown no other expert's total (第十七条).
 */
function panelFrom(row: Pick<ReopenedPanel, 'application' | 'team' | 'organization' | 'cycle'>, members: PanelMember[], viewer: string, page = 1): Card {
  return panelCard({
    scoringMember: members.some((m) => m.expertOpenId === viewer && m.status === 'assigned') ? viewer : undefined,
    cycleId: row.cycle.id,
    applicationId: row.application.id,
    year: row.cycle.year,
    application: taskApplication({ application: row.application, team: row.team, organization: row.organization }),
    statusLabel: applicationStatusNames[row.application.status as ApplicationStatus] ?? row.application.status,
    cycleStatus: row.cycle.status,
    members,
    page,
    // a panel under way (accepted, scoring) with places no expert holds, or one completed with fewer sheets than the
    // panel size, before the first 汇总 (review still empty: 分配专家 fills it, its status back to scoring)
    shortBy: ['accepted', 'scoring'].includes(row.application.status) || (row.application.status === 'scored' && row.application.review == null)
      ? row.cycle.expertsPerApplication - members.filter((m) => m.status === 'assigned' || m.status === 'submitted').length
      : 0,
  });
}

async function panelCardFor(ctx: HandlerContext, applicationId: number, page = 1): Promise<Card> {
  // issued together: one round trip
  const [row, members] = await Promise.all([getApplication(ctx.tx, applicationId), panelOf(ctx.tx, applicationId)]);
  if (!row) throw new UserError('找不到该申报。');
  return panelFrom(row, members, ctx.actor.openId, page);
}

/**
 * The panel after a change clicked in a group (inSharedChat): to the administrator privately, as expert names and scores are
 * for administrators (第十七条) and the group's card is one card for everyone there (the views declare privateInGroup).
 */
const panelPrivately = (ctx: HandlerContext, panel: Card, toast?: CardResponse['toast']) => cardPrivately(ctx, panel, '专家组', toast);

/** `review.panel`: one application's experts, for swapping or reopening. */
export async function showPanel(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  return raw(await panelCardFor(ctx, idFrom(input.value, 'applicationId'), pageFrom(input.value)));
}

/** `review.panelByCode`: the lookup form of the progress card. */
export async function showPanelByCode(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  const cycle = await getCycle(ctx.tx, idFrom(input.value, 'cycleId'));
  if (!cycle) throw new UserError('找不到这一年度的评审，请发送“管理”查看当前状态。');
  const code = typeof input.formValue.code === 'string' ? input.formValue.code.trim() : '';
  if (!code) throw new UserError('请填写要查看的班组编号（如 GDSZ-2026-0001）。', { field: 'code' });
  const id = await applicationByTeamCode(ctx.tx, cycle.id, code);
  if (!id) throw new UserError(`${cycle.year}年度没有班组编号为“${code}”的申报，请核对编号（如 GDSZ-2026-0001）。`, { field: 'code' });
  return raw(await panelCardFor(ctx, id));
}

export async function progressAgain(err: UserError, ctx: HandlerContext, input: CardActionInput): Promise<CardResponse | undefined> {
  if (!ctx.actor.roles.includes('admin')) return undefined;
  const cycle = await getCycle(ctx.tx, idOrZero(input.value, 'cycleId'));
  return cycle ? { card: { type: 'raw', data: await progressCardFor(ctx, cycle.id, err.message) } } : undefined;
}

/** `review.swap` (更换专家): the pending task goes to another expert; the first one is told. */
export async function swapPanelExpert(ctx: HandlerContext, input: CardActionInput): Promise<CardAnswer> {
  const swapped = await swapExpert(ctx.tx, ctx.actor, idFrom(input.value, 'assignmentId'), ctx.clock.now(), ctx.config.BOT_TIMEZONE);
  if (swapped.restored) return restoredAnswer(ctx, input, swapped);
  const { task, replacement } = swapped;
  await ctx.send({
    dedupeKey: `review:swapped:${task.assignment.id}`,
    to: { openId: task.assignment.expertOpenId },
    text: `协会已将“${task.team.name}（${task.team.code}）”的评分任务改派给其他专家，你无需再为它评分。`,
  });
  await announceReplacement(ctx, task, replacement, '管理员更换了专家');
  await alertOutliers(ctx, task, swapped);
  await announceReopeningDone(ctx, task, swapped);
  const late = replacement.created ? afterDeadline(ctx, task.cycle) : '';
  const n = task.cycle.expertsPerApplication;
  const toast = !replacement.created
    ? replacement.unfilled
      ? { type: 'warning' as const, content: `已撤下原专家，但没有可接替的专家：${replacement.unfilled.reason}专家到位后，点“分配专家”补齐。` }
      : // nothing to fill: the panel has its experts (每份申报专家人数 lowered since it was formed)
        { type: 'success' as const, content: `已撤下原专家：${task.team.name}的专家组已有 ${n} 位专家（每份申报 ${n} 位），无需接替。` }
    : replacement.unfilled
      ? // the panel was short before: who came is told, and what it still misses
        { type: 'warning' as const, content: withLate(`已更换专家：${task.team.name}，但专家组仍未配齐：${replacement.unfilled.reason}`, late) }
      : swappedToast(task.team.name, late);
  // in a group the panel is drawn in this transaction (the swap is read as it will commit) and sent privately
  if (await inSharedChat(ctx, input)) return panelPrivately(ctx, await panelCardFor(ctx, task.application.id, pageFrom(input.value)), toast);
  return ctx.afterCommit(async (read) => ({ toast, card: { type: 'raw', data: await panelCardFor(read, task.application.id, pageFrom(input.value)) } }));
}

/**
 * 更换专家 on a sheet reopened after the sum: the reopening taken back, the sheet submitted before standing (`swapExpert`).
 * The expert is told they need not submit it again; the panel's completion is told as any last sheet's is.
 */
async function restoredAnswer(ctx: HandlerContext, input: CardActionInput, swapped: Awaited<ReturnType<typeof swapExpert>> & { restored: true }): Promise<CardAnswer> {
  const { task } = swapped;
  await ctx.send({
    dedupeKey: `review:restored:${task.assignment.id}:${ctx.eventId}`,
    to: { openId: task.assignment.expertOpenId },
    text: `协会已撤回对“${task.team.name}（${task.team.code}）”评分的重开，保留你此前提交的评分（${task.assignment.total} 分），你无需再提交。`,
  });
  await alertOutliers(ctx, task, swapped);
  await announceReopeningDone(ctx, task, swapped);
  const toast = {
    type: 'success' as const,
    content: `已撤回重开：${task.team.name}保留该专家此前提交的评分（${task.assignment.total} 分）。本年度评分已汇总过一次，不能再换其他专家评分（第十七条）。`,
  };
  if (await inSharedChat(ctx, input)) return panelPrivately(ctx, await panelCardFor(ctx, task.application.id, pageFrom(input.value)), toast);
  return ctx.afterCommit(async (read) => ({ toast, card: { type: 'raw', data: await panelCardFor(read, task.application.id, pageFrom(input.value)) } }));
}

const swappedToast = (teamName: string, late = '') => ({ type: 'success' as const, content: withLate(`已更换专家：${teamName}`, late) });

/**
 * A sheet given to an expert (更换专家, 重开评分) after the year's 评分截止: the administrator is told the deadline has passed
 * and where it is moved (修改设置 on the 管理 card takes dates while experts score), as the expert's card shows that date;
 * empty until the deadline's day is over.
 */
function afterDeadline(ctx: Pick<HandlerContext, 'config' | 'clock'>, cycle: { scoringDeadline: string }): string {
  if (todayIn(ctx.config.BOT_TIMEZONE, ctx.clock.now()) <= cycle.scoringDeadline) return '';
  return `注意：本年度专家评分截止日期（${formatDateZh(cycle.scoringDeadline)}）已过，如需给专家留出评分时间，请在“管理”卡片点“修改设置”延后专家评分截止日期。`;
}

/** An answer with `afterDeadline`'s sentence after it, when there is one. */
const withLate = (text: string, late: string) => (late ? `${text}${text.endsWith('。') ? '' : '。'}${late}` : text);

/**
 * The same swap in one round trip on PostgreSQL (src/fast/replace.ts), when it succeeds, a replacement takes every
 * place the panel misses and the click is not from a group (isSharedChat: whose panel goes privately); anything else answers
 * undefined having written nothing, and `swapPanelExpert` runs.
 */
export const swapPanelExpertFast: NonNullable<CardActionDecl['fast']> = async (fx, input) => {
  const assignmentId = idOrZero(input.value, 'assignmentId');
  if (!assignmentId) return undefined;
  const done = await fastSwap(fx.database, {
    eventId: fx.eventId,
    eventType: fx.eventType,
    openId: fx.openId,
    assignmentId,
    chatId: input.chatId,
    now: fx.clock.now(),
    bootstrapAdmins: fx.config.ADMIN_OPEN_IDS,
  });
  if (!done) return undefined;
  const toast = swappedToast(done.teamName, afterDeadline(fx, done.panel.cycle));
  return { outcome: 'ok', answer: { toast, card: { type: 'raw', data: panelFrom(done.panel, done.panel.members, fx.openId, pageFrom(input.value)) } }, queued: done.queued };
};

/** `review.reopen` (重开评分, audited): the sheet goes back to its expert with the scores filled in. */
export async function reopenPanelScore(ctx: HandlerContext, input: CardActionInput): Promise<CardAnswer> {
  const { task, card, recused } = await reopenScore(ctx.tx, ctx.actor, idFrom(input.value, 'assignmentId'), ctx.clock.now(), ctx.eventId);
  // a card of the task still waiting to go out draws the reopened sheet itself: the expert gets one; one who must step aside gets none
  if (card && !card.waiting) await ctx.send(reopenedTaskMessage(task.assignment, ctx.eventId));
  const toast = recused ? recusedToast(task.team.name, recused) : reopenedToast(task.team.name, afterDeadline(ctx, task.cycle));
  if (await inSharedChat(ctx, input)) return panelPrivately(ctx, await panelCardFor(ctx, task.application.id, pageFrom(input.value)), toast);
  return ctx.afterCommit(async (read) => ({ toast, card: { type: 'raw', data: await panelCardFor(read, task.application.id, pageFrom(input.value)) } }));
}

const reopenedToast = (teamName: string, late = '') => ({ type: 'success' as const, content: withLate(`已重开评分并通知专家：${teamName}`, late) });

/** The reopen of a sheet whose expert must step aside (第十七条): nothing went to them, and 更换专家 is what is left to do. */
const recusedToast = (teamName: string, why: string) => ({
  type: 'warning' as const,
  content: `已重开评分：${teamName}。${cite(17, `评审坚持公开、公平和公正原则，该专家${why}，须回避该班组的评审：未通知其重新评分，请接着点该专家的“更换专家”改派其他专家。`)}`,
});

/**
 * The same reopen in one round trip on PostgreSQL (src/fast/reopen.ts), when it succeeds, no card of the task is
 * still waiting to go out and the click is not from a group (isSharedChat: whose panel goes privately); anything else answers
 * undefined having written nothing, and `reopenPanelScore` runs.
 */
export const reopenPanelScoreFast: NonNullable<CardActionDecl['fast']> = async (fx, input) => {
  const assignmentId = idOrZero(input.value, 'assignmentId');
  if (!assignmentId) return undefined;
  const done = await fastReopen(fx.database, {
    eventId: fx.eventId,
    eventType: fx.eventType,
    openId: fx.openId,
    assignmentId,
    chatId: input.chatId,
    now: fx.clock.now(),
    bootstrapAdmins: fx.config.ADMIN_OPEN_IDS,
  });
  if (!done) return undefined;
  const toast = reopenedToast(done.teamName, afterDeadline(fx, done.panel.cycle));
  return { outcome: 'ok', answer: { toast, card: { type: 'raw', data: panelFrom(done.panel, done.panel.members, fx.openId, pageFrom(input.value)) } }, queued: done.queued };
};

/** A refused panel action: the panel as it is now; in a group the error alone, the group's card left as it is. */
export async function panelAgain(_err: UserError, ctx: HandlerContext, input: CardActionInput): Promise<CardResponse | undefined> {
  if (!ctx.actor.roles.includes('admin') || (await inSharedChat(ctx, input))) return undefined;
  const task = await getTask(ctx.tx, idOrZero(input.value, 'assignmentId'));
  return task ? { card: { type: 'raw', data: await panelCardFor(ctx, task.application.id, pageFrom(input.value)) } } : undefined;
}
