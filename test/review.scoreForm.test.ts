import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.js';
import { parseScoreForm, scoreFields, scoreFormSchema } from '../src/review/scoring.js';
import { defaultScoreSheet } from '../src/scoreSheet.js';

/** The score form's reading: what it accepts as typed and what it refuses, naming the item (第十八条). */

const fields = scoreFields(defaultScoreSheet);
function full(set: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f.field] = String(f.max);
  return { ...out, ...set };
}
function refusal(formValue: Record<string, unknown>): string {
  try {
    parseScoreForm(defaultScoreSheet, formValue);
  } catch (err) {
    if (err instanceof UserError) return err.message;
    throw err;
  }
  throw new Error('accepted');
}

describe('parseScoreForm', () => {
  it('reads full-width digits, units, spaces, numbers and half points, totals them and trims the comment', () => {
    const r = parseScoreForm(defaultScoreSheet, full({ i1_1: '４．５', i1_2: '3.5分', i1_3: ' 2 ', i1_4: 0, comment: '  资料齐全  ' }));
    expect(r.scores).toMatchObject({ '1.1': 4.5, '1.2': 3.5, '1.3': 2, '1.4': 0 });
    expect(Object.keys(r.scores)).toEqual(fields.map((f) => f.code));
    expect(r.total).toBe(100 - 0.5 - 1.5 - 3 - 5);
    expect(r.comment).toBe('资料齐全');
  });

  it('takes a blank, missing or null comment as none', () => {
    for (const comment of ['   ', undefined, null, '', []]) expect(parseScoreForm(defaultScoreSheet, full({ comment })).comment).toBeNull();
  });

  it('refuses, naming every wrong item in the sheet’s order, what is blank, not a number, out of range or not a half point', () => {
    expect(refusal(full({ i1_3: 'abc', i1_2: '' }))).toBe(
      '2 处需修改：1.2 质量安全管理制度健全并严格执行：请填写分数（在 0 到 5 分之间，且为整分或半分）；1.3 标准化作业与现场管理系统：“abc”不是数字，须在 0 到 5 分之间，且为整分或半分',
    );
    expect(refusal(full({ i1_3: 'abc' }))).toBe('1.3 标准化作业与现场管理系统：“abc”不是数字，须在 0 到 5 分之间，且为整分或半分');
    expect(refusal(full({ i1_1: '6' }))).toBe('1.1 目标分解与职能明确：须在 0 到 5 分之间，且为整分或半分');
    expect(refusal(full({ i1_1: '-1' }))).toBe('1.1 目标分解与职能明确：须在 0 到 5 分之间，且为整分或半分');
    expect(refusal(full({ i1_1: '4.3' }))).toBe('1.1 目标分解与职能明确：须在 0 到 5 分之间，且为整分或半分');
    // a value no text input sends is not echoed as [object Object]
    expect(refusal(full({ i1_1: { n: 1 } }))).toBe('1.1 目标分解与职能明确：请填写数字，须在 0 到 5 分之间，且为整分或半分');
    expect(refusal(full({ i1_1: ['4'] }))).toBe('1.1 目标分解与职能明确：请填写数字，须在 0 到 5 分之间，且为整分或半分');
  });

  it('names the items left blank by their codes in one part, the others each with what is wrong', () => {
    const untouched = refusal({ comment: '' });
    expect(untouched).toBe(`19 处需修改：未填写 ${fields.map((f) => f.code).join('、')} 的分数（每项不超过该项满分，整分或半分）`);
    expect(untouched.length).toBeLessThan(120);
    expect(refusal(full({ i1_2: '', i2_1: '', i1_3: 'abc' }))).toBe(
      '3 处需修改：未填写 1.2、2.1 的分数（每项不超过该项满分，整分或半分）；1.3 标准化作业与现场管理系统：“abc”不是数字，须在 0 到 5 分之间，且为整分或半分',
    );
  });

  it('shows the decimal point to one who typed a comma', () => {
    expect(refusal(full({ i1_1: '4,5' }))).toBe('1.1 目标分解与职能明确：“4,5”不是数字，须在 0 到 5 分之间，且为整分或半分；小数请用小数点，如 4.5');
    expect(refusal(full({ i1_1: '４，５' }))).toContain('；小数请用小数点，如 4.5');
    // a thousands separator is no decimal comma
    expect(refusal(full({ i1_1: '1,000' }))).not.toContain('小数点');
  });

  it('refuses a comment over 1 000 characters or not text, naming it', () => {
    expect(refusal(full({ comment: '好'.repeat(1001) }))).toContain('不能超过 1000 字');
    expect(parseScoreForm(defaultScoreSheet, full({ comment: '好'.repeat(1000) })).comment).toHaveLength(1000);
    // in Chinese, as every refusal is: a number or an object is no comment Feishu's input sends, yet it is named
    expect(refusal(full({ comment: 42 }))).toBe('评审意见须为文字');
    expect(refusal(full({ comment: { a: 1 } }))).toBe('评审意见须为文字');
  });
});

describe('parseScoreForm without its schema', () => {
  // a small deterministic generator, so a failure replays
  let seed = 1202;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const typed = (max: number): unknown =>
    pick([
      () => String(Math.round(random() * max * 2) / 2),
      () => Math.round(random() * max * 2) / 2,
      () => `${Math.round(random() * max)}分`,
      () => ` ${Math.round(random() * max)}.5 `,
      () => '４．５',
      () => '',
      () => null,
      () => undefined,
      () => 'abc',
      () => String(max + 0.5),
      () => '-1',
      () => '1.25',
      () => [],
      () => Number.NaN,
      () => '1,000',
      () => '.5',
    ])();
  const comments: unknown[] = [
    '', '  意见  ', undefined, null, 'x'.repeat(1000), ` ${'x'.repeat(1000)} `, 'x'.repeat(1001), 12, [], ['a'], { a: 1 },
    // pasted from Word or a web page: a zero-width space, a vertical tab, \r\n, a right-to-left override, a C1 control
    '资料\u200b齐全\u000b第二行\r\n\u202e尾', '\u0085意见\u00ad', `${'x'.repeat(1000)}\u200b\u200b`,
  ];

  it('answers what the schema answers, for 3 000 forms typed every way (most of them accepted)', () => {
    const schema = scoreFormSchema(defaultScoreSheet);
    let accepted = 0;
    for (let n = 0; n < 3000; n++) {
      // most forms are as an expert sends them; a fifth carry one odd value somewhere
      const odd = random() < 0.2;
      const form: Record<string, unknown> = {};
      for (const f of fields) form[f.field] = odd && random() < 0.15 ? typed(f.max) : String(Math.round(random() * f.max * 2) / 2);
      form.comment = odd ? pick(comments) : pick(['', '资料齐全', undefined]);
      const expected = schema.safeParse(form);
      let got: unknown;
      try {
        got = parseScoreForm(defaultScoreSheet, form);
      } catch (err) {
        got = err instanceof UserError ? 'refused' : err;
      }
      if (expected.success) accepted++;
      expect(got, JSON.stringify(form)).toEqual(expected.success ? expected.data : 'refused');
    }
    expect(accepted).toBeGreaterThan(2000);
    expect(accepted).toBeLessThan(3000);
  });
});
