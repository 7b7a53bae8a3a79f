import { and, eq, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatBindings, consoleEntries, people } from '../../db/schema.js';
import { LocalConsole } from '../../src/local/console.js';
import { p2pChatIdFor } from '../../src/local/fakeOpenPlatform.js';
import { addLocalPerson, LOCAL_ADMIN_GROUP, LOCAL_PEOPLE, seedLocal } from '../../src/local/seed.js';
import { createLarkClient } from '../../src/lark/client.js';
import { createLogger } from '../../src/log.js';
import { cardActions, cardText } from '../support/cards.js';
import { startHarness, TEST_ENCRYPT_KEY, TEST_VERIFICATION_TOKEN, type Harness } from '../support/harness.js';

const LEADER = 'ou_local_leader';
const CONTACT = 'ou_local_contact';

let h: Harness;
let local: LocalConsole;
const consoleFor = () =>
  new LocalConsole({
    database: h.db,
    platform: h.fake,
    secrets: { encryptKey: TEST_ENCRYPT_KEY, verificationToken: TEST_VERIFICATION_TOKEN },
    baseUrl: () => h.app.url,
    log: createLogger('silent'),
  });

beforeAll(async () => {
  h = await startHarness();
  await seedLocal(h.db.db);
  local = consoleFor();
  await local.restored;
});
afterAll(async () => {
  await h?.close();
});

describe('local mode seed', () => {
  it('seeds the six people and binds the admin group, idempotently', async () => {
    await seedLocal(h.db.db);
    const rows = await h.db.db.select().from(people);
    for (const p of LOCAL_PEOPLE) expect(rows.find((r) => r.openId === p.openId)).toMatchObject({ name: p.name, roles: p.roles });
    const bindings = await h.db.db.select().from(chatBindings).where(and(eq(chatBindings.chatId, LOCAL_ADMIN_GROUP), eq(chatBindings.purpose, 'admin')));
    expect(bindings).toHaveLength(1);
  });

  it('keeps roles granted since, gives a lost name back, and writes no row that already holds its name and roles', async () => {
    await h.db.db.execute(sql`update people set roles = array['expert'], name = null where open_id = 'ou_local_leader'`);
    await seedLocal(h.db.db);
    // a row's xmin changes whenever it is written
    const versions = () => h.db.db.select({ openId: people.openId, version: sql<string>`xmin::text` }).from(people).where(like(people.openId, 'ou_local_%')).orderBy(people.openId);
    const [leader] = await h.db.db.select().from(people).where(eq(people.openId, 'ou_local_leader'));
    expect(leader).toMatchObject({ name: '张班长', roles: ['expert'] });
    const before = await versions();
    await seedLocal(h.db.db);
    expect(await versions()).toEqual(before);
  });

  it('adds a person with a fresh open_id and refuses unknown roles', async () => {
    const p = await addLocalPerson(h.db.db, { name: '赵专家', roles: ['expert'] });
    expect(p.openId).toMatch(/^ou_local_[0-9a-f]{12}$/);
    await expect(addLocalPerson(h.db.db, { name: '钱', roles: ['boss'] })).rejects.toThrow(/未知的身份：boss/);
    await expect(addLocalPerson(h.db.db, { name: ' ', roles: [] })).rejects.toThrow(/姓名/);
  });
});

describe('local console chats', () => {
  it('posts a message as a signed, encrypted event and records the answer in the p2p chat', async () => {
    const said = await local.say({ openId: LEADER, text: '注册' });
    expect(said.status).toBe(200);
    await h.drain();
    const chat = local.changes(p2pChatIdFor(LEADER), 0);
    expect(chat.entries.map((e) => e.from)).toEqual(['user', 'bot']);
    expect(cardText(chat.entries[1].content)).toContain('注册质量信得过班组');
  });

  it('submits a form as card.action.trigger and replaces the card with the answer', async () => {
    const form = local.changes(p2pChatIdFor(LEADER), 0).entries[1];
    const before = local.currentVersion;
    const res = await local.click({
      openId: LEADER,
      chatId: p2pChatIdFor(LEADER),
      messageId: form.id,
      // the form's 提交注册 as the card carries it
      value: cardActions(form.content).find((v) => v.action === 'team.register')!,
      name: 'submit',
      formValue: {
        teamName: '控制台一班',
        organization: '广州市市政工程维修有限公司',
        department: '养护部',
        teamType: 'administrative',
        leader: LEADER,
        phone: '020-12345678',
        memberCount: '12',
        functions: '道路养护',
        goals: '完好率 98%',
        plan: '每月例会',
        contact: CONTACT,
      },
    });
    await h.drain();
    expect(res.status).toBe(200);
    expect(res.toast?.content).toMatch(/GDSZ-\d{4}-\d{4}/);
    const changed = local.changes(p2pChatIdFor(LEADER), before);
    const replaced = changed.entries.find((e) => e.id === form.id)!;
    expect(cardText(replaced.content)).toContain('注册成功');
    expect(cardText(local.changes(p2pChatIdFor(CONTACT), 0).entries[0].content)).toContain('你被登记为班组的单位联系人');
  });

  it('speaks in the admin group with an @-mention, and the answer lands there', async () => {
    await local.say({ openId: 'ou_local_admin', chatId: LOCAL_ADMIN_GROUP, text: '帮助' });
    await h.drain();
    const group = local.changes(LOCAL_ADMIN_GROUP, 0).entries;
    expect(group[0]).toMatchObject({ from: 'user', content: { text: '@助手 帮助' } });
    expect(group.at(-1)?.from).toBe('bot');
  });

  it('keeps the conversation across a restart: the user\'s messages and each card at its latest update', async () => {
    // a later change by the bot, as a delayed update through the real SDK (PATCH /im/v1/messages/:id)
    const contactChat = local.changes(p2pChatIdFor(CONTACT), 0).entries;
    const notice = contactChat.find((e) => e.from === 'bot')!;
    const patched = { schema: '2.0', config: { update_multi: true }, header: { title: { tag: 'plain_text', content: '已更新的通知' } }, body: { elements: [{ tag: 'markdown', content: '班组已确认' }] } };
    await h.app.larkClient.im.message.patch({ path: { message_id: notice.id }, data: { content: JSON.stringify(patched) } });
    await expect.poll(() => cardText(local.changes(p2pChatIdFor(CONTACT), 0).entries.find((e) => e.id === notice.id)?.content)).toContain('班组已确认');
    await local.flushed();

    const fresh = consoleFor();
    await fresh.restored;
    const leader = fresh.changes(p2pChatIdFor(LEADER), 0).entries;
    expect(leader[0]).toMatchObject({ from: 'user', openId: LEADER, content: { text: '注册' } });
    // the form as its submit answered it, not the blank form first sent
    expect(cardText(leader[1].content)).toContain('注册成功');
    expect(cardText(leader[1].content)).not.toContain('注册质量信得过班组');
    expect(fresh.changes(LOCAL_ADMIN_GROUP, 0).entries[0]).toMatchObject({ from: 'user', content: { text: '@助手 帮助' } });
    const kept = fresh.changes(p2pChatIdFor(CONTACT), 0).entries.find((e) => e.id === notice.id)!;
    expect(cardText(kept.content)).toContain('班组已确认');
    // the same order as before the restart
    expect(fresh.changes(p2pChatIdFor(LEADER), 0).order).toEqual(local.changes(p2pChatIdFor(LEADER), 0).order);
  });

  it('after a restart the bot still updates its cards from before it: the new simulated platform is told of them', async () => {
    const notice = local.changes(p2pChatIdFor(CONTACT), 0).entries.find((e) => e.from === 'bot')!;
    const again = { schema: '2.0', config: { update_multi: true }, body: { elements: [{ tag: 'markdown', content: '重启后更新' }] } };
    const update = () => h.app.larkClient.im.message.patch({ path: { message_id: notice.id }, data: { content: JSON.stringify(again) } }).catch((e) => e.response?.data);
    // a new process: the simulated Open Platform remembers nothing it was sent before
    h.fake.reset();
    expect(await update()).toMatchObject({ code: 230001 });
    const fresh = consoleFor();
    await fresh.restored;
    expect(await update()).toMatchObject({ code: 0 });
    expect(h.fake.currentCard(notice.id)).toEqual(again);
  });

  it('after a restart a card from before it keeps Feishu’s 14 days: one sent more than 14 days ago takes no click and no update, a recent one does', async () => {
    const cardOf = (openId: string) => local.changes(p2pChatIdFor(openId), 0).entries.find((e) => e.from === 'bot' && e.msgType === 'interactive')!;
    const [old, recent] = [cardOf(CONTACT), cardOf(LEADER)];
    await local.flushed();
    await h.db.db.update(consoleEntries).set({ sentAt: new Date(h.clock.now().getTime() - 15 * 86_400_000) }).where(eq(consoleEntries.messageId, old.id));
    h.fake.reset();
    const fresh = consoleFor();
    await fresh.restored;
    const clicked = await fresh.click({ messageId: old.id, chatId: p2pChatIdFor(CONTACT), openId: CONTACT, value: { action: 'team.status' } });
    expect(clicked).toMatchObject({ status: 400 });
    expect(clicked.error).toContain('230031');
    const patch = (id: string) =>
      h.app.larkClient.im.message
        .patch({ path: { message_id: id }, data: { content: JSON.stringify({ schema: '2.0', config: { update_multi: true }, body: { elements: [{ tag: 'markdown', content: '迟到的更新' }] } }) } })
        .catch((e) => e.response?.data);
    expect(await patch(old.id)).toMatchObject({ code: 230031 });
    expect(await patch(recent.id)).toMatchObject({ code: 0 });
    const answered = await fresh.click({ messageId: recent.id, chatId: p2pChatIdFor(LEADER), openId: LEADER, value: { action: 'team.status' } });
    expect(answered.error).toBeUndefined();
  });

  it('wakes a waiting poll when something changes', async () => {
    const v = local.currentVersion;
    const waiting = local.waitForChange(v, 10_000);
    const started = Date.now();
    await local.say({ openId: LEADER, text: '条款 16' });
    await waiting;
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('stores the answered card before the click is answered: a bot killed right after it shows the answer at its next start', async () => {
    // a disk slow to take console_entries' writes: each waits 300 ms before it goes in
    const slowDb = new Proxy(h.db.db, {
      get(target, prop) {
        if (prop !== 'insert') return Reflect.get(target, prop, target);
        return (table: typeof consoleEntries) => ({
          values: (v: typeof consoleEntries.$inferInsert) => ({
            onConflictDoUpdate: (c: Parameters<ReturnType<ReturnType<typeof target.insert>['values']>['onConflictDoUpdate']>[0]) => ({
              then: (ok: (x: unknown) => unknown, failed: (e: unknown) => unknown) =>
                new Promise((r) => setTimeout(r, 300)).then(() => target.insert(table).values(v).onConflictDoUpdate(c)).then(ok, failed),
            }),
          }),
        });
      },
    });
    const slow = new LocalConsole({
      database: { ...h.db, db: slowDb },
      platform: h.fake,
      secrets: { encryptKey: TEST_ENCRYPT_KEY, verificationToken: TEST_VERIFICATION_TOKEN },
      baseUrl: () => h.app.url,
      log: createLogger('silent'),
    });
    await slow.restored;
    const person = await addLocalPerson(h.db.db, { name: '竞态班长', roles: [] });
    await slow.say({ openId: person.openId, text: '注册' });
    await h.drain();
    const form = slow.changes(p2pChatIdFor(person.openId), 0).entries.find((e) => e.from === 'bot')!;
    const res = await slow.click({
      openId: person.openId,
      chatId: p2pChatIdFor(person.openId),
      messageId: form.id,
      value: cardActions(form.content).find((v) => v.action === 'team.register')!,
      name: 'submit',
      formValue: {
        teamName: '竞态一班',
        organization: '广州市市政工程维修有限公司',
        department: '养护部',
        teamType: 'administrative',
        leader: person.openId,
        phone: '020-12345678',
        memberCount: '12',
        functions: '道路养护',
        goals: '完好率 98%',
        plan: '每月例会',
        contact: CONTACT,
      },
    });
    expect(res.toast?.type).toBe('success');
    // read at once, as the next start would after a kill -9 now
    const [row] = await h.db.db.select().from(consoleEntries).where(eq(consoleEntries.messageId, form.id));
    expect(cardText(row.content)).toContain('注册成功');
    await slow.flushed();
  });

  it('a click the bot refuses (not 200) ends the card’s click window at once, as Feishu takes a failed callback as answered', async () => {
    const person = await addLocalPerson(h.db.db, { name: '窗口班长', roles: [] });
    await local.say({ openId: person.openId, text: '注册' });
    await h.drain();
    const form = local.changes(p2pChatIdFor(person.openId), 0).entries.find((e) => e.from === 'bot')!;
    // a console whose callbacks the bot cannot verify: every click answered 401
    const unsigned = new LocalConsole({
      database: h.db,
      platform: h.fake,
      secrets: { encryptKey: 'not-the-bot-key', verificationToken: TEST_VERIFICATION_TOKEN },
      baseUrl: () => h.app.url,
      log: createLogger('silent'),
    });
    await unsigned.restored;
    const res = await unsigned.click({ openId: person.openId, chatId: p2pChatIdFor(person.openId), messageId: form.id, value: cardActions(form.content).find((v) => v.action === 'team.register')!, name: 'submit', formValue: {} });
    expect(res.status).toBe(401);
    // the bot's card is updated right after: not refused as a card being clicked (230099, card action is lock)
    const client = createLarkClient({ appId: 'cli_test', appSecret: 'test-secret', domain: h.fake.url, log: createLogger('silent') });
    const patched = await client.im.v1.message.patch({ path: { message_id: form.id }, data: { content: JSON.stringify(form.content) } }).catch((e: { response?: { data?: unknown } }) => e.response?.data);
    expect(patched).toMatchObject({ code: 0 });
    expect(h.fake.lockedUpdates.filter((u) => u.messageId === form.id)).toEqual([]);
    await unsigned.flushed();
  });
});
