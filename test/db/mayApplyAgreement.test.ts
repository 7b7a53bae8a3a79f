import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applications, cycles, honours, teams } from '../../db/schema.js';
import { cardText } from '../support/cards.js';
import type { Harness } from '../support/harness.js';
import { MODES } from '../support/worlds.js';
import { type Fixture, personas, securityBotForBlock } from './securityFixture.js';

/**
 * "May this leader's team still apply this year" is one rule (mayApply, src/applications.ts), and the three places that
 * ask it agree over each of its boundaries: 帮助 highlights 年度申报, 进度 offers its 年度申报 button, and 申报 opens the
 * form (rather than refusing it, or showing an application that has gone further). The year is 2027, its deadline
 * 2027-05-31, today 2027-03-10 (the fixture's); the team is team A, led by the leader persona and alone under them.
 */

const leader = personas.leader;
const lastTo = (h: Harness, openId: string) => h.fake.messages.filter((m) => m.receiveId === openId).at(-1)!;

function buttons(card: unknown): string[] {
  const out: string[] = [];
  JSON.stringify(card, (_k, v) => {
    if (v && v.tag === 'button') out.push(`${v.text?.content}${v.type === 'primary' ? '(primary)' : ''}`);
    return v;
  });
  return out;
}

interface Seen {
  /** 帮助's highlighted button is 年度申报. */
  help: boolean;
  /** 进度 offers 年度申报. */
  status: boolean;
  /** 申报 opens the form. */
  apply: boolean;
  /** What 申报 answered: its refusal, or the card's text. */
  applyAnswer: string;
  /** The 进度 card's text (its 下一步). */
  statusText: string;
}

describe.each(MODES)('帮助, 进度 and 申报 agree on whether the team may still apply (%s)', (mode) => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((bot) => ({ h, f } = bot), mode);

  async function seen(): Promise<Seen> {
    await h.say(leader, '帮助');
    const help = buttons(lastTo(h, leader).content).includes('年度申报(primary)');
    await h.say(leader, '进度');
    const statusCard = lastTo(h, leader).content;
    await h.say(leader, '申报');
    const answer = lastTo(h, leader);
    return {
      help,
      status: buttons(statusCard).some((b) => b.startsWith('年度申报')),
      apply: answer.msgType === 'interactive' && JSON.stringify(answer.content).includes('"application.submit"'),
      applyAnswer: answer.msgType === 'text' ? String(answer.content.text) : cardText(answer.content),
      statusText: cardText(statusCard),
    };
  }

  /** The three agree, and say `may`. */
  async function agree(may: boolean): Promise<Seen> {
    const s = await seen();
    expect({ help: s.help, status: s.status, apply: s.apply }, s.applyAnswer).toEqual({ help: may, status: may, apply: may });
    return s;
  }

  async function setState(state: { registeredAt?: string; status?: string; teamStatus?: string; revokedAt?: Date; barDays?: number }) {
    await h.db.db
      .update(teams)
      .set({ registeredAt: state.registeredAt ?? '2025-01-10', status: state.teamStatus ?? 'active' })
      .where(eq(teams.id, f.teamA.id));
    await h.db.db.update(applications).set({ status: state.status ?? 'draft' }).where(eq(applications.id, f.appA));
    await h.db.db
      .update(honours)
      .set({ revokedAt: state.revokedAt ?? null, revokedReason: state.revokedAt ? '测试' : null })
      .where(eq(honours.id, f.honourId));
    await h.db.db
      .update(cycles)
      .set({ settings: state.barDays === undefined ? {} : { revocationBarDays: state.barDays } })
      .where(eq(cycles.id, f.cycleId));
  }

  it('第十六条: a year old the day before the deadline or on it may apply; a year old the day after may not, told by 申报 and 进度 alike', async () => {
    await setState({ registeredAt: '2026-05-30' });
    await agree(true);
    await setState({ registeredAt: '2026-05-31' });
    await agree(true);
    await setState({ registeredAt: '2026-06-01' });
    const s = await agree(false);
    // the refusal's words as they were before the rule was made one
    expect(s.applyAnswer).toBe('第十六条：注册满一年后方可参加评选。本班组 2026年6月1日 注册，2027年6月1日 满一年，2027 年度申报 2027年5月31日 截止，截止时还差 1 天满一年；可参加下一年度评选。');
    // its draft could not be submitted: 进度 says why, not “点年度申报继续填写” with no such button
    expect(s.statusText).toContain('**下一步**：2027 年度申报 2027年5月31日 截止，届时本班组注册未满一年，不能参加本年度评选；可参加下一年度评选（第十六条）。');
  });

  it('a revoked title’s bar: one ending on the deadline’s day lets the form be filled; one ending the day after (in the bot’s timezone; its UTC day is still the deadline’s) bars the year', async () => {
    // 00:30 in Shanghai today: 82 days on is 2027-05-31 00:30 there; 83 days on is 2027-06-01 00:30 there, 2027-05-31 16:30 UTC
    const revokedAt = new Date('2027-03-10T00:30:00+08:00');
    await setState({ revokedAt, barDays: 82 });
    await agree(true);
    await setState({ revokedAt, barDays: 83 });
    const s = await agree(false);
    expect(s.applyAnswer).toBe('协会规定：撤销称号后 83 天内不受理该班组的申报；本班组 2026 年度称号已于 2027年3月10日 撤销，2027年6月1日 00:30 起方可再申报。2027 年度申报 2027年5月31日 截止，本班组不能参加本年度评选。');
    expect(s.statusText).toContain('2027 年度申报 2027年5月31日 截止，届时仍在撤销称号后的不受理期内，本班组不能参加本年度评选。');
    // the default bar (a calendar year) of a title revoked today lasts past the deadline too
    await setState({ revokedAt: new Date('2027-03-10T08:00:00+08:00') });
    await agree(false);
    // a bar that ends by the deadline, the team a year old only after it: 第十六条 is what refuses
    await setState({ revokedAt, barDays: 82, registeredAt: '2026-06-01' });
    expect((await agree(false)).applyAnswer).toContain('截止时还差 1 天满一年');
  });

  it('the application of the year: a draft or a returned one may still be submitted; one submitted or gone further may not be applied for again', async () => {
    for (const status of ['draft', 'returned']) {
      await setState({ status });
      await agree(true);
    }
    for (const status of ['submitted', 'recommended', 'accepted']) {
      await setState({ status });
      // 申报 shows the application as it is, no refusal
      expect((await agree(false)).applyAnswer, status).toContain('2027 年度申报');
    }
  });

  it('a team no longer in the register (已退出) may not apply: 申报 refuses it, as 帮助 and 进度 offer nothing', async () => {
    await setState({ teamStatus: 'withdrawn' });
    const s = await agree(false);
    expect(s.applyAnswer).toBe('广州养护一班已退出，不在册的班组不能申报；如需恢复，请联系协会。');
    expect(s.statusText).toContain('**下一步**：本班组已退出，不在册的班组不能申报；如需恢复，请联系协会。');
    await setState({});
    await agree(true);
    await setState({ status: 'submitted' });
  });
});
