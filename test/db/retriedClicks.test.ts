import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applications, auditLog, bulkJobs, cycles, people } from '../../db/schema.js';
import { cardText } from '../support/cards.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN } from '../support/harness.js';
import { heldTransaction, lockWaits, until } from '../support/waiting.js';
import { MODES_HERE } from '../support/worlds.js';
import { applicationForm, OTHER_EXPERT, personas, scoreForm, startSecurityHarness, YEAR } from './securityFixture.js';

/**
 * Clicks repeated or crossed, as people make them: a refused click whose answer was lost and Feishu delivers again, two
 * administrators deciding one application differently, a contact pressing the other button after deciding, 公布结果
 * pressed twice at once, and a 保存草稿 whose values are not what Feishu sends. Each on the one-statement paths and off.
 */

const SECOND_ADMIN = 'ou_secondadmin000000000000000000001';
/** 已于 2027年3月10日 09:00: the day and the minute. */
const at = '已于 \\d{4}年\\d{1,2}月\\d{1,2}日 \\d{2}:\\d{2}';

const start = async (mode: 'fast' | 'ordinary') => {
  const bot = await startSecurityHarness();
  bot.h.app.processor.fastPaths = mode === 'fast';
  await bot.h.db.db.insert(people).values({ openId: SECOND_ADMIN, name: '第二管理员', roles: ['admin'] });
  return bot;
};

describe.each(MODES_HERE)('retried and crossed clicks (%s)', (mode) => {
  it('a refused click delivered again under its event_id is not told it was done', async () => {
    const { h, f } = await start(mode);
    try {
      const value = { action: 'endorse.recommend', applicationId: f.appA };
      // no opinion: refused, nothing saved
      const first = await h.click(personas.contact, value, { truthful: true, opinion: '' }, { eventId: 'ev_refused_twice' });
      const again = await h.click(personas.contact, value, { truthful: true, opinion: '' }, { eventId: 'ev_refused_twice' });
      expect(first.toast).toEqual({ type: 'error', content: '请填写推荐意见' });
      // named as its button is, and handled: not told it was done, nor that it was not
      expect(again.toast).toEqual({ type: 'info', content: '“推荐”：这次点击已收到并处理过，请以卡片当前内容为准；如卡片未更新，请重新打开后再操作' });
      const [app] = await h.db.db.select().from(applications).where(eq(applications.id, f.appA));
      expect(app.status).toBe('submitted');
    } finally {
      await h.close();
    }
  });

  it('a click that was done, delivered again under its event_id, is told which action it was and that it was handled', async () => {
    const { h, f } = await start(mode);
    try {
      const value = { action: 'check.accept', applicationId: f.appC };
      const first = await h.click(SECOND_ADMIN, value, {}, { eventId: 'ev_accepted_twice' });
      const again = await h.click(SECOND_ADMIN, value, {}, { eventId: 'ev_accepted_twice' });
      expect(first.toast.type).toBe('success');
      expect(again.toast).toEqual({ type: 'info', content: '“受理”：这次点击已收到并处理过，请以卡片当前内容为准；如卡片未更新，请重新打开后再操作' });
      const rows = await h.db.db.select().from(auditLog).where(eq(auditLog.entityId, String(f.appC)));
      expect(rows.filter((d) => d.action === 'application.accept')).toHaveLength(1);
    } finally {
      await h.close();
    }
  });

  // 受理 by 第二管理员, a person on record with a name; 退回 by ADMIN, an administrator by ADMIN_OPEN_IDS with no row in
  // people, whom the bot can name by no name. Together, either may win: the accept usually does, the return under load.
  it.each(['one after the other', 'the return first', 'together'] as const)('two administrators decide one application differently, %s: the other is told who decided and when', async (order) => {
    const { h, f } = await start(mode);
    try {
      const accept = () => h.click(SECOND_ADMIN, { action: 'check.accept', applicationId: f.appC }, {}, { messageId: 'om_checklist_a' });
      const ret = () => h.click(ADMIN, { action: 'check.return', applicationId: f.appC }, { [`reason_${f.appC}`]: '材料不全' }, { messageId: 'om_checklist_b' });
      const returnFirst = async () => {
        const r = await ret();
        return [await accept(), r];
      };
      const [a, r] = order === 'together' ? await Promise.all([accept(), ret()]) : order === 'the return first' ? await returnFirst() : [await accept(), await ret()];
      const accepted = a.toast.type === 'success';
      if (order !== 'together') expect(accepted).toBe(order === 'one after the other');
      const loser = accepted ? r : a;
      expect(loser.toast.type).toBe('info');
      expect(loser.toast.content).toMatch(new RegExp(accepted ? `^其他管理员 第二管理员 ${at} 受理该申报，无需再退回。$` : `^其他管理员${at} 退回该申报，无需再受理。$`));
      // the list it answers with says so as a notice, not as a red 请修改 over a form with nothing to correct
      const shown = cardText(loser.card.data);
      expect(shown).not.toContain('请修改');
      expect(shown).toContain(`请注意：** ${loser.toast.content}`);
      // one decision on record
      const rows = await h.db.db.select().from(auditLog).where(eq(auditLog.entityId, String(f.appC)));
      expect(rows.filter((d) => d.action === 'application.accept' || d.action === 'application.returnByAssociation')).toHaveLength(1);
    } finally {
      await h.close();
    }
  });

  it('a contact who recommended and then presses 退回 is told what they did and when', async () => {
    const { h, f } = await start(mode);
    try {
      const first = await h.click(personas.contact, { action: 'endorse.recommend', applicationId: f.appA }, { truthful: true, opinion: '材料属实，同意推荐' });
      const then = await h.click(personas.contact, { action: 'endorse.return', applicationId: f.appA }, { opinion: '请补充材料' });
      expect(first.toast.type).toBe('success');
      expect(then.toast.type).toBe('info');
      expect(then.toast.content).toMatch(new RegExp(`^你${at} 推荐这份申报，无需再退回。$`));
      const [app] = await h.db.db.select().from(applications).where(eq(applications.id, f.appA));
      expect(app.status).toBe('recommended');
    } finally {
      await h.close();
    }
  });

  it('保存草稿 keeps text only: not “[object Object]”, a number, nor a choice that is not among its options', async () => {
    const { h, f } = await start(mode);
    try {
      await h.db.db.update(applications).set({ status: 'draft', submittedAt: null }).where(eq(applications.id, f.appA));
      const values = applicationForm({ title: { text: '提高合格率' }, category: ['maintenance', 'testing'], accidents: 'sometimes', goalRate: 95, summary: ['班组简介'], qc: null });
      const r = await h.click(personas.leader, { action: 'application.save', teamId: f.teamA.id, year: YEAR }, values);
      expect(r.toast.type).toBe('success');
      const [app] = await h.db.db.select().from(applications).where(eq(applications.id, f.appA));
      const form = app.form as Record<string, unknown>;
      for (const left of ['title', 'accidents', 'goalRate', 'qc']) expect(form, left).not.toHaveProperty(left);
      expect(form.category).toBe('maintenance');
      expect(form.summary).toBe('班组简介');
      expect(form.trainingRate).toBe('96');
      expect(JSON.stringify(form)).not.toMatch(/object Object|null/);
    } finally {
      await h.close();
    }
  });
});

/**
 * 公布结果 pressed twice at once: both look for a running job before either has recorded one, and wait on the year's
 * lock (held here until both wait); the first records the job, the second finds it and shows its progress.
 */
describe.skipIf(testDatabaseKind() !== 'postgres').each(MODES_HERE)('公布结果 twice at once (%s)', (mode) => {
  it('one job, one answer says it started, the other shows its progress', async () => {
    const { h, f } = await start(mode);
    try {
      const db = h.db.db;
      for (const id of [f.appA, f.appB, f.appC]) await db.update(applications).set({ status: 'returned' }).where(eq(applications.id, id));
      await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId: f.cycleId });
      await h.click(personas.expert, { action: 'review.submit', assignmentId: f.ownTask }, scoreForm(10));
      await h.click(OTHER_EXPERT, { action: 'review.submit', assignmentId: f.foreignTask }, scoreForm(30));
      await h.click(ADMIN, { action: 'results.close', cycleId: f.cycleId });
      const held = await heldTransaction(db, (tx) => tx.execute(sql`select id from ${cycles} where id = ${f.cycleId} for update`));
      const click = (who: string) => h.click(who, { action: 'results.publish', cycleId: f.cycleId }, undefined, { messageId: 'om_publishcard' });
      const both = Promise.all([click(ADMIN), click(SECOND_ADMIN)]);
      await until(async () => (await lockWaits(db)) >= 2);
      held.release();
      await held.ended;
      const answers = await both;
      expect(await db.select().from(bulkJobs).where(eq(bulkJobs.kind, 'publish'))).toHaveLength(1);
      expect(answers.map((a) => a.toast.type).sort()).toEqual(['info', 'success']);
      const other = answers.find((a) => a.toast.type === 'info')!;
      expect(other.toast.content).toBe('结果正在公布，卡片显示当前进度');
      expect(String(cardText(other.card.data))).toContain('公布');
    } finally {
      await h.close();
    }
  });
});
