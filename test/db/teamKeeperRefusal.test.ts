import { describe, expect, it } from 'vitest';
import { rolesMessage } from '../../src/handlers.js';
import { adminOnlyMessage } from '../../src/permissions.js';
import type { Harness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';
import { type Fixture, OTHER_LEADER, personas, securityBotForBlock, snapshot } from './securityFixture.js';

/**
 * 修改资料 / 成员 on a team's card (forwarded, or seen in a chat) clicked by someone who may not: the refusal says who
 * may (协会管理员 or 本班组的班组长), never that only administrators may, nor, to another team's leader, that only a
 * 班组长 may. The same on the one-statement paths and the ordinary ones; nothing is written.
 */
const anyoneElse = '只有协会管理员或本班组的班组长可以使用此功能。';
const otherLeader = '只有本班组的班组长（或协会管理员）可以查看和修改本班组的资料和成员。';

describe.each(MODES_HERE)('who is told what on team A\'s leader card (%s)', (mode) => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((b) => ({ h, f } = b), mode);
  const cases = () =>
    [
      ['team.editForm', {}, undefined],
      ['team.editSave', {}, { phone: '020-7654321' }],
      ['team.members', {}, undefined],
      ['team.memberAdd', {}, { members: ['ou_newcomer0000000000000000000000001'] }],
      ['team.memberRemove', { openId: personas.member }, undefined],
    ] as const;

  it('a member, the contact and someone unknown are told the administrators or the team\'s leader may', async () => {
    for (const who of [personas.member, personas.contact, personas.public, personas.expert]) {
      for (const [action, extra, form] of cases()) {
        const before = await snapshot(h.db.db);
        const res = await h.click(who, { action, teamId: f.teamA.id, ...extra }, form);
        expect(await snapshot(h.db.db)).toEqual(before);
        expect(res.card).toBeUndefined();
        expect(res.toast, `${action} by ${who}`).toEqual({ type: 'error', content: anyoneElse });
      }
    }
  });

  it('another team\'s leader is told the team is not theirs', async () => {
    for (const [action, extra, form] of cases()) {
      const before = await snapshot(h.db.db);
      const res = await h.click(OTHER_LEADER, { action, teamId: f.teamA.id, ...extra }, form);
      expect(await snapshot(h.db.db)).toEqual(before);
      expect(res.toast, action).toEqual({ type: 'error', content: otherLeader });
    }
  });
});

describe('rolesMessage', () => {
  it('cites 第十四条 for the administrators\' work alone', () => {
    expect(rolesMessage(['admin'])).toBe(adminOnlyMessage);
  });
});
