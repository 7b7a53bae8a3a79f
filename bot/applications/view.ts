import type { ApplicationSummary } from '../../cards/applications.js';
import { type Application, applicationForm, applicationStatusNames, type ApplicationStatus } from '../../src/applications.js';
import { formDisplay } from '../../src/forms.js';
import type { Team } from '../../src/teams.js';

export function summaryOf(application: Application, team: Team, organization: string, year: number): ApplicationSummary {
  return {
    id: application.id,
    year,
    statusLabel: applicationStatusNames[application.status as ApplicationStatus] ?? application.status,
    team: { id: team.id, name: team.name, code: team.code, organization },
    display: formDisplay(applicationForm, application.form as Record<string, unknown> | null),
  };
}

export function opinionOf(application: Application): string | undefined {
  const e = application.endorsement as { opinion?: string; decision?: string } | null;
  return e?.opinion;
}
