import { desc, inArray, sql } from 'drizzle-orm';
import { asTyped, clipText, Md, md, mdJoin, mention } from '../cards/kit.js';
import type { Db } from '../db/index.js';
import { auditLog, people } from '../db/schema.js';

/** How many audit rows one 变更记录 card shows: its lines stay far below Feishu's 30 KB and 200 tagged objects. */
export const HISTORY_PAGE_SIZE = 15;
/** The highest page read: 15 × 100 000 rows is past any team's history, and the offset stays a small number. */
export const HISTORY_MAX_PAGE = 100_000;
/** The members a 添加成员 entry names (the picker takes up to 200 at once); the rest are counted. */
const MEMBERS_SHOWN = 10;

export interface HistoryEntry {
  at: Date;
  actor: string;
  /** The actor's name on record; null for someone never named, or a system actor (system:<job>). */
  actorName: string | null;
  action: string;
  entity: string;
  entityId: string;
  details: Record<string, unknown>;
}

/**
 * 变更记录 of a team (第十七条: who changed what, and when): the audit rows of the team itself and of its applications,
 * titles and complaints, latest first, `HISTORY_PAGE_SIZE` a page. Reads only.
 */
export async function teamHistory(tx: Db, teamId: number, page: number): Promise<{ entries: HistoryEntry[]; page: number; more: boolean }> {
  // a page past any team's history (第99999999999999999999页) reads as the last one asked for, not an offset PostgreSQL refuses
  const at = Math.min(HISTORY_MAX_PAGE, Math.max(1, Math.floor(page)));
  const team = String(teamId);
  const rows = await tx
    .select({ at: auditLog.at, actor: auditLog.actor, actorName: people.name, action: auditLog.action, entity: auditLog.entity, entityId: auditLog.entityId, details: auditLog.details })
    .from(auditLog)
    .leftJoin(people, sql`${people.openId} = ${auditLog.actor}`)
    .where(
      sql`(${auditLog.entity} = 'team' and ${auditLog.entityId} = ${team})
        or (${auditLog.entity} = 'application' and ${auditLog.entityId} in (select id::text from applications where team_id = ${teamId}))
        or (${auditLog.entity} = 'honour' and ${auditLog.entityId} in (select id::text from honours where team_id = ${teamId}))
        or (${auditLog.entity} = 'complaint' and ${auditLog.entityId} in (select id::text from complaints where team_id = ${teamId}))`,
    )
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(HISTORY_PAGE_SIZE + 1)
    .offset((at - 1) * HISTORY_PAGE_SIZE);
  return {
    entries: rows.slice(0, HISTORY_PAGE_SIZE).map((r) => ({ ...r, at: new Date(r.at), details: (r.details ?? {}) as Record<string, unknown> })),
    page: at,
    more: rows.length > HISTORY_PAGE_SIZE,
  };
}

/** What each action on record is called on the card; one not named here shows as recorded. */
const ACTION_NAMES: Record<string, string> = {
  'team.register': '注册班组',
  'team.update': '修改资料',
  'team.rename': '班组更名',
  'team.members.add': '添加成员',
  'team.members.remove': '移除成员',
  'team.leader.change': '更换班组长',
  'team.import': '导入（新增班组）',
  'team.import.update': '导入（更新班组）',
  'application.create': '保存申报草稿',
  'application.save': '保存申报草稿',
  'application.saveReturned': '修改退回的申报',
  'application.copyPrevious': '沿用往年内容',
  'application.submit': '提交申报',
  'application.recall': '撤回申报',
  'application.recommend': '单位推荐',
  'application.returnByOrganization': '单位退回修改',
  'application.accept': '形式审查通过',
  'application.returnByAssociation': '形式审查退回',
  'application.assign': '分配专家',
  'application.completePanel': '专家评分完成',
  'review.replace': '更换评审专家',
  'review.recuse': '专家回避',
  'honour.import': '导入称号',
  'honour.import.update': '导入（更新称号）',
  'honour.keep': '保留称号',
  'honour.revoke': '撤销称号',
  'honour.revocationAlert': '撤销称号提醒',
  'honour.revocationAlertWithdrawn': '撤销称号提醒撤回',
  'complaint.create': '收到投诉',
  'complaint.uphold': '投诉成立',
  'complaint.dismiss': '投诉不成立',
  'complaint.duplicate': '重复投诉',
  'complaint.withdraw': '投诉已撤回',
  'complaint.correct': '更正认定',
};

/** The team's fields as 修改资料 and 导入 name them. */
const FIELD_NAMES: Record<string, string> = {
  phone: '联系电话',
  memberCount: '成员人数',
  functions: '主要职能',
  goals: '质量目标',
  plan: '活动计划',
  contactOpenId: '单位联系人',
  contact: '单位联系人',
  leader: '班组长',
  name: '班组名称',
  organization: '所属单位',
  type: '班组类型',
  registeredAt: '注册日期',
  department: '主管部门',
};

/**
 * A value on record as the card shows it: a person by name (`names`), one the bot has no name for (added by a pick or a
 * mobile, never imported) as a mention, which Feishu shows as their name; anything else as typed (`asTyped`: a 请联系协会
 * someone wrote gets no contact put after it), cut at `cut` characters.
 */
const shown = (v: unknown, names: (openId: string) => string | undefined, cut: number): Md => {
  if (v === null || v === undefined || v === '') return md`（空）`;
  if (typeof v === 'string' && /^(ou_|pending:)/.test(v)) {
    const name = names(v);
    return name === undefined ? mention(v) : md`${asTyped(name)}`;
  }
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return md`${asTyped(clipText(s, cut))}`;
};

/**
 * An entry in words: what was done, and (where the row keeps it) from what to what. `names` says who an open_id is;
 * each value typed is cut at `cut` characters (a card over Feishu's size is drawn again with less, `fittedCard`).
 */
export function describeEntry(e: HistoryEntry, names: (openId: string) => string | undefined, cut = 30): { what: string; detail?: Md } {
  const what = ACTION_NAMES[e.action] ?? e.action;
  const d = e.details;
  const changes = d.changes;
  if (changes && typeof changes === 'object' && !Array.isArray(changes)) {
    const parts = Object.entries(changes as Record<string, { from?: unknown; to?: unknown }>).map(
      ([k, c]) => md`${FIELD_NAMES[k] ?? k}：${shown(c?.from, names, cut)} → ${shown(c?.to, names, cut)}`,
    );
    if (parts.length) return { what, detail: mdJoin(parts, '；') };
  }
  if ((e.action === 'team.rename' || e.action === 'team.leader.change') && 'from' in d) return { what, detail: md`${shown(d.from, names, cut)} → ${shown(d.to, names, cut)}` };
  if (e.action === 'team.members.add' && Array.isArray(d.added)) {
    const listed = mdJoin(d.added.slice(0, MEMBERS_SHOWN).map((x) => shown(x, names, cut)), '、');
    return { what, detail: d.added.length > MEMBERS_SHOWN ? md`${listed} 等 ${d.added.length} 人` : listed };
  }
  if (e.action === 'team.members.remove') return { what, detail: shown(d.removed, names, cut) };
  if (e.action === 'review.recuse' && typeof d.expert === 'string') return { what, detail: md`回避的专家：${shown(d.expert, names, cut)}` };
  for (const key of ['reason', 'note', 'opinion'] as const) {
    if (typeof d[key] === 'string' && d[key]) return { what, detail: shown(d[key], names, cut) };
  }
  if (Array.isArray(d.changed) && d.changed.length) return { what, detail: md`${d.changed.map((k) => FIELD_NAMES[String(k)] ?? String(k)).join('、')}` };
  return { what };
}

/** The people a row names in its details (a leader handed over, a member added, a contact replaced): open_ids, and the `pending:` ids of people not yet linked. */
function namedIn(value: unknown, into: Set<string>): void {
  if (typeof value === 'string') {
    if (/^(ou_|pending:)/.test(value)) into.add(value);
  } else if (Array.isArray(value)) value.forEach((v) => namedIn(v, into));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => namedIn(v, into));
}

/** The names on record of the people the entries' details name, by open_id (or `pending:` id). */
export async function namesInEntries(tx: Db, entries: readonly HistoryEntry[]): Promise<Map<string, string | null>> {
  const ids = new Set<string>();
  entries.forEach((e) => namedIn(e.details, ids));
  if (!ids.size) return new Map();
  const rows = await tx.select({ openId: people.openId, name: people.name }).from(people).where(inArray(people.openId, [...ids]));
  return new Map(rows.map((p) => [p.openId, p.name]));
}
