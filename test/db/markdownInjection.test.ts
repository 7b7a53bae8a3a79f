import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safeUrl } from '../../cards/markdown.js';
import { applications, assignments, chatBindings, complaints, cycles, honours, outbox, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardRuleViolations } from '../../src/local/cardRules.js';
import { renderCard } from '../../src/local/renderer.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { applicationForm, registrationForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { scoreForm } from './securityFixture.js';

/**
 * Issue 11, acceptance 1: hostile text typed into every field a card shows, through signed callbacks and the
 * public web form; every card the bot sends or answers with, drawn by the /dev renderer, shows the literal text
 * and holds no link, mention or tag the bot did not make.
 */

const HOSTILE = [
  '<at id=all></at>',
  '[x](https://e.example)',
  '\\[点此\\](https://evil.example)',
  '**b**',
  "<font color=red>红</font>",
  "<text_tag color='red'>标</text_tag>",
  '&#60;at id=all&#62;&#60;/at&#62;',
  'a\\\\b\\*c\\',
  '[y](javascript:alert(1))',
  '- 列表\n# 标题\n---',
  '<link url="https://e.example">l</link>',
  // a bare address glued to Chinese: Feishu reads it all as one invalid link and refuses the card (飞书卡片常见问题, 发送卡片 Q5)
  '材料见https://pan.example.com/s/abc中文说明',
];
/**
 * A materials link that is a valid https URL yet tries to close the link and open another, with a query holding `/` and
 * `:` as a share link's does (Feishu refuses them unencoded: 飞书卡片常见问题, 发送卡片 Q6).
 */
const SLY_URL = 'https://e.example/a)[z](https://evil.example?from=https://pan.example.com/s/1&at=2026-03-02T10:00';

const ADMIN_CHAT = 'oc_admins00000000000000000000000042';
const CONTACT = 'ou_hostilecontact000000000000000001';
const LEADER = (i: number) => `ou_hostileleader${String(i).padStart(20, '0')}`;
/** «field·n» before each value, so a card's text shows which value it drew, and where it starts. */
const mark = (field: string, i: number) => `«${field}${i}»`;
const typed = (field: string, i: number) => `${mark(field, i)}${HOSTILE[i]}`;

let h: Harness;
const clock = new ManualClock('2026-03-02T10:00:00+08:00');
/** Someone of the public, checking titles. */
const STRANGER = 'ou_hostilestranger0000000000000001';
const EXPERTS = [0, 1, 2, 3, 4].map((n) => `ou_hostileexpert${String(n).padStart(20, '0')}`);

/** Every card the bot showed anyone: sent messages and the cards callbacks answered with. */
const answered: unknown[] = [];

async function click(openId: string, value: Record<string, unknown>, form?: Record<string, unknown>) {
  const res = await h.click(openId, value, form);
  if (res?.card?.data) answered.push(res.card.data);
  return res;
}

function shownCards(): unknown[] {
  const sent = h.fake.messages.filter((m) => m.msgType === 'interactive').map((m) => m.content);
  const updated = h.fake.updates.map((u) => u.card).filter((c) => c && typeof c === 'object');
  return [...sent, ...updated, ...answered];
}

/** The text a reader sees in rendered HTML: tags dropped, HTML entities read. */
function visibleText(html: string): string {
  return html
    .replace(/<br>/g, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&(lt|gt|quot|#39|nbsp|amp);/g, (_, e) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", nbsp: ' ', amp: '&' })[e as 'lt']);
}

/** The hostile value Feishu itself would refuse a card for, when the bot does not escape it. */
const GLUED = HOSTILE.length - 1;

/**
 * Renders every card shown so far; the fields whose marked values were seen, each checked literal (`seenAs` gets each
 * field with the value's index). Every card is one Feishu takes, and no message was refused.
 */
async function checkShownCards(seenAs = new Set<string>()): Promise<Set<string>> {
  const cards = shownCards();
  expect(cards.length).toBeGreaterThan(HOSTILE.length * 6);
  const refused = await h.db.db.select({ lastError: outbox.lastError }).from(outbox).where(inArray(outbox.status, ['dead', 'undeliverable']));
  expect(refused).toEqual([]);
  const botLink = safeUrl(SLY_URL)!;
  const seen = new Set<string>();
  for (const card of cards) {
    expect(cardRuleViolations(card)).toEqual([]);
    const html = renderCard(card, { people: [] });
    const text = visibleText(html);
    // the bot's only links are the materials link it validated; its only mentions are open_ids it chose
    for (const [, href] of html.matchAll(/<a href="([^"]*)"/g)) expect(href.replace(/&amp;/g, '&'), text.slice(0, 120)).toBe(botLink);
    expect(html, text.slice(0, 120)).not.toContain('@所有人');
    expect(html).not.toMatch(/class="tag"/);
    // what the typed markup would draw if it were read: bold b, red 红, a list item, a heading
    expect(html).not.toContain('<strong>b</strong>');
    expect(html).not.toMatch(/color:[^"]*">红/);
    expect(html).not.toMatch(/<li>列表|md-h1">标题/);
    for (const m of text.matchAll(/«(\D+?)(\d+)»/g)) {
      const [field, n] = [m[1], Number(m[2])];
      seen.add(field);
      seenAs.add(`${field}${n}`);
      const want = HOSTILE[n];
      const after = text.slice(m.index + m[0].length, m.index + m[0].length + want.length).replace(/\s+/g, ' ');
      const cut = after.includes('…') ? after.slice(0, after.indexOf('…')) : after;
      // a value is shown whole, or cut short by an excerpt, but never changed
      expect(want.replace(/\s+/g, ' ').startsWith(cut), `${field}${n}: shown “${after}”, typed “${want}”`).toBe(true);
    }
  }
  return seen;
}

beforeAll(async () => {
  // each hostile complaint comes from its own address, as through the proxy in front of the bot
  h = await startHarness({ clock, env: { TRUST_PROXY: '1' } });
  await h.db.db.insert(people).values({ openId: CONTACT, name: '联系人', roles: ['org_contact'] });
  await h.db.db.insert(chatBindings).values({ chatId: ADMIN_CHAT, purpose: 'admin', boundBy: ADMIN });
}, 240_000);
afterAll(async () => {
  await h?.close();
});

describe('hostile text in every field a card shows (issue 11, acceptance 1)', () => {
  it('is drawn as the literal text, with no live link, mention or tag but the bot’s own', async () => {
    const teamIds: number[] = [];
    for (const [i] of HOSTILE.entries()) {
      const res = await click(LEADER(i), { action: 'team.register' }, registrationForm(typed('班', i).replace(/\n/g, ' ').slice(0, 50), CONTACT, { organization: typed('单位', i).replace(/\n/g, ' ') }));
      expect(res.toast?.type, JSON.stringify(res.toast)).toBe('success');
      const [team] = await h.db.db.select().from(teams).where(eq(teams.leaderOpenId, LEADER(i)));
      teamIds.push(team.id);
    }
    clock.set(new Date('2027-03-10T10:00:00+08:00'));
    const [cycle] = await h.db.db
      .insert(cycles)
      .values({ year: 2027, status: 'open', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15', scoreSheet: defaultScoreSheet, openedBy: ADMIN })
      .returning();

    // the materials link must be http(s): a javascript: one is refused and the form comes back with the message
    const refused = await click(LEADER(0), { action: 'application.submit', teamId: teamIds[0], year: 2027 }, applicationForm({ materialsUrl: 'javascript:alert(1)' }));
    expect(refused.toast?.type).toBe('error');

    for (const [i, teamId] of teamIds.entries()) {
      const form = applicationForm({ title: typed('题', i).replace(/\n/g, ' '), customer: typed('顾', i), qc: typed('QC', i), summary: typed('简', i), features: typed('特', i), materialsUrl: SLY_URL });
      const submitted = await click(LEADER(i), { action: 'application.submit', teamId, year: 2027 }, form);
      expect(submitted.toast?.type, JSON.stringify(submitted.toast)).toBe('success');
      const [app] = await h.db.db.select().from(applications).where(eq(applications.teamId, teamId));
      const back = i % 3 === 0;
      const endorsed = await click(CONTACT, { action: back ? 'endorse.return' : 'endorse.recommend', applicationId: app.id }, { truthful: true, opinion: typed('意', i) });
      expect(endorsed.toast?.type, JSON.stringify(endorsed.toast)).toBe('success');
      if (!back) {
        await click(ADMIN, { action: 'check.list' });
        const checked = await click(ADMIN, { action: i % 3 === 1 ? 'check.return' : 'check.accept', applicationId: app.id }, { [`reason_${app.id}`]: typed('退', i) });
        expect(checked.toast?.type, JSON.stringify(checked.toast)).toBe('success');
      }
    }

    // complaints from the public web form, decided with a note; two upheld ones raise the revocation alert
    for (const [i, teamId] of teamIds.entries()) {
      const [team] = await h.db.db.select().from(teams).where(eq(teams.id, teamId));
      const [honour] = await h.db.db.insert(honours).values({ teamId, year: 2026, awardedAt: new Date('2026-12-01T10:00:00+08:00') }).returning();
      for (const round of [0, 1]) {
        const res = await fetch(`${h.app.url}/api/complaints`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.51.100.${i * 2 + round + 1}` },
          body: JSON.stringify({ team: team.code, content: `${typed('诉', i)}${round}`, contact: `13800000000 ${typed('联', i).replace(/\n/g, ' ')}`.slice(0, 100) }),
        });
        expect(res.status, await res.clone().text()).toBeLessThan(300);
        await h.drain();
        const [c] = await h.db.db.select().from(complaints).where(eq(complaints.teamId, teamId)).orderBy(complaints.id).offset(round);
        await click(ADMIN, { action: 'complaint.open', complaintId: c.id });
        const decided = await click(ADMIN, { action: 'complaint.uphold', complaintId: c.id }, { note: typed('见', i) });
        expect(decided.toast?.type, JSON.stringify(decided.toast)).toBe('success');
      }
      const revoked = await click(ADMIN, { action: 'revocation.revoke', honourId: honour.id }, { reason: typed('由', i) });
      expect(revoked.toast?.type, JSON.stringify(revoked.toast)).toBe('success');
    }
    await click(ADMIN, { action: 'complaint.list' });
    for (const i of HOSTILE.keys()) await h.say(LEADER(i), '进度');
    // anyone checks a team's titles (查询证书, 第二十一条): its name and organisation as registered, and a name no team has as typed
    for (const [i, teamId] of teamIds.entries()) {
      const [team] = await h.db.db.select().from(teams).where(eq(teams.id, teamId));
      await click(STRANGER, { action: 'certificate.check' }, { query: team.code });
      await click(STRANGER, { action: 'certificate.check' }, { query: typed('问', i).replace(/\n/g, ' ') });
    }

    const seenAs = new Set<string>();
    const seen = await checkShownCards(seenAs);
    expect([...seen].sort()).toEqual(['QC', '单位', '意', '简', '班', '由', '联', '见', '诉', '退', '题', '顾', '特', '问'].sort());
    // the address glued to Chinese was shown, as typed, in every field (a return reason only where the check returned)
    expect([...seen].filter((field) => !seenAs.has(`${field}${GLUED}`))).toEqual(GLUED % 3 === 1 ? [] : ['退']);
    expect(cycle.id).toBeGreaterThan(0);
  }, 240_000);

  it('the same for the experts’ fields: specialities, a conflict reason, a score comment, a decline reason', async () => {
    const [cycle] = await h.db.db.select().from(cycles);
    const added = await click(ADMIN, { action: 'experts.add' }, { experts: EXPERTS, organization: '专家委员会', specialities: typed('专', 3).replace(/\n/g, ' '), maxLoad: '' });
    expect(added.toast?.type, JSON.stringify(added.toast)).toBe('success');
    await click(ADMIN, { action: 'experts.list' });
    const [someTeam] = await h.db.db.select().from(teams).limit(1);
    const conflict = await click(EXPERTS[4], { action: 'experts.conflictAdd' }, { kind: 'team', target: someTeam.code, reason: typed('冲', 1) });
    expect(conflict.toast?.type, JSON.stringify(conflict.toast)).toBe('success');
    const assigned = await click(ADMIN, { action: 'review.assign', cycleId: cycle.id });
    expect(assigned.toast?.type, JSON.stringify(assigned.toast)).toBe('success');
    const tasks = await h.db.db.select().from(assignments).orderBy(assignments.id);
    expect(tasks.length).toBeGreaterThanOrEqual(2);
    const scored = await click(tasks[0].expertOpenId, { action: 'review.submit', assignmentId: tasks[0].id }, { ...scoreForm(10), comment: typed('评', 2) });
    expect(scored.toast?.type, JSON.stringify(scored.toast)).toBe('success');
    const declined = await click(tasks[1].expertOpenId, { action: 'review.decline', assignmentId: tasks[1].id }, { kind: 'unavailable', reason: typed('谢', 0) });
    expect(declined.toast?.type, JSON.stringify(declined.toast)).toBe('success');
    for (const t of tasks.slice(0, 2)) await click(ADMIN, { action: 'review.panel', applicationId: t.applicationId });
    await click(tasks[0].expertOpenId, { action: 'review.open', assignmentId: tasks[0].id });
    const seen = await checkShownCards();
    expect([...seen]).toEqual(expect.arrayContaining(['专', '冲', '评', '谢']));
  }, 240_000);
});
