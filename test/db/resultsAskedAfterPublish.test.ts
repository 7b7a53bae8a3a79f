import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cycles } from '../../db/schema.js';
import { CertificateRenderer } from '../../src/certificates/render.js';
import { ManualClock } from '../../src/clock.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { seedScoredTeam } from '../support/scoredTeams.js';

/**
 * 评审结果什么时候公布, asked by someone with no team: while the year runs, the answer gives its review meeting's date and
 * says the teams that applied are told; once the results are out, that they are out (第二十条), not “公布后我会通知你”.
 * The year's other dates and settings are not given for a year no longer running unless it is named.
 */
const clock = new ManualClock('2026-03-05T09:00:00+08:00');
const VISITOR = 'ou_resultsasked0000000000000000001';
let h: Harness;
const drawing = { png: CertificateRenderer.prototype.png, pdf: CertificateRenderer.prototype.pdf };

const ask = async (text: string) => {
  await h.say(VISITOR, text);
  await h.drain();
  return cardText(h.fake.messages.filter((m) => m.receiveId === VISITOR).at(-1)!.content);
};

beforeAll(async () => {
  CertificateRenderer.prototype.png = async () => Buffer.from('png');
  CertificateRenderer.prototype.pdf = async () => Buffer.from('%PDF-1.4');
  h = await startHarness({ clock });
}, 120_000);
afterAll(async () => {
  Object.assign(CertificateRenderer.prototype, drawing);
  await h?.close();
});

describe('评审结果什么时候公布', () => {
  it('is answered by the year as it stands: its meeting while it runs, published once it is', async () => {
    const opened = await h.click(ADMIN, { action: 'cycle.open' }, { year: '2026', applicationDeadline: '2026-05-31', scoringDeadline: '2026-06-30', reviewMeetingDate: '2026-07-15' });
    expect(opened.toast.type, JSON.stringify(opened.toast)).toBe('success');
    const running = await ask('评审结果什么时候公布');
    expect(running).toContain('2026年度评审会定于2026年7月15日举行');
    expect(running).toContain('第十九条');

    const [{ id }] = await h.db.db.select({ id: cycles.id }).from(cycles).where(eq(cycles.year, 2026));
    await h.db.db.update(cycles).set({ status: 'closed' }).where(eq(cycles.id, id));
    await seedScoredTeam(h.db.db, { cycleId: id, n: 1, code: 'GDSZ-2025-0001', name: '结果询问测试班', leader: 'ou_resultsaskedleader0000000000001', contact: 'ou_resultsaskedcontact000000000001', aggregatedAt: clock.now(), awarded: true, recommended: false });
    clock.set(new Date('2026-07-20T09:00:00+08:00'));
    expect((await h.click(ADMIN, { action: 'results.publish', cycleId: id })).toast.type).toBe('success');
    await h.drain();

    const published = await ask('评审结果什么时候公布');
    expect(published).toContain('2026年度评审结果已经公布');
    expect(published).toContain('会在这里收到通知和证书');
    expect(published).not.toContain('公布后我会通知你');
    const english = await ask('When will the results be published?');
    expect(english).toContain('the results of the 2026 review have been published');
    // the other dated lines speak of the year running only: last year's deadline is no answer to when this year's is
    const deadline = await ask('申报截止日期是什么时候');
    expect(deadline).toContain('由协会在每年开启评审时规定');
    expect(deadline).not.toContain('2026年度评审的申报已于');
    expect(await ask('多少分能评上')).not.toContain('2026年度评审为');
    // named, the year answers (去年多少分, 2026年多少分能评上)
    expect(await ask('2026年多少分能评上')).toContain('2026年度评审为');
  });
});
