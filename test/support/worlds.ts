import { count } from 'drizzle-orm';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Db } from '../../db/index.js';
import { auditLog, outbox, processedEvents } from '../../db/schema.js';
import { cardText, expectValidCard } from './cards.js';
import { testDatabaseKind } from './db.js';
import type { Harness } from './harness.js';
import type { CardAnswer } from './wire.js';

export type Mode = 'fast' | 'ordinary';
/** The fast world first, as every comparison runs it. */
export const MODES = ['fast', 'ordinary'] as const;

/**
 * The modes a block run once per mode (`describe.each(MODES_HERE)`) needs on the test database: both on PostgreSQL;
 * on PGlite `fast` alone. PGlite has no one-statement path (each declines at once: postgresClient), so there the
 * `ordinary` block repeated the `fast` one step for step, a second database and bot for nothing. `fast` is the one
 * kept: the bot's default, every declared path tried and declining, as a PGlite bot runs. In a twoWorlds block it
 * drives the worlds only with `oneOnPglite` (one world standing for both there); what a test gathers in each world
 * to compare `fast` with `ordinary` it gathers with inEachWorld.
 */
export const MODES_HERE: readonly Mode[] = testDatabaseKind() === 'pglite' ? ['fast'] : MODES;

/**
 * Two bots alike for the describe block it is called in, the one-statement paths on in `fast` and off in `ordinary`:
 * `start` (called once for each, the fast one first) starts a harness and seeds it; both are closed in the block's
 * `afterAll`. Each world is the object `start` returned, filled in when the `beforeAll` has run (so
 * `const { fast, ordinary } = twoWorlds(…)` is fine at the top of the block; their fields are read in hooks and tests).
 *
 * `oneOnPglite`: a block whose tests change the worlds only through MODES_HERE (`it.each(MODES_HERE)`, a step loop
 * filling each world's `answers`/`after` for expectSameWorlds), clickInBoth and inEachWorld (or a loop over the
 * distinct worlds, `new Set([fast, ordinary])`), and otherwise only read them, gets on
 * PGlite one world, started once as `fast` and handed as both. PGlite has no one-statement path, so there the second
 * world ran the first's clicks again on the ordinary path the first had taken already, a database and a bot for
 * nothing; the comparisons then hold trivially, which is what they mean on PGlite. PostgreSQL keeps two worlds and
 * compares them.
 */
export function twoWorlds<W extends { h: Harness }>(start: (mode: Mode) => Promise<W>, opts: { oneOnPglite?: boolean } = {}): Record<Mode, W> {
  const worlds = { fast: {} as W, ordinary: {} as W };
  if (opts.oneOnPglite && testDatabaseKind() === 'pglite') worlds.ordinary = worlds.fast;
  beforeAll(async () => {
    for (const mode of distinctModes(worlds)) {
      const w = await start(mode);
      w.h.app.processor.fastPaths = mode === 'fast';
      Object.assign(worlds[mode], w);
    }
  });
  afterAll(async () => {
    for (const mode of distinctModes(worlds)) await worlds[mode].h?.close();
  });
  return worlds;
}

/** The modes of distinct worlds: both, or `fast` alone when one world stands for both (twoWorlds' `oneOnPglite`). */
function distinctModes(worlds: Record<Mode, unknown>): readonly Mode[] {
  return worlds.fast === worlds.ordinary ? ['fast'] : MODES;
}

/**
 * What `gather` finds in each world (the fast one first), by mode, for a test to compare `fast` with `ordinary`: with
 * one world standing for both (twoWorlds' `oneOnPglite`, on PGlite) `gather` runs once and its result is both, as
 * clickInBoth's answer is; running it again there would repeat whatever it sends in the same world.
 */
export async function inEachWorld<W, T>(worlds: Record<Mode, W>, gather: (w: W, mode: Mode) => Promise<T>): Promise<Record<Mode, T>> {
  const found: Partial<Record<Mode, T>> = {};
  for (const mode of distinctModes(worlds)) found[mode] = await gather(worlds[mode], mode);
  return { fast: found.fast as T, ordinary: (distinctModes(worlds).length === 1 ? found.fast : found.ordinary) as T };
}

/** A step's answer as the step says it: the toast's type, and its text matching `says`. */
export function expectAnswer(body: CardAnswer, step: { toast: string; says: RegExp }, mode: Mode): void {
  expect(body.toast?.type, `${mode}: ${JSON.stringify(body.toast)}`).toBe(step.toast);
  expect(body.toast?.content).toMatch(step.says);
}

/**
 * The one statement tried alone on a case it leaves to the ordinary path: `attempt` answers undefined, and `counts` (a
 * probe of what it would write) reads the same before and after.
 */
export async function leavesToOrdinary(counts: () => Promise<unknown>, attempt: () => Promise<unknown>): Promise<void> {
  const before = await counts();
  expect(await attempt()).toBeUndefined();
  expect(await counts()).toEqual(before);
}

/** Step `i` ended alike in both worlds: the same answer (as `comparable` shows it) and the same rows after. */
export function expectSameWorlds<B>(worlds: Record<Mode, { answers: B[]; after: unknown[] }>, i: number, comparable: (b: B) => unknown = (b) => b): void {
  expect(comparable(worlds.fast.answers[i])).toEqual(comparable(worlds.ordinary.answers[i]));
  expect(worlds.fast.after[i]).toEqual(worlds.ordinary.after[i]);
}

/**
 * The outbox in order, without the times and ids that differ between two databases; an update of a card the outbox
 * sent (a redrawn copy of an alert) names that card by its row's key instead of its message id, which the fake draws at random.
 */
export async function outboxRows(db: Db) {
  const all = await db.select().from(outbox).orderBy(outbox.id);
  const sentAs = new Map(all.filter((o) => o.messageId).map((o) => [o.messageId!, `<message of ${o.dedupeKey}>`]));
  return all.map(({ id: _i, createdAt: _c, nextAttemptAt: _n, claimedAt: _l, sentAt: _s, messageId: _m, ...o }) => {
    const copy = o.kind === 'update' ? sentAs.get(o.receiver) : undefined;
    return copy ? { ...o, dedupeKey: o.dedupeKey.replace(o.receiver, copy), receiver: copy, rateKey: o.rateKey === o.receiver ? copy : o.rateKey } : o;
  });
}

/** How many events are claimed, and how many audit and outbox rows there are: what any one-statement attempt adds to. */
export async function writtenCounts(db: Db) {
  return {
    events: (await db.select({ n: count() }).from(processedEvents))[0].n,
    audits: (await db.select({ n: count() }).from(auditLog))[0].n,
    outbox: (await db.select({ n: count() }).from(outbox))[0].n,
  };
}

/** An answer as both paths must give it: the toast and every text of the card. */
export const comparableAnswer = (body: { toast?: unknown; card?: { data: unknown } }): unknown => ({ toast: body.toast, card: body.card ? cardText(body.card.data) : undefined });

/**
 * Clicks the same in both worlds (the fast one first): the answers must match as `comparable` shows them, and Feishu must
 * accept the card. `value` may read the world (a task by its place, a team by its leader). The fast world's answer.
 */
export async function clickInBoth<W extends { h: Harness }>(
  worlds: Record<Mode, W>,
  openId: string,
  value: (w: W) => Record<string, unknown>,
  formValue?: Record<string, unknown>,
  comparable: (body: any) => unknown = comparableAnswer,
): Promise<any> {
  const answers = {} as Record<Mode, any>;
  for (const mode of distinctModes(worlds)) answers[mode] = await worlds[mode].h.click(openId, value(worlds[mode]), formValue);
  // one world standing for both (PGlite) is clicked once: its answer is both
  answers.ordinary ??= answers.fast;
  expect(comparable(answers.fast)).toEqual(comparable(answers.ordinary));
  if (answers.fast.card) expectValidCard(answers.fast.card.data);
  return answers.fast;
}
