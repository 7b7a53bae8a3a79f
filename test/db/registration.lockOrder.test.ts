import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { teams } from '../../db/schema.js';
import { rowsOf } from '../../src/outbox.js';
import { testDatabaseKind } from '../support/db.js';
import type { Harness } from '../support/harness.js';
import { personas, registrationForm, startSecurityHarness, YEAR } from './securityFixture.js';
import { until, lockWaits } from '../support/waiting.js';

/**
 * 注册 takes the rows of its people (the leader's, the contact's) before the year's team-code serial, the order
 * an import batch takes them in (its people, then the serials of the codes it draws or keeps ahead). Taken the
 * other way round, a registration and an import batch sharing a person deadlock, and PostgreSQL aborts one.
 */
describe.skipIf(testDatabaseKind() !== 'postgres')('注册: the people before the team-code serial, as an import takes them (PostgreSQL)', () => {
  let h: Harness;
  const db = (): Db => h.db.db;

  beforeAll(async () => {
    ({ h } = await startSecurityHarness());
  });

  afterAll(async () => {
    await h?.close();
  });

  it('a registration naming a contact an import batch holds waits for it, and neither is aborted', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    let serial: number | undefined;
    // an import batch in another connection: its people first (the contact among them), then the year's serial
    const batch = db().transaction(async (tx) => {
      await tx.execute(sql`update people set updated_at = now() where open_id = ${personas.contact}`);
      locked();
      await held;
      const rows = await tx.execute(sql`insert into code_sequences (scope, last) values (${`team:${YEAR}`}, 1)
        on conflict (scope) do update set last = code_sequences.last + 1 returning last`);
      serial = Number((rowsOf(rows)[0] as { last: number }).last);
    });
    await isLocked;
    let answered = false;
    const registering = h.click(personas.public, { action: 'team.register' }, registrationForm('锁序')).finally(() => (answered = true));
    // the registration waits for the contact's row, without answering
    await until(async () => answered || (await lockWaits(db())) > 0);
    expect(answered).toBe(false);
    release();
    await batch;
    const body = await registering;
    expect(body.toast).toMatchObject({ type: 'success' });
    const [team] = await db().select().from(teams).where(eq(teams.name, '测试养护锁序班'));
    // the batch drew its serial first; the registration drew the next one
    expect(team.code).toBe(`GDSZ-${YEAR}-${String(serial! + 1).padStart(4, '0')}`);
  });
});
