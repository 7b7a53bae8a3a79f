import { type FieldSpec, type FormDescriptor, fieldName } from '../forms.js';

/**
 * A form descriptor as HTML inputs, for the public pages (src/web/complaintForm.ts): each field's label, the
 * article and help as a hint, “选填” where optional, `required`, `maxlength` and the placeholder from the
 * descriptor. Whatever is shown of a value is HTML-escaped: it may come from the address (`?team=…`).
 * Long texts get a live count instead of `maxlength`, so a pasted text over the limit is not cut silently:
 * the check refuses it and names the field, as it does on the card.
 */

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => entities[c]);

const attrs = (a: Record<string, string | number | boolean | undefined>) =>
  Object.entries(a)
    .filter(([, v]) => v !== undefined && v !== false)
    .map(([k, v]) => (v === true ? ` ${k}` : ` ${k}="${escapeHtml(String(v))}"`))
    .join('');

/** The hint after the label: “第二十二条：将告知班组”, “选填，电话或邮箱，便于协会回访”. */
export function htmlHint(f: FieldSpec): string {
  const note = [f.article, f.help].filter(Boolean).join('：');
  return [f.required === false ? '选填' : '', note].filter(Boolean).join('，');
}

const typedText = (v: unknown): string => {
  if (Array.isArray(v)) return typedText(v[0]);
  return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
};

function control(name: string, f: FieldSpec, value: string, autocomplete: string | undefined): string {
  const common = { id: name, name, required: f.required !== false, 'aria-required': f.required !== false ? 'true' : undefined, 'aria-describedby': htmlHint(f) ? `${name}-hint` : undefined, placeholder: f.placeholder };
  switch (f.kind) {
    case 'longText':
      // characters as the server and the page's script count them (code points): an emoji is one, not two UTF-16 units
      return `<textarea${attrs({ ...common, 'data-max': f.maxLength })}>${escapeHtml(value)}</textarea>\n    <div class="count" id="${name}-count" aria-live="polite">${Array.from(value).length} / ${f.maxLength}</div>`;
    case 'text':
      return `<input${attrs({ ...common, maxlength: f.maxLength, autocomplete: autocomplete ?? 'off', value: value || undefined })}>`;
    case 'url':
      return `<input${attrs({ ...common, type: 'url', maxlength: f.maxLength ?? 500, autocomplete: autocomplete ?? 'url', value: value || undefined })}>`;
    case 'number':
    case 'integer':
    case 'percent':
      // typed as text, read by the one number reader (“７”, “85分”, “96％”) on the server
      return `<input${attrs({ ...common, inputmode: f.kind === 'integer' ? 'numeric' : 'decimal', maxlength: 12, autocomplete: 'off', value: value || undefined })}>`;
    case 'date':
      return `<input${attrs({ ...common, type: 'date', value: /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : undefined })}>`;
    case 'select':
      return `<select${attrs(common)}><option value="">请选择</option>${f.options.map((o) => `<option${attrs({ value: o.value, selected: o.value === value })}>${escapeHtml(o.label)}</option>`).join('')}</select>`;
    case 'checkbox':
      return `<input${attrs({ ...common, type: 'checkbox', value: 'true', checked: value === 'true' })}>`;
    case 'person':
    case 'persons':
      throw new Error(`a person picker (${name}) has no public web form: people are picked in Feishu`);
  }
}

/**
 * The inputs of a descriptor, each with its label and hint, filled with `values` (escaped). `autocomplete`
 * gives the browser's hint per field (contact → tel); text fields default to off.
 */
export function htmlInputs(d: FormDescriptor, values: Record<string, unknown> = {}, opts: { autocomplete?: Record<string, string> } = {}): string {
  return Object.entries(d.fields)
    .map(([name, f]) => {
      const hint = htmlHint(f);
      return [
        `<label for="${name}">${escapeHtml(fieldName(f))}${hint ? ` <span class="hint" id="${name}-hint">${escapeHtml(hint)}</span>` : ''}</label>`,
        `    ${control(name, f, typedText(values[name]), opts.autocomplete?.[name])}`,
      ].join('\n');
    })
    .join('\n    ');
}
