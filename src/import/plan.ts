import { asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import { auditLog, cycles, honours, organizations, people, teamMembers, teams } from '../../db/schema.js';
import { DEFAULT_TIMEZONE } from '../cycles.js';
import { formatDateZh, isRealDate, momentIn, todayIn } from '../dates.js';
import { cite } from '../errors.js';
import { readCode, readDate, readNumber } from '../forms.js';
import { organizationKey } from '../organizations.js';
import { mobileLength } from '../phone.js';
import { type ExpertDetails, noLimitTyped, noSpecialitiesTyped, splitSpecialities } from '../review/experts.js';
import { type ApplicationUnderWay, applicationsUnderWay, teamTypeLabel, teamTypes } from '../teams.js';
import { changedSince, expertFields, expertValues, honourFields, teamFields, teamValues } from './exportStamp.js';
import { isPending, mistypedMobileIn, PENDING_PREFIX, type PersonRef, pendingOpenId, personRef, refKey } from './people.js';
import { EARLIEST_REGISTRATION, type ExpertRow, type ImportWorkbook, isTemplateExample, type TeamRow, type UnreadableCell, unreadableProblem } from './workbook.js';
import { cutText } from '../../cards/kit.js';

/**
 * The dry run: every row of the workbook is to be added, to be updated (with what changes), unchanged,
 * or refused with the reason; the same function, run again inside the applying transaction, is what
 * gets applied, so a confirmation never writes what the database no longer allows.
 */

export type SheetKey = 'organizations' | 'teams' | 'experts' | 'honours';
/** The label of a row without a name: wherever a label is shown, its row is shown before it (班组第 2 行 （未填名称）). */
const UNNAMED = '（未填名称）';

export const sheetLabels: Record<SheetKey, string> = { organizations: '单位', teams: '班组', experts: '专家', honours: '荣誉' };

export interface PlannedRow {
  sheet: SheetKey;
  row: number;
  label: string;
  changes?: string[];
  /** a team added with its own code: reserved as 确认导入 starts, so the job writes what the preview showed */
  code?: string;
}

export interface RefusedRow {
  sheet: SheetKey;
  row: number;
  label: string;
  reason: string;
}

/** What the dry-run card shows, stored with the import. */
export interface ImportSummary {
  add: PlannedRow[];
  update: PlannedRow[];
  unchanged: Record<SheetKey, number>;
  refused: RefusedRow[];
  /** people not (yet) found through the contact API: kept, linked when they first message the bot */
  pending: { key: string; name: string }[];
  /**
   * A team's leader or contact the file names by a mobile or e-mail not found, where the team already has someone
   * linked to Feishu in that place: that person stays (a re-import never swaps a real user for a placeholder).
   */
  kept?: { row: number; label: string; role: '班组长' | '单位联系人' }[];
  /** what reading the file passed over (a sheet not read, rows skipped) or should say (the sheet read is hidden) */
  notes?: string[];
  /** the teams whose 班组长 the import changes: the leader on record (their name, or the mobile or e-mail they were imported by) and the one the file names */
  leaderChanges?: { row: number; label: string; from: string; to: string; fromUnlinked?: true; toUnlinked?: true }[];
  /**
   * A register exported by 导出当前名册 sent back: the rows whose file values would set back a field changed in the bot
   * since the file was exported (src/import/exportStamp.ts), each such field with the value in the bot now and the file's.
   * `exportedAt` is the export's time as its 说明 says it.
   */
  sinceExport?: { exportedAt: string; rows: SetBackRow[] };
}

export interface SetBackRow {
  sheet: SheetKey;
  row: number;
  label: string;
  fields: { field: string; now: string; file: string }[];
}

interface TeamValues {
  code?: string;
  name: string;
  organization: string;
  type: string;
  leader: string;
  contact: string;
  registeredAt: string;
  memberCount: number;
  department?: string;
  phone: string;
}

export type TeamOp = { row: number; values: TeamValues } & ({ kind: 'add' } | { kind: 'update'; teamId: number; changes: string[] });
/** An expert's row; a blank 专业特长 or 评审上限 is undefined, kept as stored (ExpertDetails), as in 专家库's form. */
export type ExpertOp = { row: number; kind: 'add' | 'update'; openId: string; name: string; organization: string; changes: string[] } & ExpertDetails;
export type HonourOp = { row: number; kind: 'add' | 'update'; team: TeamRef; year: number; title: string };
export interface PersonOp {
  openId: string;
  name: string | null;
  pending: boolean;
}

export interface ImportPlan {
  summary: ImportSummary;
  organizations: string[];
  people: PersonOp[];
  teams: TeamOp[];
  experts: ExpertOp[];
  honours: HonourOp[];
}

/** Every mobile and e-mail the workbook names, for one round of contact look-ups. */
export function peopleToResolve(wb: ImportWorkbook): { mobiles: string[]; emails: string[] } {
  const refs = [...wb.teams.flatMap((t) => [t.leader, t.contact]), ...wb.experts.map((e) => e.person)].map(personRef).filter((r): r is PersonRef => !!r);
  return {
    mobiles: [...new Set(refs.filter((r) => r.kind === 'mobile').map((r) => r.key))],
    emails: [...new Set(refs.filter((r) => r.kind === 'email').map((r) => r.key))],
  };
}

/**
 * YYYY-MM-DD from 2024-03-15, 2024/3/15, 2024.3.15, 2024年3月15日 or an Excel day number; undefined otherwise. A moment
 * with its offset (2024-03-14T16:00:00.000Z, as a system exports Beijing's midnight of 15 March) is its day in
 * `timeZone` (BOT_TIMEZONE), not the day written before its time: that was the day before, in UTC.
 */
export function importDate(s: string, timeZone: string = DEFAULT_TIMEZONE): string | undefined {
  const t = s.trim();
  const at = /\d:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})$/i.test(t) ? momentIn(t, timeZone) : undefined;
  if (at) return todayIn(timeZone, at);
  if (/^\d{5}(\.\d+)?$/.test(t)) {
    // Excel's day numbers count from 1899-12-30; a fraction is the time of day, which a date does not keep
    return new Date(Date.UTC(1899, 11, 30) + Math.floor(Number(t)) * 86_400_000).toISOString().slice(0, 10);
  }
  const date = readDate(t);
  return isRealDate(date) ? date : undefined;
}

/** A 荣誉 row's 年度: 2025, or 2025年 / 2025 年度 as a secretary types it, from 1990 to `max`. */
export const importYear = (s: string, max: number): number | undefined => wholeNumber(s.trim().replace(/\s*年度?$/, ''), 1990, max);

const wholeNumber = (s: string, min: number, max: number): number | undefined => {
  const n = readNumber(s);
  return n !== undefined && Number.isInteger(n) && n >= min && n <= max ? n : undefined;
};

/** Why the template's example row, left in the file, is not imported. */
const exampleRow = '这是导入模板的示例行，不会导入：请删除该行，或改成真实数据';

const typeOf = (s: string) => teamTypes.find((t) => t.label === s.trim() || t.value === s.trim())?.value;
const teamCodePattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,29}$/;

/** Links made when an imported person first messaged the bot (audit 'person.link'): workbook key → open_id. */
async function linkedKeys(tx: Db): Promise<Map<string, string>> {
  const rows = await tx
    .select({ key: sql<string>`${auditLog.details}->>'key'`, openId: auditLog.entityId })
    .from(auditLog)
    .where(eq(auditLog.action, 'person.link'));
  return new Map(rows.map((r) => [r.key, r.openId]));
}

export async function planImport(tx: Db, wb: ImportWorkbook, resolved: Record<string, string>, today: string, timeZone: string = DEFAULT_TIMEZONE): Promise<ImportPlan> {
  const summary: ImportSummary = { add: [], update: [], unchanged: { organizations: 0, teams: 0, experts: 0, honours: 0 }, refused: [], pending: [] };
  const refuse = (sheet: SheetKey, row: number, label: string, reason: string) => summary.refused.push({ sheet, row, label, reason });
  // the 班组 rows refused, for a 荣誉 row naming one of them
  const refusedTeams: { row: number; name: string; code: string; reason: string }[] = [];

  // the example 单位 and 荣誉 rows could be real ones: they count as examples only beside the example team or expert
  const examplesLeft = wb.teams.some((r) => isTemplateExample('teams', r)) || wb.experts.some((r) => isTemplateExample('experts', r));
  const linked = await linkedKeys(tx);
  // 导出当前名册's stamp, and of each person linked since, the placeholder they held: the same person, not a change
  const stamp = wb.exported;
  const heldBefore = new Map<string, string[]>();
  for (const [key, openId] of linked) heldBefore.set(openId, [...(heldBefore.get(openId) ?? []), `${PENDING_PREFIX}${key}`]);
  // the rows setting back a change made in the bot since the export; a person by open_id, named at the end
  const setBack: { row: SetBackRow; op?: TeamOp; people: string[] }[] = [];
  const shownOrEmpty = (s: string | null | undefined) => s?.trim() || '（空）';
  const personFor = new Map<string, PersonOp>();
  const resolvedId = (ref: PersonRef): string => {
    const key = refKey(ref);
    return resolved[key] ?? linked.get(key) ?? pendingOpenId(ref);
  };
  const openIdOf = (ref: PersonRef, name: string): string => {
    const openId = resolvedId(ref);
    const known = personFor.get(openId);
    if (!known) personFor.set(openId, { openId, name: name || null, pending: openId === pendingOpenId(ref) });
    else if (!known.name && name) known.name = name;
    return openId;
  };
  /**
   * The first row naming each mobile or e-mail with a name: one mobile or e-mail is one person, so a later row giving it
   * another name is refused (a typo in the number would otherwise make two people one, silently).
   */
  const namedFirst = new Map<string, { sheet: SheetKey; row: number; name: string; what: string }>();
  const nameOf = (name: string) => name.replace(/\s+/g, '');
  const nameClash = (cell: string, name: string, what: string): string | undefined => {
    const ref = personRef(cell);
    const first = ref && name.trim() ? namedFirst.get(refKey(ref)) : undefined;
    if (!first || nameOf(first.name) === nameOf(name)) return undefined;
    return `${what}“${cell.trim()}”在“${sheetLabels[first.sheet]}”表第 ${first.row} 行是${first.what}“${first.name}”，本行写作“${name.trim()}”：同一手机号或邮箱只能是一个人。是同一人请把两行的姓名改成一致，不是同一人请改正其中一行的手机号或邮箱`;
  };
  const noteNames = (sheet: SheetKey, row: number, people: [cell: string, name: string, what: string][]) => {
    for (const [cell, name, what] of people) {
      const ref = personRef(cell);
      if (ref && name.trim() && !namedFirst.has(refKey(ref))) namedFirst.set(refKey(ref), { sheet, row, name: name.trim(), what });
    }
  };
  /** A team's leader or contact: the one named, unless that one is not found and the team's own is a Feishu user. */
  const kept: NonNullable<ImportSummary['kept']> = [];
  const teamPerson = (ref: PersonRef, name: string, current: string | undefined, row: number, label: string, role: '班组长' | '单位联系人'): string => {
    const named = resolvedId(ref);
    if (current && named === pendingOpenId(ref) && !current.startsWith('pending:')) {
      kept.push({ row, label, role });
      return current;
    }
    return openIdOf(ref, name);
  };

  // 单位
  // one organisation however its name is typed: names are compared by their key (src/organizations.ts), and a spelling
  // of one already here, or earlier in the file, is that one (no row to add, no 所属单位 changed)
  const orgRows = await tx.select({ id: organizations.id, key: organizations.key, name: organizations.name }).from(organizations);
  const orgIdByKey = new Map(orgRows.map((o) => [o.key, o.id]));
  const orgKeyById = new Map(orgRows.map((o) => [o.id, o.key]));
  const orgNameById = new Map(orgRows.map((o) => [o.id, o.name]));
  const newOrganizations: string[] = [];
  const newKeys = new Set<string>();
  for (const o of wb.organizations) {
    const name = o.name.trim();
    const key = organizationKey(name);
    if (unreadableProblem(o)) refuse('organizations', o.row, name || UNNAMED, unreadableProblem(o)!);
    else if (examplesLeft && isTemplateExample('organizations', o)) refuse('organizations', o.row, name, exampleRow);
    else if (name.length > 100) refuse('organizations', o.row, cutText(name, 20), '单位名称超过 100 字');
    else if (orgIdByKey.has(key) || newKeys.has(key)) summary.unchanged.organizations++;
    else {
      newOrganizations.push(name);
      newKeys.add(key);
      summary.add.push({ sheet: 'organizations', row: o.row, label: name });
    }
  }
  const knownOrganization = (name: string) => orgIdByKey.has(organizationKey(name)) || newKeys.has(organizationKey(name));

  // 班组
  const existing = await tx.select().from(teams);
  // the teams' members (not their leaders): none of them may become the team's contact
  const membersOf = new Map<number, Set<string>>();
  for (const m of await tx.select({ teamId: teamMembers.teamId, openId: teamMembers.openId }).from(teamMembers).where(eq(teamMembers.role, 'member'))) {
    membersOf.set(m.teamId, (membersOf.get(m.teamId) ?? new Set()).add(m.openId));
  }
  const byCode = new Map(existing.map((t) => [t.code, t]));
  // a team's name compared as an organisation's is (养护(四)班 and 养护（四）班 are one team)
  const byOrgName = new Map(existing.map((t) => [`${t.organizationId}|${organizationKey(t.name)}`, t]));
  const codeRow = new Map<string, number>();
  const nameRow = new Map<string, number>();
  const teamOps: TeamOp[] = [];
  const fileTeams: FileTeam[] = [];
  // the rows that rename a team here or move it to another organisation: checked against its application after the loop
  const moves: { op: TeamOp & { kind: 'update' }; label: string; file: FileTeam; name: string; organization: string; registeredAt: string }[] = [];
  const sameNamePending: number[] = [];
  // the rows that change a team's 班组长, named in the preview with the leader on record
  const leaderChanged: { op: TeamOp; label: string; from: string; to: string }[] = [];
  for (const r of wb.teams) {
    const label = r.name ? `${r.name}${r.organization ? `（${r.organization}）` : ''}` : UNNAMED;
    if (isTemplateExample('teams', r)) {
      refuse('teams', r.row, label, exampleRow);
      continue;
    }
    // every problem of the row at once, its own cells' first, then another row or a team here holding its code or name
    const problems = teamProblems(r, today, timeZone, knownOrganization);
    // a code is read as it is wherever one is asked for: half width, upper case (GDSZ-2024-0001 typed in full width is that code)
    const code = readCode(r.code) || undefined;
    const name = r.name.trim();
    const organization = r.organization.trim();
    if (code && codeRow.has(code)) problems.push(`班组编号“${code}”与第 ${codeRow.get(code)} 行重复`);
    const nameKey = `${organizationKey(organization)}|${organizationKey(name)}`;
    if (name && nameRow.has(nameKey)) problems.push(`与第 ${nameRow.get(nameKey)} 行是同一单位的同名班组`);
    const orgId = orgIdByKey.get(organizationKey(organization));
    const sameCode = code ? byCode.get(code) : undefined;
    const sameName = orgId !== undefined ? byOrgName.get(`${orgId}|${organizationKey(name)}`) : undefined;
    if (name && organization) {
      if (sameCode && sameName && sameCode.id !== sameName.id) problems.push(`班组编号“${code}”已属于“${sameCode.name}”，而本单位的同名班组编号为 ${sameName.code}`);
      // a code the bot gave another team, of another name in another organisation: a typo, not that team renamed and moved
      else if (sameCode && !sameName && organizationKey(sameCode.name) !== organizationKey(name) && orgKeyById.get(sameCode.organizationId) !== organizationKey(organization)) {
        problems.push(`班组编号“${code}”已属于另一单位的“${sameCode.name}”，与本行的班组名称和所属单位都不同：请核对编号（新班组可不填编号，由机器人分配）`);
      } else if (code && !sameCode && sameName) problems.push(`本单位已有同名班组，编号为 ${sameName.code}，与文件中的“${code}”不同：请改用原编号`);
    }
    const clash = nameClash(r.leader, r.leaderName, '班组长') ?? nameClash(r.contact, r.contactName, '单位联系人');
    if (clash) problems.push(clash);
    if (problems.length) {
      refuse('teams', r.row, label, problems.join('；'));
      continue;
    }
    if (code) codeRow.set(code, r.row);
    nameRow.set(nameKey, r.row);
    const leaderRef = personRef(r.leader)!;
    const current = sameCode ?? sameName;
    const values: TeamValues = {
      code,
      name,
      organization,
      type: typeOf(r.type)!,
      leader: teamPerson(leaderRef, r.leaderName.trim(), current?.leaderOpenId, r.row, label, '班组长'),
      contact: teamPerson(personRef(r.contact)!, r.contactName.trim(), current?.contactOpenId, r.row, label, '单位联系人'),
      registeredAt: importDate(r.registeredAt, timeZone)!,
      memberCount: wholeNumber(r.memberCount, 1, 500)!,
      department: r.department.trim() || undefined,
      phone: leaderRef.kind === 'mobile' ? leaderRef.key : '',
    };
    // 第十五条: the organisation confirms, so its contact is not the leader (as at 注册); one person named twice, or by
    // a mobile and an e-mail Feishu finds to be one user
    if (values.leader === values.contact) {
      for (let i = kept.length - 1; i >= 0; i--) if (kept[i].row === r.row) kept.splice(i, 1);
      refuse('teams', r.row, label, cite(15, '单位联系人与班组长是同一人：申报材料须由所在单位确认并填写推荐意见，请填写单位里负责确认推荐的其他人员（如质量负责人）'));
      continue;
    }
    // 第十五条 as 修改资料 refuses it: a contact changed to one of the team's members (its leader is refused above), who
    // could not then confirm the team's application
    if (current && values.contact !== current.contactOpenId && membersOf.get(current.id)?.has(values.contact)) {
      for (let i = kept.length - 1; i >= 0; i--) if (kept[i].row === r.row) kept.splice(i, 1);
      const who = `${r.contact.trim()}${r.contactName.trim() ? `（${r.contactName.trim()}）` : ''}`;
      refuse(
        'teams',
        r.row,
        label,
        cite(15, `单位联系人“${who}”是本班组成员：申报材料须由所在单位确认并填写推荐意见，单位联系人不能是本班组成员。请在“单位联系人手机或邮箱”列改填班组以外的单位人员，或先将其移出班组后再导入`),
      );
      continue;
    }
    // both not found, of one name, by two mobiles or e-mails: likely one person, whom a first message links as the leader only
    if (isPending(values.leader) && isPending(values.contact) && r.leaderName.trim() && nameOf(r.leaderName) === nameOf(r.contactName)) sameNamePending.push(r.row);
    noteNames('teams', r.row, [
      [r.leader, r.leaderName, '班组长'],
      [r.contact, r.contactName, '单位联系人'],
    ]);
    const target = sameCode ?? sameName;
    const file: FileTeam = { code: target?.code ?? code, name, ref: target ? { teamId: target.id } : { fileRow: r.row } };
    fileTeams.push(file);
    if (!target) {
      teamOps.push({ kind: 'add', row: r.row, values });
      summary.add.push({ sheet: 'teams', row: r.row, label: `${code ?? '（分配编号）'} ${label}`, ...(code ? { code } : {}) });
      continue;
    }
    const changes: string[] = [];
    // another spelling of the team's own name changes nothing (the name first registered stays)
    if (organizationKey(target.name) !== organizationKey(name)) changes.push('班组名称');
    else values.name = target.name;
    if (orgKeyById.get(target.organizationId) !== organizationKey(organization)) changes.push('所属单位');
    if (target.type !== values.type) changes.push('班组类型');
    if (target.leaderOpenId !== values.leader) changes.push('班组长');
    if (target.contactOpenId !== values.contact) changes.push('单位联系人');
    if (target.registeredAt !== values.registeredAt) changes.push('注册日期');
    if (target.memberCount !== values.memberCount) changes.push('成员人数');
    if (values.department !== undefined && target.department !== values.department) changes.push('主管部门');
    if (!changes.length) {
      summary.unchanged.teams++;
      continue;
    }
    const op: TeamOp = { kind: 'update', row: r.row, teamId: target.id, values, changes };
    teamOps.push(op);
    const stampedTeam = stamp?.teams[target.code];
    if (stampedTeam) {
      const now = teamValues({ ...target, organizationKey: orgKeyById.get(target.organizationId) ?? '' });
      const personCell = (cell: string, name: string) => (name.trim() ? `${name.trim()}（${cell.trim()}）` : cell.trim());
      const shown: Record<string, [now: string, file: string]> = {
        班组名称: [target.name, name],
        所属单位: [orgNameById.get(target.organizationId) ?? '', organization],
        班组类型: [teamTypeLabel(target.type), teamTypeLabel(values.type)],
        班组长: [target.leaderOpenId, personCell(r.leader, r.leaderName)],
        单位联系人: [target.contactOpenId, personCell(r.contact, r.contactName)],
        注册日期: [target.registeredAt, values.registeredAt],
        成员人数: [String(target.memberCount), String(values.memberCount)],
        主管部门: [shownOrEmpty(target.department), shownOrEmpty(values.department)],
      };
      const back = changes.filter((f) => {
        const value = now[teamFields.indexOf(f as (typeof teamFields)[number])];
        return changedSince(stampedTeam, teamFields, f, value, f === '班组长' || f === '单位联系人' ? heldBefore.get(value) : []);
      });
      if (back.length) {
        setBack.push({
          op,
          row: { sheet: 'teams', row: r.row, label: `${target.code} ${label}`, fields: back.map((f) => ({ field: f, now: shown[f][0], file: shown[f][1] })) },
          people: back.filter((f) => f === '班组长' || f === '单位联系人'),
        });
      }
    }
    if (changes.includes('班组长')) leaderChanged.push({ op, label: `${target.code} ${label}`, from: target.leaderOpenId, to: r.leaderName.trim() ? `${r.leaderName.trim()}（${r.leader.trim()}）` : r.leader.trim() });
    summary.update.push({ sheet: 'teams', row: r.row, label: `${target.code} ${label}`, changes });
    // the 注册日期 too: 第十六条's year was checked against it when the application was submitted
    if (changes.includes('班组名称') || changes.includes('所属单位') || changes.includes('注册日期')) {
      moves.push({ op, label, file, name: target.name, organization: orgNameById.get(target.organizationId) ?? '', registeredAt: target.registeredAt });
    }
  }

  // 修改资料's rule: no rename while the running year's application is with the organisation, the association or the
  // experts, nor a move to another organisation (whose contact did not confirm it); the row is refused whole (its
  // other fields too, as one row is one change), the rest of the file applies. The teams' rows are locked first, as
  // 修改资料 locks its team, so a first submit waits for this transaction; the confirmation plans again, so an
  // application submitted after the preview refuses the row then.
  if (moves.length) {
    const ids = [...new Set(moves.map((m) => m.op.teamId))].sort((a, b) => a - b);
    await tx.select({ id: teams.id }).from(teams).where(inArray(teams.id, ids)).orderBy(asc(teams.id)).for('update');
    const underWay = await applicationsUnderWay(tx, ids);
    for (const m of moves) {
      const application = underWay.get(m.op.teamId);
      if (!application) continue;
      teamOps.splice(teamOps.indexOf(m.op), 1);
      summary.update.splice(summary.update.findIndex((u) => u.sheet === 'teams' && u.row === m.op.row), 1);
      fileTeams.splice(fileTeams.indexOf(m.file), 1);
      for (let i = kept.length - 1; i >= 0; i--) if (kept[i].row === m.op.row) kept.splice(i, 1);
      refuse('teams', m.op.row, m.label, movedUnderWay(m.op.changes, application, m.name, m.organization, m.registeredAt));
    }
    // in the file's order, as the card lists them
    const sheetRank = (sheet: SheetKey) => Object.keys(sheetLabels).indexOf(sheet);
    summary.refused.sort((a, b) => sheetRank(a.sheet) - sheetRank(b.sheet) || a.row - b.row);
  }

  // a row refused above (a move while the application is under way) changes no leader, nor sets anything back
  const leaderRows = leaderChanged.filter((c) => teamOps.includes(c.op));
  for (let i = setBack.length - 1; i >= 0; i--) if (setBack[i].op && !teamOps.includes(setBack[i].op!)) setBack.splice(i, 1);
  const setBackPeople = setBack.flatMap((b) => b.row.fields.filter((f) => b.people.includes(f.field)));
  const onRecord = [...new Set([...leaderRows.map((c) => c.from), ...setBackPeople.map((f) => f.now)])];
  const named = new Map(onRecord.length ? (await tx.select({ openId: people.openId, name: people.name }).from(people).where(inArray(people.openId, onRecord))).map((p) => [p.openId, p.name]) : []);
  // someone on record by no name: the mobile or e-mail they were imported by
  const nameOnRecord = (openId: string) => named.get(openId)?.trim() || (isPending(openId) ? openId.slice('pending:'.length + 2) : undefined);
  for (const f of setBackPeople) f.now = nameOnRecord(f.now) ?? '（未填姓名）';
  if (leaderRows.length) {
    // else who they are on the team
    const formerName = (openId: string) => nameOnRecord(openId) ?? '原班组长';
    // a leader not yet linked to Feishu is sent nothing (the new one hears of the team when their first message links them)
    summary.leaderChanges = leaderRows.map((c) => ({
      row: c.op.row,
      label: c.label,
      from: formerName(c.from),
      to: c.to,
      ...(isPending(c.from) ? { fromUnlinked: true as const } : {}),
      ...(isPending(c.op.values.leader) ? { toUnlinked: true as const } : {}),
    }));
  }

  for (const f of summary.refused) {
    const r = f.sheet === 'teams' ? wb.teams.find((t) => t.row === f.row) : undefined;
    if (r && r.name.trim()) refusedTeams.push({ row: f.row, name: r.name.trim(), code: readCode(r.code), reason: f.reason });
  }

  // 专家
  const expertOps: ExpertOp[] = [];
  const expertRow = new Map<string, number>();
  const expertRowById = new Map<string, number>();
  const pendingExperts: { op: ExpertOp; label: string; key: string }[] = [];
  for (const r of wb.experts) {
    const label = r.name || UNNAMED;
    if (isTemplateExample('experts', r)) {
      refuse('experts', r.row, label, exampleRow);
      continue;
    }
    // every problem of the row at once, as of a team's
    const problems = expertProblems(r, knownOrganization);
    const found = personRef(r.person);
    if (found && expertRow.has(refKey(found))) problems.push(`与第 ${expertRow.get(refKey(found))} 行是同一人（${r.person}）`);
    // a mobile in one row and an e-mail in another may be one Feishu account: two rows would add one expert twice,
    // which the apply refused part way through (ON CONFLICT cannot affect a row twice)
    else if (found && expertRowById.has(resolvedId(found))) {
      const sameAccount = expertRowById.get(resolvedId(found));
      problems.push(`与第 ${sameAccount} 行是同一人：${r.person.trim()} 与第 ${sameAccount} 行的手机或邮箱是同一个飞书账号`);
    }
    const clash = nameClash(r.person, r.name, '手机或邮箱');
    if (clash) problems.push(clash);
    if (problems.length) {
      refuse('experts', r.row, label, problems.join('；'));
      continue;
    }
    const ref = found!;
    expertRow.set(refKey(ref), r.row);
    expertRowById.set(resolvedId(ref), r.row);
    noteNames('experts', r.row, [[r.person, r.name, '专家']]);
    const openId = openIdOf(ref, r.name.trim());
    pendingExperts.push({
      label,
      key: refKey(ref),
      op: {
        row: r.row,
        kind: 'add',
        openId,
        name: r.name.trim(),
        organization: r.organization.trim(),
        // blank: kept as stored; 无 / 不限 (or 0): cleared
        specialities: noSpecialitiesTyped(r.specialities) ? [] : splitSpecialities(r.specialities).length ? splitSpecialities(r.specialities) : undefined,
        maxLoad: noLimitTyped(r.maxLoad) ? null : r.maxLoad.trim() ? wholeNumber(r.maxLoad, 1, 500)! : undefined,
        changes: [],
      },
    });
  }
  const expertIds = pendingExperts.map((e) => e.op.openId);
  const known = expertIds.length ? await tx.select().from(people).where(inArray(people.openId, expertIds)) : [];
  const personById = new Map(known.map((p) => [p.openId, p]));
  // rows whose blank 专业特长 or 评审上限 keeps what is stored, and which of the two: the preview says so
  const keptRows: number[] = [];
  const keptFields = new Set<string>();
  for (const { op, label, key } of pendingExperts) {
    const p = personById.get(op.openId);
    if (p) {
      const keeps = [op.specialities === undefined && p.specialities.length > 0 && '专业特长', op.maxLoad === undefined && p.maxLoad !== null && '评审上限'].filter((x): x is string => !!x);
      if (keeps.length) {
        keptRows.push(op.row);
        for (const k of keeps) keptFields.add(k);
      }
      if (p.name !== op.name) op.changes.push('姓名');
      if ((p.organizationId === null ? undefined : orgKeyById.get(p.organizationId)) !== organizationKey(op.organization)) op.changes.push('所属单位');
      if (op.specialities !== undefined && p.specialities.join('、') !== op.specialities.join('、')) op.changes.push('专业特长');
      if (op.maxLoad !== undefined && p.maxLoad !== op.maxLoad) op.changes.push('评审上限');
      if (!p.roles.includes('expert')) op.changes.push('专家身份');
      if (!op.changes.length) {
        summary.unchanged.experts++;
        continue;
      }
      op.kind = 'update';
      summary.update.push({ sheet: 'experts', row: op.row, label, changes: op.changes });
      const stamped = stamp?.experts[key];
      if (stamped) {
        const now = expertValues({ ...p, organizationKey: p.organizationId === null ? undefined : orgKeyById.get(p.organizationId) });
        const shown: Record<string, [now: string, file: string]> = {
          姓名: [shownOrEmpty(p.name), op.name],
          所属单位: [p.organizationId === null ? '（空）' : (orgNameById.get(p.organizationId) ?? ''), op.organization],
          专业特长: [p.specialities.join('、') || '无', op.specialities?.join('、') || '无'],
          评审上限: [String(p.maxLoad ?? '不限'), String(op.maxLoad ?? '不限')],
          专家身份: ['非专家', '专家'],
        };
        const back = op.changes.filter((f) => changedSince(stamped, expertFields, f, now[expertFields.indexOf(f as (typeof expertFields)[number])]));
        if (back.length) setBack.push({ row: { sheet: 'experts', row: op.row, label, fields: back.map((f) => ({ field: f, now: shown[f][0], file: shown[f][1] })) }, people: [] });
      }
    } else summary.add.push({ sheet: 'experts', row: op.row, label });
    expertOps.push(op);
  }

  // 荣誉
  const honourOps: HonourOp[] = [];
  const honourRow = new Map<string, number>();
  const existingHonours = await tx.select({ teamId: honours.teamId, year: honours.year, title: honours.title, cycleId: honours.cycleId }).from(honours);
  const honourOf = new Map(existingHonours.map((h) => [`${h.teamId}|${h.year}`, h]));
  // the years this bot reviews: their titles are awarded by 公布结果 (with the certificate), never imported
  const cycleYears = new Set((await tx.select({ year: cycles.year }).from(cycles)).map((c) => c.year));
  // a team's 注册日期 once the file is applied: its row of the 班组 sheet taken here, else the one on record
  const registeredOf = (team: TeamRef): string | undefined => {
    const op = teamOps.find((o) => ('teamId' in team ? o.kind === 'update' && o.teamId === team.teamId : o.kind === 'add' && o.row === team.fileRow));
    return op?.values.registeredAt ?? ('teamId' in team ? existing.find((t) => t.id === team.teamId)?.registeredAt : undefined);
  };
  // rows of a title of the year the team was registered: kept (historical records are loose), with a note (第十六条)
  const sameYearTitles: number[] = [];
  for (const r of wb.honours) {
    const label = `${r.team || '—'} ${r.year}`;
    const year = importYear(r.year, Number(today.slice(0, 4)));
    const title = r.title.trim();
    if (examplesLeft && isTemplateExample('honours', r)) {
      refuse('honours', r.row, label, exampleRow);
      continue;
    }
    // every problem of the row at once, as of a team's
    const found = r.team.trim() ? findTeam(r.team.trim(), existing, fileTeams, refusedTeams) : undefined;
    const team = found && !('problem' in found) ? found : undefined;
    const teamKey = team && ('teamId' in team ? `t${team.teamId}` : `r${team.fileRow}`);
    const before = team && 'teamId' in team && year !== undefined ? honourOf.get(`${team.teamId}|${year}`) : undefined;
    const registeredAt = team && registeredOf(team);
    const registeredYear = registeredAt ? Number(registeredAt.slice(0, 4)) : undefined;
    const problems = cellProblems(
      r,
      [
        ['班组编号或名称', r.team],
        ['年度', r.year],
        ['称号', r.title],
      ],
      [
        !!r.year.trim() && year === undefined && `年度“${r.year}”须为 1990–${today.slice(0, 4)} 的年份`,
        title.length > 100 && '称号超过 100 字',
        year !== undefined && cycleYears.has(year) && `${year} 年度的评审在本机器人中进行，称号由“公布结果”授予并颁发证书（第二十条），不能导入；荣誉表只导入此前年度的称号`,
        found && 'problem' in found && found.problem,
        !!teamKey && honourRow.has(`${teamKey}|${year}`) && `与第 ${honourRow.get(`${teamKey}|${year}`)} 行是同一班组同一年度`,
        // said once: a year the bot reviewed is told so above, whatever became of this team's title in it
        !!before?.cycleId && !(year !== undefined && cycleYears.has(year)) && `该班组 ${year} 年度的称号由本机器人评选产生（第二十条），不能由导入修改`,
        // a title before the team existed would read as 有效 and count toward 第二十二条 from that year
        year !== undefined && registeredYear !== undefined && year < registeredYear &&
          `${year} 年度的称号早于该班组的注册日期 ${formatDateZh(registeredAt!)}，而班组注册一年后方可参加评选（第十六条），请核对本行的年度，或“班组”表中该班组的注册日期`,
      ],
    );
    if (problems.length || !team || year === undefined) {
      refuse('honours', r.row, label, problems.join('；'));
      continue;
    }
    honourRow.set(`${teamKey}|${year}`, r.row);
    if (year === registeredYear) sameYearTitles.push(r.row);
    if (before && before.title === title) {
      summary.unchanged.honours++;
      continue;
    }
    honourOps.push({ row: r.row, kind: before ? 'update' : 'add', team, year, title });
    const stampedTitle = before && 'teamId' in team ? stamp?.honours[`${existing.find((t) => t.id === team.teamId)?.code}|${year}`] : undefined;
    if (before && changedSince(stampedTitle, honourFields, '称号', before.title ?? '')) {
      setBack.push({ row: { sheet: 'honours', row: r.row, label: `${r.team.trim()} ${year}`, fields: [{ field: '称号', now: shownOrEmpty(before.title), file: title }] }, people: [] });
    }
    (before ? summary.update : summary.add).push({ sheet: 'honours', row: r.row, label: `${r.team.trim()} ${year} ${title}`, ...(before ? { changes: ['称号'] } : {}) });
  }

  const used = new Set([...teamOps.flatMap((o) => [o.values.leader, o.values.contact]), ...expertOps.map((o) => o.openId)]);
  const peopleOps = [...personFor.values()].filter((p) => used.has(p.openId));
  summary.pending = peopleOps.filter((p) => p.pending).map((p) => ({ key: p.openId.slice('pending:'.length + 2), name: p.name ?? '' }));
  if (kept.length) summary.kept = kept;
  // a value as the card shows it whole at the terminal (npm run import): a list of specialities may be long
  const cut = (f: SetBackRow['fields'][number]) => ({ field: f.field, now: cutText(f.now, 100), file: cutText(f.file, 100) });
  if (stamp && setBack.length) summary.sinceExport = { exportedAt: stamp.shown, rows: setBack.map((b) => ({ ...b.row, fields: b.row.fields.map(cut) })) };
  const notes = [...(wb.notes ?? [])];
  if (sameNamePending.length) {
    const rows = sameNamePending.length > 6 ? `${sameNamePending.slice(0, 6).join('、')} 等 ${sameNamePending.length} 行` : `${sameNamePending.join('、')} 行`;
    notes.push(
      `“班组”表第 ${rows}的班组长与单位联系人同名、手机号或邮箱不同，且都未在飞书通讯录中找到：如是同一人，其首次给机器人发消息时只关联为班组长，单位联系人仍待另选（第十五条）。请核对，并填写单位里负责确认推荐的其他人员。`,
    );
  }
  if (keptRows.length) {
    const rows = keptRows.length > 6 ? `${keptRows.slice(0, 6).join('、')} 等 ${keptRows.length} 行` : `${keptRows.join('、')} 行`;
    const fields = ['专业特长', '评审上限'].filter((f) => keptFields.has(f)).join('、');
    notes.push(`“专家”表第 ${rows}的${fields}留空，保留机器人中已有的值；如需清空，专业特长填“无”，评审上限填“不限”。`);
  }
  if (sameYearTitles.length) {
    const rows = sameYearTitles.length > 6 ? `${sameYearTitles.slice(0, 6).join('、')} 等 ${sameYearTitles.length} 行` : `${sameYearTitles.join('、')} 行`;
    notes.push(`“荣誉”表第 ${rows}的称号年度与班组注册同年（第十六条规定班组注册一年后方可参加评选），仍照文件导入：如年度或注册日期有误，请改正后重新发送。`);
  }
  if (notes.length) summary.notes = notes;
  return { summary, organizations: newOrganizations, people: peopleOps, teams: teamOps, experts: expertOps, honours: honourOps };
}

/** Two dry runs alike, whatever order the database kept their keys in. */
export function sameSummary(a: ImportSummary, b: ImportSummary): boolean {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v)
              .filter(([, x]) => x !== undefined)
              .sort(([x], [y]) => (x < y ? -1 : 1))
              .map(([k, x]) => [k, canonical(x)]),
          )
        : v;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/**
 * Why a row renaming a team or moving it to another organisation waits, and what the file can say meanwhile (a row
 * doing both names a code of another team of another organisation, refused before as a typo).
 */
function movedUnderWay(changes: string[], application: ApplicationUnderWay, name: string, organization: string, registeredAt: string): string {
  const [what, asBefore] = changes.includes('班组名称')
    ? ['班组名称', `班组名称“${name}”`]
    : changes.includes('所属单位')
      ? ['所属单位', `所属单位“${organization}”`]
      : ['注册日期', `注册日期 ${formatDateZh(registeredAt)}`];
  const held = what === '注册日期' ? '注册满一年（第十六条）已按申报时的注册日期审核' : '须按申报时的名称和单位确认、评审';
  return `${what}暂不能修改：该班组${application.year}年度申报${application.waits}，${held}，本行（含其他资料）未导入。申报退回修改后或本年度评审结果公布后可再导入；只更新其他资料请将本行改回原${asBefore}`;
}

/** Why a cell names nobody to look up; one holding an @ with more than the address (li@example.com（李）) says to keep only the address. */
function notAPerson(what: string, cell: string): string {
  const why = `${what}“${cell}”不是有效的手机号或邮箱，无法查找此人`;
  if (/[@＠]/.test(cell)) return `${why}：单元格中只填邮箱本身（如 name@公司邮箱），不要加姓名、说明或其他文字`;
  // a mobile typed a digit short or long: how many digits it has (as 联系电话 in 注册 says it)
  const digits = mistypedMobileIn(cell);
  return digits === undefined ? why : `${why}：手机号${mobileLength(digits)}`;
}

/**
 * What is wrong with a row's own cells, every problem of it, in the order of its columns (a row refused for its first
 * problem alone was sent again to meet the next). A cell Excel shows as an error is said once, as unreadable, not as
 * missing too; a cell missing is checked no further.
 */
function cellProblems(r: { unreadable?: UnreadableCell[] }, required: [header: string, value: string][], checks: (string | false | undefined)[]): string[] {
  const unreadable = new Set(r.unreadable?.map((u) => u.column) ?? []);
  const missing = required.filter(([header, value]) => !value.trim() && !unreadable.has(header)).map(([header]) => header);
  return [unreadableProblem(r), missing.length ? `缺少${missing.join('、')}` : undefined, ...checks].filter((x): x is string => !!x);
}

function teamProblems(r: TeamRow, today: string, timeZone: string, knownOrganization: (name: string) => boolean): string[] {
  const has = (s: string) => !!s.trim();
  const date = importDate(r.registeredAt, timeZone);
  return cellProblems(
    r,
    [
      ['班组名称', r.name],
      ['所属单位', r.organization],
      ['班组类型', r.type],
      ['班组长手机或邮箱', r.leader],
      ['单位联系人手机或邮箱', r.contact],
      ['注册日期', r.registeredAt],
      ['成员人数', r.memberCount],
    ],
    [
      r.name.trim().length > 50 && '班组名称超过 50 字',
      // a person's name as the 专家 sheet caps it: cards name them (a recommender, a leader), and a card has 30 KB
      r.leaderName.trim().length > 50 && '班组长姓名超过 50 字',
      r.contactName.trim().length > 50 && '单位联系人姓名超过 50 字',
      !!readCode(r.code) && !teamCodePattern.test(readCode(r.code)) && `班组编号“${r.code}”只能含字母、数字和 -，不超过 30 位`,
      has(r.organization) && !knownOrganization(r.organization.trim()) && `所属单位“${r.organization.trim()}”不在“单位”表中，也未在机器人中登记：请先在“单位”表列出该单位`,
      has(r.type) && !typeOf(r.type) && `班组类型“${r.type}”须为 ${teamTypes.map((t) => t.label).join('、')} 之一（第二条）`,
      has(r.leader) && !personRef(r.leader) && notAPerson('班组长', r.leader),
      has(r.contact) && !personRef(r.contact) && notAPerson('单位联系人', r.contact),
      has(r.registeredAt) && !date && `注册日期“${r.registeredAt}”无法识别，请写成 2024-03-15`,
      !!date && date > today && `注册日期 ${formatDateZh(date)} 晚于今天`,
      // a year typed into a cell formatted as a date is that many days after 1900: 2024 reads as 1905-07-16
      !!date &&
        date < EARLIEST_REGISTRATION &&
        `注册日期读作 ${formatDateZh(date)}，早于 ${formatDateZh(EARLIEST_REGISTRATION)}：可能是在日期格式的单元格中只输入了数字（如年份 2024），请填写完整日期，如 2024-03-15`,
      has(r.memberCount) && wholeNumber(r.memberCount, 1, 500) === undefined && `成员人数“${r.memberCount}”须为 1–500 的整数`,
      r.department.trim().length > 100 && '主管部门超过 100 字',
    ],
  );
}

function expertProblems(r: ExpertRow, knownOrganization: (name: string) => boolean): string[] {
  return cellProblems(
    r,
    [
      ['姓名', r.name],
      ['手机或邮箱', r.person],
      ['所属单位', r.organization],
    ],
    [
      r.name.trim().length > 50 && '姓名超过 50 字',
      !!r.person.trim() && !personRef(r.person) && notAPerson('', r.person),
      !!r.organization.trim() && !knownOrganization(r.organization.trim()) && `所属单位“${r.organization.trim()}”不在“单位”表中，也未在机器人中登记：请先在“单位”表列出该单位`,
      !!r.maxLoad.trim() && !noLimitTyped(r.maxLoad) && wholeNumber(r.maxLoad, 1, 500) === undefined && `评审上限“${r.maxLoad}”须为 1–500 的整数，或填“不限”`,
    ],
  );
}

type TeamRef = { teamId: number } | { fileRow: number };
interface FileTeam {
  code?: string;
  name: string;
  ref: TeamRef;
}

/** A 荣誉 row's team: by code, then by name, among the teams already here and those this workbook adds. */
function findTeam(ref: string, existing: { id: number; code: string; name: string }[], fileTeams: FileTeam[], refusedTeams: { row: number; name: string; code: string; reason: string }[]): TeamRef | { problem: string } {
  const code = readCode(ref);
  const here = existing.find((t) => t.code === code) ?? fileTeams.find((t) => t.code === code);
  if (here) return 'ref' in here ? here.ref : { teamId: here.id };
  const keyOf = (r: TeamRef) => ('teamId' in r ? `t${r.teamId}` : `r${r.fileRow}`);
  const candidates = new Map<string, TeamRef>();
  for (const t of existing) if (organizationKey(t.name) === organizationKey(ref)) candidates.set(`t${t.id}`, { teamId: t.id });
  for (const t of fileTeams) if (organizationKey(t.name) === organizationKey(ref)) candidates.set(keyOf(t.ref), t.ref);
  if (candidates.size > 1) return { problem: `有多个名为“${ref}”的班组，请填写班组编号` };
  const [only] = candidates.values();
  if (only) return only;
  // named by a row of the 班组 sheet that was refused: that row, not "nowhere", is what to fix
  const refusedRow = refusedTeams.find((r) => r.name === ref || (code && r.code === code));
  if (refusedRow) return { problem: `班组“${ref}”在本文件“班组”表第 ${refusedRow.row} 行，但该行未能导入（${refusedRow.reason}）：请先改正该行` };
  return { problem: `找不到班组“${ref}”：既不在机器人中，也不在本文件的“班组”表中` };
}
