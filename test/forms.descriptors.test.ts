import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { applicationDetails, applicationFormCard, endorsementRequestCard } from '../cards/applications.js';
import { complaintAlertCard, complaintDecidedCard, complaintFormCard, revocationAlertCard } from '../cards/complaints.js';
import { cycleFormCard } from '../cards/admin.js';
import { conflictFormCard, expertPoolCard } from '../cards/experts.js';
import { declinedCard, declineFormCard, scoredCard, scoringTaskCard } from '../cards/review.js';
import { profileFormCard, registrationFormCard, type TeamData } from '../cards/teams.js';
import { applicationForm, endorsementForm } from '../src/applications.js';
import { complaintDecisionForm, complaintForm, complaintTextForm, complaintViewOf, revocationDecisionForm } from '../src/complaints.js';
import { cycleForm } from '../src/cycles.js';
import { contactForm } from '../src/associationContact.js';
import { associationContactFormCard } from '../cards/contact.js';
import { defineForm, fieldName, type FormDescriptor, formDisplay, formSchema, readForm } from '../src/forms.js';
import type { Cycle } from '../src/cycles.js';
import { conflictDisplay, conflictForm } from '../src/review/conflicts.js';
import type { ResultsData } from '../src/review/results.js';
import { expertAddForm } from '../src/review/experts.js';
import { declineForm, parseScoreForm, scoreSheetDisplay, scoreSheetForm } from '../src/review/scoring.js';
import { defaultScoreSheet, type ScoreSheet, sheetItems } from '../src/scoreSheet.js';
import { profileForm, registrationForm } from '../src/teams.js';
import { htmlInputs } from '../src/web/formHtml.js';
import { reviewWorkbook } from '../src/workbook.js';
import { cardText, expectValidCard, formFieldNames } from './support/cards.js';
import { validFormValue } from './support/forms.js';

/**
 * Acceptance 1 of the forms: a field added to a descriptor reaches the card, the stored form, the
 * display, the expert's view and the workbook with nothing else edited; and every field of every real
 * descriptor reaches each of them.
 */

const team = { id: 1, name: '广州市政养护一班', code: 'GDSZ-2026-0001', organization: '广州市市政工程维修有限公司' };
const cycle = { year: 2027, applicationDeadline: '2027-05-31' };

/** What the association's secretary sees: the header row of the workbook's 申报 sheet and the first application's row. */
async function workbookApplications(descriptor: FormDescriptor, form: Record<string, unknown>): Promise<{ header: unknown[]; row: unknown[]; cells: ExcelJS.Cell[] }> {
  const rows: ResultsData['rows'] = [{ applicationId: 1, teamId: 1, code: team.code, team: team.name, organization: team.organization, leaderOpenId: 'ou_l', contactOpenId: 'ou_c', title: String(form.title), category: String(form.category), form, status: 'decided', finalScore: 90, rank: 1, awarded: true, recommended: false, review: null }];
  const data: ResultsData = {
    cycle: { id: 1, year: 2027, status: 'published', scoreSheet: defaultScoreSheet, updatedAt: new Date('2027-07-20T10:00:00+08:00') } as unknown as Cycle,
    sheet: defaultScoreSheet,
    rows,
    applications: rows,
    scores: [],
  };
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load((await reviewWorkbook(data, descriptor)) as unknown as ArrayBuffer);
  const sheet = wb.getWorksheet('申报')!;
  const header = (sheet.getRow(1).values as unknown[]).slice(1);
  return { header, row: (sheet.getRow(2).values as unknown[]).slice(1), cells: header.map((_, i) => sheet.getRow(2).getCell(i + 1)) };
}

/** Every output of an application form: its card, what is stored, the display, the expert's view, the workbook. */
async function outputs(descriptor: FormDescriptor, typed: Record<string, unknown>) {
  const stored = formSchema(descriptor).parse(typed) as Record<string, unknown>;
  const display = formDisplay(descriptor, stored);
  const formCard = applicationFormCard({ descriptor, team, cycle, values: typed });
  const details = { type: 'card', elements: applicationDetails({ id: 1, year: 2027, statusLabel: '已提交', team, display }) };
  const expertView = scoringTaskCard({ assignmentId: 1, year: 2027, application: { code: team.code, team: team.name, organization: team.organization, display }, form: scoreSheetForm(defaultScoreSheet) });
  return { stored, display, formCard, details, expertView, workbook: await workbookApplications(descriptor, stored) };
}

describe('a field added to the one descriptor (acceptance 1)', () => {
  // the one edit a newcomer makes: a field in src/applications.ts's applicationForm (here on a copy)
  const extended = defineForm({
    ...applicationForm,
    fields: { ...applicationForm.fields, safetyDays: { kind: 'integer', label: '连续安全生产天数', article: '第十三条第5款', min: 0, max: 10000, unit: '天' } },
  });

  it('reaches the card, the stored form, the display, the expert view and the workbook', async () => {
    const typed = validFormValue(extended, { safetyDays: '１，２３４' });
    const o = await outputs(extended, typed);
    expectValidCard(o.formCard);
    expect(formFieldNames(o.formCard)).toContain('safetyDays');
    expect(cardText(o.formCard)).toContain('连续安全生产天数 *（第十三条第5款）');
    expect(o.stored.safetyDays).toBe(1234);
    expect(cardText(o.details)).toContain('连续安全生产天数');
    expect(cardText(o.details)).toContain('1234天');
    expectValidCard(o.expertView);
    expect(cardText(o.expertView)).toContain('1234天');
    expect(o.workbook.header).toContain('连续安全生产天数');
    expect(o.workbook.row).toContain(1234);
  });

  it('reaches the workbook as a number from a draft saved through the card (its numbers as typed); a text that is no number as typed, no unit added', async () => {
    const draft = { ...validFormValue(extended, {}), goalRate: '95%', trainingRate: '９６', examPassRate: '约九成', safetyDays: '１，２３４' };
    const { header, row, cells } = await workbookApplications(extended, draft);
    const cell = (name: string) => cells[header.indexOf(name)];
    expect([cell('目标完成率（%）').value, cell('培训率（%）').value, cell('连续安全生产天数').value]).toEqual([95, 96, 1234]);
    expect(cell('目标完成率（%）').type).toBe(ExcelJS.ValueType.Number);
    expect(cell('考试合格率（%）').value).toBe('约九成');
    expect(row.filter((v) => typeof v === 'string' && /%$/.test(v))).toEqual([]);
  });

  it('is checked like every other: refused out of range naming the field', () => {
    const result = formSchema(extended).safeParse(validFormValue(extended, { safetyDays: '-1' }));
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].message).toContain('连续安全生产天数');
  });
});

describe('every field of every real descriptor reaches each output', () => {
  it('the 申报表: card, stored form, display, expert view and workbook', async () => {
    const typed = validFormValue(applicationForm, { startDate: '2026-04-01 +0800', endDate: '2027/3/31' });
    const o = await outputs(applicationForm, typed);
    expect(formFieldNames(o.formCard)).toEqual(expect.arrayContaining(Object.keys(applicationForm.fields)));
    expect(Object.keys(o.stored).sort()).toEqual(Object.keys(applicationForm.fields).sort());
    expect(o.stored).toMatchObject({ startDate: '2026-04-01', endDate: '2027-03-31', trainingRate: 96 });
    for (const [key, f] of Object.entries(applicationForm.fields)) {
      const shown = o.display.find((r) => r.key === key)!;
      expect(shown.text, key).not.toBe('');
      expect(cardText(o.details), key).toContain(f.label);
      if (f.kind !== 'url') expect(cardText(o.expertView), key).toContain(shown.text.slice(0, 20));
      expect(o.workbook.header, key).toContain(fieldName(f));
    }
    expect(cardText(o.details)).toContain('2026年4月1日');
    // a date is an Excel date (shown 2026-04-01), not text
    expect(o.workbook.row).toContainEqual(new Date('2026-04-01T00:00:00Z'));
    // a text (a 成果名称 of 100 characters, a long text, a link) wraps in its column; a number, a date or a choice does not
    for (const [key, f] of Object.entries(applicationForm.fields)) {
      const cell = o.workbook.cells[o.workbook.header.indexOf(fieldName(f))];
      expect(cell.alignment?.wrapText ?? false, key).toBe(f.kind === 'longText' || f.kind === 'text' || f.kind === 'url');
    }
  });

  it.each([
    ['注册表', registrationForm, (d: FormDescriptor, values: Record<string, unknown>) => registrationFormCard({ descriptor: d, leaderOpenId: 'ou_l', candidates: [], values })],
    ['修改资料', profileForm, (d: FormDescriptor, values: Record<string, unknown>) => profileFormCard({ ...team, department: '', typeLabel: '', leaderOpenId: 'ou_l', phone: '', memberCount: 1, functions: '', goals: '', plan: '', contactOpenId: 'ou_c', registeredAt: '2026-01-01', statusLabel: '' } as TeamData, { descriptor: d, candidates: [], values })],
    ['年度评审设置', cycleForm, (d: FormDescriptor, values: Record<string, unknown>) => cycleFormCard({ descriptor: d, mode: 'open', values: values as Record<string, string> })],
    ['单位确认推荐', endorsementForm, (d: FormDescriptor, values: Record<string, unknown>) => endorsementRequestCard({ id: 7, year: 2027, statusLabel: '已提交', team, display: formDisplay(applicationForm, validFormValue(applicationForm)) }, { descriptor: d, values })],
    ['利益冲突声明', conflictForm, (d: FormDescriptor, values: Record<string, unknown>) => conflictFormCard({ descriptor: d, declared: [], values })],
    ['协会联系方式', contactForm, (d: FormDescriptor, values: Record<string, unknown>) => associationContactFormCard({ descriptor: d, values })],
  ] as [string, FormDescriptor, (d: FormDescriptor, values: Record<string, unknown>) => unknown][])('the %s: card inputs, stored form and display', (_name, descriptor, draw) => {
    const typed = validFormValue(descriptor, {}, 'ou_contact0000000000000000000000001');
    const formCard = draw(descriptor, typed);
    expectValidCard(formCard);
    expect(formFieldNames(formCard)).toEqual(expect.arrayContaining(Object.keys(descriptor.fields)));
    const stored = formSchema(descriptor).parse(typed) as Record<string, unknown>;
    expect(Object.keys(stored).sort()).toEqual(Object.keys(descriptor.fields).sort());
    for (const row of formDisplay(descriptor, stored)) expect(row.text, row.key).not.toBe('');
  });
});

describe('the complaint forms: every field reaches the card, the public page, the check and the display', () => {
  const summary = { id: 7, reference: 'TS-2027-0007', channel: 'web', status: 'open', note: null, receivedOn: '2027年3月1日', team };

  it('投诉表: the chat card keeps what was typed, the page has each input, the administrators’ card shows each field', () => {
    const typed = validFormValue(complaintForm, { team: team.code, content: '人行道修补后一周即松动', contact: '13800000000' });
    const formCard = complaintFormCard({ descriptor: complaintForm, values: typed });
    expectValidCard(formCard);
    expect(formFieldNames(formCard)).toEqual(Object.keys(complaintForm.fields));
    const page = htmlInputs(complaintForm, typed);
    const stored = formSchema(complaintForm).parse(typed);
    expect(Object.keys(stored).sort()).toEqual(Object.keys(complaintForm.fields).sort());
    const alert = complaintAlertCard(complaintViewOf({ ...summary, content: stored.content, contact: stored.contact ?? null }));
    expectValidCard(alert);
    for (const [key, f] of Object.entries(complaintForm.fields)) {
      expect(cardText(formCard), key).toContain(f.label);
      expect(cardText(formCard), key).toContain(String(typed[key]));
      expect(page, key).toContain(`<label for="${key}">${f.label}`);
      expect(page, key).toContain(`name="${key}"`);
      expect(page, key).toContain(String(typed[key]));
      expect(cardText(alert), key).toContain(f.label);
    }
    // the team as found, not as typed
    expect(cardText(alert)).toContain(`${team.name}（${team.code}）`);
    expect(cardText(alert)).toContain('人行道修补后一周即松动');
    expect(cardText(alert)).toContain('13800000000');
    expect(cardText(alert)).toContain('2027年3月1日');
    expect(cardText(alert)).not.toMatch(/\d{4}-\d{2}-\d{2}/);
  });

  it('投诉表 with the team picked: the same fields but the team', () => {
    const formCard = complaintFormCard({ descriptor: complaintTextForm, team, values: validFormValue(complaintTextForm) });
    expectValidCard(formCard);
    expect(formFieldNames(formCard)).toEqual(Object.keys(complaintForm.fields).filter((k) => k !== 'team'));
    expect(formSchema(complaintTextForm).safeParse(validFormValue(complaintTextForm)).success).toBe(true);
  });

  it('the decision (成立 / 不成立 / 重复 / 已撤回): its input on the open complaint, kept after a refusal; its display once decided', () => {
    const typed = validFormValue(complaintDecisionForm, { note: '现场核实，修补不合格' });
    const view = complaintViewOf({ ...summary, content: '开裂', contact: null });
    const alert = complaintAlertCard(view, { values: typed, error: { field: 'note', message: '处理意见不能超过 500 字' } });
    expectValidCard(alert);
    expect(formFieldNames(alert)).toEqual(Object.keys(complaintDecisionForm.fields));
    const stored = formSchema(complaintDecisionForm).parse(typed);
    const decided = complaintDecidedCard(complaintViewOf({ ...summary, status: 'upheld', content: '开裂', contact: null, note: stored.note }));
    for (const [key, f] of Object.entries(complaintDecisionForm.fields)) {
      expect(cardText(alert), key).toContain(f.label);
      expect(cardText(alert), key).toContain(String(typed[key]));
    }
    expect(cardText(decided)).toContain(complaintDecisionForm.fields.note.label);
    expect(cardText(decided)).toContain(stored.note);
    // the complaint a 重复 names is its 认定结果
    const repeated = complaintDecidedCard(complaintViewOf({ ...summary, status: 'duplicate', content: '开裂', contact: null, note: stored.note, repeats: 'TS-2027-0002' }));
    expect(cardText(repeated)).toContain('重复（同 TS-2027-0002）');
    expect(cardText(repeated)).toContain(stored.note);
  });

  it('the revocation decision (撤销 / 保留称号): its input, kept after a refusal', () => {
    const typed = validFormValue(revocationDecisionForm, { reason: '连续三次投诉成立' });
    const alert = revocationAlertCard({ team, title: { honourId: 5, year: 2026, run: 2, required: 2 }, history: [], form: revocationDecisionForm, values: typed });
    expectValidCard(alert);
    // both decisions are final: each asks again before it is sent
    const confirms = JSON.stringify(alert).match(/"confirm":\{[^}]*\}[^}]*\}/g) ?? [];
    expect(confirms.map((c) => /确定(撤销|保留)/.exec(c)?.[1])).toEqual(['撤销', '保留']);
    expect(confirms[1]).toContain('此前成立的 2 次投诉将不再计入连续次数，保留后不能撤回');
    expect(formFieldNames(alert)).toEqual(Object.keys(revocationDecisionForm.fields));
    expect(formSchema(revocationDecisionForm).parse(typed)).toEqual({ reason: '连续三次投诉成立' });
    for (const [key, f] of Object.entries(revocationDecisionForm.fields)) {
      expect(cardText(alert), key).toContain(f.label);
      expect(cardText(alert), key).toContain(String(typed[key]));
    }
  });
});

describe('the conflict-of-interest declaration (第十七条), from its descriptor', () => {
  it('draws each field with its label, article and help, every one required before sending', () => {
    const formCard = conflictFormCard({ descriptor: conflictForm, declared: [] });
    expectValidCard(formCard);
    expect(formFieldNames(formCard)).toEqual(['kind', 'target', 'reason']);
    // the label above the select (markdown, its * escaped); the select's placeholder names the field alone
    expect(cardText(formCard)).toContain('**冲突对象 &#42;（第十七条）**');
    expect(cardText(formCard)).toContain('请选择冲突对象\n');
    expect(cardText(formCard)).toContain('班组编号或单位名称 *（班组填编号，单位填全称）');
    const inputs = JSON.stringify(formCard);
    expect(inputs).toContain('"max_length":100');
    expect(inputs).toContain('"max_length":500');
    expect(inputs).not.toContain('"required":false');
  });

  it('keeps what was typed after a refusal, and names the field refused', () => {
    const typed = { kind: 'organization', target: '不存在的单位', reason: '亲属在该单位' };
    const again = conflictFormCard({ descriptor: conflictForm, declared: [], values: typed, error: '找不到名为“不存在的单位”的单位' });
    expectValidCard(again);
    const json = JSON.stringify(again);
    expect(json).toContain('"initial_option":"organization"');
    expect(json).toContain('"default_value":"不存在的单位"');
    expect(json).toContain('"default_value":"亲属在该单位"');
    expect(() => readForm(conflictForm, { ...typed, reason: ' ' })).toThrow('请填写冲突原因');
    expect(() => readForm(conflictForm, { ...typed, kind: 'person' })).toThrow('请选择冲突对象');
    expect(() => readForm(conflictForm, { ...typed, target: 'x'.repeat(101) })).toThrow('班组编号或单位名称不能超过 100 字');
  });

  it('reads a submitted form typed, and shows a stored declaration as its display reads', () => {
    expect(readForm(conflictForm, { kind: ['team'], target: ' gdsz-2026-0001 ', reason: '曾任该班组技术顾问' })).toEqual({ kind: 'team', target: 'gdsz-2026-0001', reason: '曾任该班组技术顾问' });
    const declared = [conflictDisplay({ kind: 'team', label: 'GDSZ-2026-0001 广州市政养护一班', reason: '曾任职' }), conflictDisplay({ kind: 'organization', label: team.organization, reason: null })];
    expect(declared[0].map((r) => r.label)).toEqual(Object.values(conflictForm.fields).map((f) => f.label));
    const text = cardText(conflictFormCard({ descriptor: conflictForm, declared }));
    expect(text).toContain('班组：GDSZ-2026-0001 广州市政养护一班（曾任职）');
    expect(text).toContain(`单位：${team.organization}`);
    expect(text).not.toContain(`${team.organization}（`);
  });
});

describe('the expert-side forms: every field reaches each output', () => {
  const application = { code: team.code, team: team.name, organization: team.organization, display: formDisplay(applicationForm, validFormValue(applicationForm)) };

  it('the score sheet (built from the sheet): task card inputs, the submit, the submitted view and the workbook', async () => {
    const form = scoreSheetForm(defaultScoreSheet);
    const items = sheetItems(defaultScoreSheet);
    expect(Object.keys(form.fields)).toEqual([...items.map((i) => `i${i.code.replace('.', '_')}`), 'comment']);
    const typed = validFormValue(form, { comment: '材料扎实' });
    const card = scoringTaskCard({ assignmentId: 1, year: 2027, application, form, values: typed as Record<string, string> });
    expectValidCard(card);
    expect(formFieldNames(card)).toEqual(Object.keys(form.fields));
    for (const a of defaultScoreSheet.areas) expect(cardText(card)).toContain(`${a.code} ${a.name}`);
    // what the submit stores: every item by code, and the comment
    const stored = parseScoreForm(defaultScoreSheet, typed);
    expect(Object.keys(stored.scores)).toEqual(items.map((i) => i.code));
    expect(stored.total).toBe(defaultScoreSheet.total);
    expect(stored.comment).toBe('材料扎实');
    // the generic schema of the same descriptor reads the same numbers
    expect(Object.values(formSchema(form).parse(typed) as Record<string, unknown>).slice(0, items.length)).toEqual(items.map((i) => i.max));
    const display = scoreSheetDisplay(defaultScoreSheet, stored.scores, stored.comment);
    expect(display.map((r) => r.key)).toEqual(Object.keys(form.fields));
    for (const row of display) expect(row.text, row.key).not.toBe('');
    const view = scoredCard({ assignmentId: 1, year: 2027, application, total: stored.total, max: defaultScoreSheet.total, areas: [], display, submittedAt: '2027年6月1日 09:00' });
    expectValidCard(view);
    for (const row of display) expect(cardText(view), row.key).toContain(`${row.label}：${row.text}`.replace('评审意见：', '评审意见**：'));
    const { workbook } = await workbookScores(defaultScoreSheet);
    for (const f of Object.values(form.fields).filter((f) => f.kind === 'number')) expect(workbook.some((h) => String(h).startsWith(f.label))).toBe(true);
  });

  it('a loaded sheet of its own: its items, maxima, half points and articles', () => {
    const sheet: ScoreSheet = { title: '自定义评分表', total: 12.5, areas: [{ code: 'A', name: '基础', article: '第七条第1款', items: [{ code: 'A.1', name: '制度', max: 2.5 }, { code: 'A.2', name: '记录', max: 10 }] }] };
    const form = scoreSheetForm(sheet);
    expect(scoreSheetForm(sheet)).toBe(form);
    expect(form.fields.iA_1).toMatchObject({ kind: 'number', label: 'A.1 制度', help: '满分 2.5 分', min: 0, max: 2.5, step: 0.5 });
    expect(form.areas).toEqual([{ code: 'A', name: '基础', article: '第七条第1款', max: 12.5, fields: ['iA_1', 'iA_2'] }]);
    const card = scoringTaskCard({ assignmentId: 1, year: 2027, application, form });
    expect(cardText(card)).toContain('A.1 制度 *（满分 2.5 分）');
    expect(cardText(card)).toContain('A 基础**（12.5 分，第七条第1款）');
    expect(parseScoreForm(sheet, { iA_1: '２．５', iA_2: '10分' }).total).toBe(12.5);
    expect(() => parseScoreForm(sheet, { iA_1: '3', iA_2: '10' })).toThrow('A.1 制度：须在 0 到 2.5 分之间，且为整分或半分');
  });

  it('the decline form: card inputs, what is stored and what is shown', () => {
    const typed = validFormValue(declineForm, { kind: 'unavailable' });
    const card = declineFormCard({ assignmentId: 1, application, descriptor: declineForm, values: typed });
    expectValidCard(card);
    expect(formFieldNames(card)).toEqual(Object.keys(declineForm.fields));
    expect(JSON.stringify(card)).toContain('"initial_option":"unavailable"');
    const stored = formSchema(declineForm).parse(typed) as Record<string, unknown>;
    expect(Object.keys(stored).sort()).toEqual(Object.keys(declineForm.fields).sort());
    const display = formDisplay(declineForm, stored);
    for (const row of display) expect(row.text, row.key).not.toBe('');
    expect(display[0].text).toBe('时间无法安排');
    expect(cardText(declinedCard({ application, reason: display.map((r) => r.text).join('：'), arranged: true }))).toContain(`时间无法安排：${display[1].text}`);
  });

  it('the expert add form: card inputs keep what was picked and typed', () => {
    const typed = validFormValue(expertAddForm, { experts: ['ou_expert1', 'ou_expert2'], maxLoad: '２０' });
    const card = expertPoolCard({ experts: [], total: 0, active: 0, page: 1, pages: 1, candidates: ['ou_other'], descriptor: expertAddForm, values: typed });
    expectValidCard(card);
    expect(formFieldNames(card)).toEqual(Object.keys(expertAddForm.fields));
    const json = JSON.stringify(card);
    expect(json).toContain('"selected_values":["ou_expert1","ou_expert2"]');
    expect(json).toContain('"default_value":"２０"');
    for (const key of ['expertsLookup', 'organization', 'specialities']) expect(json, key).toContain(`"default_value":${JSON.stringify(typed[key])}`);
    const stored = formSchema(expertAddForm).parse(typed) as Record<string, unknown>;
    expect(Object.keys(stored).sort()).toEqual(Object.keys(expertAddForm.fields).sort());
    expect(stored.maxLoad).toBe(20);
    for (const row of formDisplay(expertAddForm, stored)) expect(row.text, row.key).not.toBe('');
  });
});

/** The header of the workbook's scoring sheet for a sheet. */
async function workbookScores(sheet: ScoreSheet): Promise<{ workbook: unknown[] }> {
  const data: ResultsData = { cycle: { id: 1, year: 2027, status: 'published', scoreSheet: sheet, updatedAt: new Date('2027-07-20T10:00:00+08:00') } as unknown as Cycle, sheet, rows: [], applications: [], scores: [] };
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load((await reviewWorkbook(data, applicationForm)) as unknown as ArrayBuffer);
  return { workbook: (wb.worksheets[1].getRow(1).values as unknown[]).slice(1) };
}

describe('a picker’s placeholder names the field alone', () => {
  it('“请选择谢绝原因类型”, not the label’s required mark and article (“请选择谢绝原因类型 *（第十七条）”)', async () => {
    const { declineForm } = await import('../src/review/scoring.js');
    const { formInputs } = await import('../cards/forms.js');
    const placeholders = JSON.stringify(formInputs(declineForm, {}, { clientRequired: true })).match(/"placeholder":\{"tag":"plain_text","content":"请选择[^"]*"/g) ?? [];
    expect(placeholders.length).toBeGreaterThan(0);
    for (const p of placeholders) expect(p).not.toMatch(/\*|（第/);
  });
});
