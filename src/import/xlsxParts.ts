import { StringDecoder } from 'node:string_decoder';
import { createInflateRaw } from 'node:zlib';
import { type Zippable, zipSync } from 'fflate';
import { halfWidth, typedText } from '../forms.js';

/**
 * The workbook as exceljs is to load it, made from the file's own XML before exceljs sees it. exceljs reads every part
 * of a file whole, and a cell costs it some 17 µs and a kilobyte whatever it holds: a sheet of her own of 200 000 rows
 * kept beside the four (8 MB, under the 10 MB limit) took it half a minute and 1.8 GB, and borders drawn down to row
 * 300 000 (cells holding a style and nothing else) as long. So each worksheet part is inflated as a stream (by zlib, off
 * the event loop) and read a piece at a time, and:
 * - a sheet the import reads keeps its cells with content (a style alone is none, and a row left without cells goes),
 *   and is refused once over the limits of rows of data, rows filled at all and cells;
 * - any other sheet keeps its first rows, where a renamed template sheet's header would be, and nothing more;
 * - the shared strings keep those the cells kept name; parts exceljs would read for nothing (defined names, expanded by
 *   it cell by cell over their ranges; drawings, comments, pivot caches) are left out.
 */

/** Data rows a sheet may hold: more is no association's list, and would hold the bot for minutes. */
export const MAX_SHEET_ROWS = 5000;
/** Rows a sheet may hold at all, formulas showing nothing counted: exceljs reads them all the same (100 000 take 6 s and 400 MB). */
export const MAX_SHEET_FILLED_ROWS = 4 * MAX_SHEET_ROWS;
/** Cells with content a sheet read may hold: some 4 s in exceljs (20 000 rows of the template's 11 columns are 220 000). */
export const MAX_SHEET_CELLS = 250_000;
/** What the parts read may inflate to in all: borders drawn to row 300 000 over 11 columns are 70 MB of XML. */
export const MAX_INFLATED_BYTES = 256 * 1024 * 1024;
/** What the sheets not read may inflate to, in all and each, looking for their merged cells past their first rows. */
const MAX_SKIPPED_BYTES = 128 * 1024 * 1024;
const MAX_SKIPPED_PER_SHEET = 16 * 1024 * 1024;
/** Cells the first rows of a sheet not read may keep: a header of a thousand columns is more than any template sheet's. */
const MAX_HEAD_CELLS = 10_000;
/** The pieces a part is read in. */
const PIECE = 64 * 1024;
/** A sheet's part before its rows (its columns, views), one row, its merged cells: none is this long in a real workbook. */
const MAX_PIECE_CHARS = 16 * 1024 * 1024;

export const tooManyRowsMessage = (name: string, rows: number) =>
  `“${name}”表有 ${rows} 行数据，超过每张表 ${MAX_SHEET_ROWS} 行的上限：请分成几个工作簿分别导入（每个不超过 ${MAX_SHEET_ROWS} 行）。`;
const tooManyFilledMessage = (name: string, rows: number) =>
  `“${name}”表有 ${rows} 行填有内容（包括显示为空的公式，如向下填充到数据下方的），超过 ${MAX_SHEET_FILLED_ROWS} 行，无法读取：请删除数据下方多余的行后再发送。`;
const tooManyCellsMessage = (name: string, cells: number) =>
  `“${name}”表有 ${cells} 个填有内容的单元格（包括公式和合并的单元格），超过 ${MAX_SHEET_CELLS} 个，无法读取：请删除数据下方和右侧多余的行和列（选中后右键“删除”），或把数据粘贴到新的导入模板中，再发送。`;
const tooLargeSheetMessage = (name: string, limit: number) =>
  `“${name}”表过大（解压后超过 ${Math.round(limit / 1024 / 1024)} MB），无法读取：请删除数据下方和右侧多余的行和列（选中后右键“删除”），或把数据粘贴到新的导入模板中，再发送。`;
const tooLargeWorkbookMessage = (limit: number) =>
  `工作簿过大（解压后超过 ${Math.round(limit / 1024 / 1024)} MB），无法读取：请把“单位”“班组”“专家”“荣誉”表的数据粘贴到新的导入模板（管理 → 导入 → 下载导入模板）中，再发送。`;

/**
 * A sheet's name as the import matches it: half width, without invisible characters, spaces around it dropped (“班组 ”
 * and “班组　” look like 班组 on their tab, and are it).
 */
export const sheetKey = (name: string) => typedText(halfWidth(name)).trim();

/**
 * The sheets the import reads, of the workbook's sheet names: for each name wanted, the sheet of that very name, else
 * the first whose name is it but for width and spaces; wanted name → sheet name.
 */
export function sheetsNamed(names: readonly string[], wanted: readonly string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const name of wanted) {
    const sheet = names.includes(name) ? name : names.find((n) => sheetKey(n) === name);
    if (sheet !== undefined) found.set(name, sheet);
  }
  return found;
}

/** The file for exceljs: the workbook made small, or why it is not read. */
export type PreparedWorkbook =
  | {
      bytes: Uint8Array;
      /** per sheet read, by the name the import reads it under: formula cells whose result is empty (see emptyResultCells) */
      emptyResults: Map<string, Set<string>>;
    }
  | { refused: string }
  | { unreadable: true };

/** A part that outgrew what it may inflate to. */
class TooLarge extends Error {}
/** A file whose zip this cannot make out: exceljs could not either. */
class Unreadable extends Error {}

interface ZipEntry {
  method: number;
  /** where its compressed data starts, and its length */
  start: number;
  size: number;
}

/** The entries of a zip by name, from its central directory (zip64 too). */
function zipEntries(bytes: Uint8Array): Map<string, ZipEntry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  const u64 = (at: number) => Number(view.getBigUint64(at, true));
  let end = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
    if (u32(at) === 0x06054b50) {
      end = at;
      break;
    }
  }
  if (end < 0) throw new Unreadable();
  let count = u16(end + 10);
  let offset = u32(end + 16);
  if ((offset === 0xffffffff || count === 0xffff) && end >= 20 && u32(end - 20) === 0x07064b50) {
    const zip64 = u64(end - 12);
    if (u32(zip64) !== 0x06064b50) throw new Unreadable();
    count = u64(zip64 + 32);
    offset = u64(zip64 + 48);
  }
  const entries = new Map<string, ZipEntry>();
  const names = new TextDecoder();
  for (let i = 0, at = offset; i < count; i++) {
    if (u32(at) !== 0x02014b50) throw new Unreadable();
    const nameLength = u16(at + 28);
    const extraLength = u16(at + 30);
    const original = u32(at + 24);
    let size = u32(at + 20);
    let local = u32(at + 42);
    // zip64: the sizes and the offset that do not fit are in the extra field, in this order
    for (let x = at + 46 + nameLength; x + 4 <= at + 46 + nameLength + extraLength; x += 4 + u16(x + 2)) {
      if (u16(x) !== 0x0001) continue;
      let field = x + 4;
      if (original === 0xffffffff) field += 8;
      if (size === 0xffffffff) {
        size = u64(field);
        field += 8;
      }
      if (local === 0xffffffff) local = u64(field);
    }
    const name = names.decode(bytes.subarray(at + 46, at + 46 + nameLength)).replace(/^\//, '');
    if (u32(local) !== 0x04034b50) throw new Unreadable();
    const start = local + 30 + u16(local + 26) + u16(local + 28);
    if (start + size > bytes.length) throw new Unreadable();
    // an encrypted entry (bit 0) is none to read
    if (!(u16(at + 8) & 1)) entries.set(name, { method: u16(at + 10), start, size });
    at += 46 + nameLength + extraLength + u16(at + 32);
  }
  return entries;
}

const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What parts may still inflate to. */
interface Budget {
  left: number;
}

/**
 * A part's text, a piece at a time, to `take` (false: it has read enough, and the rest is not inflated); TooLarge once
 * it outgrows a budget. zlib inflates on its own threads: the event loop is free between pieces.
 */
async function readPart(file: Uint8Array, entry: ZipEntry, budgets: Budget[], take: (text: string) => boolean): Promise<void> {
  // a character cut between two pieces waits for the next (TextDecoder's stream mode reads 40 MB a second, this 200)
  const decoder = new StringDecoder('utf8');
  const read = (piece: Buffer): boolean => {
    for (const b of budgets) {
      b.left -= piece.length;
      if (b.left < 0) throw new TooLarge();
    }
    return take(decoder.write(piece));
  };
  const data = Buffer.from(file.buffer, file.byteOffset + entry.start, entry.size);
  if (entry.method === 0) {
    for (let at = 0; at < data.length; at += PIECE) {
      if (!read(data.subarray(at, at + PIECE))) return;
      await breathe();
    }
  } else if (entry.method === 8) {
    const inflate = createInflateRaw({ chunkSize: PIECE });
    inflate.end(data);
    try {
      for await (const piece of inflate) if (!read(piece as Buffer)) return;
    } finally {
      inflate.destroy();
    }
  } else throw new Unreadable();
  take(decoder.end());
}

/** A part whole, as text. */
async function partText(file: Uint8Array, entry: ZipEntry, budget: Budget): Promise<string> {
  const pieces: string[] = [];
  await readPart(file, entry, [budget], (text) => {
    pieces.push(text);
    return true;
  });
  return pieces.join('');
}

const columnNumber = (letters: string) => [...letters].reduce((n, c) => n * 26 + c.charCodeAt(0) - 64, 0);

/** A cell's tag (up to its first >), for its reference and whether it closes at once; a cell closing at once holds nothing. */
const CELL_TAG = /<c(?=[\s>/])[^>]*>/g;
const EMPTY_CELL = /<c\s[^>]*\/>/g;
const HAS_REF = /\sr="/;

/**
 * The cells of a row holding a formula whose result is empty: Excel writes =IF(A2="","",…) showing nothing as
 * <c r="K9" t="str"><f>…</f><v></v></c>, which exceljs reads as a formula without any result.
 */
function emptyResultCells(xml: string, into: Set<string>): void {
  if (!xml.includes('<v></v>') && !xml.includes('<v/>')) return;
  for (const [, ref] of xml.matchAll(/<c\b[^>]*?\br="([A-Z]+\d+)"[^>]*>(?:<f\b[^>]*\/>|<f\b[^>]*>[^<]*<\/f>)<v\s*(?:\/>|><\/v>)/g)) into.add(ref);
}

interface SheetRead {
  xml: string;
  /** rows holding a value, and rows holding a value or a formula (which exceljs reads all the same) */
  data: number;
  filled: number;
  /** cells with content, and the cells merges cover */
  cells: number;
  emptyResults: Set<string>;
}

/**
 * One worksheet part read as a stream: its rows up to `keepRows` kept, each without the cells holding only a style (a
 * row left without cells goes), and counted; its merged cells kept within the rows kept; what follows them not read.
 * Rows and cells without their reference (which no file Excel or WPS writes, nor exceljs reads) are kept as they are.
 */
class SheetReader {
  private buf = '';
  private pos = 0;
  private state: 'head' | 'rows' | 'skip' | 'tail' = 'head';
  private head = '';
  private rows: string[] = [];
  private merges = '';
  private lastRow = 0;
  private lastKept = 0;
  private keeping = true;
  private skipped = 0;
  /** what the piece being read waits for (the end of a row), and the text come meanwhile: joined once it has come */
  private until: string | undefined;
  private waiting: string[] = [];
  private waited = 0;
  private readonly counts: SheetRead = { xml: '', data: 0, filled: 0, cells: 0, emptyResults: new Set() };

  constructor(
    private readonly keepRows: number,
    /** rows are kept while the counts are within this; past it only counted, for the refusal */
    private readonly within: (c: SheetRead) => boolean,
  ) {}

  readonly take = (text: string): boolean => {
    if (this.until) {
      // the text before is searched once: a long row is read in time with its length, not its square
      const seam = this.until.length > 1 ? (this.waiting.at(-1) ?? this.buf).slice(1 - this.until.length) : '';
      this.waiting.push(text);
      this.waited += text.length;
      if (!(seam + text).includes(this.until)) {
        if (this.buf.length - this.pos + this.waited > MAX_PIECE_CHARS) throw new TooLarge();
        return true;
      }
      text = this.waiting.join('');
      [this.until, this.waiting, this.waited] = [undefined, [], 0];
    }
    this.buf = this.buf.slice(this.pos) + text;
    this.pos = 0;
    for (;;) {
      const next = this.step();
      if (next === 'wait') return true;
      if (next === 'done') return false;
    }
  };

  /** Waits for `until` to come, the piece from `from` kept. */
  private wait(from: number, until?: string): 'wait' {
    if (this.buf.length - from > MAX_PIECE_CHARS) throw new TooLarge();
    this.pos = from;
    this.until = until;
    return 'wait';
  }

  private step(): 'wait' | 'done' | 'on' {
    const { buf } = this;
    switch (this.state) {
      case 'head': {
        const at = buf.indexOf('<sheetData');
        const end = at < 0 ? -1 : buf.indexOf('>', at);
        if (end < 0) return this.wait(0, at < 0 ? '<sheetData' : '>');
        this.head = buf.slice(0, at);
        this.pos = end + 1;
        this.state = buf[end - 1] === '/' ? 'tail' : 'rows';
        return 'on';
      }
      case 'rows': {
        const at = buf.indexOf('<', this.pos);
        if (at < 0) return this.wait(buf.length, '<');
        if (at + '</sheetData>'.length > buf.length) return this.wait(at);
        if (buf.startsWith('</sheetData>', at)) {
          this.pos = at + '</sheetData>'.length;
          this.state = 'tail';
          return 'on';
        }
        if (!buf.startsWith('<row', at)) {
          // nothing else belongs between rows (a comment, say): passed over
          this.pos = at + 1;
          return 'on';
        }
        const open = buf.indexOf('>', at);
        if (open < 0) return this.wait(at, '>');
        const close = buf[open - 1] === '/' ? open + 1 : buf.indexOf('</row>', open);
        if (close < 0) return this.wait(at, '</row>');
        const end = buf[open - 1] === '/' ? close : close + '</row>'.length;
        this.pos = end;
        this.row(buf.slice(at, end));
        return 'on';
      }
      case 'skip': {
        const close = buf.indexOf('</sheetData>', this.pos);
        if (close < 0) {
          this.skipped += buf.length - this.pos;
          // a sheet not read, past its first rows: its merged cells are not worth inflating it all
          if (this.skipped > MAX_SKIPPED_PER_SHEET) return 'done';
          this.pos = Math.max(this.pos, buf.length - '</sheetData>'.length);
          return 'wait';
        }
        this.pos = close + '</sheetData>'.length;
        this.state = 'tail';
        return 'on';
      }
      case 'tail': {
        // the merged cells come right after the rows (and a filter, sort or protection): nothing after them is read
        const open = buf.indexOf('<mergeCells', this.pos);
        if (open >= 0) {
          const close = buf.indexOf('</mergeCells>', open);
          if (close < 0) return this.wait(open, '</mergeCells>');
          this.merges = buf.slice(open, close);
          return 'done';
        }
        const rest = buf.slice(this.pos);
        if (/<(?:phoneticPr|conditionalFormatting|dataValidations|hyperlinks|printOptions|pageMargins|pageSetup|headerFooter|drawing|legacyDrawing|tableParts|extLst)\b|<\/(?:\w+:)?worksheet>/.test(rest)) return 'done';
        if (rest.length > MAX_PIECE_CHARS) return 'done';
        this.pos = Math.max(this.pos, buf.length - '<mergeCells'.length);
        return 'wait';
      }
    }
  }

  private row(xml: string): void {
    const tag = /^<row\b[^>]*>/.exec(xml)?.[0] ?? '';
    const ref = /\sr="(\d+)"/.exec(tag);
    const number = ref ? Number(ref[1]) : this.lastRow + 1;
    this.lastRow = number;
    if (number > this.keepRows) {
      this.state = 'skip';
      return;
    }
    const cellTags = xml.match(CELL_TAG) ?? [];
    // a cell without its reference takes the place after the one before it: then none is dropped
    const referenced = cellTags.every((t) => HAS_REF.test(t));
    const kept = referenced ? xml.replace(EMPTY_CELL, '') : xml;
    const cells = referenced ? cellTags.filter((t) => !t.endsWith('/>')).length : cellTags.length;
    if (!cells && ref) return;
    const c = this.counts;
    const value = /<v>(?!<\/v>)|<v\s|<is>/.test(kept);
    if (value) c.data++;
    if (value || /<f[\s>/]/.test(kept)) c.filled++;
    c.cells += cells;
    if (!this.keeping) return;
    if (!this.within(c)) {
      this.keeping = false;
      this.rows = [];
      return;
    }
    this.rows.push(kept);
    this.lastKept = Math.max(this.lastKept, number);
    emptyResultCells(kept, c.emptyResults);
  }

  /**
   * The part as exceljs is to read it, with the counts; the cells merges cover (each a cell to exceljs) counted among its
   * cells, and left out when they would bring them past `maxCells`.
   */
  finish(maxCells = Infinity): SheetRead {
    const c = this.counts;
    // no rows this can make out (tags written with a prefix): exceljs reads none either
    if (this.state === 'head') return { ...c, xml: '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>' };
    let merged: string[] = [];
    let area = 0;
    for (const [, from, top, to, bottom] of this.merges.matchAll(/<mergeCell\b[^>]*\bref="([A-Z]+)(\d+):([A-Z]+)(\d+)"/g)) {
      const last = Math.min(Number(bottom), this.lastKept);
      if (Number(top) > last || (Number(top) === last && from === to)) continue;
      merged.push(`<mergeCell ref="${from}${top}:${to}${last}"/>`);
      area += (last - Number(top) + 1) * (columnNumber(to) - columnNumber(from) + 1);
    }
    if (c.cells + area > maxCells) [merged, area] = [[], 0];
    c.cells += area;
    const prefix = /<((?:\w+:)?)worksheet\b/.exec(this.head)?.[1] ?? '';
    const mergeCells = merged.length ? `<mergeCells count="${merged.length}">${merged.join('')}</mergeCells>` : '';
    return { ...c, xml: `${this.head}<sheetData>${this.rows.join('')}</sheetData>${mergeCells}</${prefix}worksheet>` };
  }
}

const unescapeXml = (s: string) =>
  s.replace(/&(?:#x([0-9a-f]+)|#(\d+)|(amp|lt|gt|quot|apos));/gi, (_, hex: string | undefined, dec: string | undefined, named: string) =>
    hex ? String.fromCodePoint(parseInt(hex, 16)) : dec ? String.fromCodePoint(Number(dec)) : ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[named.toLowerCase()],
  );
const attribute = (tag: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];

/** The name exceljs reads a worksheet part by, with its number. */
const SHEET_PART = /^xl\/worksheets\/sheet(\d+)\.xml$/;

/** The parts exceljs reads that the import needs, besides the workbook, its relationships, the sheets and the strings. */
const KEPT_PARTS = /^(?:\[Content_Types\]\.xml|_rels\/\.rels|xl\/styles\.xml|xl\/theme\/[A-Za-z0-9]+\.xml)$/;

/**
 * The workbook made small for exceljs (see above), `wanted` the sheets the import reads and `headerRows` the rows kept
 * of any other sheet; or the one line saying why it is not read (a sheet read over its limits, a file too large); or
 * that it is no workbook this can make out. `inflated` is what the parts read may inflate to.
 */
export async function prepareWorkbook(file: Uint8Array, wanted: readonly string[], headerRows: number, inflated = MAX_INFLATED_BYTES): Promise<PreparedWorkbook> {
  const budget: Budget = { left: inflated };
  const skipped: Budget = { left: MAX_SKIPPED_BYTES };
  let reading: string | undefined;
  try {
    const entries = zipEntries(file);
    const workbookEntry = entries.get('xl/workbook.xml');
    const relsEntry = entries.get('xl/_rels/workbook.xml.rels');
    if (!workbookEntry || !relsEntry) return { unreadable: true };
    // defined names (print areas, filters) exceljs expands cell by cell over their ranges: the import uses none
    const workbook = (await partText(file, workbookEntry, budget)).replace(/<definedNames\b[^>]*\/>|<definedNames\b[\s\S]*?<\/definedNames>/, '');
    let rels = await partText(file, relsEntry, budget);
    const relTags = [...rels.matchAll(/<Relationship\b[^>]*>/g)].map(([r]) => r);
    // the numbers of xl/worksheets/sheetN.xml taken, and the name given each worksheet part of another name
    const taken = new Set([...entries.keys()].flatMap((n) => SHEET_PART.exec(n)?.slice(1, 2).map(Number) ?? []));
    const renamed = new Map<string, string>();
    /** `part`: the worksheet's part in the file; `path`: its name in the workbook made for exceljs */
    const sheets: { name: string; part: string; path: string }[] = [];
    for (const [tag] of workbook.matchAll(/<(?:\w+:)?sheet\b[^>]*>/g)) {
      const name = attribute(tag, 'name');
      const id = attribute(tag, 'r:id');
      const rel = id === undefined ? undefined : relTags.find((r) => attribute(r, 'Id') === id);
      const target = rel && attribute(rel, 'Target');
      if (name === undefined || !rel || !target) continue;
      const part = target.startsWith('/') ? target.slice(1) : `xl/${target}`;
      // exceljs reads a worksheet under xl/worksheets/sheetN.xml alone: one of another name (the Open XML SDK writes
      // xl/worksheets/sheet.xml) is given a free one, and its relationship pointed at it. A chart sheet stays unread
      if (!SHEET_PART.test(part) && /\/worksheet$/.test(attribute(rel, 'Type') ?? '') && entries.has(part) && !renamed.has(part)) {
        let n = 1;
        while (taken.has(n)) n++;
        taken.add(n);
        renamed.set(part, `xl/worksheets/sheet${n}.xml`);
        rels = rels.replace(rel, () => rel.replace(/(\sTarget=")[^"]*"/, `$1worksheets/sheet${n}.xml"`));
      }
      sheets.push({ name: unescapeXml(name), part, path: renamed.get(part) ?? part });
    }
    const readAs = new Map([...sheetsNamed(sheets.map((s) => s.name), wanted)].map(([as, name]) => [name, as]));
    const encode = (text: string) => new TextEncoder().encode(text);
    const parts: Zippable = { 'xl/workbook.xml': encode(workbook), 'xl/_rels/workbook.xml.rels': encode(rels) };
    const emptyResults = new Map<string, Set<string>>();
    const sheetXml = new Map<string, string>();
    // the sheets read first, and the budget theirs: the others have their own
    for (const sheet of [...sheets.filter((s) => readAs.has(s.name)), ...sheets.filter((s) => !readAs.has(s.name))]) {
      const part = entries.get(sheet.part);
      // exceljs reads worksheets by this name alone: a chart sheet is nothing it reads
      if (!part || !SHEET_PART.test(sheet.path) || sheetXml.has(sheet.path)) continue;
      const as = readAs.get(sheet.name);
      if (as === undefined) {
        const reader = new SheetReader(headerRows, (c) => c.cells <= MAX_HEAD_CELLS);
        try {
          await readPart(file, part, [skipped], reader.take);
        } catch (err) {
          // a sheet not read: what its first rows held is enough
          if (!(err instanceof TooLarge)) throw err;
        }
        sheetXml.set(sheet.path, reader.finish(MAX_HEAD_CELLS).xml);
        continue;
      }
      reading = as;
      const reader = new SheetReader(Infinity, (c) => c.data <= MAX_SHEET_ROWS + 1 && c.filled <= MAX_SHEET_FILLED_ROWS && c.cells <= MAX_SHEET_CELLS);
      await readPart(file, part, [budget], reader.take);
      const read = reader.finish();
      reading = undefined;
      // the header is a row with values too
      if (read.data > MAX_SHEET_ROWS + 1) return { refused: tooManyRowsMessage(as, read.data - 1) };
      if (read.filled > MAX_SHEET_FILLED_ROWS) return { refused: tooManyFilledMessage(as, read.filled) };
      if (read.cells > MAX_SHEET_CELLS) return { refused: tooManyCellsMessage(as, read.cells) };
      sheetXml.set(sheet.path, read.xml);
      emptyResults.set(as, read.emptyResults);
    }
    const strings = entries.get('xl/sharedStrings.xml');
    if (strings) parts['xl/sharedStrings.xml'] = encode(await sharedStrings(file, strings, budget, sheetXml));
    for (const [path, xml] of sheetXml) parts[path] = encode(xml);
    for (const [name, entry] of entries) if (KEPT_PARTS.test(name)) parts[name] = encode(await partText(file, entry, budget));
    return { bytes: zipSync(parts, { level: 0 }), emptyResults };
  } catch (err) {
    if (err instanceof TooLarge) return { refused: reading === undefined ? tooLargeWorkbookMessage(inflated) : tooLargeSheetMessage(reading, inflated) };
    // a zip cut short or damaged, or data zlib cannot inflate
    if (err instanceof Unreadable || err instanceof RangeError || /^Z_/.test(String((err as { code?: unknown }).code))) return { unreadable: true };
    throw err;
  }
}

const SHARED_CELL = /(<c\b[^>]*?\st="s"[^>]*>\s*<v>)(\d+)(<\/v>)/g;
const SHARED_ITEM = /<(?:\w+:)?si[\s>/]/g;

/**
 * The shared strings the kept cells name, in their order, and those cells renumbered to them: the strings of a sheet not
 * read (200 000 take exceljs a second and 200 MB) are not read past the last one named.
 */
async function sharedStrings(file: Uint8Array, entry: ZipEntry, budget: Budget, sheetXml: Map<string, string>): Promise<string> {
  const named = new Set<number>();
  for (const xml of sheetXml.values()) for (const [, , n] of xml.matchAll(SHARED_CELL)) named.add(Number(n));
  const order = [...named].sort((a, b) => a - b);
  const renumbered = new Map(order.map((n, i) => [n, i]));
  for (const [path, xml] of sheetXml) sheetXml.set(path, xml.replace(SHARED_CELL, (_, open: string, n: string, close: string) => `${open}${renumbered.get(Number(n))}${close}`));

  const last = order.at(-1) ?? -1;
  let head: string | undefined;
  const kept: string[] = [];
  let index = 0;
  let buf = '';
  await readPart(file, entry, [budget], (text) => {
    buf += text;
    let pos = 0;
    if (head === undefined) {
      const sst = /<(?:\w+:)?sst\b[^>]*>/.exec(buf);
      if (!sst) {
        if (buf.length > MAX_PIECE_CHARS) throw new TooLarge();
        return true;
      }
      head = buf.slice(0, sst.index) + sst[0].replace(/\s(?:count|uniqueCount)="\d*"/g, '');
      pos = sst.index + sst[0].length;
    }
    while (index <= last) {
      SHARED_ITEM.lastIndex = pos;
      const item = SHARED_ITEM.exec(buf);
      const open = item ? buf.indexOf('>', item.index) : -1;
      const end = !item || open < 0 ? -1 : buf[open - 1] === '/' ? open + 1 : itemEnd(buf, open);
      if (!item || end < 0) break;
      if (named.has(index)) kept.push(buf.slice(item.index, end));
      index++;
      pos = end;
    }
    buf = buf.slice(pos);
    if (index > last) return false;
    if (buf.length > MAX_PIECE_CHARS) throw new TooLarge();
    return true;
  });
  const prefix = /<((?:\w+:)?)sst\b/.exec(head ?? '')?.[1] ?? '';
  return `${head ?? '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'}${kept.join('')}</${prefix}sst>`;
}

/** Where the string item open before `from` ends, past its closing tag; -1 when not read yet. */
function itemEnd(buf: string, from: number): number {
  const close = /<\/(?:\w+:)?si>/g;
  close.lastIndex = from;
  const m = close.exec(buf);
  return m ? m.index + m[0].length : -1;
}
