import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedLocal } from '../../src/local/seed.js';
import { cardText } from '../support/cards.js';
import { startHarness, type Harness } from '../support/harness.js';

/**
 * The local console's seeded experts, as 王管理员 first meets them in 专家库: their 专业特长 are words an association
 * would type (市政道路, 质量检测), not the application categories' codes (engineering, maintenance) shown as they are.
 */
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await seedLocal(h.db.db);
});
afterAll(async () => {
  await h?.close();
});

describe('the local seed', () => {
  it('shows its experts’ specialities in Chinese in 专家库', async () => {
    const answer = await h.click('ou_local_admin', { action: 'experts.list' });
    const text = cardText(answer.card.data);
    for (const name of ['陈专家', '刘专家', '黄专家']) expect(text).toContain(name);
    expect(text).toContain('市政道路');
    expect(text).not.toMatch(/engineering|maintenance|testing|operation|service/);
  });
});
