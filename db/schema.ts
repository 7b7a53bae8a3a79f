import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigserial,
  boolean,
  date,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  serial,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

/**
 * One organisation however its name is typed: `key` is `organization_key(name)` (the migration 0005_organization_key
 * defines it; `organizationKey` in src/organizations.ts is the same in TypeScript), unique. `name` is the spelling first seen.
 */
export const organizations = pgTable(
  'organizations',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull(),
    key: text('key')
      .notNull()
      .generatedAlwaysAs(sql`organization_key(name)`),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('organizations_key_uq').on(t.key)],
);

/** Everyone the bot knows by open_id; roles: admin, expert, org_contact. */
export const people = pgTable(
  'people',
  {
    openId: text('open_id').primaryKey(),
    name: text('name'),
    roles: text('roles').array().notNull().default(sql`'{}'::text[]`),
    organizationId: integer('organization_id').references(() => organizations.id),
    // expert pool (第十一条)
    specialities: text('specialities').array().notNull().default(sql`'{}'::text[]`),
    maxLoad: integer('max_load'),
    expertActive: boolean('expert_active').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('people_roles_idx').using('gin', t.roles)],
);

/** Per-year serial for team codes GDSZ-<year>-<serial>, bumped atomically. */
export const codeSequences = pgTable('code_sequences', {
  scope: text('scope').primaryKey(),
  last: integer('last').notNull(),
});

export const teams = pgTable(
  'teams',
  {
    id: serial('id').primaryKey(),
    code: text('code').notNull().unique(),
    name: text('name').notNull(),
    organizationId: integer('organization_id').notNull().references(() => organizations.id),
    department: text('department').notNull(), // 主管部门
    type: text('type').notNull(), // 班组类型 (第二条)
    leaderOpenId: text('leader_open_id').notNull().references(() => people.openId),
    phone: text('phone').notNull(),
    memberCount: integer('member_count').notNull(),
    functions: text('functions').notNull(), // 主要职能
    goals: text('goals').notNull(), // 创建目标 (第四条)
    plan: text('plan').notNull(), // 活动计划与实施措施 (第四条)
    contactOpenId: text('contact_open_id').notNull().references(() => people.openId), // 单位联系人 (第十五条)
    registeredAt: date('registered_at', { mode: 'string' }).notNull(),
    status: text('status').notNull().default('active'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('teams_leader_idx').on(t.leaderOpenId),
    index('teams_contact_idx').on(t.contactOpenId),
    index('teams_org_idx').on(t.organizationId),
    // one team however its name is typed (养护(四)班 is 养护（四）班): the key organisations are compared by (migration 0005)
    uniqueIndex('teams_org_name_key_uq').on(t.organizationId, sql`organization_key(${t.name})`),
  ],
);

export const teamMembers = pgTable(
  'team_members',
  {
    teamId: integer('team_id').notNull().references(() => teams.id, { onDelete: 'cascade' }),
    openId: text('open_id').notNull().references(() => people.openId),
    role: text('role').notNull(), // leader | member
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.openId] }), index('team_members_open_id_idx').on(t.openId)],
);

export const cycles = pgTable(
  'cycles',
  {
    id: serial('id').primaryKey(),
    year: integer('year').notNull().unique(),
    status: text('status').notNull(), // open | scoring | closed | published
    applicationDeadline: date('application_deadline', { mode: 'string' }).notNull(),
    scoringDeadline: date('scoring_deadline', { mode: 'string' }).notNull(),
    reviewMeetingDate: date('review_meeting_date', { mode: 'string' }).notNull(),
    scoreSheet: jsonb('score_sheet').notNull(),
    awardThreshold: numeric('award_threshold', { precision: 5, scale: 2, mode: 'number' }).notNull().default(85),
    expertsPerApplication: integer('experts_per_application').notNull().default(3),
    recommendShare: numeric('recommend_share', { precision: 4, scale: 3, mode: 'number' }).notNull().default(0.1),
    settings: jsonb('settings').notNull().default(sql`'{}'::jsonb`),
    openedBy: text('opened_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  // 第十九条: one running cycle at a time
  (t) => [uniqueIndex('cycles_one_running_uq').on(sql`(true)`).where(sql`${t.status} in ('open', 'scoring', 'closed')`)],
);

export const applications = pgTable(
  'applications',
  {
    id: serial('id').primaryKey(),
    teamId: integer('team_id').notNull().references(() => teams.id),
    cycleId: integer('cycle_id').notNull().references(() => cycles.id),
    status: text('status').notNull(), // draft | submitted | returned | recommended | accepted | rejected | scored | decided
    form: jsonb('form').notNull().default(sql`'{}'::jsonb`),
    declarations: jsonb('declarations').notNull().default(sql`'{}'::jsonb`),
    endorsement: jsonb('endorsement'), // 单位确认推荐 (第十五条)
    finalScore: numeric('final_score', { precision: 6, scale: 2, mode: 'number' }),
    rank: integer('rank'),
    decision: text('decision'),
    review: jsonb('review'), // aggregation: the panel's totals, dropped scores, outliers, area subtotals
    submittedAt: timestamp('submitted_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('applications_team_cycle_uq').on(t.teamId, t.cycleId), index('applications_cycle_status_idx').on(t.cycleId, t.status)],
);

export const assignments = pgTable(
  'assignments',
  {
    id: serial('id').primaryKey(),
    applicationId: integer('application_id').notNull().references(() => applications.id),
    // the application's cycle, copied by the trigger assignments_cycle_id (migration 0004) on every insert, so an
    // expert's tasks of one year are one index range (their progress on every 提交评分) without a probe per task
    // (no foreign key of its own: the application's is the one that holds)
    cycleId: integer('cycle_id').notNull().default(sql`null`),
    expertOpenId: text('expert_open_id').notNull().references(() => people.openId),
    status: text('status').notNull(), // assigned | submitted | declined | replaced
    scores: jsonb('scores'),
    total: numeric('total', { precision: 6, scale: 2, mode: 'number' }),
    comment: text('comment'),
    declineReason: text('decline_reason'),
    assignedAt: timestamp('assigned_at', { withTimezone: true }).notNull().defaultNow(),
    submittedAt: timestamp('submitted_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('assignments_application_expert_uq').on(t.applicationId, t.expertOpenId), index('assignments_expert_cycle_idx').on(t.expertOpenId, t.cycleId, t.status)],
);

/** Declared conflicts of interest (第十七条): an expert against a team or a whole organisation. */
export const conflicts = pgTable(
  'conflicts',
  {
    id: serial('id').primaryKey(),
    expertOpenId: text('expert_open_id').notNull().references(() => people.openId),
    teamId: integer('team_id').references(() => teams.id),
    organizationId: integer('organization_id').references(() => organizations.id),
    reason: text('reason'),
    createdAt: createdAt(),
  },
  (t) => [index('conflicts_expert_idx').on(t.expertOpenId)],
);

/** The annual title (第二十条) and its revocation (第二十二条). */
export const honours = pgTable(
  'honours',
  {
    id: serial('id').primaryKey(),
    teamId: integer('team_id').notNull().references(() => teams.id),
    cycleId: integer('cycle_id').references(() => cycles.id),
    year: integer('year').notNull(),
    title: text('title'), // a past honour's own wording (imported); null is this programme's 质量信得过班组
    score: numeric('score', { precision: 6, scale: 2, mode: 'number' }),
    recommended: boolean('recommended').notNull().default(false),
    awardedAt: timestamp('awarded_at', { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    revokedReason: text('reason'),
    // 保留称号: upheld complaints before this moment no longer count towards a revocation alert
    keptAt: timestamp('kept_at', { withTimezone: true }),
    keptReason: text('kept_reason'),
  },
  (t) => [uniqueIndex('honours_team_year_uq').on(t.teamId, t.year)],
);

/**
 * 荣誉证书 (第二十条): one per honour, numbered GDSZ-ZS-<year>-<serial>; what is printed is kept as issued,
 * so a later rename of the team does not change a certificate already handed out.
 */
export const certificates = pgTable(
  'certificates',
  {
    id: serial('id').primaryKey(),
    number: text('number').notNull().unique(),
    honourId: integer('honour_id').notNull().references(() => honours.id),
    teamId: integer('team_id').notNull().references(() => teams.id),
    cycleId: integer('cycle_id').references(() => cycles.id),
    year: integer('year').notNull(),
    association: text('association').notNull(),
    teamName: text('team_name').notNull(),
    organization: text('organization').notNull(),
    title: text('title').notNull(),
    issuedAt: timestamp('issued_at', { withTimezone: true }).notNull(),
  },
  (t) => [uniqueIndex('certificates_honour_uq').on(t.honourId), index('certificates_cycle_idx').on(t.cycleId)],
);

export const complaints = pgTable(
  'complaints',
  {
    id: serial('id').primaryKey(),
    reference: text('reference').notNull().unique(),
    teamId: integer('team_id').notNull().references(() => teams.id),
    content: text('content').notNull(),
    channel: text('channel').notNull(), // chat | web
    contact: text('contact'),
    complainantOpenId: text('complainant_open_id'),
    status: text('status').notNull().default('open'), // open | upheld | dismissed | duplicate | withdrawn
    /** The complaint this one repeats (status duplicate): the same team's, named by the administrator. */
    duplicateOf: integer('duplicate_of').references((): AnyPgColumn => complaints.id),
    note: text('note'),
    decidedBy: text('decided_by'),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    /**
     * 保留称号 (第二十二条): the moment of the 保留 that set this upheld complaint aside (the honour's kept_at then). A
     * 更正认定 writes decided_at anew, not this: a complaint the 保留 answered stays set aside, 成立 → 不成立 → 成立 or not.
     */
    setAsideAt: timestamp('set_aside_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('complaints_team_idx').on(t.teamId, t.createdAt), index('complaints_status_idx').on(t.status)],
);

export const chatBindings = pgTable(
  'chat_bindings',
  {
    chatId: text('chat_id').notNull(),
    purpose: text('purpose').notNull(), // admin | experts
    boundBy: text('bound_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.chatId, t.purpose] })],
);

/** Every message the bot sends goes through here, deduplicated by key and claimed with SKIP LOCKED. */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    dedupeKey: text('dedupe_key').notNull().unique(),
    kind: text('kind').notNull().default('send'), // send | reply | update
    receiveIdType: text('receive_id_type').notNull(), // open_id | chat_id | message_id (reply, update)
    receiver: text('receiver').notNull(),
    rateKey: text('rate_key').notNull(), // the chat or user the message lands in: 5/s each
    msgType: text('msg_type').notNull().default('interactive'),
    priority: smallint('priority').notNull().default(1), // 0 answers what a user just did, 1 bulk: lower goes first
    card: jsonb('card').notNull(),
    status: text('status').notNull().default('pending'), // held | waiting (for after_key) | pending | sending | sent | undeliverable | dead | dropped (drawn at send time and no longer true: a withdrawn task, a revoked title's certificate)
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    claimedAt: timestamp('claimed_at', { withTimezone: true }),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    messageId: text('message_id'),
    lastError: text('last_error'),
    /**
     * Whom a card to a group answers and what they sent (`{ openId, said?, render? }`): a 互通群 takes no cards (230054), and
     * then they get the card privately and the group a word in text (src/notifications.ts, cardsRefusedFallback).
     */
    asked: jsonb('asked').$type<{ openId: string; said?: string; render?: { kind: string } & Record<string, unknown> }>(),
    /**
     * The dedupe key of the message this one follows (a certificate after the result card that names it): this one is
     * `waiting` until that one is sent, dropped, dead or undeliverable (the trigger outbox_release_followers, migration 0025),
     * or deleted unsent (outbox_release_followers_on_delete, migrations 0026 and 0027).
     */
    afterKey: text('after_key'),
    createdAt: createdAt(),
  },
  (t) => [
    // in the claim's order (src/outbox.ts \`claim\`), so a backlog of thousands is read only as far as one batch
    index('outbox_due_idx').on(t.priority, t.nextAttemptAt, t.id).where(sql`${t.status} = 'pending'`),
    index('outbox_claimed_idx').on(t.claimedAt, t.rateKey),
    index('outbox_status_idx').on(t.status),
    // isSharedChat (src/groups.ts): has the bot posted or replied in this chat; group sends and replies only, not the task cards to experts
    // the rows waiting for a message (OutgoingMessage.after), released as it is finished (trigger outbox_release_followers)
    index('outbox_waiting_idx').on(t.afterKey).where(sql`${t.status} = 'waiting'`),
    index('outbox_shared_chat_idx').on(t.rateKey).where(sql`${t.receiveIdType} = 'chat_id' or ${t.kind} = 'reply'`),
  ],
);

export const processedEvents = pgTable('processed_events', {
  eventId: text('event_id').primaryKey(),
  eventType: text('event_type').notNull(),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
});

/** One row per scheduled run: the unique (job, period) is how replicas agree who runs it. */
export const jobRuns = pgTable(
  'job_runs',
  {
    id: serial('id').primaryKey(),
    job: text('job').notNull(),
    period: text('period').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    status: text('status').notNull().default('running'),
    details: jsonb('details'),
  },
  (t) => [uniqueIndex('job_runs_job_period_uq').on(t.job, t.period)],
);

export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    actor: text('actor').notNull(), // open_id, or system:<job>
    action: text('action').notNull(),
    entity: text('entity').notNull(),
    entityId: text('entity_id').notNull(),
    details: jsonb('details').notNull().default(sql`'{}'::jsonb`),
  },
  (t) => [
    index('audit_log_entity_idx').on(t.entity, t.entityId, t.at),
    index('audit_log_actor_idx').on(t.actor, t.at),
    index('audit_log_action_idx').on(t.action, t.at),
  ],
);

/** A workbook an administrator sent for import: its rows as read, whom they resolved to, and whether it was applied. */
export const imports = pgTable(
  'imports',
  {
    id: serial('id').primaryKey(),
    actor: text('actor').notNull(),
    fileName: text('file_name').notNull(),
    sha256: text('sha256').notNull(),
    status: text('status').notNull().default('planned'), // planned | applying (its bulk job runs) | applied
    rows: jsonb('rows').notNull(), // the workbook as read (ImportWorkbook)
    resolved: jsonb('resolved').notNull().default(sql`'{}'::jsonb`), // person key → open_id found through the contact API
    summary: jsonb('summary').notNull().default(sql`'{}'::jsonb`), // the dry run (or, once applied, what was done)
    // what the dry run was planned against (src/import/dataVersion.ts): a confirmation finding other data plans again
    dataVersion: text('data_version'),
    createdAt: createdAt(),
    appliedAt: timestamp('applied_at', { withTimezone: true }),
  },
  (t) => [index('imports_actor_idx').on(t.actor, t.createdAt)],
);

/** One row per counted request of a rate-limited endpoint; shared by every replica, pruned as rows age. */
export const rateLimitHits = pgTable(
  'rate_limit_hits',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    key: text('key').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
  },
  (t) => [index('rate_limit_hits_key_idx').on(t.key, t.at), index('rate_limit_hits_at_idx').on(t.at)],
);

/**
 * Local mode's /dev console: every message of its chats as last shown, the user's own and the bot's, each card
 * at its latest update, so a restart shows each chat as Feishu would. Unused with a real Feishu app.
 */
export const consoleEntries = pgTable(
  'console_entries',
  {
    messageId: text('message_id').primaryKey(),
    /** order of arrival, across restarts */
    seq: bigserial('seq', { mode: 'number' }).notNull(),
    chatId: text('chat_id').notNull(),
    sender: text('sender').$type<'user' | 'bot'>().notNull(),
    openId: text('open_id'),
    sentAt: timestamp('sent_at', { withTimezone: true }).notNull(),
    msgType: text('msg_type').notNull(),
    content: jsonb('content').notNull(),
    replyTo: text('reply_to'),
    updatedAt: updatedAt(),
  },
  (t) => [index('console_entries_chat_idx').on(t.chatId, t.seq)],
);

/**
 * Administrators' bulk work (截止申报 and 分配专家, 公布结果) done off the callback: the callback records the job,
 * a worker of any replica claims it under a lease and works through it in batches, each batch one transaction.
 */
export const bulkJobs = pgTable(
  'bulk_jobs',
  {
    id: serial('id').primaryKey(),
    kind: text('kind').notNull(), // assign | publish | import | remind (the last two belong to no cycle)
    cycleId: integer('cycle_id').references(() => cycles.id),
    params: jsonb('params').notNull().default(sql`'{}'::jsonb`),
    status: text('status').notNull().default('queued'), // queued | running | done | failed
    done: integer('done').notNull().default(0),
    total: integer('total').notNull().default(0),
    /** where the next batch starts (an application id): a replayed batch finds its rows already past it */
    cursor: integer('cursor').notNull().default(0),
    /** what the batches found along the way (unfilled panels, counts), for the final card */
    result: jsonb('result').notNull().default(sql`'{}'::jsonb`),
    createdBy: text('created_by').notNull(),
    /** the administrator's card the progress is written into (open_message_id of the callback) */
    messageId: text('message_id'),
    claimedBy: text('claimed_by'),
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    progressAt: timestamp('progress_at', { withTimezone: true }),
    attempts: integer('attempts').notNull().default(0),
    error: text('error'),
    createdAt: createdAt(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    // one job of a kind per cycle at a time: a second click finds the running one
    uniqueIndex('bulk_jobs_active_uq').on(t.kind, t.cycleId).where(sql`${t.status} in ('queued', 'running')`),
    index('bulk_jobs_claim_idx').on(t.status, t.leaseUntil),
  ],
);

/**
 * How the association is reached (协会联系方式), set by an administrator: one row (id 1), appended wherever a text says
 * 请联系协会. `contact` holds name (联系人或部门), phone, email and hours as typed.
 */
export const associationSettings = pgTable('association_settings', {
  id: smallint('id').primaryKey().default(1),
  contact: jsonb('contact').$type<{ name: string; phone?: string; email?: string; hours?: string }>(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  updatedBy: text('updated_by'),
});
