import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { rowsOf } from '../../src/outbox.js';
import { scoreFields } from '../../src/review/scoring.js';
import { parseScoreSheetText } from '../../src/scoreSheet.js';
import { cardActions, cardText } from '../support/cards.js';
import { applicationForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { BIG_CONTACT, filled, openIdOf, type ScaleFixture, seedScale, sheetText } from './cardScaleFixture.js';
import { scaleSteps } from './cardScaleSteps.js';
import { scheduledJob } from '../../src/jobs/index.js';
import { createLogger } from '../../src/log.js';
import { Writable } from 'node:stream';

/**
 * The cards of a cycle still taking applications, at the largest (cardScaleFixture, the cycle opened again): a
 * 申报表 filled to every maximum, through the contact's 请确认申报材料 and the formal check, a score sheet of as many
 * items as 载入评分表's 1 000 characters hold, the task cards drawn from it and the sheet submitted.
 */

const quiet = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));
let h: Harness;
let f: ScaleFixture;
const LEADER = openIdOf('leader', 1);
/** Team 1's contact: team g has contact 1 + g % 10. */
const CONTACT = openIdOf('contact', 2);

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-05-20T09:00:00+08:00'), outboxLimits: { perApp: 100_000, perReceiver: 100_000 } });
  f = await seedScale(h.db.db);
  // the cycle takes applications again, panels of three; team 1's application is a draft at every maximum
  await h.db.db.execute(sql`update cycles set status = 'open', experts_per_application = 3 where id = ${f.cycleId}`);
  await h.db.db.execute(sql`delete from assignments where application_id = ${f.bigPanelApp}`);
  await h.db.db.execute(sql`update applications set status = 'draft', endorsement = null, submitted_at = null where id = ${f.bigPanelApp}`);
  // nobody has scored this year yet: a sheet submitted would keep 载入评分表 from replacing the sheet (第十八条)
  await h.db.db.execute(sql`update assignments set status = 'assigned', scores = null, total = null, submitted_at = null where cycle_id = ${f.cycleId} and status = 'submitted'`);
}, 120_000);
afterAll(async () => {
  report();
  await h?.close();
});

const { judged, report, outboxMark, nothingRefused, sentSince, sayFor: say, press } = scaleSteps(() => h);

const fullApplication = applicationForm({
  title: filled('', 100),
  customer: filled('顾客', 1000),
  qc: filled('QC', 1000),
  summary: filled('成果', 1000),
  features: filled('特色', 1000),
  materialsUrl: `https://example.feishu.cn/docx/${'a'.repeat(500 - 31)}`,
});

describe('an application at every maximum, from the leader to the formal check', () => {
  it('申报, 提交, 请确认申报材料, 推荐 with a 1 000-character opinion, 受理', async () => {
    const form = await say('申报表 (every maximum)', LEADER, '申报');
    const before = h.fake.messages.length;
    await press('已提交', LEADER, form.messageId, { action: 'application.submit' }, fullApplication);
    const [request] = sentSince(before, CONTACT);
    judged('请确认申报材料 (every maximum)', request?.content);
    const opinion = filled('推荐', 1000);
    const done = await press('已推荐', CONTACT, request.messageId, { action: 'endorse.recommend' }, { truthful: true, opinion });
    expect(cardText(done)).toContain('已报协会形式审查');
    const admin = await say('管理', ADMIN, '管理');
    const list = await press('形式审查 (1)', ADMIN, admin.messageId, { action: 'check.list' });
    expect(cardText(list)).toContain('待审查 1 份');
    await press('形式审查 after 受理', ADMIN, admin.messageId, { action: 'check.accept', applicationId: f.bigPanelApp }, { [`reason_${f.bigPanelApp}`]: '' });
  });
});

describe('a score sheet of as many items as a card holds', () => {
  it('载入评分表 refuses 80 items in 8 areas (they fit the input, not the card), naming what to change', async () => {
    const text = sheetText(8, 80);
    expect(text.length).toBeLessThanOrEqual(1000);
    const admin = await say('管理', ADMIN, '管理');
    await press('载入评分表 form', ADMIN, admin.messageId, { action: 'cycle.sheetForm' });
    const value = cardActions(h.fake.currentCard(admin.messageId)).find((a) => a.action === 'cycle.sheetLoad')!;
    const res = await h.clickCard(ADMIN, admin.messageId, value, { sheet: text });
    expect(res.body.toast).toMatchObject({ type: 'error' });
    expect(res.body.toast.content).toContain('评分表最多 10 个评分区域、50 个评分项');
    expect(res.body.toast.content).toContain('这份有 8 个区域、80 项');
    judged('载入评分表 refused (80 items)', res.body.card.data);
  });

  it('50 items in 10 areas: 载入评分表, 分配专家, the task cards, and a sheet submitted with a 1 000-character comment', async () => {
    const text = sheetText(10, 50);
    const admin = await say('管理', ADMIN, '管理');
    await press('载入评分表 form', ADMIN, admin.messageId, { action: 'cycle.sheetForm' });
    await press('载入评分表 (50 items)', ADMIN, admin.messageId, { action: 'cycle.sheetLoad' }, { sheet: text });
    const again = await say('管理', ADMIN, '管理');
    expect(cardText(again.content)).toContain('50 项');
    const before = h.fake.messages.length;
    await press('分配专家', ADMIN, again.messageId, { action: 'review.assign' });
    const tasks = h.fake.messages.slice(before).filter((m) => m.msgType === 'interactive' && cardText(m.content).includes('提交评分'));
    expect(tasks.length).toBe(3);
    for (const t of tasks) judged('评分任务 (50 items)', t.content);
    const expert = tasks[0].receiveId;
    const fields = scoreFields(parseScoreSheetText(text));
    // a refused submit draws the sheet again, with what was typed and the error above it
    const typed = Object.fromEntries(fields.map((s) => [s.field, String(s.max)]));
    const refused = await h.clickCard(expert, tasks[0].messageId, cardActions(tasks[0].content).find((a) => a.action === 'review.submit')!, { ...typed, [fields[0].field]: '99', comment: filled('意见', 1000) });
    expect(refused.body.toast).toMatchObject({ type: 'error' });
    judged('评分任务 refused (50 items, all typed)', refused.body.card.data);
    const scored = await press('已提交评分 (50 items)', expert, tasks[0].messageId, { action: 'review.submit' }, { ...typed, comment: filled('意见', 1000) });
    expect(cardText(scored)).toContain('总分：100 / 100 分');
  });
});

describe('the application reminders a week before the deadline', () => {
  it('a contact with 300 applications waiting is told of them in one card', async () => {
    await h.db.db.execute(sql`update applications set status = 'submitted' where cycle_id = ${f.cycleId} and team_id in (select id from teams where contact_open_id = ${BIG_CONTACT})`);
    h.clock.set('2027-05-24T09:00:00+08:00');
    const mark = await outboxMark();
    const before = h.fake.messages.length;
    await scheduledJob('reminders', { db: h.db.db, now: () => h.clock.now(), timezone: h.app.config.BOT_TIMEZONE, bootstrapAdmins: h.app.config.ADMIN_OPEN_IDS, log: quiet, nudge: () => {} })();
    await h.drain();
    await nothingRefused(mark);
    const [told] = sentSince(before, BIG_CONTACT);
    expect(cardText(judged('申报待确认提醒 (300 teams)', told?.content))).toContain('300 份申报待你确认');
  });

  it('进度 of that contact sums the year up above the first five teams, with the 300 waiting one tap away', async () => {
    const status = await say('进度 (contact of 300 teams waiting)', BIG_CONTACT, '进度');
    const text = cardText(status.content);
    expect(text).toContain('**2027年度申报**：待单位确认 300');
    const waiting = cardActions(status.content).find((a) => a.action === 'endorse.list');
    expect(waiting).toEqual({ action: 'endorse.list' });
    expect(JSON.stringify(status.content)).toContain('待我确认的申报（300）');
    const list = await press('待我确认的申报 (300)', BIG_CONTACT, status.messageId, waiting!);
    expect(cardActions(list).some((a) => a.action === 'endorse.open')).toBe(true);
    expect(cardText(list)).toContain('共 300 份');
  });

  it('each of the 300 waiting can be reached now, page by page: the last submitted is on the last page', async () => {
    const status = await say('进度 (contact of 300 teams waiting)', BIG_CONTACT, '进度');
    let page = await press('待我确认的申报 p1', BIG_CONTACT, status.messageId, { action: 'endorse.list' });
    const seen = new Set<unknown>();
    for (let n = 1; n <= 300; n++) {
      for (const a of cardActions(page)) if (a.action === 'endorse.open') seen.add(a.applicationId);
      const next = cardActions(page).find((a) => a.action === 'endorse.list' && typeof a.page === 'number' && a.page > n);
      if (!next) break;
      page = await press(`待我确认的申报 p${next.page}`, BIG_CONTACT, status.messageId, next);
      expect(cardText(page)).toContain(`第 ${next.page} / `);
    }
    expect(seen.size).toBe(300);
    const [last] = rowsOf(await h.db.db.execute(sql`select a.id from applications a join teams t on t.id = a.team_id
      where t.contact_open_id = ${BIG_CONTACT} and a.cycle_id = ${f.cycleId} order by a.submitted_at desc, a.id desc limit 1`)) as { id: number }[];
    const onLast = cardActions(page).filter((a) => a.action === 'endorse.open');
    expect(onLast.at(-1)).toEqual({ action: 'endorse.open', applicationId: Number(last.id) });
    const opened = await press('申报 (the 300th)', BIG_CONTACT, status.messageId, onLast.at(-1)!);
    expect(cardText(opened)).toContain('推荐意见');
  });
});

describe('撤回申报 of a leader of many teams', () => {
  it('offers every one of 25 submitted applications at their longest, a page at a time within 30 KB', async () => {
    const many = openIdOf('leader', 'many');
    await h.db.db.execute(sql`insert into people (open_id, name, roles) values (${many}, rpad('班长', 50, '|'), '{}'::text[])`);
    const picked = sql`(select id from teams where contact_open_id = ${openIdOf('contact', 3)} order by id limit 25)`;
    await h.db.db.execute(sql`delete from team_members where team_id in ${picked}`);
    await h.db.db.execute(sql`update teams set leader_open_id = ${many} where id in ${picked}`);
    await h.db.db.execute(sql`insert into team_members (team_id, open_id, role) select id, ${many}, 'leader' from teams where id in ${picked}`);
    await h.db.db.execute(sql`update applications set status = 'submitted', endorsement = null, form = jsonb_set(form, '{title}', to_jsonb(repeat('|', 100)))
      where cycle_id = ${f.cycleId} and team_id in ${picked}`);
    const choice = await say('撤回申报 (25 submitted)', many, '撤回申报');
    const offered = new Set<unknown>();
    let page: unknown = choice.content;
    for (let n = 1; n <= 25; n++) {
      for (const a of cardActions(page)) if (a.action === 'application.recall') offered.add(a.teamId);
      const next = cardActions(page).find((a) => a.action === 'application.recallList' && typeof a.page === 'number' && a.page > n);
      if (!next) break;
      page = await press(`撤回申报 p${next.page}`, many, choice.messageId, next);
    }
    expect(offered.size).toBe(25);
  });
});
