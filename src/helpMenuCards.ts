import { helpCard, type MenuButton } from '../cards/help.js';
import type { MenuEntry } from './handlers.js';
import type { CardRenderer, CardSpec, RenderedCard } from './outbox.js';

/**
 * 在私聊中打开我的菜单 (`help.private`): the clicker's own menu, drawn when it is sent. The outbox row holds what the
 * card shows, as it was at the click: the clicker's roles and the buttons those roles are offered
 * (`{ kind: 'helpMenu', roles, buttons }`), so the card is the one `helpCard` drew at once, whichever path queued
 * it: the ordinary handler (bot/help/showHelp.ts) or the one statement of src/fast/requests.ts, which finds the
 * roles and the buttons itself and cannot wait for a card drawn in TypeScript. The renderer reads nothing.
 */

export const HELP_MENU_CARD = 'helpMenu';

/** The buttons of these menu entries, as the card takes them (an entry's value only when it has one). */
export function menuButtons(entries: readonly MenuEntry[]): MenuButton[] {
  return entries.map((e) => ({ action: e.action, label: e.label, ...(e.value ? { value: e.value } : {}), ...(e.command ? { command: [...e.command] } : {}) }));
}

/** The menu's spec: the roles named on the card and their buttons; the same keys as the statement's `jsonb_build_object`. */
export function helpMenuSpec(roles: readonly string[], buttons: MenuButton[]): CardSpec {
  return { kind: HELP_MENU_CARD, roles: [...roles], buttons };
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

/** The menu, from the spec alone. */
export const helpMenuRenderer: CardRenderer = async (specs) =>
  specs.map((s): RenderedCard => {
    const { roles, buttons } = s as { roles?: unknown; buttons?: unknown };
    if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string') || !Array.isArray(buttons) || !buttons.every(isButton)) {
      return { error: `card ${HELP_MENU_CARD}: incomplete spec` };
    }
    return { card: helpCard({ roles, buttons }) };
  });
