import { and, asc, eq, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, bulkJobs, certificates, honours, outbox, people, teams } from '../../db/schema.js';
import { scoreLargeCycle, seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { jobCard } from '../../src/bulkJobs.js';
import { linkPendingPerson } from '../../src/import/linking.js';
import { ManualClock } from '../../src/clock.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActionEvent } from '../support/larkEvents.js';

/**
 * 公布结果 with leaders and contacts imported but not yet linked to Feishu (pending:…): nothing can be sent to them then
 * (the outbox drops a message to a pending receiver), so the administrators' results card and the job's card count and
 * name them and say what to do; linked within 90 days, each is sent what publishing would have sent (their result card,
 * a title's certificate image and PDF, an unreviewed team's notice), once, where linking sent none of it.
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
  // the first and the fourth team earn the title: the first's leader, linked later, is owed its certificate too
  await db().execute(sql`update applications set final_score = 95, decision = 'awarded', review = review || '{"awarded": true}'::jsonb where team_id in (${team[0].id}, ${team[3].id})`);
  await db().execute(sql`update applications a set rank = r.n from (select id, row_number() over (order by final_score desc, id) as n from applications where cycle_id = ${cycleId} and final_score is not null) r where r.id = a.id`);
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
    // what they missed is sent on linking within 90 days of publishing: the card says so, and what to do later
    expect(text).toContain('关联后补发：公布后 90 天内关联的，将收到各自的结果，获称号的还将收到荣誉证书图片和 PDF');
    expect(text).not.toContain('不会补发');
  });

  it('linking one later queues them what publishing would have: the result card, and a title’s certificate image and PDF', async () => {
    const leader = h.fake.addUser({ name: '王待关联', mobile: '13900000001' }).openId;
    await h.say(leader, '帮助');
    const [team] = await db().select().from(teams).where(eq(teams.name, names[0]));
    expect(team.leaderOpenId).toBe(leader);
    const keys = (await db().select({ key: outbox.dedupeKey }).from(outbox).where(eq(outbox.receiver, leader))).map((r) => r.key);
    // keyed as publishing keys them: publishing's own row, had it been queued, and linking again queue nothing twice
    expect(keys).toContain(`results:published:2030:team-${team.id}:leader`);
    const [cert] = await db().select().from(certificates).where(and(eq(certificates.teamId, team.id), eq(certificates.cycleId, cycleId)));
    expect(keys.filter((k) => k.startsWith('certificate:')).sort()).toEqual([`certificate:${cert.number}:pdf:${leader}`, `certificate:${cert.number}:png:${leader}`]);
    const [row] = await db().select().from(outbox).where(eq(outbox.dedupeKey, `results:published:2030:team-${team.id}:leader`));
    expect(row.receiver).toBe(leader);
    expect(row.card).toMatchObject({ render: { kind: 'teamResult', audience: 'leader' } });
  });

  it('linking the contact queues the ranked team’s result and the unreviewed team’s notice, once even if linked again', async () => {
    const contact = h.fake.addUser({ name: '李待关联', email: 'hr@unlinked.example', mobile: '13900000002' }).openId;
    await h.say(contact, '帮助');
    const [ranked] = await db().select().from(teams).where(eq(teams.name, names[1]));
    const [unreviewed] = await db().select().from(teams).where(eq(teams.name, names[5]));
    expect(ranked.contactOpenId).toBe(contact);
    const keys = (await db().select({ key: outbox.dedupeKey }).from(outbox).where(eq(outbox.receiver, contact))).map((r) => r.key);
    expect(keys).toContain(`results:published:2030:team-${ranked.id}:contact`);
    expect(keys).toContain(`results:published:2030:team-${unreviewed.id}:contact`);
    const [notice] = await db().select().from(outbox).where(eq(outbox.dedupeKey, `results:published:2030:team-${unreviewed.id}:contact`));
    expect(cardText(notice.card)).toContain('2030');
    // imported again under their mobile and linked again: nothing queued twice
    const told = async () =>
      (await db().select({ key: outbox.dedupeKey }).from(outbox).where(eq(outbox.receiver, contact))).map((r) => r.key).filter((k) => k.startsWith('results:') || k.startsWith('certificate:')).sort();
    const before = await told();
    await db().insert(people).values({ openId: 'pending:m:13900000002', name: '李待关联', roles: ['org_contact'] });
    await db().update(teams).set({ contactOpenId: 'pending:m:13900000002' }).where(eq(teams.id, ranked.id));
    await h.db.db.transaction((tx) => linkPendingPerson(tx, contact, ['m:13900000002'], h.clock.now(), '2030-07-20'));
    expect((await db().select().from(teams).where(eq(teams.id, ranked.id)))[0].contactOpenId).toBe(contact);
    expect(await told()).toEqual(before);
  });

  it('a title revoked since publishing is not sent to a leader linked after', async () => {
    const [team] = await db().select().from(teams).where(eq(teams.name, names[3]));
    await db().update(honours).set({ revokedAt: h.clock.now(), revokedReason: '测试撤销' }).where(eq(honours.teamId, team.id));
    await db().insert(people).values({ openId: 'pending:m:13900000004', name: '钱待关联', roles: [] });
    await db().update(teams).set({ leaderOpenId: 'pending:m:13900000004' }).where(eq(teams.id, team.id));
    const leader = h.fake.addUser({ name: '钱待关联', mobile: '13900000004' }).openId;
    await h.say(leader, '帮助');
    expect((await db().select().from(teams).where(eq(teams.id, team.id)))[0].leaderOpenId).toBe(leader);
    const rows = await db().select({ key: outbox.dedupeKey }).from(outbox).where(eq(outbox.receiver, leader));
    expect(rows.filter((r) => r.key.startsWith('results:published:') || r.key.startsWith('certificate:'))).toEqual([]);
  });

  it('a year published more than 90 days before the link is not sent', async () => {
    h.clock.advanceDays(91);
    await db().insert(people).values({ openId: 'pending:m:13900000003', name: '赵待关联', roles: [] });
    await db().update(teams).set({ leaderOpenId: 'pending:m:13900000003' }).where(eq(teams.name, names[2]));
    const late = h.fake.addUser({ name: '赵待关联', mobile: '13900000003' }).openId;
    await h.say(late, '帮助');
    const [team] = await db().select().from(teams).where(eq(teams.name, names[2]));
    expect(team.leaderOpenId).toBe(late);
    const rows = await db().select({ key: outbox.dedupeKey }).from(outbox).where(eq(outbox.receiver, late));
    expect(rows.filter((r) => r.key.startsWith('results:published:') || r.key.startsWith('certificate:'))).toEqual([]);
  });

  it('the job’s card, once done, counts them too', async () => {
    const [job] = await db().select().from(bulkJobs).where(and(eq(bulkJobs.kind, 'publish'), eq(bulkJobs.cycleId, cycleId)));
    expect(job.status).toBe('done');
    expect(cardText(jobCard(job as never))).toContain('2 位班组长或单位联系人尚未在飞书中与机器人关联，未收到结果');
  });
});
