import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * Every answer says X-Content-Type-Options: nosniff: the JSON API's refusals quote what a client sent (a team typed as
 * <script>…), and a browser must read them as the JSON they say they are, never sniff them as a page.
 */
describe('X-Content-Type-Options on every answer', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2027-03-10T09:00:00+08:00') });
  });
  afterAll(async () => h?.close());

  it('the JSON API refusing, the health probe, a callback refused, a route that is none', async () => {
    const post = (body: string, type = 'application/json') => fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers: { 'content-type': type }, body });
    const answers = [
      await post(JSON.stringify({ team: '<script>alert(1)</script>', content: '井盖松动' })),
      await post('{not json'),
      await post('x', 'text/plain'),
      await fetch(`${h.app.url}/healthz`),
      await fetch(`${h.app.url}/lark/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
      await fetch(`${h.app.url}/nowhere`),
    ];
    expect(answers[0].status).toBe(400);
    expect(await answers[0].text()).toContain('<script>');
    for (const a of answers) expect(a.headers.get('x-content-type-options'), `${a.url} ${a.status}`).toBe('nosniff');
  });
});
