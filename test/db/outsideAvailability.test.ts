import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, outbox, people } from '../../db/schema.js';
import { enqueue } from '../../src/outbox.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * Someone outside the app's 可用范围 (230013, "Bot has NO availability to this user"): an expert added to the pool from
 * the address book, a contact named by a team. Their messages were marked undeliverable with a warning in the log and
 * nobody was told; an administrator, who alone can widen the range, is now told once per person.
 */
const X = 'ou_outsiderange0000000000000000001';

describe('a person outside the app’s availability', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({});
    await h.db.db.insert(people).values({ openId: X, name: '范围外专家', roles: ['expert'] });
    h.fake.failReceiver(X, { status: 400, code: 230013, msg: 'Bot has NO availability to this user.' });
  });
  afterAll(async () => h?.close());

  const queue = (key: string) => h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: key, to: { openId: X }, text: key }));

  it('is undeliverable, and the administrators are told once who it is and what to change', async () => {
    await queue('task:1');
    await queue('task:2');
    await h.drain();
    expect((await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, 'task:%'))).map((r) => r.status)).toEqual(['undeliverable', 'undeliverable']);
    const told = h.fake.messages.filter((m) => m.receiveId === ADMIN).map((m) => String(m.content.text));
    expect(told).toHaveLength(1);
    expect(told[0]).toContain(`机器人无法给 范围外专家（${X}） 发消息：此人不在飞书应用的可用范围内`);
    expect(told[0]).toContain('可用范围并发布新版本');
    expect(await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'outbox.outside_availability'))).toHaveLength(2);
    // another message later: no second word to the administrators
    await queue('task:3');
    await h.drain();
    expect(h.fake.messages.filter((m) => m.receiveId === ADMIN)).toHaveLength(1);
  });
});
