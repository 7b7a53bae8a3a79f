import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActionEvent, messageEvent } from '../support/larkEvents.js';

/**
 * An event whose ids (event, message, chat, sender) hold NUL: PostgreSQL's text refuses it, so the message event failed
 * with a 500 (and Feishu sends an event again and again until it gets a 200) and a click answered "出了点问题" with an
 * error logged. The payload is cleaned as typed text is (`storable`) before any handler sees it.
 */
describe('NUL in the ids of a signed event', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });
  const errors = () => h.logs.filter((l) => /"level":(50|60)/.test(l));

  it('a message is answered, not failed', async () => {
    const res = await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, appId: 'cli_test', openId: ADMIN, text: '帮助', eventId: 'ev_nul\u0000one', messageId: 'om_nul\u0000one' }));
    await h.drain();
    expect(res.status).toBe(200);
    expect(errors()).toEqual([]);
    // the menu went to the administrator
    expect(h.fake.messages.some((m) => m.receiveId === ADMIN || m.replyTo === 'om_nulone')).toBe(true);
  });

  it('a message from a sender id with NUL is answered, not failed', async () => {
    const res = await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, appId: 'cli_test', openId: 'ou_nul\u0000sender00000000000000000000', text: '帮助', eventId: 'ev_nul_two' }));
    await h.drain();
    expect(res.status).toBe(200);
    expect(errors()).toEqual([]);
  });

  it('a click is answered with its card, not “出了点问题”', async () => {
    const body = await h.click(ADMIN, { action: 'help.menu\u0000' }, undefined, { eventId: 'ec_nul\u0000three', messageId: 'om_nul\u0000three' });
    expect(JSON.stringify(body)).not.toContain('出了点问题');
    expect(body.card ?? body.toast).toBeTruthy();
    expect(errors()).toEqual([]);
  });
});
