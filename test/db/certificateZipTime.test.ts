import { and, eq, ne } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificates, chatBindings, cycles, outbox } from '../../db/schema.js';
import { CertificateRenderer } from '../../src/certificates/render.js';
import { ManualClock } from '../../src/clock.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActionEvent } from '../support/larkEvents.js';
import { seedScoredTeam } from '../support/scoredTeams.js';

/**
 * A zip keeps each entry's date and time without a zone, and the one who unzips reads it as their own: the year's
 * certificate zip was dated by the server's clock in the server's zone, so on a server in UTC a certificate issued at
 * 07:30 on 16 July in Beijing was listed as modified at 23:30 on 15 July. Each entry is dated when its certificate was
 * issued, in BOT_TIMEZONE. The zone is one the test process is not in, so the server's zone is never it by chance.
 */
const ZONE = new Date('2027-07-16T00:00:00Z').getTimezoneOffset() === -480 ? 'America/New_York' : 'Asia/Shanghai';
const PUBLISHED = ZONE === 'Asia/Shanghai' ? '2027-07-16T07:30:00+08:00' : '2027-07-16T07:30:00-04:00';
const ADMIN_GROUP = 'oc_certziptime000000000000000000001';
const clock = new ManualClock('2027-03-05T09:00:00+08:00');
let h: Harness;
const db = () => h.db.db;
const renderer = { png: CertificateRenderer.prototype.png, pdf: CertificateRenderer.prototype.pdf };

/** Each local file header's name and DOS date and time, as an unzip tool lists them. */
function entryTimes(zip: Buffer): { name: string; modified: string }[] {
  const out: { name: string; modified: string }[] = [];
  for (let at = 0; at + 30 <= zip.length && zip.readUInt32LE(at) === 0x04034b50; ) {
    const [time, date, packed, nameLength, extraLength] = [zip.readUInt16LE(at + 10), zip.readUInt16LE(at + 12), zip.readUInt32LE(at + 18), zip.readUInt16LE(at + 26), zip.readUInt16LE(at + 28)];
    const name = zip.subarray(at + 30, at + 30 + nameLength).toString('utf8');
    const pad = (n: number) => String(n).padStart(2, '0');
    out.push({ name, modified: `${(date >> 9) + 1980}-${pad((date >> 5) & 15)}-${pad(date & 31)} ${pad(time >> 11)}:${pad((time >> 5) & 63)}:${pad((time & 31) * 2)}` });
    // a streamed entry carries its sizes after the data: found by its descriptor's signature
    const flags = zip.readUInt16LE(at + 6);
    let next = at + 30 + nameLength + extraLength + packed;
    if (flags & 8) {
      next = zip.indexOf(Buffer.from([0x50, 0x4b, 0x07, 0x08]), at + 30 + nameLength + extraLength);
      next += 16;
    }
    at = next;
  }
  return out;
}

beforeAll(async () => {
  const real = new CertificateRenderer();
  const v = { association: '广东省市政行业协会', team: '越秀区市政养护第一班组', organization: '广州市市政工程维修有限公司', year: '2027', title: '广东省市政工程质量信得过班组', number: 'GDSZ-ZS-2027-0001', date: '2027年7月16日' };
  const [png, pdf] = [await real.png(v), await real.pdf(v)];
  CertificateRenderer.prototype.png = async () => png;
  CertificateRenderer.prototype.pdf = async () => pdf;
  h = await startHarness({ clock, env: { BOT_TIMEZONE: ZONE }, runDispatcher: false });
  await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15' });
  const [{ id: cycleId }] = await db().select({ id: cycles.id }).from(cycles).where(eq(cycles.year, 2027));
  await db().update(cycles).set({ status: 'closed' }).where(eq(cycles.id, cycleId));
  for (let n = 1; n <= 2; n++) {
    await seedScoredTeam(db(), { cycleId, n, code: `GDSZ-2025-${String(n).padStart(4, '0')}`, name: `市政养护第${n}班组`, leader: `ou_ztlead${String(n).padStart(26, '0')}`, contact: `ou_ztcont${String(n).padStart(26, '0')}`, aggregatedAt: clock.now() });
  }
  await db().insert(chatBindings).values({ chatId: ADMIN_GROUP, purpose: 'admin', boundBy: ADMIN });
  clock.set(PUBLISHED);
  const res = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value: { action: 'results.publish', cycleId }, messageId: 'om_cert_zip_time' }));
  expect(res.body.toast.type).toBe('success');
  await h.app.bulkJobs.drain();
  await db().delete(outbox).where(and(ne(outbox.status, 'sent'), ne(outbox.receiver, ADMIN_GROUP)));
  // sent an hour later (the zip is drawn when it is sent): still dated when the certificates were issued
  clock.advance(3_600_000);
  await h.app.dispatcher.drain(120_000);
}, 300_000);
afterAll(async () => {
  CertificateRenderer.prototype.png = renderer.png;
  CertificateRenderer.prototype.pdf = renderer.pdf;
  await h?.close();
});

describe('the certificate zip’s dates', () => {
  it('are when each certificate was issued, in BOT_TIMEZONE', async () => {
    const issued = await db().select().from(certificates);
    expect(issued.map((c) => c.issuedAt.toISOString())).toEqual(issued.map(() => new Date(PUBLISHED).toISOString()));
    const zip = h.fake.messages.filter((m) => m.receiveId === ADMIN_GROUP && m.msgType === 'file').map((m) => h.fake.upload(m.content.file_key)!).find((u) => u.fileName?.endsWith('.zip'))!;
    expect(zip, 'the certificate zip').toBeDefined();
    const entries = entryTimes(Buffer.from(zip.bytes));
    expect(entries.map((e) => e.name).sort()).toEqual(issued.flatMap((c) => [`${c.number}_${c.teamName}.pdf`, `${c.number}_${c.teamName}.png`]).sort());
    expect(entries.map((e) => e.modified)).toEqual(entries.map(() => '2027-07-16 07:30:00'));
  });
});
