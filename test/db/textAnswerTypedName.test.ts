import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { applicationForm, registrationForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * A question answered in a text message (怎么修改申报: what each of the asker's applications allows now) names the team
 * as registered: the text leaves out our own bold, never the ** typed in a team's name.
 */
const L = 'ou_textanswerleader0000000000000001';
const C = 'ou_textanswercontact000000000000001';
const NAME = '养护**一**班';

describe('a text answer naming the asker’s team', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00'), admins: [ADMIN] });
    expect((await h.click(L, { action: 'team.register' }, registrationForm(NAME, C))).toast.type).toBe('success');
    h.clock.set('2027-03-10T09:00:00+08:00');
    await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-04-30', scoringDeadline: '2027-05-31', reviewMeetingDate: '2027-06-15' });
    const [team] = await h.db.db.select().from(teams).where(eq(teams.name, NAME));
    expect((await h.click(L, { action: 'application.save', teamId: team.id, year: 2027 }, applicationForm({ title: '路面修补' }))).toast.type).toBe('success');
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('怎么修改申报 names 养护**一**班 as registered, without our own bold', async () => {
    h.fake.reset();
    await h.say(L, '怎么修改申报');
    const sent = h.fake.messages.filter((m) => m.receiveId === L);
    expect(sent).toHaveLength(1);
    expect(sent[0].msgType).toBe('text');
    const text = String(sent[0].content.text);
    expect(text).toMatch(/^修改或撤回申报：/);
    expect(text).toContain(`${NAME} 2027 年度申报：`);
  });

  it('in English, the same', async () => {
    h.fake.reset();
    await h.say(L, 'how do I change my application');
    const sent = h.fake.messages.filter((m) => m.receiveId === L);
    expect(sent).toHaveLength(1);
    const text = String(sent[0].content.text ?? JSON.stringify(sent[0].content));
    expect(text).not.toContain('**Changing');
    expect(text).toContain(`${NAME} 2027 年度申报：`);
  });
});
