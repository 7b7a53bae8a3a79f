import { formatDateZh } from '../src/dates.js';
import type { FormDescriptor } from '../src/forms.js';
import { form, type FormError, formInputs, refusalBanner, submitButton, textInput } from './forms.js';
import { button, buttonRow, card, type Card, type Element, fields, hr, markdown, type Md, mdJoin, note, md, mention, pageOf, pager } from './kit.js';

/** The association's admin cards (协会管理): the running cycle, its settings form and the score sheet form. */

/** A date as shown, with the days left until it (negative when past). */
export interface ShownDate {
  text: string; // 2026年5月31日
  daysLeft: number;
}

export interface AdminCycleView {
  id: number;
  year: number;
  status: string;
  statusLabel: string;
  applicationDeadline: ShownDate;
  /** The application deadline as stored (YYYY-MM-DD): 截止申报 carries it. */
  applicationDeadlineDay?: string;
  scoringDeadline: ShownDate;
  reviewMeetingDate: ShownDate;
  awardThreshold: number;
  expertsPerApplication: number;
  recommendShare: number;
  sheet: { title: string; total: number; items: number };
  /** Scoring again after 结束评分并汇总 for reopened sheets alone (第十七条): no 分配专家. */
  reopenedForSheets?: boolean;
  /** Applications not submitted (drafts, and returned ones not submitted again): 截止申报 cuts them off. */
  notSubmitted?: number;
  /** Applications accepted and waiting for their experts: 截止申报 assigns them at once, its dialog says how many. */
  accepted?: number;
  /**
   * Applications submitted and not yet accepted while applications are taken: 截止申报 assigns them no expert. 结束评分并汇总
   * waits for those awaiting the formal check (待协会形式审查) to be accepted or returned, and leaves out those still
   * unconfirmed by their contact (第十五条); its dialog says so.
   */
  notYetAccepted?: { contact: number; check: number };
  /**
   * Applications that may still come to be scored or are being scored (待单位确认, 待协会形式审查, 已受理, 专家评审中), and
   * those scored (评审完成, 已公布结果): with none of either while the experts score, the year had no application to
   * review, there is nothing to assign, and 结束评分并汇总 ends it.
   */
  inReview?: { toScore: number; scored: number };
  /**
   * Applications submitted and still waiting for their organisation's confirmation (第十五条) while the experts score, before
   * the first 汇总: 结束评分并汇总 leaves them out of the year for good, which its dialog says.
   */
  unconfirmed?: number;
}

export interface AdminCardData {
  today: string; // shown as is
  cycle?: AdminCycleView;
  /** The last cycle when none is running: for context, and its results once published. */
  lastCycle?: { id: number; year: number; status: string; statusLabel: string };
  /**
   * The latest year whose results were published, while another year runs: its results and workbook stay reachable (a
   * title of that year revoked under 第二十二条 is typically revoked during the next one).
   */
  lastPublished?: { id: number; year: number };
  /** Published years before the latest: 历年评审结果 lists every year, each with its results card and workbook. */
  olderPublished?: boolean;
  /** Applications of the running cycle, one entry per status in the order they move through (0s included). */
  applicationCounts: { label: string; count: number }[];
  /** What the click the card answers did, in full (截止申报: who was cut off, who still waits, why no expert was assigned); its toast is short. */
  lead?: string;
  /** Before the first year is ever opened: what of the setting up is done, so a new association is told what comes first. */
  setup?: AdminSetup;
}

export interface AdminSetup {
  contactSet: boolean;
  adminGroupBound: boolean;
  teams: number;
  experts: number;
}

/** 首次使用: the steps before the first year, each said done or what to press or send. */
function setupSteps(s: AdminSetup): Md {
  const lines: Md[] = [
    s.contactSet ? md`✅ 协会联系方式已设置` : md`1. 点下方“协会联系方式”，填写协会的联系人和电话：“请联系协会”的提示和网上投诉页都会附上。`,
    s.adminGroupBound ? md`✅ 协会管理通知群已绑定` : md`2. 把机器人拉进协会的管理群，在群里 @机器人 发送“绑定通知”：每日汇总、新投诉和提醒发到那里（未绑定时发给每位管理员）。`,
    s.teams > 0 || s.experts > 0
      ? md`✅ 已有 ${s.teams} 个班组、${s.experts} 位专家（可继续“导入”，或在“专家库”添加）`
      : md`3. 点“导入”下载模板，填入已有的班组、评审专家和往年荣誉后发给我；也可以在“专家库”逐位添加专家，班组可自行发送“注册”。`,
    md`4. 点“开启年度评审”设定申报和评分截止日期（第十九条），班组即可申报。`,
  ];
  return md`**首次使用**，请依次完成：\n${mdJoin(lines, '\n')}`;
}

const percent = (share: number) => `${Math.round(share * 1000) / 10}%`;

function dateLine(d: ShownDate, doneText: string): string {
  if (d.daysLeft > 0) return `${d.text}（还有 ${d.daysLeft} 天）`;
  if (d.daysLeft === 0) return `${d.text}（今天）`;
  return `${d.text}（${doneText}）`;
}

function applicationSummary(counts: { label: string; count: number }[]): Md {
  const total = counts.reduce((a, c) => a + c.count, 0);
  return md`**申报情况**：共 ${total} 份\n${counts.map((c) => `${c.label} ${c.count}`).join(' · ')}`;
}

/**
 * 截止申报's confirm dialog: what the close does; before the announced deadline, that it is early and by how many days,
 * that it cannot be undone, and how many applications not yet submitted it cuts off (their leaders are told).
 */
function closeApplicationsWarning(c: AdminCycleView, today: string): string {
  const after = `截止后不再接受新的申报，评审进入专家评分阶段，评分表也不能再更换。${assignsAtClose(c.accepted)}${notYetAcceptedAtClose(c.notYetAccepted)}`;
  const pending = c.notSubmitted ?? 0;
  const { daysLeft, text } = c.applicationDeadline;
  // on the deadline day the applicants still have its hours: closed now, the drafts' leaders are told, as before the day
  if (daysLeft === 0) return `今天是申报截止日（${text}），现在截止将结束今天余下的申报时间，不能撤销。${after}${pending ? `还有 ${pending} 份申报（草稿或退回修改）尚未提交，截止后不能再提交、不参加本年度评审，系统会通知其班组长。` : ''}`;
  if (daysLeft < 0) return `${after}申报截止日期为${text}。`;
  const cut = pending ? `还有 ${pending} 份申报（草稿或退回修改）尚未提交，截止后不能再提交、不参加本年度评审，系统会通知其班组长。` : '目前没有尚未提交的草稿或退回修改的申报。';
  return `公布的申报截止日期为${text}，现在截止比它提前 ${daysLeft} 天：申报截止日期将改为今天（${today}），不能撤销。${after}${cut}`;
}

/**
 * 截止申报 assigns the experts and sends their task cards in the same click (bot/admin/closeApplications.ts): said
 * before it, so that the pool and its conflicts can be checked first (第十七条).
 */
function assignsAtClose(accepted: number | undefined): string {
  if (accepted === 0) return '截止时会为已受理的申报分配专家并发出评分任务卡片（目前没有已受理的申报）。';
  return `截止即为已受理的${accepted === undefined ? '' : ` ${accepted} 份`}申报分配专家，并向专家发出评分任务卡片；如需先核对专家库和回避（第十七条），请核对后再截止。`;
}

/**
 * The applications submitted and not yet accepted: no expert at the close; the formal check goes on after it, and 汇总
 * waits for it (src/review/results.ts, scoringToClose), so they are named before the click, not at 汇总.
 */
function notYetAcceptedAtClose(n: AdminCycleView['notYetAccepted']): string {
  if (!n || n.contact + n.check === 0) return '';
  const parts = [
    ...(n.check ? [`${n.check} 份待协会形式审查：截止时不分配专家，截止后在“形式审查”中受理（再点“分配专家”）或退回，全部处理后才能汇总`] : []),
    ...(n.contact ? [`${n.contact} 份待单位联系人确认：截止后联系人仍可确认，结束评分并汇总前仍未确认的不参加本年度评审（第十五条）`] : []),
  ];
  return `另有${parts.join('；')}。`;
}

/** What 结束评分并汇总 does to the applications still unconfirmed (第十五条): out of the year, and no reopened sheet brings them back. */
const unconfirmedAtSum = (n: number) => `另有 ${n} 份申报仍待单位联系人确认：汇总后不参加本年度评审，不能撤销，重开评分也不能让它们再参加。`;

/** 历年评审结果: the years before the latest published one, which has a button of its own. */
const pastYearsButton = () => button({ text: '历年评审结果', value: { action: 'results.years' } });

/**
 * The commands typed for the card's buttons, Chinese then English as 帮助 lists its own (`投诉处理` / `complaints`):
 * 历年评审结果 only where its button is.
 */
function typedCommands(pastYears?: boolean): Md {
  const commands: [string, string][] = [['投诉处理', 'complaints'], ['导入', 'import'], ...(pastYears ? [['历年评审结果', 'past results'] as [string, string]] : [])];
  return md`也可以直接发送：${mdJoin(commands.map(([zh, en]) => md`\`${zh}\` / \`${en}\``), ' · ')}`;
}

/** 管理: the running cycle with its dates, settings and application counts, and what can be done next. */
export function adminCard(data: AdminCardData): Card {
  const elements: Element[] = [];
  const c = data.cycle;
  if (data.lead) elements.push(markdown(md`${data.lead}`), hr());
  if (c) {
    elements.push(
      markdown(md`**${c.year}年度评审** · ${c.statusLabel}`),
      fields([
        // applications closed early (截止申报) are closed: no count of days still to come
        ['申报截止', c.status === 'open' ? dateLine(c.applicationDeadline, '已过') : `${c.applicationDeadline.text}（已截止）`],
        ['专家评分截止', c.status === 'open' || c.status === 'scoring' ? dateLine(c.scoringDeadline, '已过') : `${c.scoringDeadline.text}（评分已结束）`],
        ['评审会', dateLine(c.reviewMeetingDate, '已过')],
        ['授予称号分数线', `${c.awardThreshold} 分`],
        ['每份申报评审专家', `${c.expertsPerApplication} 人`],
        ['择优推荐比例', `前 ${percent(c.recommendShare)}`],
        ['评分表', `${c.sheet.title}（${c.sheet.items} 项，共 ${c.sheet.total} 分）`],
      ]),
      hr(),
      markdown(applicationSummary(data.applicationCounts)),
      hr(),
    );
    const buttons: Element[] = [];
    if (c.status === 'open' || c.status === 'scoring') {
      buttons.push(button({ text: '修改设置', value: { action: 'cycle.settings', cycleId: c.id } }));
    }
    if (c.status === 'open') {
      buttons.push(
        button({ text: '载入评分表', value: { action: 'cycle.sheetForm', cycleId: c.id } }),
        button({
          text: '截止申报',
          type: 'danger',
          // the deadline its dialog speaks of: a card drawn before another one was set is refused, nothing closed
          value: { action: 'cycle.closeApplications', cycleId: c.id, ...(c.applicationDeadlineDay ? { deadline: c.applicationDeadlineDay } : {}) },
          confirm: { title: `截止${c.year}年度申报？`, text: closeApplicationsWarning(c, data.today) },
        }),
      );
    }
    if (c.reopenedForSheets) elements.push(note(md`第十七条：评分已汇总过一次，现为重开的单份评分重新提交，不再分配专家。`));
    // nothing in the year to score, nor to come: no expert to assign, and 结束评分并汇总 then 公布结果 end it (第十九条)
    const nothingToScore = c.status === 'scoring' && c.inReview?.toScore === 0 && c.inReview.scored === 0;
    // every application scored: summing is what comes next
    const allScored = c.status === 'scoring' && c.inReview?.toScore === 0 && c.inReview.scored > 0;
    if (nothingToScore) elements.push(note(md`本年度没有进入评审的申报，无需分配专家：点“结束评分并汇总”，再点“公布结果”，本年度评审即结束（不授予称号），之后可开启下一年度的评审。`));
    if (c.status === 'open' || (c.status === 'scoring' && !c.reopenedForSheets && !nothingToScore)) {
      buttons.push(
        button({
          text: '分配专家',
          value: { action: 'review.assign', cycleId: c.id },
          confirm: { title: '为已受理的申报分配专家？', text: `每份申报 ${c.expertsPerApplication} 位专家；已分配的保留，只补足缺额。分配后专家即收到评分任务。` },
        }),
      );
    }
    // what ends the year is on the card that a refused 开启年度评审 answers with (第十九条); 评审进度 says what it still waits for
    if (c.status === 'scoring') {
      buttons.push(
        button({
          text: '结束评分并汇总',
          type: nothingToScore || allScored ? 'primary' : 'default',
          value: { action: 'results.close', cycleId: c.id },
          confirm: {
            title: `结束${c.year}年度专家评分？`,
            text: nothingToScore
              ? '本年度没有参评的申报：汇总后评审结束，不授予称号；再点“公布结果”即可开启下一年度。'
              : `所有申报完成评分后才能汇总；汇总后按评分规则计算最终得分、排名和结论，供预览；公布前如需更改，可重开单份评分。${c.unconfirmed ? unconfirmedAtSum(c.unconfirmed) : ''}`,
          },
        }),
      );
    }
    buttons.push(button({ text: c.status === 'closed' ? '评审进度/结果' : '评审进度', value: { action: 'review.progress', cycleId: c.id } }));
    if (data.lastPublished) buttons.push(button({ text: `${data.lastPublished.year}年度评审结果`, value: { action: 'results.preview', cycleId: data.lastPublished.id } }));
    if (data.olderPublished) buttons.push(pastYearsButton());
    buttons.push(button({ text: '刷新', value: { action: 'admin.menu' } }));
    elements.push(buttonRow(buttons));
  } else {
    elements.push(
      markdown('当前没有进行中的年度评审。'),
      ...(data.setup ? [markdown(setupSteps(data.setup))] : []),
      ...(data.lastCycle ? [note(md`上一次：${data.lastCycle.year}年度评审（${data.lastCycle.statusLabel}）`)] : []),
      note('第十九条：评审交流活动每年一次。开启后即可接受班组申报。'),
      buttonRow([
        button({ text: '开启年度评审', type: 'primary', value: { action: 'cycle.form' } }),
        // the card posted at publishing stops taking clicks after 14 days: the year's results stay reachable from here
        ...(data.lastCycle?.status === 'published' ? [button({ text: `${data.lastCycle.year}年度评审结果`, value: { action: 'results.preview', cycleId: data.lastCycle.id } })] : []),
        ...(data.olderPublished ? [pastYearsButton()] : []),
        button({ text: '刷新', value: { action: 'admin.menu' } }),
      ]),
    );
  }
  elements.push(
    // every decision is reachable from here: a notification card stops taking clicks after 14 days
    buttonRow([
      button({ text: '形式审查', value: { action: 'check.list' } }),
      button({ text: '投诉处理', value: { action: 'complaint.list' } }),
      button({ text: '专家库', value: { action: 'experts.list' } }),
      button({ text: '导入', value: { action: 'import.guide' } }),
      button({ text: '管理员', value: { action: 'admins.list' } }),
      button({ text: '协会联系方式', value: { action: 'association.contactForm' } }),
      button({ text: '返回菜单', type: 'text', value: { action: 'help.menu' } }),
    ]),
    note(typedCommands(data.olderPublished)),
    note(md`今天：${data.today}`),
  );
  return card({ title: '协会管理', subtitle: '广东省市政工程质量信得过班组', template: 'indigo', summary: '协会管理', elements });
}

export type CycleFormField =
  | 'year'
  | 'applicationDeadline'
  | 'scoringDeadline'
  | 'reviewMeetingDate'
  | 'awardThreshold'
  | 'expertsPerApplication'
  | 'recommendShare'
  | 'dropExtremesFrom'
  | 'outlierDistance'
  | 'revocationRun';

export interface CycleFormData {
  /** The cycle form's descriptor (src/cycles.ts `cycleForm`). */
  descriptor: FormDescriptor;
  mode: 'open' | 'settings';
  /** The cycle whose settings are edited (settings mode). */
  cycleId?: number;
  /** Shown as the title in settings mode, where the year cannot change. */
  year?: number;
  /** Values to fill: the defaults, the current settings, or what the user typed. */
  values: Partial<Record<CycleFormField, string>>;
  /** The refusal of the last submission, shown above the form. */
  error?: FormError | string;
  /** Settings mode after applications closed: the application deadline is shown, not editable. */
  applicationDeadlineFixed?: string;
  /**
   * Settings mode: the cycle's settings as they stood when the form was drawn, carried by 保存设置 so a save from an
   * older copy changes only what was changed on it (`changedOnForm`), not back what another administrator saved since.
   */
  drawn?: Partial<Record<CycleFormField, string>>;
}

/** 开启年度评审 / 修改设置: every setting of a cycle, defaults filled, dates by picker. */
export function cycleFormCard(data: CycleFormData): Card {
  // the year is chosen once, at opening; a closed application deadline is shown, not offered
  const shown = Object.entries(data.descriptor.fields).filter(([k]) => (k !== 'year' || data.mode === 'open') && !(k === 'applicationDeadline' && data.applicationDeadlineFixed));
  const inputs: Element[] = [
    ...(data.applicationDeadlineFixed ? [markdown(md`**申报截止日期**：${formatDateZh(data.applicationDeadlineFixed)}（申报已截止）`)] : []),
    ...formInputs({ ...data.descriptor, fields: Object.fromEntries(shown) }, data.values, { clientRequired: true }),
    data.mode === 'open'
      ? submitButton({ text: '开启评审', name: 'cycle_open_submit', value: { action: 'cycle.open' } })
      : submitButton({ text: '保存设置', name: 'cycle_settings_submit', value: { action: 'cycle.settingsSave', cycleId: data.cycleId, ...(data.drawn ? { drawn: data.drawn } : {}) } }),
  ];
  const title = data.mode === 'open' ? '开启年度评审' : `修改${data.year ?? ''}年度评审设置`;
  return card({
    title,
    template: data.error ? 'red' : 'indigo',
    elements: [
      ...refusalBanner(data.error, '未保存', 'colonAfter'),
      note(
        data.mode === 'open'
          ? '第十九条：评审每年一次。申报截止日期 ≤ 专家评分截止日期 ≤ 评审会日期；默认评分表为 100 分制，开启后可载入正式评分表。'
          : '申报截止日期 ≤ 专家评分截止日期 ≤ 评审会日期；修改后的日期不能早于今天。',
      ),
      form('cycle_form', inputs),
      buttonRow([button({ text: '返回', type: 'text', value: { action: 'admin.menu' } })]),
    ],
  });
}

export interface ScoreSheetFormData {
  cycleId: number;
  year: number;
  /** The sheet now in force, by area. */
  current: { title: string; total: number; areas: { code: string; name: string; max: number; items: number }[] };
  /** What each input is filled with, in order: the current sheet in line form over as many as it takes, or what the user typed. */
  boxes: string[];
  /** How many inputs the sheet may take, read in order as one text (src/scoreSheet.ts SHEET_INPUT). */
  boxCount: number;
  /** What each takes: Feishu's input at most 1 000 characters. */
  boxMax: number;
  error?: string;
}

/**
 * Feishu's input takes at most 1000 characters (max_length 1–1000,
 * https://open.feishu.cn/document/feishu-cards/card-json-v2-components/interactive-components/input).
 */
const INPUT_MAX = 1000;

/** The form field of the sheet's `n`-th input (from 1): `sheet`, the one name of cards sent before, then `sheet2`…. */
const sheetBoxName = (n: number) => (n === 1 ? 'sheet' : `sheet${n}`);

/** 载入评分表: the sheet in force, and inputs for a new one (JSON, or one line per area / item), read in order as one text. */
export function scoreSheetFormCard(data: ScoreSheetFormData): Card {
  const areas = data.current.areas.map((a) => `${a.code} ${a.name}：${a.items} 项，${a.max} 分`).join('\n');
  const max = Math.min(data.boxMax, INPUT_MAX);
  const inputs = Array.from({ length: Math.max(1, data.boxCount) }, (_, i) => {
    const text = data.boxes[i] ?? '';
    const input = textInput({
      name: sheetBoxName(i + 1),
      label: i === 0 ? `新评分表（第 1 框，最多 ${max} 字）` : `第 ${i + 1} 框（接上一框，最多 ${max} 字）`,
      placeholder: i === 0 ? '粘贴 JSON，或每行一项：1 班组基础建设 / 1.1 目标分解与职能明确 5' : '评分表较长时，从下一个评分区域行接着填',
      // what the input cannot hold is not offered (Feishu refuses a default longer than max_length)
      value: text.length <= max ? text : undefined,
      required: i === 0,
      maxLength: max,
      multiline: true,
    });
    return i === 0 ? { ...input, rows: 12, max_rows: 24 } : { ...input, rows: 3, max_rows: 24 };
  });
  return card({
    title: `载入${data.year}年度评分表`,
    template: data.error ? 'red' : 'indigo',
    elements: [
      ...(data.error ? [markdown(md`<font color='red'>**未载入**：${data.error}</font>`)] : []),
      markdown(md`**当前评分表**：${data.current.title}（共 ${data.current.total} 分）\n${areas}`),
      note(
        '第十八条：评审依据《质量信得过班组建设评分表》。格式二选一：JSON `{"title","total","areas":[{"code","name","items":[{"code","name","max"}]}]}`；或每行一项——“评分表：名称”“总分：100”，区域行“1 班组基础建设”（可带小计“1 班组基础建设 20分”，与其下各项之和核对），评分项行“1.1 目标分解与职能明确 5”。满分为整数或半分，各项之和须等于总分。',
      ),
      note(md`每框最多 ${max} 字，超出的部分飞书不会收下。评分表较长时请按评分区域分开：第 1 框写表头和前几个区域，其余区域依次填入下面的框（每框从一个区域行开始），机器人按顺序把各框连成一份评分表；JSON 可在任意处分段，按顺序填入。`),
      form('sheet_form', [...inputs, submitButton({ text: '载入评分表', name: 'sheet_submit', value: { action: 'cycle.sheetLoad', cycleId: data.cycleId } })]),
      buttonRow([button({ text: '返回', type: 'text', value: { action: 'admin.menu' } })]),
    ],
  });
}

export interface CycleOpenedData {
  year: number;
  applicationDeadline: string;
  scoringDeadline: string;
  reviewMeetingDate: string;
  awardThreshold: number;
  expertsPerApplication: number;
  recommendShare: number;
  openedBy: string;
}

/** To the administrators: a cycle was opened. */
export function cycleOpenedCard(d: CycleOpenedData): Card {
  return card({
    title: `${d.year}年度评审已开启`,
    template: 'green',
    summary: `${d.year}年度质量信得过班组评审已开启`,
    elements: [
      markdown(md`${mention(d.openedBy)} 开启了${d.year}年度广东省市政工程质量信得过班组评审，班组即日起可以申报。`),
      fields([
        ['申报截止', formatDateZh(d.applicationDeadline)],
        ['专家评分截止', formatDateZh(d.scoringDeadline)],
        ['评审会', formatDateZh(d.reviewMeetingDate)],
        ['授予称号分数线', `${d.awardThreshold} 分`],
        ['每份申报评审专家', `${d.expertsPerApplication} 人`],
        ['择优推荐比例', `前 ${percent(d.recommendShare)}`],
      ]),
      buttonRow([button({ text: '协会管理', type: 'primary', value: { action: 'admin.menu' } })]),
    ],
  });
}

export interface AdministratorsData {
  /** Everyone who is an administrator now (src/admins.ts `listAdministrators`). */
  admins: { openId: string; name: string | null; configured: boolean }[];
  /** Who looks at the card: their own line says so. */
  viewer: string;
  /** Whom the add form's picker offers: known people not yet administrators. */
  candidates: string[];
  /** The add form (src/admins.ts `adminAddForm`) and what was typed into it, kept after a refusal. */
  descriptor: FormDescriptor;
  values?: Record<string, unknown>;
  error?: string;
  /** The page of the roster shown (1 when absent). */
  page?: number;
}

/**
 * Administrators per page: each is a line, 移除 and its confirmation (eight tagged objects); forty on one card came to
 * 345 tagged objects and 46 KB, which Feishu refuses, so nobody could open the roster, nor remove anyone from it.
 */
export const ADMINS_PAGE = 10;

/** 管理员 (第十四条): who runs the review, a page at a time, 移除 for those added in the bot, and the form to add more. */
export function administratorsCard(d: AdministratorsData): Card {
  const elements: Element[] = [...(d.error ? [markdown(md`<font color='red'>**未保存**：${d.error}</font>`)] : [])];
  const shown = pageOf(d.admins, d.page ?? 1, ADMINS_PAGE);
  const onPage = shown.page > 1 ? { page: shown.page } : {};
  elements.push(markdown(md`**协会管理员**：${d.admins.length} 位`));
  // the only one: removing them is refused (第十四条), so no 移除 is offered, and the line says how it could be
  const only = d.admins.length === 1;
  for (const a of shown.items) {
    const who = a.name ? md`**${a.name}**` : mention(a.openId);
    const facts = [a.openId === d.viewer ? '（你）' : '', a.configured ? '（部署配置指定，须在配置中移除）' : only ? '（唯一的管理员：先添加另一位管理员，才能移除）' : ''].join('');
    elements.push({
      tag: 'column_set',
      flex_mode: 'none',
      columns: [
        { tag: 'column', width: 'weighted', weight: 3, elements: [markdown(md`${who}${facts}`)] },
        {
          tag: 'column',
          width: 'auto',
          elements: a.configured || only
            ? []
            : [
                button({
                  text: '移除',
                  type: 'danger',
                  value: { action: 'admins.remove', openId: a.openId, ...onPage },
                  // named: on a phone's roster the dialog is what shows a tap landed on the wrong row
                  confirm:
                    a.openId === d.viewer
                      ? { title: '移除你自己的管理员身份？', text: '移除后你将不能再使用协会管理功能，需由其他管理员重新添加。' }
                      : {
                          title: a.name ? `移除管理员${a.name}？` : '移除这位管理员？',
                          text: `移除后${a.name ?? '对方'}不能再使用协会管理功能；如移除有误，可在下方“添加管理员”中重新添加。`,
                        },
                }),
              ],
        },
      ],
    });
  }
  elements.push(...pager({ page: shown.page, pages: shown.pages, value: { action: 'admins.list' } }));
  const v = d.values ?? {};
  const typed = v.admins;
  const picked = (Array.isArray(typed) ? typed : typeof typed === 'string' && typed ? typed.split(',') : []).map(String);
  elements.push(
    hr(),
    markdown('**添加管理员**'),
    form('admin_form', [
      // Feishu requires a picker's selected people to be among its options
      ...formInputs(d.descriptor, { ...v, admins: picked }, { people: { admins: [...new Set([...picked, ...d.candidates])] } }),
      submitButton({ text: '添加为管理员', name: 'admins_add', value: { action: 'admins.add' } }),
    ]),
    note('第十四条：评审工作由协会负责实施，管理员代表协会开启评审、分配专家、公布结果。至少保留一位管理员。'),
    buttonRow([button({ text: '返回管理', type: 'text', value: { action: 'admin.menu' } })]),
  );
  return card({ title: '管理员', subtitle: '广东省市政工程质量信得过班组', template: d.error ? 'red' : 'indigo', summary: '管理员', elements });
}

/** After removing oneself: no longer an administrator, nothing of the association's left to click. */
export function selfRemovedCard(): Card {
  return card({
    title: '管理员',
    template: 'grey',
    elements: [markdown('你已不再是协会管理员，不能再使用协会管理功能。如需恢复，请其他管理员在“管理 → 管理员”中重新添加你。'), buttonRow([button({ text: '返回菜单', type: 'text', value: { action: 'help.menu' } })])],
  });
}
