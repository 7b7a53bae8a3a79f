import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.js';
import { dateField, numberField, parseForm } from '../src/forms.js';

const schema = z.object({ rate: numberField('培训率（%）', 0, 100), day: dateField('活动开始日期').optional() });
const parse = (values: Record<string, unknown>) => parseForm(schema, values, { rate: '培训率', day: '活动开始日期' });

describe('form values as Feishu sends them', () => {
  it('reads numbers typed with a percent sign or full-width digits', () => {
    expect(parse({ rate: '95%' }).rate).toBe(95);
    expect(parse({ rate: '９２．５％' }).rate).toBe(92.5);
    expect(parse({ rate: ' 90 ' }).rate).toBe(90);
  });

  it('refuses what is no number or out of range, naming the field', () => {
    for (const rate of ['九十', '120', '-1', '']) {
      expect(() => parse({ rate })).toThrow(UserError);
      expect(() => parse({ rate })).toThrow(/培训率/);
    }
  });

  it('cuts a date picker zone suffix and refuses a date that does not exist', () => {
    expect(parse({ rate: '95', day: '2026-05-31 +0800' }).day).toBe('2026-05-31');
    expect(() => parse({ rate: '95', day: '2026-02-30' })).toThrow(/活动开始日期/);
  });
});
