import { cite, UserError } from './errors.js';
import { type Actor, hasRole } from './people.js';

/** 第十四条: the association runs applications, review and recommendation; its administrators act for it. */
const ARTICLE_14 = '评审工作由广东省市政行业协会负责实施';

export const adminOnlyMessage = cite(14, '评审工作由广东省市政行业协会负责实施，只有协会管理员可以使用此功能。');

/** The refusal of a typed command kept for administrators, naming it, in one sentence: 只有协会管理员可以使用“管理”（第十四条：…）。 */
export function adminOnlyCommand(command: string): string {
  return `只有协会管理员可以使用“${command}”（${cite(14, ARTICLE_14)}）。`;
}

/** Throws a UserError unless the actor is an association administrator. */
export function requireAdmin(actor: Actor): void {
  if (!hasRole(actor, 'admin')) throw new UserError(adminOnlyMessage, { article: 14 });
}
