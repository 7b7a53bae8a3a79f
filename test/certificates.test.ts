import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { certificateNumber } from '../src/certificates/index.js';
import { CertificateRenderer, CertificateSetupError, checkTemplate, escapeXml, fillTemplate } from '../src/certificates/render.js';
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

  it('reads CERTIFICATE_TEMPLATE and CERTIFICATE_FONT from the environment, empty meaning the default', () => {
    const c = parseConfig({ CERTIFICATE_TEMPLATE: '/srv/cert.svg', CERTIFICATE_FONT: '' });
    expect(c.CERTIFICATE_TEMPLATE).toBe('/srv/cert.svg');
    expect(c.CERTIFICATE_FONT).toBeUndefined();
  });
});
