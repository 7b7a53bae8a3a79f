import { z } from 'zod';
import { applicantTeam, applicationForContact, endorseApplication, recallApplication, submitApplication } from '../../src/applications.js';
import { type BotRegistry, contactOfApplication, leaderOfTeam } from '../../src/handlers.js';
import { cycleYear, id, millis, noValue, teamNowLedBy, values } from '../respond.js';
import { applicationFormAgain, copyPreviousApplication, formNowLedBy, openApplication, saveApplicationDraft, saveApplicationDraftFast, sendApplyEntry, sendApplyForYear, startApplication, submitApplicationForm, submitApplicationFormFast, submittedFormAgain } from './apply.js';
import { endorsementAgain, endorsementListCommand, endorsementWordCommand, listEndorsements, openEndorsement, recommendApplication, recommendApplicationFast, returnApplication, returnApplicationFast } from './endorse.js';
import { listRecallChoices, recallCommand, recallRefused, recallSubmittedApplication } from './recall.js';
import { sendReturnedNotes } from './returned.js';
import { acceptApplication, acceptApplicationFast, checkListAgain, listFormalChecks, returnToTeam, returnToTeamFast, sendApplicationFullText } from './formalCheck.js';

const onTeam = values({ teamId: id });
// the 申报表's buttons: also the year of the form (its toast names it when the year has moved on)
const onForm = values({ teamId: id, year: z.optional(cycleYear) });
const onApplication = values({ applicationId: id });
// a decision on an application: also which submission the card showed (submitted_at, epoch ms); cards drawn before they carried it have none
const onSubmission = values({ applicationId: id, submitted: z.optional(millis) });
// 申报 is the team leader's own act: an administrator does not fill it in for the team
const applicant = [leaderOfTeam(applicantTeam)];
const applicantSubmits = [leaderOfTeam(submitApplication)];
const applicantRecalls = [leaderOfTeam(recallApplication)];
const contact = [contactOfApplication(applicationForContact)];
const contactDecides = [contactOfApplication(endorseApplication)];
const admin = ['admin'] as const;

export function register(bot: BotRegistry): void {
  // apply for my team is 申报: what it applies for is the team's title; the form's and the notices' button labels
  // (提交申报, 修改申报, 继续填写) and what a leader types for the form are 申报 too, where they got 第十五条 or 没有听懂;
  // so is 申请 (申請 as typed in traditional characters), where it got 第十二条
  bot.command({
    names: ['申报', 'apply', '申报表', '我的申报', '填写申报表', '修改申报', '提交申报', '继续填写', '继续申报', '重新提交', '重新申报', 'my application', 'edit application', 'resubmit', '申请'],
    objects: /^(?:for\s+)?(?:(?:my|our|the|this)\s+)?team$/,
    run: sendApplyEntry,
  });
  // 申报 2027: the running year's form, or why another year takes none; anything else after 申报 is a question
  bot.command({ names: ['申报', 'apply'], takesArgument: true, argument: 'keyword', run: sendApplyForYear });
  // 退回原因 as a leader asks it on a phone: the returned application's opinion, who returned it and when, and 修改申报
  bot.command({
    names: ['退回原因', '退回意见', '退回理由', '为什么被退回', '为什么退回', '申报为什么被退回', '为啥被退回', '被退回', '申报被退回', 'why was it returned', 'why was my application returned', 'why returned', 'return reason', 'returned'],
    objects: /^(?:了|呢|了吗|了呢|是什么|是啥|在哪|在哪里|在哪看|怎么看)?$/,
    run: sendReturnedNotes,
  });
  bot.cardAction({ action: 'application.start', roles: ['public'], value: noValue, run: startApplication, privateInGroup: '申报表' });
  bot.cardAction({ action: 'application.open', roles: applicant, value: onTeam, run: openApplication, privateInGroup: '申报表', refusalFor: teamNowLedBy });
  // the leader who handed the team over (or a member) pressing them is told who leads it now (formNowLedBy)
  bot.cardAction({ action: 'application.save', label: '保存草稿', roles: applicant, value: onForm, run: saveApplicationDraft, onRefused: applicationFormAgain, fast: saveApplicationDraftFast, refusalFor: formNowLedBy });
  // 沿用往年内容 on a form not yet saved: the team's last form as this year's draft
  bot.cardAction({ action: 'application.copyPrevious', label: '沿用上年内容', roles: applicant, value: onForm, run: copyPreviousApplication, refusalFor: formNowLedBy });
  bot.cardAction({ action: 'application.submit', label: '提交申报', roles: applicantSubmits, value: onForm, run: submitApplicationForm, onRefused: submittedFormAgain, fast: submitApplicationFormFast, refusalFor: formNowLedBy });
  // 撤回申报, a few a year: the ordinary path (the team's lock; the team, its application and the contact's notice)
  bot.cardAction({ action: 'application.recall', label: '撤回申报', roles: applicantRecalls, value: onForm, run: recallSubmittedApplication, onRefused: recallRefused, refusalFor: teamNowLedBy });
  // 撤回申报's pages: the caller's own applications (someone who leads no team is told who can)
  bot.cardAction({ action: 'application.recallList', roles: ['public'], value: noValue, run: listRecallChoices, privateInGroup: '撤回申报卡片' });
  // typed, it shows the button (confirmed on the card); the words alone take nothing back
  bot.command({
    names: ['撤回申报', '撤回申请', '撤回我的申报', '撤销申报', 'recall', 'withdraw', 'recall application', 'withdraw application'],
    objects: /^(?:(?:my|our|the|this)\s+)?application$/,
    run: recallCommand,
  });
  // the 待确认的申报 button's label and the list's title typed (the menu's 待确认申报, 进度's 待我确认的申报（3） and 确认申报,
  // 待确认 for short): a contact's list; anyone else is told it is the contacts' (第十五条)
  bot.command({
    names: ['待确认的申报', '待确认申报', 'pending applications', 'applications to confirm', '待我确认的申报', '待我确认', '待确认', '确认申报'],
    objects: /^\(\s*\d+\s*\)$/,
    roles: ['org_contact'],
    run: endorsementListCommand,
  });
  // 推荐, 同意推荐, 确认, 审核 (我要推荐, 审核申报) as a contact types them for the applications waiting: that list, empty
  // or not; from anyone else a question
  // 退回 (return), the contact's other decision (第十五条), is pressed on the same list
  bot.command({ names: ['推荐', 'recommend', '同意推荐', '确认', 'confirm', '审核', '推荐申报', '审核申报', '确认推荐', '退回', 'return', '退回申请'], roles: ['org_contact'], run: endorsementWordCommand });
  // the list is the caller's own: whoever is nobody's contact sees it empty
  bot.cardAction({ action: 'endorse.list', roles: ['public'], value: noValue, run: listEndorsements, privateInGroup: '待确认申报' });
  bot.cardAction({ action: 'endorse.open', roles: contact, value: onApplication, run: openEndorsement, privateInGroup: '申报表' });
  bot.cardAction({ action: 'endorse.recommend', label: '推荐', roles: contactDecides, value: onSubmission, run: recommendApplication, onRefused: endorsementAgain, fast: recommendApplicationFast });
  bot.cardAction({ action: 'endorse.return', label: '退回修改', roles: contactDecides, value: onSubmission, run: returnApplication, onRefused: endorsementAgain, fast: returnApplicationFast });
  bot.cardAction({ action: 'check.list', roles: admin, value: noValue, run: listFormalChecks, privateInGroup: '形式审查清单' });
  bot.cardAction({ action: 'check.accept', label: '受理', roles: admin, value: onSubmission, run: acceptApplication, onRefused: checkListAgain, fast: acceptApplicationFast });
  // 查看申报表全文 on the 形式审查 card: the whole 申报表 to the administrator as a message of its own
  bot.cardAction({ action: 'check.application', roles: admin, value: onApplication, run: sendApplicationFullText });
  bot.cardAction({ action: 'check.return', label: '退回申报', roles: admin, value: onSubmission, run: returnToTeam, onRefused: checkListAgain, fast: returnToTeamFast });
  bot.menuEntry({ action: 'application.start', label: '年度申报', roles: ['leader'], order: 15, command: ['申报', 'apply'] });
  bot.menuEntry({ action: 'endorse.list', label: '待确认申报', roles: ['org_contact'], order: 30, command: ['待确认申报', 'pending applications'] });
  bot.menuEntry({ action: 'check.list', label: '形式审查', roles: ['admin'], order: 70 });
}
