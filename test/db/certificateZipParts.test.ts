import { and, asc, eq, like, ne } from 'drizzle-orm';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificates, chatBindings, cycles, outbox } from '../../db/schema.js';
import { CertificateRenderer } from '../../src/certificates/render.js';
import { ManualClock } from '../../src/clock.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActionEvent } from '../support/larkEvents.js';
import { seedScoredTeam } from '../support/scoredTeams.js';

/**
 * The admin group's certificates for a year of many titles: every PNG (2246 × 1588) and PDF of the year in one file
 * would be about 35 MB, over the 30 MB Feishu's im/v1/files takes (the fake Open Platform refuses it: 234006). They go
 * as numbered zips, each well under the limit, with a notice naming the certificates each holds.
 */
const TITLES = 300;
const ADMIN_GROUP = 'oc_certzipparts00000000000000000001';
const clock = new ManualClock('2027-03-05T09:00:00+08:00');
let h: Harness;
const db = () => h.db.db;
const renderer = { png: CertificateRenderer.prototype.png, pdf: CertificateRenderer.prototype.pdf };

beforeAll(async () => {
  // one real certificate drawn once; every certificate of the year then costs what a real one costs (each zip entry is
  // deflated on its own, so identical bytes compress no better than 300 different ones)
  const real = new CertificateRenderer();
  const v = { association: '广东省市政行业协会', team: '越秀区市政养护第一班组', organization: '广州市市政工程维修有限公司', year: '2027', title: '广东省市政工程质量信得过班组', number: 'GDSZ-ZS-2027-0001', date: '2027年7月20日' };
  const [png, pdf] = [await real.png(v), await real.pdf(v)];
  CertificateRenderer.prototype.png = async () => png;
  CertificateRenderer.prototype.pdf = async () => pdf;
  h = await startHarness({ clock, outboxLimits: { perApp: 100000, perReceiver: 100000 }, runDispatcher: false });
  await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15' });
  const [{ id: cycleId }] = await db().select({ id: cycles.id }).from(cycles).where(eq(cycles.year, 2027));
  await db().update(cycles).set({ status: 'closed' }).where(eq(cycles.id, cycleId));
  for (let n = 1; n <= TITLES; n++) {
    await seedScoredTeam(db(), { cycleId, n, code: `GDSZ-2025-${String(n).padStart(4, '0')}`, name: `市政养护第${n}班组`, leader: `ou_ziplead${String(n).padStart(25, '0')}`, contact: `ou_zipcont${String(n).padStart(25, '0')}`, aggregatedAt: clock.now() });
  }
  await db().insert(chatBindings).values({ chatId: ADMIN_GROUP, purpose: 'admin', boundBy: ADMIN });
  const res = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value: { action: 'results.publish', cycleId }, messageId: 'om_cert_zip_parts' }));
  expect(res.body.toast.type).toBe('success');
  await h.app.bulkJobs.drain();
  // only what the admin group is sent goes out here (the teams' own cards and certificates are tested elsewhere)
  await db().delete(outbox).where(and(ne(outbox.status, 'sent'), ne(outbox.receiver, ADMIN_GROUP)));
  await h.app.dispatcher.drain(120_000);
}, 600_000);
afterAll(async () => {
  CertificateRenderer.prototype.png = renderer.png;
  CertificateRenderer.prototype.pdf = renderer.pdf;
  await h?.close();
});

describe('the certificates of a year with many titles', () => {
  it('reach the administrators’ group as numbered zips, each its own message under 25 MB, every certificate once', async () => {
    const issued = await db().select().from(certificates).orderBy(asc(certificates.number));
    expect(issued).toHaveLength(TITLES);
    const rows = await db().select().from(outbox).where(like(outbox.dedupeKey, 'results:published:2027:certificates%')).orderBy(asc(outbox.id));
    expect(rows.map((r) => [r.status, r.lastError])).toEqual(rows.map(() => ['sent', null]));
    // the rows describe what to draw: the bytes are made when each is sent
    for (const r of rows) expect(JSON.stringify(r.card).length).toBeLessThan(1000);
    const zips = h.fake.messages.filter((m) => m.receiveId === ADMIN_GROUP && m.msgType === 'file').map((m) => h.fake.upload(m.content.file_key)!).filter((u) => u.fileName?.endsWith('.zip'));
    expect(zips.map((z) => z.fileName).sort()).toEqual(['2027年度质量信得过班组荣誉证书（1／2）.zip', '2027年度质量信得过班组荣誉证书（2／2）.zip']);
    const seen: string[] = [];
    for (const z of zips) {
      expect(z.bytes.length).toBeLessThan(25 * 1024 * 1024);
      seen.push(...Object.keys(unzipSync(new Uint8Array(z.bytes))));
    }
    const expected = issued.flatMap((c) => [`${c.number}_${c.teamName}.png`, `${c.number}_${c.teamName}.pdf`]);
    expect(seen.sort()).toEqual(expected.sort());
  });

  it('tells the group which certificates each zip holds', async () => {
    const toGroup = h.fake.messages.filter((m) => m.receiveId === ADMIN_GROUP);
    const notice = toGroup.findIndex((m) => m.msgType === 'text' && String(m.content.text).includes('荣誉证书'));
    expect(notice).toBeGreaterThanOrEqual(0);
    expect(toGroup.filter((m) => m.msgType === 'text')).toHaveLength(1);
    expect(toGroup[notice].content.text).toContain('（1／2）GDSZ-ZS-2027-0001 至 GDSZ-ZS-2027-0150，150 份');
    expect(toGroup[notice].content.text).toContain('（2／2）GDSZ-ZS-2027-0151 至 GDSZ-ZS-2027-0300，150 份');
  });
});
