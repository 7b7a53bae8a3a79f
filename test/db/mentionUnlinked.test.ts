import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { people, teamMembers, teams } from '../../db/schema.js';
import { cardText, expectValidCard } from '../support/cards.js';
import { ADMIN, type Harness } from '../support/harness.js';
import { type Fixture, personas, securityBotForBlock } from './securityFixture.js';

/**
 * Someone an import named by mobile, who never wrote to the bot, has no open_id: the bot keeps the placeholder
 * pending:m:… for them. A card naming them names them in text (an `<at id=…>` of anything but an open_id makes Feishu
 * refuse the whole card, 230099 / 100290), by their name, never by the placeholder.
 */
type Body = { toast?: { type: string; content: string }; card?: { data?: any } };

describe('班组成员 of a team whose leader an import named by mobile and who never wrote to the bot', () => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((b) => ({ h, f } = b));
  const PENDING = 'pending:m:13900000078';

  const leadBy = async (name: string | null) => {
    await h.db.db.insert(people).values({ openId: PENDING, name }).onConflictDoUpdate({ target: people.openId, set: { name } });
    await h.db.db.update(teams).set({ leaderOpenId: PENDING }).where(eq(teams.id, f.teamA.id));
    await h.db.db.update(teamMembers).set({ openId: PENDING }).where(and(eq(teamMembers.teamId, f.teamA.id), eq(teamMembers.role, 'leader')));
  };

  it('names that leader by name, marked not yet linked, and Feishu takes the card', async () => {
    await leadBy('林班长');
    const res: Body = await h.click(ADMIN, { action: 'team.members', teamId: f.teamA.id });
    expectValidCard(res.card!.data);
    const text = cardText(res.card!.data);
    expect(text).toContain('林班长（尚未关联飞书）　班组长');
    expect(text).not.toContain('pending');
    // the other members are mentioned as before
    expect(text).toContain(`<at id=${personas.member}></at>`);
  });

  it('by the mobile they were imported by when the import gave no name', async () => {
    await leadBy(null);
    const res: Body = await h.click(ADMIN, { action: 'team.members', teamId: f.teamA.id });
    expectValidCard(res.card!.data);
    expect(cardText(res.card!.data)).toContain('13900000078（尚未关联飞书）　班组长');
    expect(cardText(res.card!.data)).not.toContain('pending');
  });
});
