import { describe, expect, it } from 'vitest';
import { splitSpecialities } from '../src/review/experts.js';

describe('专业特长 as typed in the form or an import cell', () => {
  it.each([
    ['道路, 桥梁、检测', ['道路', '桥梁', '检测']],
    ['道路养护；桥梁检测', ['道路养护', '桥梁检测']],
    // as Excel cells often separate them
    ['道路/桥梁', ['道路', '桥梁']],
    ['给排水／燃气 | 照明', ['给排水', '燃气', '照明']],
    ['道路\n桥梁 道路', ['道路', '桥梁']],
    // what is inside brackets is part of one
    ['市政道路(含桥梁/隧道)', ['市政道路(含桥梁/隧道)']],
    ['给排水（含管网、泵站）/照明', ['给排水（含管网、泵站）', '照明']],
    ['检测)/道路', ['检测)', '道路']],
  ])('reads %j as %j', (typed, list) => expect(splitSpecialities(typed)).toEqual(list));

  it('reads blank as none', () => {
    expect(splitSpecialities('')).toEqual([]);
    expect(splitSpecialities(undefined)).toEqual([]);
  });
});
