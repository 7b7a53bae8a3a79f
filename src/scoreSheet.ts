import { createHash } from 'node:crypto';
import { z } from 'zod';
import { UserError } from './errors.js';
import { cutText } from '../cards/kit.js';

/**
 * The score sheet (评分表, 第十八条) as data: areas → items → max points. Each cycle keeps its own copy,
 * so a sheet loaded for one year never changes the scores of another.
 */

/** Whole or half points: 5, 2.5; not 0.3. */
const isHalfPoints = (n: number) => Number.isInteger(n * 2);

const text = (what: string) =>
  z.string({ error: `${what}须为文字` }).trim().min(1, { error: `${what}不能为空` });

const points = z
  .number({ error: '须为数字' })
  .positive({ error: '须大于 0' })
  .refine(isHalfPoints, { error: '须为整数或半分（如 5 或 2.5）' });

export const scoreItemSchema = z.object({
  code: text('编号'),
  name: text('名称'),
  max: points,
});

export const scoreAreaSchema = z.object({
  code: text('编号'),
  name: text('名称'),
  article: z.string({ error: '条款须为文字' }).trim().optional(),
  items: z.array(scoreItemSchema, { error: '评分项须为列表' }).min(1, { error: '至少需要一个评分项' }),
});

export const scoreSheetSchema = z
  .object(
    {
      title: text('标题'),
      total: points,
      areas: z.array(scoreAreaSchema, { error: '评分区域须为列表' }).min(1, { error: '至少需要一个评分区域' }),
    },
    { error: '评分表须为 JSON 对象：{ title, total, areas: [{ code, name, items: [{ code, name, max }] }] }' },
  )
  .superRefine((sheet, ctx) => {
    const seen = new Set<string>();
    for (const [i, area] of sheet.areas.entries()) {
      for (const [j, item] of area.items.entries()) {
        if (seen.has(item.code)) ctx.addIssue({ code: 'custom', path: ['areas', i, 'items', j, 'code'], message: `编号 ${item.code} 重复` });
        seen.add(item.code);
      }
    }
    const subtotals = sheet.areas.map((a) => ({ code: a.code, name: a.name, max: sum(a.items.map((it) => it.max)) }));
    const itemsTotal = sum(subtotals.map((s) => s.max));
    if (itemsTotal !== sheet.total) {
      const parts = subtotals.map((s) => `${s.code} ${s.name} ${s.max} 分`).join('，');
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `各评分项满分合计 ${itemsTotal} 分，与声明的总分 ${sheet.total} 分不一致（各区域小计：${parts}）`,
      });
    }
  });

export type ScoreSheet = z.infer<typeof scoreSheetSchema>;
export type ScoreArea = ScoreSheet['areas'][number];
export type ScoreItem = ScoreArea['items'][number];

/** The 100-point default of RULES.md: the areas of 第七条 and the results of 第十三条. */
export const defaultScoreSheet: ScoreSheet = {
  title: '质量信得过班组建设评分表（默认）',
  total: 100,
  areas: [
    {
      code: '1',
      name: '班组基础建设',
      article: '第七条第1款',
      items: [
        { code: '1.1', name: '目标分解与职能明确', max: 5 },
        { code: '1.2', name: '质量安全管理制度健全并严格执行', max: 5 },
        { code: '1.3', name: '标准化作业与现场管理系统', max: 5 },
        { code: '1.4', name: '作业记录、设备设施维护、行为规范', max: 5 },
      ],
    },
    {
      code: '2',
      name: '班组组织建设',
      article: '第七条第2款',
      items: [
        { code: '2.1', name: '组织机制与资源配备', max: 5 },
        { code: '2.2', name: '岗位流程化整合与协作协调', max: 5 },
      ],
    },
    {
      code: '3',
      name: '班组规范建设',
      article: '第七条第3款',
      items: [
        { code: '3.1', name: '规章制度与绩效指标', max: 5 },
        { code: '3.2', name: '活动记录完整有效', max: 5 },
        { code: '3.3', name: '质量结果水平突出并持续上升', max: 5 },
      ],
    },
    {
      code: '4',
      name: '班组技能建设',
      article: '第七条第4款',
      items: [
        { code: '4.1', name: '学习型班组与培训方式', max: 5 },
        { code: '4.2', name: '培训率与考试合格率', max: 5 },
        { code: '4.3', name: '综合素质与创新能力提升', max: 5 },
      ],
    },
    {
      code: '5',
      name: '健康安全环保建设',
      article: '第七条第5款',
      items: [
        { code: '5.1', name: '关爱员工与健康文明活动', max: 4 },
        { code: '5.2', name: '安全环保防范、应急措施与演练', max: 6 },
      ],
    },
    {
      code: '6',
      name: '质量改进和创新',
      article: '第七条第6款',
      items: [
        { code: '6.1', name: 'QC小组、现场管理、合理化建议活动', max: 8 },
        { code: '6.2', name: '质量工具方法的正确有效应用', max: 7 },
      ],
    },
    {
      code: '7',
      name: '建设成效',
      article: '第十三条第4款',
      items: [
        { code: '7.1', name: '目标完成率与质量水平', max: 5 },
        { code: '7.2', name: '顾客确认与满意程度', max: 5 },
        { code: '7.3', name: '特色与推广意义', max: 5 },
      ],
    },
  ],
};

/**
 * What one score-sheet card holds: each item is an input of three tagged objects and each area a heading, beside the
 * 申报表, and Feishu takes at most 200 tagged objects in a card (50 items in 10 areas come to 188).
 */
export const SHEET_LIMITS = { items: 50, areas: 10 } as const;

/** A sheet from stored or pasted JSON (an object or a JSON string); a UserError says what is wrong. */
export function parseScoreSheet(json: unknown): ScoreSheet {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (err) {
      throw new UserError(`评分表不是有效的 JSON：${(err as Error).message}`, { field: 'sheet', article: 18 });
    }
  }
  const result = scoreSheetSchema.safeParse(value);
  if (!result.success) {
    const messages = result.error.issues.slice(0, 3).map((issue) => issueText(issue, value));
    throw new UserError(messages.join('；'), { field: 'sheet', article: 18 });
  }
  // an area's code heads its part of the score card and its subtotal: two areas under one code (a typo) would show as
  // one, with both areas' points; checked at load only, so a sheet stored before still reads
  const named = new Map<string, string>();
  for (const area of result.data.areas) {
    const first = named.get(area.code);
    if (first !== undefined) {
      throw new UserError(`评分区域编号 ${area.code} 重复（“${first}”和“${area.name}”）：每个评分区域须有自己的编号，请改正后重新载入`, { field: 'sheet', article: 18 });
    }
    named.set(area.code, area.name);
  }
  const items = result.data.areas.reduce((n, a) => n + a.items.length, 0);
  const areas = result.data.areas.length;
  if (items > SHEET_LIMITS.items || areas > SHEET_LIMITS.areas) {
    throw new UserError(
      `评分表最多 ${SHEET_LIMITS.areas} 个评分区域、${SHEET_LIMITS.items} 个评分项（专家的评分卡片放不下更多），这份有 ${areas} 个区域、${items} 项：请合并部分评分区域或评分项后重新载入`,
      { field: 'sheet', article: 18 },
    );
  }
  return result.data;
}

/**
 * A sheet typed into a card: JSON, or (since a card's input takes at most 1000 characters) the short
 * line form that `scoreSheetToText` writes:
 *   评分表：质量信得过班组建设评分表
 *   总分：100
 *   1 班组基础建设 | 第七条第1款
 *   1.1 目标分解与职能明确 5
 * An area's row may end with its subtotal (“1 班组基础建设 20分”, a row copied from a spreadsheet with its 分值 column),
 * checked against the sum of its items; a tab (a spreadsheet's column break) reads as a space.
 */
/** The longest line of a typed score sheet: an item's name with its code and points is far shorter. */
const SHEET_LINE_MAX = 200;

export function parseScoreSheetText(input: string): ScoreSheet {
  const t = input.trim();
  if (!t) throw new UserError('请填写评分表（JSON，或每行一项的简写格式）。', { field: 'sheet', article: 18 });
  if (t.startsWith('{') || t.startsWith('[')) return parseScoreSheet(t);
  return parseSheetLines(t.split(/\r?\n/).map((line, i) => ({ line, where: `第 ${i + 1} 行` })));
}

/**
 * Feishu's card input takes at most 1 000 characters (max_length 1–1000,
 * https://open.feishu.cn/document/feishu-cards/card-json-v2-components/interactive-components/input), fewer than a
 * sheet of SHEET_LIMITS.items items in either form (the default sheet's JSON alone is 1 299): 载入评分表 offers
 * several inputs, read in order as one text. Five hold 5 000 characters, 50 items of names near 90 characters in
 * the line form, in a card of some 16 KB of its 30.
 */
export const SHEET_INPUT = { max: 1000, boxes: 5 } as const;

/**
 * A sheet typed over the card's inputs, in order: the line form's boxes joined as lines (each box holds whole lines,
 * a refusal names the box and its line), JSON's as they are (a JSON text may break anywhere). A box holding as much
 * as its input takes was most likely cut there by the input: when the sheet does not read, that is what is said,
 * not what the cut made of it (a sum short of the total, a JSON cut in half).
 */
export function parseScoreSheetBoxes(boxes: readonly string[]): ScoreSheet {
  const filled = boxes.map((text, i) => ({ text, box: i + 1 })).filter((b) => b.text.trim());
  // the first box alone (a card sent before there were more, or a sheet that fits): read as it always was
  if (filled.length <= 1 && (filled[0]?.box ?? 1) === 1) return cutOff(boxes, () => parseScoreSheetText(filled[0]?.text ?? ''));
  const first = filled[0].text.trim();
  if (first.startsWith('{') || first.startsWith('[')) return cutOff(boxes, () => parseScoreSheet(filled.map((b) => b.text.trim()).join('')));
  return cutOff(boxes, () => {
    const lines = filled.flatMap((b) => b.text.trim().split(/\r?\n/).map((line, i) => ({ line, where: `第 ${b.box} 框第 ${i + 1} 行` })));
    return parseSheetLines(lines);
  });
}

/** `parse`, whose refusal becomes the cut-off's when a box is as full as its input takes. */
function cutOff(boxes: readonly string[], parse: () => ScoreSheet): ScoreSheet {
  try {
    return parse();
  } catch (err) {
    const full = boxes.findIndex((b) => b.length >= SHEET_INPUT.max);
    if (!(err instanceof UserError) || full < 0) throw err;
    const box = full + 1;
    const move = box < SHEET_INPUT.boxes
      ? `请把第 ${box} 框末尾的评分区域移到第 ${box + 1} 框（每框最多 ${SHEET_INPUT.max} 字，各框按顺序连成一份评分表）后重新载入`
      : `${SHEET_INPUT.boxes} 个框最多容纳 ${SHEET_INPUT.boxes * SHEET_INPUT.max} 字，请改用每行一项的写法或缩短评分项名称后重新载入`;
    throw new UserError(`第 ${box} 框正好 ${SHEET_INPUT.max} 字，可能在 ${SHEET_INPUT.max} 字处被截断了：${move}。`, { field: 'sheet', article: 18 });
  }
}

/**
 * The line form's text over the card's inputs, at most `max` characters each: whole areas to a box where they fit,
 * an area longer than a box over several at its lines; undefined when the sheet does not fit in `boxes` inputs.
 */
export function splitSheetText(text: string, max: number = SHEET_INPUT.max, boxes: number = SHEET_INPUT.boxes): string[] | undefined {
  const lines = text.split('\n');
  if (lines.some((l) => l.length >= max)) return undefined;
  // the headings go with the first area; each area's row starts a block
  const blocks: string[][] = [];
  for (const line of lines) {
    if (/^\d+[\s.、]/.test(line) && !/^\d+\.\d/.test(line) && blocks.length && blocks[blocks.length - 1].some((l) => /^\d+[\s.、]/.test(l))) blocks.push([line]);
    else if (blocks.length) blocks[blocks.length - 1].push(line);
    else blocks.push([line]);
  }
  const out: string[] = [];
  let box = '';
  // a box is kept short of max: one exactly full reads as cut off (parseScoreSheetBoxes)
  const put = (part: string) => {
    if (!box) box = part;
    else if (box.length + 1 + part.length < max) box = `${box}\n${part}`;
    else {
      out.push(box);
      box = part;
    }
  };
  for (const block of blocks) {
    const whole = block.join('\n');
    if (whole.length < max) put(whole);
    else for (const line of block) put(line);
  }
  if (box) out.push(box);
  return out.length <= boxes ? out : undefined;
}

function parseSheetLines(lines: readonly { line: string; where: string }[]): ScoreSheet {
  let title: string | undefined;
  let total: number | undefined;
  const areas: { code: string; name: string; article?: string; items: { code: string; name: string; max: number }[] }[] = [];
  // the subtotals typed on area rows, by the area's index
  const declared = new Map<number, { max: number; where: string }>();
  for (const { line: raw, where } of lines) {
    // digits, points and spaces typed full width (a sheet copied from a Word document) read as the other forms read them;
    // the rest (an item's （） and ：) is the item's own name and stays as typed. A tab (a spreadsheet's column
    // break, several for empty cells) separates as a space does: no name keeps one
    const line = raw
      .replace(/[０-９．]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
      .replace(/\u3000/g, ' ')
      .replace(/\t+/g, ' ')
      .trim();
    if (!line) continue;
    // a line is a heading, an area or an item, each a few dozen characters; the patterns below take time growing faster
    // than a line of thousands (a sheet pasted as one line held every other event for seconds)
    if (line.length > SHEET_LINE_MAX) throw new UserError(`${where}有 ${line.length} 个字，超过 ${SHEET_LINE_MAX} 字：每个评分区域、评分项各占一行`, { field: 'sheet', article: 18 });
    const header = /^(评分表|标题|总分)\s*[:：]\s*(.*)$/.exec(line);
    if (header) {
      if (header[1] === '总分') {
        total = Number(header[2].replace(/分$/, '').trim());
        if (!Number.isFinite(total)) throw new UserError(`${where}：总分“${header[2]}”不是数字`, { field: 'sheet', article: 18 });
      } else title = header[2].trim();
      continue;
    }
    const item = /^(\d+(?:\.\d+)+)\s+(.+?)\s+(\d+(?:\.\d+)?)\s*分?$/.exec(line);
    if (item) {
      const area = areas[areas.length - 1];
      if (!area) throw new UserError(`${where}：评分项 ${item[1]} 之前缺少评分区域（如“1 班组基础建设”）`, { field: 'sheet', article: 18 });
      area.items.push({ code: item[1], name: item[2].trim(), max: Number(item[3]) });
      continue;
    }
    // an area's row, its subtotal after the name (“20”, “20分”, “（20分）”) and its article after a bar
    const area = /^(\d+)[\s.、]+([^|｜\d][^|｜]*?)\s*(?:\s(\d+(?:\.\d+)?)\s*分?|[（(]\s*(\d+(?:\.\d+)?)\s*分\s*[）)])?\s*(?:[|｜]\s*(.+))?$/.exec(line);
    if (area) {
      const subtotal = area[3] ?? area[4];
      if (subtotal !== undefined) declared.set(areas.length, { max: Number(subtotal), where });
      areas.push({ code: area[1], name: area[2].trim(), ...(area[5] ? { article: area[5].trim() } : {}), items: [] });
      continue;
    }
    throw new UserError(`${where}无法识别：“${cutText(line, 40)}”。评分区域写作“1 班组基础建设”，评分项写作“1.1 目标分解与职能明确 5”`, { field: 'sheet', article: 18 });
  }
  if (total === undefined) throw new UserError('缺少“总分：100”一行（用来核对各项满分之和）', { field: 'sheet', article: 18 });
  for (const [i, { max, where }] of declared) {
    const area = areas[i];
    const items = sum(area.items.map((it) => it.max));
    if (area.items.length && items !== max) {
      throw new UserError(`${where}：评分区域 ${area.code} ${area.name} 标明 ${max} 分，其下各评分项满分合计 ${items} 分，两者不一致：请核对后重新载入`, { field: 'sheet', article: 18 });
    }
  }
  return parseScoreSheet({ title: title ?? '评分表', total, areas });
}

/** The line form of a sheet, short enough for a card's text input. */
export function scoreSheetToText(sheet: ScoreSheet): string {
  const lines = [`评分表：${sheet.title}`, `总分：${sheet.total}`];
  for (const area of sheet.areas) {
    lines.push(`${area.code} ${area.name}${area.article ? ` | ${area.article}` : ''}`);
    for (const item of area.items) lines.push(`${item.code} ${item.name} ${item.max}`);
  }
  return lines.join('\n');
}

export interface SheetItem extends ScoreItem {
  areaCode: string;
  areaName: string;
}

/** Every item of the sheet in order, with its area. */
export function sheetItems(sheet: ScoreSheet): SheetItem[] {
  return sheet.areas.flatMap((area) => area.items.map((item) => ({ ...item, areaCode: area.code, areaName: area.name })));
}

export interface AreaSubtotal {
  code: string;
  name: string;
  max: number;
  score: number;
}

/** Per-area sums of the given item scores (keyed by item code; a missing score counts 0). */
export function areaSubtotals(sheet: ScoreSheet, scores: Readonly<Record<string, number | null | undefined>>): AreaSubtotal[] {
  return sheet.areas.map((area) => ({
    code: area.code,
    name: area.name,
    max: sum(area.items.map((it) => it.max)),
    score: sum(area.items.map((it) => Number(scores[it.code] ?? 0))),
  }));
}

function sum(ns: number[]): number {
  // half points add up exactly in binary; rounding guards scores typed with more decimals
  return Math.round(ns.reduce((a, b) => a + b, 0) * 100) / 100;
}

const fieldNames: Record<string, string> = { title: '标题', total: '总分', code: '编号', name: '名称', max: '满分', article: '条款', areas: '评分区域', items: '评分项' };

/** An issue as a reader can place it: "评分项 1.2 满分：须为整数或半分". */
function issueText(issue: z.core.$ZodIssue, input: unknown): string {
  const where: string[] = [];
  let node: unknown = input;
  for (let i = 0; i < issue.path.length; i++) {
    const key = issue.path[i];
    const next = node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key as PropertyKey] : undefined;
    if (typeof key === 'number') {
      const container = String(issue.path[i - 1] ?? '');
      const code = next && typeof next === 'object' ? (next as { code?: unknown }).code : undefined;
      const what = container === 'items' ? '评分项' : '评分区域';
      where.pop();
      where.push(typeof code === 'string' && code.trim() ? `${what} ${code.trim()}` : `第 ${key + 1} 个${what}`);
    } else {
      where.push(fieldNames[String(key)] ?? String(key));
    }
    node = next;
  }
  return where.length ? `${where.join(' ')}：${issue.message}` : issue.message;
}

/** Fingerprints by sheet: a cycle's sheet is one frozen object per version (`cycleScoreSheet`), so each is hashed once. */
const fingerprints = new WeakMap<ScoreSheet, string>();

/**
 * A short content hash of a sheet (first 12 hex of sha256 of its JSON with sorted keys): the score card carries it,
 * so a submit can tell the sheet the expert read from the one in force (第十八条) whatever else of the cycle changed.
 */
export function sheetFingerprint(sheet: ScoreSheet): string {
  let known = fingerprints.get(sheet);
  if (!known) {
    known = createHash('sha256').update(stableJson(sheet)).digest('hex').slice(0, 12);
    fingerprints.set(sheet, known);
  }
  return known;
}

/** JSON with each object's keys in sorted order, so the same sheet read back from jsonb gives the same text. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
