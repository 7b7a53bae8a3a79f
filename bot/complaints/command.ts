import type { HandlerContext, IncomingText } from '../../src/handlers.js';
import { hasRole } from '../../src/people.js';
import { simplified } from '../../src/traditional.js';
import { halfWidth } from '../../src/forms.js';
import { sendPrivately } from '../respond.js';
import { complaintListFor } from './decide.js';
import { sendComplaintForm } from './intake.js';

/** The words of asking to see something (查看投诉, 看看投诉, 查询投诉, show complaints), before the command's name. */
const LOOKING = /查看|查询|查一下|看看|看下|看一下|打开|\b(?:show|check|view|list)\b/;

/** Whether a text asks to see the complaints rather than to make one: 查看投诉, 看看投诉, 查询投诉 (nothing after 投诉). */
function asksToSee(text: string, argument: string): boolean {
  if (argument.trim()) return false;
  const t = simplified(halfWidth(text)).toLowerCase();
  const at = t.search(/投诉|complain/);
  return at > 0 && LOOKING.test(t.slice(0, at));
}

/** 投诉清单 (the complaints to handle and the titles awaiting a decision), sent privately even when asked in a group. */
async function sendComplaintList(ctx: HandlerContext, msg: IncomingText): Promise<void> {
  await sendPrivately(ctx, msg, `complaint:list:${ctx.eventId}`, { card: await complaintListFor(ctx) }, '投诉清单');
}

/**
 * 投诉 / complain: the complaint form (第二十一条) for anyone; an administrator asking to see the complaints (查看投诉,
 * 看看投诉, 查询投诉) gets the list of those to handle, as the 投诉处理 button shows it.
 */
export async function complaintCommand(ctx: HandlerContext, msg: IncomingText, argument: string, how?: { glued: boolean }): Promise<void | false> {
  if (hasRole(ctx.actor, 'admin') && asksToSee(msg.text, argument)) return sendComplaintList(ctx, msg);
  return sendComplaintForm(ctx, msg, argument, how);
}

/**
 * 投诉处理, 处理投诉, 投诉列表, 投诉清单: an administrator's list of the complaints to handle. Anyone else asked something
 * about complaints, which the measures answer (第二十一、二十二条, and how to make one).
 */
export async function complaintListCommand(ctx: HandlerContext, msg: IncomingText): Promise<void | false> {
  if (!hasRole(ctx.actor, 'admin')) return false;
  return sendComplaintList(ctx, msg);
}
