import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog, chatBindings, cycles, people } from '../../db/schema.js';
import { cardActions } from '../support/cards.js';
import { ADMIN, type Harness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';
import { type Fixture, OTHER_EXPERT, OTHER_LEADER, personas, securityBotForBlock } from './securityFixture.js';

/**
 * An administrator on a phone taps the wrong button, or the right button on the wrong row. What cannot be taken back
 * asks again first (a `confirm` on the button, card JSON 2.0), and the dialog names what the tap acts on, so that a
 * tap on the neighbouring row is caught there, and says whether it can be undone (and how, where it can).
 */

type Dialog = { title: string; text: string };

/** Each button of `action` on the card, with its confirm dialog (undefined where it has none). */
function dialogs(card: unknown, action: string): { value: Record<string, unknown>; dialog?: Dialog }[] {
  const out: { value: Record<string, unknown>; dialog?: Dialog }[] = [];
  const walk = (v: any): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    const value = v.behaviors?.[0]?.value;
    if (v.tag === 'button' && value?.action === action) {
      out.push({ value, dialog: v.confirm ? { title: v.confirm.title?.content, text: v.confirm.text?.content } : undefined });
    }
    Object.values(v).forEach(walk);
  };
  walk(card);
  return out;
}

describe('wrong taps: each dialog names what the tap acts on, and whether it can be undone', () => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((bot) => ({ h, f } = bot));

  it('形式审查: 受理 asks again, naming the team, and says it cannot be undone (accepted has no way back to 退回)', async () => {
    const body = await h.click(ADMIN, { action: 'check.list' });
    const accepts = dialogs(body.card.data, 'check.accept');
    expect(accepts.map((a) => a.value.applicationId)).toEqual([f.appC]);
    expect(accepts[0].dialog).toEqual({
      title: '受理深圳建设三班？',
      text: '受理后进入评审，不能撤销或退回。',
    });
    // 受理 from the dialog goes as before
    const accepted = await h.click(ADMIN, { action: 'check.accept', applicationId: f.appC, submitted: accepts[0].value.submitted });
    expect(accepted.toast).toEqual({ type: 'success', content: '已受理：深圳建设三班' });
    expect(cardActions(accepted.card.data).some((a) => a.action === 'check.accept')).toBe(false);
  });

  it('更换专家 names the expert each button takes off the panel, and says it cannot be undone', async () => {
    const body = await h.click(ADMIN, { action: 'review.panel', applicationId: f.appD });
    const swaps = dialogs(body.card.data, 'review.swap');
    const taken = '该任务将改派给另一位符合条件的专家，原专家的评分卡作废，不能撤销：原专家不能再回到这个专家组。';
    expect(swaps.map((s) => [s.value.assignmentId, s.dialog?.title])).toEqual([
      [f.ownTask, '更换专家专家？'],
      [f.foreignTask, '更换专家其他专家？'],
    ]);
    for (const s of swaps) expect(s.dialog?.text.startsWith(taken)).toBe(true);
  });

  it('移除 on the roster names the administrator it removes, and says how to add them back', async () => {
    const OTHER_ADMIN = 'ou_wrongtapadmin00000000000000000001';
    await h.db.db.insert(people).values({ openId: OTHER_ADMIN, name: '王协会', roles: ['admin'] });
    const body = await h.click(ADMIN, { action: 'admins.list' });
    const removes = dialogs(body.card.data, 'admins.remove');
    expect(removes.map((r) => [r.value.openId, r.dialog])).toEqual([
      [OTHER_ADMIN, { title: '移除管理员王协会？', text: '移除后王协会不能再使用协会管理功能；如移除有误，可在下方“添加管理员”中重新添加。' }],
    ]);
    // the way back the dialog names: removed by mistake, added again from the same card
    const removed = await h.click(ADMIN, { action: 'admins.remove', openId: OTHER_ADMIN });
    expect(removed.toast).toEqual({ type: 'success', content: '已移除该管理员' });
    const added = await h.click(ADMIN, { action: 'admins.add' }, { admins: [OTHER_ADMIN] });
    expect(added.toast?.type).toBe('success');
    expect(dialogs(added.card.data, 'admins.remove').map((r) => r.value.openId)).toEqual([OTHER_ADMIN]);
  });

  it('更换专家 from a panel drawn before another administrator swapped that expert: refused with who and when, nothing written', async () => {
    const SWAPPER = 'ou_wrongtapswapper000000000000000001';
    await h.db.db.insert(people).values({ openId: SWAPPER, name: '赵协会', roles: ['admin'] });
    const drawn = await h.click(ADMIN, { action: 'review.panel', applicationId: f.appD });
    const old = dialogs(drawn.card.data, 'review.swap').find((s) => s.value.assignmentId === f.foreignTask)!;
    const first = await h.click(SWAPPER, old.value);
    expect(first.toast?.type).not.toBe('error');
    const stale = await h.click(ADMIN, old.value);
    expect(stale.toast?.type).toBe('info');
    expect(stale.toast?.content).toMatch(/^赵协会已于 2027年3月10日 \d\d:\d\d 更换该专家，任务已改派，无需再更换。$/);
    // the panel as it is now: that row has no 更换专家 any more
    expect(dialogs(stale.card.data, 'review.swap').map((s) => s.value.assignmentId)).not.toContain(f.foreignTask);
    const swaps = await h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'review.swap'), eq(auditLog.entityId, String(f.foreignTask))));
    expect(swaps.map((a) => a.actor)).toEqual([SWAPPER]);
  });
});

/**
 * 更换专家 from a panel drawn before the expert left the task without tapping 谢绝: the bot stepped them aside (第十七条,
 * they joined the team), or they declared a conflict with it. The refusal says so, not that they declined (谢绝).
 */
describe('更换专家 from a panel drawn before the expert stepped aside', () => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((bot) => ({ h, f } = bot));

  const oldSwap = async (assignmentId: number) => {
    const drawn = await h.click(ADMIN, { action: 'review.panel', applicationId: f.appD });
    return dialogs(drawn.card.data, 'review.swap').find((s) => s.value.assignmentId === assignmentId)!;
  };
  const swapsOf = (assignmentId: number) => h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'review.swap'), eq(auditLog.entityId, String(assignmentId))));

  it('a recusal the bot made (the expert joined the team): says why they must step aside, not 谢绝', async () => {
    const old = await oldSwap(f.foreignTask);
    const added = await h.click(OTHER_LEADER, { action: 'team.memberAdd', teamId: f.teamD.id }, { members: [OTHER_EXPERT] });
    expect(added.toast?.type).toBe('success');
    const stale = await h.click(ADMIN, old.value);
    expect(stale.toast?.type).toBe('info');
    expect(stale.toast?.content).toMatch(/^该专家已成为该班组的班组成员，须回避（第十七条），已于 2027年3月10日 \d\d:\d\d 退出这项任务，无需更换。$/);
    expect(stale.toast?.content).not.toContain('谢绝');
    expect(await swapsOf(f.foreignTask)).toEqual([]);
  });

  it('a conflict the expert declared: says they declared it, not 谢绝', async () => {
    const old = await oldSwap(f.ownTask);
    const declared = await h.click(personas.expert, { action: 'experts.conflictAdd' }, { kind: 'team', target: f.teamD.code, reason: '亲属在该班组' });
    expect(declared.toast?.type, declared.toast?.content).toBe('success');
    const stale = await h.click(ADMIN, old.value);
    expect(stale.toast?.type).toBe('info');
    expect(stale.toast?.content).toMatch(/^该专家已于 2027年3月10日 \d\d:\d\d 声明利益冲突（第十七条），已退出这项任务，无需更换。$/);
    expect(await swapsOf(f.ownTask)).toEqual([]);
  });
});

/**
 * 截止申报 from a 管理 card drawn before another administrator moved the application deadline (修改设置): its dialog spoke
 * of the old date (how many days early, what it cuts off), so nothing is closed, on both paths; the refusal says who
 * moved it, when, to what, and the card is drawn again with the date as it is, whose 截止申报 then closes.
 */
for (const mode of MODES_HERE) {
  describe(`截止申报 from a card drawn before the deadline was moved (${mode})`, () => {
    let h: Harness;
    let f: Fixture;
    securityBotForBlock((bot) => ({ h, f } = bot), mode);
    const MOVER = 'ou_wrongtapmover00000000000000000001';

    it('is refused with who moved it and when, nothing closed; the card drawn again closes', async () => {
      await h.db.db.insert(people).values({ openId: MOVER, name: '李协会', roles: ['admin'] });
      const before = await h.click(ADMIN, { action: 'admin.menu' });
      const [old] = dialogs(before.card.data, 'cycle.closeApplications');
      expect(old.value).toEqual({ action: 'cycle.closeApplications', cycleId: f.cycleId, deadline: '2027-05-31' });
      const moved = await h.click(MOVER, { action: 'cycle.settingsSave', cycleId: f.cycleId }, { applicationDeadline: '2027-06-30' });
      expect(moved.toast?.type).toBe('success');
      const stale = await h.click(ADMIN, old.value);
      expect(stale.toast?.type).toBe('error');
      expect(stale.toast?.content).toMatch(/^李协会已于 2027年3月10日 \d\d:\d\d 把申报截止日期改为2027年6月30日（你的卡片显示的是2027年5月31日），申报没有截止。/);
      const [cycle] = await h.db.db.select().from(cycles).where(eq(cycles.id, f.cycleId));
      expect([cycle.status, cycle.applicationDeadline]).toEqual(['open', '2027-06-30']);
      expect(await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'cycle.closeApplications'))).toEqual([]);
      // the card as it is now: its dialog and its button speak of the date set since
      const [now] = dialogs(stale.card.data, 'cycle.closeApplications');
      expect(now.value.deadline).toBe('2027-06-30');
      expect(now.dialog?.text).toContain('2027年6月30日');
      const closed = await h.click(ADMIN, now.value);
      expect(closed.toast?.type).toBe('success');
      const [after] = await h.db.db.select().from(cycles).where(eq(cycles.id, f.cycleId));
      expect(after.status).toBe('scoring');
    });
  });
}

/**
 * The same refusal says 你 when the clicker moved the deadline themselves (from a 修改设置 form opened elsewhere), and says
 * the 管理 card was drawn again only where it was: on a card in a group the answer is the toast alone, so it says where
 * to open the card instead.
 */
for (const mode of MODES_HERE) {
  describe(`截止申报 from a card drawn before the deadline was moved: who, and where the card is (${mode})`, () => {
    let h: Harness;
    let f: Fixture;
    securityBotForBlock((bot) => ({ h, f } = bot), mode);
    const GROUP = 'oc_wrongtapdeadlinegroup000000001';

    it('moved by the clicker themselves: 你, and the card drawn again', async () => {
      const before = await h.click(ADMIN, { action: 'admin.menu' });
      const [old] = dialogs(before.card.data, 'cycle.closeApplications');
      const moved = await h.click(ADMIN, { action: 'cycle.settingsSave', cycleId: f.cycleId }, { applicationDeadline: '2027-06-30' });
      expect(moved.toast?.type).toBe('success');
      const stale = await h.click(ADMIN, old.value);
      expect(stale.toast?.type).toBe('error');
      expect(stale.toast?.content).toMatch(/^你已于 2027年3月10日 \d\d:\d\d 把申报截止日期改为2027年6月30日（你的卡片显示的是2027年5月31日），申报没有截止。管理卡片已更新为现在的日期，请核对后再点“截止申报”。$/);
      expect(dialogs(stale.card.data, 'cycle.closeApplications')[0].value.deadline).toBe('2027-06-30');
      const [cycle] = await h.db.db.select().from(cycles).where(eq(cycles.id, f.cycleId));
      expect(cycle.status).toBe('open');
    });

    it('tapped on a card in a group: the card is not drawn again, and the refusal says where to open it', async () => {
      await h.db.db.insert(chatBindings).values({ chatId: GROUP, purpose: 'admin', boundBy: ADMIN });
      const before = await h.click(ADMIN, { action: 'admin.menu' });
      const [old] = dialogs(before.card.data, 'cycle.closeApplications');
      expect(old.value.deadline).toBe('2027-06-30');
      const MOVER = 'ou_wrongtapmover00000000000000000002';
      await h.db.db.insert(people).values({ openId: MOVER, name: '钱协会', roles: ['admin'] });
      const moved = await h.click(MOVER, { action: 'cycle.settingsSave', cycleId: f.cycleId }, { applicationDeadline: '2027-06-15' });
      expect(moved.toast?.type).toBe('success');
      const stale = await h.click(ADMIN, old.value, undefined, { messageId: 'om_wrongtap_group_card', chatId: GROUP });
      expect(stale.toast?.type).toBe('error');
      expect(stale.toast?.content).toMatch(/^钱协会已于 2027年3月10日 \d\d:\d\d 把申报截止日期改为2027年6月15日（你的卡片显示的是2027年6月30日），申报没有截止。请在与机器人的单聊中发送“管理”打开管理卡片，核对现在的日期后再点“截止申报”。$/);
      expect(stale.card).toBeUndefined();
      const [cycle] = await h.db.db.select().from(cycles).where(eq(cycles.id, f.cycleId));
      expect([cycle.status, cycle.applicationDeadline]).toEqual(['open', '2027-06-15']);
      expect(await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'cycle.closeApplications'))).toEqual([]);
    });
  });
}
