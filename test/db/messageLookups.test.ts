import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { people } from '../../db/schema.js';
import { type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { messageEvent } from '../support/larkEvents.js';

/**
 * Feishu pushes a message event again when it is not answered within 3 s. What a message asks of the Open Platform
 * before it is handled (the bot's own open_id, at the first mention in a group; the sender's address-book entry while
 * imported people wait to be linked) is waited for MESSAGE_LOOKUP_WAIT_MS (src/events.ts) at most, each: an API
 * answering slowly delays the answer by that much, and the message is handled meanwhile. Here the fake holds those
 * answers back until the message has been answered and its reply sent, however long that takes: a bot that waited for
 * them would never answer.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a message whose look-ups the Open Platform answers slowly', () => {
  it('a mention of the bot in a group is answered before /bot/v3/info answers; once it has, a mention of someone else is told apart', async () => {
    let infoAnswered = 0;
    const release = h.fake.hold((r) => r.method === 'GET' && r.path === '/open-apis/bot/v3/info');
    try {
      const info = until('the bot info answered', async () => (h.fake.requests.some((r) => r.path === '/open-apis/bot/v3/info') ? (infoAnswered = Date.now()) : undefined));
      const res = await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, openId: 'ou_slowinfo0000000000000000000000001', text: '帮助', chatType: 'group', chatId: 'oc_slowinfo', mentionBot: true, messageId: 'om_slowinfo' }));
      expect(res.status).toBe(200);
      const answeredAt = Date.now();
      await h.drain();
      // the answer to Feishu went out while the look-up was still held back
      expect(h.fake.requests.some((r) => r.path === '/open-apis/bot/v3/info')).toBe(false);
      expect(h.fake.messages.find((m) => m.replyTo === 'om_slowinfo')?.content.header.title.content).toContain('质量信得过班组');
      release();
      await info;
      expect(infoAnswered).toBeGreaterThanOrEqual(answeredAt);
      // nobody is waiting to be linked, so nothing was late but the bot's open_id: no word of the address book
      expect(h.logs.some((l) => l.includes('linking the sender took longer'))).toBe(false);
    } finally {
      h.fake.clearFaults();
    }
    // once it answered, the bot's own open_id is known: a mention of someone else is not a call for the bot
    const other = messageEvent({ token: TEST_VERIFICATION_TOKEN, openId: 'ou_slowinfo0000000000000000000000001', text: '帮助', chatType: 'group', chatId: 'oc_slowinfo', mentionBot: true, messageId: 'om_slowinfo_other' }) as any;
    other.event.message.mentions[0].id.open_id = 'ou_someoneelse000000000000000000001';
    await h.post('/lark/events', other);
    await h.drain();
    expect(h.fake.messages.filter((m) => m.replyTo === 'om_slowinfo_other')).toHaveLength(0);
  });

  it('an imported person is answered before the address book answers, and linked once it does', async () => {
    const user = h.fake.addUser({ name: '郑十', mobile: '13955550001' });
    await h.db.db.insert(people).values({ openId: 'pending:m:13955550001', name: '郑十' });
    const isContactRead = (r: { method: string; path: string }) => r.method === 'GET' && r.path === `/open-apis/contact/v3/users/${user.openId}`;
    const release = h.fake.hold(isContactRead);
    try {
      const res = await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, openId: user.openId, text: '帮助', messageId: 'om_slowcontact' }));
      expect(res.status).toBe(200);
      await h.drain();
      // answered (the menu sent) while the address book had not answered: the person is still the imported placeholder
      expect(h.fake.messages.filter((m) => m.receiveId === user.openId || m.replyTo === 'om_slowcontact').length).toBeGreaterThan(0);
      expect(h.fake.requests.some(isContactRead)).toBe(false);
      expect(await h.db.db.select().from(people).where(eq(people.openId, 'pending:m:13955550001'))).toHaveLength(1);
      expect(h.logs.some((l) => l.includes('linking the sender took longer than it may wait'))).toBe(true);
      // the look-up goes on: once it answers, the placeholder is theirs
      release();
      await until('the imported person linked', async () => ((await h.db.db.select().from(people).where(eq(people.openId, 'pending:m:13955550001'))).length === 0 ? true : undefined));
      const [linked] = await h.db.db.select().from(people).where(eq(people.openId, user.openId));
      expect(linked?.name).toBe('郑十');
    } finally {
      h.fake.clearFaults();
    }
  });

  it('a sender whose profile Feishu refuses (outside the contact range) is asked once, not on each message, and again ten minutes later', async () => {
    await h.db.db.insert(people).values({ openId: 'pending:m:13955550002', name: '王十一' });
    const outsider = 'ou_outsiderrange0000000000000000001';
    const reads = () => h.fake.requests.filter((r) => r.method === 'GET' && r.path === `/open-apis/contact/v3/users/${outsider}`).length;
    const warned = () => h.logs.filter((l) => l.includes('linking an imported person failed') && l.includes(outsider)).length;
    for (let i = 0; i < 5; i++) {
      await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, openId: outsider, text: '帮助', messageId: `om_outsider_${i}` }));
      await h.drain();
    }
    expect(reads()).toBe(1);
    expect(warned()).toBe(1);
    // every message was answered all the same
    expect(h.fake.messages.filter((m) => m.receiveId === outsider)).toHaveLength(5);
    h.clock.advance(10 * 60_000);
    await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, openId: outsider, text: '帮助', messageId: 'om_outsider_later' }));
    await h.drain();
    expect(reads()).toBe(2);
  });
});
