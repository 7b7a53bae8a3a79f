import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, teams } from '../../db/schema.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import type { Harness } from '../support/harness.js';
import { applicationForm, type Fixture, personas, startSecurityHarness } from './securityFixture.js';

/**
 * A 单位联系人 of several teams (第十五条) confirms one application after another: the done card leads back to the list
 * (it had no button: each next one took 帮助 → 待确认申报 → pick), and the list tells apart two teams of one name of
 * two organisations (names are unique within one organisation only) by their codes, as the reminder names them.
 */

let h: Harness;
let f: Fixture;
beforeAll(async () => {
  ({ h, f } = await startSecurityHarness());
});
afterAll(async () => {
  await h?.close();
});

describe('a contact with several applications to confirm', () => {
  it('tells same-named teams apart in the list, and goes on from a done card to the ones left', async () => {
    const db = h.db.db;
    const [ta] = await db.select().from(teams).where(eq(teams.id, f.teamA.id));
    const [tb] = await db.select().from(teams).where(eq(teams.id, f.teamB.id));
    const [twin] = await db
      .insert(teams)
      .values({ ...ta, id: undefined, createdAt: undefined, updatedAt: undefined, code: 'GDSZ-2024-0999', organizationId: tb.organizationId, leaderOpenId: tb.leaderOpenId })
      .returning();
    const [twinApp] = await db.insert(applications).values({ teamId: twin.id, cycleId: f.cycleId, status: 'submitted', form: applicationForm(), submittedAt: new Date('2027-03-02T00:00:00Z') }).returning();

    const list = await h.click(personas.contact, { action: 'endorse.list' });
    expectValidCard(list.card.data);
    const lines = cardText(list.card.data).split('\n').filter((l) => l.startsWith(ta.name));
    expect(lines).toEqual(expect.arrayContaining([`${ta.name}（${ta.code}）`, `${ta.name}（GDSZ-2024-0999）`]));

    const open = await h.click(personas.contact, { action: 'endorse.open', applicationId: f.appA });
    const recommend = cardActions(open.card.data).find((a) => a.action === 'endorse.recommend')!;
    const done = await h.click(personas.contact, recommend, { truthful: true, opinion: '材料属实，同意推荐' });
    expect(done.toast.type).toBe('success');
    expectValidCard(done.card.data);
    const onward = cardActions(done.card.data).find((a) => a.action === 'endorse.list')!;
    expect(onward).toBeDefined();
    const left = await h.click(personas.contact, onward);
    const open2 = cardActions(left.card.data).filter((a) => a.action === 'endorse.open').map((a) => a.applicationId);
    expect(open2).toContain(twinApp.id);
    expect(open2).not.toContain(f.appA);
  });
});
