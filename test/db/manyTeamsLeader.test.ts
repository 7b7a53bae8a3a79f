import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { people, teamMembers, teams } from '../../db/schema.js';
import { cardText } from '../support/cards.js';
import type { Harness } from '../support/harness.js';
import { type Fixture, startSecurityHarness } from './securityFixture.js';

/**
 * 申报 by the leader of many teams (a quality manager imported as 班组长 of a company's teams): the picker is paged,
 * so the card stays inside Feishu's 200 objects and 30 KB (70 teams on one card was 213 objects, refused: 230099).
 */

const MANAGER = 'ou_manyteams00000000000000000000001';
let h: Harness;
let f: Fixture;

beforeAll(async () => {
  ({ h, f } = await startSecurityHarness());
  const [a] = await h.db.db.select().from(teams).where(eq(teams.id, f.teamA.id));
  await h.db.db.insert(people).values({ openId: MANAGER, name: '质量经理' });
  const made = await h.db.db
    .insert(teams)
    .values(
      Array.from({ length: 70 }, (_, i) => ({
        ...a,
        id: undefined,
        code: `GDSZ-2020-${String(100 + i).padStart(4, '0')}`,
        name: `广州市市政集团有限公司城市道路养护管理中心第${String(i + 1).padStart(2, '0')}养护班组`,
        leaderOpenId: MANAGER,
        createdAt: undefined,
        updatedAt: undefined,
      })),
    )
    .returning();
  await h.db.db.insert(teamMembers).values(made.map((t) => ({ teamId: t.id, openId: MANAGER, role: 'leader' })));
});
afterAll(async () => {
  await h?.close();
});

describe('申报 by the leader of 70 teams', () => {
  const buttonsTo = (card: unknown, action: string) => (JSON.stringify(card).match(new RegExp(`"action":"${action.replace('.', '\\.')}"`, 'g')) ?? []).length;

  it('is answered with the first 20 teams and 下一页, a card Feishu takes', async () => {
    const before = h.fake.messages.length;
    expect((await h.say(MANAGER, '申报')).status).toBe(200);
    const sent = h.fake.messages.slice(before).filter((m) => m.receiveId === MANAGER);
    expect(sent).toHaveLength(1);
    expect(sent[0].msgType).toBe('interactive');
    expect(buttonsTo(sent[0].content, 'application.open')).toBe(20);
    expect(cardText(sent[0].content)).toContain('你是 70 个班组的班组长');
    expect(cardText(sent[0].content)).toContain('第 1 / 4 页');
    expect(cardText(sent[0].content)).toContain('第01养护班组');
  });

  it('turns to the last page: the last 10 teams, 上一页 only', async () => {
    const r = await h.click(MANAGER, { action: 'application.start', page: 4 });
    expect(buttonsTo(r.card?.data, 'application.open')).toBe(10);
    expect(cardText(r.card?.data)).toContain('第70养护班组');
    expect(cardText(r.card?.data)).toContain('上一页');
    expect(cardText(r.card?.data)).not.toContain('下一页');
  });
});
