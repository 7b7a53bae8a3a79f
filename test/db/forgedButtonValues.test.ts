import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications } from '../../db/schema.js';
import type { Harness } from '../support/harness.js';
import { type Fixture, personas, startSecurityHarness, YEAR } from './securityFixture.js';

/**
 * What a button carries is read by its value schema before anything is said about it: a forged 申报表 year of
 * 100 000 characters was echoed into the toast (这张申报表属于 …… 年度) and the log, 10–24 s of work for a 100 KB
 * toast; a team picked from several carried any length of complaint into its form. Each is a stale button now.
 */
const STALE = '这个按钮已失效，请重新打开菜单。';
const huge = '9'.repeat(100_000);
let h: Harness;
let f: Fixture;

beforeAll(async () => {
  ({ h, f } = await startSecurityHarness());
});
afterAll(async () => {
  await h?.close();
});

describe('a forged year on the 申报表’s 保存草稿 and 提交申报', () => {
  it.each([
    ['application.save', huge],
    ['application.submit', huge],
    ['application.save', `${YEAR}年度<font color='red'>`],
    ['application.submit', 20270],
    ['application.save', 2027.5],
    ['application.submit', { year: YEAR }],
  ])('%s with year %#: the stale-button toast at once, nothing echoed, nothing written', async (action, year) => {
    const before = await h.db.db.select().from(applications);
    const logged = h.logs.length;
    const started = performance.now();
    const body = await h.click(personas.leader, { action, teamId: f.teamA.id, year }, { title: '伪造年度' });
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(body.toast).toEqual({ type: 'error', content: STALE });
    expect(JSON.stringify(body).length).toBeLessThan(5_000);
    expect(h.logs.slice(logged).join('\n')).not.toContain('9'.repeat(100));
    expect(await h.db.db.select().from(applications)).toEqual(before);
  });

  it('a year of another cycle, as the form of a past year carries it, is still named', async () => {
    const body = await h.click(personas.leader, { action: 'application.save', teamId: f.teamA.id, year: String(YEAR - 1) }, { title: '去年' });
    expect(body.toast.content).toMatch(new RegExp(`^这张申报表属于 ${YEAR - 1} 年度，已不能提交`));
  });
});

describe('a forged complaint carried by the button of a team picked from several', () => {
  it('longer than the picker carries: the stale-button toast, no form of it', async () => {
    const body = await h.click(personas.public, { action: 'complaint.start', teamId: f.teamA.id, content: '路'.repeat(100_000) });
    expect(body.toast).toEqual({ type: 'error', content: STALE });
    expect(JSON.stringify(body).length).toBeLessThan(5_000);
  });

  it('as the picker carries it: the form of that team, the complaint filled in', async () => {
    const body = await h.click(personas.public, { action: 'complaint.start', teamId: f.teamA.id, content: '雨后积水严重' });
    expect(body.card.data.header.title.content).toBe('质量投诉');
    expect(JSON.stringify(body.card.data)).toContain('雨后积水严重');
  });
});
