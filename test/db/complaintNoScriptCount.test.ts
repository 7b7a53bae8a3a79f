import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * The form redrawn by the server (posted without JavaScript, refused) counts the complaint's characters as the server and
 * the page's script do: by code point, an emoji one character, not two UTF-16 units.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-03-01T10:00:00+08:00'), env: { TRUST_PROXY: '1' } });
});
afterAll(async () => {
  await h?.close();
});

describe('the character count of a page drawn without JavaScript', () => {
  it('counts 1500 characters holding emoji as 1500', async () => {
    const page = await (await fetch(`${h.app.url}/complaints/new`)).text();
    const token = /name="form_token" value="([^"]+)"/.exec(page)![1];
    const content = '井盖松动😀'.repeat(300);
    const res = await fetch(`${h.app.url}/api/complaints`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html,*/*;q=0.8', 'x-forwarded-for': '198.51.100.201' },
      body: new URLSearchParams({ team: '不存在的班组', content, contact: '', website: '', form_token: token }).toString(),
    });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(/<div class="count" id="content-count"[^>]*>([^<]*)<\/div>/.exec(html)?.[1]).toBe('1500 / 2000');
  });
});
