import { and, asc, desc, eq, gt, inArray, isNotNull, sql } from 'drizzle-orm';
import type { ApplicationSummary, ReturnShown } from '../cards/applications.js';
import { z } from 'zod';
import type { Db } from '../db/index.js';
import { applications, auditLog, cycles, honours, organizations, people, teamMembers, teams } from '../db/schema.js';
import { audit } from './audit.js';
import { daysBetween, formatDateTimeZh, formatDateZh, isRealDate, sameTimeNextYear, todayIn } from './dates.js';
import { AlreadyDone, cite, citeClause, UserError } from './errors.js';
import { dateField, httpUrl, numberField, onceValid, option, parseForm, problemsOf, formProblems, text, defineForm, type FieldSpec, formLabels, formSchema, type FormValues, readDate, readForm, formDisplay, typedText, validFields } from './forms.js';
import type { Actor } from './people.js';
import { associationRule, revocationBarDays, revocationBarText } from './policy.js';
import { aggregatedBefore, type CycleStatus, cycleStates, cycleStatusLabel, getLatestCycle, reopenedForSheetsText, runningStatuses } from './cycles.js';
import { StateMachine } from './stateMachine.js';
import { getTeam, type Team } from './teams.js';
import { cutText } from '../cards/kit.js';

/** 第十三条第1款: what the team's results improve. */
export const categories = [
  { value: 'engineering', label: '工程' },
  { value: 'testing', label: '检测' },
  { value: 'maintenance', label: '管养' },
  { value: 'operation', label: '营运' },
  { value: 'service', label: '服务' },
] as const;
export const categoryLabel = (v: string) => categories.find((c) => c.value === v)?.label ?? v;

/** 申报表 (第十五条): every field once; the card, the stored form, the display, the expert's view and the workbook come from it. */
export const applicationForm = defineForm({
  name: 'application',
  title: '申报表',
  fields: {
    title: { kind: 'text', label: '成果名称', maxLength: 100 },
    category: { kind: 'select', label: '申报类别', article: '第十三条第1款', options: categories },
    startDate: { kind: 'date', label: '活动开始日期' },
    endDate: { kind: 'date', label: '活动结束日期' },
    goalRate: { kind: 'percent', label: '目标完成率', min: 0, max: 100 },
    trainingRate: { kind: 'percent', label: '培训率', article: '第七条第4款', help: '须达 90% 以上', min: 0, max: 100 },
    examPassRate: { kind: 'percent', label: '考试合格率', article: '第七条第4款', help: '须达 90% 以上', min: 0, max: 100 },
    accidents: {
      kind: 'select',
      label: '近三年质量安全环保事故',
      article: '第十三条第5款',
      options: [
        { value: 'none', label: '无' },
        { value: 'some', label: '有' },
      ],
    },
    customer: { kind: 'longText', label: '顾客确认与满意情况', maxLength: 1000 },
    qc: { kind: 'longText', label: 'QC小组活动情况', article: '第十条', maxLength: 1000 },
    summary: { kind: 'longText', label: '主要成果简介', help: '1000 字以内', maxLength: 1000 },
    features: { kind: 'longText', label: '特色与推广意义', article: '第十三条第4款', maxLength: 1000 },
    materialsUrl: {
      kind: 'url',
      label: '材料链接',
      // a document only its owner may open is a link the contact, the association and the experts cannot read
      help: '完整申报材料的云文档链接；请把文档权限设为“组织内获得链接的人可阅读”，单位联系人、协会和专家才能打开',
      placeholder: 'https://…（只填链接，不加文字说明）',
      maxLength: 500,
    },
  },
});
export const applicationLabels = formLabels(applicationForm);
export const applicationFields = Object.keys(applicationForm.fields) as (keyof typeof applicationForm.fields)[];

/** How many years before its 评审年度 an activity reported may have begun: an earlier start is a typo (1900 for 2026). */
export const ACTIVITY_YEARS_BEFORE = 5;

/** What 活动起止日期 are held to besides their order: the review's year and its application deadline. */
export interface ActivityBounds {
  year: number;
  /** Undefined where it is checked apart (the one-statement path's SQL, src/fast/apply.ts). */
  applicationDeadline?: string;
  /** The bot's today (YYYY-MM-DD): an activity begun after it has no results to report yet. */
  today?: string;
}

/**
 * 活动起止日期: the end not before the start; with `bounds`, begun no more than ACTIVITY_YEARS_BEFORE years before the
 * review's year, begun by today, and ended by the application deadline: the 申报表 reports an activity's results (第十三条第4款: 活动结果
 * 得到顾客确认), so the activity has been carried out by the time its materials are due; 2099 is a typo.
 */
function activityDates(bounds?: ActivityBounds) {
  return (v: { startDate: string; endDate: string }, ctx: z.RefinementCtx) => {
    if (v.startDate > v.endDate) {
      ctx.addIssue({ code: 'custom', path: ['endDate'], message: `活动结束日期（${formatDateZh(v.endDate)}）早于开始日期（${formatDateZh(v.startDate)}），请核对活动起止日期` });
    }
    if (!bounds) return;
    const earliest = `${bounds.year - ACTIVITY_YEARS_BEFORE}-01-01`;
    if (v.startDate < earliest) {
      ctx.addIssue({ code: 'custom', path: ['startDate'], message: `活动开始日期（${formatDateZh(v.startDate)}）早于 ${formatDateZh(earliest)}：申报的是近年开展的班组活动，请核对年份` });
    }
    if (bounds.today && v.startDate > bounds.today) {
      ctx.addIssue({
        code: 'custom',
        path: ['startDate'],
        message: `活动开始日期（${formatDateZh(v.startDate)}）晚于今天（${formatDateZh(bounds.today)}）：申报的是已开展的活动及其成果，请在活动开展后再提交，或核对日期（草稿可先保存）`,
      });
    }
    if (bounds.applicationDeadline && v.endDate > bounds.applicationDeadline) {
      ctx.addIssue({
        code: 'custom',
        path: ['endDate'],
        message: `活动结束日期（${formatDateZh(v.endDate)}）晚于本年度申报截止日期（${formatDateZh(bounds.applicationDeadline)}）：申报的是已开展的活动及其成果，请填写活动实际结束的日期`,
      });
    }
  };
}

const applicationFieldsSchema = formSchema(applicationForm);

/** The 申报表 as read apart from its year (what was submitted, compared with a form sent again): every field required and bounded, the dates in order. */
export const applicationSchema = applicationFieldsSchema.superRefine(activityDates(), onceValid(['startDate', 'endDate']));

/** The 申报表 as a submit to the year of `bounds` takes it (`activityDates`). */
export const applicationSchemaFor = (bounds: ActivityBounds) => applicationFieldsSchema.superRefine(activityDates(bounds), onceValid(['startDate', 'endDate']));
export type ApplicationForm = FormValues<typeof applicationForm.fields>;

/**
 * A draft keeps whatever was typed, as long as each typed value is of the right kind; as typed text is kept (`typedText`: no
 * control characters). Only text is typed (of a list, its first): anything else, and a 选择 not among its options, is left out.
 */
export function cleanDraft(values: Record<string, unknown>): Record<string, string> {
  const draft: Record<string, string> = {};
  for (const key of applicationFields) {
    const v = Array.isArray(values[key]) ? (values[key] as unknown[])[0] : values[key];
    const s = typeof v === 'string' ? typedText(v) : '';
    const field: FieldSpec = applicationForm.fields[key];
    if (field.kind === 'select' && !field.options.some((o) => o.value === s)) continue;
    if (s !== '') draft[key] = cutText(s, key === 'materialsUrl' ? 500 : 2000);
  }
  for (const key of ['startDate', 'endDate']) {
    if (draft[key]) {
      draft[key] = readDate(draft[key]) ?? '';
      if (!isRealDate(draft[key])) delete draft[key];
    }
  }
  return draft;
}

export type ApplicationStatus = 'draft' | 'submitted' | 'returned' | 'recommended' | 'accepted' | 'rejected' | 'scoring' | 'scored' | 'decided';
export type ApplicationTransition =
  | 'save'
  | 'saveReturned'
  | 'submit'
  | 'recall'
  | 'recommend'
  | 'returnByOrganization'
  | 'accept'
  | 'returnByAssociation'
  | 'assign'
  | 'completePanel'
  | 'reopenPanel'
  | 'decide';

export const applicationStatusNames: Record<ApplicationStatus, string> = {
  draft: '草稿',
  submitted: '待单位确认',
  returned: '退回修改',
  recommended: '待协会形式审查',
  accepted: '已受理，待评审',
  rejected: '未受理',
  scoring: '专家评审中',
  scored: '评审完成',
  decided: '已公布结果',
};

/**
 * An application's 状态 once its year's review takes no more (汇总 done, or the results out): one that never reached
 * the review waits for nobody, and says so as 进度 and the notice of 公布结果 do, not 待单位确认 or 退回修改.
 */
export function statusNameAfterReview(status: string): string {
  if (status === 'submitted') return '单位未确认，未参加本年度评审';
  if (status === 'returned') return '退回后未重新提交，未参加本年度评审';
  if (status === 'draft') return '草稿未提交，未参加本年度评审';
  return applicationStatusNames[status as ApplicationStatus] ?? status;
}

export const applicationMachine = new StateMachine<ApplicationStatus, ApplicationTransition>(
  'application',
  {
    save: { from: ['draft'], to: 'draft', roles: ['leader'] },
    // a returned application saved (保存草稿, or what a refused resubmission keeps) is still one to submit again: 进度, the
    // reminders and the year's lapsed list say it was returned, which a draft would not
    saveReturned: { from: ['returned'], to: 'returned', roles: ['leader'] },
    submit: { from: ['draft', 'returned'], to: 'submitted', roles: ['leader'] },
    // 撤回申报: the leader takes it back to edit before the contact confirms; a draft again, never submitted as far as
    // 进度, the reminders and the year's lapsed list go (a returned one would say the organisation returned it)
    recall: { from: ['submitted'], to: 'draft', roles: ['leader'] },
    recommend: { from: ['submitted'], to: 'recommended', roles: ['org_contact'] }, // 第十五条
    returnByOrganization: { from: ['submitted'], to: 'returned', roles: ['org_contact'] },
    accept: { from: ['recommended'], to: 'accepted', roles: ['admin'] },
    returnByAssociation: { from: ['recommended'], to: 'returned', roles: ['admin'] },
    assign: { from: ['accepted', 'scoring', 'scored'], to: 'scoring', roles: ['admin'] }, // 分配专家
    completePanel: { from: ['scoring'], to: 'scored', roles: [] }, // the panel's last score came in
    reopenPanel: { from: ['scored'], to: 'scoring', roles: ['admin'] }, // 重开评分
    decide: { from: ['scored'], to: 'decided', roles: ['admin'] }, // 公布结果 (第二十条)
  },
  applicationStatusNames,
  {
    draft: '申报还是草稿：请班组长填写完整后点“提交申报”。',
    submitted: '申报已提交，等待单位联系人确认；如需修改，班组长可发送“撤回申报”撤回后修改，或请单位联系人点“退回修改”。',
    returned: '申报已退回修改：请班组长修改后重新提交。',
    recommended: '单位已推荐，等待协会形式审查；如需修改，请联系协会退回。',
    accepted: '协会已受理，申报进入评审，不能再修改。',
    scoring: '申报正在专家评审中，不能再修改。',
    scored: '专家评审已完成，等待协会公布结果。',
    decided: '评审结果已公布，发送“进度”可查看。',
  },
);

/**
 * What a leader may do about their application in its state, as the answer to 怎么修改申报 says it: the state's next step
 * (applicationMachine), and while it waits for the contact, that the leader may take it back (撤回申报) too. Past the
 * year's deadline nothing can be submitted again, so neither 撤回申报 nor a draft's or a returned one's 提交 is offered:
 * what is left is said instead (the contact may still confirm until 截止申报; after it, the application is out of the year).
 */
export function applicationChangeLine(status: string, year: { status: string; applicationDeadline: string }, today: string): string {
  const takes = year.status === 'open' && today <= year.applicationDeadline;
  if (!takes && (status === 'submitted' || status === 'draft' || status === 'returned')) {
    const closed = `申报已于 ${formatDateZh(year.applicationDeadline)} 截止`;
    if (status === 'submitted') {
      return year.status === 'open'
        ? `${closed}，等待单位联系人确认；截止后不能再撤回修改，请提醒单位联系人尽快确认（第十五条）。`
        : `${closed}，${statusNameAfterReview(status)}。`;
    }
    return `${closed}，${status === 'draft' ? '草稿未提交' : '退回后未重新提交'}，不能再提交；可参加下一年度评选。`;
  }
  if (status === 'submitted') return '申报已提交，等待单位联系人确认；如需修改，班组长可发送“撤回申报”取回后修改，或请单位联系人点“退回修改”。';
  return applicationMachine.nextStep(status as ApplicationStatus) ?? `申报当前为“${applicationMachine.label(status as ApplicationStatus)}”，不能再修改。`;
}

/** The running year's applications of the teams `openId` leads: each team's name, the year (its status and deadline) and the application's status. */
export function runningApplicationsLedBy(tx: Db, openId: string) {
  return tx
    .select({ team: teams.name, year: cycles.year, yearStatus: cycles.status, applicationDeadline: cycles.applicationDeadline, status: applications.status })
    .from(applications)
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .innerJoin(cycles, eq(cycles.id, applications.cycleId))
    .where(and(eq(teams.leaderOpenId, openId), inArray(cycles.status, [...runningStatuses])))
    .orderBy(asc(teams.id));
}

/**
 * The leaders among `leaderOpenIds` with a team that may apply to `cycle` (taking applications): mayApply of each of
 * their teams, its facts read for many leaders at once (帮助's highlighted 年度申报, as 进度 offers it).
 */
export async function leadersWhoMayApply(tx: Db, leaderOpenIds: readonly string[], cycle: Cycle, timezone: string): Promise<Set<string>> {
  if (!leaderOpenIds.length) return new Set();
  const rows = await tx
    .select({
      leader: teams.leaderOpenId,
      registeredAt: teams.registeredAt,
      teamStatus: teams.status,
      revokedAt: sql<Date | null>`(select max(${honours.revokedAt}) from ${honours} where ${honours.teamId} = ${teams.id})`.mapWith(honours.revokedAt),
      status: applications.status,
    })
    .from(teams)
    .leftJoin(applications, and(eq(applications.teamId, teams.id), eq(applications.cycleId, cycle.id)))
    .where(inArray(teams.leaderOpenId, [...leaderOpenIds]));
  const may = rows.filter((r) => mayApply({ registeredAt: r.registeredAt, active: r.teamStatus === 'active', revokedAt: r.revokedAt, status: r.status }, cycle, timezone).may);
  return new Set(may.map((r) => r.leader));
}

/** What decides whether a team may still apply to a year taking applications: the facts 帮助, 进度 and 申报 each read their own way. */
export interface ApplyFacts {
  /** The team's registration day (第十六条 counts its year from it). */
  registeredAt: string;
  /** Whether the team is in the register (not 已退出). */
  active: boolean;
  /** When the team's latest title was revoked (第二十二条), if one was. */
  revokedAt?: Date | null;
  /** The status of the team's application of the year, if it has one. */
  status?: string | null;
}

/**
 * Whether the team may still apply, and why not: `applied`, its application of the year has gone past a draft or a
 * returned one; `withdrawn`, the team is not in the register; `barred`, its latest revoked title's bar (协会规定) ends
 * after the deadline, on `until` in the bot's timezone; `notAYear`, it is not a year old by the deadline (第十六条),
 * `days` short of it. A bar that ends by the deadline lets the form be filled (its submission is refused until then).
 */
export type ApplyVerdict =
  /** `submitFrom`: a bar that ends by the deadline but after now (mayApply's `now`): a draft may be saved, 提交 waits until then. */
  | { may: true; reason?: undefined; submitFrom?: Date }
  | { may: false; reason: 'applied' | 'withdrawn' }
  | { may: false; reason: 'barred'; barEndsAt: Date; until: string; barDays: number | null }
  | { may: false; reason: 'notAYear'; eligibleFrom: string; days: number };

/**
 * The one rule of "may this team still apply to `cycle`" (a year taking applications; whether it does is asked
 * before): 帮助's highlighted 年度申报 (leadersWhoMayApply), 进度's 年度申报 button and what it says next
 * (bot/teams/status.ts), and 申报's refusal before the form (teamOpening, bot/applications/apply.ts). No reads: each
 * caller brings the facts it read in its own round trip.
 */
export function mayApply(facts: ApplyFacts, cycle: Pick<Cycle, 'applicationDeadline' | 'settings'>, timezone: string, now?: Date): ApplyVerdict {
  if (facts.status && facts.status !== 'draft' && facts.status !== 'returned') return { may: false, reason: 'applied' };
  if (!facts.active) return { may: false, reason: 'withdrawn' };
  const barred = facts.revokedAt ? barPastDeadline(facts.revokedAt, cycle, timezone) : undefined;
  if (barred) return { may: false, reason: 'barred', ...barred };
  const short = notAYearBy(facts.registeredAt, cycle.applicationDeadline);
  if (short) return { may: false, reason: 'notAYear', ...short };
  const submitFrom = now && facts.revokedAt ? barEndingAfter(facts.revokedAt, cycle, now, timezone) : undefined;
  return submitFrom ? { may: true, submitFrom } : { may: true };
}

/**
 * 协会规定: the moment the bar of a title revoked at `revokedAt` ends, when that is after `now` (the team may fill in the
 * form, but its 提交 is refused until then: E5 on submission, recentRevocation).
 */
export function barEndingAfter(revokedAt: Date, cycle: Pick<Cycle, 'settings'>, now: Date, timezone: string): Date | undefined {
  const end = barEnds(revokedAt, revocationBarDays(cycle), timezone);
  return end > now ? end : undefined;
}

/** The moment a bar ends as people read it: the minute after, so that the minute shown is never one still refused. */
export const barEndText = (barEndsAt: Date, timezone: string) => formatDateTimeZh(new Date(Math.ceil(barEndsAt.getTime() / 60_000) * 60_000), timezone);

/** 第十六条: when a team registered on `registeredAt` is not a year old by `deadline`, the day it is and how many days short it is then. */
export function notAYearBy(registeredAt: string, deadline: string): { eligibleFrom: string; days: number } | undefined {
  const eligibleFrom = oneYearAfter(registeredAt);
  return eligibleFrom > deadline ? { eligibleFrom, days: daysBetween(deadline, eligibleFrom) } : undefined;
}

/** 协会规定: when the bar of a title revoked at `revokedAt` ends after the cycle's deadline (its day in the bot's timezone), when it ends. */
export function barPastDeadline(revokedAt: Date, cycle: Pick<Cycle, 'applicationDeadline' | 'settings'>, timezone: string): { barEndsAt: Date; until: string; barDays: number | null } | undefined {
  const barDays = revocationBarDays(cycle);
  const barEndsAt = barEnds(revokedAt, barDays, timezone);
  const until = todayIn(timezone, barEndsAt);
  return until > cycle.applicationDeadline ? { barEndsAt, until, barDays } : undefined;
}

/**
 * 申报's refusal before the form is filled, for mayApply's verdict: none where the team may apply, nor where its
 * application has gone further (shown as it is); `revoked` is the title whose bar it is (recentRevocation).
 */
export function applyRefusal(verdict: ApplyVerdict, team: Pick<Team, 'registeredAt' | 'name'>, cycle: Pick<Cycle, 'year' | 'applicationDeadline' | 'settings'>, revoked: Revocation | undefined, timezone: string): UserError | undefined {
  switch (verdict.reason) {
    case undefined:
    case 'applied':
      return undefined;
    case 'withdrawn':
      return withdrawnRefusal(team);
    case 'barred':
      return barredRefusal(revoked!, verdict.barDays, cycle, timezone);
    case 'notAYear':
      return notAYearRefusal(team, cycle, verdict);
  }
}

/** mayApply's `withdrawn`: 申报 refuses a team no longer in the register with this, and 保存草稿 from a form kept from before. */
function withdrawnRefusal(team: Pick<Team, 'name'>): UserError {
  return new UserError(`${team.name}已退出，不在册的班组不能申报；如需恢复，请联系协会。`, { kind: 'info' });
}

export type Application = typeof applications.$inferSelect;
export type Cycle = typeof cycles.$inferSelect;

/**
 * The team's row in key-share mode, taken by 保存草稿 and 提交申报 before the running year's (cycleOpenForApplications):
 * the order 修改资料 takes them in (the team's row for update, then the running years' for a new contact's 回避,
 * src/review/recusal.ts). The application's insert takes this lock anyway, for its foreign key; taken only then, after
 * the year's, it deadlocked with a contact change of the same team. Other teams' saves and submits are not held.
 */
export async function lockTeamOfApplication(tx: Db, teamId: number): Promise<void> {
  await tx.select({ id: teams.id }).from(teams).where(eq(teams.id, teamId)).for('key share');
}

/** 申报 with no year running once the last one's results are out: that year is over, the next not yet open. */
export class ReviewYearOver extends UserError {
  constructor(readonly year: number) {
    super(`${year} 年度评审已结束（结果已公布）；下一年度评审开启后我会提醒你。`, { kind: 'info' });
    this.name = 'ReviewYearOver';
  }
}

/** The cycle taking applications now: status open and the deadline not passed. */
export async function cycleOpenForApplications(tx: Db, today: string): Promise<Cycle> {
  // the running cycle (one at most, 第十九条): past 截止申报 it is scoring or being decided, not yet to open
  // FOR SHARE: a 截止申报 committing now (it holds the row FOR UPDATE) is waited for and its status read, so no
  // submit that read 'open' just before lands in a cycle already scoring (the foreign key alone would let it in)
  const [cycle] = await tx.select().from(cycles).where(inArray(cycles.status, [...runningStatuses])).orderBy(asc(cycles.year)).limit(1).for('share');
  if (!cycle) {
    // none running: the last year's results are out (July to spring), or no year was ever opened
    const latest = await getLatestCycle(tx);
    if (latest) throw new ReviewYearOver(latest.year);
    throw new UserError(cite(19, '评审交流活动每年一次，本年度评审尚未开启申报，请留意协会通知；开启后我会提醒你。'), { kind: 'info', article: 19 });
  }
  if (cycle.status !== 'open') {
    throw new UserError(`${cycle.year} 年度申报已截止，评审正在进行（${cycleStates.label(cycle.status as CycleStatus)}）。发送“进度”查看本班组的申报情况。`, { kind: 'info' });
  }
  if (today > cycle.applicationDeadline) throw new ApplicationsClosed(cycle);
  return cycle;
}

/**
 * cycleOpenForApplications past the year's deadline, before 截止申报 is pressed: `cycle` is that year, still open, for
 * 申报 to show a team's application of it as it stands rather than the refusal alone.
 */
export class ApplicationsClosed extends UserError {
  constructor(readonly cycle: Cycle) {
    super(`${cycle.year} 年度申报已于 ${formatDateZh(cycle.applicationDeadline)} 截止。`, { kind: 'info' });
    this.name = 'ApplicationsClosed';
  }
}

export function oneYearAfter(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  // 2月29日注册的班组，次年以 2月28日 为满一年
  const target = new Date(Date.UTC(y + 1, m - 1, d));
  if (target.getUTCMonth() !== m - 1) target.setUTCDate(0);
  return target.toISOString().slice(0, 10);
}

/**
 * 第十六条 asked before the form is filled: a team that is not a year old by the deadline is told at once,
 * with the day it becomes eligible, rather than after the thirteen fields.
 */
export function requireRegisteredAYear(team: Pick<Team, 'registeredAt'>, cycle: Pick<Cycle, 'year' | 'applicationDeadline'>): void {
  const short = notAYearBy(team.registeredAt, cycle.applicationDeadline);
  if (short) throw notAYearRefusal(team, cycle, short);
}

function notAYearRefusal(team: Pick<Team, 'registeredAt'>, cycle: Pick<Cycle, 'year' | 'applicationDeadline'>, { eligibleFrom, days }: { eligibleFrom: string; days: number }): UserError {
  return new UserError(
    cite(16, `注册满一年后方可参加评选。本班组 ${formatDateZh(team.registeredAt)} 注册，${formatDateZh(eligibleFrom)} 满一年，${cycle.year} 年度申报 ${formatDateZh(cycle.applicationDeadline)} 截止，截止时还差 ${days} 天满一年；可参加下一年度评选。`),
    { kind: 'info', article: 16 },
  );
}

export interface EligibilityFailure {
  check: 'E1' | 'E2' | 'E3' | 'E4' | 'E5';
  /** The article the rule comes from; none when it is the association's own rule (协会规定). */
  article?: number;
  message: string;
  field?: string;
}

export type Revocation = { year: number; revokedAt: Date | null; reason: string | null };

/** E5's read: the team's latest title revoked, when its bar (barEnds) still holds at `now`. */
export async function recentRevocation(tx: Db, teamId: number, cycle: Pick<Cycle, 'settings'>, now: Date, timezone: string): Promise<Revocation | undefined> {
  const barDays = revocationBarDays(cycle);
  // no bar lasts longer than this before now: a calendar year is at most 366 days (a day more for a clock change)
  const since = new Date(now.getTime() - (barDays ?? 367) * 86_400_000);
  const [revoked] = await tx
    .select({ year: honours.year, revokedAt: honours.revokedAt, reason: honours.revokedReason })
    .from(honours)
    .where(and(eq(honours.teamId, teamId), isNotNull(honours.revokedAt), gt(honours.revokedAt, since)))
    // the latest: its bar ends last
    .orderBy(desc(honours.revokedAt))
    .limit(1);
  return barHolds(revoked, cycle, now, timezone) ? revoked : undefined;
}

/** When the team's title of `year` was revoked (第二十二条), if it was: an old card of that year's application says so. */
export async function titleRevokedAt(tx: Db, teamId: number, year: number): Promise<Date | undefined> {
  const [row] = await tx.select({ revokedAt: honours.revokedAt }).from(honours).where(and(eq(honours.teamId, teamId), eq(honours.year, year), isNotNull(honours.revokedAt)));
  return row?.revokedAt ?? undefined;
}

/**
 * E5 for many teams at once (公布结果): each team's latest title revoked, where its bar still holds at `now`. A title
 * revoked after the team's application was accepted bars that application's title as it would have barred 受理.
 */
export async function revocationsBarring(tx: Db, cycle: Cycle, teamIds: readonly number[], now: Date, timezone: string): Promise<Map<number, Revocation>> {
  const barring = new Map<number, Revocation>();
  if (!teamIds.length) return barring;
  const latest = await tx
    .selectDistinctOn([honours.teamId], { teamId: honours.teamId, year: honours.year, revokedAt: honours.revokedAt, reason: honours.revokedReason })
    .from(honours)
    .where(and(inArray(honours.teamId, [...teamIds]), isNotNull(honours.revokedAt)))
    .orderBy(honours.teamId, desc(honours.revokedAt));
  for (const { teamId, ...revoked } of latest) if (barHolds(revoked, cycle, now, timezone)) barring.set(teamId, revoked);
  return barring;
}

/** Whether `revoked` (a team's latest title revoked) still bars an application to `cycle` at `now`. */
export function barHolds<R extends Pick<Revocation, 'revokedAt'>>(revoked: R | undefined, cycle: Pick<Cycle, 'settings'>, now: Date, timezone: string): revoked is R {
  return Boolean(revoked?.revokedAt && barEnds(revoked.revokedAt, revocationBarDays(cycle), timezone) > now);
}

/** The latest title revoked of the team of an application, read beside the application itself (E5 at 受理). */
async function latestRevocationOfApplication(tx: Db, applicationId: number): Promise<Revocation | undefined> {
  const [revoked] = await tx
    .select({ year: honours.year, revokedAt: honours.revokedAt, reason: honours.revokedReason })
    .from(honours)
    .innerJoin(applications, eq(applications.teamId, honours.teamId))
    .where(and(eq(applications.id, applicationId), isNotNull(honours.revokedAt)))
    .orderBy(desc(honours.revokedAt))
    .limit(1);
  return revoked;
}

/**
 * The moment a revocation's bar ends: the bar's days after the moment of the revocation, or by default (null) the same
 * day and time of the next year in the bot's timezone (29 February → 28 February). Later revocations never end sooner.
 */
export const barEnds = (revokedAt: Date, barDays: number | null, timezone: string) =>
  barDays === null ? sameTimeNextYear(revokedAt, timezone) : new Date(revokedAt.getTime() + barDays * 86_400_000);

/** The fields E2 and E3 read. */
const DECLARED = ['accidents', 'trainingRate', 'examPassRate'] as const;

/**
 * E2 and E3: what the form itself declares (no accident, the training and exam pass rates), checked before any row is
 * read. Of a form with other problems, the declarations that are valid (`validFields`): a field left out is not judged.
 */
export function declarationFailures(form: Partial<Pick<ApplicationForm, (typeof DECLARED)[number]>>): EligibilityFailure[] {
  const failures: EligibilityFailure[] = [];
  if (form.accidents !== undefined && form.accidents !== 'none') {
    failures.push({ check: 'E2', article: 13, field: 'accidents', message: citeClause(13, 5, '班组近三年须无质量、安全、环保事故：有事故的班组，事故满三年后方可申报；如选错，请改选“无”。') });
  }
  const low = [
    ['trainingRate', '培训率', form.trainingRate],
    ['examPassRate', '考试合格率', form.examPassRate],
  ].filter(([, , v]) => v !== undefined && Number(v) < 90) as [string, string, number][];
  if (low.length) {
    failures.push({
      check: 'E3',
      article: 7,
      field: low[0][0],
      message: citeClause(7, 4, `班组成员培训率和考试合格率须达 90% 以上；${low.map(([, l, v]) => `${l} ${v}% 低于 90%`).join('，')}。请核实所填数值；达到 90% 后方可申报。`),
    });
  }
  return failures;
}

/**
 * E5's refusal: the bar, the day the title was revoked and the moment the bar ends, in the bot's timezone (to the
 * minute: the bar runs from the moment of the revocation, so on its last day the team is refused until then).
 */
export function revocationBarMessage(revoked: Revocation, barDays: number | null, timezone: string, whose = '本班组'): string {
  const when = formatDateZh(todayIn(timezone, revoked.revokedAt!));
  const until = barEndText(barEnds(revoked.revokedAt!, barDays, timezone), timezone);
  return associationRule(`${revocationBarText(barDays)}；${whose} ${revoked.year} 年度称号已于 ${when} 撤销，${until} 起方可再申报。`);
}

/** E5 asked before the form is filled, as 第十六条 is: the bar lasts past the deadline; told at once, with the day it ends. */
function barredRefusal(revoked: Revocation, barDays: number | null, cycle: Pick<Cycle, 'year' | 'applicationDeadline'>, timezone: string): UserError {
  return new UserError(`${revocationBarMessage(revoked, barDays, timezone)}${cycle.year} 年度申报 ${formatDateZh(cycle.applicationDeadline)} 截止，本班组不能参加本年度评选。`, { kind: 'info' });
}

/** E1, E2, E3 and E5 on submission (E5 from `revoked`, read by recentRevocation); E4 is the organisation's step that follows. */
export function eligibilityFailures(team: Team, cycle: Cycle, form: ApplicationForm, revoked: Revocation | undefined, timezone: string): EligibilityFailure[] {
  const failures: EligibilityFailure[] = [];
  const short = notAYearBy(team.registeredAt, cycle.applicationDeadline);
  if (short) {
    const { eligibleFrom, days } = short;
    failures.push({
      check: 'E1',
      article: 16,
      message: cite(16, `注册满一年后方可参加评选，申报截止时还差 ${days} 天满一年（注册日期 ${formatDateZh(team.registeredAt)}，${formatDateZh(eligibleFrom)} 满一年，本年度申报截止 ${formatDateZh(cycle.applicationDeadline)}）。可参加下一年度评选。`),
    });
  }
  failures.push(...declarationFailures(form));
  if (revoked) {
    failures.push({ check: 'E5', message: revocationBarMessage(revoked, revocationBarDays(cycle), timezone) });
  }
  return failures;
}

export async function findApplication(tx: Db, teamId: number, cycleId: number): Promise<Application | undefined> {
  const [row] = await tx.select().from(applications).where(and(eq(applications.teamId, teamId), eq(applications.cycleId, cycleId)));
  return row;
}

/**
 * The team's latest application of a year before `year` with anything filled in: what 申报 offers a team applying again
 * (not awarded, returned or withdrawn last year, or a holder of last year's title) to start this year's form from.
 */
export async function previousApplication(tx: Db, teamId: number, year: number): Promise<{ year: number; form: Record<string, unknown> } | undefined> {
  const [row] = await tx
    .select({ year: cycles.year, form: applications.form })
    .from(applications)
    .innerJoin(cycles, eq(cycles.id, applications.cycleId))
    .where(and(eq(applications.teamId, teamId), sql`${cycles.year} < ${year}`, sql`${applications.form} <> '{}'::jsonb`))
    .orderBy(desc(cycles.year))
    .limit(1);
  return row ? { year: row.year, form: (row.form ?? {}) as Record<string, unknown> } : undefined;
}

/** An earlier year's form (a submitted one holds numbers) as a draft of this year's: what cleanDraft keeps of its text. */
export function draftOfPrevious(form: Record<string, unknown>): Record<string, string> {
  return cleanDraft(Object.fromEntries(Object.entries(form).map(([k, v]) => [k, typeof v === 'number' ? String(v) : v])));
}

async function findApplicationById(tx: Db, id: number): Promise<Application | undefined> {
  const [row] = await tx.select().from(applications).where(eq(applications.id, id));
  return row;
}

export async function getApplication(tx: Db, id: number) {
  const [row] = await tx
    .select({ application: applications, team: teams, cycle: cycles, organization: organizations.name })
    .from(applications)
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .innerJoin(cycles, eq(cycles.id, applications.cycleId))
    .innerJoin(organizations, eq(organizations.id, teams.organizationId))
    .where(eq(applications.id, id));
  return row;
}

/**
 * The applications of a batch of cards drawn at send time, each with its team, organisation and year (one read), by id;
 * ids that are not positive integers are skipped.
 */
export async function applicationsWithNames(db: Db, ids: readonly number[]) {
  const wanted = [...new Set(ids.filter((id) => Number.isSafeInteger(id) && id > 0))];
  if (!wanted.length) return new Map<number, never>();
  const rows = await db
    .select({ application: applications, team: teams, organization: organizations.name, year: cycles.year, cycle: { status: cycles.status, applicationDeadline: cycles.applicationDeadline } })
    .from(applications)
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .innerJoin(cycles, eq(cycles.id, applications.cycleId))
    .innerJoin(organizations, eq(organizations.id, teams.organizationId))
    .where(inArray(applications.id, wanted));
  return new Map(rows.map((r) => [r.application.id, r]));
}

/** An application for the organisation contact it waits for (第十五条); refuses anyone else, a contact replaced since saying so. */
export async function applicationForContact(tx: Db, actor: Actor, id: number) {
  const row = await getApplication(tx, id);
  if (row && row.team.contactOpenId !== actor.openId && (await wasContactOf(tx, row.team.id, actor.openId))) throw new ContactReplaced();
  if (!row || row.team.contactOpenId !== actor.openId) throw new UserError(cite(15, '只有该班组登记的单位联系人可以查看和确认这份申报。'));
  return row;
}

/**
 * A contact replaced (修改资料, an import) acting on a request they still hold, or opening it from an old 待确认的申报: not a
 * stranger to the team, and with nothing left to do (第十五条); the card they were sent when replaced said so too.
 */
export class ContactReplaced extends UserError {
  constructor() {
    super(cite(15, '你已不再是该班组的单位联系人，这份申报已改由新的单位联系人确认并填写推荐意见，你无需处理。'), { kind: 'info', article: 15 });
    this.name = 'ContactReplaced';
  }
}

/** Whether `openId` was once the team's contact and was replaced (the change's audit row names them as `from`): one read. */
async function wasContactOf(tx: Db, teamId: number, openId: string): Promise<boolean> {
  const [row] = await tx
    .select({ id: auditLog.id })
    .from(auditLog)
    .where(
      and(
        eq(auditLog.entity, 'team'),
        eq(auditLog.entityId, String(teamId)),
        inArray(auditLog.action, ['team.update', 'team.import.update']),
        sql`${auditLog.details} -> 'contact' ->> 'from' = ${openId}`,
      ),
    )
    .limit(1);
  return row !== undefined;
}

/** The team whose application the actor fills in: only its own leader does (申报 is the leader's act). */
export async function applicantTeam(tx: Db, actor: Actor, teamId: number) {
  const team = await getTeam(tx, teamId);
  if (!team) throw new UserError('找不到该班组。');
  leaderRoles(actor, team);
  return team;
}

function leaderRoles(actor: Actor, team: Team) {
  if (team.leaderOpenId !== actor.openId) throw new UserError('只有本班组的班组长可以填写和提交申报表。');
  return ['leader' as const];
}

/** 保存草稿: creates the team's one application of the cycle (E5) or updates its draft. */
export async function saveDraft(
  tx: Db,
  actor: Actor,
  teamId: number,
  cycle: Cycle,
  values: Record<string, unknown>,
  now: Date,
  /** `newOnly` (沿用往年内容): a draft begun meanwhile (another device's 保存草稿) is kept, not overwritten */
  opts: { newOnly?: boolean } = {},
): Promise<{ application: Application; team: TeamWithOrganization }> {
  const [team, existing] = await teamAndApplication(tx, teamId, cycle.id);
  if (existing && opts.newOnly) throw new UserError(`本班组 ${cycle.year} 年度已有申报表，没有用往年的内容覆盖；请发送“申报”在这张表上继续填写。`, { kind: 'info' });
  if (!team) throw new UserError('找不到该班组。');
  const extra = leaderRoles(actor, team);
  const status = existing && applicationMachine.check(existing.status === 'returned' ? 'saveReturned' : 'save', existing.status as ApplicationStatus, actor, extra);
  // mayApply, after the application's own state: a team no longer in the register saves nothing, as 申报 opens no
  // form for it (a form card kept in the chat from before it withdrew)
  if (team.status !== 'active') throw withdrawnRefusal(team);
  const draft = cleanDraft(values);
  if (existing) {
    const [row] = await tx.update(applications).set({ form: draft, status, updatedAt: now }).where(eq(applications.id, existing.id)).returning();
    await audit(tx, { actor: actor.openId, action: 'application.save', entity: 'application', entityId: row.id, at: now, details: { fields: Object.keys(draft) } });
    return { application: row, team };
  }
  const [row] = await tx.insert(applications).values({ teamId, cycleId: cycle.id, status: 'draft', form: draft, createdAt: now, updatedAt: now }).onConflictDoNothing().returning();
  if (!row) throw new UserError('本班组本年度已有一份申报（第十九条：评审交流活动每年一次），请刷新后继续填写。', { kind: 'info' });
  await audit(tx, { actor: actor.openId, action: 'application.create', entity: 'application', entityId: row.id, at: now, details: { fields: Object.keys(draft) } });
  return { application: row, team };
}

type TeamWithOrganization = Team & { organization: string };

/** The team and its application of the cycle, if any: issued together, one round trip. */
export function teamAndApplication(tx: Db, teamId: number, cycleId: number): Promise<[TeamWithOrganization | undefined, Application | undefined]> {
  return Promise.all([getTeam(tx, teamId), findApplication(tx, teamId, cycleId)]);
}

export class EligibilityError extends UserError {
  constructor(readonly failures: EligibilityFailure[]) {
    super(failures.map((f) => f.message).join('\n'), { field: failures.find((f) => f.field)?.field, article: failures[0]?.article });
  }
}

/**
 * The 申报表 as 提交申报 reads it (`applicationSchemaFor`). A form with problems is refused with every one, and with E2 and
 * E3 of the declarations that are valid (第十三条第5款, 第七条第4款: known without reading a row), so a leader learns all
 * there is to fix in one submit; a form without is left to `eligibilityFailures` (EligibilityError, as before).
 */
export function readSubmitted(bounds: ActivityBounds, values: Record<string, unknown>): ApplicationForm {
  const schema = applicationSchemaFor(bounds);
  const read = schema.safeParse(values);
  if (read.success) return read.data;
  const declared = declarationFailures(validFields(applicationForm, values, DECLARED));
  throw formProblems([...problemsOf(schema, values, applicationLabels), ...declared.map((f) => ({ field: f.field ?? '', message: f.message }))], applicationLabels);
}

/** 提交申报: full validation, eligibility E1–E3 and E5, then to the organisation for confirmation (第十五条). */
export async function submitApplication(tx: Db, actor: Actor, teamId: number, cycle: Cycle, values: Record<string, unknown>, now: Date, timezone: string): Promise<{ application: Application; team: TeamWithOrganization }> {
  // issued together: one round trip (E5's read is used only once the checks before it pass)
  const [[team, existing], revoked] = await Promise.all([teamAndApplication(tx, teamId, cycle.id), recentRevocation(tx, teamId, cycle, now, timezone)]);
  if (!team) throw new UserError('找不到该班组。');
  const extra = leaderRoles(actor, team);
  if (existing && !['draft', 'returned'].includes(existing.status)) throw submittedAlready(existing.id);
  if (existing) applicationMachine.check('submit', existing.status as ApplicationStatus, actor, extra);
  else applicationMachine.check('submit', 'draft', actor, extra);
  // mayApply: nor submits, from a form card kept from before it withdrew
  if (team.status !== 'active') throw withdrawnRefusal(team);
  const form = readSubmitted({ year: cycle.year, applicationDeadline: cycle.applicationDeadline, today: todayIn(timezone, now) }, values);
  const failures = eligibilityFailures(team, cycle, form, revoked, timezone);
  if (failures.length) throw new EligibilityError(failures);
  const declarations = { accidents: form.accidents, trainingRate: form.trainingRate, examPassRate: form.examPassRate };
  let application: Application | undefined;
  if (existing) {
    [application] = await tx
      .update(applications)
      .set({ form, declarations, status: 'submitted', submittedAt: now, updatedAt: now })
      .where(and(eq(applications.id, existing.id), sql`${applications.status} in ('draft', 'returned')`))
      .returning();
  } else {
    [application] = await tx.insert(applications).values({ teamId, cycleId: cycle.id, status: 'submitted', form, declarations, submittedAt: now }).onConflictDoNothing().returning();
  }
  if (!application) {
    // the other submit has committed (this statement waited for its row): say when it was made
    const other = await findApplication(tx, teamId, cycle.id);
    throw other ? submittedAlready(other.id) : new UserError('申报已提交，请勿重复提交。', { kind: 'info' });
  }
  await audit(tx, { actor: actor.openId, action: 'application.submit', entity: 'application', entityId: application.id, at: now, details: { teamId, cycle: cycle.year } });
  return { application, team };
}

/** 撤回申报 once the contact has recommended it: the association's formal check is where it can still go back. */
export const recallTooLateText = cite(15, '单位联系人已确认推荐，申报已报协会形式审查，不能再撤回；如需修改，请联系协会在形式审查时退回。');

/** 撤回申报 of an application the contact returned meanwhile: nothing to take back. */
export const recallReturnedText = '申报已被退回修改，无需撤回：发送“申报”修改后重新提交。';

/** Why an application in `status` cannot be taken back by its leader, where it is not simply submitted. */
function notRecallable(application: Application): UserError {
  if (application.status === 'draft') {
    return new AlreadyDone('撤回', { action: 'application.recall', entity: 'application', entityId: application.id }, '', '申报还是草稿，尚未提交，无需撤回。', '发送“申报”可继续修改并提交。');
  }
  if (application.status === 'returned') return new UserError(recallReturnedText, { kind: 'info' });
  if (application.status === 'recommended') return new UserError(recallTooLateText, { kind: 'info', article: 15 });
  const status = application.status as ApplicationStatus;
  return new UserError(`当前状态为“${applicationMachine.label(status)}”，不能撤回。${applicationMachine.nextStep(status) ?? ''}`, { kind: 'info' });
}

/**
 * 撤回申报: the leader takes a submitted application back to edit it, before the organisation contact confirms it
 * (第十五条); a draft again, with what was submitted kept as its form. Refused once the year's applications are closed
 * (it could not be submitted again) and once the contact has decided. The contact's pending card is spent: a click
 * on it is told the leader took it back (endorseApplication).
 */
export async function recallApplication(tx: Db, actor: Actor, teamId: number, cycle: Cycle, now: Date, timezone: string): Promise<{ application: Application; team: TeamWithOrganization }> {
  // the team's lock first, as 保存草稿 and 提交申报 take it (lockTeamOfApplication), then its rows: issued together, one round trip
  const [, [team, existing]] = await Promise.all([lockTeamOfApplication(tx, teamId), teamAndApplication(tx, teamId, cycle.id)]);
  if (!team) throw new UserError('找不到该班组。');
  const extra = leaderRoles(actor, team);
  if (!existing) throw new UserError(`本班组 ${cycle.year} 年度还没有提交申报，无需撤回。`, { kind: 'info' });
  if (existing.status !== 'submitted') throw notRecallable(existing);
  if (!resubmittable(cycle, todayIn(timezone, now))) {
    throw new UserError(`${cycle.year} 年度申报已于 ${formatDateZh(cycle.applicationDeadline)} 截止：撤回后不能再提交，这份申报将不参加本年度评审，所以不能撤回；请提醒单位联系人尽快确认（第十五条）。`, { kind: 'info' });
  }
  const to = applicationMachine.check('recall', 'submitted', actor, extra);
  // never submitted, as far as the year's lists go (unreviewed applicants, 进度); the organisation's decision of an
  // earlier submission is kept in the audit row, not shown on the form again
  const [application] = await tx
    .update(applications)
    .set({ status: to, submittedAt: null, endorsement: null, updatedAt: now })
    .where(and(eq(applications.id, existing.id), eq(applications.status, 'submitted')))
    .returning();
  if (!application) {
    // the contact decided first (this statement waited for their row)
    const current = await findApplicationById(tx, existing.id);
    throw current ? notRecallable(current) : new UserError('找不到该申报。');
  }
  await audit(tx, {
    actor: actor.openId,
    action: 'application.recall',
    entity: 'application',
    entityId: application.id,
    at: now,
    details: { teamId, cycle: cycle.year, submittedAt: existing.submittedAt?.toISOString() ?? null, endorsement: existing.endorsement ?? null },
  });
  return { application, team };
}

/**
 * Whether the leader took the application back (撤回申报 leaves a draft with no submission): a contact holds a request
 * of a draft only so. A draft that keeps its submission was returned and saved before returns stayed 退回修改.
 */
export const takenBack = (application: Pick<Application, 'status' | 'submittedAt'>) => application.status === 'draft' && application.submittedAt === null;

/**
 * A decision clicked on the contact's card of an application its leader has taken back since (撤回申报). `closed`: the
 * year's applications closed since without it being submitted again (resubmittable no more), so none will come.
 */
export class RecalledByLeader extends UserError {
  constructor(closed?: Pick<Cycle, 'year' | 'applicationDeadline'>) {
    super(
      closed
        ? cite(15, `班组长已撤回这份申报修改，未在 ${closed.year} 年度申报截止（${formatDateZh(closed.applicationDeadline)}）前重新提交，这份申报不参加本年度评审；你无需确认或填写推荐意见。`)
        : cite(15, '班组长已撤回这份申报修改，你无需处理；班组长重新提交后，我会再发给你确认并填写推荐意见。'),
      { kind: 'info', article: 15 },
    );
    this.name = 'RecalledByLeader';
  }

  /** As of `today`: whether the team can still submit it again decides what the contact is told. */
  static asOf(cycle: Pick<Cycle, 'year' | 'applicationDeadline' | 'status'>, today: string): RecalledByLeader {
    return new RecalledByLeader(resubmittable(cycle, today) ? undefined : cycle);
  }
}

/**
 * Whether a 提交申报 clicked on an application already on its way sent what it holds (a second click of the same card),
 * not an edit: what was typed read as the submit reads it, field by field against the stored form.
 */
export function sameAsSubmitted(stored: unknown, values: Record<string, unknown>): boolean {
  let typed: Record<string, unknown>;
  try {
    typed = parseForm(applicationSchema, values, applicationLabels);
  } catch (err) {
    // what the stored form never was: an edit, and one that would not even pass
    if (err instanceof UserError) return false;
    throw err;
  }
  const kept = (stored ?? {}) as Record<string, unknown>;
  return applicationFields.every((key) => JSON.stringify(typed[key] ?? null) === JSON.stringify(kept[key] ?? null));
}

/**
 * What a 提交申报 says once the application is on its way, when the form sent is not what was submitted (edited since,
 * or an older copy): that it was not saved, and where the application is, as 保存草稿 there says.
 */
export function editNotSavedText(status: string): string {
  const next = applicationMachine.nextStep(status as ApplicationStatus) ?? `申报当前为“${applicationMachine.label(status as ApplicationStatus)}”，不能再修改。`;
  return `这张申报表上的内容与已提交的不同，没有保存。${next}`;
}

/** A second 提交 of an application already on its way. */
export const submittedAlready = (applicationId: number) => new AlreadyDone('提交', { action: 'application.submit', entity: 'application', entityId: applicationId });

/** Which submission of an application a card shows: when it was last submitted, in epoch milliseconds (its buttons carry it as `submitted`). */
export const submissionOf = (application: Pick<Application, 'submittedAt'>): number | undefined => application.submittedAt?.getTime();

/** The submission a clicked card showed (`submitted` on its button), and the zone its refusal names the time in. */
export interface SeenSubmission {
  at: number;
  timezone: string;
}

/** A decision clicked on a card drawn from an earlier submission: the application was submitted again since, and may say other things now. */
export class ResubmittedSince extends UserError {
  constructor(message: string) {
    super(message, { kind: 'info' });
  }
}

/** Refuses a decision made on a card of an earlier submission than the row's; a card without the key (drawn before cards carried it) passes. */
function requireSeenSubmission(application: Application, seen: SeenSubmission | undefined, says: (at: string) => string): void {
  if (!seen || submissionOf(application) === seen.at) return;
  throw new ResubmittedSince(says(application.submittedAt ? formatDateTimeZh(application.submittedAt, seen.timezone) : ''));
}

/** A second click on a transition this actor already made (推荐, 受理…), or undefined. */
function madeAlready(transition: ApplicationTransition, application: Application, what: string, by?: string): AlreadyDone | undefined {
  if (!applicationMachine.reached(transition, application.status as ApplicationStatus)) return undefined;
  if (by && (application.endorsement as { by?: string } | null)?.by !== by) return undefined;
  return new AlreadyDone(what, { action: `application.${transition}`, entity: 'application', entityId: application.id });
}

/** The decisions of 单位确认 and 形式审查, whose audit rows say who last decided an application and how. */
const decisionActions = (['recommend', 'returnByOrganization', 'accept', 'returnByAssociation'] as const).map((t) => `application.${t}`);

/**
 * The other decision of the same step made first (受理 before this 退回, 推荐 before this 退回): who made it and when, from
 * its audit row, rather than the state machine's 当前状态为…; undefined when the last decision on record is another.
 */
async function decidedOtherwise(
  tx: Db,
  application: Application,
  other: { transition: ApplicationTransition; what: string },
  what: string,
  by: { actor: Actor; others: string; object: string; timezone: string },
): Promise<UserError | undefined> {
  const [last] = await tx
    .select({ action: auditLog.action, actor: auditLog.actor, at: auditLog.at, name: people.name })
    .from(auditLog)
    .leftJoin(people, eq(people.openId, auditLog.actor))
    .where(and(eq(auditLog.entity, 'application'), eq(auditLog.entityId, String(application.id)), inArray(auditLog.action, decisionActions)))
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(1);
  if (last?.action !== `application.${other.transition}`) return undefined;
  const who = last.actor === by.actor.openId ? '你' : `${by.others}${last.name ? ` ${last.name} ` : ''}`;
  return new UserError(`${who}已于 ${formatDateTimeZh(last.at, by.timezone)} ${other.what}${by.object}，无需再${what}。`, { kind: 'info' });
}

/** 第十五条: the organisation confirms the materials and writes its recommendation. */
export const endorsementForm = defineForm({
  name: 'endorsement',
  title: '单位确认推荐',
  fields: {
    truthful: { kind: 'checkbox', label: '材料真实性确认', article: '第十五条', help: '本单位已核实，申报材料真实有效' },
    opinion: { kind: 'longText', label: '推荐意见', help: '退回时填写退回意见', maxLength: 1000 },
  },
});
export const endorsementSchema = formSchema(endorsementForm);

export type EndorsementDecision = 'recommend' | 'return';

/** What the contact typed, read for the decision (a UserError names the field): the one reader of both 推荐 paths. */
export function endorsementInput(decision: EndorsementDecision, values: Record<string, unknown>): { truthful: boolean; opinion: string } {
  if (decision === 'recommend') return readForm(endorsementForm, values, endorsementSchema);
  return { truthful: values.truthful === true || values.truthful === 'true', opinion: parseForm(z.object({ opinion: text('退回意见', 1000) }), values, { opinion: '退回意见' }).opinion };
}

/** The application's `endorsement` as a decision stores it. */
export function endorsementRecord(decision: EndorsementDecision, input: { truthful: boolean; opinion: string }, by: string, now: Date) {
  return { decision, truthful: input.truthful, opinion: input.opinion, by, at: now.toISOString() };
}

/** The state each decision leaves the application in, and its audit action (`application.<transition>`). */
export const endorsementTransition = { recommend: 'recommend', return: 'returnByOrganization' } as const satisfies Record<EndorsementDecision, ApplicationTransition>;

/** Whether a returned application of this cycle could still be submitted again: applications open, the deadline not passed. */
export const resubmittable = (cycle: Pick<Cycle, 'status' | 'applicationDeadline'>, today: string) => cycle.status === 'open' && today <= cycle.applicationDeadline;

/**
 * 退回 once the year's applications are closed: the team can no longer submit again, so the return takes the application
 * out of the year's review. Refused until the contact, or the administrator at 形式审查 (`formalCheckOf`, naming the
 * team as the list shows several), confirms it knowing so (the card's 确认退回 carries `late: true`).
 */
export class LateReturn extends UserError {
  constructor(cycle: Pick<Cycle, 'year' | 'applicationDeadline'>, formalCheckOf?: { teamName: string }) {
    const closed = `${cycle.year} 年度申报已于 ${formatDateZh(cycle.applicationDeadline)} 截止：退回后班组不能再修改提交，这份申报将不参加 ${cycle.year} 年度评审。`;
    super(
      formalCheckOf
        ? `${formalCheckOf.teamName}的申报：${closed}确需退回请点该申报下的“确认退回（不参加本年度评审）”；材料可用请点“受理”。`
        : `${closed}确需退回请点“确认退回”；材料可用请点“推荐”（第十五条）。`,
      formalCheckOf ? { kind: 'info' } : { kind: 'info', article: 15 },
    );
  }
}

/** 第十五条: the named organisation contact recommends or returns, with an opinion. */
export async function endorseApplication(
  tx: Db,
  actor: Actor,
  applicationId: number,
  decision: EndorsementDecision,
  values: Record<string, unknown>,
  now: Date,
  late?: { today: string; confirmed: boolean },
  seen?: SeenSubmission,
  timezone = 'Asia/Shanghai',
) {
  // issued together: one round trip (the membership is found through the application's team)
  const [row, [own]] = await Promise.all([
    getApplication(tx, applicationId),
    tx
      .select({ openId: teamMembers.openId })
      .from(teamMembers)
      .innerJoin(applications, eq(applications.teamId, teamMembers.teamId))
      .where(and(eq(applications.id, applicationId), eq(teamMembers.openId, actor.openId))),
  ]);
  if (!row) throw new UserError('找不到该申报。');
  if (row.team.contactOpenId !== actor.openId) {
    if (await wasContactOf(tx, row.team.id, actor.openId)) throw new ContactReplaced();
    throw new UserError(cite(15, '只有该班组登记的单位联系人可以确认和推荐申报材料。'));
  }
  // a contact named before the rule existed may be the leader or a member: the team never confirms itself
  if (own || row.team.leaderOpenId === actor.openId) {
    throw new UserError(cite(15, '申报材料须由所在单位确认并填写推荐意见，班组长和班组成员不能确认本班组的申报。请班组长在“修改资料”中改选单位里的其他人员为单位联系人。'));
  }
  const transition = endorsementTransition[decision];
  const what = decision === 'recommend' ? '推荐' : '退回';
  // returned by the association's formal check since the contact decided: no decision of theirs is pending, and the
  // contact's own earlier one is not what happened last
  const returnReason = (row.application.endorsement as { returnReason?: string } | null)?.returnReason;
  if (row.application.status === 'returned' && returnReason) {
    throw new UserError(cite(15, `协会形式审查已退回这份申报（退回原因：${returnReason}），无需再${what}；班组长修改后重新提交时，会再发给你确认并填写推荐意见。`), { kind: 'info', article: 15 });
  }
  // taken back by its leader since the request was sent (撤回申报): the card in hand is spent
  if (takenBack(row.application)) throw RecalledByLeader.asOf(row.cycle, todayIn(timezone, now));
  const done = madeAlready(transition, row.application, what, actor.openId);
  if (done) throw done;
  const other = decision === 'recommend' ? { transition: 'returnByOrganization' as const, what: '退回' } : { transition: 'recommend' as const, what: '推荐' };
  const decided = { actor, others: '单位联系人', object: '这份申报', timezone };
  if (row.application.status !== 'submitted') {
    const otherwise = await decidedOtherwise(tx, row.application, other, what, decided);
    if (otherwise) throw otherwise;
  }
  await reviewStillTakes(tx, row.cycle, `不能再${what}这份申报`, true, (read, cycle) => contactAfterReview(read, actor.openId, cycle));
  // returned, changed and submitted again since the card was drawn: the contact decides on what they have seen (第十五条)
  if (row.application.status === 'submitted') {
    requireSeenSubmission(row.application, seen, (at) => `这份申报已于 ${at} 重新提交，内容可能已修改：请看本卡片上的最新内容后再${what}。`);
  }
  const to = applicationMachine.check(transition, row.application.status as ApplicationStatus, actor, ['org_contact']);
  const input = endorsementInput(decision, values);
  if (decision === 'return' && late && !late.confirmed && !resubmittable(row.cycle, late.today)) throw new LateReturn(row.cycle);
  const endorsement = endorsementRecord(decision, input, actor.openId, now);
  const [application] = await tx
    .update(applications)
    .set({ status: to, endorsement, updatedAt: now })
    .where(and(eq(applications.id, applicationId), eq(applications.status, 'submitted')))
    .returning();
  if (!application) {
    const current = await findApplicationById(tx, applicationId);
    if (current && takenBack(current)) throw RecalledByLeader.asOf(row.cycle, todayIn(timezone, now));
    throw (current && (madeAlready(transition, current, what, actor.openId) ?? (await decidedOtherwise(tx, current, other, what, decided)))) ?? new UserError('该申报已处理。', { kind: 'info' });
  }
  // a return keeps the form as it was returned, so that its resubmission can say what changed (returnBefore)
  const details = decision === 'return' ? { opinion: input.opinion, form: row.application.form } : { opinion: input.opinion };
  await audit(tx, { actor: actor.openId, action: `application.${transition}`, entity: 'application', entityId: applicationId, at: now, details });
  return { application, team: row.team, cycle: row.cycle, organization: row.organization };
}

/** The returned applications of a cycle among `teamIds` (those the caller belongs to), by team; one read. */
export async function returnedOfTeams(db: Db, cycleId: number, teamIds: number[]): Promise<{ id: number; teamId: number }[]> {
  if (!teamIds.length) return [];
  return db
    .select({ id: applications.id, teamId: applications.teamId })
    .from(applications)
    .where(and(eq(applications.cycleId, cycleId), eq(applications.status, 'returned'), inArray(applications.teamId, teamIds)))
    .orderBy(asc(applications.teamId));
}

/** The applications of a cycle among `teamIds` (those the caller leads), by team; one read. */
export async function applicationsOfTeams(db: Db, cycleId: number, teamIds: number[]): Promise<Application[]> {
  if (!teamIds.length) return [];
  return db
    .select()
    .from(applications)
    .where(and(eq(applications.cycleId, cycleId), inArray(applications.teamId, teamIds)))
    .orderBy(asc(applications.teamId));
}

/** Why and by whom an application was last returned (第十五条): the organisation's 退回意见 or the association's 退回原因. */
export interface ReturnNote {
  by: 'organization' | 'association';
  /** Who returned it, by name where the bot knows one. */
  name: string | null;
  at: Date | null;
  opinion: string;
  /** The form as it was returned (kept in the audit log since returns kept it), to tell what a resubmission changed. */
  form?: Record<string, unknown>;
}

/**
 * The latest return of each application of `ids` (those returned, or returned once and submitted again): from the
 * audit log (who, when, what was typed), else from what the row keeps (`endorsement`); one read.
 */
export async function returnNotes(db: Db, ids: number[]): Promise<Map<number, ReturnNote>> {
  if (!ids.length) return new Map();
  const rows = await db
    .select({ id: applications.id, endorsement: applications.endorsement, action: auditLog.action, at: auditLog.at, details: auditLog.details, name: people.name })
    .from(applications)
    .leftJoin(
      auditLog,
      sql`${auditLog.id} = (select l.id from ${auditLog} l where l.entity = 'application' and l.entity_id = ${applications.id}::text
        and l.action in ('application.returnByOrganization', 'application.returnByAssociation') order by l.at desc, l.id desc limit 1)`,
    )
    .leftJoin(people, sql`${people.openId} = coalesce(${auditLog.actor}, ${applications.endorsement} ->> 'by')`)
    .where(inArray(applications.id, ids));
  const notes = new Map<number, ReturnNote>();
  for (const r of rows) {
    const e = (r.endorsement ?? {}) as { decision?: string; opinion?: string; returnReason?: string; at?: string };
    const d = (r.details ?? {}) as { opinion?: string; reason?: string; form?: Record<string, unknown> };
    if (r.action) {
      const byAssociation = r.action === 'application.returnByAssociation';
      const opinion = (byAssociation ? d.reason : d.opinion) ?? '';
      notes.set(r.id, { by: byAssociation ? 'association' : 'organization', name: r.name, at: r.at, opinion, ...(d.form && typeof d.form === 'object' ? { form: d.form } : {}) });
    } else if (e.returnReason) {
      notes.set(r.id, { by: 'association', name: null, at: null, opinion: e.returnReason });
    } else if (e.decision === 'return') {
      notes.set(r.id, { by: 'organization', name: r.name, at: e.at ? new Date(e.at) : null, opinion: e.opinion ?? '' });
    }
  }
  return notes;
}

/**
 * The return a submission came after (a resubmission: 重新提交), as the contact's 请确认申报材料 shows it; undefined for a
 * first submission, or when the latest return came after this submission (`submitted`, epoch ms).
 */
export function returnBefore(note: ReturnNote | undefined, submitted: number | undefined, timezone: string, form?: unknown): ReturnShown | undefined {
  if (!note || (note.at && submitted !== undefined && note.at.getTime() > submitted)) return undefined;
  const changed = note.form && form && typeof form === 'object' ? changedFields(note.form, form as Record<string, unknown>) : undefined;
  return { by: note.by, name: note.name, opinion: note.opinion, ...(note.at ? { at: formatDateZh(todayIn(timezone, note.at)) } : {}), ...(changed ? { changed } : {}) };
}

/** The labels of the 申报表's fields that differ between two stored forms, in the form's order. */
export function changedFields(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  return applicationFields.filter((key) => JSON.stringify(before[key] ?? null) !== JSON.stringify(after[key] ?? null)).map((key) => applicationLabels[key]);
}

/** The 退回原因 of a formal check as typed: required, 500 characters at most; a UserError naming the field otherwise. */
export function readReturnReason(reason: string | undefined): string {
  return parseForm(z.object({ reason: text('退回原因', 500) }), { reason }, { reason: '退回原因' }).reason;
}

/**
 * An application reaches the review through its organisation and the formal check while the year's applications are
 * open or its experts score; once scoring has ended (汇总) or the results are out, it would be taken in for nothing.
 * `takesIn` false: a decision that takes nothing in (the association's 退回), refused only once scoring has ended, so
 * that during a reopened sheet an application left waiting can still be returned and the second 汇总 need not wait.
 */
async function reviewStillTakes(
  tx: Db,
  cycle: { id: number; year: number; status: string },
  what: string,
  takesIn = true,
  afterOf?: (tx: Db, cycle: { year: number; status: string }) => Promise<string>,
): Promise<void> {
  // what to do then, read only once the review is over (a refusal): never a round trip more for a request it takes
  const after = afterOf && reviewClosedText(cycle, what) ? await afterOf(tx, cycle) : undefined;
  const closed = takesIn ? await reviewTakesNoMoreText(tx, cycle, what, after) : reviewClosedText(cycle, what, after);
  if (closed) throw new ReviewTakesNoMore(closed);
}

/** reviewStillTakes' refusal: the request is answered without its form, the refusal as a note. */
export class ReviewTakesNoMore extends UserError {
  constructor(text: string) {
    super(text, { kind: 'info' });
    this.name = 'ReviewTakesNoMore';
  }
}

/**
 * Why the year's review takes no more `what`, undefined while it does: once its scores were summed (汇总), a sheet
 * reopened since takes the cycle back to scoring for that sheet alone, not for applications to come in (第十七条).
 */
export async function reviewTakesNoMoreText(tx: Db, cycle: { id: number; year: number; status: string }, what: string, after?: string): Promise<string | undefined> {
  const closed = reviewClosedText(cycle, what, after);
  if (closed) return closed;
  if (cycle.status === 'scoring' && (await aggregatedBefore(tx, cycle.id))) return reopenedForSheetsText(cycle.year, what);
  return undefined;
}

/** Why the year's review takes no more `what` (推荐这份申报…), undefined while it is open or scoring; `after` what to do then. */
export function reviewClosedText(cycle: { year: number; status: string }, what: string, after = '如有疑问，请联系协会。'): string | undefined {
  if (cycle.status === 'open' || cycle.status === 'scoring') return undefined;
  const stage = cycle.status === 'closed' ? '已汇总专家评分' : cycle.status === 'published' ? '结果已公布' : cycleStatusLabel(cycle.status);
  return `${cycle.year}年度评审${stage}，${what}。${after}`;
}

/**
 * What an organisation contact may do once the year of the card in hand takes no more: a later year's applications
 * waiting for them (a 2026 request clicked once 2027's are in), named with where to find them; else 联系协会.
 */
export async function contactAfterReview(tx: Db, contactOpenId: string, cycle: { year: number }): Promise<string> {
  const later = (await awaitingEndorsementBy(tx, contactOpenId)).filter((r) => r.cycle.year > cycle.year);
  if (!later.length) return '如有疑问，请联系协会。';
  const year = Math.max(...later.map((r) => r.cycle.year));
  return `现在有 ${later.length} 份 ${year} 年度申报等待你确认，请发送“待确认的申报”查看并推荐。`;
}

/**
 * What an administrator, the association itself, may do once the year's review takes no more (not 联系协会): where
 * that year's results are, named by its year, since 管理 shows the running year (a later one may be running). A year
 * summed (closed) is the running one, its results behind 评审进度/结果; the latest year published has a button of its
 * own on the 管理 card, whatever runs since; an older one is behind its 历年评审结果, or typed (评审结果 2026).
 */
async function adminAfterReview(tx: Db, cycle: { year: number; status: string }): Promise<string> {
  if (cycle.status !== 'published') return `${cycle.year} 年度的评审结果请发送“管理”，点协会管理卡片上的“评审进度/结果”查看。`;
  const [latest] = await tx.select({ year: cycles.year }).from(cycles).where(eq(cycles.status, 'published')).orderBy(desc(cycles.year)).limit(1);
  if (!latest || latest.year <= cycle.year) return `${cycle.year} 年度的评审结果请发送“管理”，点协会管理卡片上的“${cycle.year}年度评审结果”查看，可下载结果工作簿。`;
  return `${cycle.year} 年度的评审结果请发送“管理”，点协会管理卡片上的“历年评审结果”查看（或发送“评审结果 ${cycle.year}”），可下载结果工作簿。`;
}

/**
 * 形式审查 refused to an administrator who leads the team, belongs to it or is its 单位联系人 (第十七条 公开、公平、公正:
 * as experts are kept off their own teams); another administrator decides.
 */
export class OwnTeamAtFormalCheck extends UserError {
  constructor(teamName: string, as: string) {
    super(`你是${teamName}的${as}，按第十七条（公开、公平、公正）回避，不能审查本班组的申报，请由其他管理员审查。`, { article: 17 });
    this.name = 'OwnTeamAtFormalCheck';
  }
}

/** How `openId` belongs to the team, when they do: its leader, a member (`member`), or its 单位联系人. */
function ownTeamRole(team: Pick<Team, 'leaderOpenId' | 'contactOpenId'>, openId: string, member: boolean): string | undefined {
  return team.leaderOpenId === openId ? '班组长' : member ? '成员' : team.contactOpenId === openId ? '单位联系人' : undefined;
}

/**
 * 形式审查 by the association: accept into the review, or return with a reason. A return once the year's applications
 * are closed takes the application out of the year: refused (LateReturn) until the administrator confirms it (`lateConfirmed`).
 */
export async function formalCheck(
  tx: Db,
  actor: Actor,
  applicationId: number,
  decision: 'accept' | 'return',
  reason: string | undefined,
  now: Date,
  timezone: string,
  seen?: SeenSubmission,
  lateConfirmed = false,
) {
  // issued together: one round trip (E5's read only for 受理; the membership found through the application's team)
  const [row, revoked, [member]] = await Promise.all([
    getApplication(tx, applicationId),
    decision === 'accept' ? latestRevocationOfApplication(tx, applicationId) : undefined,
    tx
      .select({ openId: teamMembers.openId })
      .from(teamMembers)
      .innerJoin(applications, eq(applications.teamId, teamMembers.teamId))
      .where(and(eq(applications.id, applicationId), eq(teamMembers.openId, actor.openId))),
  ]);
  if (!row) throw new UserError('找不到该申报。');
  const own = ownTeamRole(row.team, actor.openId, !!member);
  if (own) throw new OwnTeamAtFormalCheck(row.team.name, own);
  const transition = decision === 'accept' ? 'accept' : 'returnByAssociation';
  if (decision === 'accept' && row.application.status === 'submitted') {
    throw new UserError(cite(15, '申报材料须先经所在单位确认并填写推荐意见，才能受理。'), { article: 15 });
  }
  const what = decision === 'accept' ? '受理' : '退回';
  const done = madeAlready(transition, row.application, what);
  if (done) throw done;
  const other = decision === 'accept' ? { transition: 'returnByAssociation' as const, what: '退回' } : { transition: 'accept' as const, what: '受理' };
  const decided = { actor, others: '其他管理员', object: '该申报', timezone };
  if (row.application.status !== 'recommended') {
    const otherwise = await decidedOtherwise(tx, row.application, other, what, decided);
    if (otherwise) throw otherwise;
  }
  await reviewStillTakes(tx, row.cycle, `不能再${what}申报`, decision === 'accept', adminAfterReview);
  // returned, submitted again and recommended again since the list was drawn: the association checks what it has seen
  if (row.application.status === 'recommended') {
    requireSeenSubmission(row.application, seen, (at) => `${row.team.name}的申报已于 ${at} 重新提交并重新推荐，内容可能已修改：请看最新内容后再审查。`);
  }
  const to = applicationMachine.check(transition, row.application.status as ApplicationStatus, actor);
  // E5 again at 受理: a title revoked since the submission bars the application as it would have barred the submission
  // told to the administrator: the team by name, and that 退回 is what remains
  if (decision === 'accept' && barHolds(revoked, row.cycle, now, timezone)) {
    throw new UserError(`${revocationBarMessage(revoked, revocationBarDays(row.cycle), timezone, row.team.name)}该申报不能受理，请“退回”并写明原因。`);
  }
  const note = decision === 'return' ? readReturnReason(reason) : undefined;
  if (decision === 'return' && !lateConfirmed && !resubmittable(row.cycle, todayIn(timezone, now))) throw new LateReturn(row.cycle, { teamName: row.team.name });
  const [application] = await tx
    .update(applications)
    .set({ status: to, updatedAt: now, ...(note ? { endorsement: sql`coalesce(${applications.endorsement}, '{}'::jsonb) || ${JSON.stringify({ returnReason: note })}::jsonb` } : {}) })
    .where(and(eq(applications.id, applicationId), eq(applications.status, 'recommended')))
    .returning();
  if (!application) {
    const current = await findApplicationById(tx, applicationId);
    throw (current && (madeAlready(transition, current, what) ?? (await decidedOtherwise(tx, current, other, what, decided)))) ?? new UserError('该申报已处理。', { kind: 'info' });
  }
  await audit(tx, { actor: actor.openId, action: `application.${transition}`, entity: 'application', entityId: applicationId, at: now, details: note ? { reason: note, form: row.application.form } : {} });
  return { application, team: row.team, cycle: row.cycle, organization: row.organization, reason: note };
}

/**
 * Which applications wait for the association's formal check: recommended, in the running cycle (one at most,
 * 第十九条); the cycle is a subquery, so the list can be read beside the cycle itself.
 */
function awaitingFormalCheckWhere(tx: Db) {
  const running = tx.select({ id: cycles.id }).from(cycles).where(inArray(cycles.status, [...runningStatuses]));
  return and(inArray(applications.cycleId, running), eq(applications.status, 'recommended'));
}

/** The applications waiting for the formal check, first submitted first, each with who recommended it. */
function awaitingFormalCheckQuery(tx: Db) {
  return tx
    .select({ application: applications, team: teams, organization: organizations.name, recommenderName: people.name })
    .from(applications)
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .innerJoin(organizations, eq(organizations.id, teams.organizationId))
    // who recommended for the organisation (第十五条), by name where the bot knows one
    .leftJoin(people, eq(people.openId, sql`${applications.endorsement} ->> 'by'`))
    .where(awaitingFormalCheckWhere(tx))
    .orderBy(asc(applications.submittedAt), asc(applications.id))
    .$dynamic();
}

/** An application waiting for the formal check, as the list reads it. */
export type AwaitingFormalCheck = Awaited<ReturnType<typeof awaitingFormalCheckQuery>>[number];

/** One page of the 形式审查 list, as read: the page shown (the last one when `asked` is past the end), how many pages, how many wait in all. */
export interface FormalCheckPage {
  rows: AwaitingFormalCheck[];
  total: number;
  page: number;
  pages: number;
  /** The page a button asked for, when it is past the end now (applications were checked since). */
  asked?: number;
}

/** Far past any list: a page asked for beyond it reads as this one, so the offset stays an ordinary number. */
const FARTHEST_PAGE = 100_000;

/**
 * One page of `size` of the applications waiting for the formal check, and their count: only that page is read.
 * Both are issued together (one round trip); a page past the end (checked since the button was drawn) reads the
 * last page after the count.
 */
export async function awaitingFormalCheckPage(tx: Db, asked: number, size: number): Promise<FormalCheckPage> {
  const want = Math.min(Math.max(1, Math.floor(asked) || 1), FARTHEST_PAGE);
  const [[counted], rows] = await Promise.all([
    tx.select({ n: sql<number>`count(*)::int` }).from(applications).where(awaitingFormalCheckWhere(tx)),
    awaitingFormalCheckQuery(tx)
      .limit(size)
      .offset((want - 1) * size),
  ]);
  const total = Number(counted?.n ?? 0);
  const pages = Math.max(1, Math.ceil(total / size));
  if (want <= pages) return { rows, total, page: want, pages };
  const last = total ? await awaitingFormalCheckQuery(tx).limit(size).offset((pages - 1) * size) : [];
  return { rows: last, total, page: pages, pages, asked: want };
}

/**
 * Which applications wait for a contact of `contactOpenIds` to confirm them (joined with teams and cycles): a year whose
 * review takes no more (reviewStillTakes) is not waiting for anyone: 进度 says it was not confirmed; nor is one back to
 * scoring for a sheet reopened after 汇总 (its 汇总 on record).
 */
const awaitingEndorsementWhere = (contactOpenIds: readonly string[]) =>
  and(
    inArray(teams.contactOpenId, [...contactOpenIds]),
    eq(applications.status, 'submitted'),
    inArray(cycles.status, ['open', 'scoring']),
    sql`not exists (select 1 from ${auditLog} l where l.entity = 'cycle' and l.entity_id = ${cycles.id}::text and l.action = 'cycle.closeScoring')`,
  );

/** Applications waiting for this contact's confirmation. */
export async function awaitingEndorsementBy(tx: Db, contactOpenId: string) {
  return tx
    .select({ application: applications, team: teams, organization: organizations.name, cycle: cycles })
    .from(applications)
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .innerJoin(cycles, eq(cycles.id, applications.cycleId))
    .innerJoin(organizations, eq(organizations.id, teams.organizationId))
    .where(awaitingEndorsementWhere([contactOpenId]))
    // the list pages through them: one order, whatever submitted at the same instant
    .orderBy(asc(applications.submittedAt), asc(applications.id));
}

/** How many applications wait for each of these contacts' confirmation (the 帮助 menu's 待确认申报（N）); one read. */
export async function awaitingEndorsementCounts(tx: Db, contactOpenIds: readonly string[]): Promise<Map<string, number>> {
  if (!contactOpenIds.length) return new Map();
  const rows = await tx
    .select({ contact: teams.contactOpenId, n: sql<number>`count(*)::int` })
    .from(applications)
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .innerJoin(cycles, eq(cycles.id, applications.cycleId))
    .where(awaitingEndorsementWhere(contactOpenIds))
    .groupBy(teams.contactOpenId);
  return new Map(rows.map((r) => [r.contact, Number(r.n)]));
}

/** An application as the cards show it: its team, year and state in words. */
export function summaryOf(application: Application, team: Team, organization: string, year: number): ApplicationSummary {
  return {
    id: application.id,
    year,
    statusLabel: applicationStatusNames[application.status as ApplicationStatus] ?? application.status,
    status: application.status,
    decision: application.status === 'decided' ? application.decision : null,
    team: { id: team.id, name: team.name, code: team.code, organization },
    display: formDisplay(applicationForm, application.form as Record<string, unknown> | null),
    ...(application.submittedAt ? { submitted: submissionOf(application) } : {}),
    ...(team.contactOpenId.startsWith('pending:') ? { contactPending: true } : {}),
    ...(team.leaderOpenId.startsWith('pending:') ? { leaderPending: true } : {}),
  };
}

/** The organisation's opinion, when it has given one. */
export function opinionOf(application: Application): string | undefined {
  const e = application.endorsement as { opinion?: string; decision?: string } | null;
  return e?.opinion;
}

/** The organisation's 推荐意见 from an application's `endorsement` when it recommended (第十五条); undefined otherwise or when blank. */
export function recommendationOf(endorsement: unknown): string | undefined {
  const e = endorsement as { opinion?: unknown; decision?: unknown } | null | undefined;
  return e?.decision === 'recommend' && typeof e.opinion === 'string' && e.opinion.trim() ? e.opinion.trim() : undefined;
}

/** Who recommended for the organisation: their name (people.name), else the open_id the endorsement stores; undefined before a recommendation. */
export function recommenderOf(application: Application, name: string | null | undefined): string | undefined {
  const by = (application.endorsement as { by?: unknown } | null)?.by;
  if (typeof by !== 'string' || !by) return undefined;
  return name?.trim() || by;
}

/** Code and name of the teams of some applications, by application id (a report names what is unfilled). */
export async function teamsOfApplications(tx: Db, ids: number[]): Promise<Map<number, { code: string; name: string }>> {
  if (!ids.length) return new Map();
  const rows = await tx
    .select({ id: applications.id, code: teams.code, name: teams.name })
    .from(applications)
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .where(inArray(applications.id, ids));
  return new Map(rows.map((r) => [r.id, { code: r.code, name: r.name }]));
}
