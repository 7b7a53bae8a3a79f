import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complaints, honours, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText } from '../support/cards.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * A complainant who knows only the organisation they dealt with (投诉 广州市政工程有限公司) was told 找不到班组 and no
 * more. Now the organisation's name (any spelling organisations are told apart by, or part of one organisation's) is
 * answered with its teams that hold the title now, by name and code: in chat a button each opening that team's form,
 * on the public form and the JSON API in the refusal and its `suggestions`; an organisation holding none is told so
 * plainly. Nothing is filed; a team that never held the title, or whose title was revoked, is not offered.
 */

const ORG = '广州市政工程有限公司';
const HELD = { name: '路面养护一班', code: 'GDSZ-2026-0101' };
// its 2025 title revoked, awarded again for 2026: it holds the title
const HELD_AGAIN = { name: '排水养护班', code: 'GDSZ-2026-0104' };
const REVOKED = { name: '路面养护二班', code: 'GDSZ-2026-0102' };
const NEVER = { name: '桥梁检修班', code: 'GDSZ-2026-0103' };
const UNTITLED_ORG = '佛山排水工程有限公司';
const UNTITLED_TEAM = { name: '佛山排水一班', code: 'GDSZ-2026-0105' };
const NOT_HELD = [REVOKED, NEVER, UNTITLED_TEAM];
// a name as someone may register it, with what Feishu's markdown and a page would read as markup
const HOSTILE_ORG = '星光**市政**<at id=all></at>[公司](https://evil.example)';
const HOSTILE_TEAM = { name: '星光养护班', code: 'GDSZ-2026-0106' };

let h: Harness;
const ids: Record<string, number> = {};
let customers = 0;
const customer = () => `ou_orgcomplaint${String(++customers).padStart(21, '0')}`;
let addresses = 0;
const address = () => `198.51.100.${++addresses}`;

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-09-01T10:00:00+08:00'), env: { TRUST_PROXY: '1' } });
  const db = h.db.db;
  const [org, untitled, hostile] = await db
    .insert(organizations)
    .values([{ name: ORG }, { name: UNTITLED_ORG }, { name: HOSTILE_ORG }, { name: '广州路桥有限公司' }, { name: '广州路桥二公司' }])
    .returning();
  await db.insert(people).values([{ openId: 'ou_orgcomplaint_leader000000000001' }, { openId: 'ou_orgcomplaint_contact00000000001', roles: ['org_contact'] }]);
  const team = (t: { name: string; code: string }, organizationId: number) => ({
    ...t, organizationId, department: '养护部', type: 'project', leaderOpenId: 'ou_orgcomplaint_leader000000000001',
    phone: '020-12345678', memberCount: 8, functions: '道路养护', goals: 'x', plan: 'y', contactOpenId: 'ou_orgcomplaint_contact00000000001', registeredAt: '2025-02-01',
  });
  const rows = await db
    .insert(teams)
    .values([team(HELD, org.id), team(HELD_AGAIN, org.id), team(REVOKED, org.id), team(NEVER, org.id), team(UNTITLED_TEAM, untitled.id), team(HOSTILE_TEAM, hostile.id)])
    .returning();
  for (const r of rows) ids[r.code] = r.id;
  await db.insert(honours).values([
    { teamId: ids[HELD.code], year: 2026, awardedAt: new Date('2026-12-01T00:00:00Z') },
    { teamId: ids[HOSTILE_TEAM.code], year: 2026, awardedAt: new Date('2026-12-01T00:00:00Z') },
    { teamId: ids[HELD_AGAIN.code], year: 2025, awardedAt: new Date('2025-12-01T00:00:00Z'), revokedAt: new Date('2026-06-01T00:00:00Z'), revokedReason: '连续投诉' },
    { teamId: ids[HELD_AGAIN.code], year: 2026, awardedAt: new Date('2026-12-01T00:00:00Z') },
    { teamId: ids[REVOKED.code], year: 2026, awardedAt: new Date('2026-12-01T00:00:00Z'), revokedAt: new Date('2027-06-01T00:00:00Z'), revokedReason: '连续投诉' },
    // the untitled organisation's team once held it, revoked since
    { teamId: ids[UNTITLED_TEAM.code], year: 2026, awardedAt: new Date('2026-12-01T00:00:00Z'), revokedAt: new Date('2027-06-01T00:00:00Z'), revokedReason: '连续投诉' },
  ]);
});
afterAll(async () => {
  await h?.close();
});

const stored = async () => (await h.db.db.select().from(complaints)).length;
/** The title holders a card's buttons open (in either order). */
const offered = (json: string) => [HELD, HELD_AGAIN].filter((t) => json.includes(`"action":"complaint.start","teamId":${ids[t.code]}`));

async function say(text: string) {
  const who = customer();
  h.fake.reset();
  await h.say(who, text);
  const sent = h.fake.messages.filter((m) => m.receiveId === who);
  expect(sent, text).toHaveLength(1);
  return { who, card: sent[0].content };
}

describe('an organisation named after 投诉, in chat', () => {
  it.each([
    ['its name', `投诉 ${ORG}`, `“${ORG}”是单位名称。该单位获得“质量信得过班组”称号的班组有 2 个`],
    ['spelled with spaces and full width', '投诉 广州市政工程　有限 公司', '是单位名称。该单位获得“质量信得过班组”称号的班组有 2 个'],
    ['glued to 投诉', `投诉${ORG}`, `“${ORG}”是单位名称。`],
    ['in quotes', `投诉 “${ORG}”`, '是单位名称。'],
    ['part of its name', '投诉 市政工程有限', `找不到班组“市政工程有限”。与它相符的单位“${ORG}”获得“质量信得过班组”称号的班组有 2 个`],
    ['complain, in English', `complain ${ORG}`, '是单位名称。'],
  ])('%s (%s): its title holders, a button each, no other team', async (_, text, says) => {
    const before = await stored();
    const { card } = await say(text);
    expect(cardText(card)).toContain(says);
    const json = JSON.stringify(card);
    expect(offered(json)).toEqual([HELD, HELD_AGAIN]);
    expect(cardActions(card).filter((a) => a.action === 'complaint.start')).toHaveLength(2);
    for (const t of NOT_HELD) expect(json).not.toContain(t.name);
    expect(json).toContain(HELD.code);
    expect(await stored()).toBe(before);
  });

  it('a button opens that team’s form, and the complaint is filed against it', async () => {
    const { who } = await say(`投诉 ${ORG}`);
    const opened = await h.click(who, { action: 'complaint.start', teamId: ids[HELD.code] });
    expect(cardText(opened.card.data)).toContain(`被投诉班组：**${HELD.name}**`);
    const before = await stored();
    const sent = await h.click(who, { action: 'complaint.submit', teamId: ids[HELD.code], formKey: 'org-1' }, { content: '路面修补后又开裂。', contact: '' });
    expect(sent.toast.type).toBe('success');
    expect(await stored()).toBe(before + 1);
  });

  // whether a company is in the register (registered teams, never won or lost its title) is nobody's to learn by typing
  it.each([
    ['its whole name', UNTITLED_ORG, '佛山某某不存在有限公司'],
    ['part of its name', '排水工程有限', '某某不存在有'],
  ])('an organisation holding no title (%s) is answered as a name nobody registered', async (_, typed, unknown) => {
    const before = await stored();
    const { card } = await say(`投诉 ${typed}`);
    const { card: unknownCard } = await say(`投诉 ${unknown}`);
    const text = cardText(card);
    expect(text).toContain(`找不到班组“${typed}”`);
    expect(text).not.toMatch(/单位名称|相符的单位/);
    expect(text.split(typed).join('<typed>')).toBe(cardText(unknownCard).split(unknown).join('<typed>'));
    expect(cardActions(card).some((a) => a.action === 'complaint.start')).toBe(false);
    expect(JSON.stringify(card)).not.toContain(UNTITLED_TEAM.name);
    expect(await stored()).toBe(before);
  });

  it('part of several organisations’ names is no organisation: 找不到班组 as before', async () => {
    const { card } = await say('投诉 广州路桥');
    expect(cardText(card)).toContain('找不到班组“广州路桥”。');
    expect(cardText(card)).not.toContain('单位名称');
  });

  it('what was typed is shown as text, not read as markup', async () => {
    const { card } = await say(`投诉 ${HOSTILE_ORG}`);
    const json = JSON.stringify(card);
    expect(json).toContain(`"action":"complaint.start","teamId":${ids[HOSTILE_TEAM.code]}`);
    expect(cardText(card)).toContain('是单位名称');
    expect(json).not.toContain('<at id=all>');
    expect(json).not.toContain('**市政**');
    expect(json).not.toContain('](https://evil.example)');
  });

  it('the chat form sent with the organisation for the team is refused with its title holders as buttons', async () => {
    const who = customer();
    const before = await stored();
    const body = await h.click(who, { action: 'complaint.submit', formKey: 'org-2' }, { team: ORG, content: '井盖松动', contact: '13800000001' });
    expect(await stored()).toBe(before);
    const text = cardText(body.card.data);
    expect(text).toContain(`“${ORG}”是单位名称，不是班组名称。该单位获得“质量信得过班组”称号的班组有 2 个：`);
    expect(text).toContain(`“${HELD.name}”（${HELD.code}）`);
    expect(text).toContain('请点击下方的班组');
    const json = JSON.stringify(body.card.data);
    expect(json).toContain(`"action":"complaint.start","teamId":${ids[HELD.code]},"content":"井盖松动","contact":"13800000001"`);
    for (const t of NOT_HELD) expect(json).not.toContain(t.name);
  });
});

async function postJson(team: string) {
  const res = await fetch(`${h.app.url}/api/complaints`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': address() },
    body: JSON.stringify({ team, content: '人行道砖松动，雨后积水。', contact: '13800000000' }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe('an organisation typed for the team, on the public form', () => {
  it('the JSON API names its title holders by name and code, in the message and its suggestions, and files nothing', async () => {
    const before = await stored();
    const r = await postJson(ORG);
    expect(r.status).toBe(400);
    expect(r.body.field).toBe('team');
    expect(r.body.msg).toContain(`“${ORG}”是单位名称，不是班组名称。该单位获得“质量信得过班组”称号的班组有 2 个：`);
    expect(r.body.msg).toContain(`“${HELD.name}”（${HELD.code}）`);
    expect(r.body.msg).toContain(`“${HELD_AGAIN.name}”（${HELD_AGAIN.code}）`);
    expect(r.body.msg).toContain('请把被投诉班组改为其中一个的全称或编号后重新提交');
    expect(r.body.msg).not.toContain('点击');
    expect([...r.body.suggestions].sort((a: any, b: any) => a.code.localeCompare(b.code))).toEqual([HELD, HELD_AGAIN]);
    for (const t of NOT_HELD) expect(r.body.msg).not.toContain(t.name);
    expect(await stored()).toBe(before);
  });

  it.each([
    ['its whole name', UNTITLED_ORG, '佛山某某不存在有限公司'],
    ['part of its name', '排水工程有限', '某某不存在有'],
  ])('an organisation holding no title (%s): the answer a name nobody registered gets, nothing suggested', async (_, typed, unknown) => {
    const r = await postJson(typed);
    const u = await postJson(unknown);
    expect(r.status).toBe(400);
    expect(r.status).toBe(u.status);
    expect(r.body.msg).toContain(`找不到班组“${typed}”`);
    expect(r.body.msg).not.toMatch(/单位名称|相符的单位/);
    expect(r.body.suggestions).toBeUndefined();
    expect({ ...r.body, msg: r.body.msg.split(typed).join('<typed>') }).toEqual({ ...u.body, msg: u.body.msg.split(unknown).join('<typed>') });
    const page = async (team: string) => {
      const res = await fetch(`${h.app.url}/api/complaints`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', 'x-forwarded-for': address() },
        body: new URLSearchParams({ team, content: '人行道砖松动。', contact: '' }).toString(),
      });
      return { status: res.status, text: (await res.text()).split(team).join('<typed>') };
    };
    const [p, pu] = [await page(typed), await page(unknown)];
    expect(p.status).toBe(400);
    // the page draws a fresh token and nonce each time: compared without them
    const untokened = (t: string) => t.replace(/(name="form_token" value|nonce)="[^"]*"/g, '$1');
    expect(untokened(p.text)).toBe(untokened(pu.text));
  });

  it('the page posted without JavaScript lists them under the team field', async () => {
    const res = await fetch(`${h.app.url}/api/complaints`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', 'x-forwarded-for': address() },
      body: new URLSearchParams({ team: ORG, content: '人行道砖松动。', contact: '' }).toString(),
    });
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain(`<p class="field-error" id="team-error">“${ORG}”是单位名称，不是班组名称。该单位获得“质量信得过班组”称号的班组有 2 个：`);
  });

  it('what was typed is shown as text on the page', async () => {
    const res = await fetch(`${h.app.url}/api/complaints`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', 'x-forwarded-for': address() },
      body: new URLSearchParams({ team: HOSTILE_ORG, content: '人行道砖松动。', contact: '' }).toString(),
    });
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain(`“${HOSTILE_TEAM.name}”（${HOSTILE_TEAM.code}）`);
    expect(page).not.toContain('<at id=all>');
  });

  it('a team of that organisation named then is filed', async () => {
    const before = await stored();
    expect((await postJson(HELD.code)).status).toBe(201);
    expect(await stored()).toBe(before + 1);
  });
});

/**
 * Teams often carry their company's name (东莞市政公司养护一班): the whole name of an organisation holding the title was
 * taken for part of those teams' names, and 投诉 <单位全称> opened one of them, any organisation's and titled or not, or
 * filed the complaint against it. It now names the organisation's title holders; part of team names still finds those.
 */
describe('an organisation whose name is part of team names', () => {
  const NAMED_ORG = '东莞市政公司';
  const CARRIES = { name: '东莞市政公司养护一班', code: 'GDSZ-2026-0201' };
  const TITLED = { name: '东莞桥梁班', code: 'GDSZ-2026-0202' };
  beforeAll(async () => {
    const db = h.db.db;
    const [org] = await db.insert(organizations).values({ name: NAMED_ORG }).returning();
    const rows = await db
      .insert(teams)
      .values(
        [CARRIES, TITLED].map((t) => ({
          ...t, organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: 'ou_orgcomplaint_leader000000000001',
          phone: '020-12345678', memberCount: 8, functions: '道路养护', goals: 'x', plan: 'y', contactOpenId: 'ou_orgcomplaint_contact00000000001', registeredAt: '2025-02-01',
        })),
      )
      .returning();
    for (const r of rows) ids[r.code] = r.id;
    await db.insert(honours).values({ teamId: ids[TITLED.code], year: 2026, awardedAt: new Date('2026-12-01T00:00:00Z') });
  });

  it('投诉 <its whole name> lists its title holders, not the team whose name holds it', async () => {
    const { card } = await say(`投诉 ${NAMED_ORG}`);
    expect(cardText(card)).toContain(`“${NAMED_ORG}”是单位名称。`);
    expect(cardActions(card).filter((a) => a.action === 'complaint.start').map((a) => a.teamId)).toEqual([ids[TITLED.code]]);
    expect(JSON.stringify(card)).not.toContain(CARRIES.name);
  });

  it('the chat form sent with its whole name files nothing and names its title holders', async () => {
    const before = await stored();
    const body = await h.click(customer(), { action: 'complaint.submit', formKey: 'org-3' }, { team: NAMED_ORG, content: '井盖松动', contact: '' });
    expect(await stored()).toBe(before);
    expect(cardText(body.card.data)).toContain(`“${NAMED_ORG}”是单位名称，不是班组名称。该单位获得“质量信得过班组”称号的班组有 1 个：“${TITLED.name}”（${TITLED.code}）`);
  });

  it('the public form sent with its whole name names its title holders', async () => {
    const r = await postJson(NAMED_ORG);
    expect(r.status).toBe(400);
    expect(r.body.suggestions).toEqual([TITLED]);
  });

  /**
   * The one-statement submit (src/fast/complaint.ts, PostgreSQL) and the ordinary path find a team or an organisation
   * typed in traditional characters alike (東莞市政公司 is 东莞市政公司, 東莞桥梁班 东莞桥梁班, as src/traditional.ts reads them).
   */
  it.each([
    ['the one-statement submit', true],
    ['the ordinary path', false],
  ])('the chat form sent with names in traditional characters, by %s: the organisation names its title holders, the team is filed', async (_, fast) => {
    h.app.processor.fastPaths = fast;
    try {
      const before = await stored();
      const who = customer();
      const org = await h.click(who, { action: 'complaint.submit', formKey: `org-trad-${fast}` }, { team: '東莞市政公司', content: '井盖松动', contact: '' });
      expect(await stored()).toBe(before);
      expect(cardText(org.card.data)).toContain(`“東莞市政公司”是单位名称，不是班组名称。该单位获得“质量信得过班组”称号的班组有 1 个：“${TITLED.name}”（${TITLED.code}）`);
      expect(cardActions(org.card.data).filter((a) => a.action === 'complaint.start').map((a) => a.teamId)).toEqual([ids[TITLED.code]]);
      const team = await h.click(who, { action: 'complaint.submit', formKey: `team-trad-${fast}` }, { team: '東莞桥梁班', content: `桥面伸缩缝破损（${fast ? '一' : '二'}）`, contact: '' });
      expect(team.toast).toMatchObject({ type: 'success' });
      expect(cardText(team.card.data)).toContain(`${TITLED.name}（${TITLED.code}）`);
      const filed = (await h.db.db.select().from(complaints)).filter((c) => c.complainantOpenId === who);
      expect(filed.map((c) => c.teamId)).toEqual([ids[TITLED.code]]);
    } finally {
      h.app.processor.fastPaths = true;
    }
  });

  it('part of the team’s name still opens that team’s form', async () => {
    const { card } = await say('投诉 市政公司养护');
    expect(cardText(card)).toContain(`被投诉班组：**${CARRIES.name}**`);
  });
});

/**
 * Organisations holding no title still changed the answer to part of a titled one's name: with an untitled
 * 广州市政建设监理公司 (or an untitled 广州市政建设 itself) registered, typing 广州市政建设 was 找不到班组 and no more, where
 * without it the titled 广州市政建设集团有限公司's title holders were named. Whether an untitled organisation is registered
 * was so learnt on the public form and in chat. Only organisations holding the title are counted now.
 */
describe('organisations holding no title change no answer', () => {
  const TITLED_ORG = '广州市政建设集团有限公司';
  const HOLDER = { name: '道路抢修班', code: 'GDSZ-2026-0301' };
  const typed = '广州市政建设';
  const teamOf = (t: { name: string; code: string }, organizationId: number) => ({
    ...t, organizationId, department: '养护部', type: 'project', leaderOpenId: 'ou_orgcomplaint_leader000000000001',
    phone: '020-12345678', memberCount: 8, functions: '道路养护', goals: 'x', plan: 'y', contactOpenId: 'ou_orgcomplaint_contact00000000001', registeredAt: '2025-02-01',
  });
  beforeAll(async () => {
    const db = h.db.db;
    const [org] = await db.insert(organizations).values({ name: TITLED_ORG }).returning();
    const [row] = await db.insert(teams).values(teamOf(HOLDER, org.id)).returning();
    await db.insert(honours).values({ teamId: row.id, year: 2026, awardedAt: new Date('2026-12-01T00:00:00Z') });
  });

  /** The answers to 广州市政建设 on the JSON API and in chat, without what differs by request. */
  async function answers() {
    const r = await postJson(typed);
    const { card } = await say(`投诉 ${typed}`);
    return { status: r.status, body: r.body, chat: cardText(card), buttons: cardActions(card).filter((a) => a.action === 'complaint.start').map((a) => a.teamId) };
  }

  it('part of a titled organisation’s name is answered the same with untitled organisations holding it registered', async () => {
    const alone = await answers();
    expect(alone.body.msg).toContain(`找不到班组“${typed}”。与它相符的单位“${TITLED_ORG}”获得“质量信得过班组”称号的班组有 1 个：“${HOLDER.name}”（${HOLDER.code}）`);
    expect(alone.chat).toContain(`与它相符的单位“${TITLED_ORG}”`);
    const db = h.db.db;
    // an untitled organisation whose name holds it too, with a team that never held the title
    const [partly] = await db.insert(organizations).values({ name: '广州市政建设监理公司' }).returning();
    await db.insert(teams).values(teamOf({ name: '监理一组', code: 'GDSZ-2026-0302' }, partly.id));
    expect(await answers()).toEqual(alone);
    // and one whose name it is exactly, with a team whose title was revoked
    const [exactly] = await db.insert(organizations).values({ name: typed }).returning();
    const [revoked] = await db.insert(teams).values(teamOf({ name: '监理二组', code: 'GDSZ-2026-0303' }, exactly.id)).returning();
    await db.insert(honours).values({ teamId: revoked.id, year: 2026, awardedAt: new Date('2026-12-01T00:00:00Z'), revokedAt: new Date('2027-06-01T00:00:00Z'), revokedReason: '连续投诉' });
    expect(await answers()).toEqual(alone);
  });
});
