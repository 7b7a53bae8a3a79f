import { createHash } from 'node:crypto';
import { organizationKey } from '../organizations.js';

/**
 * 导出当前名册 stamps its file: when it was exported and, of each team, expert and title it holds, a fingerprint of each
 * field as the bot held it then. Sent back days later, the import tells a field changed in the bot since (its
 * fingerprint differs from the one now) from one the file leaves as it was exported, and the preview names the rows
 * whose file values would set such a newer change back. Fingerprints, not values: the file carries no open_id, and a
 * row sorted, moved or deleted in Excel is still found by its key. A file without the stamp (the template, one of her
 * own, one copied out of the export) is imported as before.
 */

/** The sheet the stamp is in: very hidden (Excel lists it under no 取消隐藏), kept as Excel and WPS save the file. */
export const STAMP_SHEET = '导出记录';
/** The stamp's form: a file of another form is read as one without a stamp. */
const STAMP_FORM = 'register-stamp-v1';
const PRINT = 8;

/** The fields fingerprinted, as the preview names them, in the order of their fingerprints. */
export const teamFields = ['班组名称', '所属单位', '班组类型', '班组长', '单位联系人', '注册日期', '成员人数', '主管部门'] as const;
export const expertFields = ['姓名', '所属单位', '专业特长', '评审上限', '专家身份'] as const;
export const honourFields = ['称号'] as const;

/** The stamp as read back: the export's time, as its 说明 says it, and the fingerprints by key. */
export interface ExportStamp {
  at: string;
  shown: string;
  /** by team code */
  teams: Record<string, string>;
  /** by the person's key (m:13800000001, e:li@example.com), as the 专家 sheet names them */
  experts: Record<string, string>;
  /** by team code and year: GDSZ-2024-0001|2024 */
  honours: Record<string, string>;
}

const fingerprint = (field: string, value: string) => createHash('sha256').update(`${field}\u0000${value}`).digest('hex').slice(0, PRINT);
const prints = (fields: readonly string[], values: readonly string[]) => fields.map((f, i) => fingerprint(f, values[i])).join('');

/** A team's fields as the import compares them: its name and organisation by their key (src/organizations.ts). */
export const teamValues = (t: { name: string; organizationKey: string; type: string; leaderOpenId: string; contactOpenId: string; registeredAt: string; memberCount: number; department: string }) => [
  organizationKey(t.name),
  t.organizationKey,
  t.type,
  t.leaderOpenId,
  t.contactOpenId,
  t.registeredAt,
  String(t.memberCount),
  t.department,
];
export const expertValues = (p: { name: string | null; organizationKey: string | undefined; specialities: readonly string[]; maxLoad: number | null; roles: readonly string[] }) => [
  p.name ?? '',
  p.organizationKey ?? '',
  p.specialities.join('、'),
  p.maxLoad === null ? '' : String(p.maxLoad),
  p.roles.includes('expert') ? 'expert' : '',
];

export const teamPrints = (values: readonly string[]) => prints(teamFields, values);
export const expertPrints = (values: readonly string[]) => prints(expertFields, values);
export const honourPrints = (title: string) => prints(honourFields, [title]);

/**
 * Whether a field changed since the export: the stamp holds another fingerprint of it than `value` (or any of `alike`,
 * values that are the same one: a person imported by a mobile, linked since). A stamp without the row says nothing.
 */
export function changedSince(stamped: string | undefined, fields: readonly string[], field: string, value: string, alike: readonly string[] = []): boolean {
  const i = fields.indexOf(field);
  if (stamped === undefined || i < 0) return false;
  const then = stamped.slice(i * PRINT, (i + 1) * PRINT);
  return ![value, ...alike].some((v) => fingerprint(field, v) === then);
}

/** The stamp sheet's rows: its form and time, then each key with its fingerprints (teams in A:B, experts C:D, titles E:F). */
export function stampRows(s: ExportStamp): (string | null)[][] {
  const columns = [Object.entries(s.teams), Object.entries(s.experts), Object.entries(s.honours)];
  const rows: (string | null)[][] = [[STAMP_FORM, s.at, s.shown]];
  const n = Math.max(...columns.map((c) => c.length));
  for (let i = 0; i < n; i++) rows.push(columns.flatMap((c) => (c[i] ? [c[i][0], c[i][1]] : [null, null])));
  return rows;
}

/** The stamp of the sheet's rows as read (cell texts), or undefined for a sheet of another form. */
export function readStamp(rows: readonly (readonly string[])[]): ExportStamp | undefined {
  const [head, ...rest] = rows;
  if (!head || head[0] !== STAMP_FORM || !head[1] || Number.isNaN(Date.parse(head[1]))) return undefined;
  const stamp: ExportStamp = { at: head[1], shown: head[2] || head[1], teams: {}, experts: {}, honours: {} };
  const lengths = [teamFields.length, expertFields.length, honourFields.length].map((n) => n * PRINT);
  const maps = [stamp.teams, stamp.experts, stamp.honours];
  for (const r of rest) {
    maps.forEach((map, k) => {
      const [key, value] = [r[2 * k] ?? '', r[2 * k + 1] ?? ''];
      if (key && value.length === lengths[k] && /^[0-9a-f]+$/.test(value)) map[key] = value;
    });
  }
  return stamp;
}
