import type ExcelJS from 'exceljs';
import { PassThrough } from 'node:stream';
import { applicationForm, type ApplicationStatus, applicationStatusNames, statusNameAfterReview } from './applications.js';
import { type FieldKind, type FieldSpec, fieldName, fieldText, type FormDescriptor, isNumeric, readNumber, typedAsPercent } from './forms.js';
import type { Db } from '../db/index.js';
import type { AttachmentRenderer } from './lark/client.js';
import type { AttachmentSpec } from './outbox.js';
import type { NameFiller } from './addressBookNames.js';
import { loadResults, type ResultsData, titlesAsTheyStand, withheldNow } from './review/results.js';
import { scoreSheetForm } from './review/scoring.js';
import { aggregationRuleOf } from './review/aggregation.js';
import { DEFAULT_TIMEZONE } from './cycles.js';
import { formatDateTimeZh, todayIn } from './dates.js';

/** exceljs costs 30 MB and a second to load: only the rare workbook paths pay for it. */
const loadExcel = () => import('exceljs');

/**
 * The review workbook for the association (exceljs): 申报 (one row per application of the year, whatever its
 * status), 专家评分 (one row per submitted score sheet) and 结果 (one row per application reviewed, best first). It names experts, so it
 * goes to the administrators only.
 */

export const workbookSheetNames = { applications: '申报', scores: '专家评分', results: '结果' } as const;

/**
 * A sheet of the streamed workbook: its columns, a bold header row frozen above the list, committed before the first
 * row (a streamed sheet writes each row as it is committed and cannot go back to it).
 */
function addSheet(wb: ExcelJS.stream.xlsx.WorkbookWriter, name: string, columns: Partial<ExcelJS.Column>[]): ExcelJS.Worksheet {
  const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = columns;
  const header = ws.getRow(1);
  header.font = { bold: true };
  header.alignment = { vertical: 'middle', wrapText: true };
  header.commit();
  return ws;
}

/**
 * Commits a sheet with Excel's 筛选 over its header row and the rows written (the first `columns` columns), so the
 * secretary sorts and filters the list at once; set last, as a streamed sheet writes it when committed.
 */
function commitFiltered(ws: ExcelJS.Worksheet, rows: number, columns: number): void {
  ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: rows + 1, column: columns } };
  ws.commit();
}

/**
 * Scores (最终得分, an area's, an expert's item and total: stored to the cent) shown to the cent, 95.50 beside 95.33 in a
 * column; ranks and counts whole. The cells stay numbers, to sort and compute.
 */
const scoreFormat: Partial<ExcelJS.Style> = { numFmt: '0.00' };
const countFormat: Partial<ExcelJS.Style> = { numFmt: '0' };

/**
 * Lets the event loop run every few hundred rows: the workbook is written in the bot's process (by the outbox), and a
 * year of thousands of applications takes seconds, which would otherwise hold every callback arriving meanwhile.
 */
function rowPacer(every = 200): () => Promise<void> {
  let rows = 0;
  return () => (++rows % every === 0 ? new Promise<void>((resolve) => setImmediate(resolve)) : Promise.resolve());
}

/** A long text (goals, plans, an expert's comment) wraps within its column, top-aligned, instead of running across the sheet. */
const wrapped: Partial<ExcelJS.Style> = { alignment: { wrapText: true, vertical: 'top' } };

/** A link, in the blue underlined look Excel gives one typed in. */
const linkFont: Partial<ExcelJS.Font> = { color: { argb: 'FF0563C1' }, underline: true };

const columnWidths: Partial<Record<FieldKind, number>> = { text: 32, longText: 48, url: 40, date: 12, number: 10, integer: 10, percent: 10, select: 12 };

/** A link as Excel opens it on a click: a text cell holding only an address would have to be copied into a browser. */
const linkPattern = /^https?:\/\/\S+$/i;

/**
 * A stored value as its cell (null: none written, so the cell is blank to COUNTA and to 定位条件 → 空值, not an empty
 * text): numbers stay numbers and dates are Excel dates shown ISO ('2026-04-01', the column's
 * `dateFormat`), so the secretary can sort, filter by month and compute. A draft saved through the card keeps its
 * numbers as typed (“95%”, “96”): read as the form reads them, and a text that is no number kept as typed, its unit
 * (the column's header says it) not added.
 */
function cellValue(f: FieldSpec, v: unknown): ExcelJS.CellValue {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'number') return v;
  if (f.kind === 'date') return /^\d{4}-\d{2}-\d{2}$/.test(String(v)) ? new Date(`${String(v)}T00:00:00Z`) : String(v);
  if (isNumeric(f)) {
    const n = readNumber(v);
    if (n === undefined || !Number.isFinite(n)) return String(v);
    return f.share && typedAsPercent(v) ? Math.round((n / 100) * 1e6) / 1e6 : n;
  }
  const text = fieldText(f, v);
  if (f.kind === 'url' && linkPattern.test(text.trim())) return { text, hyperlink: text.trim() };
  return text;
}

const dateFormat = 'yyyy-mm-dd';

/** The 申报表's columns of one application, one per field of its descriptor. */
function formCells(descriptor: FormDescriptor, form: Record<string, unknown>): Record<string, ExcelJS.CellValue> {
  return Object.fromEntries(Object.entries(descriptor.fields).map(([key, f]) => [`form:${key}`, cellValue(f, form[key])]));
}

/** When a workbook is made, in the bot's timezone; the one made at 公布结果 is the moment the cycle was published. */
export interface WorkbookMade {
  at?: Date;
  timeZone?: string;
}

/** A revoked title's 结论 (第二十二条), the day in the bot's timezone: 授予称号（已于 2028-03-01 撤销，第二十二条）. */
/** A result over the line whose title a revocation since 受理 holds back (E5, 第二十二条), as the 评审结果 card says it. */
export const WITHHELD_DECISION = '不授予称号（其称号此前已撤销，第二十二条）';

export const revokedDecision = (revokedAt: Date, timeZone: string) => `授予称号（已于 ${todayIn(timeZone, revokedAt)} 撤销，第二十二条）`;

/**
 * 计分规则 of a result: the rule and the sheets counted, and a panel summed from fewer sheets than the year's 每份申报专家人数
 * (never filled: too few experts in the pool) said so, as the 评审结果 card marks it (“2 位专家评分”).
 */
function ruleText(rule: 'mean' | 'trimmedMean', sheets: number, perApplication: number): string {
  const count = `${sheets} 份${sheets > 0 && sheets < perApplication ? `，少于每份 ${perApplication} 位` : ''}`;
  return rule === 'trimmedMean' ? `去掉最高、最低分后平均（${count}）` : `平均（${count}）`;
}

/** `descriptor` is the 申报表's (its columns follow its fields); a test may pass another. */
export async function reviewWorkbook(data: ResultsData, descriptor: FormDescriptor = applicationForm, made: WorkbookMade = {}): Promise<Buffer> {
  const { default: Excel } = await loadExcel();
  const timeZone = made.timeZone ?? DEFAULT_TIMEZONE;
  const madeAt = made.at ?? new Date(data.cycle.updatedAt);
  // streamed: each row is written out as it is added, so a year of 10 000 applications and 30 000 score sheets takes
  // seconds and tens of MB (the in-memory workbook took 21 s and 1.4 GB for it)
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  const wb = new Excel.stream.xlsx.WorkbookWriter({ stream: sink, useStyles: true, useSharedStrings: true });
  wb.creator = '质量信得过班组助手';
  wb.created = madeAt;
  const breathe = rowPacer();
  const counted = new Map<number, { counted: boolean; outlier: boolean }>();
  for (const row of data.rows) for (const t of row.review?.totals ?? []) counted.set(t.assignmentId, { counted: t.counted, outlier: t.outlier });
  const submittedPerApplication = new Map<number, number>();
  for (const s of data.scores) submittedPerApplication.set(s.applicationId, (submittedPerApplication.get(s.applicationId) ?? 0) + 1);

  const apps = addSheet(wb, workbookSheetNames.applications, [
    { header: '班组编号', key: 'code', width: 16 },
    // a name (up to 50 characters), an organisation's and a 成果名称 (up to 100) wrap within their columns
    { header: '班组名称', key: 'team', width: 24, style: wrapped },
    { header: '所属单位', key: 'organization', width: 28, style: wrapped },
    ...Object.entries(descriptor.fields).map(([key, f]) => ({
      header: fieldName(f),
      key: `form:${key}`,
      width: columnWidths[f.kind] ?? 16,
      ...(f.kind === 'date' ? { style: { numFmt: dateFormat } } : f.kind === 'longText' || f.kind === 'text' ? { style: wrapped } : f.kind === 'url' ? { style: wrapped } : {}),
    })),
    { header: '状态', key: 'status', width: 14 },
    { header: '已提交评分', key: 'sheets', width: 12, style: countFormat },
    { header: '最终得分', key: 'finalScore', width: 10, style: scoreFormat },
  ]);
  const linkColumns = Object.entries(descriptor.fields).filter(([, f]) => f.kind === 'url').map(([key]) => `form:${key}`);
  // every application of the year, reviewed or not (its 状态 says where it stands)
  let appRows = 0;
  const reviewEnded = data.cycle.status === 'closed' || data.cycle.status === 'published';
  for (const r of [...data.applications].sort((a, b) => (a.code < b.code ? -1 : 1))) {
    const row = apps.addRow({
      code: r.code,
      team: r.team,
      organization: r.organization,
      ...formCells(descriptor, r.form ?? { title: r.title, category: r.category }),
      // made once the review has ended (汇总 or 公布): an application that never reached it waits for nobody
      status: reviewEnded ? statusNameAfterReview(r.status) : (applicationStatusNames[r.status as ApplicationStatus] ?? r.status),
      sheets: submittedPerApplication.get(r.applicationId) ?? 0,
      finalScore: r.finalScore,
    });
    for (const key of linkColumns) {
      const cell = row.getCell(key);
      if (cell.type === Excel.ValueType.Hyperlink) cell.font = linkFont;
    }
    row.commit();
    appRows++;
    await breathe();
  }
  commitFiltered(apps, appRows, apps.columns.length);

  // the score columns come from the sheet's form, as the expert's card and the submitted view do
  const scoreForm = scoreSheetForm(data.sheet);
  const items = scoreForm.items;
  const scores = addSheet(wb, workbookSheetNames.scores, [
    { header: '班组编号', key: 'code', width: 16 },
    { header: '班组名称', key: 'team', width: 24 },
    { header: '专家', key: 'expert', width: 14 },
    { header: '专家所属单位', key: 'expertOrganization', width: 28 },
    ...items.map((it) => ({ header: `${scoreForm.fields[it.field].label}（${it.max}）`, key: `item:${it.code}`, width: 10, style: scoreFormat })),
    { header: '总分', key: 'total', width: 8, style: scoreFormat },
    { header: '计入最终得分', key: 'counted', width: 12 },
    { header: `偏离中位数超过 ${aggregationRuleOf(data.cycle.settings).outlierDistance} 分`, key: 'outlier', width: 12 },
    { header: scoreForm.fields.comment.label, key: 'comment', width: 40, style: wrapped },
  ]);
  for (const s of data.scores) {
    const flags = counted.get(s.assignmentId);
    scores.addRow({
      code: s.code,
      team: s.team,
      // an expert with no name on record (never in the address book) is shown by the id Feishu knows them by
      expert: s.expertName ?? s.expertOpenId,
      expertOrganization: s.expertOrganization ?? null,
      ...Object.fromEntries(items.map((it) => [`item:${it.code}`, s.scores[it.code] ?? null])),
      total: s.total,
      counted: flags ? (flags.counted ? '是' : '剔除') : null,
      outlier: flags?.outlier ? '是' : null,
      comment: s.comment || null,
    }).commit();
    await breathe();
  }
  commitFiltered(scores, data.scores.length, scores.columns.length);

  const results = addSheet(wb, workbookSheetNames.results, [
    { header: '排名', key: 'rank', width: 6, style: countFormat },
    { header: '班组编号', key: 'code', width: 16 },
    { header: '班组名称', key: 'team', width: 24 },
    { header: '所属单位', key: 'organization', width: 28 },
    { header: '最终得分', key: 'finalScore', width: 10, style: scoreFormat },
    // out of how many points, as 专家评分's items say theirs (1 班组基础建设（20）)
    ...data.sheet.areas.map((a) => ({ header: `${a.code} ${a.name}（${a.items.reduce((t, it) => t + it.max, 0)}）`, key: `area:${a.code}`, width: 12, style: scoreFormat })),
    { header: '计分规则', key: 'rule', width: 22 },
    // made before 公布结果, the list is what will be published if nothing changes: said so where it is read
    { header: data.cycle.status === 'closed' ? '结论（待公布）' : '结论', key: 'decision', width: 16 },
    { header: '推荐全国', key: 'recommended', width: 10 },
    // issued at 公布结果 (第二十条), as the zip and the complaint form know it; a revoked title's is void
    { header: '证书编号', key: 'certificate', width: 26 },
    // a team renamed since its certificate was issued: the name printed on it, so a list sent on agrees with the
    // certificate; added after the columns a secretary's formulas may read
    { header: '证书所载班组名称（与现名不同时）', key: 'issuedAs', width: 24, style: wrapped },
    // a team moved to another organisation since (an import): the organisation printed on its certificate, likewise
    { header: '证书所载单位（与现单位不同时）', key: 'issuedTo', width: 28, style: wrapped },
    // in the frozen header, beside the list and never sorted into it: a list kept from before is told from a later one
    { header: `生成于 ${formatDateTimeZh(madeAt, timeZone)}（${timeZone}）`, key: 'made', width: 32 },
  ]);
  // the 评审结果 card's titles: one held back by a revocation (E5) is not 授予称号, and its 推荐 place passes on
  const titleOf = titlesAsTheyStand(data, withheldNow(data, madeAt, timeZone));
  for (const r of data.rows) {
    const areas = new Map((r.review?.areas ?? []).map((a) => [a.code, a.score]));
    const title = titleOf(r);
    results.addRow({
      rank: r.rank,
      code: r.code,
      team: r.team,
      organization: r.organization,
      finalScore: r.finalScore,
      ...Object.fromEntries(data.sheet.areas.map((a) => [`area:${a.code}`, areas.get(a.code) ?? null])),
      rule: r.review ? ruleText(r.review.rule, r.review.totals.length, data.cycle.expertsPerApplication) : null,
      decision:
        r.finalScore === null
          ? '未评定'
          : title.withheld
            ? WITHHELD_DECISION
            : r.awarded && r.revokedAt
              ? revokedDecision(r.revokedAt, timeZone)
              : r.awarded
                ? '授予称号'
                : '未获称号',
      // a revoked title is no longer recommended (第二十二条): filtering 推荐全国 = 是 gives the list that stands
      recommended: title.recommended && !title.withheld && !(r.awarded && r.revokedAt) ? '是' : null,
      certificate: r.certificate ? `${r.certificate}${r.revokedAt ? '（已作废）' : ''}` : null,
      issuedAs: r.certificate && r.certificateTeamName && r.certificateTeamName !== r.team ? r.certificateTeamName : null,
      issuedTo: r.certificate && r.certificateOrganization && r.certificateOrganization !== r.organization ? r.certificateOrganization : null,
    }).commit();
    await breathe();
  }
  // the last column's header (生成于 …) is a note beside the list, not a column of it: no filter button on it
  commitFiltered(results, data.rows.length, results.columns.length - 1);

  await wb.commit();
  return Buffer.concat(chunks);
}

/**
 * 下载结果工作簿's file as the outbox row describes it: made when it is sent, from the results as they stand then, so
 * the callback only queues it (a year of thousands of applications takes seconds to write, past Feishu's 3 s).
 * `at` is the click's time (ISO), printed in the 结果 sheet's header; the file name carries its day.
 */
export const resultsWorkbookFile = (cycleId: number, at: Date): AttachmentSpec => ({ kind: 'resultsWorkbook', cycleId, at: at.toISOString() });

/** How long a made workbook is kept for another row of the same spec (公布结果 sends one per administrators' group). */
export const RESULTS_WORKBOOK_KEEP_MS = 5 * 60_000;

/** The results with the names the address book gives for experts the bot knows by open_id alone (src/addressBookNames.ts). */
async function withExpertNames(data: ResultsData, names: NameFiller | undefined): Promise<ResultsData> {
  const unnamed = data.scores.filter((s) => !s.expertName).map((s) => s.expertOpenId);
  if (!names || !unnamed.length) return data;
  const found = await names(unnamed);
  return found.size ? { ...data, scores: data.scores.map((s) => (s.expertName ? s : { ...s, expertName: found.get(s.expertOpenId) ?? null })) } : data;
}

/**
 * `next` (the certificates' renderer) with `resultsWorkbookFile`'s bytes made too; its recheck is `next`'s. The last
 * workbook made is kept a few minutes by its spec: 公布结果 queues one row per administrators' group, all with the same
 * spec, and a year of thousands of applications is written once, not once per group.
 */
export function withResultsWorkbook(next: AttachmentRenderer, db: Db, timeZone: string, keepMs = RESULTS_WORKBOOK_KEEP_MS, names?: NameFiller): AttachmentRenderer {
  let last: { key: string; bytes: Promise<Buffer>; until: number } | undefined;
  const render: AttachmentRenderer = async (spec) => {
    if (spec.kind !== 'resultsWorkbook') return next(spec);
    const key = `${Number(spec.cycleId)}@${String(spec.at)}`;
    if (!last || last.key !== key || Date.now() > last.until) {
      const made = { key, until: Infinity, bytes: (async () => reviewWorkbook(await withExpertNames(await loadResults(db, Number(spec.cycleId)), names), undefined, { at: new Date(String(spec.at)), timeZone }))() };
      last = made;
      // kept from when it is made; a failure is not kept (the outbox retries the row)
      made.bytes.then(
        () => (made.until = Date.now() + keepMs),
        () => last === made && (last = undefined),
      );
    }
    return { bytes: await last.bytes };
  };
  render.recheck = next.recheck;
  return render;
}
