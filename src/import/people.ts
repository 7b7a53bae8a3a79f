import { halfWidth } from '../forms.js';
import { emailKey, mobileKey } from '../lark/contact.js';
import { mistypedMobile } from '../phone.js';

/** A person named in a workbook cell by mobile number or e-mail. */
export interface PersonRef {
  kind: 'mobile' | 'email';
  /** normalised: 13800000001, +85291234567, name@example.com */
  key: string;
}

/** Someone imported before Feishu could tell us their open_id holds this id until they first message the bot. */
export const PENDING_PREFIX = 'pending:';

export const isPending = (openId: string) => openId.startsWith(PENDING_PREFIX);

/** Punctuation a secretary ends a cell with (li@example.com。 or 13800000001；), in Chinese or English, full width or not. */
const TRAILING_PUNCTUATION = /[\s。，；,;.、｡､]+$/u;

/**
 * An address Feishu's address book can hold: ASCII, one @, a domain of dotted labels ending in letters. Anything else
 * (li@example.com（李）, 邮箱:li@example.com) is no e-mail: kept, it would be a placeholder no address ever links to.
 */
const EMAIL = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$/;

/**
 * A cell as a person is read from it: a mobile or e-mail typed with a Chinese keyboard in full width (１３８…,
 * ａ＠ｂ．ｃｏｍ) is the same one, and a full stop or comma typed after it is no part of it.
 */
const cellText = (cell: string) => halfWidth(cell).trim().replace(TRAILING_PUNCTUATION, '');

/** The number of digits of a mobile typed a digit short or long in the cell (src/phone.ts), if one is. */
export const mistypedMobileIn = (cell: string): number | undefined => mistypedMobile(cellText(cell));

export function personRef(cell: string): PersonRef | undefined {
  const s = cellText(cell);
  // the key is the one a link computes from the address book's e-mail (emailKey, src/import/linking.ts)
  if (EMAIL.test(s)) return { kind: 'email', key: emailKey(s) };
  const m = mobileKey(s);
  // +86 1380000001 is no number abroad but a mainland mobile a digit short (mistypedMobile): refused as 1380000001 is
  if (/^(1\d{10}|\+\d{6,15})$/.test(m) && mistypedMobile(s) === undefined) return { kind: 'mobile', key: m };
  return undefined;
}

/** The key a look-up answer and a link are stored under: m:13800000001, e:name@example.com. */
export const refKey = (ref: PersonRef) => `${ref.kind === 'mobile' ? 'm' : 'e'}:${ref.key}`;

export const pendingOpenId = (ref: PersonRef) => `${PENDING_PREFIX}${refKey(ref)}`;
