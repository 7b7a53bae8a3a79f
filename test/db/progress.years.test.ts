import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { assignments, people } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { rowsOf } from '../../src/outbox.js';
import { expertProgress, scoreFields } from '../../src/review/scoring.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { inEachWorld, type Mode, MODES_HERE, twoWorlds } from '../support/worlds.js';

/**
 * An expert who served last year too: the progress 提交评分 answers with, and 评分 shows, counts this year's tasks
 * only. An assignment carries its application's cycle (migration 0004's trigger, whoever inserts it), and both
 * counts read that.
 */

const EXPERT = 'ou_yearsexpert000000000000000000001';
const COLLEAGUES = ['ou_yearsexpert000000000000000000002', 'ou_yearsexpert000000000000000000003'];
const TASKS = 3;
const fields = scoreFields(defaultScoreSheet);
const fullMarks = () => ({ ...Object.fromEntries(fields.map((f) => [f.field, String(f.max)])), comment: '' });

interface World {
  h: Harness;
  tasks: number[];
}

async function start(_mode: Mode): Promise<World> {
  const h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
  // last year: published, the expert scored two of its applications
  const past = await seedLargeCycle(h.db.db, { applications: 2, experts: 0, organizations: 2, year: 2029 });
  await h.db.db.insert(people).values([EXPERT, ...COLLEAGUES].map((openId, i) => ({ openId, name: `专家${i + 1}`, roles: ['expert'] })));
  await h.db.db.execute(sql`update cycles set status = 'published' where id = ${past.cycleId}`);
  await h.db.db.execute(sql`update applications set status = 'published' where cycle_id = ${past.cycleId}`);
  await h.db.db.execute(sql`
    insert into assignments (application_id, expert_open_id, status, total, submitted_at)
    select id, ${EXPERT}, 'submitted', 90, now() from applications where cycle_id = ${past.cycleId}`);
  // this year: three applications, the three experts on each, assigned by 截止申报
  const fx = await seedLargeCycle(h.db.db, { applications: TASKS, experts: 0, organizations: 2, year: 2030 });
  expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId: fx.cycleId })).toast.type).toBe('success');
  const tasks = (await h.db.db.select({ id: assignments.id }).from(assignments).where(eq(assignments.cycleId, fx.cycleId)));
  const mine = await h.db.db.execute(sql`select a.id from assignments a join applications ap on ap.id = a.application_id where a.expert_open_id = ${EXPERT} and ap.cycle_id = ${fx.cycleId} order by a.id`);
  expect(tasks).toHaveLength(TASKS * 3);
  return { h, tasks: (rowsOf(mine) as { id: number }[]).map((r) => Number(r.id)) };
}

describe('an expert who served last year', () => {
  const worlds = twoWorlds(start, { oneOnPglite: true });

  it('every assignment carries its application’s cycle, however it was inserted', async () => {
    for (const mode of MODES_HERE) {
      const rows = rowsOf(
        await worlds[mode].h.db.db.execute(sql`select count(*)::int as n, count(*) filter (where a.cycle_id = ap.cycle_id)::int as same from assignments a join applications ap on ap.id = a.application_id`),
      ) as { n: number; same: number }[];
      expect(Number(rows[0].n)).toBe(2 + TASKS * 3);
      expect(Number(rows[0].same)).toBe(Number(rows[0].n));
    }
  });

  it('提交评分 and 评分 count this year’s tasks only, on both paths alike', async () => {
    const texts = await inEachWorld(worlds, async ({ h, tasks }) => {
      expect(tasks).toHaveLength(TASKS);
      expect(await expertProgress(h.db.db, EXPERT)).toEqual({ done: 0, total: TASKS });
      const r = await h.click(EXPERT, { action: 'review.submit', assignmentId: tasks[0] }, fullMarks());
      expect(r.toast.type, JSON.stringify(r.toast)).toBe('success');
      const text = cardText(r.card!.data);
      expect(text).toContain(`你已完成 1 / ${TASKS} 项`);
      expect(await expertProgress(h.db.db, EXPERT)).toEqual({ done: 1, total: TASKS });
      h.fake.reset();
      await h.say(EXPERT, '评分');
      const [list] = h.fake.messages.filter((m) => m.receiveId === EXPERT);
      expect(cardText(list.content)).toContain(`已完成 1 / ${TASKS}`);
      return text;
    });
    expect(texts.fast).toEqual(texts.ordinary);
  });

  it('last year’s sheet opened again shows no progress: this year’s was shown under last year’s title', async () => {
    const { h } = worlds.fast;
    const rows = rowsOf(
      await h.db.db.execute(sql`select a.id from assignments a join applications ap on ap.id = a.application_id join cycles c on c.id = ap.cycle_id where a.expert_open_id = ${EXPERT} and c.year = 2029 order by a.id limit 1`),
    ) as { id: number }[];
    const opened = await h.click(EXPERT, { action: 'review.open', assignmentId: Number(rows[0].id) });
    const text = cardText(opened.card!.data);
    expect(text).toContain('2029');
    expect(text).not.toMatch(/你已完成|还有 \d+ 项待评/);
    // this year's submitted sheet still shows this year's progress
    const [now] = worlds.fast.tasks;
    expect(cardText((await h.click(EXPERT, { action: 'review.open', assignmentId: now })).card!.data)).toContain(`你已完成 1 / ${TASKS} 项`);
  });
});
