import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endorsementRequestCard } from '../../cards/applications.js';
import { applications, outbox, teamMembers, teams } from '../../db/schema.js';
import { endorsementForm, getApplication, summaryOf } from '../../src/applications.js';
import { cardRenderers } from '../../src/cardRenderers.js';
import { ENDORSEMENT_REQUEST_CARD } from '../../src/endorsementCards.js';
import { cardSpecOf } from '../../src/outbox.js';
import { cardActions } from '../support/cards.js';
import type { Harness } from '../support/harness.js';
import { applicationForm, type Fixture, personas, startSecurityHarness, YEAR } from './securityFixture.js';

/**
 * 请确认申报材料 (第十五条) is queued as a spec and drawn when it is sent: the contact receives the card 提交
 * used to build in its transaction, from what was submitted and the team's names.
 */
describe('the organisation contact’s request, drawn when it is sent', () => {
  let h: Harness;
  let f: Fixture;
  beforeAll(async () => {
    ({ h, f } = await startSecurityHarness());
  });
  afterAll(async () => {
    await h?.close();
  });

  it('is the card the submit used to queue, keyed as before, and reaches the contact', async () => {
    const [a] = await h.db.db.select().from(teams).where(eq(teams.id, f.teamA.id));
    const [team] = await h.db.db.insert(teams).values({ ...a, id: undefined, code: 'GDSZ-2025-0301', name: '请求卡测试班', createdAt: undefined, updatedAt: undefined }).returning();
    await h.db.db.insert(teamMembers).values({ teamId: team.id, openId: personas.leader, role: 'leader' });
    const res = await h.click(personas.leader, { action: 'application.submit', teamId: team.id, year: YEAR }, applicationForm({ title: '<b>路面</b> 修补' }));
    expect(res.toast).toMatchObject({ type: 'success' });

    const [application] = await h.db.db.select().from(applications).where(eq(applications.teamId, team.id));
    const rows = await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, `endorse:request:${application.id}:%`));
    expect(rows).toHaveLength(1);
    const spec = cardSpecOf(rows[0])!;
    // and when it was submitted: the card's buttons carry it, so an old copy cannot decide on a later submission
    expect(spec).toEqual({ kind: ENDORSEMENT_REQUEST_CARD, applicationId: application.id, year: YEAR, form: application.form, submitted: application.submittedAt!.getTime() });
    expect(rows[0]).toMatchObject({ receiver: personas.contact, receiveIdType: 'open_id', priority: 1, status: 'sent' });

    // the card 提交 drew before it was drawn at send time
    const row = (await getApplication(h.db.db, application.id))!;
    const before = endorsementRequestCard(summaryOf(row.application, row.team, row.organization, row.cycle.year), { descriptor: endorsementForm });
    const [drawn] = await cardRenderers(h.db.db, 'Asia/Shanghai')[ENDORSEMENT_REQUEST_CARD]([spec], rows);
    expect(drawn).toEqual({ card: before });
    const sent = h.fake.messages.filter((m) => m.receiveId === personas.contact && m.msgType === 'interactive').at(-1);
    expect(sent?.content).toEqual(before);

    // a spec queued before specs said when: its buttons name the application alone, as they did
    const { submitted: _submitted, ...older } = spec;
    const [old] = await cardRenderers(h.db.db, 'Asia/Shanghai')[ENDORSEMENT_REQUEST_CARD]([older], rows);
    const values = cardActions((old as { card: unknown }).card).filter((v) => v.action === 'endorse.recommend' || v.action === 'endorse.return');
    expect(values).toEqual([
      { action: 'endorse.recommend', applicationId: application.id },
      { action: 'endorse.return', applicationId: application.id },
    ]);
  });

  it('an application no longer there is not sent', async () => {
    const [drawn] = await cardRenderers(h.db.db, 'Asia/Shanghai')[ENDORSEMENT_REQUEST_CARD]([{ kind: ENDORSEMENT_REQUEST_CARD, applicationId: 999_999, year: YEAR, form: {} }]);
    expect(drawn).toEqual({ drop: '申报 999999 已不存在' });
  });
});
