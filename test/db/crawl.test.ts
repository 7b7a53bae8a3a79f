import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, cycles, organizations, people as peopleTable } from '../../db/schema.js';
import { jobNames, runJob } from '../../src/jobs/index.js';
import { rowsOf } from '../../src/outbox.js';
import { cardText } from '../support/cards.js';
import { ADMIN, TEST_VERIFICATION_TOKEN, type Harness } from '../support/harness.js';
import { messageEvent, randomMessageId } from '../support/larkEvents.js';
import { type Fixture, invariantViolations, ORG_POOL, OTHER_CONTACT, OTHER_EXPERT, OTHER_LEADER, personas, startSecurityHarness } from './securityFixture.js';

/**
 * Every button a user can reach, clicked as Feishu would send it. Each person of the fixture (leaders, members, contacts,
 * experts, an administrator, someone with no role) sends the chat commands, and the administrator binds two groups; then,
 * breadth first, every button of every card any of them was sent or answered with is clicked by the card's receiver (in
 * a group, by each member, administrator or not), forms submitted with what the card shows and something plausible for
 * each empty field. Rounds are a week apart, and the scheduled jobs run at the start of each. Wrong clicks are the
 * point: 截止申报 before anyone applied, 重开评分 after the last sheet, a colleague's click on an alert, a stale card.
 * Every answer must be a 200 with a toast or a card Feishu accepts, no request may fail inside the bot, nothing shown
 * may read `undefined`/`NaN`/`[object Object]`, nobody may do what their roles do not allow, and the schema's
 * invariants hold at the end. CRAWL_TRACE=1 prints every click and its answer.
 */

// a fixed number of clicks: the crawl changes state as it goes, so a time box would make it another test on a slower machine
const BUDGET_CLICKS = 1500;

// experts beyond the fixture's two, so that panels of three can be filled, and filled again after swaps and declines
const MORE_EXPERTS = Array.from({ length: 6 }, (_, i) => `ou_crawlexpert00000000000000000000${String(i + 1).padStart(2, '0')}`);
const [THIRD_EXPERT, FOURTH_EXPERT] = MORE_EXPERTS;
const people: Record<string, string> = {
  ...personas,
  otherLeader: OTHER_LEADER,
  otherContact: OTHER_CONTACT,
  otherExpert: OTHER_EXPERT,
  ...Object.fromEntries(MORE_EXPERTS.map((e, i) => [`expert${i + 3}`, e])),
};
// the administrators' group and the experts' group, bound by the administrator: alerts, digests and reminders land there
const ADMIN_GROUP = 'oc_crawl_admin_group_00000000000001';
const EXPERT_GROUP = 'oc_crawl_expert_group_0000000000001';
/** Who may click a card sent to a group: each member, a colleague who is no administrator or expert among them. */
const groupMembers: Record<string, string[]> = {
  [ADMIN_GROUP]: [ADMIN, personas.member],
  [EXPERT_GROUP]: [OTHER_EXPERT, personas.expert, personas.leader],
};
/** Buttons that undo or take back: left out of the forward rounds, so the review can get to its end. */
// 退回 at the formal check is not among them: it follows 受理 on the card, so it only returns what 受理 refused (a title
// revoked since the submission bars 受理, E5), and the year goes on without that application
const BACKWARD = new Set(['review.reopen', 'review.swap', 'review.declineForm', 'review.decline', 'endorse.return', 'team.memberRemove', 'experts.deactivate', 'experts.conflictForm', 'experts.conflictAdd']);
/** Buttons whose answer does not depend on how far the year is. */
const ONCE = ['measures.', 'complaint.start', 'complaint.submit', 'team.registerForm', 'team.register', 'team.status', 'help.menu'];
type RoundKind = 'forward' | 'all';
const COMMANDS = ['帮助', 'help', '进度', '申报', '注册', '评分', '管理', '投诉', '导入', '条款 16'];
/** After the first round: the menu, whose buttons open what the other commands do, drawn for the year as it stands. */
const LATER_COMMANDS = ['帮助'];

/** The fixture's bot with the experts added and the two groups' members known to the fake; `more` changes the data first. */
async function crawlHarness(more?: (h: Harness, f: Fixture) => Promise<void>): Promise<Harness> {
  const { h, f } = await startSecurityHarness();
  const [pool] = await h.db.db.select().from(organizations).where(eq(organizations.name, ORG_POOL));
  await h.db.db.insert(peopleTable).values(MORE_EXPERTS.map((openId, i) => ({ openId, name: `第${i + 3}位专家`, roles: ['expert'], organizationId: pool.id, specialities: ['道路养护'] })));
  h.fake.setChatMembers(ADMIN_GROUP, groupMembers[ADMIN_GROUP]);
  h.fake.setChatMembers(EXPERT_GROUP, [ADMIN, ...MORE_EXPERTS, ...groupMembers[EXPERT_GROUP]]);
  await more?.(h, f);
  return h;
}

type Node = Record<string, any>;

function walk(node: unknown, visit: (n: Node, form: Node | undefined) => void, form?: Node) {
  if (Array.isArray(node)) node.forEach((x) => walk(x, visit, form));
  else if (node && typeof node === 'object') {
    const n = node as Node;
    if (typeof n.tag === 'string') visit(n, form);
    const inner = n.tag === 'form' ? n : form;
    for (const [k, v] of Object.entries(n)) if (k !== 'behaviors' && k !== 'value') walk(v, visit, inner);
  }
}

const textOf = (x: unknown) => (x && typeof x === 'object' ? String((x as Node).content ?? '') : '');

/**
 * What a user filling the form would send for one field: what the card shows, else something plausible for its label
 * (the bot checks required fields itself, so a card seldom marks them).
 */
function fieldValue(field: Node, clicker: string): unknown {
  const hint = `${field.name} ${textOf(field.label)} ${textOf(field.placeholder)}`;
  const someoneElse = (options: Node[] | undefined) => (options ?? []).map((o) => o.value as string).find((v) => v !== clicker) ?? options?.[0]?.value ?? clicker;
  switch (field.tag) {
    case 'input': {
      if (field.default_value !== undefined) return field.default_value;
      // a score's placeholder: 0–10, or 0–10，整分或半分
      const range = /^(\d+(?:\.\d+)?)–(\d+(?:\.\d+)?)/.exec(textOf(field.placeholder));
      if (range) return range[2];
      if (/手机|mobile/i.test(hint)) return '13800138000';
      if (/电话|phone/i.test(hint)) return '020-87654321';
      if (/https?:|链接|url/i.test(hint)) return 'https://example.com/material';
      if (field.name === 'team' || /班组编号|被投诉班组/.test(hint)) return 'GDSZ-2025-0001';
      if (/邮箱|mail/i.test(hint)) return 'someone@example.com';
      if (/人数|count|数量/.test(hint) || field.max_length === 12) return '12';
      return '按要求填写的内容';
    }
    case 'select_static':
      return field.initial_option ?? field.options?.[0]?.value;
    case 'multi_select_static':
      return field.initial_options ?? [field.options?.[0]?.value];
    case 'select_person':
      return field.initial_option ?? someoneElse(field.options);
    case 'multi_select_person':
      return field.initial_options ?? [someoneElse(field.options)];
    case 'date_picker':
      return field.initial_date ?? '2027-04-01';
    case 'checker':
      return true;
    default:
      return undefined;
  }
}

/** Each button of a card with the form values a click on it brings. */
function buttonsOf(card: unknown, clicker: string): { label: string; value: Record<string, unknown>; form?: Record<string, unknown> }[] {
  const out: { label: string; value: Record<string, unknown>; form?: Record<string, unknown> }[] = [];
  walk(card, (n, form) => {
    if (n.tag !== 'button') return;
    const behavior = (n.behaviors as Node[] | undefined)?.find((b) => b.type === 'callback');
    if (!behavior?.value) return;
    let formValue: Record<string, unknown> | undefined;
    if (n.form_action_type === 'submit' && form) {
      formValue = {};
      walk(form.elements, (f) => {
        if (typeof f.name !== 'string' || f.tag === 'button' || f.tag === 'form') return;
        const v = fieldValue(f, clicker);
        if (v !== undefined) formValue![f.name] = v;
      });
    }
    out.push({ label: textOf(n.text), value: behavior.value, form: formValue });
  });
  return out;
}

interface Crawl {
  problems: string[];
  clicks: number;
  /** Clicks by action. */
  actions: Map<string, number>;
  /** Audit rows by actor and action. */
  acted: unknown[];
}

/** Crawls the bot round by round (`kinds`), a week apart, and says what it met. */
async function crawl(h: Harness, kinds: readonly RoundKind[]): Promise<Crawl> {
  const problems: string[] = [];
  const owner = new Map<string, string>(); // message id → who clicks it
  const asked = new Map<string, string>(); // a user's message id → who sent it
  // every card shown, as it was shown: the same card may sit in another message (帮助 sent twice), so its buttons stay clickable
  const frontier: { messageId: string; card: unknown; clicker: string }[] = [];
  const seen = new Set<string>();
  const seenEver = new Set<string>();
  let taken = 0;

  const collect = () => {
    for (const m of h.fake.messages.slice(taken)) {
      if (m.msgType !== 'interactive' || owner.has(m.messageId)) continue;
      const who = m.receiveIdType === 'open_id' ? [m.receiveId] : m.receiveIdType === 'chat_id' ? (groupMembers[m.receiveId] ?? []) : m.replyTo ? [asked.get(m.replyTo)] : [];
      const clickers = who.filter((p): p is string => !!p && Object.values(people).includes(p));
      if (!clickers.length) continue;
      owner.set(m.messageId, clickers[0]);
      for (const clicker of clickers) frontier.push({ messageId: m.messageId, card: m.content, clicker });
    }
    taken = h.fake.messages.length;
  };
  const shown = (where: string, card: unknown, toast?: string) => {
    const text = `${cardText(card ?? {})} ${toast ?? ''}`;
    const bad = /undefined|NaN|\[object Object\]/.exec(text);
    if (bad) problems.push(`${where}: shows “${bad[0]}” in …${text.slice(Math.max(0, bad.index - 60), bad.index + 40)}…`);
  };
  const failures = () => h.logs.filter((l) => /"level":(50|60)/.test(l) || l.includes('request failed'));

  /** Every person sends every command: the menus and lists as the data now stands. */
  const say = async (openId: string, text: string, group?: string) => {
    const messageId = randomMessageId();
    asked.set(messageId, openId);
    if (group) h.fake.userMessage(messageId, group);
    const event = messageEvent({ token: TEST_VERIFICATION_TOKEN, appId: 'cli_test', openId, text, messageId, ...(group ? { chatType: 'group', chatId: group, mentionBot: true } : {}) });
    const res = await h.post('/lark/events', event);
    if (res.status !== 200) problems.push(`${openId} says ${text}${group ? ` in ${group}` : ''}: HTTP ${res.status}`);
    await h.drain();
  };
  await say(ADMIN, '绑定通知', ADMIN_GROUP);
  await say(ADMIN, '绑定通知 专家', EXPERT_GROUP);
  const askEverything = async () => {
    // what the schedules would have sent by today: reminders, digests, escalations
    for (const name of jobNames) {
      try {
        await runJob(name, h.db.db, { now: h.clock.now(), timezone: 'Asia/Shanghai', bootstrapAdmins: [ADMIN] });
      } catch (err) {
        problems.push(`job ${name} at ${h.clock.now().toISOString()}: ${(err as Error).message.slice(0, 300)}`);
      }
    }
    await say(ADMIN, '进度', ADMIN_GROUP);
    for (const [who, openId] of Object.entries(people)) {
      for (const text of rounds === 1 ? COMMANDS : LATER_COMMANDS) {
        const messageId = randomMessageId();
        asked.set(messageId, openId);
        const res = await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, appId: 'cli_test', openId, text, messageId }));
        if (res.status !== 200) problems.push(`${who} says ${text}: HTTP ${res.status}`);
        await h.drain();
      }
    }
    const sentBefore = taken;
    collect();
    for (const m of h.fake.messages.slice(sentBefore)) if (m.msgType === 'interactive') shown(`sent ${m.messageId}`, m.content);
  };

  let clicks = 0;
  let rounds = 0;
  let openedInRound = -1;
  const actions = new Map<string, number>();
  // rounds: what one round's clicks changed (applications closed, panels assigned, sheets in) shows in the next round's menus
  while (clicks < BUDGET_CLICKS && rounds < kinds.length) {
    const kind = kinds[rounds];
    rounds++;
    // a button clicked in an earlier round may do something else now
    seen.clear();
    // a week passes between rounds: reminders and digests come due (the application deadline is 2027-05-31)
    if (rounds > 1) h.clock.advanceDays(7);
    await askEverything();
    while (frontier.length && clicks < BUDGET_CLICKS) {
      const { messageId, card, clicker } = frontier.shift()!;
      for (const b of buttonsOf(card, clicker)) {
        if (clicks >= BUDGET_CLICKS) break;
        // the same button once per person and round; what does not change with the year (the measures' pages, which lead
        // to each other, 投诉, 注册 of a new team, the menu) once per person and kind for the whole crawl
        const verb = String(b.value.action);
        const once = ONCE.some((prefix) => verb.startsWith(prefix));
        const key = once ? `${clicker} ${verb}` : `${clicker} ${JSON.stringify(b.value)} ${JSON.stringify(b.form ?? null)}`;
        if ((once ? seenEver : seen).has(key) || (kind === 'forward' && BACKWARD.has(verb))) continue;
        // a year opened in this round takes applications until the next: the teams' 申报 come first there
        if (verb === 'cycle.closeApplications' && openedInRound === rounds) continue;
        (once ? seenEver : seen).add(key);
        clicks++;
        actions.set(verb, (actions.get(verb) ?? 0) + 1);
        const before = failures().length;
        const where = `${clicker.slice(3, 12)} clicks “${b.label}” ${JSON.stringify(b.value)}${b.form ? ` form ${JSON.stringify(b.form).slice(0, 160)}` : ''}`;
        let body: any;
        try {
          body = await h.click(clicker, b.value, b.form, { messageId });
        } catch (err) {
          problems.push(`${where}: ${(err as Error).message.slice(0, 300)}`);
          continue;
        }
        const toast = typeof body?.toast?.content === 'string' && body.toast.content.length > 0;
        const answered = body?.card?.type === 'raw' && typeof body.card.data === 'object';
        if (!toast && !answered) problems.push(`${where}: neither toast nor card: ${JSON.stringify(body).slice(0, 200)}`);
        // what Feishu would make of the answer: the card is shown only if it passes the rules
        const judged = h.fake.answerCallback(messageId, body);
        if (!judged.ok) problems.push(`${where}: Feishu would refuse the answer: ${judged.code} ${judged.msg}`);
        shown(where, body?.card?.data, body?.toast?.content);
        for (const line of failures().slice(before)) problems.push(`${where}: logged ${line.slice(0, 400)}`);
        if (process.env.CRAWL_TRACE) console.log(`${where.slice(0, 140)} → ${body?.toast?.type ?? ''} ${body?.toast?.content ?? ''} ${answered ? `[card: ${cardText(body.card.data).slice(0, 80)}]` : ''}`);
        if (answered) frontier.push({ messageId, card: body.card.data, clicker });
        if (verb === 'cycle.open' && body?.toast?.type === 'success') openedInRound = rounds;
        const sentBefore = taken;
        collect();
        for (const m of h.fake.messages.slice(sentBefore)) if (m.msgType === 'interactive') shown(`${where} → sent`, m.content);
      }
    }
  }
  const inGroups = h.fake.messages.filter((m) => m.receiveIdType === 'chat_id' && m.msgType === 'interactive').length;
  console.log(`crawl: ${inGroups} cards sent to groups; ${rounds} rounds, ${clicks} clicks over ${owner.size} cards; by action ${JSON.stringify(Object.fromEntries([...actions].sort()))}`);
  const acted = rowsOf(await h.db.db.execute(sql`select actor, action, count(*)::int as n from audit_log group by 1, 2 order by 1, 2`));
  if (process.env.CRAWL_TRACE) console.log(JSON.stringify(acted));
  return { problems, clicks, actions, acted };
}

/** What every crawl must end with. */
async function expectSound(h: Harness, c: Crawl) {
  expect(c.problems.slice(0, 15), `${c.problems.length} problems`).toEqual([]);
  expect((await fetch(h.app.url + '/healthz')).status).toBe(200);
  expect(await invariantViolations(h.db.db)).toEqual({});
  // nobody did what their roles do not allow: a colleague in a group clicking an administrator's card included
  const admins = new Set([ADMIN, 'system:complaints', 'system:jobs', 'system:reminders']);
  const byOthers = (c.acted as { actor: string; action: string }[]).filter((r) => !admins.has(r.actor) && /^(cycle|results|review\.(assign|aggregate)|expert\.(add|activate|deactivate)|complaint\.(uphold|dismiss)|honour\.|application\.(accept|return)|bulk\.)/.test(r.action));
  expect(byOthers).toEqual([]);
}

describe('crawling every card as its receivers would', () => {
  describe('through several years, mostly forward: registration, applications, the review, results, the next year', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await crawlHarness();
    });
    afterAll(async () => {
      await h?.close();
    });

    it('answers every reachable click with a toast or a card Feishu accepts, fails no request, and keeps the invariants', async () => {
      const c = await crawl(h, ['forward', 'forward', 'forward', 'all', 'forward', 'all']);
      await expectSound(h, c);
      // the year went round: applied, recommended, accepted, scored, aggregated, published, and the next opened
      for (const verb of ['application.submit', 'endorse.recommend', 'check.accept', 'review.submit', 'results.close', 'results.publish', 'cycle.open', 'revocation.revoke']) {
        expect(c.actions.get(verb) ?? 0, verb).toBeGreaterThan(0);
      }
    }, 400_000);
  });

  describe('in the review, every button every round: swaps, declines, reopenings, conflicts', () => {
    let h: Harness;
    beforeAll(async () => {
      // applications closed; one application accepted and waiting for its panel, one under review with two experts
      h = await crawlHarness(async (hh, f) => {
        await hh.db.db.update(cycles).set({ status: 'scoring' }).where(eq(cycles.id, f.cycleId));
        await hh.db.db.update(applications).set({ status: 'accepted' }).where(inArray(applications.id, [f.appC]));
      });
    });
    afterAll(async () => {
      await h?.close();
    });

    it('answers every reachable click with a toast or a card Feishu accepts, fails no request, and keeps the invariants', async () => {
      const c = await crawl(h, ['all', 'all']);
      await expectSound(h, c);
      for (const verb of ['review.assign', 'review.submit', 'review.swap', 'review.reopen', 'review.declineForm', 'review.panel']) {
        expect(c.actions.get(verb) ?? 0, verb).toBeGreaterThan(0);
      }
    }, 400_000);
  });
});
