import { type BotRegistry, type CommandRun, assignedExpert } from '../../src/handlers.js';
import { declineTask, ownTask, submitScores } from '../../src/review/scoring.js';
import { id, noValue, values } from '../respond.js';
import { assignExpertsFast } from './assignJob.js';
import { addConflict, addConflictFast, conflictFormAgain, sendConflictForm, showConflictForm } from './conflicts.js';
import { adminCardAgain, assignExperts, panelAgain, progressAgain, reopenPanelScore, reopenPanelScoreFast, showPanel, showPanelByCode, showProgress, swapPanelExpert, swapPanelExpertFast } from './panels.js';
import {
  declineButtonAgain,
  declineFormAgain,
  declineTaskAction,
  declineTaskFast,
  howToPress,
  listTasks,
  openNextTask,
  openTask,
  showDeclineForm,
  showTaskApplication,
  sendNamedTask,
  sendNextTask,
  sendSheetToAdminExpert,
  showTaskApplicationFast,
  showTasks,
  showTasksToExpert,
  submitTask,
  submitTaskAgain,
  submitTaskDuplicate,
  submitTaskFast,
} from './tasks.js';

const admin = ['admin'] as const;
const onTask = values({ assignmentId: id });
const onCycle = values({ cycleId: id });

/** 评分表 typed by an expert: the next sheet to score, as 打开评分表 opens it; false for anyone else (bot/index.ts). */
export const scoreSheetTypedByExpert: CommandRun = sendNextTask;
export { sendSheetToAdminExpert };

/** 专家评审 (第十七条、第十八条): experts score inside cards; administrators assign and follow the panels. */
export function register(bot: BotRegistry): void {
  // 我的评分: an expert's tasks, a team's own score (in 进度) for anyone else; 我的评分任务 (the list's title and the score
  // sheet's button), 评分列表, review tasks, my review tasks, my tasks: the list too, not 第十八条
  // my score, our score (what is our score): 我的评分 in English, the team's score in 进度 for someone of a team
  bot.command({ names: ['评分', 'review', '我的评分', '我的任务', 'my review', 'my reviews', 'my tasks', 'my score', 'my scores', 'our score', 'our scores', 'my team score', 'our team score', 'team score'], objects: /^(?:任务|任务列表|列表|清单|tasks?|list|assignments?)$/, run: showTasks });
  // 评分 followed by a team's code or name: that task's sheet (an expert with twenty asks for one); else the measures
  bot.command({ names: ['评分', 'review'], takesArgument: true, argument: 'asTyped', roles: ['expert'], run: sendNamedTask });
  // 任务, 打分, 评审 (查看任务, 评审任务, 打分任务) typed by an expert or someone holding tasks: the task list too; for anyone
  // else they stay questions for the measures (评审 by a team leader asks about the review, 第十七条)
  bot.command({ names: ['任务', '打分', '评审'], objects: /^(?:任务|任务列表|列表|清单)$/, roles: ['expert'], run: showTasksToExpert });
  // a button of an expert's cards typed by an expert: 评下一份 (and 打开评分表) opens the next sheet to score, as the button
  // does; 查看申报表全文 and 谢绝此任务 act on the sheet they are pressed on, so the answer says how. For anyone else these
  // are questions for the measures.
  // 开始下一份评分 is the scoring reminder's button
  bot.command({ names: ['评下一份', 'next', '下一份', '下一份评分', '评分下一份', '开始下一份评分', 'next task', '打开评分表', 'open score sheet'], roles: ['expert'], run: sendNextTask });
  // 声明利益冲突, the task list's button, typed by an expert: the declaration form (第十七条); for anyone else a question for the measures
  bot.command({ names: ['声明利益冲突', 'declare conflict', 'declare a conflict'], roles: ['expert'], run: sendConflictForm });
  bot.command({ names: ['查看申报表全文', 'full application', '申报表全文', 'view application'], roles: ['expert'], run: howToPress('application') });
  bot.command({ names: ['谢绝此任务', 'decline', 'decline task', 'decline this task'], roles: ['expert'], run: howToPress('decline') });
  bot.menuEntry({ action: 'review.list', label: '评分任务', roles: ['expert'], order: 40, command: ['评分', 'review'] });
  // the caller's own tasks: whoever has none is told so
  bot.cardAction({ action: 'review.list', roles: ['public'], value: noValue, run: listTasks, privateInGroup: '评分任务' });
  bot.cardAction({ action: 'review.next', roles: ['public'], value: noValue, run: openNextTask, privateInGroup: '评分表' });
  bot.cardAction({ action: 'review.open', roles: [assignedExpert(ownTask)], value: onTask, run: openTask, privateInGroup: '评分表' });
  bot.cardAction({ action: 'review.application', roles: [assignedExpert(ownTask)], value: onTask, run: showTaskApplication, fast: showTaskApplicationFast });
  bot.cardAction({ action: 'review.submit', label: '提交评分', roles: [assignedExpert(submitScores)], value: onTask, run: submitTask, onRefused: submitTaskAgain, fast: submitTaskFast, duplicate: submitTaskDuplicate });
  bot.cardAction({ action: 'review.declineForm', roles: [assignedExpert(ownTask)], value: onTask, run: showDeclineForm, onRefused: declineButtonAgain, privateInGroup: '谢绝任务表' });
  bot.cardAction({ action: 'review.decline', label: '谢绝评审', roles: [assignedExpert(declineTask)], value: onTask, run: declineTaskAction, onRefused: declineFormAgain, fast: declineTaskFast });
  // 声明利益冲突 (第十七条): the form lists only the caller's own declarations; declaring is for experts, and
  // re-assigns their pending tasks it touches. The verbs keep their experts.* names: sent cards carry them.
  bot.cardAction({ action: 'experts.conflictForm', roles: ['public'], value: noValue, run: showConflictForm, privateInGroup: '利益冲突声明表' });
  bot.cardAction({ action: 'experts.conflictAdd', label: '声明回避', roles: ['expert'], value: noValue, run: addConflict, onRefused: conflictFormAgain, fast: addConflictFast });
  bot.cardAction({ action: 'review.assign', label: '分配专家', roles: admin, value: onCycle, run: assignExperts, onRefused: adminCardAgain, fast: assignExpertsFast });
  bot.cardAction({ action: 'review.progress', roles: admin, value: onCycle, run: showProgress, onRefused: adminCardAgain, privateInGroup: '评审进度' });
  bot.cardAction({ action: 'review.panel', roles: admin, value: values({ applicationId: id }), run: showPanel, privateInGroup: '专家组' });
  bot.cardAction({ action: 'review.panelByCode', roles: admin, value: onCycle, run: showPanelByCode, onRefused: progressAgain, privateInGroup: '专家组' });
  bot.cardAction({ action: 'review.swap', label: '更换专家', roles: admin, value: onTask, run: swapPanelExpert, onRefused: panelAgain, fast: swapPanelExpertFast });
  bot.cardAction({ action: 'review.reopen', label: '重开评分', roles: admin, value: onTask, run: reopenPanelScore, onRefused: panelAgain, fast: reopenPanelScoreFast });
}
