import { STATUS_PAGE, type StatusEntry, statusCard } from '../../cards/teams.js';
import type { Db } from '../../db/index.js';
import { applicationStatusNames, type ApplicationStatus, barEnds, mayApply, oneYearAfter, resubmittable, returnNotes } from '../../src/applications.js';
import { daysBetween, formatDateTimeZh, formatDateZh, todayIn } from '../../src/dates.js';
import { revocationBarDays } from '../../src/policy.js';
import type { CardActionInput, HandlerContext, IncomingText } from '../../src/handlers.js';
import { teamStatusesOf, teamsOf } from '../../src/teams.js';
import { aggregatedBefore, getRunningCycle } from '../../src/cycles.js';
import { hasRole, loadActor } from '../../src/people.js';
import { expertProgress } from '../../src/review/scoring.js';
import { pageFrom, raw, sendPrivately, today } from '../respond.js';
import { teamData } from './view.js';

/** Everything the 进度 card needs for the caller; in no team, an expert's or an administrator's own work instead. */
export function statusCardFor(ctx: HandlerContext, page = 1) {
  const work = { expert: hasRole(ctx.actor, 'expert'), admin: hasRole(ctx.actor, 'admin') };
  return statusCardOf(ctx.tx, ctx.actor.openId, today(ctx), page, ctx.config.BOT_TIMEZONE, ctx.clock.now(), work);
}

/** Whether the caller of a 进度 card is an expert or an administrator, whose own work it shows when they are in no team. */
type Work = { expert?: boolean; admin?: boolean };

/**
 * The roles of `openId` as the database and ADMIN_OPEN_IDS hold them, for a 进度 card drawn where no actor was read (the
 * one-statement 保存 of 班组资料, by an administrator in no team): read only when the card has no team to show.
 */
export function workOf(db: Db, openId: string, bootstrapAdmins: readonly string[]): () => Promise<Work> {
  return async () => {
    const actor = await loadActor(db, openId, bootstrapAdmins);
    return { expert: hasRole(actor, 'expert'), admin: hasRole(actor, 'admin') };
  };
}

/**
 * The 进度 card of `openId` on `now` (the bot's today): the teams, the running cycle and every team's rows read together,
 * one round trip. `work`: the caller is an expert or an administrator, told where their own work is when in no team
 * (an expert's sheets read only then).
 */
export async function statusCardOf(
  db: Db,
  openId: string,
  now: string,
  page = 1,
  timezone = 'Asia/Shanghai',
  at = new Date(),
  work: Work | (() => Promise<Work>) = {},
) {
  const [views, cycle, statuses] = await Promise.all([teamsOf(db, openId), getRunningCycle(db), teamStatusesOf(db, openId)]);
  const cycleTakesApplications = cycle?.status === 'open' && now <= cycle.applicationDeadline;
  // a year back to scoring for a sheet reopened after 汇总 takes no application in either (reviewStillTakes)
  const takesIn = cycle?.status === 'open' || (cycle?.status === 'scoring' && !(await aggregatedBefore(db, cycle.id)));
  // submitted and never confirmed by its contact, once its year's review takes no more (汇总, results out, or a year
  // gone by): out of that year, as a draft or a returned application left past the deadline is
  const outOfYear = (a: { year: number }) => !(cycle && cycle.year === a.year && takesIn);
  const lapsed = (a: { year: number; status: string }) => a.status === 'submitted' && outOfYear(a);
  // returned and not submitted again by then: out of that year too (told so when the results were published)
  const statusLabelOf = (a: { year: number; status: string }) =>
    lapsed(a)
      ? '单位未确认，未参加本年度评审'
      : a.status === 'returned' && outOfYear(a)
        ? '退回后未重新提交，未参加本年度评审'
        : // returned once the year's applications closed: it can no longer be submitted again, so not 退回修改
          a.status === 'returned' && cycle?.year === a.year && !resubmittable(cycle, now)
          ? '已退回，不参加本年度评审'
        : a.status === 'draft' && outOfYear(a)
          ? '草稿未提交，未参加本年度评审'
          : (applicationStatusNames[a.status as ApplicationStatus] ?? a.status);
  const entries: StatusEntry[] = [];
  // the running year at a glance, for a caller with more teams than one page shows (a contact may have hundreds)
  const byStatus = new Map<string, number>();
  let awaitingMe = 0;
  for (const view of views) {
    // a team found by teamsOf whose rows the read beside it did not see (changed in between) shows none
    const { applications, honours, certificates } = statuses.get(view.team.id) ?? { applications: [], honours: [], certificates: new Map<number, string>() };
    const eligibleFrom = oneYearAfter(view.team.registeredAt);
    // E5: the latest title revoked, and whether the association's bar still holds today
    const revokedAt = honours.reduce<Date | undefined>((last, h) => (h.revokedAt && (!last || h.revokedAt > last) ? h.revokedAt : last), undefined);
    const barDays = revocationBarDays(cycle);
    // the bar runs from the moment of the revocation (recentRevocation): it holds while that moment plus its days is ahead
    const barEnd = revokedAt ? barEnds(revokedAt, barDays, timezone) : undefined;
    const revokedYear = honours.find((h) => h.revokedAt?.getTime() === revokedAt?.getTime())?.year;
    const current = cycle ? applications.find((a) => a.year === cycle.year) : undefined;
    // mayApply: 年度申报 offered, and what is said next, by the rule 帮助 and 申报 follow
    const apply = cycle && cycleTakesApplications ? mayApply({ registeredAt: view.team.registeredAt, active: view.team.status === 'active', revokedAt, status: current?.status }, cycle, timezone, at) : undefined;
    const label = current ? statusLabelOf(current) : '未申报';
    byStatus.set(label, (byStatus.get(label) ?? 0) + 1);
    if (current?.status === 'submitted' && !lapsed(current) && view.myRole !== 'leader' && view.myRole !== 'member') awaitingMe++;
    entries.push({
      team: teamData({ ...view.team, organization: view.organization }),
      myRole: view.myRole === 'admin' ? 'contact' : view.myRole,
      eligibleFrom: formatDateZh(eligibleFrom),
      daysUntilEligible: Math.max(0, daysBetween(now, eligibleFrom)),
      applications: applications.map((a) => ({
        id: a.id,
        year: a.year,
        statusLabel: statusLabelOf(a),
        title: a.title,
        // a score is the team's once published: before, the association may still reopen a sheet
        finalScore: a.status === 'decided' ? a.finalScore : null,
        decision: a.status === 'decided' ? a.decision : null,
        // its title revoked since (第二十二条): said here as under 荣誉 and in the results
        revoked: a.status === 'decided' && a.decision === 'awarded' && honours.some((h) => h.year === a.year && h.revokedAt !== null),
      })),
      yearTakesApplications: cycleTakesApplications,
      yearSummed: cycle?.status === 'closed',
      openYear: cycle && cycleTakesApplications ? { year: cycle.year, deadline: formatDateZh(cycle.applicationDeadline) } : undefined,
      barred: barEnd && barEnd > at && revokedYear !== undefined ? { days: barDays, until: todayIn(timezone, barEnd), untilText: formatDateTimeZh(new Date(Math.ceil(barEnd.getTime() / 60_000) * 60_000), timezone), revokedYear } : undefined,
      current: current && { id: current.id, status: current.status, decision: current.status === 'decided' ? current.decision : null, lapsed: lapsed(current) },
      honours: honours.map((h) => ({ year: h.year, revoked: h.revokedAt !== null, recommended: h.recommended, certificate: certificates.get(h.id) })),
      apply,
    });
  }
  // a returned application of the running year says who returned it and why (the whole opinion: 退回原因); one read, only when there is one
  const returned = entries.flatMap((e) => (e.current?.status === 'returned' ? [e.current] : []));
  const notes = await returnNotes(db, returned.map((c) => c.id));
  for (const c of returned) {
    const n = notes.get(c.id);
    if (n) c.returned = { by: n.by, name: n.name, opinion: n.opinion, ...(n.at ? { at: formatDateZh(todayIn(timezone, n.at)) } : {}) };
  }
  const summary = cycle && entries.length > STATUS_PAGE ? { year: cycle.year, counts: [...byStatus], awaitingMe } : undefined;
  const theirs = !entries.length ? (typeof work === 'function' ? await work() : work) : {};
  if (theirs.expert || theirs.admin) {
    return statusCard(entries, page, summary, { admin: theirs.admin, running: !!cycle, ...(theirs.expert ? { expert: await expertProgress(db, openId) } : {}) });
  }
  return statusCard(entries, page, summary);
}

export async function sendStatus(ctx: HandlerContext, msg: IncomingText): Promise<void> {
  await sendPrivately(ctx, msg, `team:status:${ctx.eventId}`, { card: await statusCardFor(ctx) }, '进度卡片');
}

/** More teams than this named in 班组编号's answer: the rest are on the 进度 card. */
const CODES_NAMED = 10;
const codeRole: Record<string, string> = { leader: '班组长', member: '成员', contact: '单位联系人', admin: '协会管理员' };

/**
 * 班组编号 / 我的班组编号是多少 / my team code: the codes of the caller's teams, as the 进度 card shows them beside each
 * name; someone of no team is told when a team gets one and where any team's is found.
 */
export async function sendTeamCodes(ctx: HandlerContext, msg: IncomingText): Promise<void> {
  const mine = await teamsOf(ctx.tx, ctx.actor.openId);
  const named = mine.slice(0, CODES_NAMED).map((v) => `${v.team.name}（${codeRole[v.myRole]}）：${v.team.code}`);
  const more = mine.length > CODES_NAMED ? `\n另有 ${mine.length - CODES_NAMED} 个班组，发送“进度”查看。` : '';
  // an administrator or an expert has no team of their own to register: where the teams' codes are for them
  const staff = hasRole(ctx.actor, 'admin')
    ? '各班组的编号在名册中，发送“导出名册”获取；查看某个班组的变更，发送“变更记录 班组编号”。'
    : hasRole(ctx.actor, 'expert')
      ? '你评审的申报的班组编号写在评分任务卡片上，发送“评分”查看。'
      : undefined;
  const text = mine.length
    ? `你的班组编号：\n${named.join('\n')}${more}\n编号也显示在“进度”卡片的班组名称后。`
    : staff
      ? `你没有加入任何班组。${staff}`
      : '你还没有登记在任何班组中：班组注册时得到班组编号（如 GDSZ-2025-0001），发送“注册”登记班组；已有班组的，请班组长发送“进度”查看编号。要查看某个班组获得的称号，发送“查询证书 班组全称”。';
  await sendPrivately(ctx, msg, `team:codes:${ctx.eventId}`, { text }, '回复');
}

/** `team.status` (我的班组, 查看进度, 上一页 / 下一页). */
export async function showStatus(ctx: HandlerContext, input?: CardActionInput) {
  return raw(await statusCardFor(ctx, input ? pageFrom(input.value) : 1));
}
