import { describe, expect, it } from 'vitest';
import { escapeText, link, md, mdJoin, mention, raw, safeUrl } from '../cards/markdown.js';
import { card } from '../cards/kit.js';
import { cardRuleViolations } from '../src/local/cardRules.js';
import { renderMarkdown } from '../src/local/renderer.js';

/** What a reader sees of rendered markdown: tags dropped, HTML entities read. */
const seen = (html: string) => html.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

describe('the md template', () => {
  it('entity-escapes what is interpolated and keeps what our code wrote', () => {
    expect(md`**班组**：${'<at id=all></at>'}`.text).toBe('**班组**：&#60;at id=all&#62;&#60;/at&#62;');
    expect(md`${'\\[x\\](https://e.example)'}`.text).toBe('&#92;&#91;x&#92;&#93;&#40;https&#58;//e.example&#41;');
    expect(md`a ${raw('**b**')} ${md`${'*c*'}`}`.text).toBe('a **b** &#42;c&#42;');
    expect(md`${null}${undefined}${3}`.text).toBe('3');
  });

  it('escapes list, heading and rule markers only where a line starts', () => {
    expect(escapeText('- a\n# b\n---\n1. c')).toBe('&#45; a\n&#35; b\n&#45;&#45;&#45;\n&#49;&#46; c');
    expect(md`**得分**：${'94.83 分'}`.text).toBe('**得分**：94.83 分');
    expect(md`**内容**\n${'- 列表'}`.text).toBe('**内容**\n&#45; 列表');
    expect(escapeText('GDSZ-2026-0001 a-b #1')).toBe('GDSZ-2026-0001 a-b #1');
  });

  it('keeps a Feishu emoji code from being drawn as the emoji, and leaves times and ratios as they are', () => {
    expect(escapeText('养护一班:OK::DONE:')).toBe('养护一班&#58;OK:&#58;DONE:');
    expect(md`**班组**：${':THUMBSUP: 第一名'}`.text).toBe('**班组**：&#58;THUMBSUP: 第一名');
    for (const plain of ['10:30', '2026-06-01 08:00', '比例 3:2', '备注: 无', 'a:b c:d']) expect(escapeText(plain)).toBe(plain);
  });

  it('writes the colon of an address as an entity: Feishu would link it, and refuse the card for one glued to Chinese', () => {
    // 飞书卡片常见问题, 发送卡片 Q5: "https://xxxx.xxx中文文本" is one invalid link
    expect(escapeText('材料见https://pan.example.com/s/abc中文说明')).toBe('材料见https&#58;//pan.example.com/s/abc中文说明');
    expect(escapeText('ftp://a.example 与 HTTP://B.EXAMPLE')).toBe('ftp&#58;//a.example 与 HTTP&#58;//B.EXAMPLE');
    expect(seen(renderMarkdown(escapeText('材料见https://pan.example.com/s/abc中文说明')))).toBe('材料见https://pan.example.com/s/abc中文说明');
    expect(renderMarkdown(escapeText('见 https://pan.example.com/s/abc 说明'))).not.toContain('<a ');
    for (const plain of ['10:30', '备注: 无', 'a:/b', '比例 3:2']) expect(escapeText(plain)).toBe(plain);
  });

  it('returns plain text as it is, and escapes exactly as the full escape does (fast path checked on random text)', () => {
    // the escape without its shortcut for text that needs nothing
    const full = (s: string, atLineStart = true) =>
      s
        .replace(/\r\n?/g, '\n')
        .replace(/[&<>[\]()*_`~\\$|{}]/g, (ch) => `&#${ch.codePointAt(0)};`)
        .replace(/:(?=[A-Za-z0-9_+-]+:|\/\/)/g, '&#58;')
        .replace(/(^|\n)([ \t]*)([-+#=]+|\d+[.)])(?=[ \t\n]|$)/g, (m, nl: string, space: string, mark: string, offset: number) =>
          offset === 0 && !nl && !atLineStart ? m : `${nl}${space}${[...mark].map((ch) => `&#${ch.codePointAt(0)};`).join('')}`,
        )
        .replace(/(^|\n)([ \t]+)/g, (m, nl: string, space: string, offset: number) =>
          offset === 0 && !nl && !atLineStart ? m : `${nl}${space.replace(/\t/g, '    ').replace(/ /g, '\u00a0')}`,
        );
    // every character the full escape replaces, the line-start markers and what they need around them
    const alphabet = [':', '/', 'O', 'K', 'a', '班', ' ', '\t', '\n', '\r', '-', '+', '#', '=', '1', '2', '.', '(', ')', '*', '_', '[', ']', '<', '>', '&', '`', '~', '\\', '$', '|', '{', '}'];
    for (const ch of '&<>[]()*_`~\\$|{}') expect(escapeText(`a${ch}`), ch).toBe(full(`a${ch}`));
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let k = 0; k < 5000; k++) {
      const s = Array.from({ length: rand(9) }, () => alphabet[rand(alphabet.length)]).join('');
      for (const atLineStart of [true, false]) expect(escapeText(s, atLineStart), JSON.stringify(s)).toBe(full(s, atLineStart));
    }
    const plain = '基准班组12 养护 2026年12月1日 94.5';
    expect(escapeText(plain)).toBe(plain);
  });

  it('starts nothing on a line a carriage return begins, after a list marker of ours, or indented (no code block)', () => {
    // a lone \r ends a line in CommonMark, as Feishu's rich text reads it
    expect(escapeText('路面松动\r# 紧急通知\r---\r- [x] 已处理\r1. 第一条')).toBe('路面松动\n&#35; 紧急通知\n&#45;&#45;&#45;\n&#45; &#91;x&#93; 已处理\n&#49;&#46; 第一条');
    expect(escapeText('a\r\nb')).toBe('a\nb');
    // four spaces or a tab after a blank line would make a code block showing `&#60;` as typed: no-break spaces instead
    const indented = escapeText('人行道修补后松动。\n\n    详见 <第3段> *重要*\n\t第二行');
    expect(indented).toBe('人行道修补后松动。\n\n\u00a0\u00a0\u00a0\u00a0详见 &#60;第3段&#62; &#42;重要&#42;\n\u00a0\u00a0\u00a0\u00a0第二行');
    expect(indented).not.toMatch(/(^|\n)[ \t]/);
    // a value after a list item's marker starts the item's text: a heading or a list typed there is escaped
    expect(md`第十五条：以下班组已提交：\n${mdJoin(['# 一班', '- 二班', '1. 三班'].map((n) => md`- ${n}（GDSZ-2026-0001）`), '\n')}`.text).toBe(
      '第十五条：以下班组已提交：\n- &#35; 一班（GDSZ-2026-0001）\n- &#45; 二班（GDSZ-2026-0001）\n- &#49;&#46; 三班（GDSZ-2026-0001）',
    );
    expect(md`1. ${'# 大标题'}`.text).toBe('1. &#35; 大标题');
    expect(md`> ${'- 引用'}`.text).toBe('> &#45; 引用');
    // mid-line, as before: nothing there starts a block
    expect(md`班组：${'# 一班'}`.text).toBe('班组：# 一班');
    expect(md`班组：${'  两格'}`.text).toBe('班组：  两格');
  });

  it('joins pieces with our separator', () => {
    expect(mdJoin([md`- ${'*a*'}`, '[b]'], '\n').text).toBe('- &#42;a&#42;\n&#91;b&#93;');
  });
});

describe('links and mentions', () => {
  it('links only http(s), from new URL(…).href, with what would end the link encoded', () => {
    expect(safeUrl('https://e.example/a b')).toBe('https://e.example/a%20b');
    expect(safeUrl('https://e.example/a)[z](https://evil.example')).toBe('https://e.example/a%29%5Bz%5D%28https://evil.example');
    expect(safeUrl('javascript:alert(1)')).toBeUndefined();
    expect(safeUrl('data:text/html,x')).toBeUndefined();
    expect(safeUrl('not a url')).toBeUndefined();
    expect(link('材料', 'https://e.example/x').text).toBe('[材料](https://e.example/x)');
    expect(link('材料', 'javascript:alert(1)').text).toBe('材料：javascript:alert&#40;1&#41;');
  });

  it('percent-encodes the query’s names and values: Feishu refuses a link with / : or a space in them (FAQ 发送卡片 Q6)', () => {
    expect(safeUrl('https://open.feishu.cn?time=31/12/2014 23:59:59')).toBe('https://open.feishu.cn/?time=31%2F12%2F2014%2023%3A59%3A59');
    expect(safeUrl('https://pan.example.com/s/a:b?pwd=1234&next=https://x.example/a?b=c#part/1')).toBe(
      'https://pan.example.com/s/a:b?pwd=1234&next=https%3A%2F%2Fx.example%2Fa%3Fb%3Dc#part/1',
    );
    expect(safeUrl('https://e.example/?q=a+b&k=%E4%B8%AD&raw=100%&flag')).toBe('https://e.example/?q=a+b&k=%E4%B8%AD&raw=100%25&flag');
    expect(safeUrl('https://e.example/材料?名=值 1')).toBe('https://e.example/%E6%9D%90%E6%96%99?%E5%90%8D=%E5%80%BC%201');
    for (const url of ['https://open.feishu.cn?time=31/12/2014 23:59:59', 'https://e.example/材料?a=(b)*_c_~:@/?', 'https://e.example/a)[z](https://evil.example?x=y:z']) {
      const c = card({ title: 't', elements: [{ tag: 'markdown', content: link('材料', url).text }] });
      expect(cardRuleViolations(c), url).toEqual([]);
    }
  });

  it('mentions only an id shaped like an open_id, never all', () => {
    expect(mention('ou_abc123').text).toBe('<at id=ou_abc123></at>');
    expect(mention('all').text).toBe('all');
    expect(mention('ou_x></at><at id=all>').text).toBe('ou&#95;x&#62;&#60;/at&#62;&#60;at id=all&#62;');
  });

  it('names in text whom Feishu could not find: an import’s placeholder, a union_id (100290 otherwise)', () => {
    expect(mention('pending:m:13800000001', '林专家').text).toBe('林专家（尚未关联飞书）');
    expect(mention('pending:e:lin@example.com').text).toBe('lin@example.com（尚未关联飞书）');
    expect(mention('on_0123abcd', '林专家').text).toBe('林专家');
    expect(mention('ou-not-an-open-id').text).toBe('ou-not-an-open-id');
    for (const id of ['pending:m:13800000001', 'pending:e:lin@example.com', 'on_0123abcd', 'ou-not-an-open-id', 'ou_7d8a6e6df7621556ce0d21922b676706']) {
      const c = card({ title: 't', elements: [{ tag: 'markdown', content: md`${mention(id)} 已提交`.text }] });
      expect(cardRuleViolations(c), id).toEqual([]);
    }
  });
});

describe('the console renderer reads entities as Feishu does', () => {
  it('shows an entity as its character, never as markup', () => {
    const html = renderMarkdown('&#60;at id=all&#62;&#60;/at&#62; &#91;x&#93;&#40;https://e.example&#41; &#42;&#42;b&#42;&#42; &lt;font color=red&gt;');
    expect(seen(html)).toBe('<at id=all></at> [x](https://e.example) **b** <font color=red>');
    expect(html).not.toContain('<a ');
    expect(html).not.toContain('所有人');
    expect(html).not.toContain('<strong>');
  });

  it('draws the markup itself: links, mentions, fonts, tags and <link>', () => {
    const html = renderMarkdown("[x](https://e.example) <at id=all></at> <font color='red'>r</font> <text_tag>t</text_tag> <link url='https://l.example'>l</link> **b**", { people: [] });
    expect(html).toContain('<a href="https://e.example"');
    expect(html).toContain('<a href="https://l.example"');
    expect(html).toContain('@所有人');
    expect(html).toContain('class="tag"');
    expect(html).toContain('<strong>b</strong>');
    expect(renderMarkdown('[y](javascript:alert(1))')).not.toContain('<a ');
  });
});
