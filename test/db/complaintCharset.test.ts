import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complaints, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * POST /api/complaints reads its body in the charset the Content-Type declares: a JSON body sent as GBK was stored as
 * U+FFFD (“�����”) while its sender was told the complaint was taken. Bytes that are not text in the charset said, or a
 * charset unknown, are refused saying to send UTF-8, and nothing is stored; a UTF-8 byte-order mark is read past.
 */
let h: Harness;
const CODE = 'GDSZ-2025-0042';
/** “井盖松动，请尽快修复” in GBK. */
const GBK_CONTENT = Buffer.from('beaeb8c7cbc9b6afa3acc7ebbea1bfecd0deb8b4', 'hex');
const GBK_PERCENT = [...GBK_CONTENT].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-03-01T10:00:00+08:00') });
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '江门市政养护有限公司' }).returning();
  await db.insert(people).values([{ openId: 'ou_leader_charset000000000000000000001' }, { openId: 'ou_contact_charset00000000000000000001', roles: ['org_contact'] }]);
  await db.insert(teams).values({
    code: CODE, name: '江门排水养护组', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: 'ou_leader_charset000000000000000000001',
    phone: '0750-1234567', memberCount: 8, functions: '排水养护', goals: '合格率 98%', plan: '每月巡查', contactOpenId: 'ou_contact_charset00000000000000000001', registeredAt: '2025-02-01',
  });
});
afterAll(async () => {
  await h?.close();
});

/** A JSON body with `content` given as raw bytes (the rest ASCII), sent with `type`. */
function jsonWith(content: Buffer, prefix = Buffer.alloc(0)): Buffer {
  return Buffer.concat([prefix, Buffer.from(`{"team":"${CODE}","content":"`), content, Buffer.from('"}')]);
}
async function post(body: Buffer | string, type: string) {
  const res = await fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers: { 'content-type': type, accept: 'application/json' }, body: typeof body === 'string' ? body : new Uint8Array(body) });
  return { status: res.status, body: (await res.json()) as { reference?: string; msg?: string } };
}
const storedContent = async (reference: string) => (await h.db.db.select().from(complaints).where(eq(complaints.reference, reference)))[0]?.content;
const count = async () => (await h.db.db.select().from(complaints)).length;

describe('the public complaint form reads the charset its body declares', () => {
  it('a JSON body in GBK, said so, is taken with its words', async () => {
    const res = await post(jsonWith(GBK_CONTENT), 'application/json; charset=gbk');
    expect(res.status).toBe(201);
    expect(await storedContent(res.body.reference!)).toBe('井盖松动，请尽快修复');
  });

  it('GBK bytes sent as UTF-8 (no charset said) are refused, saying to send UTF-8, and nothing is stored', async () => {
    const before = await count();
    const res = await post(jsonWith(GBK_CONTENT), 'application/json');
    expect(res.status).toBe(400);
    expect(res.body.msg).toContain('请用 UTF-8 编码提交');
    expect(await count()).toBe(before);
  });

  it('a charset it cannot read is refused (415), naming it', async () => {
    const res = await post(jsonWith(Buffer.from('井盖松动')), 'application/json; charset=x-no-such-charset');
    expect(res.status).toBe(415);
    expect(res.body.msg).toContain('x-no-such-charset');
  });

  it('a UTF-8 body led by a byte-order mark is read as the JSON it is', async () => {
    const res = await post(jsonWith(Buffer.from('窨井盖缺失'), Buffer.from([0xef, 0xbb, 0xbf])), 'application/json');
    expect(res.status).toBe(201);
    expect(await storedContent(res.body.reference!)).toBe('窨井盖缺失');
  });

  it('a form body whose percent-escapes are GBK bytes is refused, not stored as U+FFFD', async () => {
    const before = await count();
    const res = await post(`team=${CODE}&content=${GBK_PERCENT}`, 'application/x-www-form-urlencoded');
    expect(res.status).toBe(400);
    expect(res.body.msg).toContain('请用 UTF-8 编码提交');
    expect(await count()).toBe(before);
  });
});
