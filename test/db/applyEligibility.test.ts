import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, people, teamMembers, teams } from '../../db/schema.js';
import type { Harness } from '../support/harness.js';
import { applicationForm, type Fixture, personas, startSecurityHarness, YEAR } from './securityFixture.js';

/**
 * 申报 for a team not a year old by the deadline (第十六条) is answered when the form is asked for,
 * with the day the team becomes eligible; and a refused submit keeps what was typed as the draft.
 */

const YOUNG_LEADER = 'ou_youngleader000000000000000000001';
let h: Harness;
let f: Fixture;
let youngTeam: number;

beforeAll(async () => {
  ({ h, f } = await startSecurityHarness());
  const [a] = await h.db.db.select().from(teams).where(eq(teams.id, f.teamA.id));
  await h.db.db.insert(people).values({ openId: YOUNG_LEADER, name: '新班组长' });
  // registered 2026-06-01: a year old on 2027-06-01, the day after the 2027 deadline (2027-05-31)
  const [t] = await h.db.db
    .insert(teams)
    .values({ ...a, id: undefined, code: 'GDSZ-2026-0009', name: '新建养护九班', leaderOpenId: YOUNG_LEADER, registeredAt: '2026-06-01', createdAt: undefined, updatedAt: undefined })
    .returning();
  await h.db.db.insert(teamMembers).values({ teamId: t.id, openId: YOUNG_LEADER, role: 'leader' });
  youngTeam = t.id;
});
afterAll(async () => {
  await h?.close();
});

describe('申报 before the team is a year old (第十六条)', () => {
  const eligible = /第十六条.*2026年6月1日 注册，2027年6月1日 满一年.*2027 年度申报 2027年5月31日 截止/;

  it('the form asked for by button says so at once, with the date it becomes eligible, and stores nothing', async () => {
    const res = await h.click(YOUNG_LEADER, { action: 'application.open', teamId: youngTeam, year: YEAR });
    expect(res.toast.type).toBe('info');
    expect(res.toast.content).toMatch(eligible);
    const start = await h.click(YOUNG_LEADER, { action: 'application.start' });
    expect(start.toast.content).toMatch(eligible);
    expect(await h.db.db.select().from(applications).where(eq(applications.teamId, youngTeam))).toEqual([]);
  });

  it('the `申报` command says so in the chat, not a form of 13 fields', async () => {
    await h.say(YOUNG_LEADER, '申报');
    const said = JSON.stringify([...h.fake.messages].reverse().find((m) => m.receiveId === YOUNG_LEADER));
    expect(said).toMatch(/2027年6月1日 满一年/);
    expect(said).not.toMatch(/application\.submit/);
  });
});

describe('a refused application submit', () => {
  it('keeps what was typed as the draft, and shows it again with what is wrong', async () => {
    const [t] = await h.db.db.select().from(teams).where(eq(teams.id, f.teamA.id));
    const [fresh] = await h.db.db.insert(teams).values({ ...t, id: undefined, code: 'GDSZ-2025-0077', name: '草稿测试班', createdAt: undefined, updatedAt: undefined }).returning();
    await h.db.db.insert(teamMembers).values({ teamId: fresh.id, openId: personas.leader, role: 'leader' });
    const typed = applicationForm({ title: '草稿里的课题名称', trainingRate: '50' });
    const res = await h.click(personas.leader, { action: 'application.submit', teamId: fresh.id, year: YEAR }, typed);
    expect(res.toast.type).toBe('error');
    expect(res.toast.content).toMatch(/培训率 50% 低于 90%/);
    expect(JSON.stringify(res.card)).toContain('草稿里的课题名称');
    const [draft] = await h.db.db.select().from(applications).where(eq(applications.teamId, fresh.id));
    expect(draft.status).toBe('draft');
    expect((draft.form as Record<string, string>).title).toBe('草稿里的课题名称');
    expect((draft.form as Record<string, string>).trainingRate).toBe('50');
  });
});
