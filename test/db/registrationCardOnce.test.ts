import { asc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions } from '../support/cards.js';
import { registrationForm } from '../support/forms.js';
import { startHarness } from '../support/harness.js';
import { randomMessageId } from '../support/larkEvents.js';
import { type Mode, MODES_HERE, twoWorlds } from '../support/worlds.js';

/**
 * One registration card registers at most one team, on the one-statement path as on the ordinary one: a later submit
 * of the same card (its message and the click that drew the form) registers nothing and names the team it did; with
 * other values it says they were not saved and where to change them (修改资料). A form drawn anew (a new message, or
 * in place of the menu in the same message) registers another team: a leader may lead several. A new card naming a
 * team its leader registered before registers nothing either, and names what it typed otherwise as not saved.
 */

const LEADER = 'ou_cardonce_leader000000000000001';
const CONTACT = 'ou_cardonce_contact00000000000001';

type Body = { toast?: { type: string; content: string }; card?: { type: string; data: any } };

describe('注册: one card, one team', () => {
  const worlds = twoWorlds(async () => ({ h: await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00') }) }), { oneOnPglite: true });

  /** The form drawn in message `messageId` (the 注册班组 button, the card replaced in place): its 提交注册 button's value. */
  async function openForm(mode: Mode, messageId: string): Promise<Record<string, unknown>> {
    const body: Body = await worlds[mode].h.click(LEADER, { action: 'team.registerForm' }, undefined, { messageId });
    const submit = cardActions(body.card!.data).find((v) => v.action === 'team.register');
    expect(submit?.form).toEqual(expect.any(String));
    return submit!;
  }

  const submit = (mode: Mode, messageId: string, value: Record<string, unknown>, name: string, overrides: Record<string, unknown> = {}): Promise<Body> =>
    worlds[mode].h.click(LEADER, value, registrationForm(name, CONTACT, overrides), { messageId });

  const teamNames = async (mode: Mode) => (await worlds[mode].h.db.db.select({ name: teams.name, code: teams.code }).from(teams).orderBy(asc(teams.id))).map((t) => `${t.name} ${t.code}`);

  it.each(MODES_HERE)('%s: the same card submitted again, with other values or the same, registers nothing and says which team it registered', async (mode) => {
    const messageId = randomMessageId();
    const value = await openForm(mode, messageId);
    const first = await submit(mode, messageId, value, `${mode}一卡一班`);
    expect(first.toast).toMatchObject({ type: 'success', content: expect.stringMatching(/^注册成功，班组编号 GDSZ-2026-\d{4}$/) });
    const [registered] = await teamNames(mode);
    const code = registered.split(' ')[1];

    const corrected = await submit(mode, messageId, value, `${mode}一卡二班`, { phone: '020-87654321' });
    expect(corrected.toast?.type).toBe('info');
    expect(corrected.toast?.content).toMatch(new RegExp(`^已于 .+ 注册“${mode}一卡一班”（班组编号 ${code}），无需重复注册。这次填写的内容与注册时不同，没有保存；.*“修改资料”。$`));
    // the card shows the team registered, not the form again
    expect(JSON.stringify(corrected.card)).toContain(code);

    const third = await submit(mode, messageId, value, `${mode}一卡三班`);
    expect(third.toast?.content).toMatch(/没有保存/);
    const same = await submit(mode, messageId, value, `${mode}一卡一班`);
    expect(same.toast?.content).toMatch(new RegExp(`^已于 .+ 注册“${mode}一卡一班”（班组编号 ${code}），无需重复注册。$`));
    expect(await teamNames(mode)).toEqual([registered]);
  });

  it.each(MODES_HERE)('%s: a new card naming a team registered before registers nothing and names what was typed differently as not saved', async (mode) => {
    const first = randomMessageId();
    expect((await submit(mode, first, await openForm(mode, first), `${mode}管网抢修（一）班`)).toast?.type).toBe('success');
    const [team] = await worlds[mode].h.db.db.select().from(teams).where(eq(teams.name, `${mode}管网抢修（一）班`));

    const again = randomMessageId();
    const changed = await submit(mode, again, await openForm(mode, again), `${mode}管网抢修（一）班`, { phone: '020-87654321', memberCount: '15' });
    expect(changed.toast?.type).toBe('info');
    expect(changed.toast?.content).toMatch(
      new RegExp(`^已于 .+ 注册，班组编号 ${team.code}，无需重复注册。这次填写的联系电话、成员人数与该班组的资料不同，没有保存；如需修改，请点“查看进度”（或发送“进度”），在该班组下点“修改资料”。$`),
    );
    // the card shows the team registered, with 查看进度 (where 修改资料 is): registered before, not now, no contact told
    expect(JSON.stringify(changed.card)).toContain(team.code);
    expect(JSON.stringify(changed.card)).toContain('team.status');
    expect(JSON.stringify(changed.card)).toContain(`该班组已注册：${mode}管网抢修（一）班`);
    expect(JSON.stringify(changed.card)).toContain('这次没有注册新的班组');
    expect(JSON.stringify(changed.card)).not.toMatch(/注册成功|单位联系人已收到通知/);
    const [kept] = await worlds[mode].h.db.db.select().from(teams).where(eq(teams.id, team.id));
    expect([kept.phone, kept.memberCount]).toEqual([team.phone, team.memberCount]);

    // the same values, the name typed in another width: nothing to tell beyond it being registered
    const same = randomMessageId();
    const alike = await submit(mode, same, await openForm(mode, same), `${mode}管网抢修(一)班`);
    expect(alike.toast?.content).toMatch(new RegExp(`^已于 .+ 注册，班组编号 ${team.code}，无需重复注册。$`));
  });

  it.each(MODES_HERE)('%s: two submits of one card at the same moment register one team', async (mode) => {
    const messageId = randomMessageId();
    const value = await openForm(mode, messageId);
    const before = (await teamNames(mode)).length;
    const answers = await Promise.all([submit(mode, messageId, value, `${mode}同时甲班`), submit(mode, messageId, value, `${mode}同时乙班`)]);
    expect(answers.map((a) => a.toast?.type).sort()).toEqual(['info', 'success']);
    expect(answers.find((a) => a.toast?.type === 'info')!.toast!.content).toMatch(/无需重复注册。这次填写的内容与注册时不同，没有保存/);
    expect((await teamNames(mode)).length).toBe(before + 1);
  });

  it.each(MODES_HERE)('%s: a form drawn anew, in a new message or in the same one, registers another team', async (mode) => {
    const messageId = randomMessageId();
    expect((await submit(mode, messageId, await openForm(mode, messageId), `${mode}再开一班`)).toast?.type).toBe('success');
    // 返回菜单 then 注册班组: a new form in the same message
    expect((await submit(mode, messageId, await openForm(mode, messageId), `${mode}再开二班`)).toast?.type).toBe('success');
    const other = randomMessageId();
    expect((await submit(mode, other, await openForm(mode, other), `${mode}再开三班`)).toast?.type).toBe('success');
    const names = await worlds[mode].h.db.db.select({ name: teams.name }).from(teams).where(eq(teams.leaderOpenId, LEADER));
    expect(names.map((t) => t.name)).toEqual(expect.arrayContaining([`${mode}再开一班`, `${mode}再开二班`, `${mode}再开三班`]));
  });
});
