import { count, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { menuCardFor } from '../../bot/help/showHelp.js';
import type { Db } from '../../db/index.js';
import { outbox, people, processedEvents, teamMembers } from '../../db/schema.js';
import { fastImportTemplate, fastPrivateMenu, type FastRequest } from '../../src/fast/requests.js';
import type { BotRegistry, HandlerContext } from '../../src/handlers.js';
import { HELP_MENU_CARD, helpMenuRenderer, helpMenuSpec, menuButtons, menuTable } from '../../src/helpMenuCards.js';
import { importTemplate, readImportWorkbook } from '../../src/import/workbook.js';
import { resendKeys } from '../../src/outbox.js';
import { loadActor, type Role } from '../../src/people.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, type Harness } from '../support/harness.js';
import { randomEventId } from '../support/larkEvents.js';
import { expectAnswer, expectSameWorlds, inEachWorld, leavesToOrdinary, MODES_HERE, twoWorlds } from '../support/worlds.js';
import { countedFixtureBot, type Fixture, personas, startSecurityHarness } from './securityFixture.js';

/**
 * 在私聊中打开我的菜单 and 下载导入模板 in one statement (src/fast/requests.ts) against the ordinary transaction: the
 * same answers, outbox rows and messages sent; every case the statement leaves (not an administrator, a delivery
 * seen before) answered by the ordinary path with nothing of the fast attempt kept; one round trip on a warm
 * connection; the same delivery twice at once ends as one.
 */

/** Someone the bot has never seen: no row, no role. */
const VISITOR = 'ou_reqvisitor00000000000000000000001';
/** Stored roles in an order of their own, and a team's leader: the menu names them as actorFrom orders them. */
const MULTI = 'ou_reqmultirole000000000000000000001';
const MULTI_ROLES: Role[] = ['org_contact', 'expert', 'leader', 'member'];
/** An administrator by the stored role (the fixture's ADMIN is one by ADMIN_OPEN_IDS). */
const ROLE_ADMIN = 'ou_reqroleadmin000000000000000000001';
/** Someone given a role between two clicks of theirs. */
const LATE = 'ou_reqlateexpert00000000000000000001';

type Body = { toast?: { type: string; content: string }; card?: { data?: any } };

async function seedMore(db: Db, f: Fixture): Promise<void> {
  await db.insert(people).values([
    { openId: MULTI, name: '多角色', roles: ['org_contact', 'expert'] },
    { openId: ROLE_ADMIN, name: '协会管理员', roles: ['admin'] },
    { openId: LATE, name: '新专家', roles: [] },
  ]);
  await db.insert(teamMembers).values({ teamId: f.teamA.id, openId: MULTI, role: 'leader' });
}

interface Step {
  name: string;
  who: string;
  action: 'help.private' | 'import.template';
  /** A fixed event id (a delivery repeated); a fresh one otherwise. */
  eventId?: string;
  toast: 'success' | 'error' | 'info';
  says: RegExp;
  /** A case the statement leaves: called directly, it must answer undefined and write nothing. */
  leftToOrdinary?: boolean;
  before?: (db: Db) => Promise<void>;
}

const menuSent = /^菜单已通过私聊发给你$/;
const templateSent = /^导入模板已发到与你的单聊$/;
const duplicate = /^这次点击已收到，请以卡片当前内容为准；如卡片未更新，请重新打开后再操作$/;
const menuSentAlready = /^菜单已通过私聊发给你，请查看上一条消息$/;
const templateSentAlready = /^导入模板已发到与你的单聊，请查看上一条消息$/;

const steps: Step[] = [
  { name: '私信菜单 of someone with no role', who: VISITOR, action: 'help.private', eventId: 'evt_req_menu_visitor', toast: 'info', says: menuSent },
  { name: '私信菜单 of a leader', who: personas.leader, action: 'help.private', toast: 'info', says: menuSent },
  { name: '私信菜单 of someone with stored roles who leads a team', who: MULTI, action: 'help.private', toast: 'info', says: menuSent },
  { name: '私信菜单 of an administrator by ADMIN_OPEN_IDS', who: ADMIN, action: 'help.private', toast: 'info', says: menuSent },
  { name: '私信菜单, the same delivery again', who: VISITOR, action: 'help.private', eventId: 'evt_req_menu_visitor', toast: 'info', says: duplicate, leftToOrdinary: true },
  { name: '私信菜单 of someone whose row holds no role', who: LATE, action: 'help.private', toast: 'info', says: menuSent },
  {
    name: '私信菜单 of the same person once given a role',
    who: LATE,
    action: 'help.private',
    toast: 'info',
    says: menuSent,
    before: async (db) => {
      await db.update(people).set({ roles: ['expert'] }).where(eq(people.openId, LATE));
    },
  },
  { name: '下载导入模板 by an administrator by ADMIN_OPEN_IDS', who: ADMIN, action: 'import.template', eventId: 'evt_req_template_admin', toast: 'success', says: templateSent },
  { name: '下载导入模板 by an administrator of the stored role', who: ROLE_ADMIN, action: 'import.template', toast: 'success', says: templateSent },
  { name: '下载导入模板 by a leader', who: personas.leader, action: 'import.template', toast: 'error', says: /只有协会管理员/, leftToOrdinary: true },
  { name: '下载导入模板 by someone of other stored roles', who: MULTI, action: 'import.template', toast: 'error', says: /只有协会管理员/, leftToOrdinary: true },
  { name: '下载导入模板, the same delivery again', who: ADMIN, action: 'import.template', eventId: 'evt_req_template_admin', toast: 'info', says: duplicate, leftToOrdinary: true },
];

/** What these actions write, without the times and ids PostgreSQL stamps; the workbook's bytes (which carry their own time) compared apart. */
async function snapshot(db: Db) {
  const out = (await db.select().from(outbox).orderBy(outbox.id)).map(({ id: _i, createdAt: _c, nextAttemptAt: _n, claimedAt: _l, sentAt: _s, messageId: _m, ...o }) => ({
    ...o,
    card: o.msgType === 'file' ? { ...(o.card as object), base64: '<workbook>' } : o.card,
  }));
  const events = await db.select({ eventId: processedEvents.eventId, eventType: processedEvents.eventType }).from(processedEvents).orderBy(processedEvents.eventId);
  return { out, events };
}

const counts = async (db: Db) => ({
  events: (await db.select({ n: count() }).from(processedEvents))[0].n,
  outbox: (await db.select({ n: count() }).from(outbox))[0].n,
});

/** The event of a step as the fast functions take it. */
const request = (h: Harness, who: string, eventId: string): FastRequest => ({ eventId, eventType: 'card.action.trigger', openId: who, bootstrapAdmins: h.app.config.ADMIN_OPEN_IDS });

/** The key prefix of a step's message: the action's and the clicker's (resendKeys adds the period). */
const keyOf = (action: Step['action'], who: string) => (action === 'help.private' ? `help:private:${who}` : `import:template:${who}`);

/** The statement of a step, called directly, under a key of its own (no press before it). */
async function direct(h: Harness, step: Pick<Step, 'action' | 'who'>, eventId: string, bootstrapAdmins?: string[]) {
  const event = { ...request(h, step.who, eventId), ...(bootstrapAdmins ? { bootstrapAdmins } : {}) };
  const keys = { dedupeKey: `${keyOf(step.action, step.who)}:${eventId}`, previousKey: `${keyOf(step.action, step.who)}:${eventId}:before` };
  return step.action === 'help.private'
    ? fastPrivateMenu(h.db, { ...event, ...keys, menu: menuTable(h.app.registry.menu) })
    : fastImportTemplate(h.db, { ...event, ...keys, file: { fileName: '质量信得过班组导入模板.xlsx', fileType: 'xls', base64: (await importTemplate()).toString('base64') } });
}

/** The menu as the ordinary path drew it before it was drawn at send time: menuCardFor on the actor. */
const oldMenu = (h: Harness, openId: string, roles: Role[]) =>
  menuCardFor(h.app.registry, { tx: h.db.db, actor: { openId, name: null, roles }, clock: h.clock, config: h.app.config } as unknown as HandlerContext);

/** A workbook read back as the import reads it. */
const readBack = async (bytes: Buffer) => readImportWorkbook(bytes);

describe('私信菜单 and 下载导入模板: the one statement answers and writes what the ordinary transaction does', () => {
  const worlds = twoWorlds(async () => {
    const { h, f } = await startSecurityHarness();
    await seedMore(h.db.db, f);
    return { h, f, answers: [] as Body[], after: [] as Awaited<ReturnType<typeof snapshot>>[], keys: [] as string[] };
  }, { oneOnPglite: true });

  it.each(steps.map((s, i) => [s.name, s, i] as const))('%s', async (_name, step, i) => {
    for (const mode of MODES_HERE) {
      const { h } = worlds[mode];
      const db = h.db.db;
      await step.before?.(db);
      // a minute after the step before: each click its own period (a press within about 10 s sends nothing new)
      h.clock.advance(60_000);
      worlds[mode].keys[i] = resendKeys(keyOf(step.action, step.who), h.clock.now()).key;
      if (mode === 'fast' && step.leftToOrdinary) {
        // the statement itself, on this case: it leaves it, having written nothing (PGlite has no statement: undefined at once)
        await leavesToOrdinary(() => counts(db), () => direct(h, step, step.eventId ?? `probe_${randomEventId()}`));
      }
      const body: Body = await h.click(step.who, { action: step.action }, {}, { eventId: step.eventId ?? `evt_req_${i}` });
      expectAnswer(body, step, mode);
      worlds[mode].answers[i] = body;
      worlds[mode].after[i] = await snapshot(db);
    }
    expectSameWorlds(worlds, i);
  });

  it('sends each the menu the ordinary path drew before, for the roles they had at the click, and the renderer draws it from the spec', async () => {
    const fastMessages: unknown[] = [];
    for (const mode of ['fast', 'ordinary'] as const) {
      const { h } = worlds[mode];
      const registry = h.app.registry;
      const menus = (to: string) => h.fake.messages.filter((m) => m.receiveId === to && m.msgType === 'interactive').map((m) => m.content);
      const roles = async (openId: string) => (await loadActor(h.db.db, openId, h.app.config.ADMIN_OPEN_IDS)).roles;
      expect(menus(VISITOR), mode).toEqual([await oldMenu(h, VISITOR, [])]);
      expect(menus(personas.leader), mode).toEqual([await oldMenu(h, personas.leader, await roles(personas.leader))]);
      expect(await roles(personas.leader)).toEqual(expect.arrayContaining(['leader', 'member']));
      expect(menus(MULTI), mode).toEqual([await oldMenu(h, MULTI, MULTI_ROLES)]);
      expect(menus(ADMIN), mode).toEqual([await oldMenu(h, ADMIN, await roles(ADMIN))]);
      expect(await roles(ADMIN)).toContain('admin');
      expect(menus(LATE), mode).toEqual([await oldMenu(h, LATE, []), await oldMenu(h, LATE, ['expert'])]);
      // the rows hold the spec: the roles in actorFrom's order and the buttons menuFor offers them; the clicker's own, so interactive
      const rows = await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, 'help:private:%')).orderBy(outbox.id);
      expect(rows.map((o) => [o.receiver, o.priority, o.msgType, o.status])).toEqual(
        [VISITOR, personas.leader, MULTI, ADMIN, LATE, LATE].map((to) => [to, 0, 'interactive', 'sent']),
      );
      const multi = rows.find((o) => o.receiver === MULTI)!;
      expect((multi.card as { render: unknown }).render).toEqual(helpMenuSpec(MULTI_ROLES, menuButtons(registry.menuFor(MULTI_ROLES)), MULTI));
      fastMessages.push(h.fake.messages.filter((m) => m.msgType === 'interactive').map((m) => [m.receiveId, m.content]));
    }
    expect(fastMessages[0]).toEqual(fastMessages[1]);
    const { h } = worlds.fast;
    const registry = h.app.registry;
    const render = helpMenuRenderer(h.db.db, { timezone: h.app.config.BOT_TIMEZONE, clock: h.clock });
    expect(await render([helpMenuSpec(['admin'], menuButtons(registry.menuFor(['admin'])), ADMIN), { kind: HELP_MENU_CARD, roles: 'admin' }])).toEqual([
      { card: await oldMenu(h, ADMIN, ['admin']) },
      { error: `card ${HELP_MENU_CARD}: incomplete spec` },
    ]);
  });

  it('sends each administrator the template workbook, as a file message of their own', async () => {
    const template = await readBack(await importTemplate());
    const sent: unknown[] = [];
    for (const mode of ['fast', 'ordinary'] as const) {
      const { h } = worlds[mode];
      const files = h.fake.messages.filter((m) => m.msgType === 'file');
      expect(files.map((m) => m.receiveId), mode).toEqual([ADMIN, ROLE_ADMIN]);
      for (const m of files) {
        const upload = h.fake.upload(m.content.file_key)!;
        expect([upload.fileName, upload.fileType]).toEqual(['质量信得过班组导入模板.xlsx', 'xls']);
        expect(await readBack(upload.bytes)).toEqual(template);
      }
      const rows = await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, 'import:template:%')).orderBy(outbox.id);
      expect(rows.map((o) => [o.receiver, o.priority, o.msgType, o.status])).toEqual([ADMIN, ROLE_ADMIN].map((to) => [to, 0, 'file', 'sent']));
      sent.push(files.map((m) => [m.receiveIdType, m.receiveId]));
    }
    expect(sent[0]).toEqual(sent[1]);
  });

  it.skipIf(testDatabaseKind() !== 'postgres')('the statement itself does every success case, writing the row the ordinary path wrote', async () => {
    const { h } = worlds.fast;
    const ordinary = worlds.ordinary.h.db.db;
    for (const [i, step] of steps.entries()) {
      // LATE's first click drew the menu of the roles they had then
      if (step.leftToOrdinary || (step.who === LATE && !step.before)) continue;
      const eventId = `evt_req_direct_${i}`;
      const before = await counts(h.db.db);
      expect(await direct(h, step, eventId), step.name).toEqual({ queued: 1 });
      expect(await counts(h.db.db)).toEqual({ events: before.events + 1, outbox: before.outbox + 1 });
      const [mine] = await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, `${keyOf(step.action, step.who)}:${eventId}`));
      // the ordinary world's row of the same click, as it was queued (the dispatcher since sent it)
      const [theirs] = await ordinary.select().from(outbox).where(eq(outbox.dedupeKey, worlds.ordinary.keys[i]));
      const queued = (o: typeof mine) => ({ kind: o.kind, receiveIdType: o.receiveIdType, receiver: o.receiver, rateKey: o.rateKey, msgType: o.msgType, priority: o.priority, status: o.status, attempts: o.attempts });
      expect(queued(mine)).toEqual({ ...queued(theirs), status: 'pending', attempts: 0 });
      if (step.action === 'help.private') expect(mine.card, step.name).toEqual(theirs.card);
      else expect(await readBack(Buffer.from((mine.card as { base64: string }).base64, 'base64'))).toEqual(await readBack(Buffer.from((theirs.card as { base64: string }).base64, 'base64')));
      const [claimed] = await h.db.db.select().from(processedEvents).where(eq(processedEvents.eventId, eventId));
      expect(claimed.eventType).toBe('card.action.trigger');
    }
  });

  it('leaves a delivery recorded before (whose first answer queued nothing) and an imported person not yet linked, writing nothing', async () => {
    const { h } = worlds.fast;
    const db = h.db.db;
    for (const action of ['help.private', 'import.template'] as const) {
      const seen = `evt_req_seen_${action}`;
      await db.insert(processedEvents).values({ eventId: seen, eventType: 'card.action.trigger' });
      expect(await direct(h, { action, who: ADMIN }, seen)).toBeUndefined();
      // enqueueQuietly sends nothing to a pending id (here one of ADMIN_OPEN_IDS, so that only this stops it); the ordinary path answers it
      const pending = 'pending:m:13800000009';
      await leavesToOrdinary(() => counts(db), () => direct(h, { action, who: pending }, `evt_req_pending_${action}`, [ADMIN, pending]));
    }
  });
});

describe('私信菜单 and 下载导入模板, the same delivery twice at once, the fast paths on', () => {
  let h: Harness;

  beforeAll(async () => {
    let f: Fixture;
    ({ h, f } = await startSecurityHarness());
    await seedMore(h.db.db, f);
  });

  afterAll(async () => {
    await h?.close();
  });

  const rowsOf = (action: Step['action'], who: string) => h.db.db.select().from(outbox).where(like(outbox.dedupeKey, `${keyOf(action, who)}:%`));

  it.each([
    ['help.private', personas.leader, menuSent],
    ['import.template', ROLE_ADMIN, templateSent],
  ] as const)('%s delivered twice at once: one sent, one told it was handled', async (action, who, says) => {
    for (let round = 0; round < 3; round++) {
      h.clock.advance(60_000);
      const eventId = `evt_req_twice_${action}_${round}`;
      const before = (await rowsOf(action, who)).length;
      const both: Body[] = await Promise.all([0, 1].map(() => h.click(who, { action }, {}, { eventId })));
      const contents = both.map((b) => b.toast?.content ?? '');
      expect(contents.filter((c) => says.test(c)), JSON.stringify(contents)).toHaveLength(1);
      expect(contents.filter((c) => duplicate.test(c))).toHaveLength(1);
      expect((await rowsOf(action, who)).length).toBe(before + 1);
    }
  });

  it.each([
    ['help.private', personas.leader, menuSent, menuSentAlready],
    ['import.template', ROLE_ADMIN, templateSent, templateSentAlready],
  ] as const)('%s clicked twice at once (a double tap): one message, the other told to look above', async (action, who, says, already) => {
    h.clock.advance(60_000);
    const before = (await rowsOf(action, who)).length;
    const both: Body[] = await Promise.all([randomEventId(), randomEventId()].map((eventId) => h.click(who, { action }, {}, { eventId })));
    const contents = both.map((b) => b.toast?.content ?? '');
    expect(contents.filter((c) => says.test(c)), JSON.stringify(contents)).toHaveLength(1);
    expect(contents.filter((c) => already.test(c)), JSON.stringify(contents)).toHaveLength(1);
    expect((await rowsOf(action, who)).length).toBe(before + 1);
  });
});

describe.skipIf(testDatabaseKind() !== 'postgres')('私信菜单 and 下载导入模板 on PostgreSQL: one round trip', () => {
  const bot = countedFixtureBot(seedMore);
  const click = (openId: string, value: Record<string, unknown>) => bot.click<Body>(openId, value);

  it('私信菜单 and 下载导入模板 each cost one round trip on a warm connection, a sender seen before or not (the ordinary path: more)', async () => {
    const figures: Record<string, number> = {};
    const senders = { 'help.private': [personas.member, personas.leader, MULTI], 'import.template': [ADMIN, ROLE_ADMIN, ADMIN] } as const;
    for (const fast of [true, false]) {
      bot.app.processor.fastPaths = fast;
      for (const action of ['help.private', 'import.template'] as const) {
        // the first warms the connection; the second is a sender new to this process (the first round), the third one seen before
        const [warm, fresh, seen] = senders[action];
        // each click a minute after the one before: its own period (a press within about 10 s sends nothing new)
        bot.clock.advance(60_000);
        expect((await click(warm, { action })).body.toast?.type).toBe(action === 'help.private' ? 'info' : 'success');
        for (const [label, who] of [['new sender', fresh], ['sender seen before', seen]] as const) {
          bot.clock.advance(60_000);
          const { body, trips } = await click(who, { action });
          expect(body.toast?.content).toMatch(action === 'help.private' ? menuSent : templateSent);
          expect(await bot.db.select().from(outbox).where(eq(outbox.dedupeKey, resendKeys(keyOf(action, who), bot.clock.now()).key))).toHaveLength(1);
          figures[`${action} ${label} (${fast ? 'one statement' : 'ordinary path'})`] = trips;
        }
      }
    }
    bot.app.processor.fastPaths = true;
    console.log(`私信菜单 / 下载导入模板 round trips (warm): ${JSON.stringify(figures)}`);
    for (const action of ['help.private', 'import.template']) {
      for (const label of ['new sender', 'sender seen before']) expect(figures[`${action} ${label} (one statement)`], `${action} ${label}`).toBe(1);
    }
  });
});

describe('查看申报表全文 tapped twice on one task card, the fast paths on and off: one message, the second tap told to look above', () => {
  const worlds = twoWorlds(async () => startSecurityHarness(), { oneOnPglite: true });
  const sentAlready = '申报表全文已发送，请查看上一条消息；评分表中已填的分数保留，可继续打分。';

  it('a second tap right after, and a third 5 s later, send nothing new; a tap a minute later sends it again; each world alike', async () => {
    const seen = await inEachWorld(worlds, async ({ h, f }, mode) => {
      const value = { action: 'review.application', assignmentId: f.ownTask };
      const start = h.clock.now();
      const tap = async (i: number) => (await h.click(personas.expert, value, {}, { eventId: `evt_req_app_${i}` })).toast;
      const toasts = [await tap(0), await tap(1)];
      h.clock.advance(5_000);
      toasts.push(await tap(2));
      h.clock.advance(60_000);
      toasts.push(await tap(3));
      h.clock.set(start.toISOString());
      expect(toasts.map((t) => t?.type), mode).toEqual(['success', 'info', 'info', 'success']);
      expect(toasts[1]?.content).toBe(sentAlready);
      const rows = await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, `review:application:${f.ownTask}:%`)).orderBy(outbox.id);
      expect(rows.map((o) => [o.receiver, o.priority, o.msgType]), mode).toEqual([0, 1].map(() => [personas.expert, 0, 'interactive']));
      // every tap answered, and claimed as an event of its own
      expect(await h.db.db.select().from(processedEvents).where(like(processedEvents.eventId, 'evt_req_app_%'))).toHaveLength(4);
      return { toasts, rows: rows.map((o) => [o.dedupeKey, o.card]) };
    });
    expect(seen.fast).toEqual(seen.ordinary);
  });

  it('two taps at once: one message, one told to look above', async () => {
    for (const mode of MODES_HERE) {
      const { h, f } = worlds[mode];
      h.clock.advance(10 * 60_000);
      const value = { action: 'review.application', assignmentId: f.ownTask };
      const before = await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, `review:application:${f.ownTask}:%`));
      const both: Body[] = await Promise.all([0, 1].map(() => h.click(personas.expert, value, {})));
      expect(both.map((b) => b.toast?.type).sort(), mode).toEqual(['info', 'success']);
      const after = await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, `review:application:${f.ownTask}:%`));
      expect(after.length - before.length, mode).toBe(1);
    }
  });
});

describe('私信菜单 and 下载导入模板 tapped twice, the fast paths on and off: one message, the second tap told to look above', () => {
  const worlds = twoWorlds(async () => startSecurityHarness(), { oneOnPglite: true });
  const cases = [
    { action: 'help.private', who: personas.leader, sent: ['info', '菜单已通过私聊发给你'], already: ['info', '菜单已通过私聊发给你，请查看上一条消息'], msgType: 'interactive' },
    { action: 'import.template', who: ADMIN, sent: ['success', '导入模板已发到与你的单聊'], already: ['info', '导入模板已发到与你的单聊，请查看上一条消息'], msgType: 'file' },
  ] as const;

  it.each(cases)('$action: a second tap right after, and a third 5 s later, send nothing new; a tap a minute later sends it again; each world alike', async (c) => {
    const seen = await inEachWorld(worlds, async ({ h }, mode) => {
      const start = h.clock.now();
      const tap = async (i: number) => {
        const t = (await h.click(c.who, { action: c.action }, {}, { eventId: `evt_req_tap_${c.action}_${i}` })).toast;
        return [t?.type, t?.content];
      };
      const toasts = [await tap(0), await tap(1)];
      h.clock.advance(5_000);
      toasts.push(await tap(2));
      h.clock.advance(60_000);
      toasts.push(await tap(3));
      h.clock.set(start.toISOString());
      expect(toasts, mode).toEqual([c.sent, c.already, c.already, c.sent]);
      const rows = await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, `${c.action === 'help.private' ? 'help:private' : 'import:template'}:${c.who}:%`)).orderBy(outbox.id);
      expect(rows.map((o) => [o.receiver, o.priority, o.msgType]), mode).toEqual([0, 1].map(() => [c.who, 0, c.msgType]));
      expect(h.fake.messages.filter((m) => m.receiveId === c.who && m.msgType === c.msgType), mode).toHaveLength(2);
      // every tap answered, and claimed as an event of its own
      expect(await h.db.db.select().from(processedEvents).where(like(processedEvents.eventId, `evt_req_tap_${c.action}_%`)), mode).toHaveLength(4);
      return { toasts, keys: rows.map((o) => o.dedupeKey) };
    });
    expect(seen.fast).toEqual(seen.ordinary);
  });
});
