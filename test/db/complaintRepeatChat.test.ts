import { asc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complaints, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardText } from '../support/cards.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * The same complaint sent again in chat from a new 投诉 form (a second form opened, the words pasted again): the first
 * complaint's card and reference, nothing filed twice; one complaint counted twice would make a run of two towards
 * 第二十二条. Another person's same words, or the same person's a day later, are a complaint of their own. On
 * PostgreSQL the first is taken in one statement, which leaves a repeat to the ordinary path.
 */

const CUSTOMER = 'ou_repeatchat0000000000000000000001';
const NEIGHBOUR = 'ou_repeatchat0000000000000000000002';
let h: Harness;
let teamId: number;
let forms = 0;

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-04-01T10:00:00+08:00') });
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '肇庆市政养护有限公司' }).returning();
  await db.insert(people).values([{ openId: 'ou_repeatchat_leader000000000000001' }, { openId: 'ou_repeatchat_contact00000000000001', roles: ['org_contact'] }]);
  const [team] = await db
    .insert(teams)
    .values({
      code: 'GDSZ-2025-0071', name: '肇庆路灯维护班', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: 'ou_repeatchat_leader000000000000001',
      phone: '0758-1234567', memberCount: 8, functions: '路灯维护', goals: 'x', plan: 'y', contactOpenId: 'ou_repeatchat_contact00000000000001', registeredAt: '2025-02-01',
    })
    .returning();
  teamId = team.id;
});
afterAll(async () => {
  await h?.close();
});

/** 提交 on a 投诉 form of its own (a new form key each time), the team picked. */
const submit = (who: string, content: string) => h.click(who, { action: 'complaint.submit', teamId, formKey: `fk-repeat-${++forms}` }, { content, contact: '' });
const stored = () => h.db.db.select().from(complaints).orderBy(asc(complaints.id));

describe('a complaint sent again in chat', () => {
  it('from a new form with the same words is answered with the first one’s reference; nothing is filed, no reference drawn', async () => {
    const first = await submit(CUSTOMER, '路灯白天常亮，晚上却不亮。');
    expect(first.toast.type).toBe('success');
    const [taken] = await stored();
    // past the minute in which a complainant's complaints share one alert: the one-statement path is asked on PostgreSQL
    h.clock.advance(10 * 60_000);
    const again = await submit(CUSTOMER, ' 路灯白天常亮，晚上却不亮。 ');
    expect(again.toast).toEqual({ type: 'info', content: `这份投诉已经提交过（投诉编号 ${taken.reference}），无需重复提交。` });
    expect(cardText(again.card.data)).toContain(taken.reference);
    expect(await stored()).toHaveLength(1);
    // the next complaint takes the next number: the repeat drew none
    expect((await submit(CUSTOMER, '井盖松动。')).toast.type).toBe('success');
    expect((await stored()).map((c) => c.reference)).toEqual([taken.reference, taken.reference.replace(/\d{4}$/, (n) => String(Number(n) + 1).padStart(4, '0'))]);
  });

  it('another person’s same words, and the same person’s a day later, are complaints of their own', async () => {
    const before = (await stored()).length;
    expect((await submit(NEIGHBOUR, '路灯白天常亮，晚上却不亮。')).toast.type).toBe('success');
    h.clock.advance(25 * 3_600_000);
    expect((await submit(CUSTOMER, '路灯白天常亮，晚上却不亮。')).toast.type).toBe('success');
    expect(await stored()).toHaveLength(before + 2);
  });
});
