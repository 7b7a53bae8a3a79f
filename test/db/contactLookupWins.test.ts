import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { teams } from '../../db/schema.js';
import { registrationForm } from '../support/forms.js';
import type { Harness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';
import { type Fixture, ORG_A, personas, securityBotForBlock } from './securityFixture.js';

/**
 * The look-up field beside the 单位联系人 picker (第十五条) is how a leader names a contact the bot has never met. Feishu's
 * client refuses to send a form whose required field is empty, and 修改资料 draws the picker with the stored contact
 * picked, sent back untouched: the picker was required on 注册 and a pick won over what was typed, so the field could
 * never be used on either card.
 */
/** The element named `name` anywhere in the card. */
function findNamed(node: unknown, name: string): any {
  if (Array.isArray(node)) return node.map((n) => findNamed(n, name)).find(Boolean);
  if (!node || typeof node !== 'object') return undefined;
  if ((node as { name?: unknown }).name === name && 'tag' in node) return node;
  return Object.values(node).map((n) => findNamed(n, name)).find(Boolean);
}

const NEW_CONTACT = 'ou_lookupwins_contact0000000000001';
const NEW_LEADER = 'ou_lookupwins_leader00000000000001';

for (const mode of MODES_HERE) {
  describe(`a contact typed by mobile (${mode})`, () => {
    let h: Harness;
    let f: Fixture;
    securityBotForBlock((bot) => {
      ({ h, f } = bot);
      h.fake.addUser({ openId: NEW_CONTACT, name: '新联系人', mobile: '13912345678' });
    }, mode);

    it('注册: the contact picker is not required on the card (the look-up field may name the contact instead)', async () => {
      await h.say(NEW_LEADER, '注册');
      const card = [...h.fake.messages].reverse().find((m) => m.receiveId === NEW_LEADER && m.msgType === 'interactive')?.content;
      const named = (name: string) => JSON.stringify(card).includes(`"name":"${name}"`) && findNamed(card, name);
      expect(named('contact')).toMatchObject({ tag: 'select_person' });
      expect(named('contact').required).not.toBe(true);
      expect(named('contactLookup')).toMatchObject({ tag: 'input' });
      // the other required fields are still refused empty by the client
      expect(named('teamName')).toMatchObject({ required: true });
    });

    it('注册 with a mobile typed and the picker left with someone: the typed contact is the one named', async () => {
      const res = await h.click(NEW_LEADER, { action: 'team.register' }, registrationForm('查号优先班', NEW_LEADER, { organization: ORG_A, contactLookup: '139 1234 5678' }));
      expect(res.toast?.type, JSON.stringify(res.toast)).toBe('success');
      const [t] = await h.db.db.select().from(teams).where(eq(teams.name, '查号优先班'));
      expect(t.contactOpenId).toBe(NEW_CONTACT);
    });

    it('注册 with neither a pick nor a mobile: refused, naming both ways', async () => {
      const res = await h.click(NEW_LEADER, { action: 'team.register' }, registrationForm('无联系人班', '', { organization: ORG_A }));
      expect(res.toast?.type).toBe('error');
      expect(res.toast?.content).toContain('单位联系人');
      expect(res.toast?.content).toMatch(/手机号或邮箱/);
      expect(await h.db.db.select().from(teams).where(eq(teams.name, '无联系人班'))).toEqual([]);
    });

    it('修改资料 with the stored contact still picked and a mobile typed: the contact changes to the one typed', async () => {
      const res = await h.click(personas.leader, { action: 'team.editSave', teamId: f.teamA.id }, { contact: personas.contact, contactLookup: '13912345678' });
      expect(res.toast?.type, JSON.stringify(res.toast)).toBe('success');
      const [t] = await h.db.db.select().from(teams).where(eq(teams.id, f.teamA.id));
      expect(t.contactOpenId).toBe(NEW_CONTACT);
    });
  });
}
