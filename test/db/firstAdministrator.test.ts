import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { botAddedEvent, messageEvent } from '../support/larkEvents.js';

/**
 * A new tenant: the IT person cannot know the administrator's open_id before the app receives an event from them (it is
 * the app's own: https://open.feishu.cn/document/home/user-identity-introduction/open-id), so ADMIN_OPEN_IDS starts
 * empty. 管理 was refused as for anyone, with nothing saying how an administrator gets in; now, while the bot has no
 * administrator, the refusal names the sender's open_id and ADMIN_OPEN_IDS, and the start-up log says how it goes.
 */
const IT = 'ou_itperson00000000000000000000001';
const texts = (h: Harness, from: number) => h.fake.messages.slice(from).map((m) => String(m.content.text ?? ''));

describe('the first administrator on a new tenant', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ admins: [] });
  });
  afterAll(async () => h?.close());

  it('is told at 管理 their open_id and to put it in ADMIN_OPEN_IDS', async () => {
    const from = h.fake.messages.length;
    await h.say(IT, '管理');
    const [told] = texts(h, from);
    expect(told).toContain('只有协会管理员可以使用“管理”');
    expect(told).toContain(`你的 open_id 是 ${IT}`);
    expect(told).toContain('ADMIN_OPEN_IDS');
    expect(told).toContain('重启机器人');
  });

  it('is told the same when binding a group first', async () => {
    await h.post('/lark/events', botAddedEvent({ token: TEST_VERIFICATION_TOKEN, chatId: 'oc_firstadmin', operatorOpenId: IT, name: '协会管理群' }));
    await h.drain();
    const from = h.fake.messages.length;
    await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, openId: IT, text: '绑定通知', chatType: 'group', chatId: 'oc_firstadmin', mentionBot: true }));
    await h.drain();
    const told = texts(h, from).join('\n');
    expect(told).toContain('只有协会管理员可以使用此功能');
    expect(told).toContain(`你的 open_id 是 ${IT}`);
  });

  it('says at start-up that there is no administrator yet and how one gets in', () => {
    expect(h.logs.join('')).toContain('no association administrator yet');
  });
});

describe('a tenant with an administrator', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ admins: [ADMIN] });
  });
  afterAll(async () => h?.close());

  it('refuses 管理 to anyone else as before, naming no open_id', async () => {
    const from = h.fake.messages.length;
    await h.say(IT, '管理');
    expect(texts(h, from)).toEqual(['只有协会管理员可以使用“管理”（第十四条：评审工作由广东省市政行业协会负责实施）。']);
    expect(h.logs.join('')).not.toContain('no association administrator yet');
  });
});
