import { describe, expect, it } from 'vitest';
import { applicationForm, registrationForm } from '../support/forms.js';
import type { Harness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';
import { type Fixture, NEWCOMER, OTHER_LEADER, personas, securityBotForBlock, snapshot, YEAR } from './securityFixture.js';

/**
 * After 更换班组长 the former leader still holds the team's 申报表 card. Their 保存草稿 / 提交申报 stays refused (the team's
 * application is the new leader's), but the refusal says who leads the team now and to pass what they typed to them,
 * not only “只有本班组的班组长可以使用此功能。”: whether they lead no team any more (refused by the registry) or still
 * lead another one (refused by the service). Anyone outside the team is refused as before; nothing is written.
 */
type Body = { toast?: { type: string; content: string }; card?: { data?: any } };

describe.each(MODES_HERE)('the former leader presses the form card they still hold (%s)', (mode) => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((b) => ({ h, f } = b), mode);

  const press = (who: string, action: 'application.save' | 'application.submit'): Promise<Body> =>
    h.click(who, { action, teamId: f.teamA.id, year: YEAR }, applicationForm({ title: '交接前填写的成果' }));
  const nowLed = '只有班组长可以填写和提交申报表：你已不是广州养护一班的班组长（现任班组长：成员），这次没有保存或提交。请把你填写的内容转给成员，由其发送“申报”打开本班组的申报表。';

  it('a member who never led it: told who leads it', async () => {
    const res = await press(personas.member, 'application.save');
    expect(res.toast?.content).toBe('只有班组长可以填写和提交申报表：你不是广州养护一班的班组长（现任班组长：班组长），这次没有保存或提交。请把你填写的内容转给班组长，由其发送“申报”打开本班组的申报表。');
  });

  it('leading no team any more: told who leads it now, nothing written, the card left as typed', async () => {
    const changed: Body = await h.click(personas.leader, { action: 'team.leaderChange', teamId: f.teamA.id, from: personas.leader }, { leader: personas.member });
    expect(changed.toast?.type, JSON.stringify(changed.toast)).toBe('success');
    for (const action of ['application.save', 'application.submit'] as const) {
      const before = await snapshot(h.db.db);
      const res = await press(personas.leader, action);
      expect(res.toast, action).toEqual({ type: 'error', content: nowLed });
      expect(res.card, action).toBeUndefined();
      expect(await snapshot(h.db.db), action).toEqual(before);
    }
  });

  it('still leading another team: the same words', async () => {
    const other: Body = await h.click(personas.leader, { action: 'team.register' }, registrationForm('交接后新班', personas.contact));
    expect(other.toast?.type, JSON.stringify(other.toast)).toBe('success');
    for (const action of ['application.save', 'application.submit'] as const) {
      const before = await snapshot(h.db.db);
      const res = await press(personas.leader, action);
      expect(res.toast, action).toEqual({ type: 'error', content: nowLed });
      expect(res.card, action).toBeUndefined();
      expect(await snapshot(h.db.db), action).toEqual(before);
    }
  });

  it('someone outside the team is refused as before', async () => {
    expect((await press(NEWCOMER, 'application.save')).toast?.content).toBe('只有本班组的班组长可以使用此功能。');
    expect((await press(OTHER_LEADER, 'application.save')).toast?.content).toBe('只有本班组的班组长可以填写和提交申报表。');
  });
});

/**
 * The former leader's other buttons of the team (修改资料, 班组成员, 添加 / 移除, 更换班组长, 申报表, 撤回申报), on the cards
 * they still hold: they read that they no longer lead it and who does, not only “只有协会管理员或本班组的班组长可以使用此功能。”,
 * which told them neither why nor whom to ask. Nothing is written.
 */
describe.each(MODES_HERE)('the former leader presses a leader button of the team (%s)', (mode) => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((b) => ({ h, f } = b), mode);
  const nowLed = '你已不是广州养护一班的班组长（现任班组长：成员），此前收到的该班组卡片上的班组长按钮不再可用，这次没有改动。班组的资料、成员和申报由成员办理，如需修改请联系其本人；发送“进度”可查看班组现在的情况。';

  it('told who leads it now; nothing written', async () => {
    const changed: Body = await h.click(personas.leader, { action: 'team.leaderChange', teamId: f.teamA.id, from: personas.leader }, { leader: personas.member });
    expect(changed.toast?.type, JSON.stringify(changed.toast)).toBe('success');
    const buttons = [
      ['team.editForm', {}, undefined],
      ['team.editSave', {}, { phone: '020-7654321' }],
      ['team.members', {}, undefined],
      ['team.memberAdd', {}, { members: [NEWCOMER] }],
      ['team.memberRemove', { openId: personas.member }, undefined],
      ['team.leaderForm', {}, undefined],
      ['application.open', {}, undefined],
      ['application.recall', { year: YEAR }, undefined],
    ] as const;
    for (const [action, extra, form] of buttons) {
      const before = await snapshot(h.db.db);
      const res: Body = await h.click(personas.leader, { action, teamId: f.teamA.id, ...extra }, form);
      expect(res.toast, action).toEqual({ type: 'error', content: nowLed });
      expect(res.card, action).toBeUndefined();
      expect(await snapshot(h.db.db), action).toEqual(before);
    }
  });
});
