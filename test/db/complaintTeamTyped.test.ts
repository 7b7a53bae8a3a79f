import { desc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complaints, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardText } from '../support/cards.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * 投诉 and the team as people type it (第二十一条): in quotes or 《》, after a dash, a colon or a comma, in traditional
 * characters, or a code followed at once by the complaint. Each opens the team's form, the words after it filled in.
 */

const TEAM = '广州养护一班';
const CODE = 'GDSZ-2025-0001';

let h: Harness;
let teamId: number;
let customers = 0;
let posted = 0;
const customer = () => `ou_typedteam${String(++customers).padStart(24, '0')}`;

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-09-01T10:00:00+08:00'), env: { TRUST_PROXY: '1' } });
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '广州市市政工程维修有限公司' }).returning();
  await db.insert(people).values([{ openId: 'ou_typedteam_leader0000000000000001' }, { openId: 'ou_typedteam_contact000000000000001', roles: ['org_contact'] }]);
  const [team] = await db
    .insert(teams)
    .values({
      code: CODE, name: TEAM, organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: 'ou_typedteam_leader0000000000000001',
      phone: '020-12345678', memberCount: 8, functions: '道路养护', goals: 'x', plan: 'y', contactOpenId: 'ou_typedteam_contact000000000000001', registeredAt: '2025-02-01',
    })
    .returning();
  teamId = team.id;
});
afterAll(async () => {
  await h?.close();
});

/** The one message `text` brought its sender. */
async function formFor(text: string) {
  const who = customer();
  h.fake.reset();
  await h.say(who, text);
  const sent = h.fake.messages.filter((m) => m.receiveId === who);
  expect(sent).toHaveLength(1);
  return sent[0].content;
}

const latest = async () => (await h.db.db.select().from(complaints).orderBy(desc(complaints.id)).limit(1))[0];

describe('投诉 and the team as people type it', () => {
  it.each(['投诉 “广州养护一班”', '投诉《广州养护一班》', '投诉-广州养护一班', '投诉：广州养护一班', 'complain - 广州养护一班', 'Complain，广州养护一班', '投訴 廣州養護一班', '投訴廣州養護一班'])(
    '%s opens the form of 广州养护一班',
    async (text) => {
      const form = await formFor(text);
      expect(cardText(form)).toContain(`被投诉班组：**${TEAM}**`);
      expect(cardText(form)).not.toContain('找不到班组');
    },
  );

  it.each([
    `投诉 ${CODE}，井盖松动`,
    `投诉 ${CODE}：井盖松动`,
    `投诉${CODE}，井盖松动`,
    `投诉${CODE}井盖松动`,
    '投诉《广州养护一班》井盖松动',
    '投诉 “广州养护一班”，井盖松动',
  ])('%s opens its form with 井盖松动 as the complaint', async (text) => {
    const form = await formFor(text);
    expect(cardText(form)).toContain(`被投诉班组：**${TEAM}**`);
    expect(JSON.stringify(form)).toContain('"default_value":"井盖松动"');
  });

  it.each(['投诉，怎么处理', 'complain, how does it work'])('%s is still a question about complaints', async (text) => {
    expect(cardText(await formFor(text))).toContain('第二十二条');
  });

  it.each(['fast', 'ordinary'] as const)('the chat form takes the team in quotes or in traditional characters on the %s path', async (mode) => {
    h.app.processor.fastPaths = mode === 'fast';
    try {
      for (const typed of ['《广州养护一班》', '“广州养护一班”', '廣州養護一班', `- ${CODE}`]) {
        h.clock.advance(5 * 60_000);
        const body = await h.click(customer(), { action: 'complaint.submit', formKey: `typed-${mode}-${typed}` }, { team: typed, content: '井盖松动' });
        expect(body.toast?.type, `${typed}: ${JSON.stringify(body)}`).toBe('success');
        expect((await latest()).teamId).toBe(teamId);
      }
    } finally {
      h.app.processor.fastPaths = true;
    }
  });

  it.each(['“广州养护一班”', '《广州养护一班》', '廣州養護一班'])('the public form takes %s', async (typed) => {
    const res = await fetch(`${h.app.url}/api/complaints`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.${customers}` },
      // each its own complaint: the same words about the same team within a day are one complaint sent again
      body: JSON.stringify({ team: typed, content: `井盖松动，多日未修（第 ${++posted} 处）` }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    expect((await latest()).teamId).toBe(teamId);
  });
});

describe('投诉 with a team named only in general', () => {
  // "a team" names no team: the empty form, not 找不到班组“a team” with it filled in as the team
  it.each(['I want to complain about a team', 'complain about the team', 'complaint against a team', '投诉 一个班组', '投诉 某班组', '我要投诉 某个班组', 'complain about', 'complaint against', 'Complain about.'])('%s opens the empty form', async (text) => {
    const card = await formFor(text);
    const shown = cardText(card);
    expect(shown).not.toContain('找不到班组');
    expect(shown).not.toContain('请修改');
    expect(JSON.stringify(card)).toContain('"name":"team"');
    expect(JSON.stringify(card)).not.toMatch(/"default_value":"(?:a team|the team|一个班组|某班组|某个班组)"/);
  });
});

describe('complaint list typed by someone who is no administrator', () => {
  // they have no list to handle: their own complaints, as 我的投诉 lists them, not a team named “list”
  it.each(['complaint list', 'Complaint List', '投诉 清单', '投诉 列表'])('%s lists their own complaints', async (text) => {
    const who = customer();
    h.fake.reset();
    await h.say(who, text);
    const [answer] = h.fake.messages.filter((m) => m.receiveId === who);
    expect(answer.content.text, text).toMatch(/^你还没有在飞书提交过投诉/);
  });
});
