import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificates, honours, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardText, expectValidCard } from '../support/cards.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * 第二十一条: a client holding two teams' certificates sends both numbers in one 查询证书. Only the first was checked,
 * and the answer said nothing of the second, which reads as if it had been checked too. Each number is checked now (up
 * to five; those after are named, with how to check them); the 查询证书 form, answered by one card, names the others.
 */

const STRANGER = 'ou_stranger_several000000000000000001';
const LEADER = 'ou_leader_several0000000000000000001';
const CONTACT = 'ou_contact_several000000000000000001';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-09-01T10:00:00+08:00') });
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '佛山市政养护有限公司' }).returning();
  await db.insert(people).values([{ openId: LEADER, name: '李班长' }, { openId: CONTACT, name: '王联系人', roles: ['org_contact'] }]);
  const team = (code: string, name: string) => ({
    code, name, organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: LEADER, phone: '020-1234567', memberCount: 8,
    functions: '道路养护', goals: '合格率 98%', plan: '每月巡查', contactOpenId: CONTACT, registeredAt: '2025-02-01',
  });
  const [a, b] = await db.insert(teams).values([team('GDSZ-2025-0011', '养护一班'), team('GDSZ-2025-0012', '养护二班')]).returning();
  const [ha, hb] = await db
    .insert(honours)
    .values([
      { teamId: a.id, year: 2026, awardedAt: new Date('2026-07-20T10:00:00+08:00') },
      { teamId: b.id, year: 2026, awardedAt: new Date('2026-07-20T10:00:00+08:00'), revokedAt: new Date('2027-03-02T15:00:00+08:00'), revokedReason: '投诉成立' },
    ])
    .returning();
  const issued = { association: '广东省市政行业协会', organization: '佛山市政养护有限公司', title: '广东省市政工程质量信得过班组', year: 2026, issuedAt: new Date('2026-07-20T10:00:00+08:00') };
  await db.insert(certificates).values([
    { ...issued, number: 'GDSZ-ZS-2026-0001', honourId: ha.id, teamId: a.id, teamName: '养护一班' },
    { ...issued, number: 'GDSZ-ZS-2026-0002', honourId: hb.id, teamId: b.id, teamName: '养护二班' },
  ]);
});
afterAll(async () => {
  await h?.close();
});

const shown = (s: string) => s.replace(/\*\*/g, '').replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)));

/** Every message the stranger got for `text`: a card's title then its text, or a text's text. */
async function answersTo(text: string): Promise<string[]> {
  h.fake.reset();
  await h.say(STRANGER, text);
  return h.fake.messages
    .filter((m) => m.receiveId === STRANGER)
    .map((m) => {
      if (m.msgType === 'text') return String(m.content.text);
      expectValidCard(m.content);
      return `[${m.content.header?.title?.content ?? ''}] ${shown(cardText(m.content))}`;
    });
}

describe('several certificate numbers in one message', () => {
  it.each(['查询证书 GDSZ-ZS-2026-0001 GDSZ-ZS-2026-0002', '查询证书 GDSZ-ZS-2026-0001、GDSZ-ZS-2026-0002', '这两张证书 GDSZ-ZS-2026-0001 和 GDSZ-ZS-2026-0002 是真的吗'])(
    '%s: each is checked',
    async (text) => {
      const answers = await answersTo(text);
      expect(answers).toHaveLength(2);
      expect(answers[0]).toContain('[荣誉证书 GDSZ-ZS-2026-0001：有效]');
      expect(answers[0]).toContain('班组：养护一班');
      expect(answers[1]).toContain('[荣誉证书 GDSZ-ZS-2026-0002：已撤销]');
      expect(answers[1]).toContain('班组：养护二班');
    },
  );

  it('a number written twice is checked once', async () => {
    expect(await answersTo('查询证书 GDSZ-ZS-2026-0001 GDSZ-ZS-2026-0001')).toHaveLength(1);
  });

  it('past five, the first five are checked and the rest named, with how to check them', async () => {
    const numbers = [1, 2, 3, 4, 5, 6, 7].map((n) => `GDSZ-ZS-2026-${String(n).padStart(4, '0')}`);
    const answers = await answersTo(`查询证书 ${numbers.join(' ')}`);
    expect(answers).toHaveLength(6);
    expect(answers[2]).toContain('[未找到荣誉证书：GDSZ-ZS-2026-0003]');
    expect(answers[5]).toContain('一次最多查询 5 个');
    expect(answers[5]).toContain('GDSZ-ZS-2026-0006、GDSZ-ZS-2026-0007');
    expect(answers[5]).toContain('查询证书 证书编号');
  });

  it('the 查询证书 form answers the first and names the others, to be checked one by one', async () => {
    const body = await h.click(STRANGER, { action: 'certificate.check' }, { query: 'GDSZ-ZS-2026-0001 GDSZ-ZS-2026-0002' });
    expectValidCard(body.card.data);
    const text = shown(cardText(body.card.data));
    expect(text).toContain('班组：养护一班');
    expect(text).toContain('同时填写的 GDSZ-ZS-2026-0002 没有查询');
  });
});
