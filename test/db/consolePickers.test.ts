import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LocalConsole } from '../../src/local/console.js';
import { asFeishuPickerValues } from '../../src/local/feishuEvents.js';
import { p2pChatIdFor } from '../../src/local/fakeOpenPlatform.js';
import { createLogger } from '../../src/log.js';
import { ADMIN, type Harness, startHarness, TEST_ENCRYPT_KEY, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { decryptPayload } from '../support/larkEvents.js';

/**
 * Local mode's console sends a form's date and time pickers as Feishu's client does: the value chosen and the chooser's
 * UTC offset, "2024-04-01 +0800", "00:00 +0800", "2024-04-29 07:07 +0800" (the callback sample of
 * https://open.feishu.cn/document/feishu-cards/card-callback-communication), not the browser's bare "2024-04-01".
 */
let h: Harness;
let server: ReturnType<typeof createServer>;
const received: Record<string, unknown>[] = [];
beforeAll(async () => {
  h = await startHarness();
  // stands in for the bot: keeps what each callback carried, answers with nothing to change
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    received.push(JSON.parse(decryptPayload(TEST_ENCRYPT_KEY, JSON.parse(Buffer.concat(chunks).toString('utf8')).encrypt)));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await h?.close();
});

const form = {
  schema: '2.0',
  config: { update_multi: true },
  body: {
    elements: [
      {
        tag: 'form',
        name: 'f',
        elements: [
          { tag: 'date_picker', name: 'day', placeholder: { tag: 'plain_text', content: '日期' } },
          { tag: 'input', name: 'note', placeholder: { tag: 'plain_text', content: '备注' } },
          { tag: 'button', name: 'go', text: { tag: 'plain_text', content: '提交' }, form_action_type: 'submit', behaviors: [{ type: 'callback', value: { action: 'x.submit' } }] },
        ],
      },
    ],
  },
};

it('a submit through the console carries each picker’s value with the offset, other fields as typed', async () => {
  const token = ((await (await fetch(`${h.fake.url}/open-apis/auth/v3/tenant_access_token/internal`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ app_id: 'cli_test', app_secret: 'test-secret' }) })).json()) as { tenant_access_token: string }).tenant_access_token;
  const sent = await fetch(`${h.fake.url}/open-apis/im/v1/messages?receive_id_type=open_id`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ receive_id: ADMIN, msg_type: 'interactive', content: JSON.stringify(form) }),
  });
  const answer = (await sent.json()) as { code: number; msg: string; data: { message_id: string } };
  expect(answer.msg).toBe('success');
  const messageId = answer.data.message_id;
  const local = new LocalConsole({ database: h.db, platform: h.fake, secrets: { encryptKey: TEST_ENCRYPT_KEY, verificationToken: TEST_VERIFICATION_TOKEN }, baseUrl: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`, log: createLogger('silent') });
  await local.restored;
  const clicked = await local.click({ openId: ADMIN, chatId: p2pChatIdFor(ADMIN), messageId, value: { action: 'x.submit' }, formValue: { day: '2027-05-31', note: '2027-05-31' } });
  expect(clicked.status).toBe(200);
  const action = (received.at(-1) as { event: { action: { form_value: Record<string, unknown> } } }).event.action;
  expect(action.form_value).toEqual({ day: '2027-05-31 +0800', note: '2027-05-31' });
});

it('a time and a date-and-time picker likewise; a value that carries an offset already, or none, is left as it is', () => {
  const pickers = { body: { elements: [{ tag: 'picker_time', name: 'time' }, { tag: 'picker_datetime', name: 'at' }, { tag: 'date_picker', name: 'day' }] } };
  expect(asFeishuPickerValues(pickers, { time: '09:30', at: '2027-05-31T09:30', day: '2027-05-31 +0800' })).toEqual({ time: '09:30 +0800', at: '2027-05-31 09:30 +0800', day: '2027-05-31 +0800' });
  expect(asFeishuPickerValues(pickers, { time: '', day: undefined })).toEqual({ time: '', day: undefined });
});
