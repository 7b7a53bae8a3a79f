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
}

/** Who one can be in the console: a team leader, an organisation contact, three experts, an administrator. */
export const LOCAL_PEOPLE: readonly LocalPerson[] = [
  { openId: 'ou_local_leader', name: '张班长', roles: [] },
  { openId: 'ou_local_contact', name: '李联系人', roles: ['org_contact'] },
  { openId: 'ou_local_expert_1', name: '陈专家', roles: ['expert'], specialities: ['engineering', 'maintenance'] },
  { openId: 'ou_local_expert_2', name: '刘专家', roles: ['expert'], specialities: ['testing', 'operation'] },
  { openId: 'ou_local_expert_3', name: '黄专家', roles: ['expert'], specialities: ['service', 'engineering'] },
  { openId: 'ou_local_admin', name: '王管理员', roles: ['admin'] },
];

/** Idempotent: a second start adds nothing, and keeps roles granted since. */
export async function seedLocal(db: Db): Promise<void> {
  for (const p of LOCAL_PEOPLE) {
    await db
      .insert(people)
      .values({ openId: p.openId, name: p.name, roles: p.roles, specialities: p.specialities ?? [] })
      .onConflictDoUpdate({
        target: people.openId,
        set: {
          name: sql`coalesce(${people.name}, excluded.name)`,
          roles: sql`(select array(select distinct unnest(${people.roles} || excluded.roles)))`,
        },
      });
  }
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
