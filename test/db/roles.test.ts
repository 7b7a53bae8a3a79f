import { desc, gt } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBot } from '../../bot/index.js';
import { outbox } from '../../db/schema.js';
import { messageEvent } from '../support/larkEvents.js';
import { TEST_VERIFICATION_TOKEN, type Harness } from '../support/harness.js';
import { type ActionCase, type ActionSpec, allows, commandTable, type Fixture, personaNames, personas, snapshot, startSecurityHarness } from './securityFixture.js';

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
  it('has a row for every registered card action and every command, and no row for anything else', () => {
    expect(actionNames.filter((a) => !table[a]), 'card actions missing from actionTable (test/db/securityFixture.ts)').toEqual([]);
    expect(Object.keys(table).filter((a) => !registry.actions.has(a)), 'rows for actions the bot does not register').toEqual([]);
    expect(commandNames.filter((c) => !commandTable[c]), 'commands missing from commandTable').toEqual([]);
    expect(actionNames.length).toBeGreaterThan(50);
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
