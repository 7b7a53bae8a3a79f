import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { cardText } from '../support/cards.js';
import { ADMIN, startHarness, type Harness } from '../support/harness.js';

/**
 * Questions a team's leader asks about the measures, answered as asked: applying again after a title, what a complaint
 * against the team means for it, the usual misspellings (截至, 申抱, dealine), and a deadline while the year that sets it runs.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-03-10T09:00:00+08:00') });
});
afterAll(async () => {
  await h?.close();
});

const USER = 'ou_user0000000000000000000000000088';

/** The text of the one message the user got for what they said, a card's as shown. */
async function answerTo(text: string): Promise<string> {
  h.fake.reset();
  await h.say(USER, text);
  const sent = h.fake.messages.filter((m) => m.receiveId === USER).map((m) => (m.msgType === 'interactive' ? cardText(m.content) : (m.content.text as string)));
  expect(sent).toEqual([expect.any(String)]);
  return sent[0];
}

/** The articles an answer shows, in order (第N条（chapter） or 第N条 / Article N（chapter）). */
const articlesShown = (answer: string) => [...answer.matchAll(/\*\*(第[一二三四五六七八九十]+条)(?: \/ Article \d+)?\*\*（第/g)].map((m) => m[1]);

describe('applying again after a title', () => {
  it.each([
    '我们去年评上了今年还能申报吗',
    '我們去年評上了今年還能申報嗎',
    '去年评上了，今年还能再报吗',
    '评上以后还能再申报吗',
    '获奖后还可以再申报吗',
    '获得称号的班组今年还能参评吗',
    'We won last year, can we apply again this year?',
    'We got the title last year. Can we apply this year?',
  ])('%s is 第十九条 first (每年一次)', async (q) => {
    const answer = await answerTo(q);
    expect(articlesShown(answer)[0]).toBe('第十九条');
    expect(answer).toContain('评审交流活动每年一次');
  });

  it('keeps how long a title lasts on 第二十条', async () => {
    expect(articlesShown(await answerTo('去年评上的称号今年还有效吗'))[0]).toBe('第二十条');
  });
});
