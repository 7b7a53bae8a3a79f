import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conflicts, outbox, teamMembers } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { rowsOf } from '../../src/outbox.js';
import { escapeText } from '../../cards/markdown.js';
import { formalCheckPageSize } from '../../cards/applications.js';
import { cardActions, cardProblems, cardText, inputValues } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { scheduledJob } from '../../src/jobs/index.js';
import { createLogger } from '../../src/log.js';
import { Writable } from 'node:stream';
import { ADMIN_GROUP, BIG_CONTACT, EXPERT60, filled, NOW, OLD_LEADER, openIdOf, SCALE, type ScaleFixture, seedScale, TEAM_ONE_CODE } from './cardScaleFixture.js';
import { scaleSteps } from './cardScaleSteps.js';

/**
 * Every card whose size grows with the data, drawn by the real bot from the largest realistic data (cardScaleFixture)
 * and judged by the simulated Open Platform as Feishu would (30 KB, 200 tagged objects, unique names): a card
 * answered to a click that Feishu refuses leaves the user looking at nothing, a refused send leaves them nothing.
 */

const quiet = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));
let h: Harness;
let f: ScaleFixture;

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock(NOW), outboxLimits: { perApp: 100_000, perReceiver: 100_000 } });
  f = await seedScale(h.db.db);
}, 120_000);
afterAll(async () => {
  report();
  await h?.close();
});

const { judged, report, outboxMark, nothingRefused, sayFor, buttonOn, clickFor, press } = scaleSteps(() => h);

describe('an expert with sixty tasks', () => {
  it('评分: the task list, its next page, a score sheet at full length and the decline form', async () => {
    const list = await sayFor('评分 (60 tasks)', EXPERT60, '评分');
    expect(cardText(list.content)).toContain(`已完成 20 / ${SCALE.expertTasks}`);
    const next = await press('评分 page 2', EXPERT60, list.messageId, { action: 'review.list', page: 2 });
    expect(cardText(next)).toContain('第 2 / 3 页');
    await press('评分 page 1', EXPERT60, list.messageId, { action: 'review.list', page: 1 });
    const sheet = await press('score sheet (full-length application)', EXPERT60, list.messageId, { action: 'review.open', assignmentId: f.firstTask });
    expect(cardActions(sheet).some((a) => a.action === 'review.declineForm')).toBe(true);
    // each long text shows its first 300 characters; the whole 申报表 is one click away, and back
    const whole = filled('', 1000);
    expect(cardText(sheet)).not.toContain(escapeText(whole.slice(0, 301)));
    // the whole text comes as a message of its own: the sheet, with what was typed into it, stays where it is
    const sent = h.fake.messages.length;
    const answered = await h.clickCard(EXPERT60, list.messageId, buttonOn(list.messageId, { action: 'review.application', assignmentId: f.firstTask }));
    expect(answered.body?.toast).toEqual({ type: 'success', content: expect.stringContaining('申报表全文已另发一条消息') });
    expect(answered.body?.card).toBeUndefined();
    const [full] = h.fake.messages.slice(sent).filter((m) => m.receiveId === EXPERT60 && m.msgType === 'interactive');
    expect(cardProblems(full.content)).toEqual([]);
    expect(cardText(full.content)).toContain(escapeText(whole));
    expect(cardActions(full.content)).toEqual([{ action: 'review.open', assignmentId: f.firstTask }]);
    await press('decline form', EXPERT60, list.messageId, { action: 'review.declineForm', assignmentId: f.firstTask });
  });

});

describe('an expert who declared forty conflicts of interest', () => {
  it('声明利益冲突 lists them eight a page, each at its longest', async () => {
    const teamIds = rowsOf(await h.db.db.execute(sql`select id from teams order by id limit 30`)) as { id: number }[];
    const orgIds = rowsOf(await h.db.db.execute(sql`select id from organizations order by id`)) as { id: number }[];
    await h.db.db.insert(conflicts).values([
      ...teamIds.map((t) => ({ expertOpenId: EXPERT60, teamId: Number(t.id), reason: filled('曾任职', 500) })),
      ...orgIds.map((o) => ({ expertOpenId: EXPERT60, organizationId: Number(o.id), reason: filled('亲属', 500) })),
    ]);
    const list = await sayFor('评分 (again)', EXPERT60, '评分');
    const form = await press('声明利益冲突 (40 declared)', EXPERT60, list.messageId, { action: 'experts.conflictForm' });
    expect(cardText(form)).toContain('共 40 项');
    expect(cardText(form)).toContain('第 1 / 5 页');
    const last = await press('声明利益冲突 p2', EXPERT60, list.messageId, { action: 'experts.conflictForm', page: 2 });
    expect(cardText(last)).toContain('第 2 / 5 页');
  });
});

describe('the association with 3 000 applications, 500 experts and 200 complaints', () => {
  let admin: { messageId: string };
  beforeAll(async () => {
    admin = await sayFor('管理', ADMIN, '管理');
  });

  it('评审进度 of 3 000 applications still scoring', async () => {
    const progress = await press('评审进度 (3 000 pending)', ADMIN, admin.messageId, { action: 'review.progress' });
    expect(cardText(progress)).toContain(`未完成评分的申报（${SCALE.applications} 份）`);
  });

  it('查看专家组 of a panel of fifteen after ten declines, eight a page, the experts on it first', async () => {
    await sayFor('管理', ADMIN, '管理').then((m) => (admin = m));
    await press('评审进度', ADMIN, admin.messageId, { action: 'review.progress' });
    const panel = await press('查看专家组 (15 + 10 declined)', ADMIN, admin.messageId, { action: 'review.panelByCode' }, { code: TEAM_ONE_CODE });
    expect(cardText(panel)).toContain('第 1 / 4 页');
    expect(cardText(panel)).not.toContain('已谢绝');
    const second = await press('查看专家组 p2', ADMIN, admin.messageId, { action: 'review.panel', page: 2 });
    expect(cardText(second)).toContain('已谢绝');
    // a swap from page 2 answers with page 2
    const swap = cardActions(second).find((a) => a.action === 'review.swap');
    expect(swap?.page).toBe(2);
    const after = await press('更换专家 on p2', ADMIN, admin.messageId, swap!);
    expect(cardText(after)).toContain('第 2 / 4 页');
  });

  it('专家库: two pages of 501 experts, each at its longest', async () => {
    await sayFor('管理', ADMIN, '管理').then((m) => (admin = m));
    const pool = await press('专家库 p1', ADMIN, admin.messageId, { action: 'experts.list' });
    expect(cardText(pool)).toContain(`第 1 / ${Math.ceil((SCALE.experts + 1) / 9)} 页`);
    await press('专家库 p2', ADMIN, admin.messageId, { action: 'experts.list', page: 2 });
    // a list at its longest cuts each expert's texts to fit 30 KB; 修改 shows the record whole
    const edit = await press('修改 (from p2)', ADMIN, admin.messageId, { action: 'experts.edit' });
    expect(inputValues(edit).organization).toHaveLength(100);
    expect(cardText(edit)).toMatch(/修改专家：专家\d+号欧阳(&#124;){40,}/);
  });

  it('投诉处理 with 200 open complaints, and one at its longest', async () => {
    await sayFor('管理', ADMIN, '管理').then((m) => (admin = m));
    const list = await press('投诉处理 (200 open)', ADMIN, admin.messageId, { action: 'complaint.list' });
    expect(cardText(list)).toContain(`共 ${SCALE.complaints} 件`);
    await press('投诉 (2 000 characters)', ADMIN, admin.messageId, { action: 'complaint.open' });
  });
});

describe('形式审查 of recommended applications at their longest', () => {
  it('shows a page with the opinion cut, the count of all and the pager', async () => {
    // the title made only of a character that escapes to six bytes (|, &#124;), as a pasted table row would be
    await h.db.db.execute(sql`update applications set status = 'recommended', form = jsonb_set(form, '{title}', to_jsonb(repeat('|', 100)))
      where id in (select id from applications where cycle_id = ${f.cycleId} order by id desc limit 20)`);
    const admin = await sayFor('管理', ADMIN, '管理');
    const list = await press('形式审查 (20 recommended)', ADMIN, admin.messageId, { action: 'check.list' });
    expect(cardText(list)).toContain('待形式审查 20 份');
    expect(cardText(list)).toContain(`第 1 / ${Math.ceil(20 / formalCheckPageSize)} 页`);
    await press('形式审查 p2', ADMIN, admin.messageId, { action: 'check.list', page: 2 });
  });
});

describe('people with many teams', () => {
  it('进度 of a contact of 300 teams, five a page', async () => {
    const status = await sayFor('进度 (contact of 300 teams)', BIG_CONTACT, '进度');
    const pages = SCALE.applications / SCALE.organizations / 5;
    expect(cardText(status.content)).toContain(`第 1 / ${pages} 页`);
    // the running year across the 300, above the first five: every team counted once, none waiting for this contact
    const summed = /(\d{4})年度申报\*\*：([^\n]*)/.exec(cardText(status.content))!;
    expect(summed[2].split(' · ').reduce((n, part) => n + Number(part.split(' ').at(-1)), 0)).toBe(SCALE.applications / SCALE.organizations);
    expect(cardActions(status.content).some((a) => a.action === 'endorse.list')).toBe(false);
    const second = await press('进度 p2', BIG_CONTACT, status.messageId, { action: 'team.status', page: 2 });
    expect(cardText(second)).toContain(`第 2 / ${pages} 页`);
    expect(cardActions(second).filter((a) => a.action === 'team.status')).toEqual([{ action: 'team.status', page: 1 }, { action: 'team.status', page: 3 }]);
  });

  it('进度 of a team with nine years of applications and titles', async () => {
    const m = await sayFor('进度 (nine years)', OLD_LEADER, '进度');
    expect(cardText(m.content)).toContain(`${2027 - SCALE.pastYears} 年度`);
  });

  it('注册 offers the hundred people a picker may list', async () => {
    const form = await sayFor('注册 (100 candidates)', openIdOf('leader', 'new'), '注册');
    expect(JSON.stringify(form.content)).toContain(BIG_CONTACT);
  });

  it('班组成员 of a team of 500, and its profile form at full length', async () => {
    const members = Array.from({ length: 499 }, (_, i) => openIdOf('leader', i + 2));
    await h.db.db.insert(teamMembers).values(members.map((openId) => ({ teamId: f.teamOne, openId, role: 'member' }))).onConflictDoNothing();
    const status = await sayFor('进度 (nine years)', OLD_LEADER, '进度');
    const card = await press('班组成员 (500)', OLD_LEADER, status.messageId, { action: 'team.members', teamId: f.teamOne });
    expect(cardText(card)).toContain('共 500 人在册');
    await press('班组成员 p2', OLD_LEADER, status.messageId, { action: 'team.members', page: 2 });
    const again = await sayFor('进度 (nine years)', OLD_LEADER, '进度');
    await press('修改资料 (full length)', OLD_LEADER, again.messageId, { action: 'team.editForm', teamId: f.teamOne });
  });
});

describe('scheduled work at the largest', () => {
  const run = async (name: 'digest' | 'escalation') => {
    const mark = await outboxMark();
    const before = h.fake.messages.length;
    await scheduledJob(name, { db: h.db.db, now: () => h.clock.now(), timezone: h.app.config.BOT_TIMEZONE, bootstrapAdmins: h.app.config.ADMIN_OPEN_IDS, log: quiet, nudge: () => {} })();
    await h.drain();
    await nothingRefused(mark);
    return h.fake.messages.slice(before).filter((m) => m.receiveId === ADMIN_GROUP && m.msgType === 'interactive');
  };

  it('the daily digest after the scoring deadline: 501 experts overdue, 200 complaints open', async () => {
    h.clock.set('2027-07-02T09:00:00+08:00');
    const [digest] = await run('digest');
    judged('每日汇总 (501 overdue, 200 complaints)', digest.content);
    expect(cardText(digest.content)).toContain('待处理投诉 200 件');
  });

  it('the escalation of 200 complaints open for weeks: one card for them all, accepted', async () => {
    const sent = await run('escalation');
    expect(sent.length).toBe(1);
    const text = cardText(judged('投诉已逾期 (200 complaints of 2 000 characters)', sent[0].content));
    expect(text).toContain(`${SCALE.complaints} 件投诉超过 7 天未处理`);
    expect(text).toContain(`另有 ${SCALE.complaints - 10} 件`);
  });
});

describe('第二十二条 at its longest run', () => {
  it('the twentieth upheld complaint against a title raises the revocation alert, its history at every maximum', async () => {
    await h.db.db.execute(sql`update cycles set settings = jsonb_set(settings, '{revocationRun}', '20'::jsonb) where id = ${f.cycleId}`);
    await h.db.db.execute(sql`
      insert into complaints (reference, team_id, content, channel, contact, status, note, decided_by, decided_at, created_at)
      select 'TS-2027-9' || lpad(g::text, 3, '0'), ${f.teamOne}::int, ${filled('', 2000)}, 'web', ${filled('', 100)},
        case when g < 20 then 'upheld' else 'open' end, case when g < 20 then ${filled('', 500)} end,
        case when g < 20 then ${ADMIN} end, case when g < 20 then now() end, now() + (g || ' seconds')::interval
      from generate_series(1, 20) g`);
    const [open] = rowsOf(await h.db.db.execute(sql`select id from complaints where reference = 'TS-2027-9020'`)) as { id: number }[];
    // the 200 others decided (the probes before needed them open): the list shows the one against the title
    await h.db.db.execute(sql`update complaints set status = 'dismissed' where status = 'open' and team_id <> ${f.teamOne}`);
    const admin = await sayFor('管理', ADMIN, '管理');
    await press('投诉处理 (one open)', ADMIN, admin.messageId, { action: 'complaint.list' });
    await press('投诉 against the title', ADMIN, admin.messageId, { action: 'complaint.open', complaintId: Number(open.id) });
    const mark = await outboxMark();
    const before = h.fake.messages.length;
    await press('投诉成立 (the twentieth)', ADMIN, admin.messageId, { action: 'complaint.uphold' }, { note: filled('核查', 500) });
    await nothingRefused(mark);
    const alert = h.fake.messages.slice(before).find((m) => m.receiveId === ADMIN_GROUP && cardText(m.content).includes('撤销称号提醒'));
    expect(cardText(judged('撤销称号提醒 (run of 20)', alert?.content))).toContain('已连续 **20** 次投诉成立');
  });
});

describe('投诉 naming a team hundreds of names share a part of', () => {
  it('the picker lists ten and says there are more and how to name the one meant', async () => {
    const picker = await sayFor('投诉 0班 (300 teams match)', openIdOf('leader', 'complainant'), '投诉 0班');
    const text = cardText(picker.content);
    expect(cardActions(picker.content).filter((a) => a.action === 'complaint.start')).toHaveLength(10);
    expect(text).not.toContain('相符的班组有 10 个');
    expect(text).toContain('超过 10 个');
    expect(text).toContain('班组编号');
  });
});

describe('管理员 of an association that added forty administrators', () => {
  it('lists every one, each with 移除, in cards Feishu accepts', async () => {
    const added = Array.from({ length: 40 }, (_, i) => openIdOf('contact', `admin${i}`));
    await h.db.db.execute(sql`insert into people (open_id, name, roles) select x, rpad('管理员', 50, '|'), '{admin}'::text[] from unnest(${sql.raw(`ARRAY[${added.map((a) => `'${a}'`).join(',')}]`)}::text[]) x
      on conflict (open_id) do update set roles = '{admin}'::text[]`);
    const admin = await sayFor('管理', ADMIN, '管理');
    let page = await press('管理员 (41)', ADMIN, admin.messageId, { action: 'admins.list' });
    const removable = new Set<unknown>();
    for (let n = 1; n <= 41; n++) {
      for (const a of cardActions(page)) if (a.action === 'admins.remove') removable.add(a.openId);
      const next = cardActions(page).find((a) => a.action === 'admins.list' && typeof a.page === 'number' && a.page > n);
      if (!next) break;
      page = await press(`管理员 p${next.page}`, ADMIN, admin.messageId, next);
    }
    for (const a of added) expect(removable.has(a), a).toBe(true);
    // 移除 on page 4: the roster answers on that page (the last now: the configured administrator, listed last, moves up)
    page = await press('管理员 p4', ADMIN, admin.messageId, { action: 'admins.list', page: 4 });
    const remove = cardActions(page).find((a) => a.action === 'admins.remove');
    expect(remove?.page).toBe(4);
    const after = await press('移除 (on p4)', ADMIN, admin.messageId, remove!);
    expect(cardText(after)).toContain('**协会管理员**：40 位');
    expect(cardText(after)).toContain('第 4 / 4 页');
  });
});

describe('评审进度 of 3 000 applications, one panel short of an expert', () => {
  it('shows the short panel first, whatever its code, with how many are short', async () => {
    await h.db.db.execute(sql`update cycles set experts_per_application = 3 where id = ${f.cycleId}`);
    const [last] = rowsOf(await h.db.db.execute(sql`select a.id, t.code from applications a join teams t on t.id = a.team_id
      where a.cycle_id = ${f.cycleId} and a.status = 'accepted' and a.id <> ${f.bigPanelApp} and not exists (select 1 from assignments s where s.application_id = a.id and s.expert_open_id = ${EXPERT60})
      order by t.code desc limit 1`)) as { id: number; code: string }[];
    await h.db.db.execute(sql`update assignments set status = 'declined', decline_reason = '回避' where id = (select min(id) from assignments where application_id = ${last.id})`);
    const admin = await sayFor('管理', ADMIN, '管理');
    const progress = await press('评审进度 (one short)', ADMIN, admin.messageId, { action: 'review.progress' });
    const text = cardText(progress);
    expect(text).toContain(`${last.code}`);
    expect(text).toContain('缺 1 位');
    expect(cardActions(progress)).toContainEqual({ action: 'review.panel', applicationId: Number(last.id) });
  });
});
