import { type ActionValue, asTyped, button, buttonRow, card, type Card, namedButtonText, type Element, fields, hr, markdown, note, md, mention, pageOf, pager, clipText, mdJoin, type Md, raw } from './kit.js';
import { formatDateZh } from '../src/dates.js';
import { afterRevocation, andJoin, NO_YEAR_RUNNING_FOR_ADMIN, submitFromLine, toldSplit } from './strings.js';
import type { ApplyVerdict } from '../src/applications.js';
import type { FormDescriptor } from '../src/forms.js';
import { form, type FormError, formInputs, multiPersonPicker, personLookupInput, pickedValues, refusalBanner, selectStatic, submitButton } from './forms.js';
import { applicationNextStep, recallButton, returnedByText, type ReturnShown, STATUS_OPINION_SHOWN } from './applications.js';

/** Plain data the team cards show; the bot fills it from the database. */
export interface TeamData {
  id: number;
  code: string;
  name: string;
  organization: string;
  department: string;
  typeLabel: string;
  /** 班组类型's value (第二条), for a form that shows it chosen. */
  type?: string;
  leaderOpenId: string;
  phone: string;
  memberCount: number;
  functions: string;
  goals: string;
  plan: string;
  contactOpenId: string;
  /** As people read it: 2026年3月1日. */
  registeredAt: string;
  statusLabel: string;
}

export type { FormError } from './forms.js';
const errorBanner = (error?: FormError) => refusalBanner(error);

const v = (values: Record<string, unknown>, key: string) => {
  const x = values[key];
  if (Array.isArray(x)) return x.length ? String(x[0]) : undefined;
  return x === undefined || x === null || x === '' ? undefined : String(x);
};

/** What was typed, without the empty fields, to lay over the stored or default values. */
const typed = (values: Record<string, unknown> = {}) => Object.fromEntries(Object.entries(values).filter(([, x]) => x !== '' && x !== null && x !== undefined));

/**
 * 注册 (第十二条): every field of the registration form (src/teams.ts `registrationForm`); `form` names this drawing of it
 * (`registrationCardKey`). `led`: the teams the caller already leads, named above it with how to change one's details
 * (修改资料, 进度), so a second 注册 is no new copy of the same team; a leader may still register another team with it.
 */
export function registrationFormCard(opts: { descriptor: FormDescriptor; leaderOpenId: string; candidates: string[]; form?: string; values?: Record<string, unknown>; error?: FormError; led?: readonly { name: string; code: string }[] }): Card {
  const led = opts.led ?? [];
  const leads = led.length
    ? [
        markdown(
          md`<font color='orange'>**你已是${led.map((t) => `「${t.name}」（${t.code}）`).join('、')}的班组长。**</font>修改班组名称、单位联系人等资料，请发送“修改资料”（或发送“进度”，在班组下点“修改资料”），不必重新注册；发送“进度”查看班组到了哪一步。如确需为另一个班组注册（一人可担任多个班组的班组长），请填写下表。`,
        ),
      ]
    : [];
  return card({
    title: '注册质量信得过班组',
    subtitle: '第十二条：组织的各类班组可自愿申请创建',
    template: 'blue',
    elements: [
      ...errorBanner(opts.error),
      ...leads,
      markdown('填写班组的基本情况和创建计划（第四条）。带 * 的为必填项；提交后生成班组编号，注册满一年可参加评选（第十六条）。'),
      form('registration', [
        ...formInputs(opts.descriptor, { leader: opts.leaderOpenId, ...typed(opts.values) }, { people: { leader: opts.candidates, contact: opts.candidates }, clientRequired: true }),
        submitButton({ text: '提交注册', name: 'submit', value: { action: 'team.register', ...(opts.form ? { form: opts.form } : {}) } }),
      ]),
    ],
  });
}

/** What 注册 answers with, and what a leader registered by an administrator is sent. */
export function registeredCard(team: Pick<TeamData, 'name' | 'code' | 'organization' | 'typeLabel' | 'registeredAt'>, eligibleFrom: string, opts: { before?: boolean } = {}): Card {
  // `before`: a new form named a team registered before (by its leader, or an import): nothing was registered now, and
  // no contact told
  return card({
    title: opts.before ? `该班组已注册：${team.name}` : `注册成功：${team.name}`,
    template: opts.before ? 'blue' : 'green',
    elements: [
      fields([
        ['班组编号', team.code],
        ['所属单位', team.organization],
        ['班组类型', team.typeLabel],
        ['注册日期', formatDateZh(team.registeredAt)],
        ['满一年日期', `${formatDateZh(eligibleFrom)}（第十六条：申报截止时已满一年的年度即可申报）`],
      ]),
      note(opts.before ? '这次没有注册新的班组。可随时发送“进度”查看班组情况、修改资料和添加成员。' : '单位联系人已收到通知。可随时发送“进度”查看班组情况、修改资料和添加成员。'),
      buttonRow([button({ text: '查看进度', type: 'primary', value: { action: 'team.status' } }), button({ text: '返回菜单', value: { action: 'help.menu' } })]),
    ],
  });
}

/**
 * To the person named as the organisation contact (第十五条): at 注册, or (`change`) by the leader's 修改资料, with the
 * number of the team's applications waiting for the contact's confirmation, sent to them at the same time.
 */
export function contactNamedCard(team: Pick<TeamData, 'leaderOpenId' | 'organization' | 'name' | 'code' | 'department' | 'phone'>, change?: { waiting: number; byAdmin?: string }): Card {
  const waiting = change?.waiting ?? 0;
  // an administrator correcting the team's record (修改资料 班组编号) named them, not its leader, who was not asked
  const byAdmin = change?.byAdmin;
  return card({
    title: '你被登记为班组的单位联系人',
    template: 'wathet',
    elements: [
      markdown(
        byAdmin
          ? md`协会管理员 ${mention(byAdmin)} 在班组资料中将你登记为 **${team.organization}** 的单位联系人。`
          : change
          ? md`${mention(team.leaderOpenId)} 在班组资料中将你登记为 **${team.organization}** 的单位联系人。`
          : md`${mention(team.leaderOpenId)} 注册了质量信得过班组，并将你登记为 **${team.organization}** 的单位联系人。`,
      ),
      fields([
        ['班组', `${team.name}（${team.code}）`],
        ['主管部门', team.department],
        ['联系电话', team.phone],
      ]),
      note(
        waiting
          ? md`第十五条：申报材料由单位确认并填写推荐意见。该班组有 ${waiting} 份申报正等待确认，已同时发给你，请逐份确认并填写推荐意见；以后的申报，我也会发给你。`
          : '第十五条：班组申报时，申报材料由单位确认并填写推荐意见。届时我会把待确认的申报发给你。',
      ),
      note(
        byAdmin
          ? '如果你不是该班组所在单位负责确认申报的人员，请联系协会管理员更正，或告知班组长在“进度”→“修改资料”中改选正确的单位联系人。'
          : '如果你不是该班组所在单位负责确认申报的人员，请告知班组长在“进度”→“修改资料”中改选正确的单位联系人。',
      ),
      ...(waiting ? [buttonRow([button({ text: '待确认申报', type: 'primary', value: { action: 'endorse.list' } })])] : []),
    ],
  });
}

/**
 * To the organisation contact a 修改资料 replaced (第十五条): no longer the team's contact, who changed it and when, and
 * what became of the applications that waited for them (`waiting`: sent to the new contact, their cards spent).
 */
/** Who replaced a contact and when, as the cards to the contact replaced say it. */
function replacedHow(change: { by: string; byLeader: boolean; on: string }): Md {
  // `npm run import` with no administrator configured acts as system:import: the association, by its register
  return change.by.startsWith('system:')
    ? md`协会于 ${change.on} 导入班组名册时更换`
    : md`${change.byLeader ? md`班组长 ${mention(change.by)}` : md`协会管理员 ${mention(change.by)}`} 于 ${change.on} 更换`;
}

export function contactReplacedCard(team: Pick<TeamData, 'name' | 'code'>, change: { by: string; byLeader: boolean; on: string; waiting: number }): Card {
  return card({
    title: '你已不再是该班组的单位联系人',
    template: 'grey',
    elements: [
      markdown(md`你已不再是 **${team.name}**（${team.code}）的单位联系人（${replacedHow(change)}）。`),
      note(
        change.waiting
          ? md`该班组待确认的 ${change.waiting} 份申报已改由新的单位联系人确认并填写推荐意见（第十五条），之前发给你的确认卡片已失效，你无需再处理。`
          : '此后该班组的申报不再发给你确认（第十五条）。如有疑问，请与班组长联系。',
      ),
    ],
  });
}

/** Teams named on one card to a contact an import replaced for many: the rest are counted (a card stays far under 30 KB). */
export const REPLACED_TEAMS_SHOWN = 20;

/**
 * One import replacing a person as the contact of several teams tells them once, naming the teams (each with the
 * applications that waited for them), as the new contact is told once per organisation; one team: contactReplacedCard.
 */
export function contactReplacedTeamsCard(teams: readonly (Pick<TeamData, 'name' | 'code'> & { waiting: number })[], change: { by: string; byLeader: boolean; on: string }): Card {
  if (teams.length === 1) return contactReplacedCard(teams[0], { ...change, waiting: teams[0].waiting });
  const waiting = teams.reduce((n, t) => n + t.waiting, 0);
  const shown = teams.slice(0, REPLACED_TEAMS_SHOWN).map((t) => md`- **${t.name}**（${t.code}）${t.waiting ? md`：待确认的 ${t.waiting} 份申报已转给新的单位联系人` : ''}`);
  return card({
    title: '你已不再是这些班组的单位联系人',
    template: 'grey',
    elements: [
      markdown(md`你已不再是以下 ${teams.length} 个班组的单位联系人（${replacedHow(change)}）：\n${mdJoin(shown, '\n')}${teams.length > REPLACED_TEAMS_SHOWN ? md`\n等 ${teams.length} 个班组。` : ''}`),
      note(
        waiting
          ? md`这些班组待确认的 ${waiting} 份申报已改由新的单位联系人确认并填写推荐意见（第十五条），之前发给你的确认卡片已失效，你无需再处理；此后这些班组的申报不再发给你确认。`
          : '此后这些班组的申报不再发给你确认（第十五条）。如有疑问，请与班组长联系。',
      ),
    ],
  });
}

export interface StatusEntry {
  team: TeamData;
  myRole: 'leader' | 'member' | 'contact';
  eligibleFrom: string;
  daysUntilEligible: number;
  /** revoked: the title the application was awarded has been revoked since (第二十二条). */
  applications: { id: number; year: number; statusLabel: string; title: string | null; finalScore: number | null; decision: string | null; revoked?: boolean }[];
  /** certificate: the 荣誉证书 number (第二十条), void once the title is revoked */
  honours: { year: number; revoked: boolean; recommended: boolean; certificate?: string }[];
  /** Whether the team may still apply to the year taking applications, and why not (mayApply); none when no year takes them. */
  apply?: ApplyVerdict;
  /** The running year's application, if any: what it waits for is said under it. */
  /** `lapsed`: submitted, never confirmed by the contact, and its year's review takes no more. */
  /** `returned`: who returned it, when and why (a returned application). */
  current?: { id: number; status: string; decision: string | null; lapsed?: boolean; returned?: ReturnShown };
  /** Whether the running year still takes applications (a draft or a returned one can still be submitted). */
  yearTakesApplications?: boolean;
  /** Whether the running year's scores have been summed (结束评分并汇总), its results not yet published. */
  yearSummed?: boolean;
  /** The year taking applications now, and its deadline. */
  openYear?: { year: number; deadline: string };
  /** A title revoked within the association's bar: the bar in days and the day it ends (申报 taken from then on). */
  barred?: { days: number | null; until: string; untilText: string; revokedYear: number };
}

/** Teams on one 进度 card: five at their longest (a 50-character name, a 100-character organisation, ten years) stay far under Feishu's 30 KB. */
export const STATUS_PAGE = 5;
/** An application's title in 进度 is cut here; the whole title is on the 申报表 and on each year's result card. */
const STATUS_TITLE_SHOWN = 30;

/** The running year across the caller's teams: how many are at each stage, and how many wait for this contact's confirmation. */
export interface StatusSummary {
  year: number;
  counts: [label: string, teams: number][];
  awaitingMe: number;
}

/**
 * The work of a caller in no team, for their 进度: an expert's sheets of the running year (done of those theirs to
 * score, `recused` apart: 第十七条), an administrator's 评审进度 on the 协会管理 card. Neither is told to register a team.
 */
export interface NoTeamWork {
  expert?: { done: number; total: number; recused?: number };
  admin?: boolean;
  /** a year's review is running: the 协会管理 card shows 评审进度 only then */
  running?: boolean;
}


/** An expert's line for 进度: how their sheets stand, and 评分 to go on. */
function expertWorkLine(p: NonNullable<NoTeamWork['expert']>): string {
  const theirs = p.total - Math.min(p.recused ?? 0, p.total - p.done);
  if (!theirs) return '目前没有需要你评分的任务；协会分配后会把评分任务发给你，也可发送“评分”查看。';
  if (p.done >= theirs) return `评分任务已完成 ${p.done} / ${theirs}，谢谢！发送“评分”查看已提交的评分。`;
  return `评分任务已完成 ${p.done} / ${theirs}，发送“评分”继续。`;
}

/** 进度 of an expert or an administrator in no team: where their own work is, with its button; no 注册. */
function noTeamWorkCard(work: NoTeamWork): Card {
  const lines = [
    ...(work.expert ? [expertWorkLine(work.expert)] : []),
    ...(work.admin ? [work.running ? '评审进度请发送“管理”，在协会管理卡片上点“评审进度”查看。' : NO_YEAR_RUNNING_FOR_ADMIN] : []),
  ];
  const buttons = [
    ...(work.expert ? [button({ text: '我的评分任务', type: 'primary', value: { action: 'review.list' } })] : []),
    ...(work.admin ? [button({ text: '协会管理', type: work.expert ? 'default' : 'primary', value: { action: 'admin.menu' } })] : []),
  ];
  // our own fixed lines and counts only
  return card({ title: '我的班组', template: 'grey', elements: [markdown(raw([...lines, '你没有加入任何班组。'].join('\n'))), buttonRow(buttons)] });
}

/**
 * 进度: the caller's teams, five a page (a contact may have hundreds), the running year summed up above them when they
 * take several pages. In no team, an expert or an administrator (`work`) is told where their own work is instead.
 */
export function statusCard(entries: StatusEntry[], page = 1, summary?: StatusSummary, work?: NoTeamWork): Card {
  if (!entries.length && (work?.expert || work?.admin)) return noTeamWorkCard(work);
  if (!entries.length) {
    return card({
      title: '我的班组',
      template: 'grey',
      elements: [markdown('你还没有加入任何班组。班组长可以发送“注册”登记班组；班组成员由班组长添加。'), buttonRow([button({ text: '注册班组', type: 'primary', value: { action: 'team.registerForm' } })])],
    });
  }
  const shown = pageOf(entries, page, STATUS_PAGE);
  const elements: Element[] = [];
  if (summary) {
    elements.push(markdown(md`**${String(summary.year)}年度申报**：${summary.counts.map(([label, n]) => `${label} ${n}`).join(' · ')}`));
    if (summary.awaitingMe) {
      elements.push(buttonRow([button({ text: `待我确认的申报（${summary.awaitingMe}）`, type: 'primary', value: { action: 'endorse.list' } })]));
    }
  }
  if (shown.pages > 1) elements.push(note(md`共 ${entries.length} 个班组，每页 ${STATUS_PAGE} 个`));
  for (const [i, e] of shown.items.entries()) {
    if (i > 0) elements.push(hr());
    const t = e.team;
    // 第十六条 is counted at a year's deadline: a team a year old by then may apply before its anniversary
    const registered = e.daysUntilEligible > 0 ? `还差 ${e.daysUntilEligible} 天满一年（${formatDateZh(e.eligibleFrom)} 满一年；申报截止时已满一年的年度即可申报，第十六条）` : `已满一年，可参加评选（${formatDateZh(e.eligibleFrom)} 起）`;
    // E5: the association's bar after a revoked title, with the day it ends
    const eligibility = e.barred
      ? `协会规定：${afterRevocation(e.barred.days)}内不受理申报；本班组 ${e.barred.revokedYear} 年度称号已撤销，${e.barred.untilText} 起方可再申报`
      : registered;
    const apps = e.applications.length
      ? e.applications
          .map((a) => `${a.year} 年度：${a.statusLabel}${a.title ? `（${clipText(a.title, STATUS_TITLE_SHOWN)}）` : ''}${a.finalScore !== null ? `，得分 ${a.finalScore}` : ''}${decisionShown[a.decision ?? ''] ?? ''}${a.revoked ? '（已撤销）' : ''}`)
          .join('\n')
      : '暂无';
    // why the team may not apply to the year, where it is the rule (mayApply) and not its application gone further:
    // said for a draft or a returned application too, which could not be submitted (rather than how to submit it)
    const refusedStep =
      e.apply?.reason === 'barred'
        ? `${e.openYear?.year ?? ''} 年度申报 ${e.openYear?.deadline ?? ''} 截止，届时仍在撤销称号后的不受理期内，本班组不能参加本年度评选。`
        : e.apply?.reason === 'notAYear'
          ? `${e.openYear?.year ?? ''} 年度申报 ${e.openYear?.deadline ?? ''} 截止，届时本班组注册未满一年，不能参加本年度评选；可参加下一年度评选（第十六条）。`
          : e.apply?.reason === 'withdrawn'
            ? '本班组已退出，不在册的班组不能申报；如需恢复，请联系协会。'
            : undefined;
    // a bar that ends by the deadline but after now (mayApply's submitFrom): the form may be filled, 提交 waits until then
    const submitFrom = e.apply?.may && e.apply.submitFrom && e.barred ? submitFromLine(e.barred.untilText, e.barred.days) : undefined;
    const nextStep = refusedStep && (e.current || e.myRole === 'leader')
      ? refusedStep
      : e.current
      ? `${applicationNextStep(e.current.status, e.myRole, { decision: e.current.decision, takesApplications: e.yearTakesApplications, deadline: e.openYear?.deadline, lapsed: e.current.lapsed, summed: e.yearSummed })}${submitFrom ? `${submitFrom}。` : ''}`
      : e.myRole === 'leader' && e.apply?.may && e.openYear
        ? submitFrom
          ? `${e.openYear.year} 年度申报进行中，${e.openYear.deadline} 截止：${submitFrom}（点“年度申报”填写）。`
          : `${e.openYear.year} 年度申报进行中，${e.openYear.deadline} 截止：点“年度申报”填写，可先保存草稿。`
        : '';
    const titles = e.honours.length ? e.honours.map((h) => `${h.year} 年度质量信得过班组${h.recommended ? '（推荐至全国）' : ''}${h.revoked ? '（已撤销）' : ''}${h.certificate ? `，证书编号 ${h.certificate}${h.revoked ? '（已作废）' : ''}` : ''}`).join('、') : '暂无';
    elements.push(
      markdown(md`**${t.name}**　${t.code}　<font color='grey'>${roleLabel[e.myRole]}</font>`),
      fields([
        ['所属单位', t.organization],
        ['注册日期', formatDateZh(t.registeredAt)],
        ['参评资格', eligibility],
        ['申报', apps],
        ...(nextStep ? [['下一步', nextStep] as [string, string]] : []),
        ...(e.current?.returned ? [[e.current.returned.by === 'association' ? '退回原因' : '退回意见', returnedLine(e.current.returned)] as [string, Md]] : []),
        ['荣誉', titles],
        ['状态', t.statusLabel],
      ]),
    );
    const buttons: Element[] = [];
    if (e.myRole === 'leader') {
      if (e.apply?.may) buttons.push(button({ text: '年度申报', type: 'primary', value: { action: 'application.open', teamId: t.id } }));
      // submitted, the contact yet to confirm, and it could be submitted again: the leader may take it back to edit
      if (e.current?.status === 'submitted' && e.yearTakesApplications && e.openYear) buttons.push(recallButton(t.id, e.openYear.year));
      buttons.push(button({ text: '修改资料', value: { action: 'team.editForm', teamId: t.id } }));
      buttons.push(button({ text: '班组成员', value: { action: 'team.members', teamId: t.id } }));
    }
    if (e.myRole === 'contact' && e.current?.status === 'submitted' && !e.current.lapsed) {
      buttons.push(button({ text: '确认申报', type: 'primary', value: { action: 'endorse.open', applicationId: e.current.id } }));
    }
    if (buttons.length) elements.push(buttonRow(buttons));
  }
  elements.push(...pager({ page: shown.page, pages: shown.pages, value: { action: 'team.status' } }));
  return card({ title: '我的班组', template: 'blue', elements });
}


/** A return in 进度: who and when, then the opinion cut short (发送“退回原因” shows the whole of it). */
function returnedLine(r: ReturnShown): Md {
  const opinion = r.opinion.length > STATUS_OPINION_SHOWN ? md`${asTyped(clipText(r.opinion, STATUS_OPINION_SHOWN))}（全文请发送“退回原因”）` : r.opinion ? asTyped(r.opinion) : '（未填写）';
  return md`${returnedByText(r)}${r.at ? `（${r.at}）` : ''}：${opinion}`;
}

const decisionShown: Record<string, string> = { awarded: '，授予称号', not_awarded: '，未获称号' };

const roleLabel = { leader: '班组长', member: '成员', contact: '单位联系人' } as const;

/** Where a team's card leads back to: `status` (the default) the 进度 of the one it is drawn for, `admin` the 协会管理 card (bot/teams/view.ts `backFor`). */
export type TeamCardBack = 'status' | 'admin';

const backButton = (back: TeamCardBack = 'status') =>
  back === 'admin' ? button({ text: '协会管理', value: { action: 'admin.menu' } }) : button({ text: '返回进度', value: { action: 'team.status' } });

/** 修改资料: the name, goals, plan, contact and the other details a team may change, each filled with what is stored. */
export function profileFormCard(team: TeamData, opts: { descriptor: FormDescriptor; candidates: string[]; values?: Record<string, unknown>; error?: FormError; back?: TeamCardBack }): Card {
  const stored = { teamName: team.name, department: team.department, teamType: team.type, phone: team.phone, memberCount: String(team.memberCount), functions: team.functions, goals: team.goals, plan: team.plan, contact: team.contactOpenId };
  return card({
    title: `修改资料：${team.name}`,
    subtitle: team.code,
    template: 'blue',
    elements: [
      ...errorBanner(opts.error),
      form('profile', [
        ...formInputs(opts.descriptor, { ...stored, ...typed(opts.values) }, { people: { contact: opts.candidates } }),
        submitButton({ text: '保存', name: 'save', value: { action: 'team.editSave', teamId: team.id } }),
      ]),
      buttonRow([button({ text: '更换班组长', value: { action: 'team.leaderForm', teamId: team.id } }), backButton(opts.back)]),
    ],
  });
}

/** The people a refused 添加 had picked, among those the picker offers (one or many, as the form gives them). */
function pickedAgain(picked: unknown, offered: string[]): string[] | undefined {
  const kept = pickedValues(picked).filter((id) => offered.includes(id));
  return kept.length ? kept : undefined;
}

/** Rows of members on one card: each row holds eight tagged objects, and a card at most 200. */
const MEMBERS_PAGE = 20;

export function membersCard(
  team: TeamData,
  members: { openId: string; role: string; name: string | null }[],
  opts: { candidates: string[]; page?: number; error?: FormError; values?: Record<string, unknown>; back?: TeamCardBack },
): Card {
  const shown = pageOf(members, opts.page ?? 1, MEMBERS_PAGE);
  const list: Element[] = shown.items.map((m) =>
    m.role === 'leader'
      ? markdown(md`${mention(m.openId, m.name)}　班组长`)
      : {
          tag: 'column_set',
          flex_mode: 'none',
          columns: [
            { tag: 'column', width: 'weighted', weight: 3, vertical_align: 'center', elements: [markdown(mention(m.openId, m.name))] },
            {
              tag: 'column',
              width: 'auto',
              elements: [button({ text: '移除', type: 'danger', value: { action: 'team.memberRemove', teamId: team.id, openId: m.openId, page: shown.page }, confirm: { title: '移除成员', text: '确定将该成员移出班组吗？' } })],
            },
          ],
        },
  );
  return card({
    title: `班组成员：${team.name}`,
    subtitle: `${team.code}　共 ${members.length} 人在册`,
    template: 'blue',
    elements: [
      ...errorBanner(opts.error),
      ...list,
      ...pager({ page: shown.page, pages: shown.pages, value: { action: 'team.members', teamId: team.id } }),
      hr(),
      form('members_form', [
        // after a refusal (a mobile no one has), the people picked are picked still: only the look-up is to correct
        multiPersonPicker({ name: 'members', label: '添加成员', options: opts.candidates, values: pickedAgain(opts.values?.members, opts.candidates) }),
        personLookupInput({ name: 'membersLookup', label: '列表中没有？填成员的手机号或邮箱', value: v(opts.values ?? {}, 'membersLookup') }),
        submitButton({ text: '添加', name: 'add', value: { action: 'team.memberAdd', teamId: team.id } }),
      ]),
      // an administrator's 修改资料 of the team beside its members (a leader's is on their 进度)
      buttonRow([
        ...(opts.back === 'admin' ? [button({ text: '修改资料', value: { action: 'team.editForm', teamId: team.id } })] : []),
        button({ text: '更换班组长', value: { action: 'team.leaderForm', teamId: team.id } }),
        backButton(opts.back),
      ]),
    ],
  });
}

/** Teams a picker shows a page: three objects a button, 20 keep a card of 50-character names far inside 200 and 30 KB. */
export const TEAM_PICKER_PAGE = 20;

/** For a leader of several teams: which one? A page of them, 上一页 / 下一页 (`pageValue` with the page) past TEAM_PICKER_PAGE. */
export function teamPickerCard(opts: { title: string; prompt: string; teams: { id: number; name: string; code: string }[]; action: string; page?: number; pageValue: ActionValue }): Card {
  const { items, page, pages } = pageOf(opts.teams, opts.page ?? 1, TEAM_PICKER_PAGE);
  return card({
    title: opts.title,
    template: 'blue',
    elements: [
      markdown(md`${opts.prompt}`),
      buttonRow(items.map((t) => button({ text: namedButtonText(t.name, t.code).text, value: { action: opts.action, teamId: t.id } }))),
      ...pager({ page, pages, value: opts.pageValue }),
    ],
  });
}

/**
 * Who a 更换班组长 card names: a mention, or, for a leader an import named who has not yet written to the bot (no
 * open_id, a placeholder the bot keeps), the mobile or e-mail they were imported by.
 */
const leaderWho = (openId: string) => (openId.startsWith('pending:') ? md`${openId.slice('pending:'.length + 2)}（尚未关联飞书）` : mention(openId));

/** Who 更换班组长 will tell: a former leader or a contact an import named who never wrote to the bot cannot be. */
function toBeTold(team: { leaderOpenId: string; contactOpenId?: string }): string {
  const { told, untold } = toldSplit([['新班组长', ''], ['原班组长', team.leaderOpenId], ['单位联系人', team.contactOpenId ?? '']]);
  return `${andJoin(told)}${told.length > 1 ? '都' : ''}会收到通知${untold.length ? `（${andJoin(untold)}尚未关联飞书，不会收到通知）` : ''}。`;
}

/** Members a 更换班组长 select offers: one tagged object each, so a card of a large team stays far inside 200. */
export const LEADER_CANDIDATES_SHOWN = 100;

/**
 * 更换班组长: the team's registered members in a select (a person picker in the p2p chat would offer only the user),
 * confirmed before it is submitted. `from` is the leader the card is drawn for: a card older than another change is refused.
 */
export function leaderFormCard(team: Pick<TeamData, 'id' | 'name' | 'code' | 'leaderOpenId'> & { contactOpenId?: string }, members: { openId: string; name: string | null }[], opts: { error?: FormError; values?: Record<string, unknown>; back?: TeamCardBack } = {}): Card {
  const shown = members.slice(0, LEADER_CANDIDATES_SHOWN);
  // a member the bot knows by no name is numbered among those, and the note below says who each is (a mention shows the name)
  let unnamedSeen = 0;
  const options = shown.map((m) => ({ text: m.name?.trim() ? clipText(m.name.trim(), 30) : `未登记姓名的成员 ${++unnamedSeen}`, value: m.openId }));
  const back = buttonRow([button({ text: '班组成员', value: { action: 'team.members', teamId: team.id } }), backButton(opts.back)]);
  const now = md`现任班组长：${leaderWho(team.leaderOpenId)}`;
  if (!members.length) {
    return card({
      title: `更换班组长：${team.name}`,
      subtitle: team.code,
      template: 'blue',
      elements: [...errorBanner(opts.error), markdown(now), markdown('新的班组长须从本班组已在飞书中登记的成员中选择，本班组暂无这样的成员：请先在“班组成员”中添加接任的人，再来更换。'), back],
    });
  }
  const unnamed = shown.filter((m) => !m.name?.trim());
  return card({
    title: `更换班组长：${team.name}`,
    subtitle: team.code,
    template: 'blue',
    elements: [
      ...errorBanner(opts.error),
      markdown(now),
      note(
        md`更换后，班组的资料、成员、年度申报（含草稿和退回修改的申报）及相关通知都由新班组长办理；原班组长留在班组成员中（新班组长可将其移除）。${toBeTold(team)}${
          members.length > shown.length ? `本班组成员较多，这里列出前 ${shown.length} 名。` : ''
        }`,
      ),
      ...(unnamed.length ? [note(md`选项中${mdJoin(unnamed.map((m) => md`“${options[shown.indexOf(m)].text}”即 ${mention(m.openId)}`), '；')}`)] : []),
      form('leader_form', [
        selectStatic({ name: 'leader', label: '新的班组长', options, value: v(opts.values ?? {}, 'leader'), required: true, placeholder: '从本班组成员中选择' }),
        submitButton({ text: '确认更换', name: 'change', value: { action: 'team.leaderChange', teamId: team.id, from: team.leaderOpenId }, confirm: { title: '更换班组长', text: '确定将班组长更换为所选成员吗？更换后，班组的资料、成员和申报由新班组长办理。' } }),
      ]),
      back,
    ],
  });
}

/** A change of leader as the notices tell it. */
export interface LeaderChangeData {
  /** `id`: for the administrator's card, its 班组成员 button */
  team: Pick<TeamData, 'name' | 'code' | 'organization'> & { id?: number };
  from: string;
  to: string;
  /** who changed it: the former leader, or an administrator */
  by: string;
  /** the team's application of the running year, as its status reads (草稿, 退回修改, 待单位确认 …) */
  running?: { year: number; statusLabel: string; status: string };
  /** the team's 单位联系人 is one an import named who has not yet written to the bot: not told */
  contactUnlinked?: boolean;
}

const byWhom = (d: LeaderChangeData) => (d.by === d.from ? md`原班组长 ${mention(d.from)}` : md`协会管理员 ${mention(d.by)}`);

/** To the member who now leads the team: what is theirs to do from now on. */
export function leaderNamedCard(d: LeaderChangeData): Card {
  const running = d.running;
  const application = !running
    ? ''
    : running.status === 'draft' || running.status === 'returned'
      ? `本班组${running.year}年度申报为“${running.statusLabel}”，今后由你继续填写和提交：点“查看进度”，在班组下点“年度申报”。`
      : `本班组${running.year}年度申报为“${running.statusLabel}”，今后的通知（退回修改、审查和评审结果）发给你。`;
  return card({
    title: '你已成为班组长',
    template: 'green',
    elements: [
      markdown(md`${byWhom(d)} 将 **${d.team.name}**（${d.team.code}，${d.team.organization}）的班组长更换为你。`),
      note(md`今后班组的资料、成员、年度申报和相关通知由你办理：点“查看进度”，在班组下“修改资料”（请核对联系电话）、管理“班组成员”。${application}`),
      buttonRow([button({ text: '查看进度', type: 'primary', value: { action: 'team.status' } })]),
    ],
  });
}

/**
 * The change told to the former leader (as the answer to their own click, or by message when an administrator made it),
 * to the team's 单位联系人, and to the administrator who made it.
 */
/** To the administrator: who was told (a leader or contact an import named who never wrote to the bot cannot be). */
function adminAfter(d: LeaderChangeData): Md {
  const { told, untold } = toldSplit([['新班组长', ''], ['原班组长', d.from], ['单位联系人', d.contactUnlinked ? 'pending:' : '']]);
  return md`${andJoin(told)}已收到通知${untold.length ? `（${andJoin(untold)}尚未关联飞书，未通知）` : ''}；原班组长留在班组成员中。`;
}

export function leaderChangedCard(d: LeaderChangeData, to: 'former' | 'contact' | 'admin'): Card {
  const what = md`${byWhom(d)} 已将 **${d.team.name}**（${d.team.code}）的班组长由 ${leaderWho(d.from)} 更换为 ${mention(d.to)}。`;
  const after =
    to === 'former'
      ? '你仍是本班组成员；班组的资料、成员和申报今后由新班组长办理，你此前收到的该班组卡片上的班组长按钮不再可用。'
      : to === 'contact'
        ? '今后本班组的申报由新班组长填写和提交，你确认推荐（第十五条）时请与新班组长联系。'
        : adminAfter(d);
  return card({
    title: '班组长已更换',
    template: 'grey',
    // an administrator's 进度 holds no such team: theirs goes back to 协会管理, with the team's members
    elements: [
      markdown(what),
      note(after),
      buttonRow(
        to === 'admin' && d.team.id
          ? [button({ text: '班组成员', value: { action: 'team.members', teamId: d.team.id } }), button({ text: '协会管理', value: { action: 'admin.menu' } })]
          : [button({ text: '查看进度', value: { action: 'team.status' } })],
      ),
    ],
  });
}

/** 变更记录 of a team as the card shows it: each entry's time, who, what, and from what to what where it is on record. */
export interface TeamHistoryData {
  team: { name: string; code: string };
  page: number;
  more: boolean;
  /** `who`: a name on record, shown as typed, or a mention of one with none; `detail`: built by describeEntry, each typed value in it `asTyped`. */
  entries: { when: string; who: string | Md; what: string; detail?: Md }[];
}

/**
 * 变更记录 (第十七条: 公开、公平、公正, every change on record): a team's audit rows, latest first, a page at a time; the
 * next page is asked for by text (`变更记录 <编号> 第2页`), so the card holds no buttons. Every typed value is escaped.
 */
export function teamHistoryCard(d: TeamHistoryData): Card {
  const lines = d.entries.map((e) => md`**${e.when}** ${typeof e.who === 'string' ? asTyped(e.who) : e.who}：${e.what}${e.detail ? md`\n${e.detail}` : ''}`);
  const next = d.more ? md`更早的记录：发送“变更记录 ${d.team.code} 第${d.page + 1}页”。` : md`以上是全部记录。`;
  return card({
    title: `变更记录：${d.team.name}`,
    subtitle: `${d.team.code} · 第 ${d.page} 页`,
    template: 'grey',
    elements: [
      markdown(lines.length ? mdJoin(lines, '\n\n') : md`${d.page > 1 ? '这一页没有记录。' : '该班组还没有变更记录。'}`),
      hr(),
      note(md`${next}记录包括班组资料、成员、班组长、申报、称号和投诉的每次变更，按时间从新到旧排列（第十七条）。`),
    ],
  });
}
