import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outbox } from '../../db/schema.js';
import { scoreLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { rowsOf } from '../../src/outbox.js';
import { cardActions, cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActionEvent } from '../support/larkEvents.js';
import { ADMIN_GROUP, NOW, type ScaleFixture, SCALE, seedScale } from './cardScaleFixture.js';
import { scaleSteps } from './cardScaleSteps.js';

/**
 * 评审结果 and 公布结果 of 3 000 applications with the longest codes and names (cardScaleFixture, every panel scored and the
 * cycle aggregated): the preview answered to the click, the published card sent to the administrators' group and a
 * team's result card, each judged by the simulated Open Platform.
 */

let h: Harness;
let f: ScaleFixture;

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock(NOW), outboxLimits: { perApp: 100_000, perReceiver: 100_000 } });
  f = await seedScale(h.db.db);
  await scoreLargeCycle(h.db.db, f.cycleId);
  // a tenth of the titles recommended (第二十条), as the aggregation decides them
  await h.db.db.execute(sql`update applications set review = jsonb_set(review, '{recommended}', 'true'::jsonb)
    where cycle_id = ${f.cycleId} and rank <= ${SCALE.applications / 10} and decision = 'awarded'`);
}, 120_000);
afterAll(async () => {
  report();
  await h?.close();
});

const { judged, report } = scaleSteps(() => h);

describe('评审结果 and 公布结果 of 3 000 applications', () => {
  let admin: { messageId: string };

  it('评审结果 (预览): the ranking, sixty listed', async () => {
    await h.say(ADMIN, '管理');
    admin = [...h.fake.messages].reverse().find((m) => m.receiveId === ADMIN && m.msgType === 'interactive')!;
    const progress = await h.clickCard(ADMIN, admin.messageId, cardActions(h.fake.currentCard(admin.messageId)).find((a) => a.action === 'review.progress')!);
    judged('评审进度 (closed)', progress.body.card.data);
    const preview = await h.clickCard(ADMIN, admin.messageId, cardActions(h.fake.currentCard(admin.messageId)).find((a) => a.action === 'results.preview')!);
    const card = judged('评审结果 (3 000)', preview.body.card.data);
    expect(cardText(card)).toContain(`参评申报**：${SCALE.applications} 份`);
  });

  it('公布结果: the job, the published card to the group and a team’s result card', async () => {
    const value = cardActions(h.fake.currentCard(admin.messageId)).find((a) => a.action === 'results.publish')!;
    const judgedClick = h.fake.cardAction({ messageId: admin.messageId, openId: ADMIN, value });
    expect(judgedClick.ok).toBe(true);
    // the click without draining the outbox: 6 000 result cards and the certificates are not this probe's
    const res = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value, messageId: admin.messageId }));
    expect(h.fake.answerCallback(admin.messageId, res.body)).toEqual({ ok: true });
    judged('公布结果 job (answer)', res.body.card.data);
    await h.app.bulkJobs.drain();
    // what goes out: the cards to the group, the job's card updates, and one team's result card (team 1's leader)
    const [one] = rowsOf(await h.db.db.execute(sql`select id from ${outbox} where status = 'pending' and card->'render'->>'kind' = 'teamResult' order by id limit 1`)) as { id: number }[];
    await h.db.db.execute(sql`update ${outbox} set status = 'dropped', last_error = 'not sent by this probe'
      where status in ('pending', 'waiting') and id <> ${one.id} and not (receiver = ${ADMIN_GROUP} and msg_type = 'interactive') and kind <> 'update'`);
    const before = h.fake.messages.length;
    await h.app.dispatcher.drain(60_000);
    expect(rowsOf(await h.db.db.execute(sql`select dedupe_key, last_error from ${outbox} where status in ('dead', 'undeliverable')`))).toEqual([]);
    const sent = h.fake.messages.slice(before).filter((m) => m.msgType === 'interactive');
    const group = sent.filter((m) => m.receiveId === ADMIN_GROUP);
    expect(group.length).toBeGreaterThan(0);
    for (const m of group) judged(`to the group: ${cardText(m.content).split('\n')[1]?.slice(0, 20)}`, m.content);
    const team = sent.filter((m) => m.receiveId !== ADMIN_GROUP);
    expect(team.length).toBe(1);
    judged('评审结果 of a team', team[0].content);
    for (const u of h.fake.updates) judged('公布结果 job (update)', (u as any).card ?? (u as any).content);
  });
});
