import type { FieldSpec, FormDescriptor } from '../../src/forms.js';
import { scoreFields } from '../../src/review/scoring.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';

/** Form values as Feishu sends them for the bot's forms: complete and valid unless overridden. */

/** 申报表: every field; the start date carries the zone suffix some clients add to a date picker. */
export const applicationForm = (overrides: Record<string, unknown> = {}) => ({
  title: '提高沥青路面修补一次合格率',
  category: 'maintenance',
  startDate: '2026-04-01 +0800',
  endDate: '2027-03-31',
  goalRate: '100',
  trainingRate: '96',
  examPassRate: '93.5',
  accidents: 'none',
  customer: '业主单位书面确认，满意度 97%',
  qc: '成立 QC 小组 2 个，完成课题 3 项',
  summary: '修补一次合格率由 86% 提升到 97%',
  features: '冷补料快速修补工法可在全省推广',
  materialsUrl: 'https://example.feishu.cn/docx/abc',
  ...overrides,
});

/** 注册表 of a team named after `name`, naming `contact` as the organisation contact. */
export const registrationForm = (name: string, contact: string, overrides: Record<string, unknown> = {}) => ({
  teamName: name,
  organization: '广州市市政工程维修有限公司',
  department: '养护事业部',
  teamType: 'project',
  phone: '020-12345678',
  memberCount: '12',
  functions: '城市道路日常养护与应急抢修',
  goals: '道路完好率 98% 以上',
  plan: '每月开展一次 QC 活动',
  contact,
  ...overrides,
});

/** A valid value of each kind, as Feishu sends it: numbers as typed strings, a person as an open_id. */
function validValue(f: FieldSpec, person: string): unknown {
  if (f.example !== undefined) return f.example;
  switch (f.kind) {
    case 'text':
    case 'longText':
      return `${f.label}（示例）`.slice(0, f.maxLength);
    case 'url':
      return 'https://example.feishu.cn/docx/abc';
    case 'number':
    case 'integer':
    case 'percent':
      return String(Math.min(f.max, Math.max(f.min, 96)));
    case 'date':
      return '2026-04-01';
    case 'select':
      return f.options[0].value;
    case 'person':
      return person;
    case 'persons':
      return [person];
    case 'checkbox':
      return true;
  }
}

/** A complete, valid form_value for any descriptor: every field, required or not, filled. */
export function validFormValue(d: FormDescriptor, overrides: Record<string, unknown> = {}, person = 'ou_example0000000000000000000000001'): Record<string, unknown> {
  return { ...Object.fromEntries(Object.entries(d.fields).map(([k, f]) => [k, validValue(f, person)])), ...overrides };
}

/** Numbers as a Chinese keyboard types them: “９６” for 96, “４．５” for 4.5. */
export const fullWidth = (s: string) => s.replace(/[0-9.%,-]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

const defaultSheetFields = scoreFields(defaultScoreSheet);

/** A score form of the default sheet adding up to `total`: every item at its max, then points taken off in order. */
export function scoreForm(total: number, comment = ''): Record<string, string> {
  let off = 100 - total;
  const out: Record<string, string> = { comment };
  for (const f of defaultSheetFields) {
    const cut = Math.min(f.max, off);
    out[f.field] = String(f.max - cut);
    off -= cut;
  }
  return out;
}
