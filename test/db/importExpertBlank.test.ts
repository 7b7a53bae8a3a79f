import ExcelJS from 'exceljs';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { people } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText } from '../support/cards.js';
import { ADMIN, startHarness, type Harness, workbookSender } from '../support/harness.js';

/**
 * 导入's 专家 sheet follows 专家库's form: a blank 专业特长 or 评审上限 keeps what is stored (the preview says so where a
 * stored value is kept), 评审上限 typed as 不限 (无上限, 0) clears the limit and 专业特长 typed as 无 clears them.
 */
let h: Harness;
const CHEN = 'ou_importblank000000000000000000001';
beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00') });
  h.fake.addUser({ openId: CHEN, name: '陈专家', mobile: '13700000001' });
});
afterAll(async () => {
  await h?.close();
});
const send = workbookSender(() => h, 'expertblank');

async function workbook(specialities: string | number, maxLoad: string | number): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('单位').addRows([['单位名称*'], ['广州市政公司']]);
  wb.addWorksheet('专家').addRows([
    ['姓名*', '手机或邮箱*', '所属单位*', '专业特长', '评审上限'],
    ['陈专家', 13700000001, '广州市政公司', specialities, maxLoad],
  ]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

async function importIt(bytes: Buffer): Promise<string> {
  const preview = await send(bytes);
  const text = cardText(preview.content);
  const confirm = cardActions(preview.content).find((a) => a.action === 'import.apply');
  if (confirm) {
    const applied = await h.click(ADMIN, { action: 'import.apply', importId: confirm.importId, version: confirm.version });
    expect(applied.toast.type).toBe('success');
    await h.drain();
  }
  return text;
}

const record = async () => (await h.db.db.select({ specialities: people.specialities, maxLoad: people.maxLoad }).from(people).where(eq(people.openId, CHEN)))[0];

describe('导入 of an expert already on record', () => {
  it('a blank 专业特长 or 评审上限 keeps what is stored, and the preview says so', async () => {
    await importIt(await workbook('道路、桥梁', 5));
    expect(await record()).toEqual({ specialities: ['道路', '桥梁'], maxLoad: 5 });
    const text = await importIt(await workbook('', ''));
    expect(await record()).toEqual({ specialities: ['道路', '桥梁'], maxLoad: 5 });
    expect(text).toMatch(/“专家”表第 2 行的专业特长、评审上限留空，保留机器人中已有的/);
  });

  it('评审上限 不限 and 专业特长 无 clear them', async () => {
    const text = await importIt(await workbook('无', '不限'));
    expect(text).toMatch(/专业特长、评审上限/);
    expect(await record()).toEqual({ specialities: [], maxLoad: null });
    // and 0 is 不限 too
    await importIt(await workbook('道路', 6));
    expect(await record()).toEqual({ specialities: ['道路'], maxLoad: 6 });
    await importIt(await workbook('', 0));
    expect(await record()).toEqual({ specialities: ['道路'], maxLoad: null });
  });
});
