import { and, eq, inArray, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, auditLog, bulkJobs, cycles, outbox, people, teams } from '../../db/schema.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { ManualClock } from '../../src/clock.js';
import { enqueue } from '../../src/outbox.js';
import { applicationForm, registrationForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { ADMIN_CHAT, generateCycle, type GeneratedCycle } from './jobsFixture.js';

/**
 * People who leave: 离职 (their Feishu account deactivated) or taken out of the app's 可用范围. Feishu refuses a message to
 * them, 230029 "User has resigned." and 230013 "Bot has NO availability to this user."
 * (https://open.feishu.cn/document/server-docs/im-v1/message/create, error codes).
 * - The simulated Open Platform delivered to someone its own address book marked resigned: it now refuses as Feishu does.
 * - An organisation contact who left while an application waited for their confirmation (第十五条): the leader was not
 *   told and 进度 said it waited for the contact until the deadline; the leader is now told once, with what to do. Any
 *   message that finds a contact out of reach (the word naming them: a leader picking someone outside the range; a
 *   reminder) tells the leader of each of their teams once; the two failing together in 修改资料 say it once.
 * - An expert who left: the administrators were told a count of unscored tasks in 相应班组, not which teams; tasks given
 *   them after that word (分配专家 still finding them in the pool) went nowhere and nobody heard; one without tasks was
 *   left in the pool. Now the teams are named, new tasks bring one more word, and the pool's 停用 is asked for.
 * - An administrator who left: nothing said they were one; now the word says to remove them (移除管理员, or ADMIN_OPEN_IDS).
 */

const texts = (h: Harness, to: string) => h.fake.messages.filter((m) => m.receiveId === to && m.msgType === 'text').map((m) => String(m.content.text));

describe('the simulated Open Platform and people who left', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({});
  });
  afterAll(async () => h?.close());

  it('refuses a message to someone its address book has resigned or outside the range, as Feishu does', async () => {
    const gone = h.fake.addUser({ openId: 'ou_fake_resigned_00000000000000001', name: '离职者', resigned: true });
    const outside = h.fake.addUser({ openId: 'ou_fake_outside_000000000000000001', name: '范围外', outsideAvailability: true });
    const stays = h.fake.addUser({ openId: 'ou_fake_stays_00000000000000000001', name: '在职者' });
    for (const p of [gone, outside, stays]) await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: `fake:${p.openId}`, to: { openId: p.openId }, text: '你好' }));
    await h.drain();
    const rows = await h.db.db.select({ key: outbox.dedupeKey, status: outbox.status, error: outbox.lastError }).from(outbox).where(like(outbox.dedupeKey, 'fake:%'));
    const of = (openId: string) => rows.find((r) => r.key === `fake:${openId}`)!;
    expect(of(gone.openId)).toMatchObject({ status: 'undeliverable', error: 'HTTP 400 code 230029: User has resigned.' });
    expect(of(outside.openId)).toMatchObject({ status: 'undeliverable', error: 'HTTP 400 code 230013: Bot has NO availability to this user.' });
    expect(of(stays.openId).status).toBe('sent');
  });
});

describe('an organisation contact who left while an application waits for them (第十五条)', () => {
  const L = 'ou_leftcontact_leader0000000000001';
  const C = 'ou_leftcontact_contact000000000001';
  const C2 = 'ou_leftcontact_contact000000000002';
  const C3 = 'ou_leftcontact_contact000000000003';
  it('the leader is told once, with what to do; the contact they name gets the request', async () => {
    const h = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    try {
      h.fake.addUser({ openId: C, name: '李联系人' });
      expect((await h.click(L, { action: 'team.register' }, registrationForm('离职联系人班', C))).toast.type).toBe('success');
      h.clock.set('2027-03-10T09:00:00+08:00');
      expect((await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-04-30', scoringDeadline: '2027-05-31', reviewMeetingDate: '2027-06-15' })).toast.type).toBe('success');
      await h.drain();
      await h.db.db.update(people).set({ name: '李联系人' }).where(eq(people.openId, C));
      // the contact leaves the company
      h.fake.addUser({ openId: C, name: '李联系人', resigned: true });
      h.fake.reset();
      expect((await h.click(L, { action: 'application.submit', teamId: 1, year: 2027 }, applicationForm())).toast.type).toBe('success');
      await h.drain();
      const told = texts(h, L);
      expect(told).toHaveLength(1);
      expect(told[0]).toMatch(/^离职联系人班（GDSZ-2026-\d{4}）2027 年度的申报已提交，但机器人无法把确认请求发给单位联系人 李联系人（ou_leftcontact_contact000000000001）：飞书返回此人已离职。/);
      expect(told[0]).toContain('申报须经单位联系人确认并推荐后才报协会（第十五条），申报截止日期为 2027年4月30日。请在“进度”中点“修改资料”更换单位联系人，新的单位联系人会收到确认请求。');
      // the administrators hear it once too, as before
      expect(texts(h, ADMIN).filter((t) => t.includes('已离职'))).toHaveLength(1);
      // taken back and submitted again: the request fails again, and nobody is told twice
      expect((await h.click(L, { action: 'application.recall', teamId: 1, year: 2027 })).toast.type).toBe('success');
      expect((await h.click(L, { action: 'application.submit', teamId: 1, year: 2027 }, applicationForm())).toast.type).toBe('success');
      await h.drain();
      expect(texts(h, L)).toHaveLength(1);
      expect(texts(h, ADMIN).filter((t) => t.includes('已离职'))).toHaveLength(1);
      // the leader names another contact: the request reaches them
      h.fake.reset();
      expect((await h.click(L, { action: 'team.editSave', teamId: 1 }, { contact: C2 })).toast.type).toBe('success');
      await h.drain();
      expect(h.fake.messages.filter((m) => m.receiveId === C2 && m.msgType === 'interactive').map((m) => m.content.header.title.content)).toContain('请确认申报材料：离职联系人班');
      // then someone outside the app's range: the word naming them and the request both fail, and the leader hears it once
      h.fake.addUser({ openId: C3, name: '吴联系人', outsideAvailability: true });
      h.fake.reset();
      expect((await h.click(L, { action: 'team.editSave', teamId: 1 }, { contact: C3 })).toast.type).toBe('success');
      await h.drain();
      expect(await h.db.db.select({ key: outbox.dedupeKey }).from(outbox).where(and(eq(outbox.receiver, C3), eq(outbox.status, 'undeliverable')))).toHaveLength(2);
      const again = texts(h, L);
      expect(again).toHaveLength(1);
      // whichever failed first says it: the word naming them or the request
      expect(again[0]).toContain(C3);
      expect(again[0]).toContain('此人不在飞书应用的可用范围内');
      expect(again[0]).toContain('请在“进度”中点“修改资料”更换单位联系人');
    } finally {
      await h.close();
    }
  }, 120_000);
});

describe('a contact named who is outside the app’s availability', () => {
  const L = 'ou_outsidecontact_leader0000000001';
  const C = 'ou_outsidecontact_contact000000001';
  it('the leader who registered the team is told at once, not at the deadline', async () => {
    const h = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    try {
      h.fake.addUser({ openId: C, name: '周联系人', outsideAvailability: true });
      expect((await h.click(L, { action: 'team.register' }, registrationForm('范围外联系人班', C))).toast.type).toBe('success');
      await h.drain();
      const told = texts(h, L);
      expect(told).toHaveLength(1);
      expect(told[0]).toMatch(/^范围外联系人班（GDSZ-2026-\d{4}）登记的单位联系人 (周联系人（)?ou_outsidecontact_contact000000001(）)? 收不到机器人的消息：此人不在飞书应用的可用范围内（可请协会管理员把此人加入应用的可用范围）。/);
      expect(told[0]).toContain('班组的申报须经单位联系人确认并推荐后才报协会（第十五条）：请在“进度”中点“修改资料”更换单位联系人。');
      // the administrators, who can widen the range, hear it as before
      expect(texts(h, ADMIN).filter((t) => t.includes('不在飞书应用的可用范围内'))).toHaveLength(1);
    } finally {
      await h.close();
    }
  }, 120_000);
});

describe('a contact of two teams who left, found out by any message', () => {
  const L1 = 'ou_twoteams_leader0000000000000001';
  const L2 = 'ou_twoteams_leader0000000000000002';
  const C = 'ou_twoteams_contact000000000000001';
  it('each team’s leader is told once', async () => {
    const h = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    try {
      expect((await h.click(L1, { action: 'team.register' }, registrationForm('两班之一', C))).toast.type).toBe('success');
      expect((await h.click(L2, { action: 'team.register' }, registrationForm('两班之二', C))).toast.type).toBe('success');
      await h.drain();
      h.fake.addUser({ openId: C, name: '郑联系人', resigned: true });
      h.fake.reset();
      for (const key of ['remind:contact:left:1', 'remind:contact:left:2']) {
        await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: key, to: { openId: C }, text: key }));
        await h.drain();
      }
      for (const [leader, team] of [[L1, '两班之一'], [L2, '两班之二']]) {
        const told = texts(h, leader);
        expect(told).toHaveLength(1);
        expect(told[0]).toMatch(new RegExp(`^${team}（GDSZ-2026-\\d{4}）登记的单位联系人 .*${C}.* 收不到机器人的消息：飞书返回此人已离职。`));
      }
    } finally {
      await h.close();
    }
  }, 120_000);
});

describe('an expert and an administrator who left', () => {
  let h: Harness;
  let g: GeneratedCycle;
  let expert: string;
  beforeAll(async () => {
    h = await startHarness({});
    g = await generateCycle(h.db.db, 37);
    expert = Object.entries(g.experts).find(([, n]) => n === 2)![0];
  });
  afterAll(async () => h?.close());

  const queue = (key: string, openId: string) => h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: key, to: { openId }, text: key }));
  const toAdmins = () => texts(h, ADMIN_CHAT);

  it('an expert: the teams of the unscored tasks are named, and tasks given them afterwards are said once more', async () => {
    h.fake.addUser({ openId: expert, name: '专家0', resigned: true });
    await queue('remind:scoring:left:1', expert);
    await queue('remind:scoring:left:2', expert);
    await h.drain();
    const open = await h.db.db
      .select({ name: teams.name, code: teams.code })
      .from(assignments)
      .innerJoin(applications, eq(applications.id, assignments.applicationId))
      .innerJoin(teams, eq(teams.id, applications.teamId))
      .where(and(eq(assignments.expertOpenId, expert), eq(assignments.status, 'assigned')))
      .orderBy(teams.code);
    expect(toAdmins()).toHaveLength(1);
    expect(toAdmins()[0]).toContain(`此人还有 2 份评分任务未完成（${open.map((t) => `${t.name}（${t.code}）`).join('、')}）：请在这些班组的“专家组”中点“更换专家”改派，并在“专家库”中停用此人。`);
    // 分配专家 gives them one more (the pool still has them): the task card fails, and the administrators hear of it
    const taken = new Set((await h.db.db.select({ id: assignments.applicationId }).from(assignments).where(eq(assignments.expertOpenId, expert))).map((a) => a.id));
    const other = g.teams.find((t) => t.applicationId !== undefined && !taken.has(t.applicationId))!;
    await h.db.db.insert(assignments).values({ applicationId: other.applicationId!, expertOpenId: expert, status: 'assigned' });
    await queue('task:left:new', expert);
    await h.drain();
    expect(toAdmins()).toHaveLength(2);
    expect(toAdmins()[1]).toContain('此人还有 3 份评分任务未完成');
    // its reminders later: nothing more
    await queue('remind:scoring:left:3', expert);
    await h.drain();
    expect(toAdmins()).toHaveLength(2);
  });

  it('an expert with a task of this year and one of a year whose results are out: only this year’s is listed', async () => {
    const lone = Object.entries(g.experts).find(([, n]) => n === 1)![0];
    const [task] = await h.db.db
      .select({ teamId: applications.teamId, name: teams.name, code: teams.code })
      .from(assignments)
      .innerJoin(applications, eq(applications.id, assignments.applicationId))
      .innerJoin(teams, eq(teams.id, applications.teamId))
      .where(and(eq(assignments.expertOpenId, lone), eq(assignments.status, 'assigned')));
    // a task of an earlier year left assigned to them, for the same team
    const [before] = await h.db.db
      .insert(cycles)
      .values({ year: 2026, status: 'published', applicationDeadline: '2026-05-31', scoringDeadline: '2026-06-30', reviewMeetingDate: '2026-07-15', scoreSheet: defaultScoreSheet })
      .returning({ id: cycles.id });
    const [app] = await h.db.db.insert(applications).values({ teamId: task.teamId, cycleId: before.id, status: 'scored' }).returning({ id: applications.id });
    await h.db.db.insert(assignments).values({ applicationId: app.id, expertOpenId: lone, status: 'assigned' });
    h.fake.addUser({ openId: lone, name: '专家3', resigned: true });
    await queue('remind:scoring:left:lone', lone);
    await h.drain();
    const said = toAdmins().find((t) => t.includes(lone))!;
    // the earlier year's results are out (公布结果): its task left unscored is nobody's to move, and not counted
    expect(said).toContain(`此人还有 1 份评分任务未完成（${task.name}（${task.code}））：请在这些班组的“专家组”中点“更换专家”改派`);
  });

  it('an expert without tasks still in the pool: the administrators are asked to deactivate them', async () => {
    const [{ openId: idle }] = await h.db.db.select({ openId: people.openId }).from(people).where(eq(people.name, '专家2'));
    h.fake.addUser({ openId: idle, name: '专家2', resigned: true });
    await queue('welcome:left:idle', idle);
    await h.drain();
    const said = toAdmins().find((t) => t.includes(idle))!;
    expect(said).toContain('此人在专家库中仍是启用状态：请在“专家库”中停用此人，以免分配专家时再选到此人。');
  });

  it('an administrator: the word says to remove them', async () => {
    const A = 'ou_leftadmin_000000000000000000001';
    await h.db.db.insert(people).values({ openId: A, name: '赵管理员', roles: ['admin'] });
    h.fake.addUser({ openId: A, name: '赵管理员', resigned: true });
    await queue('admin:private:left', A);
    await h.drain();
    const said = toAdmins().find((t) => t.includes(A))!;
    expect(said).toContain('机器人无法给 赵管理员（ou_leftadmin_000000000000000000001） 发消息：飞书返回此人已离职');
    expect(said).toContain('此人是协会管理员：请发送“移除管理员”把此人从管理员名单中移除。');
  });
});

describe('someone who leaves while nothing is on its way to them (员工离职, contact.user.deleted_v3)', () => {
  let h: Harness;
  let g: GeneratedCycle;
  beforeAll(async () => {
    h = await startHarness({ outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    g = await generateCycle(h.db.db, 53);
  });
  afterAll(async () => h?.close());
  const toAdmins = () => texts(h, ADMIN_CHAT);

  it('an expert with tasks: the administrators hear it at once, naming the teams; a redelivery or a refused send later says nothing more', async () => {
    const expert = Object.entries(g.experts).find(([, n]) => n >= 1)![0];
    const open = await h.db.db
      .select({ name: teams.name, code: teams.code })
      .from(assignments)
      .innerJoin(applications, eq(applications.id, assignments.applicationId))
      .innerJoin(teams, eq(teams.id, applications.teamId))
      .where(and(eq(assignments.expertOpenId, expert), eq(assignments.status, 'assigned')))
      .orderBy(teams.code);
    h.fake.reset();
    expect((await h.leaves(expert, { eventId: 'left-expert-1' }))?.status).toBe(200);
    const said = toAdmins().filter((t) => t.includes(expert));
    expect(said).toHaveLength(1);
    expect(said[0]).toContain('已离职');
    expect(said[0]).toContain(`此人还有 ${open.length} 份评分任务未完成（${open.map((t) => `${t.name}（${t.code}）`).join('、')}）：请在这些班组的“专家组”中点“更换专家”改派，并在“专家库”中停用此人。`);
    // the same event again, and again under another id (Feishu retries): nothing more
    await h.leaves(expert, { eventId: 'left-expert-1' });
    await h.leaves(expert, { eventId: 'left-expert-1-again' });
    // a reminder to them refused with 230029: the same word, under the same key, is not said twice
    await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: 'remind:scoring:event-left', to: { openId: expert }, text: 'x' }));
    await h.drain();
    expect(toAdmins().filter((t) => t.includes(expert))).toHaveLength(1);
    expect(await h.db.db.select({ id: auditLog.id }).from(auditLog).where(and(eq(auditLog.action, 'contact.user_deleted'), eq(auditLog.entityId, expert)))).toHaveLength(1);
  });

  it('an organisation contact: each of their teams’ leaders is told once', async () => {
    const contact = g.teams[0].contact;
    const led = await h.db.db.select({ leader: teams.leaderOpenId, name: teams.name }).from(teams).where(and(eq(teams.contactOpenId, contact), eq(teams.status, 'active')));
    expect(led.length).toBeGreaterThan(0);
    h.fake.reset();
    await h.leaves(contact, { eventId: 'left-contact-1' });
    await h.leaves(contact, { eventId: 'left-contact-1-again' });
    for (const t of led) {
      const told = texts(h, t.leader).filter((x) => x.includes(contact));
      expect(told).toHaveLength(1);
      expect(told[0]).toContain(`${t.name}（`);
      expect(told[0]).toContain('收不到机器人的消息：飞书返回此人已离职');
    }
  });

  it('someone the bot has nothing to do with: nobody is told', async () => {
    h.fake.reset();
    const stranger = 'ou_left_stranger_00000000000000001';
    expect((await h.leaves(stranger, { eventId: 'left-stranger-1' }))?.status).toBe(200);
    expect(h.fake.messages).toHaveLength(0);
  });
});

describe.each([
  ['one statement', true],
  ['ordinary transaction', false],
])('分配专家 passes by an expert who left (%s)', (_path, fast) => {
  let h: Harness;
  let g: GeneratedCycle;
  beforeAll(async () => {
    h = await startHarness({ outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    h.app.processor.fastPaths = fast;
    g = await generateCycle(h.db.db, fast ? 71 : 72);
  });
  afterAll(async () => h?.close());

  it('gives them no task; its finished card says how many were passed by, the administrator who started it privately who', async () => {
    // every application of the year accepted with no panel yet; 4 experts in the pool, 3 a panel
    const apps = g.teams.filter((t) => t.applicationId !== undefined).map((t) => t.applicationId!);
    await h.db.db.delete(assignments).where(inArray(assignments.applicationId, apps));
    await h.db.db.update(applications).set({ status: 'accepted' }).where(inArray(applications.id, apps));
    const [gone, refused] = Object.keys(g.experts).sort();
    // one left while nothing was on its way to them (员工离职), one found out by a refused send (230029)
    await h.leaves(gone, { eventId: `left-pool-${fast}` });
    h.fake.addUser({ openId: refused, name: '专家1', resigned: true });
    await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: `remind:left-pool:${fast}`, to: { openId: refused }, text: 'x' }));
    await h.drain();
    const answer = await h.click(ADMIN, { action: 'review.assign', cycleId: g.cycleId });
    expect(answer.toast.type).toBe('success');
    // the answer says it at once: how many, and who
    const named = (await h.db.db.select({ openId: people.openId, name: people.name }).from(people).where(inArray(people.openId, [gone, refused]))).sort((x, y) => (x.openId < y.openId ? -1 : 1));
    expect(answer.toast.content).toBe(`正在分配专家，完成后卡片会更新；已跳过 2 位已离职的专家：${named.map((p) => p.name).join('、')}`);
    await h.drain();
    const given = await h.db.db.select({ expert: assignments.expertOpenId }).from(assignments).where(inArray(assignments.applicationId, apps));
    expect(given.length).toBeGreaterThan(0);
    expect(given.filter((a) => a.expert === gone || a.expert === refused)).toEqual([]);
    const [job] = await h.db.db.select({ result: bulkJobs.result, status: bulkJobs.status }).from(bulkJobs).where(and(eq(bulkJobs.kind, 'assign'), eq(bulkJobs.cycleId, g.cycleId)));
    expect(job.status).toBe('done');
    const [a, b] = [gone, refused].sort();
    const names = (await h.db.db.select({ openId: people.openId, name: people.name }).from(people).where(inArray(people.openId, [a, b]))).sort((x, y) => (x.openId < y.openId ? -1 : 1));
    // the job's card may be a group's, whose members need not be administrators: it counts them; the names go to the
    // administrator who started it, privately
    expect((job.result as { outcome?: string }).outcome).toBe('已跳过 2 位已离职的专家，未给其分配评审任务：名单已私信发给发起（或重试）这次分配的管理员，请在“专家库”中停用。');
    for (const p of names) expect(JSON.stringify(job.result)).not.toContain(p.openId);
    const told = h.fake.messages.filter((m) => m.receiveId === ADMIN && m.msgType === 'text').map((m) => String(m.content.text));
    expect(told.filter((t) => t.startsWith('分配专家已跳过'))).toEqual([`分配专家已跳过 2 位已离职的专家（${names.map((p) => `${p.name}（${p.openId}）`).join('、')}），未给其分配评审任务：请在“专家库”中停用。`]);
    // each short panel says why: 2 of the 4 left
    const unfilled = (job.result as { unfilled?: { reason: string }[] }).unfilled ?? [];
    expect(unfilled.length).toBeGreaterThan(0);
    expect(unfilled[0].reason).toContain('2 位已离职');
  });
});
