import { eq, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { assignments, cycles } from '../../db/schema.js';
import { loadScoreSheet } from '../../src/cycles.js';
import { rowsOf } from '../../src/outbox.js';
import type { Actor } from '../../src/people.js';
import { racedStatements } from '../../src/fast/admin.js';
import { fastSubmitScores } from '../../src/review/fastSubmit.js';
import { parseScoreForm, reopenScore, submitScores } from '../../src/review/scoring.js';
import { parseScoreSheetText } from '../../src/scoreSheet.js';
import { testDatabaseKind } from '../support/db.js';
import type { Harness } from '../support/harness.js';
import { heldTransaction, until } from '../support/waiting.js';
import { MODES_HERE } from '../support/worlds.js';
import { type Fixture, NOW, OTHER_EXPERT, personas, scoreForm, securityBotForBlock } from './securityFixture.js';

/**
 * 第十八条: from the first submitted score sheet of the year, 载入评分表 is refused. A 提交评分 and a 载入评分表 at the
 * same moment are decided by whichever commits first: a load holding its lock makes a submit wait, and the submit is
 * then judged against the new sheet (refused here, as after any load, since the values typed no longer fit it); a
 * submit not yet committed makes a load wait, and the load is then refused. Each side's transaction is held open by
 * the test with the services the bot runs (`loadScoreSheet`, `submitScores`, and `fastSubmitScores` on a connection
 * the test began a transaction on), while the other side is the bot's own click.
 */

/** The sheet loaded: its 1.3 is worth 0.5, so the default sheet's form (1.3 at 5) does not fit it. */
const newSheet = '评分表：正式评分表\n总分：100\n1 基础\n1.1 甲 50\n1.2 乙 49.5\n1.3 丙 0.5';
const admin: Actor = { openId: personas.admin, name: null, roles: ['admin'] };
const expert: Actor = { openId: personas.expert, name: null, roles: ['expert'] };

/** What a submit of the default sheet's form is told once the new sheet is in force. */
function refusalAgainstNewSheet(): string {
  try {
    parseScoreForm(parseScoreSheetText(newSheet), scoreForm());
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the form fits the new sheet');
}

/** Sessions waiting for a lock on `table`. */
async function waitingOn(db: Db, table: string): Promise<number> {
  const rows = await db.execute(sql`select count(*)::int as n from pg_locks where not granted and relation = ${table}::regclass`);
  return Number((rowsOf(rows)[0] as { n: number }).n);
}

async function stateOf(h: Harness, f: Fixture) {
  const [cycle] = await h.db.db.select().from(cycles).where(eq(cycles.id, f.cycleId));
  const [task] = await h.db.db.select().from(assignments).where(eq(assignments.id, f.ownTask));
  return { title: (cycle.scoreSheet as { title: string }).title, task: task.status };
}

for (const mode of MODES_HERE) {
  describe.skipIf(testDatabaseKind() !== 'postgres')(`提交评分 and 载入评分表 at once (${mode})`, () => {
    describe('the load first', () => {
      let h: Harness;
      let f: Fixture;
      securityBotForBlock((b) => ({ h, f } = b), mode);

      it('a submit waits for the load, then is refused against the new sheet; the load stands', async () => {
        const before = await stateOf(h, f);
        const held = await heldTransaction(h.db.db, (tx) => loadScoreSheet(tx, admin, f.cycleId, newSheet, new Date(NOW)));
        const submit = h.click(personas.expert, { action: 'review.submit', assignmentId: f.ownTask }, scoreForm());
        const own = postgres(h.db.url!, { max: 1, onnotice: () => {} });
        // the function itself, waiting as long as it takes on a connection of its own (the bot's gives way after 50 ms)
        const direct =
          mode === 'fast'
            ? fastSubmitScores(
                { ...h.db, statements: own },
                { eventId: 'ev_race_direct', eventType: 'card.action.trigger', openId: OTHER_EXPERT, assignmentId: f.foreignTask, formValue: scoreForm(), now: new Date(NOW), timezone: 'Asia/Shanghai' },
                30_000,
              )
            : undefined;
        await until(async () => (await waitingOn(h.db.db, 'assignments')) >= (mode === 'fast' ? 2 : 1));
        expect(await stateOf(h, f)).toEqual(before);
        held.release();
        await held.ended;
        const answer = await submit;
        expect(answer.toast).toMatchObject({ type: 'error' });
        expect(answer.toast.content).toContain(refusalAgainstNewSheet());
        if (direct) {
          const r = await direct;
          expect(r?.kind).toBe('refused');
          expect(r?.kind === 'refused' && r.error.message).toContain(refusalAgainstNewSheet());
        }
        await own.end({ timeout: 1 });
        expect(await stateOf(h, f)).toEqual({ title: '正式评分表', task: 'assigned' });
        const [foreign] = await h.db.db.select().from(assignments).where(eq(assignments.id, f.foreignTask));
        expect(foreign.status).toBe('assigned');
      });
    });

    describe('the submit first', () => {
      let h: Harness;
      let f: Fixture;
      securityBotForBlock((b) => ({ h, f } = b), mode);

      it('a load waits for the submit, then is refused (第十八条); the sheet and the stored scores stay', async () => {
        const before = await stateOf(h, f);
        const client = postgres(h.db.url!, { max: 1, onnotice: () => {} });
        const conn = await client.reserve();
        let held: { release(): void; ended: Promise<void> };
        if (mode === 'fast') {
          // the bot's one call, inside a transaction the test began, so it stays open after the call
          await conn.unsafe('begin');
          const r = await fastSubmitScores(
            { ...h.db, statements: conn },
            { eventId: 'ev_race_submit', eventType: 'card.action.trigger', openId: personas.expert, assignmentId: f.ownTask, formValue: scoreForm(), now: new Date(NOW), timezone: 'Asia/Shanghai' },
            30_000,
          );
          expect(r?.kind).toBe('submitted');
          // the commit goes out only on release
          let release!: () => void;
          const gate = new Promise<void>((resolve) => (release = resolve));
          held = { release, ended: gate.then(async () => void (await conn.unsafe('commit'))) };
        } else {
          held = await heldTransaction(h.db.db, (tx) => submitScores(tx, expert, f.ownTask, scoreForm(), new Date(NOW), 'Asia/Shanghai'));
        }
        const raced = racedStatements.count;
        const load = h.click(personas.admin, { action: 'cycle.sheetLoad', cycleId: f.cycleId }, { sheet: newSheet });
        await until(async () => (await waitingOn(h.db.db, 'assignments')) >= 1);
        expect(await stateOf(h, f)).toEqual(before);
        held.release();
        await held.ended;
        const answer = await load;
        expect(answer.toast).toMatchObject({ type: 'error' });
        expect(answer.toast.content).toContain('第十八条');
        expect(answer.toast.content).toContain('已有 1 份专家评分按现有评分表提交');
        // on the fast path, the one statement loaded the sheet, waited for the submit, found it and was undone whole
        expect(racedStatements.count).toBe(raced + (mode === 'fast' ? 1 : 0));
        conn.release();
        await client.end({ timeout: 1 });
        expect(await stateOf(h, f)).toEqual({ title: before.title, task: 'submitted' });
      });
    });

    describe('a sheet submitted and reopened first', () => {
      let h: Harness;
      let f: Fixture;
      securityBotForBlock((b) => ({ h, f } = b), mode);

      it('a load waits for it, then is refused (第十八条): the reopened sheet keeps scores given on the sheet in force', async () => {
        const before = await stateOf(h, f);
        // one transaction the load's snapshot does not see: the sheet submitted, then reopened with its scores kept
        const held = await heldTransaction(h.db.db, async (tx) => {
          await submitScores(tx, expert, f.ownTask, scoreForm(), new Date(NOW), 'Asia/Shanghai');
          await reopenScore(tx, admin, f.ownTask, new Date(NOW), 'ev_race_reopen');
        });
        const raced = racedStatements.count;
        const load = h.click(personas.admin, { action: 'cycle.sheetLoad', cycleId: f.cycleId }, { sheet: newSheet });
        // the reopen holds the cycle's row too (as every reopen does): the load waits on whichever it reaches first
        await until(async () => Number((rowsOf(await h.db.db.execute(sql`select count(*)::int as n from pg_locks where not granted`))[0] as { n: number }).n) >= 1);
        expect(await stateOf(h, f)).toEqual(before);
        held.release();
        await held.ended;
        const answer = await load;
        expect(answer.toast).toMatchObject({ type: 'error' });
        expect(answer.toast.content).toContain('第十八条');
        expect(answer.toast.content).toContain('已有 1 份专家评分按现有评分表提交（其中 1 份已重开');
        // on the fast path, the one statement loaded the sheet, waited, found the reopened sheet and was undone whole
        expect(racedStatements.count).toBe(raced + (mode === 'fast' ? 1 : 0));
        expect(await stateOf(h, f)).toEqual({ title: before.title, task: 'assigned' });
      });
    });
  });
}
