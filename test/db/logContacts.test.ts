import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../support/harness.js';
import { registrationForm, startSecurityHarness } from './securityFixture.js';

/**
 * A refusal is logged with its reason, which may quote a contact's mobile or e-mail a leader typed (第十五条: the
 * 单位联系人 found by either): the log keeps the refusal, not the third party's number (src/log.ts withoutContacts).
 */

const NEW_LEADER = 'ou_logcontacts0000000000000000000001';
let h: Harness;
beforeAll(async () => {
  ({ h } = await startSecurityHarness());
});
afterAll(async () => {
  await h?.close();
});

describe('a refusal quoting a contact typed by mobile or e-mail', () => {
  it('is logged without the mobile or the address', async () => {
    for (const typed of ['13812345678', 'nobody.here@example.com']) {
      const res = await h.click(NEW_LEADER, { action: 'team.register' }, registrationForm(typed.length, { contact: '', contactLookup: typed }));
      expect(res.toast.type).toBe('error');
      // the leader is told what they typed; the log line says the same with it masked
      expect(res.toast.content).toContain(typed);
      const refused = h.logs.filter((l) => l.includes('card action refused') && l.includes('team.register'));
      expect(refused.length).toBeGreaterThan(0);
      expect(h.logs.filter((l) => l.includes(typed))).toEqual([]);
    }
    expect(h.logs.some((l) => l.includes('[号码]'))).toBe(true);
    expect(h.logs.some((l) => l.includes('[邮箱]'))).toBe(true);
  });
});
