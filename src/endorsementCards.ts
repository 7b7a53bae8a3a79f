import { inArray, eq } from 'drizzle-orm';
import { endorsementRequestCard } from '../cards/applications.js';
import type { Db } from '../db/index.js';
import { applications, organizations, teams } from '../db/schema.js';
import { applicationForm, applicationStatusNames, endorsementForm } from './applications.js';
import { formDisplay } from './forms.js';
import type { CardRenderer, CardSpec, OutgoingMessage, RenderedCard } from './outbox.js';

/**
 * 请确认申报材料 (第十五条): the card a submitted application sends its organisation contact, drawn when it is
 * sent. The row holds what the leader submitted (`form`), the application and the year; the team's name, code
 * and organisation are read then. Both 提交 paths queue this spec (the ordinary one and the one-statement
 * `src/fast/apply.ts`, which cannot wait for TypeScript to draw a card), so the contact gets the same card.
 */

export const ENDORSEMENT_REQUEST_CARD = 'endorsementRequest';

/** The spec of the request for one submitted application; `src/fast/apply.ts` builds the same object in SQL. */
export function endorsementRequestSpec(applicationId: number, year: number, form: unknown): CardSpec {
  return { kind: ENDORSEMENT_REQUEST_CARD, applicationId, year, form };
}

/** The request to the contact, keyed as it always was (one per submit event). */
export function endorsementRequestMessage(application: { id: number; form: unknown }, year: number, contactOpenId: string, eventId: string): OutgoingMessage {
  return { dedupeKey: `endorse:request:${application.id}:${eventId}`, to: { openId: contactOpenId }, render: endorsementRequestSpec(application.id, year, application.form) };
}

/** Draws the requests of a claimed batch: one read of their teams. */
export function endorsementRequestRenderer(db: Db): CardRenderer {
  return async (specs: CardSpec[]): Promise<RenderedCard[]> => {
    const ids = specs.map((s) => Number(s.applicationId));
    const wanted = [...new Set(ids.filter((id) => Number.isSafeInteger(id) && id > 0))];
    const rows = wanted.length
      ? await db
          .select({ id: applications.id, team: { id: teams.id, name: teams.name, code: teams.code }, organization: organizations.name })
          .from(applications)
          .innerJoin(teams, eq(teams.id, applications.teamId))
          .innerJoin(organizations, eq(organizations.id, teams.organizationId))
          .where(inArray(applications.id, wanted))
      : [];
    const byId = new Map(rows.map((r) => [r.id, r]));
    return specs.map((spec, i): RenderedCard => {
      const row = byId.get(ids[i]);
      if (!row) return { drop: `申报 ${String(spec.applicationId)} 已不存在` };
      // summaryOf (src/applications.ts) of the application as it was submitted
      const summary = {
        id: row.id,
        year: Number(spec.year),
        statusLabel: applicationStatusNames.submitted,
        team: { ...row.team, organization: row.organization },
        display: formDisplay(applicationForm, spec.form as Record<string, unknown> | null),
      };
      return { card: endorsementRequestCard(summary, { descriptor: endorsementForm }) };
    });
  };
}
