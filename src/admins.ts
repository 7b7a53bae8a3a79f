import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { people } from '../db/schema.js';
import { audit, lastDone } from './audit.js';
import { formatDateTimeZh } from './dates.js';
import { AlreadyDone, cite, UserError } from './errors.js';
import { defineForm, formSchema, readForm } from './forms.js';
import { type Actor, grantRole } from './people.js';
import { adminOnlyMessage, requireAdmin } from './permissions.js';

/** 管理员 (第十四条): the association's administrators, kept in the bot beside the bootstrap ADMIN_OPEN_IDS. */

/** 添加管理员: whom (picked, or found by mobile or e-mail). */
export const adminAddForm = defineForm({
  name: 'admin_form',
  title: '添加管理员',
  fields: {
    admins: { kind: 'persons', label: '管理员', article: '第十四条', help: '可多选', max: 20 },
    adminsLookup: { kind: 'text', label: '列表中没有？填对方的手机号或邮箱', maxLength: 500, required: false, placeholder: '飞书账号的手机号或邮箱；多人用逗号分隔' },
  },
});
const adminSchema = formSchema(adminAddForm);

export interface AdministratorEntry {
  openId: string;
  name: string | null;
  /** Named in ADMIN_OPEN_IDS: removed only there. */
  configured: boolean;
}

/** Everyone who is an administrator now: the stored role, then those only in ADMIN_OPEN_IDS, each by name where known. */
export async function listAdministrators(tx: Db, configured: readonly string[]): Promise<AdministratorEntry[]> {
  const named = configured.length ? inArray(people.openId, [...configured]) : undefined;
  const rows = await tx
    .select({ openId: people.openId, name: people.name })
    .from(people)
    .where(named ? sql`'admin' = any(${people.roles}) or ${named}` : sql`'admin' = any(${people.roles})`)
    .orderBy(asc(people.openId));
  const known = new Map(rows.map((r) => [r.openId, r.name]));
  const ids = [...new Set([...rows.map((r) => r.openId), ...configured])];
  return ids.map((openId) => ({ openId, name: known.get(openId) ?? null, configured: configured.includes(openId) }));
}

/**
 * Whether the bot has no administrator at all: ADMIN_OPEN_IDS empty and nobody holds the stored role. So it is on a new
 * tenant, whose IT person cannot know the administrator's open_id beforehand: it is the app's own (one person has
 * another open_id in each app, https://open.feishu.cn/document/home/user-identity-introduction/open-id), seen first in
 * the events the app receives.
 */
export async function noAdministrator(tx: Db, configured: readonly string[]): Promise<boolean> {
  if (configured.length) return false;
  const stored = await tx.select({ openId: people.openId }).from(people).where(sql`'admin' = any(${people.roles})`).limit(1);
  return stored.length === 0;
}

/** What someone refused an administrator's command is told while the bot has no administrator: their open_id and what to do with it. */
function firstAdministratorHint(openId: string): string {
  return `机器人还没有协会管理员。你的 open_id 是 ${openId}：如果你是协会管理员，请部署机器人的人员把它写入环境变量 ADMIN_OPEN_IDS 并重启机器人，然后再发送“管理”；其他管理员之后在 管理 → 管理员 中添加。`;
}

/**
 * What someone refused 管理 is told of becoming an administrator: while the bot has none (ADMIN_OPEN_IDS empty, nobody given
 * the role in the bot), how the first one gets in, with their open_id. Once ADMIN_OPEN_IDS names anyone, nothing: the
 * bot cannot tell a right setting from a wrong one, and telling every leader and expert who types 管理 to have their
 * open_id put there would ask anyone to become one.
 */
export async function firstAdministratorNotice(tx: Db, configured: readonly string[], openId: string): Promise<string | undefined> {
  return (await noAdministrator(tx, configured)) ? firstAdministratorHint(openId) : undefined;
}

/** 添加管理员: each picked person becomes an administrator (one already named in ADMIN_OPEN_IDS keeps it when the list changes). */
export async function addAdministrators(tx: Db, actor: Actor, formValue: Record<string, unknown>, now: Date): Promise<{ openIds: string[] }> {
  requireAdmin(actor);
  const { admins } = readForm(adminAddForm, formValue, adminSchema);
  const openIds = [...new Set(admins)];
  // a second click waits for the first's rows, then finds every picked person an administrator: someone the bot has
  // never seen has no row to wait on, so one is made first (nothing else of them), else two clicks at once both added
  if (openIds.length) await tx.insert(people).values(openIds.map((openId) => ({ openId }))).onConflictDoNothing();
  const current = await tx.select({ openId: people.openId, roles: people.roles }).from(people).where(inArray(people.openId, openIds)).for('update');
  if (current.length === openIds.length && current.every((p) => (p.roles ?? []).includes('admin'))) {
    throw new AlreadyDone('添加', { action: 'admin.add', entity: 'person', entityId: openIds[0] }, `${openIds.length} 位管理员`);
  }
  for (const openId of openIds) {
    if (current.some((p) => p.openId === openId && (p.roles ?? []).includes('admin'))) continue;
    await grantRole(tx, openId, 'admin');
    await audit(tx, { actor: actor.openId, action: 'admin.add', entity: 'person', entityId: openId, at: now });
  }
  return { openIds };
}

/**
 * The refusal of an administrators' button to someone whose role was taken back (移除管理员): the cards they still hold
 * were theirs to use, so they are told when it was taken back and whom to ask, not only that the function is the
 * administrators'. Nothing else is said (who removed them, what the card holds). Undefined for anyone never removed.
 */
export async function removedAdministratorRefusal(tx: Db, openId: string, timezone: string): Promise<string | undefined> {
  const removed = await removedAdministratorLine(tx, openId, timezone);
  return removed && `${adminOnlyMessage}${removed}`;
}

/** The sentence saying when an administrator's role was taken back (typed 管理 says it too); undefined for anyone never removed. */
export async function removedAdministratorLine(tx: Db, openId: string, timezone: string): Promise<string | undefined> {
  const at = await lastDone(tx, { action: 'admin.remove', entity: 'person', entityId: openId });
  return at && `你的协会管理员身份已于 ${formatDateTimeZh(at, timezone)} 移除，此前收到的管理卡片不能再使用；如需恢复，请联系其他协会管理员。`;
}

/**
 * 移除管理员: the stored role taken back. Someone named in ADMIN_OPEN_IDS stays an administrator until the list drops
 * them, so the bot refuses rather than say they were removed; the last administrator is never removed (第十四条: the
 * association needs someone to run the review). A second click changes nothing.
 */
export async function removeAdministrator(tx: Db, actor: Actor, openId: string, configured: readonly string[], now: Date): Promise<{ self: boolean }> {
  requireAdmin(actor);
  // every stored administrator locked: two who remove each other at once are told in turn, and one of them stays
  const stored = await tx.select({ openId: people.openId }).from(people).where(sql`'admin' = any(${people.roles})`).orderBy(asc(people.openId)).for('update');
  if (configured.includes(openId)) {
    throw new UserError('这位管理员由部署配置 ADMIN_OPEN_IDS 指定，在机器人中无法移除：请从 ADMIN_OPEN_IDS 中删去其 open_id 并重启机器人。');
  }
  if (!stored.some((p) => p.openId === openId)) {
    const [person] = await tx.select({ openId: people.openId }).from(people).where(eq(people.openId, openId));
    if (!person) throw new UserError('找不到这位管理员，请刷新管理员名单。');
    throw new AlreadyDone('移除', { action: 'admin.remove', entity: 'person', entityId: openId }, '该管理员');
  }
  const remaining = new Set([...stored.map((p) => p.openId), ...configured]);
  remaining.delete(openId);
  if (remaining.size === 0) throw new UserError(cite(14, '评审工作须由协会管理员负责，不能移除最后一位管理员：请先添加另一位管理员，再移除。'));
  await tx
    .update(people)
    .set({ roles: sql`array_remove(${people.roles}, 'admin')`, updatedAt: now })
    .where(and(eq(people.openId, openId), sql`'admin' = any(${people.roles})`));
  await audit(tx, { actor: actor.openId, action: 'admin.remove', entity: 'person', entityId: openId, at: now });
  return { self: openId === actor.openId };
}
