import { like, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { outbox, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import type { CardActionDef } from '../../src/handlers.js';
import { ReadAfterCommit } from '../../src/pipeline.js';
import { COMMIT_WAIT_MS } from '../../src/events.js';
import { cardActionEvent } from '../../src/local/feishuEvents.js';
import { LATE_CLICK_LEASE_MS } from '../../src/lateClicks.js';
import { cardText } from '../support/cards.js';
import { testDatabaseKind } from '../support/db.js';
import { type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { NO_SEND_LIMITS, NOW, personas, registrationForm, seedFixture } from './securityFixture.js';

/**
 * A click answered “正在处理…完成后会更新这张卡片，或发消息告诉你结果” whose process dies (kill -9, out of memory) the moment its
 * work has committed: Feishu, answered, never sends the click again, so the result promised must already be in the
 * outbox, queued in the work's own transaction, for whichever process is left to send. The death is the process's
 * after-commit step (`finishLate`, where the result was queued) never running. Dying before the COMMIT (the work rolled
 * back), or after a one-statement path's (its result queued only after it), the person is told by the notice queued
 * as the click was answered, held while the process lives (src/lateClicks.ts) and sent once its hold has run out.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a click answered as still running, its process gone right after its work committed', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock(NOW), outboxLimits: NO_SEND_LIMITS, cardAnswerMs: 300 });
    await seedFixture(h.db.db);
  });
  afterAll(async () => {
    await h?.close();
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('has its card queued with the work: the person sees the result once the outbox sends it', { timeout: 60_000 }, async () => {
    const registry = h.app.registry;
    const action = registry.action.bind(registry);
    // the work, in its transaction, held up past the answer time (a slow machine, a lock) before its COMMIT; the
    // ordinary path, as a fast path that declines or is aborted takes
    vi.spyOn(registry, 'action').mockImplementation((verb: string): CardActionDef | undefined => {
      const def = action(verb);
      if (verb !== 'team.register' || !def) return def;
      return { ...def, fast: undefined, dispatch: async (ctx, input) => sleep(800).then(() => def.dispatch(ctx, input)) };
    });
    // the process dies once the work has committed: nothing it would have done after the COMMIT happens
    const processor = h.app.processor as unknown as { finishLate: (...args: unknown[]) => Promise<void> };
    let committed!: () => void;
    const workEnded = new Promise<void>((r) => (committed = r));
    vi.spyOn(processor, 'finishLate').mockImplementation(async (...args: unknown[]) => {
      await (args[5] as Promise<unknown>).catch(() => undefined);
      committed();
    });
    const MSG = 'om_late_crash_register_00000000001';
    const answer = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: personas.public, value: { action: 'team.register' }, formValue: registrationForm('崩溃'), messageId: MSG, eventId: 'evt_late_crash_register' }));
    expect(answer.body).toEqual({ toast: { type: 'info', content: '正在处理，请稍候：完成后会更新这张卡片，或发消息告诉你结果' } });
    await workEnded;
    expect(await h.db.db.select().from(teams).where(like(teams.name, '%崩溃%'))).toHaveLength(1);
    const late = await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, 'late-answer:evt_late_crash_register%'));
    expect(late.map((r) => r.dedupeKey).filter((k) => !k.endsWith(':unfinished'))).toEqual(['late-answer:evt_late_crash_register']);
    await h.drain();
    expect(cardText(h.fake.currentCard(MSG))).toContain('崩溃');
    // the notice held for it, its process gone, finds the click done and answered: the person hears no more
    h.clock.advance(LATE_CLICK_LEASE_MS + 1000);
    await h.drain();
    expect(told(personas.public)).toEqual([]);
    const [notice] = await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, 'late-answer:evt_late_crash_register:unfinished'));
    expect(notice.status).toBe('dropped');
  });

  it('reaching its COMMIT within the answer time, it is answered with its result, waited for a moment more, and nothing follows', { timeout: 60_000 }, async () => {
    const person = 'ou_latecrashcommitwait00000000001';
    const registry = h.app.registry;
    const action = registry.action.bind(registry);
    vi.spyOn(registry, 'action').mockImplementation((verb: string): CardActionDef | undefined => {
      const def = action(verb);
      if (verb !== 'team.register' || !def) return def;
      // its COMMIT (with the reads after it) is what takes past the answer time less COMMIT_WAIT_MS: the read after it
      // ends just after that, within the wait, however long the work before the COMMIT took on a loaded machine
      return { ...def, fast: undefined, dispatch: async (ctx, input) => {
        const answer = await def.dispatch(ctx, input);
        return new ReadAfterCommit(async (db) => (await sleep(Math.max(0, started + ANSWER_MS - COMMIT_WAIT_MS + 100 - Date.now())), answer instanceof ReadAfterCommit ? answer.read(db) : answer));
      } };
    });
    // an answer time of its own, long enough for the work before the COMMIT on a starved machine
    const ANSWER_MS = 3000;
    const deps = (h.app.processor as unknown as { deps: { cardAnswerMs?: number } }).deps;
    const before = deps.cardAnswerMs;
    deps.cardAnswerMs = ANSWER_MS;
    const started = Date.now();
    const answer = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: person, value: { action: 'team.register' }, formValue: registrationForm('等提交'), messageId: 'om_late_commit_wait_00000000000001', eventId: 'evt_late_commit_wait' }));
    expect(JSON.stringify(answer.body)).not.toContain('正在处理');
    expect(JSON.stringify(answer.body)).toContain('等提交');
    deps.cardAnswerMs = before;
    // answered after the rest of the answer time, within it
    expect(Date.now() - started).toBeGreaterThan(ANSWER_MS - COMMIT_WAIT_MS);
    expect(await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, 'late-answer:evt_late_commit_wait%'))).toEqual([]);
  });

  it('reaching its COMMIT only after the answer time less the wait, it is answered 正在处理 then, not after the answer time (Feishu waits 3 s)', { timeout: 60_000 }, async () => {
    const person = 'ou_latecommitlate0000000000000001';
    const ANSWER_MS = 3000;
    const registry = h.app.registry;
    const action = registry.action.bind(registry);
    vi.spyOn(registry, 'action').mockImplementation((verb: string): CardActionDef | undefined => {
      const def = action(verb);
      if (verb !== 'team.register' || !def) return def;
      // the work reaches its COMMIT just before the answer time, its read after it ends past it
      return { ...def, fast: undefined, dispatch: async (ctx, input) => {
        await sleep(Math.max(0, started + ANSWER_MS - 100 - Date.now()));
        const answer = await def.dispatch(ctx, input);
        return new ReadAfterCommit(async (db) => (await sleep(Math.max(0, started + ANSWER_MS + 150 - Date.now())), answer instanceof ReadAfterCommit ? answer.read(db) : answer));
      } };
    });
    const processor = h.app.processor as unknown as { finishLate: (...args: unknown[]) => Promise<void>; deps: { cardAnswerMs?: number } };
    const finish = processor.finishLate.bind(processor);
    let ended!: () => void;
    const workEnded = new Promise<void>((r) => (ended = r));
    vi.spyOn(processor, 'finishLate').mockImplementation(async (...args: unknown[]) => {
      await finish(...args);
      ended();
    });
    const before = processor.deps.cardAnswerMs;
    processor.deps.cardAnswerMs = ANSWER_MS;
    const started = Date.now();
    try {
      const answer = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: person, value: { action: 'team.register' }, formValue: registrationForm('近截止'), messageId: 'om_late_commit_late_000000000000001', eventId: 'evt_late_commit_late' }));
      expect(answer.body.toast.content).toContain('正在处理');
      await workEnded;
    } finally {
      processor.deps.cardAnswerMs = before;
    }
    // its result follows as a late answer does
    expect(await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, 'late-answer:evt_late_commit_late%'))).not.toEqual([]);
  });

  const told = (openId: string) => h.fake.messages.filter((m) => m.receiveId === openId && /刚才的操作/.test(JSON.stringify(m.content)));

  it('dying before its work commits, the person is told, once the notice’s hold runs out, that nothing was saved', { timeout: 60_000 }, async () => {
    const person = 'ou_latecrashrolledback00000000001';
    const registry = h.app.registry;
    const action = registry.action.bind(registry);
    vi.spyOn(registry, 'action').mockImplementation((verb: string): CardActionDef | undefined => {
      const def = action(verb);
      if (verb !== 'team.register' || !def) return def;
      // the connection gone with the process: the work's transaction is rolled back
      return { ...def, fast: undefined, dispatch: async (ctx, input) => (await def.dispatch(ctx, input), await sleep(800), Promise.reject(new Error('connection ended'))) };
    });
    const processor = h.app.processor as unknown as { finishLate: (...args: unknown[]) => Promise<void> };
    let ended!: () => void;
    const workEnded = new Promise<void>((r) => (ended = r));
    vi.spyOn(processor, 'finishLate').mockImplementation(async (...args: unknown[]) => {
      await (args[5] as Promise<unknown>).catch(() => undefined);
      ended();
    });
    const answer = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: person, value: { action: 'team.register' }, formValue: registrationForm('回滚'), messageId: 'om_late_crash_rolled_back_00000001', eventId: 'evt_late_crash_rolled_back' }));
    expect(answer.body.toast.content).toContain('正在处理');
    await workEnded;
    expect(await h.db.db.select().from(teams).where(like(teams.name, '%回滚%'))).toHaveLength(0);
    await h.drain();
    expect(told(person)).toEqual([]);
    h.clock.advance(LATE_CLICK_LEASE_MS + 1000);
    await h.drain();
    expect(told(person).map((m) => JSON.stringify(m.content))).toEqual([expect.stringContaining('没有保存')]);
  });

  it('its COMMIT failing with its result queued in it, the person is told by the held notice, which reads that nothing was saved, and by nothing else', { timeout: 60_000 }, async () => {
    const person = 'ou_latecommitfails000000000000001';
    const eventId = 'evt_late_commit_fails';
    // the COMMIT refused: a deferred check on the result's own row, run as the transaction commits
    await h.db.db.execute(sql.raw(`create function test_refuse_late_answer() returns trigger language plpgsql as $$ begin if new.dedupe_key = 'late-answer:${eventId}' then raise exception 'refused at commit'; end if; return null; end $$`));
    await h.db.db.execute(sql.raw(`create constraint trigger test_refuse_late_answer after insert on outbox deferrable initially deferred for each row execute function test_refuse_late_answer()`));
    try {
      const registry = h.app.registry;
      const action = registry.action.bind(registry);
      vi.spyOn(registry, 'action').mockImplementation((verb: string): CardActionDef | undefined => {
        const def = action(verb);
        if (verb !== 'team.register' || !def) return def;
        return { ...def, fast: undefined, dispatch: async (ctx, input) => sleep(800).then(() => def.dispatch(ctx, input)) };
      });
      const processor = h.app.processor as unknown as { finishLate: (...args: unknown[]) => Promise<void> };
      const finish = processor.finishLate.bind(processor);
      let ended!: () => void;
      const workEnded = new Promise<void>((r) => (ended = r));
      vi.spyOn(processor, 'finishLate').mockImplementation(async (...args: unknown[]) => {
        await finish(...args);
        ended();
      });
      const answer = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: person, value: { action: 'team.register' }, formValue: registrationForm('提交被拒'), messageId: 'om_late_commit_fails_0000000000001', eventId }));
      expect(answer.body.toast.content).toContain('正在处理');
      await workEnded;
      expect(await h.db.db.select().from(teams).where(like(teams.name, '%提交被拒%'))).toHaveLength(0);
      await h.drain();
      // not “可能没有完成” now and the notice later: one word, once it is known
      const toPerson = () => h.fake.messages.filter((m) => m.receiveId === person).map((m) => JSON.stringify(m.content));
      expect(toPerson()).toEqual([]);
      h.clock.advance(LATE_CLICK_LEASE_MS + 1000);
      await h.drain();
      expect(toPerson()).toEqual([expect.stringContaining('没有保存')]);
    } finally {
      await h.db.db.execute(sql.raw('drop trigger test_refuse_late_answer on outbox'));
      await h.db.db.execute(sql.raw('drop function test_refuse_late_answer()'));
    }
  });

  it('dying after a one-statement path committed (PostgreSQL), the person is told it was saved; on PGlite the ordinary path queued its card', { timeout: 60_000 }, async () => {
    const person = 'ou_latecrashfastpath000000000001';
    const registry = h.app.registry;
    const action = registry.action.bind(registry);
    vi.spyOn(registry, 'action').mockImplementation((verb: string): CardActionDef | undefined => {
      const def = action(verb);
      if (verb !== 'team.register' || !def) return def;
      return { ...def, fast: async (fx, input) => sleep(800).then(() => def.fast!(fx, input)), dispatch: async (ctx, input) => sleep(800).then(() => def.dispatch(ctx, input)) };
    });
    const processor = h.app.processor as unknown as { finishLate: (...args: unknown[]) => Promise<void> };
    let ended!: () => void;
    const workEnded = new Promise<void>((r) => (ended = r));
    vi.spyOn(processor, 'finishLate').mockImplementation(async (...args: unknown[]) => {
      await (args[5] as Promise<unknown>).catch(() => undefined);
      ended();
    });
    const MSG = 'om_late_crash_fast_path_0000000001';
    const answer = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: person, value: { action: 'team.register' }, formValue: registrationForm('快路'), messageId: MSG, eventId: 'evt_late_crash_fast_path' }));
    expect(answer.body.toast.content).toContain('正在处理');
    await workEnded;
    expect(await h.db.db.select().from(teams).where(like(teams.name, '%快路%'))).toHaveLength(1);
    h.clock.advance(LATE_CLICK_LEASE_MS + 1000);
    await h.drain();
    if (testDatabaseKind() === 'postgres') {
      expect(told(person).map((m) => JSON.stringify(m.content))).toEqual([expect.stringContaining('刚才的操作已经完成')]);
    } else {
      expect(told(person)).toEqual([]);
      expect(cardText(h.fake.currentCard(MSG))).toContain('快路');
    }
  });
});
