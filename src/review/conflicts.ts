import { type DisplayRow, defineForm, formDisplay, readCode } from '../forms.js';

/**
 * 声明利益冲突 (第十七条), described once: an expert names a team by its code or an organisation by its
 * full name, and why. The schema (`readForm` in `declareConflict`), the card's inputs and the list of
 * what was declared all come from it.
 */
export const conflictForm = defineForm({
  name: 'conflict_form',
  title: '声明利益冲突',
  fields: {
    kind: {
      kind: 'select',
      label: '冲突对象',
      article: '第十七条',
      options: [
        { value: 'team', label: '班组' },
        { value: 'organization', label: '单位' },
      ],
    },
    target: { kind: 'text', label: '班组编号或单位名称', help: '班组填编号，单位填全称', maxLength: 100, placeholder: '如 GDSZ-2026-0001，或 广州市市政工程维修有限公司', example: 'GDSZ-2026-0001' },
    reason: { kind: 'text', label: '冲突原因', maxLength: 500, placeholder: '如 曾在该单位任职、亲属在该班组' },
  },
});

/** A stored declaration as its form reads: the kind, the team (code and name) or organisation, the reason. */
export function conflictDisplay(c: { kind: 'team' | 'organization'; label: string; reason: string | null }): DisplayRow[] {
  return formDisplay(conflictForm, { kind: c.kind, target: c.label, reason: c.reason });
}

/** A team's code as the bot issues it (GDSZ-2026-0001, `nextTeamCode`), wherever it stands in what was typed. */
const ISSUED_CODE = /GDSZ-\d{4}-\d{4,}/g;
/** A code as 导入 takes it (letters, digits, - and _): what was typed, when it is one alone. */
const CODE_ALONE = /^[A-Z0-9][A-Z0-9_-]{0,29}$/;
/** A code in the brackets the task card and the lists put it in: 班组名（GDSZ-2026-0001）. */
const BRACKETED_CODE = /[（(]\s*([A-Z0-9][A-Z0-9_-]{0,29})\s*[)）]/g;

/** What a 声明利益冲突 names, without the stop or comma a phone's keyboard leaves after it (佛山市水务营运有限公司。). */
export const conflictTarget = (typed: string) => typed.trim().replace(/[。！!？?，,；;、\s]+$/u, '');

/**
 * The team codes an expert may mean by what they typed for 冲突对象 班组: the whole of it when it reads as a code, else
 * every issued code in it and any code in brackets, as copied from a card (b2030班组2（GDSZ-2027-00002）, 编号GDSZ-2027-00002,
 * GDSZ-2027-00002 班组名); each once, in the order typed.
 */
export function teamCodesTyped(target: string): string[] {
  const text = readCode(target);
  if (CODE_ALONE.test(text)) return [text];
  return [...new Set([...[...text.matchAll(ISSUED_CODE)].map((m) => m[0]), ...[...text.matchAll(BRACKETED_CODE)].map((m) => m[1])])];
}
