import type { DisplayRow, FormDescriptor } from '../src/forms.js';
import type { ScoredBeforeConflict } from '../src/review/experts.js';
import type { ScoreSheetForm } from '../src/review/scoring.js';
import { groupDigits } from './bulk.js';
import { unconfirmedUntold } from './strings.js';
import { form, type FormError, formDisplayElements, formInputs, refusalBanner, submitButton, textInput } from './forms.js';
import { asTyped, button, buttonRow, card, type Card, type Element, fields, hr, markdown, note, md, mdJoin, mention, pageOf, pager, clipText, fittedCard, type MdValue } from './kit.js';

/** 专家评审 cards: the expert's tasks and score sheets, and the administrators' view of the panels. */

export interface TaskApplication {
  code: string;
  team: string;
  organization: string;
  /** The 申报表 as people read it (src/forms.ts `formDisplay` of `applicationForm`). */
  display: DisplayRow[];
  /** The organisation's 推荐意见 (第十五条), part of what the association received; absent before a recommendation. */
  recommendation?: string;
}

export interface ScoringTaskData {
  assignmentId: number;
  year: number;
  application: TaskApplication;
  /** The sheet's score form (src/review/scoring.ts `scoreSheetForm`): its items' inputs, grouped by area. */
  form: ScoreSheetForm;
  /** The sheet's fingerprint (src/scoreSheet.ts `sheetFingerprint`): the submit carries it, so a sheet loaded since is told apart (第十八条). */
  sheetFingerprint?: string;
  /** What to fill the inputs with: what was typed, or the scores of a reopened sheet. */
  values?: Record<string, string>;
  comment?: string;
  /** A refused submit: its message, and each problem when there were several (listed one a line, not the toast's first five). */
  error?: FormError | string;
  scoringDeadline?: string;
  /** Today is past `scoringDeadline` (a sheet reopened or given late): the sheet still takes 提交评分, and says so. */
  deadlinePassed?: boolean;
  /**
   * Feishu takes a card's clicks only within 14 days of sending its message: the date (as people read it) it stops
   * when that comes before the end of scoring; `true` when the message's sending day is not known (a card answered in
   * place of an earlier one); absent when the card outlives the scoring.
   */
  clickableUntil?: string | true;
  reopened?: boolean;
}

/** Where the card says it stops taking 提交评分 (`ScoringTaskData.clickableUntil`), and what to do then. */
function clickableText(until: ScoringTaskData['clickableUntil']): string {
  if (!until) return '';
  const when = until === true ? '飞书卡片发出 14 天后无法再提交' : `本卡片发出 14 天后（${until}）无法再提交`;
  return `${when}，届时请发送“评分”重新打开评分表。`;
}

/** The brief shows the title and category; the long view every field, each long text clipped at `clip` characters. */
// the 申报表's fields a summary shows; review_submit (migration 0012) reads back only these of the form when it stores a sheet
export const briefKeys: ReadonlySet<string> = new Set(['title', 'category']);

function applicationBrief(a: TaskApplication, long: boolean, clip = 1000): Element[] {
  const isShort = (r: DisplayRow) => r.kind !== 'longText' && r.kind !== 'url';
  const short = a.display.filter((r) => isShort(r) && (long || briefKeys.has(r.key)));
  return [
    fields([['班组', `${a.team}（${a.code}）`], ['所属单位', a.organization], ...short.map((r): [string, MdValue] => [r.label, r.text && asTyped(r.text)])]),
    ...(long ? formDisplayElements(a.display.filter((r) => !isShort(r) && r.text), { clip }) : []),
    // 第十五条: the form reaches the association with its organisation's recommendation; the long views show it too
    ...(long && a.recommendation ? [markdown(md`**单位推荐意见**\n${asTyped(clipText(a.recommendation, clip))}`)] : []),
  ];
}

/**
 * The score sheet shows the start of each long text of the 申报表: four texts of 1 000 characters took 18 KB of
 * Feishu's 30 KB, leaving too little for a large sheet. 查看申报表全文 shows them whole.
 */
export const TASK_TEXT_SHOWN = 300;
const clippedAt = (a: TaskApplication, n: number) => a.display.some((r) => r.kind === 'longText' && r.text.length > n) || (a.recommendation?.length ?? 0) > n;

/**
 * The score sheet of one application: the form's inputs (one number per item, labelled with its max), each area under its
 * heading; submit. Long texts start at TASK_TEXT_SHOWN characters, fewer when a large sheet of long item names and the
 * texts' escaping would pass Feishu's 30 KB.
 */
export function scoringTaskCard(d: ScoringTaskData): Card {
  return fittedCard((clip) => scoringTaskDrawn(d, clip ?? TASK_TEXT_SHOWN), [200, 100, 50]);
}

function scoringTaskDrawn(d: ScoringTaskData, shown: number): Card {
  const keys = Object.keys(d.form.fields);
  // not required on the client: 谢绝此任务 and 我的评分任务 submit the form too (carrying what was typed), and Feishu would
  // hold them back until every item had a score; 提交评分 is checked on the server item by item
  const drawn = formInputs(d.form, { ...d.values, comment: d.comment });
  const headings = new Map(d.form.areas.map((a) => [a.fields[0], a]));
  const inputs: Element[] = [];
  keys.forEach((key, i) => {
    const area = headings.get(key);
    if (area) inputs.push(markdown(md`**${area.code} ${area.name}**（${area.max} 分${area.article ? `，${area.article}` : ''}）`));
    inputs.push(drawn[i]);
  });
  inputs.push(submitButton({ text: '提交评分', name: 'review_submit', value: { action: 'review.submit', assignmentId: d.assignmentId, ...(d.sheetFingerprint ? { sheet: d.sheetFingerprint } : {}) } }));
  // buttons of the same form, so what was typed comes with them and the way back draws the sheet with it
  inputs.push(
    buttonRow([
      submitButton({ text: '谢绝此任务', name: 'review_decline_form', type: 'danger', value: { action: 'review.declineForm', assignmentId: d.assignmentId } }),
      submitButton({ text: '我的评分任务', name: 'review_list', type: 'default', value: { action: 'review.list', from: d.assignmentId } }),
    ]),
  );
  const total = d.form.areas.reduce((n, a) => n + a.max, 0);
  return card({
    title: `评分：${d.application.team}`,
    subtitle: `${d.year}年度质量信得过班组评审 · 满分 ${total} 分`,
    template: d.error ? 'red' : 'blue',
    summary: `评分任务：${d.application.team}`,
    elements: [
      ...refusalBanner(d.error, '未提交', 'colonAfter'),
      ...(d.reopened ? [note('协会管理员已重开这份评分，原分数已填入，修改后请重新提交。')] : []),
      ...applicationBrief(d.application, true, shown),
      ...(clippedAt(d.application, shown)
        ? [
            note(md`以上各项长文本只显示前 ${shown} 字。`),
            buttonRow([button({ text: '查看申报表全文', value: { action: 'review.application', assignmentId: d.assignmentId } })]),
          ]
        : []),
      hr(),
      note(
        md`第十八条：按《质量信得过班组建设评分表》逐项打分，每项 0 到满分，可打整分或半分。${d.scoringDeadline ? `评分截止：${d.scoringDeadline}${d.deadlinePassed ? '（已过；这份评分仍可提交，请尽快完成）' : ''}。` : ''}${clickableText(d.clickableUntil)}你的评分仅协会可见，其他专家和申报班组看不到。`,
      ),
      form('score_form', inputs),
    ],
  });
}

/**
 * 查看申报表全文: the whole 申报表 of a task, read-only, sent as a message of its own beside the score sheet; 打开评分表
 * draws the sheet here again for an expert who has scrolled far from it.
 */
export function taskApplicationCard(d: { assignmentId: number; year: number; application: TaskApplication; after?: string }): Card {
  return fittedCard((clip) => taskApplicationDrawn(d, clip));
}

function taskApplicationDrawn(d: { assignmentId: number; year: number; application: TaskApplication; after?: string }, clip: number | undefined): Card {
  return card({
    title: `申报表全文：${d.application.team}`,
    subtitle: `${d.year}年度质量信得过班组评审`,
    template: 'blue',
    elements: [
      ...applicationBrief(d.application, true, clip),
      ...(clip && clippedAt(d.application, clip) ? [note(md`申报材料较长，超出飞书卡片的大小上限，以上各项长文本只显示前 ${clip} 字；全文请联系协会。`)] : []),
      // `after`: the task is no longer to score (submitted, declined, given to another expert, the year's scoring over)
      ...(d.after
        ? [note(md`${d.after}`)]
        : [
            note('请在原评分卡片中继续打分，已填的分数仍在；找不到时点“打开评分表”（在此另开的评分表不含已填未提交的分数）。'),
            buttonRow([button({ text: '打开评分表', type: 'default', value: { action: 'review.open', assignmentId: d.assignmentId } })]),
          ]),
    ],
  });
}

/**
 * 查看申报表全文 on the 形式审查 card: the whole 申报表 for an administrator checking it (第十五条 按照填报要求), read-only,
 * sent as a message of its own beside the list, whose 退回原因 typed stays as it was.
 */
export function checkApplicationCard(d: { year: number; application: TaskApplication; status: string; checking: boolean }): Card {
  return fittedCard((clip) =>
    card({
      title: `申报表全文：${d.application.team}`,
      subtitle: `${d.year}年度质量信得过班组评审`,
      template: 'violet',
      elements: [
        ...applicationBrief(d.application, true, clip),
        ...(clip && clippedAt(d.application, clip) ? [note(md`申报材料较长，超出飞书卡片的大小上限，以上各项长文本只显示前 ${clip} 字；全文请向班组长索取。`)] : []),
        // past the check (accepted since the list was drawn, or returned) there is nothing to 受理 or 退回 any more
        note(d.checking ? md`申报状态：${d.status}。受理或退回请在原“形式审查”卡片中操作，已填的退回原因仍在。` : md`申报状态：${d.status}。`),
      ],
    }),
  );
}

export interface ScoredData {
  assignmentId: number;
  year: number;
  application: TaskApplication;
  total: number;
  max: number;
  areas: { code: string; name: string; score: number; max: number }[];
  /** The stored sheet as people read it: each item, then the comment (src/review/scoring.ts `scoreSheetDisplay`). */
  display: DisplayRow[];
  submittedAt: string;
  /** `recused`: pending tasks left that the expert must step aside from (第十七条), not theirs to score. */
  progress?: { done: number; total: number; recused?: number };
  /** The year's results are published: no sheet of it is reopened any more, so none is to be asked for. */
  published?: boolean;
}

const recusedLeft = (p: ScoredData['progress']) => Math.min(p?.recused ?? 0, p ? p.total - p.done : 0);
const pendingLeft = (p: ScoredData['progress']) => !!p && p.done + recusedLeft(p) < p.total;
const progressText = (p: ScoredData['progress']) => {
  if (!p?.total) return '';
  const recused = recusedLeft(p);
  const aside = recused ? `另有 ${recused} 项你须回避（第十七条），无需评分，协会管理员将改派其他专家。` : '';
  if (pendingLeft(p)) return `你已完成 ${p.done} / ${p.total - recused} 项，还有 ${p.total - p.done - recused} 项待评。${aside}`;
  return recused ? `你可评的 ${p.done} 项评分任务已全部完成，谢谢！${aside}` : `你的 ${p.total} 项评分任务已全部完成，谢谢！`;
};

/** After submit: the same application, read-only, with the expert's own total; 评下一份 while tasks are pending. */
export function scoredCard(d: ScoredData): Card {
  return card({
    title: `已提交评分：${d.application.team}`,
    subtitle: `${d.year}年度质量信得过班组评审`,
    template: 'green',
    summary: `已提交评分：${d.application.team}`,
    elements: [
      ...applicationBrief(d.application, false),
      hr(),
      markdown(md`**总分：${d.total} / ${d.max} 分**`),
      markdown(mdJoin(d.areas.map((a) => `${a.code} ${a.name}：${a.score} / ${a.max}`), '\n')),
      note(mdJoin(d.display.filter((r) => r.kind !== 'longText').map((r) => md`${r.label}：${r.text ? asTyped(r.text) : '—'}`), '\n')),
      ...d.display.filter((r) => r.kind === 'longText' && r.text).map((r) => markdown(md`**${r.label}**：${asTyped(r.text)}`)),
      note(
        d.published
          ? md`提交时间：${d.submittedAt}。${String(d.year)}年度评审结果已公布，本年度评审已结束，评分不再更改。`
          : md`提交时间：${d.submittedAt}。评分已锁定，如需修改请联系协会管理员重开。${progressText(d.progress)}`,
      ),
      // an expert with many tasks goes on to the next one from here; the list is one tap further
      buttonRow(
        pendingLeft(d.progress)
          ? [button({ text: '评下一份', type: 'primary', value: { action: 'review.next' } }), button({ text: '我的评分任务', value: { action: 'review.list' } })]
          : [button({ text: '我的评分任务', type: 'primary', value: { action: 'review.list' } })],
      ),
    ],
  });
}

export interface TaskListData {
  year?: number;
  done: number;
  total: number;
  /** This page's tasks; `recused`: pending, but the expert must step aside from the team (第十七条), so nothing to score. */
  tasks: { assignmentId: number; code: string; team: string; title: string; status: string; total: number | null; recused?: boolean; typed?: Record<string, string> }[];
  page: number;
  pages: number;
  /** The year's 评分截止 as people read it (2027年6月30日). */
  scoringDeadline?: string;
  /** Whole days past the 评分截止 while tasks are still to score (0 or absent: not overdue). */
  overdueDays?: number;
  /** The year's tasks the expert declined or that went to another expert (谢绝, 更换专家, a conflict). */
  movedAway?: number;
  /**
   * Those, by what became of each: declined by the expert's 谢绝, by their 声明利益冲突, by the bot stepping them aside
   * (回避, 第十七条), or given to another expert by 更换专家; without it, all are counted as declined or moved away.
   */
  moved?: { declined: number; declared: number; recused: number; replaced: number };
  /** The expert is 停用 in 专家库: no task will be given to them, and they are told so, not promised one. */
  inactive?: boolean;
  /** Of `total`, the pending tasks the expert must step aside from (第十七条): not counted as theirs to score. */
  recused?: number;
}

/** What an expert 停用 in 专家库 with nothing to score is told, in place of a promise of tasks. */
const STOPPED = '你在专家库中已停用，协会不会再给你分配评分任务。如有误，请联系协会管理员。';

/** 评分 / review: the expert's tasks with the progress ("已完成 7 / 20") and the 评分截止, overdue when past it. */
export function taskListCard(d: TaskListData): Card {
  const elements: Element[] = [];
  if (!d.year) {
    elements.push(markdown('当前没有进行中的年度评审，暂无评分任务。'));
  } else if (!d.total && d.movedAway) {
    // what became of each, as the expert's old buttons say it: a 回避 the bot made is no 谢绝 of theirs
    const m = d.moved ?? { declined: d.movedAway, declared: 0, recused: 0, replaced: 0 };
    const parts = [
      m.declined ? `${m.declined} 项已谢绝` : '',
      m.declared ? `${m.declared} 项因你声明利益冲突已谢绝（第十七条）` : '',
      m.recused ? `${m.recused} 项须回避（第十七条）` : '',
      m.replaced ? `${m.replaced} 项已由协会改派` : '',
    ].filter(Boolean);
    const then = d.inactive ? STOPPED : '如有新的任务分配给你，我会通知你。';
    elements.push(markdown(md`你在${d.year}年度的评分任务：${parts.join('，')}；目前没有待评任务。${then}`));
  } else if (!d.total) {
    // 停用: no task will come while it lasts, so none is promised
    elements.push(markdown(d.inactive ? STOPPED : md`${d.year}年度评审暂未给你分配评分任务。分配后我会通知你。`));
  } else {
    const deadline = d.scoringDeadline ? md` · 评分截止 ${d.scoringDeadline}` : '';
    const overdue = d.overdueDays ? md`<font color='red'>（已逾期 ${d.overdueDays} 天）</font>` : '';
    elements.push(markdown(md`**${d.year}年度评审 · ${taskCount(d)}${deadline}**${overdue}`));
    for (const t of d.tasks) {
      const done = t.status === 'submitted';
      // not theirs to score: said so, with no button to a sheet its submit would refuse
      if (t.recused) {
        elements.push(markdown(md`🚫 **${t.team}**（${t.code}）\n${clipText(t.title ?? '', 40)}\n<font color='grey'>须回避（第十七条），无需评分，等待协会改派其他专家</font>`));
        continue;
      }
      elements.push({
        tag: 'column_set',
        flex_mode: 'none',
        columns: [
          {
            tag: 'column',
            width: 'weighted',
            weight: 3,
            elements: [markdown(md`${done ? '✅' : '⬜'} **${t.team}**（${t.code}）\n${clipText(t.title ?? '', 40)}${done ? ` · 总分 ${t.total}` : ''}`)],
          },
          {
            tag: 'column',
            width: 'auto',
            vertical_align: 'center',
            elements: [button({ text: done ? '查看' : '评分', type: done ? 'default' : 'primary', value: { action: 'review.open', assignmentId: t.assignmentId, ...(t.typed ? { typed: t.typed } : {}) } })],
          },
        ],
      });
    }
    elements.push(...pager({ page: d.page, pages: d.pages, value: { action: 'review.list' } }));
  }
  elements.push(
    hr(),
    note('第十七条：评审公开、公平、公正。与申报班组或其单位存在利益关系的，请谢绝该任务或声明利益冲突。'),
    buttonRow([
      button({ text: '声明利益冲突', value: { action: 'experts.conflictForm' } }),
      button({ text: '刷新', value: { action: 'review.list' } }),
      button({ text: '返回菜单', type: 'text', value: { action: 'help.menu' } }),
    ]),
  );
  // the chat preview counts as the card's heading does: the tasks to step aside from are not theirs (第十七条)
  return card({ title: '我的评分任务', template: 'blue', summary: d.total ? `评分任务：${taskCount(d)}` : '评分任务', elements });
}

/** 已完成 1 / 18（另 2 项须回避）: the expert's count, the pending tasks they must step aside from apart (第十七条). */
function taskCount(d: Pick<TaskListData, 'done' | 'total' | 'recused'>): string {
  const recused = d.recused ?? 0;
  const aside = recused ? `（另 ${recused} 项须回避）` : '';
  return d.total > recused ? `已完成 ${d.done} / ${d.total - recused}${aside}` : `没有需要你评分的任务${aside}`;
}

/** 谢绝任务: the decline form's inputs (src/review/scoring.ts `declineForm`: why, and a few words), kept after a refusal. */
export function declineFormCard(d: {
  assignmentId: number;
  application: TaskApplication;
  descriptor: FormDescriptor;
  values?: Record<string, unknown>;
  error?: FormError | string;
  typed?: Record<string, string>;
  /** The expert's other tasks still to score of the same organisation: a 谢绝 keeps only this team from them (第十七条). */
  sameOrganization?: { name: string; tasks: number };
}): Card {
  const org = d.sameOrganization?.tasks ? d.sameOrganization : undefined;
  return card({
    title: `谢绝评分任务：${d.application.team}`,
    template: d.error ? 'red' : 'orange',
    elements: [
      ...refusalBanner(d.error, '未提交', 'colonAfter'),
      ...applicationBrief(d.application, false),
      note('谢绝后协会将自动改派其他专家；选择“存在利益冲突”的，今后也不会再把该班组分配给你（第十七条）。'),
      ...(org ? [note(md`你还有 ${org.tasks} 项同属“${org.name}”的评分任务：如与该单位存在利益关系，请点“声明利益冲突”，冲突对象选“单位”，这些任务将一并改派其他专家。`)] : []),
      form('decline_form', [
        ...formInputs(d.descriptor, d.values, { clientRequired: true }),
        submitButton({ text: '确认谢绝', name: 'review_decline', type: 'danger', value: { action: 'review.decline', assignmentId: d.assignmentId } }),
      ]),
      // back to the sheet with the scores typed on it before 谢绝此任务
      buttonRow([
        button({ text: '返回评分', type: 'text', value: { action: 'review.open', assignmentId: d.assignmentId, ...(d.typed ? { typed: d.typed } : {}) } }),
        ...(org ? [button({ text: '声明利益冲突', value: { action: 'experts.conflictForm' } })] : []),
      ]),
    ],
  });
}

/**
 * A decline's reason as stored, shown: a task declined by 声明利益冲突 stores “声明利益冲突：…”; rows of before stored it
 * after the kind's label too (“存在利益冲突：声明利益冲突：…”), shown without it.
 */
function declineReasonShown(reason: string): string {
  return reason.replace(/^存在利益冲突：(?=声明利益冲突：)/, '');
}

/** A decline no expert could take the place of: the administrators hear of it (无法自动改派专家) and arrange one. */
const NOBODY_FREE = '暂无专家可以接替，已告知协会管理员另行安排。';
/** A decline on a panel already short, an expert coming yet fewer than it misses: the administrators hear it is still short (专家组仍未配齐). */
const STILL_SHORT = '已有专家接替，但专家组仍未配齐，已告知协会管理员另行安排。';

/**
 * A place the panel never needed filled, told once the panel has fallen short since (another expert left it with nobody
 * free, `unneededThen`): true of the time the expert left (回避 or 谢绝), not of the panel now, whose lack was told to the administrators.
 */
export const unneededThenText = (recused: unknown) => `${recused ? '你回避时' : '你谢绝时'}该申报的专家组人数已足，无需其他专家接替` as const;

/**
 * What a declined task's card says became of the place (`declinedCard`): another expert took it (`arranged`); the panel
 * has its experts without one (`unneeded`: it was one too large), or had them when the expert left and is short now
 * (`unneededThen`); one came yet the panel is still short (`partly`); or nobody could, and the administrators were told.
 */
export function declinedPlaceText(d: { arranged: boolean; partly?: boolean; unneeded?: boolean; unneededThen?: boolean; recused?: string }): '协会已另行安排其他专家评审。' | '该申报的专家组人数已足，无需其他专家接替。' | `${ReturnType<typeof unneededThenText>}。` | typeof STILL_SHORT | typeof NOBODY_FREE {
  if (d.arranged) return '协会已另行安排其他专家评审。';
  if (d.unneeded) return '该申报的专家组人数已足，无需其他专家接替。';
  if (d.unneededThen) return `${unneededThenText(d.recused)}。`;
  return d.partly ? STILL_SHORT : NOBODY_FREE;
}

/**
 * A declined task's sheet (the 谢绝's answer, or an old copy): the reason of the decline, or, for a task the bot stepped
 * its expert aside from (回避, `recused`: why, in words that follow 你), that they must step aside, with no 谢绝 they
 * never pressed; another expert named as arranged only when one took the place (`arranged`), else that nobody could
 * (or, `partly`, that one came yet the panel is still short) and the administrators were told (they are:
 * `announceReplacement`), or that the panel needed nobody (`unneeded`; `unneededThen`, when the expert left it).
 */
export function declinedCard(d: { application: TaskApplication; reason: string; recused?: string; arranged: boolean; partly?: boolean; unneeded?: boolean; unneededThen?: boolean; nobody?: boolean }): Card {
  if (d.recused) {
    return card({
      title: `须回避：${d.application.team}`,
      template: 'grey',
      elements: [
        ...applicationBrief(d.application, false),
        markdown(md`你${d.recused}，须回避该班组的评审（第十七条），这项任务无需你评分。`),
        // what became of the place, as its toast says (`placeClause`); nothing when the toast says nothing of it
        ...(d.arranged || d.partly || d.unneeded || d.unneededThen || d.nobody ? [note(declinedPlaceText(d))] : []),
        buttonRow([button({ text: '我的评分任务', value: { action: 'review.list' } })]),
      ],
    });
  }
  return card({
    title: `已谢绝：${d.application.team}`,
    template: 'grey',
    elements: [
      ...applicationBrief(d.application, false),
      markdown(md`**谢绝原因**：${asTyped(declineReasonShown(d.reason))}`),
      note(declinedPlaceText(d)),
      buttonRow([button({ text: '我的评分任务', value: { action: 'review.list' } })]),
    ],
  });
}

/** A task's sheet once its year's scoring has ended (结束评分并汇总): nothing more to submit from this card. */
export function scoringEndedCard(d: { application: TaskApplication; year: number; published?: boolean }): Card {
  return card({
    title: `评分已结束：${d.application.team}`,
    template: 'grey',
    elements: [
      ...applicationBrief(d.application, false),
      markdown(
        d.published
          ? md`${String(d.year)}年度评审结果已公布，本年度评审已结束，这份评分表不再提交。`
          : md`${String(d.year)}年度专家评分已结束，这份评分表不再提交。如需更改，请联系协会管理员。`,
      ),
      buttonRow([button({ text: '我的评分任务', value: { action: 'review.list' } })]),
    ],
  });
}

/** An old copy of a task the association gave to another expert (更换专家): nothing left to score. */
export function reassignedCard(d: { application: TaskApplication }): Card {
  return card({
    title: `已改派：${d.application.team}`,
    template: 'grey',
    elements: [
      ...applicationBrief(d.application, false),
      markdown('协会已将这项评分任务改派给其他专家，你无需再评分，这份评分表不再提交。'),
      buttonRow([button({ text: '我的评分任务', value: { action: 'review.list' } })]),
    ],
  });
}

export interface AssignmentReportData {
  cycleId: number;
  year: number;
  perApplication: number;
  applications: number;
  added: number;
  experts: number;
  loadRange: { min: number; max: number };
  unfilled: { code: string; team: string; missing: number; reason: string }[];
  unfilledTotal: number;
}

/** 分配专家: what was assigned, and what could not be filled and why. */
export function assignmentReportCard(d: AssignmentReportData): Card {
  const elements: Element[] = [
    markdown(md`**${d.year}年度评审 · 分配专家**`),
    fields([
      ['需分配的申报', `${d.applications} 份（每份 ${d.perApplication} 位专家）`],
      ['本次新分配', `${d.added} 项评分任务`],
      ['参与评审的专家', `${d.experts} 位，每人 ${d.loadRange.min === d.loadRange.max ? d.loadRange.min : `${d.loadRange.min}–${d.loadRange.max}`} 项`],
    ]),
    note('第十七条：不分配与申报班组同单位的专家，不分配该班组的班组长、成员和单位联系人，也不分配声明了利益冲突的专家；各专家任务量尽量均衡。'),
  ];
  if (d.unfilledTotal) {
    elements.push(
      hr(),
      markdown(md`<font color='red'>**${d.unfilledTotal} 份申报专家不足**</font>`),
      markdown(mdJoin(d.unfilled.map((u) => md`**${u.code} ${u.team}**：${u.reason}`), '\n')),
    );
    if (d.unfilledTotal > d.unfilled.length) elements.push(note(md`另有 ${d.unfilledTotal - d.unfilled.length} 份未列出。`));
    elements.push(note('可在“专家库”中添加其他单位的专家或提高评审上限，再点“分配专家”补足。'));
  } else {
    elements.push(markdown('所有申报均已配齐专家。'));
  }
  elements.push(
    buttonRow([
      button({ text: '评审进度', type: 'primary', value: { action: 'review.progress', cycleId: d.cycleId } }),
      button({ text: '专家库', value: { action: 'experts.list' } }),
      button({ text: '返回管理', type: 'text', value: { action: 'admin.menu' } }),
    ]),
  );
  return card({ title: '分配专家', template: d.unfilledTotal ? 'orange' : 'green', summary: `分配专家：新增 ${d.added} 项`, elements });
}

export interface ProgressView {
  cycleId: number;
  year: number;
  status: string;
  statusLabel: string;
  applications: { label: string; count: number }[];
  /** Applications waiting for the formal check (待协会形式审查): 结束评分并汇总 waits for them. */
  unchecked?: number;
  tasks: { assigned: number; submitted: number; declined: number; replaced: number };
  /** `short`: places of the panel no expert holds (declined or stepped aside, nobody in their place), as its 专家组 card says. */
  pending: { applicationId: number; code: string; team: string; submitted: number; pending: number; short?: number }[];
  pendingTotal: number;
  /** How many of them are short of an expert (listed first). */
  shortTotal?: number;
  /** Applications scored by fewer experts than the panel size, before the first 汇总 (ProgressData's shortScored). */
  shortScored?: { applicationId: number; code: string; team: string; submitted: number; short: number }[];
  shortScoredTotal?: number;
  error?: string;
  /** 结束评分并汇总 of a large cycle, queued or running: its job and its size. */
  aggregating?: { jobId: number; total: number };
  /** Scoring again after 结束评分并汇总 for reopened sheets alone (第十七条): no 分配专家. */
  reopenedForSheets?: boolean;
  /** Applications submitted in time still waiting for their contact (第十五条): 结束评分并汇总 leaves them out of the year. */
  /** `untold`: their contacts and leaders not yet linked to Feishu, whom the deadline's notices did not reach. */
  unconfirmed?: { total: number; teams: { code: string; name: string }[]; untold?: { contacts: number; leaders: number } };
}

/** The applications still unconfirmed, named (the first few) and counted: the line above 结束评分并汇总 and its dialog. */
const unconfirmedLine = (u: NonNullable<ProgressView['unconfirmed']>) =>
  `${u.total} 份申报仍待单位联系人确认（${u.teams.map((t) => `${t.name} ${t.code}`).join('、')}${u.total > u.teams.length ? ' 等' : ''}）`;

/** 评审进度 for administrators: panels still scoring, a lookup by team code, what comes next. */
export function progressCard(d: ProgressView): Card {
  const t = d.tasks;
  const all = t.assigned + t.submitted;
  const elements: Element[] = [
    ...(d.error ? [markdown(md`<font color='red'>${d.error}</font>`)] : []),
    markdown(md`**${d.year}年度评审** · ${d.statusLabel}`),
    markdown(md`**申报**：${[...(d.unchecked ? [{ label: '待协会形式审查', count: d.unchecked }] : []), ...d.applications].map((a) => `${a.label} ${a.count}`).join(' · ')}`),
    markdown(md`**评分任务**：已提交 ${t.submitted} / ${all}${t.declined ? ` · 谢绝 ${t.declined}` : ''}${t.replaced ? ` · 改派 ${t.replaced}` : ''}`),
  ];
  if (d.reopenedForSheets) elements.push(note(md`第十七条：评分已汇总过一次，现为重开的单份评分重新提交，不再分配专家；提交后再点“结束评分并汇总”。`));
  if (d.unchecked && (d.status === 'open' || d.status === 'scoring')) {
    elements.push(markdown(md`<font color='orange'>${d.unchecked} 份申报待协会形式审查：请在“形式审查”中受理（再分配专家评分）或退回，之后才能结束评分并汇总。</font>`));
  }
  if (d.unconfirmed) elements.push(markdown(md`<font color='orange'>${unconfirmedLine(d.unconfirmed)}：已通知其单位联系人和班组长${unconfirmedUntold(d.unconfirmed.untold?.contacts ?? 0, d.unconfirmed.untold?.leaders ?? 0)}，结束评分并汇总前仍未确认的，不参加本年度评审。</font>`));
  if (d.aggregating) {
    elements.push(markdown(md`**正在后台汇总评分**（${groupDigits(d.aggregating.total)} 份申报），完成后即可点“评审结果”核对并公布。`));
  }
  if (d.pending.length) {
    elements.push(hr(), markdown(md`**未完成评分的申报（${d.pendingTotal} 份）**${d.shortTotal ? md`<font color='red'>：其中 ${d.shortTotal} 份缺专家，排在最前，请在“专家组”中更换专家</font>` : ''}`));
    for (const p of d.pending) {
      elements.push({
        tag: 'column_set',
        flex_mode: 'none',
        columns: [
          { tag: 'column', width: 'weighted', weight: 3, elements: [markdown(md`${p.code} ${p.team}：已交 ${p.submitted}，待评 ${p.pending}${p.short ? md`<font color='red'>，缺 ${p.short} 位</font>` : ''}`)] },
          { tag: 'column', width: 'auto', elements: [button({ text: '专家组', value: { action: 'review.panel', applicationId: p.applicationId } })] },
        ],
      });
    }
    if (d.pendingTotal > d.pending.length) elements.push(note(md`另有 ${d.pendingTotal - d.pending.length} 份，可按班组编号查找。`));
  }
  if (d.shortScored?.length && !d.reopenedForSheets) {
    // completed with fewer sheets than the panel size (a decline nobody took over, a pool too small, the size raised since): 汇总 counts those alone
    elements.push(
      hr(),
      markdown(
        md`**已完成评分但专家人数不足的申报（${String(d.shortScoredTotal ?? d.shortScored.length)} 份）**<font color='orange'>：已提交的评分少于每份申报的评审专家人数，汇总时按已提交的评分计算。如需补足，请在“专家库”中添加其他单位的专家（或提高评审上限）后点“分配专家”，补派的专家提交后再汇总。</font>`,
      ),
    );
    for (const p of d.shortScored) {
      elements.push({
        tag: 'column_set',
        flex_mode: 'none',
        columns: [
          { tag: 'column', width: 'weighted', weight: 3, elements: [markdown(md`${p.code} ${p.team}：已交 ${p.submitted}<font color='red'>，缺 ${p.short} 位</font>`)] },
          { tag: 'column', width: 'auto', elements: [button({ text: '专家组', value: { action: 'review.panel', applicationId: p.applicationId } })] },
        ],
      });
    }
    if ((d.shortScoredTotal ?? 0) > d.shortScored.length) elements.push(note(md`另有 ${String(d.shortScoredTotal! - d.shortScored.length)} 份，可按班组编号查找。`));
  }
  elements.push(
    hr(),
    form('panel_lookup', [
      textInput({ name: 'code', label: '按班组编号查看专家组', placeholder: '如 GDSZ-2026-0001', maxLength: 20, required: true }),
      submitButton({ text: '查看', name: 'panel_lookup_submit', type: 'default', value: { action: 'review.panelByCode', cycleId: d.cycleId } }),
    ]),
  );
  const buttons: Element[] = [];
  if (d.unchecked && (d.status === 'open' || d.status === 'scoring')) buttons.push(button({ text: '形式审查', value: { action: 'check.list' } }));
  if (d.status === 'open' || (d.status === 'scoring' && !d.reopenedForSheets)) buttons.push(button({ text: '分配专家', value: { action: 'review.assign', cycleId: d.cycleId } }));
  if (d.status === 'scoring' && d.aggregating) {
    buttons.push(button({ text: '汇总进度', type: 'primary', value: { action: 'bulk.show', jobId: d.aggregating.jobId } }));
  } else if (d.status === 'scoring') {
    buttons.push(
      button({
        text: '结束评分并汇总',
        type: 'primary',
        value: { action: 'results.close', cycleId: d.cycleId },
        confirm: {
          title: `结束${d.year}年度专家评分？`,
          text: `汇总后按评分规则计算最终得分、排名和结论，供预览；公布前如需更改，可重开单份评分。${d.unconfirmed ? `另有 ${unconfirmedLine(d.unconfirmed)}，汇总后不参加本年度评审，不能撤销，重开评分也不能让它们再参加。` : ''}`,
        },
      }),
    );
  }
  if (d.status === 'closed' || d.status === 'published') buttons.push(button({ text: '评审结果', type: 'primary', value: { action: 'results.preview', cycleId: d.cycleId } }));
  buttons.push(button({ text: '刷新', value: { action: 'review.progress', cycleId: d.cycleId } }), button({ text: '返回管理', type: 'text', value: { action: 'admin.menu' } }));
  elements.push(buttonRow(buttons));
  return card({ title: '评审进度', template: 'indigo', summary: `${d.year}年度评审进度`, elements });
}

export interface PanelView {
  cycleId: number;
  applicationId: number;
  year: number;
  application: TaskApplication;
  statusLabel: string;
  cycleStatus: string;
  members: { assignmentId: number; expertOpenId: string; name: string | null; status: string; total: number | null; declineReason: string | null }[];
  /** The page of the panel shown (1 when absent). */
  page?: number;
  /** Places of the panel no expert holds (declined, stepped aside, not replaced) while it can still be filled: 分配专家 fills them. */
  shortBy?: number;
  /**
   * The administrator viewing, when they hold a sheet of this panel still to submit: the other members' totals and their
   * 重开评分 / 更换专家 are left out, experts being blind to each other until the panel closes (第十七条).
   */
  scoringMember?: string;
}

/** Panel rows per page: eight declines with their 500-character reasons stay under Feishu's 30 KB (fifteen experts after ten declines came to 33 KB). */
export const PANEL_PAGE = 8;
/** The experts still on the panel first, those who declined or were replaced after them; each in its order. */
const onPanelFirst = (status: string) => (status === 'assigned' || status === 'submitted' ? 0 : 1);

const memberStatus: Record<string, string> = { assigned: '待评分', submitted: '已提交', declined: '已谢绝', replaced: '已改派' };

/**
 * 更换专家's confirm dialog: which expert, named, as a tap on the wrong row of a phone's panel is caught only by a dialog
 * that says whom it takes off; and that it cannot be taken back (an expert once on a panel is never put on it again:
 * one task per application and expert).
 */
function swapConfirm(name: string | null): { title: string; text: string } {
  return {
    title: name ? `更换专家${clipText(name, 20)}？` : '更换这位专家？',
    text: '该任务将改派给另一位符合条件的专家，原专家的评分卡作废，不能撤销：原专家不能再回到这个专家组。如没有可接替的专家，原专家仍会撤下，专家组暂缺一位：在专家库添加专家后，点“分配专家”补齐。',
  };
}

/** One application's panel for administrators: swap a pending expert, reopen a submitted sheet. */
export function panelCard(d: PanelView): Card {
  const editable = d.cycleStatus === 'open' || d.cycleStatus === 'scoring';
  const reopenable = editable || d.cycleStatus === 'closed';
  const ordered = d.members.map((m, i) => ({ m, i })).sort((a, b) => onPanelFirst(a.m.status) - onPanelFirst(b.m.status) || a.i - b.i).map((x) => x.m);
  const shown = pageOf(ordered, d.page ?? 1, PANEL_PAGE);
  const short = editable && d.shortBy && d.shortBy > 0 ? d.shortBy : 0;
  const rows: Element[] = shown.items.map((m) => {
    const who = m.name ? m.name : mention(m.expertOpenId);
    const hidden = d.scoringMember !== undefined && m.expertOpenId !== d.scoringMember;
    const line = md`${who} · ${memberStatus[m.status] ?? m.status}${m.total !== null && m.status === 'submitted' && !hidden ? ` · ${m.total} 分` : ''}${m.declineReason ? md`（${asTyped(declineReasonShown(m.declineReason))}）` : ''}`;
    const actions: Element[] = [];
    // no 更换专家 nor 重开评分 on a co-panellist's sheet for a member still scoring: the note below says why
    if (!hidden && m.status === 'assigned' && editable) {
      actions.push(
        button({
          text: '更换专家',
          type: 'danger',
          value: { action: 'review.swap', assignmentId: m.assignmentId, ...(shown.page > 1 ? { page: shown.page } : {}) },
          confirm: swapConfirm(m.name),
        }),
      );
    }
    if (!hidden && m.status === 'submitted' && reopenable) {
      actions.push(
        button({
          text: '重开评分',
          value: { action: 'review.reopen', assignmentId: m.assignmentId, ...(shown.page > 1 ? { page: shown.page } : {}) },
          confirm: { title: '重开这份评分？', text: '评分退回该专家修改后重新提交，操作将记入审计日志；已汇总的年度评审将回到专家评分阶段。' },
        }),
      );
    }
    return {
      tag: 'column_set',
      flex_mode: 'none',
      columns: [
        { tag: 'column', width: 'weighted', weight: 3, elements: [markdown(line)] },
        ...(actions.length ? [{ tag: 'column', width: 'auto', elements: actions }] : []),
      ],
    };
  });
  return card({
    title: `专家组：${d.application.team}`,
    subtitle: `${d.year}年度评审 · ${d.statusLabel}`,
    template: 'indigo',
    elements: [
      ...applicationBrief(d.application, false),
      hr(),
      ...(rows.length ? rows : [markdown('尚未分配专家。')]),
      ...pager({ page: shown.page, pages: shown.pages, value: { action: 'review.panel', applicationId: d.applicationId } }),
      ...(short ? [markdown(md`**专家组缺 ${short} 位**：在“专家库”中添加其他单位的专家（或提高评审上限）后，点“分配专家”补足。`)] : []),
      ...(d.scoringMember !== undefined ? [note('你是本专家组成员，提交评分前不显示其他专家的分数，也不能更换或重开他们的评分（第十七条）；可请其他管理员处理。')] : []),
      note('专家名单和分数仅协会管理员可见（第十七条）。'),
      buttonRow([
        ...(short ? [button({ text: '分配专家', type: 'primary', value: { action: 'review.assign', cycleId: d.cycleId } })] : []),
        button({ text: '评审进度', value: { action: 'review.progress', cycleId: d.cycleId } }),
        button({ text: '返回管理', type: 'text', value: { action: 'admin.menu' } }),
      ]),
    ],
  });
}

export interface OutlierAlertData {
  year: number;
  applicationId: number;
  code: string;
  team: string;
  median: number;
  totals: number[];
  outliers: { expertOpenId: string; total: number; distance: number }[];
  distance: number;
}

/** To administrators: a panel's total far from its median, with the numbers. */
export function outlierAlertCard(d: OutlierAlertData): Card {
  return card({
    title: '评分偏差提醒',
    template: 'orange',
    summary: `评分偏差：${d.team}`,
    elements: [
      markdown(md`**${d.code} ${d.team}**（${d.year}年度）专家组评分已完成，以下评分与专家组中位数相差超过 ${d.distance} 分：`),
      markdown(mdJoin(d.outliers.map((o) => md`${mention(o.expertOpenId)}：${o.total} 分，与中位数 ${d.median} 分相差 ${o.distance} 分`), '\n')),
      note(md`专家组各份总分：${d.totals.join('、')}；中位数 ${d.median}。如确有错误，可在专家组中重开该份评分。`),
      buttonRow([button({ text: '查看专家组', type: 'primary', value: { action: 'review.panel', applicationId: d.applicationId } })]),
    ],
  });
}

/**
 * To administrators: after 重开评分 of a year already summed (结束评分并汇总), the last panel it waited for is complete
 * again (the reopened sheets submitted, or their places filled): the year can be summed again. `code` and `team` name
 * the application completed last.
 */
export function reopenedSheetsBackCard(d: { year: number; cycleId: number; code: string; team: string }): Card {
  return card({
    title: '重开的评分已全部完成',
    template: 'green',
    summary: `${d.year}年度评审可以重新汇总`,
    elements: [
      markdown(md`**${String(d.year)}年度评审**：重开的评分已全部重新完成（最后完成的是 **${d.code} ${d.team}**），所有申报均已完成评分，可以重新汇总。`),
      note('请在“评审进度”中点“结束评分并汇总”，重新计算最终得分、排名和结论，核对后再公布结果。'),
      buttonRow([button({ text: '评审进度', type: 'primary', value: { action: 'review.progress', cycleId: d.cycleId } })]),
    ],
  });
}

/**
 * To administrators: a task was declined or swapped and nobody may take it; or, with `placed`, that many experts came
 * but the panel still misses some (it was short before).
 */
export function replacementFailedCard(d: { year: number; cycleId: number; applicationId: number; code: string; team: string; cause: string; reason: string; placed?: number }): Card {
  const placed = d.placed ?? 0;
  return card({
    title: placed ? '专家组仍未配齐' : '无法自动改派专家',
    template: 'red',
    summary: placed ? `仍缺专家：${d.team}` : `无法改派：${d.team}`,
    elements: [
      markdown(
        placed
          ? md`**${d.code} ${d.team}**（${d.year}年度）：${d.cause}，已有 ${String(placed)} 位专家接替，其余没有符合条件的专家可以接替。`
          : md`**${d.code} ${d.team}**（${d.year}年度）：${d.cause}，但没有符合条件的专家可以接替。`,
      ),
      markdown(md`${d.reason}`),
      note('可在“专家库”中添加其他单位的专家或提高评审上限，再点“分配专家”补足。'),
      buttonRow([
        button({ text: '查看专家组', type: 'primary', value: { action: 'review.panel', applicationId: d.applicationId } }),
        button({ text: '专家库', value: { action: 'experts.list' } }),
        button({ text: '分配专家', value: { action: 'review.assign', cycleId: d.cycleId } }),
      ]),
    ],
  });
}

/** Sheets listed on the alert, each with its panel's button; the rest are counted (an organisation may have many teams). */
const SCORED_BEFORE_SHOWN = 5;

/**
 * To the administrators: an expert declared a conflict of interest with a team or an organisation whose applications
 * they had already scored, or (`recused`) became the team's leader, member or organisation contact after scoring it
 * (`reason` then names the role: 班组成员), or ('organization') had their 所在单位 changed to `label`, the organisation
 * of the teams scored. The sheets still count until the association takes them out (第十七条).
 */
export function conflictAfterScoringCard(d: { expertOpenId: string; label: string; reason: string; scored: ScoredBeforeConflict[]; recused?: boolean | 'organization' }): Card {
  const shown = d.scored.slice(0, SCORED_BEFORE_SHOWN);
  const count = String(d.scored.length);
  return card({
    title: d.recused ? '专家须回避：已提交的评分待处理' : '专家声明利益冲突：已提交的评分待处理',
    template: 'orange',
    summary: d.recused ? `回避：${d.label}` : `利益冲突：${d.label}`,
    elements: [
      markdown(
        d.recused === 'organization'
          ? md`${mention(d.expertOpenId)} 的所在单位已改为“${d.label}”，与下列班组同属一个单位，须回避其评审，此前已提交 ${count} 份相关评分，目前仍计入得分：`
          : d.recused
            ? md`${mention(d.expertOpenId)} 已成为“${d.label}”的${d.reason}，须回避该班组的评审，此前已提交 ${count} 份相关评分，目前仍计入得分：`
            : md`${mention(d.expertOpenId)} 声明与“${d.label}”存在利益冲突（${asTyped(d.reason)}），此前已提交 ${count} 份相关评分，目前仍计入得分：`,
      ),
      markdown(mdJoin(shown.map((s) => md`- ${String(s.year)}年度 **${s.code} ${s.team}**${s.total !== null ? `：${s.total} 分` : ''}`), '\n')),
      ...(d.scored.length > shown.length ? [note(md`另有 ${String(d.scored.length - shown.length)} 份未列出。`)] : []),
      note('第十七条：评审坚持公开、公平和公正原则。如需排除这份评分，请在该申报的专家组中先“重开评分”，再“更换专家”；如决定保留，无需操作。'),
      buttonRow(shown.map((s) => button({ text: `专家组：${s.code}`, value: { action: 'review.panel', applicationId: s.applicationId } }))),
    ],
  });
}
