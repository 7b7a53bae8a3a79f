import { halfWidth } from '../forms.js';
import { emailKey, mobileKey } from '../lark/contact.js';

/** A person named in a workbook cell by mobile number or e-mail. */
export interface PersonRef {
  kind: 'mobile' | 'email';
  /** normalised: 13800000001, +85291234567, name@example.com */
  key: string;
}

/** Someone imported before Feishu could tell us their open_id holds this id until they first message the bot. */
export const PENDING_PREFIX = 'pending:';

export const isPending = (openId: string) => openId.startsWith(PENDING_PREFIX);

export function personRef(cell: string): PersonRef | undefined {
  // a mobile or e-mail typed with a Chinese keyboard in full width (１３８…, ａ＠ｂ．ｃｏｍ) is the same one
  const s = halfWidth(cell).trim();
  if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s)) return { kind: 'email', key: emailKey(s) };
  const m = mobileKey(s);
  if (/^(1\d{10}|\+\d{6,15})$/.test(m)) return { kind: 'mobile', key: m };
  return undefined;
}

/** The key a look-up answer and a link are stored under: m:13800000001, e:name@example.com. */
export const refKey = (ref: PersonRef) => `${ref.kind === 'mobile' ? 'm' : 'e'}:${ref.key}`;

export const pendingOpenId = (ref: PersonRef) => `${PENDING_PREFIX}${refKey(ref)}`;
