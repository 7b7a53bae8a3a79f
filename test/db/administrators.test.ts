import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, people } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * 管理员 (第十四条): administrators add and remove administrators in the bot, beside ADMIN_OPEN_IDS. Someone added is an
 * administrator at their next message; someone removed is not; one named in ADMIN_OPEN_IDS is removed only there (the
 * bot says so rather than claim a removal that would not hold); the last administrator is never removed.
 */
const COLLEAGUE = 'ou_admincolleague00000000000000001';
const STORED = 'ou_storedadmin0000000000000000000001';

const roles = async (h: Harness, openId: string) => (await h.db.db.select({ roles: people.roles }).from(people).where(eq(people.openId, openId)))[0]?.roles ?? [];
/** The 帮助 card's actions as `openId` receives it. */
async function helpActions(h: Harness, openId: string) {
  const sent = h.fake.messages.length;
  await h.say(openId, '帮助');
  return cardActions(h.fake.messages.slice(sent).find((m) => m.receiveId === openId)!.content).map((a) => a.action);
}

describe('administrators added and removed in the bot, beside ADMIN_OPEN_IDS', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2027-03-10T09:00:00+08:00'), admins: [ADMIN] });
    await h.db.db.insert(people).values([{ openId: ADMIN, name: '王管理员' }, { openId: COLLEAGUE, name: '赵干事' }]);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('the 协会管理 card opens the list, where the configured administrator has no 移除', async () => {
    const menu = await h.click(ADMIN, { action: 'admin.menu' });
    expect(cardActions(menu.card.data).map((a) => a.action)).toContain('admins.list');
    const list = await h.click(ADMIN, { action: 'admins.list' });
    expect(cardText(list.card.data)).toContain('部署配置指定');
    expect(cardActions(list.card.data).filter((a) => a.action === 'admins.remove')).toEqual([]);
  });

  it('添加管理员 makes a colleague an administrator: their 帮助 has 协会管理 and the card takes their clicks', async () => {
    expect(await helpActions(h, COLLEAGUE)).not.toContain('admin.menu');
    const added = await h.click(ADMIN, { action: 'admins.add' }, { admins: [COLLEAGUE] });
    expect(added.toast).toEqual({ type: 'success', content: '已添加 1 位管理员' });
    expect(await roles(h, COLLEAGUE)).toContain('admin');
    expect(cardActions(added.card.data)).toContainEqual(expect.objectContaining({ action: 'admins.remove', openId: COLLEAGUE }));
    expect(await helpActions(h, COLLEAGUE)).toContain('admin.menu');
    expect((await h.click(COLLEAGUE, { action: 'admin.menu' })).card.data.header.title.content).toBe('协会管理');
    expect((await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'admin.add'))).map((a) => [a.actor, a.entityId])).toEqual([[ADMIN, COLLEAGUE]]);
  });

  it('移除 of the administrator named in ADMIN_OPEN_IDS is refused, saying where to remove them', async () => {
    const refused = await h.click(COLLEAGUE, { action: 'admins.remove', openId: ADMIN });
    expect(refused.toast.content).toContain('ADMIN_OPEN_IDS');
    expect(await helpActions(h, ADMIN)).toContain('admin.menu');
    expect(await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'admin.remove'))).toEqual([]);
  });

  it('an administrator who removes themselves is one no more, and a second click changes nothing', async () => {
    const removed = await h.click(COLLEAGUE, { action: 'admins.remove', openId: COLLEAGUE });
    expect(removed.toast).toEqual({ type: 'success', content: '已移除你的管理员身份' });
    expect(cardText(removed.card.data)).toContain('你已不再是协会管理员');
    expect(await roles(h, COLLEAGUE)).not.toContain('admin');
    expect(await helpActions(h, COLLEAGUE)).not.toContain('admin.menu');
    expect((await h.click(COLLEAGUE, { action: 'admin.menu' })).toast.content).toContain('只有协会管理员可以使用此功能');
    expect((await h.click(ADMIN, { action: 'admins.remove', openId: COLLEAGUE })).toast.content).toContain('无需重复移除');
    expect(await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'admin.remove'))).toHaveLength(1);
  });
});

describe('the last administrator', () => {
  let h: Harness;
  beforeAll(async () => {
    // ADMIN_OPEN_IDS empty: the only administrator is one added in the bot
    h = await startHarness({ clock: new ManualClock('2027-03-10T09:00:00+08:00'), admins: [] });
    await h.db.db.insert(people).values({ openId: STORED, name: '唯一管理员', roles: ['admin'] });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('is offered no 移除 on the list, which says to add another administrator first', async () => {
    const list = await h.click(STORED, { action: 'admins.list' });
    expect(cardActions(list.card.data).map((a) => a.action)).not.toContain('admins.remove');
    expect(cardText(list.card.data)).toContain('唯一的管理员：先添加另一位管理员，才能移除');
  });

  it('is not removed, not even by themselves, and is told to add another first', async () => {
    const refused = await h.click(STORED, { action: 'admins.remove', openId: STORED });
    expect(refused.toast.content).toContain('不能移除最后一位管理员');
    expect(await roles(h, STORED)).toContain('admin');
    expect(await helpActions(h, STORED)).toContain('admin.menu');
  });
});
