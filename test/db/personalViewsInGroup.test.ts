/**
 * A card with an expert's buttons (the scoring reminder, 开始下一份评分 / 评分任务) forwarded into the bound experts group
 * is one card for everyone there: whoever presses them there gets their own tasks and score sheet privately (第十七条,
 * “你的评分仅协会可见”), with a toast, and the group's card stays; in the expert's p2p chat the sheet is drawn in place.
 */
import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { applications, assignments, chatBindings, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

const EXPERTS_GROUP = 'oc_personalviewsexperts0001';
let h: Harness;
let expert: string;
let cycleId: number;
let assignmentId: number;
let teamName: string;

const privateCards = () => h.fake.messages.filter((m) => m.receiveIdType === 'open_id' && m.receiveId === expert && m.msgType === 'interactive');
const inGroup = (value: Record<string, unknown>) => h.click(expert, value, undefined, { messageId: 'om_forwarded_reminder', chatId: EXPERTS_GROUP });

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2030-06-28T10:00:00+08:00'), admins: [ADMIN] });
  const db = h.db.db;
  const fx = await seedLargeCycle(db, { applications: 2, experts: 2, organizations: 4, year: 2030, status: 'scoring' });
  cycleId = fx.cycleId;
  await db.insert(chatBindings).values({ chatId: EXPERTS_GROUP, purpose: 'experts', boundBy: ADMIN });
  const [first] = await db.select().from(people).where(sql`'expert' = any(${people.roles})`).orderBy(asc(people.openId)).limit(1);
  expert = first.openId;
  const apps = await db.select({ id: applications.id, org: teams.organizationId, name: teams.name }).from(applications).innerJoin(teams, eq(teams.id, applications.teamId));
  const app = apps.find((a) => a.org !== first.organizationId)!;
  teamName = app.name;
  await db.update(applications).set({ status: 'scoring' }).where(eq(applications.id, app.id));
  const [task] = await db.insert(assignments).values({ applicationId: app.id, expertOpenId: expert, status: 'assigned' }).returning({ id: assignments.id });
  assignmentId = task.id;
});
afterAll(async () => {
  await h?.close();
});

describe('an expert’s buttons pressed on a card in the experts group', () => {
  it.each([
    ['review.next', '评分表'],
    ['review.list', '评分任务'],
    ['review.open', '评分表'],
    ['review.declineForm', '谢绝任务表'],
  ])('%s: sent privately, nothing drawn into the group card', async (action, what) => {
    const before = privateCards().length;
    const answer = await inGroup({ action, cycleId, assignmentId });
    expect(answer.card).toBeUndefined();
    expect(JSON.stringify(answer)).not.toContain(teamName);
    expect(answer.toast.content).toContain(`${what}已私信发给你`);
    expect(privateCards()).toHaveLength(before + 1);
  });

  it('the score sheet sent privately is the expert’s own', async () => {
    await inGroup({ action: 'review.next', cycleId });
    expect(cardText(privateCards().at(-1)!.content)).toContain(teamName);
  });

  it('in the expert’s p2p chat the sheet is drawn in place', async () => {
    // the chat the bot has sent the expert cards in (the sheets above)
    const before = privateCards().length;
    const answer = await h.click(expert, { action: 'review.next', cycleId }, undefined, { messageId: 'om_reminder_in_p2p' });
    expect(cardText(answer.card.data)).toContain(teamName);
    expect(privateCards()).toHaveLength(before);
  });
});
