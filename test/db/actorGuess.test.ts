import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, cycles, people, processedEvents } from '../../db/schema.js';
import { type Harness, startHarness } from '../support/harness.js';
import { randomEventId } from '../support/larkEvents.js';

/**
 * On PostgreSQL an event's handler starts on the actor its sender's last event found, so its first
 * statement shares the round trip of the claim; the claim then says who really acts. A role given or
 * taken by anyone else in between (another replica, the import, a direct edit) must count at once:
 * the guess is thrown away with everything done on it, and the event runs again as the claim found it.
 * The same checks hold on PGlite, which never guesses.
 */

const SECRETARY = 'ou_guesssecretary000000000000000001';
const cycleForm = (year: number) => ({
  year: String(year), applicationDeadline: `${year}-05-31`, scoringDeadline: `${year}-06-30`, reviewMeetingDate: `${year}-07-15`,
  awardThreshold: '85', expertsPerApplication: '3', recommendShare: '0.1',
});

describe('the actor taken from the sender’s last event is only a guess', () => {
  let h: Harness;
  const setRoles = (roles: string[]) => h.db.db.update(people).set({ roles }).where(eq(people.openId, SECRETARY));
  const cycleOf = (year: number) => h.db.db.select().from(cycles).where(eq(cycles.year, year));

  beforeAll(async () => {
    h = await startHarness();
    await h.db.db.insert(people).values({ openId: SECRETARY, name: '秘书', roles: ['admin'] });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('an administrator whose role was taken away meanwhile is refused, and nothing is written but the event', async () => {
    // the first event finds the secretary an administrator (and is what the next one guesses from)
    expect((await h.click(SECRETARY, { action: 'admin.menu' })).toast?.type).not.toBe('error');
    await setRoles([]);
    const eventId = randomEventId();
    const body = await h.click(SECRETARY, { action: 'cycle.open' }, cycleForm(2027), { eventId });
    expect(body.toast?.type).toBe('error');
    expect(body.toast?.content).toContain('只有协会管理员');
    expect(await cycleOf(2027)).toEqual([]);
    expect(await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'cycle.open'))).toEqual([]);
    expect(await h.db.db.select().from(processedEvents).where(eq(processedEvents.eventId, eventId))).toHaveLength(1);
  });

  it('someone made an administrator meanwhile is let through at once', async () => {
    // the last event found no administrator; the role is given outside the bot
    expect((await h.click(SECRETARY, { action: 'admin.menu' })).toast?.type).toBe('error');
    await setRoles(['admin']);
    const body = await h.click(SECRETARY, { action: 'cycle.open' }, cycleForm(2027));
    expect(body.toast?.type).toBe('success');
    expect(await cycleOf(2027)).toHaveLength(1);
  });

  it('the same event delivered again, with the actor known, changes nothing and says it was handled', async () => {
    const eventId = randomEventId();
    await h.db.db.update(cycles).set({ status: 'published' }).where(eq(cycles.year, 2027));
    expect((await h.click(SECRETARY, { action: 'cycle.open' }, cycleForm(2028), { eventId })).toast?.type).toBe('success');
    const again = await h.click(SECRETARY, { action: 'cycle.open' }, cycleForm(2028), { eventId });
    expect(again.toast).toEqual({ type: 'info', content: '“开启评审”：这次点击已收到并处理过，请以卡片当前内容为准；如卡片未更新，请重新打开后再操作' });
    expect(await cycleOf(2028)).toHaveLength(1);
    expect(await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'cycle.open'))).toHaveLength(2);
  });
});
