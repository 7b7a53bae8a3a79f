import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Zip, ZipDeflate } from 'fflate';
import { wallTimeAsLocal } from '../dates.js';

/** 荣誉证书 drawing: an SVG template with {{placeholders}}, rendered to PNG (resvg) and to a vector PDF (pdfkit). */

export const certificatePlaceholders = ['association', 'team', 'organization', 'year', 'title', 'number', 'date'] as const;
export type CertificateValues = Record<(typeof certificatePlaceholders)[number], string>;

export const defaultCertificateTemplate = fileURLToPath(new URL('./template.svg', import.meta.url));
/** Debian's fonts-wqy-microhei; a collection, so the PostScript name of the face follows the `#`. */
export const defaultCertificateFont = '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc#WenQuanYiMicroHei';

/** What a template or font problem says, naming the setting to fix. */
export class CertificateSetupError extends Error {
  /**
   * Not the message's fault, and not fixed by trying again soon: the outbox tries it again hourly (its eight attempts
   * span some seven hours), so a font installed and the bot restarted meanwhile still sends every certificate.
   */
  readonly setupRetryMs = 3_600_000;
}

/**
 * A certificate too heavy for Feishu however it is drawn (its PNG over the 10 MB of an image message at the smallest
 * readable size, a zip of one certificate over the 30 MB of a file): the template's embedded image is too large. Drawing
 * it again gives the same bytes, so the outbox gives it up at once (`setupFinal`), and the administrators are alerted.
 */
export class CertificateTooLargeError extends Error {
  readonly setupFinal = true;
}

/** Characters XML 1.0 does not allow anywhere (a Word soft line break, a backspace pasted from Excel): the SVG parser refuses the file. */
const notXml = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

export function escapeXml(value: string): string {
  return value.replace(notXml, '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** A template without its comments: a placeholder named in one is no placeholder, and a value with `--` there breaks the SVG. */
const withoutComments = (svg: string) => svg.replace(/<!--[\s\S]*?-->/g, '');

const placeholderPattern = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

/** Checks a template: unknown placeholders and a missing {{team}} or {{number}} are mistakes the association must hear about. */
export function checkTemplate(svg: string, source = 'CERTIFICATE_TEMPLATE'): void {
  if (!/<svg[\s>]/.test(svg)) throw new CertificateSetupError(`${source}: not an SVG file (no <svg> element)`);
  const found = new Set([...withoutComments(svg).matchAll(placeholderPattern)].map((m) => m[1]));
  const unknown = [...found].filter((p) => !(certificatePlaceholders as readonly string[]).includes(p));
  if (unknown.length) throw new CertificateSetupError(`${source}: unknown placeholder(s) ${unknown.map((p) => `{{${p}}}`).join(', ')}; allowed: ${certificatePlaceholders.map((p) => `{{${p}}}`).join(' ')}`);
  for (const required of ['team', 'number']) {
    if (!found.has(required)) throw new CertificateSetupError(`${source}: the template must contain {{${required}}}`);
  }
  const external = externalImage(withoutComments(svg));
  if (external) throw new CertificateSetupError(`${source}: an image must be embedded as a data: URL (nothing is downloaded or read from disk): ${external}`);
  const layout = pageLayout(withoutComments(svg));
  const problem = layout.lines.find((l) => l.problem);
  if (problem) throw new CertificateSetupError(`${source}: ${problem.problem}: ${problem.tag}`);
  if (layout.lines.length && !layout.pageWidth) {
    throw new CertificateSetupError(`${source}: the page's width cannot be read (give <svg> a viewBox, or a width in px, pt or mm): ${layout.svgTag}`);
  }
}

/**
 * The first `<image>` (or `<feImage>`) whose `href` or `xlink:href` (SVG 2 and SVG 1.1 spellings alike) is neither a
 * `data:` URL nor a reference to an element of the template (`#id`), cut to 120 characters; undefined when there is none.
 */
function externalImage(svg: string): string | undefined {
  for (const m of svg.matchAll(/<(?:image|feImage)\b[^>]*>/g)) {
    const href = attribute(m[0], 'href') ?? attribute(m[0], 'xlink:href');
    if (href !== undefined && !/^\s*(?:data:|#)/i.test(href)) return m[0].length > 120 ? `${m[0].slice(0, 117)}...` : m[0];
  }
  return undefined;
}

/** The template with every placeholder replaced by its XML-escaped value; a line too long for the page made smaller. */
export function fillTemplate(svg: string, values: CertificateValues, face?: CertificateFace): string {
  return fitLines(withoutComments(svg), values, face).replace(placeholderPattern, (whole, name: string) => (name in values ? escapeXml(values[name as keyof CertificateValues]) : whole));
}

/**
 * Characters that are drawn nowhere whatever the font (controls, which the template drops, and the invisible ones:
 * variation selectors, joiners, soft hyphens) are not missing from it.
 */
const drawnAsNothing = /[\p{Cc}\p{Default_Ignorable_Code_Point}\uFFFE\uFFFF]/u;
const everyDrawnAsNothing = new RegExp(drawnAsNothing.source, 'gu');

/**
 * How wide a line is, in ems, as the certificate font draws it: each glyph's own advance (a Latin M 0.87 em, a 1
 * 0.55, a Chinese character one), and one em for a character the font lacks (an emoji, 𠮷: drawn as a box). Without
 * a font, every character one em.
 */
export function emsOf(text: string, face?: CertificateFace): number {
  const drawn = text.replace(everyDrawnAsNothing, '');
  if (!face) return [...drawn].length;
  if (!drawn) return 0;
  const laid = face.layout(drawn);
  let units = 0;
  for (const [i, glyph] of laid.glyphs.entries()) units += glyph.id === 0 ? face.unitsPerEm : laid.positions[i].xAdvance;
  return units / face.unitsPerEm;
}

/** CSS's absolute lengths in the SVG's user units (px): what an editor writes for a font size or a page. */
const unitLength: Record<string, number> = { '': 1, px: 1, pt: 4 / 3, pc: 16, in: 96, cm: 96 / 2.54, mm: 96 / 25.4, q: 96 / 101.6 };

/** A length as a number of user units; undefined for a relative one (em, %) or anything else. */
function readLength(value: string | undefined): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$/i.exec(value ?? '');
  const per = m ? unitLength[m[2].toLowerCase()] : undefined;
  return m && per !== undefined ? Number(m[1]) * per : undefined;
}

/** An attribute's value, and a property of its `style` (which wins, as in CSS). */
function attribute(attrs: string, name: string): string | undefined {
  return new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(attrs)?.slice(1).find((v) => v !== undefined);
}
function property(attrs: string, name: string): string | undefined {
  const style = attribute(attrs, 'style');
  const inStyle = style === undefined ? undefined : new RegExp(`(?:^|;)\\s*${name}\\s*:\\s*([^;]*)`).exec(style)?.[1].trim();
  return inStyle ?? attribute(attrs, name);
}

/** A `<text>` with a placeholder: what is needed to fit it, or why it cannot be. */
interface FittedLine {
  whole: string;
  attrs: string;
  content: string;
  tag: string;
  size?: number;
  letterSpacing: number;
  problem?: string;
}

/**
 * The page's width in user units (the viewBox's, else a width in absolute units) and each `<text>` holding a
 * placeholder with its font size and letter spacing, written as an attribute or in `style`, in px, pt or mm.
 */
function pageLayout(svg: string): { pageWidth?: number; svgTag: string; lines: FittedLine[] } {
  const svgTag = /<svg\b[^>]*>/.exec(svg)?.[0] ?? '<svg>';
  const viewBox = attribute(svgTag, 'viewBox')?.trim().split(/[\s,]+/).map(Number);
  const pageWidth = viewBox?.length === 4 && viewBox[2] > 0 ? viewBox[2] : readLength(attribute(svgTag, 'width'));
  const lines: FittedLine[] = [];
  for (const m of svg.matchAll(/<text\b([^>]*)>([\s\S]*?)<\/text>/g)) {
    const [whole, attrs, content] = m;
    if (!new RegExp(placeholderPattern.source).test(content)) continue;
    const tag = `<text${attrs}>`;
    const line: FittedLine = { whole, attrs, content, tag, letterSpacing: 0 };
    lines.push(line);
    const sizeText = property(attrs, 'font-size');
    line.size = readLength(sizeText);
    if (sizeText === undefined) line.problem = 'a <text> with a placeholder needs its own font-size (in px, pt or mm), to be made smaller when its value is long';
    else if (!line.size) line.problem = `font-size "${sizeText}" cannot be read (write it in px, pt or mm)`;
    else if (/<[a-z][^>]*[\s"';]font-size\s*[:=]/i.test(content)) line.problem = 'a font-size inside this <text> (on a <tspan>) cannot be fitted: keep one font-size, on the <text>';
    const spacingText = property(attrs, 'letter-spacing');
    if (spacingText !== undefined && spacingText !== 'normal' && line.size) {
      const em = /^\s*(-?\d+(?:\.\d+)?|-?\.\d+)\s*em\s*$/.exec(spacingText);
      const negative = /^\s*-/.test(spacingText);
      const length = readLength(spacingText.replace(/^\s*-/, ''));
      const spacing = em ? Number(em[1]) * line.size : length === undefined ? undefined : negative ? -length : length;
      if (spacing === undefined) line.problem ??= `letter-spacing "${spacingText}" cannot be read (write it in px, pt or em)`;
      else line.letterSpacing = spacing;
    }
  }
  return { pageWidth, svgTag, lines };
}

/** 90 points in from each edge of the 1123-point page, in proportion on any other. */
const marginShare = 90 / 1123;

/**
 * A `<text>` holding a placeholder whose line would run past the page (a 50-character team name at 46 points) gets
 * the font size that fits it between the margins; the others keep theirs. Measured with the certificate font.
 */
function fitLines(svg: string, values: CertificateValues, face?: CertificateFace): string {
  const { pageWidth, lines } = pageLayout(svg);
  if (!pageWidth) return svg;
  const room = pageWidth * (1 - 2 * marginShare);
  let out = svg;
  for (const l of lines) {
    if (l.problem || !l.size) continue;
    const text = l.content.replace(/<[^>]*>/g, '').replace(placeholderPattern, (w, n: string) => (n in values ? values[n as keyof CertificateValues] : w)).replace(notXml, '');
    const chars = [...text.replace(everyDrawnAsNothing, '')].length;
    const ems = emsOf(text, face);
    if (ems * l.size + chars * l.letterSpacing <= room) continue;
    const fitted = Math.max(6, Math.floor((room - chars * l.letterSpacing) / ems));
    let attrs = l.attrs.replace(/(\sfont-size\s*=\s*)(?:"[^"]*"|'[^']*')/, `$1"${fitted}"`);
    attrs = attrs.replace(/(\sstyle\s*=\s*)("([^"]*)"|'([^']*)')/, (whole, lead: string, _q: string, dq?: string, sq?: string) => {
      const style = (dq ?? sq ?? '').replace(/((?:^|;)\s*font-size\s*:\s*)[^;]*/, `$1${fitted}px`);
      return dq !== undefined ? `${lead}"${style}"` : `${lead}'${style}'`;
    });
    out = out.replace(l.whole, () => `<text${attrs}>${l.content}</text>`);
  }
  return out;
}

export interface CertificateRendererOptions {
  templatePath?: string;
  /** A TrueType/OpenType file, or `collection.ttc#PostScriptName`. */
  font?: string;
  /** The most a PNG may weigh (`CERTIFICATE_PNG_BYTES`). */
  pngBytesMax?: number;
}

/** The longest side, in pixels, of an image Feishu takes in a message (GIFs aside). */
export const IMAGE_SIDE_MAX = 12_000;

/** The most an image message's file may weigh, "上传的图片大小不能超过 10 MB" (https://open.feishu.cn/document/server-docs/im-v1/image/create). */
export const IMAGE_BYTES_MAX = 10 * 1024 * 1024;

/** What a certificate's PNG is kept under: half a megabyte below Feishu's 10 MB, so a longer name on the same template still fits. */
export const CERTIFICATE_PNG_BYTES = IMAGE_BYTES_MAX - 512 * 1024;

/** The smallest a PNG is drawn to lighten it: its longer side 1 123 pixels, an A4 page at 96 dpi (the shipped template at its own size), still read on a phone. */
export const PNG_READABLE_SIDE = 1123;

export class CertificateRenderer {
  readonly templatePath: string;
  readonly fontPath: string;
  private readonly fontFace?: string;
  /** `CERTIFICATE_FONT` as configured: the file, and after `#` the face of a collection. */
  readonly font: string;
  private template?: string;
  /** The one face the PNG is drawn with, as a file of its own (see `pngFont`). */
  private faceFile?: Promise<string>;
  private readonly pngBytesMax: number;

  constructor(opts: CertificateRendererOptions = {}) {
    this.templatePath = opts.templatePath ?? defaultCertificateTemplate;
    this.pngBytesMax = opts.pngBytesMax ?? CERTIFICATE_PNG_BYTES;
    this.font = opts.font ?? defaultCertificateFont;
    const [path, face] = this.font.split('#');
    this.fontPath = path;
    this.fontFace = face || undefined;
  }

  /** Reads and checks the template and the font once; throws a line naming the setting to fix. */
  check(): void {
    if (!existsSync(this.templatePath)) throw new CertificateSetupError(`CERTIFICATE_TEMPLATE: file not found: ${this.templatePath}`);
    if (!existsSync(this.fontPath)) {
      throw new CertificateSetupError(`CERTIFICATE_FONT: font not found: ${this.fontPath} (Debian/Ubuntu: apt-get install fonts-wqy-microhei, or point CERTIFICATE_FONT at a CJK TrueType font)`);
    }
    if (/\.ttc$/i.test(this.fontPath) && !this.fontFace) throw new CertificateSetupError(`CERTIFICATE_FONT: ${this.fontPath} is a font collection; add the face's PostScript name after #`);
    const svg = readFileSync(this.templatePath, 'utf8');
    checkTemplate(svg);
    this.template = svg;
  }

  /**
   * The font opened, as drawing opens it (`check` finds the file only): a CERTIFICATE_FONT that names something else
   * (a text file, a face the collection does not hold) fails here, at start, rather than at the first published result.
   */
  async face(): Promise<CertificateFace> {
    const face = await certificateGlyphs(this.font);
    if (!face) throw new CertificateSetupError(`CERTIFICATE_FONT: ${this.font} cannot be read as a font (a collection needs the face's PostScript name after #)`);
    return face;
  }

  /** The filled template, each long line measured with the certificate font (read once). */
  async svg(values: CertificateValues): Promise<string> {
    if (!this.template) this.check();
    const face = await this.face();
    return fillTemplate(this.template!, values, face);
  }

  /**
   * PNG at twice the template's size, sharp enough to read on a phone, and never past the 12 000 pixels a side Feishu
   * takes for an image message ("其他图片分辨率不能超过 12000 x 12000", https://open.feishu.cn/document/server-docs/im-v1/image/create):
   * a template that large is drawn at the most that fits, its size read first (parsed without fonts, a few ms), so no
   * larger image is ever drawn. Nor past its 10 MB: a PNG heavier than `CERTIFICATE_PNG_BYTES` (a photo embedded in
   * a template drawn at twice A4's size) is drawn again smaller, by the share its bytes are over, down to
   * `PNG_READABLE_SIDE` at the least; heavier still there, it is refused (`CertificateTooLargeError`). The same template
   * and values give the same steps, so every replica and every retry sends the same image. Drawn off the event loop (libuv pool).
   */
  async png(values: CertificateValues): Promise<Buffer> {
    const svg = await this.svg(values);
    // loaded on first use: every start (and every test harness) would otherwise pay for the native module
    const { Resvg, renderAsync } = await import('@resvg/resvg-js');
    const page = new Resvg(svg, { font: { loadSystemFonts: false } });
    const longest = Math.max(page.width, page.height, 1);
    const first = Math.min(2, IMAGE_SIDE_MAX / longest);
    const least = Math.min(first, PNG_READABLE_SIDE / longest);
    const font = await this.pngFont();
    const draw = async (zoom: number) => (await renderAsync(svg, { font, fitTo: { mode: 'zoom', value: zoom }, background: '#ffffff' })).asPng();
    let zoom = first;
    let png = await draw(zoom);
    while (png.length > this.pngBytesMax && zoom > least) {
      // a PNG's bytes go about with its pixels, the square of the zoom; a tenth less again for what that misses
      zoom = Math.max(least, Math.floor(zoom * Math.sqrt(this.pngBytesMax / png.length) * 0.9 * 1000) / 1000);
      png = await draw(zoom);
    }
    if (png.length > this.pngBytesMax) {
      const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
      throw new CertificateTooLargeError(
        `CERTIFICATE_TEMPLATE: 证书 ${values.number} 的图片缩小到 ${Math.round(page.width * zoom)} × ${Math.round(page.height * zoom)} 像素仍有 ${mb(png.length)} MB，超过飞书图片上限（须小于 ${mb(this.pngBytesMax)} MB）：请缩小证书模板中嵌入的图片（分辨率更低，或改用 JPEG）`,
      );
    }
    return png;
  }

  /**
   * resvg's fonts: the configured face alone, so every text of the PNG is drawn with it, as the PDF's is (pdfkit's
   * `registerFont(…, face)`) and as the lines are measured: a family the template names (SimSun, or the collection's
   * other face) is not there, and resvg draws with the one face it has. A collection's face is copied into a file of
   * its own (resvg loads every face of a file, and its `fontBuffers` loads the system's fonts besides), named by its
   * bytes and written again if the temporary folder was emptied meanwhile.
   */
  private async pngFont() {
    const face = await this.face();
    const family = face.familyName || undefined;
    if (this.faceFile) {
      const file = await this.faceFile.catch(() => undefined);
      if (!file || !existsSync(file)) this.faceFile = undefined;
    }
    this.faceFile ??= faceAlone(this.fontPath, this.fontFace);
    const file = await this.faceFile;
    return { fontFiles: [file], loadSystemFonts: false, defaultFontFamily: family, serifFamily: family, sansSerifFamily: family, monospaceFamily: family, cursiveFamily: family, fantasyFamily: family };
  }

  /** A4 landscape PDF with the template drawn as vectors and the text as real (searchable, printable) text. */
  async pdf(values: CertificateValues): Promise<Buffer> {
    const svg = await this.svg(values);
    const [{ default: PDFDocument }, { default: SVGtoPDF }] = await Promise.all([import('pdfkit'), import('svg-to-pdfkit')]);
    const doc = new PDFDocument({ size: 'A4', layout: 'landscape', margin: 0, info: { Title: `荣誉证书 ${values.number}`, Author: values.association } });
    doc.registerFont('certificate', this.fontPath, this.fontFace);
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise<void>((resolve, reject) => {
      doc.on('end', () => resolve());
      doc.on('error', reject);
    });
    SVGtoPDF(doc, svg, 0, 0, { width: doc.page.width, height: doc.page.height, preserveAspectRatio: 'xMidYMid meet', fontCallback: () => 'certificate' });
    doc.end();
    await ended;
    return Buffer.concat(chunks);
  }
}

/**
 * The file holding `postscriptName`'s face alone: the font file itself unless it is a collection (.ttc, “ttcf”), else a
 * TrueType/OpenType file of that face's tables, copied out of it into the temporary folder (each table's offset
 * rewritten: in a collection they count from the start of the collection; https://learn.microsoft.com/en-us/typography/opentype/spec/otff#collections).
 */
async function faceAlone(path: string, postscriptName?: string): Promise<string> {
  const bytes = await readFile(path);
  if (bytes.length < 12 || bytes.toString('latin1', 0, 4) !== 'ttcf') return path;
  const fontkit = await import('fontkit');
  const collection = fontkit.create(bytes) as { fonts?: { postscriptName: string }[] } | null;
  const index = collection?.fonts?.findIndex((f) => f.postscriptName === postscriptName) ?? -1;
  if (index < 0 || index >= bytes.readUInt32BE(8)) throw new CertificateSetupError(`CERTIFICATE_FONT: ${path} has no face ${postscriptName ?? ''} (a collection needs the face's PostScript name after #)`);
  const start = bytes.readUInt32BE(12 + 4 * index);
  const tables = bytes.readUInt16BE(start + 4);
  const directory = Buffer.alloc(12 + 16 * tables);
  bytes.copy(directory, 0, start, start + 12);
  const data: Buffer[] = [];
  let at = directory.length;
  for (let t = 0; t < tables; t++) {
    const record = start + 12 + 16 * t;
    const offset = bytes.readUInt32BE(record + 8);
    const length = bytes.readUInt32BE(record + 12);
    bytes.copy(directory, 12 + 16 * t, record, record + 8);
    directory.writeUInt32BE(at, 12 + 16 * t + 8);
    directory.writeUInt32BE(length, 12 + 16 * t + 12);
    const table = Buffer.alloc((length + 3) & ~3);
    bytes.copy(table, 0, offset, offset + length);
    data.push(table);
    at += table.length;
  }
  const face = Buffer.concat([directory, ...data]);
  const dir = join(tmpdir(), 'certificate-fonts');
  const file = join(dir, `${createHash('sha256').update(face).digest('hex').slice(0, 32)}.ttf`);
  if (!existsSync(file)) {
    await mkdir(dir, { recursive: true });
    // written whole under another name first: a replica drawing meanwhile never reads half a font
    const partial = `${file}.${process.pid}.${Date.now()}`;
    await writeFile(partial, face);
    await rename(partial, file);
  }
  return file;
}

/** What fontkit gives of a face: whether it draws a character. */
export interface GlyphFont {
  hasGlyphForCodePoint(codePoint: number): boolean;
}

/** And how wide it draws a line: each glyph's advance, in units of `unitsPerEm` (glyph 0 is the box of a character it lacks). */
export interface CertificateFace extends GlyphFont {
  /** Its family, as resvg knows it: the PNG's default. */
  familyName?: string;
  unitsPerEm: number;
  layout(text: string): { glyphs: { id: number }[]; positions: { xAdvance: number }[] };
}

/** Fonts read for their glyph coverage and advances, by `CERTIFICATE_FONT` value: each file read once. */
const glyphFonts = new Map<string, Promise<CertificateFace | undefined>>();

/**
 * The face a certificate is drawn with, for asking which characters it has and how wide a line is. Undefined when it cannot be read (not
 * installed, a face the collection lacks): the certificate then cannot be drawn at all, and says so itself.
 */
export function certificateGlyphs(font: string = defaultCertificateFont): Promise<CertificateFace | undefined> {
  let loaded = glyphFonts.get(font);
  if (!loaded) {
    const [path, face] = font.split('#');
    loaded = (async () => {
      try {
        const [fontkit, bytes] = await Promise.all([import('fontkit'), readFile(path)]);
        const opened = fontkit.create(bytes, face || undefined);
        const f = opened as Partial<CertificateFace> | null;
        return typeof f?.hasGlyphForCodePoint === 'function' && typeof f.layout === 'function' && Number(f.unitsPerEm) > 0 ? (f as CertificateFace) : undefined;
      } catch {
        return undefined;
      }
    })();
    glyphFonts.set(font, loaded);
  }
  return loaded;
}

/** The characters of a text, each once and in order, that the font has no glyph for: on the certificate each is an empty box. */
export function charactersMissing(font: GlyphFont, text: string): string[] {
  const missing = new Set<string>();
  for (const ch of text) {
    if (drawnAsNothing.test(ch) || missing.has(ch)) continue;
    if (!font.hasGlyphForCodePoint(ch.codePointAt(0)!)) missing.add(ch);
  }
  return [...missing];
}

/**
 * Checks the renderer at start. A template or a font the configuration names that is not there stops the start (thrown);
 * the default font not installed does not stop the bot for a feature of one day a year: the warning is returned, and each
 * certificate refused meanwhile says how to install it.
 */
export function checkCertificates(renderer: CertificateRenderer, fontConfigured: boolean): string | undefined {
  try {
    renderer.check();
    return undefined;
  } catch (err) {
    if (!(err instanceof CertificateSetupError) || fontConfigured || !/^CERTIFICATE_FONT/.test(err.message)) throw err;
    return `${err.message}; certificates cannot be drawn until it is installed (they are tried again hourly: install it and restart)`;
  }
}

/**
 * One zip of named files (UTF-8 names, so Chinese file names survive), deflated one entry at a time with the event loop
 * let run between entries: the outbox makes a year's certificate zips in the bot's process, and a part of 25 MB deflated
 * in one go held the loop for seconds (past Feishu's 3 s for the callbacks waiting, and past the database driver's 2 s
 * to connect: a connection being opened meanwhile failed with CONNECT_TIMEOUT).
 */
export async function zipFiles(files: { name: string; bytes: Uint8Array; modified?: Date }[], timeZone?: string): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let failed: Error | null = null;
  const zip = new Zip((err, chunk) => {
    if (err) failed = err;
    else chunks.push(chunk);
  });
  for (const f of files) {
    // a zip keeps an entry's time without its zone, read as the reader's own: the time in BOT_TIMEZONE, not the server's
    // (in UTC, a certificate issued at 07:30 on 16 July in Beijing was dated 23:30 on the 15th)
    const entry = new ZipDeflate(f.name, { level: 6 });
    if (f.modified && timeZone) entry.mtime = wallTimeAsLocal(f.modified, timeZone);
    zip.add(entry);
    entry.push(f.bytes, true);
    if (failed) throw failed;
    await new Promise((resolve) => setImmediate(resolve));
  }
  zip.end();
  if (failed) throw failed;
  return Buffer.concat(chunks);
}
