import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { expertPoolCard, conflictFormCard } from '../cards/experts.js';
import { RESULT_COLOURS, type ResultLine, resultsPreviewCard, resultsPublishedCard, teamResultCard } from '../cards/results.js';
import { assignmentReportCard, progressCard, scoredCard, scoringTaskCard, taskApplicationCard, taskListCard } from '../cards/review.js';
import { applicationForm } from '../src/applications.js';
import { conflictForm } from '../src/review/conflicts.js';
import { UserError } from '../src/errors.js';
import { formDisplay } from '../src/forms.js';
import type { Cycle } from '../src/cycles.js';
import { type ResultsData, SHORT_SCORED_SHOWN } from '../src/review/results.js';
import { parseScoreForm, scoreFields, scoreSheetForm } from '../src/review/scoring.js';
import { expertAddForm } from '../src/review/experts.js';
import { defaultScoreSheet, type ScoreSheet, SHEET_LIMITS, sheetItems } from '../src/scoreSheet.js';
import { reviewWorkbook, workbookSheetNames } from '../src/workbook.js';
import { cardActions, cardText, expectValidCard, formFieldNames, taggedCount } from './support/cards.js';
import { CARD_BYTES_BUDGET, cardBodyBytes } from '../cards/kit.js';

const fields = scoreFields(defaultScoreSheet);
const fullMarks = Object.fromEntries(fields.map((f) => [f.field, String(f.max)]));

function refusal(formValue: Record<string, unknown>): UserError {
  try {
    parseScoreForm(defaultScoreSheet, formValue);
  } catch (err) {
    if (err instanceof UserError) return err;
    throw err;
  }
  throw new Error('not refused');
}

describe('the score form', () => {
  it('has one field per item, named by its code, labelled with the item and its max', () => {
    expect(fields.map((f) => f.field).slice(0, 3)).toEqual(['i1_1', 'i1_2', 'i1_3']);
    const card = scoringTaskCard({
      assignmentId: 7,
      year: 2027,
      application: { code: 'GDSZ-2026-0001', team: '广州市政养护一班', organization: '广州市市政工程维修有限公司', display: formDisplay(applicationForm, { title: '提高修补合格率', category: 'maintenance', materialsUrl: 'https://example.feishu.cn/docx/abc' }) },
      form: scoreSheetForm(defaultScoreSheet),
    });
    expectValidCard(card);
    expect(formFieldNames(card)).toEqual([...fields.map((f) => f.field), 'comment']);
    for (const name of formFieldNames(card)) expect(name).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
    expect(cardText(card)).toContain('1.2 质量安全管理制度健全并严格执行 *（满分 5 分）');
    expect(cardText(card)).toContain('6.1 QC小组、现场管理、合理化建议活动 *（满分 8 分）');
    expect(cardText(card)).toContain('1 班组基础建设**（20 分，第七条第1款）');
    expect(JSON.stringify(card)).toContain('https://example.feishu.cn/docx/abc');
    expect(cardActions(card).map((a) => a.action)).toEqual(['review.submit', 'review.declineForm', 'review.list']);
  });

  it('the largest sheet beside a form filled to every limit and the organisation’s 推荐意见 is still a card Feishu takes', () => {
    const areas = Array.from({ length: SHEET_LIMITS.areas }, (_, a) => ({
      code: String(a + 1),
      name: '班组基础建设与管理'.repeat(3),
      items: Array.from({ length: SHEET_LIMITS.items / SHEET_LIMITS.areas }, (_, i) => ({ code: `${a + 1}.${i + 1}`, name: '质量安全管理制度健全并严格执行'.repeat(3), max: 2 })),
    }));
    const sheet: ScoreSheet = { title: '质量信得过班组建设评分表', total: 100, areas };
    const long = (c: string) => c.repeat(1000);
    const form = { title: '成'.repeat(100), category: 'maintenance', startDate: '2026-01-01', endDate: '2026-12-31', goalRate: 100, trainingRate: 95, examPassRate: 95, accidents: 'none', customer: long('顾'), qc: long('质'), summary: long('简'), features: long('特'), materialsUrl: `https://example.feishu.cn/docx/${'a'.repeat(450)}` };
    const application = { code: 'GDSZ-2026-0001', team: '班'.repeat(60), organization: '单'.repeat(100), display: formDisplay(applicationForm, form), recommendation: long('荐') };
    const sheetCard = scoringTaskCard({ assignmentId: 7, year: 2027, application, form: scoreSheetForm(sheet), error: '1.1 甲：须在 0 到 2 分之间', scoringDeadline: '2027年6月30日', clickableUntil: '2027年6月20日', reopened: true });
    expectValidCard(sheetCard);
    expect(taggedCount(sheetCard)).toBeLessThanOrEqual(200);
    expect(cardText(sheetCard)).toContain('单位推荐意见');
    expect(cardActions(sheetCard).map((a) => a.action)).toContain('review.application');
    // the texts start shorter than the usual 300 characters, and the card says how many
    expect(cardText(sheetCard)).toMatch(/以上各项长文本只显示前 (200|100|50) 字/);
    const whole = taskApplicationCard({ assignmentId: 7, year: 2027, application });
    expectValidCard(whole);
    expect(cardText(whole)).toContain('单位推荐意见');
  });

  it('adds up a valid sheet, whole and half points', () => {
    const r = parseScoreForm(defaultScoreSheet, { ...fullMarks, i1_1: '4.5', i6_1: '7', comment: '  材料扎实  ' });
    expect(r.total).toBe(98.5);
    expect(r.scores['1.1']).toBe(4.5);
    expect(r.comment).toBe('材料扎实');
  });

  it.each([
    ['over the max', { i1_2: '6' }, '1.2 质量安全管理制度健全并严格执行：须在 0 到 5 分之间，且为整分或半分'],
    ['negative', { i1_2: '-1' }, '1.2 质量安全管理制度健全并严格执行：须在 0 到 5 分之间，且为整分或半分'],
    ['not a half point', { i1_2: '0.3' }, '1.2 质量安全管理制度健全并严格执行：须在 0 到 5 分之间，且为整分或半分'],
    ['missing', { i1_2: undefined }, '1.2 质量安全管理制度健全并严格执行：请填写分数'],
    ['empty', { i1_2: '  ' }, '1.2 质量安全管理制度健全并严格执行：请填写分数'],
    ['not a number', { i1_2: '五' }, '1.2 质量安全管理制度健全并严格执行：“五”不是数字'],
  ])('refuses a score %s, naming the item', (_what, change, message) => {
    const err = refusal({ ...fullMarks, ...change });
    expect(err.message).toContain(message);
    expect(err.opts.field).toBe('i1_2');
  });
});

describe('the expert’s and the administrators’ cards', () => {
  it('lists the tasks with the progress', () => {
    const tasks = Array.from({ length: 20 }, (_, i) => ({ assignmentId: i + 1, code: `GDSZ-2026-${String(i + 1).padStart(4, '0')}`, team: `班组${i + 1}`, title: '成果', status: i < 7 ? 'submitted' : 'assigned', total: i < 7 ? 90 : null }));
    const card = taskListCard({ year: 2027, done: 7, total: 20, tasks, page: 1, pages: 1 });
    expectValidCard(card);
    expect(cardText(card)).toContain('已完成 7 / 20');
    expect(cardActions(card).filter((a) => a.action === 'review.open')).toHaveLength(20);
    expect(cardText(card)).not.toContain('评分截止');
    const dated = taskListCard({ year: 2027, done: 7, total: 20, tasks, page: 1, pages: 1, scoringDeadline: '2027年6月30日', overdueDays: 2 });
    expectValidCard(dated);
    expect(cardText(dated)).toContain("**2027年度评审 · 已完成 7 / 20 · 评分截止 2027年6月30日**<font color='red'>（已逾期 2 天）</font>");
    expect(cardText(taskListCard({ year: 2027, done: 7, total: 20, tasks, page: 1, pages: 1, scoringDeadline: '2027年6月30日', overdueDays: 0 }))).not.toContain('已逾期');
  });

  it('lists a task the expert must step aside from (第十七条) as not theirs to score, with no button to its sheet', () => {
    const tasks = [
      { assignmentId: 1, code: 'GDSZ-2026-0001', team: '班组1', title: '成果', status: 'assigned', total: null },
      { assignmentId: 2, code: 'GDSZ-2026-0002', team: '班组2', title: '成果', status: 'assigned', total: null, recused: true },
    ];
    const card = taskListCard({ year: 2027, done: 0, total: 2, tasks, page: 1, pages: 1 });
    expectValidCard(card);
    expect(cardText(card)).toContain('**班组2**（GDSZ-2026-0002）');
    expect(cardText(card)).toContain('须回避（第十七条），无需评分，等待协会改派其他专家');
    expect(cardActions(card).filter((a) => a.action === 'review.open')).toEqual([{ action: 'review.open', assignmentId: 1 }]);
  });

  it('pages the task list and the pool: 上一页 / 下一页 carry the page they open', () => {
    const tasks = Array.from({ length: 20 }, (_, i) => ({ assignmentId: i + 1, code: `GDSZ-2026-${String(i + 1).padStart(4, '0')}`, team: `班组${i + 1}`, title: '成果'.repeat(30), status: 'assigned', total: null }));
    const list = taskListCard({ year: 2027, done: 0, total: 45, tasks, page: 2, pages: 3 });
    expectValidCard(list);
    expect(cardActions(list).filter((a) => a.action === 'review.list' && a.page)).toEqual([
      { action: 'review.list', page: 1 },
      { action: 'review.list', page: 3 },
    ]);
    expect(cardText(list)).toContain('第 2 / 3 页');
    const experts = Array.from({ length: 15 }, (_, i) => ({ openId: `ou_e${i}`, name: `专家${i}`, organization: '专家委员会', specialities: ['道路', '桥梁'], maxLoad: null, active: i % 2 === 0, load: 3, pending: 1 }));
    const pool = expertPoolCard({ experts, total: 42, active: 30, page: 1, pages: 3, candidates: ['ou_p1', 'ou_p2'], descriptor: expertAddForm, values: { organization: '专家委员会' }, error: '所在单位：请填写所在单位' });
    expectValidCard(pool);
    expect(cardActions(pool).filter((a) => a.action === 'experts.list')).toEqual([{ action: 'experts.list', page: 2 }]);
    expect(cardActions(pool).find((a) => a.action === 'experts.deactivate')).toMatchObject({ page: 1 });
    expect(cardText(pool)).toContain('**专家库**：42 位，在用 30 位');
  });

  it('explains what could not be filled', () => {
    const card = assignmentReportCard({
      cycleId: 1, year: 2027, perApplication: 3, applications: 300, added: 898, experts: 40, loadRange: { min: 22, max: 23 },
      unfilled: [{ code: 'GDSZ-2026-0001', team: '一班', missing: 2, reason: '需要 3 位，缺 2 位。只有 1 位专家可用：其余 39 位与申报单位同属一家单位。' }],
      unfilledTotal: 1,
    });
    expectValidCard(card);
    expect(cardText(card)).toContain('只有 1 位专家可用：其余 39 位与申报单位同属一家单位');
  });

  it('progress, pool and conflict cards are valid', () => {
    expectValidCard(progressCard({ cycleId: 1, year: 2027, status: 'scoring', statusLabel: '专家评分中', applications: [{ label: '专家评审中', count: 3 }], tasks: { assigned: 4, submitted: 5, declined: 1, replaced: 0 }, pending: [{ applicationId: 1, code: 'GDSZ-2026-0001', team: '一班', submitted: 1, pending: 2 }], pendingTotal: 1 }));
    const pool = expertPoolCard({ experts: [{ openId: 'ou_e1', name: null, organization: '专家委员会', specialities: ['道路'], maxLoad: 20, active: true, load: 3, pending: 1 }], total: 1, active: 1, page: 1, pages: 1, candidates: [], descriptor: expertAddForm });
    expectValidCard(pool);
    expect(formFieldNames(pool)).toEqual(['experts', 'expertsLookup', 'organization', 'specialities', 'maxLoad']);
    expect(cardActions(pool).map((a) => a.action)).toEqual(expect.arrayContaining(['experts.deactivate', 'experts.add']));
    const conflict = conflictFormCard({ descriptor: conflictForm, declared: [] });
    expectValidCard(conflict);
    expect(formFieldNames(conflict)).toEqual(['kind', 'target', 'reason']);
  });
});

const lines = (n: number): ResultLine[] =>
  Array.from({ length: n }, (_, i) => ({
    code: `GDSZ-2026-${String(i + 1).padStart(4, '0')}`,
    team: `广州市政第${i + 1}养护班组`,
    organization: '广州市市政工程维修有限公司',
    finalScore: Math.round((99 - i * 0.1) * 100) / 100,
    rank: i + 1,
    awarded: 99 - i * 0.1 >= 85,
    recommended: i < 10,
    outliers: 0,
    rule: 'mean',
    sheets: 3,
  }));

describe('the results cards', () => {
  it('the published card is JSON 2.0 under 30 KB with a bar chart, even with 300 applications', () => {
    const card = resultsPublishedCard({ cycleId: 1, year: 2027, status: 'published', awardThreshold: 85, recommendShare: 0.1, lines: lines(300), fileName: '2027年度质量信得过班组评审结果.xlsx' });
    expectValidCard(card);
    expect(cardBodyBytes(card)).toBeLessThan(CARD_BYTES_BUDGET);
    const chart = card.body.elements.find((e) => e.tag === 'chart') as any;
    expect(chart.chart_spec).toMatchObject({ type: 'bar', xField: 'team', yField: 'score' });
    expect(chart.chart_spec.data.values).toHaveLength(30);
    expect(chart.chart_spec.data.values[0]).toMatchObject({ score: 99 });
    // the colours travel in the spec, so Feishu draws an award in the success green too
    expect(chart.chart_spec.color).toEqual({ type: 'ordinal', domain: ['授予称号', '未获称号'], range: [RESULT_COLOURS.awarded, RESULT_COLOURS.notAwarded] });
  });

  it('the published card lists as many certificates with boxes as its 30 KB holds, and counts the rest', () => {
    // team names at their 50 characters, organisations at 40, 40 certificates with boxes: 34 KB when all were listed
    const long = lines(3000).map((l, i) => ({ ...l, team: `${'长'.repeat(44)}${String(i).padStart(6, '0')}`, organization: '单'.repeat(40) }));
    const boxed = Array.from({ length: 40 }, (_, i) => ({ number: `GDSZ-Z-2027-${String(i + 1).padStart(4, '0')}`, teamName: long[i].team, organization: '单'.repeat(40), characters: '𠮷㐀' }));
    const card = resultsPublishedCard({ cycleId: 1, year: 2027, status: 'published', awardThreshold: 85, recommendShare: 0.1, lines: long, fileName: 'x.xlsx', boxed });
    expectValidCard(card);
    expect(cardBodyBytes(card)).toBeLessThanOrEqual(CARD_BYTES_BUDGET);
    const text = JSON.stringify(card);
    const listedCount = boxed.filter((b) => text.includes(b.number)).length;
    expect(listedCount).toBeGreaterThan(0);
    expect(listedCount).toBeLessThan(40);
    expect(text).toContain(`另有 ${40 - listedCount} 张证书同样有方框，未列出。`);
    // a few short lines are all listed, as before
    const few = resultsPublishedCard({ cycleId: 1, year: 2027, status: 'published', awardThreshold: 85, recommendShare: 0.1, lines: lines(30), fileName: 'x.xlsx', boxed: boxed.slice(0, 3).map((b) => ({ ...b, teamName: '养护一班', organization: undefined })) });
    for (const b of boxed.slice(0, 3)) expect(JSON.stringify(few)).toContain(b.number);
  });

  it('the published card names a few leaders and contacts not yet linked to Feishu, then 等 N 位, within its 30 KB with long names', () => {
    const long = lines(3000).map((l, i) => ({ ...l, team: `${'长'.repeat(44)}${String(i).padStart(6, '0')}`, organization: '单'.repeat(40) }));
    const unlinked = Array.from({ length: 25 }, (_, i) => ({
      name: `待关联${i + 1}`,
      reach: `${'a'.repeat(50)}${i}@example.com`,
      teams: long.slice(i * 5, i * 5 + 5).map((l) => ({ team: l.team, role: 'contact' as const })),
    }));
    const boxed = Array.from({ length: 40 }, (_, i) => ({ number: `GDSZ-Z-2027-${String(i + 1).padStart(4, '0')}`, teamName: long[i].team, organization: '单'.repeat(40), characters: '𠮷㐀' }));
    const card = resultsPublishedCard({ cycleId: 1, year: 2027, status: 'published', awardThreshold: 85, recommendShare: 0.1, lines: long, fileName: 'x.xlsx', boxed, unlinked: { people: unlinked, lateResultDays: 90 } });
    expectValidCard(card);
    expect(cardBodyBytes(card)).toBeLessThanOrEqual(CARD_BYTES_BUDGET);
    const text = cardText(card);
    expect(text).toContain('25 位班组长或单位联系人尚未在飞书中与机器人关联，未收到结果');
    expect(text).toContain(`待关联10（${long[45].team}、${long[46].team}、${long[47].team} 等 5 个班组 的单位联系人；${unlinked[9].reach}） 等 25 位`);
    expect(text).not.toContain('待关联11（');
    expect(text).toContain('其余班组长和单位联系人已收到各自的结果');
    // none unlinked: every leader and contact received theirs, as before
    expect(cardText(resultsPublishedCard({ cycleId: 1, year: 2027, status: 'published', awardThreshold: 85, recommendShare: 0.1, lines: lines(3), fileName: 'x.xlsx', unlinked: { people: [], lateResultDays: 90 } }))).toContain('每个申报班组的班组长和单位联系人已收到各自的结果');
  });

  it('the preview asks before publishing', () => {
    const card = resultsPreviewCard({ cycleId: 1, year: 2027, status: 'closed', awardThreshold: 85, recommendShare: 0.1, lines: lines(300) });
    expectValidCard(card);
    const publish = JSON.stringify(card);
    expect(publish).toContain('"confirm"');
    expect(cardActions(card).map((a) => a.action)).toContain('results.publish');
  });

  it('the preview names a result summed from fewer sheets than 每份申报专家人数 (its panel never filled), and counts them', () => {
    const [full, shortOne] = lines(2).map((l, i) => ({ ...l, sheets: i === 0 ? 3 : 2 }));
    const text = cardText(resultsPreviewCard({ cycleId: 1, year: 2027, status: 'closed', awardThreshold: 85, recommendShare: 0.1, expertsPerApplication: 3, lines: [full, shortOne] }));
    expect(text).toContain(`${shortOne.code} ${shortOne.team}：**${shortOne.finalScore}** 分`);
    expect(text.match(/2 位专家评分/g)).toHaveLength(1);
    expect(text).toContain('1 份申报的评分专家少于每份 3 位，按已提交的评分计分');
    expect(cardText(resultsPreviewCard({ cycleId: 1, year: 2027, status: 'closed', awardThreshold: 85, recommendShare: 0.1, expertsPerApplication: 3, lines: [full] }))).not.toContain('评分专家不足');
    // the card posted at publishing counts them, and names the line as the preview does (in each list it is in)
    const published = cardText(resultsPublishedCard({ cycleId: 1, year: 2027, status: 'published', awardThreshold: 85, recommendShare: 0.1, expertsPerApplication: 3, lines: [full, shortOne], fileName: 'x.xlsx' }));
    expect(published).toContain('1 份申报的评分专家少于每份 3 位，按已提交的评分计分');
    expect(published).toMatch(new RegExp(`${shortOne.code} ${shortOne.team}：\\*\\*${shortOne.finalScore}\\*\\* 分 · [^\\n]*2 位专家评分`));
  });

  it('tied ranks stay as written: no line starts as an ordered-list item a renderer would number itself', () => {
    const tied = lines(3).map((l) => ({ ...l, finalScore: 90, rank: 1 }));
    for (const card of [resultsPreviewCard({ cycleId: 1, year: 2027, status: 'closed', awardThreshold: 85, recommendShare: 0.1, lines: tied }), resultsPublishedCard({ cycleId: 1, year: 2027, status: 'published', awardThreshold: 85, recommendShare: 0.1, lines: tied, fileName: 'x.xlsx' })]) {
      const texts = card.body.elements.filter((e) => e.tag === 'markdown').map((e) => String((e as { content: string }).content));
      const ranked = texts.flatMap((t) => t.split('\n')).filter((l) => l.includes('GDSZ-2026-'));
      expect(ranked.length).toBeGreaterThanOrEqual(3);
      for (const l of ranked) expect(l).toMatch(/^第 1 名　GDSZ-2026-000\d /);
      expect(texts.join('\n')).not.toMatch(/(^|\n)\s*\d+[.)]\s/);
    }
  });

  it('评审进度 at its longest, twelve panels scoring and the scored ones short of experts, stays inside Feishu’s 200 tagged objects', () => {
    const row = (i: number) => ({ applicationId: i, code: `GDSZ-2026-${String(i).padStart(4, '0')}`, team: '长'.repeat(50), submitted: 2, pending: 1, short: 1 });
    const card = progressCard({
      cycleId: 1, year: 2027, status: 'scoring', statusLabel: '专家评分中', applications: [{ label: '专家评审中', count: 30 }], unchecked: 3,
      tasks: { assigned: 12, submitted: 40, declined: 3, replaced: 1 }, pending: Array.from({ length: 12 }, (_, i) => row(i)), pendingTotal: 30, shortTotal: 3,
      shortScored: Array.from({ length: SHORT_SCORED_SHOWN }, (_, i) => row(20 + i)), shortScoredTotal: 20,
    });
    expectValidCard(card);
    expect(cardText(card)).toContain('另有 15 份，可按班组编号查找');
  });

  it('a team’s result shows its total, rank, decision and areas', () => {
    const card = teamResultCard({ year: 2027, code: 'GDSZ-2026-0001', team: '一班', title: '成果', finalScore: 94.83, rank: 1, of: 4, awarded: true, recommended: true, awardThreshold: 85, areas: [{ code: '1', name: '班组基础建设', score: 19, max: 20 }], audience: 'leader' });
    expectValidCard(card);
    const text = cardText(card);
    expect(text).toContain('94.83 分');
    expect(text).toContain('第 1 名（共 4 份）');
    expect(text).toContain('推荐至全国性协会');
    expect(text).toContain('1 班组基础建设：19 / 20');
    // the areas are means rounded to add up to the total: said, so one checked with AVERAGE() a cent apart is explained
    expect(text).toContain('个别部分舍入时调整 0.01 分，使各部分之和等于最终得分');
  });
});

describe('the review workbook', () => {
  it('opens with one row per application and the right totals', async () => {
    const cycle = { id: 1, year: 2027, status: 'published', scoreSheet: defaultScoreSheet, awardThreshold: 85, recommendShare: 0.1, updatedAt: new Date('2027-07-20T10:00:00+08:00') } as unknown as Cycle;
    const items = sheetItems(defaultScoreSheet);
    const full = Object.fromEntries(items.map((i) => [i.code, i.max]));
    const rows: ResultsData['rows'] = [
      { applicationId: 2, teamId: 2, code: 'GDSZ-2026-0002', team: '二班', organization: '乙', leaderOpenId: 'ou_l2', contactOpenId: 'ou_c2', title: '乙成果', category: 'service', status: 'decided', finalScore: 95, rank: 1, awarded: true, recommended: true, review: null },
      { applicationId: 1, teamId: 1, code: 'GDSZ-2026-0001', team: '一班', organization: '甲', leaderOpenId: 'ou_l1', contactOpenId: 'ou_c1', title: '甲成果', category: 'maintenance', status: 'decided', finalScore: 80.5, rank: 2, awarded: false, recommended: false, review: null },
    ];
    const data: ResultsData = {
      cycle,
      sheet: defaultScoreSheet,
      rows,
      applications: rows,
      scores: [
        { assignmentId: 1, applicationId: 1, code: 'GDSZ-2026-0001', team: '一班', expertOpenId: 'ou_e1', expertName: '张工', expertOrganization: '广州市政设计院', status: 'submitted', total: 100, scores: full, comment: '好' },
        { assignmentId: 2, applicationId: 2, code: 'GDSZ-2026-0002', team: '二班', expertOpenId: 'ou_e2', expertName: null, expertOrganization: null, status: 'submitted', total: 100, scores: full, comment: null },
      ],
    };
    const buffer = await reviewWorkbook(data);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(buffer as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual([workbookSheetNames.applications, workbookSheetNames.scores, workbookSheetNames.results]);
    const results = wb.getWorksheet('结果')!;
    expect(results.rowCount).toBe(3);
    // when it was made, beside the header (the one of 公布结果: when the cycle was published)
    expect((results.getRow(1).values as unknown[]).at(-1)).toBe('生成于 2027年7月20日 10:00（Asia/Shanghai）');
    expect(results.getRow(2).values).toEqual(expect.arrayContaining(['GDSZ-2026-0002', 95, '授予称号', '是']));
    expect(results.getRow(3).values).toEqual(expect.arrayContaining(['GDSZ-2026-0001', 80.5, '未获称号']));
    const apps = wb.getWorksheet('申报')!;
    expect(apps.rowCount).toBe(3);
    expect(apps.getRow(2).values).toEqual(expect.arrayContaining(['GDSZ-2026-0001', '管养', 80.5]));
    const scores = wb.getWorksheet('专家评分')!;
    expect(scores.rowCount).toBe(3);
    expect(scores.getRow(2).values).toEqual(expect.arrayContaining(['张工', 100]));
    // experts are told apart by name and organisation, as a secretary knows them; an id only where no name is on record
    const header = (scores.getRow(1).values as unknown[]).slice(1) as string[];
    expect(header.slice(0, 4)).toEqual(['班组编号', '班组名称', '专家', '专家所属单位']);
    expect(header.join()).not.toMatch(/open_id/);
    expect((scores.getRow(2).values as unknown[]).slice(1, 5)).toEqual(['GDSZ-2026-0001', '一班', '张工', '广州市政设计院']);
    expect((scores.getRow(3).values as unknown[]).slice(1, 4)).toEqual(['GDSZ-2026-0002', '二班', 'ou_e2']);
    // no organisation on record: no cell, not an empty text (COUNTA would count it)
    expect(scores.getRow(3).getCell(4).value).toBeNull();
    // each sheet's header is bold and frozen above its list, as the secretary scrolls and filters it (the workbook is streamed)
    for (const ws of wb.worksheets) {
      expect(ws.views[0], ws.name).toMatchObject({ state: 'frozen', ySplit: 1 });
      expect(ws.getRow(1).font?.bold, ws.name).toBe(true);
      expect(ws.getRow(2).font?.bold, ws.name).toBeFalsy();
    }
    // the comment column wraps within its width
    expect(scores.getRow(2).getCell(header.indexOf('评审意见') + 1).alignment?.wrapText).toBe(true);
  });
});

describe('the scored card’s progress, with tasks the expert must step aside from (第十七条)', () => {
  const base: Parameters<typeof scoredCard>[0] = {
    assignmentId: 1,
    year: 2027,
    application: { code: 'GDSZ-2027-0001', team: '回避一班', organization: '某市政公司', display: [] },
    total: 90,
    max: 100,
    areas: [],
    display: [],
    submittedAt: '2027年6月1日 09:00',
  };
  const next = (card: unknown) => cardActions(card).some((a) => a.action === 'review.next');

  it('tasks left to score: counted without the ones to step aside from, which are named, and 评下一份 is offered', () => {
    const card = scoredCard({ ...base, progress: { done: 1, total: 4, recused: 1 } });
    expectValidCard(card);
    expect(cardText(card)).toContain('你已完成 1 / 3 项，还有 2 项待评。另有 1 项你须回避（第十七条），无需评分，协会管理员将改派其他专家。');
    expect(next(card)).toBe(true);
  });

  it('only tasks to step aside from left: done, with no 评下一份', () => {
    const card = scoredCard({ ...base, progress: { done: 3, total: 4, recused: 1 } });
    expect(cardText(card)).toContain('你可评的 3 项评分任务已全部完成，谢谢！另有 1 项你须回避（第十七条）');
    expect(next(card)).toBe(false);
  });

  it('none: as before', () => {
    expect(cardText(scoredCard({ ...base, progress: { done: 2, total: 4 } }))).toContain('你已完成 2 / 4 项，还有 2 项待评。');
    const all = scoredCard({ ...base, progress: { done: 4, total: 4 } });
    expect(cardText(all)).toContain('你的 4 项评分任务已全部完成，谢谢！');
    expect(next(all)).toBe(false);
  });
});
