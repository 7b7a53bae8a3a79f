import { z } from 'zod';
import { revocationBarText } from '../cards/strings.js';

/**
 * The association's own rules (协会规定): settings of a cycle, never attributed to an article of the
 * measures. A refusal built on one names it “协会规定” with the value in force.
 */

/**
 * How long after a title is revoked the team's applications are refused: `settings.revocationBarDays` of a cycle
 * (0 to 3650 days) when set, else null: one calendar year, to the same day and time of the next year in the bot's
 * timezone (29 February → 28 February, as 第十六条's year is counted: oneYearAfter).
 */
export function revocationBarDays(cycle: { settings?: unknown } | undefined): number | null {
  const settings = cycle?.settings as Record<string, unknown> | null | undefined;
  const parsed = z.coerce.number().int().min(0).max(3650).safeParse(settings?.revocationBarDays);
  return parsed.success ? parsed.data : null;
}


/** “协会规定：…” for a refusal or a note that rests on a setting. */
export function associationRule(text: string): string {
  return `协会规定：${text}`;
}

/** The revocation bar as words, with its value (撤销称号后一年内不受理该班组的申报); kept with the card strings, which show it too. */
export { revocationBarText };

/**
 * How long after 公布结果 a leader or contact imported but not yet linked to Feishu, and linked later, is still sent the
 * year's result and a title's certificate (关联后补发): a link months later is no news, and 进度 shows the result.
 */
export const LATE_RESULT_DAYS = 90;
