import { contactNamedCard, registeredCard } from '../cards/teams.js';
import { oneYearAfter } from './applications.js';
import { formatDateZh } from './dates.js';
import type { CardRenderer, CardSpec, OutgoingMessage, RenderedCard } from './outbox.js';
import { type Team, teamTypeLabel } from './teams.js';

/**
 * The notices of 注册, drawn when they are sent: the organisation contact is told they were named (第十五条),
 * and a leader registered by an administrator is told their team's code. The outbox row holds the facts the card
 * shows, as registered (what was typed, the code drawn, the day), so the card is the one the registration would
 * have drawn at once, whichever path queued it: the ordinary handler (`registrationNotices`) or the one-statement
 * path (src/fast/register.ts builds the same specs in SQL). A notice reads nothing when it is drawn.
 */

export const TEAM_REGISTERED_CARD = 'teamRegistered';
export const CONTACT_NAMED_CARD = 'teamContactNamed';

/** What a registration stored, as the notices and the answer card show it. */
export type RegisteredTeam = Pick<Team, 'id' | 'code' | 'name' | 'department' | 'type' | 'leaderOpenId' | 'phone' | 'contactOpenId' | 'registeredAt'> & { organization: string };

/** The spec of the card a leader registered by someone else receives; the same keys as the SQL's `jsonb_build_object`. */
export function teamRegisteredSpec(t: RegisteredTeam): CardSpec {
  return { kind: TEAM_REGISTERED_CARD, teamId: t.id, code: t.code, name: t.name, organization: t.organization, type: t.type, registeredAt: t.registeredAt };
}

/** The spec of the card the named organisation contact receives; the same keys as the SQL's `jsonb_build_object`. */
export function contactNamedSpec(t: RegisteredTeam): CardSpec {
  return { kind: CONTACT_NAMED_CARD, teamId: t.id, code: t.code, name: t.name, organization: t.organization, department: t.department, phone: t.phone, leaderOpenId: t.leaderOpenId };
}

/** What 注册 queues: the leader's card when someone else registered for them, then the contact's; keyed as they always were. */
export function registrationNotices(t: RegisteredTeam, actorOpenId: string): OutgoingMessage[] {
  const notices: OutgoingMessage[] = [];
  if (t.leaderOpenId !== actorOpenId) notices.push({ dedupeKey: `team:registered:${t.id}`, to: { openId: t.leaderOpenId }, render: teamRegisteredSpec(t) });
  notices.push({ dedupeKey: `team:contact-named:${t.id}:${t.contactOpenId}`, to: { openId: t.contactOpenId }, render: contactNamedSpec(t) });
  return notices;
}

/** The day a team registered on may first apply (第十六条), as people read it. */
export const eligibleFromOf = (registeredAt: string) => formatDateZh(oneYearAfter(registeredAt));

const strings = (spec: CardSpec, keys: string[]) => keys.every((k) => typeof spec[k] === 'string');

/** 注册成功 for the leader, from the spec alone. */
export const teamRegisteredRenderer: CardRenderer = async (specs) =>
  specs.map((s): RenderedCard => {
    if (!strings(s, ['code', 'name', 'organization', 'type', 'registeredAt'])) return { error: `card ${TEAM_REGISTERED_CARD}: incomplete spec` };
    const registeredAt = s.registeredAt as string;
    const team = { name: s.name as string, code: s.code as string, organization: s.organization as string, typeLabel: teamTypeLabel(s.type as string), registeredAt: formatDateZh(registeredAt) };
    return { card: registeredCard(team, eligibleFromOf(registeredAt)) };
  });

/** 你被登记为班组的单位联系人, from the spec alone. */
export const contactNamedRenderer: CardRenderer = async (specs) =>
  specs.map((s): RenderedCard => {
    if (!strings(s, ['code', 'name', 'organization', 'department', 'phone', 'leaderOpenId'])) return { error: `card ${CONTACT_NAMED_CARD}: incomplete spec` };
    const { code, name, organization, department, phone, leaderOpenId } = s as Record<string, string>;
    return { card: contactNamedCard({ code, name, organization, department, phone, leaderOpenId }) };
  });
