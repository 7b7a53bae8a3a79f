import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';

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
}

/** The template with every placeholder replaced by its XML-escaped value; a line too long for the page made smaller. */
export function fillTemplate(svg: string, values: CertificateValues): string {
  return fitLines(withoutComments(svg), values).replace(placeholderPattern, (whole, name: string) => (name in values ? escapeXml(values[name as keyof CertificateValues]) : whole));
}

/**
 * Full-width characters: CJK radicals to the unified ideographs (Extension A, U+3400–U+4DBF, among them), compatibility
 * ideographs, full-width forms, CJK punctuation and curly quotes, and the ideographs beyond the BMP (Extension B and
 * after, U+20000–U+3FFFF: 𠮷 in 𠮷野家).
 */
const fullWidth = /[\u2E80-\u9FFF\uF900-\uFAFF\uFF00-\uFFEF\u3000-\u303F“”‘’\u{20000}-\u{3FFFF}]/u;

/** How wide a line is, in ems: a Chinese character (or any full-width one) one em, anything else about 0.6; counted by character, not UTF-16 unit. */
export function emsOf(text: string): number {
  let ems = 0;
  for (const ch of text) ems += fullWidth.test(ch) ? 1 : 0.6;
  return ems;
}

/**
 * A `<text>` holding one placeholder whose value would run past the page (a 50-character team name at 46 points) gets
 * the font size that fits it between the margins, 90 points in from each edge of the page; the others keep theirs.
 */
function fitLines(svg: string, values: CertificateValues): string {
  const pageWidth = Number(/<svg[^>]*\swidth="(\d+(?:\.\d+)?)"/.exec(svg)?.[1] ?? 0);
  if (!pageWidth) return svg;
  const room = pageWidth - 180;
  return svg.replace(/<text\b([^>]*)>([^<]*\{\{\s*([A-Za-z]+)\s*\}\}[^<]*)<\/text>/g, (whole, attrs: string, content: string, name: string) => {
    if (!(name in values)) return whole;
    const size = Number(/\sfont-size="(\d+(?:\.\d+)?)"/.exec(attrs)?.[1] ?? 0);
    const letterSpacing = Number(/\sletter-spacing="(\d+(?:\.\d+)?)"/.exec(attrs)?.[1] ?? 0);
    if (!size) return whole;
    const line = content.replace(placeholderPattern, (w, n: string) => (n in values ? values[n as keyof CertificateValues] : w));
    const width = emsOf(line) * size + [...line].length * letterSpacing;
    if (width <= room) return whole;
    const fitted = Math.max(6, Math.floor((room - [...line].length * letterSpacing) / emsOf(line)));
    return `<text${attrs.replace(/\sfont-size="[^"]*"/, ` font-size="${fitted}"`)}>${content}</text>`;
  });
}

export interface CertificateRendererOptions {
  templatePath?: string;
  /** A TrueType/OpenType file, or `collection.ttc#PostScriptName`. */
  font?: string;
}

export class CertificateRenderer {
  readonly templatePath: string;
  readonly fontPath: string;
  private readonly fontFace?: string;
  private template?: string;

  constructor(opts: CertificateRendererOptions = {}) {
    this.templatePath = opts.templatePath ?? defaultCertificateTemplate;
    const [path, face] = (opts.font ?? defaultCertificateFont).split('#');
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

  svg(values: CertificateValues): string {
    if (!this.template) this.check();
    return fillTemplate(this.template!, values);
  }

  /** PNG at twice the template's size, sharp enough to read on a phone; drawn off the event loop (libuv pool). */
  async png(values: CertificateValues): Promise<Buffer> {
    const svg = this.svg(values);
    // loaded on first use: every start (and every test harness) would otherwise pay for the native module
    const { renderAsync } = await import('@resvg/resvg-js');
    const image = await renderAsync(svg, {
      font: { fontFiles: [this.fontPath], loadSystemFonts: false, defaultFontFamily: 'WenQuanYi Micro Hei' },
      fitTo: { mode: 'zoom', value: 2 },
      background: '#ffffff',
    });
    return image.asPng();
  }

  /** A4 landscape PDF with the template drawn as vectors and the text as real (searchable, printable) text. */
  async pdf(values: CertificateValues): Promise<Buffer> {
    const svg = this.svg(values);
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

/** What fontkit gives of a face: whether it draws a character. */
export interface GlyphFont {
  hasGlyphForCodePoint(codePoint: number): boolean;
}

/** Fonts read for their glyph coverage, by `CERTIFICATE_FONT` value: each file read once. */
const glyphFonts = new Map<string, Promise<GlyphFont | undefined>>();

/**
 * The face a certificate is drawn with, for asking which characters it has. Undefined when it cannot be read (not
 * installed, a face the collection lacks): the certificate then cannot be drawn at all, and says so itself.
 */
export function certificateGlyphs(font: string = defaultCertificateFont): Promise<GlyphFont | undefined> {
  let loaded = glyphFonts.get(font);
  if (!loaded) {
    const [path, face] = font.split('#');
    loaded = (async () => {
      try {
        const [fontkit, bytes] = await Promise.all([import('fontkit'), readFile(path)]);
        const opened = fontkit.create(bytes, face || undefined);
        return typeof (opened as Partial<GlyphFont>)?.hasGlyphForCodePoint === 'function' ? (opened as GlyphFont) : undefined;
      } catch {
        return undefined;
      }
    })();
    glyphFonts.set(font, loaded);
  }
  return loaded;
}

/**
 * Characters that are drawn nowhere whatever the font (controls, which the template drops, and the invisible ones:
 * variation selectors, joiners, soft hyphens) are not missing from it.
 */
const drawnAsNothing = /[\p{Cc}\p{Default_Ignorable_Code_Point}\uFFFE\uFFFF]/u;

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

/** One zip of named files (UTF-8 names, so Chinese file names survive). */
export function zipFiles(files: { name: string; bytes: Uint8Array }[]): Buffer {
  const entries: Record<string, Uint8Array> = {};
  for (const f of files) entries[f.name] = f.bytes;
  return Buffer.from(zipSync(entries, { level: 6 }));
}
