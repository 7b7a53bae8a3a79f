import type { DisplayRow, FieldSpec, FormDescriptor } from '../src/forms.js';
import { type ActionValue, asTyped, type Element, fields, link, markdown, md, mdJoin, plain, clipText, cutText } from './kit.js';

/** A refused form's problem (src/errors.ts `formErrorOf`): its message and field, and each problem when the form had several. */
export interface FormError {
  field?: string;
  message: string;
  problems?: readonly string[];
}

/**
 * What a refused form says above its inputs, in red: `**请修改：** …`, or under `heading` each problem on its own line when
 * the form had several (a form with five mistakes is fixed in one go). `heading` as the card words a refusal: 请修改, 未保存, 未提交 (`style`: its colon in the bold or after it).
 */
export function refusalBanner(error: FormError | string | undefined, heading = '请修改', style: 'colonInBold' | 'colonAfter' = 'colonInBold'): Element[] {
  if (error === undefined) return [];
  const { message, problems } = typeof error === 'string' ? { message: error, problems: undefined } : error;
  if (!problems || problems.length < 2) {
    return [markdown(style === 'colonInBold' ? md`<font color='red'>**${heading}：** ${message}</font>` : md`<font color='red'>**${heading}**：${message}</font>`)];
  }
  return [markdown(md`<font color='red'>**${heading}（共 ${problems.length} 处）：**</font>\n${mdJoin(problems.map((p) => md`- ${p}`), '\n')}`)];
}

/** Form inputs of card JSON 2.0. Every field has a name: the callback's form_value is keyed by it. */

export function form(name: string, elements: Element[]): Element {
  return { tag: 'form', name, elements };
}

/** The most a card's text input holds (its `max_length` and `default_value`): Feishu accepts 1–1000. */
export const INPUT_MAX_LENGTH = 1000;

/**
 * The element_id (with the input's name after it) of an input filled with a person's own words stored nowhere yet (the
 * complaint typed after 投诉 <班组>): refused by the tenant's DLP, it goes filled with the phone numbers and e-mails
 * masked rather than empty, the words kept (src/outbox.ts `shownMasked`).
 */
export const DRAFT_INPUT_ID = 'draft_';

export function textInput(opts: {
  name: string;
  label: string;
  placeholder?: string;
  value?: string;
  required?: boolean;
  maxLength?: number;
  multiline?: boolean;
  /** `value` is the person's own words, stored nowhere yet (DRAFT_INPUT_ID) */
  draft?: boolean;
}): Element {
  // Feishu accepts max_length 1–1000; longer text is refused on submit by the field's own check
  const max = Math.min(opts.maxLength ?? INPUT_MAX_LENGTH, INPUT_MAX_LENGTH);
  return {
    tag: 'input',
    name: opts.name,
    label: plain(opts.label),
    label_position: 'top',
    placeholder: plain(opts.placeholder ?? `请输入${opts.label}`),
    required: opts.required ?? false,
    // a kept value longer than the input takes (words typed after 投诉, a pasted text refused as too long) would make
    // Feishu refuse the whole card: the input gets what it can hold
    ...(opts.value !== undefined && opts.value !== '' ? { default_value: cutText(opts.value, max) } : {}),
    ...(opts.maxLength ? { max_length: max } : {}),
    ...(opts.multiline ? { input_type: 'multiline_text', rows: 3, auto_resize: true, max_rows: 8 } : {}),
    ...(opts.draft ? { element_id: `${DRAFT_INPUT_ID}${opts.name}` } : {}),
  };
}

/** JSON 2.0 has no number input: a text input, validated on submit. */
export function numberInput(opts: { name: string; label: string; value?: number | string; required?: boolean; placeholder?: string }): Element {
  // a default longer than the input's max length would be refused: what is kept of a typed value is cut to it
  return textInput({ name: opts.name, label: opts.label, value: opts.value === undefined ? undefined : cutText(String(opts.value), 12), required: opts.required, placeholder: opts.placeholder ?? '请输入数字', maxLength: 12 });
}

export function selectStatic(opts: { name: string; label: string; options: { text: string; value: string }[]; value?: string; required?: boolean; placeholder?: string }): Element {
  return labelled(opts.label, {
    tag: 'select_static',
    name: opts.name,
    placeholder: plain(opts.placeholder ?? `请选择${opts.label}`),
    required: opts.required ?? false,
    options: opts.options.map((o) => ({ text: plain(o.text), value: o.value })),
    // only one of its options can show as chosen: a value from elsewhere (a forged callback, an option since removed)
    // leaves the select empty, and the refusal names the field
    ...(opts.value && opts.options.some((o) => o.value === opts.value) ? { initial_option: opts.value } : {}),
  });
}

/** A person picker; without options Feishu offers the members of the current chat and the organisation's search. */
export function personPicker(opts: { name: string; label: string; value?: string; required?: boolean; options?: string[]; placeholder?: string }): Element {
  return labelled(opts.label, {
    tag: 'select_person',
    name: opts.name,
    placeholder: plain(opts.placeholder ?? `请选择${opts.label}`),
    required: opts.required ?? false,
    ...(opts.options?.length ? { options: opts.options.map((value) => ({ value })) } : {}),
    ...(opts.value ? { initial_option: opts.value } : {}),
  });
}

/** What a multi picker submitted, as the form gives it (one value or many): its values as strings. */
export function pickedValues(picked: unknown): string[] {
  return (Array.isArray(picked) ? picked : typeof picked === 'string' && picked ? [picked] : []).map(String);
}

export function multiPersonPicker(opts: { name: string; label: string; values?: string[]; required?: boolean; options?: string[]; placeholder?: string }): Element {
  return labelled(opts.label, {
    tag: 'multi_select_person',
    name: opts.name,
    placeholder: plain(opts.placeholder ?? `请选择${opts.label}`),
    required: opts.required ?? false,
    ...(opts.options?.length ? { options: opts.options.map((value) => ({ value })) } : {}),
    ...(opts.values?.length ? { selected_values: opts.values } : {}),
  });
}

/** Beside a person picker: someone the picker cannot offer, named by mobile number or e-mail and looked up in the tenant's address book. */
export function personLookupInput(opts: { name: string; label: string; value?: string }): Element {
  return textInput({ name: opts.name, label: opts.label, value: opts.value, maxLength: 500, placeholder: '飞书账号的手机号或邮箱；多人用逗号分隔' });
}

export function datePicker(opts: { name: string; label: string; value?: string; required?: boolean }): Element {
  return labelled(opts.label, {
    tag: 'date_picker',
    name: opts.name,
    placeholder: plain('请选择日期'),
    required: opts.required ?? false,
    ...(opts.value ? { initial_date: opts.value } : {}),
  });
}

export function checker(opts: { name: string; text: string; checked?: boolean; required?: boolean }): Element {
  return { tag: 'checker', name: opts.name, checked: opts.checked ?? false, text: plain(opts.text) };
}

/** The form's submit button; `name` tells apart two submit buttons of one form (推荐 / 退回). */
export function submitButton(opts: { text: string; name: string; value: ActionValue; type?: 'primary' | 'default' | 'danger' | 'primary_filled'; confirm?: { title: string; text: string } }): Element {
  return {
    tag: 'button',
    name: opts.name,
    text: plain(opts.text),
    type: opts.type ?? 'primary',
    form_action_type: 'submit',
    ...(opts.confirm ? { confirm: { title: plain(opts.confirm.title), text: plain(opts.confirm.text) } } : {}),
    behaviors: [{ type: 'callback', value: opts.value }],
  };
}

/** Selects have no label of their own: a small markdown line above. */
function labelled(label: string, element: Element): Element {
  return { tag: 'column_set', columns: [{ tag: 'column', width: 'weighted', weight: 1, elements: [markdown(md`**${label}**`), element] }] };
}

/** The label a descriptor's field shows: “培训率 % *（第七条第4款：须达 90% 以上）”. */
export function inputLabel(f: FieldSpec): string {
  const note = [f.article, f.help].filter(Boolean).join('：');
  return `${f.label}${f.kind === 'percent' ? ' %' : ''}${f.required === false ? '' : ' *'}${note ? `（${note}）` : ''}`;
}

const shown = (v: unknown) => {
  if (Array.isArray(v)) return v.length ? String(v[0]) : undefined;
  return v === undefined || v === null || v === '' ? undefined : String(v);
};

/**
 * The inputs of any form descriptor, each filled with what was typed (kept after a refusal: pass the
 * callback's form_value back in). `people` gives a person picker its options. `clientRequired` lets the
 * client refuse an empty required field before sending: not for a form that also saves drafts.
 */
export function formInputs(
  d: FormDescriptor,
  values: Record<string, unknown> = {},
  opts: { people?: Record<string, string[]>; clientRequired?: boolean; drafts?: readonly string[] } = {},
): Element[] {
  return Object.entries(d.fields).map(([name, f]) => {
    const label = inputLabel(f);
    // the field's name alone: “请选择谢绝原因类型”, not its label's “ *（第十七条）”
    const choose = `请选择${f.label}`;
    const value = shown(values[name]);
    // a picker with a look-up field beside it (`contact` and `contactLookup`) is filled by either: the client must not
    // refuse it empty, or the look-up field could never be used (the server still asks for one of the two)
    const required = !!opts.clientRequired && f.required !== false && !((f.kind === 'person' || f.kind === 'persons') && `${name}Lookup` in d.fields);
    switch (f.kind) {
      case 'text':
      case 'longText':
        return textInput({ name, label, value, required, maxLength: f.maxLength, multiline: f.kind === 'longText', placeholder: f.placeholder ?? (f.example && `如 ${f.example}`), draft: opts.drafts?.includes(name) });
      case 'url':
        return textInput({ name, label, value, required, maxLength: f.maxLength ?? 500, placeholder: f.placeholder ?? 'https://' });
      case 'number':
      case 'integer':
      case 'percent':
        return numberInput({ name, label, value, required, placeholder: f.placeholder ?? `${f.min}–${f.max}${f.step === 0.5 ? '，整分或半分' : ''}` });
      case 'date':
        // a picker shows only a date it can: what was typed otherwise is named in the refusal
        return datePicker({ name, label, required, value: value && /^\d{4}-\d{2}-\d{2}/.test(value) ? value.slice(0, 10) : undefined });
      case 'select':
        return selectStatic({ name, label, required, options: f.options.map((o) => ({ text: o.label, value: o.value })), value, placeholder: choose });
      case 'person': {
        const people = opts.people?.[name] ?? [];
        // Feishu requires a picker's initial_option to be one of its options
        return personPicker({ name, label, value, required, options: value && !people.includes(value) ? [value, ...people] : people, placeholder: choose });
      }
      case 'persons': {
        const picked = values[name];
        return multiPersonPicker({ name, label, required, values: Array.isArray(picked) ? picked.map(String) : value ? [value] : [], options: opts.people?.[name], placeholder: choose });
      }
      case 'checkbox':
        return checker({ name, text: label, checked: values[name] === true || values[name] === 'true', required });
    }
  });
}

/** A stored form, read-only: short fields in one block, long texts each under its label, links as links. */
export function formDisplayElements(rows: DisplayRow[], opts: { clip?: number } = {}): Element[] {
  const clip = (s: string) => (opts.clip ? clipText(s, opts.clip) : s);
  const short = rows.filter((r) => r.kind !== 'longText' && r.kind !== 'url');
  // what was filled in is a person's own words (asTyped: a 请联系协会 of theirs is given no contact)
  const out: Element[] = short.length ? [fields(short.map((r) => [r.label, r.text ? asTyped(r.text) : r.text]))] : [];
  for (const r of rows) {
    if (r.kind === 'longText') out.push(markdown(md`**${r.label}**\n${r.text ? asTyped(clip(r.text)) : '—'}`));
    if (r.kind === 'url') out.push(markdown(r.text ? md`**${r.label}**：${link('查看完整材料', r.text)}` : md`**${r.label}**：—`));
  }
  return out;
}
