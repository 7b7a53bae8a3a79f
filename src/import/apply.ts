import { createHash } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import { applications, auditLog, codeSequences, honours, imports, organizations, people, teamMembers, teams } from '../../db/schema.js';
import { formerLeaderCard, type ImportedTeam, importedContactCard, importedLeaderCard, teamsImportedCard } from '../../cards/import.js';
import { contactReplacedTeamsCard } from '../../cards/teams.js';
import { oneYearAfter } from '../applications.js';
import { audit } from '../audit.js';
import { formatDateZh, todayIn } from '../dates.js';
import { UserError } from '../errors.js';
import { organizationsNamed } from '../organizations.js';
import { contactHandOverMessages } from '../endorsementCards.js';
import { enqueueMany, type OutgoingMessage } from '../outbox.js';
import { expertWelcomeNotice } from '../review/expertWelcome.js';
import { DEFAULT_TIMEZONE } from '../cycles.js';
import { type Actor, grantRole } from '../people.js';
import { requireAdmin } from '../permissions.js';
import { announceColleagueRecusals, announceRecusals, type ColleagueRecusal, type Joining, lockRunningCyclesFirst, outboxNotices, recuseColleagues, recuseInsiders } from '../review/recusal.js';
import type { ContactChange } from '../teams.js';
import { importDataVersion } from './dataVersion.js';
import { keptDetails } from '../review/experts.js';
import { isPending } from './people.js';
import { type ImportPlan, type ImportSummary, planImport, sameSummary, type TeamOp } from './plan.js';
import type { ImportWorkbook } from './workbook.js';

export type ImportRecord = typeof imports.$inferSelect;

/** 导入预览: the workbook as read and whom its people resolved to are kept, so that confirming needs no second look-up. */
export async function recordDryRun(
  tx: Db,
  actor: Actor,
  file: { name: string; bytes: Buffer },
  workbook: ImportWorkbook,
  resolved: Record<string, string>,
  today: string,
  now: Date,
  /** BOT_TIMEZONE: the day of a 注册日期 written as a moment (importDate) */
  timeZone: string = DEFAULT_TIMEZONE,
): Promise<ImportRecord> {
  requireAdmin(actor);
  // taken before the plan: a change committed while planning makes the confirmation plan again
  const dataVersion = await importDataVersion(tx, today);
  const plan = await planImport(tx, workbook, resolved, today, timeZone);
  const [row] = await tx
    .insert(imports)
    .values({ actor: actor.openId, fileName: file.name, sha256: createHash('sha256').update(file.bytes).digest('hex'), rows: workbook, resolved, summary: plan.summary, dataVersion })
    .returning();
  await audit(tx, {
    actor: actor.openId,
    action: 'import.preview',
    entity: 'import',
    entityId: row.id,
    at: now,
    details: { fileName: file.name, sha256: row.sha256, add: plan.summary.add.length, update: plan.summary.update.length, refused: plan.summary.refused.length },
  });
  return row;
}

export async function getImport(tx: Db, importId: number): Promise<ImportRecord | undefined> {
  const [row] = await tx.select().from(imports).where(eq(imports.id, importId));
  return row;
}

/**
 * Applies a previewed import whole: plans again against the database as it is now and applies that, in the
 * caller's one transaction: organisations, people (kept under a pending id when not found), teams with their
 * own code and registration date, experts, past honours, an audit row per change and the messages to the
 * imported teams. A second confirmation, or the same file again, changes nothing. `npm run import` and a
 * confirmation with nothing to write use it; 确认导入 in chat runs the import job (applyJob.ts) instead.
 */
export async function applyImport(tx: Db, actor: Actor, importId: number, now: Date, today: string, notices: ImportNotices = {}): Promise<{ record: ImportRecord; summary: ImportSummary }> {
  requireAdmin(actor);
  const [record] = await tx.select().from(imports).where(eq(imports.id, importId)).for('update');
  if (!record) throw new UserError('找不到这次导入，请重新发送文件。');
  if (record.status === 'applied') throw new UserError(`文件“${record.fileName}”已经导入过，无需重复确认。`, { kind: 'info' });
  if (record.status === 'applying') throw new UserError(`文件“${record.fileName}”正在导入，完成后预览卡片会更新。`, { kind: 'info' });
  const plan = await planImport(tx, record.rows as ImportWorkbook, record.resolved as Record<string, string>, today, notices.timezone);
  // what the preview showed is what is written: data changed since (another import, a team's details) is previewed anew
  if (!sameSummary(plan.summary, record.summary as ImportSummary)) throw new UserError(`预览后数据已有变化，文件“${record.fileName}”未导入：请重新预览（重新发送文件或运行导入），核对后再确认。`);
  const added = await applyPlan(tx, actor, importId, plan, now, notices);
  await tellPeople(tx, `import:${importId}`, added, today);
  const [applied] = await tx.update(imports).set({ status: 'applied', summary: plan.summary, appliedAt: now }).where(eq(imports.id, importId)).returning();
  await audit(tx, {
    actor: actor.openId,
    action: 'import.apply',
    entity: 'import',
    entityId: importId,
    details: { fileName: record.fileName, add: plan.summary.add.length, update: plan.summary.update.length, refused: plan.summary.refused.length, pending: plan.summary.pending.length },
    at: now,
  });
  return { record: applied, summary: plan.summary };
}

/** The teams a plan added, as the cards telling their people need them. */
export type AddedTeam = Parameters<typeof tellPeople>[2][number];

/**
 * Writes a plan (the whole workbook's, or the rows of one batch of the import job) with an audit row per
 * change; the teams it added are returned for telling their people, which the caller does once.
 */
/** When an imported title counts as awarded: 31 December of its year, or now when that is still ahead. */
export function importedAward(year: number, now: Date): Date {
  return new Date(Math.min(Date.UTC(year, 11, 31), now.getTime()));
}

/** What an import's notices need beyond the transaction: the bot's time zone and ADMIN_OPEN_IDS (administrators without the stored role). */
export interface ImportNotices {
  timezone?: string;
  bootstrapAdmins?: readonly string[];
}

/**
 * `fileCodes`: every code the whole file's plan holds, when `plan` is one batch of it: a team of this batch is never
 * given the code a later batch's row keeps.
 */
export async function applyPlan(tx: Db, actor: Actor, importId: number, plan: ImportPlan, now: Date, notices: ImportNotices = {}, fileCodes: readonly string[] = []): Promise<AddedTeam[]> {
  const entries: { action: string; entity: string; entityId: string | number; details: Record<string, unknown> }[] = [];
  // 回避 below: the running cycles first, then the organisations, the people and the codes, as 注册 takes them; for no key
  // update when anyone the batch names holds a task or an unpublished sheet of any team (the check is not per organisation)
  await lockRunningCyclesFirst(tx, [...plan.teams.flatMap((op) => [op.values.leader, op.values.contact]), ...plan.experts.map((op) => op.openId)].filter((id) => !isPending(id)));
  // a name already here in another spelling is that organisation (its key is unique): nothing added, the first spelling kept
  if (plan.organizations.length) await tx.insert(organizations).values(plan.organizations.map((name) => ({ name }))).onConflictDoNothing();
  // every organisation the plan names, found by its key as the database computes it: typed name → id and stored name
  const orgOf = await organizationsNamed(tx, [...plan.organizations, ...plan.teams.map((op) => op.values.organization), ...plan.experts.map((op) => op.organization)]);
  const orgId = new Map([...orgOf].map(([typed, o]) => [typed, o.id]));
  for (const name of plan.organizations) entries.push({ action: 'organization.import', entity: 'organization', entityId: orgId.get(name)!, details: { name } });

  // 第十七条: the experts' names and organisations as they were, read before the people's rows below fill in a missing
  // name or give a contact with none an organisation (a linked one's organisation is read again under its lock)
  const expertsWere = new Map(
    plan.experts.length
      ? (await tx.select({ openId: people.openId, name: people.name, organizationId: people.organizationId }).from(people).where(inArray(people.openId, plan.experts.map((op) => op.openId)))).map((p) => [p.openId, p])
      : [],
  );

  // a pending person is no expert for assignment until linked: expert_active stays false
  if (plan.people.length) {
    await tx
      .insert(people)
      .values(plan.people.map((p) => ({ openId: p.openId, name: p.name, expertActive: !p.pending })))
      .onConflictDoUpdate({ target: people.openId, set: { name: sql`coalesce(${people.name}, excluded.name)` } });
  }

  // the organisation of each expert and contact the plan names, as it was: someone moved into another steps aside
  // from its teams below (回避, 第十七条), as after 添加专家; their rows are locked first, as addExperts locks them
  const placed = [...new Set([...plan.experts.map((op) => op.openId), ...plan.teams.map((op) => op.values.contact)].filter((id) => !isPending(id)))];
  const orgBefore = new Map(
    placed.length ? (await tx.select({ openId: people.openId, organizationId: people.organizationId }).from(people).where(inArray(people.openId, placed)).for('update')).map((p) => [p.openId, p.organizationId]) : [],
  );

  const contacts = new Map(plan.teams.map((op) => [op.values.contact, orgId.get(op.values.organization)!]));
  for (const [contact, organizationId] of contacts) {
    await grantRole(tx, contact, 'org_contact');
    await tx.update(people).set({ organizationId }).where(and(eq(people.openId, contact), sql`${people.organizationId} is null`));
  }

  const adds = plan.teams.filter((op) => op.kind === 'add');
  const ownCodes = [...fileCodes, ...adds.flatMap((op) => (op.values.code ? [op.values.code] : []))];
  await reserveTeamCodes(tx, ownCodes);
  const codeOfRow = await freshCodes(tx, adds.filter((op) => !op.values.code), ownCodes);
  const added = adds.length
    ? await tx
        .insert(teams)
        .values(
          adds.map(({ row, values: v }) => ({
            code: v.code ?? codeOfRow.get(row)!,
            name: v.name,
            organizationId: orgId.get(v.organization)!,
            department: v.department ?? '',
            type: v.type,
            leaderOpenId: v.leader,
            phone: v.phone,
            memberCount: v.memberCount,
            functions: '',
            goals: '',
            plan: '',
            contactOpenId: v.contact,
            registeredAt: v.registeredAt,
          })),
        )
        .returning()
    : [];
  const teamIdOfRow = new Map<number, number>();
  added.forEach((team, i) => {
    const op = adds[i];
    teamIdOfRow.set(op.row, team.id);
    entries.push({ action: 'team.import', entity: 'team', entityId: team.id, details: { importId, row: op.row, code: team.code, name: team.name, registeredAt: team.registeredAt } });
  });
  if (added.length) await tx.insert(teamMembers).values(added.map((t) => ({ teamId: t.id, openId: t.leaderOpenId, role: 'leader' }))).onConflictDoNothing();

  // 第十五条, as 修改资料 hands it over: the contact replaced is told (who, when, what waited for them), the applications
  // awaiting the contact's confirmation go to the new contact
  const importDay = formatDateZh(todayIn(notices.timezone ?? DEFAULT_TIMEZONE, now));
  const handOver: OutgoingMessage[] = [];
  // the contacts replaced: each told once, of every team of theirs this import gave another contact
  const replaced = new Map<string, { byLeader: boolean; teams: { id: number; name: string; code: string; waiting: number }[] }>();
  // and the new contact is told, as 修改资料 tells them: once per person and organisation, of all its teams here
  const named = new Map<string, { openId: string; organizationId: number; organization: string; teams: { id: number; name: string; code: string }[] }>();
  // a new leader is told so, once for all their teams here, and the former one that the team is no longer theirs
  const newLeaders = new Map<string, { openId: string; teams: { id: number; name: string; code: string; organization: string }[] }>();
  // a new leader or contact who holds the team's application to score steps aside (回避, 第十七条)
  const joining: Joining[] = [];
  // so is a leader or contact of a team the import adds who holds another team of its organisation to score (as at 注册)
  for (const t of added) joining.push({ teamId: t.id, openId: t.leaderOpenId, role: 'leader' }, { teamId: t.id, openId: t.contactOpenId, role: 'contact' });
  for (const op of plan.teams) {
    if (op.kind !== 'update') continue;
    const v = op.values;
    const [before] = await tx.select().from(teams).where(eq(teams.id, op.teamId));
    await tx
      .update(teams)
      .set({
        name: v.name,
        organizationId: orgId.get(v.organization)!,
        type: v.type,
        leaderOpenId: v.leader,
        contactOpenId: v.contact,
        registeredAt: v.registeredAt,
        memberCount: v.memberCount,
        ...(v.department !== undefined ? { department: v.department } : {}),
        updatedAt: now,
      })
      .where(eq(teams.id, op.teamId));
    if (before.leaderOpenId !== v.leader) {
      joining.push({ teamId: op.teamId, openId: v.leader, role: 'leader' });
      // the former leader stays a member, as 更换班组长 in chat keeps them; named the team's contact instead, they leave
      // it (第十五条: the contact is no member of the team they confirm)
      if (v.contact === before.leaderOpenId) await tx.delete(teamMembers).where(and(eq(teamMembers.teamId, op.teamId), eq(teamMembers.openId, before.leaderOpenId), eq(teamMembers.role, 'leader')));
      else await tx.update(teamMembers).set({ role: 'member' }).where(and(eq(teamMembers.teamId, op.teamId), eq(teamMembers.openId, before.leaderOpenId), eq(teamMembers.role, 'leader')));
      await tx
        .insert(teamMembers)
        .values({ teamId: op.teamId, openId: v.leader, role: 'leader' })
        .onConflictDoUpdate({ target: [teamMembers.teamId, teamMembers.openId], set: { role: 'leader' } });
      // someone not yet linked hears of the team when they are (linkPendingPerson)
      if (!isPending(v.leader)) {
        const entry = newLeaders.get(v.leader) ?? { openId: v.leader, teams: [] };
        entry.teams.push({ id: op.teamId, name: v.name, code: before.code, organization: orgOf.get(v.organization)!.name });
        newLeaders.set(v.leader, entry);
      }
      if (!isPending(before.leaderOpenId)) {
        handOver.push({ dedupeKey: `import:${importId}:leader-replaced:${op.teamId}:${before.leaderOpenId}`, to: { openId: before.leaderOpenId }, card: formerLeaderCard({ name: v.name, code: before.code }, isPending(v.leader) ? undefined : v.leader, v.contact !== before.leaderOpenId) });
      }
    }
    let contact: ContactChange | undefined;
    if (before.contactOpenId !== v.contact) {
      joining.push({ teamId: op.teamId, openId: v.contact, role: 'contact' });
      const waiting = await tx
        .select({ id: applications.id })
        .from(applications)
        .where(and(eq(applications.teamId, op.teamId), eq(applications.status, 'submitted')));
      contact = { from: before.contactOpenId, to: v.contact, pendingApplicationIds: waiting.map((a) => a.id) };
      handOver.push(...(await contactHandOverMessages(tx, { id: op.teamId, name: v.name, code: before.code }, contact, `import:${importId}`, { openId: actor.openId, byLeader: v.leader === actor.openId, on: importDay }, false)));
      // the contact replaced is told below, once for all the teams this import replaced them in
      if (!isPending(before.contactOpenId)) {
        const entry = replaced.get(before.contactOpenId) ?? { byLeader: v.leader === actor.openId, teams: [] };
        entry.byLeader &&= v.leader === actor.openId;
        entry.teams.push({ id: op.teamId, name: v.name, code: before.code, waiting: contact.pendingApplicationIds.length });
        replaced.set(before.contactOpenId, entry);
      }
      // someone not yet linked hears of the team when they are (linkPendingPerson)
      if (!isPending(v.contact)) {
        const organization = orgOf.get(v.organization)!;
        const key = `${v.contact}|${organization.id}`;
        const entry = named.get(key) ?? { openId: v.contact, organizationId: organization.id, organization: organization.name, teams: [] };
        entry.teams.push({ id: op.teamId, name: v.name, code: before.code });
        named.set(key, entry);
      }
    }
    // 第十七条: each column written over, from what it was to what it is (the leader and contact by open_id, the organisation by name)
    const organizationChanged = before.organizationId !== orgId.get(v.organization)!;
    const formerOrganization = organizationChanged ? (await tx.select({ name: organizations.name }).from(organizations).where(eq(organizations.id, before.organizationId)))[0]?.name : undefined;
    const columns: [string, unknown, unknown][] = [
      ['name', before.name, v.name],
      ['organization', organizationChanged ? (formerOrganization ?? null) : null, organizationChanged ? orgOf.get(v.organization)!.name : null],
      ['type', before.type, v.type],
      ['leader', before.leaderOpenId, v.leader],
      ['contact', before.contactOpenId, v.contact],
      ['registeredAt', before.registeredAt, v.registeredAt],
      ['memberCount', before.memberCount, v.memberCount],
      ['department', before.department, v.department ?? before.department],
    ];
    const changes = Object.fromEntries(columns.filter(([, from, to]) => from !== to).map(([k, from, to]) => [k, { from, to }]));
    entries.push({ action: 'team.import.update', entity: 'team', entityId: op.teamId, details: { importId, row: op.row, changed: op.changes, changes, ...(contact ? { contact } : {}) } });
    // the name's own record, as 修改资料 writes it (the plan refused a rename while the running year's application is under way)
    if (before.name !== v.name) entries.push({ action: 'team.rename', entity: 'team', entityId: op.teamId, details: { from: before.name, to: v.name } });
  }

  const expertBefore = new Map<string, Record<string, unknown>>();
  if (plan.experts.length) {
    // a blank 专业特长 or 评审上限 keeps what is stored, as 专家库's form does (a linked expert's row is locked above)
    const stored = new Map(
      (
        await tx
          .select({ openId: people.openId, name: people.name, roles: people.roles, organization: organizations.name, specialities: people.specialities, maxLoad: people.maxLoad })
          .from(people)
          .leftJoin(organizations, eq(organizations.id, people.organizationId))
          .where(inArray(people.openId, plan.experts.map((op) => op.openId)))
      ).map((p) => [p.openId, p]),
    );
    // 第十七条: what each row writes over of someone on record (name, organisation, specialities, load limit), the name
    // and the organisation as they were before this batch's own writes above
    const orgIdsWere = [...new Set([...expertsWere.values()].map((p) => orgBefore.get(p.openId) ?? p.organizationId).filter((id): id is number => id !== null))];
    const orgNameOf = new Map(orgIdsWere.length ? (await tx.select({ id: organizations.id, name: organizations.name }).from(organizations).where(inArray(organizations.id, orgIdsWere))).map((o) => [o.id, o.name]) : []);
    for (const op of plan.experts) {
      const was = stored.get(op.openId);
      const before = expertsWere.get(op.openId);
      if (!was || !before) continue;
      const organizationId = orgBefore.has(op.openId) ? orgBefore.get(op.openId) : before.organizationId;
      const organization = organizationId == null ? null : (orgNameOf.get(organizationId) ?? null);
      expertBefore.set(op.openId, { expert: (was.roles ?? []).includes('expert'), name: before.name, organization, specialities: was.specialities ?? [], maxLoad: was.maxLoad ?? null });
    }
    await tx
      .insert(people)
      .values(plan.experts.map((op) => ({ openId: op.openId, name: op.name, roles: ['expert'], organizationId: orgId.get(op.organization)!, ...keptDetails(op, stored.get(op.openId)) })))
      .onConflictDoUpdate({
        target: people.openId,
        set: {
          name: sql`excluded.name`,
          roles: sql`(select array(select distinct unnest(${people.roles} || array['expert']::text[])))`,
          organizationId: sql`excluded.organization_id`,
          specialities: sql`excluded.specialities`,
          maxLoad: sql`excluded.max_load`,
          updatedAt: now,
        },
      });
  }
  for (const op of plan.experts) {
    entries.push({ action: op.kind === 'add' ? 'expert.import' : 'expert.import.update', entity: 'person', entityId: op.openId, details: { importId, row: op.row, changed: op.changes, ...(expertBefore.has(op.openId) ? { before: expertBefore.get(op.openId) } : {}) } });
  }
  // someone already known whose organisation is now another: its teams are no longer theirs to score (someone new holds no task)
  const movedTo = new Map<number, string[]>();
  if (orgBefore.size) {
    const after = await tx.select({ openId: people.openId, organizationId: people.organizationId }).from(people).where(inArray(people.openId, [...orgBefore.keys()]));
    for (const p of after) {
      if (p.organizationId === null || p.organizationId === orgBefore.get(p.openId)) continue;
      movedTo.set(p.organizationId, [...(movedTo.get(p.organizationId) ?? []), p.openId]);
    }
  }
  const nameOfOrg = new Map([...orgOf.values()].map((o) => [o.id, o.name]));
  const colleagueRecusals: ColleagueRecusal[] = [];
  for (const [id, openIds] of [...movedTo].sort(([a], [b]) => a - b)) {
    colleagueRecusals.push(...(await recuseColleagues(tx, actor, openIds, { id, name: nameOfOrg.get(id)! }, now, notices.timezone ?? DEFAULT_TIMEZONE, { cyclesLocked: true })));
  }
  await announceColleagueRecusals(outboxNotices(tx, notices.bootstrapAdmins ?? []), colleagueRecusals);

  if (plan.honours.length) {
    // a title's award day is not in the workbook: the end of its year, or the import for this year's (第二十二条 counts
    // complaints from the award on, and an award dated 31 December would keep this year's titles from any alert)
    const values = plan.honours.map((op) => ({ teamId: 'teamId' in op.team ? op.team.teamId : teamIdOfRow.get(op.team.fileRow)!, year: op.year, title: op.title, awardedAt: importedAward(op.year, now) }));
    const stored = await tx
      .insert(honours)
      .values(values)
      .onConflictDoUpdate({ target: [honours.teamId, honours.year], set: { title: sql`excluded.title` }, setWhere: sql`${honours.cycleId} is null` })
      .returning({ id: honours.id, teamId: honours.teamId, year: honours.year });
    const idOf = new Map(stored.map((h) => [`${h.teamId}|${h.year}`, h.id]));
    plan.honours.forEach((op, i) => {
      const v = values[i];
      entries.push({ action: op.kind === 'add' ? 'honour.import' : 'honour.import.update', entity: 'honour', entityId: idOf.get(`${v.teamId}|${v.year}`)!, details: { importId, row: op.row, teamId: v.teamId, year: op.year, title: op.title } });
    });
  }

  // keyed by the import and the first team: a batch of the import job names its own teams, a replayed batch none
  for (const n of named.values()) {
    handOver.push({
      dedupeKey: `import:${importId}:contact-named:${n.openId}:${n.organizationId}:${n.teams[0].id}`,
      to: { openId: n.openId },
      card: importedContactCard({ organization: n.organization, teams: n.teams }),
    });
  }
  for (const [openId, r] of replaced) {
    // one team: keyed as 修改资料's hand-over keys it; several: by the import and the first team, as the named contact's
    const key = r.teams.length === 1 ? `team:contact-replaced:${r.teams[0].id}:${openId}:import:${importId}` : `import:${importId}:contact-replaced:${openId}:${r.teams[0].id}`;
    handOver.push({ dedupeKey: key, to: { openId }, card: contactReplacedTeamsCard(r.teams, { by: actor.openId, byLeader: r.byLeader, on: importDay }) });
  }
  for (const n of newLeaders.values()) {
    handOver.push({ dedupeKey: `import:${importId}:leader-named:${n.openId}:${n.teams[0].id}`, to: { openId: n.openId }, card: importedLeaderCard({ teams: n.teams }) });
  }
  // someone new to the pool (a row of 专家 adding them, or giving someone known 专家身份) is told at once, as 添加专家
  // tells them; someone not yet linked to Feishu is told when linked (linkPendingPerson)
  for (const op of plan.experts) {
    if (op.kind === 'update' && !op.changes.includes('专家身份')) continue;
    const welcome = expertWelcomeNotice(op.openId, orgOf.get(op.organization)!.name);
    if (welcome) handOver.push(welcome);
  }
  await enqueueMany(tx, handOver);
  // someone this import moved into the organisation has already stepped aside from its teams above: not reported twice
  const recusals = await recuseInsiders(tx, actor, joining, now, notices.timezone ?? DEFAULT_TIMEZONE, colleagueRecusals.map((r) => ({ openId: r.openId, teamId: r.team.id })), { cyclesLocked: true });
  await announceRecusals(outboxNotices(tx, notices.bootstrapAdmins ?? []), recusals);

  for (let i = 0; i < entries.length; i += 500) {
    await tx.insert(auditLog).values(entries.slice(i, i + 500).map((e) => ({ actor: actor.openId, at: now, action: e.action, entity: e.entity, entityId: String(e.entityId), details: e.details })));
  }
  return added.map((t, i) => ({ ...t, organization: orgOf.get(adds[i].values.organization)!.name }));
}

/** GDSZ-<registration year>-<serial> for each imported team without a code: one bump of the year's serial, skipping codes already taken or held by the file. */
async function freshCodes(tx: Db, ops: TeamOp[], fileCodes: readonly string[]): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  if (!ops.length) return out;
  const taken = new Set([...(await tx.select({ code: teams.code }).from(teams)).map((t) => t.code), ...fileCodes]);
  const byYear = new Map<number, TeamOp[]>();
  for (const op of ops) {
    const year = Number(op.values.registeredAt.slice(0, 4));
    byYear.set(year, [...(byYear.get(year) ?? []), op]);
  }
  for (const [year, mine] of byYear) {
    const queue = [...mine];
    while (queue.length) {
      const n = queue.length;
      const [row] = await tx
        .insert(codeSequences)
        .values({ scope: `team:${year}`, last: n })
        .onConflictDoUpdate({ target: codeSequences.scope, set: { last: sql`${codeSequences.last} + ${n}` } })
        .returning({ last: codeSequences.last });
      for (let serial = row.last - n + 1; serial <= row.last; serial++) {
        const code = `GDSZ-${year}-${String(serial).padStart(4, '0')}`;
        if (!taken.has(code)) out.set(queue.shift()!.row, code);
      }
    }
  }
  return out;
}

/**
 * An imported GDSZ-2024-0007 moves the 2024 serial to at least 7, so a later registration never draws it again; run when
 * 确认导入 starts the job too, so no 注册 before or between its batches draws a code a row of the file keeps.
 */
export async function reserveTeamCodes(tx: Db, importedCodes: readonly string[]): Promise<void> {
  const highest = new Map<string, number>();
  for (const code of importedCodes) {
    const m = /^GDSZ-(\d{4})-(\d+)$/.exec(code);
    if (m) highest.set(`team:${Number(m[1])}`, Math.max(highest.get(`team:${Number(m[1])}`) ?? 0, Number(m[2])));
  }
  if (!highest.size) return;
  await tx
    .insert(codeSequences)
    .values([...highest].map(([scope, last]) => ({ scope, last })))
    .onConflictDoUpdate({ target: codeSequences.scope, set: { last: sql`greatest(${codeSequences.last}, excluded.last)` } });
}

/**
 * Leaders and contacts hear that their teams are now managed here: one card per person, listing all of
 * their teams (a contact may have dozens). Someone still pending hears it when linked; `only` limits it to one person;
 * `needContact` are the teams that person leads whose contact is to be chosen anew (第十五条).
 */
export async function tellPeople(
  tx: Db,
  key: string,
  list: { id: number; code: string; name: string; organization: string; registeredAt: string; leaderOpenId: string; contactOpenId: string }[],
  today: string,
  only?: string,
  needContact?: ReadonlySet<number>,
): Promise<void> {
  const byPerson = new Map<string, ImportedTeam[]>();
  for (const t of list) {
    const eligibleFrom = oneYearAfter(t.registeredAt);
    const base = {
      code: t.code,
      name: t.name,
      organization: t.organization,
      registeredAt: t.registeredAt,
      eligibleFrom,
      eligibleNow: eligibleFrom <= today,
      ...(needContact?.has(t.id) ? { needsContact: true } : {}),
    };
    for (const [openId, role] of [
      [t.leaderOpenId, 'leader'],
      [t.contactOpenId, 'contact'],
    ] as const) {
      if (isPending(openId) || (only && openId !== only)) continue;
      const mine = byPerson.get(openId) ?? [];
      if (!mine.some((x) => x.code === t.code)) mine.push({ ...base, role });
      byPerson.set(openId, mine);
    }
  }
  await enqueueMany(
    tx,
    [...byPerson].map(([openId, teamsOfPerson]) => ({ dedupeKey: `${key}:told:${openId}`, to: { openId }, card: teamsImportedCard(teamsOfPerson) })),
  );
}

/** The teams a person leads or is the contact of, for telling them once they are linked. */
export async function teamsNamingPerson(tx: Db, openId: string) {
  return tx
    .select({ team: teams, organization: organizations.name })
    .from(teams)
    .innerJoin(organizations, eq(organizations.id, teams.organizationId))
    .where(sql`${teams.leaderOpenId} = ${openId} or ${teams.contactOpenId} = ${openId}`);
}
