import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeOpenPlatform, type FakeOpenPlatform } from '../src/local/fakeOpenPlatform.js';

/**
 * The simulated platform refuses a call the app has no permission for, as Feishu does: HTTP 400, 99991672 "Access
 * denied. One of the following scopes is required: […]" (https://open.feishu.cn/document/server-docs/api-call-guide/generic-error-code),
 * whichever of the API's scopes is missing being enough; and a profile without a field permission leaves the field out.
 */
let fake: FakeOpenPlatform;
let token: string;
beforeAll(async () => {
  fake = await startFakeOpenPlatform({ appId: 'cli_scopes' });
  const res = await fetch(`${fake.url}/open-apis/auth/v3/tenant_access_token/internal`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ app_id: 'cli_scopes' }) });
  token = ((await res.json()) as { tenant_access_token: string }).tenant_access_token;
});
afterAll(async () => {
  await fake?.close();
});

const call = (method: string, path: string, body?: unknown) =>
  fetch(fake.url + path, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, ...(body ? { body: JSON.stringify(body) } : {}) }).then(async (r) => ({
    status: r.status,
    body: (await r.json()) as { code: number; msg: string; data?: { user?: Record<string, unknown>; user_list?: unknown[] } },
  }));

it('batch_get_id without contact:user.id:readonly: HTTP 400 99991672 naming it; answered again once granted', async () => {
  const user = fake.addUser({ name: '张三', mobile: '13900000001', email: 'z@example.com' });
  fake.revokeScopes('contact:user.id:readonly');
  const refused = await call('POST', '/open-apis/contact/v3/users/batch_get_id?user_id_type=open_id', { mobiles: ['13900000001'] });
  expect(refused.status).toBe(400);
  expect(refused.body.code).toBe(99991672);
  expect(refused.body.msg).toContain('[contact:user.id:readonly]');
  fake.grantScopes('contact:user.id:readonly');
  const found = await call('POST', '/open-apis/contact/v3/users/batch_get_id?user_id_type=open_id', { mobiles: ['13900000001'] });
  expect(found.body.data?.user_list).toEqual([expect.objectContaining({ user_id: user.openId })]);
});

it('a send needs one of im:message, im:message:send_as_bot, im:message:send: any one is enough', async () => {
  const send = () => call('POST', '/open-apis/im/v1/messages?receive_id_type=open_id', { receive_id: 'ou_scoped', msg_type: 'text', content: JSON.stringify({ text: 'x' }) });
  fake.revokeScopes('im:message', 'im:message:send');
  expect((await send()).body.code).toBe(0);
  fake.revokeScopes('im:message:send_as_bot');
  expect(await send()).toMatchObject({ status: 400, body: { code: 99991672 } });
  fake.reset();
  expect((await send()).body.code).toBe(0);
});

it('a profile without contact:user.phone:readonly has no mobile, without contact:user.base:readonly no name; without contact:contact.base:readonly (and the wider ones) it is refused', async () => {
  const user = fake.addUser({ name: '李四', mobile: '13900000002', email: 'l@example.com' });
  fake.revokeScopes('contact:user.phone:readonly');
  const profile = await call('GET', `/open-apis/contact/v3/users/${user.openId}?user_id_type=open_id`);
  expect(profile.body.data?.user).toMatchObject({ email: 'l@example.com' });
  expect(profile.body.data?.user).not.toHaveProperty('mobile');
  // the name is a field of its own permission too (字段权限要求 of `name`, https://open.feishu.cn/document/server-docs/contact-v3/user/get)
  expect(profile.body.data?.user).toMatchObject({ name: '李四' });
  fake.revokeScopes('contact:user.base:readonly');
  const nameless = await call('GET', `/open-apis/contact/v3/users/${user.openId}?user_id_type=open_id`);
  expect(nameless.body).toMatchObject({ code: 0, data: { user: { open_id: user.openId, email: 'l@example.com' } } });
  expect(nameless.body.data?.user).not.toHaveProperty('name');
  fake.revokeScopes('contact:contact.base:readonly', 'contact:contact:readonly_as_app', 'contact:contact:readonly');
  expect((await call('GET', `/open-apis/contact/v3/users/${user.openId}?user_id_type=open_id`)).body.code).toBe(99991672);
  fake.reset();
});

it('员工离职 (contact.user.deleted_v3) is sent only to an app holding one of its contact scopes; the person is resigned either way', async () => {
  const user = fake.addUser({ name: '王五' });
  fake.revokeScopes('contact:contact.base:readonly', 'contact:contact:readonly_as_app');
  expect(fake.resign(user.openId)).toBe(true); // contact:contact:access_as_app still held
  fake.revokeScopes('contact:contact:access_as_app');
  const other = fake.addUser({ name: '赵六' });
  expect(fake.resign(other.openId)).toBe(false);
  expect(fake.directory().find((p) => p.openId === other.openId)?.resigned).toBe(true);
  fake.grantScopes('contact:contact.base:readonly');
  expect(fake.resign(other.openId)).toBe(true);
  fake.reset();
});
