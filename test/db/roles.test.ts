import { desc, gt } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBot } from '../../bot/index.js';
import { noValue } from '../../bot/respond.js';
import { outbox } from '../../db/schema.js';
import { BotRegistry, type CardActionDecl } from '../../src/handlers.js';
import { messageEvent } from '../support/larkEvents.js';
import { TEST_VERIFICATION_TOKEN, type Harness } from '../support/harness.js';
import { type ActionCase, actionRows, type ActionSpec, allows, commandTable, type Fixture, personaNames, personas, snapshot, startSecurityHarness } from './securityFixture.js';

/**
 * The role matrix (issue 7): public, member, leader, organisation contact, expert and administrator
 * against every card action the bot registers and every command. A refused pair must answer with a
 * refusal that names who may do it, and change nothing at all (every table's contents hashed before
 * and after). Allowed read-only pairs are checked to change nothing too; allowed changes are checked
 * last, once each, to be let through.
 */

const registry = createBot();
const actionNames = [...registry.actions.keys()].sort();
const commandNames = registry.commands.map((c) => c.names[0]);

/** What a refusal says: who may do it (第十四条 admins, 班组长, 单位联系人, the assigned expert). */
const refusalText = /只有|没有权限|不是你的/;

let h: Harness;
let f: Fixture;
let table: Record<string, ActionSpec>;
beforeAll(async () => {
  ({ h, f, table } = await startSecurityHarness());
});
afterAll(async () => {
  await h?.close();
});

function casesOf(spec: ActionSpec): [string, ActionCase][] {
  return spec.foreign ? [['own rows', spec.own], ["others' rows", spec.foreign]] : [['own rows', spec.own]];
}

describe('the role table', () => {
  it('has rows to try for every registered card action and every command, and none for anything else', () => {
    expect(actionNames.filter((a) => !table[a]), 'card actions missing from actionRows (test/db/securityFixture.ts)').toEqual([]);
    expect(Object.keys(actionRows(f)).filter((a) => !registry.actions.has(a)), 'rows for actions the bot does not register').toEqual([]);
    expect(commandNames.filter((c) => !commandTable[c]), 'commands missing from commandTable').toEqual([]);
    expect(actionNames.length).toBeGreaterThan(50);
  });

  it('tries an action that names a row (the leader of value.teamId…) on the personas\' rows and on others\'', () => {
    const rowChecked = actionNames.filter((a) => registry.action(a)!.roles.some((r) => typeof r !== 'string'));
    expect(rowChecked.length).toBeGreaterThan(10);
    for (const a of rowChecked) {
      const rule = registry.action(a)!.roles.find((r) => typeof r !== 'string')!;
      expect(table[a].foreign, `${a}: give actionRows a foreign case`).toBeDefined();
      expect(table[a].own.value[rule.key], `${a}: its value names ${rule.key}`).toBeDefined();
      expect(table[a].own.allowed, a).not.toEqual([]);
    }
  });
});

describe('every card action is declared through cardAction', () => {
  const declared: CardActionDecl = { action: 'probe.declared', roles: ['public'], value: noValue, run: async () => ({ toast: { type: 'success', content: '好' } }) };

  it('takes a declaration with its roles, value schema and run, and nothing less', () => {
    const bot = new BotRegistry().cardAction(declared);
    expect(bot.action('probe.declared')?.roles).toEqual(['public']);
    const without = (omit: keyof CardActionDecl) => () => new BotRegistry().cardAction({ ...declared, [omit]: undefined } as unknown as CardActionDecl);
    expect(without('roles')).toThrow(/roles/);
    expect(without('value')).toThrow(/value/);
    expect(without('run')).toThrow(/run/);
    expect(() => new BotRegistry().cardAction({ ...declared, roles: [] })).toThrow(/roles/);
    expect(() => new BotRegistry().cardAction({ ...declared, roles: ['owner' as never] })).toThrow(/unknown role/);
    expect(() => new BotRegistry().cardAction({ ...declared, value: { parse: () => ({}) } as never })).toThrow(/zod/);
    expect(() => new BotRegistry().cardAction({ ...declared, roles: [{ persona: 'leader', key: 'teamId', who: '班组长' } as never] })).toThrow(/unknown role/);
    // a view sent privately from a bound group names what it sends, and has no fast path to answer past that
    expect(() => new BotRegistry().cardAction({ ...declared, privateInGroup: '' })).toThrow(/privateInGroup/);
    expect(() => new BotRegistry().cardAction({ ...declared, privateInGroup: '专家组', fast: async () => undefined })).toThrow(/fast path/);
    // the old way: a plain function, with no declaration around it
    expect(() => (new BotRegistry() as unknown as { cardAction(f: unknown): void }).cardAction(declared.run)).toThrow();
  });

  it('offers no way round the declaration: the list of actions is a copy and a registered one cannot be changed', () => {
    const bot = new BotRegistry().cardAction(declared);
    (bot.actions as Map<string, unknown>).set('probe.sneaked', { action: 'probe.sneaked', dispatch: declared.run });
    expect(bot.action('probe.sneaked')).toBeUndefined();
    expect(() => Object.assign(bot.action('probe.declared')!, { roles: [] })).toThrow();
    expect(() => (bot.commands as unknown as unknown[]).push({ names: ['偷偷'], run: async () => {} })).toThrow();
    expect(bot.matchCommand('偷偷')).toBeUndefined();
  });

  it('in the bot, every action carries its declaration, and the dispatch is the registry\'s', () => {
    for (const [verb, def] of registry.actions) {
      expect(def.action, verb).toBe(verb);
      expect(def.roles.length, verb).toBeGreaterThan(0);
      expect(typeof def.value.safeParse, verb).toBe('function');
      expect(def.dispatch, verb).not.toBe(def.run);
    }
  });

  it('a persona refused by the declaration is told who may, and a bad id is a spent button, not an error of the server', async () => {
    const res = await h.click(personas.member, { action: 'cycle.settings', cycleId: f.cycleId });
    expect(res.toast).toMatchObject({ type: 'error', content: expect.stringMatching(/只有协会管理员/) });
    const bad = await h.click(personas.admin, { action: 'cycle.settings', cycleId: 'abc' });
    expect(bad.toast).toEqual({ type: 'error', content: '这个按钮已失效，请重新打开菜单。' });
    const contact = await h.click(personas.member, { action: 'endorse.open', applicationId: f.appA });
    expect(contact.toast.content).toMatch(/只有该班组登记的单位联系人/);
  });
});

describe('every card action × every persona', () => {
  it.each(actionNames)('%s: refused and without effect for whoever may not use it', async (action) => {
    const spec = table[action];
    expect(spec, `describe ${action} in actionTable`).toBeDefined();
    const before = await snapshot(h.db.db);
    let refused = 0;
    for (const [label, c] of casesOf(spec)) {
      for (const persona of personaNames) {
        const who = `${action} on ${label} by ${persona}`;
        if (allows(c, persona)) {
          if (spec.mutates) continue;
          const res = await h.click(personas[persona], { action, ...c.value }, c.form);
          expect(res.toast?.type, `${who}: ${res.toast?.content}`).not.toBe('error');
          expect(res.card ?? res.toast, who).toBeDefined();
        } else {
          const res = await h.click(personas[persona], { action, ...c.value }, c.form);
          expect(['error', 'info'], `${who} answered ${JSON.stringify(res).slice(0, 200)}`).toContain(res.toast?.type);
          expect(res.toast.content, who).toMatch(refusalText);
          refused++;
        }
        expect(await snapshot(h.db.db), `${who} changed rows`).toEqual(before);
      }
    }
    const everyone = casesOf(spec).every(([, c]) => c.allowed === 'all');
    if (!everyone) expect(refused).toBeGreaterThan(0);
  });
});

describe('every command × every persona', () => {
  async function send(openId: string, text: string, chat: 'p2p' | 'group') {
    const event = messageEvent({ token: TEST_VERIFICATION_TOKEN, openId, text, chatType: chat, chatId: chat === 'group' ? 'oc_matrixgroup0000000000000000001' : undefined, mentionBot: chat === 'group' });
    const res = await h.post('/lark/events', event);
    await h.drain();
    return res;
  }

  it.each(commandNames)('%s: one answer each; a refusal says who may use it and changes nothing', async (name) => {
    const spec = commandTable[name];
    expect(spec, `describe ${name} in commandTable`).toBeDefined();
    const mutates = name === '绑定通知' || name === '解绑';
    for (const persona of personaNames) {
      const allowed = allows(spec, persona);
      if (allowed && mutates) continue;
      const [last] = await h.db.db.select({ id: outbox.id }).from(outbox).orderBy(desc(outbox.id)).limit(1);
      const before = await snapshot(h.db.db, ['outbox']);
      const res = await send(personas[persona], name, spec.chat);
      expect(res.status).toBe(200);
      const added = await h.db.db.select().from(outbox).where(gt(outbox.id, last?.id ?? 0));
      expect(added, `${name} by ${persona}`).toHaveLength(1);
      const said = JSON.stringify(added[0].card);
      if (!allowed) expect(said, `${name} by ${persona}`).toMatch(/只有|专家库/);
      expect(await snapshot(h.db.db, ['outbox']), `${name} by ${persona} changed rows`).toEqual(before);
    }
  });
});

describe('the allowed are let through', () => {
  it('each changing action, by the first persona allowed, is not refused for who they are', async () => {
    for (const action of actionNames) {
      const spec = table[action];
      if (!spec?.mutates) continue;
      const persona = spec.own.allowed === 'all' ? 'public' : spec.own.allowed[0];
      if (!persona) continue;
      const res = await h.click(personas[persona], { action, ...spec.own.value }, spec.own.form);
      expect(res.card ?? res.toast, action).toBeDefined();
      if (res.toast?.type === 'error') expect(res.toast.content, `${action} by ${persona}`).not.toMatch(refusalText);
    }
  });
});
