import { describe, expect, it } from 'vitest';
import { cardRuleViolations, enumProblems } from '../src/local/cardRules.js';

/** A JSON 2.0 card around `elements`, with what the kit sets (update_multi, width_mode fill, a blue header). */
const cardOf = (elements: unknown[], over: { config?: Record<string, unknown>; header?: Record<string, unknown>; body?: Record<string, unknown> } = {}) => ({
  schema: '2.0',
  config: { update_multi: true, width_mode: 'fill', ...over.config },
  header: { title: { tag: 'plain_text', content: '标题' }, template: 'blue', ...over.header },
  body: { elements, ...over.body },
});
const text = (content: string) => ({ tag: 'plain_text', content });
const button = (props: Record<string, unknown>) => ({ tag: 'button', text: text('确定'), behaviors: [{ type: 'callback', value: { action: 'x' } }], ...props });
const input = (props: Record<string, unknown>) => ({ tag: 'input', name: 'reason', label: text('原因'), ...props });
const columnSet = (props: Record<string, unknown>, column: Record<string, unknown> = {}) => ({
  tag: 'column_set',
  ...props,
  columns: [{ tag: 'column', width: 'auto', ...column, elements: [{ tag: 'markdown', content: '列' }] }],
});
const options = [{ text: text('甲'), value: 'a' }, { text: text('乙'), value: 'b' }];

/** Each accepted value gives no problem; each refused one exactly one, naming the value. */
function expectSet(make: (v: unknown) => unknown, accepted: unknown[], refused: unknown[], says: RegExp) {
  for (const v of accepted) expect(cardRuleViolations(make(v)), `${JSON.stringify(v)} is documented`).toEqual([]);
  for (const v of refused) {
    const problems = cardRuleViolations(make(v));
    expect(problems, `${JSON.stringify(v)} is refused`).toHaveLength(1);
    expect(problems[0]).toMatch(says);
    expect(problems[0]).toContain(JSON.stringify(v));
  }
}

describe('the values Feishu documents as a closed set', () => {
  it('header template: the 13 colours', () => {
    const colours = ['blue', 'wathet', 'turquoise', 'green', 'yellow', 'orange', 'red', 'carmine', 'violet', 'purple', 'indigo', 'grey', 'default'];
    expectSet((template) => cardOf([], { header: { template } }), colours, ['pink', 'Blue', 'gray', '#ff0000', 3], /^header: template .* is not one of blue, wathet/);
  });

  it('config.width_mode: default, compact, fill', () => {
    expectSet((width_mode) => cardOf([], { config: { width_mode } }), ['default', 'compact', 'fill'], ['wide', 'full', true], /^config: width_mode .* is not one of default, compact, fill$/);
  });

  it('button type, size and width', () => {
    const types = ['default', 'primary', 'danger', 'text', 'primary_text', 'danger_text', 'primary_filled', 'danger_filled', 'laser'];
    expectSet((type) => cardOf([button({ type })]), types, ['secondary', 'info', 'error', 'link'], /button type .* is not one of default, primary/);
    expectSet((size) => cardOf([button({ size })]), ['tiny', 'small', 'medium', 'large'], ['big', 'x-large'], /button size .* is not one of tiny, small, medium, large$/);
    expectSet((width) => cardOf([button({ width })]), ['default', 'fill', '100px', '320px'], ['auto', '99px', '50%', 120], /button width .* is not default, fill or at least 100px$/);
  });

  it('input input_type, label_position and width', () => {
    expectSet((input_type) => cardOf([input({ input_type })]), ['text', 'multiline_text', 'password'], ['textarea', 'multiline', 'date', 'number', 'telephone', 'email'], /input_type .* is not one of text, multiline_text, password/);
    expectSet((label_position) => cardOf([input({ label_position })]), ['top', 'left'], ['right', 'bottom', 'above'], /label_position .* is not one of top, left$/);
    expectSet((width) => cardOf([input({ width })]), ['default', 'fill', '300px'], ['auto', '80px'], /input width .* is not default, fill or at least 100px$/);
  });

  it('column_set flex_mode, horizontal_spacing and horizontal_align', () => {
    expectSet((flex_mode) => cardOf([columnSet({ flex_mode })]), ['none', 'stretch', 'flow', 'bisect', 'trisect'], ['wrap', 'flex', 'fill'], /flex_mode .* is not one of none, stretch, flow, bisect, trisect$/);
    expectSet(
      (horizontal_spacing) => cardOf([columnSet({ horizontal_spacing })]),
      ['small', 'medium', 'large', 'extra_large', '0px', '8px', '99px'],
      ['8', '8 px', '100px', 'huge', 8, 'default'],
      /horizontal_spacing .* is not small, medium, large, extra_large or 0px–99px$/,
    );
    expectSet((horizontal_align) => cardOf([columnSet({ horizontal_align })]), ['left', 'center', 'right'], ['middle', 'justify'], /horizontal_align .* is not one of left, center, right$/);
  });

  it('column width auto, weighted or 16px–600px, weight 1–5, vertical_align and vertical_spacing', () => {
    expectSet((width) => cardOf([columnSet({}, { width })]), ['auto', 'weighted', '16px', '600px'], ['fill', '15px', '601px', '50%'], /column width .* is not auto, weighted or 16px–600px$/);
    expectSet((weight) => cardOf([columnSet({}, { width: 'weighted', weight })]), [1, 3, 5], [0, 6, 1.5, '2'], /column weight .* is not an integer from 1 to 5$/);
    expectSet((vertical_align) => cardOf([columnSet({}, { vertical_align })]), ['top', 'center', 'bottom'], ['middle', 'stretch'], /vertical_align .* is not one of top, center, bottom$/);
    expectSet((vertical_spacing) => cardOf([columnSet({}, { vertical_spacing })]), ['medium', 'large', '4px'], ['tight', '-4px'], /vertical_spacing .* is not small, medium, large, extra_large or 0px–99px$/);
  });

  it('the body takes the same layout values', () => {
    expectSet((vertical_spacing) => cardOf([], { body: { vertical_spacing } }), ['small', '12px'], ['roomy'], /^body: vertical_spacing/);
    expectSet((vertical_align) => cardOf([], { body: { vertical_align } }), ['top'], ['middle'], /^body: vertical_align/);
  });

  it('markdown and plain_text text_align; text_size is not refused (Feishu shows another as normal)', () => {
    expectSet((text_align) => cardOf([{ tag: 'markdown', content: '正文', text_align }]), ['left', 'center', 'right'], ['justify', 'start'], /text_align .* is not one of left, center, right$/);
    expectSet((text_align) => cardOf([button({ text: { tag: 'plain_text', content: '确定', text_align } })]), ['left', 'center', 'right'], ['middle'], /text\.text_align|text_align .* is not one of left, center, right$/);
    expect(cardRuleViolations(cardOf([{ tag: 'markdown', content: '正文', text_size: 'notation' }, { tag: 'markdown', content: '正文', text_size: 'notation_small_v2' }]))).toEqual([]);
  });

  it('chart aspect_ratio: 1:1, 2:1, 4:3, 16:9', () => {
    const chart = (aspect_ratio: unknown) => ({ tag: 'chart', aspect_ratio, chart_spec: { type: 'bar', data: { values: [] } } });
    expectSet((r) => cardOf([chart(r)]), ['1:1', '2:1', '4:3', '16:9'], ['3:2', '4/3', '16:10'], /chart aspect_ratio .* is not one of 1:1, 2:1, 4:3, 16:9$/);
  });

  it('behaviors type: callback, open_url, form_action', () => {
    expectSet(
      (type) => cardOf([button({ behaviors: [{ type, value: { action: 'x' } }] })]),
      ['callback', 'open_url', 'form_action'],
      ['click', 'submit', 'url', null],
      /behaviors\[0\]: behavior type .* is not one of callback, open_url, form_action$/,
    );
    expect(cardRuleViolations(cardOf([button({ behaviors: { type: 'callback' } })]))).toEqual([expect.stringContaining('behaviors is not an array')]);
  });

  it('a select and a person picker: initial_option one of the options, when options are given', () => {
    const select = (initial_option: unknown) => ({ tag: 'select_static', name: 'pick', options, initial_option });
    expectSet((v) => cardOf([select(v)]), ['a', 'b'], ['c', 'A', 1], /initial_option .* is not one of the select_static's options$/);
    const person = (initial_option: unknown, opts?: unknown[]) => ({ tag: 'select_person', name: 'who', ...(opts ? { options: opts } : {}), initial_option });
    const people = [{ value: 'ou_1' }, { value: 'ou_2' }];
    expectSet((v) => cardOf([person(v, people)]), ['ou_1', 'ou_2'], ['ou_3'], /initial_option "ou_3" is not one of the select_person's options$/);
    // without options Feishu offers the chat's members: any person may be the initial one
    expect(cardRuleViolations(cardOf([person('ou_9')]))).toEqual([]);
    expect(cardRuleViolations(cardOf([person('ou_9', [])]))).toEqual([]);
  });

  it('a select type and width', () => {
    expectSet((type) => cardOf([{ tag: 'select_static', name: 'pick', options, type }]), ['default', 'text'], ['primary', 'border'], /select_static type .* is not one of default, text$/);
    expectSet((width) => cardOf([{ tag: 'select_person', name: 'who', width }]), ['default', 'fill', '200px'], ['auto'], /select_person width/);
  });

  it('is worded like the other refusals: the path, then what is wrong', () => {
    expect(enumProblems('body.elements[0]', { tag: 'button', type: 'secondary' })).toEqual(['body.elements[0]: button type "secondary" is not one of default, primary, danger, text, primary_text, danger_text, primary_filled, danger_filled, laser']);
    expect(enumProblems('body.elements[0]', { tag: 'button', type: 'primary' })).toEqual([]);
  });

  it('a JSON 1.0 card is not held to the 2.0 pages', () => {
    expect(cardRuleViolations({ header: { template: 'pink' }, elements: [{ tag: 'markdown', content: 'x', text_align: 'justify' }] })).toEqual([]);
  });
});

describe('values that must name something else in the card', () => {
  const form = (field: Record<string, unknown>) => cardOf([{ tag: 'form', name: 'f', elements: [field, button({ name: 'go', form_action_type: 'submit' })] }]);
  const people = [{ value: 'ou_a' }, { value: 'ou_b' }];

  it('a multi_select_person’s selected values: among its options ("需要和 options.value 对应")', () => {
    expectSet((v) => form({ tag: 'multi_select_person', name: 'members', options: people, selected_values: v }), [['ou_a'], ['ou_a', 'ou_b'], []], [['ou_c'], ['ou_a', 'ou_z']], /selected_values .* are not all among the multi_select_person's options/);
  });

  it('a date picker’s initial date: yyyy-MM-dd ("格式为 yyyy-MM-dd")', () => {
    expectSet((v) => form({ tag: 'date_picker', name: 'day', initial_date: v }), ['2027-05-31'], ['2027/05/31', '31-05-2027', '2027-05-31 10:00', 20270531], /initial_date .* is not yyyy-MM-dd$/);
  });
});
