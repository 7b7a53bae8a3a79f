import { button, buttonRow, card, type Card, hr, markdown, type Md, md, mdJoin, note, raw } from './kit.js';
import { zh } from './strings.js';

/** The button the menu highlights: the caller's next step (src/helpMenuCards.ts `menuPrimary`), with a count to show on it. */
export interface MenuPrimary {
  action: string;
  /** Shown after the label: 待确认申报（3）. */
  count?: number;
}

export interface MenuButton {
  action: string;
  label: string;
  value?: Record<string, unknown>;
  /** The command typed for the same thing, Chinese then English (`['进度', 'status']`), listed above the buttons. */
  command?: readonly [string, string];
}

/** The commands of the buttons shown, each once: `进度` / `status` 我的班组 · … (what the caller may use, no more). */
function commandLine(buttons: MenuButton[]): Md | undefined {
  const listed = buttons.filter((b, i) => b.command && buttons.findIndex((o) => o.command?.[0] === b.command![0]) === i);
  if (!listed.length) return undefined;
  return mdJoin(listed.map((b) => md`\`${b.command![0]}\` / \`${b.command![1]}\` ${b.label}`), ' · ');
}

/**
 * The 帮助 menu: one button per feature the caller's roles may use. Without `roles` it is a group's shared card, read
 * by everyone in the group: it names no one's roles (the button opens each person's own menu privately).
 */
/** `firstAdministrator`: while the bot has no administrator, what the reader is told of becoming the first (their open_id). */
export function helpCard(opts: { roles?: string[]; buttons: MenuButton[]; primary?: MenuPrimary; firstAdministrator?: string }): Card {
  const roleNames = opts.roles?.map((r) => zh.roleNames[r] ?? r);
  // the caller's next step, else (a group's shared card, with its one button) the first
  const primary = opts.buttons.find((b) => b.action === opts.primary?.action) ?? opts.buttons[0];
  const label = (b: MenuButton) => (b === primary && opts.primary?.count ? `${b.label}（${opts.primary.count}）` : b.label);
  const commands = commandLine(opts.buttons);
  return card({
    title: zh.menuTitle,
    template: 'blue',
    summary: zh.menuTitle,
    elements: [
      // our constant
      markdown(raw(commands ? zh.menuIntro : zh.menuIntroButtons)),
      ...(commands ? [markdown(commands)] : []),
      hr(),
      ...(opts.buttons.length
        ? [
            buttonRow(
              opts.buttons.map((b) =>
                button({ text: label(b), type: b === primary ? 'primary' : 'default', value: { ...(b.value ?? {}), action: b.action } }),
              ),
            ),
          ]
        : []),
      // 绑定通知 is said in a group, where no menu button can be: an administrator learns of it here
      ...(opts.roles?.includes('admin') ? [note(raw(zh.adminGroupCommands)), note(raw(zh.adminTeamCommands)), note(raw(zh.adminHistoryCommand))] : []),
      // 质量投诉's follow-up, for anyone who may complain (an administrator's 我的投诉 is the list to handle, 投诉处理)
      ...(opts.roles && !opts.roles.includes('admin') && opts.buttons.some((b) => b.action === 'complaint.start') ? [note(raw(zh.myComplaintsCommand))] : []),
      note(roleNames ? md`${zh.rolesLine(roleNames)}。${zh.menuAsk}` : md`${zh.menuAsk}`),
      ...(opts.firstAdministrator ? [note(md`${opts.firstAdministrator}`)] : []),
    ],
  });
}

/**
 * The answer to a slip (regster, 进渡) or to a button's label typed (形式审查): the command meant, in both languages, and
 * the caller's button for it when one is given (in a p2p chat only: a group's card is everyone's there).
 */
export function commandSuggestionCard(opts: { command?: readonly [string, string]; label?: string; button?: MenuButton; english?: boolean }): Card {
  const { command, button: offered } = opts;
  const lines: Md[] = [];
  if (command && opts.english) lines.push(md`Did you mean “${command[1]}”?`);
  if (command) lines.push(md`你是不是想发送“${command[0]}”（${command[1]}）？${offered ? raw('也可以点击下方按钮。') : ''}`);
  else if (offered) lines.push(md`“${offered.label}”是菜单中的按钮，点击下方按钮打开。`);
  else lines.push(md`“${opts.label}”是菜单中的按钮：请在与我的单聊中发送“帮助”，再点击“${opts.label}”。`);
  return card({
    title: zh.suggestionTitle,
    template: 'wathet',
    summary: zh.suggestionTitle,
    elements: [
      markdown(mdJoin(lines, '\n')),
      ...(offered ? [buttonRow([button({ text: offered.label, type: 'primary', value: { ...(offered.value ?? {}), action: offered.action } })])] : []),
      note(raw(zh.menuHint)),
    ],
  });
}

/** `grouped`: other messages failing with the same code within the hour raise no alert of their own. */
export function deadLetterCard(opts: { receiver: string; attempts: number; error: string; dedupeKey: string; grouped?: boolean }): Card {
  return card({
    title: zh.deadLetterTitle,
    template: 'red',
    elements: [
      markdown(zh.deadLetter(opts.receiver, opts.attempts, opts.error)),
      ...(opts.grouped ? [note(raw(zh.deadLetterGrouped))] : []),
      note(md`dedupe key: ${opts.dedupeKey}`),
    ],
  });
}

/** Messages dead-lettered in one hour because the Open Platform stayed out of reach longer than a message is held. */
export interface OutageDeadLetters {
  /** The hour, as the administrators read it: 2030年5月30日 10:00–11:00. */
  hour: string;
  total: number;
  /** Distinct receivers: people (open_id) and chats (a group, or the chat a reply lands in). */
  people: number;
  chats: number;
  /** Some of the people, by name (or open_id when unnamed). */
  names: string[];
  /** What the messages were, by the first words of their dedupe keys (`remind:apply-deadline`), most first. */
  kinds: { kind: string; n: number }[];
  /** How long a message is held through an outage before it is given up (24). */
  maxAgeHours: number;
}

/** One card for the hour's dead letters of an outage, however many, instead of one each. */
export function outageDeadLettersCard(d: OutageDeadLetters): Card {
  const receivers = [d.people ? `${d.people} 人` : '', d.chats ? `${d.chats} 个群` : ''].filter(Boolean).join('、');
  const shown = d.names.length ? md`，包括 ${d.names.join('、')}${raw(d.people > d.names.length ? ' 等' : '')}` : raw('');
  const kinds = mdJoin(d.kinds.map((k) => md`\`${k.kind}\` ${String(k.n)} 条`), '；');
  return card({
    title: zh.deadLetterTitle,
    template: 'red',
    summary: `${d.total} 条消息因飞书长时间无法连接未能送达`,
    elements: [
      markdown(md`**${d.hour} 有 ${String(d.total)} 条消息未能送达**：飞书开放平台连续 ${String(d.maxAgeHours)} 小时以上无法连接（服务器网络中断或飞书故障），这些消息排队超过 ${String(d.maxAgeHours)} 小时，已停止发送，不会再自动补发。`),
      markdown(mdJoin([md`**收件人**：${receivers}${shown}`, md`**消息类型**：${kinds}`], '\n')),
      markdown(
        md`**请这样处理**：先确认服务器能连上飞书开放平台（检查网络、防火墙和 \`LARK_DOMAIN\`），机器人恢复连接后其余消息会自动发出。未送达的通知如仍重要，请另行告知收件人，或请他们私聊机器人发送“帮助”查看最新待办。按发送时情况生成的提醒（如申报截止、评分截止提醒）不在此列：恢复后仍然有效的会补发，已过期的不再发送。`,
      ),
      note(raw('同一小时内因此未送达的消息只提醒这一次；每日摘要的“投递失败的消息”也计入它们。')),
    ],
  });
}
