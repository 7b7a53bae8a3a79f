import { and, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments, auditLog, outbox, people } from '../../db/schema.js';
import { formatDateTimeZh } from '../../src/dates.js';
import { reopenedCardKey } from '../../src/review/scoring.js';
import { cardText } from '../support/cards.js';
import { testDatabaseKind } from '../support/db.js';
import type { Harness } from '../support/harness.js';
import { type Fixture, NOW, personas, scoreForm, startSecurityHarness } from './securityFixture.js';

/**
 * 重开评分 clicked twice (a double click, or two administrators): the sheet is reopened once, and the second
 * answer is the success state, the panel card as the first answer showed it, with an info toast naming when
 * it was reopened. A sheet never submitted is still refused as not submitted; one submitted again after a
 * reopen can be reopened again.
 */
describe('重开评分 twice', () => {
  let h: Harness;
  let f: Fixture;
  let n = 0;
  beforeAll(async () => {
    ({ h, f } = await startSecurityHarness());
  });
  afterAll(async () => {
    await h?.close();
  });

  const db = () => h.db.db;
  const reopen = (assignmentId: number) => h.click(personas.admin, { action: 'review.reopen', assignmentId });
  const reopenRows = async (id: number) =>
    db().select().from(auditLog).where(and(eq(auditLog.action, 'review.reopen'), eq(auditLog.entity, 'assignment'), eq(auditLog.entityId, String(id))));
  const reopenCards = async (id: number) => db().select().from(outbox).where(like(outbox.dedupeKey, `${reopenedCardKey(id, '')}%`));
  const statusOf = async (id: number) => (await db().select().from(assignments).where(eq(assignments.id, id)))[0].status;

  /** A sheet of a new expert on the scoring application: submitted with stored scores, or only assigned. */
  async function sheet(status: 'submitted' | 'assigned'): Promise<number> {
    n += 1;
    const expert = `ou_reopentwice${String(n).padStart(21, '0')}`;
    await db().insert(people).values({ openId: expert, name: `重开专家${n}`, roles: ['expert'] });
    const submitted = status === 'submitted' ? { scores: { '1.1': 5 }, total: 90, submittedAt: h.clock.now() } : {};
    const [a] = await db().insert(assignments).values({ applicationId: f.appD, expertOpenId: expert, status, ...submitted }).returning();
    return a.id;
  }

  const when = (at: Date) => formatDateTimeZh(at, h.app.config.BOT_TIMEZONE);

  it('one after the other: the second answers as done, naming when, on the panel card the first showed', async () => {
    h.clock.set(NOW);
    const id = await sheet('submitted');
    const reopenedAt = h.clock.now();
    const first = await reopen(id);
    expect(first.toast).toMatchObject({ type: 'success' });
    h.clock.advance(2 * 3_600_000);
    const second = await reopen(id);
    expect(second.toast.type, JSON.stringify(second.toast)).toBe('info');
    expect(second.toast.content).toContain(`已于 ${when(reopenedAt)} 重开`);
    expect(second.toast.content).not.toContain('尚未提交');
    expect(second.card).toEqual(first.card);
    expect(cardText(second.card.data)).toContain('重开专家');
    expect(await reopenRows(id)).toHaveLength(1);
    expect(await reopenCards(id)).toHaveLength(1);
    expect(await statusOf(id)).toBe('assigned');
  });

  it('a sheet never submitted is still refused as not submitted', async () => {
    const id = await sheet('assigned');
    const res = await reopen(id);
    expect(res.toast).toMatchObject({ type: 'info', content: '这份评分尚未提交，无需重开。' });
    expect(cardText(res.card.data)).toContain('专家组');
    expect(await reopenRows(id)).toHaveLength(0);
  });

  it('a sheet submitted again after a reopen is reopened again', async () => {
    const id = await sheet('submitted');
    expect((await reopen(id)).toast.type).toBe('success');
    const [a] = await db().select().from(assignments).where(eq(assignments.id, id));
    const again = await h.click(a.expertOpenId, { action: 'review.submit', assignmentId: id }, scoreForm());
    expect(again.toast, JSON.stringify(again.toast)).toMatchObject({ type: 'success' });
    h.clock.advance(60_000);
    expect((await reopen(id)).toast).toMatchObject({ type: 'success' });
    expect(await reopenRows(id)).toHaveLength(2);
    expect(await statusOf(id)).toBe('assigned');
  });

  // two signed callbacks at once: on PostgreSQL the second waits on the task's locks while the first reopens
  it.skipIf(testDatabaseKind() !== 'postgres')('both at once (PostgreSQL): one reopens, the other answers as done on the same card', async () => {
    const id = await sheet('submitted');
    const reopenedAt = h.clock.now();
    const both = await Promise.all([reopen(id), reopen(id)]);
    const [first, second] = both[0].toast?.type === 'success' ? both : [both[1], both[0]];
    expect(first.toast, JSON.stringify(both.map((b) => b.toast))).toMatchObject({ type: 'success' });
    expect(second.toast.type, JSON.stringify(second.toast)).toBe('info');
    expect(second.toast.content).toContain(`已于 ${when(reopenedAt)} 重开`);
    expect(second.card).toEqual(first.card);
    expect(await reopenRows(id)).toHaveLength(1);
    expect(await reopenCards(id)).toHaveLength(1);
    expect(await statusOf(id)).toBe('assigned');
  });
});
