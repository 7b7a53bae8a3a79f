/**
 * A certificate too heavy for Feishu however small it is drawn (the template's embedded photo too large) weighs the
 * same at every attempt: it was retried eight times over some hours, drawn again each time, before it was given up.
 * It is given up at its first attempt now, logged at error with what to fix, and the administrators are alerted once
 * a day for all such certificates.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { eq, like } from 'drizzle-orm';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outbox } from '../../db/schema.js';
import { CertificateRenderer, defaultCertificateTemplate } from '../../src/certificates/render.js';
import { ManualClock } from '../../src/clock.js';
import { createLarkClient, LarkTransport } from '../../src/lark/client.js';
import { createLogger } from '../../src/log.js';
import { type FakeOpenPlatform, startFakeOpenPlatform } from '../../src/local/fakeOpenPlatform.js';
import { deadLetterAlert } from '../../src/notifications.js';
import { enqueue, OutboxDispatcher } from '../../src/outbox.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { scratchDir } from '../support/scratch.js';

const ADMIN = 'ou_admin_certificate_too_large_00001';
const LEADER = 'ou_leader_certificate_too_large_0001';
let db: TestDatabase;
let fake: FakeOpenPlatform;
beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startFakeOpenPlatform({ appId: 'cli_too_large', appSecret: 'too-large-secret' });
});
afterAll(async () => {
  await fake?.close();
  await db?.close();
});

/** The shipped template with a photo behind the text (noise, which does not compress), embedded as a data: URL. */
function photoTemplate(dir: string): string {
  const png = new PNG({ width: 400, height: 283 });
  let seed = 7;
  for (let i = 0; i < png.data.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    png.data[i] = (i & 3) === 3 ? 255 : 160 + (seed >>> 26);
  }
  const svg = readFileSync(defaultCertificateTemplate, 'utf8').replace(
    '<rect width="1123" height="794" fill="#fffdf6"/>',
    `<image width="1123" height="794" preserveAspectRatio="none" href="data:image/png;base64,${PNG.sync.write(png).toString('base64')}"/>`,
  );
  const path = join(dir, 'photo.svg');
  writeFileSync(path, svg);
  return path;
}

describe('a certificate too heavy for Feishu at its smallest readable size', () => {
  it('is given up at its first attempt, logged at error saying what to fix, and the administrators alerted', async () => {
    // the limit lowered to 1 MB: at 1123 × 794 pixels this photo's PNG weighs some 2.5 MB
    const renderer = new CertificateRenderer({ templatePath: photoTemplate(scratchDir('certificate-too-large')), pngBytesMax: 1024 * 1024 });
    const values = { association: '广东省市政行业协会', team: '市政养护第一班组', organization: '广州市市政工程维修有限公司', year: '2027', title: '广东省市政工程质量信得过班组', number: 'GDSZ-ZS-2027-0001', date: '2027年7月20日' };
    let drawn = 0;
    const attachments = Object.assign(async () => {
      drawn++;
      return { bytes: await renderer.png(values) };
    }, {});
    const lines: { level: number; msg: string; error?: string }[] = [];
    const log = createLogger('info', new Writable({ write: (c, _e, cb) => (lines.push(JSON.parse(String(c))), cb()) }));
    const d = new OutboxDispatcher({
      db: db.db,
      transport: new LarkTransport(createLarkClient({ appId: 'cli_too_large', appSecret: 'too-large-secret', domain: fake.url, log }), attachments),
      log,
      onDeadLetter: deadLetterAlert([ADMIN], 'Asia/Shanghai', new ManualClock('2027-07-20T10:00:00+08:00')),
      limits: { perApp: 1000, perReceiver: 1000 },
    });
    await db.db.transaction((tx) => enqueue(tx, { dedupeKey: 'results:certificate:too-large:png', to: { openId: LEADER }, image: { render: { kind: 'certificate', certificateId: 1, format: 'png' } } }));
    await d.runOnce();
    const [row] = await db.db.select().from(outbox).where(eq(outbox.dedupeKey, 'results:certificate:too-large:png'));
    expect([row.status, row.attempts, drawn]).toEqual(['dead', 1, 1]);
    expect(row.lastError).toMatch(/^CERTIFICATE_TEMPLATE: 证书 GDSZ-ZS-2027-0001 的图片缩小到 1123 × 794 像素仍有 [\d.]+ MB，超过飞书图片上限（须小于 1\.0 MB）：请缩小证书模板中嵌入的图片/);
    // nothing uploaded, nothing sent
    expect(fake.uploads).toHaveLength(0);
    expect(fake.messages.filter((m) => m.receiveId === LEADER)).toHaveLength(0);
    const logged = lines.find((l) => l.msg === 'message dead-lettered');
    expect(logged?.level).toBe(50);
    expect(logged?.error).toMatch(/请缩小证书模板中嵌入的图片/);
    // the administrators' one alert of the day (of the row's queuing) for every certificate this template fails
    const alerts = await db.db.select({ key: outbox.dedupeKey }).from(outbox).where(like(outbox.dedupeKey, 'alert:dead-letter:%'));
    expect(alerts.map((a) => a.key)).toEqual([expect.stringMatching(new RegExp(`^alert:dead-letter:setup:CERTIFICATE_TEMPLATE:\\d{4}-\\d{2}-\\d{2}:user:${ADMIN}$`))]);
  }, 120_000);
});
