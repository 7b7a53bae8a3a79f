import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database, Db } from '../../db/index.js';
import { applications, conflicts, cycles, people, teamMembers, teams } from '../../db/schema.js';
import { audit } from '../audit.js';
import type { Clock } from '../clock.js';
import { todayIn } from '../dates.js';
import { emailKey, mobileKey } from '../lark/contact.js';
import type { FeishuReader } from '../lark/reader.js';
import type { Logger } from '../log.js';
import { endorsementRequestMessage } from '../endorsementCards.js';
import { enqueue, rowsOf } from '../outbox.js';
import { teamsNamingPerson, tellPeople } from './apply.js';
import { PENDING_PREFIX } from './people.js';

/**
 * Someone imported by a mobile or e-mail Feishu could not find yet takes their place on first message:
 * the address book's mobile and e-mail for the sender's open_id are matched to the pending ids, and the
 * teams, roles and expert details move over in one transaction. Each sender is asked of Feishu once per
 * process while pending people exist, and again only after a later import adds new ones.
 */
export function pendingPersonLinker(deps: { database: Database; feishu: FeishuReader; clock: Clock; timezone: string; log: Logger }): (openId: string) => Promise<void> {
  const checked = new Map<string, string>();
  return async (openId) => {
    if (openId.startsWith(PENDING_PREFIX)) return;
    const [state] = rowsOf(await deps.database.db.execute(sql`select max(created_at)::text as latest from people where open_id like ${PENDING_PREFIX + '%'}`)) as { latest: string | null }[];
    if (!state?.latest || checked.get(openId) === state.latest) return;
    const reach = await deps.feishu.userReach(openId);
    checked.set(openId, state.latest);
    const keys = [reach.mobile && `m:${mobileKey(reach.mobile)}`, reach.email && `e:${emailKey(reach.email)}`].filter((k): k is string => !!k);
    if (!keys.length) return;
    const now = deps.clock.now();
    const linked = await deps.database.db.transaction((tx) => linkPendingPerson(tx, openId, keys, now, todayIn(deps.timezone, now)));
    if (linked.length) deps.log.info({ openId, linked }, 'imported person linked');
  };
}

/** Moves every pending id among `keys` onto `openId`; the keys linked. */
export async function linkPendingPerson(tx: Db, openId: string, keys: string[], now: Date, today: string): Promise<string[]> {
  const linked: string[] = [];
  for (const key of keys) {
    const placeholder = `${PENDING_PREFIX}${key}`;
    const [p] = await tx.select().from(people).where(eq(people.openId, placeholder)).for('update');
    if (!p) continue;
    await tx
      .insert(people)
      .values({ openId, name: p.name, roles: p.roles, organizationId: p.organizationId, specialities: p.specialities, maxLoad: p.maxLoad, expertActive: true })
      .onConflictDoUpdate({
        target: people.openId,
        set: {
          name: sql`coalesce(${people.name}, excluded.name)`,
          roles: sql`(select array(select distinct unnest(${people.roles} || excluded.roles)))`,
          organizationId: sql`coalesce(${people.organizationId}, excluded.organization_id)`,
          specialities: sql`case when cardinality(${people.specialities}) = 0 then excluded.specialities else ${people.specialities} end`,
          maxLoad: sql`coalesce(${people.maxLoad}, excluded.max_load)`,
          updatedAt: now,
        },
      });
    await tx.update(teams).set({ leaderOpenId: openId, updatedAt: now }).where(eq(teams.leaderOpenId, placeholder));
    const contactOf = await tx.update(teams).set({ contactOpenId: openId, updatedAt: now }).where(eq(teams.contactOpenId, placeholder)).returning({ id: teams.id });
    // applications submitted while their contact was not yet linked: the request to confirm them (第十五条) goes now
    if (contactOf.length) {
      const waiting = await tx
        .select({ id: applications.id, form: applications.form, submittedAt: applications.submittedAt, year: cycles.year })
        .from(applications)
        .innerJoin(cycles, eq(cycles.id, applications.cycleId))
        .where(and(inArray(applications.teamId, contactOf.map((t) => t.id)), eq(applications.status, 'submitted')));
      for (const a of waiting) await enqueue(tx, endorsementRequestMessage(a, a.year, openId, `link-${openId}`));
    }
    await tx.execute(sql`insert into team_members (team_id, open_id, role) select team_id, ${openId}, role from team_members where open_id = ${placeholder} on conflict (team_id, open_id) do update set role = case when excluded.role = 'leader' then 'leader' else team_members.role end`);
    await tx.delete(teamMembers).where(eq(teamMembers.openId, placeholder));
    await tx.update(conflicts).set({ expertOpenId: openId }).where(eq(conflicts.expertOpenId, placeholder));
    await tx.delete(people).where(eq(people.openId, placeholder));
    await audit(tx, { actor: openId, action: 'person.link', entity: 'person', entityId: openId, details: { key, placeholder }, at: now });
    linked.push(key);
  }
  if (linked.length) {
    const named = await teamsNamingPerson(tx, openId);
    await tellPeople(tx, `link:${linked.join(',')}`, named.map(({ team, organization }) => ({ ...team, organization })), today, openId);
  }
  return linked;
}

