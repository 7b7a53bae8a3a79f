import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { asc, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/index.js';
import { consoleEntries } from '../../db/schema.js';
import { LocalConsole } from '../../src/local/console.js';
import { p2pChatIdFor } from '../../src/local/fakeOpenPlatform.js';
import { seedLocal } from '../../src/local/seed.js';
import { larkReader } from '../../src/lark/reader.js';
import { createLogger } from '../../src/log.js';
import { cardText } from '../support/cards.js';
import { startHarness, TEST_ENCRYPT_KEY, TEST_VERIFICATION_TOKEN, type Harness } from '../support/harness.js';

/**
 * A message typed in the console is on disk before the console answers it, as a click's answer is: a bot killed the
 * instant the page got its answer (kill -9) shows the message at its next start. The console's writes go one after
 * another, so one typed behind others (the bot's cards of a busy moment being stored) waited for them: here each write
 * of console_entries takes WRITE_DELAY_MS, far longer than the bot takes to answer.
 */
const LEADER = 'ou_local_leader';
const WRITE_DELAY_MS = 1500;

let h: Harness;
let slow = false;

/** `builder`, whose execution (its `then`) waits WRITE_DELAY_MS first while `slow`; every call on it returns the same. */
function delayed<T extends object>(builder: T): T {
  return new Proxy(builder, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (key === 'then' && typeof v === 'function') {
        return (ok: (x: unknown) => unknown, fail: (e: unknown) => unknown) =>
          new Promise((r) => setTimeout(r, slow ? WRITE_DELAY_MS : 0)).then(() => (v as Function).call(target, ok, fail));
      }
      if (typeof v === 'function') return (...args: unknown[]) => {
        const out = (v as Function).apply(target, args);
        return out && typeof out === 'object' ? delayed(out) : out;
      };
      return v;
    },
  });
}

/** The database as the console sees it: its writes of console_entries slowed. */
function slowConsoleWrites(database: Database): Database {
  const db = new Proxy(database.db, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (key === 'insert') return (table: unknown) => (table === consoleEntries ? delayed((v as Function).call(target, table)) : (v as Function).call(target, table));
      return typeof v === 'function' ? (v as Function).bind(target) : v;
    },
  });
  return { ...database, db } as Database;
}

const consoleFor = () =>
  new LocalConsole({
    database: slowConsoleWrites(h.db),
    platform: h.fake,
    secrets: { encryptKey: TEST_ENCRYPT_KEY, verificationToken: TEST_VERIFICATION_TOKEN },
    baseUrl: () => h.app.url,
    log: createLogger('silent'),
  });

/** What a bot killed now would find at its next start. */
const stored = (ids: string[]) =>
  h.db.db.select({ messageId: consoleEntries.messageId, sender: consoleEntries.sender, content: consoleEntries.content }).from(consoleEntries).where(inArray(consoleEntries.messageId, ids)).orderBy(asc(consoleEntries.seq));

beforeAll(async () => {
  h = await startHarness();
  await seedLocal(h.db.db);
});
afterAll(async () => {
  await h?.close();
});

describe('a message typed in the console', () => {
  it('is stored before the console answers it, as a click\'s answer is', async () => {
    const local = consoleFor();
    await local.restored;
    slow = true;
    try {
      const said = await local.say({ openId: LEADER, text: '注册' });
      expect(said.status).toBe(200);
      // the answer came: a kill -9 now keeps the message
      expect(await stored([said.messageId])).toEqual([{ messageId: said.messageId, sender: 'user', content: { text: '注册' } }]);
    } finally {
      slow = false;
      await h.drain();
      await local.flushed();
    }
  });

  it('typed twice quickly, is stored and handed to the bot in the order typed, each before its answer', async () => {
    const local = consoleFor();
    await local.restored;
    slow = true;
    try {
      const first = local.say({ openId: LEADER, text: '帮助' });
      const second = local.say({ openId: LEADER, text: '进度' });
      const a = await first;
      // the second is not answered before the first
      expect(await stored([a.messageId])).toHaveLength(1);
      const b = await second;
      expect([a.status, b.status]).toEqual([200, 200]);
      expect((await stored([a.messageId, b.messageId])).map((r) => (r.content as { text: string }).text)).toEqual(['帮助', '进度']);
      // the bot had the first before the second: its answers come in that order
      await h.drain();
      const chat = local.changes(p2pChatIdFor(LEADER), 0).entries;
      const after = chat.slice(chat.findIndex((e) => e.id === a.messageId));
      const answers = after.filter((e) => e.from === 'bot').map((e) => cardText(e.content));
      expect(answers).toHaveLength(2);
      expect(answers[0]).toContain('点击下方按钮，或直接发送命令');
      expect(answers[1]).toContain('你还没有加入任何班组');
    } finally {
      slow = false;
      await local.flushed();
    }
  });

  it('is refused with a Chinese line, and not handed to the bot, when it cannot be stored', async () => {
    const local = consoleFor();
    await local.restored;
    const before = h.fake.messages.length;
    // a console whose writes fail: the table is gone for it
    const broken = new LocalConsole({
      database: { ...h.db, db: new Proxy(h.db.db, { get: (t, k, r) => (k === 'insert' ? () => { throw new Error('disk full'); } : typeof Reflect.get(t, k, r) === 'function' ? Reflect.get(t, k, r).bind(t) : Reflect.get(t, k, r)) }) } as Database,
      platform: h.fake,
      secrets: { encryptKey: TEST_ENCRYPT_KEY, verificationToken: TEST_VERIFICATION_TOKEN },
      baseUrl: () => h.app.url,
      log: createLogger('silent'),
    });
    await broken.restored;
    const said = await broken.say({ openId: LEADER, text: '帮助' });
    expect(said.status).toBe(500);
    expect(said.error).toMatch(/消息未能保存/);
    await h.drain();
    expect(h.fake.messages.length).toBe(before);
    expect(await h.db.db.select().from(consoleEntries).where(eq(consoleEntries.messageId, said.messageId))).toEqual([]);
  });

  it('a file that cannot be stored is refused, and the simulated platform keeps no bytes of it', async () => {
    const before = h.fake.messages.length;
    const broken = new LocalConsole({
      database: { ...h.db, db: new Proxy(h.db.db, { get: (t, k, r) => (k === 'insert' ? () => { throw new Error('disk full'); } : typeof Reflect.get(t, k, r) === 'function' ? Reflect.get(t, k, r).bind(t) : Reflect.get(t, k, r)) }) } as Database,
      platform: h.fake,
      secrets: { encryptKey: TEST_ENCRYPT_KEY, verificationToken: TEST_VERIFICATION_TOKEN },
      baseUrl: () => h.app.url,
      log: createLogger('silent'),
    });
    await broken.restored;
    const sent = await broken.sendFile({ openId: LEADER, chatId: p2pChatIdFor(LEADER), fileName: '班组名单.xlsx', bytes: Buffer.from('不该留下的字节') });
    expect(sent.status).toBe(500);
    expect(sent.error).toMatch(/消息未能保存/);
    await h.drain();
    expect(h.fake.messages.length).toBe(before);
    // the file key the console gives a file message: nothing in the platform refers to it, so it holds no bytes for it
    const fileKey = `file_local_${sent.messageId.slice(3)}`;
    await expect(larkReader(h.app.larkClient).messageFile(sent.messageId, fileKey, 1 << 20)).rejects.toThrow();
  });

  it('a file stored is in the simulated platform for the bot to read', async () => {
    const local = consoleFor();
    await local.restored;
    const sent = await local.sendFile({ openId: LEADER, chatId: p2pChatIdFor(LEADER), fileName: 'notes.txt', bytes: Buffer.from('留下的字节') });
    expect(sent.status).toBe(200);
    await h.drain();
    const fileKey = `file_local_${sent.messageId.slice(3)}`;
    expect((await larkReader(h.app.larkClient).messageFile(sent.messageId, fileKey, 1 << 20)).toString()).toBe('留下的字节');
    await local.flushed();
  });

  it('stored but not taken by the bot (it was stopping, or refused it) is taken out of the chat again, and the page says to send it again', async () => {
    // a bot that answers nothing (its connections closed as it stops) and one that refuses the event
    const stopping = createServer((req) => req.socket.destroy());
    const refusing = createServer((_req, res) => res.writeHead(500, { 'content-type': 'application/json' }).end('{"code":500,"msg":"internal error"}'));
    for (const server of [stopping, refusing]) await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      for (const [server, why] of [
        [stopping, /机器人没有应答/],
        [refusing, /机器人返回 HTTP 500/],
      ] as const) {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const local = new LocalConsole({
          database: h.db,
          platform: h.fake,
          secrets: { encryptKey: TEST_ENCRYPT_KEY, verificationToken: TEST_VERIFICATION_TOKEN },
          baseUrl: () => url,
          log: createLogger('silent'),
        });
        await local.restored;
        const said = await local.say({ openId: LEADER, text: '帮助' });
        expect(said.status).toBe(500);
        expect(said.error).toMatch(why);
        expect(said.error).toMatch(/消息「帮助」没有送到机器人.*已从聊天中移除：请等机器人运行后再发一次/);
        // not in the chat now, nor after a restart: no message stays that the bot never answers
        expect(local.changes(p2pChatIdFor(LEADER), 0).order).not.toContain(said.messageId);
        await local.flushed();
        expect(await stored([said.messageId])).toEqual([]);
        const next = consoleFor();
        await next.restored;
        expect(next.changes(p2pChatIdFor(LEADER), 0).order).not.toContain(said.messageId);
      }
    } finally {
      for (const server of [stopping, refusing]) await new Promise((r) => server.close(r));
    }
  });
});
