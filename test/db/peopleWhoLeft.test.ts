import { like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outbox } from '../../db/schema.js';
import { enqueue } from '../../src/outbox.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * People who leave: 离职 (their Feishu account deactivated) or taken out of the app's 可用范围. Feishu refuses a message to
 * them, 230029 "User has resigned." and 230013 "Bot has NO availability to this user."
 * (https://open.feishu.cn/document/server-docs/im-v1/message/create, error codes).
 * - The simulated Open Platform delivered to someone its own address book marked resigned: it now refuses as Feishu does.
 */

describe('the simulated Open Platform and people who left', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({});
  });
  afterAll(async () => h?.close());

  it('refuses a message to someone its address book has resigned or outside the range, as Feishu does', async () => {
    const gone = h.fake.addUser({ openId: 'ou_fake_resigned_00000000000000001', name: '离职者', resigned: true });
    const outside = h.fake.addUser({ openId: 'ou_fake_outside_000000000000000001', name: '范围外', outsideAvailability: true });
    const stays = h.fake.addUser({ openId: 'ou_fake_stays_00000000000000000001', name: '在职者' });
    for (const p of [gone, outside, stays]) await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: `fake:${p.openId}`, to: { openId: p.openId }, text: '你好' }));
    await h.drain();
    const rows = await h.db.db.select({ key: outbox.dedupeKey, status: outbox.status, error: outbox.lastError }).from(outbox).where(like(outbox.dedupeKey, 'fake:%'));
    const of = (openId: string) => rows.find((r) => r.key === `fake:${openId}`)!;
    expect(of(gone.openId)).toMatchObject({ status: 'undeliverable', error: 'HTTP 400 code 230029: User has resigned.' });
    expect(of(outside.openId)).toMatchObject({ status: 'undeliverable', error: 'HTTP 400 code 230013: Bot has NO availability to this user.' });
    expect(of(stays.openId).status).toBe('sent');
  });
});

