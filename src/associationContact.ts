import { eq, sql } from 'drizzle-orm';
import type { AssociationContact } from '../cards/contact.js';
import type { Db } from '../db/index.js';
import { associationSettings } from '../db/schema.js';
import { audit } from './audit.js';
import { AlreadyDone } from './errors.js';
import { defineForm, formLabels, formSchema, onceValid, parseForm } from './forms.js';
import type { Actor } from './people.js';
import { PHONE_MAX_LENGTH, phoneRule } from './phone.js';
import { requireAdmin } from './permissions.js';

/**
 * 协会联系方式: how the association is reached, said once by an administrator (管理 → 协会联系方式) and then appended to
 * every text that sends someone to the association (请联系协会, cards/contact.ts `withContact`). One row, id 1.
 *
 * Read without a round trip of its own: the claim of every event selects it with the actor (src/people.ts
 * `claimEventSql`), and the outbox dispatcher with the rows it claims, so each replica uses the value of the database
 * at that event or send; `ContactSeen` keeps the latest a process has read, for an answer drawn outside an event's
 * claim (a fast path's). The web complaint page reads it when drawn.
 */

export const contactForm = defineForm({
  name: 'association_contact_form',
  title: '协会联系方式',
  fields: {
    contactName: { kind: 'text', label: '联系人或部门', maxLength: 40, example: '协会秘书处 张三' },
    contactPhone: {
      kind: 'text',
      label: '电话',
      maxLength: PHONE_MAX_LENGTH,
      required: false,
      // shown: an example no data-loss prevention (DLP) takes for a number; `example` is a valid value, for tests
      placeholder: '如 020-××××××××',
      example: '020-12345678',
      // at least 7 digits; an extension (转 801) and a second number (、13800000000) as people write them
      ...phoneRule('电话'),
    },
    contactEmail: {
      kind: 'text',
      label: '邮箱',
      maxLength: 100,
      required: false,
      placeholder: '如 office@协会邮箱',
      example: 'office@example.org',
      pattern: { regex: /^[^\s@，。、]+@[^\s@，。、]+\.[^\s@，。、]+$/, message: '邮箱须为电子邮箱地址，如 office@协会邮箱' },
    },
    contactHours: { kind: 'text', label: '办公时间', maxLength: 60, required: false, example: '工作日 9:00–17:00' },
  },
});

const labels = formLabels(contactForm);
const contactSchema = formSchema(contactForm).refine((v) => !!(v.contactPhone || v.contactEmail), {
  message: '电话和邮箱至少填一项，让收到“请联系协会”的人有处可找',
  path: ['contactPhone'],
  ...onceValid(['contactPhone', 'contactEmail']),
});

/** What a submitted form sets, or its problems (all at once) as a UserError naming the fields. */
export function readContactForm(formValue: Record<string, unknown>): AssociationContact {
  const v = parseForm(contactSchema, formValue, labels);
  // each is one line where it is shown (after 请联系协会, in a toast): line breaks and runs of spaces typed are one space
  const line = (s: string) => s.replace(/\s+/g, ' ');
  return {
    name: line(v.contactName),
    ...(v.contactPhone ? { phone: line(v.contactPhone) } : {}),
    ...(v.contactEmail ? { email: v.contactEmail } : {}),
    ...(v.contactHours ? { hours: line(v.contactHours) } : {}),
  };
}

/**
 * Whether the contact holds what a tenant's data-loss prevention (DLP) commonly refuses in a message: a mobile number
 * (11 digits from 13 to 19, however spaced) or a personal mailbox. Feishu then refuses each message carrying it, 230028
 * "当消息内容中含有明文电话号码、明文个人邮箱等内容时可能会触发该错误" (https://open.feishu.cn/document/server-docs/im-v1/message/create,
 * error codes), and the outbox sends them without it.
 */
export function contactDlpMayRefuse(c: AssociationContact): boolean {
  const mobile = !!c.phone && /(?<!\d)1[3-9]\d{9}(?!\d)/.test(c.phone.replace(/[\s-]/g, ''));
  const personal = !!c.email && /@(?:qq|163|126|139|189|gmail|hotmail|outlook|yahoo|foxmail|sina|sohu|aliyun)\./i.test(c.email);
  return mobile || personal;
}

/** The answer to a save of such a contact: saved, and what the tenant's DLP may do to it. */
export const CONTACT_DLP_WARNING =
  '已保存协会联系方式。注意：其中有手机号或个人邮箱，若企业开启了飞书数据防泄漏（DLP），附有它的消息会被拦截，机器人将改写为“联系方式请向协会管理员索取”；建议改填座机号码或单位邮箱';

/** The form's values for a contact (its inputs filled with it). */
export function contactFormValues(c: AssociationContact | undefined): Record<string, string> {
  return c ? { contactName: c.name, contactPhone: c.phone ?? '', contactEmail: c.email ?? '', contactHours: c.hours ?? '' } : {};
}

/** A stored contact as read from a row (jsonb, or its text where a driver leaves it so); undefined when none is set. */
export function contactOf(stored: unknown): AssociationContact | undefined {
  const value = typeof stored === 'string' ? (JSON.parse(stored) as unknown) : stored;
  if (!value || typeof value !== 'object') return undefined;
  const c = value as Record<string, unknown>;
  if (typeof c.name !== 'string' || !c.name) return undefined;
  const text = (k: string) => (typeof c[k] === 'string' && c[k] ? { [k]: c[k] as string } : {});
  return { name: c.name, ...text('phone'), ...text('email'), ...text('hours') };
}

export async function getAssociationContact(tx: Db): Promise<AssociationContact | undefined> {
  const [row] = await tx.select({ contact: associationSettings.contact }).from(associationSettings).where(eq(associationSettings.id, 1));
  return contactOf(row?.contact);
}

const doneRecord = { action: 'association.contact', entity: 'association', entityId: 'contact' } as const;

/**
 * 管理 → 协会联系方式 → 保存: one statement sets it (two administrators saving at once: the later one wins, each
 * audited), and a save of what is already set changes nothing and says so.
 */
export async function setAssociationContact(tx: Db, actor: Actor, formValue: Record<string, unknown>, now: Date): Promise<AssociationContact> {
  requireAdmin(actor);
  const contact = readContactForm(formValue);
  const saved = await tx
    .insert(associationSettings)
    .values({ id: 1, contact, updatedAt: now, updatedBy: actor.openId })
    .onConflictDoUpdate({
      target: associationSettings.id,
      set: { contact: sql`excluded.contact`, updatedAt: now, updatedBy: actor.openId },
      where: sql`${associationSettings.contact} is distinct from excluded.contact`,
    })
    .returning({ id: associationSettings.id });
  if (!saved.length) throw new AlreadyDone('保存', doneRecord, '这份联系方式');
  await audit(tx, { actor: actor.openId, ...doneRecord, details: { contact }, at: now });
  return contact;
}

/**
 * The contact a process read last (from an event's claim or the dispatcher's): for what is drawn outside those reads.
 * Another replica's change reaches it with this process's next event or send.
 */
export class ContactSeen {
  #current: AssociationContact | undefined;

  get current(): AssociationContact | undefined {
    return this.#current;
  }

  /** The column of a claim, as read. */
  seen(stored: unknown): AssociationContact | undefined {
    this.#current = contactOf(stored);
    return this.#current;
  }
}
