import { z } from 'zod';
import type { BotRegistry } from '../../src/handlers.js';
import { id, notUnderstood, noValue, values } from '../respond.js';
import {
  alertAgain,
  askCorrection,
  correctDecision,
  correctionAgain,
  dismissComplaint,
  dismissComplaintFast,
  duplicateComplaint,
  keepHonour,
  keepHonourDuplicate,
  keepHonourFast,
  listComplaints,
  openComplaint,
  openRevocation,
  revocationAgain,
  revokeHonour,
  revokeHonourDuplicate,
  revokeHonourFast,
  upholdComplaint,
  upholdComplaintFast,
  withdrawComplaint,
} from './decide.js';
import { complaintCommand, complaintListCommand, complaintReferenceOr, myComplaintsCommand } from './command.js';
import { complaintFormAgain, complaintStartValue, complaintSubmitValue, startComplaint, submitComplaint, submitComplaintFast } from './intake.js';

const admin = ['admin'] as const;
const onComplaint = values({ complaintId: id });
const onHonour = values({ honourId: id });
const onCorrection = values({ complaintId: id, to: z.enum(['upheld', 'dismissed']), decided: z.number().int().optional() });

/** Complaints (第二十一条) and revocation of a title (第二十二条). */
export function register(bot: BotRegistry): void {
  // a team's name is searched as typed (it may hold full-width brackets); a code is read in half width by teamSought
  // a complainant asking after their own complaints without a reference (查询我的投诉 is this after its 查询); before 投诉,
  // so 投诉进度 is not read as 投诉 glued to a team named 进度
  // complaint status, 投诉状态: asked so, not a complaint about a team named status / 状态
  bot.command({
    names: ['我的投诉', '投诉进度', '投诉状态', '我的投诉进度', '我的投诉状态', '投诉处理进度', '投诉结果', '我的投诉结果', 'my complaints', 'my complaint', 'complaint status', 'complaints status', 'complaint progress', 'my complaint status'],
    run: myComplaintsCommand,
  });
  bot.command({ names: ['投诉', 'complain', 'complaint'], takesArgument: true, argument: 'asTyped', glued: true, run: complaintCommand });
  // the 投诉处理 button's label typed, the list's title (待处理投诉), and the ways an administrator asks for that list;
  // view complaints as show / check complaints (查看投诉): anyone else asking so gets their own complaints
  bot.command({ names: ['投诉处理', '处理投诉', '投诉列表', '投诉清单', '待处理投诉', 'complaints', 'open complaints', 'view complaints', 'view complaint', 'complaint handling', 'handle complaints'], roles: admin, run: complaintListCommand });
  // anyone may complain about any team (第二十一条)
  bot.cardAction({ action: 'complaint.start', roles: ['public'], value: complaintStartValue, run: startComplaint, privateInGroup: '投诉表' });
  bot.cardAction({ action: 'complaint.submit', label: '提交投诉', roles: ['public'], value: complaintSubmitValue, run: submitComplaint, onRefused: complaintFormAgain, fast: submitComplaintFast });
  bot.cardAction({ action: 'complaint.uphold', label: '投诉成立', roles: admin, value: onComplaint, run: upholdComplaint, onRefused: alertAgain, fast: upholdComplaintFast });
  bot.cardAction({ action: 'complaint.dismiss', label: '投诉不成立', roles: admin, value: onComplaint, run: dismissComplaint, onRefused: alertAgain, fast: dismissComplaintFast });
  bot.cardAction({ action: 'complaint.duplicate', label: '重复投诉', roles: admin, value: onComplaint, run: duplicateComplaint, onRefused: alertAgain });
  bot.cardAction({ action: 'complaint.withdraw', label: '投诉已撤回', roles: admin, value: onComplaint, run: withdrawComplaint, onRefused: alertAgain });
  bot.cardAction({ action: 'complaint.correctAsk', roles: admin, value: onComplaint, run: askCorrection, privateInGroup: '更正认定卡片' });
  bot.cardAction({ action: 'complaint.correct', label: '更正认定', roles: admin, value: onCorrection, run: correctDecision, onRefused: correctionAgain });
  bot.cardAction({ action: 'complaint.list', roles: admin, value: noValue, run: listComplaints, privateInGroup: '投诉清单' });
  bot.cardAction({ action: 'complaint.open', roles: admin, value: onComplaint, run: openComplaint, privateInGroup: '投诉处理卡片' });
  bot.cardAction({ action: 'revocation.revoke', label: '撤销称号', roles: admin, value: onHonour, run: revokeHonour, onRefused: revocationAgain, fast: revokeHonourFast, duplicate: revokeHonourDuplicate });
  bot.cardAction({ action: 'revocation.keep', label: '保留称号', roles: admin, value: onHonour, run: keepHonour, onRefused: revocationAgain, fast: keepHonourFast, duplicate: keepHonourDuplicate });
  bot.cardAction({ action: 'revocation.open', roles: admin, value: onHonour, run: openRevocation, privateInGroup: '撤销称号决定卡片' });
  bot.menuEntry({ action: 'complaint.start', label: '质量投诉', roles: [], order: 85, command: ['投诉', 'complain'] });
  bot.menuEntry({ action: 'complaint.list', label: '投诉处理', roles: ['admin'], order: 75, command: ['投诉处理', 'complaints'] });
  // a complaint's reference sent alone (TS-2026-0005) asks where that complaint stands
  bot.fallback = complaintReferenceOr(bot.fallback ?? notUnderstood);
}
