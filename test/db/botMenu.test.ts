import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { botMenuEvent, randomEventId } from '../support/larkEvents.js';
import { personas, startSecurityHarness } from './securityFixture.js';

/**
 * The bot's custom menu (机器人自定义菜单), its items set to push an event: Feishu posts application.bot.menu_v6 with
 * the item's event_key and the clicker in operator.operator_id (https://open.larksuite.com/document/uAjLw4CM/ukTMukTMukTM/application-v6/bot/events/menu).
 * It was answered 200 and nothing was sent. Each key does what the command typed in the p2p chat does, for the same
 * people, refused in the same words; anything else brings the caller's 帮助 card.
 */
let h: Harness;

beforeAll(async () => {
  ({ h } = await startSecurityHarness());
});
afterAll(async () => {
  await h?.close();
});

const toUser = (openId: string) => h.fake.messages.filter((m) => m.receiveIdType === 'open_id' && m.receiveId === openId);

/** What the menu item sends the clicker, through the signed, encrypted callback. */
async function clickMenu(openId: string, eventKey: string, eventId = randomEventId()) {
  const before = toUser(openId).length;
  const res = await h.post('/lark/events', botMenuEvent({ token: TEST_VERIFICATION_TOKEN, openId, eventKey, eventId }));
  expect(res.status).toBe(200);
  await h.drain();
  return toUser(openId).slice(before);
}

/** What typing the command in the p2p chat sends. */
async function typed(openId: string, text: string) {
  const before = toUser(openId).length;
  await h.say(openId, text);
  return toUser(openId).slice(before);
}

/** What was sent, less the form key a form takes from its event id (the complaint form's formKey, the registration form's form). */
const sent = (messages: { content: unknown }[]) =>
  messages.map((m) => JSON.parse(JSON.stringify(m.content).replace(/"(formKey|form)":"[0-9a-f]{32}"/g, '"$1":"<event>"')));

describe('application.bot.menu_v6', () => {
  it.each([
    ['帮助', personas.public, '帮助'],
    ['进度', personas.leader, '进度'],
    ['status', personas.leader, '进度'],
    ['team.status', personas.leader, '进度'],
    ['注册', personas.public, '注册'],
    ['申报', personas.leader, '申报'],
    ['评分', personas.expert, '评分'],
    ['投诉', personas.public, '投诉'],
    ['管理', personas.admin, '管理'],
    ['admin.menu', personas.admin, '管理'],
    ['条款 16', personas.public, '条款 16'],
    ['measures.browse', personas.public, '条款'],
  ])('key %s from %s: what %s typed sends, privately', async (key, who, command) => {
    const byMenu = await clickMenu(who, key);
    expect(byMenu.length).toBeGreaterThan(0);
    expect(sent(byMenu)).toEqual(sent(await typed(who, command)));
  });

  it('a command not for the clicker is refused in the words the typed command is', async () => {
    const byMenu = await clickMenu(personas.public, '管理');
    expect(byMenu).toHaveLength(1);
    expect(sent(byMenu)).toEqual(sent(await typed(personas.public, '管理')));
    expect(JSON.stringify(byMenu[0].content)).toContain('管理员');
  });

  it('a key that is no command, or a button with none, brings the clicker’s own 帮助 card', async () => {
    const help = sent(await typed(personas.admin, '帮助'));
    expect(sent(await clickMenu(personas.admin, 'no_such_key'))).toEqual(help);
    expect(sent(await clickMenu(personas.admin, 'check.list'))).toEqual(help);
  });

  it('a delivery seen before sends nothing again', async () => {
    const eventId = randomEventId();
    expect(await clickMenu(personas.leader, '进度', eventId)).toHaveLength(1);
    expect(await clickMenu(personas.leader, '进度', eventId)).toHaveLength(0);
  });
});
