import { and, asc, eq, like } from 'drizzle-orm';
import { unzipSync } from 'fflate';
import { PDFParse } from 'pdf-parse';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, certificates, chatBindings, cycles, honours, outbox } from '../../db/schema.js';
import { certificateValues } from '../../src/certificates/index.js';
import { CertificateRenderer } from '../../src/certificates/render.js';
import { ManualClock } from '../../src/clock.js';
import { createLarkClient } from '../../src/lark/client.js';
import { createLogger } from '../../src/log.js';
import { cardText, expectValidCard } from '../support/cards.js';
import { ADMIN, startHarness, TEST_VERIFICATION_TOKEN, type Harness } from '../support/harness.js';
import { cardActionEvent } from '../support/larkEvents.js';
import { seedScoredTeam } from '../support/scoredTeams.js';
import { upheldRun } from '../support/upheldRun.js';

/**
 * Acceptance 3 of issue 15: publishing a cycle with five titles sends each leader and contact the
 * certificate as an image and a PDF, and the admin group one zip with all ten files; the files are read
 * back from what the simulated Open Platform received.
 */

const ADMIN_GROUP = 'oc_certadmingroup0000000000000000001';
// a name with every XML special character, so the template's escaping is exercised end to end
const NAMES = ['道路<养护>&“一”班', '桥梁检测二班', '给排水管网三班', '隧道施工四班', '园林绿化五班', '路灯维修六班'];
const leaderOf = (n: number) => `ou_certleader000000000000000000000${n}`;
const contactOf = (n: number) => `ou_certcontact00000000000000000000${n}`;

let h: Harness;
const clock = new ManualClock('2027-03-05T09:00:00+08:00');
const renderer = new CertificateRenderer();
let cycleId: number;

beforeAll(async () => {
  h = await startHarness({ clock, outboxLimits: { perApp: 1000, perReceiver: 1000 } });
});
afterAll(async () => {
  await h?.close();
});

const db = () => h.db.db;
const textOfPdf = async (bytes: Buffer) => (await new PDFParse({ data: new Uint8Array(bytes) }).getText()).text;

/** Pixels (RGBA) that differ between two images of one size, counted inside and outside rows [top, bottom). */
function pixelDiff(a: PNG, b: PNG, top: number, bottom: number): { inside: number; outside: number } {
  let inside = 0;
  let outside = 0;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      const i = (y * a.width + x) * 4;
      if (a.data[i] !== b.data[i] || a.data[i + 1] !== b.data[i + 1] || a.data[i + 2] !== b.data[i + 2]) {
        if (y >= top && y < bottom) inside++;
        else outside++;
      }
    }
  }
  return { inside, outside };
}

const seedTeam = (n: number, awarded: boolean) =>
  seedScoredTeam(db(), { cycleId, n, code: `GDSZ-2025-020${n}`, name: NAMES[n - 1], leader: leaderOf(n), contact: contactOf(n), aggregatedAt: clock.now(), awarded, recommended: n === 1 });

describe('certificates on publishing (第二十条)', () => {
  it('sets up a closed cycle: five titles, one team below the line, an admin group', async () => {
    await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15' });
    [{ id: cycleId }] = await db().select({ id: cycles.id }).from(cycles);
    await db().update(cycles).set({ status: 'closed' }).where(eq(cycles.id, cycleId));
    for (let n = 1; n <= 6; n++) await seedTeam(n, n <= 5);
    await db().insert(chatBindings).values({ chatId: ADMIN_GROUP, purpose: 'admin', boundBy: ADMIN });
  });

  it('the publish callback numbers five certificates and draws nothing: the outbox rows only describe the files', async () => {
    h.fake.reset();
    const started = performance.now();
    const res = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value: { action: 'results.publish', cycleId } }));
    const callbackMs = performance.now() - started;
    expect(res.status).toBe(200);
    expect(res.body.toast.type).toBe('success');
    // the callback records the job; its batches number the certificates and queue the messages
    await h.app.bulkJobs.drain();
    // nothing is drawn or uploaded while Feishu waits for the callback, nor by the job
    expect(h.fake.uploads).toHaveLength(0);
    const queued = await db().select().from(outbox).where(like(outbox.dedupeKey, 'certificate:%'));
    expect(queued).toHaveLength(20);
    for (const row of queued) expect(row.card).not.toHaveProperty('base64');

    const issued = await db().select().from(certificates).orderBy(asc(certificates.number));
    expect(issued.map((c) => c.number)).toEqual(['GDSZ-ZS-2027-0001', 'GDSZ-ZS-2027-0002', 'GDSZ-ZS-2027-0003', 'GDSZ-ZS-2027-0004', 'GDSZ-ZS-2027-0005']);
    expect(issued.map((c) => c.teamName)).toEqual(NAMES.slice(0, 5));
    expect(issued.every((c) => c.association === '广东省市政行业协会' && c.year === 2027 && c.title === '广东省市政工程质量信得过班组')).toBe(true);
    const [audit] = await db().select().from(auditLog).where(eq(auditLog.action, 'certificates.issue'));
    expect(audit.details).toEqual({ numbers: issued.map((c) => c.number) });
    // every character of these names is in the font: the results card warns of no box
    const [resultsCard] = await db().select().from(outbox).where(like(outbox.dedupeKey, `results:published:2027:card:%${ADMIN_GROUP}%`));
    expect(cardText(resultsCard.card)).toContain('2027年度质量信得过班组评审结果已公布');
    expect(cardText(resultsCard.card)).not.toContain('方框');
    console.log(`publish callback with 5 certificates queued: ${callbackMs.toFixed(0)} ms`);
  }, 120_000);

  it('sends each leader and contact the certificate image: a PNG of the certificate with the team name drawn where it goes', async () => {
    const started = performance.now();
    await h.app.dispatcher.drain(120_000);
    console.log(`outbox drained (10 PNG, 10 PDF, 1 zip drawn and uploaded): ${(performance.now() - started).toFixed(0)} ms`);
    const issued = await db().select().from(certificates).orderBy(asc(certificates.number));
    const images = h.fake.messages.filter((m) => m.msgType === 'image');
    expect(images).toHaveLength(10);
    for (const [i, c] of issued.entries()) {
      const n = i + 1;
      const values = certificateValues(c, 'Asia/Shanghai');
      const expected = await renderer.png(values);
      const [leaderImage, contactImage] = [leaderOf(n), contactOf(n)].map((who) => {
        const mine = images.filter((m) => m.receiveId === who);
        expect(mine, who).toHaveLength(1);
        return h.fake.upload(mine[0].content.image_key)!;
      });
      for (const upload of [leaderImage, contactImage]) {
        expect(upload).toMatchObject({ kind: 'image', imageType: 'message', format: 'png', width: 2246, height: 1588 });
        // the very certificate of this team: the same bytes as drawing its values again
        expect(upload.bytes.equals(expected)).toBe(true);
      }
      const png = PNG.sync.read(leaderImage.bytes);
      expect([png.width, png.height]).toEqual([2246, 1588]);
      // the team's row (y 254–316 of the 794-high template, twice that in pixels) is where the name is drawn
      const blank = PNG.sync.read(await renderer.png({ ...values, team: '' }));
      const diff = pixelDiff(png, blank, 500, 640);
      expect(diff.inside).toBeGreaterThan(1500);
      expect(diff.outside).toBe(0);
    }
    const svg = await renderer.svg(certificateValues(issued[0], 'Asia/Shanghai'));
    expect(svg).toContain('>道路&lt;养护&gt;&amp;“一”班</text>');
    expect(svg).toContain('证书编号：GDSZ-ZS-2027-0001');
    expect(svg).not.toMatch(/\{\{/);
  }, 180_000);

  it('sends each leader and contact the PDF for printing, readable by a PDF parser, with the team, organisation and number', async () => {
    const issued = await db().select().from(certificates).orderBy(asc(certificates.number));
    const pdfs = h.fake.messages.filter((m) => m.msgType === 'file' && m.receiveId !== ADMIN_GROUP);
    expect(pdfs).toHaveLength(10);
    for (const [i, c] of issued.entries()) {
      for (const who of [leaderOf(i + 1), contactOf(i + 1)]) {
        const mine = pdfs.filter((m) => m.receiveId === who);
        expect(mine).toHaveLength(1);
        const upload = h.fake.upload(mine[0].content.file_key)!;
        expect(upload).toMatchObject({ kind: 'file', fileType: 'pdf', fileName: `${c.number}_${c.teamName.replace(/[<>"]/g, '_')}.pdf` });
        const text = await textOfPdf(upload.bytes);
        for (const part of [c.teamName, c.organization, c.number, '广东省市政行业协会', '2027', '质量信得过班组']) expect(text).toContain(part);
      }
    }
    expect(h.fake.messages.filter((m) => m.receiveId === leaderOf(6) && m.msgType !== 'interactive')).toHaveLength(0);
  }, 120_000);

  it('gives each leader and contact the result card first, then the image, then the PDF: in the order the card announces them', async () => {
    for (let n = 1; n <= 5; n++) {
      for (const who of [leaderOf(n), contactOf(n)]) {
        const mine = h.fake.messages.filter((m) => m.receiveId === who);
        expect(mine.map((m) => m.msgType), who).toEqual(['interactive', 'image', 'file']);
        expect(JSON.stringify(mine[0].content)).toContain('证书图片和可打印的 PDF 随后发送');
      }
    }
  });

  it('sends the admin group one zip with the five images and five PDFs', async () => {
    const issued = await db().select().from(certificates).orderBy(asc(certificates.number));
    const toGroup = h.fake.messages.filter((m) => m.receiveId === ADMIN_GROUP && m.msgType === 'file').map((m) => h.fake.upload(m.content.file_key)!);
    const zips = toGroup.filter((u) => u.fileName!.endsWith('.zip'));
    expect(zips).toHaveLength(1);
    expect(zips[0].fileName).toBe('2027年度质量信得过班组荣誉证书.zip');
    const entries = unzipSync(new Uint8Array(zips[0].bytes));
    const names = Object.keys(entries).sort();
    expect(names).toHaveLength(10);
    expect(names.filter((n) => n.endsWith('.png'))).toHaveLength(5);
    expect(names.filter((n) => n.endsWith('.pdf'))).toHaveLength(5);
    for (const c of issued) {
      const base = names.find((n) => n.startsWith(c.number) && n.endsWith('.png'))!;
      expect(PNG.sync.read(Buffer.from(entries[base])).width).toBe(2246);
      const pdf = names.find((n) => n.startsWith(c.number) && n.endsWith('.pdf'))!;
      expect(await textOfPdf(Buffer.from(entries[pdf]))).toContain(c.teamName);
    }
  }, 120_000);

  it('publishing again sends nothing and numbers nothing', async () => {
    const before = h.fake.messages.length;
    const again = await h.click(ADMIN, { action: 'results.publish', cycleId });
    expect(again.toast.content).toContain('无需重复公布');
    expect(h.fake.messages.length).toBe(before);
    expect(await db().select().from(certificates)).toHaveLength(5);
  });

  it('a revoked title lists its certificate number as void: in the decision, the notice and 进度', async () => {
    const [c] = await db().select().from(certificates).where(eq(certificates.number, 'GDSZ-ZS-2027-0002'));
    // the alert it answers: two upheld complaints in a row
    await upheldRun(db(), c.teamId);
    const res = await h.click(ADMIN, { action: 'revocation.revoke', honourId: c.honourId }, { reason: '连续两次顾客投诉经核实成立' });
    expect(cardText(res.card.data)).toContain('GDSZ-ZS-2027-0002（已作废）');
    const notice = h.fake.messages.filter((m) => m.receiveId === leaderOf(2) && m.msgType === 'interactive').at(-1)!;
    expectValidCard(notice.content);
    expect(cardText(notice.content)).toContain('GDSZ-ZS-2027-0002（已作废）');
    const [revoked] = await db().select().from(honours).where(and(eq(honours.id, c.honourId)));
    expect(revoked.revokedAt).not.toBeNull();

    await h.say(leaderOf(2), '进度');
    const status = cardText(h.fake.messages.filter((m) => m.receiveId === leaderOf(2)).at(-1)!.content);
    expect(status).toContain('证书编号 GDSZ-ZS-2027-0002（已作废）');
    await h.say(leaderOf(3), '进度');
    const held = cardText(h.fake.messages.filter((m) => m.receiveId === leaderOf(3)).at(-1)!.content);
    expect(held).toContain('证书编号 GDSZ-ZS-2027-0003');
    expect(held).not.toContain('已作废');
  });
});

describe('the simulated Open Platform checks image uploads as Feishu documents them', () => {
  it('refuses an empty image, one over 10 MB and bytes that are no image; keeps a PNG with its size', async () => {
    const client = createLarkClient({ appId: 'cli_test', appSecret: 'test-secret', domain: h.fake.url, log: createLogger('silent') });
    const upload = (image: Buffer) =>
      client.im.v1.image.create({ data: { image_type: 'message', image } }).then(
        (r) => ({ code: 0, key: r?.image_key }),
        (e) => ({ code: e?.response?.data?.code as number, key: undefined }),
      );
    expect((await upload(Buffer.alloc(0))).code).toBe(234010);
    const big = Buffer.alloc(10 * 1024 * 1024 + 1);
    (await renderer.png({ association: 'a', team: 't', organization: 'o', year: '2027', title: 't', number: 'n', date: 'd' })).copy(big);
    expect((await upload(big)).code).toBe(234006);
    expect((await upload(Buffer.from('%PDF-1.7 not an image'))).code).toBe(234011);
    const ok = await upload(PNG.sync.write(new PNG({ width: 3, height: 2 })));
    expect(ok.key).toMatch(/^img_v2_/);
    expect(h.fake.upload(ok.key!)).toMatchObject({ format: 'png', width: 3, height: 2 });
  }, 120_000);
});
