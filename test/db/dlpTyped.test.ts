import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, complaints, outbox, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { formDefaults } from '../../src/local/actors.js';
import { asTyped, link, md } from '../../cards/kit.js';
import {
  enqueue,
  messageUuid,
  TYPED_CONTACTS_WITHHELD,
  TYPED_CONTACTS_WITHHELD_ADMINS,
  TYPED_CONTACTS_WITHHELD_OWN,
  TYPED_DRAFT_MASKED,
  TYPED_INPUT_CLEARED,
  TYPED_OWN_KEPT_COMPLAINT,
  TYPED_OWN_KEPT_TEAM,
} from '../../src/outbox.js';
import { cardActions, cardText, expectValidCard, inputValues } from '../support/cards.js';
import { registrationForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * A tenant whose data-loss prevention (DLP) refuses a plain mobile number or e-mail (230028): a mobile or e-mail a USER
 * typed (a leader's 联系电话 at 注册, shown to the organisation's contact; a phone in a complaint; a form filled with it)
 * made every message showing it refused, and nothing was sent again (or the version without 协会联系方式 was refused
 * alike): dead-lettered, its reader got nothing (the contact never heard they were named, the leader never got the
 * 修改资料 form). That message now goes again once with every mobile and e-mail shown as [号码] / [邮箱], saying why and
 * where to ask; button values stay as they were, and an input that held one is left empty (nothing masked comes back as
 * typed). The administrators are told once a day. A tenant without DLP sees everything as before.
 */
const LEADER = 'ou_dlpleader000000000000000000000001';
const LEADER_A = 'ou_dlpleader000000000000000000000002';
const LEADER_B = 'ou_dlpleader000000000000000000000003';
const CONTACT = 'ou_dlpcontact00000000000000000000001';
const USER = 'ou_dlpreader000000000000000000000001';
const MOBILE = '13812345678';
const EMAIL = 'zhangsan@example.com';
/** Any mobile from 13 to 19 and any e-mail address, wherever in the request's content. */
const PATTERNS = [/(?<!\d)1[3-9]\d{9}(?!\d)/, /[\w.+-]+@[\w-]+\.[\w.]+/];
/**
 * A mobile as typed anywhere in a card (wx13912345678, Tel13712345678, 0755-13612345678), but not eleven digits among
 * a hex id's (the event id a complaint form keeps as its key holds such a run about once in a hundred forms).
 */
const TYPED_MOBILE = /(?<![\da-f])1[3-9]\d{9}(?![\da-f])/;

describe('contact details typed by users, refused by the tenant’s DLP (230028)', () => {
  let h: Harness;
  const clock = new ManualClock('2026-03-02T09:00:00+08:00');
  beforeAll(async () => {
    h = await startHarness({ admins: [ADMIN], clock, outboxLimits: { perApp: 1000, perReceiver: 1000 } });
  }, 120_000);
  afterAll(async () => h?.close());

  const lastCardTo = (openId: string) => h.fake.messages.filter((m) => m.receiveId === openId && m.msgType === 'interactive').at(-1);
  const textsTo = (openId: string) => h.fake.messages.filter((m) => m.receiveId === openId && m.msgType === 'text').map((m) => String(m.content.text));
  const row = async (key: string) => (await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, key)))[0];
  const toldAdmins = () => textsTo(ADMIN).filter((t) => t.includes('230028'));
  const withheldAudits = async () => h.db.db.select().from(auditLog).where(eq(auditLog.action, 'outbox.typed_contacts_withheld'));

  it('DLP off: the organisation’s contact sees the leader’s mobile as typed', async () => {
    await h.click(LEADER, { action: 'team.register' }, registrationForm('无DLP养护班', CONTACT, { phone: MOBILE }));
    await h.drain();
    const card = lastCardTo(CONTACT)!;
    expect(cardText(card.content)).toContain(MOBILE);
    expect(cardText(card.content)).not.toContain(TYPED_CONTACTS_WITHHELD);
  });

  it('DLP on: the contact named at 注册 gets the card, the leader’s mobile withheld and why; the administrators are told once', async () => {
    h.fake.setDlp(true, PATTERNS);
    const before = h.fake.messages.filter((m) => m.receiveId === CONTACT).length;
    const answer = await h.click(LEADER_A, { action: 'team.register' }, registrationForm('DLP养护一班', CONTACT, { phone: MOBILE }));
    expect(answer.toast.type).toBe('success');
    await h.drain();
    const got = h.fake.messages.filter((m) => m.receiveId === CONTACT);
    expect(got).toHaveLength(before + 1);
    const card = got.at(-1)!;
    expectValidCard(card.content);
    const text = cardText(card.content);
    expect(text).toContain('你被登记为班组的单位联系人');
    expect(text).toContain('[号码]');
    expect(text).toContain(TYPED_CONTACTS_WITHHELD);
    expect(JSON.stringify(card.content)).not.toContain(MOBILE);
    // the team keeps the mobile as typed
    const [team] = await h.db.db.select().from(teams).where(eq(teams.name, 'DLP养护一班'));
    expect(team.phone).toBe(MOBILE);
    const told = toldAdmins();
    expect(told).toHaveLength(1);
    expect(told[0]).toContain('[号码]');
    expect(told[0]).not.toContain(MOBILE);
    expect(await withheldAudits()).toHaveLength(1);

    // another the same day reaches its reader; the administrators heard it already
    await h.click(LEADER_B, { action: 'team.register' }, registrationForm('DLP养护二班', CONTACT, { phone: MOBILE }));
    await h.drain();
    expect(h.fake.messages.filter((m) => m.receiveId === CONTACT)).toHaveLength(before + 2);
    expect(toldAdmins()).toHaveLength(1);
    expect(await withheldAudits()).toHaveLength(2);
  });

  it('修改资料 reaches the leader with the 联系电话 input left empty, and saving it untouched keeps the mobile', async () => {
    const [team] = await h.db.db.select().from(teams).where(eq(teams.name, 'DLP养护二班'));
    await h.say(LEADER_B, '修改资料');
    const form = lastCardTo(LEADER_B)!;
    expectValidCard(form.content);
    expect(cardText(form.content)).toContain('修改资料：DLP养护二班');
    // their own team's 联系电话: kept as typed and where, not to be asked of the association
    expect(cardText(form.content)).toContain(`${TYPED_CONTACTS_WITHHELD_OWN}${TYPED_OWN_KEPT_TEAM}。）${TYPED_INPUT_CLEARED}`);
    expect(cardText(form.content)).not.toContain('向协会管理员索取');
    const inputs = inputValues(form.content);
    expect(inputs.phone).toBeUndefined();
    expect(inputs.functions).toBe('城市道路日常养护与应急抢修');
    expect(JSON.stringify(form.content)).not.toContain(MOBILE);
    const action = cardActions(form.content).find((a) => a.action === 'team.editSave')!;
    expect(action).toMatchObject({ action: 'team.editSave' });
    const teamId = Number(action.teamId);
    const saved = await h.click(LEADER_B, action, { ...formDefaults(form.content), memberCount: '13' });
    expect(saved.toast.type).toBe('success');
    const [after] = await h.db.db.select().from(teams).where(eq(teams.id, teamId));
    expect(after.phone).toBe(MOBILE);
    expect(after.memberCount).toBe(13);
    expect(team.phone).toBe(MOBILE);
  });

  it('a text with a mobile and an e-mail typed in goes again with both withheld, under the row’s own #dlp uuid', async () => {
    await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: 'dlp-typed:text', to: { openId: USER }, text: `投诉内容：班组长电话 ${MOBILE}，邮箱 ${EMAIL}，至今未整改。` }));
    await h.drain();
    expect((await row('dlp-typed:text')).status).toBe('sent');
    const got = h.fake.messages.filter((m) => m.receiveId === USER).at(-1)!;
    expect(got.uuid).toBe(messageUuid('dlp-typed:text#dlp'));
    expect(got.content.text).toBe(`投诉内容：班组长电话 [号码]，邮箱 [邮箱]，至今未整改。\n\n${TYPED_CONTACTS_WITHHELD}`);
  });

  it('an administrator is told where the withheld contact is kept, not to ask the administrators', async () => {
    await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: 'dlp-typed:admin', to: { openId: ADMIN }, text: `网上投诉 TS-2026-0001，投诉人联系方式：${MOBILE}` }));
    await h.drain();
    expect((await row('dlp-typed:admin')).status).toBe('sent');
    const got = h.fake.messages.filter((m) => m.receiveId === ADMIN && m.uuid === messageUuid('dlp-typed:admin#dlp')).at(-1)!;
    expect(got.content.text).toBe(`网上投诉 TS-2026-0001，投诉人联系方式：[号码]\n\n${TYPED_CONTACTS_WITHHELD_ADMINS}`);
    expect(got.content.text).not.toContain('向协会管理员索取');
    expect(got.content.text).toContain('投诉人留下的联系方式在该投诉的记录里');
    // the day's alert says where too, and names the forms that hold a phone
    const told = toldAdmins().at(-1)!;
    expect(told).toContain('投诉人留下的联系方式在该投诉的记录里');
    expect(told).toContain('注册表、修改资料中的联系电话');
    expect(told).not.toContain('申报表');
  });

  it('a card’s shown text is masked, an e-mail written in markdown too; its button values are not', async () => {
    const card = {
      schema: '2.0',
      config: { update_multi: true, summary: { content: `投诉人 ${MOBILE}` } },
      header: { title: { tag: 'plain_text', content: '新的投诉' }, template: 'red' },
      body: {
        elements: [
          { tag: 'markdown', content: `投诉人电话：${MOBILE}；邮箱：zhang&#95;san@example.com` },
          { tag: 'button', text: { tag: 'plain_text', content: '查看' }, behaviors: [{ type: 'callback', value: { action: 'complaint.open', ref: '1234567' } }] },
        ],
      },
    };
    await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: 'dlp-typed:card', to: { openId: USER }, card }));
    await h.drain();
    expect((await row('dlp-typed:card')).status).toBe('sent');
    const got = lastCardTo(USER)!;
    const text = cardText(got.content);
    expect(text).toContain('投诉人电话：[号码]');
    expect(text).toContain('[邮箱]');
    expect(text).toContain('投诉人 [号码]');
    expect(text).toContain(TYPED_CONTACTS_WITHHELD);
    expect(JSON.stringify(got.content)).not.toMatch(/@|13812345678/);
    expect(cardActions(got.content)).toEqual([{ action: 'complaint.open', ref: '1234567' }]);
  });

  it('a link’s destination and an address are kept; what the markdown escaping wrote is masked whole; selected values are kept', async () => {
    const materials = 'https://mp.weixin.qq.com/s?__biz=MzA&mid=2247483650&idx=1';
    const doc = 'https://pan.example.cn/doc/12345678';
    const card = {
      schema: '2.0',
      config: { update_multi: true },
      header: { title: { tag: 'plain_text', content: '申报材料' }, template: 'blue' },
      body: {
        elements: [
          { tag: 'markdown', content: md`${link('查看完整材料', materials)}
材料见 ${doc}
邮箱 ${'wang_li@qq.com'}；电话：
${asTyped('13812345678.')}`.text },
          {
            tag: 'form',
            name: 'f',
            elements: [
              { tag: 'multi_select_person', name: 'people', options: [{ value: 'pending:m:+85291234567' }], selected_values: ['pending:m:+85291234567'] },
              { tag: 'button', name: 'go', text: { tag: 'plain_text', content: '提交' }, form_action_type: 'submit', behaviors: [{ type: 'callback', value: { action: 'x.save' } }] },
            ],
          },
        ],
      },
    };
    h.fake.setDlp(true, PATTERNS);
    await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: 'dlp-typed:escaped', to: { openId: USER }, card }));
    await h.drain();
    expect((await row('dlp-typed:escaped')).status).toBe('sent');
    const got = lastCardTo(USER)!;
    const json = JSON.stringify(got.content);
    const elements = (got.content as typeof card).body.elements;
    const shown = elements.find((e) => e.content?.includes('材料见'))!.content!;
    // the links work as they were
    expect(shown).toContain(link('查看完整材料', materials).text);
    expect(shown).toContain('doc/12345678');
    // nothing of the address nor the number is left to a reader, entity-written or not
    expect(shown).toContain('邮箱 [邮箱]；');
    expect(shown).not.toContain('wang');
    expect(shown).toContain('\n[号码]');
    expect(shown).not.toMatch(/&#49;&#51;&#56;/);
    expect(json).not.toContain('13812345678');
    expect(elements.find((e) => e.tag === 'form')!.elements![0].selected_values).toEqual(['pending:m:+85291234567']);
    expectValidCard(got.content);
    h.fake.setDlp(false);
  });

  it('content refused for something else is tried once and dead-lettered, as before; with a mobile in it too, once more without', async () => {
    h.fake.setDlp(true, [/机密/]);
    const sends = (key: string) => h.fake.requests.filter((q) => [messageUuid(key), messageUuid(`${key}#dlp`)].includes((q.body as { uuid?: string } | undefined)?.uuid ?? ''));
    await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: 'dlp-typed:other', to: { openId: USER }, text: '机密文件，请勿外传' }));
    await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: 'dlp-typed:other2', to: { openId: USER }, text: `机密文件，班组长电话 ${MOBILE}` }));
    await h.drain();
    const r = await row('dlp-typed:other');
    expect(r.status).toBe('dead');
    expect(r.lastError).toContain('code 230028');
    expect(sends('dlp-typed:other')).toHaveLength(1);
    const r2 = await row('dlp-typed:other2');
    expect(r2.status).toBe('dead');
    expect(r2.lastError).toMatch(/^sent without 协会联系方式, DLP refused it \(230028\): .*code 230028/);
    expect(sends('dlp-typed:other2').map((q) => (q.body as { uuid: string }).uuid)).toEqual([messageUuid('dlp-typed:other2'), messageUuid('dlp-typed:other2#dlp')]);
    h.fake.setDlp(false);
  });

  it('the 投诉 form, nobody having typed anything, goes as it is: its own example is no phone number', async () => {
    h.fake.setDlp(true, PATTERNS);
    const asker = 'ou_dlpreader000000000000000000000009';
    await h.say(asker, '投诉');
    await h.drain();
    const form = lastCardTo(asker)!;
    expect(cardText(form.content)).toContain('联系方式');
    expect(cardText(form.content)).not.toContain(TYPED_CONTACTS_WITHHELD);
    expect(JSON.stringify(form.content)).not.toContain('[号码]');
    expect((await withheldAudits()).filter((a) => String((a.details as { receiver?: string }).receiver) === asker)).toEqual([]);
    h.fake.setDlp(false);
  });

  it('投诉 <班组> <complaint with a mobile>: the form keeps the words, the mobile masked, and says to type it again; submitted as it is, the masked text is filed', async () => {
    h.fake.setDlp(true, PATTERNS);
    const asker = 'ou_dlpreader000000000000000000000010';
    await h.say(asker, `投诉 DLP养护一班 井盖松动三周未修，现场负责人电话 ${MOBILE}，邮箱 ${EMAIL}`);
    await h.drain();
    const form = lastCardTo(asker)!;
    expectValidCard(form.content);
    expect(inputValues(form.content).content).toBe('井盖松动三周未修，现场负责人电话 [号码]，邮箱 [邮箱]');
    const text = cardText(form.content);
    expect(text).toContain(`${TYPED_CONTACTS_WITHHELD_OWN}。）${TYPED_DRAFT_MASKED}`);
    expect(text).not.toContain('向协会管理员索取');
    expect(text).not.toContain(TYPED_INPUT_CLEARED);
    expect(JSON.stringify(form.content)).not.toMatch(/zhangsan|13812345678/);
    h.fake.setDlp(false);
    const action = cardActions(form.content).find((a) => a.action === 'complaint.submit')!;
    // the form as it came, submitted untouched
    const untouched = formDefaults((form.content as { body: { elements: { tag: string }[] } }).body.elements.find((e) => e.tag === 'form'));
    expect(untouched).toEqual({ content: '井盖松动三周未修，现场负责人电话 [号码]，邮箱 [邮箱]', contact: '' });
    const answer = await h.click(asker, action, untouched);
    expect(answer.toast).toMatchObject({ type: 'success' });
    const [filed] = await h.db.db.select().from(complaints).where(eq(complaints.complainantOpenId, asker));
    expect(filed.content).toBe('井盖松动三周未修，现场负责人电话 [号码]，邮箱 [邮箱]');
    await h.drain();
  });

  it('a complainant shown their own complaint’s mobile is told it is kept in the complaint, not to ask the association', async () => {
    const asker = 'ou_dlpreader000000000000000000000011';
    await h.say(asker, '投诉 DLP养护一班');
    await h.drain();
    const form = lastCardTo(asker)!;
    const action = cardActions(form.content).find((a) => a.action === 'complaint.submit')!;
    const answer = await h.click(asker, action, { content: `路面开裂，施工员电话 ${MOBILE}`, contact: '' });
    expect(answer.toast.type).toBe('success');
    await h.drain();
    h.fake.setDlp(true, PATTERNS);
    await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: 'dlp-typed:own-complaint', to: { openId: asker }, text: `你的投诉：路面开裂，施工员电话 ${MOBILE}` }));
    // the same mobile to someone who did not write it: ask the association, as before
    await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: 'dlp-typed:not-own', to: { openId: USER }, text: `施工员电话 ${MOBILE}` }));
    await h.drain();
    const own = h.fake.messages.filter((m) => m.uuid === messageUuid('dlp-typed:own-complaint#dlp')).at(-1)!;
    expect(own.content.text).toBe(`你的投诉：路面开裂，施工员电话 [号码]\n\n${TYPED_CONTACTS_WITHHELD_OWN}${TYPED_OWN_KEPT_COMPLAINT}。）`);
    const other = h.fake.messages.filter((m) => m.uuid === messageUuid('dlp-typed:not-own#dlp')).at(-1)!;
    expect(other.content.text).toBe(`施工员电话 [号码]\n\n${TYPED_CONTACTS_WITHHELD}`);
    h.fake.setDlp(false);
  });

  const rowsTo = (openId: string) => h.db.db.select().from(outbox).where(eq(outbox.receiver, openId));
  const draftForm = (words: string, shown?: string) => ({
    schema: '2.0',
    config: { update_multi: true },
    header: { title: { tag: 'plain_text', content: '投诉' }, template: 'red' },
    body: {
      elements: [
        ...(shown ? [{ tag: 'markdown', content: shown }] : []),
        {
          tag: 'form',
          name: 'f',
          elements: [
            { tag: 'input', name: 'content', element_id: 'draft_content', label: { tag: 'plain_text', content: '投诉内容' }, default_value: words },
            { tag: 'button', name: 'go', text: { tag: 'plain_text', content: '提交' }, form_action_type: 'submit', behaviors: [{ type: 'callback', value: { action: 'x.save' } }] },
          ],
        },
      ],
    },
  });

  it('投诉 <班组> with a number the masking misses (wx13912345678, Tel…, 0755-…): the form goes with the words left empty, as before the draft was kept', async () => {
    h.fake.setDlp(true, PATTERNS);
    const asker = 'ou_dlpreader000000000000000000000012';
    await h.say(asker, `投诉 DLP养护一班 井盖松动，负责人微信 wx13912345678，电话 ${MOBILE}，Tel13712345678，0755-13612345678`);
    await h.drain();
    const rows = await rowsTo(asker);
    expect(rows.map((r) => r.status)).toEqual(['sent']);
    const form = lastCardTo(asker)!;
    expectValidCard(form.content);
    expect(inputValues(form.content).content).toBeUndefined();
    const text = cardText(form.content);
    // their own words: not to ask the association for them
    expect(text).toContain(`${TYPED_CONTACTS_WITHHELD_OWN}。）${TYPED_INPUT_CLEARED}`);
    expect(text).not.toContain(TYPED_DRAFT_MASKED);
    expect(JSON.stringify(form.content)).not.toMatch(TYPED_MOBILE);
    h.fake.setDlp(false);
  });

  it('投诉 <班组> whose only number is one the masking misses (wx13912345678): the form goes with the words left empty, not dead-lettered', async () => {
    h.fake.setDlp(true, PATTERNS);
    const asker = 'ou_dlpreader000000000000000000000016';
    await h.say(asker, '投诉 DLP养护一班 井盖松动，负责人微信 wx13912345678');
    await h.drain();
    expect((await rowsTo(asker)).map((r) => r.status)).toEqual(['sent']);
    const form = lastCardTo(asker)!;
    expectValidCard(form.content);
    expect(inputValues(form.content).content).toBeUndefined();
    expect(cardText(form.content)).toContain(TYPED_INPUT_CLEARED);
    expect(JSON.stringify(form.content)).not.toMatch(TYPED_MOBILE);
    h.fake.setDlp(false);
  });

  it('a draft kept masked and refused again (wx139-1234-5678) goes once more with the words left empty, under a uuid of its own', async () => {
    h.fake.setDlp(true, [...PATTERNS, /1[3-9]\d-\d{4}-\d{4}/]);
    const asker = 'ou_dlpreader000000000000000000000013';
    await h.say(asker, `投诉 DLP养护一班 井盖松动，负责人微信 wx139-1234-5678，电话 ${MOBILE}`);
    await h.drain();
    const [sent] = await rowsTo(asker);
    expect(sent.status).toBe('sent');
    const uuids = h.fake.requests.map((q) => (q.body as { uuid?: string } | undefined)?.uuid);
    expect(uuids).toContain(messageUuid(`${sent.dedupeKey}#dlp`));
    const form = h.fake.messages.filter((m) => m.receiveId === asker);
    expect(form).toHaveLength(1);
    expect(form[0].uuid).toBe(messageUuid(`${sent.dedupeKey}#dlp-cleared`));
    expect(inputValues(form[0].content).content).toBeUndefined();
    expect(cardText(form[0].content)).toContain(`${TYPED_CONTACTS_WITHHELD_OWN}。）${TYPED_INPUT_CLEARED}`);
    expect(cardText(form[0].content)).not.toContain(TYPED_DRAFT_MASKED);
    expect(JSON.stringify(form[0].content)).not.toMatch(/139-1234|13812345678/);
    h.fake.setDlp(false);
  });

  it('an administrator’s own draft gets the draft’s note alone, not that the database keeps it', async () => {
    h.fake.setDlp(true, PATTERNS);
    await h.say(ADMIN, `投诉 DLP养护一班 井盖松动，电话 ${MOBILE}`);
    await h.drain();
    const form = lastCardTo(ADMIN)!;
    expect(inputValues(form.content).content).toBe('井盖松动，电话 [号码]');
    const text = cardText(form.content);
    expect(text).toContain(`${TYPED_CONTACTS_WITHHELD_OWN}。）${TYPED_DRAFT_MASKED}`);
    expect(text).not.toContain('保存在机器人的数据库中');
    h.fake.setDlp(false);
  });

  it('a draft’s number shown elsewhere in the card too is counted there: someone else’s, not the reader’s', async () => {
    h.fake.setDlp(true, PATTERNS);
    const reader = 'ou_dlpreader000000000000000000000014';
    await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: 'dlp-typed:draft-and-shown', to: { openId: reader }, card: draftForm(`井盖松动，电话 ${MOBILE}`, `班组长电话：${MOBILE}`) }));
    await h.drain();
    expect((await row('dlp-typed:draft-and-shown')).status).toBe('sent');
    const got = lastCardTo(reader)!;
    expect(inputValues(got.content).content).toBe('井盖松动，电话 [号码]');
    expect(cardText(got.content)).toContain(`${TYPED_CONTACTS_WITHHELD}${TYPED_DRAFT_MASKED}`);
    expect(cardText(got.content)).not.toContain(TYPED_CONTACTS_WITHHELD_OWN);
    h.fake.setDlp(false);
  });

  it('a draft in a group chat is nobody’s own: the group is not told “你填写的”', async () => {
    h.fake.setDlp(true, PATTERNS);
    const chat = 'oc_dlpgroup0000000000000000000000001';
    await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: 'dlp-typed:draft-chat', to: { chatId: chat }, card: draftForm(`井盖松动，电话 ${MOBILE}`) }));
    await h.drain();
    expect((await row('dlp-typed:draft-chat')).status).toBe('sent');
    const got = lastCardTo(chat)!;
    expect(inputValues(got.content).content).toBe('井盖松动，电话 [号码]');
    expect(cardText(got.content)).toContain(`${TYPED_CONTACTS_WITHHELD}${TYPED_DRAFT_MASKED}`);
    expect(cardText(got.content)).not.toContain(TYPED_CONTACTS_WITHHELD_OWN);
    h.fake.setDlp(false);
  });

  it('a leader shown another’s number that is part of their team’s 联系电话 (2345678 in 020-12345678) is not told it is theirs; their own whole is', async () => {
    const leader = 'ou_dlpleader000000000000000000000004';
    await h.click(leader, { action: 'team.register' }, registrationForm('DLP养护三班', CONTACT, { phone: '020-12345678' }));
    await h.drain();
    const [team] = await h.db.db.select().from(teams).where(eq(teams.name, 'DLP养护三班'));
    expect(team.phone).toBe('020-12345678');
    // this tenant refuses any seven digits in a row
    h.fake.setDlp(true, [...PATTERNS, /\d{7}/]);
    await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: 'dlp-typed:part-of-own', to: { openId: leader }, text: '另一班组的联系电话 2345678（不是你的）' }));
    await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: 'dlp-typed:whole-own', to: { openId: leader }, text: '你的班组联系电话 020-12345678' }));
    await h.drain();
    const part = h.fake.messages.filter((m) => m.uuid === messageUuid('dlp-typed:part-of-own#dlp')).at(-1)!;
    expect(part.content.text).toBe(`另一班组的联系电话 [号码]（不是你的）\n\n${TYPED_CONTACTS_WITHHELD}`);
    const whole = h.fake.messages.filter((m) => m.uuid === messageUuid('dlp-typed:whole-own#dlp')).at(-1)!;
    expect(whole.content.text).toBe(`你的班组联系电话 [号码]\n\n${TYPED_CONTACTS_WITHHELD_OWN}${TYPED_OWN_KEPT_TEAM}。）`);
    h.fake.setDlp(false);
  });

  it('the next day another such message tells the administrators again, once', async () => {
    h.fake.setDlp(true, PATTERNS);
    clock.set('2026-03-03T09:00:00+08:00');
    await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: 'dlp-typed:day2', to: { openId: USER }, text: `电话 ${MOBILE}` }));
    await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: 'dlp-typed:day2b', to: { openId: USER }, text: `邮箱 ${EMAIL}` }));
    await h.drain();
    expect((await row('dlp-typed:day2')).status).toBe('sent');
    expect((await row('dlp-typed:day2b')).status).toBe('sent');
    expect(toldAdmins()).toHaveLength(2);
    expect(await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, 'alert:dlp-typed:%'))).toHaveLength(2);
    h.fake.setDlp(false);
  });
});
