import { z } from 'zod';
import { dateFromPicker, isRealDate } from './dates.js';
import { UserError } from './errors.js';

/**
 * Reading card form values: Feishu sends strings for text inputs (numbers too), option values for
 * selects, arrays for multi-selects, open_ids for person pickers, booleans for checkers and dates as
 * YYYY-MM-DD (sometimes with a zone suffix). An untouched optional field may be missing or empty.
 */

const blankToUndefined = (v: unknown) => {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string' && v.trim() === '') return undefined;
  if (Array.isArray(v) && v.length === 0) return undefined;
  return v;
};

export const text = (label: string, max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.trim() : v),
    z.string({ error: `请填写${label}` }).min(1, `请填写${label}`).max(max, `${label}不能超过 ${max} 字`),
  );

export const optionalText = (label: string, max: number) =>
  z.preprocess((v) => (typeof v === 'string' ? v.trim() || undefined : blankToUndefined(v)), z.string().max(max, `${label}不能超过 ${max} 字`).optional());

/** A number typed into a text input: "95", "95.5", "95%"; bounds inclusive. */
export const numberField = (label: string, min: number, max: number, opts: { integer?: boolean; step?: number } = {}) =>
  z.preprocess(
    (v) => {
      if (typeof v === 'number') return v;
      if (typeof v !== 'string' || v.trim() === '') return undefined;
      // a Chinese keyboard may type full-width digits: １２．５％
      const halfWidth = v.replace(/[０-９．]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
      const cleaned = halfWidth.trim().replace(/[%％]$/, '').replace(/，/g, '').trim();
      return /^-?\d+(\.\d+)?$/.test(cleaned) ? Number(cleaned) : Number.NaN;
    },
    z
      .number({ error: (iss) => (iss.input === undefined ? `请填写${label}` : `${label}须为数字`) })
      .refine((n) => !Number.isNaN(n), `${label}须为数字`)
      .refine((n) => n >= min && n <= max, `${label}须在 ${min} 到 ${max} 之间`)
      .refine((n) => !opts.integer || Number.isInteger(n), `${label}须为整数`)
      .refine((n) => !opts.step || Math.abs(n / opts.step - Math.round(n / opts.step)) < 1e-9, `${label}须为 ${opts.step} 的整数倍`),
  );

/** YYYY-MM-DD, cut from what the date picker sends; a real calendar date. */
export const dateField = (label: string) =>
  z.preprocess(
    (v) => dateFromPicker(v),
    z
      .string({ error: `请选择${label}` })
      .regex(/^\d{4}-\d{2}-\d{2}$/, `${label}须为日期（如 2026-05-31）`)
      .refine((s) => isRealDate(s), `${label}不是有效日期`),
  );

export const openIdField = (label: string) =>
  z.preprocess(
    (v) => (Array.isArray(v) ? v[0] : v),
    z.string({ error: `请选择${label}` }).regex(/^ou_[A-Za-z0-9_-]+$/, `请选择${label}`),
  );

export const openIdList = (label: string, max = 200) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? [v] : v),
    z.array(z.string().regex(/^ou_[A-Za-z0-9_-]+$/, `${label}无效`), { error: `请选择${label}` }).min(1, `请选择${label}`).max(max, `${label}最多 ${max} 人`),
  );

export const option = <T extends string>(label: string, values: readonly [T, ...T[]]) =>
  z.preprocess((v) => (Array.isArray(v) ? v[0] : blankToUndefined(v)), z.enum(values, { error: `请选择${label}` }));

export const httpUrl = (label: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.trim() : v),
    z
      .string({ error: `请填写${label}` })
      .min(1, `请填写${label}`)
      .max(500, `${label}不能超过 500 字`)
      .refine((s) => {
        try {
          const u = new URL(s);
          return u.protocol === 'https:' || u.protocol === 'http:';
        } catch {
          return false;
        }
      }, `${label}须为以 http:// 或 https:// 开头的链接`),
  );

/** Parses form values; the first problem becomes a UserError naming the field. */
export function parseForm<S extends z.ZodType>(schema: S, values: Record<string, unknown>, labels: Record<string, string>): z.output<S> {
  const result = schema.safeParse(values);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = String(issue.path[0] ?? '');
  const label = labels[field];
  const message = issue.message.startsWith('Invalid') || issue.message.startsWith('Expected') ? `${label ?? field}填写有误` : issue.message;
  throw new UserError(label && !message.includes(label) ? `${label}：${message}` : message, { field });
}
