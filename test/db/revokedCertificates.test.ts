import { and, asc, eq, inArray, like, ne } from 'drizzle-orm';
import { unzipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditLog, certificates, chatBindings, cycles, honours, outbox, teams } from '../../db/schema.js';
import { type Certificate, certificateAttachments, certificateValues, certificateZip } from '../../src/certificates/index.js';
import { CertificateRenderer } from '../../src/certificates/render.js';
import { ManualClock } from '../../src/clock.js';
import { LarkTransport } from '../../src/lark/client.js';
import { createLogger } from '../../src/log.js';
import { metrics } from '../../src/metrics.js';
import { messageUuid, OutboxDispatcher, type RenderedAttachment } from '../../src/outbox.js';
import { cardText } from '../support/cards.js';
import { LEASE_RUN_OUT_MS, testDispatcher } from '../support/dispatchers.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActionEvent } from '../support/larkEvents.js';
import { seedScoredTeam } from '../support/scoredTeams.js';
import { until } from '../support/waiting.js';
import { upheldRun } from '../support/upheldRun.js';

/**
 * 公布结果 queues each title's certificate (an image and a PDF, to the leader and the contact) and the admin
 * group's zip; the outbox draws them when it sends them. A title revoked (第二十二条) while they still wait
 * must not have its certificate sent: the certificate is the proof of the title.
 */

const ADMIN_GROUP = 'oc_revokedcertgroup00000000000000001';
const NAMES = ['道路养护一班', '桥梁检测二班', '给排水管网三班'];
const leaderOf = (n: number) => `ou_rvkleader0000000000000000000000${n}`;
const contactOf = (n: number) => `ou_rvkcontact000000000000000000000${n}`;
/** The second team's title is the one revoked (recommended to the national association when published). */
const REVOKED = 2;

let h: Harness;
let clock: ManualClock;
let cycleId: number;
const renderer = new CertificateRenderer();
const db = () => h.db.db;

async function post(value: Record<string, unknown>, formValue?: Record<string, unknown>) {
  // straight to the bot, as Feishu calls it: the outbox does not run here
  const res = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value, formValue, messageId: 'om_revoked_cert_admin' }));
  expect(res.status).toBe(200);
  return res.body;
}

const seedTeam = (n: number) =>
  seedScoredTeam(db(), { cycleId, n, code: `GDSZ-2025-030${n}`, name: NAMES[n - 1], leader: leaderOf(n), contact: contactOf(n), aggregatedAt: clock.now(), recommended: n === REVOKED });

beforeEach(async () => {
  clock = new ManualClock('2027-03-05T09:00:00+08:00');
  // the bot's own dispatcher is not running: each test sends when it means to
  h = await startHarness({ clock, outboxLimits: { perApp: 1000, perReceiver: 1000 }, runDispatcher: false });
  expect((await post({ action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15' })).toast.type).toBe('success');
  await h.app.dispatcher.drain();
  [{ id: cycleId }] = await db().select({ id: cycles.id }).from(cycles);
  await db().update(cycles).set({ status: 'closed' }).where(eq(cycles.id, cycleId));
  for (let n = 1; n <= NAMES.length; n++) await seedTeam(n);
  await db().insert(chatBindings).values({ chatId: ADMIN_GROUP, purpose: 'admin', boundBy: ADMIN });
  // 公布结果: the job numbers the certificates and queues every message; nothing is drawn or sent yet
  await post({ action: 'results.publish', cycleId });
  await h.app.bulkJobs.drain();
  h.fake.reset();
  // the administrator's card the results were published from is still there to update: the job's card goes to it
  h.fake.earlierCard('om_revoked_cert_admin');
}, 120_000);
afterEach(async () => {
  await h?.close();
});

const certificateOf = async (n: number): Promise<Certificate> => (await db().select().from(certificates).where(eq(certificates.teamName, NAMES[n - 1])))[0];
const certificateRows = (c: Pick<Certificate, 'number'>) => db().select().from(outbox).where(like(outbox.dedupeKey, `certificate:${c.number}:%`)).orderBy(asc(outbox.id));
const sendRequests = (key: string) => h.fake.requests.filter((r) => r.path === '/open-apis/im/v1/messages' && r.body?.uuid === messageUuid(key));
const droppedSoFar = async () => (await metrics.outboxFailed.get()).values.find((v) => v.labels.reason === 'dropped')?.value ?? 0;

/** 撤销称号 through the administrator's card, as Feishu calls it, two days after publishing. */
async function revoke(c: Certificate) {
  clock.advanceDays(2);
  // the alert it answers: two upheld complaints in a row
  await upheldRun(db(), c.teamId);
  const res = await post({ action: 'revocation.revoke', honourId: c.honourId }, { reason: '连续两次顾客投诉经核实成立' });
  expect(res.toast.type).toBe('success');
  const [honour] = await db().select().from(honours).where(eq(honours.id, c.honourId));
  expect(honour.revokedAt).not.toBeNull();
}

const REASON = '证书 GDSZ-ZS-2027-0002 已作废：2027年度称号已于 2027年3月7日 撤销（第二十二条），证书不再发送';

describe('the certificate of a title revoked while it waited in the outbox (第二十二条)', () => {
  it('is dropped with its reason and never uploaded; the result card says the title was revoked; the other teams get theirs, and the zip leaves it out', async () => {
    const revoked = await certificateOf(REVOKED);
    expect(revoked.number).toBe('GDSZ-ZS-2027-0002');
    // each image waits for its result card, each PDF for its image
    const waiting = await certificateRows(revoked);
    expect(waiting.map((r) => r.status)).toEqual(['waiting', 'waiting', 'waiting', 'waiting']);
    await revoke(revoked);
    const dropsBefore = await droppedSoFar();

    await h.app.dispatcher.drain(120_000);

    // the revoked team: its result card went out and says the title was revoked
    const [revokedTeam] = await db().select().from(teams).where(eq(teams.id, revoked.teamId));
    for (const audience of ['leader', 'contact']) {
      const key = `results:published:2027:team-${revokedTeam.id}:${audience}`;
      const [row] = await db().select().from(outbox).where(eq(outbox.dedupeKey, key));
      expect(row.status).toBe('sent');
      const [message] = h.fake.messages.filter((m) => m.uuid === messageUuid(key));
      expect(cardText(message.content)).toContain('公布时授予2027年度“广东省市政工程质量信得过班组”称号，该称号已于 2027年3月7日 撤销');
    }
    // its four certificate rows ended dropped, with the reason, after one attempt; nothing reached the platform for them
    const dropped = await certificateRows(revoked);
    expect(dropped).toHaveLength(4);
    for (const row of dropped) {
      expect(row).toMatchObject({ status: 'dropped', lastError: REASON, attempts: 1, messageId: null });
      expect(sendRequests(row.dedupeKey)).toHaveLength(0);
      expect(h.logs.some((l) => l.includes('message dropped: no longer relevant') && l.includes(row.dedupeKey) && l.includes(REASON))).toBe(true);
    }
    expect((await droppedSoFar()) - dropsBefore).toBe(4);
    for (const who of [leaderOf(REVOKED), contactOf(REVOKED)]) {
      expect(h.fake.messages.filter((m) => m.receiveId === who && m.msgType !== 'interactive')).toHaveLength(0);
    }
    const revokedPng = await renderer.png(certificateValues(revoked, 'Asia/Shanghai'));
    expect(h.fake.uploads.some((u) => u.bytes.equals(revokedPng))).toBe(false);
    expect(h.fake.uploads.some((u) => u.fileName?.startsWith(revoked.number))).toBe(false);

    // the other teams: an image and a PDF each, to the leader and to the contact, as before
    for (const n of [1, 3]) {
      const c = await certificateOf(n);
      expect((await certificateRows(c)).map((r) => r.status)).toEqual(['sent', 'sent', 'sent', 'sent']);
      const png = await renderer.png(certificateValues(c, 'Asia/Shanghai'));
      for (const who of [leaderOf(n), contactOf(n)]) {
        const [image] = h.fake.messages.filter((m) => m.receiveId === who && m.msgType === 'image');
        expect(h.fake.upload(image.content.image_key)!.bytes.equals(png)).toBe(true);
        const [pdf] = h.fake.messages.filter((m) => m.receiveId === who && m.msgType === 'file');
        expect(h.fake.upload(pdf.content.file_key)).toMatchObject({ fileType: 'pdf', fileName: `${c.number}_${c.teamName}.pdf` });
      }
    }
    expect(h.fake.uploads.filter((u) => u.kind === 'image')).toHaveLength(4);

    // the admin group's zip holds the two certificates still valid, not the void one
    const files = h.fake.messages.filter((m) => m.receiveId === ADMIN_GROUP && m.msgType === 'file').map((m) => h.fake.upload(m.content.file_key)!);
    const zip = files.find((u) => u.fileName === '2027年度质量信得过班组荣誉证书.zip')!;
    const names = Object.keys(unzipSync(new Uint8Array(zip.bytes))).sort();
    expect(names).toEqual(['GDSZ-ZS-2027-0001_道路养护一班.pdf', 'GDSZ-ZS-2027-0001_道路养护一班.png', 'GDSZ-ZS-2027-0003_给排水管网三班.pdf', 'GDSZ-ZS-2027-0003_给排水管网三班.png']);
  }, 180_000);

  it('the administrators’ 评审结果 afterwards marks the revoked title and counts it out of the titles and the recommendations', async () => {
    const before = cardText((await post({ action: 'results.preview', cycleId })).card.data);
    expect(before).toContain(`${NAMES[REVOKED - 1]}：**93** 分 · 授予称号 · 推荐`);
    await revoke(await certificateOf(REVOKED));
    const text = cardText((await post({ action: 'results.preview', cycleId })).card.data);
    expect(text).toContain(`第 ${REVOKED} 名　GDSZ-2025-030${REVOKED} ${NAMES[REVOKED - 1]}：**93** 分 · 授予称号（已撤销） · 推荐（已撤销）`);
    expect(text).not.toMatch(new RegExp(`${NAMES[REVOKED - 1]}：\\*\\*93\\*\\* 分 · 授予称号 · 推荐`));
    // the other two stand
    expect(text).toContain(`第 1 名　GDSZ-2025-0301 ${NAMES[0]}：**94** 分 · 授予称号\n`);
    expect(text).toContain('**授予称号**：2 个（85 分及以上；另有 1 个已撤销，第二十二条）');
    expect(text).toMatch(/\*\*推荐全国性协会\*\*：0 个（[^）]*；另有 1 个称号已撤销）/);
  }, 120_000);

  it('claimed and drawn, then the process died before sending, then the title was revoked: the replica that takes the row over drops it', async () => {
    const c = await certificateOf(REVOKED);
    const [target] = (await certificateRows(c)).filter((r) => r.msgType === 'image' && r.receiver === leaderOf(REVOKED));
    // only this row is due, so the dying process claims it alone (the result card it waited for marked sent, it is released)
    await db().update(outbox).set({ status: 'sent' }).where(and(ne(outbox.id, target.id), inArray(outbox.status, ['pending', 'waiting'])));
    const real = certificateAttachments(db(), renderer, 'Asia/Shanghai');
    const drawn: RenderedAttachment[] = [];
    const dying = new OutboxDispatcher({
      db: db(),
      // draws the certificate as the real transport does, then dies before the upload: the row stays `sending`
      transport: new LarkTransport(h.app.larkClient, async (spec) => {
        drawn.push(await real(spec));
        return new Promise<RenderedAttachment>(() => {});
      }),
      log: createLogger('silent'),
      limits: { perApp: 1000, perReceiver: 1000 },
    });
    void dying.runOnce();
    await until(() => drawn.length === 1);
    expect(drawn[0]).toHaveProperty('bytes');
    const [stuck] = await db().select().from(outbox).where(eq(outbox.id, target.id));
    expect(stuck).toMatchObject({ status: 'sending', attempts: 1 });

    await revoke(c);
    // another replica takes the row over once the lease has run out
    await db().update(outbox).set({ claimedAt: new Date(Date.now() - LEASE_RUN_OUT_MS) }).where(eq(outbox.id, target.id));
    await h.app.dispatcher.drain(60_000);

    const [done] = await db().select().from(outbox).where(eq(outbox.id, target.id));
    expect(done).toMatchObject({ status: 'dropped', lastError: REASON, attempts: 2 });
    expect(sendRequests(target.dedupeKey)).toHaveLength(0);
    expect(h.fake.uploads).toHaveLength(0);
    expect(h.fake.messages.filter((m) => m.receiveId === leaderOf(REVOKED) && m.msgType === 'image')).toHaveLength(0);
    // the revocation notice itself went out
    expect(h.fake.messages.some((m) => m.receiveId === leaderOf(REVOKED) && cardText(m.content).includes('GDSZ-ZS-2027-0002（已作废）'))).toBe(true);
  }, 120_000);

  it('revoked while its certificate was being uploaded: the row is dropped after the upload, and nothing is sent', async () => {
    const c = await certificateOf(REVOKED);
    const [target] = (await certificateRows(c)).filter((r) => r.msgType === 'image' && r.receiver === leaderOf(REVOKED));
    await db().update(outbox).set({ status: 'sent' }).where(and(ne(outbox.id, target.id), inArray(outbox.status, ['pending', 'waiting'])));
    const real = h.app.larkClient;
    let revokedDuringUpload = false;
    // the real SDK against the fake platform; the revocation commits while the image is on its way up
    const client = {
      im: {
        v1: {
          message: real.im.v1.message,
          file: real.im.v1.file,
          image: {
            create: async (payload: Parameters<typeof real.im.v1.image.create>[0]) => {
              await revoke(c);
              revokedDuringUpload = true;
              return real.im.v1.image.create(payload);
            },
          },
        },
      },
    } as unknown as typeof real;
    const dispatcher = new OutboxDispatcher({
      db: db(),
      transport: new LarkTransport(client, certificateAttachments(db(), renderer, 'Asia/Shanghai')),
      log: createLogger('silent'),
      limits: { perApp: 1000, perReceiver: 1000 },
      clock,
    });
    // one round of claims: the certificate alone is due (the revocation's notices are queued during the upload)
    expect(await dispatcher.runOnce()).toBe(1);
    expect(revokedDuringUpload).toBe(true);
    const [done] = await db().select().from(outbox).where(eq(outbox.id, target.id));
    expect(done).toMatchObject({ status: 'dropped', lastError: REASON, attempts: 1, messageId: null });
    // the image reached the platform, the message never did
    expect(h.fake.uploads.filter((u) => u.kind === 'image')).toHaveLength(1);
    expect(sendRequests(target.dedupeKey)).toHaveLength(0);
    expect(h.fake.messages.filter((m) => m.receiveId === leaderOf(REVOKED) && m.msgType === 'image')).toHaveLength(0);
    // the revocation notice itself goes out
    await h.app.dispatcher.drain(30_000);
    expect(h.fake.messages.some((m) => m.receiveId === leaderOf(REVOKED) && cardText(m.content).includes('GDSZ-ZS-2027-0002（已作废）'))).toBe(true);
  }, 120_000);

  it('a certificate renderer that fails is a failed send: retried with backoff, then dead-lettered with an alert, nothing uploaded', async () => {
    const c = await certificateOf(1);
    const [target] = (await certificateRows(c)).filter((r) => r.msgType === 'file' && r.receiver === leaderOf(1));
    await db().update(outbox).set({ status: 'sent' }).where(and(ne(outbox.id, target.id), inArray(outbox.status, ['pending', 'waiting'])));
    let calls = 0;
    const failing = testDispatcher(db(), h.app.larkClient, {}, {
      admins: [ADMIN],
      attachments: async () => {
        calls++;
        throw new Error('证书字体读取失败');
      },
    });
    await failing.drain(20_000);
    const [dead] = await db().select().from(outbox).where(eq(outbox.id, target.id));
    expect(dead).toMatchObject({ status: 'dead', attempts: 3 });
    expect(dead.lastError).toContain('证书字体读取失败');
    expect(calls).toBe(3);
    expect(h.fake.uploads).toHaveLength(0);
    expect(sendRequests(target.dedupeKey)).toHaveLength(0);
    const audits = await db().select().from(auditLog).where(eq(auditLog.action, 'outbox.dead_letter'));
    expect(audits.filter((a) => (a.details as { dedupeKey?: string }).dedupeKey === target.dedupeKey)).toHaveLength(1);
    expect(await db().select().from(outbox).where(like(outbox.dedupeKey, `alert:dead-letter:${target.id}:%`))).toHaveLength(1);
  }, 120_000);

  it('one of a year’s numbered zips holds its own certificates, leaves a revoked one out, and is dropped when none is left', async () => {
    for (const n of [2, 3]) await db().update(honours).set({ revokedAt: clock.now(), revokedReason: '撤销' }).where(eq(honours.id, (await certificateOf(n)).honourId));
    const draw = certificateAttachments(db(), renderer, 'Asia/Shanghai');
    const first = await draw(certificateZip(cycleId, { first: 'GDSZ-ZS-2027-0001', last: 'GDSZ-ZS-2027-0002' }));
    if (!('bytes' in first)) throw new Error('the first zip is not drawn');
    expect(Object.keys(unzipSync(new Uint8Array(first.bytes))).sort()).toEqual([`GDSZ-ZS-2027-0001_${NAMES[0]}.pdf`, `GDSZ-ZS-2027-0001_${NAMES[0]}.png`]);
    expect(await draw(certificateZip(cycleId, { first: 'GDSZ-ZS-2027-0002', last: 'GDSZ-ZS-2027-0003' }))).toEqual({
      drop: '2027年度的荣誉证书 GDSZ-ZS-2027-0002 至 GDSZ-ZS-2027-0003 均已作废（称号已撤销，第二十二条），证书包不再发送',
    });
  }, 120_000);

  it('the zip of a year whose every title was revoked is dropped, not sent empty', async () => {
    for (let n = 1; n <= NAMES.length; n++) await db().update(honours).set({ revokedAt: clock.now(), revokedReason: '撤销' }).where(eq(honours.id, (await certificateOf(n)).honourId));
    const draw = certificateAttachments(db(), renderer, 'Asia/Shanghai');
    expect(await draw(certificateZip(cycleId))).toEqual({ drop: '2027年度的荣誉证书均已作废（称号已撤销，第二十二条），证书包不再发送' });
    const [zipRow] = await db().select().from(outbox).where(like(outbox.dedupeKey, 'results:published:2027:certificates:%'));
    await h.app.dispatcher.drain(60_000);
    const [after] = await db().select().from(outbox).where(eq(outbox.id, zipRow.id));
    expect(after).toMatchObject({ status: 'dropped', lastError: '2027年度的荣誉证书均已作废（称号已撤销，第二十二条），证书包不再发送' });
    expect(h.fake.uploads.filter((u) => u.kind === 'image' || u.fileName?.endsWith('.pdf') || u.fileName?.endsWith('.zip'))).toHaveLength(0);
  }, 120_000);
});
