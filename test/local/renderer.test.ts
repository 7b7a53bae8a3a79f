import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RESULT_COLOURS, type ResultLine, scoresChart } from '../../cards/results.js';
import { LOCAL_PEOPLE } from '../../src/local/seed.js';
import { renderCard, renderMarkdown, renderMessage, UNKNOWN_MARKER } from '../../src/local/renderer.js';
import { cardActions, expectValidCard, formFieldNames } from '../support/cards.js';
import { cardSamples, notCardBuilders } from './cardSamples.js';

const cardsDir = fileURLToPath(new URL('../../cards/', import.meta.url));
/** The component kit and the strings: no cards of their own. */
const kitFiles = new Set(['kit.ts', 'forms.ts', 'strings.ts']);
const people = LOCAL_PEOPLE.map((p) => ({ openId: p.openId, name: p.name }));

async function exportedFunctions(): Promise<string[]> {
  const names: string[] = [];
  for (const file of readdirSync(cardsDir).filter((f) => f.endsWith('.ts') && !kitFiles.has(f)).sort()) {
    const mod = (await import(pathToFileURL(join(cardsDir, file)).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod)) if (typeof value === 'function') names.push(`${file.slice(0, -3)}.${name}`);
  }
  return names;
}

/** A builder may give a card, one element or a list of elements: the last two are drawn inside a card. */
function asCard(output: unknown): any {
  if (Array.isArray(output)) return { schema: '2.0', body: { elements: output } };
  if (output && typeof output === 'object' && (output as { schema?: string }).schema === '2.0') return output;
  return { schema: '2.0', body: { elements: [output] } };
}

describe('every card builder renders in the console', () => {
  it('has a sample for every exported builder of cards/', async () => {
    const builders = await exportedFunctions();
    const missing = builders.filter((b) => !(b in cardSamples) && !(b in notCardBuilders));
    expect(missing, `add sample data to test/local/cardSamples.ts for: ${missing.join(', ')}`).toEqual([]);
    const stale = Object.keys(cardSamples).filter((k) => !builders.includes(k));
    expect(stale, 'samples for builders that no longer exist').toEqual([]);
  });

  for (const [builder, sample] of Object.entries(cardSamples)) {
    it(`${builder} draws every component it uses`, () => {
      const outputs = sample();
      expect(outputs.length).toBeGreaterThan(0);
      for (const output of outputs) {
        const card = asCard(output);
        expectValidCard(card);
        const html = renderCard(card, { people });
        expect(html).not.toContain(UNKNOWN_MARKER);
        for (const name of formFieldNames(card)) expect(html).toContain(`data-field="${name}"`);
        expect(html.match(/ data-action="/g)?.length ?? 0).toBe(cardActions(card).length);
        if (card.header) expect(html).toContain('card-title');
      }
    });
  }
});

describe('renderer', () => {
  const md = (s: string) => renderMarkdown(s, { people });

  it('draws markdown as Feishu does: bold, links, font colours, mentions, lists, escapes', () => {
    expect(md('**班组**：A')).toContain('<strong>班组</strong>：A');
    expect(md('[查看](https://example.com/a?b=1&c=2)')).toContain('<a href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">查看</a>');
    expect(md("<font color='red'>**未保存**</font>")).toMatch(/<span style="color:#[0-9a-f]{6}"><strong>未保存<\/strong><\/span>/);
    expect(md('<at id=ou_local_leader></at> 注册了班组')).toContain('<span class="at">@张班长</span> 注册了班组');
    expect(md('- 一\n- 二')).toBe('<ul><li>一</li><li>二</li></ul>');
    expect(md('1. 一\n2. 二')).toBe('<ol><li>一</li><li>二</li></ol>');
    expect(md('a\\*b\\* \\<script\\> \\[x\\]')).toBe('<p>a*b* &lt;script&gt; [x]</p>');
    expect(md('<img src=x onerror=alert(1)>')).toBe('<p>&lt;img src=x onerror=alert(1)&gt;</p>');
    expect(md('[x](javascript:alert(1))')).not.toContain('href');
  });

  it('keeps a colour running over several lines without breaking the nesting', () => {
    const html = md("<font color='red'>**未通过资格审查：**\n- 第一条</font>");
    expect(html.match(/<span/g)?.length).toBe(html.match(/<\/span>/g)?.length);
  });

  it('marks an unknown component instead of dropping it', () => {
    const html = renderCard({ schema: '2.0', body: { elements: [{ tag: 'note', elements: [] }, { tag: 'markdown', content: 'ok' }] } });
    expect(html).toContain(`${UNKNOWN_MARKER}: note`);
    expect(html).toContain('ok');
  });

  it('draws form inputs with what Feishu fills them with', () => {
    const card = {
      schema: '2.0',
      header: { title: { tag: 'plain_text', content: '表单' }, subtitle: { tag: 'plain_text', content: '副标题' }, template: 'orange' },
      body: {
        elements: [
          {
            tag: 'form',
            name: 'f',
            elements: [
              { tag: 'input', name: 'a', default_value: '已填', max_length: 20, placeholder: { tag: 'plain_text', content: '请输入' }, required: true },
              { tag: 'input', name: 'b', input_type: 'multiline_text', rows: 4, default_value: '多行' },
              { tag: 'select_static', name: 'c', initial_option: 'y', options: [{ text: { tag: 'plain_text', content: 'X' }, value: 'x' }, { text: { tag: 'plain_text', content: 'Y' }, value: 'y' }] },
              { tag: 'multi_select_static', name: 'd', selected_values: ['x'], options: [{ text: { tag: 'plain_text', content: 'X' }, value: 'x' }] },
              { tag: 'select_person', name: 'e', initial_option: 'ou_local_contact' },
              { tag: 'multi_select_person', name: 'g', options: [{ value: 'ou_local_expert_1' }], selected_values: ['ou_local_expert_1'] },
              { tag: 'date_picker', name: 'h', initial_date: '2026-05-31' },
              { tag: 'checker', name: 'i', checked: true, text: { tag: 'plain_text', content: '属实' } },
              { tag: 'button', name: 'ok', type: 'primary', form_action_type: 'submit', text: { tag: 'plain_text', content: '提交' }, behaviors: [{ type: 'callback', value: { action: 'x.submit' } }] },
            ],
          },
          { tag: 'button', text: { tag: 'plain_text', content: '删除' }, type: 'danger', disabled: true, confirm: { title: { tag: 'plain_text', content: '确定？' }, text: { tag: 'plain_text', content: '删了就没了' } }, behaviors: [{ type: 'callback', value: { action: 'x.del', id: 1 } }] },
        ],
      },
    };
    const html = renderCard(card, { people });
    expect(html).toContain('tpl-orange');
    expect(html).toContain('副标题');
    expect(html).toMatch(/<input type="text"[^>]*data-field="a"[^>]*maxlength="20" required[^>]*value="已填">/);
    // no max_length of its own: Feishu's default, 1 000
    expect(html).toMatch(/<textarea[^>]*data-field="b"[^>]*maxlength="1000"[^>]*rows="4">多行<\/textarea>/);
    expect(html).toContain('<option value="y" selected>Y</option>');
    expect(html).toMatch(/data-kind="multi"[\s\S]*value="x" checked/);
    expect(html).toContain('<option value="ou_local_contact" selected>李联系人</option>');
    expect(html).toMatch(/data-kind="multiperson"[\s\S]*value="ou_local_expert_1" checked> 陈专家/);
    expect(html).toMatch(/<input type="date"[^>]*data-field="h"[^>]*value="2026-05-31">/);
    expect(html).toMatch(/data-kind="checker" checked/);
    expect(html).toMatch(/<button type="submit" class="btn btn-primary" data-action="\{&quot;action&quot;:&quot;x.submit&quot;\}" data-name="ok" data-submit="1" data-primary="1">提交<\/button>/);
    expect(html).toContain('data-confirm-title="确定？" data-confirm-text="删了就没了" disabled');
  });

  it('draws a VChart bar spec as bars, and a table', () => {
    const chart = renderCard({
      schema: '2.0',
      body: {
        elements: [
          { tag: 'chart', chart_spec: { type: 'bar', title: { text: '得分' }, data: { values: [{ t: 'A', s: 90 }, { t: 'B', s: 45 }] }, xField: 't', yField: 's' } },
          { tag: 'table', columns: [{ name: 'n', display_name: '班组' }, { name: 's', display_name: '得分', data_type: 'number', format: { precision: 1 } }], rows: [{ n: 'A', s: 90 }] },
          { tag: 'hr' },
          { tag: 'img', img_key: 'img_v2_x', alt: { tag: 'plain_text', content: '照片' } },
        ],
      },
    });
    expect(chart).toContain('<figcaption>得分</figcaption>');
    expect(chart).toContain('width:100.0%');
    expect(chart).toContain('width:50.0%');
    expect(chart).toContain('<th style="text-align:left">得分</th>');
    expect(chart).toContain('90.0');
    expect(chart).toContain('aria-label="照片"');
    expect(chart).not.toContain(UNKNOWN_MARKER);
  });

  it('colours a results chart as its spec says: an award green, none grey, whichever comes first', () => {
    const line = (rank: number, team: string, finalScore: number, awarded: boolean) => ({ rank, team, finalScore, awarded }) as ResultLine;
    const html = renderCard({ schema: '2.0', body: { elements: [scoresChart([line(1, '甲班组', 80, false), line(2, '乙班组', 70, true)])] } });
    const bar = (team: string) => new RegExp(`${team}</span><span class="bar-track"><span class="bar" style="width:[\\d.]+%;background:([^"]+)"`).exec(html)?.[1];
    expect(bar('1\\. 甲班组')).toBe(RESULT_COLOURS.notAwarded);
    expect(bar('2\\. 乙班组')).toBe(RESULT_COLOURS.awarded);
    expect(html).toContain(`<span class="swatch" style="background:${RESULT_COLOURS.awarded}"></span>授予称号`);
  });

  it('draws text messages with mentions', () => {
    expect(renderMessage('text', { text: '<at user_id="ou_local_admin">王</at> 请处理\n谢谢' }, { people })).toBe('<div class="text"><span class="at">@王管理员</span> 请处理<br>谢谢</div>');
  });
});
