import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { registrationForm } from '../support/forms.js';
import { MODES_HERE } from '../support/worlds.js';

/**
 * Characters nobody sees, pasted with a name (a zero-width space from a web page, a right-to-left override): a name
 * typed in a card is kept without them, so 广州市市政\u200b工程维修有限公司 is the organisation the pool's expert
 * belongs to (and 第十七条's same-organisation rule keeps that expert off the team), not a second one reading the same.
 */
const EXPERT = 'ou_expert00000000000000000000000001';
const CONTACT = 'ou_contact0000000000000000000000001';
const ORG = '广州市市政工程维修有限公司';

describe.each(MODES_HERE)('typed names without invisible characters (%s paths)', (mode) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00') });
    h.app.processor.fastPaths = mode === 'fast';
    const added = await h.click(ADMIN, { action: 'experts.add' }, { experts: [EXPERT], organization: ORG, specialities: '', maxLoad: '' });
    expect(added.toast.type).toBe('success');
  });
  afterAll(async () => h?.close());

  it('an organisation pasted with a zero-width space is the one the expert belongs to', async () => {
    const leader = 'ou_leader00000000000000000000000001';
    const res = await h.click(leader, { action: 'team.register' }, registrationForm('养护一班', CONTACT, { organization: '广州市市政\u200b工程维修\u2060有限公司\u00ad' }));
    expect(res.toast?.type ?? 'success').toBe('success');
    expect((await h.db.db.select().from(organizations)).map((o) => o.name)).toEqual([ORG]);
    const [team] = await h.db.db.select().from(teams).where(eq(teams.leaderOpenId, leader));
    const [expert] = await h.db.db.select().from(people).where(eq(people.openId, EXPERT));
    expect(team.organizationId).toBe(expert.organizationId);
  });

  it('a team name with a bidi override is stored without it, and a second team of that name is refused as the same name', async () => {
    const leader = 'ou_leader00000000000000000000000002';
    const res = await h.click(leader, { action: 'team.register' }, registrationForm('\u202e养护二班\u202c', CONTACT));
    expect(res.toast?.type ?? 'success').toBe('success');
    const [team] = await h.db.db.select().from(teams).where(eq(teams.leaderOpenId, leader));
    expect(team.name).toBe('养护二班');
    expect(team.department).toBe('养护事业部');

    const again = await h.click('ou_leader00000000000000000000000003', { action: 'team.register' }, registrationForm('养护\u200b二班', CONTACT));
    // the form comes back with what to change: the organisation already has a team of that name
    expect(again.toast?.content).toContain('已有名为“养护二班”的班组');
    expect(await h.db.db.select().from(teams).where(eq(teams.leaderOpenId, 'ou_leader00000000000000000000000003'))).toEqual([]);
  });
});
