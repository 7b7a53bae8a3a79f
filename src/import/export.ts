import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import { auditLog, bulkJobs, cycles, honours, imports, organizations, people, teams } from '../../db/schema.js';
import { DEFAULT_TIMEZONE } from '../cycles.js';
import { formatDateTimeZh, todayIn } from '../dates.js';
import type { AttachmentRenderer } from '../lark/client.js';
import { type AttachmentSpec, rowsOf } from '../outbox.js';
import type { NameFiller } from '../addressBookNames.js';
import { teamTypeLabel } from '../teams.js';
import { type ExportStamp, expertPrints, expertValues, honourPrints, teamPrints, teamValues } from './exportStamp.js';
import { isPending, PENDING_PREFIX, personRef, refKey } from './people.js';
import { numbersIn } from '../phone.js';
import { templateGuide, writeImportWorkbook, type ImportWorkbookContent } from './workbook.js';

/**
 * 导出当前名册: the register as the bot holds it, written in the import template's form (src/import/workbook.ts), so the
 * secretary edits it in Excel and sends it back: imported unchanged, it changes nothing.
 *
 * People are named in the workbook by the mobile or e-mail Feishu finds them by. The bot keeps no one's mobile: the
 * cell holds what it knows them by — the mobile or e-mail they were imported by (a person not yet linked holds it in
 * their id), the one Feishu's address book answered for them at an import, or the one that linked them on their first
 * message — and a team's leader known by none of these gets the 联系电话 typed at registration (or in 修改资料), marked
 * so in a note, unless the leader changed since it was typed (phonesOfFormerLeaders): it is the former leader's then.
 * Anyone else (a contact chosen in a card) is left blank with a note saying what to fill in: nothing is made up.
 */

/**
 * An import confirmed and not yet wholly written (确认导入's job writes its rows in batches of IMPORT_BATCH, each its own
 * transaction; one stopped by a failure waits for 重试 on its card): the register is then part the file's, part as it
 * was, a state nobody chose. Exported so, and sent back once the import is done, it would set the rows of the later
 * batches back. Undefined when no import is being applied.
 */
export interface ImportUnderway {
  fileName: string;
  done: number;
  total: number;
  /** its job stopped by a failure, waiting for 重试 (else queued or running: done in seconds) */
  stopped: boolean;
}

/** The import being applied, if one is (one statement). */
export async function importUnderway(tx: Db): Promise<ImportUnderway | undefined> {
  const [row] = await tx
    .select({ fileName: imports.fileName, done: bulkJobs.done, total: bulkJobs.total, status: bulkJobs.status })
    .from(imports)
    .innerJoin(bulkJobs, and(eq(bulkJobs.kind, 'import'), sql`${bulkJobs.params}->>'importId' = ${imports.id}::text`))
    .where(eq(imports.status, 'applying'))
    .orderBy(desc(bulkJobs.id))
    .limit(1);
  return row && { fileName: row.fileName, done: row.done, total: row.total, stopped: row.status === 'failed' };
}

/** What 导出当前名册 answers while an import is being applied: nothing is queued, the register is half written. */
export const importUnderwayText = (u: ImportUnderway) =>
  u.stopped
    ? `导入“${u.fileName}”中断在 ${u.done}/${u.total} 行，名册现在只写入了一部分，暂不导出：请先在该导入的进度卡片上点“重试”完成导入，再导出名册。`
    : `导入“${u.fileName}”正在进行（${u.done}/${u.total} 行），名册现在只写入了一部分，暂不导出：请在导入完成后（进度卡片显示完成）再导出名册。`;

/** A person's cell and, when it is not a mobile or e-mail Feishu knows them by, the note saying so. */
interface PersonCell {
  /** null: none known, the cell left without a value (Excel's 定位条件→空值 and COUNTA see it empty), its note saying why */
  value: string | null;
  note?: string;
}

/** m:13800000001 → 13800000001, e:li@example.com → li@example.com */
const keyText = (key: string) => key.slice(2);

/**
 * The mobile or e-mail each linked person is known by: found through the address book at an import, or the one that
 * linked them (audit 'person.link'); the latest wins, a mobile before an e-mail.
 */
async function knownKeys(tx: Db): Promise<Map<string, string>> {
  const byPerson = new Map<string, string[]>();
  const add = (key: string, openId: string) => {
    if (!/^[me]:./.test(key) || !openId || isPending(openId)) return;
    const keys = byPerson.get(openId) ?? [];
    byPerson.set(openId, [key, ...keys.filter((k) => k !== key)]);
  };
  for (const r of await tx.select({ resolved: imports.resolved }).from(imports).orderBy(asc(imports.id))) {
    for (const [key, openId] of Object.entries((r.resolved ?? {}) as Record<string, string>)) add(key, openId);
  }
  const links = await tx
    .select({ key: sql<string>`${auditLog.details}->>'key'`, openId: auditLog.entityId })
    .from(auditLog)
    .where(eq(auditLog.action, 'person.link'))
    .orderBy(asc(auditLog.id));
  for (const l of links) add(l.key ?? '', l.openId);
  const chosen = new Map<string, string>();
  for (const [openId, keys] of byPerson) chosen.set(openId, keys.find((k) => k.startsWith('m:')) ?? keys[0]);
  return chosen;
}

/**
 * The teams whose 联系电话 (typed at registration, or in 修改资料 since) is no longer their leader's: the leader changed
 * after it was typed (更换班组长, or an import naming another leader). Written for the new leader, that number would be
 * the former one's, and sent back, the import would find the former leader by it and set them back as the team's.
 */
async function phonesOfFormerLeaders(tx: Db): Promise<Set<string>> {
  const rows = await tx
    .select({ teamId: auditLog.entityId, action: auditLog.action, changed: sql<string[] | null>`${auditLog.details}->'changed'` })
    .from(auditLog)
    .where(and(eq(auditLog.entity, 'team'), inArray(auditLog.action, ['team.leader.change', 'team.import.update', 'team.update'])))
    .orderBy(asc(auditLog.id));
  const stale = new Set<string>();
  for (const r of rows) {
    const changed = Array.isArray(r.changed) ? r.changed : [];
    if (r.action === 'team.leader.change' || (r.action === 'team.import.update' && changed.includes('班组长'))) stale.add(r.teamId);
    // 修改资料 typing a 联系电话 again: the leader's then
    else if (r.action === 'team.update' && changed.includes('phone')) stale.delete(r.teamId);
  }
  return stale;
}

export interface RegisterExport {
  content: ImportWorkbookContent;
  counts: { organizations: number; teams: number; experts: number; honours: number };
  /** people left blank: no mobile or e-mail known */
  blank: number;
}

const phoneNote = '机器人没有此人飞书账号的手机号或邮箱：这是注册时填写的联系电话，导入时按它在飞书通讯录中查找。如不是其飞书账号绑定的手机号，请改正。';
const stoppedNote = '该专家已在专家库中停用，不再分配新的评审任务。导入不会启用或停用专家：如需启用，请在专家库中点“启用”。';
/** 停用 in 专家库; one imported and not yet linked (待关联) is not active either, but not stopped: it has no 启用 / 停用. */
const stoppedExpert = (p: { openId: string; expertActive: boolean }) => !p.expertActive && !isPending(p.openId);
const blankNote = '机器人没有此人的手机号或邮箱（在飞书中选择的人员）：导入前请填写其飞书账号绑定的手机号或邮箱，否则该行不会导入。';

/** The register as the workbook holds it. */
export async function registerContent(tx: Db, at: Date, timeZone = DEFAULT_TIMEZONE, underway?: ImportUnderway): Promise<RegisterExport> {
  const orgRows = await tx.select({ id: organizations.id, name: organizations.name, key: organizations.key }).from(organizations).orderBy(asc(organizations.id));
  const orgName = new Map(orgRows.map((o) => [o.id, o.name]));
  const orgKey = new Map(orgRows.map((o) => [o.id, o.key]));
  // what each row held as exported, for the import to tell what changed in the bot since (src/import/exportStamp.ts)
  const stamp: ExportStamp = { at: at.toISOString(), shown: formatDateTimeZh(at, timeZone), teams: {}, experts: {}, honours: {} };
  const teamRows = await tx.select().from(teams).orderBy(asc(teams.code));
  const personRows = await tx
    .select({ openId: people.openId, name: people.name, roles: people.roles, organizationId: people.organizationId, specialities: people.specialities, maxLoad: people.maxLoad, expertActive: people.expertActive })
    .from(people);
  const personOf = new Map(personRows.map((p) => [p.openId, p]));
  const keys = await knownKeys(tx);
  const formerLeadersPhones = await phonesOfFormerLeaders(tx);
  let blank = 0;
  const notes: NonNullable<ImportWorkbookContent['notes']> = [];

  const cellOf = (openId: string, phone?: string): PersonCell => {
    if (isPending(openId)) return { value: keyText(openId.slice(PENDING_PREFIX.length)) };
    const key = keys.get(openId);
    if (key) return { value: keyText(key) };
    // the 联系电话 a leader registered with: its first mobile (it may hold a landline beside it, or an extension)
    const own = phone ? numbersIn(phone).map((n) => personRef(n)).find((r) => r?.kind === 'mobile') : undefined;
    if (own?.kind === 'mobile') return { value: own.key, note: phoneNote };
    blank++;
    return { value: null, note: blankNote };
  };

  const teamRowsOut = teamRows.map((t, i) => {
    const leader = cellOf(t.leaderOpenId, formerLeadersPhones.has(String(t.id)) ? undefined : t.phone);
    const contact = cellOf(t.contactOpenId);
    if (leader.note) notes.push({ sheet: 'teams', row: i + 2, key: 'leader', text: leader.note });
    if (contact.note) notes.push({ sheet: 'teams', row: i + 2, key: 'contact', text: contact.note });
    stamp.teams[t.code] = teamPrints(teamValues({ ...t, organizationKey: orgKey.get(t.organizationId) ?? '' }));
    return {
      code: t.code,
      name: t.name,
      organization: orgName.get(t.organizationId) ?? '',
      type: teamTypeLabel(t.type),
      leader: leader.value,
      leaderName: personOf.get(t.leaderOpenId)?.name || null,
      contact: contact.value,
      contactName: personOf.get(t.contactOpenId)?.name || null,
      registeredAt: new Date(`${t.registeredAt}T00:00:00Z`),
      memberCount: t.memberCount,
      department: t.department || null,
    };
  });

  const experts = personRows
    .filter((p) => p.roles.includes('expert'))
    .sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '', 'zh') || (a.openId < b.openId ? -1 : 1));
  const expertRowsOut = experts.map((p, i) => {
    const person = cellOf(p.openId);
    if (person.note) notes.push({ sheet: 'experts', row: i + 2, key: 'person', text: person.note });
    const ref = person.value === null ? undefined : personRef(person.value);
    if (ref) stamp.experts[refKey(ref)] = expertPrints(expertValues({ ...p, organizationKey: p.organizationId === null ? undefined : orgKey.get(p.organizationId) }));
    // the template has no column for it and the import neither starts nor stops an expert: the name's note says so
    if (stoppedExpert(p)) notes.push({ sheet: 'experts', row: i + 2, key: 'name', text: stoppedNote });
    return {
      // a stopped expert with no name has the note on a cell without a value (writeImportWorkbook)
      name: p.name || null,
      person: person.value,
      organization: p.organizationId === null ? null : (orgName.get(p.organizationId) ?? null),
      // a blank 专业特长 keeps what is stored: none stored is none written
      specialities: p.specialities.length ? p.specialities.join('、') : null,
      // no limit said so, where a blank reads as “keep”
      maxLoad: p.maxLoad ?? '不限',
    };
  });

  // past titles only: a year reviewed here is awarded by 公布结果 and is no row the import takes (第二十条)
  const reviewed = new Set((await tx.select({ year: cycles.year }).from(cycles)).map((c) => c.year));
  const honourRows = await tx
    .select({ code: teams.code, year: honours.year, title: honours.title, cycleId: honours.cycleId, revokedAt: honours.revokedAt })
    .from(honours)
    .innerJoin(teams, eq(teams.id, honours.teamId))
    .orderBy(asc(honours.year), asc(teams.code));
  const past = honourRows.filter((h) => h.cycleId === null && h.title && !reviewed.has(h.year));
  const honourRowsOut = past.map((h, i) => {
    // the import reads no revocation: the title is listed as imported, its note says it was revoked
    stamp.honours[`${h.code}|${h.year}`] = honourPrints(h.title ?? '');
    if (h.revokedAt) notes.push({ sheet: 'honours', row: i + 2, key: 'title', text: `该称号已于 ${todayIn(timeZone, h.revokedAt)} 撤销（第二十二条）。导入不会恢复或撤销称号。` });
    return { team: h.code, year: h.year, title: h.title };
  });
  const awardedHere = honourRows.length - past.length;

  const stopped = experts.filter(stoppedExpert).map((p) => p.name || '（未填姓名）');
  const guide = [
    // an import stopped half way since the file was asked for: this is no register to send back
    ...(underway
      ? [`注意：导出时导入“${underway.fileName}”中断在 ${underway.done}/${underway.total} 行，本文件只含已写入的部分，不要修改后发回导入（会把之后写入的行改回原样）：请在该导入的进度卡片上点“重试”完成导入后，重新导出名册。`]
      : []),
    `质量信得过班组名册：机器人于 ${formatDateTimeZh(at, timeZone)}（${timeZone}）导出的当前数据，格式与导入模板相同。修改后把文件发给机器人，先预览再确认导入；不作修改直接导入，不会有任何变化。`,
    '带 * 的列必填。各表第 2 行起是当前数据（没有示例行）。删除某一行不会删除机器人中的班组、专家或荣誉。',
    ...templateGuide.slice(2),
    ...(stopped.length ? [`“专家”表中 ${stopped.length} 位专家已在专家库中停用（${stopped.join('、')}），姓名单元格加了批注：导入不会启用或停用专家，如需启用，请在专家库中点“启用”。`] : []),
    ...(blank ? [`有 ${blank} 处人员机器人没有其手机号或邮箱，对应单元格留空并加了批注：导入前请补填，否则这些行不会导入。`] : []),
    ...(awardedHere ? [`本机器人评审授予的称号（${awardedHere} 条）由“公布结果”授予，不在“荣誉”表中，也不能由导入修改。`] : []),
    '已撤销的称号仍列在“荣誉”表中，单元格批注注明撤销日期；导入不会恢复或撤销称号。班组成员名单、专家回避关系不在导入模板中，未导出。',
  ];
  return {
    content: { guide, rows: { organizations: orgRows.map((o) => ({ name: o.name })), teams: teamRowsOut, experts: expertRowsOut, honours: honourRowsOut }, notes, created: at, stamp },
    counts: { organizations: orgRows.length, teams: teamRowsOut.length, experts: expertRowsOut.length, honours: honourRowsOut.length },
    blank,
  };
}

/** 导出当前名册's file name: what and the day, 质量信得过班组名册-2026-12-06.xlsx. */
export const registerFileName = (day: string) => `质量信得过班组名册-${day}.xlsx`;

/** The outbox row's description of the file: made when it is sent, from the register as it stands then. */
export const registerWorkbookFile = (at: Date): AttachmentSpec => ({ kind: 'registerWorkbook', at: at.toISOString() });

/** The register workbook's bytes, read in one snapshot (a team and its leader as they stood at one moment). */
export async function registerWorkbook(db: Db, at: Date, timeZone = DEFAULT_TIMEZONE, names?: NameFiller): Promise<Buffer> {
  // the experts, leaders and contacts known by open_id alone are named from the address book first (src/addressBookNames.ts)
  if (names) await names(await namelessInRegister(db));
  const made = await db.transaction(async (tx) => {
    await tx.execute(sql`set transaction isolation level repeatable read, read only`);
    // an import started since the file was asked for: the outbox tries again once its batches are written (seconds);
    // one stopped by a failure may wait long for 重试, and is said in the file instead
    const underway = await importUnderway(tx);
    if (underway && !underway.stopped) throw new Error(`register export waits for the import being applied (${underway.done}/${underway.total})`);
    return registerContent(tx, at, timeZone, underway);
  });
  return writeImportWorkbook(made.content);
}

/** The people the register names (experts, teams' leaders and contacts) with no name stored, not pending. */
async function namelessInRegister(db: Db): Promise<string[]> {
  const rows = rowsOf(
    await db.execute(sql`
      select p.open_id from people p
      where (p.name is null or p.name = '') and p.open_id not like ${PENDING_PREFIX + '%'}
        and ('expert' = any(p.roles) or exists (select 1 from teams t where t.leader_open_id = p.open_id or t.contact_open_id = p.open_id))`),
  ) as { open_id: string }[];
  return rows.map((r) => r.open_id);
}

/** `next` with `registerWorkbookFile`'s bytes made too (by the outbox, as it sends the row); its recheck is `next`'s. */
export function withRegisterWorkbook(next: AttachmentRenderer, db: Db, timeZone: string, names?: NameFiller): AttachmentRenderer {
  const render: AttachmentRenderer = async (spec) => {
    if (spec.kind !== 'registerWorkbook') return next(spec);
    return { bytes: await registerWorkbook(db, new Date(String(spec.at)), timeZone, names) };
  };
  render.recheck = next.recheck;
  return render;
}
