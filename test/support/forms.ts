/** Form values as Feishu sends them for the bot's forms: complete and valid unless overridden. */

/** 申报表: every field; the start date carries the zone suffix some clients add to a date picker. */
export const applicationForm = (overrides: Record<string, unknown> = {}) => ({
  title: '提高沥青路面修补一次合格率',
  category: 'maintenance',
  startDate: '2026-04-01 +0800',
  endDate: '2027-03-31',
  goalRate: '100',
  trainingRate: '96',
  examPassRate: '93.5',
  accidents: 'none',
  customer: '业主单位书面确认，满意度 97%',
  qc: '成立 QC 小组 2 个，完成课题 3 项',
  summary: '修补一次合格率由 86% 提升到 97%',
  features: '冷补料快速修补工法可在全省推广',
  materialsUrl: 'https://example.feishu.cn/docx/abc',
  ...overrides,
});

/** 注册表 of a team named after `name`, naming `contact` as the organisation contact. */
export const registrationForm = (name: string, contact: string, overrides: Record<string, unknown> = {}) => ({
  teamName: name,
  organization: '广州市市政工程维修有限公司',
  department: '养护事业部',
  teamType: 'project',
  phone: '020-12345678',
  memberCount: '12',
  functions: '城市道路日常养护与应急抢修',
  goals: '道路完好率 98% 以上',
  plan: '每月开展一次 QC 活动',
  contact,
  ...overrides,
});
