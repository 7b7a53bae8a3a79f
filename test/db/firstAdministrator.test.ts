import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActions, cardText } from '../support/cards.js';
import { botAddedEvent, messageEvent, p2pChatEnteredEvent } from '../support/larkEvents.js';

/**
 * A new tenant: the IT person cannot know the administrator's open_id before the app receives an event from them (it is
 * the app's own: https://open.feishu.cn/document/home/user-identity-introduction/open-id), so ADMIN_OPEN_IDS starts
 * empty. 管理 was refused as for anyone, with nothing saying how an administrator gets in; now, while the bot has no
 * administrator, the refusal names the sender's open_id and ADMIN_OPEN_IDS, and the start-up log says how it goes.
 */
const IT = 'ou_itperson00000000000000000000001';
/** A card's text as Feishu shows it: markdown's entities (&#95; for _) read as the characters they stand for. */
const shown = (card: unknown) => cardText(card).replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)));
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

  it('is told it on the 帮助 card, which the bot sends when the chat is first opened', async () => {
    const from = h.fake.messages.length;
    await h.post('/lark/events', p2pChatEnteredEvent({ token: TEST_VERIFICATION_TOKEN, openId: IT }));
    await h.drain();
    await h.say(IT, '帮助');
    const cards = h.fake.messages.slice(from).filter((m) => m.content.body);
    expect(cards).toHaveLength(2);
    for (const c of cards) expect(shown(c.content)).toContain(`机器人还没有协会管理员。你的 open_id 是 ${IT}`);
  });

  it('is told to send 管理 privately when binding a group first, naming no open_id before the group', async () => {
    await h.post('/lark/events', botAddedEvent({ token: TEST_VERIFICATION_TOKEN, chatId: 'oc_firstadmin', operatorOpenId: IT, name: '协会管理群' }));
    await h.drain();
    const from = h.fake.messages.length;
    await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, openId: IT, text: '绑定通知', chatType: 'group', chatId: 'oc_firstadmin', mentionBot: true }));
    await h.drain();
    const told = texts(h, from).join('\n');
    expect(told).toContain('只有协会管理员可以使用此功能');
    expect(told).toContain('私聊机器人发送“管理”');
    expect(told).not.toContain(IT);
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

  it('refuses 管理 to anyone else as before, naming no open_id, once the administrator has acted', async () => {
    await h.click(ADMIN, { action: 'association.contactSave' }, { contactName: '协会秘书处 张三', contactPhone: '020-12345678', contactEmail: '', contactHours: '' });
    const from = h.fake.messages.length;
    await h.say(IT, '管理');
    expect(texts(h, from)).toEqual(['只有协会管理员可以使用“管理”（第十四条：评审工作由广东省市政行业协会负责实施）。']);
    expect(h.logs.join('')).not.toContain('no association administrator yet');
  });

  it('says nothing of it on anyone’s 帮助 card', async () => {
    const from = h.fake.messages.length;
    await h.say(IT, '帮助');
    const [menu] = h.fake.messages.slice(from).filter((m) => m.content.body);
    expect(shown(menu.content)).not.toContain('open_id');
  });
});

/**
 * The administrator's first 管理 on a new association said only 当前没有进行中的年度评审 and 开启年度评审: nothing of
 * 协会联系方式 (unset, so every 请联系协会 says nothing of how), the admin group (unbound, so digests go to each
 * administrator) or the teams and experts (none, so no expert to assign). Before any year is opened it lists them in
 * order, each marked done once it is.
 */
describe('the administration card before the first year', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ admins: [ADMIN] });
  });
  afterAll(async () => h?.close());
  const adminCardText = async () => {
    const from = h.fake.messages.length;
    await h.say(ADMIN, '管理');
    const sent = h.fake.messages.slice(from).find((m) => m.content.body);
    return cardText(sent?.content);
  };

  it('lists what to set up first, in order', async () => {
    const text = await adminCardText();
    expect(text).toContain('首次使用');
    const steps = ['1. 点下方“协会联系方式”', '2. 把机器人拉进协会的管理群，在群里 @机器人 发送“绑定通知”', '3. 点“导入”下载模板', '4. 点“开启年度评审”'];
    for (const step of steps) expect(text).toContain(step);
    expect(steps.map((s) => text.indexOf(s))).toEqual(steps.map((s) => text.indexOf(s)).sort((a, b) => a - b));
  });

  it('marks each step done once it is', async () => {
    await h.click(ADMIN, { action: 'association.contactSave' }, { contactName: '协会秘书处 张三', contactPhone: '020-12345678', contactEmail: '', contactHours: '' });
    await h.post('/lark/events', botAddedEvent({ token: TEST_VERIFICATION_TOKEN, chatId: 'oc_admingroup', operatorOpenId: ADMIN, name: '协会管理群' }));
    await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, text: '绑定通知', chatType: 'group', chatId: 'oc_admingroup', mentionBot: true }));
    await h.drain();
    const text = await adminCardText();
    expect(text).toContain('✅ 协会联系方式已设置');
    expect(text).toContain('✅ 协会管理通知群已绑定');
    expect(text).toContain('3. 点“导入”下载模板');
  });
});

describe('协会联系方式 saved from the first-use list', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ admins: [ADMIN] });
  });
  afterAll(async () => h?.close());

  it('answers with a way back to 协会管理, where the next step is', async () => {
    const saved = await h.click(ADMIN, { action: 'association.contactSave' }, { contactName: '协会秘书处 张三', contactPhone: '020-12345678', contactEmail: '', contactHours: '' });
    expect(cardText(saved.card.data)).toContain('020-12345678');
    expect(cardActions(saved.card.data)).toContainEqual({ action: 'admin.menu' });
    const back = await h.click(ADMIN, { action: 'admin.menu' });
    expect(cardText(back.card.data)).toContain('✅ 协会联系方式已设置');
  });
});

/**
 * ADMIN_OPEN_IDS set (rightly or not: the bot cannot tell): someone else typing 管理 is refused as before, not told to have
 * their own open_id put there, which would ask every leader and expert to become an administrator.
 */
describe('ADMIN_OPEN_IDS set, before its administrator has written', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ admins: ['ou_of_another_app_00000000000000001'] });
  });
  afterAll(async () => h?.close());

  it('refuses 管理 to anyone else as before, naming no open_id', async () => {
    const from = h.fake.messages.length;
    await h.say(IT, '管理');
    const [told] = texts(h, from);
    expect(told).toContain('只有协会管理员可以使用“管理”');
    expect(told).not.toContain(IT);
    expect(told).not.toContain('ADMIN_OPEN_IDS');
  });
});
