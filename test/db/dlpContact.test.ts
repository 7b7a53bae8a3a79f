import { eq, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, outbox } from '../../db/schema.js';
import { CONTACT_REFUSED_TEXT, TYPED_CONTACTS_TEXT } from '../../src/notifications.js';
import { CONTACT_WITHHELD, DLP_WITHHELD, enqueue, messageUuid, TYPED_CONTACTS_WITHHELD } from '../../src/outbox.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * A tenant whose data-loss prevention (DLP) refuses a plain mobile number (230028, "消息DLP审查未通过，当消息内容中含有明文
 * 电话号码…"): with 协会联系方式 a mobile number, every message carrying it (after 请联系协会, the 联系协会 card) was refused,
 * dead-lettered, and the user got nothing. It now goes again once without the phone and e-mail, saying
 * “联系方式请向协会管理员索取” in their place, under a uuid of its own; the administrators are told once what to change, and
 * the save of such a contact warns of it. A mobile typed by a user in the same message is withheld with it
 * (test/db/dlpTyped.test.ts).
 */
const USER = 'ou_dlpuser0000000000000000000000001';
const MOBILE = '13800138000';
const CONTACT = { contactName: '协会秘书处 张三', contactPhone: MOBILE, contactEmail: '', contactHours: '工作日 9:00–17:00' };
const WITHHELD = `（协会秘书处 张三，${CONTACT_WITHHELD}，办公时间 工作日 9:00–17:00）`;

describe('协会联系方式 refused by the tenant’s DLP (230028)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ admins: [ADMIN], outboxLimits: { perApp: 1000, perReceiver: 1000 } });
  }, 120_000);
  afterAll(async () => h?.close());

  const queue = (key: string, text: string, openId = USER) => h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: key, to: { openId }, text }));
  const row = async (key: string) => (await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, key)))[0];
  const textsTo = (openId: string) => h.fake.messages.filter((m) => m.receiveId === openId && m.msgType === 'text').map((m) => String(m.content.text));
  const uuidOf = (r: { body?: unknown }) => (r.body as { uuid?: string } | undefined)?.uuid;
  const sendsOf = (key: string) => h.fake.requests.filter((r) => uuidOf(r) === messageUuid(key) || uuidOf(r) === messageUuid(`${key}#dlp`));
  const toldAdmins = () => textsTo(ADMIN).filter((t) => t.includes('230028'));

  it('saving a mobile number warns of DLP; a landline saves as before', async () => {
    const saved = await h.click(ADMIN, { action: 'association.contactSave' }, { ...CONTACT, contactPhone: '020-12345678' });
    expect(saved.toast).toMatchObject({ type: 'success' });
    const mobile = await h.click(ADMIN, { action: 'association.contactSave' }, CONTACT);
    expect(mobile.toast.type).toBe('warning');
    expect(mobile.toast.content).toContain('已保存协会联系方式');
    expect(mobile.toast.content).toContain('数据防泄漏（DLP）');
    expect(mobile.toast.content).toContain('座机号码');
  });

  it('DLP off: the contact goes with the message as before', async () => {
    await queue('dlp:off', '如有疑问请联系协会。');
    await h.drain();
    expect(textsTo(USER).at(-1)).toBe(`如有疑问请联系协会（协会秘书处 张三，电话 ${MOBILE}，办公时间 工作日 9:00–17:00）。`);
  });

  it('DLP on: a text sent to the association goes again without the phone, under another uuid; the administrators are told once', async () => {
    h.fake.setDlp(true);
    await queue('dlp:text:1', '如有疑问请联系协会。');
    await h.drain();
    expect((await row('dlp:text:1')).status).toBe('sent');
    const got = h.fake.messages.filter((m) => m.receiveId === USER).at(-1)!;
    expect(got.content.text).toBe(`如有疑问请联系协会${WITHHELD}。`);
    // the refused version under the row's uuid, the one sent under a uuid of its own
    expect(sendsOf('dlp:text:1').map(uuidOf)).toEqual([messageUuid('dlp:text:1'), messageUuid('dlp:text:1#dlp')]);
    expect(got.uuid).toBe(messageUuid('dlp:text:1#dlp'));
    const told = toldAdmins();
    expect(told).toHaveLength(1);
    expect(told[0]).toContain('协会联系方式');
    expect(told[0]).toContain(CONTACT_WITHHELD);
    expect(told[0]).not.toContain(MOBILE);
    expect(await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'outbox.contact_withheld'))).toHaveLength(1);

    // another message refused alike reaches its reader; the administrators heard it already
    await queue('dlp:text:2', '请联系协会办理。');
    await h.drain();
    expect(textsTo(USER).at(-1)).toBe(`请联系协会${WITHHELD}办理。`);
    expect(toldAdmins()).toHaveLength(1);
  });

  it('the 联系协会 card shows the neutral line in place of the mobile number', async () => {
    await h.say(USER, '联系协会');
    const card = h.fake.messages.filter((m) => m.receiveId === USER && m.msgType === 'interactive').at(-1)!;
    const text = cardText(card.content);
    expect(text).toContain('协会秘书处 张三');
    expect(text).toContain(CONTACT_WITHHELD);
    expect(text).not.toContain(MOBILE);
  });

  it('a card saying 请联系协会 goes again too, its button values untouched', async () => {
    const card = { schema: '2.0', body: { elements: [{ tag: 'markdown', content: '材料有误，请联系协会。' }, { tag: 'button', text: { tag: 'plain_text', content: '帮助' }, behaviors: [{ type: 'callback', value: { action: 'help', said: '请联系协会' } }] }] } };
    await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: 'dlp:card', to: { openId: USER }, card }));
    await h.drain();
    expect((await row('dlp:card')).status).toBe('sent');
    const got = h.fake.messages.filter((m) => m.receiveId === USER && m.msgType === 'interactive').at(-1)!;
    expect(cardText(got.content)).toContain(`请联系协会（协会秘书处 张三，${CONTACT_WITHHELD}，办公时间 工作日 9:00–17:00）。`);
    expect(JSON.stringify(got.content)).toContain('"said":"请联系协会"');
  });

  it('a row refused before without the contact goes without it at once, and sent again (a crash) Feishu keeps the first', async () => {
    await queue('dlp:again', '请联系协会。');
    await h.db.db.update(outbox).set({ lastError: `${DLP_WITHHELD}HTTP 400 code 230028: The messages do NOT pass the audit.` }).where(eq(outbox.dedupeKey, 'dlp:again'));
    await h.drain();
    expect(sendsOf('dlp:again').map(uuidOf)).toEqual([messageUuid('dlp:again#dlp')]);
    const before = textsTo(USER).length;
    // the process died before it marked the row sent: the lease ran out and it is claimed again
    await h.db.db.update(outbox).set({ status: 'pending', lastError: `${DLP_WITHHELD}HTTP - code -: socket hang up` }).where(eq(outbox.dedupeKey, 'dlp:again'));
    await h.drain();
    expect((await row('dlp:again')).status).toBe('sent');
    expect(textsTo(USER)).toHaveLength(before);
  });

  it('sent without the contact, its answer lost, then the contact gone: the next try is still under the version’s uuid, and Feishu keeps the first', async () => {
    await queue('dlp:changed', '请联系协会。');
    await h.drain();
    expect(sendsOf('dlp:changed').map(uuidOf)).toEqual([messageUuid('dlp:changed'), messageUuid('dlp:changed#dlp')]);
    const before = textsTo(USER).length;
    // the answer to the send without the phone was lost (the row claimed again), and meanwhile the contact went (no form
    // clears it: the database edited by hand): nothing left to hide, but Feishu may hold the version without the phone already
    await h.db.db.update(outbox).set({ status: 'pending', lastError: `${DLP_WITHHELD}HTTP - code -: socket hang up` }).where(eq(outbox.dedupeKey, 'dlp:changed'));
    await h.db.db.execute(sql`update association_settings set contact = null where id = 1`);
    await h.drain();
    expect((await row('dlp:changed')).status).toBe('sent');
    expect(sendsOf('dlp:changed').map(uuidOf).slice(2)).toEqual([messageUuid('dlp:changed#dlp')]);
    expect(textsTo(USER)).toHaveLength(before);
    await h.click(ADMIN, { action: 'association.contactSave' }, CONTACT);
  });

  it('a mobile typed beside 请联系协会: both withheld, saying so; the contact’s alert stays the one, the typed one comes once', async () => {
    await queue('dlp:typed', '班组长电话 13912345678，如有疑问请联系协会。');
    await h.drain();
    expect((await row('dlp:typed')).status).toBe('sent');
    expect(textsTo(USER).at(-1)).toBe(`班组长电话 [号码]，如有疑问请联系协会${WITHHELD}。\n\n${TYPED_CONTACTS_WITHHELD}`);
    expect(textsTo(ADMIN).filter((t) => t === CONTACT_REFUSED_TEXT)).toHaveLength(1);
    expect(textsTo(ADMIN).filter((t) => t === TYPED_CONTACTS_TEXT)).toHaveLength(1);
  });

  it('a landline contact withheld along with a typed mobile: no advice to change the contact', async () => {
    await h.click(ADMIN, { action: 'association.contactSave' }, { ...CONTACT, contactPhone: '020-12345678' });
    await queue('dlp:landline', '请联系协会。班组长电话 13912345678');
    await h.drain();
    expect(textsTo(USER).at(-1)).toBe(`请联系协会（协会秘书处 张三，${CONTACT_WITHHELD}，办公时间 工作日 9:00–17:00）。班组长电话 [号码]\n\n${TYPED_CONTACTS_WITHHELD}`);
    expect(textsTo(ADMIN).filter((t) => t === CONTACT_REFUSED_TEXT)).toHaveLength(1);
    expect(textsTo(ADMIN).filter((t) => t === TYPED_CONTACTS_TEXT)).toHaveLength(1);
    await h.click(ADMIN, { action: 'association.contactSave' }, CONTACT);
  });

  it('content refused for something else than a contact is tried once and dead-lettered, as before', async () => {
    h.fake.setDlp(true, [/机密/]);
    await queue('dlp:other', '机密文件，请勿外传');
    await h.drain();
    const r = await row('dlp:other');
    expect(r.status).toBe('dead');
    expect(r.lastError).toContain('code 230028');
    expect(sendsOf('dlp:other')).toHaveLength(1);
    h.fake.setDlp(false);
  });
});

/**
 * ADMIN_OPEN_IDS holding an open_id of another app (copied from another tool): every send to it was refused 99992361
 * "open_id cross app" and dead-lettered like any refusal, the operator left to guess. The dispatcher now says once, at
 * error, that ADMIN_OPEN_IDS names another app's open_id and what to do.
 */
describe('ADMIN_OPEN_IDS naming another app’s open_id (99992361)', () => {
  const FOREIGN = 'ou_otherapp000000000000000000000001';
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ admins: [FOREIGN] });
    h.fake.foreignOpenId(FOREIGN);
  }, 120_000);
  afterAll(async () => h?.close());

  const lines = () => h.logs.flatMap((chunk) => chunk.split('\n')).filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string });

  it('the send is dead-lettered and the log says once, at error, to empty ADMIN_OPEN_IDS and send 管理 again', async () => {
    for (const key of ['foreign:1', 'foreign:2']) await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: key, to: { openId: FOREIGN }, text: key }));
    await h.drain();
    const rows = await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, 'foreign:%'));
    expect(rows.map((r) => [r.status, r.lastError])).toEqual([
      ['dead', 'HTTP 400 code 99992361: open_id cross app'],
      ['dead', 'HTTP 400 code 99992361: open_id cross app'],
    ]);
    const said = lines().filter((l) => l.msg.includes('ADMIN_OPEN_IDS names'));
    expect(said).toHaveLength(1);
    expect(said[0].level).toBe(50);
    expect(said[0].msg).toContain(FOREIGN);
    expect(said[0].msg).toContain('Empty ADMIN_OPEN_IDS');
    expect(said[0].msg).toContain('管理');
  });
});
