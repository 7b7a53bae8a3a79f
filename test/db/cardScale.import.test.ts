import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imports, outbox, people } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { registerWorkbook } from '../../src/import/export.js';
import type { ImportSummary } from '../../src/import/plan.js';
import { rowsOf } from '../../src/outbox.js';
import { cardActions, cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { fileMessageEvent } from '../support/larkEvents.js';
import { filled } from './cardScaleFixture.js';
import { scaleSteps } from './cardScaleSteps.js';

/**
 * 导入 of an association's workbook at the largest: 3 000 teams of 10 organisations with codes, names and
 * organisations at their longest, of the character that escapes to six bytes in card markdown (|), a thousand of
 * them refused because a whole description was pasted into the name (300 characters): the preview, its pages, each
 * contact's 班组已转入 and the job's card once imported, each judged by the simulated Open Platform.
 */

let h: Harness;
const TEAMS = 3000;
const REFUSED_EVERY = 3;

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-03-10T09:00:00+08:00'), outboxLimits: { perApp: 100_000, perReceiver: 100_000 } });
}, 120_000);
afterAll(async () => {
  report();
  await h?.close();
});

const { judged, report } = scaleSteps(() => h);

/**
 * A 班组 row refused for the whole description pasted into its name (300 characters), an organisation of no list (100)
 * and a leader's name where the mobile goes: each of its problems named, the longest reasons there are.
 */
const refusedRow = (i: number) => [`GDSZ-2023-${String(i).padStart(20, '0')}`, filled(`${i}班：`, 300), filled(`${i}号未登记单位`, 100), '项目团队', `班长${i}`, `班长${i}`, `contact${i % 10}@example.com`, `联系人${i % 10}`, '2023-03-01', 500, filled('', 100)];

async function workbook(): Promise<Buffer> {
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  const orgs = Array.from({ length: 10 }, (_, k) => `${k}号单位`.padEnd(100, '|'));
  wb.addWorksheet('单位').addRows([['单位名称*'], ...orgs.map((o) => [o])]);
  const t = wb.addWorksheet('班组');
  t.addRow(['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门']);
  for (let i = 1; i <= TEAMS; i++) {
    const row = refusedRow(i);
    if (i % REFUSED_EVERY) [row[1], row[2], row[4]] = [`${i}班`.padEnd(50, '|'), orgs[i % 10], `138${String(i).padStart(8, '0')}`];
    t.addRow(row);
  }
  wb.addWorksheet('专家').addRow(['姓名*', '手机或邮箱*', '所属单位*', '专业特长', '评审上限']);
  wb.addWorksheet('荣誉').addRow(['班组编号或名称*', '年度*', '称号*']);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe('导入 of 3 000 teams, a thousand refused with their whole description as the name', () => {
  it('the preview, its last page and the job’s final card', async () => {
    // the ten contacts are in the address book: each is told about their 200 teams
    const contacts = Array.from({ length: 10 }, (_, k) => h.fake.addUser({ name: `联系人${k}`, email: `contact${k}@example.com` }).openId);
    h.fake.addMessageFile('om_scale_import', 'file_v2_scale_import', await workbook());
    const res = await h.post('/lark/events', fileMessageEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, messageId: 'om_scale_import', fileKey: 'file_v2_scale_import', fileName: filled('历年班组', 100) + '.xlsx' }));
    expect(res.status).toBe(200);
    await h.drain();
    expect(rowsOf(await h.db.db.execute(sql`select dedupe_key, last_error from ${outbox} where status in ('dead', 'undeliverable')`))).toEqual([]);
    const preview = [...h.fake.messages].reverse().find((m) => m.receiveId === ADMIN && m.msgType === 'interactive')!;
    const card = judged('导入预览 (1 000 refused)', preview.content);
    expect(cardText(card)).toContain(`拒绝 ${TEAMS / REFUSED_EVERY} 行`);
    // every problem of a refused row named, the card holding all fifteen whole
    expect(cardText(card)).toMatch(/班组名称超过 50 字；所属单位“3号未登记单位[^”]*”不在“单位”表中，也未在机器人中登记：请先在“单位”表列出该单位；班组长“班长3”不是有效的手机号或邮箱，无法查找此人/);
    const next = cardActions(card).find((a) => a.action === 'import.page')!;
    const page2 = await h.clickCard(ADMIN, preview.messageId, next);
    judged('导入预览 p2', page2.body.card.data);
    const apply = await h.clickCard(ADMIN, preview.messageId, cardActions(h.fake.currentCard(preview.messageId)).find((a) => a.action === 'import.apply')!);
    judged('确认导入 (answer)', apply.body.card.data);
    expect(rowsOf(await h.db.db.execute(sql`select dedupe_key, last_error from ${outbox} where status in ('dead', 'undeliverable')`))).toEqual([]);
    for (const c of contacts) {
      const told = h.fake.messages.filter((m) => m.receiveId === c && m.msgType === 'interactive');
      expect(told.length).toBe(1);
      expect(cardText(judged('班组已转入 (a contact of 200 teams)', told[0].content))).toContain('等 200 个班组');
    }
    // the card shown at the end: the job's last update, sent after the click's answer as Feishu takes it
    const last = h.fake.currentCard(preview.messageId);
    expect(last).toEqual([...h.fake.updates].reverse().find((u) => u.messageId === preview.messageId)?.card);
    expect(cardText(last)).toContain(`${TEAMS / REFUSED_EVERY} 行未导入`);
    expect(cardText(last)).toContain('已导入 2 010 / 2 010 行');
    judged('导入 job (final card)', last);
  });
});

describe('导出当前名册 of those teams sent back after every field of every team changed in the bot', () => {
  it('the preview names six of the 2 010 rows it sets back, with the thousand refused rows besides', async () => {
    const old = await registerWorkbook(h.db.db, h.clock.now());
    // since: each team renamed (a row renaming and moving a team is refused as a typo), of another type, date, size and
    // department, with another leader and contact whose names are at their longest (set-based, not through the bot)
    await h.db.db.insert(people).values([
      { openId: 'pending:m:13999999999', name: filled('新班长', 50) },
      { openId: 'ou_scale_sinceexport_contact00000001', name: filled('新联系人', 50) },
    ]);
    await h.db.db.execute(sql`update teams set name = left('新' || name, 50), type = 'department', registered_at = '2022-02-02', member_count = 1, department = ${filled('部', 100)},
      leader_open_id = 'pending:m:13999999999', contact_open_id = 'ou_scale_sinceexport_contact00000001'`);
    // her file: the register as exported, with the thousand rows refused before pasted below
    const { default: ExcelJS } = await import('exceljs');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(old as unknown as ArrayBuffer);
    for (let i = REFUSED_EVERY; i <= TEAMS; i += REFUSED_EVERY) wb.getWorksheet('班组')!.addRow(refusedRow(i));
    h.fake.addMessageFile('om_scale_import_old', 'file_v2_scale_import_old', Buffer.from(await wb.xlsx.writeBuffer()));
    await h.post('/lark/events', fileMessageEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, messageId: 'om_scale_import_old', fileKey: 'file_v2_scale_import_old', fileName: filled('名册', 100) + '.xlsx' }));
    await h.drain();
    expect(rowsOf(await h.db.db.execute(sql`select dedupe_key, last_error from ${outbox} where status in ('dead', 'undeliverable')`))).toEqual([]);
    const [record] = await h.db.db.select().from(imports).orderBy(sql`${imports.id} desc`).limit(1);
    const s = record.summary as ImportSummary;
    expect(s.sinceExport?.rows).toHaveLength(TEAMS - TEAMS / REFUSED_EVERY);
    expect(s.sinceExport?.rows[0].fields.map((f) => f.field)).toEqual(['班组名称', '班组类型', '班组长', '单位联系人', '注册日期', '成员人数', '主管部门']);
    const preview = [...h.fake.messages].reverse().find((m) => m.receiveId === ADMIN && m.msgType === 'interactive')!;
    const text = cardText(judged('导入预览 (2 010 set back, 1 000 refused)', preview.content));
    expect(text).toContain(`${TEAMS - TEAMS / REFUSED_EVERY} 行在文件导出`);
    expect(text).toContain(`等 ${TEAMS - TEAMS / REFUSED_EVERY} 行`);
    const next = cardActions(preview.content).find((a) => a.action === 'import.page')!;
    judged('导入预览 p2 (2 010 set back)', (await h.clickCard(ADMIN, preview.messageId, next)).body.card.data);
  });
});
