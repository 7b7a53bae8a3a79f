import type { CommandDef, HandlerContext, IncomingText } from '../../src/handlers.js';
import { hasRole } from '../../src/people.js';
import { formatDateZh, todayIn } from '../../src/dates.js';
import { simplified } from '../../src/traditional.js';
import { halfWidth } from '../../src/forms.js';
import { complaintAlertCard, complaintDecidedCard, complaintOutcomeCard, complaintReceivedCard, complaintStatusText } from '../../cards/complaints.js';
import { asksToWithdraw, complaintByReference, correctedFromUpheld, complaintReferenceIn, complaintsOfComplainant, complaintSummary, complaintView, readComplaintReference, teamAtStart, titleStatus } from '../../src/complaints.js';
import { replyDestination, sendPrivately } from '../respond.js';
import { complaintListFor } from './decide.js';
import { sendComplaintForm } from './intake.js';

/** The words of asking to see something (查看投诉, 看看投诉, 查询投诉, 查一下投诉, show complaints), before the command's name. */
const LOOKING = /查看|查询|[查看]一?下|看看|打开|\b(?:show|check|view|list)\b/;

/** What after 投诉 / complaint asks an administrator's list, not a team of that name: complaint list, 投诉 清单. */
const LIST_WORDS = /^(?:lists?|列表|清单|处理|待处理)$/i;

/** Whether a text asks to see the complaints rather than to make one: 查看投诉, 看看投诉, 查询投诉 (nothing after 投诉). */
function asksToSee(text: string, argument: string): boolean {
  return !!lookingWord(text, argument);
}

/** The word of asking to see before 投诉 / complaint (查看, show, …), when nothing follows it; undefined otherwise. */
function lookingWord(text: string, argument: string): string | undefined {
  if (argument.trim()) return undefined;
  const t = simplified(halfWidth(text)).toLowerCase();
  const at = t.search(/投诉|complain/);
  return at > 0 ? LOOKING.exec(t.slice(0, at))?.[0] : undefined;
}

/**
 * Whether someone who is no administrator asks after their own complaints (查看投诉, 查询投诉, show / view complaints,
 * nothing after): they have no list to handle, and an empty complaint form is not what they asked for; 打开投诉 still
 * opens the form.
 */
const asksOwn = (text: string, argument: string) => {
  const word = lookingWord(text, argument);
  return !!word && word !== '打开';
};

/** 投诉清单 (the complaints to handle and the titles awaiting a decision), sent privately even when asked in a group. */
async function sendComplaintList(ctx: HandlerContext, msg: IncomingText): Promise<void> {
  await sendPrivately(ctx, msg, `complaint:list:${ctx.eventId}`, { card: await complaintListFor(ctx) }, '投诉清单');
}

/**
 * 投诉 / complain: the complaint form (第二十一条) for anyone; an administrator asking to see the complaints (查看投诉,
 * 看看投诉, 查询投诉) gets the list of those to handle, as the 投诉处理 button shows it, and anyone else their own
 * complaints, as 我的投诉 lists them.
 */
export async function complaintCommand(ctx: HandlerContext, msg: IncomingText, argument: string, how?: { glued: boolean }): Promise<void | false> {
  if (hasRole(ctx.actor, 'admin') && (asksToSee(msg.text, argument) || LIST_WORDS.test(argument.trim()))) return sendComplaintList(ctx, msg);
  // complaint list, 投诉 清单: anyone else has no list to handle; their own complaints, not a team named list
  if (!hasRole(ctx.actor, 'admin') && (asksOwn(msg.text, argument) || LIST_WORDS.test(argument.trim()))) return myComplaintsCommand(ctx, msg);
  // 投诉 TS-2026-0005, 查看投诉 TS-2026-0005: the complaint of that reference, not a new one against a team of that name
  const reference = readComplaintReference(argument.replace(/^(?:查看|查询|进度|处理情况)[\s:：]*/, ''));
  if (reference) return showComplaint(ctx, msg, reference);
  // 投诉 TS-2027-0005 处理了吗, 投诉 撤回 TS-2027-0005: asked about that complaint, unless a team's name starts what follows
  // 投诉 (投诉 广州养护一班 TS-2027-0005 的问题又出现了 is a new complaint)
  const within = complaintReferenceIn(argument);
  if (within && !(await teamAtStart(ctx.tx, argument))) return showComplaint(ctx, msg, within, { withdraw: asksToWithdraw(argument) });
  return sendComplaintForm(ctx, msg, argument, how);
}

/**
 * 投诉处理, 处理投诉, 投诉列表, 投诉清单: an administrator's list of the complaints to handle. Anyone else asking to see
 * the complaints (show / check / view complaints) gets their own, as 我的投诉 lists them; else they asked something about
 * complaints, which the measures answer (第二十一、二十二条, and how to make one).
 */
export async function complaintListCommand(ctx: HandlerContext, msg: IncomingText): Promise<void | false> {
  if (!hasRole(ctx.actor, 'admin')) return asksOwn(msg.text, '') ? myComplaintsCommand(ctx, msg) : false;
  return sendComplaintList(ctx, msg);
}

/** How many of a complainant's own complaints 我的投诉 lists; the rest are counted. */
export const MY_COMPLAINTS_SHOWN = 5;
/** Where a complaint stands, as its complainant is told: received and being checked, or the decision (重复 names the complaint it repeats). */
const standing = (c: { status: string; repeats?: string | null }) => (c.status === 'open' ? '已受理，核查中' : complaintStatusText({ status: c.status, repeats: c.repeats ?? undefined }));

/**
 * 我的投诉, 投诉进度, 查询我的投诉, my complaints: the complaints the sender filed in chat, newest first (reference, team,
 * date, where each stands), the first few and how many more; none filed, how to file one. An administrator asking so
 * gets the list to handle, as 投诉处理 shows it.
 */
export async function myComplaintsCommand(ctx: HandlerContext, msg: IncomingText): Promise<void> {
  if (hasRole(ctx.actor, 'admin')) return sendComplaintList(ctx, msg);
  const { rows, total } = await complaintsOfComplainant(ctx.tx, ctx.actor.openId, MY_COMPLAINTS_SHOWN);
  const tz = ctx.config.BOT_TIMEZONE;
  const text = rows.length
    ? [
        `你在飞书提交的投诉共 ${total} 件${total > 1 ? '，最近的在前' : ''}：`,
        ...rows.map(({ complaint: c, team }, i) => `${i + 1}. ${c.reference}｜${team.name}（${team.code}）｜${formatDateZh(todayIn(tz, c.createdAt))}｜${standing(c)}`),
        ...(total > rows.length ? [`另有 ${total - rows.length} 件较早的投诉未列出。`] : []),
        `发送投诉编号（如 ${rows[0].complaint.reference}）可查看一件投诉的详情与处理意见。`,
      ].join('\n')
    : '你还没有在飞书提交过投诉。要投诉某个班组的质量问题，请发送“投诉 班组名称”（如 投诉 市政养护一班），或发送“投诉”填写投诉表。通过网页提交的投诉，认定结果由协会按你留下的联系方式告知。';
  await sendPrivately(ctx, msg, `complaint:mine:${ctx.eventId}`, { text }, '你的投诉');
}

/**
 * A complaint's reference sent to the bot (TS-2026-0005, as the 投诉已受理 card and the public page give it): an
 * administrator gets its card (认定 buttons while open), sent privately; the complainant who filed it in chat gets where
 * it stands (受理 / the decision, as the notice said it); anyone else learns only that it is not theirs to see.
 */
async function showComplaint(ctx: HandlerContext, msg: IncomingText, reference: string, asked: { withdraw?: boolean } = {}): Promise<void> {
  const found = await complaintByReference(ctx.tx, reference);
  const key = `complaint:reference:${ctx.eventId}`;
  if (found && hasRole(ctx.actor, 'admin')) {
    const view = complaintView(found.complaint, found.team, ctx.config.BOT_TIMEZONE);
    const title = (await titleStatus(ctx.tx, found.team.id))?.view;
    const card = found.complaint.status === 'open' ? complaintAlertCard(view, { title }) : complaintDecidedCard(view, { title });
    return sendPrivately(ctx, msg, key, { card }, '投诉处理卡片');
  }
  if (found && found.complaint.complainantOpenId === ctx.actor.openId) {
    const c = found.complaint;
    // a complaint filed stays on record (第二十一条): asked to withdraw it, the complainant is told so and what to do instead
    const withdraw = asked.withdraw
      ? c.status === 'open'
        ? `投诉提交后不能撤回，协会仍会核查并把认定结果通知你。如投诉有误或问题已经解决，请联系协会说明，并提供投诉编号 ${c.reference}。`
        : c.status === 'withdrawn'
          ? undefined
          : `这件投诉已认定为“${complaintStatusText({ status: c.status, repeats: c.repeats ?? undefined })}”，不能撤回。`
      : undefined;
    const card =
      c.status === 'open'
        ? complaintReceivedCard({ reference: c.reference, team: found.team, withdraw })
        : complaintOutcomeCard(complaintSummary(c, found.team, ctx.config.BOT_TIMEZONE), { withdraw });
    return sendPrivately(ctx, msg, key, { card }, `投诉 ${c.reference} 的处理情况`);
  }
  // the leader or the contact of the team complained about, told of it as upheld (and of its correction to 不成立, if
  // it was): which complaint it is and where its decision is; of one never upheld (open, dismissed) the team was never
  // told, so nothing is said of it here either
  const ofTheTeam = found && [found.team.leaderOpenId, found.team.contactOpenId].includes(ctx.actor.openId);
  if (found && ofTheTeam && (found.complaint.status === 'upheld' || (found.complaint.status === 'dismissed' && (await correctedFromUpheld(ctx.tx, found.complaint.id))))) {
    const c = found.complaint;
    const decided = c.decidedAt ? `于 ${formatDateZh(todayIn(ctx.config.BOT_TIMEZONE, c.decidedAt))} ` : '';
    const about = `投诉 ${c.reference} 是针对你的班组“${found.team.name}”（${found.team.code}）的投诉，`;
    const text =
      c.status === 'upheld'
        ? `${about}协会已${decided}认定成立，处理意见见你收到的“投诉成立”卡片。投诉人的信息由协会保管，不对班组公开；对认定有异议，请联系协会（发送“联系协会”查看联系方式）。`
        : `${about}协会已${decided}将认定更正为不成立，不计入第二十二条的连续次数，详见你收到的更正通知。`;
    return sendPrivately(ctx, msg, key, { text }, `投诉 ${c.reference} 的处理情况`);
  }
  const text = hasRole(ctx.actor, 'admin')
    ? `找不到投诉 ${reference}，请核对编号（形如 TS-2026-0005）。发送“投诉处理”查看待处理的投诉。`
    : `找不到你提交的投诉 ${reference}。只有在飞书中提交投诉的本人和协会管理员可以查询处理情况；通过网页提交的投诉，认定结果由协会按你留下的联系方式告知。`;
  await ctx.send({ dedupeKey: key, to: replyDestination(ctx, msg), text });
}

/**
 * Free text naming one complaint's reference (TS-2026-0005 alone, `TS-2026-0005 处理了吗`, `撤回投诉 TS-2026-0005`) is
 * asked about that complaint; any other text goes on.
 */
export function complaintReferenceOr(next: CommandDef['run']): CommandDef['run'] {
  return async (ctx, msg, argument) => {
    const reference = readComplaintReference(msg.text) ?? complaintReferenceIn(msg.text);
    if (reference) return showComplaint(ctx, msg, reference, { withdraw: asksToWithdraw(msg.text) });
    return next(ctx, msg, argument);
  };
}
