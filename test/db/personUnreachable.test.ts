import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, outbox, teams } from '../../db/schema.js';
import { enqueue } from '../../src/outbox.js';
import { type Harness, startHarness } from '../support/harness.js';
import { ADMIN_CHAT, generateCycle, type GeneratedCycle } from './jobsFixture.js';

/**
 * A person the bot can no longer reach, other than by the app's 可用范围 (230013, test/db/outsideAvailability.test.ts):
 * an expert who resigned (230029, "User has resigned", 用户已离职) with sheets still to score, a leader who stopped the
 * bot (230053). Their reminders and tasks were marked undeliverable with a warning in the log and nobody was told: the
 * scoring overdue reminder went on every day to someone who had left, and the team heard of no deadline. The
 * administrators are now told once per person, with the teams and tasks waiting for them and what to do for each.
 */
describe('a person who resigned or stopped the bot', () => {
  let h: Harness;
  let g: GeneratedCycle;
  let expert: string;
  let leader: string;
  beforeAll(async () => {
    h = await startHarness({});
    g = await generateCycle(h.db.db, 31);
    // the expert with two sheets still to score
    expert = Object.entries(g.experts).find(([, n]) => n === 2)![0];
    leader = g.teams.find((t) => t.scenario === 'eligibleNone')!.leader;
    h.fake.failReceiver(expert, { status: 400, code: 230029, msg: 'User has resigned.' });
    h.fake.failReceiver(leader, { status: 400, code: 230053, msg: 'The user has stopped the bot from sending messages.' });
  });
  afterAll(async () => h?.close());

  const queue = (key: string, openId: string) => h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: key, to: { openId }, text: key }));
  const toAdmins = () => h.fake.messages.filter((m) => m.receiveId === ADMIN_CHAT).map((m) => String(m.content.text));

  it('a resigned expert: undeliverable, and the administrators are told once, with the sheets to give another expert', async () => {
    await queue('remind:scoring:1', expert);
    await queue('remind:scoring:2', expert);
    await h.drain();
    expect((await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, 'remind:scoring:%'))).map((r) => r.status)).toEqual(['undeliverable', 'undeliverable']);
    const told = toAdmins();
    expect(told).toHaveLength(1);
    expect(told[0]).toContain(`机器人无法给 专家0（${expert}） 发消息：飞书返回此人已离职（飞书错误码 230029）`);
    expect(told[0]).toMatch(/此人还有 2 份评分任务未完成（测试班组[^）]+（GDSZ-\d{4}-\d{4}）、测试班组[^）]+（GDSZ-\d{4}-\d{4}））：请在这些班组的“专家组”中点“更换专家”改派，并在“专家库”中停用此人。/);
    expect(await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'outbox.person_resigned'))).toHaveLength(2);
    await queue('remind:scoring:3', expert);
    await h.drain();
    expect(toAdmins()).toHaveLength(1);
  });

  it('a leader who stopped the bot: the administrators are told once, with the team that needs them', async () => {
    const [team] = await h.db.db.select().from(teams).where(eq(teams.leaderOpenId, leader));
    await queue('remind:apply:1', leader);
    await queue('remind:apply:2', leader);
    await h.drain();
    const told = toAdmins().slice(1);
    expect(told).toHaveLength(1);
    expect(told[0]).toContain(`机器人无法给 ${leader} 发消息：此人已在飞书中设置不再接收机器人的消息（飞书错误码 230053）`);
    expect(told[0]).toContain(`此人是 ${team.name}（${team.code}） 的班组长：若此人无法恢复接收，请管理员发送“更换班组长 ${team.code}”为班组指定新的班组长。`);
    expect(await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'outbox.bot_stopped'))).toHaveLength(2);
  });
});
