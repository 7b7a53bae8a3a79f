import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applications, cycles } from '../../db/schema.js';
import type { Harness } from '../support/harness.js';
import { MODES } from '../support/worlds.js';
import { type Fixture, personas, securityBotForBlock } from './securityFixture.js';

/**
 * The 帮助 menu highlights the caller's next step, not 注册班组 for everyone: a contact with applications to confirm,
 * 待确认申报 and how many; a leader, 年度申报 while the year takes applications, else 我的班组; 注册班组 only for someone
 * in no team. The same whether the menu is typed, or sent by 在私聊中打开我的菜单 (drawn when it is sent, on either path).
 */

/** The menu's buttons as the user reads them, the highlighted one marked. */
function buttons(card: unknown): string[] {
  const out: string[] = [];
  JSON.stringify(card, (_k, v) => {
    if (v && v.tag === 'button') out.push(`${v.text?.content}${v.type === 'primary' ? '(primary)' : ''}`);
    return v;
  });
  return out;
}

const primaryOf = (card: unknown) => buttons(card).filter((b) => b.endsWith('(primary)'));
const lastTo = (h: Harness, openId: string) => h.fake.messages.filter((m) => m.receiveId === openId && m.msgType === 'interactive').at(-1)!.content;

describe.each(MODES)('the 帮助 menu’s highlighted button (%s)', (mode) => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((bot) => ({ h, f } = bot), mode);

  /** The highlighted button of `who`'s menu, typed and by the group card's button (help.private). */
  async function highlighted(who: string): Promise<string[]> {
    await h.say(who, '帮助');
    const typed = primaryOf(lastTo(h, who));
    h.clock.advance(60_000);
    await h.click(who, { action: 'help.private' });
    await h.drain();
    expect(primaryOf(lastTo(h, who)), `${who}: help.private`).toEqual(typed);
    return typed;
  }

  it('a contact with an application to confirm: 待确认申报 with the count, not 注册班组', async () => {
    expect(await highlighted(personas.contact)).toEqual(['待确认申报（1）(primary)']);
    expect(buttons(lastTo(h, personas.contact))).toContain('注册班组');
  });

  it('a leader while the year takes applications: 年度申报', async () => {
    expect(await highlighted(personas.leader)).toEqual(['年度申报(primary)']);
  });

  it('a member: 我的班组; an administrator: 协会管理; an expert: 评分任务; someone in no team: 注册班组', async () => {
    expect(await highlighted(personas.member)).toEqual(['我的班组(primary)']);
    expect(await highlighted(personas.admin)).toEqual(['协会管理(primary)']);
    expect(await highlighted(personas.expert)).toEqual(['评分任务(primary)']);
    expect(await highlighted(personas.public)).toEqual(['注册班组(primary)']);
  });

  it('once confirmed, the contact’s is 我的班组; once the year takes no applications, the leader’s is 我的班组', async () => {
    await h.db.db.update(applications).set({ status: 'recommended' }).where(eq(applications.id, f.appA));
    await h.db.db.update(cycles).set({ applicationDeadline: '2027-03-01' }).where(eq(cycles.id, f.cycleId));
    try {
      expect(await highlighted(personas.contact)).toEqual(['我的班组(primary)']);
      expect(await highlighted(personas.leader)).toEqual(['我的班组(primary)']);
    } finally {
      await h.db.db.update(applications).set({ status: 'submitted' }).where(eq(applications.id, f.appA));
      await h.db.db.update(cycles).set({ applicationDeadline: '2027-05-31' }).where(eq(cycles.id, f.cycleId));
    }
  });
});
