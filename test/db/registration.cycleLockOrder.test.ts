import ExcelJS from 'exceljs';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { fastRegister } from '../../src/fast/register.js';
import { applyImport, previewImport } from '../../src/import/index.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, startHarness, type Harness } from '../support/harness.js';
import { registrationForm } from '../support/forms.js';
import { randomEventId } from '../support/larkEvents.js';
import { heldTransaction, lockWaits, until } from '../support/waiting.js';

/**
 * 注册's one statement takes the running cycles (for share) before the organisation, the people and the year's code
 * serial. The ordinary registration and an import batch took the organisation, the people and the serial first and the
 * cycles only at the end (回避, recuseInsiders), for no key update: with a cycle open, an ordinary registration or an
 * import batch and a one-statement registration of the same year deadlocked (one waiting on the serial, the other on
 * the cycle), and PostgreSQL aborted one of them (an error toast). Every path now takes the cycles first.
 */
describe.skipIf(testDatabaseKind() !== 'postgres')('注册 and 导入 beside the one-statement 注册 while a cycle is open (PostgreSQL)', () => {
  let h: Harness;
  const YEAR = '2027';
  const TODAY = '2027-03-05';
  const cycleForm = { year: YEAR, applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15', expertsPerApplication: '3' };
  const serialHeld = () =>
    heldTransaction(h.db.db, (tx) => tx.execute(sql`insert into code_sequences (scope, last) values (${`team:${YEAR}`}, 0) on conflict (scope) do update set last = code_sequences.last`));
  const fast = (leader: string, team: string, contact: string, organization: string) =>
    fastRegister(h.db, {
      eventId: randomEventId(),
      eventType: 'card.action.trigger',
      openId: leader,
      formValue: registrationForm(team, contact, { organization }),
      today: TODAY,
      now: h.clock.now(),
      bootstrapAdmins: [ADMIN],
    });

  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2027-03-05T09:00:00+08:00') });
    expect((await h.click(ADMIN, { action: 'cycle.open' }, cycleForm)).toast.type).toBe('success');
  }, 120_000);
  afterAll(async () => h?.close());

  it('an ordinary registration waiting on the serial and a one-statement one behind it: both register', async () => {
    const serial = await serialHeld();
    h.app.processor.fastPaths = false;
    let ordinary: Promise<{ toast: { type: string; content: string } }>;
    try {
      ordinary = h.click('ou_cyclelockorder_ordinary00000001', { action: 'team.register' }, registrationForm('锁序普通班', 'ou_cyclelockorder_contact000000001', { organization: '锁序甲公司' }));
      // the ordinary registration waits on the year's serial, its organisation and people taken
      await until(async () => (await lockWaits(h.db.db)) >= 1);
    } finally {
      h.app.processor.fastPaths = true;
    }
    const one = fast('ou_cyclelockorder_fast000000000001', '锁序快速班', 'ou_cyclelockorder_contact000000002', '锁序乙公司').then(
      (r) => r,
      (err: Error & { code?: string }) => err.code ?? err.message,
    );
    await until(async () => (await lockWaits(h.db.db)) >= 2);
    serial.release();
    await serial.ended;
    const [body, registered] = await Promise.all([ordinary!, one]);
    expect(body.toast.type).toBe('success');
    expect(registered).toMatchObject({ team: { name: '锁序快速班' } });
    const codes = (await h.db.db.select({ code: teams.code }).from(teams).where(sql`${teams.name} in ('锁序普通班', '锁序快速班')`)).map((t) => t.code);
    expect(new Set(codes).size).toBe(2);
  });

  it('an import batch waiting on the serial and a one-statement registration behind it: both are kept', async () => {
    const db = h.db.db;
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('单位').addRows([['单位名称*'], ['锁序丙公司']]);
    wb.addWorksheet('班组').addRows([
      ['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门'],
      ['', '锁序导入班', '锁序丙公司', '项目团队', '13900000071', '导入班长', '13900000072', '导入联系人', '2027-01-10', 9, '工程部'],
    ]);
    const bytes = Buffer.from(await wb.xlsx.writeBuffer());
    const actor = { openId: ADMIN, name: null, roles: ['admin' as const] };
    const lookup = async () => ({
      byMobile: new Map([
        ['13900000071', 'ou_cyclelockorder_importleader0001'],
        ['13900000072', 'ou_cyclelockorder_importcontact001'],
      ]),
      byEmail: new Map<string, string>(),
    });
    const now = h.clock.now();
    const [org] = await db.insert(organizations).values({ name: '锁序丙公司' }).returning();
    await db.insert(people).values([{ openId: 'ou_cyclelockorder_holder0000000001' }, { openId: 'ou_cyclelockorder_holder0000000002' }]);
    const preview = await db.transaction((tx) => previewImport(tx, actor, { name: '锁序.xlsx', bytes }, lookup, TODAY, now));
    // the batch paused after drawing its code: a team of that name inserted in another transaction, not yet committed,
    // holds its insert until that transaction is rolled back
    const held = await heldTransaction(
      db,
      (tx) =>
        tx.insert(teams).values({
          code: 'GDSZ-LOCK-0001', name: '锁序导入班', organizationId: org.id, department: '', type: 'project', leaderOpenId: 'ou_cyclelockorder_holder0000000001', phone: '020-1234567',
          memberCount: 9, functions: '', goals: '', plan: '', contactOpenId: 'ou_cyclelockorder_holder0000000002', registeredAt: '2027-01-10',
        }),
      { rollback: true },
    );
    const applied = db.transaction((tx) => applyImport(tx, actor, preview.id, now, TODAY, { bootstrapAdmins: [ADMIN] })).then(
      () => 'applied',
      (err: Error & { cause?: { code?: string }; code?: string }) => err.cause?.code ?? err.code ?? err.message,
    );
    // the batch waits on that team's name, its people and the year's serial taken
    await until(async () => (await lockWaits(db)) >= 1);
    const one = fast('ou_cyclelockorder_fast000000000002', '锁序快速二班', 'ou_cyclelockorder_contact000000003', '锁序丁公司').then(
      (r) => r,
      (err: Error & { code?: string }) => err.code ?? err.message,
    );
    await until(async () => (await lockWaits(db)) >= 2);
    held.release();
    await held.ended;
    const [imported, registered] = await Promise.all([applied, one]);
    expect(imported).toBe('applied');
    expect(registered).toMatchObject({ team: { name: '锁序快速二班' } });
    expect(await db.select({ name: teams.name }).from(teams).where(eq(teams.name, '锁序导入班'))).toHaveLength(1);
  });
});
