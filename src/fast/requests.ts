import type { Database } from '../../db/index.js';
import { HELP_MENU_CARD, type menuTable } from '../helpMenuCards.js';
import { TASK_APPLICATION_CARD } from '../review/taskCards.js';
import type { OutgoingFile } from '../outbox.js';
import { postgresClient } from '../pipeline.js';
import { claimCte } from './sql.js';

/**
 * The three actions that send a message on request, in one round trip on PostgreSQL: 在私聊中打开我的菜单
 * (`help.private`), 下载导入模板 (`import.template`) and 查看申报表全文 (`review.application`): one statement, its own
 * transaction. It claims the event
 * only when the ordinary path would let the clicker do it, and queues the message only when the claim row was inserted. It is raw SQL because one statement must check and write at once, which
 * the query builder cannot say. It handles the success alone: on anything else (not an administrator, a delivery
 * seen before) it writes nothing, not even the claim, and the ordinary path runs and answers as it always has.
 *
 * Locks come in the ordinary path's order: the claim's row, then the outbox row. Both messages go to the clicker
 * themself, so they are queued as `ctx.send` queues the answer to what a user just did: priority 0 (interactive).
 */

/** The event as the fast paths get it. */
export interface FastRequest {
  eventId: string;
  eventType: string;
  openId: string;
  /** ADMIN_OPEN_IDS: administrators without the stored role. */
  bootstrapAdmins: readonly string[];
}

/** The statement's answer: whether the event was claimed (then the message is queued), and how many rows it added. */
type Outcome = { claimed: boolean; queued: number };

/**
 * The menu: the clicker's roles, as `actorFrom` (src/people.ts) makes them from what the claim reads (the stored
 * roles, then admin by ADMIN_OPEN_IDS, leader, member; each once, in the place it first came), and the entries
 * `BotRegistry.menuFor` offers them, found here so that the card queued is drawn for the roles they have now.
 */
const menuSql = `
with actor_roles as (
  select array(
    select r from unnest(
      coalesce((select p.roles from people p where p.open_id = $3::text), '{}'::text[])
      || case when $3::text = any($4::text[]) then array['admin'] else '{}'::text[] end
      || case when exists (select 1 from team_members m where m.open_id = $3::text and m.role = 'leader') then array['leader'] else '{}'::text[] end
      || case when exists (select 1 from team_members m where m.open_id = $3::text) then array['member'] else '{}'::text[] end
    ) with ordinality u (r, i)
    group by r order by min(i)) as roles
),
buttons as (
  -- menuFor: an entry shown to everyone, or to one of the roles; $5 is the whole menu in its order (menuTable)
  select coalesce(jsonb_agg(e - 'roles' order by i), '[]'::jsonb) as buttons
  from jsonb_array_elements($5::jsonb) with ordinality x (e, i), actor_roles a
  where jsonb_array_length(e -> 'roles') = 0 or exists (select 1 from jsonb_array_elements_text(e -> 'roles') r where r = any(a.roles))
),
-- the registry's roles ['public']: anyone may ask for their menu
${claimCte({ from: null, eventId: '$1::text', eventType: '$2::text' })},
queued as (
  -- openMenuPrivately's ctx.sendIfNew, once the event is claimed, unless the period before queued one ($9: a press just before)
  insert into outbox (dedupe_key, kind, receive_id_type, receiver, rate_key, msg_type, priority, card, next_attempt_at)
  select $6::text, 'send', 'open_id', $3::text, $3::text, 'interactive', 0,
    jsonb_build_object('render', jsonb_build_object('kind', $7::text, 'roles', to_jsonb(a.roles), 'buttons', b.buttons, 'openId', $3::text)), $8::timestamptz
  from claim, actor_roles a, buttons b
  where not exists (select 1 from outbox o where o.dedupe_key = $9::text)
  on conflict (dedupe_key) do nothing
  returning id
)
select exists (select 1 from claim) as claimed, (select count(*) from queued)::int as queued`;

/**
 * The template: the workbook's bytes are made in TypeScript before the trip, as the ordinary path makes them, so
 * the row is inserted as it is (a file message holds them, base64).
 */
const templateSql = `
with verdict as (
  -- the registry's roles ['admin'] (mayUse, src/handlers.ts): the stored role or ADMIN_OPEN_IDS, as actorFrom (src/people.ts) makes the actor
  select exists (select 1 from people p where p.open_id = $3::text and 'admin' = any(p.roles)) or $3::text = any($4::text[]) as ok
),
${claimCte({ eventId: '$1::text', eventType: '$2::text' })},
queued as (
  -- sendTemplate's ctx.sendIfNew, once the event is claimed, unless the period before queued one ($8: a press just before)
  insert into outbox (dedupe_key, kind, receive_id_type, receiver, rate_key, msg_type, priority, card, next_attempt_at)
  select $5::text, 'send', 'open_id', $3::text, $3::text, 'file', 0, $6::jsonb, $7::timestamptz
  from claim
  where not exists (select 1 from outbox o where o.dedupe_key = $8::text)
  on conflict (dedupe_key) do nothing
  returning id
)
select exists (select 1 from claim) as claimed, (select count(*) from queued)::int as queued`;

/** 查看申报表全文: the task's 申报表 to its expert, drawn at send time from the spec (`taskApplicationMessage`). */
const taskApplicationSql = `
with verdict as (
  -- the registry's roles [assignedExpert] (mayUse): the expert persona, people.roles alone as actorFrom makes it;
  -- showTaskApplication's ownTask: the task is the clicker's; and still to score in a year scoring (its toast says
  -- 可继续打分), any other left to the ordinary path
  select exists (select 1 from people p where p.open_id = $3::text and 'expert' = any(p.roles))
    and exists (select 1 from assignments a join applications ap on ap.id = a.application_id join cycles c on c.id = ap.cycle_id
      join teams t on t.id = ap.team_id
      where a.id = $4::int and a.expert_open_id = $3::text and a.status = 'assigned' and c.status in ('open', 'scoring')
        -- offPanelText (recusalReason): an expert who must step aside from the team (their place in it, a declared
        -- conflict, their own organisation, by their expert record or a team of it they lead, belong to or are the
        -- contact of) is sent no 申报表 (第十七条); left to the ordinary path, which says why
        and $3::text <> t.leader_open_id and $3::text <> t.contact_open_id
        and not exists (select 1 from team_members m where m.team_id = t.id and m.open_id = $3::text)
        and not exists (select 1 from conflicts x where x.expert_open_id = $3::text and (x.team_id = t.id or x.organization_id = t.organization_id))
        and not exists (select 1 from people e where e.open_id = $3::text and e.organization_id = t.organization_id)
        and not exists (select 1 from teams own where own.leader_open_id = $3::text and own.organization_id = t.organization_id)
        and not exists (select 1 from teams own where own.contact_open_id = $3::text and own.organization_id = t.organization_id)
        and not exists (select 1 from team_members om join teams own on own.id = om.team_id where om.open_id = $3::text and own.organization_id = t.organization_id)) as ok
),
${claimCte({ eventId: '$1::text', eventType: '$2::text' })},
queued as (
  -- showTaskApplication's ctx.sendIfNew, once the event is claimed, unless the period before queued one ($8: a press just before)
  insert into outbox (dedupe_key, kind, receive_id_type, receiver, rate_key, msg_type, priority, card, next_attempt_at)
  select $5::text, 'send', 'open_id', $3::text, $3::text, 'interactive', 0,
    jsonb_build_object('render', jsonb_build_object('kind', $6::text, 'assignmentId', $4::int)), $7::timestamptz
  from claim
  where not exists (select 1 from outbox o where o.dedupe_key = $8::text)
  on conflict (dedupe_key) do nothing
  returning id
)
select exists (select 1 from claim) as claimed, (select count(*) from queued)::int as queued`;

/**
 * The statement on its own, which PostgreSQL runs as a transaction of its own: one write, one answer. Not `pipelined`
 * (BEGIN, the statement, COMMIT): postgres.js writes a message of 1 KB or more at once and the COMMIT a moment after,
 * so the template's bytes (about 27 KB of base64) would split the write in two, the server answering BEGIN between.
 * Undefined on PGlite (nothing sent).
 */
async function once(database: Database, text: string, params: unknown[]): Promise<Outcome | undefined> {
  const client = postgresClient(database);
  if (!client) return undefined;
  const rows = (await client.unsafe(text, params as never[], { prepare: true })) as unknown as Outcome[];
  return rows[0];
}

/**
 * `help.private`: the clicker's menu queued to them, drawn at send time from the roles and buttons the statement
 * found; how many rows were queued (none: a press just before queued it, resendKeys), or undefined (nothing written)
 * for the ordinary path to run.
 */
export async function fastPrivateMenu(database: Database, event: FastRequest & { dedupeKey: string; previousKey: string; menu: ReturnType<typeof menuTable> }): Promise<{ queued: number } | undefined> {
  // enqueueQuietly sends nothing to an imported person not yet linked to Feishu: left to it
  if (!postgresClient(database) || event.openId.startsWith('pending:')) return undefined;
  const outcome = await once(database, menuSql, [
    event.eventId,
    event.eventType,
    event.openId,
    [...event.bootstrapAdmins],
    JSON.stringify(event.menu),
    event.dedupeKey,
    HELP_MENU_CARD,
    // due at the process's time, as enqueueQuietly stamps it
    new Date().toISOString(),
    event.previousKey,
  ]);
  return outcome?.claimed ? { queued: outcome.queued } : undefined;
}

/**
 * `import.template`: the workbook queued to the administrator who asked; how many rows were queued (none: a press
 * just before queued it, resendKeys), or undefined (nothing written) for the ordinary path to run.
 */
export async function fastImportTemplate(database: Database, event: FastRequest & { dedupeKey: string; previousKey: string; file: OutgoingFile }): Promise<{ queued: number } | undefined> {
  if (!postgresClient(database) || event.openId.startsWith('pending:')) return undefined;
  const outcome = await once(database, templateSql, [
    event.eventId,
    event.eventType,
    event.openId,
    [...event.bootstrapAdmins],
    event.dedupeKey,
    JSON.stringify(event.file),
    new Date().toISOString(),
    event.previousKey,
  ]);
  return outcome?.claimed ? { queued: outcome.queued } : undefined;
}

/**
 * `review.application`: the 申报表 of one of the clicker's tasks queued to them; how many rows were queued (none: a press
 * just before queued it, taskApplicationKeys), or undefined (nothing written) for the ordinary path to run.
 */
export async function fastTaskApplication(database: Database, event: FastRequest & { assignmentId: number; dedupeKey: string; previousKey: string }): Promise<{ queued: number } | undefined> {
  if (!postgresClient(database) || event.openId.startsWith('pending:')) return undefined;
  const outcome = await once(database, taskApplicationSql, [
    event.eventId,
    event.eventType,
    event.openId,
    event.assignmentId,
    event.dedupeKey,
    TASK_APPLICATION_CARD,
    // due at the process's time, as enqueueQuietly stamps it
    new Date().toISOString(),
    event.previousKey,
  ]);
  return outcome?.claimed ? { queued: outcome.queued } : undefined;
}
