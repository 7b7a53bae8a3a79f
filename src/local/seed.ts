import { randomBytes } from 'node:crypto';
import { asc, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import { chatBindings, people } from '../../db/schema.js';
import { storedRoles } from '../people.js';

/** Local mode's administrators' group (协会管理群), bound as the admin notification group at seed time. */
export const LOCAL_ADMIN_GROUP = 'oc_local_admin_group';

export type StoredRole = (typeof storedRoles)[number];

export interface LocalPerson {
  openId: string;
  name: string;
  roles: StoredRole[];
  specialities?: string[];
  /** what the simulated tenant's address book knows of them, for look-ups by mobile or e-mail */
  mobile: string;
  email: string;
}

/** Who one can be in the console: a team leader, an organisation contact, three experts, an administrator. */
export const LOCAL_PEOPLE: readonly LocalPerson[] = [
  { openId: 'ou_local_leader', name: '张班长', roles: [], mobile: '13800000001', email: 'zhang.banzhang@example.com' },
  { openId: 'ou_local_contact', name: '李联系人', roles: ['org_contact'], mobile: '13800000002', email: 'li.lianxiren@example.com' },
  { openId: 'ou_local_expert_1', name: '陈专家', roles: ['expert'], specialities: ['市政道路', '养护维修'], mobile: '13800000003', email: 'chen.zhuanjia@example.com' },
  { openId: 'ou_local_expert_2', name: '刘专家', roles: ['expert'], specialities: ['质量检测', '设施运营'], mobile: '13800000004', email: 'liu.zhuanjia@example.com' },
  { openId: 'ou_local_expert_3', name: '黄专家', roles: ['expert'], specialities: ['客户服务', '市政道路'], mobile: '13800000005', email: 'huang.zhuanjia@example.com' },
  { openId: 'ou_local_admin', name: '王管理员', roles: ['admin'], mobile: '13800000006', email: 'wang.guanli@example.com' },
];

/** In the tenant's address book but not yet known to the bot: someone to name by mobile or e-mail in the console. */
export const LOCAL_DIRECTORY_ONLY: readonly { openId: string; name: string; mobile: string; email: string }[] = [
  { openId: 'ou_local_newcomer', name: '孙工程师', mobile: '13800000007', email: 'sun.gongchengshi@example.com' },
];

/** Idempotent: a second start adds nothing, and keeps roles granted since. */
export async function seedLocal(db: Db): Promise<void> {
  // one statement for the six (each start runs it: one round trip into PGlite, not six), and a row already holding its
  // name and roles is left as it is rather than written again
  await db
    .insert(people)
    .values(LOCAL_PEOPLE.map((p) => ({ openId: p.openId, name: p.name, roles: p.roles, specialities: p.specialities ?? [] })))
    .onConflictDoUpdate({
      target: people.openId,
      set: {
        name: sql`coalesce(${people.name}, excluded.name)`,
        roles: sql`(select array(select distinct unnest(${people.roles} || excluded.roles)))`,
      },
      setWhere: sql`${people.name} is null or not (${people.roles} @> excluded.roles)`,
    });
  await db.insert(chatBindings).values({ chatId: LOCAL_ADMIN_GROUP, purpose: 'admin', boundBy: 'ou_local_admin' }).onConflictDoNothing();
}

export interface PersonRow {
  openId: string;
  name: string | null;
  roles: string[];
}

export async function listPeople(db: Db): Promise<PersonRow[]> {
  return db.select({ openId: people.openId, name: people.name, roles: people.roles }).from(people).orderBy(asc(people.createdAt), asc(people.openId));
}

/** Someone new to be in the console; a fresh open_id every time. */
export async function addLocalPerson(db: Db, p: { name: string; roles: string[] }): Promise<PersonRow> {
  const name = p.name.trim();
  if (!name || name.length > 20) throw new Error('姓名须为 1–20 个字');
  const unknown = p.roles.filter((r) => !(storedRoles as readonly string[]).includes(r));
  if (unknown.length) throw new Error(`未知的身份：${unknown.join('、')}（可选 ${storedRoles.join('、')}）`);
  const openId = `ou_local_${randomBytes(6).toString('hex')}`;
  const roles = [...new Set(p.roles)];
  await db.insert(people).values({ openId, name, roles });
  return { openId, name, roles };
}
