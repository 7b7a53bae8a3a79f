import { clipText, fittedCard, mention } from '../../cards/kit.js';
import { teamHistoryCard } from '../../cards/teams.js';
import { formatDateTimeZh } from '../../src/dates.js';
import type { HandlerContext, IncomingText } from '../../src/handlers.js';
import { hasRole } from '../../src/people.js';
import { adminOnlyCommand } from '../../src/permissions.js';
import { describeEntry, namesInEntries, teamHistory } from '../../src/teamHistory.js';
import { getTeam } from '../../src/teams.js';
import { teamForCommand } from './view.js';
import { sendPrivately } from '../respond.js';

/** The longest name an entry shows (the person's card has the whole). */
const NAME_SHOWN = 20;

const HOW = '请在命令后写上班组编号，如“变更记录 GDSZ-2025-0001”（各班组的编号在名册中，发送“导出名册”获取）；更早的记录加页码，如“变更记录 GDSZ-2025-0001 第2页”。';

/**
 * `变更记录 <班组编号> [第N页]` / `history <code> [page N]`: an administrator asks who changed a team's record and when
 * (第十七条); the card comes in the p2p chat. Glued to the name (变更记录GDSZ-2025-0001) only a team's code is this command's.
 */
export async function sendTeamHistory(ctx: HandlerContext, msg: IncomingText, argument: string, how?: { glued: boolean }): Promise<void | false> {
  const pageMatch = /\s*(?:第\s*(\d+)\s*页|page\s*(\d+))\s*$/i.exec(argument);
  const page = pageMatch ? Number(pageMatch[1] ?? pageMatch[2]) : 1;
  const code = (pageMatch ? argument.slice(0, pageMatch.index) : argument).trim().replace(/^["'“”‘’「『]+|["'“”‘’」』]+$/g, '').trim();
  // a team's code or full name (teamForCommand: an administrator is told of a name no team has, with the names like it)
  const named = code ? await teamForCommand(ctx, code, { glued: how?.glued, command: '变更记录' }) : undefined;
  const found = named && 'team' in named ? named.team : undefined;
  // glued to anything but a team, or followed by words with no number in them (history of the association): a question
  if (!found && (how?.glued || (code && !/\d/.test(code) && !named))) return false;
  const key = `team:history:${ctx.eventId}`;
  if (!hasRole(ctx.actor, 'admin')) return sendPrivately(ctx, msg, key, { text: adminOnlyCommand('变更记录') }, '回复');
  if (named && 'text' in named) return sendPrivately(ctx, msg, key, { text: named.text }, '回复');
  if (!found) return sendPrivately(ctx, msg, key, { text: HOW }, '回复');
  const [team, history] = await Promise.all([getTeam(ctx.tx, found.id), teamHistory(ctx.tx, found.id, page)]);
  const names = await namesInEntries(ctx.tx, history.entries);
  // someone imported and not yet linked shows by the name on record, else by the mobile or e-mail they were imported with;
  // someone with no name on record (picked, or added by mobile, never imported) as a mention, which Feishu shows by name
  const nameOf = (id: string) => {
    const name = names.get(id);
    if (id.startsWith('pending:')) return `${clipText(name ?? id.slice('pending:'.length + 2), NAME_SHOWN)}（尚未关联飞书）`;
    return name ? clipText(name, NAME_SHOWN) : undefined;
  };
  // each entry's values cut shorter while the card is over Feishu's size (a 修改资料 of every field, escaped, is long)
  const card = fittedCard(
    (clip) =>
      teamHistoryCard({
        team: { name: team!.name, code: team!.code },
        page: history.page,
        more: history.more,
        entries: history.entries.map((e) => ({
          when: formatDateTimeZh(e.at, ctx.config.BOT_TIMEZONE),
          // a complainant is not named here (the complaint's own card is where its handling is)
          who: e.action === 'complaint.create' ? '投诉人' : e.actor.startsWith('system:') ? '系统' : e.actorName ? clipText(e.actorName, NAME_SHOWN) : mention(e.actor),
          ...describeEntry(e, nameOf, clip),
        })),
      }),
    [20, 10, 4],
  );
  await sendPrivately(ctx, msg, key, { card }, '变更记录卡片');
}
