import { returnedNotesCard } from '../../cards/applications.js';
import { resubmittable, returnedOfTeams, returnNotes } from '../../src/applications.js';
import { getCycleByYear, getRunningCycle } from '../../src/cycles.js';
import { formatDateTimeZh, formatDateZh } from '../../src/dates.js';
import type { HandlerContext, IncomingText } from '../../src/handlers.js';
import { teamsOf } from '../../src/teams.js';
import { hasRole } from '../../src/people.js';
import { NO_YEAR_RUNNING_FOR_ADMIN } from '../../cards/strings.js';
import { sendPrivately, today } from '../respond.js';

/** Returned applications on one 退回原因 card: five opinions of 1 000 characters stay far under Feishu's 30 KB. */
const RETURNED_SHOWN = 5;

/**
 * 退回原因 / 为什么被退回 / why was it returned: the running year's returned applications of the caller's teams, each with
 * who returned it, when and the opinion (第十五条), and 修改申报 to its leader while it can still be submitted again;
 * a caller with none returned is told so.
 */
export async function sendReturnedNotes(ctx: HandlerContext, msg: IncomingText): Promise<void> {
  const key = `apply:returned:${ctx.eventId}`;
  const [views, cycle] = await Promise.all([teamsOf(ctx.tx, ctx.actor.openId), getRunningCycle(ctx.tx)]);
  const byTeam = new Map(views.map((v) => [v.team.id, v]));
  let returned = cycle ? await returnedOfTeams(ctx.tx, cycle.id, [...byTeam.keys()]) : [];
  // none this year: last year's returned ones, never submitted again, are what a team applying again asks about (their
  // opinion is what to mend); shown as that year's, closed, with where this year's form is
  const last = cycle && !returned.length && views.some((v) => v.myRole !== 'contact') ? await getCycleByYear(ctx.tx, cycle.year - 1) : undefined;
  const lastReturned = last ? await returnedOfTeams(ctx.tx, last.id, [...byTeam.keys()]) : [];
  const shown = last && lastReturned.length ? last : cycle;
  if (shown !== cycle) returned = lastReturned;
  if (!cycle || !shown || !returned.length) {
    const year = cycle ? ` ${cycle.year} 年度` : '';
    // a 单位联系人 in no team of their own: the teams they confirm for (第十五条), which they or the association's 形式审查 may return
    const contactOnly = views.length > 0 && views.every((v) => v.myRole === 'contact');
    const text = contactOnly
      ? `你确认推荐的 ${[...new Set(views.map((v) => v.organization))].join('、')} 的班组${year}没有被退回的申报（你退回的或协会形式审查退回的都没有）。发送“待确认”查看待你确认的申报，发送“进度”查看申报进展。`
      : views.length
        ? `你的班组${year}没有被退回的申报。发送“进度”查看申报进展。`
        : hasRole(ctx.actor, 'admin')
          ? // an administrator in no team: where the association sees the applications returned, not to register a team
            `你没有加入任何班组，没有被退回的申报。${cycle ? '各班组申报的状态（含退回的份数）在“管理”卡片的“评审进度”中查看。' : NO_YEAR_RUNNING_FOR_ADMIN}`
          : '你还没有加入任何班组，没有被退回的申报。班组长可以发送“注册”登记班组，发送“申报”填写年度申报。';
    await sendPrivately(ctx, msg, key, { text }, '回复');
    return;
  }
  const notes = await returnNotes(ctx.tx, returned.map((r) => r.id));
  const open = shown === cycle && resubmittable(cycle, today(ctx));
  const closedNote =
    shown === cycle
      ? `${cycle.year} 年度申报已于 ${formatDateZh(cycle.applicationDeadline)} 截止，这份申报不能再修改提交，不参加本年度评审；可参加下一年度评选（第十九条）。`
      : `这是 ${shown.year} 年度的申报，退回后未重新提交，没有参加 ${shown.year} 年度评审。${
          resubmittable(cycle, today(ctx))
            ? `现在受理 ${cycle.year} 年度申报（${formatDateZh(cycle.applicationDeadline)} 截止）：班组长发送“申报”填写，按退回意见修改后提交（尚未开始填写的，可点申报表上的“沿用 ${shown.year} 年度内容”）。`
            : `${cycle.year} 年度申报开启后可再申报（第十九条），发送“进度”查看。`
        }`;
  const items = returned.slice(0, RETURNED_SHOWN).map((r) => {
    const view = byTeam.get(r.teamId)!;
    const n = notes.get(r.id) ?? { by: 'organization' as const, name: null, at: null, opinion: '' };
    return {
      team: { id: view.team.id, name: view.team.name, code: view.team.code },
      note: { by: n.by, name: n.name, opinion: n.opinion || '（未填写）', ...(n.at ? { at: formatDateTimeZh(n.at, ctx.config.BOT_TIMEZONE) } : {}) },
      canEdit: open && view.myRole === 'leader',
      ...(open ? {} : { closedNote }),
    };
  });
  const more = returned.length - items.length;
  const card = returnedNotesCard(shown.year, items, more);
  await sendPrivately(ctx, msg, key, { card }, '退回意见');
}
