import type { FormDescriptor } from '../src/forms.js';
import { type FormError, form, formInputs, refusalBanner, submitButton } from './forms.js';
import { button, buttonRow, CARD_BYTES_BUDGET, type Card, card, cardBodyBytes, escapeText, markdown, md, note } from './kit.js';

/** 协会联系方式 as an administrator set it (src/associationContact.ts): how a team leader on a phone reaches the association. */
export interface AssociationContact {
  /** 联系人或部门: 协会秘书处 张三. */
  name: string;
  phone?: string;
  email?: string;
  /** 办公时间: 工作日 9:00–17:00. */
  hours?: string;
}

/** The one wording of the contact: 协会秘书处 张三，电话 020-12345678，邮箱 office@example.org，办公时间 工作日 9:00–17:00. */
export function contactPhrase(c: AssociationContact): string {
  return [c.name, c.phone && `电话 ${c.phone}`, c.email && `邮箱 ${c.email}`, c.hours && `办公时间 ${c.hours}`].filter(Boolean).join('，');
}

/**
 * Where a text sends someone to the association (请联系协会, 请联系协会管理员, 请直接联系协会, 或联系协会, 可凭投诉编号联系协会询问):
 * the words after which the contact goes, in brackets. Only after 请, 直接, 或 or 编号: the command's name (the 帮助 card's
 * 联系协会 button, 发送“联系协会”) is no such text. A text carrying the contact already is left as it is (withContact).
 */
const SENT_TO_ASSOCIATION = /(?<=请|直接|或|编号)联系协会(?:管理员)?/g;

/** `text` with the contact after each 联系协会; as it was when none is set. `escape` for card markdown (the contact was typed by a person). */
export function withContact(text: string, contact: AssociationContact | undefined, escape = false): string {
  if (!contact || !text.includes('联系协会')) return text;
  const phrase = `（${contactPhrase(contact)}）`;
  const shown = escape ? escapeText(phrase, false) : phrase;
  // rewritten once already (a late answer's card, then as the outbox sends it): a contact naming 请联系协会 is not put inside itself
  if (text.includes(shown)) return text;
  // a bracket of the text's own after it (请联系协会（第二十一条…）) is no contact: the contact goes before it
  return text.replace(SENT_TO_ASSOCIATION, (m) => `${m}${shown}`);
}

/**
 * A card (or any value holding one) with the contact after each 联系协会 of its texts: escaped in markdown, as typed in
 * plain text. The same object when nothing changes, or when the contact would take it over the card budget; nothing
 * else of the card (button values, names) is touched.
 */
export function withContactInCard<T>(value: T, contact: AssociationContact | undefined): T {
  if (!contact) return value;
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      const out = v.map(walk);
      return out.some((x, i) => x !== v[i]) ? out : v;
    }
    if (!v || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    let changed: Record<string, unknown> | undefined;
    for (const [k, x] of Object.entries(o)) {
      let y: unknown;
      // a button's value is what comes back on a click: never rewritten
      if (k === 'behaviors' || k === 'value') y = x;
      else if (k === 'content' && typeof x === 'string' && (o.tag === 'markdown' || o.tag === 'lark_md' || o.tag === 'plain_text')) y = withContact(x, contact, o.tag !== 'plain_text');
      else y = walk(x);
      if (y !== x) (changed ??= { ...o })[k] = y;
    }
    return changed ?? o;
  };
  const shown = walk(value);
  // a card already near Feishu's size limit goes without the contact rather than be refused and reach no one
  return shown !== value && cardBodyBytes(shown) > CARD_BYTES_BUDGET ? value : (shown as T);
}

/** `联系协会` / `contact`: how to reach the association, or that it has not said yet (and, to an administrator, where to say it). */
export function associationContactCard(contact: AssociationContact | undefined, opts: { admin: boolean }): Card {
  const elements = contact
    ? [
        markdown(md`**联系人或部门**：${contact.name}`),
        ...(contact.phone ? [markdown(md`**电话**：${contact.phone}`)] : []),
        ...(contact.email ? [markdown(md`**邮箱**：${contact.email}`)] : []),
        ...(contact.hours ? [markdown(md`**办公时间**：${contact.hours}`)] : []),
      ]
    : [markdown('协会尚未设置联系方式。'), note('办法中没有协会的电话、地址或办公地点，请向广东省市政行业协会秘书处咨询。')];
  if (opts.admin) {
    elements.push(
      note(contact ? '你是协会管理员：可在“管理 → 协会联系方式”中修改。' : '你是协会管理员：请发送“管理”，点“协会联系方式”设置；设置后各处“请联系协会”的提示都会附上它。'),
      // saved from 管理's 首次使用 list: the way back to its next step
      buttonRow([button({ text: contact ? '修改联系方式' : '设置联系方式', type: 'primary', value: { action: 'association.contactForm' } }), button({ text: '协会管理', value: { action: 'admin.menu' } })]),
    );
  }
  return card({ title: '协会联系方式', subtitle: '广东省市政行业协会', template: 'blue', summary: '协会联系方式', elements });
}

/** 协会联系方式's form (管理 → 协会联系方式), filled with the current values or with what was typed after a refusal. */
export function associationContactFormCard(d: { descriptor: FormDescriptor; values: Record<string, unknown>; current?: AssociationContact; error?: FormError | string }): Card {
  return card({
    title: '协会联系方式',
    subtitle: '广东省市政行业协会',
    template: d.error ? 'red' : 'indigo',
    summary: '协会联系方式',
    elements: [
      ...refusalBanner(d.error, '未保存'),
      markdown(d.current ? md`**当前**：${contactPhrase(d.current)}` : md`**当前**：尚未设置`),
      note('保存后，机器人在“请联系协会”“请联系协会管理员”等提示后附上这里的联系方式。电话和邮箱至少填一项。'),
      form(d.descriptor.name, [...formInputs(d.descriptor, d.values), submitButton({ text: '保存联系方式', name: 'contact_save', value: { action: 'association.contactSave' } })]),
      buttonRow([button({ text: '返回管理', type: 'text', value: { action: 'admin.menu' } })]),
    ],
  });
}
