import { z } from 'zod';

/**
 * The association's own rules (协会规定): settings of a cycle, never attributed to an article of the
 * measures. A refusal built on one names it “协会规定” with the value in force.
 */

/** Days after a title is revoked during which the team's applications are refused; a year unless the cycle says otherwise. */
export const defaultRevocationBarDays = 365;

/** `settings.revocationBarDays` of a cycle (0 to 3650), else the default. */
export function revocationBarDays(cycle: { settings?: unknown } | undefined): number {
  const settings = cycle?.settings as Record<string, unknown> | null | undefined;
  const parsed = z.coerce.number().int().min(0).max(3650).safeParse(settings?.revocationBarDays);
  return parsed.success ? parsed.data : defaultRevocationBarDays;
}

/** “协会规定：…” for a refusal or a note that rests on a setting. */
export function associationRule(text: string): string {
  return `协会规定：${text}`;
}

/** The revocation bar as words, with its value: “撤销称号后 365 天内不受理该班组的申报”. */
export const revocationBarText = (days: number) => `撤销称号后 ${days} 天内不受理该班组的申报`;
