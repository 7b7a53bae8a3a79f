import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applications, people } from '../../db/schema.js';
import { personas, startSecurityHarness } from './securityFixture.js';

/**
 * Clicks repeated or crossed, as people make them: a refused click whose answer was lost and Feishu delivers again, two
 * administrators deciding one application differently, a contact pressing the other button after deciding, 公布结果
 * pressed twice at once, and a 保存草稿 whose values are not what Feishu sends. Each on the one-statement paths and off.
 */

const SECOND_ADMIN = 'ou_secondadmin000000000000000000001';
/** 已于 2027年3月10日 09:00: the day and the minute. */
const at = '已于 \\d{4}年\\d{1,2}月\\d{1,2}日 \\d{2}:\\d{2}';

const start = async (mode: 'fast' | 'ordinary') => {
  const bot = await startSecurityHarness();
  bot.h.app.processor.fastPaths = mode === 'fast';
  await bot.h.db.db.insert(people).values({ openId: SECOND_ADMIN, name: '第二管理员', roles: ['admin'] });
  return bot;
};

describe.each(['fast', 'ordinary'] as const)('retried and crossed clicks (%s)', (mode) => {
  it('a refused click delivered again under its event_id is not told it was done', async () => {
    const { h, f } = await start(mode);
    try {
      const value = { action: 'endorse.recommend', applicationId: f.appA };
      // no opinion: refused, nothing saved
      const first = await h.click(personas.contact, value, { truthful: true, opinion: '' }, { eventId: 'ev_refused_twice' });
      const again = await h.click(personas.contact, value, { truthful: true, opinion: '' }, { eventId: 'ev_refused_twice' });
      expect(first.toast).toEqual({ type: 'error', content: '请填写推荐意见' });
      expect(again.toast).toEqual({ type: 'info', content: '这次点击已收到，请以卡片当前内容为准；如卡片未更新，请重新打开后再操作' });
      const [app] = await h.db.db.select().from(applications).where(eq(applications.id, f.appA));
      expect(app.status).toBe('submitted');
    } finally {
      await h.close();
    }
  });
});
