import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * An administrator in no team who types 进度, 申报 or 评分 is pointed to where the association sees the applications:
 * 评审进度 on the 协会管理 card. That button is there only while a year runs; before one is opened, the answer says to
 * open one (开启年度评审) instead of naming a button the card does not have.
 */
const clock = new ManualClock('2026-03-05T09:00:00+08:00');
let h: Harness;

const ask = async (text: string) => {
  const before = h.fake.messages.filter((m) => m.receiveId === ADMIN).length;
  await h.say(ADMIN, text);
  await h.drain();
  const answers = h.fake.messages.filter((m) => m.receiveId === ADMIN);
  expect(answers.length, `${text} answered`).toBeGreaterThan(before);
  return cardText(answers.at(-1)!.content);
};

beforeAll(async () => {
  h = await startHarness({ clock });
}, 120_000);
afterAll(async () => {
  await h?.close();
});

describe('an administrator in no team asking where the applications are', () => {
  it('with no year running is told to open one, the 管理 card having no 评审进度 yet', async () => {
    expect(await ask('管理')).not.toContain('评审进度');
    for (const text of ['进度', '申报', '评分', 'status', 'apply', 'review', '退回原因']) {
      const answer = await ask(text);
      expect(answer, text).toContain('目前没有进行中的年度评审');
      expect(answer, text).toContain('开启年度评审');
      expect(answer, text).not.toContain('点“评审进度”查看');
      expect(answer, text).not.toContain('发送“注册”登记班组');
    }
  });

  it('班组编号 asked by an administrator in no team says where the teams’ codes are, not to register a team', async () => {
    for (const text of ['班组编号', '我的班组编号是多少', 'my team code']) {
      const answer = await ask(text);
      expect(answer, text).toContain('导出名册');
      expect(answer, text).not.toContain('发送“注册”登记班组');
    }
  });

  it('with a year running is pointed to 评审进度, which the 管理 card then shows', async () => {
    const opened = await h.click(ADMIN, { action: 'cycle.open' }, { year: '2026', applicationDeadline: '2026-05-31', scoringDeadline: '2026-06-30', reviewMeetingDate: '2026-07-15' });
    expect(opened.toast.type, JSON.stringify(opened.toast)).toBe('success');
    expect(await ask('管理')).toContain('评审进度');
    for (const text of ['进度', '申报', '评分', '退回原因']) {
      const answer = await ask(text);
      expect(answer, text).toMatch(/点“评审进度”查看|的“评审进度”中查看/);
      expect(answer, text).not.toContain('目前没有进行中的年度评审');
    }
  });
});
