import { Writable } from 'node:stream';
import { asc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applications, assignments, cycles, people, teams } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { scheduledJob } from '../../src/jobs/index.js';
import { createLogger } from '../../src/log.js';
import { scoreFields } from '../../src/review/scoring.js';
import { defaultScoreSheet, sheetFingerprint } from '../../src/scoreSheet.js';
import { cardActions, cardText, expectValidCard, inputValues } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { clickInBoth, inEachWorld, MODES_HERE, type Mode, twoWorlds } from '../support/worlds.js';

/**
 * An expert with twenty applications to score, on a phone, as the bot meets them: the twenty task cards, 评分, what
 * a person types into the score inputs, 提交评分 twice and on old copies, 评下一份 to the end, 谢绝 and a task given to
 * someone else, a reopened sheet, the scoring reminder. Each step on both paths (the one statement and the ordinary
 * transaction; PGlite has only the ordinary one, and there one world stands for both), which must answer alike.
 */

const EXPERT = 'ou_qaexpert00000000000000000000001';
const COLLEAGUES = ['ou_qaexpert00000000000000000000002', 'ou_qaexpert00000000000000000000003'];
const SPARE = 'ou_qaexpert00000000000000000000004';
const NAMES: Record<string, string> = { [EXPERT]: '陈专家', [COLLEAGUES[0]]: '刘专家', [COLLEAGUES[1]]: '黄专家', [SPARE]: '周专家' };
const TASKS = 20;

const fields = scoreFields(defaultScoreSheet);
const field = (code: string) => fields.find((f) => f.code === code)!.field;
/** Every item at its maximum: 100 points. */
const fullMarks = (): Record<string, string> => ({ ...Object.fromEntries(fields.map((f) => [f.field, String(f.max)])), comment: '' });

interface World {
  h: Harness;
  /** The expert's tasks, in the order the 评分 list shows them (team code). */
  tasks: { assignmentId: number; code: string; team: string }[];
}

async function start(_mode: Mode): Promise<World> {
  const h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
  const fx = await seedLargeCycle(h.db.db, { applications: TASKS, experts: 0, organizations: 4, year: 2030 });
  // three experts of the association's pool: every panel of three is the same three, each of them with twenty tasks
  await h.db.db.insert(people).values([EXPERT, ...COLLEAGUES].map((openId) => ({ openId, name: NAMES[openId], roles: ['expert'] })));
  const closed = await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId: fx.cycleId });
  expect(closed.toast.type).toBe('success');
  const tasks = await h.db.db
    .select({ assignmentId: assignments.id, code: teams.code, team: teams.name })
    .from(assignments)
    .innerJoin(applications, eq(applications.id, assignments.applicationId))
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .where(eq(assignments.expertOpenId, EXPERT))
    .orderBy(asc(teams.code));
  return { h, tasks };
}

/** Clicks the same in both worlds; the answers must match. `value` may name a task by its place in the expert's list. */
const both = (worlds: Record<Mode, World>, openId: string, value: (w: World) => Record<string, unknown>, formValue?: Record<string, unknown>) =>
  clickInBoth(worlds, openId, value, formValue);

describe('an expert with twenty applications to score', () => {
  const worlds = twoWorlds(start, { oneOnPglite: true });
  const task = (i: number) => (w: World) => ({ action: 'review.submit', assignmentId: w.tasks[i].assignmentId });

  it('gets twenty score sheets Feishu accepts, and 评分 lists the twenty, pending first, on one page', async () => {
    for (const mode of MODES_HERE) {
      const { h, tasks } = worlds[mode];
      expect(tasks).toHaveLength(TASKS);
      const sheets = h.fake.messages.filter((m) => m.receiveId === EXPERT && m.msgType === 'interactive');
      // one card per task, each a live sheet of its own task (the fake refuses a card over 30 KB or 200 tagged objects)
      expect(sheets.map((m) => cardActions(m.content).find((a) => a.action === 'review.submit')?.assignmentId).sort((a, b) => Number(a) - Number(b))).toEqual(
        tasks.map((t) => t.assignmentId).sort((a, b) => a - b),
      );
      h.fake.reset();
      await h.say(EXPERT, '评分');
      const [list] = h.fake.messages.filter((m) => m.receiveId === EXPERT);
      expect(cardText(list.content)).toContain('已完成 0 / 20');
      expect(cardActions(list.content).filter((a) => a.action === 'review.open').map((a) => a.assignmentId)).toEqual(tasks.map((t) => t.assignmentId));
      expect(cardActions(list.content).some((a) => a.page !== undefined)).toBe(false);
    }
  });

  it('a refusal names every wrong item and what to fix, and keeps everything typed', async () => {
    const typed = {
      ...fullMarks(),
      [field('1.1')]: '95',
      [field('1.2')]: '４．５',
      [field('1.3')]: ' 4 ',
      [field('6.1')]: '18.55',
      [field('6.2')]: '18分',
      [field('7.3')]: '-1',
      comment: '评'.repeat(1000),
    };
    const r = await both(worlds, EXPERT, task(0), typed);
    expect(r.toast.type).toBe('error');
    expect(r.toast.content).toBe(
      '4 处需修改：1.1 目标分解与职能明确：须在 0 到 5 分之间，且为整分或半分；6.1 QC小组、现场管理、合理化建议活动：须在 0 到 8 分之间，且为整分或半分；' +
        '6.2 质量工具方法的正确有效应用：须在 0 到 7 分之间，且为整分或半分；7.3 特色与推广意义：须在 0 到 5 分之间，且为整分或半分',
    );
    const kept = inputValues(r.card.data);
    for (const [name, value] of Object.entries(typed)) expect(kept[name], name).toBe(value);
    expect(cardText(r.card.data)).toContain('未提交');
    // more wrong items than the toast names: the card lists every one, each on its line, so the sheet is fixed in one go
    const many = { ...fullMarks(), [field('1.1')]: '6', [field('1.2')]: '4.3', [field('1.3')]: '-1', [field('1.4')]: '4,5', [field('2.1')]: '五', [field('3.2')]: 'abc', [field('4.2')]: '1e1', [field('5.1')]: '9', [field('7.3')]: '' };
    const listed = await both(worlds, EXPERT, task(0), many);
    expect(listed.toast.content).toMatch(/^9 处需修改：.*；另有 4 处$/);
    const banner = cardText(listed.card.data);
    expect(banner).toContain('未提交（共 9 处）');
    for (const code of ['1.1', '1.2', '1.3', '1.4', '2.1', '3.2', '4.2', '5.1', '7.3']) expect(banner, code).toMatch(new RegExp(`- ${code.replace('.', '\\.')} `));
    // a blank item is named with what to type
    const blank = await both(worlds, EXPERT, task(0), { ...fullMarks(), [field('2.1')]: '' });
    expect(blank.toast.content).toBe('2.1 组织机制与资源配备：请填写分数（在 0 到 5 分之间，且为整分或半分）');
    const long = await both(worlds, EXPERT, task(0), { ...fullMarks(), comment: '评'.repeat(1001) });
    expect(long.toast.content).toContain('评审意见不能超过 1000 字');
    // the input holds what it can take (Feishu refuses a default longer than its max_length)
    expect(inputValues(long.card.data).comment).toBe('评'.repeat(1000));
    for (const mode of MODES_HERE) expect((await worlds[mode].h.db.db.select().from(assignments).where(eq(assignments.id, worlds[mode].tasks[0].assignmentId)))[0].status).toBe('assigned');
  });

  it('a sheet typed as on a phone is stored with the sheet’s total; 评下一份 on the answer opens the next pending task', async () => {
    // 4.5 + 4 + 4 taken off 5 + 5 + 5 on items of 1 (20 points): 97.5 of 100
    const typed = { ...fullMarks(), [field('1.2')]: '４．５', [field('1.3')]: ' 4 ', [field('1.4')]: '4分', comment: '评'.repeat(1000) };
    const r = await both(worlds, EXPERT, task(0), typed);
    expect(r.toast).toEqual({ type: 'success', content: `已提交评分：${worlds.fast.tasks[0].team}，总分 97.5 分` });
    const text = cardText(r.card.data);
    expect(text).toContain('总分：97.5 / 100 分');
    expect(text).toContain('1 班组基础建设：17.5 / 20');
    expect(text).toContain('你已完成 1 / 20 项，还有 19 项待评');
    expect(cardActions(r.card.data)).toEqual([{ action: 'review.next' }, { action: 'review.list' }]);
    const next = await both(worlds, EXPERT, () => ({ action: 'review.next' }));
    expect(cardActions(next.card.data).find((a) => a.action === 'review.submit')).toEqual({ action: 'review.submit', assignmentId: worlds.fast.tasks[1].assignmentId, sheet: sheetFingerprint(defaultScoreSheet) });
  });

  it('提交评分 clicked twice, or on an old copy, ends on the stored sheet with when it was submitted', async () => {
    // an old copy, full marks on it: not the sheet stored, and said not to be saved
    const again = await both(worlds, EXPERT, task(0), fullMarks());
    expect(again.toast).toEqual({
      type: 'info',
      content: '这份评分已于 2030年6月1日 09:00 提交（总分 97.5 分），无需重复提交。这次提交的评分表（合计 100 分）与已提交的不同，没有保存；如需修改，请联系协会管理员重开。',
    });
    expect(cardText(again.card.data)).toContain('总分：97.5 / 100 分');
    // 谢绝此任务 on the old copy of a submitted task says it cannot be declined, not that it need not be submitted again
    const decline = await both(worlds, EXPERT, (w) => ({ action: 'review.declineForm', assignmentId: w.tasks[0].assignmentId }));
    expect(decline.toast).toEqual({ type: 'info', content: '这份评分已提交，不能再谢绝；如需更改，请联系协会管理员。' });
  });

  it('an old copy of a task declined, or given to another expert, says so on 提交评分 and stops being a live sheet', async () => {
    for (const mode of MODES_HERE) await worlds[mode].h.db.db.insert(people).values({ openId: SPARE, name: NAMES[SPARE], roles: ['expert'] });
    const declined = await both(worlds, EXPERT, (w) => ({ action: 'review.decline', assignmentId: w.tasks[19].assignmentId }), { kind: 'unavailable', reason: '六月出差' });
    expect(declined.toast.content).toContain('已谢绝');
    const late = await both(worlds, EXPERT, task(19), fullMarks());
    expect(late.toast).toEqual({ type: 'info', content: '你已谢绝这项评分任务，协会已另行安排专家，这份评分表无需再提交。' });
    expect(late.card.data.header.title.content).toBe(`已谢绝：${worlds.fast.tasks[19].team}`);
    expect(cardActions(late.card.data)).toEqual([{ action: 'review.list' }]);

    const swapped = await both(worlds, ADMIN, (w) => ({ action: 'review.swap', assignmentId: w.tasks[18].assignmentId }));
    expect(swapped.toast.type).toBe('success');
    const gone = await both(worlds, EXPERT, task(18), fullMarks());
    expect(gone.toast).toEqual({ type: 'info', content: '协会已将这项评分任务改派给其他专家，无需再评分。' });
    expect(gone.card.data.header.title.content).toBe(`已改派：${worlds.fast.tasks[18].team}`);
    expect(cardActions(gone.card.data)).toEqual([{ action: 'review.list' }]);
    for (const mode of MODES_HERE) {
      const { h, tasks } = worlds[mode];
      const status = async (i: number) => (await h.db.db.select().from(assignments).where(eq(assignments.id, tasks[i].assignmentId)))[0].status;
      expect([await status(18), await status(19)]).toEqual(['replaced', 'declined']);
    }
  });

  it('a reopened sheet arrives filled in; 评下一份 goes through the rest, and the last answer says all are done', async () => {
    for (const mode of MODES_HERE) worlds[mode].h.fake.reset();
    const reopened = await both(worlds, ADMIN, (w) => ({ action: 'review.reopen', assignmentId: w.tasks[0].assignmentId }));
    expect(reopened.toast.type).toBe('success');
    for (const mode of MODES_HERE) {
      const [sheet] = worlds[mode].h.fake.messages.filter((m) => m.receiveId === EXPERT);
      expect(cardText(sheet.content)).toContain('协会管理员已重开这份评分，原分数已填入');
      expect(inputValues(sheet.content)[field('1.2')]).toBe('4.5');
    }
    // 18 tasks left on the list (one declined, one given away), the reopened one pending again
    let answer = await both(worlds, EXPERT, () => ({ action: 'review.next' }));
    for (let done = 1; done <= 18; done++) {
      const submit = cardActions(answer.card.data).find((a) => a.action === 'review.submit')!;
      answer = await both(worlds, EXPERT, () => submit, fullMarks());
      expect(answer.toast.type).toBe('success');
      if (done < 18) {
        expect(cardText(answer.card.data)).toContain(`你已完成 ${done} / 18 项`);
        answer = await both(worlds, EXPERT, () => ({ action: 'review.next' }));
      }
    }
    expect(cardText(answer.card.data)).toContain('你的 18 项评分任务已全部完成，谢谢！');
    expect(cardActions(answer.card.data)).toEqual([{ action: 'review.list' }]);
    const none = await both(worlds, EXPERT, () => ({ action: 'review.next' }));
    expect(none.toast).toEqual({ type: 'info', content: '你的评分任务已全部完成，谢谢！' });
    expect(cardText(none.card.data)).toContain('已完成 18 / 18');
  });

  it('第十七条: nothing the expert was sent or answered names a colleague or shows another’s score', async () => {
    for (const mode of MODES_HERE) {
      const seen = JSON.stringify(worlds[mode].h.fake.messages.filter((m) => m.receiveId === EXPERT).map((m) => m.content));
      for (const other of [...COLLEAGUES, SPARE]) {
        expect(seen).not.toContain(other);
        expect(seen).not.toContain(NAMES[other]);
      }
    }
  });

  it('the scoring reminder is one card per expert, with the count, whose button opens the next task', async () => {
    const quiet = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));
    for (const mode of MODES_HERE) {
      const { h } = worlds[mode];
      h.clock.set('2030-06-27T09:00:00+08:00');
      h.fake.reset();
      await scheduledJob('reminders', { db: h.db.db, now: () => h.clock.now(), timezone: h.app.config.BOT_TIMEZONE, bootstrapAdmins: h.app.config.ADMIN_OPEN_IDS, log: quiet, nudge: () => {} })();
      await h.drain();
      const to = (openId: string) => h.fake.messages.filter((m) => m.receiveId === openId);
      // the expert who has scored everything hears nothing; each colleague one card for twenty tasks
      expect(to(EXPERT)).toHaveLength(0);
      for (const colleague of COLLEAGUES) {
        expect(to(colleague)).toHaveLength(1);
        expect(cardText(to(colleague)[0].content)).toContain('你还有 **20** 份申报未完成评分');
      }
      const button = cardActions(to(COLLEAGUES[0])[0].content).find((a) => a.action === 'review.next')!;
      const opened = await h.click(COLLEAGUES[0], button);
      expect(cardActions(opened.card.data).some((a) => a.action === 'review.submit')).toBe(true);
    }
  });

  it('a conflict declared with a team already scored: the sheet still counts, the expert is told it was reported, the administrators get what to do', async () => {
    const scored = async (w: World) => {
      const rows = await w.h.db.db.select({ id: assignments.id, status: assignments.status }).from(assignments).where(eq(assignments.expertOpenId, EXPERT));
      const submitted = new Set(rows.filter((r) => r.status === 'submitted').map((r) => r.id));
      return w.tasks.find((t) => submitted.has(t.assignmentId))!;
    };
    const targets = await inEachWorld(worlds, async (w) => {
      const target = await scored(w);
      w.h.fake.reset();
      return target;
    });
    expect(targets.fast.code).toBe(targets.ordinary.code);
    const answer = await both(worlds, EXPERT, () => ({ action: 'experts.conflictAdd' }), { kind: 'team', target: targets.fast.code.toLowerCase(), reason: '评分后得知班组长是亲属' });
    expect(answer.toast).toEqual({ type: 'success', content: `已声明与“${targets.fast.code} ${targets.fast.team}”存在利益冲突。你此前已提交的 1 份相关评分已报协会管理员处理。` });
    for (const mode of MODES_HERE) {
      const { h } = worlds[mode];
      // the sheet still counts until the association decides
      const [sheet] = await h.db.db.select().from(assignments).where(eq(assignments.id, targets[mode].assignmentId));
      expect(sheet.status).toBe('submitted');
      await h.drain();
      const alerts = h.fake.messages.filter((m) => m.receiveId !== EXPERT && m.msgType === 'interactive' && cardText(m.content).includes('已提交的评分待处理'));
      expect(alerts).toHaveLength(1);
      expectValidCard(alerts[0].content);
      const text = cardText(alerts[0].content);
      expect(text).toContain(`${targets[mode].code} ${targets[mode].team}`);
      expect(text).toContain('评分后得知班组长是亲属');
      expect(text).toContain('100 分');
      expect(text).toContain('先“重开评分”，再“更换专家”');
      const panel = cardActions(alerts[0].content).find((a) => a.action === 'review.panel')!;
      const opened = await h.click(ADMIN, panel);
      expect(cardActions(opened.card.data).some((a) => a.action === 'review.reopen')).toBe(true);
    }
  });

  it('a live sheet once the year’s scoring has ended: 提交评分 says so, and the card stops being a sheet', async () => {
    const pendingOf = {} as Record<Mode, number>;
    for (const mode of MODES_HERE) {
      const { h } = worlds[mode];
      const [pending] = await h.db.db.select({ id: assignments.id }).from(assignments).where(eq(assignments.expertOpenId, COLLEAGUES[0])).orderBy(asc(assignments.id)).limit(1);
      pendingOf[mode] = pending.id;
      // 结束评分并汇总 waits for every sheet; the stage is what matters here
      await h.db.db.update(cycles).set({ status: 'closed' });
    }
    const answer = await both(worlds, COLLEAGUES[0], (w) => ({ action: 'review.submit', assignmentId: pendingOf[w === worlds.fast ? 'fast' : 'ordinary'] }), fullMarks());
    expect(answer.toast).toEqual({ type: 'info', content: '2030年度专家评分已结束，不能再提交或谢绝；如需更改，请联系协会管理员。' });
    expect(cardText(answer.card.data)).toContain('2030年度专家评分已结束，这份评分表不再提交。');
    expect(cardActions(answer.card.data)).toEqual([{ action: 'review.list' }]);
    for (const mode of MODES_HERE) {
      const [sheet] = await worlds[mode].h.db.db.select().from(assignments).where(eq(assignments.id, pendingOf[mode]));
      expect(sheet.status).toBe('assigned');
    }
  });
});
