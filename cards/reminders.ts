import { formatDateZh } from '../src/dates.js';
import { button, buttonRow, card, type Card, type Element, fields, markdown, note, md, mdJoin, mention } from './kit.js';

/** Scheduled reminders (第十六条, 第十九条) and the administrators' digest. */

/** A digest's period as people read it: the day (2026年12月1日) or the ISO week (2026-W49 → 2026年第49周). */
const zhPeriod = (period: string) => {
  const week = /^(\d{4})-W(\d{2})$/.exec(period);
  return week ? `${week[1]}年第${Number(week[2])}周` : formatDateZh(period);
};

const when = (daysLeft: number) => (daysLeft > 1 ? `还有 ${daysLeft} 天` : daysLeft === 1 ? '明天' : daysLeft === 0 ? '今天' : `已逾期 ${-daysLeft} 天`);

export interface ReminderTeam {
  id: number;
  name: string;
  code: string;
}

/** A team that may apply whose bar after a revoked title ends by the deadline but after now: cards/strings.ts submitFromLine, said beside it. */
interface SubmitFrom {
  submitFrom?: string;
}

/** A team's own clause, after what else is said of it: `；<submitFrom>`, or nothing. */
const thenSubmit = (t: SubmitFrom) => (t.submitFrom ? `；${t.submitFrom}` : '');

/** To a leader of an eligible team with a draft, a returned form or no application yet. */
export function applyDeadlineLeaderCard(opts: { year: number; deadline: string; daysLeft: number; team: ReminderTeam; state: 'none' | 'draft' | 'returned' }): Card {
  const state = { none: '尚未填写申报表', draft: '申报表还是草稿，尚未提交', returned: '申报被退回，尚未重新提交' }[opts.state];
  return card({
    title: `${opts.year} 年度申报${when(opts.daysLeft)}截止`,
    subtitle: opts.team.name,
    template: opts.daysLeft <= 1 ? 'red' : 'orange',
    summary: `${opts.year} 年度申报 ${formatDateZh(opts.deadline)} 截止`,
    elements: [
      // eligible is a year old by the deadline (第十六条), which may still be ahead of its anniversary
      markdown(md`**${opts.team.name}**（${opts.team.code}）申报截止时注册满一年，可参加 ${opts.year} 年度评选（第十六条）；${state}。`),
      fields([['申报截止', formatDateZh(opts.deadline)]]),
      note('提交后还须经所在单位确认推荐（第十五条），请给单位联系人留出时间。'),
      buttonRow([button({ text: opts.state === 'none' ? '填写申报表' : '继续填写', type: 'primary', value: { action: 'application.open', teamId: opts.team.id } })]),
    ],
  });
}

/** A team in a leader's reminder and its application as it is now. */
export interface LeaderReminderTeam extends ReminderTeam, SubmitFrom {
  state: 'none' | 'draft' | 'returned';
}

const STATE_ZH = { none: '尚未填写申报表', draft: '申报表还是草稿，尚未提交', returned: '申报被退回，尚未重新提交' } as const;
/** Buttons a person's reminder carries, one per team (the rest are reached by 申报, which lets them choose). */
const LEADER_BUTTONS_SHOWN = 5;

/**
 * A person's reminder of the application deadline, one card whatever they have to do: each eligible team they lead
 * with no application, a draft or a returned one (第十六条), and the applications waiting for their confirmation as
 * the organisation's contact (第十五条).
 */
export function applyDeadlineCard(opts: { year: number; deadline: string; daysLeft: number; teams: LeaderReminderTeam[]; toConfirm: ReminderTeam[] }): Card {
  const { teams, toConfirm } = opts;
  const elements: Element[] = [];
  if (teams.length === 1) {
    const [t] = teams;
    elements.push(markdown(md`**${t.name}**（${t.code}）申报截止时注册满一年，可参加 ${opts.year} 年度评选（第十六条）；${STATE_ZH[t.state]}${thenSubmit(t)}。`));
  } else if (teams.length) {
    const list = mdJoin(teams.map((t) => md`- **${t.name}**（${t.code}）：${STATE_ZH[t.state]}${thenSubmit(t)}`), '\n');
    elements.push(markdown(md`你负责的 ${teams.length} 个班组申报截止时注册满一年，可参加 ${opts.year} 年度评选（第十六条）：\n${list}`));
  }
  if (toConfirm.length) {
    const shown = mdJoin(toConfirm.slice(0, CONTACT_TEAMS_SHOWN).map((t) => md`- ${t.name}（${t.code}）`), '\n');
    const more = toConfirm.length > CONTACT_TEAMS_SHOWN ? `\n等 ${toConfirm.length} 个班组，按“去确认”逐份查看。` : '';
    elements.push(
      markdown(
        teams.length
          ? md`另有 **${toConfirm.length}** 份申报待你以单位联系人身份确认（第十五条）：\n${shown}${more}`
          : md`第十五条：申报材料须经所在单位确认并填写推荐意见。以下班组已提交，等待你确认：\n${shown}${more}`,
      ),
    );
  }
  elements.push(fields([['申报截止', formatDateZh(opts.deadline)]]));
  if (teams.length) elements.push(note(teams.length > LEADER_BUTTONS_SHOWN ? '提交后还须经所在单位确认推荐（第十五条），请给单位联系人留出时间。其余班组请发送“申报”选择。' : '提交后还须经所在单位确认推荐（第十五条），请给单位联系人留出时间。'));
  const verb = (t: LeaderReminderTeam) => (t.state === 'none' ? '填写申报表' : '继续填写');
  elements.push(
    buttonRow([
      ...teams.slice(0, LEADER_BUTTONS_SHOWN).map((t, i) =>
        button({ text: teams.length === 1 ? verb(t) : `${verb(t)}：${t.name}`, ...(i === 0 ? { type: 'primary' as const } : {}), value: { action: 'application.open', teamId: t.id } }),
      ),
      ...(toConfirm.length ? [button({ text: '去确认', ...(teams.length ? {} : { type: 'primary' as const }), value: { action: 'endorse.list' } })] : []),
    ]),
  );
  return card({
    title: teams.length ? `${opts.year} 年度申报${when(opts.daysLeft)}截止` : `${toConfirm.length} 份申报待你确认，${when(opts.daysLeft)}截止`,
    subtitle: teams.length === 1 && !toConfirm.length ? teams[0].name : `${opts.year} 年度质量信得过班组申报`,
    template: opts.daysLeft <= 1 ? 'red' : 'orange',
    summary: `${opts.year} 年度申报 ${formatDateZh(opts.deadline)} 截止`,
    elements,
  });
}

/** A team in the notice that a year's applications opened: whether it is a year old by the deadline (第十六条), and when it is. */
export interface OpenNoticeTeam extends ReminderTeam, SubmitFrom {
  /** The day it has been registered a year. */
  yearOldOn: string;
  eligible: boolean;
}

/**
 * To a leader when the association opens a year's applications (the promise of 申报 and of the 满一年 card): each of
 * their teams, those a year old by the deadline with a button to apply, the others told when they are and that 第十六条
 * leaves them to the next year.
 */
export function applyOpenCard(opts: { year: number; deadline: string; daysLeft: number; teams: OpenNoticeTeam[] }): Card {
  const eligible = opts.teams.filter((t) => t.eligible);
  const young = opts.teams.filter((t) => !t.eligible);
  const elements: Element[] = [markdown(md`协会已开启 **${opts.year} 年度**质量信得过班组申报，${formatDateZh(opts.deadline)} 截止（${when(opts.daysLeft)}）。`)];
  if (eligible.length === 1 && !young.length) elements.push(markdown(md`**${eligible[0].name}**（${eligible[0].code}）申报截止时注册满一年，可以申报（第十六条）${thenSubmit(eligible[0])}。`));
  else if (eligible.length) elements.push(markdown(md`可以申报（申报截止时注册满一年，第十六条）：\n${mdJoin(eligible.map((t) => md`- **${t.name}**（${t.code}）${t.submitFrom ? `：${t.submitFrom}` : ''}`), '\n')}`));
  if (young.length) {
    const list = mdJoin(young.map((t) => md`- **${t.name}**（${t.code}）：${formatDateZh(t.yearOldOn)} 满一年`), '\n');
    elements.push(markdown(md`第十六条：班组注册满一年方可申报。以下班组申报截止时未满一年，本年度不能申报，可参加下一年度评选：\n${list}`));
  }
  elements.push(fields([['申报截止', formatDateZh(opts.deadline)]]));
  if (eligible.length) {
    elements.push(note(eligible.length > LEADER_BUTTONS_SHOWN ? '提交后还须经所在单位确认推荐（第十五条）。其余班组请发送“申报”选择。' : '提交后还须经所在单位确认推荐（第十五条）。'));
    elements.push(
      buttonRow(
        eligible
          .slice(0, LEADER_BUTTONS_SHOWN)
          .map((t, i) => button({ text: eligible.length === 1 ? '立即申报' : `申报：${t.name}`, ...(i === 0 ? { type: 'primary' as const } : {}), value: { action: 'application.open', teamId: t.id } })),
      ),
    );
  }
  return card({
    title: `${opts.year} 年度申报已开启`,
    subtitle: opts.teams.length === 1 ? opts.teams[0].name : `${opts.year} 年度质量信得过班组申报`,
    template: 'green',
    summary: `${opts.year} 年度申报 ${formatDateZh(opts.deadline)} 截止`,
    elements,
  });
}

/** To an organisation contact with applications waiting for confirmation (第十五条). */
/** Teams a contact's reminder names; the rest are counted (a large organisation stays within Feishu's ~30 KB card). */
const CONTACT_TEAMS_SHOWN = 30;

export function applyDeadlineContactCard(opts: { year: number; deadline: string; daysLeft: number; teams: ReminderTeam[] }): Card {
  return card({
    title: `${opts.teams.length} 份申报待你确认，${when(opts.daysLeft)}截止`,
    subtitle: `${opts.year} 年度质量信得过班组申报`,
    template: opts.daysLeft <= 1 ? 'red' : 'orange',
    elements: [
      markdown(md`第十五条：申报材料须经所在单位确认并填写推荐意见。以下班组已提交，等待你确认：\n${mdJoin(opts.teams.slice(0, CONTACT_TEAMS_SHOWN).map((t) => md`- ${t.name}（${t.code}）`), '\n')}${opts.teams.length > CONTACT_TEAMS_SHOWN ? `\n等 ${opts.teams.length} 个班组，按“去确认”逐份查看。` : ''}`),
      fields([['申报截止', formatDateZh(opts.deadline)]]),
      buttonRow([button({ text: '去确认', type: 'primary', value: { action: 'endorse.list' } })]),
    ],
  });
}

/** What becomes of an application still unconfirmed once the applications are closed (a late 推荐 is taken until 汇总). */
const UNCONFIRMED_AFTER_DEADLINE = '协会“结束评分并汇总”前仍未经单位确认的申报，不参加本年度评审。';

/** To an organisation contact, at 截止申报: the applications submitted in time that still wait for them (第十五条). */
export function unconfirmedAtDeadlineContactCard(opts: { year: number; teams: ReminderTeam[] }): Card {
  return card({
    title: `${opts.year} 年度申报已截止：${opts.teams.length} 份申报仍待你确认`,
    subtitle: `${opts.year} 年度质量信得过班组申报`,
    template: 'red',
    elements: [
      markdown(md`第十五条：申报材料须经所在单位确认并填写推荐意见。以下班组已按时提交，仍等待你确认：\n${mdJoin(opts.teams.slice(0, CONTACT_TEAMS_SHOWN).map((t) => md`- ${t.name}（${t.code}）`), '\n')}${opts.teams.length > CONTACT_TEAMS_SHOWN ? `\n等 ${opts.teams.length} 个班组，按“去确认”逐份查看。` : ''}`),
      note(`${UNCONFIRMED_AFTER_DEADLINE}请尽快核实后推荐或退回修改。`),
      buttonRow([button({ text: '去确认', type: 'primary', value: { action: 'endorse.list' } })]),
    ],
  });
}

/** To a leader, at 截止申报: their teams' applications submitted in time that still wait for the contact (one card for all). */
export function unconfirmedAtDeadlineLeaderCard(opts: { year: number; teams: ReminderTeam[] }): Card {
  const one = opts.teams.length === 1 ? opts.teams[0] : undefined;
  return card({
    title: one ? `${opts.year} 年度申报已截止：单位尚未确认` : `${opts.year} 年度申报已截止：${opts.teams.length} 份申报单位尚未确认`,
    subtitle: one ? one.name : `${opts.year} 年度质量信得过班组申报`,
    template: 'orange',
    elements: [
      markdown(
        one
          ? md`**${one.name}**（${one.code}）的申报已按时提交，单位联系人尚未确认（第十五条）。`
          : md`以下班组的申报已按时提交，单位联系人尚未确认（第十五条）：\n${mdJoin(opts.teams.slice(0, CONTACT_TEAMS_SHOWN).map((t) => md`- ${t.name}（${t.code}）`), '\n')}${opts.teams.length > CONTACT_TEAMS_SHOWN ? `\n等 ${opts.teams.length} 个班组，按“查看进度”逐个查看。` : ''}`,
      ),
      note(`${UNCONFIRMED_AFTER_DEADLINE}请提醒单位联系人尽快确认。`),
      buttonRow([button({ text: '查看进度', value: { action: 'team.status' } })]),
    ],
  });
}

/** A team whose application was not submitted when the applications were closed early: a draft, or returned and not resubmitted. */
export interface CutOffTeam extends ReminderTeam {
  state: 'draft' | 'returned';
}

const CUT_OFF_ZH = { draft: '申报表还是草稿，尚未提交', returned: '申报被退回修改，尚未重新提交' } as const;

/**
 * To a leader, at a 截止申报 before the announced deadline: the year's applications closed that day, and their teams'
 * drafts (or returned applications) were not submitted and take no part in the year (one card for all their teams).
 */
export function closedEarlyLeaderCard(opts: { year: number; closedOn: string; announced: string; teams: CutOffTeam[] }): Card {
  const one = opts.teams.length === 1 ? opts.teams[0] : undefined;
  // closed on the deadline day itself: before the day's end, which the announced date gave the applicants
  const onTheDay = opts.closedOn === opts.announced;
  const closed = onTheDay
    ? md`协会已在截止日（${formatDateZh(opts.announced)}）当天截止${opts.year}年度申报，此后不再接受提交。`
    : md`协会已于${formatDateZh(opts.closedOn)}提前截止${opts.year}年度申报（原定${formatDateZh(opts.announced)}截止），此后不再接受提交。`;
  return card({
    title: onTheDay ? `${opts.year} 年度申报已截止` : `${opts.year} 年度申报已提前截止`,
    subtitle: one ? one.name : `${opts.year} 年度质量信得过班组申报`,
    template: 'red',
    summary: onTheDay ? `${opts.year} 年度申报已于${formatDateZh(opts.closedOn)}截止` : `${opts.year} 年度申报已于${formatDateZh(opts.closedOn)}提前截止`,
    elements: [
      markdown(
        one
          ? md`${closed}\n**${one.name}**（${one.code}）的${CUT_OFF_ZH[one.state]}，未能参加本年度评审。`
          : md`${closed}\n以下班组的申报未提交，未能参加本年度评审：\n${mdJoin(opts.teams.slice(0, CONTACT_TEAMS_SHOWN).map((t) => md`- **${t.name}**（${t.code}）：${CUT_OFF_ZH[t.state]}`), '\n')}${opts.teams.length > CONTACT_TEAMS_SHOWN ? `\n等 ${opts.teams.length} 个班组，按“查看进度”逐个查看。` : ''}`,
      ),
      note('如有疑问，请联系协会管理员。'),
      buttonRow([button({ text: '查看进度', value: { action: 'team.status' } })]),
    ],
  });
}

/** To an expert with unfinished scoring tasks; the button opens the next one. */
/**
 * To an expert: the sheets still to score and the 评分截止. `givenAfterDeadline`: every one of them was given after the
 * deadline (更换专家, 分配专家 or 重开评分 then), so the expert is asked to score soon, not told they are days overdue.
 */
export function scoringDeadlineCard(opts: {
  year: number;
  cycleId: number;
  deadline: string;
  daysLeft: number;
  pending: number;
  givenAfterDeadline?: boolean;
  /** The review meeting (第十九条) and the days to it: from its day on, a late sheet no longer delays it, the meeting waits for it. */
  meeting?: { date: string; daysLeft: number };
}): Card {
  const overdue = opts.daysLeft < 0;
  const lateGiven = overdue && !!opts.givenAfterDeadline;
  const meetingCame = opts.meeting && opts.meeting.daysLeft <= 0 ? opts.meeting : undefined;
  const waiting = meetingCame
    ? `${meetingCame.daysLeft === 0 ? `评审会今天（${formatDateZh(meetingCame.date)}）召开` : `评审会已于 ${formatDateZh(meetingCame.date)} 召开`}，协会正在等你的评分表，请尽快完成（第十九条）；如需回避或无法评审，请在任务中说明。`
    : undefined;
  return card({
    title: lateGiven ? '请尽快完成评分' : overdue ? `评分已逾期 ${-opts.daysLeft} 天` : `专家评分${when(opts.daysLeft)}截止`,
    subtitle: `${opts.year} 年度质量信得过班组评审`,
    template: lateGiven ? 'orange' : overdue || opts.daysLeft <= 1 ? 'red' : 'orange',
    elements: [
      markdown(md`你还有 **${opts.pending}** 份申报未完成评分。`),
      fields([['评分截止', formatDateZh(opts.deadline)]]),
      note(
        overdue && waiting
          ? md`${waiting}`
          : lateGiven
          ? '本年度专家评分已截止，这些评分任务是截止后交给你的（分配、更换或重开），请尽快完成，以免推迟评审会（第十九条）；如需回避或无法评审，请在任务中说明。'
          : overdue
            ? '评分逾期会推迟评审会（第十九条），请尽快完成；如需回避或无法评审，请在任务中说明。'
            : '评分依据本年度评分表（第十八条）。',
      ),
      buttonRow([button({ text: '开始下一份评分', type: 'primary', value: { action: 'review.next', cycleId: opts.cycleId } })]),
    ],
  });
}

/**
 * To a group bound for the experts (绑定通知 专家): how many sheets are still to score, and by how many experts, with no
 * name or task in it (第十七条: experts are blind to each other); each expert scores in their own chat.
 */
export function scoringDeadlineGroupCard(opts: { year: number; deadline: string; daysLeft: number; pending: number; experts: number }): Card {
  const overdue = opts.daysLeft < 0;
  return card({
    title: overdue ? `专家评分已逾期 ${-opts.daysLeft} 天` : `专家评分${when(opts.daysLeft)}截止`,
    subtitle: `${opts.year} 年度质量信得过班组评审`,
    template: overdue || opts.daysLeft <= 1 ? 'red' : 'orange',
    summary: `${opts.year} 年度专家评分 ${formatDateZh(opts.deadline)} 截止`,
    elements: [
      markdown(md`尚有 **${opts.pending}** 份评分未提交，涉及 **${opts.experts}** 位专家。`),
      fields([['评分截止', formatDateZh(opts.deadline)]]),
      note('请各位专家私聊我发送“评分”，在卡片内完成评分（第十八条）；各位专家的评分互不可见（第十七条）。'),
    ],
  });
}

/** 第十九条: the review meeting ahead, to the admin group or to an accepted applicant. */
export function reviewMeetingCard(opts: {
  year: number;
  date: string;
  daysLeft: number;
  audience: 'admin' | 'applicant';
  team?: ReminderTeam;
  teams?: ReminderTeam[];
  accepted?: number;
  /** To the administrators: what the year still waits for from them before the meeting (截止申报, 分配专家, the experts' sheets, 汇总). */
  due?: string;
}): Card {
  // an applicant leading several accepted teams hears of them all in one card
  const teams = opts.teams ?? (opts.team ? [opts.team] : []);
  const named = mdJoin(teams.map((t) => md`**${t.name}**（${t.code}）`), '、');
  const body =
    opts.audience === 'admin'
      ? md`${opts.year} 年度质量信得过班组评审交流会定于 **${formatDateZh(opts.date)}**（${when(opts.daysLeft)}）。受理的申报 ${opts.accepted ?? 0} 份。`
      : md`${named}的申报已受理，${opts.year} 年度评审交流会定于 **${formatDateZh(opts.date)}**（${when(opts.daysLeft)}）。`;
  return card({
    title: `评审会${when(opts.daysLeft)}举行`,
    subtitle: `${opts.year} 年度质量信得过班组评审`,
    template: 'violet',
    elements: [
      markdown(body),
      ...(opts.due ? [markdown(md`**评审会前尚需**：${opts.due}`), buttonRow([button({ text: '协会管理', type: 'primary', value: { action: 'admin.menu' } })])] : []),
      note('第十九条：成果评审交流活动每年一次。具体安排以协会通知为准。'),
    ],
  });
}

/**
 * 第十六条: the day a team has been registered a year; `lateSince` is that day when the card comes after it (the
 * bot was down on the day), so it does not say "today".
 */
export function anniversaryCard(opts: {
  team: ReminderTeam & { registeredAt: string };
  cycle?: { year: number; applicationDeadline: string };
  lateSince?: string;
  /** The team's application in the open cycle, when it has one to finish. */
  state?: 'draft' | 'returned';
}): Card {
  const since = opts.lateSince ? `已满一年（${formatDateZh(opts.lateSince)}起）` : '今天已满一年';
  const elements: Element[] = [
    markdown(md`**${opts.team.name}**（${opts.team.code}）于 ${formatDateZh(opts.team.registeredAt)} 注册，${since}，可以参加质量信得过班组评选了（第十六条）。`),
  ];
  if (opts.cycle) {
    const toFinish = opts.cycle && opts.state ? { draft: '申报表还是草稿，尚未提交，请在截止前提交。', returned: '申报被退回，尚未重新提交，请修改后在截止前提交。' }[opts.state] : undefined;
    if (toFinish) elements.push(markdown(md`${opts.cycle.year} 年度${toFinish}`));
    elements.push(
      fields([['申报截止', `${opts.cycle.year} 年度：${formatDateZh(opts.cycle.applicationDeadline)}`]]),
      buttonRow([button({ text: toFinish ? '继续填写' : '立即申报', type: 'primary', value: { action: 'application.open', teamId: opts.team.id } })]),
    );
  } else {
    elements.push(note('协会开启年度申报后我会通知你。'));
  }
  return card({ title: '班组注册满一年', subtitle: opts.team.name, template: 'green', elements });
}

export interface DigestData {
  kind: 'daily' | 'weekly';
  /** The day (YYYY-MM-DD) or the ISO week (YYYY-Www), shown as people read them. */
  period: string;
  cycle?: {
    year: number;
    statusLabel: string;
    counts: [string, number][];
    scoringDeadline: string;
    applicationDeadline?: string;
    /** The application deadline has passed (in the bot's time zone) and the cycle still takes applications: 截止申报 is due. */
    closeApplicationsDue?: boolean;
  };
  /** `recused`: tasks the expert must step aside from (第十七条), waiting for 更换专家, not counted in `pending`; their teams' codes. */
  overdueExperts: { openId: string; name: string | null; pending: number; recused?: number; recusedTeams?: string[] }[];
  openComplaints: { total: number; oldest: { reference: string; teamName: string; daysOpen: number }[] };
  /** Titles whose run of upheld complaints awaits 撤销 / 保留 (第二十二条), the longest awaited first; `days` since it became due. */
  titlesAwaiting?: { honourId: number; teamName: string; teamCode: string; year: number; run: number; days: number }[];
  /** Messages given up on (status dead): refused for good, or retried until the attempts ran out; each raised an alert. */
  deadLetters: number;
  /** Messages Feishu said cannot reach their receiver (the bot stopped, out of the chat): no alert each. */
  undeliverable?: number;
}

/** Titles awaiting 撤销 / 保留 listed one by one in a digest, each with its 决定; the rest are counted. */
export const digestTitlesListed = 5;

/** The administrators' digest: only drawn when there is something to say. */
export function digestCard(d: DigestData): Card {
  const elements: Element[] = [];
  if (d.cycle) {
    const counts = d.cycle.counts.filter(([, n]) => n > 0);
    elements.push(markdown(md`**${d.cycle.year} 年度评审：${d.cycle.statusLabel}**\n${counts.length ? counts.map(([label, n]) => `${label} ${n}`).join(' · ') : '暂无申报'}`));
    if (d.cycle.closeApplicationsDue && d.cycle.applicationDeadline) {
      elements.push(markdown(md`**申报已于 ${formatDateZh(d.cycle.applicationDeadline)} 截止**：请在“管理”中点“截止申报”，随后分配专家。`));
    }
  }
  const overdue = d.overdueExperts.filter((e) => e.pending > 0);
  if (overdue.length) {
    const shown = overdue.slice(0, 20).map((e) => md`- ${mention(e.openId)}${e.name ? ` ${e.name}` : ''}：${e.pending} 份未评`);
    elements.push(markdown(md`**评分已逾期（截止 ${d.cycle ? formatDateZh(d.cycle.scoringDeadline) : '—'}）**\n${mdJoin(shown, '\n')}${overdue.length > 20 ? md`\n…共 ${overdue.length} 位专家` : ''}`));
  }
  // not the experts' delay but the association's to mend (第十七条): named, not @-mentioned
  const aside = d.overdueExperts.filter((e) => e.recused);
  if (aside.length) {
    // five codes an expert at most: an import that moved many experts' organisation could make each a long list
    const teamsOf = (codes: readonly string[]) => (codes.length > 5 ? `${codes.slice(0, 5).join('、')} 等 ${codes.length} 个班组` : codes.join('、'));
    const shown = aside.slice(0, 20).map((e) => md`- ${e.name ?? mention(e.openId)}：${teamsOf(e.recusedTeams ?? [])}（${e.recused} 份）`);
    elements.push(
      markdown(md`**须更换专家（第十七条）**：以下专家须回避这些班组的评分，请在班组的“专家组”中点“更换专家”改派\n${mdJoin(shown, '\n')}${aside.length > 20 ? md`\n…共 ${aside.length} 位专家` : ''}`),
    );
  }
  if (d.openComplaints.total) {
    const oldest = d.openComplaints.oldest.map((c) => md`- ${c.reference} ${c.teamName}（已 ${c.daysOpen} 天）`);
    const more = d.openComplaints.total - oldest.length;
    elements.push(markdown(md`**待处理投诉 ${d.openComplaints.total} 件**\n${mdJoin(oldest, '\n')}${more > 0 ? md`\n另有 ${more} 件，请点下方“处理投诉”查看。` : ''}`));
  }
  const titles = d.titlesAwaiting ?? [];
  if (titles.length) {
    // each with a button drawing its 撤销 / 保留 card afresh: the first alert's stops taking clicks after 14 days
    elements.push(markdown(md`**待决定撤销或保留称号 ${titles.length} 个**（第二十二条：连续出现投诉成立）`));
    for (const t of titles.slice(0, digestTitlesListed)) {
      elements.push({
        tag: 'column_set',
        flex_mode: 'none',
        columns: [
          { tag: 'column', width: 'weighted', weight: 1, elements: [markdown(md`- **${t.teamName}**（${t.teamCode}）${t.year} 年度称号：连续 ${t.run} 次投诉成立，已 ${t.days} 天未决定`)] },
          { tag: 'column', width: 'auto', elements: [button({ text: '决定', type: 'danger', value: { action: 'revocation.open', honourId: t.honourId } })] },
        ],
      });
    }
    if (titles.length > digestTitlesListed) elements.push(markdown(md`另有 ${titles.length - digestTitlesListed} 个，请点下方“处理投诉”查看。`));
  }
  if (d.deadLetters) {
    elements.push(
      markdown(
        md`**近 7 天投递失败的消息 ${d.deadLetters} 条**：飞书拒收或多次重试仍未发出，已停止重试，例如服务器 IP 不在飞书应用的 IP 白名单中、卡片内容不被飞书接受、飞书或网络长时间不可用。每条的原因见当时的“消息投递失败”提醒。`,
      ),
    );
  }
  if (d.undeliverable) elements.push(markdown(md`**近 7 天无法送达的消息 ${d.undeliverable} 条**：请检查接收人是否已停用机器人或机器人是否已被移出群聊。`));
  const buttons = [
    ...(d.openComplaints.total || titles.length ? [button({ text: '处理投诉', type: 'primary', value: { action: 'complaint.list' } })] : []),
    button({ text: '协会管理', value: { action: 'admin.menu' } }),
  ];
  elements.push(buttonRow(buttons));
  return card({
    title: d.kind === 'daily' ? `每日汇总 ${zhPeriod(d.period)}` : `每周汇总 ${zhPeriod(d.period)}`,
    template: 'blue',
    summary: d.kind === 'daily' ? `每日汇总 ${zhPeriod(d.period)}` : `每周汇总 ${zhPeriod(d.period)}`,
    elements,
  });
}
