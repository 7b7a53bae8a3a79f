// Feishu card JSON 2.0 to an HTML string, for local mode's console (/dev).
// Pure: no DOM, no imports, so the browser loads it as is and node tests import it (types in renderer.d.ts).
// Interactive parts carry data-* attributes that console.js reads: data-action (the callback value as JSON),
// data-field / data-kind on form inputs, data-confirm-* on buttons with a confirm dialog.

/** What marks a component the renderer does not know; the card tests assert it never appears. */
export const UNKNOWN_MARKER = 'unknown component';

const TEMPLATE_COLOURS = {
  blue: '#3370ff', wathet: '#0e9ed8', turquoise: '#04a28c', green: '#2ea121', yellow: '#d99d00', orange: '#ed6d0c',
  red: '#e22e28', carmine: '#d02c63', violet: '#7f3bf5', purple: '#a13ee0', indigo: '#4954e6', grey: '#646a73', default: '#1f2329',
};
const FONT_COLOURS = {
  ...TEMPLATE_COLOURS, grey: '#8f959e', gray: '#8f959e', black: '#1f2329', white: '#ffffff', default: 'inherit',
  'red-500': '#f54a45', 'green-500': '#34c724', 'blue-500': '#3370ff', 'orange-500': '#ff8800', 'grey-500': '#8f959e',
};
const SPACING = { small: 4, medium: 8, large: 12, extra_large: 16, default: 8 };

export function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

const attr = (value) => escapeHtml(typeof value === 'string' ? value : JSON.stringify(value));

function colour(name) {
  const key = String(name ?? '').trim();
  if (FONT_COLOURS[key]) return FONT_COLOURS[key];
  if (/^#[0-9a-f]{3,8}$/i.test(key) || /^[a-z]{3,20}$/i.test(key)) return key;
  return 'inherit';
}

function spacing(value, fallback) {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    if (value in SPACING) return SPACING[value];
    const px = /^(\d+)px$/.exec(value);
    if (px) return Number(px[1]);
  }
  return fallback;
}

/** The text of a plain_text / lark_md object, or a bare string. */
function textOf(t) {
  if (t === undefined || t === null) return '';
  if (typeof t === 'string') return t;
  if (typeof t === 'object') return String(t.content ?? t.text ?? '');
  return String(t);
}

function makeContext(ctx) {
  const people = new Map();
  for (const p of ctx?.people ?? []) people.set(p.openId, p.name || p.openId);
  let n = 0;
  return {
    people,
    allPeople: ctx?.people ?? [],
    nextId: () => `${ctx?.idPrefix ?? 'c'}-${++n}`,
    nameOf(id, fallback) {
      if (id === 'all') return '所有人';
      return people.get(id) || fallback || (String(id).startsWith('ou_') ? `用户${String(id).slice(-4)}` : String(id));
    },
  };
}

const NAMED_ENTITIES = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: '\u00a0', ensp: '\u2002', emsp: '\u2003' };

/** The character an entity body (`#60`, `#x3c`, `lt`) stands for, or undefined. */
function decodeEntity(body) {
  if (body[0] !== '#') return NAMED_ENTITIES[body.toLowerCase()];
  const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
  return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : undefined;
}

// ---------------------------------------------------------------------------
// markdown (the subset Feishu's card markdown draws)
// ---------------------------------------------------------------------------

/** Feishu card markdown to HTML: bold, italic, strike, code, links, <font color>, <at id>, lists, headings, escapes. */
export function renderMarkdown(source, ctx) {
  return markdownHtml(source, makeContext(ctx));
}

function markdownHtml(source, c) {
  const held = [];
  const hold = (html) => `\u0000${held.push(html) - 1}\u0001`;
  // a backslash makes the next character literal
  let s = String(source ?? '').replace(/\r\n?/g, '\n').replace(/\\([\\`*_~{}[\]()#+\-.!|<>])/g, (_, ch) => hold(escapeHtml(ch)));
  // entities are text, never markup: Feishu's escape for `<` `[` `*` … in card markdown
  s = s.replace(/&(#\d{1,7}|#x[0-9a-f]{1,6}|[a-z]{2,6});/gi, (m, body) => {
    const ch = decodeEntity(body);
    return ch === undefined ? m : hold(ch === '\u00a0' ? '&nbsp;' : escapeHtml(ch));
  });
  const fontStack = [];
  const inline = (line) => {
    let t = line.replace(/`([^`\n]+)`/g, (_, code) => hold(`<code>${escapeHtml(code)}</code>`));
    t = t.replace(/<at\s+(?:id|user_id|open_id|email)\s*=\s*["']?([^"'\s>]+)["']?\s*>([^<]*)<\/at>/gi, (_, id, inner) => hold(`<span class="at">@${escapeHtml(c.nameOf(id, inner))}</span>`));
    t = t.replace(/<font\s+color\s*=\s*["']?([#\w-]+)["']?\s*>|<\/font>/gi, (m, name) => {
      if (m.startsWith('</')) return fontStack.pop() === undefined ? '' : hold('</span>');
      fontStack.push(name);
      return hold(`<span style="color:${escapeHtml(colour(name))}">`);
    });
    t = t.replace(/<text_tag(?:\s+color\s*=\s*["']?([\w-]+)["']?)?\s*>([^<]*)<\/text_tag>/gi, (_, name, inner) => hold(`<span class="tag" style="color:${escapeHtml(colour(name ?? 'neutral'))}">${escapeHtml(inner)}</span>`));
    t = t.replace(/<link\s+[^>]*?url\s*=\s*["']?([^"'\s>]+)["']?[^>]*>([^<]*)<\/link>/gi, (_, url, inner) =>
      /^https?:/i.test(url) ? hold(`<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${escapeHtml(inner)}</a>`) : inner,
    );
    t = t.replace(/<br\s*\/?>/gi, () => hold('<br>'));
    t = t.replace(/!?\[([^\]\n]*)\]\(([^)\s]+)\)/g, (_, text, url) =>
      /^(https?:|lark:|mailto:)/i.test(url) ? `${hold(`<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">`)}${text}${hold('</a>')}` : text,
    );
    t = escapeHtml(t)
      .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
      .replace(/__(.+?)__/g, '<strong>$1</strong>')
      .replace(/\*([^*\s](?:[^*]*[^*\s])?)\*/g, '<em>$1</em>')
      .replace(/~~(.+?)~~/g, '<del>$1</del>')
      .replace(/(^|[\s(（])(https?:\/\/[^\s<>"'）)]+)/g, '$1<a href="$2" target="_blank" rel="noopener noreferrer">$2</a>');
    // fonts still open at the end of a line close there and reopen on the next, so lines nest
    const closing = fontStack.map(() => '</span>').join('');
    const reopen = fontStack.map((name) => `<span style="color:${escapeHtml(colour(name))}">`).join('');
    return { html: t + closing, reopen };
  };

  const out = [];
  let list = null; // { type: 'ul' | 'ol' }
  let paragraph = [];
  let carry = '';
  const line = (text) => {
    const r = inline(text);
    const html = carry + r.html;
    carry = r.reopen;
    return html;
  };
  const flushParagraph = () => {
    if (paragraph.length) out.push(`<p>${paragraph.join('<br>')}</p>`);
    paragraph = [];
  };
  const closeList = () => {
    if (list) out.push(`</${list.type}>`);
    list = null;
  };
  for (const raw of s.split('\n')) {
    const bullet = /^\s*[-*+]\s+(.*)$/.exec(raw);
    const numbered = /^\s*(\d+)\.\s+(.*)$/.exec(raw);
    const heading = /^\s*(#{1,6})\s+(.*)$/.exec(raw);
    if (bullet || numbered) {
      flushParagraph();
      const type = bullet ? 'ul' : 'ol';
      if (!list || list.type !== type) {
        closeList();
        list = { type };
        out.push(type === 'ol' && numbered[1] !== '1' ? `<ol start="${Number(numbered[1])}">` : `<${type}>`);
      }
      out.push(`<li>${line(bullet ? bullet[1] : numbered[2])}</li>`);
    } else if (/^\s*(-{3,}|\*{3,})\s*$/.test(raw)) {
      flushParagraph();
      closeList();
      out.push('<hr>');
    } else if (heading) {
      flushParagraph();
      closeList();
      out.push(`<p class="md-h md-h${heading[1].length}">${line(heading[2])}</p>`);
    } else if (raw.trim() === '') {
      flushParagraph();
      closeList();
    } else {
      closeList();
      paragraph.push(line(raw));
    }
  }
  flushParagraph();
  closeList();
  let html = out.join('');
  for (let i = 0; i < 5 && html.includes('\u0000'); i++) html = html.replace(/\u0000(\d+)\u0001/g, (_, k) => held[Number(k)]);
  return html;
}

// ---------------------------------------------------------------------------
// components
// ---------------------------------------------------------------------------

function unknown(tag) {
  return `<div class="unknown" data-unknown="${escapeHtml(tag)}">${UNKNOWN_MARKER}: ${escapeHtml(tag)}</div>`;
}

function callbackValue(el) {
  const behaviors = Array.isArray(el.behaviors) ? el.behaviors : [];
  const callback = behaviors.find((b) => b && b.type === 'callback');
  if (callback) return callback.value ?? {};
  if (el.value && typeof el.value === 'object') return el.value; // JSON 1.0 style
  return undefined;
}

function openUrl(el) {
  const behaviors = Array.isArray(el.behaviors) ? el.behaviors : [];
  const link = behaviors.find((b) => b && b.type === 'open_url');
  return link ? link.default_url || link.pc_url || link.android_url || link.ios_url : el.url;
}

function textBlock(t, c, extraClass = '') {
  const tag = t && typeof t === 'object' ? t.tag : 'plain_text';
  const size = t && typeof t === 'object' && t.text_size ? ` md-${escapeHtml(t.text_size)}` : '';
  const align = t && typeof t === 'object' && t.text_align ? ` style="text-align:${escapeHtml(t.text_align)}"` : '';
  const style = t && typeof t === 'object' && t.text_color ? ` style="color:${escapeHtml(colour(t.text_color))}"` : align;
  if (tag === 'lark_md' || tag === 'markdown') return `<div class="md${size} ${extraClass}"${style}>${markdownHtml(textOf(t), c)}</div>`;
  return `<div class="plain${size} ${extraClass}"${style}>${escapeHtml(textOf(t)).replace(/\n/g, '<br>')}</div>`;
}

function markdownElement(el, c) {
  const size = el.text_size ? ` md-${escapeHtml(el.text_size)}` : '';
  const align = el.text_align ? ` style="text-align:${escapeHtml(el.text_align)}"` : '';
  return `<div class="md${size}"${align}>${markdownHtml(el.content ?? textOf(el.text), c)}</div>`;
}

function divElement(el, c) {
  const parts = [];
  if (el.text) parts.push(textBlock(el.text, c));
  if (Array.isArray(el.fields) && el.fields.length) {
    parts.push(`<div class="fields">${el.fields.map((f) => `<div class="field${f.is_short ? ' short' : ''}">${textBlock(f.text, c)}</div>`).join('')}</div>`);
  }
  return `<div class="div">${parts.join('')}</div>`;
}

const BUTTON_TYPES = new Set(['default', 'primary', 'danger', 'text', 'primary_filled', 'danger_filled', 'laser', 'primary_text', 'danger_text']);

function buttonElement(el, c, inForm) {
  const type = BUTTON_TYPES.has(el.type) ? el.type : 'default';
  const text = escapeHtml(textOf(el.text) || '按钮');
  const classes = `btn btn-${type}${el.width === 'fill' ? ' btn-fill' : ''}${el.size ? ` btn-${escapeHtml(el.size)}` : ''}`;
  const value = callbackValue(el);
  const url = openUrl(el);
  const disabled = el.disabled ? ` disabled title="${escapeHtml(textOf(el.disabled_tips) || '不可用')}"` : '';
  if (value === undefined && url && !el.form_action_type) {
    return `<a class="${classes}" href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${text}</a>`;
  }
  const submit = inForm && el.form_action_type === 'submit';
  const reset = inForm && el.form_action_type === 'reset';
  const confirm = el.confirm
    ? ` data-confirm-title="${escapeHtml(textOf(el.confirm.title))}" data-confirm-text="${escapeHtml(textOf(el.confirm.text))}"`
    : '';
  const primary = submit && /^primary/.test(type) ? ' data-primary="1"' : '';
  return `<button type="${submit ? 'submit' : reset ? 'reset' : 'button'}" class="${classes}" data-action="${attr(value ?? {})}"${el.name ? ` data-name="${escapeHtml(el.name)}"` : ''}${submit ? ' data-submit="1"' : ''}${primary}${confirm}${disabled}>${text}</button>`;
}

function fieldAttrs(el, kind) {
  return `data-field="${escapeHtml(el.name ?? '')}" data-kind="${kind}"${el.required ? ' data-required="1"' : ''}`;
}

function labelFor(el, id) {
  const label = textOf(el.label);
  if (!label) return '';
  return `<label class="label" for="${id}">${escapeHtml(label)}</label>`;
}

/** What a Feishu input takes without a max_length of its own: "max_length … 默认值 1000，取值范围 [1,1000]" (card JSON 2.0, 输入框组件). */
const INPUT_DEFAULT_MAX_LENGTH = 1000;

function inputElement(el, c) {
  const id = c.nextId();
  const placeholder = textOf(el.placeholder);
  // Feishu's client takes no more than the input's max_length, 1 000 when it has none, so the bot never sees more from a
  // card: neither does the console's page
  const maxLength = Number(el.max_length) || INPUT_DEFAULT_MAX_LENGTH;
  const common = `id="${id}" name="${escapeHtml(el.name ?? id)}" ${fieldAttrs(el, 'text')}${placeholder ? ` placeholder="${escapeHtml(placeholder)}"` : ''} maxlength="${maxLength}"${el.required ? ' required' : ''}${el.disabled ? ' disabled' : ''}${!textOf(el.label) && placeholder ? ` aria-label="${escapeHtml(placeholder)}"` : ''}`;
  const value = el.default_value === undefined || el.default_value === null ? '' : String(el.default_value);
  const control =
    el.input_type === 'multiline_text'
      ? `<textarea ${common} rows="${Number(el.rows) || 3}">${escapeHtml(value)}</textarea>`
      : `<input type="${el.input_type === 'password' ? 'password' : 'text'}" ${common} value="${escapeHtml(value)}">`;
  const inline = el.label_position === 'left' ? ' inline' : '';
  return `<div class="input${inline}">${labelFor(el, id)}${control}</div>`;
}

/** Characters a select shows whole at 360 px; a longer placeholder goes above it. */
const LONG_PLACEHOLDER = 12;

function selectElement(el, c, options, initial) {
  const id = c.nextId();
  const placeholder = textOf(el.placeholder) || '请选择';
  // a select cannot wrap: a long placeholder with no label is shown above it, whole at phone width
  const hint = !textOf(el.label) && [...placeholder].length > LONG_PLACEHOLDER;
  const opts = [`<option value="">${escapeHtml(hint ? '请选择' : placeholder)}</option>`]
    .concat(options.map((o) => `<option value="${escapeHtml(o.value)}"${o.value === initial ? ' selected' : ''}>${escapeHtml(o.text)}</option>`))
    .join('');
  const kind = el.tag === 'select_person' ? 'person' : 'select';
  const label = hint ? `<label class="label select-hint" for="${id}">${escapeHtml(placeholder)}</label>` : labelFor(el, id);
  return `<div class="select">${label}<select id="${id}" name="${escapeHtml(el.name ?? id)}" ${fieldAttrs(el, kind)} aria-label="${escapeHtml(placeholder)}"${el.required ? ' required' : ''}${el.disabled ? ' disabled' : ''}>${opts}</select></div>`;
}

function multiElement(el, c, options, selected) {
  const id = c.nextId();
  const placeholder = textOf(el.placeholder) || '请选择';
  const kind = el.tag === 'multi_select_person' ? 'multiperson' : 'multi';
  const boxes = options
    .map((o, i) => `<label class="option"><input type="checkbox" id="${id}-${i}" value="${escapeHtml(o.value)}"${selected.includes(o.value) ? ' checked' : ''}${el.disabled ? ' disabled' : ''}> ${escapeHtml(o.text)}</label>`)
    .join('');
  return `<fieldset class="multi" id="${id}" ${fieldAttrs(el, kind)}><legend>${escapeHtml(textOf(el.label) || placeholder)}</legend>${boxes || '<span class="muted">（没有可选项）</span>'}</fieldset>`;
}

const staticOptions = (el) => (Array.isArray(el.options) ? el.options : []).map((o) => ({ value: String(o.value ?? ''), text: textOf(o.text) || String(o.value ?? '') }));

function personOptions(el, c) {
  const ids = Array.isArray(el.options) && el.options.length ? el.options.map((o) => String(o.value ?? o)) : c.allPeople.map((p) => p.openId);
  return ids.map((id) => ({ value: id, text: c.nameOf(id) }));
}

function dateElement(el, c, type, kind, initial) {
  const id = c.nextId();
  const placeholder = textOf(el.placeholder) || '请选择日期';
  return `<div class="date">${labelFor(el, id)}<input type="${type}" id="${id}" name="${escapeHtml(el.name ?? id)}" ${fieldAttrs(el, kind)} aria-label="${escapeHtml(placeholder)}" value="${escapeHtml(initial ?? '')}"${el.required ? ' required' : ''}${el.disabled ? ' disabled' : ''}></div>`;
}

function checkerElement(el, c) {
  const id = c.nextId();
  return `<div class="checker"><input type="checkbox" id="${id}" name="${escapeHtml(el.name ?? id)}" ${fieldAttrs(el, 'checker')}${el.checked ? ' checked' : ''}${el.disabled ? ' disabled' : ''}${el.required ? ' required' : ''}><label for="${id}">${escapeHtml(textOf(el.text))}</label></div>`;
}

function columnSet(el, c, inForm) {
  const mode = ['none', 'stretch', 'flow', 'bisect', 'trisect'].includes(el.flex_mode) ? el.flex_mode : 'none';
  const gap = spacing(el.horizontal_spacing, 8);
  const bg = el.background_style && el.background_style !== 'default' ? ' bg' : '';
  const cols = (Array.isArray(el.columns) ? el.columns : []).map((col) => {
    if (!col || col.tag !== 'column') return unknown(col?.tag ?? 'column without tag');
    let flex = '1 1 0';
    if (col.width === 'auto') flex = '0 0 auto';
    else if (typeof col.width === 'string' && /^\d+px$/.test(col.width)) flex = `0 0 ${col.width}`;
    else flex = `${Number(col.weight) || 1} 1 0`;
    const align = { top: 'flex-start', center: 'center', bottom: 'flex-end' }[col.vertical_align] ?? 'stretch';
    const vgap = spacing(col.vertical_spacing, 8);
    const colBg = col.background_style && col.background_style !== 'default' ? ' bg' : '';
    return `<div class="col${colBg}" style="flex:${flex};align-self:${align};gap:${vgap}px">${elements(col.elements, c, inForm)}</div>`;
  });
  return `<div class="cols cols-${mode}${bg}" style="gap:${gap}px">${cols.join('')}</div>`;
}

function formElement(el, c) {
  return `<form class="card-form" data-form="${escapeHtml(el.name ?? '')}" novalidate>${elements(el.elements, c, true)}</form>`;
}

function formatNumber(value, format) {
  const n = Number(value);
  if (!Number.isFinite(n)) return String(value ?? '');
  let v = format?.percentage ? n * 100 : n;
  let s = typeof format?.precision === 'number' ? v.toFixed(format.precision) : String(v);
  if (format?.separator) s = s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return format?.percentage ? `${s}%` : s;
}

function tableCell(value, col, c) {
  if (value === undefined || value === null) return '';
  switch (col.data_type) {
    case 'lark_md':
    case 'markdown':
      return markdownHtml(String(value), c);
    case 'number':
      return escapeHtml(formatNumber(value, col.format));
    case 'options':
      return (Array.isArray(value) ? value : [value])
        .map((o) => `<span class="tag" style="color:${escapeHtml(colour(o?.color))}">${escapeHtml(typeof o === 'object' ? o.text ?? '' : o)}</span>`)
        .join(' ');
    case 'persons':
      return (Array.isArray(value) ? value : [value]).map((id) => `<span class="at">${escapeHtml(c.nameOf(String(id)))}</span>`).join(' ');
    case 'date': {
      const d = new Date(Number(value));
      return Number.isNaN(d.getTime()) ? escapeHtml(value) : escapeHtml(d.toISOString().slice(0, 10));
    }
    default:
      return escapeHtml(typeof value === 'object' ? JSON.stringify(value) : value);
  }
}

function tableElement(el, c) {
  const columns = Array.isArray(el.columns) ? el.columns : [];
  const rows = Array.isArray(el.rows) ? el.rows : [];
  const head = columns.map((col) => `<th style="text-align:${escapeHtml(col.horizontal_align ?? 'left')}">${escapeHtml(col.display_name ?? col.name)}</th>`).join('');
  const body = rows
    .map((row) => `<tr>${columns.map((col) => `<td style="text-align:${escapeHtml(col.horizontal_align ?? 'left')}">${tableCell(row?.[col.name], col, c)}</td>`).join('')}</tr>`)
    .join('');
  return `<div class="table-wrap"><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

const SERIES_COLOURS = ['#3370ff', '#34c724', '#ff8800', '#7f3bf5', '#f54a45', '#04b49c', '#d02c63', '#ffc60a'];

/** The spec's own colours, as VChart reads `color`: a list in series order, or an ordinal domain → range; else ours. */
function chartColours(color, series) {
  const palette = Array.isArray(color) ? color : Array.isArray(color?.range) ? color.range : SERIES_COLOURS;
  const domain = Array.isArray(color?.domain) ? color.domain.map(String) : series;
  return (name) => {
    const i = domain.indexOf(name);
    const at = i === -1 ? domain.length + Math.max(0, series.indexOf(name)) : i;
    return palette.length ? escapeHtml(palette[at % palette.length]) : SERIES_COLOURS[0];
  };
}

/** VChart specs drawn simply: one horizontal bar per datum, whatever the chart type. */
function chartElement(el, c) {
  const spec = el.chart_spec && typeof el.chart_spec === 'object' ? el.chart_spec : {};
  const datasets = Array.isArray(spec.data) ? spec.data : spec.data ? [spec.data] : [];
  const values = datasets.flatMap((d) => (Array.isArray(d?.values) ? d.values : []));
  const first = (f) => (Array.isArray(f) ? f[0] : f);
  const horizontal = spec.direction === 'horizontal';
  const categoryField = first(spec.categoryField) ?? first(horizontal ? spec.yField : spec.xField);
  const valueField = first(spec.valueField) ?? first(horizontal ? spec.xField : spec.yField);
  const seriesField = first(spec.seriesField);
  const title = textOf(spec.title?.text ?? spec.title);
  const series = [...new Set(values.map((v) => (seriesField ? String(v?.[seriesField]) : '')))];
  const seriesColour = chartColours(spec.color, series);
  const numbers = values.map((v) => Number(v?.[valueField])).filter((n) => Number.isFinite(n));
  const max = Math.max(0, ...numbers) || 1;
  const bars = values
    .map((v) => {
      const n = Number(v?.[valueField]);
      const label = v?.[categoryField] ?? '';
      const width = Number.isFinite(n) && n > 0 ? Math.max(1, (n / max) * 100) : 0;
      const fill = seriesColour(seriesField ? String(v?.[seriesField]) : '');
      return `<div class="bar-row"><span class="bar-label">${escapeHtml(label)}</span><span class="bar-track"><span class="bar" style="width:${width.toFixed(1)}%;background:${fill}"></span></span><span class="bar-value">${escapeHtml(Number.isFinite(n) ? n : v?.[valueField] ?? '')}</span></div>`;
    })
    .join('');
  const kind = spec.type && spec.type !== 'bar' ? `<div class="muted">（${escapeHtml(spec.type)} 图，以条形显示）</div>` : '';
  const legend = seriesField
    ? `<div class="legend">${series.map((name) => `<span><span class="swatch" style="background:${seriesColour(name)}"></span>${escapeHtml(name)}</span>`).join('')}</div>`
    : '';
  return `<figure class="chart" role="img" aria-label="${escapeHtml(title || '图表')}">${title ? `<figcaption>${escapeHtml(title)}</figcaption>` : ''}${kind}${bars || '<div class="muted">（图表没有数据）</div>'}${legend}</figure>`;
}

function imgElement(el) {
  const alt = textOf(el.alt) || textOf(el.title) || '图片';
  return `<figure class="img"><div class="img-ph" role="img" aria-label="${escapeHtml(alt)}">图片 ${escapeHtml(el.img_key ?? '')}</div>${el.title ? `<figcaption>${escapeHtml(textOf(el.title))}</figcaption>` : ''}</figure>`;
}

function personChip(id, c) {
  return `<span class="at person">${escapeHtml(c.nameOf(String(id)))}</span>`;
}

function element(el, c, inForm) {
  if (!el || typeof el !== 'object') return unknown(String(el));
  switch (el.tag) {
    case 'markdown':
    case 'lark_md':
      return markdownElement(el, c);
    case 'plain_text':
      return textBlock(el, c);
    case 'div':
      return divElement(el, c);
    case 'hr':
      return '<hr>';
    case 'column_set':
      return columnSet(el, c, inForm);
    case 'form':
      return formElement(el, c);
    case 'button':
      return buttonElement(el, c, inForm);
    case 'input':
      return inputElement(el, c);
    case 'select_static':
      return selectElement(el, c, staticOptions(el), el.initial_option);
    case 'multi_select_static':
      return multiElement(el, c, staticOptions(el), Array.isArray(el.selected_values) ? el.selected_values.map(String) : []);
    case 'select_person':
      return selectElement(el, c, personOptions(el, c), el.initial_option);
    case 'multi_select_person':
      return multiElement(el, c, personOptions(el, c), Array.isArray(el.selected_values) ? el.selected_values.map(String) : []);
    case 'date_picker':
      return dateElement(el, c, 'date', 'date', el.initial_date);
    case 'picker_time':
      return dateElement(el, c, 'time', 'time', el.initial_time);
    case 'picker_datetime':
      return dateElement(el, c, 'datetime-local', 'datetime', el.initial_datetime);
    case 'checker':
      return checkerElement(el, c);
    case 'table':
      return tableElement(el, c);
    case 'chart':
      return chartElement(el, c);
    case 'img':
      return imgElement(el);
    case 'person':
      return personChip(el.user_id, c);
    case 'person_list':
      return `<div class="person-list">${(Array.isArray(el.persons) ? el.persons : []).map((p) => personChip(p.id ?? p, c)).join(' ')}</div>`;
    case 'collapsible_panel':
      return `<details class="panel"${el.expanded ? ' open' : ''}><summary>${escapeHtml(textOf(el.header?.title))}</summary>${elements(el.elements, c, inForm)}</details>`;
    case 'interactive_container': {
      const value = callbackValue(el);
      return `<div class="container" role="button" tabindex="0" data-action="${attr(value ?? {})}">${elements(el.elements, c, inForm)}</div>`;
    }
    default:
      return unknown(el.tag ?? 'element without tag');
  }
}

function elements(list, c, inForm) {
  return (Array.isArray(list) ? list : []).map((el) => element(el, c, inForm)).join('');
}

function header(h, c) {
  if (!h || typeof h !== 'object') return '';
  const template = TEMPLATE_COLOURS[h.template] ? h.template : 'default';
  const tags = (Array.isArray(h.text_tag_list) ? h.text_tag_list : [])
    .map((t) => `<span class="tag head-tag" style="color:${escapeHtml(colour(t.color))}">${escapeHtml(textOf(t.text))}</span>`)
    .join('');
  const subtitle = textOf(h.subtitle);
  return `<div class="card-header tpl-${template}" style="--tpl:${TEMPLATE_COLOURS[template]}"><div class="card-title">${escapeHtml(textOf(h.title))}${tags}</div>${subtitle ? `<div class="card-subtitle">${escapeHtml(subtitle)}</div>` : ''}</div>`;
}

/**
 * A card (JSON 2.0; a JSON 1.0 card's top-level `elements` too) as HTML.
 * ctx.people: [{openId, name}] for <at>, person pickers and person chips; ctx.idPrefix keeps ids unique on a page.
 */
export function renderCard(card, ctx) {
  const c = makeContext(ctx);
  if (!card || typeof card !== 'object') return `<div class="card">${unknown('card that is not an object')}</div>`;
  if (card.type === 'template') return `<div class="card">${unknown('template card')}</div>`;
  const body = Array.isArray(card.body?.elements) ? card.body.elements : Array.isArray(card.elements) ? card.elements : [];
  const summary = textOf(card.config?.summary);
  return `<div class="card"${summary ? ` data-summary="${escapeHtml(summary)}"` : ''}>${header(card.header, c)}<div class="card-body">${elements(body, c, false)}</div></div>`;
}

/** A text message: <at user_id="…">name</at> shown as @name, newlines kept. */
export function renderText(text, ctx) {
  const c = makeContext(ctx);
  const parts = String(text ?? '').split(/(<at\s+[^>]*>[^<]*<\/at>)/g);
  return parts
    .map((p) => {
      const m = /<at\s+(?:id|user_id|open_id)\s*=\s*["']?([^"'\s>]+)["']?\s*>([^<]*)<\/at>/.exec(p);
      return m ? `<span class="at">@${escapeHtml(c.nameOf(m[1], m[2]))}</span>` : escapeHtml(p).replace(/\n/g, '<br>');
    })
    .join('');
}

/** Any message the bot sends: an interactive card, text or rich text (post). */
export function renderMessage(msgType, content, ctx) {
  if (msgType === 'interactive') return renderCard(content, ctx);
  if (msgType === 'text') return `<div class="text">${renderText(content?.text ?? content, ctx)}</div>`;
  if (msgType === 'post') {
    const post = content?.zh_cn ?? content?.en_us ?? content ?? {};
    const lines = (Array.isArray(post.content) ? post.content : []).map((line) => (Array.isArray(line) ? line.map((n) => n?.text ?? '').join('') : ''));
    return `<div class="text">${post.title ? `<strong>${escapeHtml(post.title)}</strong><br>` : ''}${lines.map((l) => renderText(l, ctx)).join('<br>')}</div>`;
  }
  if (msgType === 'file') {
    const name = content?.fileName ?? content?.file_name ?? content?.file_key ?? '';
    const link = ctx?.fileHref ? ` <a href="${escapeHtml(ctx.fileHref)}" download>下载</a>` : '';
    return `<div class="text file">文件：${escapeHtml(name)}${link}</div>`;
  }
  if (msgType === 'image') {
    return ctx?.imageHref ? `<div class="text image"><img src="${escapeHtml(ctx.imageHref)}" alt="图片" style="max-width:100%"></div>` : '<div class="text image">图片</div>';
  }
  return unknown(`message type ${msgType}`);
}
