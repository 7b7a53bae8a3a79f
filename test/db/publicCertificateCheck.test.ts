import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificates, honours, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText, expectValidCard, formFieldNames } from '../support/cards.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * 第二十一条 (接受社会各界的监督) and 第二十二条: a member of the public holding a certificate, or told a team is a
 * 质量信得过班组, checks it with the bot. The answer comes from the database: the certificate's team, organisation, year
 * and title and whether it stands (revoked: the day and 第二十二条; none: that none was issued and how to report it),
 * or a team's titles by year, and never a person or a phone.
 */

const STRANGER = 'ou_stranger_cert000000000000000000001';
const LEADER = 'ou_leader_pubcheck0000000000000000001';
const CONTACT = 'ou_contact_pubcheck000000000000000001';
const PHONE = '0757-7654321';

let h: Harness;
let honour2026: number;

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-09-01T10:00:00+08:00') });
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '佛山市政养护有限公司' }).returning();
  await db.insert(people).values([{ openId: LEADER, name: '李班长' }, { openId: CONTACT, name: '王联系人', roles: ['org_contact'] }]);
  const [team] = await db
    .insert(teams)
    .values({
      code: 'GDSZ-2024-0061', name: '养护一班（东区）', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: LEADER,
      phone: PHONE, memberCount: 8, functions: '道路养护', goals: '合格率 98%', plan: '每月巡查', contactOpenId: CONTACT, registeredAt: '2024-02-01',
    })
    .returning();
  const [h2025, h2026] = await db
    .insert(honours)
    .values([
      { teamId: team.id, year: 2025, awardedAt: new Date('2025-07-20T10:00:00+08:00'), revokedAt: new Date('2026-03-02T15:00:00+08:00'), revokedReason: '连续两次投诉成立' },
      { teamId: team.id, year: 2026, awardedAt: new Date('2026-07-20T10:00:00+08:00') },
    ])
    .returning();
  honour2026 = h2026.id;
  const issued = { teamId: team.id, association: '广东省市政行业协会', organization: '佛山市政养护有限公司', title: '广东省市政工程质量信得过班组' };
  await db.insert(certificates).values([
    { ...issued, number: 'GDSZ-ZS-2025-0003', honourId: h2025.id, year: 2025, teamName: '佛山养护一班', issuedAt: new Date('2025-07-20T10:00:00+08:00') },
    { ...issued, number: 'GDSZ-ZS-2026-0007', honourId: h2026.id, year: 2026, teamName: '养护一班（东区）', issuedAt: new Date('2026-07-20T10:00:00+08:00') },
  ]);
  await db.insert(teams).values({
    code: 'GDSZ-2025-0100', name: '桥梁检测二班', organizationId: org.id, department: '检测部', type: 'project', leaderOpenId: LEADER,
    phone: PHONE, memberCount: 5, functions: '桥梁检测', goals: '零事故', plan: '每周检测', contactOpenId: CONTACT, registeredAt: '2025-03-01',
  });
});

afterAll(async () => {
  await h?.close();
});

/** A card's markdown as a reader sees it: no bold marks, the entities escaping user text read back. */
const shown = (s: string) => s.replace(/\*\*/g, '').replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)));

/** What the stranger got for `text`: one message, a text's text or a card's title then its text as shown. */
async function answerTo(text: string, openId = STRANGER): Promise<string> {
  h.fake.reset();
  await h.say(openId, text);
  const got = h.fake.messages.filter((m) => m.receiveId === openId).map((m) => (m.msgType === 'text' ? String(m.content.text) : `[${m.content.header?.title?.content ?? ''}] ${shown(cardText(m.content))}`));
  expect(got, text).toHaveLength(1);
  return got[0];
}

/** Nothing of a person: no leader's or contact's name or open_id, no phone. */
function expectNoPerson(answer: string) {
  for (const personal of [LEADER, CONTACT, '李班长', '王联系人', PHONE]) expect(answer).not.toContain(personal);
}

describe('a certificate checked by its number', () => {
  it.each([
    'GDSZ-ZS-2026-0007',
    '查询证书 GDSZ-ZS-2026-0007',
    '查询证书GDSZ-ZS-2026-0007',
    '证书查询：GDSZ-ZS-2026-0007',
    'verify certificate GDSZ-ZS-2026-0007',
    'ＧＤＳＺ－ＺＳ－２０２６－０００７',
    '这张证书 GDSZ ZS 2026 7 是真的吗？',
  ])('%s: valid, with the team, its code, the organisation, the year and the title', async (text) => {
    const answer = await answerTo(text);
    expect(answer).toContain('[荣誉证书 GDSZ-ZS-2026-0007：有效]');
    expect(answer).toContain('状态：有效');
    expect(answer).toContain('班组：养护一班（东区）（编号 GDSZ-2024-0061）');
    expect(answer).toContain('所属单位：佛山市政养护有限公司');
    expect(answer).toContain('年度：2026年度');
    expect(answer).toContain('称号：广东省市政工程质量信得过班组');
    expect(answer).not.toContain('证书的真伪请向广东省市政行业协会核实');
    expectNoPerson(answer);
  });

  it('asked in English, it is answered in English first', async () => {
    const answer = await answerTo('Is certificate GDSZ-ZS-2026-0007 genuine?');
    expect(answer).toContain('Certificate GDSZ-ZS-2026-0007 is genuine and valid');
    expect(answer).toContain('状态：有效');
    expect(answer).not.toContain('There is no command to get one again');
  });

  it('a revoked title’s certificate is 已撤销, with the day and 第二十二条, under the name it was issued to', async () => {
    const answer = await answerTo('GDSZ-ZS-2025-0003');
    expect(answer).toContain('[荣誉证书 GDSZ-ZS-2025-0003：已撤销]');
    expect(answer).toContain('状态：已撤销（2026年3月2日撤销，第二十二条），称号和证书作废');
    expect(answer).toContain('班组：佛山养护一班（编号 GDSZ-2024-0061，现名 养护一班（东区））');
    expect(answer).not.toContain('连续两次投诉成立');
    expectNoPerson(answer);
    expect(await answerTo('Is certificate GDSZ-ZS-2025-0003 genuine?')).toContain('its title was revoked on 2026年3月2日 (Article 22): the certificate is void');
  });

  it('a number never issued is said plainly to be no certificate of the association, with how to report it', async () => {
    const answer = await answerTo('查询证书 GDSZ-ZS-2026-0999');
    expect(answer).toContain('[未找到荣誉证书：GDSZ-ZS-2026-0999]');
    expect(answer).toContain('广东省市政行业协会没有颁发过编号为 GDSZ-ZS-2026-0999 的荣誉证书');
    expect(answer).toContain('发送“投诉”');
    expect(answer).toContain('发送“联系协会”');
  });

  it('查询证书 alone, or with a question after it, gets the form to fill', async () => {
    for (const text of ['查询证书', 'verify certificate', '查询证书 怎么查？']) expect(await answerTo(text)).toMatch(/^\[查询证书\] .*填写荣誉证书编号/s);
  });
});

describe('whether a team is a 质量信得过班组', () => {
  it.each([
    '养护一班（东区）是质量信得过班组吗？',
    '养护一班(东区)是不是质量信得过班组',
    '養護一班（東區）是質量信得過班組嗎',
    '请问“养护一班（东区）”的质量信得过班组称号还有效吗',
    'GDSZ-2024-0061获得过质量信得过班组称号吗',
    '查询证书 养护一班（东区）',
  ])(
    '%s: its titles by year, each with its status',
    async (text) => {
      const answer = await answerTo(text);
      expect(answer).toMatch(/^\[质量信得过班组称号查询：/);
      expect(answer).toContain('养护一班（东区）（编号 GDSZ-2024-0061，佛山市政养护有限公司）：');
      expect(answer).toContain('2026年度“广东省市政工程质量信得过班组”：有效');
      expect(answer).toContain('2025年度“广东省市政工程质量信得过班组”：已撤销（2026年3月2日撤销，第二十二条），称号和证书作废');
      expect(answer).not.toContain('发送“注册”登记班组');
      expectNoPerson(answer);
    },
  );

  it('a team’s code sent alone says 查询证书 finds its titles, and 查询证书 with the code lists them', async () => {
    expect(await answerTo('GDSZ-2024-0061')).toContain('要查看某个班组获得的称号，发送“查询证书 班组编号”');
    const listed = await answerTo('查询证书 GDSZ-2024-0061');
    expect(listed).toContain('2026年度“广东省市政工程质量信得过班组”：有效');
    expect(await answerTo('verify certificate GDSZ-2024-0061')).toContain('2026');
  });

  it('a short name (养护一班 for 养护一班（东区）) finds the team, not a false claim; a year after the name is the question’s', async () => {
    for (const q of ['养护一班是质量信得过班组吗', '养护一班（东区）2026年是质量信得过班组吗']) {
      const answer = await answerTo(q);
      expect(answer, q).toContain('2026年度“广东省市政工程质量信得过班组”：有效');
      expect(answer, q).not.toContain('如有人出示该证书');
    }
  });

  it('查询证书 with a number cut short says so, in Chinese', async () => {
    const answer = await answerTo('查询证书 GDSZ-ZS-2026');
    expect(answer).toContain('证书编号不完整');
    expect(answer).not.toMatch(/No team named/);
  });

  it('asked in English, by its code', async () => {
    const answer = await answerTo('Is GDSZ-2024-0061 a trusted team?');
    expect(answer).toContain('养护一班（东区） (GDSZ-2024-0061): titles of 2026 (valid), 2025 (revoked on 2026年3月2日, Article 22).');
  });

  it('a team with no title says so; a name no team has is not found, with how to report a false claim', async () => {
    expect(await answerTo('桥梁检测二班是质量信得过班组吗')).toContain('桥梁检测二班（编号 GDSZ-2025-0100，佛山市政养护有限公司）：没有获得过质量信得过班组称号。');
    const none = await answerTo('东风路养护队是质量信得过班组吗');
    expect(none).toContain('[未找到班组：东风路养护队]');
    expect(none).toContain('协会的班组名册中没有名称或编号为“东风路养护队”的班组');
    expect(none).toContain('发送“联系协会”');
  });

  it('after the title is revoked, the team holds none that stands', async () => {
    await h.db.db.update(honours).set({ revokedAt: new Date('2027-08-15T11:00:00+08:00'), revokedReason: '连续两次投诉成立' }).where(eq(honours.id, honour2026));
    const answer = await answerTo('养护一班（东区）是质量信得过班组吗');
    expect(answer).toContain('2026年度“广东省市政工程质量信得过班组”：已撤销（2027年8月15日撤销，第二十二条），称号和证书作废');
    expect(answer).not.toContain('：有效');
    expect(await answerTo('GDSZ-ZS-2026-0007')).toContain('[荣誉证书 GDSZ-ZS-2026-0007：已撤销]');
  });

  it('a question about the title itself, or one’s own team, stays the measures’ to answer', async () => {
    for (const text of ['我们班组是质量信得过班组吗', '什么样的班组是质量信得过班组', '申报的班组是质量信得过班组吗', 'is it a trusted team?']) expect(await answerTo(text)).not.toMatch(/^\[(?:质量信得过班组称号查询|未找到班组)/);
  });
});

describe('the 帮助 menu’s 查询证书', () => {
  const shownCard = (body: { card: { data: any } }) => `[${body.card.data.header?.title?.content ?? ''}] ${shown(cardText(body.card.data))}`;

  it('is a button of a stranger’s menu, naming the command beside it', async () => {
    h.fake.reset();
    await h.say(STRANGER, '帮助');
    const menu = h.fake.messages.find((m) => m.receiveId === STRANGER)!.content;
    expect(cardActions(menu)).toContainEqual({ action: 'certificate.check' });
    expect(cardText(menu)).toContain('`查询证书` / `verify certificate` 查询证书');
  });

  it('opens a form; a number submitted is checked in its place, a name gives the team’s titles, anything else the form again', async () => {
    const form = await h.click(STRANGER, { action: 'certificate.check' });
    expectValidCard(form.card.data);
    expect(formFieldNames(form.card.data)).toContain('query');
    expect(cardActions(form.card.data)).toContainEqual({ action: 'certificate.check' });
    const checked = await h.click(STRANGER, { action: 'certificate.check' }, { query: ' GDSZ-ZS-2025-0003 ' });
    expectValidCard(checked.card.data);
    expect(shownCard(checked)).toContain('[荣誉证书 GDSZ-ZS-2025-0003：已撤销]');
    const team = await h.click(STRANGER, { action: 'certificate.check' }, { query: '桥梁检测二班' });
    expect(shownCard(team)).toContain('桥梁检测二班（编号 GDSZ-2025-0100，佛山市政养护有限公司）：没有获得过质量信得过班组称号。');
    const again = await h.click(STRANGER, { action: 'certificate.check' }, { query: '这个怎么查？' });
    expect(shownCard(again)).toContain('请修改： 请填写荣誉证书编号（形如 GDSZ-ZS-2026-0001），或班组全称、班组编号');
    expect(JSON.stringify(again.card.data)).toContain('这个怎么查？');
  });
});
