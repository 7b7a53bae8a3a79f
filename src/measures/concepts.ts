/**
 * What the articles are about in the words people ask with, Chinese and English, so a question finds
 * its article by meaning and not only by the characters it shares with the measures' text. Ours, written
 * from the measures; the measures' own wording stays in measures.zh.txt.
 */

/**
 * Per article: the gist in English (the lead line of an English answer), and cues — Chinese phrases
 * matched inside the question, English phrases whose words (prefixes, so `evaluat` covers evaluation)
 * must all occur in it.
 */
export interface ArticleConcepts {
  en: string;
  zh: string[];
  enCues: string[];
}

export const ARTICLE_CONCEPTS: Record<number, ArticleConcepts> = {
  1: {
    en: 'The measures serve the quality-strong province strategy and are based on the China Association for Quality’s Guidelines for Building Quality Trustworthy Teams.',
    zh: ['依据什么', '根据什么', '为什么制定', '制定依据', '制定的', '出台', '背景', '质量强省', '质量强国', '办法的依据', '办法依据', '办法是根据', '办法根据'],
    enCues: ['based on', 'basis', 'why measures', 'background', 'legal basis', 'strategy'],
  },
  2: {
    en: 'A quality trustworthy team is a team, group or department that uses quality management to steadily deliver products and services customers and other stakeholders trust.',
    zh: ['定义', '含义', '概念', '什么是', '是什么意思', '什么样的班组', '算质量信得过', '算信得过', '才算', '叫做', '是指', '类型', '行政班组', '哪些班组', '什么班组', '部门可以', '部门能', '部门参加', '部门申报', '哪些部门', '项目团队', '哪些团队', '什么团队', '团队可以', '团队能'],
    enCues: ['definition', 'define', 'what is quality trustworthy team', 'counts as', 'count as', 'meaning', 'mean by', 'qualifies as', 'what kind team', 'type team', 'types team', 'kind team', 'kinds team', 'project team', 'can department', 'department apply', 'department take part', 'department join', 'department particip', 'department eligib'],
  },
  3: {
    en: 'The Guangdong Municipal Engineering Association organises the programme and runs its day-to-day management and promotion.',
    zh: ['牵头', '主管', '谁组织', '谁来组织', '哪个单位组织', '哪个部门', '谁管', '主办', '日常管理', '谁搞', '谁办', '谁举办', '谁发起'],
    enCues: ['who runs', 'runs programme', 'run programme', 'in charge', 'organiser', 'organizer', 'who organise', 'who organize', 'manages programme', 'day to day'],
  },
  4: {
    en: 'A team that sets out to become trustworthy has clear goals, its own plan, an implementation scheme and measures that fit its organisation.',
    zh: ['目标和计划', '活动计划', '实施方案', '怎么创建', '如何创建', '先定', '定目标', '做计划'],
    enCues: ['plan', 'set goal', 'target', 'how start', 'how create', 'set up'],
  },
  5: {
    en: 'The purpose: the best quality and customers’ trust, by raising the team’s skills and applying quality methods.',
    zh: ['目的', '意义', '为什么要搞', '为什么要开展', '宗旨', '图什么', '有什么用'],
    enCues: ['purpose', 'aim', 'why activit', 'point of', 'goal of'],
  },
  6: {
    en: 'Five principles: the team’s work is aligned with the organisation’s strategy, its competitiveness, site improvement, staff development and product and service quality.',
    zh: ['活动原则', '遵循', '遵守哪些原则', '什么原则', '哪些原则', '衔接'],
    enCues: ['principle', 'principles activit', 'align'],
  },
  7: {
    en: 'Six requirements for the activities: basics, organisation, rules, skills (training and exam pass rates of 90% or more), health, safety and environment, improvement and innovation.',
    zh: ['活动要求', '培训率', '合格率', '通过率', '考试', '培训记录', '没有培训', '没培训', '培训过', '基础建设', '技能', '学习型', '演练', '应急'],
    enCues: ['pass rate', 'training rate', 'training record', 'exam', 'skill', 'drill', 'requirement activit', 'safety environment'],
  },
  8: {
    en: 'Organisations take the programme seriously, lead it, set examples and publicise it.',
    zh: ['领导', '重视', '宣传', '典范', '榜样'],
    enCues: ['leadership', 'awareness', 'publicity', 'promote', 'role model', 'example'],
  },
  9: {
    en: 'Organisations set up a mechanism, rules and rewards, and name the department and people in charge.',
    zh: ['机制', '投入', '考核', '奖励', '指定部门', '专门部门', '专人', '负责部门'],
    enCues: ['mechanism', 'incentive', 'reward', 'bonus', 'budget', 'invest', 'department in charge', 'department responsib', 'resource'],
  },
  10: {
    en: 'QC circle activities are the basis of a quality trustworthy team; organisations combine the two.',
    zh: ['QC', '质量小组', '品管圈'],
    enCues: ['qc', 'quality circle', 'quality control circle'],
  },
  11: {
    en: 'The association trains teams and builds a pool of experts who understand, guide and evaluate.',
    zh: ['培训', '专家', '骨干', '上课', '学习班'],
    enCues: ['training', 'train', 'course', 'expert', 'workshop'],
  },
  12: {
    en: 'Any team of an organisation may apply to the association of its own accord.',
    zh: ['自愿', '自己报名', '自己申请', '主动申请', '谁可以申请', '哪些班组可以', '能不能申请', '指派'],
    enCues: ['voluntar', 'who can apply', 'any team', 'can we apply', 'may apply', 'sign up', 'own accord', 'own initiative', 'who take part', 'who particip', 'who join', 'who eligib'],
  },
  13: {
    en: 'Five basic conditions to apply, among them no quality, safety or environmental accident in the last three years.',
    zh: ['条件', '资格', '门槛', '事故', '近三年', '出过事', '要满足', '够格', '几个人', '多少人', '人数', '满意度', '顾客满意', '客户满意', '完成率'],
    enCues: ['requirement apply', 'requirements apply', 'condition', 'eligib', 'criteri', 'qualif', 'accident', 'incident', 'safety record', 'how many member', 'how many people', 'completion rate', 'satisfaction'],
  },
  14: {
    en: 'The association is in charge of applications, the review and the recommendation of results.',
    zh: ['谁负责评审', '谁负责申报', '谁来评', '谁评', '负责实施'],
    enCues: ['who review', 'who evaluat', 'who judg', 'who responsib', 'who handl'],
  },
  15: {
    en: 'The application form is filled in as required, confirmed by the team’s organisation with its recommendation, and sent to the association.',
    zh: ['申报表', '推荐意见', '单位确认', '确认申报', '盖章', '签字', '签推荐', '怎么申报', '如何申报', '材料', '怎么填', '如何填', '填写', '填表', '成果名称', '截止', '最后一天', '交申报', '文件', '资料', '交什么', '准备什么', '附件', '附上', '附带', '联系人要做', '联系人做', '联系人该做', '联系人需要做', '联系人职责', '联系人负责什么', '我是单位联系人', '作为单位联系人'],
    enCues: ['application form', 'fill form', 'fill in', 'deadline', 'due date', 'closing date', 'recommend application', 'recommends application', 'endorse', 'sign', 'confirm', 'employer', 'how apply', 'submit', 'document', 'material', 'paper', 'attach', 'stamp', 'seal', 'chop', 'recommendation say', 'recommendation write', 'write recommendation', 'recommendation letter', 'organis contact', 'organiz contact', 'unit contact', 'contact person'],
  },
  16: {
    en: 'A team may take part in the selection one year after it registered.',
    zh: ['注册', '多久才能', '多久以后', '等多久', '满一年', '一年后', '刚注册', '新注册'],
    enCues: ['registration', 'register', 'how long', 'wait', 'one year after', 'new team'],
  },
  17: {
    en: 'The review is open, fair and impartial.',
    zh: ['评审原则', '公平', '公正', '公开', '透明', '黑箱', '利益冲突', '回避', '利益关系', '同一个单位', '同一单位', '同单位', '我们单位的', '是我们单位', '专家会不会是', '专家会是', '专家是不是', '本单位的', '要回避', '自己单位', '熟人', '避嫌', '一个公司', '同一家公司', '同一家单位', '我们公司的', '是我们公司', '自己公司', '同事', '亲戚', '朋友', '工作过', '老东家'],
    enCues: ['fair', 'transparen', 'impartial', 'unbiased', 'principle review', 'principle evaluat', 'conflict', 'conflict interest', 'declare conflict', 'recus', 'same organi', 'same company', 'same employer', 'bias', 'know personally', 'friend', 'relative', 'used work', 'worked for', 'former employer', 'former colleague', 'ex colleague', 'colleague'],
  },
  18: {
    en: 'The review follows the China Association for Quality’s group standard, the Guidelines for Building Quality Trustworthy Teams, and its score sheet.',
    zh: ['评审标准', '评分标准', '打分', '评分表', '怎么评', '按什么评', '标准', '多少分', '几分', '分数线', '分数', '得分', '及格', '最低分', '满分', '总分', '分能评上', '分才能', '多高分'],
    enCues: ['standard', 'scored', 'scoring', 'score sheet', 'score', 'marking', 'judged', 'how evaluat', 'how review', 'points', 'how many point', 'pass mark', 'passing', 'minimum score', 'cut off', 'cutoff'],
  },
  19: {
    en: 'The review and exchange of results is held once a year.',
    zh: ['每年一次', '一年一次', '多久一次', '多久评一次', '多长时间一次', '频率', '每年都', '什么时候评', '开启', '年度评审', '开始评审', '今年评审', '今年的评审', '什么时候开始', '评审会', '交流会', '什么时候开', '什么时候举行', '何时举行', '评审时间', '何时评审'],
    enCues: ['how often', 'often', 'frequen', 'once year', 'every year', 'annual', 'yearly', 'when review', 'open review', 'start review', 'open year'],
  },
  20: {
    en: 'Teams that pass receive the year’s title from the association; the best are recommended to the China Municipal Engineering Association or the China Association of Construction Enterprise Management.',
    zh: ['荣誉', '授予', '表彰', '推荐到', '全国', '国家', '国字号', '中国市政工程协会', '中国施工企业管理协会', '证书', '评上了', '获得称号', '颁发', '颁给', '谁授予', '授予称号', '拿到称号', '得到称号', '获奖', '得奖', '评上', '年度', '有效期', '有效', '称号有效', '称号多久', '称号几年', '还有效', '多久有效', '过期', '失效', '永久', '终身', '结果', '出结果', '公布', '揭晓', '名单', '获奖名单'],
    enCues: ['award', 'honour', 'honor', 'who gives title', 'who grants', 'get title', 'national', 'china', 'recommended to', 'what do we get', 'certificate', 'winner', 'valid', 'expire', 'expiry', 'permanent', 'how long title', 'how many year title', 'result', 'publish', 'announce', 'who won'],
  },
  21: {
    en: 'The programme encourages and supports teams and is open to supervision by the public.',
    zh: ['监督', '社会监督', '导向', '品牌', '扶持', '鼓励', '怎么投诉', '如何投诉', '投诉渠道', '在哪投诉', '举报', '投诉怎么处理', '投诉表', '申诉', '复议', '复审', '不服', '异议', '有意见'],
    enCues: ['supervis', 'oversight', 'public', 'monitor', 'brand', 'encourag', 'support', 'how do i complain', 'how to complain', 'where complain', 'report a team', 'complain form', 'complaint form', 'appeal', 'object to', 'disagree'],
  },
  22: {
    en: 'A title may be revoked when customers complain about quality again and again.',
    zh: ['投诉', '撤销', '取消称号', '撤掉', '摘牌', '收回', '不满意', '被取消'],
    enCues: ['complain', 'revok', 'revoc', 'lose title', 'lose', 'withdraw', 'strip', 'cancel', 'taken away'],
  },
};

/** Colloquial Chinese → the measures' own words, added to the question before it is ranked. */
export const ZH_SYNONYMS: readonly (readonly [colloquial: string, measures: string])[] = [
  ['参评', '评选 评审'],
  ['参选', '评选'],
  ['评比', '评选 评审'],
  ['报名', '申报 申请'],
  ['能报', '申报'],
  ['可以报', '申报'],
  ['取消', '撤销'],
  ['摘牌', '撤销 称号'],
  ['客户', '顾客'],
  ['业主', '顾客'],
  ['用户', '顾客'],
  ['打分', '评分表 评审'],
  ['全国', '中国'],
  ['国家', '中国'],
  ['牵头', '组织推进 实施组织'],
  // a 项目部 is a team or department of its organisation (第二条: 行政班组、团队、部门)
  ['项目部', '团队 部门'],
  ['公司', '组织 单位'],
  ['企业', '组织 单位'],
  ['多久一次', '每年一次'],
  ['出事', '事故'],
  ['门槛', '基本条件'],
  ['人数', '基本条件 班组成员'],
  ['几个人', '基本条件 班组成员'],
  ['附件', '申报材料 申报表'],
  ['资格', '基本条件'],
  ['合格率', '培训率 考试合格率'],
  ['颁发', '授予 荣誉 评定通过'],
  ['颁给', '授予 荣誉 评定通过'],
  ['评上', '评定通过 荣誉'],
  ['获得称号', '评定通过 荣誉'],
  ['拿到称号', '评定通过 荣誉'],
  ['得到称号', '评定通过 荣誉'],
];

/**
 * Asking when a team may apply, by its shape, not by one word: when (我什么时候可以申报, 还差几天可以申报, when can we
 * apply, how soon), or how long the team must have existed (班组要成立几年才能申报, 成立不满一年的班组能申报吗, 刚成立的班组
 * 能参评吗, how many years must a team exist before it can apply, how old must a team be, our team was set up last month,
 * can we apply?, can a new team apply), or how long it has existed (班组成立半年能报不, 成立三个月可以申报吗). cards/measures.ts's
 * WHEN_TO_APPLY asks the same (cards/ import no code of src/).
 */
export const ASKED_WHEN_TO_APPLY =
  /(?:什么时候|啥时候|多久|多长时间|几天|何时)(?:(?!截止|结束|开始)[^，,。？?]){0,6}(?:申报|参评|评选|报名)|(?:成立|存在|组建|建立|注册)了?(?:几|多少|多久|多长时间|不满|不到|未满|没满|满|不够)[^。？?]{0,8}(?:申报|参评|评选|报名)|(?:成立|存在|组建|建立|注册)(?:了|才)?[0-9一二两三四五六七八九十半]+个?(?:月|年|周|天)[^。？?]{0,8}(?:申报|参评|评选|报名|能报|可以报)|(?:刚|新|才|上个?月|这个?月|今年|最近|去年)刚?(?:成立|组建|建立|注册)[^。？?]{0,10}(?:申报|参评|评选|报名)|(?:申报|参评|评选|报名)[^。？?]{0,8}(?:成立|存在|组建|注册)(?:了|要|得|需要)?(?:几|多少|多久|多长时间|满|不满|一年)|\bwhen (?:can|may|could|do|are|will)\b.{0,20}\b(?:apply|take part)|\bhow soon\b|\bnew team.{0,10}\b(?:apply|take part)|(?:\bexist(?:s|ed|ing|ence)?|\b(?:was|were|been|is|are|got|just|recently|newly|only)\s+(?:set up|founded|formed|established|created|started|registered)|\bhow old|\b(?:years?|months?|weeks?|days?) old|\bhow many (?:years|months))\b.{0,60}\b(?:apply|take part)\b|\b(?:apply|take part)\b.{0,60}(?:\bexist(?:s|ed|ing|ence)?|\b(?:was|were|been|is|are|got|just|recently|newly|only)\s+(?:set up|founded|formed|established|created|started|registered)|\bhow old|\b(?:years?|months?|weeks?|days?) old|\bhow many (?:years|months))\b/i;

/**
 * Asking who may complain (谁可以投诉, 普通市民能举报吗, who can complain, who may file a complaint): anyone, 第二十一条's
 * 接受社会各界的监督, not 第二十二条's revocation after customers' complaints.
 */
const ASKED_WHO_MAY_COMPLAIN =
  /谁(?:都)?(?:可以|能|有权|才能|才可以|来)?(?:投诉|举报)|(?:哪些人|什么人|任何人|普通人|外人|群众|公众|市民|老百姓|个人)(?:都)?(?:可以|能|有权|能不能|可不可以)?(?:投诉|举报)|\bwho (?:can|may|could|is allowed to|are allowed to|is able to|has the right to|is entitled to|gets to)\b.{0,20}\bcomplain|\b(?:anyone|anybody|everyone|the public|members? of the public|outsiders?|citizens?|residents?)\b.{0,30}\bcomplain/i;

/** Words that say a title was taken away: asking again after that is the association's bar, not the yearly review. */
const REVOKED = '撤销|取消|摘牌|撤掉|收回|吊销';

/**
 * 几次 counting reviews (一年评几次, 评审是一年搞几次): 第十九条's 每年一次. Counting complaints (投诉几次会被摘牌, 连续投诉是指几次)
 * is 第二十二条's run, or how often anyone may complain (第二十一条), never the yearly review.
 */
const ASKED_REVIEW_COUNT = /^(?![^]*(?:投诉|举报|反映))[^]*(?:(?:评审|评选|评|申报|开|举行|搞|办|一年|每年)[^，,。？?]{0,6}(?:几|多少)次|(?:几|多少)次[^，,。？?]{0,4}(?:评审|评选))/;

/** How often anyone may complain (一年能投诉几次): 第二十一条's 接受社会各界的监督; a run that takes a title is 第二十二条. */
const ASKED_HOW_OFTEN_MAY_COMPLAIN = new RegExp(`^(?![^]*(?:连续|称号|${REVOKED}))[^]*(?:能|可以|可|一年|每年|最多)[^，,。？?]{0,4}(?:投诉|举报)(?:几|多少)次`);

/**
 * How long a title lasts (称号管几年, 称号能用几年, 称号到期了怎么办, 荣誉称号多长时间): 第二十条's 年度 title. After a
 * revocation (撤销称号后多久能再申报) it is the association's bar.
 */
export const ASKED_TITLE_LASTS = new RegExp(
  `^(?![^]*(?:${REVOKED}|被撤))[^]*(?:(?:称号|荣誉)[^，,。？?]{0,6}(?:几年|多少年|多久|多长时间|到期|期限|年限)|(?:几年|多少年|多久|多长时间)[^，,。？?]{0,4}(?:称号|荣誉))`,
);

/**
 * Applying again (明年还能再报吗, 落选了能再报吗, 可以重复申报吗, can we reapply next year, How many times can we apply?):
 * 第十九条's 每年一次. Not after a revocation (the association's bar, 第二十二条, whose date reads …起方可再申报) nor after an
 * accident (第十三条).
 */
const ASKED_APPLY_AGAIN = new RegExp(
  `^(?![^]*(?:${REVOKED}|事故|起方可|revok|revoc|stripped|lost (?:the |its |our |a )?title))[^]*(?:` +
    '(?:再|重新|重复|多次)次?(?:申报|申请|报名|报|参评|评选)|(?:明年|下一?年|来年|第二年)(?:还|再|也|仍)|' +
    '(?:没评上|未评上|没选上|落选|没通过|未通过|报过|申报过|参评过|评过)[^。？?]{0,10}(?:申报|申请|报名|报|参评|评选)|' +
    // after a title too (我们去年评上了今年还能申报吗, 获得称号的班组今年还能参评吗): the review is each year's
    '(?:评上|选上|获奖|得奖|获评|(?:获得|拿到|得到|有了|已有)称号)[^。？?]{0,12}(?:还|再|又|仍)[^。？?]{0,6}(?:申报|申请|报名|报|参评|评选)|' +
    '(?:去年|上一?年|前年|往年|上次|上届)[^。？?]{0,12}(?:今年|本年度?|这一?年|这次)(?:还|再|又|也)[^。？?]{0,6}(?:申报|申请|报名|报|参评|评选)' +
    '|\\b(?:reapply|re-apply|apply again|try again|again next year)\\b|\\b(?:won|awarded|got (?:the|a|our) title|received (?:the|a|our) title|were rated)\\b.{0,40}\\b(?:apply|take part)\\b|\\bhow many times\\b.{0,20}\\bapply|\\bapply\\b.{0,20}\\bhow many times|\\bapply (?:more than once|every year|each year)\\b)',
  'i',
);

/**
 * The share of titled teams recommended on (推荐比例是多少, 推荐名额, 择优推荐多少): 第二十条's 择优推荐; the share is the
 * association's setting of the year (cards/measures.ts RECOMMEND_SHARE asks the same).
 */
export const ASKED_RECOMMEND_SHARE =
  /(?:推荐|择优)[^，,。？?]{0,6}(?:比例|名额|多少|几个|几家|百分之|%)|\b(?:share|proportion|percentage|quota|how many)\b.{0,30}\brecommend|\brecommend\w*.{0,30}\b(?:share|proportion|percentage|quota|how many)\b/i;

/**
 * Complaining without the word 投诉 (我要举报某个班组质量问题, 我想反映某个班组施工质量差, 施工队质量太差了找谁): 第二十一条.
 * 反映 only as telling of a problem (QC小组活动能反映班组的水平 is no complaint). cards/measures.ts COMPLAINING asks the same.
 */
export const ASKED_TO_COMPLAIN =
  /举报|(?:我|想|要)(?:要|想)?反映|反映(?:一下|个)?(?:问题|情况)|向[^。？?]{0,6}反映|反映[^。？?]{0,8}(?:质量差|质量问题|问题|太差)|质量(?:太|很|特别|非常)?(?:差|烂)/;

/** How far training must go (培训要做到什么程度, 培训有什么要求): 第七条's rates, not 第十一条's courses. */
const ASKED_TRAINING_LEVEL = /培训(?!率|记录)[^，,。？?]{0,4}(?:要求|程度|达到|做到|标准|指标)/;

/**
 * A tie to the team or its organisation in everyday words (我以前在这个公司工作过, 申报的是我们公司的班组, I used to work for
 * that company, can I score it?): 第十七条's 公平、公正, the expert's conflict of interest, before 第十八条's scoring.
 */
const ASKED_CONFLICT =
  /(?:以前|曾经|之前|过去|原来)[^，,。？?]{0,10}(?:工作过|待过|干过|任职|上过班|同事)|(?:申报|评审|评|打分)[^。？?]{0,6}是?(?:我们|我|自己)(?:公司|单位)的|\b(?:used to work|worked (?:for|at|with)|know\b.{0,30}\bpersonally|(?:my|a) (?:friend|relative|former (?:colleague|employer)))\b/i;

/** Shapes of a question that ask for an article: each counts as one of its cues. */
export const ASKED_FOR: readonly (readonly [asked: RegExp, article: number])[] = [
  [ASKED_REVIEW_COUNT, 19],
  [ASKED_HOW_OFTEN_MAY_COMPLAIN, 21],
  [ASKED_TITLE_LASTS, 20],
  [ASKED_APPLY_AGAIN, 19],
  [ASKED_RECOMMEND_SHARE, 20],
  [ASKED_TO_COMPLAIN, 21],
  [ASKED_TRAINING_LEVEL, 7],
  [ASKED_CONFLICT, 17],
];

/** Questions known by their shape, not by one word, → the measures' words. */
export const ASKED_AS: readonly (readonly [asked: RegExp, measures: string])[] = [
  // asking when a team may apply is asking for 第十六条's year after registration
  [ASKED_WHEN_TO_APPLY, '注册一年后'],
  [ASKED_WHO_MAY_COMPLAIN, '接受社会各界的监督'],
  [ASKED_REVIEW_COUNT, '每年一次'],
  [ASKED_HOW_OFTEN_MAY_COMPLAIN, '接受社会各界的监督'],
  [ASKED_TITLE_LASTS, '年度 荣誉'],
  // 评审交流: a team that won asks it with 评上 or 称号 in it, which are 第二十条's words
  [ASKED_APPLY_AGAIN, '每年一次 评审交流活动'],
  [ASKED_RECOMMEND_SHARE, '择优推荐'],
  [ASKED_TO_COMPLAIN, '接受社会各界的监督'],
  [ASKED_TRAINING_LEVEL, '培训率 考试合格率'],
  [ASKED_CONFLICT, '公平 公正'],
];

/**
 * English words (as prefixes) → the measures' words, so an English question is ranked on the Chinese text. A phrase
 * (training rate) is read before its words: words it took are not mapped again one by one (training → 培训).
 */
export const EN_TERMS: readonly (readonly [english: string, measures: string])[] = [
  ['training rate', '培训率 考试合格率'],
  ['pass rate', '考试合格率'],
  ['completion rate', '目标完成率'],
  ['review', '评审'],
  ['evaluat', '评审 评价'],
  ['assess', '评审'],
  ['judg', '评审'],
  ['select', '评选'],
  ['often', '每年一次'],
  ['annual', '每年一次'],
  ['yearly', '每年一次'],
  ['frequen', '每年一次'],
  ['regist', '注册'],
  ['apply', '申报 申请'],
  ['applica', '申报 申请'],
  ['applie', '申报 申请'],
  ['requirement', '条件 要求'],
  ['condition', '基本条件'],
  ['eligib', '基本条件'],
  ['criteri', '基本条件 标准'],
  ['particip', '评选 申请'],
  ['take part', '评选 申请'],
  ['join', '申请'],
  ['recommend', '推荐'],
  ['endors', '推荐意见 确认'],
  ['nominat', '推荐'],
  ['associat', '协会'],
  ['organis', '组织'],
  ['organiz', '组织'],
  ['employer', '单位 组织'],
  ['company', '单位 组织'],
  ['complain', '投诉'],
  ['customer', '顾客'],
  ['client', '顾客'],
  ['revok', '撤销'],
  ['revoc', '撤销'],
  ['withdraw', '撤销'],
  ['lose', '撤销 称号'],
  ['title', '荣誉'],
  ['honour', '荣誉'],
  ['honor', '荣誉'],
  ['award', '授予 荣誉'],
  ['standard', '标准'],
  ['score', '评分表'],
  ['national', '中国'],
  ['principle', '原则'],
  ['fair', '公平 公正'],
  ['openness', '公开'],
  ['purpose', '目的'],
  ['aim', '目的'],
  ['goal', '目标'],
  ['activit', '活动'],
  ['training', '培训'],
  ['train', '培训'],
  ['expert', '专家'],
  ['qc', 'QC小组'],
  ['accident', '事故'],
  ['safety', '安全'],
  ['environment', '环保'],
  ['voluntar', '自愿'],
  ['basis', '依据 根据'],
  ['mechanism', '机制'],
  ['reward', '奖励'],
  ['incentive', '奖励'],
  ['leadership', '领导'],
  ['plan', '计划'],
  ['supervis', '监督'],
  ['quality', '质量'],
  ['trust', '信得过 信赖'],
  ['team', '班组'],
  ['member', '成员'],
  ['staff', '员工'],
  ['employee', '员工'],
  ['skill', '技能'],
  ['record', '记录'],
  ['exam', '考试合格率'],
  ['document', '申报材料 申报表'],
  ['material', '申报材料'],
  ['paper', '申报材料 申报表'],
  ['attach', '申报材料 申报表'],
  ['stamp', '确认 推荐意见'],
  ['seal', '确认 推荐意见'],
  ['chop', '确认 推荐意见'],
];

/** Words of an English question that say nothing about its topic. */
export const EN_STOPWORDS = new Set(
  ('a an the is are was were be been being am do does did of to in on at for from by with about as into and or but not no ' +
    'what which who whom whose when where why how can could may might must shall should will would have has had ' +
    'i me my we us our you your it its this that these those there their they them he she his her any some ' +
    'please tell know want need get got so if then than also just only very much many').split(' '),
);

/**
 * Misspellings common enough to read as meant: 截至 (as of) typed for 截止 (closing), and an input method's same-sounding
 * character in 申报, 报名, 注册 and 信得过. Only these: a character one off is otherwise another word (截至目前 is as of now).
 */
export const ZH_MISSPELLINGS: readonly (readonly [typed: RegExp, meant: string])[] = [
  [/(?<=申报|申请|报名|评分|打分|提交|填报)截至|截至(?=时间|日期|期限|哪天|那天|是|在|为|了|吗|呢|啥|几号|什么|多久|$|[\s?？。!！，,])/g, '截止'],
  [/申[抱暴爆豹]/g, '申报'],
  [/报明/g, '报名'],
  [/注[侧测]/g, '注册'],
  [/信的过|信德过/g, '信得过'],
];

/**
 * Whole English words a slip is read against (memebrs → members, dealine → deadline) besides the cues' and the terms'
 * words of five letters or more: the words those prefixes stand for (evaluat → evaluate) and plurals people ask with.
 */
export const EN_WORDS_ASKED = (
  'members people teams experts results complaints conditions requirements deadline register registered registration apply applied applying ' +
  'application applications evaluate evaluation participate participation voluntary eligible eligibility criteria frequency organisation ' +
  'organization association activity activities qualification revoke revoked revocation supervision transparent responsible nominate ' +
  'endorse encourage handle scores title titles certificate certificates review reviews reviewed'
).split(' ');

/** Common English words a keyboard slip away from a word of the measures' (aware, award): read as typed. */
export const EN_NOT_SLIPS = new Set(['aware', 'worker', 'grand', 'grain', 'wrote']);
