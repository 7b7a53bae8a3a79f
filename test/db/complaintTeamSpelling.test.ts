import { desc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complaints, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { fastSubmitComplaint } from '../../src/fast/complaint.js';
import { cardText } from '../support/cards.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { randomEventId } from '../support/larkEvents.js';

/**
 * A team's name typed with other brackets or spaces (佛山养护一班(东区), 佛山养护一班 （东区） for 佛山养护一班（东区）) is
 * that team, as two spellings are one team at registration (organization_key, migration 0007): in chat, on the chat
 * form on both paths, and on the public form, where a miss also counts against the address's refusals.
 */

const NOW = '2027-09-01T10:00:00+08:00';
const TEAM = '佛山养护一班（东区）';
const SPELLINGS = ['佛山养护一班(东区)', '佛山养护一班 （东区）', '佛山养护一班（ 东区 ）'];

let h: Harness;
let teamId: number;
let customers = 0;
const customer = () => `ou_spelling${String(++customers).padStart(25, '0')}`;

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock(NOW), env: { TRUST_PROXY: '1' } });
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '佛山市政养护有限公司' }).returning();
  await db.insert(people).values([{ openId: 'ou_spelling_leader000000000000000001' }, { openId: 'ou_spelling_contact00000000000000001', roles: ['org_contact'] }]);
  const [team] = await db
    .insert(teams)
    .values({
      code: 'GDSZ-2025-0061', name: TEAM, organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: 'ou_spelling_leader000000000000000001',
      phone: '0757-1234567', memberCount: 8, functions: '道路养护', goals: 'x', plan: 'y', contactOpenId: 'ou_spelling_contact00000000000000001', registeredAt: '2025-02-01',
    })
    .returning();
  teamId = team.id;
});
afterAll(async () => {
  await h?.close();
});

const latest = async () => (await h.db.db.select().from(complaints).orderBy(desc(complaints.id)).limit(1))[0];

describe('a team name typed with other brackets or spaces', () => {
  it.each(SPELLINGS)('投诉 %s opens the form of 佛山养护一班（东区）', async (typed) => {
    const who = customer();
    h.fake.reset();
    await h.say(who, `投诉 ${typed}`);
    const [form] = h.fake.messages.filter((m) => m.receiveId === who);
    expect(cardText(form.content)).toContain(`被投诉班组：**${TEAM}**`);
  });

  it('投诉 佛山养护一班(东区)，井盖松动 opens its form with the complaint filled in', async () => {
    const who = customer();
    h.fake.reset();
    await h.say(who, '投诉 佛山养护一班(东区)，井盖松动');
    const [form] = h.fake.messages.filter((m) => m.receiveId === who);
    expect(cardText(form.content)).toContain(`被投诉班组：**${TEAM}**`);
    expect(JSON.stringify(form.content)).toContain('井盖松动');
    expect(JSON.stringify(form.content)).not.toContain('东区)，井盖松动');
  });

  it.each(['fast', 'ordinary'] as const)('the chat form takes it on the %s path', async (mode) => {
    h.app.processor.fastPaths = mode === 'fast';
    try {
      for (const typed of SPELLINGS) {
        h.clock.advance(5 * 60_000);
        const body = await h.click(customer(), { action: 'complaint.submit', formKey: `spelling-${mode}-${typed}` }, { team: typed, content: '井盖松动' });
        expect(body.toast?.type, JSON.stringify(body)).toBe('success');
        expect((await latest()).teamId).toBe(teamId);
      }
    } finally {
      h.app.processor.fastPaths = true;
    }
  });

  it.skipIf(testDatabaseKind() !== 'postgres')('the one statement of the chat form finds it by itself (PostgreSQL)', async () => {
    for (const typed of SPELLINGS) {
      h.clock.advance(5 * 60_000);
      const done = await fastSubmitComplaint(h.db, {
        eventId: randomEventId(), eventType: 'card.action.trigger', openId: customer(), team: { name: typed }, content: '井盖松动', year: 2027,
        now: h.clock.now(), bootstrapAdmins: [ADMIN],
      });
      expect(done?.team.name).toBe(TEAM);
    }
  });

  it.each(SPELLINGS)('the public form takes %s', async (typed) => {
    const res = await fetch(`${h.app.url}/api/complaints`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.${10 + SPELLINGS.indexOf(typed)}` },
      // each its own complaint: the same words about the same team within a day are one complaint sent again
      body: JSON.stringify({ team: typed, content: `井盖松动，多日未修（第 ${SPELLINGS.indexOf(typed) + 1} 处）` }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    expect((await latest()).teamId).toBe(teamId);
  });
});
