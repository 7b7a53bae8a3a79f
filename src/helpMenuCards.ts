import { helpCard, type MenuButton, type MenuPrimary } from '../cards/help.js';
import type { Db } from '../db/index.js';
import { awaitingEndorsementCounts, leadersWhoMayApply } from './applications.js';
import { getRunningCycle } from './cycles.js';
import { todayIn } from './dates.js';
import type { MenuEntry } from './handlers.js';
import type { SendDay } from './jobs/reminderCards.js';
import type { CardRenderer, CardSpec, RenderedCard } from './outbox.js';

/**
 * 在私聊中打开我的菜单 (`help.private`): the clicker's own menu, drawn when it is sent. The outbox row holds what the
 * card shows, as it was at the click: the clicker's roles and the buttons those roles are offered
 * (`{ kind: 'helpMenu', roles, buttons, openId }`), so the card is the one `helpCard` draws, whichever path queued
 * it: the ordinary handler (bot/help/showHelp.ts) or the one statement of src/fast/requests.ts, which finds the
 * roles and the buttons itself and cannot wait for a card drawn in TypeScript. The renderer reads only which button
 * to highlight, the person's next step when it is sent (menuPrimaries).
 */

export const HELP_MENU_CARD = 'helpMenu';

/** The buttons of these menu entries, as the card takes them (an entry's value only when it has one). */
export function menuButtons(entries: readonly MenuEntry[]): MenuButton[] {
  return entries.map((e) => ({ action: e.action, label: e.label, ...(e.value ? { value: e.value } : {}), ...(e.command ? { command: [...e.command] } : {}) }));
}

/**
 * The menu's spec: the roles named on the card and their buttons, and whose menu it is (its highlighted button is
 * read when it is sent); the same keys as the statement's `jsonb_build_object`.
 */
export function helpMenuSpec(roles: readonly string[], buttons: MenuButton[], openId: string): CardSpec {
  return { kind: HELP_MENU_CARD, roles: [...roles], buttons, openId };
}

/**
 * The menu's highlighted button, the caller's next step: a contact with applications to confirm, 待确认申报 and how
 * many; a leader, 年度申报 while the year takes applications and one of their teams may still apply (`mayApply`:
 * leadersWhoMayApply, by the rule 进度 and 申报 follow, src/applications.ts mayApply), else 我的班组; an administrator 协会管理, an expert 评分任务; a member or a contact
 * with nothing waiting, 我的班组; only someone in no team and no role, 注册班组.
 */
export function menuPrimary(roles: readonly string[], facts: { awaiting?: number; mayApply?: boolean } = {}): MenuPrimary {
  if (facts.awaiting) return { action: 'endorse.list', count: facts.awaiting };
  if (roles.includes('leader')) return { action: facts.mayApply ? 'application.start' : 'team.status' };
  if (roles.includes('admin')) return { action: 'admin.menu' };
  if (roles.includes('expert')) return { action: 'review.list' };
  if (roles.includes('member') || roles.includes('org_contact')) return { action: 'team.status' };
  return { action: 'team.registerForm' };
}

/** The highlighted button of each person's menu (menuPrimary), from what is waiting for them on `day`. */
export async function menuPrimaries(db: Db, people: readonly { openId: string; roles: readonly string[] }[], day: { today: string; timezone: string }): Promise<Map<string, MenuPrimary>> {
  const contacts = people.filter((p) => p.roles.includes('org_contact')).map((p) => p.openId);
  const leaders = people.filter((p) => p.roles.includes('leader')).map((p) => p.openId);
  const [awaiting, running] = await Promise.all([awaitingEndorsementCounts(db, contacts), leaders.length ? getRunningCycle(db) : undefined]);
  const yearOpen = running?.status === 'open' && day.today <= running.applicationDeadline;
  const applying = yearOpen ? await leadersWhoMayApply(db, leaders, running, day.timezone) : new Set<string>();
  return new Map(people.map((p) => [p.openId, menuPrimary(p.roles, { awaiting: awaiting.get(p.openId), mayApply: applying.has(p.openId) })]));
}

/** One person's highlighted button (menuPrimaries). */
export async function menuPrimaryOf(db: Db, openId: string, roles: readonly string[], day: { today: string; timezone: string }): Promise<MenuPrimary> {
  return (await menuPrimaries(db, [{ openId, roles }], day)).get(openId)!;
}

/**
 * Every menu entry in menu order with the roles it is shown to, as the statement filters it for the clicker's roles
 * (what `BotRegistry.menuFor` does: its sort is stable, so filtering the sorted list gives the same order).
 */
export function menuTable(menu: readonly MenuEntry[]): (MenuButton & { roles: string[] })[] {
  return [...menu].sort((a, b) => a.order - b.order).map((e) => ({ ...menuButtons([e])[0], roles: [...e.roles] }));
}

const isButton = (b: unknown): b is MenuButton => {
  const x = b as MenuButton | null;
  return (
    !!x &&
    typeof x.action === 'string' &&
    typeof x.label === 'string' &&
    (x.value === undefined || (typeof x.value === 'object' && x.value !== null)) &&
    (x.command === undefined || (Array.isArray(x.command) && x.command.length === 2 && x.command.every((c) => typeof c === 'string')))
  );
};

/** The menus of a claimed batch, from their specs, each button to highlight read when sent (one read; none for a spec that names nobody). */
export function helpMenuRenderer(db: Db, day: SendDay): CardRenderer {
  return async (specs) => {
    const whose = specs.flatMap((s) => (typeof s.openId === 'string' && Array.isArray(s.roles) && s.roles.every((r) => typeof r === 'string') ? [{ openId: s.openId, roles: s.roles as string[] }] : []));
    const primaries = whose.length ? await menuPrimaries(db, whose, { today: todayIn(day.timezone, day.clock.now()), timezone: day.timezone }) : new Map<string, MenuPrimary>();
    return specs.map((s): RenderedCard => {
      const { roles, buttons } = s as { roles?: unknown; buttons?: unknown };
      if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string') || !Array.isArray(buttons) || !buttons.every(isButton)) {
        return { error: `card ${HELP_MENU_CARD}: incomplete spec` };
      }
      const primary = typeof s.openId === 'string' ? primaries.get(s.openId) : menuPrimary(roles);
      return { card: helpCard({ roles, buttons, ...(primary ? { primary } : {}) }) };
    });
  };
}
