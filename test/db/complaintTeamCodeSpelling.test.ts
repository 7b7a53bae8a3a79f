import { desc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complaints, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { readCode } from '../../src/forms.js';
import { cardText } from '../support/cards.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * A team's code typed with spaces, another dash or none between its parts, its serial not padded, or a full stop after
 * it (GDSZ 2025 0071, GDSZ20250071, GDSZ—2025—0071, GDSZ-2025-71, GDSZ-2025-0071。) is that team: on the public form, on
 * the chat form on both paths, and after 投诉 in chat, where the complaint typed after the code fills the form's content.
 */

const NOW = '2027-09-01T10:00:00+08:00';
const CODE = 'GDSZ-2025-0071';
const TEAM = '江门道路养护组';
const SPELLINGS = ['GDSZ 2025 0071', 'GDSZ20250071', 'GDSZ—2025—0071', 'GDSZ–2025–0071', 'GDSZ-2025-71', 'GDSZ-2025-0071。', 'gdsz 2025 71.', 'ＧＤＳＺ　２０２５　００７１'];

let h: Harness;
let teamId: number;
let customers = 0;
const customer = () => `ou_codespell${String(++customers).padStart(24, '0')}`;

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock(NOW), env: { TRUST_PROXY: '1' } });
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '江门市政养护有限公司' }).returning();
  await db.insert(people).values([{ openId: 'ou_codespell_leader00000000000000001' }, { openId: 'ou_codespell_contact0000000000000001', roles: ['org_contact'] }]);
  const [team] = await db
    .insert(teams)
    .values({
      code: CODE, name: TEAM, organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: 'ou_codespell_leader00000000000000001',
      phone: '0750-1234567', memberCount: 8, functions: '道路养护', goals: 'x', plan: 'y', contactOpenId: 'ou_codespell_contact0000000000000001', registeredAt: '2025-02-01',
    })
    .returning();
  teamId = team.id;
});
afterAll(async () => {
  await h?.close();
});

const latest = async () => (await h.db.db.select().from(complaints).orderBy(desc(complaints.id)).limit(1))[0];

describe('a team code typed with other separators', () => {
  it('readCode reads a team code or a certificate number as issued, and leaves other codes as they were', () => {
    for (const typed of SPELLINGS) expect(readCode(typed), typed).toBe(CODE);
    expect(readCode('gdsz zs 2027 1')).toBe('GDSZ-ZS-2027-0001');
    expect(readCode('GDSZ-2027-00002')).toBe('GDSZ-2027-00002');
    expect(readCode(' ab-12 ')).toBe('AB-12');
    expect(readCode('江门道路养护组。')).toBe('江门道路养护组。');
  });

  it.each(SPELLINGS)('the public form takes %s', async (typed) => {
    const res = await fetch(`${h.app.url}/api/complaints`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.${20 + SPELLINGS.indexOf(typed)}` },
      body: JSON.stringify({ team: typed, content: `井盖松动，多日未修（${SPELLINGS.indexOf(typed)}）` }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    expect((await latest()).teamId).toBe(teamId);
  });

  it.each([`${TEAM}。`, `“${TEAM}”！`, `${TEAM}？`])('the public form takes the team\'s name with the sentence\'s end after it: %s', async (typed) => {
    const res = await fetch(`${h.app.url}/api/complaints`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.${60 + typed.length}` },
      body: JSON.stringify({ team: typed, content: `路面坑洼，多日未修（${typed}）` }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    expect((await latest()).teamId).toBe(teamId);
  });

  it.each(['fast', 'ordinary'] as const)('the chat form takes them on the %s path', async (mode) => {
    h.app.processor.fastPaths = mode === 'fast';
    try {
      for (const typed of SPELLINGS) {
        h.clock.advance(5 * 60_000);
        const body = await h.click(customer(), { action: 'complaint.submit', formKey: `codespell-${mode}-${typed}` }, { team: typed, content: '井盖松动' });
        expect(body.toast?.type, `${typed}: ${JSON.stringify(body)}`).toBe('success');
        expect((await latest()).teamId).toBe(teamId);
      }
    } finally {
      h.app.processor.fastPaths = true;
    }
  });

  it.each(['GDSZ 2025 0071 井盖松动', 'GDSZ-2025-0071。井盖松动', 'GDSZ20250071，井盖松动', 'gdsz—2025—71 井盖松动'])('投诉 %s opens the team\'s form with the complaint filled in', async (typed) => {
    const who = customer();
    h.fake.reset();
    await h.say(who, `投诉 ${typed}`);
    const [form] = h.fake.messages.filter((m) => m.receiveId === who);
    expect(cardText(form.content)).toContain(`被投诉班组：**${TEAM}**`);
    const json = JSON.stringify(form.content);
    expect(json).toContain('井盖松动');
    expect(json).not.toContain('2025 0071 井盖松动');
    expect(json).not.toContain('找不到班组');
  });
});
