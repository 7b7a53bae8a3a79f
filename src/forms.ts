import { z } from 'zod';
import { formatDateZh, isRealDate } from './dates.js';
import { UserError } from './errors.js';

/**
 * Forms, described once. A form's descriptor lists each field with its label, article, kind, limits and
 * help; the zod schema (`formSchema`), the card inputs (`cards/forms.ts` `formInputs`), the read-only
 * display (`formDisplay`), the workbook columns and the test values all come from it.
 *
 * Card form values as Feishu sends them: strings for text inputs (numbers too), option values for
 * selects, arrays for multi-selects, open_ids for person pickers, booleans for checkers and dates as
 * YYYY-MM-DD (sometimes with a zone suffix). An untouched optional field may be missing or empty.
 */

// --- readers -----------------------------------------------------------------------------------

/** Full-width ASCII forms (a Chinese keyboard's “７”, “．”, “％”, “／”) and the ideographic space as their plain forms. */
export function halfWidth(s: string): string {
  return s.replace(/[\uff01-\uff5e]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/\u3000/g, ' ');
}

/** The dashes people type between a code's parts: the hyphen, the full-width one (read as it), en and em dashes, the minus sign. */
export const CODE_DASHES = '\\-\u2010-\u2015\u2212';
/** What may stand between two parts of a team's code or a certificate's number: spaces, any dash, or nothing. */
export const CODE_GAP = `[\\s${CODE_DASHES}]*`;
/** A team's code (GDSZ-2026-0001) or a certificate's number (GDSZ-ZS-2026-0001) however its parts are set apart. */
const GDSZ_CODE = new RegExp(`^GDSZ${CODE_GAP}(?:(ZS)${CODE_GAP})?(\\d{4})${CODE_GAP}(\\d{1,6})$`);

/**
 * The one reader of a code typed into a text input or after a command: half width, trimmed, upper case. A team's code
 * or a certificate's number is read as it is issued (GDSZ-2026-0001, teams.ts `nextTeamCode`) however it was typed:
 * `GDSZ 2026 0001`, `GDSZ20260001`, `GDSZ—2026—0001`, `gdsz-2026-1`, `GDSZ-2026-0001。`; a serial is padded to the four
 * digits codes are issued with, a longer one kept as typed. Any other code is only half width, trimmed and upper case.
 */
export function readCode(s: string): string {
  const code = halfWidth(s).trim().toUpperCase();
  const m = GDSZ_CODE.exec(code.replace(/[。.｡]+$/, '').trim());
  if (!m) return code;
  return `GDSZ-${m[1] ? 'ZS-' : ''}${m[2]}-${m[3].padStart(4, '0')}`;
}

const numberPattern = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
/** What most inputs hold (“4”, “4.5”): read as typed, none of the rewrites below applying to it. */
const plainNumber = /^\d+(\.\d+)?$/;

/**
 * The units a number may be typed with: 85分, 96%, a count of people as 12人, 12名, 12位, 12个 or 12个人, and the counts
 * and years a form asks for as 2次, 2027年 (2027年度), 30天, 5项, 3份. A score item takes 分 only (`SCORE_UNIT`): “5人” or “5%” in a
 * score sheet is a slip, not 5 points.
 */
const ANY_UNIT = /(分|%|个人|人|名|位|个|次|年度|年|天|项|份)$/;
export const SCORE_UNIT = /分$/;

/**
 * The one reader of numbers typed into a text input: “７”, “４．５”, “4。5”, “85分”, “96％”, “2次”, “2027年”, “ 7 ”, “1,200”,
 * and a number pasted with characters nobody sees (a zero-width space, a direction mark) or ended with the keyboard's
 * full stop (“4.5。”, “5分。”). Blank is undefined, anything else that is no number is NaN (for the field's check to refuse,
 * naming the field). `unit`: the units the field takes after its number.
 */
export function readNumber(v: unknown, unit: RegExp = ANY_UNIT): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : Number.NaN;
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'string') return Number.NaN;
  if (plainNumber.test(v)) return Number(v);
  // a Chinese keyboard's full stop between two digits (“4。5”) is its decimal point, as its “．” is; one after the number ends a sentence
  let s = halfWidth(HAS_UNTYPED.test(v) ? v.replace(UNTYPED, '') : v)
    .replace(/\s+/g, '')
    .replace(/(?<=\d)。(?=\d)/g, '.')
    .replace(/(?<=\S)[。，,；;！!]$/, '');
  if (s === '') return undefined;
  s = s.replace(unit, '');
  if (/^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) s = s.replace(/,/g, '');
  return numberPattern.test(s) ? Number(s) : Number.NaN;
}

/** Whether a typed number ends with a percent sign (“10%”, “１０％”): a share may be typed either way. */
export const typedAsPercent = (v: unknown) => typeof v === 'string' && /[%％]\s*$/.test(v);

/**
 * Whether a share (0 to 1) was typed as a percentage without its sign (10 for 10%): a number above 1 and up to 100 is
 * no share, so it can only mean that, and is read so. 1 stays 1 (the whole): it reads either way.
 */
export function shareTypedAsPercentWithoutSign(v: unknown): boolean {
  if (typedAsPercent(v)) return false;
  const n = readNumber(v);
  return n !== undefined && n > 1 && n <= 100;
}

/**
 * The one reader of dates: the picker's value (“2024-04-01 +0800”, “2026-05-31T00:00:00+08:00”) or a typed
 * one (2026-12-01, 2026/12/1, 2026年12月1日, 20261201 as other systems export it, full-width digits) as 'YYYY-MM-DD'.
 * Blank is undefined; anything else is returned trimmed, for the field's check to refuse.
 */
export function readDate(v: unknown): string | undefined {
  if (Array.isArray(v)) return readDate(v[0]);
  if (v === null || v === undefined) return undefined;
  const s = halfWidth(String(v)).trim();
  if (!s) return undefined;
  const m = /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?=$|[\sT+])/.exec(s) ?? /^(\d{4})(\d{2})(\d{2})$/.exec(s);
  return m ? `${m[1]}-${m[2].padStart(2, '0')}-${m[3].padStart(2, '0')}` : s;
}

// --- field schemas -----------------------------------------------------------------------------

const blankToUndefined = (v: unknown) => {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string' && v.trim() === '') return undefined;
  if (Array.isArray(v) && v.length === 0) return undefined;
  return v;
};

/**
 * Characters nobody sees (Unicode's format characters: zero-width spaces and joiners, bidi overrides, the soft hyphen):
 * kept, 广州市市政\u200b工程维修有限公司 would be a second organisation reading exactly as the first, and the same-organisation
 * rule of 第十七条 would not see it; a right-to-left override turns a name around on the card. A zero-width joiner between
 * two emoji stays: it makes them one (👷‍♂️, 👨‍👩‍👧), and without it a family reads as three faces.
 */
const UNTYPED = /\r\n?|[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]|(?!(?<=\p{Extended_Pictographic}[\u{FE0E}\u{FE0F}\u{1F3FB}-\u{1F3FF}]?)\u200D(?=\p{Extended_Pictographic}))\p{Cf}/gu;
/**
 * Control characters (C0, DEL and C1) but the tab and the line feed are dropped too: nobody types them (a paste from another program brings
 * them), they print as nothing, and a card writes each as a seven-byte entity, so a long text of them could pass Feishu's
 * 30 KB. Checked before replacing: nearly every value holds none, and an import reads tens of thousands of cells.
 */
const HAS_UNTYPED = /[\r\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]|\p{Cf}/u;
/**
 * A text's last run of `unit`s, matched from the run's first unit only (none may come before it): `(?:unit)+$` alone is
 * tried from every unit of a run, each try reading to the run's end before it fails where more text follows, so a
 * message of 12 000 。 and a letter took 11 s, holding every other event and click; so it reads each once.
 */
export function trailingRun(unit: string): RegExp {
  return new RegExp(`(?<!${unit})(?:${unit})+$`, 'u');
}

/** Text as typed, without what nobody sees and without the spaces around it; a line ends with a line feed alone (not \r\n, not \r). */
export const typedText = (v: string) => (HAS_UNTYPED.test(v) ? v.replace(UNTYPED, (m) => (m[0] === '\r' ? '\n' : '')) : v).trim();

/** Too long, and by how much: on a phone nobody counts 1 087 characters (as zod counts them, in UTF-16 units). */
const tooLong = (label: string, max: number) => ({ error: (issue: { input?: unknown }) => `${label}不能超过 ${max} 字（现为 ${String(issue.input ?? '').length} 字）` });

// the two text schemas say their types: inferred, each use compares zod's nested preprocess types (3 s of every type check)
export const text = (label: string, max: number): z.ZodType<string> =>
  z.preprocess(
    (v) => (typeof v === 'string' ? typedText(v) : v),
    // missing is 请填写; a number or an object (a JSON caller's slip) is told what it must be, not to fill in what it did
    z.string({ error: (issue) => (issue.input === undefined || issue.input === null ? `请填写${label}` : `${label}须为文字`) }).min(1, `请填写${label}`).max(max, tooLong(label, max)),
  );

export const optionalText = (label: string, max: number): z.ZodType<string | undefined> =>
  z.preprocess((v) => (typeof v === 'string' ? typedText(v) || undefined : blankToUndefined(v)), z.string({ error: `${label}须为文字` }).max(max, tooLong(label, max)).optional());

const halves = (step: number) => step === 0.5;

/**
 * A number typed into a text input, read by `readNumber`; bounds inclusive; `share` also takes “10%” as 0.1, and a
 * share of 0 to 1 takes 10 (above 1, up to 100) as 10% too;
 * `rangeWhy` says after the bounds why they are so, where the measures decide it.
 */
export const numberField = (label: string, min: number, max: number, opts: { integer?: boolean; step?: number; share?: boolean; unit?: string; rangeWhy?: string } = {}) => {
  const unit = opts.unit ?? '';
  return z.preprocess(
    (v) => {
      const n = readNumber(v);
      const percent = opts.share && (typedAsPercent(v) || (min === 0 && max === 1 && shareTypedAsPercentWithoutSign(v)));
      return n !== undefined && percent ? Math.round((n / 100) * 1e6) / 1e6 : n;
    },
    z
      .number({ error: (iss) => (iss.input === undefined ? `请填写${label}` : `${label}须为数字`) })
      .refine((n) => !Number.isNaN(n), `${label}须为数字`)
      // a share out of range (150, or 150%) is told both ways it may be written
      .refine(
        (n) => n >= min && n <= max,
        opts.share && min === 0 && max === 1 ? `${label}须在 0 到 1 之间，如前 10% 填 0.1 或 10%` : `${label}须在 ${min} 到 ${max} ${unit}之间${opts.rangeWhy ? `：${opts.rangeWhy}` : ''}`,
      )
      .refine((n) => !opts.integer || Number.isInteger(n), `${label}须为整数`)
      .refine(
        (n) => !opts.step || Math.abs(n / opts.step - Math.round(n / opts.step)) < 1e-9,
        opts.step && halves(opts.step) ? `${label}须为整分或半分（如 4 或 4.5）` : `${label}须为 ${opts.step} 的整数倍`,
      ),
  );
};

/** YYYY-MM-DD, read by `readDate`; a real calendar date. */
export const dateField = (label: string) =>
  z.preprocess(
    readDate,
    z
      .string({ error: `请选择${label}` })
      .regex(/^\d{4}-\d{2}-\d{2}$/, `${label}须为日期（如 2026-05-31 或 2026年5月31日）`)
      .refine((s) => isRealDate(s), `${label}不是有效日期`),
  );

const openIdPattern = /^ou_[A-Za-z0-9_-]+$/;

export const openIdField = (label: string, missing = `请选择${label}`) =>
  z.preprocess((v) => (Array.isArray(v) ? v[0] : v), z.string({ error: missing }).regex(openIdPattern, missing));

export const openIdList = (label: string, max = 200) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? [v] : v),
    z.array(z.string().regex(openIdPattern, `${label}无效`), { error: `请选择${label}` }).min(1, `请选择${label}`).max(max, `${label}最多 ${max} 人`),
  );

export const option = <T extends string>(label: string, values: readonly [T, ...T[]]) =>
  z.preprocess((v) => (Array.isArray(v) ? v[0] : blankToUndefined(v)), z.enum(values, { error: `请选择${label}` }));

/**
 * A link, without the spaces around it. A space inside is refused, not encoded: “https://…/docx/abc 申报材料（请查阅）” would
 * open …/docx/abc%20%E7%94%B3…, a page that does not exist.
 */
export const httpUrl = (label: string, max = 500) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? typedText(v) : v),
    z
      .string({ error: `请填写${label}` })
      .min(1, `请填写${label}`)
      .max(max, tooLong(label, max))
      .refine((s) => s.length > max || !/\s/.test(s), `${label}中不能有空格或文字说明，只填链接`)
      .refine((s) => {
        // told to paste the link alone, not also that it is no link
        if (/\s/.test(s)) return true;
        try {
          const u = new URL(s);
          return u.protocol === 'https:' || u.protocol === 'http:';
        } catch {
          return false;
        }
      }, `${label}须为以 http:// 或 https:// 开头的链接`),
  );

/** One problem of a submitted form: the field it is about ('' for the form as a whole) and what to do. */
export interface FormProblem {
  field: string;
  message: string;
}

/** A zod issue as the user reads it: naming the field, zod's own English wording replaced. */
function problemOf(issue: z.core.$ZodIssue, labels: Record<string, string>): FormProblem {
  const field = String(issue.path[0] ?? '');
  const label = labels[field];
  const message = issue.message.startsWith('Invalid') || issue.message.startsWith('Expected') ? `${label ?? field}填写有误` : issue.message;
  return { field, message: label && !message.includes(label) ? `${label}：${message}` : message };
}

/** Problems a toast names at most, as a score sheet's refusal names its items (src/review/scoring.ts); the rest are counted. */
export const PROBLEMS_NAMED = 5;

/**
 * The toast of a form refused for several problems, as a score sheet's reads: how many, then each numbered (“2 处需修改：
 * 1. …；2. …”), a problem's own full stop dropped before the “；”. On a phone the toast is what is read first.
 */
export function problemsText(problems: readonly string[]): string {
  const named = problems.slice(0, PROBLEMS_NAMED).map((p, i) => `${i + 1}. ${p.replace(/[。；;]+$/, '')}`);
  const more = problems.length - named.length;
  return `${problems.length} 处需修改：${named.join('；')}${more > 0 ? `；另有 ${more} 处` : ''}`;
}

/**
 * Every problem of a form at once, one per field (its first) in the form's field order (`labels`' order), so a form
 * with five mistakes is fixed in one go: one problem is a UserError saying it; several say how many and each (the
 * toast, `problemsText`), each listed in `problems` (the card's 请修改 block, `formErrorOf`).
 */
export function formProblems(problems: readonly FormProblem[], labels: Record<string, string>): UserError {
  const order = Object.keys(labels);
  const rank = (p: FormProblem) => (order.includes(p.field) ? order.indexOf(p.field) : order.length);
  const byField = new Map<string, FormProblem>();
  for (const p of problems) if (!byField.has(p.field || p.message)) byField.set(p.field || p.message, p);
  const each = [...byField.values()].sort((a, b) => rank(a) - rank(b));
  if (each.length === 1) return new UserError(each[0].message, { field: each[0].field });
  return new UserError(problemsText(each.map((p) => p.message)), { field: each[0].field, problems: each.map((p) => p.message) });
}

/** Parses form values; its problems (all of them, `formProblems`) become a UserError naming the fields. */
export function parseForm<S extends z.ZodType>(schema: S, values: Record<string, unknown>, labels: Record<string, string>): z.output<S> {
  const result = schema.safeParse(values);
  if (result.success) return result.data;
  throw formProblems(
    result.error.issues.map((issue) => problemOf(issue, labels)),
    labels,
  );
}

/** The problems parseForm would refuse the values for (none when they parse), to tell beside one found elsewhere. */
export function problemsOf(schema: z.ZodType, values: Record<string, unknown>, labels: Record<string, string>): FormProblem[] {
  const result = schema.safeParse(values);
  return result.success ? [] : result.error.issues.map((issue) => problemOf(issue, labels));
}

/**
 * A check across fields (an end after its start) run once those fields are valid, whatever the others hold: without it
 * zod runs a form's refinement only when every field passed, and its problem would be told one submit later. A check
 * that reads only what it has checked itself (a date it finds real) may name none.
 */
export const onceValid = (fields: readonly string[]) => ({
  when: (payload: z.core.ParsePayload) =>
    typeof payload.value === 'object' && payload.value !== null && !payload.issues.some((issue) => fields.includes(String(issue.path?.[0] ?? ''))),
});

// --- descriptors -------------------------------------------------------------------------------

interface BaseField {
  label: string;
  /** Where the measures ask for it: “第十三条第5款”. */
  article?: string;
  /** Required unless false. */
  required?: boolean;
  /** A short hint after the label: “须达 90% 以上”. */
  help?: string;
  placeholder?: string;
  /**
   * A valid value as typed, where the kind alone does not make one (a phone number): used by tests, and shown as the
   * placeholder when there is none. A phone number or an e-mail is no placeholder: a tenant's data-loss prevention (DLP)
   * refuses a message showing one; give `placeholder` then (138××××××××, name@公司邮箱).
   */
  example?: string;
}

export type FieldSpec =
  | (BaseField & {
      kind: 'text' | 'longText';
      maxLength: number;
      pattern?: { regex: RegExp; message: string };
      /** Run once the pattern holds: what else is wrong with the value (a mobile typed a digit short), else undefined. */
      check?: (value: string) => string | undefined;
    })
  | (BaseField & { kind: 'url'; maxLength?: number })
  | (BaseField & { kind: 'number' | 'integer' | 'percent'; min: number; max: number; step?: number; unit?: string; share?: boolean; /** Why the bounds are so, told after them when refused. */ rangeWhy?: string })
  | (BaseField & { kind: 'date' })
  | (BaseField & { kind: 'select'; options: readonly { value: string; label: string }[] })
  | (BaseField & { kind: 'person' | 'persons'; max?: number })
  | (BaseField & { kind: 'checkbox' });
export type FieldKind = FieldSpec['kind'];
export type FormFields = Record<string, FieldSpec>;

export interface FormDescriptor<F extends FormFields = FormFields> {
  /** The card form's name. */
  name: string;
  title: string;
  fields: F;
}

type FieldValue<S> = S extends { kind: 'number' | 'integer' | 'percent' }
  ? number
  : S extends { kind: 'persons' }
    ? string[]
    : S extends { kind: 'checkbox' }
      ? boolean
      : S extends { options: readonly { value: infer V }[] }
        ? V
        : string;

/** What a descriptor's schema gives: each field typed by its kind, optional where not required. */
export type FormValues<F extends FormFields> = { -readonly [K in keyof F as F[K] extends { required: false } ? never : K]: FieldValue<F[K]> } & {
  -readonly [K in keyof F as F[K] extends { required: false } ? K : never]?: FieldValue<F[K]>;
};

export const defineForm = <const F extends FormFields>(d: FormDescriptor<F>): FormDescriptor<F> => d;

export const isNumeric = (f: FieldSpec): f is Extract<FieldSpec, { min: number }> => f.kind === 'number' || f.kind === 'integer' || f.kind === 'percent';

/** The label as a message names the field: “培训率（%）”. */
export const fieldName = (f: FieldSpec) => (f.kind === 'percent' ? `${f.label}（%）` : f.label);

/** `lookup`: a look-up field is beside this person picker (`contact` and `contactLookup`), and may fill it instead. */
function fieldSchema(f: FieldSpec, lookup = false): z.ZodType {
  const name = fieldName(f);
  const optional = f.required === false;
  switch (f.kind) {
    case 'text':
    case 'longText': {
      const s: z.ZodType<string | undefined> = optional ? optionalText(name, f.maxLength) : text(name, f.maxLength);
      const { pattern, check } = f;
      if (!pattern) return s;
      // zod checks on after .max refused: a value over its length is told that alone, and its pattern not run on 100 000 characters
      // a patterned value typed in full width (a phone number, ０２０－１２３４５６７８) is the same value in half width
      return z.preprocess(
        (v) => (typeof v === 'string' ? halfWidth(v) : v),
        s.superRefine((v, ctx) => {
          if (v === undefined || v.length > f.maxLength) return;
          const problem = pattern.regex.test(v) ? check?.(v) : pattern.message;
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
      );
    }
    case 'url':
      return optional ? z.preprocess(blankToUndefined, httpUrl(name, f.maxLength).optional()) : httpUrl(name, f.maxLength);
    case 'number':
    case 'integer':
    case 'percent': {
      const s = numberField(name, f.min, f.max, { integer: f.kind === 'integer', step: f.step, share: f.share, unit: f.unit, rangeWhy: f.rangeWhy });
      return optional ? z.preprocess(blankToUndefined, s.optional()) : s;
    }
    case 'date':
      return optional ? z.preprocess(blankToUndefined, dateField(name).optional()) : dateField(name);
    case 'select': {
      const s = option(name, f.options.map((o) => o.value) as [string, ...string[]]);
      return optional ? z.preprocess((v) => (Array.isArray(v) ? v[0] : blankToUndefined(v)), s.optional()) : s;
    }
    case 'person':
      return optional
        ? z.preprocess((v) => blankToUndefined(Array.isArray(v) ? v[0] : v), openIdField(name).optional())
        : openIdField(name, lookup ? `请从列表中选择${name}，或在下方一栏填其飞书账号的手机号或邮箱` : undefined);
    case 'persons':
      return optional ? z.preprocess(blankToUndefined, openIdList(name, f.max).optional()) : openIdList(name, f.max);
    case 'checkbox': {
      const checked = z.preprocess((v) => v === true || v === 'true', z.boolean());
      return optional ? checked : z.preprocess((v) => v === true || v === 'true', z.literal(true, { error: `请勾选“${f.label}”` }));
    }
  }
}

/** The zod schema of a form: each field's own check, refusals naming the field. */
export function formSchema<F extends FormFields>(d: FormDescriptor<F>): z.ZodType<FormValues<F>, unknown> {
  const fields: FormFields = d.fields;
  return z.object(Object.fromEntries(Object.entries(fields).map(([key, f]) => [key, fieldSchema(f, `${key}Lookup` in fields)]))) as unknown as z.ZodType<FormValues<F>, unknown>;
}

/**
 * The fields of `keys` that are valid each on its own, read as the form's schema reads them (an invalid one left out): a
 * check of what the form declares, told beside the form's other problems rather than one submit later.
 */
export function validFields<F extends FormFields>(d: FormDescriptor<F>, values: Record<string, unknown>, keys: readonly (keyof F & string)[]): Partial<FormValues<F>> {
  const fields: FormFields = d.fields;
  const read: Record<string, unknown> = {};
  for (const key of keys) {
    const result = fieldSchema(fields[key], `${key}Lookup` in fields).safeParse(values[key]);
    if (result.success && result.data !== undefined) read[key] = result.data;
  }
  return read as Partial<FormValues<F>>;
}

export const formLabels = (d: FormDescriptor) => Object.fromEntries(Object.entries(d.fields).map(([k, f]) => [k, fieldName(f)]));

/** Reads a submitted form against its descriptor (or a schema built from it); its problems are a UserError naming the fields (`parseForm`). */
export function readForm<F extends FormFields>(d: FormDescriptor<F>, values: Record<string, unknown>, schema: z.ZodType<FormValues<F>, unknown> = formSchema(d)): FormValues<F> {
  return parseForm(schema, values, formLabels(d));
}

export interface DisplayRow {
  key: string;
  label: string;
  kind: FieldKind;
  /** What a person reads: option labels, “96%”, “2026年4月1日”; '' when not filled. */
  text: string;
}

/** One stored value as people read it. */
export function fieldText(f: FieldSpec, v: unknown): string {
  if (v === undefined || v === null || v === '') return '';
  switch (f.kind) {
    case 'percent':
      return `${v}%`;
    case 'number':
    case 'integer':
      return `${v}${f.unit ?? ''}`;
    case 'date':
      return formatDateZh(String(v));
    case 'select':
      return f.options.find((o) => o.value === v)?.label ?? String(v);
    case 'persons':
      return Array.isArray(v) ? v.join('、') : String(v);
    case 'checkbox':
      return v === true ? '是' : '否';
    default:
      return String(v);
  }
}

/** The read-only display of a stored form, field by field in the descriptor's order. */
export function formDisplay(d: FormDescriptor, values: Record<string, unknown> | null | undefined): DisplayRow[] {
  return Object.entries(d.fields).map(([key, f]) => ({ key, label: f.label, kind: f.kind, text: fieldText(f, values?.[key]) }));
}

/** The numeric fields of a form, for the readers' tests and for anything that lists them. */
export const numericFields = (d: FormDescriptor) => Object.entries(d.fields).filter(([, f]) => isNumeric(f)) as [string, Extract<FieldSpec, { min: number }>][];
