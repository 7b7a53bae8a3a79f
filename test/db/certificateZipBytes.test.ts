import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, asc, eq, like, ne } from 'drizzle-orm';
import { unzipSync } from 'fflate';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificates, chatBindings, cycles, outbox } from '../../db/schema.js';
import { defaultCertificateTemplate } from '../../src/certificates/render.js';
import { ManualClock } from '../../src/clock.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActionEvent } from '../support/larkEvents.js';
import { seedScoredTeam } from '../support/scoredTeams.js';

/**
 * An association's own template with a photo behind the text, embedded as the README asks (a `data:` image): each
 * certificate's PNG is then some 9 MB, and four of them already pass the 30 MB Feishu's im/v1/files takes. The year's
 * certificates go as zips filled by bytes, each under the limit, however few certificates that leaves in each.
 */
const TITLES = 4;
const ADMIN_GROUP = 'oc_certzipbytes0000000000000000001';
const clock = new ManualClock('2027-03-05T09:00:00+08:00');
let h: Harness;
let dir: string;
const db = () => h.db.db;

/** A background that does not compress: noise, drawn over the page (upscaled, the PNG stays heavy). */
function heavyTemplate(): string {
  const png = new PNG({ width: 400, height: 283 });
  let seed = 1;
  for (let i = 0; i < png.data.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    png.data[i] = (i & 3) === 3 ? 255 : 200 + (seed >>> 26);
  }
  const image = `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`;
  const svg = readFileSync(defaultCertificateTemplate, 'utf8')
    .replace('<svg xmlns="http://www.w3.org/2000/svg"', '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"')
    .replace('<rect width="1123" height="794" fill="#fffdf6"/>', `<image x="0" y="0" width="1123" height="794" preserveAspectRatio="none" xlink:href="${image}"/>`);
  const path = join(dir, 'photo.svg');
  writeFileSync(path, svg);
  return path;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'certificate-bytes-'));
  h = await startHarness({ clock, env: { CERTIFICATE_TEMPLATE: heavyTemplate() }, outboxLimits: { perApp: 100000, perReceiver: 100000 }, runDispatcher: false });
  await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15' });
  const [{ id: cycleId }] = await db().select({ id: cycles.id }).from(cycles).where(eq(cycles.year, 2027));
  await db().update(cycles).set({ status: 'closed' }).where(eq(cycles.id, cycleId));
  for (let n = 1; n <= TITLES; n++) {
    await seedScoredTeam(db(), { cycleId, n, code: `GDSZ-2025-${String(n).padStart(4, '0')}`, name: `市政养护第${n}班组`, leader: `ou_bytlead${String(n).padStart(25, '0')}`, contact: `ou_bytcont${String(n).padStart(25, '0')}`, aggregatedAt: clock.now() });
  }
  await db().insert(chatBindings).values({ chatId: ADMIN_GROUP, purpose: 'admin', boundBy: ADMIN });
  const res = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value: { action: 'results.publish', cycleId }, messageId: 'om_cert_zip_bytes' }));
  expect(res.body.toast.type).toBe('success');
  await h.app.bulkJobs.drain();
  // only what the admin group is sent goes out here (the teams' own certificates are tested elsewhere)
  await db().delete(outbox).where(and(ne(outbox.status, 'sent'), ne(outbox.receiver, ADMIN_GROUP)));
  await h.app.dispatcher.drain(300_000);
}, 600_000);
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the certificates of a template with an embedded photo', () => {
  it('reach the administrators’ group in zips each under 30 MB, every certificate once', async () => {
    const issued = await db().select().from(certificates).orderBy(asc(certificates.number));
    expect(issued).toHaveLength(TITLES);
    const rows = await db().select().from(outbox).where(like(outbox.dedupeKey, 'results:published:2027:certificates%')).orderBy(asc(outbox.id));
    expect(rows.map((r) => [r.status, r.lastError])).toEqual(rows.map(() => ['sent', null]));
    const zips = h.fake.messages.filter((m) => m.receiveId === ADMIN_GROUP && m.msgType === 'file').map((m) => h.fake.upload(m.content.file_key)!).filter((u) => u.fileName?.endsWith('.zip'));
    expect(zips.length).toBeGreaterThan(1);
    const seen: string[] = [];
    let largest = 0;
    for (const z of zips) {
      expect(z.bytes.length).toBeLessThan(30 * 1024 * 1024);
      largest = Math.max(largest, z.bytes.length);
      const files = unzipSync(new Uint8Array(z.bytes));
      seen.push(...Object.keys(files));
      // the photo is there: each PNG is heavy
      for (const [name, bytes] of Object.entries(files)) if (name.endsWith('.png')) expect(bytes.length, name).toBeGreaterThan(5 * 1024 * 1024);
    }
    // filled by bytes: the first part holds what fits, more than one certificate
    expect(largest).toBeGreaterThan(15 * 1024 * 1024);
    const expected = issued.flatMap((c) => [`${c.number}_${c.teamName}.png`, `${c.number}_${c.teamName}.pdf`]);
    expect(seen.sort()).toEqual(expected.sort());
    // the notice names what each holds, the parts as the zips are named
    const notice = h.fake.messages.find((m) => m.receiveId === ADMIN_GROUP && m.msgType === 'text' && String(m.content.text).includes('个压缩包'));
    expect(String(notice?.content.text)).toContain(`分 ${zips.length} 个压缩包发送`);
    expect(zips.map((z) => z.fileName).sort()).toEqual(Array.from({ length: zips.length }, (_, i) => `2027年度质量信得过班组荣誉证书（${i + 1}／${zips.length}）.zip`));
  });
});
