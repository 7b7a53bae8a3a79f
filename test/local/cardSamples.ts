/**
 * Sample data for every card builder of cards/*.ts, so test/local/renderer.test.ts can draw every card the bot
 * can send in local mode's console. A new exported builder needs an entry here (the test lists those missing):
 * key `<file>.<function>`, value a function returning the variants worth drawing (a card, an element, or elements).
 */
import * as admin from '../../cards/admin.js';
import * as applications from '../../cards/applications.js';
import * as bulk from '../../cards/bulk.js';
import * as certificates from '../../cards/certificates.js';
import * as complaints from '../../cards/complaints.js';
import * as contact from '../../cards/contact.js';
import * as kit from '../../cards/kit.js';
import * as lateClick from '../../cards/lateClick.js';
import { complaintForm, complaintTextForm, complaintViewOf, complaintCorrectionForm, revocationDecisionForm } from '../../src/complaints.js';
import * as experts from '../../cards/experts.js';
import * as groups from '../../cards/groups.js';
import * as help from '../../cards/help.js';
import * as importing from '../../cards/import.js';
import * as measures from '../../cards/measures.js';
import * as reminders from '../../cards/reminders.js';
import * as results from '../../cards/results.js';
import * as review from '../../cards/review.js';
import * as teams from '../../cards/teams.js';
import { applicationForm, endorsementForm } from '../../src/applications.js';
import { cycleForm } from '../../src/cycles.js';
import { conflictDisplay, conflictForm } from '../../src/review/conflicts.js';
import { profileForm, registrationForm } from '../../src/teams.js';
import { formDisplay } from '../../src/forms.js';
import { declineForm, scoreSheetDisplay, scoreSheetForm } from '../../src/review/scoring.js';
import { expertAddForm } from '../../src/review/experts.js';
import { adminAddForm } from '../../src/admins.js';
import { contactForm } from '../../src/associationContact.js';
import { type ScoreSheet, sheetFingerprint } from '../../src/scoreSheet.js';
import { chapters, getArticle, rankArticles } from '../../src/measures/index.js';

/** A small sheet of two areas for the score cards. */
const sampleSheet: ScoreSheet = {
  title: '评分表（示例）',
  total: 20,
  areas: [
    { code: '1', name: '班组基础建设', article: '第七条第1款', items: [{ code: '1.1', name: '目标分解与职能明确', max: 5 }, { code: '1.2', name: '制度建设', max: 5 }] },
    { code: '2', name: '质量管理', items: [{ code: '2.1', name: '质量控制', max: 10 }] },
  ],
};

/** Exported functions of cards/ that build no card (text helpers), with why they need no sample. */
export const notCardBuilders: Record<string, string> = {
  'complaints.excerpt': 'shortens a string',
  'complaints.complaintStatusText': 'where a complaint stands, in words',
  'complaints.closedWithoutFinding': 'one sentence to a complainant on a complaint closed as 重复 or 已撤回',
  'applications.formalCheckReasonField': 'names a form field',
  'applications.applicationNextStep': 'one sentence: what an application waits for',
  'applications.returnedByText': 'a few words: who returned an application',
  'applications.recallButton': 'one button of other cards: 撤回申报',
  'bulk.groupDigits': 'groups the digits of a number',
  'results.unlinkedCount': 'one sentence: how many leaders and contacts 公布结果 could not reach',
  'import.importPreviewText': 'the import preview as plain text, for npm run import in a terminal',
  'measures.nextSteps': 'the lines naming what to send next for a question',
  'measures.answersOutsideMeasures': 'the lines that answer alone what the measures say nothing on',
  'measures.outsideMeasuresLeftOut': 'a question without what the measures say nothing on, for the articles to answer the rest',
  'measures.asksAboutOwnApplications': 'whether a question asks how to change or take back one’s own application',
  'bulk.bulkProgressLine': 'one line of progress',
  'markdown.Md': 'markdown our code built',
  'markdown.escapeText': 'escapes a string',
  'markdown.raw': 'marks a constant as markdown',
  'markdown.md': 'the escaping template',
  'markdown.mdJoin': 'joins markdown',
  'markdown.safeUrl': 'checks a URL',
  'markdown.link': 'one link inside markdown',
  'markdown.mention': 'one mention inside markdown',
  'markdown.asTyped': 'a person’s own words inside markdown',
  'contact.contactPhrase': 'the contact in words',
  'contact.withContact': 'a text with the contact after its 请联系协会',
  'measures.asksAssociationContact': 'whether a question asks how to reach the association',
  'measures.asksYearDates': 'whether a question asks a date the running year sets',
  'measures.yearAsked': 'the year a question names (去年, 2026年)',
  'review.declinedPlaceText': 'one sentence: what became of a declined task’s place',
  'review.unneededThenText': 'one clause: a panel full when its expert left it (你谢绝时 / 你回避时)',
};

const sampleContact: contact.AssociationContact = { name: '协会秘书处 张三', phone: '020-12345678', email: 'office@example.org', hours: '工作日 9:00–17:00' };

const LEADER = 'ou_local_leader';
const CONTACT = 'ou_local_contact';
const EXPERT = 'ou_local_expert_1';
const ADMIN = 'ou_local_admin';

const team: teams.TeamData = {
  id: 1,
  code: 'GDSZ-2026-0001',
  name: '道路养护一班',
  organization: '广州市市政工程维修有限公司',
  department: '养护部',
  typeLabel: '行政班组',
  leaderOpenId: LEADER,
  phone: '020-12345678',
  memberCount: 12,
  functions: '城市道路日常养护',
  goals: '路面完好率 98% 以上',
  plan: '每月质量例会；QC 小组攻关',
  contactOpenId: CONTACT,
  registeredAt: '2025-03-01',
  statusLabel: '正常',
};

const appForm = {
  title: '沥青路面坑槽快速修补 <工法> *改进*',
  category: 'maintenance',
  startDate: '2025-04-01',
  endDate: '2026-03-31',
  goalRate: '100',
  trainingRate: '96',
  examPassRate: '95',
  accidents: 'none',
  customer: '业主满意度 96%',
  qc: 'QC 小组 2 个',
  summary: '坑槽修补时间缩短 40%。',
  features: '可在全省推广',
  materialsUrl: 'https://example.feishu.cn/docx/abc',
};

const application: applications.ApplicationSummary = {
  id: 7,
  year: 2026,
  statusLabel: '已提交',
  team: { id: team.id, name: team.name, code: team.code, organization: team.organization },
  display: formDisplay(applicationForm, appForm),
};

const complaintTeam: complaints.ComplaintTeam = { id: 1, name: team.name, code: team.code, organization: team.organization };
const complaint = complaintViewOf({
  id: 3,
  reference: 'TS-2027-0003',
  content: '人行道修补后一周即开裂，\n影响通行。',
  contact: '13900000002',
  channel: 'web',
  status: 'open',
  note: null,
  receivedOn: '2027年5月2日',
  team: complaintTeam,
});
const upheld = complaintViewOf({ ...complaint, status: 'upheld', note: '经核查属实，已责令返工。', decided: { by: '张三', at: '2027年5月6日 10:05' } });
const repeated = complaintViewOf({ ...complaint, status: 'duplicate', note: '与前一件为同一处井盖。', repeats: 'TS-2027-0002', decided: { by: '张三', at: '2027年5月6日 10:05' } });
const withdrawn = complaintViewOf({ ...complaint, status: 'withdrawn', note: '投诉人来电要求撤回。', decided: { by: '李四', at: '2027年5月7日 09:30' } });
const title: complaints.TitleView = { honourId: 4, year: 2026, run: 2, required: 3 };

const taskApplication: review.TaskApplication = {
  code: team.code,
  team: team.name,
  organization: team.organization,
  display: formDisplay(applicationForm, appForm),
  recommendation: '该班组质量管理制度健全，QC 活动成效明显，同意推荐。',
};

const resultLines: results.ResultLine[] = [
  { code: 'GDSZ-2026-0001', team: team.name, organization: team.organization, finalScore: 92.5, rank: 1, awarded: true, recommended: true, outliers: 0, rule: 'trimmedMean', sheets: 5 },
  { code: 'GDSZ-2026-0002', team: '桥梁检测二组', organization: '深圳市政检测中心', finalScore: 86, rank: 2, awarded: true, recommended: false, outliers: 1, rule: 'mean', sheets: 3 },
  { code: 'GDSZ-2026-0003', team: '排水管养班', organization: '佛山水务', finalScore: 71, rank: 3, awarded: false, recommended: false, outliers: 0, rule: 'mean', sheets: 3 },
  { code: 'GDSZ-2026-0004', team: '照明维护班', organization: '东莞市政', finalScore: null, rank: null, awarded: false, recommended: false, outliers: 0, rule: null, sheets: 1 },
];
const resultsSummary: results.ResultsSummary = { cycleId: 2, year: 2026, status: 'closed', awardThreshold: 85, recommendShare: 0.1, lines: resultLines };

const shown = (text: string, daysLeft: number): admin.ShownDate => ({ text, daysLeft });
const adminCycle: admin.AdminCycleView = {
  id: 2,
  year: 2026,
  status: 'open',
  statusLabel: '接受申报',
  applicationDeadline: shown('2026年5月31日', 12),
  scoringDeadline: shown('2026年6月30日', 42),
  reviewMeetingDate: shown('2026年7月15日', 57),
  awardThreshold: 85,
  expertsPerApplication: 3,
  recommendShare: 0.1,
  sheet: { title: '质量信得过班组建设评分表', total: 100, items: 24 },
  accepted: 2,
};
const counts = [
  { label: '草稿', count: 1 },
  { label: '已提交', count: 2 },
  { label: '单位已推荐', count: 0 },
];

export type Sample = () => unknown[];

export const cardSamples: Record<string, Sample> = {
  'lateClick.unfinishedClickCard': () => [lateClick.unfinishedClickCard()],
  'lateClick.savedUnansweredClickCard': () => [lateClick.savedUnansweredClickCard()],
  'bulk.bulkJobCard': () => [
    bulk.bulkJobCard({ jobId: 1, kind: 'assign', cycleId: 2, year: 2026, status: 'running', done: 1200, total: 3000, lead: '2026年度申报已截止，进入专家评分阶段。' }),
    bulk.bulkJobCard({
      jobId: 1,
      kind: 'assign',
      cycleId: 2,
      year: 2026,
      status: 'done',
      done: 2999,
      total: 3000,
      seconds: 12,
      unfilled: [{ code: 'GDSZ-2025-0001', team: '道路养护一班', reason: '需要 3 位，缺 1 位。只有 2 位专家可用：其余 5 位与申报单位同属一家单位。' }],
      unfilledTotal: 1,
    }),
    bulk.bulkJobCard({ jobId: 2, kind: 'publish', cycleId: 2, year: 2026, status: 'failed', done: 300, total: 1000, seconds: 4, error: '2026年度评审结束评分后才能公布结果。' }),
    bulk.bulkJobCard({ jobId: 3, kind: 'import', cycleId: 0, year: 0, status: 'running', done: 1200, total: 3000, heading: '文件：全省班组.xlsx' }),
    bulk.bulkJobCard({ jobId: 4, kind: 'importPreview', cycleId: 0, year: 0, status: 'failed', done: 0, total: 1, seconds: 2, heading: '导入文件“全省班组.xlsx”', error: '处理时出现意外错误（详情已记入日志），请点“重试”；若仍失败，请联系技术支持。' }),
    bulk.bulkJobCard({
      jobId: 3,
      kind: 'import',
      cycleId: 0,
      year: 0,
      status: 'done',
      done: 2999,
      total: 3000,
      seconds: 9,
      heading: '文件：全省班组.xlsx',
      outcome: '新增 2 990 行，更新 9 行，不变 0 行',
      refused: [{ where: '班组第 1101 行 养护1100班（市政一公司）', reason: '本单位已有同名班组，编号为 GDSZ-2019-0001，与文件中的“GDSZ-2023-01100”不同：请改用原编号' }],
      refusedTotal: 1,
    }),
    bulk.bulkJobCard({ jobId: 4, kind: 'remind', cycleId: 2, year: 2026, status: 'done', done: 681, total: 681, seconds: 3, heading: '2026年度评审 · 评审会提醒', outcome: '已安排 681 人的提醒，按发送速率陆续送达；送达前已办完的不再提醒。' }),
  ],
  'admin.adminCard': () => [
    admin.adminCard({ today: '2026年5月19日', cycle: adminCycle, applicationCounts: counts }),
    admin.adminCard({ today: '2026年5月19日', cycle: { ...adminCycle, status: 'scoring', statusLabel: '专家评分' }, applicationCounts: counts }),
    admin.adminCard({ today: '2026年5月19日', cycle: { ...adminCycle, status: 'scoring', statusLabel: '专家评分', reopenedForSheets: true }, applicationCounts: counts }),
    admin.adminCard({ today: '2026年5月19日', lastCycle: { id: 1, year: 2025, status: 'published', statusLabel: '已公布' }, applicationCounts: [] }),
    // earlier years published too: 历年评审结果 beside the latest year's button
    admin.adminCard({ today: '2026年5月19日', cycle: adminCycle, applicationCounts: counts, lastPublished: { id: 1, year: 2025 }, olderPublished: true }),
    admin.adminCard({ today: '2026年5月19日', lastCycle: { id: 1, year: 2025, status: 'published', statusLabel: '已公布' }, olderPublished: true, applicationCounts: [] }),
  ],
  'admin.administratorsCard': () => [
    admin.administratorsCard({
      admins: [
        { openId: 'ou_admin0000000000000000000000001', name: '协会秘书处', configured: true },
        { openId: 'ou_admin0000000000000000000000002', name: '李工', configured: false },
      ],
      viewer: 'ou_admin0000000000000000000000002',
      candidates: ['ou_leader000000000000000000000001'],
      descriptor: adminAddForm,
    }),
    admin.administratorsCard({
      admins: [{ openId: 'ou_admin0000000000000000000000002', name: null, configured: false }],
      viewer: 'ou_admin0000000000000000000000002',
      candidates: [],
      descriptor: adminAddForm,
      error: '评审工作须由协会管理员负责，不能移除最后一位管理员：请先添加另一位管理员，再移除。',
    }),
  ],
  'admin.selfRemovedCard': () => [admin.selfRemovedCard()],
  // 查询证书 (第二十一条): valid, revoked (第二十二条), never issued; a team's titles, several teams of one name, none
  'certificates.certificateCheckCard': () => {
    const issued = { number: 'GDSZ-ZS-2026-0007', teamName: '养护一班（东区）', teamCode: 'GDSZ-2024-0061', organization: '佛山市政养护有限公司', year: 2026, title: '广东省市政工程质量信得过班组', issuedOn: '2026年7月20日' };
    return [
      certificates.certificateCheckCard({ number: issued.number, found: issued }),
      certificates.certificateCheckCard({ number: issued.number, found: { ...issued, revokedOn: '2027年3月2日' }, language: 'en' }),
      certificates.certificateCheckCard({ number: issued.number, found: { ...issued, teamName: '佛山养护一班', teamNameNow: issued.teamName } }),
      certificates.certificateCheckCard({ number: issued.number, found: { ...issued, since: { latestYear: 2028, titles: [{ year: 2028 }, { year: 2027, revokedOn: '2028年3月2日' }] } } }),
      certificates.certificateCheckCard({ number: issued.number, found: { ...issued, since: { latestYear: 2028, titles: [] } } }),
      certificates.certificateCheckCard({ number: 'GDSZ-ZS-2026-0999', language: 'en' }),
      certificates.certificateCheckCard({ number: 'GDSZ-ZS-2026-0999' }),
      certificates.certificateCheckCard({ number: issued.number, found: issued, unchecked: ['GDSZ-ZS-2026-0002', 'GDSZ-ZS-2026-0003'] }),
    ];
  },
  'certificates.teamTitlesCard': () => {
    const titled = { name: '养护一班（东区）', code: 'GDSZ-2024-0061', organization: '佛山市政养护有限公司', titles: [{ year: 2026, title: '广东省市政工程质量信得过班组' }, { year: 2025, title: '广东省市政工程质量信得过班组', revokedOn: '2026年3月2日' }] };
    return [
      certificates.teamTitlesCard({ asked: titled.name, teams: [titled] }),
      certificates.teamTitlesCard({ asked: titled.code, teams: [titled], language: 'en' }),
      certificates.teamTitlesCard({ asked: '养护一班', teams: [{ ...titled, name: '养护一班' }, { name: '养护一班', code: 'GDSZ-2025-0100', organization: '深圳市政建设集团', titles: [] }] }),
      certificates.teamTitlesCard({ asked: '佛山养护一班', teams: [{ ...titled, titles: [{ year: 2026, title: '广东省市政工程质量信得过班组', issuedAs: '佛山养护一班' }] }] }),
      certificates.teamTitlesCard({ asked: '东风路养护队', teams: [] }),
      certificates.teamTitlesCard({ asked: '[链接](https://example.com) *'.repeat(20), teams: [], language: 'en' }),
    ];
  },
  'certificates.certificateCheckFormCard': () => [
    certificates.certificateCheckFormCard(),
    certificates.certificateCheckFormCard({ value: '这个怎么查？', error: '请填写荣誉证书编号（形如 GDSZ-ZS-2026-0001），或班组全称、班组编号（形如 GDSZ-2026-0001）。' }),
  ],
  'contact.associationContactCard': () => [
    contact.associationContactCard(sampleContact, { admin: false }),
    contact.associationContactCard(sampleContact, { admin: true }),
    contact.associationContactCard(undefined, { admin: true }),
  ],
  'contact.associationContactFormCard': () => [
    contact.associationContactFormCard({ descriptor: contactForm, values: {} }),
    contact.associationContactFormCard({ descriptor: contactForm, values: { contactName: '协会秘书处 张三', contactPhone: '打电话' }, current: sampleContact, error: '电话须为电话号码（至少 7 位数字，可含 - + 空格、括号和“转”分机，两个号码用顿号隔开），如 020-××××××××' }),
  ],
  // a card as sent once the contact is set: each 请联系协会 followed by it
  'contact.withContactInCard': () => [
    contact.withContactInCard(kit.card({ title: '请联系协会', elements: [kit.markdown('如有疑问，请联系协会。'), kit.note('如需修改，请联系协会管理员重开。')] }), sampleContact),
    contact.withContactInCard(kit.card({ title: '示例', elements: [kit.markdown('如有疑问，请联系协会。')] }), undefined),
  ],
  'admin.cycleFormCard': () => [
    admin.cycleFormCard({ descriptor: cycleForm, mode: 'open', values: { year: '2026', applicationDeadline: '2026-05-31', awardThreshold: '85' } }),
    admin.cycleFormCard({ descriptor: cycleForm, mode: 'settings', cycleId: 2, year: 2026, values: {}, error: '评审会日期不能早于评分截止日期', applicationDeadlineFixed: '2026年5月31日' }),
  ],
  'admin.scoreSheetFormCard': () => [
    admin.scoreSheetFormCard({
      cycleId: 2,
      year: 2026,
      current: { title: '默认评分表', total: 100, areas: [{ code: '1', name: '班组基础建设', max: 20, items: 4 }] },
      boxes: ['评分表：新表\n总分：100\n1 班组基础建设\n1.1 目标分解与职能明确 5', '2 班组组织建设\n2.1 组织机制与资源配备 5'],
      boxCount: 5,
      boxMax: 1000,
      error: '各项之和为 95，应等于总分 100',
    }),
  ],
  'admin.cycleOpenedCard': () => [
    admin.cycleOpenedCard({
      year: 2026,
      applicationDeadline: '2026年5月31日',
      scoringDeadline: '2026年6月30日',
      reviewMeetingDate: '2026年7月15日',
      awardThreshold: 85,
      expertsPerApplication: 3,
      recommendShare: 0.1,
      openedBy: ADMIN,
    }),
  ],

  'applications.applicationFormCard': () => [
    applications.applicationFormCard({ descriptor: applicationForm, team: application.team, cycle: { year: 2026, applicationDeadline: '2026-05-31' }, values: appForm }),
    applications.applicationFormCard({
      descriptor: applicationForm,
      team: application.team,
      cycle: { year: 2026, applicationDeadline: '2026-05-31' },
      applicationId: 7,
      returnedOpinion: '请补充顾客满意度证明',
      failures: [{ article: 16, message: '第十六条：注册未满一年' }],
    }),
    applications.applicationFormCard({ descriptor: applicationForm, team: application.team, cycle: { year: 2026, applicationDeadline: '2026-05-31' }, error: { field: 'goalRate', message: '目标完成率须为 0–100' } }),
  ],
  'applications.applicationDetails': () => [applications.applicationDetails(application)],
  'applications.submittedCard': () => [applications.submittedCard(application), applications.submittedCard({ ...application, status: 'draft', statusLabel: '草稿' }, { takesApplications: false })],
  'applications.recallChoiceCard': () => [applications.recallChoiceCard([{ team: application.team, year: 2026, title: '路面修补工艺改进' }])],
  'applications.recalledNoticeCard': () => [applications.recalledNoticeCard(application, '2026年3月10日 09:00')],
  'applications.applicationClosedCard': () => [
    applications.applicationClosedCard({ year: 2025, team: application.team, reason: '这张申报表属于 2025 年度，已不能提交；请发送“申报”打开 2026 年度申报表。', open: { year: 2026, applicationDeadline: '2026年5月31日' } }),
    applications.applicationClosedCard({ year: 2026, team: application.team, reason: '2026 年度申报已于 2026年5月31日 截止。' }),
  ],
  'applications.endorsementRequestCard': () => [
    applications.endorsementRequestCard(application, { descriptor: endorsementForm, values: { opinion: '缺少 QC 记录' }, error: { message: '2026 年度申报已于 2026年5月31日 截止：退回后班组不能再修改提交。' }, lateReturn: true }),
    applications.endorsementRequestCard(application, { descriptor: endorsementForm }),
    // submitted again after a return: 重新提交, the return it answers
    applications.endorsementRequestCard(application, { descriptor: endorsementForm, returned: { by: 'organization', name: '王联系人', at: '2026年3月5日', opinion: '缺少 QC 记录'.repeat(20) } }),
    applications.endorsementRequestCard(application, { descriptor: endorsementForm, returned: { by: 'association', name: null, at: '2026年3月6日', opinion: '缺少材料链接', changed: ['成果名称', '活动开始日期', '目标完成率（%）', '培训率（%）', 'QC 小组活动'] } }),
    applications.endorsementRequestCard(application, { descriptor: endorsementForm, returned: { by: 'organization', name: '王联系人', opinion: '材料不全', changed: [] } }),
    applications.endorsementRequestCard(application, { descriptor: endorsementForm, closed: '2026年度评审结果已公布，不能再推荐这份申报。如有疑问，请联系协会。' }),
    applications.endorsementRequestCard(application, { descriptor: endorsementForm, values: { opinion: '同意推荐' }, error: { message: '请勾选“材料真实性确认”' } }),
    // a click on a copy of an earlier submission: the latest, whose buttons carry when it was submitted
    applications.endorsementRequestCard({ ...application, submitted: Date.parse('2026-03-05T10:20:00+08:00') }, {
      descriptor: endorsementForm,
      values: { opinion: '同意推荐' },
      error: { message: '这份申报已于 2026年3月5日 10:20 重新提交，内容可能已修改：请看本卡片上的最新内容后再推荐。' },
      resubmitted: true,
    })],
  'applications.endorsementDoneCard': () => [applications.endorsementDoneCard(application, 'recommend', '同意推荐'), applications.endorsementDoneCard(application, 'return', '材料不全'), applications.endorsementDoneCard({ ...application, leaderPending: true }, 'return', '材料不全')],
  'applications.leaderNoticeCard': () => [
    applications.leaderNoticeCard(application, 'recommended', '同意推荐'),
    applications.leaderNoticeCard(application, 'returnedByOrganization', '材料不全'),
    applications.leaderNoticeCard(application, 'accepted'),
    applications.leaderNoticeCard(application, 'returnedByAssociation', '缺少材料链接'),
    applications.leaderNoticeCard(application, 'returnedByOrganization', '材料不全', { deadline: '2026-05-31' }),
    // the organisation contact's copies of the association's decision: a return offers 查看进度, not 修改申报
    applications.leaderNoticeCard(application, 'returnedByAssociation', '缺少材料链接', undefined, 'contact'),
    applications.leaderNoticeCard(application, 'returnedByAssociation', '缺少材料链接', { deadline: '2026-05-31' }, 'contact'),
    applications.leaderNoticeCard(application, 'accepted', undefined, undefined, 'contact'),
  ],
  'applications.returnedNotesCard': () => [
    applications.returnedNotesCard(2026, [
      { team, note: { by: 'organization', name: '王联系人', at: '2026年3月5日 10:20', opinion: '材料不全' }, canEdit: true },
      { team: { ...team, id: 2, name: '另一班组' }, note: { by: 'association', name: null, opinion: '缺少材料链接'.repeat(80) }, canEdit: false },
    ]),
    // the year's applications closed: no 修改申报; more returned than one card shows
    applications.returnedNotesCard(2026, [{ team, note: { by: 'organization', name: null, opinion: '材料不全' }, canEdit: false, closedNote: '2026 年度申报已于 2026年5月31日 截止，这份申报不能再修改提交，不参加本年度评审；可参加下一年度评选（第十九条）。' }], 3),
  ],
  'applications.formalCheckCard': () => [
    applications.formalCheckCard({ year: 2026, items: [{ ...application, opinion: '同意推荐' }], total: 3, error: { message: '退回时请填写原因' } }),
    applications.formalCheckCard({ year: 2026, items: [], total: 0 }),
    applications.formalCheckCard({
      year: 2026,
      items: [{ ...application, submitted: Date.parse('2026-03-05T10:20:00+08:00'), opinion: '已按协会意见补充', recommendedBy: '李联系人' }],
      total: 1,
      notice: '养护一班的申报已于 2026年3月5日 10:20 重新提交并重新推荐，内容可能已修改：请看最新内容后再审查。',
    }),
    // a page in the middle of 80 waiting: 上一页 / 下一页, and decisions that answer with this page
    applications.formalCheckCard({ year: 2026, items: [{ ...application, opinion: '同意推荐', recommendedBy: '李联系人' }], total: 80, first: 4, page: 2, pages: 27 }),
    // a page button drawn before some were checked: the last page, with a note
    applications.formalCheckCard({ year: 2026, items: [{ ...application, opinion: '同意推荐' }], total: 31, first: 31, page: 11, pages: 11, asked: 14 }),
    // a return once the year's applications are closed, asked to confirm: the reason kept, 确认退回 in place of 退回
    applications.formalCheckCard({
      year: 2026,
      items: [{ ...application, opinion: '同意推荐' }],
      total: 1,
      confirmReturn: {
        applicationId: application.id,
        reason: '材料链接打不开，请补充',
        message: '养护一班的申报：2026 年度申报已于 2026年5月31日 截止：退回后班组不能再修改提交，这份申报将不参加 2026 年度评审。确需退回请点该申报下的“确认退回（不参加本年度评审）”；材料可用请点“受理”。',
      },
    }),
  ],
  'applications.endorsementListCard': () => [applications.endorsementListCard([application]), applications.endorsementListCard([])],
  'applications.formalCheckRequestCard': () => [applications.formalCheckRequestCard(application), applications.formalCheckRequestCard(application, '李联系人')],
  'applications.notALeaderCard': () => [
    applications.notALeaderCard(),
    applications.notALeaderCard([], { admin: true }),
    applications.notALeaderCard([{ name: '市政养护一班', role: 'member' }]),
    applications.notALeaderCard([{ name: '市政养护一班', role: 'contact' }, { name: '市政养护二班', role: 'contact' }]),
    // the contact of a thousand teams: five named, the rest counted
    applications.notALeaderCard(Array.from({ length: 1000 }, (_, i) => ({ name: `广州市政道路养护第${i + 1}班组`, role: 'contact' as const }))),
  ],

  'complaints.complaintAlertCard': () => [
    complaints.complaintAlertCard(complaint),
    complaints.complaintAlertCard(complaint, { title, daysOpen: 8, error: { field: 'note', message: '请填写处理意见' } }),
    // in an administrators' group: the contact left out, 查看联系方式 in its place
    complaints.complaintAlertCard(complaint, { title, daysOpen: 8, error: { field: 'note', message: '请填写处理意见' }, group: true }),
  ],
  'complaints.complaintBatchAlertCard': () => [
    complaints.complaintBatchAlertCard({ items: [complaint, { ...complaint, id: complaint.id + 1, reference: 'TS-2026-0008' }] }),
    complaints.complaintBatchAlertCard({ items: Array.from({ length: 12 }, (_, i) => ({ ...complaint, id: complaint.id + i, reference: `TS-2026-${String(10 + i).padStart(4, '0')}` })) }),
    complaints.complaintBatchAlertCard({ items: [{ ...complaint, channel: 'chat' }, { ...complaint, channel: 'chat', id: complaint.id + 1, reference: 'TS-2026-0008' }], channel: 'chat' }),
  ],
  'complaints.complaintEscalationCard': () => [
    complaints.complaintEscalationCard({ items: [{ ...complaint, daysOpen: 8 }, { ...complaint, id: complaint.id + 1, reference: 'TS-2026-0008', daysOpen: 15 }], total: 2, afterDays: 7 }),
    complaints.complaintEscalationCard({ items: Array.from({ length: 10 }, (_, i) => ({ ...complaint, id: complaint.id + i, reference: `TS-2026-${String(10 + i).padStart(4, '0')}`, daysOpen: 8 })), total: 30, afterDays: 7 }),
  ],
  'complaints.revocationEscalationCard': () => [
    complaints.revocationEscalationCard({ items: [{ honourId: 5, year: 2026, run: 2, team: complaintTeam, days: 8 }, { honourId: 6, year: 2025, run: 3, team: { ...complaintTeam, id: complaintTeam.id + 1, code: 'GDSZ-2024-0002' }, days: 15 }], total: 2, afterDays: 7, group: true }),
    complaints.revocationEscalationCard({ items: Array.from({ length: 10 }, (_, i) => ({ honourId: 10 + i, year: 2026, run: 2, team: { ...complaintTeam, id: complaintTeam.id + i, name: '长'.repeat(40) }, days: 8 + i })), total: 30, afterDays: 7 }),
    // redrawn once some are decided: those with who decided and when, no button; the rest still awaiting
    complaints.revocationEscalationCard({
      items: Array.from({ length: 10 }, (_, i) => ({
        honourId: 10 + i, year: 2026, run: 2, team: { ...complaintTeam, id: complaintTeam.id + i, name: '长'.repeat(40) }, days: 8 + i,
        ...(i % 2 ? { decided: { decision: i % 4 === 1 ? ('revoked' as const) : ('kept' as const), by: '名'.repeat(30), at: '2026年8月16日 10:30' } } : {}),
      })),
      total: 25, afterDays: 7, group: true,
    }),
    // every one decided
    complaints.revocationEscalationCard({ items: [{ honourId: 5, year: 2026, run: 2, team: complaintTeam, days: 8, decided: { decision: 'kept', by: '王管理员', at: '2026年8月16日 10:30' } }, { honourId: 6, year: 2025, run: 3, team: { ...complaintTeam, id: complaintTeam.id + 1, code: 'GDSZ-2024-0002' }, days: 15, decided: { decision: 'revoked', by: '李管理员', at: '2026年8月17日 09:05' } }], total: 0, afterDays: 7, group: true }),
    // every one's run taken back by 更正认定, none decided
    complaints.revocationEscalationCard({ items: Array.from({ length: 10 }, (_, i) => ({ honourId: 10 + i, year: 2026, run: 0, team: { ...complaintTeam, id: complaintTeam.id + i, name: '长'.repeat(40) }, days: 0, takenBack: true })), total: 0, afterDays: 7, group: true }),
  ],
  'complaints.complaintDecidedCard': () => [complaints.complaintDecidedCard(upheld, { title, revocationRaised: true }), complaints.complaintDecidedCard({ ...upheld, status: 'dismissed' }), complaints.complaintDecidedCard(repeated), complaints.complaintDecidedCard(withdrawn), complaints.complaintDecidedCard(upheld, { title, revocationRaised: true, group: true })],
  'complaints.complaintCorrectionCard': () => [
    complaints.complaintCorrectionCard({ ...upheld, channel: 'chat' }, complaintCorrectionForm, { title }),
    complaints.complaintCorrectionCard({ ...upheld, status: 'dismissed' }, complaintCorrectionForm, { error: { field: 'note', message: '请填写更正说明' } }),
  ],
  'complaints.complaintCorrectedNoticeCard': () => [
    complaints.complaintCorrectedNoticeCard({ ...upheld, status: 'dismissed' }, { from: 'upheld', team: true, title }),
    complaints.complaintCorrectedNoticeCard(upheld, { from: 'dismissed', team: false }),
  ],
  'complaints.revocationAlertCard': () => [complaints.revocationAlertCard({ team: complaintTeam, title: { ...title, run: 3 }, history: [upheld, upheld, upheld], form: revocationDecisionForm, error: { message: '请填写决定理由' }, values: { reason: '长期整改中' } })],
  'complaints.revocationDecidedCard': () => [
    complaints.revocationDecidedCard({ team: complaintTeam, year: 2026, decision: 'revoked', reason: '连续三次投诉成立', barDays: null }),
    complaints.revocationDecidedCard({ team: complaintTeam, year: 2026, decision: 'revoked', reason: '连续三次投诉成立', barDays: 500 }),
    complaints.revocationDecidedCard({ team: complaintTeam, year: 2026, decision: 'kept', reason: '已整改' }),
    complaints.revocationDecidedCard({ team: complaintTeam, year: 2026, decision: 'revoked', reason: '连续三次投诉成立', barDays: 365, certificate: 'GDSZ-ZS-2026-0003', others: [{ year: 2027, certificate: 'GDSZ-ZS-2027-0001' }] }),
    complaints.revocationDecidedCard({ team: complaintTeam, year: 2026, decision: 'kept', reason: '已整改', others: [{ year: 2027 }] }),
    complaints.revocationDecidedCard({ team: { ...complaintTeam, leaderOpenId: 'pending:m:13900000088', contactOpenId: 'ou_contact' }, year: 2026, decision: 'revoked', reason: '连续三次投诉成立', barDays: 365 }),
  ],
  'complaints.revocationWithdrawnCard': () => [
    complaints.revocationWithdrawnCard({ team: complaintTeam, year: 2026, title: { ...title, run: 1 }, complaint: { ...upheld, status: 'dismissed', note: '误点成立，经核查投诉不实', decided: { by: '李管理员', at: '2027年3月3日 09:00' } } }),
    complaints.revocationWithdrawnCard({ team: complaintTeam, year: 2026 }),
  ],
  'complaints.titleRevokedNoticeCard': () => [complaints.titleRevokedNoticeCard({ team: complaintTeam, year: 2026, reason: '连续三次投诉成立', barDays: null }), complaints.titleRevokedNoticeCard({ team: complaintTeam, year: 2026, reason: '连续三次投诉成立', barDays: 500 })],
  'complaints.complaintFormCard': () => [
    complaints.complaintFormCard({ descriptor: complaintForm }),
    complaints.complaintFormCard({ descriptor: complaintTextForm, team: { id: 1, name: team.name, code: team.code }, formKey: 'k1', values: { content: '开裂' }, error: { message: '请描述问题' } }),
    // a team found by a name it had (a certificate's, or one 修改资料 renamed it from): said after its name now
    complaints.complaintFormCard({ descriptor: complaintTextForm, team: { id: 1, name: team.name, code: team.code, formerly: '佛山排水二班' }, formKey: 'k1' }),
    // a team typed with a slip: the three title holders it may mean, each button carrying the longest content and contact it carries on
    complaints.complaintFormCard({
      descriptor: complaintForm,
      formKey: 'k2',
      values: { team: '广州市政养护三斑', content: '路'.repeat(complaints.PICKER_CONTENT_MAX), contact: '1'.repeat(complaints.PICKER_CONTACT_MAX) },
      error: { field: 'team', message: '找不到班组“广州市政养护三斑”。你要投诉的是不是以下班组之一：…？' },
      suggested: [1, 2, 3].map((id) => ({ id, name: `${'广州市政养护'.repeat(10)}${id}班`, code: `GDSZ-2026-000${id}` })),
    }),
  ],
  'complaints.complaintTeamPickerCard': () => [
    complaints.complaintTeamPickerCard({ query: '养护', teams: [{ id: 1, name: team.name, code: team.code, organization: team.organization }] }),
    // ten teams, each button carrying the longest complaint it carries on (Chinese: three bytes a character)
    complaints.complaintTeamPickerCard({
      query: '养护',
      teams: Array.from({ length: 10 }, (_, i) => ({ id: i + 1, name: '桥'.repeat(50), code: `GDSZ-2024-${String(i + 1).padStart(4, '0')}`, organization: '单'.repeat(100) })),
      content: '路'.repeat(complaints.PICKER_CONTENT_MAX),
    }),
    complaints.complaintTeamPickerCard({ query: '养护', teams: [{ id: 1, name: team.name, code: team.code, organization: team.organization }], content: '路'.repeat(complaints.PICKER_CONTENT_MAX + 1) }),
    // an organisation typed (投诉 <单位>): its title holders, eleven of them, by name and code
    complaints.complaintTeamPickerCard({
      query: team.organization,
      teams: Array.from({ length: 11 }, (_, i) => ({ id: i + 1, name: '桥'.repeat(50), code: `GDSZ-2024-${String(i + 1).padStart(4, '0')}`, organization: team.organization })),
      organization: { name: team.organization, exact: true },
    }),
    complaints.complaintTeamPickerCard({ query: '市政', teams: [{ id: 1, name: team.name, code: team.code, organization: team.organization }], organization: { name: team.organization, exact: false } }),
  ],
  'complaints.complaintReceivedCard': () => [complaints.complaintReceivedCard({ reference: complaint.reference, team: { name: team.name, code: team.code } })],
  'complaints.complaintOutcomeCard': () => [complaints.complaintOutcomeCard(upheld), complaints.complaintOutcomeCard(repeated), complaints.complaintOutcomeCard(withdrawn)],
  'complaints.complaintUpheldNoticeCard': () => [complaints.complaintUpheldNoticeCard(upheld, { ...title, run: 1 }), complaints.complaintUpheldNoticeCard(upheld)],
  'complaints.complaintListCard': () => [
    complaints.complaintListCard({ items: [{ ...complaint, daysOpen: 9 }], total: 4 }),
    complaints.complaintListCard({ items: [], total: 0 }),
    complaints.complaintListCard({ items: [{ ...complaint, daysOpen: 9 }], total: 35, titles: [{ honourId: 5, year: 2026, run: 2, team: complaintTeam }], titleTotal: 2, first: 1, page: 2, pages: 3 }),
    complaints.complaintListCard({ items: [{ ...complaint, daysOpen: 30 }], total: 31, first: 31, page: 3, pages: 3, asked: 4 }),
  ],

  'experts.expertPoolCard': () => [
    experts.expertPoolCard({
      experts: [
        { openId: EXPERT, name: '陈专家', organization: '华南理工大学', specialities: ['道路', '桥梁'], maxLoad: 10, active: true, load: 3, pending: 1 },
        { openId: 'ou_local_expert_2', name: null, organization: null, specialities: [], maxLoad: null, active: false, load: 0, pending: 0 },
      ],
      total: 4,
      active: 3,
      page: 1,
      pages: 2,
      candidates: [LEADER, CONTACT],
      descriptor: expertAddForm,
      values: { experts: `${EXPERT},ou_local_expert_3`, organization: '', maxLoad: '5' },
      error: '请填写所在单位',
    }),
    // 保存修改 refused: the same expert's edit form again, with the refusal and what was typed (不限 clears the limit)
    experts.expertPoolCard({
      experts: [{ openId: EXPERT, name: '陈专家', organization: '华南理工大学', specialities: ['道路', '桥梁'], maxLoad: 10, active: true, load: 3, pending: 1 }],
      total: 1,
      active: 1,
      page: 1,
      pages: 1,
      candidates: [LEADER],
      descriptor: expertAddForm,
      values: { experts: [EXPERT], organization: '', specialities: '无', maxLoad: '不限' },
      error: '请填写所在单位',
      editing: { openId: EXPERT, name: '陈专家' },
    }),
    // experts imported by a mobile not yet in the address book: no 启用 / 停用 until they message the bot
    experts.expertPoolCard({
      experts: [
        { openId: 'pending:m:13900003001', name: '林专家', organization: '广东省市政行业专家委员会', specialities: ['道路养护'], maxLoad: 10, active: false, load: 0, pending: 0, unlinked: true },
        { openId: 'pending:m:13900003002', name: '黄专家', organization: '广东省市政行业专家委员会', specialities: [], maxLoad: null, active: false, load: 0, pending: 0, unlinked: true },
      ],
      total: 2,
      active: 0,
      unlinked: 2,
      page: 1,
      pages: 1,
      candidates: [LEADER],
      descriptor: expertAddForm,
    }),
  ],
  'experts.conflictFormCard': () => [
    experts.conflictFormCard({
      descriptor: conflictForm,
      declared: [conflictDisplay({ kind: 'team', label: team.code, reason: '曾任职' }), conflictDisplay({ kind: 'organization', label: team.organization, reason: null })],
      done: '已改派 1 项任务',
    }),
    experts.conflictFormCard({ descriptor: conflictForm, declared: [], values: { kind: 'team', target: 'GDSZ' }, error: '没有这个班组编号' }),
  ],

  'groups.groupIntroCard': () => [groups.groupIntroCard()],
  'experts.expertWelcomeCard': () => [experts.expertWelcomeCard({ organization: '广东省市政行业专家委员会' }), experts.expertWelcomeCard({ organization: '<b>广州**市政**</b>[x](http://e)' })],
  'groups.chatBoundCard': () => [groups.chatBoundCard({ purpose: 'admin', isNew: true, purposes: ['admin'] }), groups.chatBoundCard({ purpose: 'experts', isNew: false, purposes: ['admin', 'experts'] })],
  'groups.chatUnboundCard': () => [groups.chatUnboundCard({ removed: ['admin'], remaining: [], adminGroupLeft: false }), groups.chatUnboundCard({ asked: 'admin', removed: [], remaining: ['experts'], adminGroupLeft: true })],

  'help.helpCard': () => [
    help.helpCard({ roles: ['admin', 'leader'], buttons: [{ action: 'team.registerForm', label: '注册班组', command: ['注册', 'register'] }, { action: 'admin.menu', label: '协会管理', value: { tab: 1 }, command: ['管理', 'admin'] }, { action: 'check.list', label: '形式审查' }] }),
    help.helpCard({ roles: [], buttons: [] }),
    // anyone not an administrator, with 质量投诉: how to follow one's complaints
    help.helpCard({ roles: [], buttons: [{ action: 'complaint.start', label: '质量投诉', command: ['投诉', 'complain'] }] }),
    help.helpCard({ buttons: [{ action: 'help.private', label: '在私聊中打开我的菜单' }] }),
    // a contact with applications to confirm: that button highlighted, with how many
    help.helpCard({ roles: ['org_contact'], buttons: [{ action: 'team.registerForm', label: '注册班组', command: ['注册', 'register'] }, { action: 'endorse.list', label: '待确认申报' }], primary: { action: 'endorse.list', count: 3 } }),
  ],
  'help.commandSuggestionCard': () => [
    help.commandSuggestionCard({ command: ['进度', 'status'], label: '我的班组', button: { action: 'team.status', label: '我的班组', command: ['进度', 'status'] } }),
    help.commandSuggestionCard({ command: ['注册', 'register'], english: true }),
    help.commandSuggestionCard({ command: ['条款 16', 'article 16'] }),
    help.commandSuggestionCard({ label: '形式审查', button: { action: 'check.list', label: '形式审查' } }),
    help.commandSuggestionCard({ label: '形式审查' }),
  ],
  'help.deadLetterCard': () => [help.deadLetterCard({ receiver: `open_id ${LEADER}`, attempts: 8, error: 'HTTP 400 code 230002: bot not in chat', dedupeKey: 'team:registered:1' })],
  'help.outageDeadLettersCard': () => [
    help.outageDeadLettersCard({ hour: '2030年5月30日 10:00–11:00', total: 300, people: 298, chats: 2, names: ['张三', '<b>李**四**</b>', 'ou_x'], kinds: [{ kind: 'results:published', n: 290 }, { kind: 'team:registered', n: 10 }], maxAgeHours: 24 }),
    help.outageDeadLettersCard({ hour: '2030年5月30日 23:00–00:00', total: 1, people: 0, chats: 1, names: [], kinds: [{ kind: 'complaint:new', n: 1 }], maxAgeHours: 24 }),
  ],

  'measures.articleCard': () => [measures.articleCard(getArticle(1)!), measures.articleCard(getArticle(16)!), measures.articleCard(getArticle(22)!), measures.articleCard(getArticle(16)!, { language: 'en' })],
  'measures.notFoundCard': () => [measures.notFoundCard('今天天气怎么样')],
  'measures.answerCard': () => [
    measures.answerCard('注册多久才能参加评选', rankArticles('注册多久才能参加评选')),
    measures.answerCard('How often is the review held?', rankArticles('How often is the review held?'), { language: 'en' }),
    measures.answerCard('无关', []),
    measures.answerCard('when is the deadline', rankArticles('when is the deadline'), { language: 'en' }),
    measures.answerCard('证书在哪里下载', rankArticles('证书在哪里下载')),
    // asked while a year runs: its dates stated
    ...(['申报截止日期是什么时候', 'when is the deadline', '评审会什么时候开', '评分截止是什么时候', '多少分能评上', '投诉几次会被摘牌', 'how many experts score an application', '推荐比例是多少'] as const).map((q) =>
      measures.answerCard(q, rankArticles(q), {
        language: /^[a-z]/.test(q) ? 'en' : 'zh',
        year: {
          ...{ year: 2027, status: 'open', current: true, applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-20', today: '2027-04-01' },
          ...{ awardThreshold: 80, expertsPerApplication: 5, recommendShare: 0.15, revocationRun: 3 },
        },
      }),
    ),
  ],
  'measures.browseCard': () => [measures.browseCard(chapters)],

  'reminders.applyDeadlineCard': () => [
    reminders.applyDeadlineCard({
      year: 2026,
      deadline: '2026-05-31',
      daysLeft: 3,
      teams: [
        { ...team, state: 'none' },
        { id: 3, name: '排水管养三班', code: 'GDSZ-2026-0003', state: 'draft' },
      ],
      toConfirm: [{ id: 2, name: '桥梁检测二组', code: 'GDSZ-2026-0002' }],
    }),
    reminders.applyDeadlineCard({ year: 2026, deadline: '2026-05-31', daysLeft: 1, teams: [{ ...team, state: 'returned' }], toConfirm: [] }),
  ],
  'reminders.applyOpenCard': () => [
    reminders.applyOpenCard({ year: 2026, deadline: '2026-05-31', daysLeft: 40, teams: [{ ...team, yearOldOn: '2026-03-01', eligible: true }] }),
    reminders.applyOpenCard({
      year: 2026,
      deadline: '2026-05-31',
      daysLeft: 40,
      teams: [
        { ...team, yearOldOn: '2026-03-01', eligible: true },
        { id: 2, name: '桥梁检测二组', code: 'GDSZ-2026-0002', yearOldOn: '2026-09-10', eligible: false },
      ],
    }),
  ],
  'reminders.unconfirmedAtDeadlineContactCard': () => [
    reminders.unconfirmedAtDeadlineContactCard({ year: 2026, teams: [team] }),
    reminders.unconfirmedAtDeadlineContactCard({ year: 2026, teams: Array.from({ length: 12 }, (_, i) => ({ ...team, name: `${team.name}${i + 1}`, code: `GDSZ-2025-${String(i + 1).padStart(4, '0')}` })) }),
  ],
  'reminders.unconfirmedAtDeadlineLeaderCard': () => [
    reminders.unconfirmedAtDeadlineLeaderCard({ year: 2026, teams: [team] }),
    reminders.unconfirmedAtDeadlineLeaderCard({ year: 2026, teams: [team, { id: 2, name: '桥梁检测二组', code: 'GDSZ-2026-0002' }] }),
  ],
  'reminders.closedEarlyLeaderCard': () => [
    reminders.closedEarlyLeaderCard({ year: 2026, closedOn: '2026-04-10', announced: '2026-05-31', teams: [{ ...team, state: 'draft' }] }),
    reminders.closedEarlyLeaderCard({ year: 2026, closedOn: '2026-04-10', announced: '2026-05-31', teams: [{ ...team, state: 'draft' }, { id: 2, name: '桥梁检测二组', code: 'GDSZ-2026-0002', state: 'returned' }] }),
  ],
  'reminders.applyDeadlineLeaderCard': () => [
    reminders.applyDeadlineLeaderCard({ year: 2026, deadline: '2026-05-31', daysLeft: 7, team, state: 'none' }),
    reminders.applyDeadlineLeaderCard({ year: 2026, deadline: '2026-05-31', daysLeft: 1, team, state: 'returned' }),
  ],
  'reminders.applyDeadlineContactCard': () => [reminders.applyDeadlineContactCard({ year: 2026, deadline: '2026-05-31', daysLeft: 0, teams: [team, { id: 2, name: '桥梁检测二组', code: 'GDSZ-2026-0002' }] })],
  'reminders.scoringDeadlineGroupCard': () => [
    reminders.scoringDeadlineGroupCard({ year: 2026, deadline: '2026-06-30', daysLeft: 3, pending: 12, experts: 5 }),
    reminders.scoringDeadlineGroupCard({ year: 2026, deadline: '2026-06-30', daysLeft: -1, pending: 2, experts: 1 }),
  ],
  'reminders.scoringDeadlineCard': () => [
    reminders.scoringDeadlineCard({ year: 2026, cycleId: 2, deadline: '2026-06-30', daysLeft: 3, pending: 2 }),
    reminders.scoringDeadlineCard({ year: 2026, cycleId: 2, deadline: '2026-06-30', daysLeft: -2, pending: 1 }),
  ],
  'reminders.reviewMeetingCard': () => [
    reminders.reviewMeetingCard({ year: 2026, date: '2026-07-15', daysLeft: 7, audience: 'admin', accepted: 12 }),
    reminders.reviewMeetingCard({ year: 2026, date: '2026-07-15', daysLeft: 7, audience: 'admin', accepted: 12, due: '申报已于 2026年5月31日 截止，但尚未点“截止申报”，专家还不能评分：请在“管理”中点“截止申报”，随后分配专家。' }),
    reminders.reviewMeetingCard({ year: 2026, date: '2026-07-15', daysLeft: 1, audience: 'applicant', team }),
    reminders.reviewMeetingCard({ year: 2026, date: '2026-07-15', daysLeft: 3, audience: 'applicant', teams: [team, { id: 2, name: '桥梁检测二组', code: 'GDSZ-2026-0002' }] }),
  ],
  'reminders.anniversaryCard': () => [
    reminders.anniversaryCard({ team, cycle: { year: 2026, applicationDeadline: '2026-05-31' } }),
    reminders.anniversaryCard({ team }),
    reminders.anniversaryCard({ team, lateSince: '2026-05-28' }),
    reminders.anniversaryCard({ team, cycle: { year: 2026, applicationDeadline: '2026-05-31' }, state: 'draft' }),
  ],
  'reminders.digestCard': () => [
    reminders.digestCard({
      kind: 'daily',
      period: '2026-06-01',
      cycle: { year: 2026, statusLabel: '专家评分', counts: [['已受理', 12], ['草稿', 0]], scoringDeadline: '2026-06-30' },
      overdueExperts: [{ openId: EXPERT, name: '陈专家', pending: 2 }, { openId: 'ou_sample_recused_expert', name: '李专家', pending: 0, recused: 1, recusedTeams: ['GDSZ-2026-0003'] }],
      openComplaints: { total: 1, oldest: [{ reference: complaint.reference, teamName: team.name, daysOpen: 9 }] },
      deadLetters: 1,
    }),
    reminders.digestCard({ kind: 'weekly', period: '2026-W23', overdueExperts: [], openComplaints: { total: 0, oldest: [] }, deadLetters: 0 }),
    // the application deadline has passed and the cycle is still open: 截止申报 is due
    reminders.digestCard({
      kind: 'daily',
      period: '2026-06-02',
      cycle: { year: 2026, statusLabel: '申报中', counts: [['已受理，待评审', 2], ['待单位确认', 1]], scoringDeadline: '2026-06-30', applicationDeadline: '2026-05-31', closeApplicationsDue: true },
      overdueExperts: [],
      openComplaints: { total: 0, oldest: [] },
      deadLetters: 0,
    }),
  ],

  'results.resultsPreviewCard': () => [
    results.resultsPreviewCard(resultsSummary),
    results.resultsPreviewCard({ ...resultsSummary, aggregationId: 4821 }),
    results.resultsPreviewCard({ ...resultsSummary, status: 'published' }),
    // the first title revoked since publishing (第二十二条): marked, and out of the counts
    results.resultsPreviewCard({ ...resultsSummary, status: 'published', lines: resultLines.map((l, i) => (i === 0 ? { ...l, revoked: true } : l)) }),
    // a cycle's own rules (修改设置): trimmed from 3 sheets, outliers beyond 7.5 points
    results.resultsPreviewCard({ ...resultsSummary, dropExtremesFrom: 3, outlierDistance: 7.5 }),
  ],
  'results.resultYearsCard': () => {
    const year = (y: number, cycleId: number, revoked = 0): results.ResultYear => ({ cycleId, year: y, scored: 42 - (2028 - y), awarded: 30 - revoked, recommended: 3, revoked });
    const tenYears = Array.from({ length: 12 }, (_, i) => year(2028 - i, 20 - i, i === 2 ? 1 : 0));
    return [
      results.resultYearsCard({ years: tenYears.slice(0, 3), page: 1 }),
      // twelve years: five a page, 上一页 / 下一页
      results.resultYearsCard({ years: tenYears, page: 1 }),
      results.resultYearsCard({ years: tenYears, page: 3 }),
      results.resultYearsCard({ years: [], page: 1 }),
    ];
  },
  'results.scoresChart': () => [results.scoresChart(resultLines)],
  'results.resultsPublishedCard': () => [
    results.resultsPublishedCard({ ...resultsSummary, status: 'published', fileName: '2026年度评审结果.xlsx' }),
    // certificates whose font lacks a character of a name: they print it as a box, to be written in by hand
    results.resultsPublishedCard({
      ...resultsSummary,
      status: 'published',
      fileName: '2026年度评审结果.xlsx',
      boxed: [
        { number: 'GDSZ-ZS-2026-0001', teamName: '𠮷野家路桥养护班', characters: '𠮷' },
        { number: 'GDSZ-ZS-2026-0004', teamName: '排水管网三班', organization: '广州㐀𠮷市政工程有限公司', characters: '㐀𠮷' },
      ],
    }),
    // leaders and contacts imported but not yet linked to Feishu: nothing reached them, named with what to do
    results.resultsPublishedCard({
      ...resultsSummary,
      status: 'published',
      fileName: '2026年度评审结果.xlsx',
      unlinked: {
        people: [
          { name: '王五', reach: '13900000001', teams: [{ team: '养护一班', role: 'leader' }] },
          { name: null, reach: 'hr@gzsz1.com', teams: [{ team: '排水管网三班', role: 'contact' }, { team: '路灯维修班', role: 'contact' }] },
        ],
        lateResultDays: 90,
      },
    }),
  ],
  'results.unreviewedNoticeCard': () => [
    results.unreviewedNoticeCard({ year: 2026, code: team.code, team: team.name, reason: 'unconfirmed', audience: 'leader' }),
    results.unreviewedNoticeCard({ year: 2026, code: team.code, team: team.name, reason: 'returned', audience: 'contact' }),
  ],
  'results.teamResultCard': () => [
    results.teamResultCard({
      year: 2026,
      code: team.code,
      team: team.name,
      title: appForm.title,
      finalScore: 92.5,
      rank: 1,
      of: 12,
      awarded: true,
      recommended: true,
      awardThreshold: 85,
      areas: [{ code: '1', name: '班组基础建设', score: 18.5, max: 20 }],
      audience: 'leader',
      certificate: 'GDSZ-ZS-2026-0001',
    }),
    results.teamResultCard({
      year: 2026,
      code: team.code,
      team: team.name,
      title: appForm.title,
      finalScore: 71,
      rank: 9,
      of: 12,
      awarded: false,
      recommended: false,
      awardThreshold: 85,
      areas: [],
      audience: 'contact',
    }),
  ],

  'review.scoringTaskCard': () => [
    review.scoringTaskCard({
      assignmentId: 11,
      year: 2026,
      application: taskApplication,
      form: scoreSheetForm(sampleSheet),
      sheetFingerprint: sheetFingerprint(sampleSheet),
      values: { i1_1: '4.5' },
      comment: '整体较好',
      error: '1.2 须为 0–5 的整分或半分',
      scoringDeadline: '2026年6月30日',
      clickableUntil: '2026年6月15日',
      reopened: true,
    }),
    // answered in place of an earlier message: the day it was sent is not known
    review.scoringTaskCard({
      assignmentId: 12,
      year: 2026,
      application: taskApplication,
      form: scoreSheetForm(sampleSheet),
      sheetFingerprint: sheetFingerprint(sampleSheet),
      scoringDeadline: '2026年6月30日',
      clickableUntil: true,
    }),
  ],
  'review.scoredCard': () => [
    review.scoredCard({
      assignmentId: 11,
      year: 2026,
      application: taskApplication,
      total: 18.5,
      max: 20,
      areas: [{ code: '1', name: '班组基础建设', score: 8.5, max: 10 }],
      display: scoreSheetDisplay(sampleSheet, { '1.1': 4.5, '1.2': 4, '2.1': 10 }, '整体较好'),
      submittedAt: '2026年6月2日 10:31',
      progress: { done: 3, total: 5 },
    }),
  ],
  'review.taskListCard': () => [
    review.taskListCard({
      year: 2026,
      done: 1,
      total: 3,
      recused: 1,
      tasks: [
        { assignmentId: 11, code: team.code, team: team.name, title: appForm.title, status: 'submitted', total: 88 },
        { assignmentId: 12, code: 'GDSZ-2026-0002', team: '桥梁检测二组', title: '桥梁快速检测', status: 'assigned', total: null },
        // 回避 (第十七条): pending, but not the expert's to score
        { assignmentId: 13, code: 'GDSZ-2026-0003', team: '排水管网三组', title: '管网快速检测', status: 'assigned', total: null, recused: true },
      ],
      page: 2,
      pages: 3,
      scoringDeadline: '2026年6月30日',
      overdueDays: 3,
    }),
    review.taskListCard({ done: 0, total: 0, tasks: [], page: 1, pages: 1 }),
    review.taskListCard({ year: 2026, done: 0, total: 0, tasks: [], page: 1, pages: 1 }),
    // every task gone, by what became of each; and an expert 停用 in 专家库
    review.taskListCard({ year: 2026, done: 0, total: 0, tasks: [], page: 1, pages: 1, movedAway: 4, moved: { declined: 1, declared: 1, recused: 1, replaced: 1 } }),
    review.taskListCard({ year: 2026, done: 0, total: 0, tasks: [], page: 1, pages: 1, inactive: true }),
  ],
  'review.taskApplicationCard': () => [review.taskApplicationCard({ assignmentId: 12, year: 2026, application: taskApplication })],
  'review.checkApplicationCard': () => [
    review.checkApplicationCard({ year: 2026, application: taskApplication, status: '待协会形式审查', checking: true }),
    review.checkApplicationCard({ year: 2026, application: taskApplication, status: '已受理，待评审', checking: false }),
  ],
  'review.declineFormCard': () => [
    review.declineFormCard({ assignmentId: 12, application: taskApplication, descriptor: declineForm, values: { kind: 'conflict', reason: '曾在该单位任职' }, error: '请选择原因' }),
    review.declineFormCard({ assignmentId: 12, application: taskApplication, descriptor: declineForm, sameOrganization: { name: '广州市市政工程维修有限公司', tasks: 3 } }),
  ],
  'review.declinedCard': () => [
    review.declinedCard({ application: taskApplication, reason: '时间无法安排', arranged: true }),
    // nobody free to take the place: the administrators were told
    review.declinedCard({ application: taskApplication, reason: '时间无法安排', arranged: false }),
    review.declinedCard({ application: taskApplication, reason: '时间无法安排', arranged: false, partly: true }),
    // stepped aside by the bot (回避): why, with another expert arranged and with nobody yet
    review.declinedCard({ application: taskApplication, reason: '存在利益冲突：已成为该班组的班组成员，须回避', recused: '是该班组的成员', arranged: true }),
    review.declinedCard({ application: taskApplication, reason: '存在利益冲突：所在单位已改为“广州市市政工程维修有限公司”，与该班组同属一个单位，须回避', recused: '与该班组同属一个单位', arranged: false }),
    // stepped aside with nobody free (the administrators were told), and from a panel that needed nobody
    review.declinedCard({ application: taskApplication, reason: '存在利益冲突：已成为该班组的班组成员，须回避', recused: '是该班组的成员', arranged: false, nobody: true }),
    review.declinedCard({ application: taskApplication, reason: '存在利益冲突：已成为该班组的班组成员，须回避', recused: '是该班组的成员', arranged: false, unneeded: true }),
    // a panel that needed nobody when the expert left it, short since: said of that time (你谢绝时 / 你回避时)
    review.declinedCard({ application: taskApplication, reason: '时间无法安排', arranged: false, unneededThen: true }),
    review.declinedCard({ application: taskApplication, reason: '存在利益冲突：已成为该班组的班组成员，须回避', recused: '是该班组的成员', arranged: false, unneededThen: true }),
  ],
  'review.reassignedCard': () => [review.reassignedCard({ application: taskApplication })],
  'review.scoringEndedCard': () => [review.scoringEndedCard({ application: taskApplication, year: 2026 })],
  'review.conflictAfterScoringCard': () => [
    review.conflictAfterScoringCard({ expertOpenId: 'ou_expert_chen', label: `${team.code} ${team.name}`, reason: '评分后得知班组长是亲属', scored: [{ applicationId: 7, year: 2026, code: team.code, team: team.name, total: 88.5 }] }),
    review.conflictAfterScoringCard({
      expertOpenId: 'ou_expert_chen',
      label: '广州市市政工程有限公司',
      reason: '曾在该单位任职',
      scored: Array.from({ length: 7 }, (_, i) => ({ applicationId: 10 + i, year: 2026, code: `GDSZ-2026-00${10 + i}`, team: `养护${i + 1}班`, total: 80 + i })),
    }),
    // 回避: the expert became the team's member after scoring its application
    review.conflictAfterScoringCard({ expertOpenId: 'ou_expert_chen', label: `${team.code} ${team.name}`, reason: '班组成员', scored: [{ applicationId: 7, year: 2026, code: team.code, team: team.name, total: 88.5 }], recused: true }),
    // 回避: the expert's organisation was changed to the team's after scoring its application
    review.conflictAfterScoringCard({ expertOpenId: 'ou_expert_chen', label: '广州市市政工程有限公司', reason: '所在单位', scored: [{ applicationId: 7, year: 2026, code: team.code, team: team.name, total: 88.5 }], recused: 'organization' }),
  ],
  'review.assignmentReportCard': () => [
    review.assignmentReportCard({
      cycleId: 2,
      year: 2026,
      perApplication: 3,
      applications: 12,
      added: 34,
      experts: 9,
      loadRange: { min: 3, max: 4 },
      unfilled: [{ code: 'GDSZ-2026-0009', team: '照明维护班', missing: 2, reason: '其余专家均与该班组同单位' }],
      unfilledTotal: 2,
    }),
    review.assignmentReportCard({ cycleId: 2, year: 2026, perApplication: 3, applications: 2, added: 6, experts: 3, loadRange: { min: 2, max: 2 }, unfilled: [], unfilledTotal: 0 }),
  ],
  'review.progressCard': () => [
    review.progressCard({
      cycleId: 2,
      year: 2026,
      status: 'scoring',
      statusLabel: '专家评分',
      applications: counts,
      tasks: { assigned: 3, submitted: 6, declined: 1, replaced: 1 },
      pending: [{ applicationId: 7, code: team.code, team: team.name, submitted: 2, pending: 1 }],
      pendingTotal: 4,
      error: '没有这个班组编号',
    }),
    review.progressCard({ cycleId: 2, year: 2026, status: 'closed', statusLabel: '评分结束', applications: counts, tasks: { assigned: 0, submitted: 9, declined: 0, replaced: 0 }, pending: [], pendingTotal: 0 }),
    review.progressCard({
      cycleId: 2, year: 2026, status: 'scoring', statusLabel: '专家评分', applications: counts, tasks: { assigned: 1, submitted: 8, declined: 0, replaced: 0 }, pending: [], pendingTotal: 0,
      unconfirmed: { total: 2, teams: [{ code: team.code, name: team.name }], untold: { contacts: 1, leaders: 1 } },
    }),
    review.progressCard({ cycleId: 2, year: 2026, status: 'scoring', statusLabel: '专家评分', applications: counts, tasks: { assigned: 1, submitted: 8, declined: 0, replaced: 0 }, pending: [], pendingTotal: 0, reopenedForSheets: true }),
  ],
  'review.panelCard': () => [
    review.panelCard({
      cycleId: 2,
      applicationId: 7,
      year: 2026,
      application: taskApplication,
      statusLabel: '已受理',
      cycleStatus: 'scoring',
      members: [
        { assignmentId: 11, expertOpenId: EXPERT, name: '陈专家', status: 'submitted', total: 88, declineReason: null },
        { assignmentId: 12, expertOpenId: 'ou_local_expert_2', name: null, status: 'assigned', total: null, declineReason: null },
        { assignmentId: 13, expertOpenId: 'ou_local_expert_3', name: '黄专家', status: 'declined', total: null, declineReason: '时间冲突' },
      ],
    }),
    review.panelCard({ cycleId: 2, applicationId: 7, year: 2026, application: taskApplication, statusLabel: '已受理', cycleStatus: 'open', members: [] }),
    // an administrator on the panel, their own sheet still to submit (第十七条)
    review.panelCard({
      cycleId: 2,
      applicationId: 7,
      year: 2026,
      application: taskApplication,
      statusLabel: '评审中',
      cycleStatus: 'scoring',
      members: [
        { assignmentId: 11, expertOpenId: EXPERT, name: '陈专家', status: 'submitted', total: 88, declineReason: null },
        { assignmentId: 12, expertOpenId: 'ou_local_expert_2', name: '管理员兼专家', status: 'assigned', total: null, declineReason: null },
      ],
      scoringMember: 'ou_local_expert_2',
    }),
  ],
  'review.outlierAlertCard': () => [
    review.outlierAlertCard({ year: 2026, applicationId: 7, code: team.code, team: team.name, median: 86, totals: [86, 88, 62], outliers: [{ expertOpenId: EXPERT, total: 62, distance: 24 }], distance: 15 }),
  ],
  'review.reopenedSheetsBackCard': () => [review.reopenedSheetsBackCard({ year: 2026, cycleId: 2, code: team.code, team: team.name })],
  'review.replacementFailedCard': () => [
    review.replacementFailedCard({ year: 2026, cycleId: 2, applicationId: 7, code: team.code, team: team.name, cause: '陈专家谢绝了任务', reason: '专家库中其余专家均已达评审上限' }),
    review.replacementFailedCard({ year: 2026, cycleId: 2, applicationId: 7, code: team.code, team: team.name, cause: '陈专家谢绝了任务', reason: '需要 3 位，缺 1 位。只有 1 位专家可用：其余 4 位已达评审上限。', placed: 1 }),
  ],

  'teams.registrationFormCard': () => [
    teams.registrationFormCard({ descriptor: registrationForm, leaderOpenId: LEADER, candidates: [LEADER, CONTACT] }),
    // a leader registering again: the teams they lead named above the form
    teams.registrationFormCard({ descriptor: registrationForm, leaderOpenId: LEADER, candidates: [LEADER, CONTACT], led: [{ name: '市政养护一班 *东区*', code: 'GDSZ-2026-0001' }, { name: '道路养护二班', code: 'GDSZ-2026-0002' }] }),
    teams.registrationFormCard({ descriptor: registrationForm, leaderOpenId: LEADER, candidates: [LEADER], values: { teamName: '道路养护一班', teamType: 'project', contact: CONTACT, memberCount: '12' }, error: { field: 'phone', message: '请填写联系电话' } }),
  ],
  'teams.registeredCard': () => [teams.registeredCard(team, '2026-03-01'), teams.registeredCard(team, '2026-03-01', { before: true })],
  'teams.contactReplacedTeamsCard': () => [
    teams.contactReplacedTeamsCard([{ ...team, waiting: 0 }, { name: '市政养护二班', code: 'GDSZ-2025-0002', waiting: 2 }], { by: 'ou_admin', byLeader: false, on: '2026年3月10日' }),
    teams.contactReplacedTeamsCard(Array.from({ length: 25 }, (_, k) => ({ name: `养护${k + 1}班`, code: `GDSZ-2025-${String(k + 1).padStart(4, '0')}`, waiting: k % 3 })), { by: 'system:import', byLeader: false, on: '2026年3月10日' }),
  ],
  'teams.contactReplacedCard': () => [
    teams.contactReplacedCard(team, { by: team.leaderOpenId, byLeader: true, on: '2026年3月10日', waiting: 0 }),
    teams.contactReplacedCard(team, { by: 'ou_admin', byLeader: false, on: '2026年3月10日', waiting: 2 }),
    teams.contactReplacedCard(team, { by: 'system:import', byLeader: false, on: '2026年3月10日', waiting: 1 }),
  ],
  'teams.contactNamedCard': () => [
    teams.contactNamedCard(team),
    // named by 修改资料: with nothing waiting, and with applications waiting that were sent at the same time
    teams.contactNamedCard(team, { waiting: 0 }),
    teams.contactNamedCard(team, { waiting: 2 }),
    teams.contactNamedCard(team, { waiting: 1, byAdmin: ADMIN }),
  ],
  // 更换班组长: the members to choose from (named, unnamed, none), the form again with what is wrong
  'teams.leaderFormCard': () => [
    teams.leaderFormCard(team, [{ openId: CONTACT, name: '李四' }, { openId: EXPERT, name: null }]),
    teams.leaderFormCard(team, [{ openId: CONTACT, name: '李四' }], { values: { leader: CONTACT }, error: { field: 'leader', message: '所选人员不是本班组的成员' } }),
    teams.leaderFormCard(team, Array.from({ length: 120 }, (_, i) => ({ openId: `ou_local_member_${i}`, name: '成'.repeat(50) }))),
    teams.leaderFormCard(team, []),
    // a leader and a contact an import named who never wrote to the bot: the card says they will not be told
    teams.leaderFormCard({ ...team, leaderOpenId: 'pending:m:13900000001', contactOpenId: 'pending:e:li@example.com' }, [{ openId: CONTACT, name: '李四' }]),
  ],
  'teams.leaderNamedCard': () => [
    teams.leaderNamedCard({ team, from: LEADER, to: CONTACT, by: LEADER }),
    teams.leaderNamedCard({ team, from: LEADER, to: CONTACT, by: ADMIN, running: { year: 2026, status: 'draft', statusLabel: '草稿' } }),
    teams.leaderNamedCard({ team, from: LEADER, to: CONTACT, by: LEADER, running: { year: 2026, status: 'submitted', statusLabel: '待单位确认' } }),
  ],
  'teams.leaderChangedCard': () => [
    teams.leaderChangedCard({ team, from: LEADER, to: CONTACT, by: LEADER }, 'former'),
    teams.leaderChangedCard({ team, from: LEADER, to: CONTACT, by: ADMIN }, 'former'),
    teams.leaderChangedCard({ team, from: LEADER, to: CONTACT, by: ADMIN }, 'contact'),
    teams.leaderChangedCard({ team, from: LEADER, to: CONTACT, by: ADMIN }, 'admin'),
    // a former leader an import named who never wrote to the bot: by the mobile they were imported by
    teams.leaderChangedCard({ team, from: 'pending:m:13900000001', to: CONTACT, by: ADMIN, contactUnlinked: true }, 'admin'),
  ],
  'teams.statusCard': () => [
    teams.statusCard([]),
    // in no team: an expert's sheets, an administrator's 评审进度, both
    teams.statusCard([], 1, undefined, { expert: { done: 1, total: 19 } }),
    teams.statusCard([], 1, undefined, { admin: true }),
    teams.statusCard([], 1, undefined, { expert: { done: 2, total: 3, recused: 1 }, admin: true }),
    teams.statusCard([
      {
        team,
        myRole: 'leader',
        eligibleFrom: '2026-03-01',
        daysUntilEligible: 0,
        applications: [{ id: 7, year: 2026, statusLabel: '已提交', title: appForm.title, finalScore: 92.5, decision: 'awarded' }],
        honours: [{ year: 2026, revoked: false, recommended: true }],
        apply: { may: true },
      },
      { team: { ...team, id: 2, name: '另一班组' }, myRole: 'contact', eligibleFrom: '2027-01-01', daysUntilEligible: 200, applications: [], honours: [] },
    ]),
    // submitted, never confirmed by the contact, and the year's experts have finished: no button to confirm
    teams.statusCard([
      {
        team,
        myRole: 'contact',
        eligibleFrom: '2026-03-01',
        daysUntilEligible: 0,
        applications: [{ id: 8, year: 2027, statusLabel: '单位未确认，未参加本年度评审', title: appForm.title, finalScore: null, decision: null }],
        current: { id: 8, status: 'submitted', decision: null, lapsed: true },
        honours: [],
      },
    ]),
    // returned by the contact: who, when and the opinion cut short beside 下一步
    teams.statusCard([
      {
        team,
        myRole: 'leader',
        eligibleFrom: '2026-03-01',
        daysUntilEligible: 0,
        applications: [{ id: 9, year: 2027, statusLabel: '退回修改', title: appForm.title, finalScore: null, decision: null }],
        current: { id: 9, status: 'returned', decision: null, returned: { by: 'organization', name: '王联系人', at: '2027年3月5日', opinion: '材料不全，'.repeat(40) } },
        honours: [],
        apply: { may: true },
        yearTakesApplications: true,
        openYear: { year: 2027, deadline: '2027年5月31日' },
      },
    ]),
    // a contact of many teams: the running year summed up above the first page
    teams.statusCard(
      Array.from({ length: 12 }, (_, i) => ({ team: { ...team, id: 10 + i, name: `养护${i + 1}班` }, myRole: 'contact' as const, eligibleFrom: '2026-01-01', daysUntilEligible: 0, applications: [], honours: [] })),
      1,
      { year: 2027, counts: [['待单位确认', 3], ['已受理，待评审', 2], ['未申报', 7]], awaitingMe: 3 },
    ),
  ],
  'import.importPreviewCard': () => {
    const preview: importing.ImportCardData = {
      importId: 3,
      fileName: '历年班组.xlsx',
      status: 'planned',
      add: [
        { sheet: 'teams', row: 2, label: 'GDSZ-2024-0001 道路养护一班（广州市市政工程维修有限公司）' },
        { sheet: 'experts', row: 2, label: '陈专家' },
      ],
      update: [{ sheet: 'teams', row: 3, label: 'GDSZ-2024-0002 桥梁检测班', changes: ['成员人数'] }],
      unchanged: { organizations: 1, teams: 0, experts: 0, honours: 0 },
      refused: Array.from({ length: 20 }, (_, i) => ({ sheet: 'teams' as const, row: 10 + i, label: `班组${i}`, reason: '注册日期“2024-02-30”无法识别，请写成 2024-03-15' })),
      pending: [{ key: '13800000009', name: '孙班长' }],
    };
    // what reading passed over, as the preview notes it: every note a sheet can have, the longest sheet names Excel allows
    const notes = [
      '“班组 (2)”“班组名单（2025年底前）旧版备份”表的表头与“班组”表相同，但导入只读取名为“班组”的表，“班组 (2)”“班组名单（2025年底前）旧版备份”中的行未读取：如要导入，请把这些行移到“班组”表中。',
      '“专家 (2)”表的表头与“专家”表相同，但导入只读取名为“专家”的表，“专家 (2)”中的行未读取：如要导入，请把这些行移到“专家”表中。',
      '读取的“班组”表在 Excel 中是隐藏的（右键任一工作表标签 →“取消隐藏”可查看）：请确认它就是要导入的表。',
      '“班组”表 120 行（第 3–7、12、15–19、30、41、57 行等）没有班组名称、班组编号和人员，只有其他列的值（如向下拖动填充的），按空行跳过。',
    ];
    return [
      importing.importPreviewCard(preview),
      importing.importPreviewCard(preview, 1),
      importing.importPreviewCard({ ...preview, status: 'applied', refused: [] }),
      importing.importPreviewCard({ ...preview, notes }),
      // 确认导入 after the data changed: the preview planned again, to check and confirm
      importing.importPreviewCard({ ...preview, changedSincePreview: true }),
      // the 单位联系人 of teams here changed (第十五条): the longest labels and names, more than are listed
      ...(['planned', 'applied'] as const).map((status) =>
        importing.importPreviewCard({
          ...preview,
          status,
          contactChanges: Array.from({ length: 12 }, (_, i) => ({
            row: 3 + i,
            label: `GDSZ-2024-${String(i + 2).padStart(4, '0')} ${'桥'.repeat(60)}（广州市市政工程维修有限公司）`,
            to: `${'李'.repeat(50)}（li.lianxiren${i}@example.com）`,
          })),
        }),
      ),
      // the 班组长 of teams here changed, beside their contacts: the longest labels and names, more than are listed, every
      // leader not yet linked to Feishu (the card names those not told)
      ...(['planned', 'applied'] as const).map((status) =>
        importing.importPreviewCard({
          ...preview,
          status,
          contactChanges: Array.from({ length: 12 }, (_, i) => ({ row: 3 + i, label: `GDSZ-2024-${String(i + 2).padStart(4, '0')} ${'桥'.repeat(60)}`, to: `${'李'.repeat(50)}（li.lianxiren${i}@example.com）` })),
          leaderChanges: Array.from({ length: 12 }, (_, i) => ({
            row: 3 + i,
            label: `GDSZ-2024-${String(i + 2).padStart(4, '0')} ${'桥'.repeat(60)}（广州市市政工程维修有限公司）`,
            from: '张'.repeat(50),
            to: `${'王'.repeat(50)}（wang.banzhang${i}@example.com）`,
            fromUnlinked: true,
            toUnlinked: true,
          })),
        }),
      ),
      // a register exported and sent back after teams changed their data in the bot: more rows than are listed, each
      // setting back all eight of a team's fields at their longest, with what markdown would read as its own
      importing.importPreviewCard({
        ...preview,
        sinceExport: {
          exportedAt: '2026年12月1日 09:30',
          rows: Array.from({ length: 9 }, (_, i) => ({
            sheet: 'teams' as const,
            row: 2 + i,
            label: `GDSZ-2024-${String(i + 1).padStart(4, '0')} ${'桥'.repeat(60)}`,
            fields: ['班组名称', '所属单位', '班组类型', '班组长', '单位联系人', '注册日期', '成员人数', '主管部门'].map((field) => ({ field, now: `**${'新'.repeat(98)}**`, file: `[${'旧'.repeat(90)}](https://example.com)` })),
          })),
        },
      }),
    ];
  },
  'import.importedContactCard': () => [
    importing.importedContactCard({ organization: team.organization, teams: [{ name: team.name, code: 'GDSZ-2024-0001' }] }),
    importing.importedContactCard({
      organization: '广'.repeat(100),
      teams: Array.from({ length: 25 }, (_, i) => ({ name: `${'桥'.repeat(30)}${i}`, code: `GDSZ-2024-${String(i + 1).padStart(4, '0')}` })),
    }),
  ],
  'import.importedLeaderCard': () => [
    importing.importedLeaderCard({ teams: [{ name: team.name, code: 'GDSZ-2024-0001', organization: team.organization }] }),
    importing.importedLeaderCard({
      teams: Array.from({ length: 25 }, (_, i) => ({ name: `${'桥'.repeat(50)}${i}`, code: `GDSZ-2024-${String(i + 1).padStart(4, '0')}`, organization: '广'.repeat(100) })),
    }),
  ],
  'import.formerLeaderCard': () => [importing.formerLeaderCard({ name: team.name, code: 'GDSZ-2024-0001' }, LEADER), importing.formerLeaderCard({ name: '桥'.repeat(50), code: 'GDSZ-2024-0001' }, undefined), importing.formerLeaderCard({ name: team.name, code: 'GDSZ-2024-0001' }, LEADER, false)],
  'import.teamsImportedCard': () => [
    importing.teamsImportedCard([{ code: 'GDSZ-2024-0001', name: team.name, organization: team.organization, registeredAt: '2024-02-20', eligibleFrom: '2025-02-20', eligibleNow: true, role: 'leader' }]),
    importing.teamsImportedCard([
      { code: 'GDSZ-2025-0003', name: '桥梁检测班', organization: team.organization, registeredAt: '2025-06-01', eligibleFrom: '2026-06-01', eligibleNow: false, role: 'contact' },
      { code: 'GDSZ-2024-0001', name: team.name, organization: team.organization, registeredAt: '2024-02-20', eligibleFrom: '2025-02-20', eligibleNow: true, role: 'contact' },
    ]),
    // leading one team and confirming for another: each line says which
    importing.teamsImportedCard([
      { code: 'GDSZ-2024-0001', name: team.name, organization: team.organization, registeredAt: '2024-02-20', eligibleFrom: '2025-02-20', eligibleNow: true, role: 'leader' },
      { code: 'GDSZ-2025-0003', name: '桥梁检测班', organization: team.organization, registeredAt: '2025-06-01', eligibleFrom: '2026-06-01', eligibleNow: false, role: 'contact' },
    ]),
    // the file named this leader as the team's contact too: linked as the leader only, the contact to be chosen anew
    importing.teamsImportedCard([{ code: 'GDSZ-2024-0001', name: team.name, organization: team.organization, registeredAt: '2024-02-20', eligibleFrom: '2025-02-20', eligibleNow: true, role: 'leader', needsContact: true }]),
  ],
  'import.importedMemberIsContactCard': () => [
    importing.importedMemberIsContactCard({ name: team.name, code: 'GDSZ-2024-0001' }, CONTACT),
    importing.importedMemberIsContactCard({ name: '桥'.repeat(50), code: 'GDSZ-2024-0001' }, CONTACT),
  ],
  'import.pendingContactIsMemberCard': () => [
    importing.pendingContactIsMemberCard({ name: team.name, code: 'GDSZ-2024-0001' }, CONTACT),
    importing.pendingContactIsMemberCard({ name: '桥'.repeat(50), code: 'GDSZ-2024-0001' }, CONTACT),
  ],
  'import.importGuideCard': () => [importing.importGuideCard()],
  'teams.profileFormCard': () => [teams.profileFormCard(team, { descriptor: profileForm, candidates: [CONTACT, EXPERT] }), teams.profileFormCard(team, { descriptor: profileForm, candidates: [], values: { phone: 'abc' }, error: { field: 'phone', message: '联系电话须为电话号码（至少 7 位数字，可含 - + 空格、括号和“转”分机，两个号码用顿号隔开），如 020-××××××××' } })],
  'teams.membersCard': () => [
    teams.membersCard(team, [
      { openId: LEADER, role: 'leader', name: '张班长' },
      { openId: 'ou_local_member', role: 'member', name: null },
    ], { candidates: [CONTACT, EXPERT] }),
    teams.membersCard(team, [{ openId: LEADER, role: 'leader', name: '张班长' }], { candidates: [], error: { message: '该成员已在班组中' }, values: { membersLookup: '13800000009' } }),
  ],
  'teams.teamPickerCard': () => [teams.teamPickerCard({ title: '选择班组', prompt: '你是多个班组的班组长，请选择：', teams: [team, { id: 2, name: '另一班组', code: 'GDSZ-2026-0002' }], action: 'application.open', pageValue: { action: 'application.start' } })],
  'teams.teamHistoryCard': () => [
    teams.teamHistoryCard({
      team: { name: team.name, code: team.code },
      page: 1,
      more: true,
      entries: [
        { when: '2027年3月10日 09:00', who: '王管理员', what: '修改资料', detail: kit.md`联系电话：020-1234567 → 020-7654321；成员人数：10 → 12` },
        { when: '2027年3月9日 16:20', who: '张班长', what: '更换班组长', detail: kit.md`张班长 → 李四` },
        { when: '2027年3月1日 08:00', who: '张班长', what: '提交申报' },
      ],
    }),
    teams.teamHistoryCard({ team: { name: team.name, code: team.code }, page: 1, more: false, entries: [] }),
  ],
};

