import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardText } from '../support/cards.js';
import type { Harness } from '../support/harness.js';
import { type Fixture, personas, startSecurityHarness } from './securityFixture.js';

/**
 * A member who wants to leave their team (退出班组, 把我移除) was told how a team withdraws (注销班组记录，请联系协会办理),
 * and one asking to have their personal information deleted was not understood. A member who leads no team is told that
 * its leader removes them under 班组成员, and what they then no longer see; the leader still gets the line on a team
 * withdrawing. Removed, the team is theirs no longer: 进度 shows none, the members list leaves them out, and the buttons
 * of its cards they still hold are refused. Anyone asking about their personal information (个人信息, 隐私) is told what
 * the bot keeps and who changes or deletes it.
 */
describe('a member leaving the team, and personal information', () => {
  let h: Harness;
  let f: Fixture;
  beforeAll(async () => {
    ({ h, f } = await startSecurityHarness());
  });
  afterAll(async () => h?.close());

  /** The texts and cards `who` got for what they said. */
  async function answersTo(who: string, text: string): Promise<string> {
    h.fake.reset();
    await h.say(who, text);
    return h.fake.messages
      .filter((m) => m.receiveId === who)
      .map((m) => (m.msgType === 'text' ? String((m.content as { text: string }).text) : cardText(m.content)))
      .join('\n');
  }

  it.each(['退出班组', '我要退出班组', '我不在这个班组了，请把我移除', 'How do I leave the team?'])('a member asking %s is told the leader removes them', async (text) => {
    const answer = await answersTo(personas.member, text);
    expect(answer).toMatch(/班组长|leader/);
    expect(answer).toContain('班组成员');
    expect(answer).not.toContain('注销班组记录');
  });

  it('the leader asking 退出班组 still gets the line on a team withdrawing', async () => {
    expect(await answersTo(personas.leader, '退出班组')).toContain('注销或退出班组');
  });

  it.each(['删除我的个人信息', '你们会保存我的隐私吗', 'delete my personal data'])('%s is answered with what is kept and who deletes it', async (text) => {
    const answer = await answersTo(personas.member, text);
    expect(answer).toMatch(/个人信息|Personal information/);
    expect(answer).toContain('联系协会');
  });

  it('removed by the leader, the member no longer sees the team, and its old buttons are refused', async () => {
    const removed = await h.click(personas.leader, { action: 'team.memberRemove', teamId: f.teamA.id, openId: personas.member });
    expect(removed.toast.type, removed.toast.content).toBe('success');
    expect(cardText(removed.card?.data)).not.toContain(personas.member);
    const status = await answersTo(personas.member, '进度');
    expect(status).not.toContain('广州养护一班');
    expect(status).toContain('你还没有加入任何班组');
    const opened = await h.click(personas.member, { action: 'application.open', teamId: f.teamA.id });
    expect(opened.toast.type).toBe('error');
    expect(opened.card).toBeUndefined();
    // no longer a member: the line on leaving is not theirs any more
    expect(await answersTo(personas.member, '退出班组')).not.toContain('请告诉班组长');
  });
});
