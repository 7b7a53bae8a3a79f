import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applications, cycles, honours, teams } from '../../db/schema.js';
import type { Harness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';
import { type Fixture, personas, securityBotForBlock } from './securityFixture.js';

/**
 * The 帮助 menu highlights the caller's next step, not 注册班组 for everyone: a contact with applications to confirm,
 * 待确认申报 and how many; a leader, 年度申报 while the year takes applications and a team of theirs may still apply
 * (as 进度 offers its 年度申报), else 我的班组; 注册班组 only for someone
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

describe.each(MODES_HERE)('the 帮助 menu’s highlighted button (%s)', (mode) => {
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

  it('a leader while the year takes applications and their team may still apply (a draft): 年度申报; once submitted, 我的班组', async () => {
    await h.db.db.update(applications).set({ status: 'draft' }).where(eq(applications.id, f.appA));
    try {
      expect(await highlighted(personas.leader)).toEqual(['年度申报(primary)']);
    } finally {
      await h.db.db.update(applications).set({ status: 'submitted' }).where(eq(applications.id, f.appA));
    }
    expect(await highlighted(personas.leader)).toEqual(['我的班组(primary)']);
  });

  it('a leader whose team cannot apply this year, as 进度 offers no 年度申报: not a year old by the deadline (第十六条), or within a revoked title’s bar (协会规定): 我的班组', async () => {
    const [team] = await h.db.db.select({ registeredAt: teams.registeredAt }).from(teams).where(eq(teams.id, f.teamA.id));
    await h.db.db.update(applications).set({ status: 'draft' }).where(eq(applications.id, f.appA));
    try {
      // the deadline is 2027-05-31: registered 2026-06-01, the team is a year old a day late
      await h.db.db.update(teams).set({ registeredAt: '2026-06-01' }).where(eq(teams.id, f.teamA.id));
      expect(await highlighted(personas.leader)).toEqual(['我的班组(primary)']);
      await h.db.db.update(teams).set({ registeredAt: '2026-05-31' }).where(eq(teams.id, f.teamA.id));
      expect(await highlighted(personas.leader)).toEqual(['年度申报(primary)']);
      // its 2026 title revoked now: the bar outlasts the deadline
      await h.db.db.update(honours).set({ revokedAt: h.clock.now(), revokedReason: '测试' }).where(eq(honours.id, f.honourId));
      expect(await highlighted(personas.leader)).toEqual(['我的班组(primary)']);
    } finally {
      await h.db.db.update(honours).set({ revokedAt: null, revokedReason: null }).where(eq(honours.id, f.honourId));
      await h.db.db.update(teams).set({ registeredAt: team.registeredAt }).where(eq(teams.id, f.teamA.id));
      await h.db.db.update(applications).set({ status: 'submitted' }).where(eq(applications.id, f.appA));
    }
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
