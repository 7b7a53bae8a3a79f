/**
 * The rules Feishu applies to a card JSON 2.0 before it accepts it (send, reply, update, a callback's answer),
 * checked the same way by the simulated Open Platform and by the tests' card checker.
 */

import { BUTTON_TEXT_MAX, CARD_BODY_LIMIT, cardBodyBytes } from '../../cards/kit.js';

/**
 * Feishu's limit for the request body that carries a card (30 KB, the card escaped as the `content` string):
 * see CARD_BODY_LIMIT in cards/kit.ts.
 */
export const MAX_CARD_CONTENT_BYTES = CARD_BODY_LIMIT;
/** Feishu counts every object carrying a `tag` (plain_text in buttons, labels, placeholders, the header): at most 200. */
export const MAX_CARD_TAGGED_OBJECTS = 200;
/**
 * A button's text: "最多支持 100 个字符" (https://open.feishu.cn/document/feishu-cards/card-json-v2-components/interactive-components/button);
 * a card with a longer one is refused as any card Feishu cannot take (230099). See BUTTON_TEXT_MAX in cards/kit.ts.
 */
export const MAX_BUTTON_TEXT_CHARS = BUTTON_TEXT_MAX;
/** JSON 1.0 tags that a 2.0 card may not contain. */
const JSON_1_ONLY_TAGS = new Set(['action', 'note']);

/*
 * The properties each JSON 2.0 object documents. "In JSON 2.0 version, passing unsupported properties will result in an
 * error" (https://open.feishu.cn/document/feishu-cards/card-json-v2-breaking-changes-release-notes): the card is refused
 * with 230099 ("parse card json err … unknown property"). The lists follow each component's page under
 * https://open.feishu.cn/document/feishu-cards/card-json-v2-components/ and the structure page
 * (…/feishu-cards/card-json-v2-structure). A tag not listed here is refused too, so that a component new to the bot
 * is looked up before the simulation takes it.
 */
const COMMON = ['tag', 'element_id', 'margin'];
const LAYOUT = ['padding', 'direction', 'horizontal_spacing', 'vertical_spacing', 'horizontal_align', 'vertical_align'];
const FIELD = ['name', 'required', 'disabled', 'placeholder', 'width', 'behaviors', 'confirm', 'value'];
const PROPERTIES: Record<string, ReadonlySet<string>> = Object.fromEntries(
  Object.entries({
    button: [...COMMON, 'type', 'size', 'width', 'text', 'icon', 'hover_tips', 'disabled', 'disabled_tips', 'confirm', 'behaviors', 'name', 'form_action_type', 'url', 'multi_url', 'value'],
    markdown: [...COMMON, 'content', 'text_size', 'text_align', 'icon'],
    hr: COMMON,
    plain_text: ['tag', 'content', 'text_size', 'text_color', 'text_align', 'lines', 'element_id', 'i18n_content'],
    column_set: [...COMMON, 'horizontal_spacing', 'horizontal_align', 'flex_mode', 'background_style', 'action', 'columns'],
    column: [...COMMON, ...LAYOUT, 'background_style', 'width', 'weight', 'elements', 'action'],
    form: [...COMMON, ...LAYOUT, 'name', 'elements'],
    input: [...COMMON, ...FIELD, 'default_value', 'disabled_tips', 'max_length', 'input_type', 'show_icon', 'rows', 'auto_resize', 'max_rows', 'label', 'label_position'],
    select_static: [...COMMON, ...FIELD, 'type', 'initial_option', 'initial_index', 'options'],
    select_person: [...COMMON, ...FIELD, 'type', 'initial_option', 'options'],
    multi_select_person: [...COMMON, ...FIELD, 'type', 'selected_values', 'options'],
    date_picker: [...COMMON, ...FIELD, 'initial_date'],
    checker: [...COMMON, 'padding', 'name', 'checked', 'text', 'overall_checkable', 'button_area', 'checked_style', 'confirm', 'behaviors', 'hover_tips', 'disabled', 'disabled_tips'],
    chart: [...COMMON, 'aspect_ratio', 'color_theme', 'chart_spec', 'preview', 'height'],
  }).map(([tag, keys]) => [tag, new Set(keys)]),
);
const CARD_KEYS = new Set(['schema', 'config', 'card_link', 'header', 'body']);
const CONFIG_KEYS = new Set(['streaming_mode', 'streaming_config', 'summary', 'locales', 'enable_forward', 'update_multi', 'width_mode', 'use_custom_translation', 'enable_forward_interaction', 'style']);
const HEADER_KEYS = new Set(['title', 'subtitle', 'text_tag_list', 'i18n_text_tag_list', 'template', 'icon', 'padding']);
const BODY_KEYS = new Set(['elements', ...LAYOUT]);
/** Components that take a value in a form (https://open.feishu.cn/document/feishu-cards/card-json-v2-components/containers/form-container). */
export const FORM_FIELDS: ReadonlySet<string> = new Set(['input', 'select_static', 'multi_select_static', 'select_person', 'multi_select_person', 'date_picker', 'picker_time', 'picker_datetime', 'checker', 'select_img']);
/**
 * "最多支持嵌套五层组件" (the column-set page, https://open.feishu.cn/document/feishu-cards/card-json-v2-components/containers/column-set):
 * containers (a column set and each of its columns, a form, a panel) nest at most five deep along any path.
 */
const CONTAINERS = new Set(['form', 'column_set', 'column', 'collapsible_panel', 'interactive_container']);
const MAX_CONTAINER_DEPTH = 5;
/**
 * What a form may not hold: "表单容器不支持内嵌表格（table）和表单容器组件" (the JSON 2.0 form container page,
 * https://open.feishu.cn/document/feishu-cards/card-json-v2-components/containers/form-container; the 1.0 wording also
 * named 图表, which 2.0 allows).
 */
const NOT_IN_FORM = new Set(['form', 'table']);

/*
 * The values Feishu documents as a closed set, for the components the bot uses. Each set is the one its JSON 2.0 page
 * lists (https://open.feishu.cn/document/feishu-cards/card-json-v2-components/…, the pages Lark's own references in
 * larksuite/cli skills/lark-im/references/card/components/*.md follow); a card with another value is refused like any
 * card Feishu cannot take. Where two documented lists differ, both are allowed: a false refusal costs more than a miss.
 * Not enforced, on purpose: text_size (the plain-text page: "如果你填写了其它值，卡片将展示为 normal 字段对应的字号",
 * shown, not refused; and config.style.text_size may define more), text_color and <font color> (any colour enum, RGBA, or a colour the card
 * defines in config.style.color), chart color_theme (the lists disagree).
 */
/** header.template, 13 colours: https://open.feishu.cn/document/feishu-cards/card-json-v2-components/content-components/title */
const HEADER_TEMPLATES = ['blue', 'wathet', 'turquoise', 'green', 'yellow', 'orange', 'red', 'carmine', 'violet', 'purple', 'indigo', 'grey', 'default'];
/** The structure page (https://open.feishu.cn/document/feishu-cards/card-json-v2-structure): config.width_mode. */
const WIDTH_MODES = ['default', 'compact', 'fill'];
/** button type and size (width: default, fill or [100,∞)px): https://open.feishu.cn/document/feishu-cards/card-json-v2-components/interactive-components/button */
const BUTTON_TYPES = ['default', 'primary', 'danger', 'text', 'primary_text', 'danger_text', 'primary_filled', 'danger_filled', 'laser'];
const BUTTON_SIZES = ['tiny', 'small', 'medium', 'large'];
/**
 * input_type text, multiline_text or password, label_position top or left: https://open.feishu.cn/document/feishu-cards/card-json-v2-components/interactive-components/input
 * (and larksuite/cli …/card/components/input.md). No number, telephone or email type (DESIGN.md: a text input, validated).
 */
const INPUT_TYPES = ['text', 'multiline_text', 'password'];
const LABEL_POSITIONS = ['top', 'left'];
/** A select's type, default or text: https://open.feishu.cn/document/feishu-cards/card-json-v2-components/interactive-components/single-select-dropdown-menu (and select_person.md). */
const SELECT_TYPES = ['default', 'text'];
/** flex_mode, a column's vertical_align, horizontal_align: https://open.feishu.cn/document/feishu-cards/card-json-v2-components/containers/column-set */
const FLEX_MODES = ['none', 'stretch', 'flow', 'bisect', 'trisect'];
const VERTICAL_ALIGNS = ['top', 'center', 'bottom'];
const HORIZONTAL_ALIGNS = ['left', 'center', 'right'];
/**
 * A spacing (column_set horizontal_spacing, column, form and body vertical_spacing): small (4px), medium (8px), large
 * (12px), extra_large (16px) or [0,99]px on the 2.0 pages (form container, column set); the 1.0 pages' default is none of them.
 */
const SPACING_WORDS = ['small', 'medium', 'large', 'extra_large'];
/** text_align: https://open.feishu.cn/document/feishu-cards/card-json-v2-components/content-components/rich-text and …/content-components/plain-text */
const TEXT_ALIGNS = ['left', 'center', 'right'];
/** aspect_ratio: https://open.feishu.cn/document/feishu-cards/card-json-v2-components/content-components/chart */
const ASPECT_RATIOS = ['1:1', '2:1', '4:3', '16:9'];
/**
 * The interactions page (https://open.feishu.cn/document/feishu-cards/configuring-card-interactions): a behavior opens
 * a link (open_url) or asks for a callback (callback); form_action (submit, reset) is the form's own.
 */
const BEHAVIOR_TYPES = ['callback', 'open_url', 'form_action'];

/** `what` of `value` outside `allowed`, worded like the other refusals; [] when it is within or absent. */
function notOneOf(path: string, what: string, value: unknown, allowed: readonly string[]): string[] {
  if (value === undefined || (typeof value === 'string' && allowed.includes(value))) return [];
  return [`${path}: ${what} ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`];
}

/** A width of default, fill or a number of px from 100 (the button, input and select pages: "[100,∞)px"). */
function fieldWidthProblems(path: string, tag: string, width: unknown): string[] {
  if (width === undefined || width === 'default' || width === 'fill') return [];
  const px = typeof width === 'string' ? /^(\d+)px$/.exec(width) : null;
  return px && Number(px[1]) >= 100 ? [] : [`${path}: ${tag} width ${JSON.stringify(width)} is not default, fill or at least 100px`];
}

/** A spacing of small, medium, large, extra_large or 0px–99px (the column-set page). */
function spacingProblems(path: string, what: string, value: unknown): string[] {
  if (value === undefined || (typeof value === 'string' && SPACING_WORDS.includes(value))) return [];
  const px = typeof value === 'string' ? /^(\d+)px$/.exec(value) : null;
  return px && Number(px[1]) <= 99 ? [] : [`${path}: ${what} ${JSON.stringify(value)} is not small, medium, large, extra_large or 0px–99px`];
}

/** The layout keys a column, a form or the body share: vertical_align, horizontal_align, the two spacings. */
function layoutProblems(path: string, node: Record<string, unknown>): string[] {
  return [
    ...notOneOf(path, 'vertical_align', node.vertical_align, VERTICAL_ALIGNS),
    ...notOneOf(path, 'horizontal_align', node.horizontal_align, HORIZONTAL_ALIGNS),
    ...spacingProblems(path, 'vertical_spacing', node.vertical_spacing),
    ...spacingProblems(path, 'horizontal_spacing', node.horizontal_spacing),
  ];
}

/** A tagged object's enumerated values against the sets above; a select's initial_option among its options. */
export function enumProblems(path: string, node: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const tag = node.tag as string;
  switch (tag) {
    case 'button':
      problems.push(...notOneOf(path, 'button type', node.type, BUTTON_TYPES), ...notOneOf(path, 'button size', node.size, BUTTON_SIZES), ...fieldWidthProblems(path, tag, node.width));
      break;
    case 'input':
      problems.push(...notOneOf(path, 'input_type', node.input_type, INPUT_TYPES), ...notOneOf(path, 'label_position', node.label_position, LABEL_POSITIONS), ...fieldWidthProblems(path, tag, node.width));
      break;
    case 'select_static':
    case 'select_person':
    case 'multi_select_person':
      problems.push(...notOneOf(path, `${tag} type`, node.type, SELECT_TYPES), ...fieldWidthProblems(path, tag, node.width));
      break;
    case 'column_set':
      problems.push(
        ...notOneOf(path, 'flex_mode', node.flex_mode, FLEX_MODES),
        ...notOneOf(path, 'horizontal_align', node.horizontal_align, HORIZONTAL_ALIGNS),
        ...spacingProblems(path, 'horizontal_spacing', node.horizontal_spacing),
      );
      break;
    case 'column':
    case 'form':
      problems.push(...layoutProblems(path, node));
      break;
    case 'markdown':
    case 'plain_text':
      problems.push(...notOneOf(path, 'text_align', node.text_align, TEXT_ALIGNS));
      break;
    case 'chart':
      problems.push(...notOneOf(path, 'chart aspect_ratio', node.aspect_ratio, ASPECT_RATIOS));
      break;
  }
  if (node.behaviors !== undefined) {
    if (!Array.isArray(node.behaviors)) problems.push(`${path}: behaviors is not an array`);
    else node.behaviors.forEach((b, i) => problems.push(...notOneOf(`${path}.behaviors[${i}]`, 'behavior type', (b as { type?: unknown } | null)?.type ?? null, BEHAVIOR_TYPES)));
  }
  if ((tag === 'select_static' || tag === 'select_person') && node.initial_option !== undefined && Array.isArray(node.options) && node.options.length) {
    // the person picker's page: the initial option "须在 options 内"; a static select shows only one of its options as chosen
    const values = node.options.map((o) => (o as { value?: unknown } | null)?.value);
    if (!values.includes(node.initial_option)) problems.push(`${path}: initial_option ${JSON.stringify(node.initial_option)} is not one of the ${tag}'s options`);
  }
  if (tag === 'multi_select_person' && Array.isArray(node.selected_values) && Array.isArray(node.options) && node.options.length) {
    // its page: the selected values "需要和 options.value 对应"
    const values = node.options.map((o) => (o as { value?: unknown } | null)?.value);
    const stray = node.selected_values.filter((v) => !values.includes(v));
    if (stray.length) problems.push(`${path}: selected_values ${JSON.stringify(node.selected_values)} are not all among the multi_select_person's options (${JSON.stringify(stray)})`);
  }
  if (tag === 'date_picker' && node.initial_date !== undefined && (typeof node.initial_date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(node.initial_date))) {
    // its page: initial_date "格式为 yyyy-MM-dd"
    problems.push(`${path}: initial_date ${JSON.stringify(node.initial_date)} is not yyyy-MM-dd`);
  }
  return problems;
}

/** Every object with a `tag`, anywhere in the card, with its path. */
export function taggedObjects(card: unknown): { path: string; node: Record<string, unknown> }[] {
  const out: { path: string; node: Record<string, unknown> }[] = [];
  const walk = (v: unknown, path: string) => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (v && typeof v === 'object') {
      const node = v as Record<string, unknown>;
      // a callback's value is ours, carried back untouched: Feishu does not read tags inside it
      if (typeof node.tag === 'string') out.push({ path, node });
      for (const [k, x] of Object.entries(node)) if (k !== 'value' || typeof node.tag === 'string') walk(x, path ? `${path}.${k}` : k);
    }
  };
  walk(card, '');
  return out;
}

/**
 * Why Feishu would refuse this card, [] when it would not: at most 30 KB as it travels (the request body, measured
 * by `bodyBytes` when the caller has the body, else estimated by cardBodyBytes) and 200 tagged objects, in a 2.0
 * card no JSON 1.0 tags, inputs within their limits, and each component `name` unique across the whole card
 * (https://open.feishu.cn/document/feishu-cards/card-json-v2-structure; a repeated name fails the form's submit).
 */
export function cardRuleViolations(card: unknown, opts: { bodyBytes?: number } = {}): string[] {
  const problems: string[] = [];
  const c = card as { schema?: unknown; body?: { elements?: unknown } } | null;
  if (!c || typeof c !== 'object') return ['card is not a JSON object'];
  const v2 = c.schema === '2.0';
  const bytes = opts.bodyBytes ?? cardBodyBytes(card);
  if (bytes > MAX_CARD_CONTENT_BYTES) problems.push(`card takes ${bytes} bytes as sent (escaped in the request body), over 30 KB`);
  if (v2 && !Array.isArray(c.body?.elements)) problems.push('body.elements missing');
  const tagged = taggedObjects(card);
  if (tagged.length > MAX_CARD_TAGGED_OBJECTS) problems.push(`${tagged.length} tagged objects, over ${MAX_CARD_TAGGED_OBJECTS}`);
  const seen = new Map<string, string>();
  const elementIds = new Map<string, string>();
  for (const { path, node } of tagged) {
    if (v2 && JSON_1_ONLY_TAGS.has(node.tag as string)) problems.push(`${path}: tag "${node.tag}" does not exist in JSON 2.0`);
    else if (v2) problems.push(...propertyProblems(path, node), ...enumProblems(path, node));
    if (node.tag === 'input') problems.push(...inputProblems(path, node));
    if (node.tag === 'button') problems.push(...buttonProblems(path, node));
    if (typeof node.name === 'string' && node.name !== '') {
      const first = seen.get(node.name);
      if (first !== undefined) problems.push(`${path}: name "${node.name}" already used at ${first}`);
      else seen.set(node.name, path);
    }
    if (node.element_id !== undefined) {
      // "全局唯一。仅允许使用字母、数字和下划线，必须以字母开头，不得超过 20 字符" (the structure page)
      const id = node.element_id;
      if (typeof id !== 'string' || !/^[A-Za-z][A-Za-z0-9_]{0,19}$/.test(id)) problems.push(`${path}: element_id ${JSON.stringify(id)} is not a letter then at most 19 letters, digits or _`);
      else if (elementIds.has(id)) problems.push(`${path}: element_id "${id}" already used at ${elementIds.get(id)}`);
      else elementIds.set(id, path);
    }
  }
  if (v2) problems.push(...cardKeyProblems(c as Record<string, unknown>), ...structureProblems(c.body?.elements));
  return problems;
}

/** A button's text within MAX_BUTTON_TEXT_CHARS characters. */
function buttonProblems(path: string, node: Record<string, unknown>): string[] {
  const text = (node.text as { content?: unknown } | undefined)?.content;
  const chars = typeof text === 'string' ? [...text].length : 0;
  return chars > MAX_BUTTON_TEXT_CHARS ? [`${path}: button text of ${chars} characters, over ${MAX_BUTTON_TEXT_CHARS}`] : [];
}

/** Keys of the card, its config, header and body outside what the structure page documents; update_multi only true. */
function cardKeyProblems(c: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const unknown = (where: string, value: unknown, known: ReadonlySet<string>) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) for (const key of Object.keys(value)) if (!known.has(key)) problems.push(`${where}: unknown property "${key}"`);
  };
  unknown('card', c, CARD_KEYS);
  unknown('config', c.config, CONFIG_KEYS);
  unknown('header', c.header, HEADER_KEYS);
  unknown('body', c.body, BODY_KEYS);
  // "update_multi 参数仅支持设为 true" (https://open.feishu.cn/document/feishu-cards/card-json-v2-structure)
  const updateMulti = (c.config as { update_multi?: unknown } | undefined)?.update_multi;
  if (updateMulti !== undefined && updateMulti !== true) problems.push(`config: update_multi may only be true in JSON 2.0, not ${JSON.stringify(updateMulti)}`);
  problems.push(...notOneOf('config', 'width_mode', (c.config as { width_mode?: unknown } | undefined)?.width_mode, WIDTH_MODES));
  problems.push(...notOneOf('header', 'template', (c.header as { template?: unknown } | undefined)?.template, HEADER_TEMPLATES));
  const body = c.body as Record<string, unknown> | undefined;
  if (body && typeof body === 'object') problems.push(...layoutProblems('body', body));
  return problems;
}

/** A tagged object's properties against its component's page, and the ranges those pages give. */
function propertyProblems(path: string, node: Record<string, unknown>): string[] {
  const known = PROPERTIES[node.tag as string];
  if (!known) return [`${path}: tag "${String(node.tag)}" is not a component the simulation knows; add its documented properties to PROPERTIES in src/local/cardRules.ts`];
  const problems = Object.keys(node)
    .filter((key) => !known.has(key))
    .map((key) => `${path}: unknown property "${key}" on ${String(node.tag)}`);
  if (node.tag === 'column') {
    // https://open.feishu.cn/document/feishu-cards/card-json-v2-components/containers/column-set: width auto, weighted or
    // [16,600]px; weight an integer from 1 to 5
    const { width, weight } = node;
    const px = typeof width === 'string' ? /^(\d+)px$/.exec(width) : null;
    if (width !== undefined && width !== 'auto' && width !== 'weighted' && !(px && Number(px[1]) >= 16 && Number(px[1]) <= 600)) problems.push(`${path}: column width ${JSON.stringify(width)} is not auto, weighted or 16px–600px`);
    if (weight !== undefined && !(typeof weight === 'number' && Number.isInteger(weight) && weight >= 1 && weight <= 5)) problems.push(`${path}: column weight ${JSON.stringify(weight)} is not an integer from 1 to 5`);
  }
  const placeholder = (node.placeholder as { content?: unknown } | undefined)?.content;
  // the input, date picker and person picker pages: a placeholder of at most 100 characters
  if (typeof placeholder === 'string' && [...placeholder].length > 100) problems.push(`${path}: placeholder of ${[...placeholder].length} characters, over 100`);
  if (node.tag === 'markdown' && typeof node.content === 'string') problems.push(...markdownProblems(path, node.content));
  return problems;
}

/**
 * What the rich-text page refuses in a markdown element: a mention of everyone ("Mentioning everyone requires group owner
 * permission. If not enabled, the card will fail to send") and more than four tables in one element
 * (https://open.feishu.cn/document/feishu-cards/card-json-v2-components/content-components/rich-text); a mention of
 * someone who is no user, and the links Feishu cannot take (mentionProblems, linkProblems).
 */
function markdownProblems(path: string, content: string): string[] {
  const problems: string[] = [];
  if (/<at\s+(?:id|user_id)\s*=\s*["']?all\b/i.test(content)) problems.push(`${path}: markdown mentions everyone (<at id=all>)`);
  const tables = content.split('\n').filter((line) => /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$/.test(line)).length;
  if (tables > 4) problems.push(`${path}: ${tables} tables in one markdown element, over 4`);
  problems.push(...mentionProblems(path, content), ...linkProblems(path, content));
  return problems;
}

/**
 * An open_id as Feishu issues it: ou_ and lowercase letters and digits (the test worlds' ids add _ and capitals, which
 * an id Feishu resolved would not hold but which name no one else either).
 */
const OPEN_ID = /^ou_\w+$/;

/**
 * `<at id=…>` naming no user: "ErrCode: 100290; ErrMsg: There is an invalid user resource(at/person) in your card;
 * ErrorValue: %v" (230099 子错误码, https://open.feishu.cn/document/server-docs/im-v1/message/create). The bot has
 * only open_ids (no user_id permission), so an id of another form (a union_id on_…, an e-mail, the placeholder
 * pending:m:13800000001 an import keeps for someone who never wrote to the bot) is no one Feishu can find.
 */
function mentionProblems(path: string, content: string): string[] {
  const problems: string[] = [];
  for (const m of content.matchAll(/<at\s+id\s*=\s*["']?([^"'\s>]*)/gi)) {
    if (m[1] !== 'all' && !OPEN_ID.test(m[1])) problems.push(`${path}: ext=ErrCode: 100290; ErrMsg: There is an invalid user resource(at/person) in your card; ErrorValue: ${m[1]}`);
  }
  return problems;
}

/** `[text](url)`, not an image `![…](img_key)`: the destination. */
const MARKDOWN_LINK = /(?<!!)\[[^\]\n]*\]\(([^)\n]*)\)/g;
/** A scheme's `://` and the run of visible ASCII after it, when a character beyond ASCII follows at once. */
const GLUED_URL = /\b[A-Za-z][A-Za-z0-9+.-]*:\/\/[\x21-\x7e]*(?=[^\x00-\x7f])/g;

/**
 * The links Feishu refuses in card markdown (飞书卡片常见问题, 发送卡片问题 4–6,
 * https://open.feishu.cn/document/common-capabilities/message-card/message-card):
 * - Q5: "markdown 文本中带有明文链接有时候会发送失败 … `https://xxxx.xxx中文文本` … 判断为一个不合法链接": a bare address with
 *   text beyond ASCII glued to it (a space between them, or no link at all, is the fix);
 * - Q6: "卡片中的链接不支持特殊字符。建议将对应的参数转义", `https://open.feishu.cn?time=31/12/2014 23:59:59` to be sent as
 *   `?time=31%2F12%2F2014%2023%3A59%3A59`: a link's query holding `/`, `:` or a space, and a link holding a space or
 *   characters beyond ASCII anywhere (what URL encoding exists for);
 * - Q4: "目前不支持不合法的URL，仅支持 http 和 https" (and the rich-text page's tel: for a phone number).
 * The FAQ gives no sub-code of 230099 for these: refused as 230099 "Failed to create card content" naming the link.
 */
function linkProblems(path: string, content: string): string[] {
  const problems: string[] = [];
  for (const m of content.matchAll(MARKDOWN_LINK)) {
    const url = m[1];
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url)?.[1].toLowerCase();
    const query = /\?([^#]*)/.exec(url)?.[1] ?? '';
    const why = /\s/.test(url)
      ? 'holds a space'
      : /[^\x00-\x7f]/.test(url)
        ? 'holds characters that are not percent-encoded'
        : /[/:]/.test(query)
          ? 'holds / or : in its query, not percent-encoded'
          : scheme !== undefined && !['http', 'https', 'tel'].includes(scheme)
            ? `has the scheme ${scheme}, not http or https`
            : undefined;
    if (why) problems.push(`${path}: invalid link ${JSON.stringify(url)} in markdown: it ${why}`);
  }
  // links, tags and their attributes are no bare text
  const bare = content.replace(MARKDOWN_LINK, ' ').replace(/<[^>\n]*>/g, ' ');
  for (const m of bare.matchAll(GLUED_URL)) {
    const glued = bare.slice(m.index, m.index + m[0].length + 8).split(/\s/)[0];
    problems.push(`${path}: invalid link ${JSON.stringify(glued)} in markdown: a bare address with text beyond ASCII right after it`);
  }
  return problems;
}

/**
 * The form container's rules (https://open.feishu.cn/document/feishu-cards/card-json-v2-components/containers/form-container):
 * a form sits only at the card's root, has a name, holds no form, table or chart, and has a submit button; every field
 * and button in it has a name ("otherwise, the data submission will fail"), and a submit or reset button is in a form.
 * A field's `required` works only in a form ("In other cases, it will error out or be ineffective"), and the
 * multi-select person picker exists only in one ("only supported for use embedded within a form container").
 */
function structureProblems(elements: unknown): string[] {
  const problems: string[] = [];
  const walk = (node: unknown, path: string, atRoot: boolean, form: { hasSubmit: boolean } | undefined, depth = 0) => {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return;
    const el = node as Record<string, unknown>;
    const tag = el.tag;
    const level = CONTAINERS.has(tag as string) ? depth + 1 : depth;
    if (level > MAX_CONTAINER_DEPTH && CONTAINERS.has(tag as string)) problems.push(`${path}: containers nested ${level} deep, over ${MAX_CONTAINER_DEPTH}`);
    if (form && NOT_IN_FORM.has(tag as string)) problems.push(`${path}: a ${String(tag)} may not sit in a form`);
    if (tag === 'form' && !form) {
      if (!atRoot) problems.push(`${path}: a form may sit only at the card's root (body.elements)`);
      if (typeof el.name !== 'string' || el.name === '') problems.push(`${path}: a form has no name`);
    }
    if (FORM_FIELDS.has(tag as string) || tag === 'button') {
      if (form && (typeof el.name !== 'string' || el.name === '')) problems.push(`${path}: ${String(tag)} in a form has no name`);
      if (!form && el.required !== undefined) problems.push(`${path}: required on a ${String(tag)} outside a form`);
      if (!form && tag === 'multi_select_person') problems.push(`${path}: multi_select_person outside a form`);
    }
    if (tag === 'button' && el.form_action_type !== undefined) {
      if (!form) problems.push(`${path}: a ${String(el.form_action_type)} button outside a form`);
      else if (el.form_action_type === 'submit') form.hasSubmit = true;
    }
    const inner = tag === 'form' && !form ? { hasSubmit: false } : form;
    for (const key of ['elements', 'columns']) {
      const children = el[key];
      if (Array.isArray(children)) children.forEach((child, i) => walk(child, `${path}.${key}[${i}]`, false, inner, level));
    }
    if (inner && inner !== form && !inner.hasSubmit) problems.push(`${path}: a form without a submit button (form_action_type "submit")`);
  };
  if (Array.isArray(elements)) elements.forEach((el, i) => walk(el, `body.elements[${i}]`, true, undefined));
  return problems;
}

/**
 * An input's own limits: max_length is an integer from 1 to 1 000
 * (https://open.feishu.cn/document/feishu-cards/card-json-v2-components/interactive-components/input), and what
 * is pre-filled (default_value) may not be longer than it: what the user could not have typed is refused.
 */
function inputProblems(path: string, node: Record<string, unknown>): string[] {
  const max = node.max_length;
  if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 1000)) return [`${path}: max_length ${String(max)} is not within 1–1000`];
  const value = node.default_value;
  const limit = typeof max === 'number' ? max : 1000;
  if (typeof value === 'string' && value.length > limit) return [`${path}: default_value of ${value.length} characters is longer than max_length ${limit}`];
  return [];
}

/** The component of this name, anywhere in the card (names are unique card-wide). */
export function findComponentByName(card: unknown, name: string): Record<string, unknown> | undefined {
  return taggedObjects(card).find((t) => t.node.name === name)?.node;
}
