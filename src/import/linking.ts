import { and, eq, inArray, ne, or, sql } from 'drizzle-orm';
import type { Database, Db } from '../../db/index.js';
import { applications, auditLog, conflicts, cycles, organizations, people, teamMembers, teams } from '../../db/schema.js';
import { audit } from '../audit.js';
import type { Clock } from '../clock.js';
import { DEFAULT_TIMEZONE } from '../cycles.js';
import { todayIn } from '../dates.js';
import { emailKey, mobileKey } from '../lark/contact.js';
import type { FeishuReader } from '../lark/reader.js';
import type { Logger } from '../log.js';
import { importedMemberIsContactCard, pendingContactIsMemberCard } from '../../cards/import.js';
import { endorsementRequestMessage } from '../endorsementCards.js';
import { enqueue, enqueueMany, rowsOf } from '../outbox.js';
import { grantRole } from '../people.js';
import { latePublishedMessages } from '../review/resultCards.js';
import { announceRecusals, type Joining, lockRunningCyclesFirst, outboxNotices, recuseInsiders } from '../review/recusal.js';
import { expertWelcomeNotice } from '../review/expertWelcome.js';
import { type ImportNotices, teamsNamingPerson, tellPeople } from './apply.js';
import { isPending, PENDING_PREFIX } from './people.js';

/** How long a sender whose profile Feishu refused (out of the app's contact range, another tenant) is not asked again. */
export const REFUSED_SENDER_RETRY_MS = 10 * 60_000;

/**
 * Someone imported by a mobile or e-mail Feishu could not find yet takes their place on first message:
 * the address book's mobile, e-mail and Feishu Mail address (企业邮箱, which batch_get_id cannot find) for the
 * sender's open_id are matched to the pending ids, and the teams, roles and expert details move over in one
 * transaction.
 * Each sender is asked of Feishu once per process while pending people exist, and again only after a later import
 * adds new ones; one whose profile Feishu refuses (41050, https://open.feishu.cn/document/server-docs/contact-v3/user/get)
 * is asked again REFUSED_SENDER_RETRY_MS later at the earliest, not on each message.
 */
export function pendingPersonLinker(deps: {
  database: Database;
  feishu: FeishuReader;
  clock: Clock;
  timezone: string;
  log: Logger;
  /** ADMIN_OPEN_IDS: administrators without the stored role, told when a linked expert steps aside and nobody can take over. */
  bootstrapAdmins?: readonly string[];
}): (openId: string) => Promise<void> {
  const checked = new Map<string, string>();
  /** open_id → when Feishu last refused their profile */
  const refusedAt = new Map<string, number>();
  return async (openId) => {
    if (openId.startsWith(PENDING_PREFIX)) return;
    const [state] = rowsOf(await deps.database.db.execute(sql`select max(created_at)::text as latest from people where open_id like ${PENDING_PREFIX + '%'}`)) as { latest: string | null }[];
    if (!state?.latest || checked.get(openId) === state.latest) return;
    const refused = refusedAt.get(openId);
    if (refused !== undefined && deps.clock.now().getTime() - refused < REFUSED_SENDER_RETRY_MS) return;
    let reach: Awaited<ReturnType<FeishuReader['userReach']>>;
    try {
      reach = await deps.feishu.userReach(openId);
    } catch (err) {
      refusedAt.set(openId, deps.clock.now().getTime());
      throw err;
    }
    refusedAt.delete(openId);
    checked.set(openId, state.latest);
    const emails = [reach.email, reach.enterpriseEmail].filter((e): e is string => !!e).map((e) => `e:${emailKey(e)}`);
    const keys = [...new Set([...(reach.mobile ? [`m:${mobileKey(reach.mobile)}`] : []), ...emails])];
    if (!keys.length) return;
    const now = deps.clock.now();
    let linked: string[];
    try {
      linked = await deps.database.db.transaction((tx) =>
        linkPendingPerson(tx, openId, keys, now, todayIn(deps.timezone, now), { timezone: deps.timezone, bootstrapAdmins: deps.bootstrapAdmins }),
      );
    } catch (err) {
      // nothing linked (rolled back): their next message tries again, not only a restart or the next import
      checked.delete(openId);
      throw err;
    }
    // by what, not the mobile or e-mail itself (a third party's, tied here to an open_id)
    if (linked.length) deps.log.info({ openId, linkedBy: linked.map((k) => (k.startsWith('m:') ? 'mobile' : 'email')) }, 'imported person linked');
  };
}

/**
 * Moves every pending id among `keys` onto `openId`; the keys linked. A team's leader and its contact are never linked
 * to one person (第十五条: the organisation's contact confirms the leader's application): a workbook naming someone as a
 * team's leader by one mobile or e-mail and as its contact by another links them as the leader, keeps the contact
 * pending, and the card telling them of their teams says the team needs another contact. So too a member: the pending
 * contact of a team the person is already a member of stays pending, and the team's leader is told to choose another.
 * An expert who so becomes a team's leader, member or contact while holding its application to score steps aside
 * (回避, 第十七条).
 */
export async function linkPendingPerson(tx: Db, openId: string, keys: string[], now: Date, today: string, notices: ImportNotices = {}): Promise<string[]> {
  // nothing to link takes no lock; else 回避 below: the running cycles first, then the people's rows and the teams' (the
  // order of 注册's one statement, which takes the cycles, then the people)
  const present = await tx.select({ openId: people.openId }).from(people).where(inArray(people.openId, keys.map((key) => `${PENDING_PREFIX}${key}`)));
  if (!present.length) return [];
  await lockRunningCyclesFirst(tx, [openId]);
  const found: { key: string; placeholder: string; person: typeof people.$inferSelect }[] = [];
  for (const key of keys) {
    const placeholder = `${PENDING_PREFIX}${key}`;
    const [p] = await tx.select().from(people).where(eq(people.openId, placeholder)).for('update');
    if (!p || (await keptBefore(tx, openId, key, p))) continue;
    found.push({ key, placeholder, person: p });
  }
  if (!found.length) return [];
  // an expert imported by mobile or e-mail joins the pool now: told as 添加专家 tells them, unless already an expert
  const [before] = await tx.select({ roles: people.roles }).from(people).where(eq(people.openId, openId));
  const asExpert = (before?.roles ?? []).includes('expert') ? undefined : found.find((f) => f.person.roles.includes('expert'))?.person;
  for (const { person: p } of found) {
    // the contact's role comes with a team it is the contact of, below
    const roles = p.roles.filter((r) => r !== 'org_contact');
    await tx
      .insert(people)
      .values({ openId, name: p.name, roles, organizationId: p.organizationId, specialities: p.specialities, maxLoad: p.maxLoad, expertActive: true })
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
  }
  // the teams this link gives them, as leader or contact: the ones they are told of below
  const moved = new Set<number>();
  // leaders first, under every key, so that the contacts below see each team this person now leads
  const joining: Joining[] = [];
  for (const { placeholder } of found) {
    const led = await tx.update(teams).set({ leaderOpenId: openId, updatedAt: now }).where(eq(teams.leaderOpenId, placeholder)).returning({ id: teams.id });
    for (const t of led) moved.add(t.id);
    for (const t of led) joining.push({ teamId: t.id, openId, role: 'leader' });
  }
  const linked: string[] = [];
  const needContact = new Set<number>();
  // a member of a team, under their open_id or as any of the people linked now, is not made its contact either
  const selves = [openId, ...found.map((f) => f.placeholder)];
  for (const { key, placeholder } of found) {
    const contactOf = await tx
      .update(teams)
      .set({ contactOpenId: openId, updatedAt: now })
      .where(and(eq(teams.contactOpenId, placeholder), ne(teams.leaderOpenId, openId), notMemberOf(selves)))
      .returning({ id: teams.id });
    for (const t of contactOf) moved.add(t.id);
    if (contactOf.length) await grantRole(tx, openId, 'org_contact');
    for (const t of contactOf) joining.push({ teamId: t.id, openId, role: 'contact' });
    // applications submitted while their contact was not yet linked: the request to confirm them (第十五条) goes now
    if (contactOf.length) {
      const waiting = await tx
        .select({ id: applications.id, form: applications.form, submittedAt: applications.submittedAt, year: cycles.year })
        .from(applications)
        .innerJoin(cycles, eq(cycles.id, applications.cycleId))
        .where(and(inArray(applications.teamId, contactOf.map((t) => t.id)), eq(applications.status, 'submitted')));
      for (const a of waiting) await enqueue(tx, endorsementRequestMessage(a, a.year, openId, `link-${openId}`));
    }
    // the teams this person leads or is a member of that name them as contact too: that contact stays pending until the
    // team chooses another; the leader of a team they are a member of is told here (one they lead, by tellPeople below)
    const keptTeams = await tx
      .select({ id: teams.id, name: teams.name, code: teams.code, leaderOpenId: teams.leaderOpenId })
      .from(teams)
      .where(eq(teams.contactOpenId, placeholder));
    const kept = keptTeams.map((t) => t.id);
    for (const id of kept) needContact.add(id);
    for (const t of keptTeams) {
      if (t.leaderOpenId === openId || isPending(t.leaderOpenId)) continue;
      await enqueue(tx, { dedupeKey: `link:${key}:contact-is-member:${t.id}:${t.leaderOpenId}`, to: { openId: t.leaderOpenId }, card: pendingContactIsMemberCard(t, openId) });
    }
    const memberships = await tx.select({ teamId: teamMembers.teamId, role: teamMembers.role }).from(teamMembers).where(eq(teamMembers.openId, placeholder));
    // a member's place on a team the person is already the contact of is not taken (第十五条): the leader is told
    const contactTeams = await tx.select({ id: teams.id, name: teams.name, code: teams.code, leaderOpenId: teams.leaderOpenId }).from(teams).where(eq(teams.contactOpenId, openId));
    const asContact = new Set(memberships.filter((m) => m.role !== 'leader' && contactTeams.some((t) => t.id === m.teamId)).map((m) => m.teamId));
    for (const t of contactTeams) {
      if (!asContact.has(t.id) || isPending(t.leaderOpenId)) continue;
      await enqueue(tx, { dedupeKey: `link:${key}:member-is-contact:${t.id}:${t.leaderOpenId}`, to: { openId: t.leaderOpenId }, card: importedMemberIsContactCard(t, openId) });
    }
    for (const m of memberships) if (!asContact.has(m.teamId)) joining.push({ teamId: m.teamId, openId, role: m.role === 'leader' ? 'leader' : 'member' });
    await tx.execute(sql`insert into team_members (team_id, open_id, role) select team_id, ${openId}, role from team_members where open_id = ${placeholder}
      and not (role <> 'leader' and team_id in (select id from teams where contact_open_id = ${openId}))
      on conflict (team_id, open_id) do update set role = case when excluded.role = 'leader' then 'leader' else team_members.role end`);
    await tx.delete(teamMembers).where(eq(teamMembers.openId, placeholder));
    await tx.update(conflicts).set({ expertOpenId: openId }).where(eq(conflicts.expertOpenId, placeholder));
    if (!kept.length) await tx.delete(people).where(eq(people.openId, placeholder));
    await audit(tx, {
      actor: openId,
      action: 'person.link',
      entity: 'person',
      entityId: openId,
      details: { key, placeholder, ...(kept.length ? { contactKeptPending: kept } : {}), ...(asContact.size ? { notMemberAsContact: [...asContact] } : {}) },
      at: now,
    });
    linked.push(key);
  }
  // a team whose contact was already this person before they were linked as its leader needs another contact too
  for (const t of await tx.select({ id: teams.id }).from(teams).where(and(eq(teams.leaderOpenId, openId), eq(teams.contactOpenId, openId)))) needContact.add(t.id);
  // the person is the actor of their own linking (as of its audit row)
  const recusals = await recuseInsiders(tx, { openId, name: null, roles: [] }, joining, now, notices.timezone ?? DEFAULT_TIMEZONE, [], { cyclesLocked: true });
  await announceRecusals(outboxNotices(tx, notices.bootstrapAdmins ?? []), recusals);
  // a team they had before (registered, or named by an import that found them, which told them then) is not told again
  const named = (await teamsNamingPerson(tx, openId)).filter(({ team }) => moved.has(team.id) || needContact.has(team.id));
  await tellPeople(tx, `link:${linked.join(',')}`, named.map(({ team, organization }) => ({ ...team, organization })), today, openId, needContact);
  if (asExpert) {
    const [org] = asExpert.organizationId === null ? [] : await tx.select({ name: organizations.name }).from(organizations).where(eq(organizations.id, asExpert.organizationId));
    const welcome = org && expertWelcomeNotice(openId, org.name);
    if (welcome) await enqueue(tx, welcome);
  }
  // 关联后补发: the latest year's result (and a title's certificate) that 公布结果 could not send them, after the teams' card
  await enqueueMany(tx, await latePublishedMessages(tx, openId, [...moved], now));
  return linked;
}

/** Teams none of `openIds` is a member of (the leader's own row included). */
const notMemberOf = (openIds: string[]) =>
  sql`not exists (select 1 from ${teamMembers} m where m.team_id = ${teams.id} and m.open_id in (${sql.join(
    openIds.map((id) => sql`${id}`),
    sql`, `,
  )}))`;

/**
 * A placeholder left as the contact of teams this person leads or is a member of, when they were linked before:
 * nothing more to move (no team it leads, no other team it is the contact of, no expert), so nothing is linked or
 * said again.
 */
async function keptBefore(tx: Db, openId: string, key: string, p: typeof people.$inferSelect): Promise<boolean> {
  if (p.roles.some((r) => r !== 'org_contact')) return false;
  const [movable] = await tx
    .select({ id: teams.id })
    .from(teams)
    .where(or(eq(teams.leaderOpenId, p.openId), and(eq(teams.contactOpenId, p.openId), ne(teams.leaderOpenId, openId), notMemberOf([openId, p.openId]))))
    .limit(1);
  if (movable) return false;
  const [before] = await tx
    .select({ id: auditLog.id })
    .from(auditLog)
    .where(and(eq(auditLog.action, 'person.link'), eq(auditLog.entityId, openId), sql`${auditLog.details}->>'key' = ${key}`))
    .limit(1);
  return !!before;
}
