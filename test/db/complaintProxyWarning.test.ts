import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * Behind a reverse proxy not declared in TRUST_PROXY, every public complainant is the proxy's address, and one
 * address's limit turns everyone away (“提交过于频繁”) with nothing said to whoever runs the bot. The first complaint
 * that comes with X-Forwarded-For while TRUST_PROXY is 0 says so in the log, once.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-03-01T10:00:00+08:00') });
});
afterAll(async () => {
  await h?.close();
});

const post = (headers: Record<string, string>) =>
  fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ team: 'GDSZ-2025-9999', content: '井盖松动' }) });
const warnings = () => h.logs.filter((l) => l.includes('X-Forwarded-For while TRUST_PROXY is 0'));

describe('a public complaint through an undeclared proxy', () => {
  it('says nothing without X-Forwarded-For, then once however many come with it', async () => {
    await post({});
    expect(warnings()).toHaveLength(0);
    await post({ 'x-forwarded-for': '203.0.113.7' });
    await post({ 'x-forwarded-for': '203.0.113.8' });
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toContain('set TRUST_PROXY to the number of proxies');
  });
});
