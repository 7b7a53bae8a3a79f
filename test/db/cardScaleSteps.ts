import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { outbox } from '../../db/schema.js';
import { CARD_BYTES_BUDGET, cardBodyBytes } from '../../cards/kit.js';
import { MAX_CARD_TAGGED_OBJECTS } from '../../src/local/cardRules.js';
import { rowsOf } from '../../src/outbox.js';
import { cardActions, cardProblems, taggedCount } from '../support/cards.js';
import type { Harness } from '../support/harness.js';

/**
 * The steps the card-scale probes share: each card judged as Feishu would (30 KB of request body, the card escaped
 * in its `content` string, within the bot's own margin; 200 tagged objects, unique names)
 * with its figures kept for the report printed after the file, and the commands and clicks that draw them, each
 * also checking that nothing the outbox sent meanwhile was refused.
 */
export function scaleSteps(harness: () => Harness) {
  const sizes: { card: string; raw: number; sent: number; tagged: number }[] = [];

  /** The card within Feishu's limits as it is sent (and the bot's margin under them), with its figures kept for the report. */
  function judged(name: string, card: unknown) {
    expect(card, `${name}: no card`).toBeTruthy();
    const sent = cardBodyBytes(card);
    const tagged = taggedCount(card);
    sizes.push({ card: name, raw: Buffer.byteLength(JSON.stringify(card), 'utf8'), sent, tagged });
    expect(cardProblems(card), name).toEqual([]);
    expect(sent, `${name}: bytes as sent`).toBeLessThanOrEqual(CARD_BYTES_BUDGET);
    expect(tagged).toBeLessThanOrEqual(MAX_CARD_TAGGED_OBJECTS);
    return card as any;
  }

  /** The figures the report quotes: each card at the largest data, its own JSON and the request body that carries it. */
  function report() {
    if (sizes.length) console.log(sizes.map((s) => `${s.card}: ${s.raw} B (${s.sent} B as sent), ${s.tagged} tagged`).join('\n'));
  }

  /** The outbox's last row id: what a step queues comes after it. */
  async function outboxMark(): Promise<number> {
    const [row] = rowsOf(await harness().db.db.execute(sql`select coalesce(max(id), 0)::int as id from ${outbox}`)) as { id: number }[];
    return Number(row.id);
  }

  /** Nothing the outbox tried since `mark` was refused by the Open Platform (a refused card is dead-lettered, not retried). */
  async function nothingRefused(mark: number) {
    const dead = rowsOf(await harness().db.db.execute(sql`select dedupe_key, last_error from ${outbox} where id > ${mark} and status in ('dead', 'undeliverable')`));
    expect(dead).toEqual([]);
  }

  /** The cards sent to `receiveId` after the first `count` messages. */
  function sentSince(count: number, receiveId: string) {
    return harness().fake.messages.slice(count).filter((m) => m.receiveId === receiveId && m.msgType === 'interactive');
  }

  /** A command in the p2p chat; the last card it sends, judged. */
  async function sayFor(name: string, openId: string, text: string) {
    const h = harness();
    const before = h.fake.messages.length;
    const mark = await outboxMark();
    await h.say(openId, text);
    await nothingRefused(mark);
    const [m] = sentSince(before, openId).slice(-1);
    expect(m, `${name}: no new card`).toBeTruthy();
    judged(name, m.content);
    return m;
  }

  /** The first button of the message's card now whose value has these entries. */
  function buttonOn(messageId: string, want: Record<string, unknown>): Record<string, unknown> {
    const found = cardActions(harness().fake.currentCard(messageId)).find((a) => Object.entries(want).every(([k, v]) => a[k] === v));
    if (!found) throw new Error(`no button ${JSON.stringify(want)} on the card`);
    return found;
  }

  /** A click on a card the fake holds; the answer judged (clickCard throws when Feishu would refuse it). */
  async function clickFor(name: string, openId: string, messageId: string, value: Record<string, unknown>, formValue?: Record<string, unknown>) {
    const mark = await outboxMark();
    const res = await harness().clickCard(openId, messageId, value, formValue);
    expect(res.refused, name).toBeUndefined();
    await nothingRefused(mark);
    return judged(name, res.body.card?.data);
  }

  /** Presses a button the message's card shows now; the answer judged. */
  async function press(name: string, openId: string, messageId: string, want: Record<string, unknown>, formValue?: Record<string, unknown>) {
    return clickFor(name, openId, messageId, buttonOn(messageId, want), formValue);
  }

  return { judged, report, outboxMark, nothingRefused, sentSince, sayFor, buttonOn, clickFor, press };
}
