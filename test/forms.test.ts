import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.js';
import { dateField, numberField, parseForm, readDate, readNumber, SCORE_UNIT, typedText } from '../src/forms.js';

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

describe('the one number reader and the one date reader', () => {
  it.each([
    ['７', 7],
    ['４．５', 4.5],
    ['4。5', 4.5],
    ['４。５分', 4.5],
    ['85分', 85],
    ['12人', 12],
    ['12 名', 12],
    ['８位', 8],
    ['2次', 2],
    ['2027年', 2027],
    ['３０天', 30],
    ['5项', 5],
    ['3份', 3],
    ['96％', 96],
    ['９６％', 96],
    [' 7 ', 7],
    ['1,200', 1200],
    ['１，２００', 1200],
    ['-1', -1],
    [12, 12],
    // pasted with a character nobody sees, or ended with the keyboard's full stop
    ['4.5\u200b', 4.5],
    ['\u200e4', 4],
    ['\ufeff12\u2060', 12],
    ['4。', 4],
    ['4.5。', 4.5],
    ['5分。', 5],
    ['12人，', 12],
    ['2027年度', 2027],
  ])('reads %j as %d', (typed, n) => expect(readNumber(typed)).toBe(n));

  it('reads a score item with 分 as its only unit', () => {
    expect(readNumber('4.5分', SCORE_UNIT)).toBe(4.5);
    expect(readNumber('５分。', SCORE_UNIT)).toBe(5);
    for (const slip of ['5%', '5人', '5次', '5个', '5年']) expect(readNumber(slip, SCORE_UNIT)).toBeNaN();
  });

  it.each(['abc', '九十', '1,2', '4.5.1', '5 分 5', '。5', '4。5。1', '4。。', '。'])('reads %j as no number', (typed) => expect(readNumber(typed)).toBeNaN());

  it('reads blank as nothing', () => {
    for (const blank of ['', '  ', undefined, null]) expect(readNumber(blank)).toBeUndefined();
    // a text input sends a string: a list is no number
    expect(readNumber(['12'])).toBeNaN();
  });

  it.each([
    ['2024-04-01 +0800', '2024-04-01'],
    ['2026-12-01', '2026-12-01'],
    ['2026/12/1', '2026-12-01'],
    ['2026年12月1日', '2026-12-01'],
    ['２０２６年１２月１日', '2026-12-01'],
    ['２０２６－１２－０１', '2026-12-01'],
    ['2026.12.1', '2026-12-01'],
    ['20261201', '2026-12-01'],
    ['２０２６１２０１', '2026-12-01'],
  ])('reads the date %j as %s', (typed, iso) => expect(readDate(typed)).toBe(iso));

  it('a share takes 10% as 0.1, and a score field refuses 0.3 where halves only', () => {
    const share = z.object({ s: numberField('择优推荐比例', 0, 1, { share: true }) });
    expect(parseForm(share, { s: '１０％' }, { s: '择优推荐比例' }).s).toBe(0.1);
    // above 1 a number is no share: 10 can only mean 10%, and is read so; 1 stays the whole; past 100 told both ways a share may be written
    expect(parseForm(share, { s: '10' }, { s: '择优推荐比例' }).s).toBe(0.1);
    expect(parseForm(share, { s: '１２.５' }, { s: '择优推荐比例' }).s).toBe(0.125);
    expect(parseForm(share, { s: '1' }, { s: '择优推荐比例' }).s).toBe(1);
    expect(parseForm(share, { s: '0.2' }, { s: '择优推荐比例' }).s).toBe(0.2);
    expect(() => parseForm(share, { s: '150' }, { s: '择优推荐比例' })).toThrow('择优推荐比例须在 0 到 1 之间，如前 10% 填 0.1 或 10%');
    const halves = z.object({ p: numberField('1.1 目标分解与职能明确', 0, 5, { step: 0.5 }) });
    expect(() => parseForm(halves, { p: '0.3' }, {})).toThrow(/1\.1 目标分解与职能明确须为整分或半分/);
    expect(parseForm(halves, { p: '４．５分' }, {}).p).toBe(4.5);
  });
});

describe('text as typed', () => {
  it('drops control characters but the tab and the line feed, and ends lines with a line feed alone', () => {
    expect(typedText(' 路面\u0001松动\r\n第二行\r第三行\t完\u007f\u0000 ')).toBe('路面松动\n第二行\n第三行\t完');
    expect(typedText('广州市市政\u200b工程')).toBe('广州市市政工程');
    expect(typedText('\u0001\u0002')).toBe('');
    // C1 controls (a paste from a Latin-1 program): print as nothing, dropped as C0's are; é (U+00E9) just past them stays
    expect(typedText('班组\u0085名\u0080称\u009f é')).toBe('班组名称 é');
  });

  it('keeps a zero-width joiner between two emoji, which makes them one (👷‍♂️, a family), and drops it elsewhere', () => {
    expect(typedText('养护\u200b班\u200d👷\u200d♂️🚧')).toBe('养护班👷\u200d♂️🚧');
    expect(typedText('👨\u200d👩\u200d👧 班组')).toBe('👨\u200d👩\u200d👧 班组');
    expect(typedText('👍🏽\u200d👍')).toBe('👍🏽\u200d👍');
    expect(typedText('市政\u200d工程')).toBe('市政工程');
  });
});

describe('the 申报表 read as submitted', () => {
  it('refuses an activity that ends before it starts, naming both dates', async () => {
    const { applicationSchema, applicationLabels } = await import('../src/applications.js');
    const form = {
      title: '提高沥青路面修补一次合格率', category: 'maintenance', startDate: '2026-04-01', endDate: '2025-03-31', goalRate: '100', trainingRate: '96', examPassRate: '93.5',
      accidents: 'none', customer: '顾客满意', qc: 'QC 小组', summary: '成果简介', features: '特色', materialsUrl: 'https://example.com/a.pdf',
    };
    expect(() => parseForm(applicationSchema, form, applicationLabels)).toThrow('活动结束日期（2025年3月31日）早于开始日期（2026年4月1日），请核对活动起止日期');
  });
});
