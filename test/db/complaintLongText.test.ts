import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText } from '../support/cards.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * 投诉 <班组>，<内容>: the words after the team's name fill the form's 投诉内容. A card's input holds at most 1 000
 * characters (the form on the web page takes 2 000): a longer complaint is cut to what the input holds, and the card
 * says so, with what to do, instead of the end disappearing unseen.
 */
const CUSTOMER = 'ou_customer000000000000000000000001';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-03-01T10:00:00+08:00') });
  const [org] = await h.db.db.insert(organizations).values({ name: '东莞市政公司' }).returning();
  await h.db.db.insert(people).values([{ openId: 'ou_l1' }, { openId: 'ou_c1', roles: ['org_contact'] }]);
  await h.db.db.insert(teams).values({ code: 'GDSZ-2025-0001', name: '东莞排水巡查班', organizationId: org.id, department: '排水所', type: 'project', leaderOpenId: 'ou_l1', phone: '020-12345678', memberCount: 8, functions: '排水巡查', goals: '零事故', plan: '每月巡查', contactOpenId: 'ou_c1', registeredAt: '2025-01-10' });
});
afterAll(async () => {
  await h?.close();
});

const lastCard = () => h.fake.messages.filter((m) => m.receiveId === CUSTOMER).at(-1)!.content;
const prefilled = (card: unknown) => /"default_value":"([^"]*)"/.exec(JSON.stringify(card))?.[1] ?? '';

describe('投诉 <班组>，<a complaint longer than a card input holds>', () => {
  it('fills the first 1 000 characters and says how many were sent and what to do', async () => {
    const complaint = `${'东城路段井盖缺失多日无人处理，雨后积水严重。'.repeat(60)}以上情况请协会尽快核查`;
    expect(complaint.length).toBe(1331);
    await h.say(CUSTOMER, `投诉 东莞排水巡查班，${complaint}`);
    const card = lastCard();
    expect(cardActions(card).some((a) => a.action === 'complaint.submit')).toBe(true);
    expect(prefilled(card)).toBe(complaint.slice(0, 1000));
    expect(cardText(card)).toContain('你发送的投诉内容有 1331 字，表单只能保留前 1000 字，后面的内容没有填入。请精简到 1000 字以内再提交。');
  });

  it('a complaint the input holds whole is filled in with no such note', async () => {
    const complaint = '东城路段井盖缺失多日无人处理';
    await h.say(CUSTOMER, `投诉 东莞排水巡查班，${complaint}`);
    const card = lastCard();
    expect(prefilled(card)).toBe(complaint);
    expect(cardText(card)).not.toContain('表单只能保留');
  });
});

describe('投诉 <a name several teams share>，<内容>: the picker', () => {
  it('carries a short complaint on to the picked team’s form; a long one is asked for again, and the picker says so', async () => {
    const [other] = await h.db.db.insert(organizations).values({ name: '东莞水务公司' }).returning();
    await h.db.db.insert(teams).values({ code: 'GDSZ-2025-0002', name: '东莞排水巡查班', organizationId: other.id, department: '巡查部', type: 'project', leaderOpenId: 'ou_l1', phone: '020-12345679', memberCount: 6, functions: '排水巡查', goals: '零事故', plan: '每周巡查', contactOpenId: 'ou_c1', registeredAt: '2025-02-10' });

    await h.say(CUSTOMER, '投诉 东莞排水巡查班，雨后积水严重');
    const picker = h.fake.messages.filter((m) => m.receiveId === CUSTOMER).at(-1)!;
    expect(picker.content.header.title.content).toBe('质量投诉：选择班组');
    const buttons = cardActions(picker.content);
    expect(buttons).toHaveLength(2);
    expect(buttons.every((b) => b.action === 'complaint.start' && b.content === '雨后积水严重')).toBe(true);
    const { body } = await h.clickCard(CUSTOMER, picker.messageId, buttons[1]);
    expect(body.card.data.header.title.content).toBe('质量投诉');
    expect(prefilled(body.card.data)).toBe('雨后积水严重');

    const long = '东城路段井盖缺失多日无人处理，雨后积水严重。'.repeat(20);
    await h.say(CUSTOMER, `投诉 东莞排水巡查班，${long}`);
    const second = h.fake.messages.filter((m) => m.receiveId === CUSTOMER).at(-1)!;
    expect(cardActions(second.content).every((b) => b.content === undefined)).toBe(true);
    expect(cardText(second.content)).toContain('你发送的投诉内容较长（439 字），选择班组后请在表单中重新填写或粘贴。');
  });
});
