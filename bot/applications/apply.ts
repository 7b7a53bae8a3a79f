import { applicationClosedCard, applicationFormCard, notALeaderCard, submittedCard } from '../../cards/applications.js';
import type { Card } from '../../cards/kit.js';
import { teamPickerCard } from '../../cards/teams.js';
import { type Application, applicantTeam, ApplicationsClosed, applicationStatusNames, type ApplicationStatus, type Cycle, cycleOpenForApplications, editNotSavedText, EligibilityError, findApplication, getApplication, lockTeamOfApplication, recentRevocation, revocationBarMessage, ReviewYearOver, requireRegisteredAYear, mayApply, applyRefusal, sameAsSubmitted, saveDraft, submitApplication, summaryOf, titleRevokedAt, applicationForm, barEndingAfter, barEndText, previousApplication, draftOfPrevious } from '../../src/applications.js';
import { getCycleByYear, getLatestCycle, getRunningCycle } from '../../src/cycles.js';
import { AlreadyDone, formErrorOf, UserError } from '../../src/errors.js';
import { endorsementRequestMessage } from '../../src/endorsementCards.js';
import { fastSaveDraft, fastSubmitApplication } from '../../src/fast/apply.js';
import type { CardActionInput, CardResponse, CardRun, FastContext, FastOutcome, HandlerContext, IncomingText, OnRefused } from '../../src/handlers.js';
import { card, markdown } from '../../cards/kit.js';
import { formatDateZh, todayIn } from '../../src/dates.js';
import { hasRole } from '../../src/people.js';
import { getTeam, leaderForInsider, type Team, teamsOf } from '../../src/teams.js';
import { idFrom, idOrZero, pageFrom, raw, sendPrivately, today } from '../respond.js';
import { revocationBarDays } from '../../src/policy.js';
import { submitFromLine } from '../../cards/strings.js';

const returnedStates = new Set(['draft', 'returned']);

/** What `cycleOpenForApplications` lets through: an open cycle on or before its application deadline. */
const takesApplications = (cycle: Pick<Cycle, 'status' | 'applicationDeadline'>, on: string) => cycle.status === 'open' && on <= cycle.applicationDeadline;

type CycleShown = Pick<Cycle, 'id' | 'year' | 'applicationDeadline'>;

/** The form of one team's application, or its summary once it has gone further. */
async function applicationCard(ctx: HandlerContext, teamId: number, cycle: Cycle, known?: { team: Team & { organization: string }; application: Application }): Promise<Card> {
  // a save passes what it just wrote; the card says again from when 提交 is taken, as 申报 did
  if (known) {
    const revoked = await recentRevocation(ctx.tx, teamId, cycle, ctx.clock.now(), ctx.config.BOT_TIMEZONE);
    return applicationCardOf(known.team, cycle, known.application, submitFromOf(revoked?.revokedAt, cycle, ctx.clock.now(), ctx.config.BOT_TIMEZONE));
  }
  const { team, existing, submitFrom } = await teamOpening(ctx, teamId, cycle);
  // a team applying again (not awarded, returned or withdrawn in an earlier year, or holding its title): its last form
  // is offered to start from, never filled in unasked (this year's form starts empty, each year's answers its own)
  const previous = existing ? undefined : await previousApplication(ctx.tx, teamId, cycle.year);
  return applicationCardOf(team, cycle, existing, submitFrom && submitFromLine(barEndText(submitFrom, ctx.config.BOT_TIMEZONE), revocationBarDays(cycle)), previous && { year: previous.year });
}

/** The form's line for a bar after a revoked title that ends by the deadline but after now (mayApply's submitFrom). */
function submitFromOf(revokedAt: Date | null | undefined, cycle: Pick<Cycle, 'settings'>, now: Date, timezone: string): string | undefined {
  const end = revokedAt ? barEndingAfter(revokedAt, cycle, now, timezone) : undefined;
  return end && submitFromLine(barEndText(end, timezone), revocationBarDays(cycle));
}

/**
 * The team and its application of `cycle`, as `申报` opens them; refused (a UserError) where the team has a form to fill
 * in (none yet, a draft or a returned one) that it could not submit (mayApply, applyRefusal): not in the register,
 * barred after a revocation (E5), or not a year old by the deadline (第十六条). One submitted is let through, to be
 * shown as it is.
 */
async function teamOpening(ctx: HandlerContext, teamId: number, cycle: Cycle): Promise<{ team: Team & { organization: string }; existing: Application | undefined; submitFrom?: Date }> {
  // issued together: one round trip (a refusal of the team discards the application read)
  const [team, existing, revoked] = await Promise.all([applicantTeam(ctx.tx, ctx.actor, teamId), findApplication(ctx.tx, teamId, cycle.id), recentRevocation(ctx.tx, teamId, cycle, ctx.clock.now(), ctx.config.BOT_TIMEZONE)]);
  // mayApply: the rule 帮助 and 进度 offer 年度申报 by
  const verdict = mayApply({ registeredAt: team.registeredAt, active: team.status === 'active', revokedAt: revoked?.revokedAt, status: existing?.status }, cycle, ctx.config.BOT_TIMEZONE, ctx.clock.now());
  const refusal = applyRefusal(verdict, team, cycle, revoked, ctx.config.BOT_TIMEZONE);
  if (refusal) throw refusal;
  return { team, existing, submitFrom: verdict.may ? verdict.submitFrom : undefined };
}

/** Whether `申报` would open the team a form of `cycle` (or show its application there): teamOpening refuses nothing. */
const opensIn = (ctx: HandlerContext, teamId: number, cycle: Cycle): Promise<boolean> =>
  teamOpening(ctx, teamId, cycle).then(
    () => true,
    (err: unknown) => {
      if (err instanceof UserError) return false;
      throw err;
    },
  );

/** `summaryOf`, with the day its title was revoked since (第二十二条), so an old card does not say the title is held. */
async function summaryShown(ctx: HandlerContext, application: Application, team: Team & { organization: string }, year: number) {
  const summary = summaryOf(application, team, team.organization, year);
  const revokedAt = summary.decision === 'awarded' ? await titleRevokedAt(ctx.tx, team.id, year) : undefined;
  return revokedAt ? { ...summary, revokedOn: formatDateZh(todayIn(ctx.config.BOT_TIMEZONE, revokedAt)) } : summary;
}

/** `applicationCard` of rows already read (the one-statement save draws its answer from what it read back). */
function applicationCardOf(team: Team & { organization: string }, cycle: CycleShown, existing: Application | undefined, submitFrom?: string, previous?: { year: number }): Card {
  if (existing && !returnedStates.has(existing.status)) return submittedCard(summaryOf(existing, team, team.organization, cycle.year));
  requireRegisteredAYear(team, cycle);
  // a returned application saved as a draft since keeps the reason it was returned for, until it is submitted again
  const opinion = existing && returnedStates.has(existing.status) ? returnOpinion(existing) : undefined;
  return applicationFormCard({
    descriptor: applicationForm,
    team: { id: team.id, name: team.name, code: team.code, organization: team.organization },
    cycle: { year: cycle.year, applicationDeadline: formatDateZh(cycle.applicationDeadline) },
    applicationId: existing?.id,
    values: (existing?.form ?? {}) as Record<string, unknown>,
    returnedOpinion: opinion,
    submitFrom,
    previous: existing ? undefined : previous,
  });
}

function returnOpinion(application: { endorsement: unknown }): string | undefined {
  const e = application.endorsement as { opinion?: string; returnReason?: string } | null;
  return e?.returnReason ?? e?.opinion;
}

/**
 * Where `申报` starts: the caller's team (asking which when there are several). `shown.what` says what the card is, for
 * the note in a group: the 申报表 (or the picker before it), or the 申报说明 to someone who leads no team.
 */
async function applyEntry(ctx: HandlerContext, page = 1, shown: { what: string } = { what: '申报表' }): Promise<Card> {
  const mine = await teamsOf(ctx.tx, ctx.actor.openId);
  const led = mine.filter((v) => v.myRole === 'leader');
  if (!led.length) {
    shown.what = '申报说明';
    const admin = hasRole(ctx.actor, 'admin');
    // an administrator in no team is pointed to 评审进度, which the 协会管理 card has only while a year runs
    const running = admin && !mine.length ? !!(await getRunningCycle(ctx.tx)) : undefined;
    return notALeaderCard(mine.map((v) => ({ name: v.team.name, role: v.myRole === 'member' ? 'member' : 'contact' })), { admin, running });
  }
  let cycle: Cycle;
  try {
    cycle = await cycleOpenForApplications(ctx.tx, today(ctx));
  } catch (err) {
    if (err instanceof ReviewYearOver) throw await yearOverFor(ctx, err, led.map((v) => v.team));
    if (err instanceof ApplicationsClosed) {
      shown.what = '申报情况';
      return pastDeadline(ctx, err, led.map((v) => ({ ...v.team, organization: v.organization })));
    }
    throw err;
  }
  if (led.length > 1) {
    return teamPickerCard({
      title: `${cycle.year} 年度申报`,
      prompt: `你是 ${led.length} 个班组的班组长，请选择要申报的班组：`,
      teams: led.map((v) => v.team),
      action: 'application.open',
      page,
      pageValue: { action: 'application.start' },
    });
  }
  return applicationCard(ctx, led[0].team.id, cycle);
}

/**
 * 申报 past the year's deadline before 截止申报, as after it: a team's application of the year is shown as it stands (its
 * status and next step, no form, no 撤回申报); a team without one, or several teams, are told the year is closed, where
 * each team's application is, and 进度.
 */
async function pastDeadline(ctx: HandlerContext, closed: ApplicationsClosed, led: readonly (Team & { organization: string })[]): Promise<Card> {
  const { cycle } = closed;
  const found = await Promise.all(led.map((t) => findApplication(ctx.tx, t.id, cycle.id)));
  if (led.length === 1 && found[0]) return submittedCard(await summaryShown(ctx, found[0], led[0], cycle.year), { takesApplications: false });
  if (led.length === 1) throw new UserError(`${closed.message}本班组没有提交 ${cycle.year} 年度申报，不参加本年度评审；下一年度开启申报后我会提醒你。`, closed.opts);
  const each = led.map((t, i) => `${t.name}：${found[i] ? (applicationStatusNames[found[i].status as ApplicationStatus] ?? found[i].status) : '未申报'}`);
  throw new UserError(`${closed.message}${each.join('；')}。发送“进度”查看各班组的申报情况和下一步。`, closed.opts);
}

/**
 * 申报 between years (the last year's results out, the next not open): that year is over, and for a team whose title
 * was revoked, the day its bar ends (协会规定), as 进度 says it: the next year's form would refuse it until then.
 */
async function yearOverFor(ctx: HandlerContext, over: ReviewYearOver, led: readonly Team[]): Promise<UserError> {
  // the bar of the year to come is not set yet: the default, as 进度 counts it with no year running
  const revoked = await Promise.all(led.map((t) => recentRevocation(ctx.tx, t.id, { settings: null }, ctx.clock.now(), ctx.config.BOT_TIMEZONE)));
  const bars = led.flatMap((t, i) => {
    const r = revoked[i];
    return r ? [revocationBarMessage(r, revocationBarDays(undefined), ctx.config.BOT_TIMEZONE, led.length > 1 ? t.name : '本班组')] : [];
  });
  return bars.length ? new UserError(`${over.message}${bars.join('')}`, over.opts) : over;
}

export async function sendApplyEntry(ctx: HandlerContext, msg: IncomingText): Promise<void> {
  let cardJson: Card;
  const shown = { what: '申报表' };
  try {
    cardJson = await applyEntry(ctx, 1, shown);
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    await sendPrivately(ctx, msg, `apply:${ctx.eventId}`, { text: err.message }, '申报说明');
    return;
  }
  await sendPrivately(ctx, msg, `apply:${ctx.eventId}`, { card: cardJson }, shown.what);
}

/** 申报 2027, 申报 2027年度, apply for 2027: a year typed after 申报. */
const YEAR_TYPED = /^(?:for\s+(?:the\s+)?)?(\d{4})\s*(?:年度?)?$/i;

/**
 * 申报 followed by a year: the running year's is 申报 itself; another year is told it is over or not yet open, and which
 * year takes applications now. Anything else after 申报 (申报 需要什么条件) is a question for the measures.
 */
export async function sendApplyForYear(ctx: HandlerContext, msg: IncomingText, argument: string): Promise<void | false> {
  const typed = YEAR_TYPED.exec(argument.trim());
  if (!typed) return false;
  const year = Number(typed[1]);
  const running = await getRunningCycle(ctx.tx);
  const current = running ?? (await getLatestCycle(ctx.tx));
  if (!current || current.year === year) return sendApplyEntry(ctx, msg);
  const why = year < current.year ? `${year} 年度评审已结束，不能再申报。` : `${year} 年度评审尚未开启，不能申报。`;
  const now =
    running?.status === 'open' && today(ctx) <= running.applicationDeadline
      ? `现在受理的是 ${running.year} 年度申报（${formatDateZh(running.applicationDeadline)} 截止），发送“申报”打开申报表。`
      : running
        ? `${running.year} 年度申报已截止，发送“进度”查看本班组的情况。`
        : '协会开启下一年度评审后我会提醒你。';
  await sendPrivately(ctx, msg, `apply:${ctx.eventId}`, { text: `${why}${now}` }, '申报说明');
}

export const startApplication: CardRun = async (ctx, input) => raw(await applyEntry(ctx, input ? pageFrom(input.value) : 1));

export const openApplication: CardRun = async (ctx, input) => {
  const teamId = idFrom(input.value, 'teamId');
  let cycle: Cycle;
  try {
    cycle = await cycleOpenForApplications(ctx.tx, today(ctx));
  } catch (err) {
    // a picker kept from before the deadline: the team's application as 申报 shows it now
    if (err instanceof ApplicationsClosed) return raw(await pastDeadline(ctx, err, [await applicantTeam(ctx.tx, ctx.actor, teamId)]));
    throw err;
  }
  return raw(await applicationCard(ctx, teamId, cycle));
};

/** The form's year, open for applications; the team's row is locked first (lockTeamOfApplication), as 修改资料 takes it before the year's. */
async function cycleFor(ctx: HandlerContext, input: CardActionInput): Promise<Cycle> {
  await lockTeamOfApplication(ctx.tx, idOrZero(input.value, 'teamId'));
  const year = Number(input.value.year);
  if (Number.isInteger(year) && year >= 2000 && year <= 2100 && !(await getRunningCycle(ctx.tx))) {
    // a form kept from a year that has ended: that year is over, not yet to open
    const past = await getCycleByYear(ctx.tx, year);
    if (past && (past.status === 'closed' || past.status === 'published')) {
      throw new UserError(`${year} 年度评审已结束，这张申报表不能再提交；发送“进度”查看本班组的情况，下一年度开启申报后我会提醒你。`, { kind: 'info' });
    }
  }
  const cycle = await cycleOpenForApplications(ctx.tx, today(ctx));
  if (Number(input.value.year) !== cycle.year) {
    // the year is the value schema's (onForm): a 4-digit year or none
    const stale = input.value.year === undefined ? '这张申报表已不能提交' : `这张申报表属于 ${String(input.value.year)} 年度，已不能提交`;
    // the year it sends the leader to: a team that cannot apply there (E5, 第十六条) is told so, as 申报 would tell it
    await teamOpening(ctx, idFrom(input.value, 'teamId'), cycle).catch((err: unknown) => {
      throw err instanceof UserError ? new UserError(`${stale}。${err.message}`, err.opts) : err;
    });
    throw new UserError(`${stale}；请发送“申报”打开 ${cycle.year} 年度申报表。`);
  }
  return cycle;
}

/**
 * 保存草稿 / 提交申报 pressed by someone of the team in the form's value who does not lead it (the leader who handed it
 * over since, 更换班组长, or a member): who leads it now, to pass on what they typed; undefined for anyone else.
 */
export async function formNowLedBy(ctx: HandlerContext, input: Pick<CardActionInput, 'value'>): Promise<string | undefined> {
  const teamId = idOrZero(input.value, 'teamId');
  const found = teamId ? await leaderForInsider(ctx.tx, ctx.actor.openId, teamId) : undefined;
  if (!found) return undefined;
  const leader = found.leader ?? '现任班组长';
  const who = found.formerLeader ? `你已不是${found.team}的班组长` : `你不是${found.team}的班组长`;
  return `只有班组长可以填写和提交申报表：${who}${found.leader ? `（现任班组长：${found.leader}）` : ''}，这次没有保存或提交。请把你填写的内容转给${leader}，由其发送“申报”打开本班组的申报表。`;
}

/** The form again with what was typed, and what is wrong. */
export const applicationFormAgain: OnRefused = async (error, ctx, input) => {
  const team = await getTeam(ctx.tx, idOrZero(input.value, 'teamId'));
  if (!team) return undefined;
  if (team.leaderOpenId !== ctx.actor.openId) return formerLeaderToast(ctx, input);
  const year = Number(input.value.year);
  const running = await getRunningCycle(ctx.tx);
  // the form's own year: the running cycle's, or a past one's (a form kept in the chat from an earlier year)
  const aYear = Number.isInteger(year) && year >= 2000 && year <= 2100;
  const formCycle = running?.year === year ? running : aYear ? await getCycleByYear(ctx.tx, year) : undefined;
  const takes = formCycle !== undefined && takesApplications(formCycle, today(ctx));
  // an old copy of the form, clicked once the application has gone on: the card shows where it is, not a form to fix
  const existing = formCycle ? await findApplication(ctx.tx, team.id, formCycle.id) : undefined;
  if (existing && (!returnedStates.has(existing.status) || !takes)) {
    return raw(submittedCard(await summaryShown(ctx, existing, team, year), { takesApplications: takes, summed: formCycle?.status === 'closed' }));
  }
  // a year that takes no applications (past, closed, or past its deadline): no form to fill in, but the year that does,
  // if the team can apply there
  if (!takes) {
    const opens = running && running.id !== formCycle?.id && takesApplications(running, today(ctx)) && (await opensIn(ctx, team.id, running));
    const open = opens ? { year: running.year, applicationDeadline: formatDateZh(running.applicationDeadline) } : undefined;
    return raw(applicationClosedCard({ year: aYear ? year : undefined, team, reason: error.message, open }));
  }
  return raw(
    applicationFormCard({
      descriptor: applicationForm,
      team: { id: team.id, name: team.name, code: team.code, organization: team.organization },
      cycle: { year, applicationDeadline: running?.year === year ? formatDateZh(running.applicationDeadline) : '—' },
      values: input.formValue,
      error: formErrorOf(error),
      failures: error instanceof EligibilityError ? error.failures : undefined,
    }),
  );
};

/** The toast naming who leads the team now (formNowLedBy), in place of the service's refusal; the card stays as typed. */
async function formerLeaderToast(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse | undefined> {
  const words = await formNowLedBy(ctx, input);
  return words ? { toast: { type: 'error', content: words } } : undefined;
}

/**
 * A refused submit keeps what was typed as the team's draft (saved in the answer's own transaction),
 * so a leader who closes the card finds it again with `申报`.
 */
export const submittedFormAgain: OnRefused = async (error, ctx, input) => {
  const running = await getRunningCycle(ctx.tx);
  const teamId = idOrZero(input.value, 'teamId');
  // a second click on a submitted form: the card shows what was submitted; a form edited since (or an older copy) is not
  // saved, and says so with where the application is, as 保存草稿 on it does (the fast path leaves every such click here)
  if (error instanceof AlreadyDone) {
    const [team, submitted] = await Promise.all([getTeam(ctx.tx, teamId), getApplication(ctx.tx, Number(error.record.entityId))]);
    if (team && submitted) {
      const { application } = submitted;
      const edited = !sameAsSubmitted(application.form, input.formValue);
      const shown = submittedCard(await summaryShown(ctx, application, team, submitted.cycle.year));
      return edited ? raw(shown, { type: 'info', content: editNotSavedText(application.status) }) : raw(shown);
    }
  }
  // as 保存草稿 (cycleFor): after the deadline nothing typed is kept, a returned application stays as it was returned
  if (running && running.status === 'open' && running.year === Number(input.value.year) && today(ctx) <= running.applicationDeadline) {
    const existing = await findApplication(ctx.tx, teamId, running.id);
    if (!existing || returnedStates.has(existing.status)) {
      await ctx.tx.transaction((sp) => saveDraft(sp, ctx.actor, teamId, running, input.formValue, ctx.clock.now())).catch((err: unknown) => {
        if (!(err instanceof UserError)) throw err;
      });
    }
  }
  return applicationFormAgain(error, ctx, input);
};

export const saveApplicationDraft: CardRun = async (ctx, input) => {
  const cycle = await cycleFor(ctx, input);
  const teamId = idFrom(input.value, 'teamId');
  const saved = await saveDraft(ctx.tx, ctx.actor, teamId, cycle, input.formValue, ctx.clock.now());
  return raw(await applicationCard(ctx, teamId, cycle, saved), savedToast);
};

/**
 * 沿用往年内容: the team's latest earlier form saved as this year's draft, for the leader to bring up to date. Only while
 * the year has no application of the team's (a draft already begun is never overwritten); refused as 保存草稿 is.
 */
export const copyPreviousApplication: CardRun = async (ctx, input) => {
  const cycle = await cycleFor(ctx, input);
  const teamId = idFrom(input.value, 'teamId');
  // issued together: one round trip (a refusal of the team discards the earlier form read)
  const [{ existing }, previous] = await Promise.all([teamOpening(ctx, teamId, cycle), previousApplication(ctx.tx, teamId, cycle.year)]);
  if (existing) {
    return raw(await applicationCard(ctx, teamId, cycle), { type: 'info', content: `本班组 ${cycle.year} 年度已有申报表，没有用往年的内容覆盖；请在这张表上继续填写。` });
  }
  if (!previous) return raw(await applicationCard(ctx, teamId, cycle), { type: 'info', content: '本班组往年没有填写过申报表，请直接填写。' });
  const saved = await saveDraft(ctx.tx, ctx.actor, teamId, cycle, draftOfPrevious(previous.form), ctx.clock.now(), { newOnly: true });
  return raw(await applicationCard(ctx, teamId, cycle, saved), {
    type: 'success',
    content: `已把 ${previous.year} 年度申报表的内容存为 ${cycle.year} 年度草稿：请按本年度情况逐项修改（活动起止日期、目标完成率、培训率、考试合格率等），并重新核对“近三年质量安全环保事故”和“材料链接”，再提交。`,
  });
};

const savedToast = { type: 'success', content: '草稿已保存，可随时发送“申报”继续填写' } as const;
const submittedToast = { type: 'success', content: '已提交，等待单位联系人确认（第十五条）' } as const;

export const submitApplicationForm: CardRun = async (ctx, input) => {
  const cycle = await cycleFor(ctx, input);
  const teamId = idFrom(input.value, 'teamId');
  // the service reads the team and refuses anyone but its leader, as applicantTeam does
  const { application, team } = await submitApplication(ctx.tx, ctx.actor, teamId, cycle, input.formValue, ctx.clock.now(), ctx.config.BOT_TIMEZONE);
  // the contact's card is drawn when it is sent (src/endorsementCards.ts), as the one-statement path queues it
  await ctx.send(endorsementRequestMessage(application, cycle.year, team.contactOpenId, ctx.eventId));
  return raw(submittedCard(summaryOf(application, team, team.organization, cycle.year)), submittedToast);
};

/** What the one-statement path acts on: the team in value.teamId and the form's year, read as the ordinary path reads them. */
function fastTarget(input: CardActionInput): { teamId: number; year: number } | undefined {
  const teamId = idOrZero(input.value, 'teamId');
  // cycleFor compares Number(value.year) with the cycle's year; one that is no int4 matches none
  const year = Number(input.value.year);
  if (!teamId || !Number.isInteger(year) || Math.abs(year) > 2_147_483_647) return undefined;
  return { teamId, year };
}

function fastEvent(fx: FastContext, input: CardActionInput, target: { teamId: number; year: number }) {
  const now = fx.clock.now();
  return { eventId: fx.eventId, eventType: fx.eventType, openId: fx.openId, ...target, values: input.formValue, now, today: todayIn(fx.config.BOT_TIMEZONE, now), timezone: fx.config.BOT_TIMEZONE };
}

/** `application.save` on PostgreSQL in one round trip; anything but a save that succeeds is left to `saveApplicationDraft`. */
export async function saveApplicationDraftFast(fx: FastContext, input: CardActionInput): Promise<FastOutcome | undefined> {
  const target = fastTarget(input);
  const saved = target && (await fastSaveDraft(fx.database, fastEvent(fx, input, target)));
  if (!saved) return undefined;
  const submitFrom = submitFromOf(saved.revokedAt, saved.cycle, fx.clock.now(), fx.config.BOT_TIMEZONE);
  return { outcome: 'ok', answer: raw(applicationCardOf(saved.team, saved.cycle, saved.application, submitFrom), savedToast), queued: saved.queued };
}

/** `application.submit` on PostgreSQL in one round trip; anything but a submit that succeeds is left to `submitApplicationForm`. */
export async function submitApplicationFormFast(fx: FastContext, input: CardActionInput): Promise<FastOutcome | undefined> {
  const target = fastTarget(input);
  const submitted = target && (await fastSubmitApplication(fx.database, fastEvent(fx, input, target)));
  if (!submitted) return undefined;
  const { application, team, cycle } = submitted;
  return { outcome: 'ok', answer: raw(submittedCard(summaryOf(application, team, team.organization, cycle.year)), submittedToast), queued: submitted.queued };
}
