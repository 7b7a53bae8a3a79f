import { button, buttonRow, card, type Card, hr, markdown, note, md, raw } from './kit.js';
import { zh } from './strings.js';

export interface MenuButton {
  action: string;
  label: string;
  value?: Record<string, unknown>;
}

/**
 * The 帮助 menu: one button per feature the caller's roles may use. Without `roles` it is a group's shared card, read
 * by everyone in the group: it names no one's roles (the button opens each person's own menu privately).
 */
export function helpCard(opts: { roles?: string[]; buttons: MenuButton[] }): Card {
  const roleNames = opts.roles?.map((r) => zh.roleNames[r] ?? r);
  const primary = opts.buttons.slice(0, 1);
  return card({
    title: zh.menuTitle,
    template: 'blue',
    summary: zh.menuTitle,
    elements: [
      // our constants; the command list's backticks are meant as code formatting
      markdown(raw(zh.menuIntro)),
      markdown(raw(zh.menuCommands)),
      hr(),
      ...(opts.buttons.length
        ? [
            buttonRow(
              opts.buttons.map((b) =>
                button({ text: b.label, type: primary.includes(b) ? 'primary' : 'default', value: { ...(b.value ?? {}), action: b.action } }),
              ),
            ),
          ]
        : []),
      note(roleNames ? md`${zh.rolesLine(roleNames)}。${zh.menuAsk}` : md`${zh.menuAsk}`),
    ],
  });
}

export function deadLetterCard(opts: { receiver: string; attempts: number; error: string; dedupeKey: string }): Card {
  return card({
    title: zh.deadLetterTitle,
    template: 'red',
    elements: [markdown(zh.deadLetter(opts.receiver, opts.attempts, opts.error)), note(md`dedupe key: ${opts.dedupeKey}`)],
  });
}
