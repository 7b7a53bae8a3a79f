import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/index.js';
import { consoleEntries, outbox } from '../../db/schema.js';
import { LocalConsole } from '../../src/local/console.js';
import { type FakeOpenPlatform, p2pChatIdFor } from '../../src/local/fakeOpenPlatform.js';
import { addLocalPerson, seedLocal } from '../../src/local/seed.js';
import { createLogger } from '../../src/log.js';
import { enqueueMany } from '../../src/outbox.js';
import { cardActions, cardText } from '../support/cards.js';
import { startHarness, TEST_ENCRYPT_KEY, TEST_VERIFICATION_TOKEN, type Harness } from '../support/harness.js';

/**
 * What the bot sends in local mode is in console_entries before the simulated platform answers the send, as Feishu
 * answers only once it holds the message: the outbox marks a row sent on that answer and never sends it again, so a
 * bot killed the instant after (kill -9) must find the card in the chat at its next start. The console's writes of
 * console_entries are slowed here (each waits `delayMs`), far past the time the outbox takes to send.
 */
const LEADER = 'ou_local_leader';

let h: Harness;
/** how long each write of console_entries waits before it goes in; 0: at once */
let delayMs = 0;
/** every write of console_entries fails, as on a full disk */
let failing = false;
/** how many statements wrote console_entries */
let writes = 0;

/** `builder`, whose execution (its `then`) waits `delayMs` first (or fails); every call on it returns the same. */
function delayed<T extends object>(builder: T): T {
  return new Proxy(builder, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (key === 'then' && typeof v === 'function') {
        return (ok: (x: unknown) => unknown, fail: (e: unknown) => unknown) => {
          writes++;
          if (failing) return Promise.reject(new Error('could not extend file: No space left on device')).then(ok, fail);
          return new Promise((r) => setTimeout(r, delayMs)).then(() => (v as Function).call(target, ok, fail));
        };
      }
      if (typeof v === 'function')
        return (...args: unknown[]) => {
          const out = (v as Function).apply(target, args);
          return out && typeof out === 'object' ? delayed(out) : out;
        };
      return v;
    },
  });
}

/** The database as the console sees it: its writes of console_entries slowed (or failing). */
function consoleWrites(database: Database): Database {
  const db = new Proxy(database.db, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (key === 'insert') return (table: unknown) => (table === consoleEntries ? delayed((v as Function).call(target, table)) : (v as Function).call(target, table));
      return typeof v === 'function' ? (v as Function).bind(target) : v;
    },
  });
  return { ...database, db } as Database;
}

let local: LocalConsole;

/**
 * What a bot killed now would find at its next start: a console read afresh from console_entries, on a platform of its
 * own (a new process's), so it does not store what this one is sent.
 */
async function afterKill(): Promise<LocalConsole> {
  const fresh = new LocalConsole({
    database: h.db,
    platform: { on: () => undefined, earlierCard: () => undefined } as unknown as FakeOpenPlatform,
    secrets: { encryptKey: TEST_ENCRYPT_KEY, verificationToken: TEST_VERIFICATION_TOKEN },
    baseUrl: () => h.app.url,
    log: createLogger('silent'),
  });
  await fresh.restored;
  return fresh;
}

const card = (text: string) => ({ schema: '2.0', config: { update_multi: true }, body: { elements: [{ tag: 'markdown', content: text }] } });

async function queue(messages: { key: string; to: string; text: string }[]): Promise<void> {
  await h.db.db.transaction((tx) => enqueueMany(tx, messages.map((m) => ({ dedupeKey: m.key, to: { openId: m.to }, card: card(m.text) }))));
}

const rowsOf = (keys: string[]) => h.db.db.select().from(outbox).where(inArray(outbox.dedupeKey, keys)).orderBy(outbox.id);
const storedIds = async (ids: string[]) => new Set((await h.db.db.select({ id: consoleEntries.messageId }).from(consoleEntries).where(inArray(consoleEntries.messageId, ids))).map((r) => r.id));

beforeAll(async () => {
  // a burst goes out at once: the per-receiver and per-app paces are lifted alike for the bot and the platform
  h = await startHarness({ outboxLimits: { perReceiver: 1000, perApp: 1000, perMinute: 100_000 } });
  await seedLocal(h.db.db);
  local = new LocalConsole({
    database: consoleWrites(h.db),
    platform: h.fake,
    secrets: { encryptKey: TEST_ENCRYPT_KEY, verificationToken: TEST_VERIFICATION_TOKEN },
    baseUrl: () => h.app.url,
    log: createLogger('silent'),
  });
  await local.restored;
});
afterAll(async () => {
  delayMs = 0;
  failing = false;
  await local?.flushed();
  await h?.close();
});

describe('a card the bot sends in local mode', () => {
  it("is in the console's stored chat once the outbox marks it sent: a bot killed then shows it at its next start", async () => {
    delayMs = 1500;
    try {
      await queue([{ key: 'kill-after-send', to: LEADER, text: '一张任务卡片' }]);
      await h.drain();
      const [row] = await rowsOf(['kill-after-send']);
      expect(row).toMatchObject({ status: 'sent' });
      // kill -9 now: the outbox will not send it again, so the chat must hold it
      const fresh = await afterKill();
      const shown = fresh.changes(p2pChatIdFor(LEADER), 0).entries.find((e) => e.id === row.messageId);
      expect(shown, 'the card the outbox marked sent is missing from the chat after a restart').toBeDefined();
      expect(cardText(shown!.content)).toContain('一张任务卡片');
    } finally {
      delayMs = 0;
      await local.flushed();
    }
  });

  it('in a burst, every card marked sent is stored, the burst written in a few statements rather than one per card', async () => {
    const people = Array.from({ length: 40 }, (_, i) => `ou_burst${String(i).padStart(3, '0')}`);
    const keys = people.map((p) => `burst-${p}`);
    delayMs = 100;
    writes = 0;
    try {
      await queue(people.map((p, i) => ({ key: keys[i], to: p, text: `第 ${i + 1} 张` })));
      await h.drain();
      const rows = await rowsOf(keys);
      expect(rows.map((r) => r.status)).toEqual(keys.map(() => 'sent'));
      // read at once, as the next start after a kill -9 would
      const stored = await storedIds(rows.map((r) => r.messageId!));
      expect(rows.filter((r) => !stored.has(r.messageId!)).map((r) => r.dedupeKey)).toEqual([]);
      expect(writes).toBeLessThan(people.length / 2);
    } finally {
      delayMs = 0;
      await local.flushed();
    }
  });

  it('updated by the bot (PATCH), is stored at its update before the platform answers', async () => {
    await queue([{ key: 'to-update', to: LEADER, text: '等待更新' }]);
    await h.drain();
    const [row] = await rowsOf(['to-update']);
    await local.flushed();
    delayMs = 1500;
    try {
      await h.db.db.transaction((tx) => enqueueMany(tx, [{ dedupeKey: 'the-update', to: { updateMessage: row.messageId! }, card: card('已更新') }]));
      await h.drain();
      expect((await rowsOf(['the-update']))[0]).toMatchObject({ status: 'sent' });
      const [entry] = await h.db.db.select().from(consoleEntries).where(eq(consoleEntries.messageId, row.messageId!));
      expect(cardText(entry.content)).toContain('已更新');
    } finally {
      delayMs = 0;
      await local.flushed();
    }
  });

  it('sent again with its uuid while the first is being stored, is answered 230049 (still being sent), then as the first', async () => {
    const create = () =>
      h.app.larkClient.im.message
        .create({ params: { receive_id_type: 'open_id' }, data: { receive_id: LEADER, msg_type: 'interactive', content: JSON.stringify(card('同一个 uuid')), uuid: 'same-uuid-while-storing' } })
        .then((r) => r, (e) => e.response?.data);
    delayMs = 1000;
    try {
      const first = create();
      await expect.poll(() => h.fake.messages.some((m) => m.uuid === 'same-uuid-while-storing')).toBe(true);
      expect(await create()).toMatchObject({ code: 230049 });
      const answered = await first;
      expect(answered).toMatchObject({ code: 0 });
      expect(await create()).toMatchObject({ code: 0, data: { message_id: answered.data.message_id } });
      expect(h.fake.messages.filter((m) => m.uuid === 'same-uuid-while-storing')).toHaveLength(1);
    } finally {
      delayMs = 0;
      await local.flushed();
    }
  });

  it('that cannot be stored is answered as a Feishu internal error: the outbox tries it again, and it is shown once stored', async () => {
    const before = h.fake.messages.length;
    failing = true;
    try {
      await queue([{ key: 'disk-full', to: LEADER, text: '磁盘满时的卡片' }]);
      await h.app.dispatcher.runOnce();
      const [row] = await rowsOf(['disk-full']);
      expect(row).toMatchObject({ status: 'pending', attempts: 1 });
      expect(row.lastError).toMatch(/code 1:/);
      // Feishu did not keep it, and the chat does not show it
      expect(h.fake.messages.length).toBe(before);
      expect(local.changes(p2pChatIdFor(LEADER), 0).entries.some((e) => cardText(e.content).includes('磁盘满时的卡片'))).toBe(false);
    } finally {
      failing = false;
    }
    await h.drain();
    const [row] = await rowsOf(['disk-full']);
    expect(row.status).toBe('sent');
    expect(await storedIds([row.messageId!])).toEqual(new Set([row.messageId]));
    expect(local.changes(p2pChatIdFor(LEADER), 0).entries.filter((e) => cardText(e.content).includes('磁盘满时的卡片'))).toHaveLength(1);
  });

  it('updated when the update cannot be stored, keeps its card: the update is answered as a Feishu internal error and sent again', async () => {
    await queue([{ key: 'update-disk-full', to: LEADER, text: '更新前' }]);
    await h.drain();
    const [row] = await rowsOf(['update-disk-full']);
    const shown = () => cardText(local.changes(p2pChatIdFor(LEADER), 0).entries.find((e) => e.id === row.messageId)?.content);
    failing = true;
    try {
      await h.db.db.transaction((tx) => enqueueMany(tx, [{ dedupeKey: 'update-disk-full-1', to: { updateMessage: row.messageId! }, card: card('更新后') }]));
      await h.app.dispatcher.runOnce();
      const [update] = await rowsOf(['update-disk-full-1']);
      expect(update).toMatchObject({ status: 'pending', attempts: 1 });
      expect(update.lastError).toMatch(/code 1:/);
      // Feishu shows the card as it was, and so does the chat
      expect(cardText(h.fake.currentCard(row.messageId!))).toContain('更新前');
      expect(shown()).toContain('更新前');
    } finally {
      failing = false;
    }
    await h.drain();
    expect((await rowsOf(['update-disk-full-1']))[0].status).toBe('sent');
    expect(shown()).toContain('更新后');
    const [entry] = await h.db.db.select().from(consoleEntries).where(eq(consoleEntries.messageId, row.messageId!));
    expect(cardText(entry.content)).toContain('更新后');
  });

  it('stored in one write with a row that cannot be stored, is stored: only that row is refused, and a message typed then goes to the bot', async () => {
    const create = (to: string, text: string) =>
      h.app.larkClient.im.message
        .create({ params: { receive_id_type: 'open_id' }, data: { receive_id: to, msg_type: 'interactive', content: JSON.stringify(card(text)) } })
        .then((r) => r, (e) => e.response?.data);
    delayMs = 1500;
    writes = 0;
    try {
      // a write under way: what comes while it is goes in the next one, in one statement
      const first = create(LEADER, '先写的卡片');
      await expect.poll(() => writes).toBe(1);
      // a card PostgreSQL refuses to keep (jsonb holds no NUL character), and a message typed beside it
      const bad = create('ou_badrow', '坏\u0000行');
      await expect.poll(() => h.fake.messages.some((m) => JSON.stringify(m.content).includes('坏'))).toBe(true);
      const said = await local.say({ openId: LEADER, text: '帮助' });
      expect(said).toMatchObject({ status: 200 });
      expect(said.error).toBeUndefined();
      expect(await first).toMatchObject({ code: 0 });
      // the bad card alone is refused, as a Feishu internal error: Feishu did not keep it
      expect(await bad).toMatchObject({ code: 1 });
      expect(h.fake.messages.some((m) => JSON.stringify(m.content).includes('坏'))).toBe(false);
      expect(await storedIds([said.messageId])).toEqual(new Set([said.messageId]));
    } finally {
      delayMs = 0;
      await h.drain();
      await local.flushed();
    }
  });

  /** A new person's registration form, as the bot sent it in answer to 注册, and the values that submit it. */
  async function registrationForm(name: string) {
    const person = await addLocalPerson(h.db.db, { name, roles: [] });
    await local.say({ openId: person.openId, text: '注册' });
    await h.drain();
    await local.flushed();
    const form = local.changes(p2pChatIdFor(person.openId), 0).entries.find((e) => e.from === 'bot')!;
    const click = {
      openId: person.openId,
      chatId: p2pChatIdFor(person.openId),
      messageId: form.id,
      value: cardActions(form.content).find((v) => v.action === 'team.register')!,
      name: 'submit',
      formValue: {
        teamName: `${name}的班组`,
        organization: '广州市市政工程维修有限公司',
        department: '养护部',
        teamType: 'administrative',
        leader: person.openId,
        phone: '020-12345678',
        memberCount: '12',
        functions: '道路养护',
        goals: '完好率 98%',
        plan: '每月例会',
        contact: 'ou_local_contact',
      },
    };
    return { form, click };
  }

  it("clicked during a burst of the bot's cards, is answered once its answer is stored, not once the burst is", async () => {
    const { form, click } = await registrationForm('连发班长');
    /** a bound on the burst (20 s of it): without it a click that waits for the burst to end would never be answered */
    const MAX = 400;
    let sent = 0;
    let answered = false;
    const stream: Promise<unknown>[] = [];
    delayMs = 300;
    try {
      // the bot sends a card every 50 ms, to people of its own, until the click is answered; each takes 300 ms to store
      const timer = setInterval(() => {
        if (answered || sent >= MAX) return clearInterval(timer);
        const to = `ou_stream${String(sent++).padStart(3, '0')}`;
        stream.push(
          h.app.larkClient.im.message
            .create({ params: { receive_id_type: 'open_id' }, data: { receive_id: to, msg_type: 'interactive', content: JSON.stringify(card(`连发 ${sent}`)) } })
            .catch((e) => e),
        );
      }, 50);
      await expect.poll(() => sent).toBeGreaterThan(3);
      const res = await local.click(click);
      answered = true;
      const sentWhenAnswered = sent;
      expect(res).toMatchObject({ status: 200 });
      expect(res.toast?.type).toBe('success');
      // stored before it was answered, as a kill -9 then would find it
      const [row] = await h.db.db.select().from(consoleEntries).where(eq(consoleEntries.messageId, form.id));
      expect(cardText(row.content)).toContain('注册成功');
      // the burst was still going: the click did not wait for the cards shown after its answer
      expect(sentWhenAnswered).toBeLessThan(MAX);
    } finally {
      answered = true;
      await Promise.all(stream);
      delayMs = 0;
      await h.drain();
      await local.flushed();
    }
  }, 90_000);

  it('clicked when its answer cannot be stored, is refused with a Chinese line the console shows', async () => {
    const { click } = await registrationForm('磁盘满班长');
    failing = true;
    try {
      const res = await local.click(click);
      expect(res.status).toBe(500);
      expect(res.error).toMatch(/未能保存/);
    } finally {
      failing = false;
      await h.drain();
      await local.flushed();
    }
  });
});
