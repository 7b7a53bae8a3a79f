import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { associationSettings, auditLog, complaints, honours, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { applicationForm, registrationForm } from '../support/forms.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, type Harness, startHarness, startTestBot, TEST_ENCRYPT_KEY, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { messageEvent, signedRequest } from '../support/larkEvents.js';
import type { BotApp } from '../../src/app.js';
import { noValue } from '../../bot/respond.js';

/**
 * 协会联系方式: an administrator says once how the association is reached (管理 → 协会联系方式); anyone asks for it
 * (联系协会, contact, 协会电话是多少), and every text that says 请联系协会 carries it once set: a refusal's toast, a
 * card sent through the outbox, the public complaint page. Unset, every text is as it was.
 */
const L = 'ou_contactleader0000000000000000001';
const C = 'ou_contactorg00000000000000000000001';
const VISITOR = 'ou_contactvisitor000000000000000001';

const CONTACT = { contactName: '协会秘书处 张三', contactPhone: '020-12345678', contactEmail: '', contactHours: '' };
const PHRASE = '（协会秘书处 张三，电话 020-12345678）';

/** A card's text as Feishu shows it: markdown's entities (&#42;) read as the characters they stand for. */
const shownText = (card: unknown) => cardText(card).replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)));

const lastTo = (h: Harness, openId: string) => h.fake.messages.filter((m) => m.receiveId === openId).at(-1)!;
const audits = async (h: Harness) => h.db.db.select().from(auditLog).where(eq(auditLog.action, 'association.contact'));
const recall = { action: 'application.recall', teamId: 1, year: 2027 };

describe('协会联系方式', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00'), admins: [ADMIN], outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    // a team whose application the organisation recommended: the leader's 撤回 is refused with 请联系协会, and 进度 says it
    expect((await h.click(L, { action: 'team.register' }, registrationForm('联系测试班', C))).toast.type).toBe('success');
    h.clock.set('2027-03-10T09:00:00+08:00');
    await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-04-30', scoringDeadline: '2027-05-31', reviewMeetingDate: '2027-06-15' });
    expect((await h.click(L, { action: 'application.submit', teamId: 1, year: 2027 }, applicationForm({ title: '路面修补' }))).toast.type).toBe('success');
    const request = cardActions(lastTo(h, C).content).find((v) => v.action === 'endorse.recommend')!;
    expect((await h.click(C, request, { truthful: true, opinion: '同意推荐' })).toast.type).toBe('success');
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('unset: 联系协会 says so (an administrator is told where to set it), and 请联系协会 texts are as they were', async () => {
    await h.say(VISITOR, '联系协会');
    const visitor = lastTo(h, VISITOR).content;
    expectValidCard(visitor);
    expect(cardText(visitor)).toContain('协会尚未设置联系方式');
    expect(cardActions(visitor)).toEqual([]);
    await h.say(ADMIN, 'contact');
    const admin = lastTo(h, ADMIN).content;
    expect(cardText(admin)).toContain('协会尚未设置联系方式');
    expect(cardText(admin)).toContain('管理');
    expect(cardActions(admin)).toContainEqual({ action: 'association.contactForm' });
    // a question for it reaches the same answer
    await h.say(VISITOR, '协会电话是多少');
    expect(cardText(lastTo(h, VISITOR).content)).toContain('协会尚未设置联系方式');
    const late = await h.click(L, recall);
    expect(late.toast.content).toBe('第十五条：单位联系人已确认推荐，申报已报协会形式审查，不能再撤回；如需修改，请联系协会在形式审查时退回。');
    const page = await (await fetch(`${h.app.url}/complaints/new`)).text();
    expect(page).not.toContain('id="association-contact"');
  });

  it('only an administrator opens or saves the form; anyone else is refused and nothing is saved', async () => {
    const menu = await h.click(ADMIN, { action: 'admin.menu' });
    expect(cardActions(menu.card.data)).toContainEqual({ action: 'association.contactForm' });
    expect((await h.click(L, { action: 'association.contactForm' })).toast.content).toContain('只有协会管理员可以使用此功能');
    const refused = await h.click(L, { action: 'association.contactSave' }, CONTACT);
    expect(refused.toast.content).toContain('只有协会管理员可以使用此功能');
    expect(await h.db.db.select().from(associationSettings)).toEqual([]);
    expect(await audits(h)).toEqual([]);
  });

  it.each([
    [{ ...CONTACT, contactName: '' }, '请填写联系人或部门'],
    [{ ...CONTACT, contactName: '秘'.repeat(41) }, '联系人或部门不能超过 40 字'],
    [{ ...CONTACT, contactPhone: '打电话给我' }, '电话须为电话号码'],
    // a mobile a digit short, alone or beside a landline: told as 注册's 联系电话 tells it
    [{ ...CONTACT, contactPhone: '020-12345678、1380000001' }, '电话中的手机号应为 11 位数字，这里是 10 位'],
    [{ ...CONTACT, contactPhone: '', contactEmail: 'office at example' }, '邮箱须为电子邮箱地址'],
    [{ ...CONTACT, contactPhone: '', contactEmail: '' }, '电话和邮箱至少填一项'],
    [{ ...CONTACT, contactHours: '时'.repeat(61) }, '办公时间不能超过 60 字'],
  ])('a form with %j is refused, saying what to fix, the form kept with what was typed', async (form, says) => {
    const refused = await h.click(ADMIN, { action: 'association.contactSave' }, form);
    expect(refused.toast.type).toBe('error');
    expect(refused.toast.content).toContain(says);
    expectValidCard(refused.card.data);
    expect(cardText(refused.card.data)).toContain(says);
    expect(cardActions(refused.card.data)).toContainEqual({ action: 'association.contactSave' });
    expect(await h.db.db.select().from(associationSettings)).toEqual([]);
    expect(await audits(h)).toEqual([]);
  });

  it('saved once with its audit row; the same form clicked again changes nothing and says so', async () => {
    const form = await h.click(ADMIN, { action: 'association.contactForm' });
    expectValidCard(form.card.data);
    expect(cardText(form.card.data)).toContain('尚未设置');
    const saved = await h.click(ADMIN, { action: 'association.contactSave' }, CONTACT);
    expect(saved.toast.type).toBe('success');
    expect(cardText(saved.card.data)).toContain('020-12345678');
    const [row] = await h.db.db.select().from(associationSettings);
    expect(row.contact).toEqual({ name: '协会秘书处 张三', phone: '020-12345678' });
    expect((await audits(h)).map((a) => [a.actor, a.entityId])).toEqual([[ADMIN, 'contact']]);
    const again = await h.click(ADMIN, { action: 'association.contactSave' }, CONTACT);
    expect(again.toast.type).toBe('info');
    expect(again.toast.content).toMatch(/^已于 .+ 保存这份联系方式，无需重复保存。$/);
    // a line break or a run of spaces typed in it is one space, as it is shown: the same contact
    const folded = await h.click(ADMIN, { action: 'association.contactSave' }, { ...CONTACT, contactName: ' 协会秘书处\n  张三 ' });
    expect(folded.toast.content).toMatch(/无需重复保存/);
    expect(await audits(h)).toHaveLength(1);
    // the form opens filled with it
    const reopened = await h.click(ADMIN, { action: 'association.contactForm' });
    expect(JSON.stringify(reopened.card.data)).toContain('"default_value":"020-12345678"');
  });

  it('set: 联系协会 and the questions for it answer with it, and the administrator is told where to change it', async () => {
    for (const [who, said] of [[VISITOR, '联系协会'], [L, '协会联系方式'], [C, 'contact association'], [VISITOR, '怎么联系协会'], [L, 'how do I contact the association']] as const) {
      await h.say(who, said);
      const text = cardText(lastTo(h, who).content);
      expect(text, said).toContain('协会秘书处 张三');
      expect(text, said).toContain('020-12345678');
      expect(text, said).not.toContain('尚未设置');
    }
    await h.say(ADMIN, '联系协会');
    expect(cardActions(lastTo(h, ADMIN).content)).toContainEqual({ action: 'association.contactForm' });
    // the 帮助 card names the command and has its button, as they are: no contact in a command's name
    await h.say(VISITOR, '帮助');
    const menu = lastTo(h, VISITOR).content;
    expect(cardActions(menu)).toContainEqual({ action: 'association.contact' });
    expect(cardText(menu)).toContain('联系协会');
    expect(cardText(menu)).not.toContain('020-12345678');
    expect((await h.click(VISITOR, { action: 'association.contact' })).card.data.header.title.content).toBe('协会联系方式');
  });

  it('set: a refusal in a toast, a card sent through the outbox and the web complaint page carry it', async () => {
    const late = await h.click(L, recall);
    expect(late.toast.content).toBe(`第十五条：单位联系人已确认推荐，申报已报协会形式审查，不能再撤回；如需修改，请联系协会${PHRASE}在形式审查时退回。`);
    // the measures' answer card, sent through the outbox
    await h.say(L, '对评审结果有异议怎么办');
    const answer = lastTo(h, L).content;
    expect(answer.schema).toBe('2.0');
    expectValidCard(answer);
    expect(cardText(answer)).toContain(`联系协会${PHRASE}说明情况`);
    // answers that send the asker to the association for what the measures do not give carry it too
    for (const [asked, said] of [
      ['评分表在哪里下载', '本年度的评分表请联系协会'],
      ['申报要交费吗', '是否收费、收多少，请联系协会'],
      ['怎么加入专家库', '有意参加评审的，请联系协会'],
    ]) {
      await h.say(L, asked);
      expect(cardText(lastTo(h, L).content), asked).toContain(`${said}${PHRASE}`);
    }
    // a text message through the outbox: 评分 to someone not in the expert pool
    await h.say(VISITOR, '评分');
    expect(String(lastTo(h, VISITOR).content.text ?? JSON.stringify(lastTo(h, VISITOR).content))).toContain(`请联系协会管理员${PHRASE}`);
    const page = await (await fetch(`${h.app.url}/complaints/new`)).text();
    expect(page).toContain('<p id="association-contact">协会联系方式：协会秘书处 张三，电话 020-12345678</p>');
    // a complaint from the page: how to ask about its outcome names the contact; the page answering a repeat shows it too
    const token = /name="form_token" value="([^"]+)"/.exec(page)![1];
    const sent = new URLSearchParams({ team: '联系测试班', content: '路面坑洼，雨天积水。', contact: '', form_token: token }).toString();
    const post = () => fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: sent }).then((r) => r.text());
    const taken = await post();
    expect(taken).toContain(`如想了解结果，请联系广东省市政行业协会${PHRASE}并提供投诉编号。`);
    const repeat = await post();
    expect(repeat).toContain('这份投诉已经提交过');
    expect(repeat).toContain(`请联系广东省市政行业协会${PHRASE}并提供投诉编号`);
    expect(repeat).toContain('<p id="association-contact">协会联系方式：协会秘书处 张三，电话 020-12345678</p>');
    // the page's script posts JSON with the token: the outcome line it shows names the contact too
    const token2 = /name="form_token" value="([^"]+)"/.exec(await (await fetch(`${h.app.url}/complaints/new`)).text())![1];
    const json = await fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ team: '联系测试班', content: '井盖松动。', form_token: token2 }) });
    expect(((await json.json()) as { outcome: string }).outcome).toContain(`请联系广东省市政行业协会${PHRASE}并提供投诉编号`);
  });


  it('set: a click that fails unexpectedly says whom to tell, with the contact', async () => {
    h.app.registry.cardAction({
      action: 'probe.fails',
      roles: ['public'],
      value: noValue,
      run: async () => {
        throw new Error('probe');
      },
    });
    const failed = await h.click(VISITOR, { action: 'probe.fails' });
    expect(failed.toast).toEqual({ type: 'error', content: `出了点问题，这次操作可能没有完成：请稍后再试一次；若一再出现，请联系协会管理员${PHRASE}` });
  });
  it('markdown and HTML typed into it are shown literally, in cards and on the page', async () => {
    const typed = { contactName: '**秘书处** <b>李四</b> [链接](https://e.x)', contactPhone: '020-87654321', contactEmail: 'a_b*c@example.org', contactHours: '' };
    expect((await h.click(ADMIN, { action: 'association.contactSave' }, typed)).toast.type).toBe('success');
    await h.say(VISITOR, '联系协会');
    const shown = lastTo(h, VISITOR).content;
    expectValidCard(shown);
    // escaped in the card's markdown (no bold, tag or link survives), read back as typed
    expect(cardText(shown)).not.toContain('<b>李四</b>');
    expect(shownText(shown)).toContain('**秘书处** <b>李四</b> [链接](https://e.x)');
    expect(shownText(shown)).toContain('a_b*c@example.org');
    await h.say(L, '对评审结果有异议怎么办');
    const answer = lastTo(h, L).content;
    expectValidCard(answer);
    expect(cardText(answer)).not.toContain('<b>李四</b>');
    expect(shownText(answer)).toContain('联系协会（**秘书处** <b>李四</b> [链接](https://e.x)，电话 020-87654321，邮箱 a_b*c@example.org）说明情况');
    const late = await h.click(L, recall);
    expect(late.toast.content).toContain('请联系协会（**秘书处** <b>李四</b> [链接](https://e.x)，电话 020-87654321，邮箱 a_b*c@example.org）在形式审查时退回');
    const page = await (await fetch(`${h.app.url}/complaints/new`)).text();
    expect(page).toContain('协会联系方式：**秘书处** &lt;b&gt;李四&lt;/b&gt; [链接](https://e.x)');
    expect(page).not.toContain('<b>李四</b>');
  });

  it('a change saved is told without the contact it replaced: the toast names no 请联系协会 for the old one to follow', async () => {
    expect((await h.click(ADMIN, { action: 'association.contactSave' }, CONTACT)).toast.type).toBe('success');
    const changed = await h.click(ADMIN, { action: 'association.contactSave' }, { ...CONTACT, contactName: '协会秘书处 李老师', contactPhone: '020-83330000' });
    expect(changed.toast).toEqual({ type: 'success', content: '已保存协会联系方式：此后让用户联系协会的提示都会附上它' });
    expect(cardText(changed.card.data)).toContain('020-83330000');
    expect(cardText(changed.card.data)).not.toContain('020-12345678');
  });

  it('what a person typed is shown as typed: no contact goes into a complaint that says 请联系协会', async () => {
    expect((await h.click(ADMIN, { action: 'association.contactSave' }, CONTACT)).toast.type).toBe('success');
    const [team] = await h.db.db.select().from(teams).where(eq(teams.name, '联系测试班'));
    await h.db.db.insert(honours).values({ teamId: team.id, year: 2026, awardedAt: new Date('2026-12-01T00:00:00Z') });
    const content = '路面坑槽一个月没人修，请联系协会督促整改。或联系协会质监站。';
    // apart from the tests' complaints before, which a minute's alerts would gather on one card
    h.clock.advance(10 * 60_000);
    const posted = await fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ team: team.code, content, contact: '13900001111' }) });
    expect(posted.status).toBe(201);
    await h.drain();
    const alert = h.fake.messages.find((m) => m.receiveId === ADMIN && shownText(m.content).includes('路面坑槽'))!;
    expectValidCard(alert.content);
    expect(shownText(alert.content)).toContain(content);
    expect(shownText(alert.content)).not.toContain(PHRASE);
    // the team's notice of an upheld complaint quotes it too
    const [complaint] = await h.db.db.select().from(complaints).where(eq(complaints.content, content));
    expect((await h.click(ADMIN, { action: 'complaint.uphold', complaintId: complaint.id }, { note: '经核实属实' })).toast.type).toBe('success');
    const notice = [...h.fake.messages].reverse().find((m) => m.receiveId === L && shownText(m.content).includes('投诉成立'))!.content;
    // the notice's own 请联系协会 carries the contact; the complaint quoted does not
    expect(shownText(notice)).toContain(`**投诉内容**：${content}\n`);
    expect(shownText(notice)).toContain(`如有异议，请联系协会${PHRASE}`);
  });
});

describe.skipIf(testDatabaseKind() !== 'postgres')('协会联系方式 across replicas (PostgreSQL)', () => {
  let h: Harness;
  let other: BotApp;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2027-03-10T09:00:00+08:00'), admins: [ADMIN] });
    // a second replica on the same database and the same Open Platform
    ({ app: other } = await startTestBot({
      env: { LARK_APP_ID: 'cli_test', LARK_APP_SECRET: 'test-secret', LARK_DOMAIN: h.fake.url, LARK_EVENT_MODE: 'http', LARK_ENCRYPT_KEY: TEST_ENCRYPT_KEY, LARK_VERIFICATION_TOKEN: TEST_VERIFICATION_TOKEN },
      db: h.db,
      clock: h.clock,
      admins: [ADMIN],
    }));
  });
  afterAll(async () => {
    await other?.stop();
    await h?.close();
  });

  /** `text` said to the second replica, its answer sent by that replica's outbox. */
  async function sayToOther(openId: string, text: string) {
    const req = signedRequest(messageEvent({ token: TEST_VERIFICATION_TOKEN, appId: 'cli_test', openId, text }), { encryptKey: TEST_ENCRYPT_KEY, encrypt: true });
    expect((await fetch(`${other.url}/lark/events`, { method: 'POST', headers: req.headers, body: req.body })).status).toBe(200);
    await other.dispatcher.drain(60_000);
    return lastTo(h, openId).content;
  }

  it('set on one replica, the other’s next message and click carry it: each reads it with the event’s claim', async () => {
    // the other replica has answered before the contact was set
    expect(String((await sayToOther(VISITOR, '评分')).text)).toContain('如需加入，请联系协会管理员。');
    expect((await h.click(ADMIN, { action: 'association.contactSave' }, CONTACT)).toast.type).toBe('success');
    expect(String((await sayToOther(VISITOR, '评分')).text)).toContain(`如需加入，请联系协会管理员${PHRASE}。`);
    expect(cardText(await sayToOther(VISITOR, '联系协会'))).toContain('020-12345678');
  });
});
