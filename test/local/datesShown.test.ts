import { describe, expect, it } from 'vitest';
import { cardSamples } from './cardSamples.js';

/** Keys whose strings people do not read as text: a picker's initial value, a field's typed value, ids. */
const NOT_READ = new Set(['behaviors', 'value', 'name', 'tag', 'url', 'initial_date', 'initial_time', 'initial_datetime', 'default_value', 'initial_option', 'selected_values']);

function shownText(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) shownText(x, out);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (!NOT_READ.has(k)) shownText(x, out);
  return out;
}

const ISO_DATE = /\d{4}-\d{1,2}-\d{1,2}/g;

/**
 * An ISO date may stand where it is what to type (“如 2026-05-31”, “请写成 2024-03-15”) or quotes what was
 * typed (“注册日期“2024-02-30”无法识别”); anywhere else a date is shown as people read it: 2026年12月1日.
 */
function isoDatesShown(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(ISO_DATE)) {
    const before = text.slice(Math.max(0, m.index - 4), m.index);
    if (/(如|例如|写成|格式)\s*$/.test(before) || /[“"]$/.test(before)) continue;
    found.push(text.slice(Math.max(0, m.index - 12), m.index + m[0].length + 4));
  }
  return found;
}

describe('one date style: no card shows a date as 2026-12-01', () => {
  for (const [builder, sample] of Object.entries(cardSamples)) {
    it(builder, () => {
      for (const output of sample()) expect(shownText(output).flatMap(isoDatesShown)).toEqual([]);
    });
  }

  it('the rule itself: a shown date is found, a format hint and a quoted value are not', () => {
    expect(isoDatesShown('**收到日期**：2027-05-02')).toHaveLength(1);
    expect(isoDatesShown('日期须为日期（如 2026-05-31 或 2026年5月31日）')).toEqual([]);
    expect(isoDatesShown('注册日期“2024-02-30”无法识别，请写成 2024-03-15')).toEqual([]);
    expect(shownText({ tag: 'date_picker', initial_date: '2026-05-31', placeholder: { content: '请选择' } })).toEqual(['请选择']);
  });
});
