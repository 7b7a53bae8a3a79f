import { and, asc, eq, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, bulkJobs, outbox, people, teams } from '../../db/schema.js';
import { scoreLargeCycle, seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { jobCard } from '../../src/bulkJobs.js';
import { ManualClock } from '../../src/clock.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActionEvent } from '../support/larkEvents.js';

/**
 * 公布结果 with leaders and contacts imported but not yet linked to Feishu (pending:…): nothing can be sent to them (the
 * outbox drops a message to a pending receiver, and linking later does not send it), so the administrators' results
 * card and the job's card count and name them and say what to do, where the card said every leader and contact had
 * received their result.
 */

let h: Harness;
let cycleId: number;
let names: string[];
const db = () => h.db.db;

async function click(value: Record<string, unknown>) {
  const res = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value, messageId: 'om_publish_unlinked_admin' }));
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2030-07-20T09:00:00+08:00'), runDispatcher: false });
  const fx = await seedLargeCycle(db(), { applications: 6, experts: 12, organizations: 4, year: 2030, status: 'scoring' });
  cycleId = fx.cycleId;
  const team = await db().select().from(teams).orderBy(asc(teams.id));
  names = team.map((t) => t.name);
  // the sixth team's application was never confirmed by its organisation: it took no part, and is told so at 公布结果
  await db().update(applications).set({ status: 'submitted' }).where(eq(applications.teamId, team[5].id));
  await click({ action: 'review.assign', cycleId });
  await h.app.bulkJobs.drain();
  await scoreLargeCycle(db(), cycleId);
  // the first team's leader and the contact of the second and the sixth were imported, and have not messaged the bot yet
  await db().insert(people).values([
    { openId: 'pending:m:13900000001', name: '王待关联', roles: [] },
    { openId: 'pending:e:hr@unlinked.example', name: '李待关联', roles: ['org_contact'] },
  ]);
  await db().update(teams).set({ leaderOpenId: 'pending:m:13900000001' }).where(eq(teams.id, team[0].id));
  await db().update(teams).set({ contactOpenId: 'pending:e:hr@unlinked.example' }).where(sql`${teams.id} in (${team[1].id}, ${team[5].id})`);
  await click({ action: 'results.publish', cycleId });
  await h.app.bulkJobs.drain();
});
afterAll(async () => {
  await h?.close();
});

describe('公布结果 with leaders and contacts not yet linked to Feishu', () => {
  it('queues nothing to them: the outbox has no pending receiver', async () => {
    const [row] = await db().select({ n: sql<number>`count(*)::int` }).from(outbox).where(like(outbox.receiver, 'pending:%'));
    expect(Number(row.n)).toBe(0);
  });

  it('the administrators’ results card names them and says what to do, not that every leader and contact received theirs', async () => {
    const [row] = await db().select().from(outbox).where(like(outbox.dedupeKey, 'results:published:2030:card:%'));
    const text = cardText(row.card);
    expect(text).not.toContain('每个申报班组的班组长和单位联系人已收到各自的结果');
    expect(text).toContain('2 位班组长或单位联系人尚未在飞书中与机器人关联，未收到结果');
    // each named with whose they are and the mobile or e-mail they were imported by
    expect(text).toContain(`王待关联（${names[0]} 的班组长；13900000001）`);
    const contact = [`李待关联（${names[1]}、${names[5]} 的单位联系人；hr@unlinked.example）`, `李待关联（${names[5]}、${names[1]} 的单位联系人；hr@unlinked.example）`];
    expect(contact.some((c) => text.includes(c))).toBe(true);
    expect(text).toContain('请他们在飞书中给机器人发一条消息（如“帮助”）');
    expect(text).toContain('核对导入的手机号/邮箱');
    // what they missed is not sent on linking: the card does not promise it
    expect(text).toContain('关联后不会补发');
  });

  it('linking one later sends them nothing of it, as the card says', async () => {
    const leader = h.fake.addUser({ name: '王待关联', mobile: '13900000001' }).openId;
    await h.say(leader, '帮助');
    const [team] = await db().select().from(teams).where(eq(teams.name, names[0]));
    expect(team.leaderOpenId).toBe(leader);
    const rows = await db().select({ key: outbox.dedupeKey }).from(outbox).where(eq(outbox.receiver, leader));
    expect(rows.filter((r) => r.key.startsWith('results:published:') || r.key.startsWith('certificate:'))).toEqual([]);
  });

  it('the job’s card, once done, counts them too', async () => {
    const [job] = await db().select().from(bulkJobs).where(and(eq(bulkJobs.kind, 'publish'), eq(bulkJobs.cycleId, cycleId)));
    expect(job.status).toBe('done');
    expect(cardText(jobCard(job as never))).toContain('2 位班组长或单位联系人尚未在飞书中与机器人关联，未收到结果');
  });
});
