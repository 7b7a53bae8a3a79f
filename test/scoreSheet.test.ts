import { describe, expect, it } from 'vitest';
import { addDays, daysBetween, formatDateTimeZh, formatDateZh, isRealDate, todayIn } from '../src/dates.js';
import { readDate } from '../src/forms.js';
import { UserError } from '../src/errors.js';
import {
  areaSubtotals,
  defaultScoreSheet,
  parseScoreSheet,
  parseScoreSheetBoxes,
  parseScoreSheetText,
  type ScoreSheet,
  scoreSheetSchema,
  SHEET_INPUT,
  SHEET_LIMITS,
  scoreSheetToText,
  sheetItems,
  splitSheetText,
} from '../src/scoreSheet.js';

function sheet(total: number, maxes: number[][]): ScoreSheet {
  return {
    title: '测试评分表',
    total,
    areas: maxes.map((items, i) => ({
      code: String(i + 1),
      name: `区域${i + 1}`,
      items: items.map((max, j) => ({ code: `${i + 1}.${j + 1}`, name: `项目${i + 1}.${j + 1}`, max })),
    })),
  };
}

function refusal(fn: () => unknown): UserError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return err as UserError;
  }
  throw new Error('expected a UserError');
}

describe('score sheet', () => {
  it('has the 100-point default of RULES.md: 7 areas, 19 items', () => {
    expect(scoreSheetSchema.safeParse(defaultScoreSheet).success).toBe(true);
    expect(defaultScoreSheet.total).toBe(100);
    const items = sheetItems(defaultScoreSheet);
    expect(items).toHaveLength(19);
    expect(items.reduce((a, it) => a + it.max, 0)).toBe(100);
    expect(items.map((it) => it.code)).toEqual([
      '1.1', '1.2', '1.3', '1.4', '2.1', '2.2', '3.1', '3.2', '3.3', '4.1', '4.2', '4.3', '5.1', '5.2', '6.1', '6.2', '7.1', '7.2', '7.3',
    ]);
    expect(items.find((it) => it.code === '6.1')).toMatchObject({ name: 'QC小组、现场管理、合理化建议活动', max: 8, areaName: '质量改进和创新' });
    expect(areaSubtotals(defaultScoreSheet, {}).map((a) => a.max)).toEqual([20, 10, 15, 15, 10, 15, 15]);
  });

  it('refuses items adding to 95 against a declared total of 100, showing both numbers and the subtotals', () => {
    const err = refusal(() => parseScoreSheet(sheet(100, [[50, 25], [20]])));
    expect(err.message).toContain('各评分项满分合计 95 分，与声明的总分 100 分不一致');
    expect(err.message).toContain('1 区域1 75 分');
    expect(err.message).toContain('2 区域2 20 分');
    expect(err.opts.field).toBe('sheet');
  });

  it('accepts half points and refuses 0.3', () => {
    expect(parseScoreSheet(sheet(10, [[2.5, 7.5]])).total).toBe(10);
    const err = refusal(() => parseScoreSheet(sheet(10.3, [[10, 0.3]])));
    expect(err.message).toContain('评分项 1.2 满分');
    expect(err.message).toContain('半分');
  });

  it('reads JSON strings and says where JSON is broken or a field missing', () => {
    expect(parseScoreSheet(JSON.stringify(defaultScoreSheet))).toEqual(defaultScoreSheet);
    expect(refusal(() => parseScoreSheet('{"title": ')).message).toContain('不是有效的 JSON');
    const noName = { ...sheet(5, [[5]]), areas: [{ code: '1', name: '', items: [{ code: '1.1', name: 'x', max: 5 }] }] };
    expect(refusal(() => parseScoreSheet(noName)).message).toContain('评分区域 1 名称：名称不能为空');
    expect(refusal(() => parseScoreSheet(sheet(10, [[5, 5]]).areas)).message).toContain('JSON 对象');
  });

  it('round-trips the short line form, which fits a card input', () => {
    const text = scoreSheetToText(defaultScoreSheet);
    expect(text.length).toBeLessThanOrEqual(1000);
    expect(parseScoreSheetText(text)).toEqual(defaultScoreSheet);
    const err = refusal(() => parseScoreSheetText('总分：100\n1 基础\n1.1 甲 50\n1.2 乙 45'));
    expect(err.message).toContain('合计 95 分');
    expect(refusal(() => parseScoreSheetText('1 基础\n1.1 甲 50')).message).toContain('总分');
  });

  it('reads digits, points and spaces typed full width (a sheet copied from a Word document) as the other forms do', () => {
    // 总分：１００ and 1.1　目标分解 ５ were refused as "不是数字" and "无法识别"; names keep their own punctuation
    const typed = ['评分表：质量信得过班组建设评分表', '总分：１００分', '１　班组基础建设（组织） ｜ 第七条第１款', '1.1　目标分解 ５０', '１．２ 职能明确（含岗位） ４９．５', '1.3 记录 ０.5'].join('\n');
    expect(parseScoreSheetText(typed)).toEqual(
      parseScoreSheetText(['评分表：质量信得过班组建设评分表', '总分：100', '1 班组基础建设（组织） ｜ 第七条第1款', '1.1 目标分解 50', '1.2 职能明确（含岗位） 49.5', '1.3 记录 0.5'].join('\n')),
    );
    expect(parseScoreSheetText(typed).areas[0]).toMatchObject({ name: '班组基础建设（组织）', article: '第七条第1款', items: [{ code: '1.1', max: 50 }, { code: '1.2', name: '职能明确（含岗位）', max: 49.5 }, { code: '1.3', max: 0.5 }] });
  });

  it('refuses a line of thousands of characters at once, naming it, instead of reading it for seconds', () => {
    const pasted = `总分：100\n1 基础\n1.1 甲${' '.repeat(40_000)}乙`;
    const started = performance.now();
    const err = refusal(() => parseScoreSheetText(pasted));
    expect(performance.now() - started).toBeLessThan(200);
    expect(err.message).toBe('第 3 行有 40006 个字，超过 200 字：每个评分区域、评分项各占一行');
    expect(err.opts.field).toBe('sheet');
  });

  it('refuses two areas under one code, in the line form and in JSON, naming the code and both areas', () => {
    // a typo: the second area meant 2; taken, the expert's card showed one heading of 满分 40 for a 20-point sheet
    const typo = ['评分表：测试', '总分：20', '1 基础建设', '1.1 甲 5', '1.2 乙 5', '1 组织建设', '2.1 丙 5', '2.2 丁 5'].join('\n');
    const err = refusal(() => parseScoreSheetText(typo));
    expect(err.message).toBe('评分区域编号 1 重复（“基础建设”和“组织建设”）：每个评分区域须有自己的编号，请改正后重新载入');
    expect(err.opts.field).toBe('sheet');
    const twice = sheet(10, [[5], [5]]);
    twice.areas[1].code = ' 1 ';
    expect(refusal(() => parseScoreSheet(JSON.stringify(twice))).message).toContain('评分区域编号 1 重复');
    expect(parseScoreSheetText(typo.replace('1 组织建设', '2 组织建设')).areas.map((a) => a.code)).toEqual(['1', '2']);
  });

  it('reads an area row pasted from a spreadsheet: tabs as spaces, its subtotal checked against its items', () => {
    const rows = (area: string) => ['评分表：官方', '总分：10', area, '1.1\t目标分解与职能明确\t5', '1.2\t制度\t\t5分'].join('\n');
    const read = parseScoreSheetText(rows('1\t班组基础建设\t10分'));
    expect(read.areas[0].name).toBe('班组基础建设');
    expect(read.areas[0].items.map((it) => [it.name, it.max])).toEqual([['目标分解与职能明确', 5], ['制度', 5]]);
    // the subtotal as a bare number, in brackets, or before the article
    expect(parseScoreSheetText(rows('1 班组基础建设 10')).areas[0].name).toBe('班组基础建设');
    expect(parseScoreSheetText(rows('1 班组基础建设（10分）')).areas[0].name).toBe('班组基础建设');
    expect(parseScoreSheetText(rows('1 班组基础建设 10分 | 第七条第1款')).areas[0]).toMatchObject({ name: '班组基础建设', article: '第七条第1款' });
    // a subtotal other than the items' sum is refused naming the area, its row and both numbers
    const err = refusal(() => parseScoreSheetText(rows('1\t班组基础建设\t20分')));
    expect(err.message).toBe('第 3 行：评分区域 1 班组基础建设 标明 20 分，其下各评分项满分合计 10 分，两者不一致：请核对后重新载入');
    expect(err.opts.field).toBe('sheet');
    // a tab in an item's name (two columns of text) is a space, never kept
    expect(parseScoreSheetText(rows('1 基础').replace('1.2\t制度', '1.2\t制度\t执行')).areas[0].items[1].name).toBe('制度 执行');
    expect(JSON.stringify(read)).not.toContain('\\t');
  });

  it('reads a sheet over the card\'s inputs in order, and says a full input was probably cut off', () => {
    // a sheet of SHEET_LIMITS: 10 areas of 5 items, 1 249 characters in the line form, more than one input takes
    const areas = Array.from({ length: SHEET_LIMITS.areas }, (_, a) => ({
      code: String(a + 1),
      name: '班组基础建设与管理',
      items: Array.from({ length: SHEET_LIMITS.items / SHEET_LIMITS.areas }, (_, i) => ({ code: `${a + 1}.${i + 1}`, name: '质量安全管理制度健全并严格执行', max: 2 })),
    }));
    const big: ScoreSheet = { title: '质量信得过班组建设评分表', total: 100, areas };
    const text = scoreSheetToText(big);
    expect(text.length).toBeGreaterThan(SHEET_INPUT.max);
    // split by area, each input short of its limit, read back as the sheet
    const boxes = splitSheetText(text)!;
    expect(boxes).toHaveLength(2);
    for (const b of boxes) expect(b.length).toBeLessThan(SHEET_INPUT.max);
    expect(boxes[1]).toMatch(/^\d+ 班组基础建设与管理\n/);
    expect(parseScoreSheetBoxes([...boxes, '', '', ''])).toEqual(big);
    // JSON breaks anywhere: the default sheet's 1 299 characters over two inputs
    const json = JSON.stringify(defaultScoreSheet);
    expect(parseScoreSheetBoxes([json.slice(0, 700), `${json.slice(700)}\n`, '', '', ''])).toEqual(defaultScoreSheet);
    // a paste cut by the input at its 1 000 characters: said so, naming the input, not as a sum short of the total
    const cut = refusal(() => parseScoreSheetBoxes([text.slice(0, SHEET_INPUT.max), '', '', '', '']));
    expect(cut.message).toBe('第 1 框正好 1000 字，可能在 1000 字处被截断了：请把第 1 框末尾的评分区域移到第 2 框（每框最多 1000 字，各框按顺序连成一份评分表）后重新载入。');
    expect(cut.opts.field).toBe('sheet');
    expect(refusal(() => parseScoreSheetBoxes([json.slice(0, SHEET_INPUT.max)])).message).toContain('第 1 框正好 1000 字');
    // a line of the second input is named by its input and line
    const wrong = refusal(() => parseScoreSheetBoxes([boxes[0], boxes[1].replace(/\n(\d+\.\d+) /, '\n$1') ]));
    expect(wrong.message).toMatch(/^第 2 框第 2 行无法识别/);
    // one input alone reads as the text it always was
    expect(parseScoreSheetBoxes([scoreSheetToText(defaultScoreSheet)])).toEqual(defaultScoreSheet);
    expect(refusal(() => parseScoreSheetBoxes(['', '', ''])).message).toBe('请填写评分表（JSON，或每行一项的简写格式）。');
  });

  it('sums area scores', () => {
    const subtotals = areaSubtotals(defaultScoreSheet, { '1.1': 4.5, '1.2': 5, '6.1': 7 });
    expect(subtotals[0]).toMatchObject({ code: '1', score: 9.5, max: 20 });
    expect(subtotals[5]).toMatchObject({ code: '6', score: 7, max: 15 });
  });
});

describe('dates', () => {
  it('reads today in the bot timezone', () => {
    const at = new Date('2026-02-28T17:30:00Z');
    expect(todayIn('Asia/Shanghai', at)).toBe('2026-03-01');
    expect(todayIn('UTC', at)).toBe('2026-02-28');
  });

  it('checks, adds, counts and shows dates', () => {
    expect(isRealDate('2026-02-28')).toBe(true);
    expect(isRealDate('2026-02-29')).toBe(false);
    expect(isRealDate('2028-02-29')).toBe(true);
    expect(isRealDate('2026-5-1')).toBe(false);
    expect(daysBetween('2026-03-01', '2026-03-31')).toBe(30);
    expect(daysBetween('2026-03-31', '2026-03-01')).toBe(-30);
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(addDays('2026-01-01', -1)).toBe('2025-12-31');
    expect(formatDateZh('2026-03-01')).toBe('2026年3月1日');
  });

  it('cuts a date picker value to the date', () => {
    expect(readDate('2026-05-31 +0800')).toBe('2026-05-31');
    expect(readDate('2026-05-31T00:00:00+08:00')).toBe('2026-05-31');
    expect(readDate('2026-05-31')).toBe('2026-05-31');
    expect(readDate('')).toBeUndefined();
    expect(readDate(undefined)).toBeUndefined();
    expect(readDate('下周')).toBe('下周');
  });
});

describe('one date style for people', () => {
  it('shows a day as 2026年12月1日 and a moment as 2026年12月1日 08:22 in the bot timezone', () => {
    expect(formatDateZh('2026-12-01')).toBe('2026年12月1日');
    expect(formatDateTimeZh('2026-12-01T00:22:00Z', 'Asia/Shanghai')).toBe('2026年12月1日 08:22');
    expect(formatDateTimeZh(new Date('2026-11-30T16:05:00Z'), 'Asia/Shanghai')).toBe('2026年12月1日 00:05');
  });
});
