import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLarkClient } from '../src/lark/client.js';
import { mobileKey, resolveUserIds } from '../src/lark/contact.js';
import { larkReader } from '../src/lark/reader.js';
import { createLogger } from '../src/log.js';
import { type FakeOpenPlatform, startFakeOpenPlatform } from '../src/local/fakeOpenPlatform.js';

const quiet = createLogger('fatal', new Writable({ write: (_c, _e, cb) => cb() }));

describe('resolveUserIds against the simulated tenant directory, through the real SDK', () => {
  let fake: FakeOpenPlatform;
  const client = () => createLarkClient({ appId: 'cli_contact', appSecret: 'secret', domain: fake.url, log: quiet });
  beforeAll(async () => {
    fake = await startFakeOpenPlatform({ appId: 'cli_contact', appSecret: 'secret' });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => fake.reset());

  it('maps each mobile and e-mail the caller wrote to the open_id Feishu knows; unknown ones are absent', async () => {
    const li = fake.addUser({ name: '李联系人', mobile: '13800000002', email: 'li@example.com' });
    const chen = fake.addUser({ name: '陈专家', mobile: '+85291234567', email: 'Chen@Example.com' });
    const res = await resolveUserIds(client(), {
      mobiles: ['138 0000 0002', '+85291234567', '13999999999'],
      emails: ['chen@example.com', 'nobody@example.com'],
    });
    expect([...res.byMobile]).toEqual([
      ['138 0000 0002', li.openId],
      ['+85291234567', chen.openId],
    ]);
    expect([...res.byEmail]).toEqual([['chen@example.com', chen.openId]]);
    const call = fake.requests.find((r) => r.path === '/open-apis/contact/v3/users/batch_get_id');
    expect(call?.method).toBe('POST');
    expect(call?.query).toEqual({ user_id_type: 'open_id' });
    expect(call?.body).toEqual({ mobiles: ['13800000002', '+85291234567', '13999999999'], emails: ['chen@example.com', 'nobody@example.com'] });
  });

  it.each([99991663, 99991664])('a token refused (code %i) is dropped and the look-up tried once more on a fresh one', async (code) => {
    const mobile = `1370000${String(code).slice(-4)}`;
    const li = fake.addUser({ name: '李联系人', mobile });
    const c = client();
    expect((await resolveUserIds(c, { mobiles: [mobile] })).byMobile.get(mobile)).toBe(li.openId);
    const tokensBefore = fake.issuedTokens.length;
    fake.revokeTokens(code);
    expect((await resolveUserIds(c, { mobiles: [mobile] })).byMobile.get(mobile)).toBe(li.openId);
    expect(fake.issuedTokens.length).toBe(tokensBefore + 1);
    expect(fake.requests.filter((r) => r.path === '/open-apis/contact/v3/users/batch_get_id')).toHaveLength(3);
  });

  it('a file download refused for its token (the error a stream to read) is tried once more on a fresh one', async () => {
    const c = client();
    const reader = larkReader(c);
    fake.addMessageFile('om_tokenretry000000000000000000001', 'file_v3_tokenretry', Buffer.from('工作簿'));
    expect((await reader.messageFile('om_tokenretry000000000000000000001', 'file_v3_tokenretry', 1024)).toString()).toBe('工作簿');
    const tokensBefore = fake.issuedTokens.length;
    fake.revokeTokens(99991663);
    expect((await reader.messageFile('om_tokenretry000000000000000000001', 'file_v3_tokenretry', 1024)).toString()).toBe('工作簿');
    expect(fake.issuedTokens.length).toBe(tokensBefore + 1);
  });

  it('asks at most 50 of each per call, and does not return people who left', async () => {
    const people = Array.from({ length: 120 }, (_, i) => fake.addUser({ name: `人员${i}`, mobile: `139${String(i).padStart(8, '0')}` }));
    const gone = fake.addUser({ name: '离职者', email: 'gone@example.com', resigned: true });
    const res = await resolveUserIds(client(), { mobiles: people.map((p) => p.mobile!), emails: [gone.email!] });
    expect(res.byMobile.size).toBe(120);
    expect(res.byMobile.get('13900000077')).toBe(people[77].openId);
    expect(res.byEmail.size).toBe(0);
    const calls = fake.requests.filter((r) => r.path === '/open-apis/contact/v3/users/batch_get_id');
    expect(calls.map((c) => c.body.mobiles.length)).toEqual([50, 50, 20]);
    expect(calls.map((c) => c.body.emails?.length ?? 0)).toEqual([1, 0, 0]);
  });

  it('makes no call for nothing, and the fake refuses a 51-long list as Feishu does', async () => {
    const res = await resolveUserIds(client(), { mobiles: ['  '], emails: [] });
    expect(res.byMobile.size + res.byEmail.size).toBe(0);
    expect(fake.requests.filter((r) => r.path.includes('batch_get_id'))).toHaveLength(0);
    const raw = await client().contact.v3.user.batchGetId({ params: { user_id_type: 'open_id' }, data: { emails: Array.from({ length: 51 }, (_, i) => `p${i}@example.com`) } }).catch((e) => e.response?.data);
    expect(raw.code).toBe(99992402);
  });

  it('finds no one by their Feishu Mail address (企业邮箱), which user.get gives as enterprise_email', async () => {
    const zhang = fake.addUser({ name: '张工', mobile: '13800000011', email: 'zhang@example.com', enterpriseEmail: 'zhang@qc-assoc.feishu.cn' });
    const res = await resolveUserIds(client(), { emails: ['zhang@qc-assoc.feishu.cn', 'zhang@example.com'] });
    expect([...res.byEmail]).toEqual([['zhang@example.com', zhang.openId]]);
    const got = await client().contact.v3.user.get({ path: { user_id: zhang.openId }, params: { user_id_type: 'open_id' } });
    expect(got.data?.user).toMatchObject({ email: 'zhang@example.com', enterprise_email: 'zhang@qc-assoc.feishu.cn', mobile: '+8613800000011' });
  });

  it('refuses user.get for someone outside the address book, as Feishu does for a user out of the app\'s contact range (41050)', async () => {
    const refused = await client()
      .contact.v3.user.get({ path: { user_id: 'ou_elsewhere000000000000000000001' }, params: { user_id_type: 'open_id' } })
      .then(() => undefined, (e: any) => ({ status: e.response?.status, data: e.response?.data }));
    expect(refused).toEqual({ status: 400, data: { code: 41050, msg: 'no user authority' } });
  });

  it('reads mainland numbers in the usual spellings as one', () => {
    expect(['13800000002', '+86 138-0000-0002', '86 13800000002', '(138) 0000 0002'].map(mobileKey)).toEqual(Array(4).fill('13800000002'));
    expect(mobileKey('+852 9123 4567')).toBe('+85291234567');
    // the international prefix dialled from China, and the dashes a word processor makes of a hyphen
    expect(['0086 13800000002', '0086-138-0000-0002', '138–0000–0002', '138—0000—0002', '+86‑138‑0000‑0002'].map(mobileKey)).toEqual(Array(5).fill('13800000002'));
    expect(mobileKey('00852 9123 4567')).toBe('+85291234567');
  });
});
