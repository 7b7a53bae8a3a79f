import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * 导出 typed naming what the register holds (导出专家名单, 导出班组和专家, 导出所有班组, 导出全部数据, export experts): the
 * secretary gets the register, which has those sheets, not an article of the measures on training experts or “没有听懂”;
 * a leader typing the same gets what the text says otherwise, as before, not a refusal of an administrators' command.
 */
let h: Harness;
const clock = new ManualClock('2026-12-06T09:00:00+08:00');
const LEADER = 'ou_exporttypedleader0000000000000001';
beforeAll(async () => {
  h = await startHarness({ clock });
  const [org] = await h.db.db.insert(organizations).values({ name: '甲公司' }).returning();
  await h.db.db.insert(people).values({ openId: LEADER, name: '张班长' });
  await h.db.db.insert(teams).values({
    code: 'GDSZ-2024-0001', name: '一班', organizationId: org.id, department: '', type: 'project', leaderOpenId: LEADER, phone: '13812345678',
    memberCount: 5, functions: '养护', goals: '零缺陷', plan: '每月检查', contactOpenId: LEADER, registeredAt: '2024-01-10',
  });
});
afterAll(async () => {
  await h?.close();
});

const registersTo = (openId: string) =>
  h.fake.messages
    .filter((m) => m.msgType === 'file' && m.receiveId === openId)
    .map((m) => h.fake.upload(m.content.file_key)!)
    .filter((u) => u.fileName?.startsWith('质量信得过班组名册'));
const REFUSED = '只有协会管理员可以使用此功能';

describe('导出 naming the register’s sheets', () => {
  it('typed by an administrator: the register, each time', async () => {
    const asked = ['导出专家名单', '导出班组和专家', '导出所有班组', '导出全部数据', '导出单位、班组、专家表', '名册导出', 'export experts', 'export all teams'];
    for (const [i, text] of asked.entries()) {
      clock.advance(20_000);
      await h.say(ADMIN, text);
      expect(registersTo(ADMIN), text).toHaveLength(i + 1);
    }
  });

  it('typed by a leader: what the text says otherwise (the measures), no refusal, no file', async () => {
    for (const text of ['导出专家名单', 'export experts', '导出所有班组']) {
      const from = h.fake.messages.length;
      await h.say(LEADER, text);
      const answers = h.fake.messages.slice(from).filter((m) => m.receiveId === LEADER);
      expect(answers.length, text).toBeGreaterThan(0);
      for (const m of answers) expect(m.msgType === 'interactive' ? cardText(m.content) : JSON.stringify(m.content), text).not.toContain(REFUSED);
    }
    // 导出 alone, or 导出名册, is the administrators' command word: refused as before
    const from = h.fake.messages.length;
    await h.say(LEADER, '导出名册');
    expect(JSON.stringify(h.fake.messages.slice(from).map((m) => m.content))).toContain(REFUSED);
    expect(registersTo(LEADER)).toEqual([]);
  });

  it('荣誉 alone is not the register (the titles awarded here are the results workbook’s): the measures answer', async () => {
    const before = registersTo(ADMIN).length;
    clock.advance(20_000);
    await h.say(ADMIN, '导出荣誉');
    expect(registersTo(ADMIN)).toHaveLength(before);
  });
});
