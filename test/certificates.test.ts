import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { certificateNumber } from '../src/certificates/index.js';
import { CertificateRenderer, CertificateSetupError, certificateGlyphs, charactersMissing, checkCertificates, checkTemplate, emsOf, escapeXml, fillTemplate } from '../src/certificates/render.js';
import { parseConfig } from '../src/config.js';

/** The certificate template (第二十条): placeholders, escaping, and the lines a wrong template or font gives. */

const values = { association: '广东省市政行业协会', team: 'A&B <班组>', organization: '"单位"', year: '2027', title: '质量信得过班组', number: 'GDSZ-ZS-2027-0001', date: '2027年3月5日' };

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

  it('starts without the default font, saying how to install it; a font or template the configuration names stops the start', () => {
    const missing = new CertificateRenderer({ font: '/nonexistent/font.ttf' });
    expect(checkCertificates(missing, false)).toMatch(/^CERTIFICATE_FONT: font not found: .*apt-get install fonts-wqy-microhei.*; certificates cannot be drawn until it is installed \(they are tried again hourly: install it and restart\)$/);
    expect(() => checkCertificates(missing, true)).toThrow(CertificateSetupError);
    expect(() => checkCertificates(new CertificateRenderer({ templatePath: '/nonexistent/cert.svg' }), false)).toThrow(/^CERTIFICATE_TEMPLATE/);
    expect(checkCertificates(new CertificateRenderer(), false)).toBeUndefined();
    // drawing without it is refused with the same line, which the outbox tries again hourly (test/larkErrors.test.ts)
    expect(() => missing.svg({ ...values })).toThrow(/^CERTIFICATE_FONT/);
  });

  it("draws an association's own template: its size, its text", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'certificate-'));
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

  it('measures an ideograph beyond the BMP (𠮷, Extension B) and one of Extension A (㐀) as one em, like 班: a long name of them is made smaller as much', () => {
    expect(emsOf('𠮷')).toBe(1);
    expect(emsOf('𠮷野家')).toBe(3);
    expect(emsOf('㐀')).toBe(1);
    expect(emsOf('\u{2A6D6}\u{2B740}\u{30000}')).toBe(3);
    expect(emsOf('A1')).toBeCloseTo(1.2);
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="1123"><text id="team" font-size="46">{{team}}</text></svg>';
    const size = (team: string) => Number(/<text id="team" font-size="(\d+)">/.exec(fillTemplate(svg, { ...values, team }))![1]);
    expect(size('𠮷'.repeat(30))).toBe(size('班'.repeat(30)));
    expect(size('𠮷'.repeat(30))).toBeLessThanOrEqual(Math.floor(943 / 30));
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

  it('reads CERTIFICATE_TEMPLATE and CERTIFICATE_FONT from the environment, empty meaning the default', () => {
    const c = parseConfig({ CERTIFICATE_TEMPLATE: '/srv/cert.svg', CERTIFICATE_FONT: '' });
    expect(c.CERTIFICATE_TEMPLATE).toBe('/srv/cert.svg');
    expect(c.CERTIFICATE_FONT).toBeUndefined();
  });
});
