import { like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBot } from '../../bot/index.js';
import { teams } from '../../db/schema.js';
import { cardActionEvent, messageEvent } from '../support/larkEvents.js';
import { TEST_VERIFICATION_TOKEN, type Harness } from '../support/harness.js';
import {
  type ActionSpec,
  applicationForm,
  type Fixture,
  invariantViolations,
  OTHER_CONTACT,
  OTHER_EXPERT,
  OTHER_LEADER,
  personaNames,
  personas,
  registrationForm,
  scoreForm,
  snapshot,
  startSecurityHarness,
} from './securityFixture.js';

/**
 * Random and mutated card callbacks at every registered action, for a fixed budget: every answer is a
 * 200 with a toast or a card, the server stays up, and the schema's invariants hold afterwards. The
 * seed is printed; FUZZ_SEED=<n> repeats a run.
 */

// a fixed number of callbacks, not a time box: how many fit in a few seconds depends on the machine's load
const BUDGET_CALLBACKS = 300;
const BUDGET_MS = 100_000;
const actionNames = [...createBot().actions.keys()].sort();

function mulberry32(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let h: Harness;
let f: Fixture;
let table: Record<string, ActionSpec>;
beforeAll(async () => {
  ({ h, f, table } = await startSecurityHarness());
});
afterAll(async () => {
  await h?.close();
});

async function callback(openId: string, value: unknown, formValue?: unknown) {
  return h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId, value: value as Record<string, unknown>, formValue: formValue as Record<string, unknown> | undefined }));
}

/** The errors the server logged, each with where in the bot's code it was thrown, and how often. */
function failuresLogged(): string[] {
  const counts = new Map<string, number>();
  for (const line of h.logs.filter((l) => l.includes('request failed'))) {
    const err = (JSON.parse(line) as { err?: { message?: string; stack?: string } }).err;
    const where = String(err?.stack ?? '').split('\n').filter((l) => /\/(bot|src)\//.test(l) && !l.includes('node_modules')).slice(0, 3).join(' | ');
    const key = `${String(err?.message).slice(0, 160)} @ ${where}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${n} × ${k}`);
}

/** A proper card answer: a toast with text, or a card. */
function answerProblem(res: { status: number; body: any }): string | undefined {
  if (res.status !== 200) return `HTTP ${res.status} ${JSON.stringify(res.body)?.slice(0, 200)}`;
  const b = res.body;
  if (!b || typeof b !== 'object') return `body ${JSON.stringify(b)}`;
  const toast = b.toast && typeof b.toast.content === 'string' && b.toast.content.length > 0;
  const card = b.card?.type === 'raw' && typeof b.card.data === 'object';
  return toast || card ? undefined : `neither toast nor card: ${JSON.stringify(b).slice(0, 200)}`;
}

describe('card values of the wrong type, and ids of other rows, are refused', () => {
  const badIds = [true, false, null, -1, 0, 1.5, 2 ** 31, 2 ** 53, '1e3', ' 1', '0x1', 'abc', [1], { id: 1 }];

  it.each([
    ['team.editForm', 'admin', 'teamId'],
    ['team.memberAdd', 'leader', 'teamId'],
    ['endorse.recommend', 'contact', 'applicationId'],
    ['review.open', 'expert', 'assignmentId'],
    ['review.submit', 'expert', 'assignmentId'],
    ['complaint.open', 'admin', 'complaintId'],
    ['cycle.settings', 'admin', 'cycleId'],
    ['revocation.revoke', 'admin', 'honourId'],
  ] as const)('%s by the %s with %s of the wrong type', async (action, persona, key) => {
    const spec = table[action];
    const before = await snapshot(h.db.db);
    for (const bad of badIds) {
      const res = await callback(personas[persona], { ...spec.own.value, action, [key]: bad }, spec.own.form);
      expect(res.status).toBe(200);
      expect(res.body.toast?.type, `${key}: ${JSON.stringify(bad)}`).toBe('error');
      expect(res.body.toast.content, `${key}: ${JSON.stringify(bad)}`).toMatch(/失效|找不到/);
      expect(await snapshot(h.db.db), `${key}: ${JSON.stringify(bad)}`).toEqual(before);
    }
  });

  it('takes an id written as digits (the value of a card built elsewhere) like the number', async () => {
    const res = await callback(personas.admin, { action: 'team.editForm', teamId: String(f.teamA.id) });
    expect(res.body.card?.type).toBe('raw');
  });

  it.each([
    ['review.submit', 'expert', { assignmentId: () => f.foreignTask }, () => scoreForm()],
    ['review.decline', 'expert', { assignmentId: () => f.foreignTask }, () => ({ kind: 'unavailable', reason: '出差' })],
    ['application.submit', 'leader', { teamId: () => f.teamB.id, year: () => 2027 }, () => applicationForm()],
    ['endorse.recommend', 'contact', { applicationId: () => f.appB }, () => ({ truthful: true, opinion: '同意' })],
    ['team.memberRemove', 'leader', { teamId: () => f.teamB.id, openId: () => OTHER_LEADER }, () => ({})],
    ['team.editSave', 'leader', { teamId: () => f.teamC.id }, () => ({ phone: '020-1111111' })],
  ] as const)('%s by the %s on rows of others', async (action, persona, value, form) => {
    const before = await snapshot(h.db.db);
    const resolved = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, v()]));
    const res = await callback(personas[persona], { action, ...resolved }, form());
    expect(res.body.toast?.type).toBe('error');
    expect(res.body.toast.content).toMatch(/只有|不是你的/);
    expect(await snapshot(h.db.db)).toEqual(before);
  });

  it.each([
    ['an item given as true', { i1_1: true }],
    ['an item given as an object', { i1_1: { v: 5 } }],
    ['a negative score', { i1_1: '-1' }],
    ['a score over the item maximum', { i1_1: '999' }],
    ['a quarter point', { i1_1: '4.25' }],
    ['text for a score', { i1_1: '满分' }],
    ['a missing item', { i1_1: undefined }],
    ['a comment of 5 000 characters', { comment: '很'.repeat(5000) }],
  ])('refuses a score sheet with %s, naming the field, and stores nothing', async (_name, patch) => {
    const before = await snapshot(h.db.db);
    const form: Record<string, unknown> = { ...scoreForm(), ...patch };
    for (const [k, v] of Object.entries(form)) if (v === undefined) delete form[k];
    const res = await callback(personas.expert, { action: 'review.submit', assignmentId: f.ownTask }, form);
    expect(res.body.toast?.type).toBe('error');
    expect(res.body.card?.type, 'the form comes back with what was typed').toBe('raw');
    expect(await snapshot(h.db.db)).toEqual(before);
  });

  it.each([
    ['a member count as a list', { memberCount: ['12'] }],
    ['a member count of 12.5', { memberCount: '12.5' }],
    ['a negative member count', { memberCount: '-3' }],
    ['a team name of 51 characters', { teamName: '班'.repeat(51) }],
    ['a team name given as a list', { teamName: ['一班'] }],
    ['no team name', { teamName: null }],
    ['a contact that is no open_id', { contact: 'zhangsan' }],
    ['a team type outside the list', { teamType: 'secret' }],
    ['a leader that is someone else', { leader: OTHER_LEADER }],
  ])('refuses a registration with %s and stores nothing', async (_name, patch) => {
    const before = await snapshot(h.db.db);
    const res = await callback(personas.public, { action: 'team.register' }, { ...registrationForm('错'), ...patch });
    expect(['error', 'info']).toContain(res.body.toast?.type);
    expect(await snapshot(h.db.db)).toEqual(before);
  });

  it('gives the registration form back without a chosen team type when the one sent is not in the list, and keeps one that is', async () => {
    const forged = await callback(personas.public, { action: 'team.register' }, { ...registrationForm('错'), teamType: 'secret' });
    expect(forged.body.toast?.type).toBe('error');
    expect(forged.body.card?.type).toBe('raw');
    const selects = (body: typeof forged.body) => JSON.stringify(body.card).match(/"initial_option":"[^"]*"/g) ?? [];
    expect(selects(forged.body).join()).not.toContain('secret');
    const typo = await callback(personas.public, { action: 'team.register' }, { ...registrationForm('错'), teamType: 'project', memberCount: '-3' });
    expect(typo.body.toast?.type).toBe('error');
    expect(selects(typo.body)).toContain('"initial_option":"project"');
  });

  it('keeps text with NUL and lone surrogates, as far as PostgreSQL can store it, in forms and in messages', async () => {
    const res = await callback(personas.public, { action: 'team.register' }, registrationForm('空\u0000字\ud800符'));
    expect(res.body.toast?.type).toBe('success');
    const [row] = await h.db.db.select().from(teams).where(like(teams.name, '测试养护空%'));
    expect(row.name).toBe('测试养护空字\ufffd符班');
    await h.drain();
    const sent = h.fake.messages.length;
    const msg = await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, openId: personas.public, text: '投诉 广州\u0000养护\udc00' }));
    expect(msg.status).toBe(200);
    await h.drain();
    expect(h.fake.messages.length).toBe(sent + 1);
  });

  it.each([
    ['an unknown action', { action: 'no.such.action' }],
    ['an action that is a number', { action: 42 }],
    ['no action at all', {}],
    ['a null value', null],
  ])('answers %s with an error toast', async (_name, value) => {
    const before = await snapshot(h.db.db);
    const res = await callback(personas.public, value);
    expect(res.status).toBe(200);
    expect(res.body.toast?.type).toBe('error');
    expect(await snapshot(h.db.db)).toEqual(before);
  });
});

describe('fuzzing every card action', () => {
  it('answers every callback with a toast or a card, stays up, and keeps the invariants', async () => {
    const seed = Number(process.env.FUZZ_SEED) || Math.floor(Math.random() * 2 ** 31);
    console.log(`fuzz seed ${seed} (repeat with FUZZ_SEED=${seed})`);
    const random = mulberry32(seed);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
    const chance = (p: number) => random() < p;

    const ids = [f.cycleId, f.teamA.id, f.teamB.id, f.teamC.id, f.teamD.id, f.appA, f.appB, f.appC, f.appD, f.ownTask, f.foreignTask, f.complaintId, f.honourId];
    const openIds = [...Object.values(personas), OTHER_LEADER, OTHER_CONTACT, OTHER_EXPERT, 'ou_nobody', ''];
    const unicode = ['🚧🏗️', '\u202e反转', '\u200b', 'Ω≈ç√∫', 'ｆｕｌｌｗｉｄｔｈ', '\u0000', '\ud800', 'é\u0301', '中'.repeat(3000), '"\'\\<>&', "'; drop table teams; --", '%s%d{0}'];
    const weird = (): unknown =>
      pick<() => unknown>([
        () => null,
        () => pick([true, false]),
        () => pick([0, -1, -(2 ** 31), 2 ** 31, 2 ** 53, 1.5, 1e308, -0]),
        () => pick(ids),
        () => String(pick(ids)),
        () => pick(['', ' ', '0', '-1', '1e3', ' 1', '0x10', 'abc', 'NaN', 'null', '[]']),
        () => pick(unicode),
        () => 'x'.repeat(pick([101, 1001, 5001, 60_000])),
        () => pick(openIds),
        () => [pick(ids)],
        () => [pick(openIds), pick(openIds)],
        () => [],
        () => ({}),
        () => ({ id: pick(ids), nested: { deeper: [null, 1, 'a'] } }),
      ])();

    const mutate = (base: Record<string, unknown> | undefined, keep: string[] = []): Record<string, unknown> | undefined => {
      if (chance(0.05)) return undefined;
      const out: Record<string, unknown> = { ...(base ?? {}) };
      for (const key of Object.keys(out)) {
        if (keep.includes(key)) continue;
        if (chance(0.3)) out[key] = weird();
        else if (chance(0.1)) delete out[key];
      }
      if (chance(0.2)) out[pick(['extra', 'teamId', 'applicationId', 'assignmentId', 'cycleId', 'openId', 'year', 'members', 'experts', 'content', 'code'])] = weird();
      return out;
    };

    const started = Date.now();
    const problems: string[] = [];
    let n = 0;
    let unknown = 0;
    const outcomes: Record<string, number> = {};
    while (n < BUDGET_CALLBACKS && Date.now() - started < BUDGET_MS) {
      n++;
      const action = pick(actionNames);
      const spec = table[action];
      const c = spec?.foreign && chance(0.3) ? spec.foreign : spec?.own;
      // most callbacks come from someone the action is for, so they get past the permission checks
      const persona = c && c.allowed !== 'all' && c.allowed.length && chance(0.6) ? pick(c.allowed) : pick(personaNames);
      let value: unknown = mutate({ action, ...(c?.value ?? {}) }, ['action']);
      let form: unknown = mutate(c?.form ?? (action === 'review.submit' ? scoreForm(Math.floor(random() * 40)) : action === 'team.register' ? registrationForm(n) : undefined));
      if (chance(0.04)) {
        unknown++;
        value = pick<unknown>([{ action: 'no.such.action' }, { action: 42 }, { action: ['team.register'] }, null, {}, { action: '' }]);
      }
      if (chance(0.02)) form = pick<unknown>([[], 'text', 42, null]);
      const res = await callback(personas[persona], value, form);
      const problem = answerProblem(res);
      const outcome = res.body?.toast?.type ?? (res.body?.card ? 'card' : 'other');
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      if (problem) problems.push(`${persona} ${JSON.stringify(value)?.slice(0, 300)} form ${JSON.stringify(form)?.slice(0, 300)}: ${problem}`);
    }
    console.log(`fuzz: ${n} callbacks (${unknown} to unknown actions) in ${Date.now() - started} ms; answers ${JSON.stringify(outcomes)}`);
    if (problems.length) console.log(`errors logged:\n${failuresLogged().join('\n')}`);
    expect(problems.slice(0, 10), `${problems.length} bad answers, seed ${seed}`).toEqual([]);
    expect(n).toBe(BUDGET_CALLBACKS);

    const health = await fetch(h.app.url + '/healthz');
    expect(health.status).toBe(200);
    expect(await invariantViolations(h.db.db), `seed ${seed}`).toEqual({});
  }, 150_000);
});
