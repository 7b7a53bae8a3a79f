import { applicationFormCard, endorsementRequestCard, submittedCard } from '../../cards/applications.js';
import type { Card } from '../../cards/kit.js';
import { teamPickerCard } from '../../cards/teams.js';
import { card, markdown } from '../../cards/kit.js';
import {
  applicationForm,
  type Cycle,
  cycleOpenForApplications,
  endorsementForm,
  EligibilityError,
  findApplication,
  saveDraft,
  submitApplication,
} from '../../src/applications.js';
import { getRunningCycle } from '../../src/cycles.js';
import { UserError } from '../../src/errors.js';
import { formatDateZh } from '../../src/dates.js';
import type { CardActionInput, HandlerContext, IncomingText } from '../../src/handlers.js';
import { getTeam, teamsOf } from '../../src/teams.js';
import { idFrom, idOrZero, raw, sendPrivately, withUserErrors } from '../respond.js';
import { today } from '../teams/view.js';
import { summaryOf } from './view.js';

const returnedStates = new Set(['draft', 'returned']);

/** The form of one team's application, or its summary once it has gone further. */
async function applicationCard(ctx: HandlerContext, teamId: number, cycle: Cycle): Promise<Card> {
  const team = await getTeam(ctx.tx, teamId);
  if (!team) throw new UserError('找不到该班组。');
  if (team.leaderOpenId !== ctx.actor.openId) throw new UserError('只有本班组的班组长可以填写和提交申报表。');
  const existing = await findApplication(ctx.tx, teamId, cycle.id);
  if (existing && !returnedStates.has(existing.status)) return submittedCard(summaryOf(existing, team, team.organization, cycle.year));
  const opinion = existing?.status === 'returned' ? returnOpinion(existing) : undefined;
  return applicationFormCard({
    descriptor: applicationForm,
    team: { id: team.id, name: team.name, code: team.code, organization: team.organization },
    cycle: { year: cycle.year, applicationDeadline: formatDateZh(cycle.applicationDeadline) },
    applicationId: existing?.id,
    values: (existing?.form ?? {}) as Record<string, unknown>,
    returnedOpinion: opinion,
  });
}

function returnOpinion(application: { endorsement: unknown }): string | undefined {
  const e = application.endorsement as { opinion?: string; returnReason?: string } | null;
  return e?.returnReason ?? e?.opinion;
}

/** Where `申报` starts: the caller's team (asking which when there are several). */
async function applyEntry(ctx: HandlerContext): Promise<Card> {
  const led = (await teamsOf(ctx.tx, ctx.actor.openId)).filter((v) => v.myRole === 'leader');
  if (!led.length) {
    return card({
      title: '年度申报',
      template: 'grey',
      elements: [markdown('申报由班组长填写。你还不是任何班组的班组长：请先发送“注册”登记班组（注册满一年后可参加评选，第十六条）。')],
    });
  }
  const cycle = await cycleOpenForApplications(ctx.tx, today(ctx));
  if (led.length > 1) {
    return teamPickerCard({ title: `${cycle.year} 年度申报`, prompt: '你是多个班组的班组长，请选择要申报的班组：', teams: led.map((v) => v.team), action: 'application.open' });
  }
  return applicationCard(ctx, led[0].team.id, cycle);
}

export async function sendApplyEntry(ctx: HandlerContext, msg: IncomingText): Promise<void> {
  let cardJson: Card;
  try {
    cardJson = await applyEntry(ctx);
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    await sendPrivately(ctx, msg, `apply:${ctx.eventId}`, { text: err.message }, '申报说明');
    return;
  }
  await sendPrivately(ctx, msg, `apply:${ctx.eventId}`, { card: cardJson }, '申报表');
}

export const startApplication = withUserErrors(async (ctx) => raw(await applyEntry(ctx)));

export const openApplication = withUserErrors(async (ctx, input) => {
  const cycle = await cycleOpenForApplications(ctx.tx, today(ctx));
  return raw(await applicationCard(ctx, idFrom(input.value, 'teamId'), cycle));
});

async function cycleFor(ctx: HandlerContext, input: CardActionInput): Promise<Cycle> {
  const cycle = await cycleOpenForApplications(ctx.tx, today(ctx));
  if (Number(input.value.year) !== cycle.year) throw new UserError(`这张申报表属于 ${String(input.value.year)} 年度，已不能提交；请发送“申报”打开 ${cycle.year} 年度申报表。`);
  return cycle;
}

/** The form again with what was typed, and what is wrong. */
async function formAgain(error: UserError, ctx: HandlerContext, input: CardActionInput) {
  const team = await getTeam(ctx.tx, idOrZero(input.value, 'teamId'));
  if (!team || team.leaderOpenId !== ctx.actor.openId) return undefined;
  const year = Number(input.value.year);
  const running = await getRunningCycle(ctx.tx);
  return raw(
    applicationFormCard({
      descriptor: applicationForm,
      team: { id: team.id, name: team.name, code: team.code, organization: team.organization },
      cycle: { year, applicationDeadline: running?.year === year ? formatDateZh(running.applicationDeadline) : '—' },
      values: input.formValue,
      error: { field: error.opts.field, message: error.message },
      failures: error instanceof EligibilityError ? error.failures : undefined,
    }),
  );
}

export const saveApplicationDraft = withUserErrors(
  async (ctx, input) => {
    const cycle = await cycleFor(ctx, input);
    const teamId = idFrom(input.value, 'teamId');
    await saveDraft(ctx.tx, ctx.actor, teamId, cycle, input.formValue, ctx.clock.now());
    return raw(await applicationCard(ctx, teamId, cycle), { type: 'success', content: '草稿已保存，可随时发送“申报”继续填写' });
  },
  formAgain,
);

export const submitApplicationForm = withUserErrors(
  async (ctx, input) => {
    const cycle = await cycleFor(ctx, input);
    const teamId = idFrom(input.value, 'teamId');
    const team = await getTeam(ctx.tx, teamId);
    if (!team || team.leaderOpenId !== ctx.actor.openId) throw new UserError('只有本班组的班组长可以填写和提交申报表。');
    const existing = await findApplication(ctx.tx, teamId, cycle.id);
    if (existing && !returnedStates.has(existing.status)) {
      // a second click on a submitted form: nothing changes, and the user is told so
      return raw(submittedCard(summaryOf(existing, team, team.organization, cycle.year)), { type: 'info', content: '申报已提交，无需重复提交' });
    }
    const { application } = await submitApplication(ctx.tx, ctx.actor, teamId, cycle, input.formValue, ctx.clock.now());
    const summary = summaryOf(application, team, team.organization, cycle.year);
    await ctx.send({ dedupeKey: `endorse:request:${application.id}:${ctx.eventId}`, to: { openId: team.contactOpenId }, card: endorsementRequestCard(summary, { descriptor: endorsementForm }) });
    return raw(submittedCard(summary), { type: 'success', content: '已提交，等待单位联系人确认（第十五条）' });
  },
  formAgain,
);
