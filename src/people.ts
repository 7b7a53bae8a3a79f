import { and, desc, sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { people } from '../db/schema.js';
import { rowsOf } from './outbox.js';

/** admin, expert and org_contact are stored; leader and member come from team membership. */
export type Role = 'admin' | 'expert' | 'org_contact' | 'leader' | 'member';
export const storedRoles = ['admin', 'expert', 'org_contact'] as const;

export interface Actor {
  openId: string;
  name: string | null;
  roles: Role[];
}

export function hasRole(actor: Actor, ...roles: Role[]): boolean {
  return roles.some((r) => actor.roles.includes(r));
}

/** Who someone is now (their stored roles, and whether they lead or belong to a team), outside an event: a bulk job's creator. */
export async function loadActor(tx: Db, openId: string, bootstrapAdmins: readonly string[]): Promise<Actor> {
  const result = await tx.execute(sql`
    select p.name, coalesce(p.roles, '{}'::text[]) as roles,
      exists(select 1 from team_members m where m.open_id = ${openId} and m.role = 'leader') as leader,
      exists(select 1 from team_members m where m.open_id = ${openId}) as member
    from (select 1) one left join people p on p.open_id = ${openId}`);
  return actorFrom(openId, rowsOf(result)[0] as { name: string | null; roles: string[] | string; leader: boolean; member: boolean } | undefined, bootstrapAdmins);
}

/**
 * The event's dedupe row and the actor in one round trip: undefined when the event_id was recorded
 * before (a retried delivery), the actor otherwise.
 */
export async function claimEventAndLoadActor(
  tx: Db,
  eventId: string,
  eventType: string,
  openId: string,
  bootstrapAdmins: readonly string[],
  /** Told the 协会联系方式 the claim read with the actor (src/associationContact.ts). */
  seenContact?: (stored: unknown) => void,
): Promise<Actor | undefined> {
  const result = await tx.execute(sql`
    with fresh as (
      insert into processed_events (event_id, event_type) values (${eventId}, ${eventType})
      on conflict do nothing returning 1
    )
    select exists(select 1 from fresh) as fresh, p.name, coalesce(p.roles, '{}'::text[]) as roles,
      exists(select 1 from team_members m where m.open_id = ${openId} and m.role = 'leader') as leader,
      exists(select 1 from team_members m where m.open_id = ${openId}) as member,
      ${sql.raw(associationContactColumn)}
    from (select 1) one left join people p on p.open_id = ${openId}`);
  const row = rowsOf(result)[0] as { fresh: boolean; name: string | null; roles: string[] | string; leader: boolean; member: boolean; association_contact: unknown };
  seenContact?.(row.association_contact);
  if (!row.fresh) return undefined;
  return actorFrom(openId, row, bootstrapAdmins);
}

/**
 * 协会联系方式 (src/associationContact.ts), read by every claim with the actor: what the event's texts append to 请联系协会,
 * at no round trip of its own. Here, not there, as the claim below is built when this module loads.
 */
export const associationContactRead = `(select contact from association_settings where id = 1)`;
export const associationContactColumn = `${associationContactRead} as association_contact`;

/** The same claim as raw SQL for postgres.js ($1 event id, $2 event type, $3 open_id), to be pipelined with BEGIN and prepared. */
export const claimEventSql = `
    with fresh as (
      insert into processed_events (event_id, event_type) values ($1, $2)
      on conflict do nothing returning 1
    )
    select exists(select 1 from fresh) as fresh, p.name, coalesce(p.roles, '{}'::text[]) as roles,
      exists(select 1 from team_members m where m.open_id = $3 and m.role = 'leader') as leader,
      exists(select 1 from team_members m where m.open_id = $3) as member,
      ${associationContactColumn}
    from (select 1) one left join people p on p.open_id = $3`;

/** The actor from a row of `claimEventSql`; undefined when the event was seen before. */
export function actorFromClaim(openId: string, row: { fresh: boolean; name: string | null; roles: string[] | string; leader: boolean; member: boolean }, bootstrapAdmins: readonly string[]): Actor | undefined {
  return row.fresh ? actorFrom(openId, row, bootstrapAdmins) : undefined;
}

function actorFrom(openId: string, row: { name: string | null; roles: string[] | string; leader: boolean; member: boolean } | undefined, bootstrapAdmins: readonly string[]): Actor {
  const roles = new Set<Role>(parseArray(row?.roles) as Role[]);
  if (bootstrapAdmins.includes(openId)) roles.add('admin');
  if (row?.leader) roles.add('leader');
  if (row?.member) roles.add('member');
  return { openId, name: row?.name ?? null, roles: [...roles] };
}

/** Whether a claim found the actor a guess took (same roles, same name); false for an event seen before. */
export function sameActor(found: Actor | undefined, guess: Actor): boolean {
  if (!found || found.openId !== guess.openId || found.name !== guess.name || found.roles.length !== guess.roles.length) return false;
  return found.roles.every((r) => guess.roles.includes(r));
}

/**
 * The actors recent events found, by open_id: a guess only (another replica may have changed a role since),
 * which the event's own claim confirms or refutes before anything commits. Bounded: the oldest sender goes
 * first once it is full.
 */
export class KnownActors {
  readonly #byOpenId = new Map<string, Actor>();
  constructor(private readonly max = 10_000) {}

  get(openId: string): Actor | undefined {
    return this.#byOpenId.get(openId);
  }

  /** Drops the guess of a sender whose roles an event may have changed without a claim finding them anew. */
  forget(openId: string): void {
    this.#byOpenId.delete(openId);
  }

  remember(actor: Actor): void {
    this.#byOpenId.delete(actor.openId);
    this.#byOpenId.set(actor.openId, Object.freeze({ ...actor, roles: [...actor.roles] }));
    if (this.#byOpenId.size > this.max) this.#byOpenId.delete(this.#byOpenId.keys().next().value as string);
  }
}

/** Makes sure a person row exists (first contact) and returns nothing. */
export async function ensurePerson(tx: Db, openId: string, name?: string | null): Promise<void> {
  await tx
    .insert(people)
    .values({ openId, name: name ?? null })
    .onConflictDoUpdate({ target: people.openId, set: { name: sql`coalesce(${people.name}, excluded.name)` } });
}

/** Adds a stored role to a person, creating the row if needed. */
export async function grantRole(tx: Db, openId: string, role: (typeof storedRoles)[number]): Promise<void> {
  await tx
    .insert(people)
    .values({ openId, roles: [role] })
    .onConflictDoUpdate({
      target: people.openId,
      set: { roles: sql`(select array(select distinct unnest(${people.roles} || array[${role}]::text[])))`, updatedAt: sql`now()` },
    });
}

function parseArray(v: string[] | string | undefined | null): string[] {
  if (!v) return [];
  if (Array.isArray(v)) return v;
  // text[] as returned by a raw query on some drivers: {a,b}
  return v.replace(/^\{|\}$/g, '').split(',').filter(Boolean);
}

/** At most this many people in a picker's options: enough for an association's contacts and experts. */
export const PICKER_OPTIONS_MAX = 100;

/**
 * The open_ids a person picker offers. Feishu shows a picker with no options only the members of the
 * chat the card is in, so pickers list the people the bot knows: those with `preferRole` first, never
 * those with `excludeRole`, and the `include`d ones (the current value, the actor) always.
 */
export async function pickerCandidates(
  tx: Db,
  opts: { preferRole?: (typeof storedRoles)[number]; excludeRole?: (typeof storedRoles)[number]; include?: (string | null | undefined)[]; limit?: number } = {},
): Promise<string[]> {
  const limit = opts.limit ?? PICKER_OPTIONS_MAX;
  const rows = await tx
    .select({ openId: people.openId })
    .from(people)
    // someone an import could not find in the address book has a pending id, no open_id a picker can offer
    .where(and(sql`not starts_with(${people.openId}, 'pending:')`, opts.excludeRole ? sql`not (${opts.excludeRole} = any(${people.roles}))` : undefined))
    .orderBy(opts.preferRole ? sql`(${opts.preferRole} = any(${people.roles})) desc` : sql`1`, desc(people.updatedAt), people.openId)
    .limit(limit);
  const ids = [...new Set([...(opts.include ?? []).filter((x): x is string => !!x), ...rows.map((r) => r.openId)])];
  return ids.slice(0, limit);
}
