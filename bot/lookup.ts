import type { z } from 'zod';
import { UserError } from '../src/errors.js';
import { formProblems, halfWidth, problemsOf } from '../src/forms.js';
import type { HandlerContext } from '../src/handlers.js';
import { ScopeMissing } from '../src/lark/contact.js';
import { mistypedMobile, mobileLength } from '../src/phone.js';

const EMAIL = /^[^\s@]+@(?=[^\s@]*$)[^\s@]+\.[^\s@]+$/; // the domain read to the end once before its dot is looked for: linear
const MOBILE = /^\+?[\d\s\-()（）]{7,20}$/;

/** The mobiles and e-mails typed in a look-up field, each kept as written (full-width digits made half-width, as a phone keyboard may type them); anything else is refused by name. */
export function parseLookup(text: string, field: string, label: string): { mobiles: string[]; emails: string[] } {
  const mobiles: string[] = [];
  const emails: string[] = [];
  // every entry typed wrong is told at once, not one submit each
  const wrong: string[] = [];
  for (const token of halfWidth(text).split(/[,，;；、\n]+/).map((t) => t.trim()).filter(Boolean)) {
    // a mobile typed a digit short or long is told so, not looked up and not found
    const digits = MOBILE.test(token) ? mistypedMobile(token) : undefined;
    if (EMAIL.test(token)) emails.push(token);
    else if (digits !== undefined) wrong.push(`“${token}”${digits < 11 ? '少了' : '多了'}数字，手机号${mobileLength(digits)}`);
    else if (MOBILE.test(token) && token.replace(/\D/g, '').length >= 7) mobiles.push(token);
    else wrong.push(`“${token}”不是手机号或邮箱`);
  }
  if (wrong.length) throw new UserError(`${label}：${wrong.slice(0, 5).join('；')}${wrong.length > 5 ? `；另有 ${wrong.length - 5} 处` : ''}，请改正。`, { field });
  return { mobiles, emails };
}

/**
 * Whether the form asks for a look-up: its look-up field is filled. What is typed there wins over the picker of one
 * person: 修改资料 draws that picker with the stored contact already picked (and Feishu sends it back untouched), and
 * 注册's picker offers only the people the bot has met, so the look-up field is how someone else is named.
 */
export function needsLookup(formValue: Record<string, unknown>, opts: { lookup: string }): boolean {
  return typeof formValue[opts.lookup] === 'string' && (formValue[opts.lookup] as string).trim() !== '';
}

/**
 * The form's person field, filled from its look-up field when that is filled: the people typed by mobile or e-mail
 * are found in the tenant's address book (contact/v3/users/batch_get_id), in place of the one picked (or beside
 * those picked, for a picker of several). Someone not found is named in the refusal, with what to check.
 */
export async function personFromLookup(
  ctx: HandlerContext,
  formValue: Record<string, unknown>,
  opts: LookupOpts & { form?: { schema: z.ZodType; labels: Record<string, string>; prepare?: (values: Record<string, unknown>) => Record<string, unknown> } },
): Promise<Record<string, unknown>> {
  try {
    return await lookedUp(ctx, formValue, opts);
  } catch (err) {
    if (!(err instanceof UserError) || !opts.form) throw err;
    // the form's other problems with it, as its parse tells them all at once: one round of corrections, not two (the
    // person field itself is the look-up's, whose problem this is)
    const { schema, labels, prepare = (v) => v } = opts.form;
    const others = problemsOf(schema, prepare({ ...formValue, [opts.picker]: undefined, [opts.lookup]: undefined }), labels).filter((p) => p.field !== opts.picker && p.field !== opts.lookup);
    if (!others.length) throw err;
    throw formProblems([{ field: opts.lookup, message: err.message }, ...others], labels);
  }
}

type LookupOpts = { picker: string; lookup: string; label: string; multiple?: boolean };

async function lookedUp(ctx: HandlerContext, formValue: Record<string, unknown>, opts: LookupOpts): Promise<Record<string, unknown>> {
  if (!needsLookup(formValue, opts)) return formValue;
  const typed = (formValue[opts.lookup] as string).trim();
  const picked = formValue[opts.picker];
  const { mobiles, emails } = parseLookup(typed, opts.lookup, opts.label);
  if (!opts.multiple && mobiles.length + emails.length > 1) throw new UserError(`${opts.label}：只能填一个手机号或邮箱。`, { field: opts.lookup });
  let found;
  try {
    found = await ctx.findUsers({ mobiles, emails });
  } catch (err) {
    ctx.log.warn({ err: String((err as Error)?.message ?? err) }, 'address book look-up failed');
    // a permission the app lacks: trying later changes nothing until an administrator of the app adds it
    if (err instanceof ScopeMissing) throw new UserError(`${opts.label}：机器人还没有按手机号或邮箱查找飞书用户的权限，暂时无法查找，请从列表中选择；或请协会管理员为应用开通该权限（${err.scopes.join(' 或 ') || 'contact:user.id:readonly'}）。`, { field: opts.lookup });
    throw new UserError(`${opts.label}：暂时无法查询飞书通讯录，请稍后再试，或从列表中选择。`, { field: opts.lookup });
  }
  const missing = [...mobiles.filter((m) => !found.byMobile.has(m)).map((m) => `手机号 ${m}`), ...emails.filter((e) => !found.byEmail.has(e)).map((e) => `邮箱 ${e}`)];
  if (missing.length) {
    // batch_get_id finds the e-mail bound to the account, never a Feishu Mail address ("使用企业邮箱查询将无法返回用户 ID",
    // https://open.feishu.cn/document/server-docs/contact-v3/user/batch_get_id)
    const enterpriseMail = emails.some((e) => !found.byEmail.has(e)) ? '飞书企业邮箱无法查找，请改填对方的手机号或飞书账号绑定的邮箱；' : '';
    throw new UserError(
      `${opts.label}：没有找到 ${missing.join('、')} 对应的飞书用户。请确认号码或邮箱无误、对方已加入本企业飞书且在本应用的可用范围内；${enterpriseMail}也可以请对方先给机器人发一条消息，再从列表中选择。`,
      { field: opts.lookup },
    );
  }
  const ids = [...found.byMobile.values(), ...found.byEmail.values()];
  const merged = opts.multiple ? [...new Set([...(Array.isArray(picked) ? (picked as string[]) : []), ...ids])] : ids[0];
  return { ...formValue, [opts.picker]: merged };
}
