/**
 * A telephone number as people write one in a form (协会联系方式's 电话, 注册's and 修改资料's 联系电话): a landline with
 * or without its area code (020-12345678, 0755 1234 5678, 12345678, a dash of a Chinese keyboard: 020—12345678), a
 * mobile, a +86 form, an extension after 转, 分机, ext or # (020-1234567 转 8001, 020-1234567 分机 8001,
 * 020-1234567#8001), two numbers set apart by 、. One rule for every such field, and one reading of a mobile typed
 * short or long (`mistypedMobile`), which the look-up fields and an imported workbook's cells refuse as well.
 */

import { CODE_DASHES } from './forms.js';

/** Longest a phone field takes: two numbers with an extension. */
export const PHONE_MAX_LENGTH = 40;

/** What sets an extension apart from its number: 转, 分机(号), ext(.), #; 转分机 is one. */
const EXTENSION = /(?:转\s*)?(?:分机号?|ext\.?)|转|#/i;

/**
 * What people write before a number to say which it is: 手机 13800000009, 座机：020-12345678, 办公电话 020-…, Tel: …
 * (a label alone, with no number after it, is still no number: at least 7 digits are asked for).
 */
const LABEL_WORDS = String.raw`(?:联系|办公室?|单位)?(?:手机|电话|座机|固话|固定电话)(?:号码?)?|tel(?:ephone)?\.?|mobile|phone`;
/** A label with the colon after it: the one place a colon is taken (020:12345678 is no number). */
const LABELLED = String.raw`(?:${LABEL_WORDS})\s*[:：]?`;
const LABEL = new RegExp(LABELLED, 'gi');

/** The dashes a keyboard types between a number's parts (src/forms.ts): the hyphen, ‐ ‑ ‒ – — ― and the minus sign. */
const DASHES = new RegExp(`[${CODE_DASHES}]`, 'g');

/** At least 7 digits (separators alone, “-------”, are no number), and only what a number is written with. */
const PHONE = new RegExp(`^(?=(?:\\D*\\d){7})(?:[0-9+${CODE_DASHES}\\s()（）转,，、;；/#]|分机号?|ext\\.?|${LABELLED})+$`, 'i');

/**
 * The check of a phone field labelled `label`, as a form descriptor's text field takes it (src/forms.ts): its pattern,
 * and then a number of digits alone that a mobile starts with but a mobile's length it has not.
 */
export function phoneRule(label: string): { pattern: { regex: RegExp; message: string }; check: (value: string) => string | undefined } {
  return {
    pattern: { regex: PHONE, message: `${label}须为电话号码（至少 7 位数字，可含 - + 空格、括号和“转”分机，两个号码用顿号隔开），如 020-××××××××` },
    check: (value) => {
      const numbers = numbersIn(value, { withExtension: true });
      if (numbers.some((n) => n.split(EXTENSION).length > 2)) return `${label}中一个号码只能有一个分机，如 020-1234567 转 8001；两个号码请用顿号隔开`;
      // 11 digits beginning 10, 11 or 12 (+86 or not): no mainland mobile (13–19) and no landline (0 and an area code before it)
      if (numbers.some((n) => /^1[0-2]\d{9}$/.test(digitsOf(n.split(EXTENSION)[0])))) {
        return `${label}中的 11 位号码不是手机号（手机号以 13–19 开头），请核对后重填（座机号码请连区号填写，如 020-××××××××）`;
      }
      const digits = mistypedMobile(value);
      if (digits === undefined) return undefined;
      // more digits than any one number: two written together
      const two = digits > 13 ? '；两个号码请用顿号隔开，如 138××××××××、020-××××××××' : '';
      return `${label}中的手机号${mobileLength(digits)}，请核对后重填（座机号码请连区号填写，如 020-××××××××${two}）`;
    },
  };
}

/** What is wrong with a mobile of this many digits: 手机号应为 11 位数字，这里是 10 位. */
export const mobileLength = (digits: number) => `应为 11 位数字，这里是 ${digits} 位`;

/**
 * The number of digits of a mobile typed short or long in `text`, if one is: a number of digits alone (spaces, dashes
 * and brackets aside; +86, 0086 or 86 before it) that begins as a mobile does, 13 to 19, and is not 11 digits long. A
 * landline's local number does not begin with 1 on the mainland, and with its area code it begins with 0; a local number
 * beginning 10 to 12 (12345678) is let be, and so is one beginning 86 (86123456). Each of two numbers is read alone,
 * an extension left out.
 */
export function mistypedMobile(text: string): number | undefined {
  for (const written of numbersIn(text)) {
    const number = digitsOf(written);
    if (/^1[3-9]\d*$/.test(number) && number.length !== 11) return number.length;
  }
  return undefined;
}

/** A number as its digits: separators out, and +86, 0086, or 86 alone before a mainland mobile's ten or more digits (86 1380000000): the country's code. */
const digitsOf = (written: string) =>
  written.replace(DASHES, '-').replace(/[\s\-()（）]/g, '').replace(/^(?:(?:\+|00)86(?=1)|86(?=1[3-9]\d{8}))/, '');

/**
 * The numbers written in a phone field, each without its extension: set apart by 、 (or a comma, a semicolon, a slash),
 * or by spaces when each side is a number of 7 digits or more by itself (13800000000 020-12345678); spaces inside a
 * number (0755 1234 5678, 138 0000 0000) keep it one. A label before a number (手机, 座机：) is not part of it; its
 * extension is, when asked for.
 */
export function numbersIn(text: string, opts: { withExtension?: boolean } = {}): string[] {
  // a label sets a number apart as 、 does (手机 138 0000 0009 座机 020-12345678 is two)
  return text.replace(LABEL, '、').split(/[、,，;；/]/).flatMap((part) => {
    const number = (opts.withExtension ? part : part.split(EXTENSION)[0]).trim();
    const words = number.split(/\s+/);
    return words.length > 1 && words.every((w) => (w.match(/\d/g)?.length ?? 0) >= 7) ? words : number ? [number] : [];
  });
}
