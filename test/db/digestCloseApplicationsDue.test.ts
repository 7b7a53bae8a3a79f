import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatBindings } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { runJob } from '../../src/jobs/index.js';
import { cardText, expectValidCard } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * Past the application deadline a cycle still open waits for an administrator's 截止申报 before its accepted
 * applications get experts. The admin group's daily digest says so from the day after the deadline (the deadline day
 * itself still takes applications), in the bot's time zone, and that alone is worth sending the digest.
 */
const GROUP = 'oc_digestclosedue000000000000000001';
const DUE = '**申报已于 2030年5月31日 截止**：请在“管理”中点“截止申报”，随后分配专家。';

async function digestAt(h: Harness, clock: ManualClock, at: string): Promise<string | undefined> {
  clock.set(at);
  h.fake.reset();
  await runJob('digest', h.db.db, { now: clock.now(), timezone: 'Asia/Shanghai', bootstrapAdmins: [ADMIN] });
  await h.drain();
  const sent = h.fake.messages.filter((m) => m.receiveId === GROUP && m.msgType === 'interactive');
  expect(sent.length).toBeLessThanOrEqual(1);
  if (!sent.length) return undefined;
  expectValidCard(sent[0].content);
  return cardText(sent[0].content);
}

describe('the digest once the application deadline has passed', () => {
  let h: Harness;
  let cycleId: number;
  const clock = new ManualClock('2030-05-01T09:00:00+08:00');
  beforeAll(async () => {
    h = await startHarness({ clock, outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    // the cycle is open with its application deadline on 2030-05-31, two applications accepted
    ({ cycleId } = await seedLargeCycle(h.db.db, { applications: 2, experts: 3, organizations: 2, year: 2030 }));
    await h.db.db.insert(chatBindings).values({ chatId: GROUP, purpose: 'admin', boundBy: ADMIN });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('the day before and the day of the deadline: the usual digest, no prompt', async () => {
    for (const at of ['2030-05-30T09:00:00+08:00', '2030-05-31T09:00:00+08:00']) {
      const text = await digestAt(h, clock, at);
      expect(text, at).toContain('2030 年度评审：申报中');
      expect(text, at).not.toContain('截止申报');
    }
  });

  it('from the day after: the digest tells the administrators to 截止申报 and then assign experts', async () => {
    // 00:30 in Shanghai on 1 June is still 31 May in UTC: the bot's time zone decides
    for (const at of ['2030-06-01T00:30:00+08:00', '2030-06-02T09:00:00+08:00', '2030-06-05T09:00:00+08:00']) {
      const text = await digestAt(h, clock, at);
      expect(text, at).toContain(DUE);
    }
  });

  it('once 截止申报 is clicked the prompt is gone', async () => {
    clock.set('2030-06-05T10:00:00+08:00');
    expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast?.type).toBe('success');
    await h.drain();
    const text = await digestAt(h, clock, '2030-06-06T09:00:00+08:00');
    expect(text).toBeDefined();
    expect(text).not.toContain('申报已于');
  });
});

describe('with no application at all, the passed deadline alone is news', () => {
  let h: Harness;
  const clock = new ManualClock('2031-05-01T09:00:00+08:00');
  beforeAll(async () => {
    h = await startHarness({ clock, outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    await seedLargeCycle(h.db.db, { applications: 0, experts: 0, organizations: 1, year: 2030 });
    await h.db.db.insert(chatBindings).values({ chatId: GROUP, purpose: 'admin', boundBy: ADMIN });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('nothing on the deadline day (nothing to say); the prompt, alone, the day after', async () => {
    expect(await digestAt(h, clock, '2030-05-31T09:00:00+08:00')).toBeUndefined();
    const text = await digestAt(h, clock, '2030-06-01T09:00:00+08:00');
    expect(text).toContain('暂无申报');
    expect(text).toContain(DUE);
  });
});
