/**
 * Questions a team leader or an organisation's secretary asks about the measures, each with the article
 * that answers it. Written from the text of the measures before the ranking was tuned; a question is never
 * reworded to make the ranking pass.
 */
export const QUESTIONS: readonly (readonly [question: string, article: number])[] = [
  ['什么样的班组算质量信得过班组', 2],
  ['我们班组注册多久以后才能参评？', 16],
  ['评审是一年搞几次？', 19],
  ['申报要满足哪些条件', 13],
  ['班组去年出过安全事故还能报吗', 13],
  ['申报表要谁签推荐意见', 15],
  ['评审是按照什么标准打分的', 18],
  ['评出来以后能推荐到国家那边吗', 20],
  ['被客户投诉了会不会被取消称号', 22],
  ['这个活动由哪个单位牵头组织', 3],
  ['搞这个活动要遵循哪些原则', 6],
  ['班组可以自己报名吗，还是要单位指派', 12],
  ['班组成员培训合格率要达到多少', 7],
  ['QC小组活动跟信得过班组有什么关系', 10],
  ['我们单位要不要专门指定部门负责这个事', 9],
  ['协会会组织培训吗', 11],
  ['这个办法是依据什么制定的', 1],
  ['创建之前要先定好目标和计划吗', 4],
  ['How often is the review held?', 19],
  ['What counts as a quality trustworthy team?', 2],
  ['How long after registration can a team take part in the selection?', 16],
  ['What are the requirements to apply?', 13],
  ['Who recommends our application to the association?', 15],
  ['Can a team lose its title after customer complaints?', 22],
  ['What standard are teams scored against?', 18],
  ['Can an awarded team be recommended to the national associations?', 20],
  ['Which organisation runs the programme?', 3],
  ['What principles should the team activities follow?', 6],
  ['Is the evaluation fair and open?', 17],
  ['What is the purpose of the activities?', 5],
];

/**
 * More questions, written after the ranking was tuned on QUESTIONS and never tuned on: the hit rate on
 * these is the honest estimate for questions nobody here has seen.
 */
export const HELD_OUT_QUESTIONS: readonly (readonly [question: string, article: number])[] = [
  ['评上以后有什么荣誉', 20],
  ['班组成立不到一年能申报吗', 16],
  ['申报材料要交给谁', 15],
  ['顾客老是投诉会怎样', 22],
  ['本办法里的质量信得过班组指的是什么', 2],
  ['Who can apply to become a quality trustworthy team?', 12],
  ['Does our team need a clean safety record to apply?', 13],
  ['Is there a score sheet for the review?', 18],
  ['Do we need our own activity plan?', 4],
  ['Should our company reward teams that take part?', 9],
];

/**
 * Questions users asked in a review of the chat (in Chinese and English, some in traditional characters), each with
 * the article that answers it. Common ones: how long a title lasts (第二十条, a year's title), conflicts of interest
 * (第十七条), when and where the results are published (第二十条).
 */
export const USER_QUESTIONS: readonly (readonly [question: string, article: number])[] = [
  ['称号有效期几年', 20],
  ['称号有效期多久', 20],
  ['去年评上的称号今年还有效吗', 20],
  ['how long is the title valid', 20],
  ['does the title expire', 20],
  ['is the title permanent', 20],
  ['how many years is the title valid for', 20],
  ['利益冲突要回避吗', 17],
  ['conflict of interest', 17],
  ['专家会不会是我们单位的', 17],
  ['我跟申报的班组是同一个单位要回避吗', 17],
  ['how do experts declare a conflict of interest', 17],
  ['什么时候出结果', 20],
  ['结果什么时候出', 20],
  ['怎么公布结果', 20],
  ['结果在哪看', 20],
  ['when are results published', 20],
  ['where can I see the results', 20],
  ['怎么开启年度评审', 19],
  ['成果名称怎么填', 15],
  ['where is the complaint form', 21],
  ['没有培训记录可以申报吗', 7],
  ['申诉', 21],
  ['appeal', 21],
  ['请问第十六条是什么意思', 16],
  ['申报截止是哪天', 15],
  ['what score do I need', 18],
  ['what is the passing score', 18],
  ['满分多少', 18],
  ['怎麼註冊', 16],
  ['申報條件是什麼', 13],
  ['稱號會被撤銷嗎', 22],
  // a later review: the kinds of team (第二条: 行政班组、团队、部门), who awards the title (第二十条, not the revocation of
  // 第二十二条), the documents (第十五条), the training rate (第七条's 90%, not 第十一条's expert pool), traditional characters
  ['班组类型有哪些', 2],
  ['部门可以参加吗', 2],
  ['Can a department take part?', 2],
  ['What kinds of teams are there?', 2],
  ['谁颁发称号', 20],
  ['多少分能获得称号', 20],
  ['Who gives the title?', 20],
  ['What documents do I need?', 15],
  ['What training rate is required?', 7],
  ['推薦到哪裡', 20],
  ['誰來評審', 14],
  ['申報門檻是什麼', 13],
  ['被撤销称号后还能申报吗', 22],
];
