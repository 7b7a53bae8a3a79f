import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { certificateNumber } from '../src/certificates/index.js';
import { CertificateRenderer, CertificateSetupError, CertificateTooLargeError, IMAGE_SIDE_MAX, certificateGlyphs, charactersMissing, checkCertificates, checkTemplate, defaultCertificateTemplate, emsOf, escapeXml, fillTemplate, zipFiles } from '../src/certificates/render.js';
import { unzipSync } from 'fflate';
import { parseConfig } from '../src/config.js';
import { scratchDir } from './support/scratch.js';

/** The certificate template (第二十条): placeholders, escaping, and the lines a wrong template or font gives. */

const values = { association: '广东省市政行业协会', team: 'A&B <班组>', organization: '"单位"', year: '2027', title: '质量信得过班组', number: 'GDSZ-ZS-2027-0001', date: '2027年3月5日' };

/** Dark pixels beyond the inner border (x 48 and 1075 of 1123, twice that in the PNG) between two rows of the PNG. */
function inkBeyondBorder(png: PNG, fromY: number, toY: number): number {
  let outside = 0;
  for (let y = fromY; y < toY; y++) {
    for (let x = 0; x < png.width; x++) {
      if (x >= 100 && x <= 2146) continue;
      const i = (y * png.width + x) * 4;
      if (png.data[i] < 100 && png.data[i + 1] < 100) outside++;
    }
  }
  return outside;
}

/**
 * An association's template with a photo behind the text, embedded as the README asks (a `data:` image, as `href` or
 * `xlink:href`): noise, which does not compress, drawn over the page. `scale` draws the page that many times A4's 1123 × 794.
 */
function photoTemplate(dir: string, opts: { scale?: number; href?: 'href' | 'xlink:href' } = {}): string {
  const png = new PNG({ width: 400, height: 283 });
  let seed = 1;
  for (let i = 0; i < png.data.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    png.data[i] = (i & 3) === 3 ? 255 : 160 + (seed >>> 26);
  }
  const image = `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`;
  const scale = opts.scale ?? 1;
  const href = opts.href ?? 'href';
  const svg = readFileSync(defaultCertificateTemplate, 'utf8')
    .replace('width="1123" height="794"', `width="${1123 * scale}" height="${794 * scale}"${href === 'xlink:href' ? ' xmlns:xlink="http://www.w3.org/1999/xlink"' : ''}`)
    .replace('<rect width="1123" height="794" fill="#fffdf6"/>', `<image x="0" y="0" width="1123" height="794" preserveAspectRatio="none" ${href}="${image}"/>`);
  const path = join(dir, `photo-${scale}-${href.replace(':', '-')}.svg`);
  writeFileSync(path, svg);
  return path;
}

describe('certificate template', () => {
  it('numbers certificates GDSZ-ZS-<year>-<4 digits>', () => {
    expect(certificateNumber(2027, 1)).toBe('GDSZ-ZS-2027-0001');
    expect(certificateNumber(2028, 123)).toBe('GDSZ-ZS-2028-0123');
  });

  it('fills every placeholder with its XML-escaped value, spaces inside the braces allowed', () => {
    expect(escapeXml(`<&>"'`)).toBe('&lt;&amp;&gt;&quot;&apos;');
    const svg = '<svg xmlns="http://www.w3.org/2000/svg"><text>{{team}}</text><text>{{ number }}</text><text>{{organization}}</text></svg>';
    expect(fillTemplate(svg, values)).toBe('<svg xmlns="http://www.w3.org/2000/svg"><text>A&amp;B &lt;班组&gt;</text><text>GDSZ-ZS-2027-0001</text><text>&quot;单位&quot;</text></svg>');
  });

  it('refuses a template with an unknown placeholder, without {{team}} or {{number}}, or that is no SVG', () => {
    expect(() => checkTemplate('<svg>{{team}} {{number}} {{teem}}</svg>')).toThrow(/CERTIFICATE_TEMPLATE: unknown placeholder\(s\) \{\{teem\}\}/);
    expect(() => checkTemplate('<svg>{{number}}</svg>')).toThrow('CERTIFICATE_TEMPLATE: the template must contain {{team}}');
    expect(() => checkTemplate('{{team}} {{number}}')).toThrow(/not an SVG/);
    expect(() => checkTemplate('<svg width="10">{{team}}{{number}}</svg>')).not.toThrow();
  });

  it('names the setting when the template or the font is missing', () => {
    expect(() => new CertificateRenderer({ templatePath: '/nonexistent/cert.svg' }).check()).toThrow(new CertificateSetupError('CERTIFICATE_TEMPLATE: file not found: /nonexistent/cert.svg'));
    expect(() => new CertificateRenderer({ font: '/nonexistent/font.ttf' }).check()).toThrow(/^CERTIFICATE_FONT: font not found: \/nonexistent\/font\.ttf \(Debian\/Ubuntu: apt-get install fonts-wqy-microhei/);
    expect(() => new CertificateRenderer({ font: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc' }).check()).toThrow(/font collection; add the face's PostScript name after #/);
  });

  it('starts without the default font, saying how to install it; a font or template the configuration names stops the start', async () => {
    const missing = new CertificateRenderer({ font: '/nonexistent/font.ttf' });
    expect(checkCertificates(missing, false)).toMatch(/^CERTIFICATE_FONT: font not found: .*apt-get install fonts-wqy-microhei.*; certificates cannot be drawn until it is installed \(they are tried again hourly: install it and restart\)$/);
    expect(() => checkCertificates(missing, true)).toThrow(CertificateSetupError);
    expect(() => checkCertificates(new CertificateRenderer({ templatePath: '/nonexistent/cert.svg' }), false)).toThrow(/^CERTIFICATE_TEMPLATE/);
    expect(checkCertificates(new CertificateRenderer(), false)).toBeUndefined();
    // drawing without it is refused with the same line, which the outbox tries again hourly (test/larkErrors.test.ts)
    await expect(missing.svg({ ...values })).rejects.toThrow(/^CERTIFICATE_FONT/);
  });

  it("draws an association's own template: its size, its text", async () => {
    const dir = scratchDir('certificate');
    const path = join(dir, 'ours.svg');
    writeFileSync(path, '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"><rect width="400" height="300" fill="#fff"/><text x="20" y="150" font-size="40" fill="#000">{{team}} {{number}}</text></svg>');
    const renderer = new CertificateRenderer({ templatePath: path });
    renderer.check();
    const png = PNG.sync.read(await renderer.png(values));
    expect([png.width, png.height]).toEqual([800, 600]);
    let dark = 0;
    for (let i = 0; i < png.data.length; i += 4) if (png.data[i] < 128) dark++;
    expect(dark).toBeGreaterThan(1000);
    const pdf = await renderer.pdf(values);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  });

  it("draws a template larger than 6 000 units within the 12 000 pixels a side Feishu takes for an image, not at twice its size", async () => {
    const dir = scratchDir('certificate');
    const path = join(dir, 'wide.svg');
    writeFileSync(path, '<svg xmlns="http://www.w3.org/2000/svg" width="8000" height="1000"><rect width="8000" height="1000" fill="#fff"/><text x="20" y="500" font-size="200" fill="#000">{{team}} {{number}}</text></svg>');
    const png = PNG.sync.read(await new CertificateRenderer({ templatePath: path }).png(values));
    expect([png.width, png.height]).toEqual([IMAGE_SIDE_MAX, 1500]);
    // the shipped one, as before: twice its size
    const shipped = PNG.sync.read(await new CertificateRenderer().png(values));
    expect([shipped.width, shipped.height]).toEqual([2246, 1588]);
  });

  it('draws a template of twice A4 with a photo embedded smaller, under the 10 MB Feishu takes for an image, and no smaller than A4 read on a phone', async () => {
    const path = photoTemplate(scratchDir('certificate'), { scale: 2 });
    const renderer = new CertificateRenderer({ templatePath: path });
    renderer.check();
    // at twice its size (4492 × 3176) it weighs some 19 MB
    const bytes = await renderer.png(values);
    expect(bytes.length).toBeLessThan(10 * 1024 * 1024);
    expect(bytes.length).toBeLessThanOrEqual(9.5 * 1024 * 1024);
    const png = PNG.sync.read(bytes);
    expect(png.width).toBeGreaterThanOrEqual(1123);
    expect(png.width).toBeLessThan(4492);
    // the page's shape kept
    expect(Math.abs(png.width / png.height - 2246 / 1588)).toBeLessThan(0.01);
  }, 120_000);

  it('refuses a certificate still over the limit at the smallest readable size, naming CERTIFICATE_TEMPLATE and what to do', async () => {
    const path = photoTemplate(scratchDir('certificate'));
    const renderer = new CertificateRenderer({ templatePath: path, pngBytesMax: 1024 * 1024 });
    const refused = await renderer.png(values).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(CertificateTooLargeError);
    expect((refused as Error).message).toMatch(/^CERTIFICATE_TEMPLATE: 证书 GDSZ-ZS-2027-0001 的图片缩小到 1123 × 794 像素仍有 [\d.]+ MB，超过飞书图片上限（须小于 1\.0 MB）：请缩小证书模板中嵌入的图片/);
  }, 120_000);

  it('takes an embedded image written href (SVG 2: Figma, Inkscape 1.x) or xlink:href into the PDF; an image not embedded stops the start', async () => {
    const dir = scratchDir('certificate');
    expect((await new CertificateRenderer().pdf(values)).toString('latin1')).not.toMatch(/\/Subtype \/Image\b/);
    for (const href of ['href', 'xlink:href'] as const) {
      const renderer = new CertificateRenderer({ templatePath: photoTemplate(dir, { href }) });
      renderer.check();
      // the photo's 400 × 283 pixels, as an image of the PDF
      const pdf = (await renderer.pdf(values)).toString('latin1');
      expect(pdf, href).toMatch(/\/Subtype \/Image\b/);
      expect(pdf, href).toMatch(/\/Width 400\b/);
      expect(pdf, href).toMatch(/\/Height 283\b/);
    }
    const page = (image: string) => `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 1123 794">${image}<text font-size="46">{{team}}</text><text font-size="20">{{number}}</text></svg>`;
    for (const image of ['<image href="bg.png" width="1123" height="794"/>', '<image xlink:href="https://example.com/bg.jpg"/>', "<image x='0' href='/srv/certificate/bg.png'/>", '<filter id="f"><feImage href="file:///etc/bg.png"/></filter>']) {
      expect(() => checkTemplate(page(image)), image).toThrow(CertificateSetupError);
      expect(() => checkTemplate(page(image)), image).toThrow(/^CERTIFICATE_TEMPLATE: an image must be embedded as a data: URL \(nothing is downloaded or read from disk\): <(image|feImage) /);
    }
    for (const image of ['<image href="data:image/png;base64,iVBORw0KGgo=" width="10"/>', '<image xlink:href="data:image/jpeg;base64,/9j/4AAQ"/>', '<defs><image id="bg" href="data:image/png;base64,iVBORw0KGgo="/></defs><use href="#bg"/>']) {
      expect(() => checkTemplate(page(image)), image).not.toThrow();
    }
  }, 60_000);

  it('draws a long team name and organisation inside the border, smaller; a short one at the template\'s size', async () => {
    const renderer = new CertificateRenderer();
    const long = { ...values, team: '广州市市政集团有限公司城市道路养护管理中心第三养护班组', organization: '单'.repeat(100) };
    for (const v of [long, { ...long, team: '班'.repeat(50) }]) {
      const png = PNG.sync.read(await renderer.png(v));
      // no ink beyond the inner border (x 48 and 1075 of 1123, twice that in the PNG) on the team's and organisation's lines
      let outside = 0;
      for (let y = 480; y < 740; y++) {
        for (let x = 0; x < png.width; x++) {
          if (x >= 100 && x <= 2146) continue;
          const i = (y * png.width + x) * 4;
          if (png.data[i] < 100 && png.data[i + 1] < 100) outside++;
        }
      }
      expect(outside, v.team).toBe(0);
    }
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="1123"><text id="team" font-size="46">{{team}}</text><text font-size="30">授予 {{year}} 年度</text></svg>';
    expect(fillTemplate(svg, { ...values, team: '养护一班' })).toContain('<text id="team" font-size="46">养护一班</text>');
    expect(fillTemplate(svg, long)).toMatch(/<text id="team" font-size="(\d+)">/);
    expect(Number(/<text id="team" font-size="(\d+)">/.exec(fillTemplate(svg, long))![1])).toBeLessThanOrEqual(Math.floor(943 / 27));
  });

  it('measures a line with the certificate font: 班 one em, a Latin M or W 0.87, a character it lacks (𠮷, 㐀, an emoji: a box) one em', async () => {
    const face = (await certificateGlyphs())!;
    expect(emsOf('班', face)).toBe(1);
    expect(emsOf('𠮷', face)).toBe(1);
    expect(emsOf('𠮷野家', face)).toBe(3);
    expect(emsOf('㐀', face)).toBe(1);
    expect(emsOf('\u{2A6D6}\u{2B740}\u{30000}', face)).toBe(3);
    expect(emsOf('📌📌', face)).toBe(2);
    expect(emsOf('M', face)).toBeGreaterThan(0.85);
    expect(emsOf('W', face)).toBeGreaterThan(0.85);
    expect(emsOf('1', face)).toBeLessThan(0.6);
    // drawn as nothing: a variation selector, a joiner
    expect(emsOf('班\uFE0F\u200D', face)).toBe(1);
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="1123"><text id="team" font-size="46">{{team}}</text></svg>';
    const size = (team: string) => Number(/<text id="team" font-size="(\d+)">/.exec(fillTemplate(svg, { ...values, team }, face))![1]);
    expect(size('𠮷'.repeat(30))).toBe(size('班'.repeat(30)));
    expect(size('𠮷'.repeat(30))).toBeLessThanOrEqual(Math.floor(943 / 30));
  });

  it('draws a name of wide capitals and emoji inside the margins: measured as drawn, not as 0.6 em a character', async () => {
    const face = (await certificateGlyphs())!;
    const renderer = new CertificateRenderer();
    for (const team of ['MWQ-OMQC深圳地铁维修中心质量管理部WWMM班组📌📌📌📌', `${'🚧'.repeat(20)}道路养护班`, 'WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW']) {
      const v = { ...values, team, organization: '广州市政' };
      const size = Number(/<text id="team"[^>]*font-size="(\d+)"/.exec(await renderer.svg(v))![1]);
      // the line as the font lays it out (a missing glyph's box is an em wide), within 1123 less 90 each side
      const laid = face.layout(team);
      expect(laid.positions.reduce((w, p) => w + p.xAdvance, 0) / face.unitsPerEm * size, team).toBeLessThanOrEqual(943);
      expect(inkBeyondBorder(PNG.sync.read(await renderer.png(v)), 500, 640), team).toBe(0);
    }
  });

  it("fits a long name on an association's template as an SVG editor writes it: font-size in px, pt or in style, a page in mm", async () => {
    const shipped = readFileSync(defaultCertificateTemplate, 'utf8');
    const variants = {
      'font-size="46px"': shipped.replace('font-size="46"', 'font-size="46px"'),
      'font-size="34.5pt"': shipped.replace('font-size="46"', 'font-size="34.5pt"'),
      'style="font-size:46px"': shipped.replace('font-size="46"', 'style="fill:#1a1a1a; font-size:46px"'),
      'width="297mm" height="210mm"': shipped.replace('width="1123" height="794"', 'width="297mm" height="210mm"'),
    };
    const dir = scratchDir('certificate');
    const long = { ...values, team: '广州市市政集团有限公司城市道路养护管理中心第三养护班组', organization: '广州市政' };
    for (const [name, svg] of Object.entries(variants)) {
      const path = join(dir, `${name.replace(/\W+/g, '_')}.svg`);
      writeFileSync(path, svg);
      const renderer = new CertificateRenderer({ templatePath: path });
      renderer.check();
      expect(inkBeyondBorder(PNG.sync.read(await renderer.png(long)), 500, 640), name).toBe(0);
      // a short one keeps the template's size, as written
      expect(await renderer.svg({ ...long, team: '养护一班' }), name).toContain(/<text id="team"[^>]*>/.exec(svg)![0]);
    }
  });

  it('refuses at start a template whose line with a placeholder it cannot fit, naming CERTIFICATE_TEMPLATE and the element', () => {
    const page = (text: string, svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1123 794">') => `${svg}${text}<text font-size="20">{{number}}</text></svg>`;
    const refused = {
      'font-size="2em"': '<text id="team" font-size="2em">{{team}}</text>',
      'style="font-size:large"': '<text id="team" style="font-size:large">{{team}}</text>',
      'no font-size': '<text id="team" x="10">{{team}}</text>',
      'font-size on a tspan': '<text id="team" font-size="46"><tspan style="font-size:60px">{{team}}</tspan></text>',
      'letter-spacing="10%"': '<text id="team" font-size="46" letter-spacing="10%">{{team}}</text>',
    };
    for (const [name, text] of Object.entries(refused)) {
      expect(() => checkTemplate(page(text)), name).toThrow(CertificateSetupError);
      expect(() => checkTemplate(page(text)), name).toThrow(/^CERTIFICATE_TEMPLATE: .*<text id="team"/);
    }
    expect(() => checkTemplate(page('<text font-size="46">{{team}}</text>', '<svg width="100%">'))).toThrow(/^CERTIFICATE_TEMPLATE: the page's width cannot be read .*<svg width="100%">/);
    // the start stops on it
    const dir = scratchDir('certificate');
    writeFileSync(join(dir, 'em.svg'), page(refused['font-size="2em"']));
    expect(() => checkCertificates(new CertificateRenderer({ templatePath: join(dir, 'em.svg') }), false)).toThrow(/^CERTIFICATE_TEMPLATE: font-size "2em" cannot be read/);
    // what it reads: px, pt, mm, unitless, in style; a tspan without a size; letter-spacing in em
    for (const text of ['<text font-size="46px">{{team}}</text>', '<text font-size="12mm">{{team}}</text>', "<text style='font-size: 34pt'>{{team}}</text>", '<text font-size="46"><tspan fill="red">{{team}}</tspan></text>', '<text font-size="46" letter-spacing="0.1em">{{team}}</text>', '<text font-size="46" letter-spacing="-1px">{{team}}</text>']) {
      expect(() => checkTemplate(page(text)), text).not.toThrow();
    }
  });

  it('finds the characters the certificate font has no glyph for (they print as empty boxes), each once; none in a name it covers', async () => {
    const glyphs = (await certificateGlyphs())!;
    expect(glyphs).toBeDefined();
    // the same font object each time: the file is read once
    expect(await certificateGlyphs()).toBe(glyphs);
    expect(charactersMissing(glyphs, '𠮷野家养护班')).toEqual(['𠮷']);
    expect(charactersMissing(glyphs, '㐀𠮷班组𠮷')).toEqual(['㐀', '𠮷']);
    expect(charactersMissing(glyphs, '广州市政养护（一）班 A-1 堃喆燊\u3000“二”')).toEqual([]);
    // drawn as nothing whatever the font: a control character, a variation selector, a joiner
    expect(charactersMissing(glyphs, '养护\u000b班\uFE0F\u200D')).toEqual([]);
    // a font that cannot be read gives none (the certificate itself then says the font is missing)
    expect(await certificateGlyphs('/nonexistent/font.ttf')).toBeUndefined();
    expect(await certificateGlyphs('/usr/share/fonts/truetype/wqy/wqy-microhei.ttc')).toBeUndefined();
  });

  it('draws a name with “--” or a character XML refuses (pasted from Word or Excel) as PNG and PDF', async () => {
    const renderer = new CertificateRenderer();
    for (const team of ['养护--一班', '路桥一班（A--B段）', '养护一班\u000b二组', '养护一班\u0008', '排水\uFFFF班']) {
      const png = PNG.sync.read(await renderer.png({ ...values, team, organization: `${team}公司` }));
      expect(png.width, JSON.stringify(team)).toBeGreaterThan(1000);
      expect((await renderer.pdf({ ...values, team })).subarray(0, 5).toString(), JSON.stringify(team)).toBe('%PDF-');
    }
    const svg = '<svg xmlns="http://www.w3.org/2000/svg"><!-- {{team}} --><text>{{team}}</text></svg>';
    expect(fillTemplate(svg, { ...values, team: '养护一班\u000b二组' })).toBe('<svg xmlns="http://www.w3.org/2000/svg"><text>养护一班二组</text></svg>');
    // a placeholder named only in a comment is none: the template is refused as one without it
    expect(() => checkTemplate('<svg xmlns="http://www.w3.org/2000/svg"><!-- {{team}} --><text>{{number}}</text></svg>')).toThrow(/\{\{team\}\}/);
  });

  it('draws the PNG with the face CERTIFICATE_FONT names, whatever family the template asks for, as the PDF is drawn and the lines measured', async () => {
    const dir = scratchDir('certificate');
    const mono = '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc#WenQuanYiMicroHeiMono';
    const face = (await certificateGlyphs(mono))!;
    const laid = face.layout('i');
    const glyph = laid.glyphs[0] as unknown as { bbox: { minX: number; maxX: number } };
    // eight i's at 40 units, the PNG at twice the size: seven advances and the last glyph's ink
    const expected = ((7 * laid.positions[0].xAdvance + glyph.bbox.maxX - glyph.bbox.minX) / face.unitsPerEm) * 40 * 2;
    const inkWidth = (png: PNG) => {
      let [from, to] = [png.width, -1];
      for (let y = 0; y < png.height; y++) {
        for (let x = 0; x < png.width; x++) {
          if (png.data[(y * png.width + x) * 4] >= 128) continue;
          from = Math.min(from, x);
          to = Math.max(to, x);
        }
      }
      return to - from + 1;
    };
    // SimSun (not there), the collection's other face, and none at all
    for (const family of [' font-family="SimSun"', ' font-family="WenQuanYi Micro Hei"', " style=\"font-family: 'WenQuanYi Micro Hei', serif\"", '']) {
      const path = join(dir, 'family.svg');
      writeFileSync(path, `<svg xmlns="http://www.w3.org/2000/svg" width="1123" height="120"><rect width="1123" height="120" fill="#fff"/><text x="100" y="80" font-size="40"${family}>{{team}}<tspan fill="#fff">{{number}}</tspan></text></svg>`);
      const renderer = new CertificateRenderer({ templatePath: path, font: mono });
      const png = PNG.sync.read(await renderer.png({ ...values, team: 'iiiiiiii' }));
      expect(Math.abs(inkWidth(png) - expected), family).toBeLessThanOrEqual(3);
      // the PDF embeds that face, and no other
      const pdf = (await renderer.pdf({ ...values, team: 'iiiiiiii' })).toString('latin1');
      expect(pdf, family).toMatch(/\/BaseFont \/[A-Z]{6}\+WenQuanYiMicroHeiMono\b/);
      expect(pdf, family).not.toMatch(/\/BaseFont \/[A-Z]{6}\+WenQuanYiMicroHei\b(?!Mono)/);
    }
    // the default face is the proportional one: its i's are narrower by far
    const proportional = PNG.sync.read(await new CertificateRenderer({ templatePath: join(dir, 'family.svg') }).png({ ...values, team: 'iiiiiiii' }));
    expect(inkWidth(proportional)).toBeLessThan(expected * 0.6);
  });

  it('reads CERTIFICATE_TEMPLATE and CERTIFICATE_FONT from the environment, empty meaning the default', () => {
    const c = parseConfig({ CERTIFICATE_TEMPLATE: '/srv/cert.svg', CERTIFICATE_FONT: '' });
    expect(c.CERTIFICATE_TEMPLATE).toBe('/srv/cert.svg');
    expect(c.CERTIFICATE_FONT).toBeUndefined();
  });
});

describe('a zip of certificates', () => {
  it('holds every file under its Chinese name, and lets the event loop run between files (the outbox makes it in the bot’s process)', async () => {
    const files = Array.from({ length: 40 }, (_, i) => ({ name: `GDSZ-ZS-2027-${String(i + 1).padStart(4, '0')} 市政养护第${i + 1}班组.png`, bytes: new Uint8Array(20_000).map((_, k) => (k * 31 + i) % 251) }));
    let turns = 0;
    let running = true;
    const turn = () => {
      turns++;
      if (running) setImmediate(turn);
    };
    setImmediate(turn);
    const zip = await zipFiles(files);
    running = false;
    // one turn of the loop at least between two files: a year's 25 MB part no longer holds it for seconds
    expect(turns).toBeGreaterThanOrEqual(files.length - 1);
    const back = unzipSync(zip);
    expect(Object.keys(back)).toEqual(files.map((f) => f.name));
    for (const f of files) expect(Buffer.from(back[f.name]).equals(Buffer.from(f.bytes))).toBe(true);
  });
});
