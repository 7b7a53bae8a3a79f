import { strFromU8, strToU8, unzipSync, Zip, ZipDeflate } from 'fflate';

/**
 * A workbook made from a small one (exceljs's bytes) with sheets of many rows written as Excel writes them, their XML
 * made and deflated a piece at a time: exceljs would take as long to write them as the import to be tested reads them.
 */
export interface BigSheet {
  /** a sheet added under this name, or the part of a sheet there (xl/worksheets/sheet2.xml) whose rows are replaced */
  name?: string;
  part?: string;
  rows: number;
  /** the cells of row `r`, as XML; `shared(text)` is a shared string's index, as Excel keeps text */
  cells: (r: number, shared: (text: string) => number) => string;
}

const SHEET_HEAD =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheetData>';

export function bigWorkbook(small: Buffer, sheets: BigSheet[]): Buffer {
  const files = unzipSync(new Uint8Array(small));
  const text = (name: string) => strFromU8(files[name]);
  const strings: string[] = [];
  const sst = files['xl/sharedStrings.xml'] ? text('xl/sharedStrings.xml') : '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"></sst>';
  const known = [...sst.matchAll(/<si>/g)].length;
  const shared = (t: string) => strings.push(`<si><t>${t}</t></si>`) - 1 + known;
  const out: Uint8Array[] = [];
  const zip = new Zip((err, chunk) => {
    if (err) throw err;
    out.push(chunk);
  });
  const parts = new Map<string, (push: (s: string) => void) => void>();
  let n = Object.keys(files).filter((f) => /^xl\/worksheets\/sheet\d+\.xml$/.test(f)).length;
  for (const sheet of sheets) {
    let path = sheet.part;
    if (!path) {
      n++;
      path = `xl/worksheets/sheet${n}.xml`;
      files['xl/workbook.xml'] = strToU8(text('xl/workbook.xml').replace('</sheets>', `<sheet name="${sheet.name}" sheetId="${n + 100}" r:id="rIdBig${n}"/></sheets>`));
      files['xl/_rels/workbook.xml.rels'] = strToU8(
        text('xl/_rels/workbook.xml.rels').replace('</Relationships>', `<Relationship Id="rIdBig${n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet${n}.xml"/></Relationships>`),
      );
      files['[Content_Types].xml'] = strToU8(
        text('[Content_Types].xml').replace('</Types>', `<Override PartName="/${path}" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`),
      );
    }
    parts.set(path, (push) => {
      push(SHEET_HEAD);
      let piece = '';
      for (let r = 1; r <= sheet.rows; r++) {
        piece += `<row r="${r}">${sheet.cells(r, shared)}</row>`;
        if (piece.length > 1 << 20) {
          push(piece);
          piece = '';
        }
      }
      push(`${piece}</sheetData></worksheet>`);
    });
  }
  const add = (name: string, write: (push: (s: string) => void) => void) => {
    const entry = new ZipDeflate(name, { level: 1 });
    zip.add(entry);
    let last: string | undefined;
    write((s) => {
      if (last !== undefined) entry.push(strToU8(last));
      last = s;
    });
    entry.push(strToU8(last ?? ''), true);
  };
  for (const [path, write] of parts) add(path, write);
  const [sstHead, sstTail] = [sst.slice(0, sst.lastIndexOf('</sst>')), '</sst>'];
  // the strings are known once the sheets are written
  add('xl/sharedStrings.xml', (push) => {
    push(sstHead.replace(/\s(?:count|uniqueCount)="\d+"/g, ''));
    for (let i = 0; i < strings.length; i += 10_000) push(strings.slice(i, i + 10_000).join(''));
    push(sstTail);
  });
  if (!files['xl/sharedStrings.xml']) {
    files['xl/_rels/workbook.xml.rels'] = strToU8(
      text('xl/_rels/workbook.xml.rels').replace('</Relationships>', '<Relationship Id="rIdBigSst" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'),
    );
  }
  for (const [name, data] of Object.entries(files)) {
    if (parts.has(name) || name === 'xl/sharedStrings.xml') continue;
    const entry = new ZipDeflate(name, { level: 1 });
    zip.add(entry);
    entry.push(data, true);
  }
  zip.end();
  return Buffer.concat(out);
}

/** Excel's letters of column `col` (1 is A). */
export const letters = (col: number): string => (col > 26 ? letters(Math.floor((col - 1) / 26)) : '') + String.fromCharCode(65 + ((col - 1) % 26));
