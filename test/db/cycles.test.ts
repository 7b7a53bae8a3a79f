import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { auditLog, cycles } from '../../db/schema.js';
import { noValue } from '../../bot/respond.js';
import { audit } from '../../src/audit.js';
import { UserError } from '../../src/errors.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardActionEvent } from '../support/larkEvents.js';
import { ADMIN, TEST_VERIFICATION_TOKEN, startHarness, type Harness } from '../support/harness.js';
import { CARD_BYTES_BUDGET, cardBodyBytes } from '../../cards/kit.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => h.fake.reset());

const USER = 'ou_user0000000000000000000000000002';

/** A filled form as Feishu sends it: strings for text inputs, a date picker's value with its zone suffix. */
const goodForm = {
  year: '2026',
  applicationDeadline: '2026-05-31 +0800',
  scoringDeadline: '2026-06-30',
  reviewMeetingDate: '2026-07-15',
  awardThreshold: '85',
  expertsPerApplication: '3',
  recommendShare: '0.1',
};

const inputTags = new Set(['input', 'date_picker', 'select_static', 'multi_select_static', 'select_person', 'multi_select_person', 'checker', 'picker_time', 'picker_datetime']);

/** What every card must be: JSON 2.0, under 30 KB, buttons with an action, named form inputs. */
function expectValidCard(cardJson: any): void {
  expect(cardJson.schema).toBe('2.0');
  expect(cardBodyBytes(cardJson)).toBeLessThan(CARD_BYTES_BUDGET);
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const el = node as Record<string, any>;
    expect(['action', 'note']).not.toContain(el.tag);
    if (el.tag === 'button') expect(typeof el.behaviors?.[0]?.value?.action).toBe('string');
    if (inputTags.has(el.tag)) expect(typeof el.name === 'string' && el.name.length > 0).toBe(true);
    Object.values(el).forEach(walk);
  };
  walk(cardJson);
}

function find(node: unknown, pred: (el: Record<string, any>) => boolean): Record<string, any>[] {
  const out: Record<string, any>[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    if (pred(n as Record<string, any>)) out.push(n as Record<string, any>);
    Object.values(n).forEach(walk);
  };
  walk(node);
  return out;
}

const actionsOf = (cardJson: unknown) => find(cardJson, (el) => el.tag === 'button').map((b) => b.behaviors[0].value.action as string);
const field = (cardJson: unknown, name: string) => find(cardJson, (el) => el.name === name)[0];

async function cycleRows() {
  return h.db.db.select().from(cycles);
}

async function auditCount(action: string): Promise<number> {
  const [row] = await h.db.db.select({ n: sql<number>`count(*)::int` }).from(auditLog).where(eq(auditLog.action, action));
  return Number(row.n);
}

function interactiveTo(openId: string) {
  return h.fake.messages.filter((m) => m.msgType === 'interactive' && m.receiveId === openId);
}

describe('管理 and opening the annual cycle', () => {
  it('sends administrators the admin card, and tells others it is for administrators', async () => {
    await h.say(ADMIN, '管理');
    const [msg] = interactiveTo(ADMIN);
    expectValidCard(msg.content);
    expect(JSON.stringify(msg.content)).toContain('当前没有进行中的年度评审');
    expect(actionsOf(msg.content)).toContain('cycle.form');

    await h.say(USER, 'admin');
    expect(interactiveTo(USER)).toHaveLength(0);
    const text = h.fake.messages.find((m) => m.receiveId === USER && m.msgType === 'text');
    expect(text?.content.text).toContain('只有协会管理员');

    await h.say(ADMIN, '帮助');
    expect(actionsOf(interactiveTo(ADMIN)[1].content)).toContain('admin.menu');
  });

  it('opens the form with every field named and defaults filled', async () => {
    const res = await h.click(ADMIN, { action: 'cycle.form' });
    const form = res.card.data;
    expectValidCard(form);
    for (const name of Object.keys(goodForm)) expect(field(form, name)).toBeDefined();
    expect(field(form, 'year').default_value).toBe('2026');
    expect(field(form, 'awardThreshold').default_value).toBe('85');
    expect(field(form, 'expertsPerApplication').default_value).toBe('3');
    expect(field(form, 'recommendShare').default_value).toBe('0.1');
    expect(field(form, 'applicationDeadline').tag).toBe('date_picker');
    expect(field(form, 'applicationDeadline').initial_date).toBe('2026-04-30');
    expect(actionsOf(form)).toContain('cycle.open');
  });

  it('refuses a visitor and stores nothing', async () => {
    const res = await h.click(USER, { action: 'cycle.open' }, goodForm);
    expect(res.toast.type).toBe('error');
    expect(res.toast.content).toContain('协会管理员');
    expect(res.card).toBeUndefined();
    expect(await cycleRows()).toHaveLength(0);
    expect((await h.click(USER, { action: 'admin.menu' })).toast.type).toBe('error');
  });

  it.each([
    ['a date that does not exist', { applicationDeadline: '2026-02-30' }, '申报截止日期'],
    ['an application deadline in the past', { applicationDeadline: '2026-02-01' }, '申报截止日期'],
    ['a scoring deadline before the application deadline', { scoringDeadline: '2026-05-01' }, '专家评分截止日期'],
    ['a threshold of 120', { awardThreshold: '120' }, '授予称号分数线'],
    ['a threshold that is no number', { awardThreshold: '八十五' }, '授予称号分数线'],
    ['16 experts', { expertsPerApplication: '16' }, '每份申报的评审专家人数'],
    ['a share above 100', { recommendShare: '150' }, '择优推荐比例'],
    ['a year out of range', { year: '1999' }, '评审年度'],
  ])('refuses %s, names the field, keeps what was typed and stores nothing', async (_name, change, label) => {
    const typed = { ...goodForm, awardThreshold: '90', ...change };
    const res = await h.click(ADMIN, { action: 'cycle.open' }, typed);
    expect(res.toast.type).toBe('error');
    expect(res.toast.content).toContain(label);
    const form = res.card.data;
    expectValidCard(form);
    expect(JSON.stringify(form)).toContain(label);
    expect(field(form, 'awardThreshold').default_value).toBe(typed.awardThreshold);
    expect(field(form, 'year').default_value).toBe(typed.year);
    expect(actionsOf(form)).toContain('cycle.open');
    expect(await cycleRows()).toHaveLength(0);
    expect(await auditCount('cycle.open')).toBe(0);
    expect(h.fake.messages).toHaveLength(0);
  });

  it('opens the cycle: row stored, audit row written, administrators notified', async () => {
    // untouched optional fields arrive missing or empty: the defaults apply
    const { awardThreshold: _a, expertsPerApplication: _e, ...rest } = goodForm;
    const res = await h.click(ADMIN, { action: 'cycle.open' }, { ...rest, awardThreshold: '' });
    expect(res.toast.type).toBe('success');
    expect(res.toast.content).toContain('2026');
    expectValidCard(res.card.data);
    expect(actionsOf(res.card.data)).toEqual(expect.arrayContaining(['cycle.settings', 'cycle.sheetForm', 'cycle.closeApplications']));
    const closeButton = find(res.card.data, (el) => el.tag === 'button' && el.behaviors[0].value.action === 'cycle.closeApplications')[0];
    expect(closeButton.confirm).toBeDefined();

    const rows = await cycleRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      year: 2026,
      status: 'open',
      applicationDeadline: '2026-05-31',
      scoringDeadline: '2026-06-30',
      reviewMeetingDate: '2026-07-15',
      awardThreshold: 85,
      expertsPerApplication: 3,
      recommendShare: 0.1,
      openedBy: ADMIN,
    });
    expect(rows[0].scoreSheet).toEqual(defaultScoreSheet);
    expect(await auditCount('cycle.open')).toBe(1);

    const notices = interactiveTo(ADMIN);
    expect(notices).toHaveLength(1);
    expectValidCard(notices[0].content);
    expect(notices[0].content.header.title.content).toContain('2026年度评审已开启');
    expect(JSON.stringify(notices[0].content)).toContain('2026年5月31日');
  });

  it('shows the running cycle with its dates and application counts', async () => {
    const res = await h.click(ADMIN, { action: 'admin.menu' });
    const text = JSON.stringify(res.card.data);
    expect(text).toContain('2026年度评审');
    expect(text).toContain('申报中');
    expect(text).toContain('2026年5月31日（还有 91 天）');
    expect(text).toContain('共 0 份');
    expect(text).toContain('待单位确认 0');
  });

  it('refuses a second running cycle (第十九条) and a second cycle for the same year', async () => {
    const form = await h.click(ADMIN, { action: 'cycle.form' });
    expect(form.toast.content).toContain('第十九条');
    const res = await h.click(ADMIN, { action: 'cycle.open' }, { ...goodForm, year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15' });
    expect(res.toast.content).toContain('第十九条');
    expect(res.toast.content).toContain('评审每年一次');
    expect(await cycleRows()).toHaveLength(1);

    // once published, the same year still cannot be opened again
    await h.db.db.update(cycles).set({ status: 'published' });
    const again = await h.click(ADMIN, { action: 'cycle.open' }, goodForm);
    expect(again.toast.content).toContain('2026年度评审已经开启过');
    expect(again.card.data.schema).toBe('2.0');
    expect(await cycleRows()).toHaveLength(1);
    // this year's review held, the form proposes next year's, its dates in that year (60 days from its 1 January)
    const next = (await h.click(ADMIN, { action: 'cycle.form' })).card.data;
    expect(field(next, 'year').default_value).toBe('2027');
    expect(field(next, 'applicationDeadline').initial_date).toBe('2027-03-02');
    expect(field(next, 'scoringDeadline').initial_date).toBe('2027-04-01');
    await h.db.db.update(cycles).set({ status: 'open' });
  });
});

describe('settings, score sheet and closing applications', () => {
  let cycleId: number;
  beforeAll(async () => {
    cycleId = (await cycleRows())[0].id;
  });

  it('changes the settings, refusing a bad value with the form kept', async () => {
    const form = await h.click(ADMIN, { action: 'cycle.settings', cycleId });
    expectValidCard(form.card.data);
    expect(field(form.card.data, 'awardThreshold').default_value).toBe('85');
    expect(field(form.card.data, 'year')).toBeUndefined();

    const bad = await h.click(ADMIN, { action: 'cycle.settingsSave', cycleId }, { ...goodForm, awardThreshold: '120' });
    expect(bad.toast.content).toContain('授予称号分数线');
    expect(field(bad.card.data, 'awardThreshold').default_value).toBe('120');
    expect((await cycleRows())[0].awardThreshold).toBe(85);

    const res = await h.click(ADMIN, { action: 'cycle.settingsSave', cycleId }, { ...goodForm, awardThreshold: '88.5', recommendShare: '15%' });
    expect(res.toast.type).toBe('success');
    expect(res.toast.content).toContain('授予称号分数线');
    expect((await cycleRows())[0]).toMatchObject({ awardThreshold: 88.5, recommendShare: 0.15 });
    expect(await auditCount('cycle.updateSettings')).toBe(1);

    const same = await h.click(ADMIN, { action: 'cycle.settingsSave', cycleId }, { ...goodForm, awardThreshold: '88.5', recommendShare: '0.15' });
    // the same values again are a second click on what is saved: said with when it was saved
    expect(same.toast).toMatchObject({ type: 'info', content: expect.stringMatching(/^已于 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} 保存2026年度评审设置，无需重复保存。$/) });
    expect(await auditCount('cycle.updateSettings')).toBe(1);

    // fields left empty or missing keep their values
    const partial = await h.click(ADMIN, { action: 'cycle.settingsSave', cycleId }, { reviewMeetingDate: '2026-07-20 +0800', awardThreshold: '' });
    expect(partial.toast.type).toBe('success');
    expect((await cycleRows())[0]).toMatchObject({ reviewMeetingDate: '2026-07-20', awardThreshold: 88.5, recommendShare: 0.15, expertsPerApplication: 3 });
    const [row] = await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'cycle.updateSettings')).orderBy(sql`${auditLog.id} desc`).limit(1);
    expect(row.details).toEqual({ changes: { reviewMeetingDate: { from: '2026-07-15', to: '2026-07-20' } } });
  });

  it('refuses a sheet whose items do not add up to its total, showing the numbers', async () => {
    const form = await h.click(ADMIN, { action: 'cycle.sheetForm', cycleId });
    expectValidCard(form.card.data);
    expect(field(form.card.data, 'sheet').default_value).toContain('1.1 目标分解与职能明确 5');

    const bad = JSON.stringify({
      title: '正式评分表',
      total: 100,
      areas: [{ code: '1', name: '基础', items: [{ code: '1.1', name: '甲', max: 50 }, { code: '1.2', name: '乙', max: 45 }] }],
    });
    const res = await h.click(ADMIN, { action: 'cycle.sheetLoad', cycleId }, { sheet: bad });
    expect(res.toast.type).toBe('error');
    expect(res.toast.content).toContain('各评分项满分合计 95 分，与声明的总分 100 分不一致');
    expect(field(res.card.data, 'sheet').default_value).toBe(bad);
    expect((await cycleRows())[0].scoreSheet).toEqual(defaultScoreSheet);
    expect(await auditCount('cycle.loadScoreSheet')).toBe(0);

    const good = '评分表：正式评分表\n总分：100\n1 基础\n1.1 甲 50\n1.2 乙 49.5\n1.3 丙 0.5';
    const ok = await h.click(ADMIN, { action: 'cycle.sheetLoad', cycleId }, { sheet: good });
    expect(ok.toast.type).toBe('success');
    expect(((await cycleRows())[0].scoreSheet as { title: string }).title).toBe('正式评分表');
    expect(await auditCount('cycle.loadScoreSheet')).toBe(1);
  });

  it('closes applications (open → scoring) once, after which the sheet is fixed', async () => {
    const res = await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId });
    expect(res.toast.type).toBe('success');
    expect((await cycleRows())[0].status).toBe('scoring');
    expect(await auditCount('cycle.closeApplications')).toBe(1);
    expect(actionsOf(res.card.data)).not.toContain('cycle.closeApplications');

    const again = await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId });
    expect(again.toast.type).toBe('info');
    expect(again.toast.content).toMatch(/^已于 \d{4}年\d+月\d+日 \d\d:\d\d 截止\d+年度申报，无需重复截止。$/);
    expect(await auditCount('cycle.closeApplications')).toBe(1);

    const sheet = await h.click(ADMIN, { action: 'cycle.sheetLoad', cycleId }, { sheet: JSON.stringify(defaultScoreSheet) });
    expect(sheet.toast.content).toContain('第十八条');
    expect(((await cycleRows())[0].scoreSheet as { title: string }).title).toBe('正式评分表');

    const visitor = await h.click(USER, { action: 'cycle.closeApplications', cycleId });
    expect(visitor.toast.type).toBe('error');
  });
});

describe('the refusal policy of card actions', () => {
  it('rolls back everything the refused action wrote, records the event, and answers with what onRefused draws', async () => {
    const bot = h.app.registry;
    bot.cardAction({
      action: 'probe.refuse',
      roles: ['public'],
      value: noValue,
      run: async (ctx) => {
        await audit(ctx.tx, { actor: ADMIN, action: 'probe.inner', entity: 'probe', entityId: 1, at: ctx.clock.now() });
        await ctx.send({ dedupeKey: `probe:${ctx.eventId}`, to: { openId: ADMIN }, text: 'never sent' });
        throw new UserError('不行', { field: 'x' });
      },
      onRefused: async (err, ctx) => {
        await audit(ctx.tx, { actor: ADMIN, action: 'probe.answer', entity: 'probe', entityId: 1, at: ctx.clock.now() });
        return { card: { type: 'raw', data: { schema: '2.0', field: err.opts.field } } };
      },
    });
    const event = cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value: { action: 'probe.refuse' } });
    const res = await h.post('/lark/cards', event);
    expect(res.body).toEqual({ toast: { type: 'error', content: '不行' }, card: { type: 'raw', data: { schema: '2.0', field: 'x' } } });
    expect(await auditCount('probe.inner')).toBe(0);
    expect(await auditCount('probe.answer')).toBe(1);
    await h.drain();
    expect(h.fake.messages.some((m) => m.content?.text === 'never sent')).toBe(false);
    const again = await h.post('/lark/cards', event);
    expect(again.body.toast.content).toContain('这次点击已收到');
    expect(await auditCount('probe.answer')).toBe(1);
  });
});
