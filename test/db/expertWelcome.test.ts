import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { people } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness, workbookSender } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';

// 第十七条: someone added to the pool is told at once, and how to declare a conflict of interest, before 分配专家
const ORG = '广东省市政行业专家委员会';
const NEWX = 'ou_welcomeexpert000000000000000001';
const KNOWN = 'ou_welcomeexpert000000000000000002';
const addForm = (experts: string[], organization = ORG) => ({ experts, organization, specialities: '道路', maxLoad: '' });

for (const mode of MODES_HERE) {
  describe(`添加专家 tells the new expert (${mode})`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness({ clock: new ManualClock('2030-03-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
      h.app.processor.fastPaths = mode === 'fast';
      await h.db.db.insert(people).values({ openId: KNOWN, name: '老专家', roles: ['expert'] });
    });
    afterAll(async () => h?.close());
    const toldTo = async (openId: string) => {
      await h.drain();
      return h.fake.messages.filter((m) => m.receiveId === openId);
    };

    it('sends someone new to the pool one card: in the pool, what comes next, and 声明利益冲突', async () => {
      h.fake.reset();
      const r = await h.click(ADMIN, { action: 'experts.add' }, addForm([NEWX, KNOWN]));
      expect(r.toast.type).toBe('success');
      const [m, ...more] = await toldTo(NEWX);
      expect(more).toEqual([]);
      const text = cardText(m.content);
      expect(text).toContain('你已加入评审专家库');
      expect(text).toContain(`所属单位：${ORG}`);
      expect(text).toContain('分配给你的申报会以评分任务卡片发到这里');
      expect(text).toContain('第十七条');
      expect(cardActions(m.content)).toContainEqual({ action: 'experts.conflictForm' });
      // an expert already in the pool is not welcomed again
      expect(await toldTo(KNOWN)).toEqual([]);
    });

    it('the button opens the conflict form for them', async () => {
      const form = await h.click(NEWX, { action: 'experts.conflictForm' });
      expect(cardText(form.card.data)).toContain('声明利益冲突');
    });

    it('nothing again when the expert is added again elsewhere, stopped or started', async () => {
      h.fake.reset();
      expect((await h.click(ADMIN, { action: 'experts.add' }, addForm([NEWX], '佛山市政设计研究院'))).toast.type).toBe('success');
      expect((await h.click(ADMIN, { action: 'experts.deactivate', openId: NEWX })).toast.type).toBe('success');
      expect((await h.click(ADMIN, { action: 'experts.activate', openId: NEWX })).toast.type).toBe('success');
      expect(await toldTo(NEWX)).toEqual([]);
    });
  });
}

describe('导入 of the 专家 sheet tells the experts new to the pool', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00') });
  });
  afterAll(async () => h?.close());
  const send = workbookSender(() => h, 'welcomeimport');

  it('one linked now is told at once; one not yet in the address book when they first write', async () => {
    const found = h.fake.addUser({ name: '陈专家', mobile: '13700000011' });
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('单位').addRows([['单位名称*'], ['广州市政公司']]);
    wb.addWorksheet('专家').addRows([
      ['姓名*', '手机或邮箱*', '所属单位*', '专业特长', '评审上限'],
      ['陈专家', 13700000011, '广州市政公司', '道路', 5],
      ['林专家', 13700000012, '广州市政公司', '桥梁', ''],
    ]);
    const preview = await send(Buffer.from(await wb.xlsx.writeBuffer()));
    const confirm = cardActions(preview.content).find((a) => a.action === 'import.apply')!;
    h.fake.reset();
    expect((await h.click(ADMIN, { action: 'import.apply', importId: confirm.importId, version: confirm.version })).toast.type).toBe('success');
    await h.drain();
    const toFound = h.fake.messages.filter((m) => m.receiveId === found.openId);
    expect(toFound.map((m) => cardText(m.content)).filter((t) => t.includes('你已加入评审专家库'))).toHaveLength(1);
    expect(cardText(toFound.find((m) => cardText(m.content).includes('你已加入评审专家库'))!.content)).toContain('所属单位：广州市政公司');

    const later = h.fake.addUser({ name: '林专家', mobile: '13700000012' });
    await h.say(later.openId, '帮助');
    await h.drain();
    const welcomes = h.fake.messages.filter((m) => m.receiveId === later.openId && m.msgType === 'interactive' && cardText(m.content).includes('你已加入评审专家库'));
    expect(welcomes).toHaveLength(1);
  });
});
