import { applicationFormCard, recallChoiceCard, recalledNoticeCard, submittedCard } from '../../cards/applications.js';
import { type Application, applicationForm, applicationStatusNames, type ApplicationStatus, type Cycle, applicationsOfTeams, findApplication, recallApplication, recallTooLateText, resubmittable, summaryOf } from '../../src/applications.js';
import { getCycleByYear, getRunningCycle } from '../../src/cycles.js';
import { formatDateTimeZh, formatDateZh } from '../../src/dates.js';
import { UserError } from '../../src/errors.js';
import type { CardActionInput, CardRun, HandlerContext, IncomingText, OnRefused } from '../../src/handlers.js';
import { hasRole } from '../../src/people.js';
import { getTeam, type Team, teamsOf } from '../../src/teams.js';
import { idFrom, idOrZero, pageFrom, raw, sendPrivately, today } from '../respond.js';
import type { Card } from '../../cards/kit.js';

/** The year a 撤回申报 button names (its card's), else the running one. */
async function cycleOfButton(ctx: HandlerContext, input: CardActionInput): Promise<Cycle> {
  const year = Number(input.value.year);
  const cycle = Number.isInteger(year) && year >= 2000 && year <= 2100 ? await getCycleByYear(ctx.tx, year) : await getRunningCycle(ctx.tx);
  if (!cycle) throw new UserError('找不到这份申报的年度评审，请发送“进度”查看本班组的申报情况。', { kind: 'info' });
  return cycle;
}

const recalledToast = { type: 'success', content: '已撤回申报，修改后请重新提交' } as const;

/** The 申报表 of a draft, to edit, with what it holds; `notice` above it. */
function draftForm(team: Team & { organization: string }, cycle: Cycle, application: Application, notice?: string) {
  return applicationFormCard({
    descriptor: applicationForm,
    team: { id: team.id, name: team.name, code: team.code, organization: team.organization },
    cycle: { year: cycle.year, applicationDeadline: formatDateZh(cycle.applicationDeadline) },
    applicationId: application.id,
    values: (application.form ?? {}) as Record<string, unknown>,
    ...(notice ? { notice } : {}),
  });
}

/**
 * 撤回申报 (`application.recall`): the leader takes the submitted application back; the contact is told their request
 * is spent, and the leader gets the form back to edit, with what was submitted in it.
 */
export const recallSubmittedApplication: CardRun = async (ctx, input) => {
  const cycle = await cycleOfButton(ctx, input);
  const teamId = idFrom(input.value, 'teamId');
  const { application, team } = await recallApplication(ctx.tx, ctx.actor, teamId, cycle, ctx.clock.now(), ctx.config.BOT_TIMEZONE);
  const summary = summaryOf(application, team, team.organization, cycle.year);
  await ctx.send({
    dedupeKey: `application:recall:${application.id}:${ctx.eventId}`,
    to: { openId: team.contactOpenId },
    card: recalledNoticeCard(summary, formatDateTimeZh(ctx.clock.now(), ctx.config.BOT_TIMEZONE)),
  });
  const notice = '申报已撤回，单位联系人已收到通知。修改后请点“提交申报”重新提交，单位联系人将再次确认（第十五条）。';
  return raw(draftForm(team, cycle, application, notice), recalledToast);
};

/**
 * A refused 撤回申报, on a card of the leader's: the application as it is now (taken back already: the form to edit;
 * decided by the contact first: where it is), the refusal as the toast.
 */
export const recallRefused: OnRefused = async (_error, ctx, input) => {
  const team = await getTeam(ctx.tx, idOrZero(input.value, 'teamId'));
  if (!team || team.leaderOpenId !== ctx.actor.openId) return undefined;
  const cycle = await cycleOfButton(ctx, input).catch(() => undefined);
  const existing = cycle && (await findApplication(ctx.tx, team.id, cycle.id));
  if (!cycle || !existing) return undefined;
  const takes = resubmittable(cycle, today(ctx));
  if (existing.status === 'draft' || existing.status === 'returned') return takes ? raw(draftForm(team, cycle, existing)) : undefined;
  return raw(submittedCard(summaryOf(existing, team, team.organization, cycle.year), { takesApplications: takes, summed: cycle.status === 'closed' }));
};

/**
 * `撤回申报` typed: to a leader, their teams' applications that can be taken back, each with its button (confirmed on
 * the card, never done by the words alone); where none can, why; to anyone else, who can.
 */
export async function recallCommand(ctx: HandlerContext, msg: IncomingText): Promise<void> {
  const key = `apply:recall:${ctx.eventId}`;
  const choice = await recallChoice(ctx, 1);
  await sendPrivately(ctx, msg, key, 'card' in choice ? choice : { text: choice.text }, 'card' in choice ? '撤回申报卡片' : '回复');
}

/** `application.recallList` (上一页 / 下一页 of 撤回申报): that page, as it stands now; where none is left to take back, why. */
export const listRecallChoices: CardRun = async (ctx, input) => {
  const choice = await recallChoice(ctx, pageFrom(input.value));
  return 'card' in choice ? raw(choice.card) : { toast: { type: 'info', content: choice.text } };
};

/** The caller's submitted applications to take back, on the card's page `page`; else what they are told instead. */
async function recallChoice(ctx: HandlerContext, page: number): Promise<{ card: Card } | { text: string }> {
  const led = (await teamsOf(ctx.tx, ctx.actor.openId)).filter((v) => v.myRole === 'leader');
  if (!led.length) {
    const text = hasRole(ctx.actor, 'org_contact')
      ? '只有班组长可以撤回本班组已提交的申报。你是单位联系人：申报需要修改时，请在确认卡片上填写意见后点“退回修改”（第十五条）。'
      : '只有班组长可以撤回本班组已提交的申报：单位联系人确认前，班组长发送“撤回申报”撤回后修改，再重新提交。';
    return { text };
  }
  const cycle = await getRunningCycle(ctx.tx);
  const rows = cycle ? await applicationsOfTeams(ctx.tx, cycle.id, led.map((v) => v.team.id)) : [];
  const submitted = rows.filter((a) => a.status === 'submitted');
  if (cycle && submitted.length && resubmittable(cycle, today(ctx))) {
    const items = submitted.map((a) => ({ team: led.find((v) => v.team.id === a.teamId)!.team, year: cycle.year, title: String((a.form as { title?: unknown } | null)?.title ?? '') }));
    return { card: recallChoiceCard(items, page) };
  }
  return { text: nothingToRecall(cycle, rows, today(ctx)) };
}

/** Why a leader has nothing to take back: no year running, the applications closed, or where the application is. */
function nothingToRecall(cycle: Cycle | undefined, rows: { status: string }[], on: string): string {
  if (!cycle) return '目前没有进行中的年度评审，没有可以撤回的申报。';
  const takes = resubmittable(cycle, on);
  if (rows.some((a) => a.status === 'submitted')) {
    return `${cycle.year} 年度申报已于 ${formatDateZh(cycle.applicationDeadline)} 截止：撤回后不能再提交，所以不能撤回；请提醒单位联系人尽快确认（第十五条）。`;
  }
  if (!rows.length) return takes ? `${cycle.year} 年度还没有提交申报，无需撤回；发送“申报”填写。` : `${cycle.year} 年度没有可以撤回的申报。`;
  if (rows.some((a) => a.status === 'recommended')) return recallTooLateText;
  if (rows.some((a) => a.status === 'draft' || a.status === 'returned')) {
    return takes ? '申报尚未提交或已退回修改，无需撤回；发送“申报”修改后提交。' : `${cycle.year} 年度申报已截止，没有可以撤回的申报。`;
  }
  const status = rows[0].status as ApplicationStatus;
  return `申报当前为“${applicationStatusNames[status] ?? status}”，不能撤回；发送“进度”查看。`;
}
