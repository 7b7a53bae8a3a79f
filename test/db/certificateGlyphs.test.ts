import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificates, chatBindings, cycles, honours, organizations, outbox } from '../../db/schema.js';
import { boxedCertificates } from '../../src/certificates/index.js';
import { certificateGlyphs } from '../../src/certificates/render.js';
import { ManualClock } from '../../src/clock.js';
import { cardText, expectValidCard } from '../support/cards.js';
import { ADMIN, startHarness, type Harness } from '../support/harness.js';
import { seedScoredTeam } from '../support/scoredTeams.js';

/**
 * 荣誉证书 of names with a character the certificate font has no glyph for (𠮷 of 𠮷野家, beyond the BMP; 㐀 of
 * Extension A): the certificate is still issued and drawn, the character an empty box, and the administrators'
 * results card names each such certificate and character, to be written in by hand after printing.
 */

const ADMIN_GROUP = 'oc_certglyphadmingroup00000000000001';
const WARNING = '以下证书中有字体未收录的字，显示为方框，请打印后手写补正';

let h: Harness;
const clock = new ManualClock('2027-03-05T09:00:00+08:00');
let cycleId: number;
const db = () => h.db.db;

beforeAll(async () => {
  h = await startHarness({ clock });
});
afterAll(async () => {
  await h?.close();
});

const seed = (n: number, name: string, awarded = true) =>
  seedScoredTeam(db(), {
    cycleId, n, code: `GDSZ-2025-030${n}`, name, leader: `ou_glyphleader00000000000000000000${n}`, contact: `ou_glyphcontact0000000000000000000${n}`, aggregatedAt: clock.now(), awarded,
  });

/** The results card queued for the admin group when the publish job finished. */
async function publishedCard() {
  const [row] = await db().select().from(outbox).where(like(outbox.dedupeKey, `results:published:2027:card:%${ADMIN_GROUP}%`));
  expect(row, 'the results card for the admin group').toBeDefined();
  return row.card;
}

describe('certificates with characters the font lacks', () => {
  it('publishes: the results card names the certificates with boxes and their characters, and no other', async () => {
    await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15' });
    [{ id: cycleId }] = await db().select({ id: cycles.id }).from(cycles);
    await db().update(cycles).set({ status: 'closed' }).where(eq(cycles.id, cycleId));
    await seed(1, '𠮷野家路桥养护班');
    const second = await seed(2, '排水管网二班');
    await db().update(organizations).set({ name: '广州㐀市政工程有限公司' }).where(eq(organizations.id, second.organizationId));
    await seed(3, '堃喆燊隧道施工三班');
    // no title, no certificate: not named even with a box in its name
    await seed(4, '𠮷园林四班', false);
    await db().insert(chatBindings).values({ chatId: ADMIN_GROUP, purpose: 'admin', boundBy: ADMIN });

    const res = await h.click(ADMIN, { action: 'results.publish', cycleId });
    expect(res.toast.type).toBe('success');
    await h.app.bulkJobs.drain();

    // still issued: the title is real
    const issued = await db().select().from(certificates).orderBy(certificates.number);
    expect(issued.map((c) => [c.number, c.teamName])).toEqual([
      ['GDSZ-ZS-2027-0001', '𠮷野家路桥养护班'],
      ['GDSZ-ZS-2027-0002', '排水管网二班'],
      ['GDSZ-ZS-2027-0003', '堃喆燊隧道施工三班'],
    ]);
    const card = await publishedCard();
    expectValidCard(card);
    // the one markdown element that warns lists the two certificates, and only them
    const warnings = (card as { body: { elements: { tag: string; content?: string }[] } }).body.elements.filter((e) => e.content?.includes(WARNING));
    expect(warnings.map((e) => e.content)).toEqual([`**${WARNING}：**\nGDSZ-ZS-2027-0001 𠮷野家路桥养护班：𠮷\nGDSZ-ZS-2027-0002 排水管网二班（广州㐀市政工程有限公司）：㐀`]);
    expect(cardText(card)).toContain('GDSZ-ZS-2027-0001 𠮷野家路桥养护班：𠮷');
    // and its certificate is queued to the team as any other
    expect(await db().select().from(outbox).where(like(outbox.dedupeKey, 'certificate:GDSZ-ZS-2027-0001:%'))).toHaveLength(4);
  }, 120_000);

  it('a certificate whose title was revoked is not named (it is no longer sent); without a readable font none is', async () => {
    const glyphs = await certificateGlyphs();
    const [second] = await db().select().from(certificates).where(eq(certificates.number, 'GDSZ-ZS-2027-0002'));
    await db().update(honours).set({ revokedAt: clock.now() }).where(eq(honours.id, second.honourId));
    expect(await boxedCertificates(db(), cycleId, glyphs)).toEqual([{ number: 'GDSZ-ZS-2027-0001', teamName: '𠮷野家路桥养护班', characters: '𠮷' }]);
    expect(await boxedCertificates(db(), cycleId, undefined)).toEqual([]);
  });
});
