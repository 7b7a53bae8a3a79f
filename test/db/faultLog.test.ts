import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { registrationForm } from '../support/forms.js';
import { type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActionEvent } from '../support/larkEvents.js';

/**
 * A database fault while saving what a member of the public typed (第十五条's complaint, with a phone number):
 * the log says which query failed and why, and nothing of what was typed.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-03-01T10:00:00+08:00') });
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '江门市政养护有限公司' }).returning();
  await db.insert(people).values([{ openId: 'ou_leader_x' }, { openId: 'ou_contact_x', roles: ['org_contact'] }]);
  await db.insert(teams).values({
    code: 'GDSZ-2025-0041', name: '江门道路养护组', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: 'ou_leader_x',
    phone: '0750-1234567', memberCount: 8, functions: '道路养护', goals: '合格率 98%', plan: '每月巡查', contactOpenId: 'ou_contact_x', registeredAt: '2025-02-01',
  });
});
afterAll(async () => {
  await h?.close();
});

it('a complaint that cannot be stored: a 500, and a log line naming the failed query but not the complaint, its phone or the team it names', async () => {
  await h.db.db.execute(sql`alter table complaints rename to complaints_away`);
  let res: Response;
  try {
    res = await fetch(`${h.app.url}/api/complaints`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ team: '江门道路养护组', content: '施工队夜间扰民并辱骂居民\n    at 张三', contact: '13912345678', website: '' }),
    });
  } finally {
    await h.db.db.execute(sql`alter table complaints_away rename to complaints`);
  }
  expect(res.status).toBe(500);
  const line = h.logs.find((l) => l.includes('request failed'));
  expect(line).toBeDefined();
  for (const typed of ['13912345678', '辱骂居民', '张三']) expect(line).not.toContain(typed);
  const err = JSON.parse(line!).err as { message: string; stack: string; params?: unknown; cause?: { code?: string; message?: string } };
  expect(err.params).toBeUndefined();
  // what failed is still there: the query and PostgreSQL's reason (42P01: relation does not exist)
  expect(err.message).toContain('complaints');
  expect(err.message).toContain('params: [not logged]');
  expect(err.stack).toMatch(/\n {4}at /);
  expect(err.cause?.code).toBe('42P01');
});

it('over the long connection, a card action whose query fails is answered with an error toast, and the error logged holds nothing typed', async () => {
  const typed = registrationForm('夜班抢修突击队', 'ou_contact_x', { phone: '13987654321' });
  const payload = cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: 'ou_leader_x', value: { action: 'team.register' }, formValue: typed });
  await h.db.db.execute(sql`alter table organizations rename to organizations_away`);
  let answer: unknown;
  // the ordinary path's queries are Drizzle's, whose error message carries the params (the one statement's do not)
  h.app.processor.fastPaths = false;
  try {
    answer = await h.app.processor.createDispatcher().invoke(payload, { needCheck: false });
  } finally {
    h.app.processor.fastPaths = true;
    await h.db.db.execute(sql`alter table organizations_away rename to organizations`);
  }
  // Feishu gets an answer it shows, not the SDK's error (which node-sdk's WSClient would log as `${error}`)
  expect(answer).toMatchObject({ toast: { type: 'error', content: expect.stringContaining('请稍后再试一次') } });
  const line = h.logs.find((l) => l.includes('card action failed'));
  expect(line).toBeDefined();
  // what failed is there, scrubbed: the query and PostgreSQL's reason, not the values typed
  expect(line).toContain('organizations');
  expect(line).toContain('params: [not logged]');
  for (const value of ['夜班抢修突击队', '13987654321']) expect(line).not.toContain(value);
});
