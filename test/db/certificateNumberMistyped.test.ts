import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { cardText, expectValidCard, inputValues } from '../support/cards.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * 第二十一条: someone checks a certificate's number as printed, and mistypes it — a letter O for the digit 0, a digit
 * too many. It was answered “证书编号不完整 …（年度后还有序号）”, which is untrue of a number that has its serial and sends
 * the reader looking for digits that are not missing; it is told what is wrong with it. A number cut short keeps its answer.
 */

const STRANGER = 'ou_stranger_mistyped0000000000000001';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2028-09-01T10:00:00+08:00') });
});
afterAll(async () => {
  await h?.close();
});

const shown = (s: string) => s.replace(/\*\*/g, '').replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)));

async function answerTo(text: string): Promise<string> {
  h.fake.reset();
  await h.say(STRANGER, text);
  const got = h.fake.messages.filter((m) => m.receiveId === STRANGER);
  expect(got, text).toHaveLength(1);
  expectValidCard(got[0].content);
  return shown(cardText(got[0].content));
}

describe('a certificate number mistyped', () => {
  it.each([
    ['查询证书 GDSZ-ZS-2027-O004', true],
    ['查询证书 GDSZ-ZS-2027-00000004', false],
    ['查询证书 GDSZ-ZS-20277-0004', false],
  ])('%s: said to be mistyped, not incomplete, with the form to correct it', async (text, letter) => {
    const answer = await answerTo(text);
    expect(answer).toContain('证书编号有误：荣誉证书编号形如 GDSZ-ZS-2026-0001');
    expect(answer).not.toContain('不完整');
    if (letter) expect(answer).toContain('字母“O”应为数字“0”');
    else expect(answer).not.toContain('字母“O”');
  });

  it('a number cut short is still said to be incomplete', async () => {
    for (const text of ['查询证书 GDSZ-ZS-2027', '查询证书 GDSZ-ZS']) expect(await answerTo(text)).toContain('证书编号不完整');
  });

  it('the 查询证书 form says the same, keeping what was typed', async () => {
    const body = await h.click(STRANGER, { action: 'certificate.check' }, { query: 'GDSZ-ZS-2027-O004' });
    expectValidCard(body.card.data);
    expect(shown(cardText(body.card.data))).toContain('字母“O”应为数字“0”');
    expect(inputValues(body.card.data).query).toBe('GDSZ-ZS-2027-O004');
  });
});

describe('a certificate number whose letters are swapped', () => {
  it.each(['查询证书 GDZS-ZS-2026-0001', '查询证书 gdzs zs 2026 0001', '查询证书 GDSZ-SZ-2026-0001'])('%s: said to be a mistyped number, not a team no one has', async (text) => {
    const answer = await answerTo(text);
    expect(answer).toContain('证书编号有误');
    expect(answer).toContain('GDSZ-ZS');
    expect(answer).not.toContain('未找到班组');
    expect(answer).not.toContain('班组名册中没有');
  });

  it('the 查询证书 form says the same, keeping what was typed', async () => {
    const body = await h.click(STRANGER, { action: 'certificate.check' }, { query: 'GDZS-ZS-2026-0001' });
    expectValidCard(body.card.data);
    expect(shown(cardText(body.card.data))).toContain('证书编号有误');
    expect(inputValues(body.card.data).query).toBe('GDZS-ZS-2026-0001');
  });
});

describe('查询证书 with a name too long to be a team’s', () => {
  it('says it is too long and what to type, instead of the empty form with no reason', async () => {
    const long = `广东省某某市政工程有限公司第三项目部道路养护一班${'（东区）'.repeat(10)}`;
    expect(long.length).toBeGreaterThan(60);
    const answer = await answerTo(`查询证书 ${long}`);
    expect(answer).toContain('超过 60 个字');
    expect(answer).toContain('班组全称或班组编号');
  });
});
