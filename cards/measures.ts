import type { Article, Chapter, RankedArticle } from '../src/measures/index.js';
import { button, buttonRow, card, type Card, type Element, hr, markdown, type Md, note, md, raw, clipText, cutText } from './kit.js';
import { formatDateZh } from '../src/dates.js';
import { revocationBarText } from './strings.js';

const MEASURES = '《广东省市政工程质量信得过班组建设管理办法（暂行）》';
/** Longer articles are cut to this many characters in an answer, with a button for the whole text. */
export const EXCERPT_CHARS = 200;

/** A button opening article `number`; from an English question it carries the language, so the card it opens keeps the English. */
const articleButton = (number: number, text: string, language?: 'zh' | 'en') =>
  button({ text, value: { action: 'measures.article', article: number, ...(language === 'en' ? { language } : {}) } });

/** 全部条款; from an English card it carries the language, so the list's buttons open articles with their English line. */
const browseButton = (language?: 'zh' | 'en') =>
  button({ text: '全部条款', value: { action: 'measures.browse', ...(language === 'en' ? { language } : {}) } });

/** The measures' own text as markdown: nothing in it may turn into formatting, nor `4. ` into a list renumbered from 1. */
const articleMarkdown = (text: string): Md => md`${text.replace(/^(\d+)\.\s+/gm, '$1.')}`;
/** The same, as a string to cut and bold sentences in. */
const articleText = (text: string): string => articleMarkdown(text).text;

/** One article, whole: 第十六条 with its chapter, and buttons to the neighbours. */
export function articleCard(article: Article, opts: { total?: number; language?: 'zh' | 'en' } = {}): Card {
  const total = opts.total ?? 22;
  const neighbours = [
    ...(article.number > 1 ? [articleButton(article.number - 1, '上一条', opts.language)] : []),
    ...(article.number < total ? [articleButton(article.number + 1, '下一条', opts.language)] : []),
    browseButton(opts.language),
  ];
  return card({
    title: article.numeral,
    subtitle: article.chapter,
    template: 'blue',
    summary: `${article.numeral} ${article.topic}`.trim(),
    elements: [
      // asked in English (article 16): the article's gist in English above the measures' text
      ...(opts.language === 'en' && article.english ? [markdown(md`**${article.numeral} / Article ${article.number}**\n\n${article.english}`)] : []),
      markdown(articleMarkdown(article.text)),
      note(md`${MEASURES}${article.numeral}`),
      hr(),
      buttonRow(neighbours),
    ],
  });
}

/** Nothing in the measures answers the question. */
export function notFoundCard(query: string): Card {
  return card({
    title: '没有找到相关条款',
    subtitle: quoted(query),
    template: 'grey',
    elements: [
      markdown(md`${MEASURES}中没有找到与这句话相关的条款。\n\n发送 \`条款 1\` … \`条款 22\` 查看某一条，或发送 \`帮助\` 查看可用的命令。`),
      buttonRow([browseButton()]),
    ],
  });
}

const cut = (text: string, chars: number) => (text.length > chars ? `${cutText(text, chars).trimEnd()}…` : text);

/** The sentences of a line: each ends with 。 or ；, the last may end with nothing. */
const sentencesOf = (line: string) => line.match(/[^。；;]+[。；;]?/g) ?? [line];

/** A line shown whole, with the sentence that answers in bold when the line has more than one. */
function lineWithAnswer(line: string, sentence: string | undefined): string {
  const md = articleText(line);
  if (!sentence || sentencesOf(line).length < 2) return md;
  const target = articleText(sentence);
  const at = md.indexOf(target);
  return at < 0 ? md : `${md.slice(0, at)}**${target}**${md.slice(at + target.length)}`;
}

/** A long line cut down to the sentence that answers, keeping an item's number and heading (`4.加强班组技能建设。`). */
function answeringPart(line: string, sentence: string | undefined): string {
  if (line.length <= EXCERPT_CHARS) return lineWithAnswer(line, sentence);
  if (!sentence || !line.includes(sentence)) return articleText(cut(line, EXCERPT_CHARS));
  const [head] = sentencesOf(line);
  const answer = `**${articleText(cut(sentence, EXCERPT_CHARS))}**`;
  if (line.startsWith(sentence)) return `${answer}……`;
  return /^\d+[.、．]/.test(line) && !head.includes(sentence) ? `${articleText(head)}……${answer}` : `……${answer}`;
}

/**
 * What an answer shows of an article: a short one whole, a long one by its lead and the item that matched,
 * or the sentence that answers; the answering sentence in bold. Without a best line: its first 200 characters.
 */
function excerpt({ article, bestLine, bestSentence }: AnswerItem): string {
  const lines = article.text.split('\n');
  if (article.text.length <= EXCERPT_CHARS) {
    return lines.map((l) => (l === bestLine ? lineWithAnswer(l, bestSentence) : articleText(l))).join('\n');
  }
  const [lead] = lines;
  // a line that announces a list (…应具备以下基本条件：) answers with the list: each item's first words
  if (bestLine && /[：:]$/.test(bestLine)) {
    const items = lines.slice(lines.indexOf(bestLine) + 1).filter((l, i, all) => all.slice(0, i + 1).every((x) => /^\d+[.、．]/.test(x)));
    if (items.length) return [lineWithAnswer(bestLine, bestSentence), ...items.map((l) => articleText(cut(l, LIST_ITEM_CHARS)))].join('\n');
  }
  if (!bestLine || (bestLine === lead && !bestSentence)) return articleText(cut(article.text, EXCERPT_CHARS));
  if (bestLine === lead) return answeringPart(lead, bestSentence);
  return `${articleText(cut(lead, 60))}\n……\n${answeringPart(bestLine, bestSentence)}`;
}

/** Each item of a list an answer shows (第十三条's five conditions), cut to its first words; 查看全文 has them whole. */
const LIST_ITEM_CHARS = 48;

/**
 * What to send next, by what the question asks: an answer names the command that does the thing, not only the
 * articles. Each row: the question's words, then the line in Chinese and in English.
 */
interface NextStep {
  asked: RegExp;
  zh: string;
  en: string;
  /** The measures say nothing on it, nor does any article come near: the line is the whole answer, no article is shown. */
  alone?: true;
  /** Not shown when the question asks this (a line more to the point answers it). */
  unless?: RegExp;
  /**
   * Asked by someone already in the programme (an expert, a contact, a team that applied): the answer does not add how
   * to take part (注册, 申报) when this line is shown.
   */
  notTakingPart?: true;
  /** Shown to administrators only (管理): anyone else asking the same words is not told a command that is not theirs. */
  adminsOnly?: true;
  /** Shown above the articles: the command answers the question before the measures do (我的申报到哪一步了). */
  first?: true;
  /**
   * The asker's own applications answer it (怎么修改申报): the line is theirs, `Asker.applications` (what each of their
   * teams' applications allows now), in place of `zh` when there are any.
   */
  ownApplications?: true;
  /** The line when a year runs (`YearDates`): its own date stated, in place of `zh` / `en` that say who sets it. */
  dated?: (y: YearDates) => { zh: string; en: string };
  /** Shown only when a year runs: without its date the articles answer (第十九条's 每年一次). */
  onlyDated?: true;
  /**
   * `dated` also from the latest year when none runs (`YearDates.current` false): the results line, which says they are
   * out. Every other line states a date or setting of the year running (or named) only: last year's deadline is no
   * answer to when this year's is, which no year has set yet.
   */
  latestYear?: true;  /** Shown only to whom it is for (a team's member who leads no team); `query` is what was asked. */
  shownTo?: (asker: Asker | undefined, query: string) => boolean;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
/** '2027-05-31' → '31 May 2027': an English line's date, as people read it (no card shows 2027-05-31). */
const englishDate = (s: string) => {
  const [y, m, d] = s.split('-').map(Number);
  return `${d} ${MONTHS[m - 1]} ${y}`;
};

/**
 * The running year's dates and settings, read only for a question asking one of them (`asksYearDates`: 申报截止日期是什么时候,
 * 多少分能评上), and today in the association's calendar, to say a date has passed.
 */
export interface YearDates {
  year: number;
  status: string;
  applicationDeadline: string;
  scoringDeadline: string;
  reviewMeetingDate: string;
  today: string;
  /** The year runs, or was named in the question (去年多少分): false for the latest year read when none runs. */
  current: boolean;
  /** The year's settings the lines otherwise give as defaults (授予称号分数线, 评审专家人数, 择优推荐比例, 连续成立投诉提醒次数). */
  awardThreshold: number;
  expertsPerApplication: number;
  recommendShare: number;
  revocationRun: number;
}

/** 0.1 → 10%, 0.125 → 12.5%. */
const percent = (share: number) => `${Math.round(share * 1000) / 10}%`;

/**
 * Who asks, as far as an answer differs by it: an administrator, a team's leader, and the state lines of the asker's
 * own running applications (bot/measures reads them, only when the question asks about changing an application).
 * Without it (a card drawn for no one) every line is shown.
 */
export interface Asker {
  admin: boolean;
  leader: boolean;
  /** A member of a team (team_members): leading none, they leave it through its leader (MEMBER_LEAVING). */
  member?: boolean;
  /** An organisation contact or an expert: not told to register a team (怎么办理), which is no step of theirs. */
  contact?: boolean;
  expert?: boolean;
  /** The running applications of the teams the asker leads, each with what its state allows now (our own fixed line). */
  applications?: readonly OwnApplication[];
}

export interface OwnApplication {
  team: string;
  year: number;
  /** 申报已提交，等待单位联系人确认；… */
  state: string;
}

/**
 * A complaint against the asker's own team (被投诉了会怎么样, 投诉会影响我们的称号吗, what happens if we are complained about):
 * answered with what a run of upheld complaints does (COMPLAINT_RUN), not with how to make one.
 */
const COMPLAINED_ABOUT =
  /被(?:人|顾客|客户|业主|用户|群众|市民)?(?:投诉|举报)|(?:投诉|举报)[^。？?]{0,10}(?:影响|后果|会怎么?样(?!处理)|会不会被|会被(?:撤|取消|摘))|\b(?:we|i|us|our team|my team|a team|the team|team)\b.{0,20}\b(?:are|were|is|was|get|gets|got|been|be)\s+complained\b|\bcomplained (?:about|against|of)\s+(?:us|our|my)\b|\bcomplaints?\b.{0,30}\b(?:affect|impact|consequence|mean for)|\b(?:affect|impact)\b.{0,30}\bcomplaints?\b|\b(?:lose|losing|lost)\b.{0,40}\bcomplain/i;

/** How many complaints take a title, or what one means for the team complained about: answered by COMPLAINT_RUN. */
const COMPLAINT_RUN_ASKED = new RegExp(
  `(?:投诉|举报)[^。？?]{0,10}(?:几|多少)次|(?:几|多少)次[^。？?]{0,6}(?:投诉|举报)|连续投诉|\\bhow many complaints\\b|\\bcomplaints?\\b.{0,40}\\bhow many\\b|${COMPLAINED_ABOUT.source}`,
  'i',
);

/**
 * Where the asker's own complaint is (我的投诉到哪一步了, 投诉处理得怎么样了, status of my complaint): 我的投诉 lists
 * the complaints made here with where each is; 进度 is the team's, and how to complain is no answer to it.
 */
const COMPLAINT_STATUS: NextStep = {
  asked:
    /投诉[^。？?，,]{0,6}(?:进度|到哪一?步|进展|(?:处理|办理)(?:得|的)?(?:怎么样|如何|到哪)|怎么样了|有(?:没有)?(?:结果|回复|回音|消息)|结果(?:出来|怎么样))|(?:查看|查询|查一下|查)(?:我的|我)投诉|\b(?:status|progress|outcome)\s+(?:of|on)\s+(?:my|our|the)\s+complaints?\b|\bcomplaints?\s+(?:status|progress)\b|\bwhere(?:'s|’s|\s+is|\s+are)\s+(?:my|our)\s+complaints?\b|\bwhat\s+(?:happened|has\s+happened|is\s+happening)\s+(?:to|with)\s+(?:my|our)\s+complaints?\b|\b(?:my|our)\s+complaints?\b.{0,30}\b(?:status|progress|handled|decided|outcome|result|upheld)\b/i,
  zh: '**查看投诉进度**：发送“我的投诉”查看你在飞书中提交的投诉及各自的处理情况；协会认定后也会把处理结果发给你（第二十一条）。',
  en: '**Where your complaint is**: send “my complaints” (我的投诉) to see the complaints you made here and where each one is; the association also tells you its decision.',
  notTakingPart: true,
  first: true,
};

/** A question about complaining (第二十一、二十二条), and what to send to make one. */
const COMPLAINING: NextStep = {
  // 反映 only as telling of a problem (src/measures/concepts.ts ASKED_TO_COMPLAIN): QC小组活动能反映班组的水平 is no complaint;
  // report only of a team or of bad work (report a bad team), not a report the measures ask for
  asked: /投诉|举报|(?:我|想|要)(?:要|想)?反映|反映(?:一下|个)?(?:问题|情况)|向[^。？?]{0,6}反映|反映[^。？?]{0,8}(?:质量差|质量问题|问题|太差)|质量(?:太|很|特别|非常)?(?:差|烂)|complain|\breport(?:ing)?\s+(?:an?|the|this|that|one)\s+(?:\w+\s+)?teams?\b(?!['’])|\breport(?:ing)?\b.{0,20}\b(?:bad|poor|shoddy)\b/i,
  zh: '**怎么投诉**：发送“投诉 班组名称或编号”填写投诉表（也可使用协会的网上投诉页面）；协会核查后认定是否成立，在飞书中投诉的会收到处理结果（第二十一条）。',
  en: '**To complain**: send “投诉 <team name or code>” (complain) and fill in the form, or use the association’s web form; the association checks it and decides whether it is upheld.',
  // how many complaints take a title is no question of how to make one (COMPLAINT_RUN answers it), nor where one's own is
  unless: new RegExp(`${COMPLAINT_RUN_ASKED.source}|${COMPLAINT_STATUS.asked.source}`, 'i'),
};

/** A question about the score a title takes: the threshold is the year's setting, not an article. */
const SCORE: NextStep = {
  asked: /多少分|几分|分数线|分数|得分|及格|最低分|满分|总分|\d{2,3}\s*分(?!钟|之|期|别|类|组|配|工|批|开)|points?\b|what score|passing score|minimum score|cut-?off|score (?:do|to|for|needed)|pass mark/i,
  zh: '**授予称号分数线**：不在办法条文中，由协会在每年的评审设置中规定（默认 85 分，满分按本年度评分表，第十八条）；结果公布后发送“进度”可查看本班组得分。',
  en: '**The score for a title** is not in the measures: the association sets it for each year’s review (85 by default, out of the year’s score sheet); after results are published, “进度” (status) shows your team’s score.',
  dated: (y) => ({
    zh: `**授予称号分数线**：不在办法条文中，由协会在每年的评审设置中规定；${y.year}年度评审为 ${y.awardThreshold} 分（满分按本年度评分表，第十八条）。结果公布后发送“进度”可查看本班组得分。`,
    en: `**The score for a title** is not in the measures: the association sets it for each year’s review; for the ${y.year} review it is ${y.awardThreshold} (out of the year’s score sheet). After results are published, “进度” (status) shows your team’s score.`,
  }),
};

/** How many experts score an application: the year's setting (每份申报的评审专家人数), not an article. */
const EXPERTS: NextStep = {
  asked: /(?:几|多少)[个位名]?专家|专家(?:有|是)?(?:几|多少)[个位名人]|专家人数|how many experts|number of experts|experts? (?:per|for each|on each) applica/i,
  zh: '**每份申报的评审专家人数**：不在办法条文中，由协会在每年的评审设置中规定（默认 3 人，从协会的专家队伍中分配，第十一条）。',
  en: '**Experts per application** are not in the measures: the association sets the number for each year’s review (3 by default, from its pool of experts).',
  dated: (y) => ({
    zh: `**每份申报的评审专家人数**：不在办法条文中，由协会在每年的评审设置中规定；${y.year}年度评审每份申报由 ${y.expertsPerApplication} 位专家评分（从协会的专家队伍中分配，第十一条）。`,
    en: `**Experts per application** are not in the measures: the association sets the number for each year’s review; in the ${y.year} review each application is scored by ${y.expertsPerApplication} experts from its pool.`,
  }),
};

/**
 * How many complaints take a title (连续投诉是指几次, 投诉几次会被摘牌): 第二十二条 says 连续 and no number; the alert's count is
 * the year's setting 连续成立投诉提醒次数 (src/cycles.ts, default 2), after which the association decides.
 */
const COMPLAINT_RUN: NextStep = {
  asked: COMPLAINT_RUN_ASKED,
  zh: '**连续几次投诉会撤销称号**：办法只说在连续出现顾客对质量不满意的投诉时，授予部门酌情考虑撤销称号（第二十二条），没有规定次数；协会在每年的评审设置中规定“连续成立投诉提醒次数”（默认 2 次）：已授称号的班组的投诉连续这么多次经核实成立时，提请协会决定是否撤销称号。',
  en: '**How many complaints take a title**: the measures give no number (a title may be revoked after repeated customer complaints about quality); the association sets 连续成立投诉提醒次数 for each year’s review (2 by default): when that many complaints in a row against a titled team are upheld, the association is asked to decide whether to revoke the title.',
  dated: (y) => ({
    zh: `**连续几次投诉会撤销称号**：办法只说在连续出现顾客对质量不满意的投诉时，授予部门酌情考虑撤销称号（第二十二条），没有规定次数；协会在每年的评审设置中规定“连续成立投诉提醒次数”，${y.year}年度评审为 ${y.revocationRun} 次：已授称号的班组的投诉连续这么多次经核实成立时，提请协会决定是否撤销称号。`,
    en: `**How many complaints take a title**: the measures give no number (a title may be revoked after repeated customer complaints about quality); the association sets 连续成立投诉提醒次数 for each year’s review, ${y.revocationRun} for the ${y.year} review: when that many complaints in a row against a titled team are upheld, the association is asked to decide whether to revoke the title.`,
  }),
};

/**
 * The share of titled teams recommended on to the national associations (第二十条's 择优推荐): the year's setting
 * 择优推荐比例 (src/cycles.ts recommendShare, default 0.1), not in the measures. src/measures/concepts.ts ASKED_RECOMMEND_SHARE asks the same.
 */
const RECOMMEND_SHARE: NextStep = {
  asked:
    /(?:推荐|择优)[^，,。？?]{0,6}(?:比例|名额|多少|几个|几家|百分之|%)|\b(?:share|proportion|percentage|quota|how many)\b.{0,30}\brecommend|\brecommend\w*.{0,30}\b(?:share|proportion|percentage|quota|how many)\b/i,
  zh: '**择优推荐比例**：办法只说“择优推荐”（第二十条），没有规定比例；由协会在每年的评审设置中规定“择优推荐比例”（默认 10%），即获得称号的班组中得分最高的这一比例（至少一个）推荐到中国市政工程协会或中国施工企业管理协会。',
  en: '**The share recommended** is not in the measures (Article 20 says only “the best”): the association sets 择优推荐比例 for each year’s review (10% by default), the top share by score of the teams that get the title (at least one), recommended to the national associations.',
  dated: (y) => ({
    zh: `**择优推荐比例**：办法只说“择优推荐”（第二十条），没有规定比例；由协会在每年的评审设置中规定“择优推荐比例”，${y.year}年度评审为 ${percent(y.recommendShare)}，即获得称号的班组中得分最高的这一比例（至少一个）推荐到中国市政工程协会或中国施工企业管理协会。`,
    en: `**The share recommended** is not in the measures (Article 20 says only “the best”): the association sets 择优推荐比例 for each year’s review, ${percent(y.recommendShare)} for the ${y.year} review: the top share by score of the teams that get the title (at least one), recommended to the national associations.`,
  }),
  notTakingPart: true,
};

/**
 * The experts' deadline (评分截止是什么时候, When is the scoring deadline?): the year's 评分截止日期, shown on the task list and
 * each task card 评分 opens (cards/review.ts); not the application's deadline.
 */
const SCORING_DEADLINE: NextStep = {
  asked: /(?:评分|打分|专家)[^，,。？?]{0,4}(?:截止|最后一天|期限)|scoring deadline|deadline\b.{0,20}\b(?:scor|review(?:ing|ers?)? (?:tasks?|sheets?))|\bscor\w*.{0,20}\b(?:deadline|due date)/i,
  zh: '**评分截止日期**：由协会在每年开启评审时规定。发送“评分”打开你的评分任务，任务列表和任务卡片上写明本年度的评分截止日期；截止前逐项打分后提交。',
  en: '**The scoring deadline** is set by the association for each year’s review: send “评分” (review) to open your tasks; the task list and each task card show this year’s 评分截止 (scoring deadline).',
  notTakingPart: true,
  dated: (y) =>
    y.today > y.scoringDeadline
      ? {
          zh: `**评分截止日期**：${y.year}年度评审的专家评分已于${formatDateZh(y.scoringDeadline)}截止。发送“评分”查看你的评分任务。`,
          en: `**The scoring deadline** of the ${y.year} review was ${englishDate(y.scoringDeadline)}: send “评分” (review) to see your tasks.`,
        }
      : {
          zh: `**评分截止日期**：${y.year}年度评审的专家评分截止日期为${formatDateZh(y.scoringDeadline)}。发送“评分”打开你的评分任务，截止前逐项打分后提交。`,
          en: `**The scoring deadline** of the ${y.year} review is ${englishDate(y.scoringDeadline)}: send “评分” (review) to open your tasks and score them before it.`,
        },
};

/**
 * When the review meeting is held (评审会什么时候开, When is the review meeting?): the running year's date. With no year
 * running 第十九条 (每年一次) answers alone, as the date is not set yet.
 */
const REVIEW_MEETING: NextStep = {
  asked:
    /评审(?:交流)?会(?:议)?(?:是|定在|在)?(?:什么时候|啥时候|哪天|几号|何时|日期|时间|开|举行|召开)|(?:什么时候|啥时候|哪天|几号|何时)[^，,。？?]{0,4}(?:开|举行|召开)(?:评审(?:交流)?会|交流会)|交流会(?:是|在)?(?:什么时候|啥时候|哪天|几号|何时|日期|时间)|\breview meeting\b|\bwhen\b.{0,30}\bmeeting\b|\bmeeting\b.{0,20}\b(?:date|when)\b/i,
  zh: '',
  en: '',
  onlyDated: true,
  dated: (y) =>
    y.today > y.reviewMeetingDate
      ? { zh: `**评审会**：${y.year}年度评审会已于${formatDateZh(y.reviewMeetingDate)}举行。`, en: `**The review meeting** of the ${y.year} review was held on ${englishDate(y.reviewMeetingDate)}.` }
      : {
          zh: `**评审会**：${y.year}年度评审会定于${formatDateZh(y.reviewMeetingDate)}举行（评审每年一次，第十九条）；申报的班组会在会前收到提醒。`,
          en: `**The review meeting** of the ${y.year} review is on ${englishDate(y.reviewMeetingDate)} (the review is held once a year); teams that applied are reminded before it.`,
        },
};

/**
 * Whether an application arrived or passed, or where it is (协会收到我们的申报没有, 申报审核通过了没, Has our application been
 * approved?, where is my application, what stage is my application at): 进度 shows it. Asked by a team that applied, so
 * the answer does not add how to take part.
 */
const APPLICATION_STATUS =
  /(?:申报|申请)[^。？?]{0,6}(?:提交成功|成功|通过|收到|受理|审核通过)了?(?:没有?|吗|与否)|(?:收到|受理)了?[^。？?]{0,6}(?:申报|申请)了?(?:没有?|吗)|\b(?:was|were|has|have|is)\s+(?:our|my|the)\s+applications?\s+(?:been\s+)?(?:received|approved|accepted|passed|rejected|through)|\bdid\b.{0,30}\b(?:get|receive)\b.{0,20}\b(?:our|my)\s+applications?|\b(?:has|have)\s+(?:the\s+association|you|they)\s+(?:received|got|gotten)\s+(?:our|my)\s+applications?|\bwhere(?:'s|’s|\s+is)\s+(?:our|my)\s+applications?\b(?!\s+form)|\bhow far\b.{0,20}\b(?:our|my)\s+applications?\b|\b(?:what|which)\s+(?:stage|step|point)\b.{0,20}\b(?:our|my)\s+applications?\b/i;

/** Applying again after a title is revoked: the association's bar (协会规定, a setting of the year), not an article. */
const AFTER_REVOCATION: NextStep = {
  asked:
    /(?:(?:撤销|取消|撤掉|收回)了?称号|称号(?:被|已)?(?:撤销|取消|撤掉|收回)|摘牌|被撤销|被取消).{0,15}(?:申报|申请|报名|参评|参加|评选|再|重新)|(?:revok|revoc|(?:lost|withdrawn|stripped)(?: of)? (?:the |its |our |a )?title).{0,60}(?:apply|again|take part)|apply.{0,60}(?:revok|revoc)/i,
  zh: `**被撤销称号后再申报**：不在办法条文中；协会规定：${revocationBarText(null)}（默认一年，协会可在每年的评审设置中另定天数）。发送“进度”可查看本班组何时起可再申报。`,
  en: '**After a title is revoked** (the measures say nothing): the association’s rule (协会规定) is that the team cannot apply for a year by default; the association may set another number of days for each year’s review. “进度” (status) shows when your team may apply again.',
};

/**
 * Applying again (去年评上了今年还能申报吗, 落选了明年还能报吗, can we reapply next year): the articles alone (第十九条's
 * 每年一次) do not say yes. The title is a year's (第二十条): a team not awarded, returned or withdrawn, and a holder,
 * apply in the next year's review, one application a year, and the form offers last year's answers to start from.
 * The same words as src/measures/concepts.ts ASKED_APPLY_AGAIN; after a revocation, AFTER_REVOCATION answers.
 */
const APPLY_AGAIN: NextStep = {
  asked: new RegExp(
    '^(?![^]*(?:撤销|取消|摘牌|撤掉|收回|吊销|事故|起方可|revok|revoc|stripped|lost (?:the |its |our |a )?title))[^]*(?:' +
      '(?:再|重新|重复|多次)次?(?:申报|申请|报名|报|参评|评选)|(?:明年|下一?年|来年|第二年)(?:还|再|也|仍)[^。？?]{0,6}(?:申报|申请|报名|报|参评|评选|参加)|' +
      '(?:没评上|未评上|没选上|落选|没通过|未通过|报过|申报过|参评过|评过|被退回|退回了)[^。？?]{0,10}(?:申报|申请|报名|报|参评|评选)|' +
      '(?:评上|选上|获奖|得奖|获评|(?:获得|拿到|得到|有了|已有)称号)[^。？?]{0,12}(?:还|再|又|仍)[^。？?]{0,6}(?:申报|申请|报名|报|参评|评选)|' +
      '(?:去年|上一?年|前年|往年|上次|上届)[^。？?]{0,12}(?:今年|本年度?|这一?年|这次)(?:还|再|又|也)[^。？?]{0,6}(?:申报|申请|报名|报|参评|评选)' +
      '|\\b(?:reapply|re-apply|apply again|again next year)\\b|\\b(?:won|awarded|got (?:the|a|our) title|received (?:the|a|our) title)\\b.{0,40}\\b(?:apply|take part)\\b|\\bapply (?:more than once|every year|each year)\\b)',
    'i',
  ),
  zh: '**再次申报**：评审每年一次（第十九条），称号是年度的（第二十条）：上一年度未获称号、被退回或撤回的班组，和已获称号的班组，都可以参加下一年度评审，每个班组每年一份申报。年度申报开启后发送“申报”；往年申报过的班组，申报表上有“沿用 某年度内容”按钮，可在当年填写的基础上修改。发送“进度”查看本班组的情况。',
  en: '**Applying again**: the review is held once a year and the title is a year’s: a team not awarded, returned or withdrawn, and a team holding a title, may apply in the next year’s review, one application a year. Once the year opens, send “申报” (apply); a team that applied before finds a button on the form (沿用 … 年度内容) to start from what it wrote that year. “进度” (status) shows where your team stands.',
  notTakingPart: true,
};

/**
 * When a team may apply (第十六条): a year after it registered; 进度 counts the days left. Asked as the ranking reads it
 * (src/measures/concepts.ts ASKED_WHEN_TO_APPLY, the same pattern: cards/ import no code of src/): when, how soon, how
 * long or how many years a team must exist (班组要成立几年才能申报, our team was set up last month, can we apply?), or how long
 * it has (班组成立半年能报不).
 */
const WHEN_TO_APPLY: NextStep = {
  asked:
    /(?:什么时候|啥时候|多久|多长时间|几天|何时)(?:(?!截止|结束|开始)[^，,。？?]){0,6}(?:申报|参评|评选|报名)|(?:成立|存在|组建|建立|注册)了?(?:几|多少|多久|多长时间|不满|不到|未满|没满|满|不够)[^。？?]{0,8}(?:申报|参评|评选|报名)|(?:成立|存在|组建|建立|注册)(?:了|才)?[0-9一二两三四五六七八九十半]+个?(?:月|年|周|天)[^。？?]{0,8}(?:申报|参评|评选|报名|能报|可以报)|(?:刚|新|才|上个?月|这个?月|今年|最近|去年)刚?(?:成立|组建|建立|注册)[^。？?]{0,10}(?:申报|参评|评选|报名)|(?:申报|参评|评选|报名)[^。？?]{0,8}(?:成立|存在|组建|注册)(?:了|要|得|需要)?(?:几|多少|多久|多长时间|满|不满|一年)|\bwhen (?:can|may|could|do|are|will)\b.{0,20}\b(?:apply|take part)|\bhow soon\b|\bnew team.{0,10}\b(?:apply|take part)|(?:\bexist(?:s|ed|ing|ence)?|\b(?:was|were|been|is|are|got|just|recently|newly|only)\s+(?:set up|founded|formed|established|created|started|registered)|\bhow old|\b(?:years?|months?|weeks?|days?) old|\bhow many (?:years|months))\b.{0,60}\b(?:apply|take part)\b|\b(?:apply|take part)\b.{0,60}(?:\bexist(?:s|ed|ing|ence)?|\b(?:was|were|been|is|are|got|just|recently|newly|only)\s+(?:set up|founded|formed|established|created|started|registered)|\bhow old|\b(?:years?|months?|weeks?|days?) old|\bhow many (?:years|months))\b/i,
  zh: '**什么时候可以申报**：已注册的班组注册满一年后方可参加评选（第十六条），在协会开启的年度评审中发送“申报”。发送“进度”可查看你的班组还差几天满一年。',
  en: '**When a team may apply**: a registered team may take part one year after it registered (Article 16), by sending “申报” (apply) in a year’s review the association opens. “进度” (status) shows how many days your team has left.',
};

/** Fees: the measures charge nothing and say nothing of a fee (第六条's 需要 and 第十五条's 申报 are no answer to it). */
const FEES: NextStep = {
  asked:
    /(?:交|缴|收|付)(?:多少|什么)?(?:费|钱)|收费|多少钱|要钱|免费|(?:报名|申报|评审|参评|证书)费|费用(?:多少|是多少|怎么|吗)|(?:申报|评审|报名|参评|参加)[^，,。？?]{0,6}(?:费用|花钱)|\b(?:fees?|costs?|price)\b|\b(?:have|need) to pay\b|\bhow much\b.{0,30}\bpay\b|\bfree of charge\b|\bis it free\b/i,
  zh: '**费用**：办法没有规定申报或评审要交费；是否收费、收多少，请联系协会咨询。',
  en: '**Fees**: the measures say nothing about any fee for applying or for the review; ask the Guangdong Municipal Engineering Association.',
  alone: true,
};

/** The association's phone, address, office: not in the measures (第二十条's 协会 is no answer to it). */
const CONTACT: NextStep = {
  asked:
    /协会[^，,。？?]{0,8}(?:电话|地址|邮箱|联系方式|办公地点|办公室|官网|网站|公众号)|^(?:请问)?(?:你们|协会|秘书处)?(?:的)?(?:联系方式|联系电话|电话号码|咨询电话|客服电话)(?:是)?(?:多少|什么|有吗|呢)?[?？。!！]*$|协会(?:的)?(?:办公室)?(?:在哪里?|在哪儿|在什么地方)[?？。!！]*$|(?:怎么|如何|怎样)联系(?:上)?协会|秘书处|\b(?:phone|telephone|address|office|e-?mail|website|contact details?|how (?:do|can|should) (?:i|we) contact)\b.{0,40}\bassociat|\bassociat\w*.{0,40}\b(?:phone|telephone|address|office|e-?mail|website|contact details?|located)\b|\bcontacts?(?:\s+(?:details?|info(?:rmation)?|numbers?|person|phone|e-?mail))?\s+(?:of|for|at)\s+(?:the\s+)?associat|\bassociat\w*(?:'s|’s)\s+contacts?\b|\bassociat\w*\s+contacts?\s*[?？.!。]*$|\b(?:how|where)\s+(?:to|do\s+(?:i|we)|can\s+(?:i|we)|should\s+(?:i|we))\s+(?:get\s+in\s+touch\s+with|reach|contact)\s+(?:the\s+)?associat/i,
  // shown on the card of a question that asks the articles too: alone, the question gets what 联系协会 answers
  zh: '**协会的联系方式**：办法中没有协会的电话、地址或办公地点，请向广东省市政行业协会秘书处咨询；发送“联系协会”查看协会留下的联系方式。',
  en: '**Contacting the association**: the measures give no phone number, address or office of the association; ask the secretariat of the Guangdong Municipal Engineering Association (广东省市政行业协会秘书处), or send “contact” (联系协会) for how the association says to reach it.',
  alone: true,
};

/** Whether a question asks how to reach the association (协会电话是多少, 怎么联系协会): answered with 协会联系方式 as set. */
export const asksAssociationContact = (query: string): boolean => CONTACT.asked.test(query);

/** The line of `asksAssociationContact`, in either language: the contact as set answers it instead. */
export const associationContactLines: readonly string[] = [CONTACT.zh, CONTACT.en].map((t) => t.replace(/\*\*/g, ''));

/**
 * A member who leads no team asking to leave it (退出班组, 把我移除): its leader removes members (班组成员), and then it is no
 * longer theirs to see; the team's own withdrawal (WITHDRAW) is no step of theirs.
 */
const MEMBER_LEAVING: NextStep = {
  asked:
    /(?:退出|离开|脱离|不在)(?:了)?(?:本|我们的?|我的|这个|该)?班组|(?:把|将)我(?:从(?:本|这个|该)?班组(?:中|里)?)?(?:移除|删除|删掉|移出|去掉)|(?:移除|删除|删掉|移出)我(?:自己)?(?![的\w])|\b(?:leave|quit)\s+(?:the|my|our|this)\s+team\b|\bremove me\b/i,
  zh: '**退出班组**：班组成员由班组长添加和移除。请告诉班组长，由其发送“班组成员”（或在“进度”中点“班组成员”）把你移除；移除后你不再是该班组的成员，“进度”中不再显示该班组，也不能再查看它的申报。',
  en: '**Leaving a team**: its leader adds and removes members. Ask your leader to send “班组成员” (team members) and remove you; you are then no longer a member, and “进度” (status) no longer shows the team or its applications.',
  alone: true,
  shownTo: (asker) => !!asker?.member && !asker.leader,
};

/**
 * 个人信息 (个人信息保护法): what the bot keeps of a person and who changes or removes it; the measures say nothing of it.
 */
const PERSONAL_DATA: NextStep = {
  asked:
    /个人信息|个人数据|隐私|(?:删除|注销|清除|删掉)(?:我的|我)(?:飞书)?(?:账号|帐号|数据|记录|信息|资料)|\b(?:personal (?:data|information|details)|privacy|delete my (?:data|account|information|details|records))\b/i,
  zh: '**个人信息**：机器人只保存办理本活动所需的信息：你的飞书账号和姓名、你在班组或评审中的身份，班组长登记的班组联系电话，以及注册、申报、确认、评分和投诉的记录；投诉人留下的联系方式仅协会可见。班组成员由班组长在“班组成员”中移除，联系电话由班组长在“修改资料”中修改；查询、更正或删除其他个人信息，请联系协会（发送“联系协会”查看联系方式）。',
  en: '**Personal information**: the bot keeps only what the programme needs: your Feishu account and name, your place in a team or the review, the team phone its leader entered, and the records of registrations, applications, confirmations, scores and complaints; the contact a complainant leaves is seen by the association alone. A leader removes members under “班组成员” (team members) and changes the phone under “修改资料” (edit team); to see, correct or delete anything else, contact the association (send “联系协会”, contact).',
  alone: true,
};

/** A team withdrawing (注销, 退出): the measures say nothing of it; taking part is voluntary (第十二条), closing a record is the association's. */
const WITHDRAW: NextStep = {
  asked: /(?:注销|退出|解散)(?:本|我们的?|我的|这个)?班组|班组(?:要|想|能|可以|怎么|如何|怎样|申请)?(?:注销|退出|解散)|\b(?:withdraw|deregister|close|delete)\s+(?:our|my|the|a)\s+team\b|\b(?:leave|quit)\s+the\s+(?:programme|program|scheme)\b/i,
  zh: '**注销或退出班组**：办法中没有相关规定。班组自愿创建和申报（第十二条），某一年度不参加评选，不申报即可；如需注销班组记录，请联系协会办理。',
  en: '**Withdrawing a team**: the measures say nothing on it. Teams take part voluntarily (Article 12): a team that does not apply in a year stays out of that year’s review; to close a team’s record, ask the association.',
  alone: true,
  // a member asking to leave is told how (MEMBER_LEAVING), not how their team would withdraw
  shownTo: (asker, query) => !(MEMBER_LEAVING.shownTo!(asker, query) && MEMBER_LEAVING.asked.test(query)),
};

/** How many articles the measures have: 22, each one sent by its number. */
const ARTICLE_COUNT_STEP: NextStep = {
  asked: /(?:办法|条款|条文)[^，,。？?]{0,6}(?:多少|几)条|^(?:这个|本)?(?:一共|总共|共)有?(?:多少|几)条|\bhow many articles\b|\bnumber of articles\b/i,
  zh: '**办法共二十二条**：分八章，第一条至第二十二条；发送“条款 1”至“条款 22”查看某一条，或发送“帮助”点“查看办法条款”浏览全部章节。',
  en: '**The measures have 22 articles** in 8 chapters: send “article 1” to “article 22” to read one, or “help” and press 查看办法条款 to browse them.',
  alone: true,
};

/** How many people a team must have: the measures set no number (第二条 names no size, 第十三条's conditions none). */
const TEAM_SIZE: NextStep = {
  asked:
    /班组[^，,。？?]{0,6}(?:几|多少)个?人|(?:班组|成员)人数|人数(?:要求|限制|有没有)|(?:最少|至少|起码)要?(?:几|多少)个?人|\bhow many (?:members|people)\b.{0,30}\bteam|\bteam\b.{0,30}\bhow many (?:members|people)\b|\bminimum (?:team )?size\b/i,
  zh: '**班组人数**：办法没有规定班组的人数，申报的基本条件（第十三条）中也没有人数要求；注册时按实际填写成员人数。',
  en: '**Team size**: the measures set no number of members, nor do the conditions to apply (Article 13); registration asks for the actual number.',
};

/** A team's code sent alone (GDSZ-2025-0001): what it is for, 进度 for one's own team, 查询证书 for any team's titles and 投诉 to complain about one. */
const TEAM_CODE: NextStep = {
  asked: /^[\s"'“”‘’]*GDSZ[\s-]*\d{4}[\s-]*\d{1,6}[\s"'“”‘’。.?？!！]*$/i,
  zh: '**班组编号**：每个班组注册时得到一个编号（如 GDSZ-2025-0001）。发送“进度”查看你的班组的编号、申报和荣誉；要查看某个班组获得的称号，发送“查询证书 班组编号”；要投诉某个班组，发送“投诉 班组编号”，如“投诉 GDSZ-2025-0001”。',
  en: '**A team code** (GDSZ-2025-0001) is given to each team when it registers. Send “进度” (status) to see your team’s code, application and titles; to see the titles any team holds, send “verify certificate <team code>”; to complain about a team, send “投诉 <team code>” (complain).',
  alone: true,
  notTakingPart: true,
};

/** A certificate's number (GDSZ-ZS-2026-0001): 查询证书 checks one (a number sent alone is checked before the measures), 进度 shows one's own, a complaint may name a team by it. */
const CERTIFICATE_NUMBER: NextStep = {
  asked: /^[\s"'“”‘’]*GDSZ[\s-]*ZS[\s-]*\d{4}[\s-]*\d{1,6}[\s"'“”‘’。.?？!！]*$/i,
  zh: '**荣誉证书编号**：获得称号的班组的证书编号形如 GDSZ-ZS-2026-0001。发送“查询证书 证书编号”可查询证书是否为协会颁发、称号是否有效；发送“进度”可查看本班组的证书编号；对获得称号的班组有质量投诉，可发送“投诉 证书编号”。',
  en: '**A certificate number** (GDSZ-ZS-2026-0001): send “verify certificate <number>” (查询证书) to check whether the association issued it and its title stands; “进度” (status) shows your team’s; to complain about a titled team, send “投诉 <certificate number>” (complain).',
  alone: true,
  notTakingPart: true,
};

/** The score sheet itself: 第十八条 names it; the bot does not hand it out, the association does. */
const SCORE_SHEET: NextStep = {
  asked: /评分表[^。？?]{0,8}(?:下载|在哪|哪里|哪儿|获取|拿到|找到|发我|发给|给我|看看|查看|有吗|模板|文件)|(?:下载|获取|索取|要一份|哪里有|哪儿有)[^。？?]{0,4}评分表|\bscore ?sheet\b.{0,30}\b(?:download|where|get|find|copy)\b|\b(?:download|get|find|copy of)\b.{0,30}\bscore ?sheet\b/i,
  zh: '**评分表**：评审按《质量信得过班组建设评分表》进行（第十八条）；评分表不在这里公开下载，本年度的评分表请联系协会索取。',
  en: '**The score sheet** (Article 18 names it) is not published here: ask the Guangdong Municipal Engineering Association for this year’s.',
};

/** Becoming an expert: 第十一条's 专家队伍 is the association's to build; there is no sign-up in the bot. */
const EXPERT_POOL: NextStep = {
  // who can be an expert, can I be a reviewer, how to be one: asked in English as 谁可以当专家 is
  asked:
    /(?:加入|进入|成为|申请(?:成为|当|做)|报名|当|做|入选)(?:评审)?专家(?:库|队伍|组)?|专家(?:库|队伍)[^。？?]{0,6}(?:加入|申请|报名|怎么进|怎么入|如何进|如何入)|(?:专家|\bexperts?\b)\s*(?:要|想|可以|能|怎么|如何|怎样|在哪|去哪)?(?:加入|申请|报名)|\b(?:become|join|sign up as|apply to be|register as)\b.{0,20}\b(?:an? )?(?:expert|reviewer)s?\b|\b(?:who|how|can|could|may)\b.{0,20}\bbe\s+(?:an?\s+|one\s+of\s+the\s+)?(?:expert|reviewer)s?\b|\bexpert (?:pool|panel)\b.{0,20}\b(?:join|apply|sign up)\b/i,
  zh: '**加入专家库**：评审专家由协会从其专家队伍中选定（第十一条），不公开报名；有意参加评审的，请联系协会咨询。',
  en: '**Becoming an expert**: the association chooses its experts from its own pool (Article 11); there is no public sign-up here: ask the Guangdong Municipal Engineering Association.',
};

/**
 * Changing the team's leader: the command 更换班组长 (bot/teams/leader.ts) — the leader picks one of the team's members
 * linked to Feishu; an administrator names the team by its code; anyone else is refused and told who may.
 */
const LEADER_CHANGE: NextStep = {
  asked: /(?:换|更换|变更|修改|改)(?:一下|一个|个)?(?:新的?)?班组长|班组长(?:换|要换|想换|变|离职|调走|走了|辞职|退休|不干)|\b(?:change|replace|switch|new)\b.{0,20}\b(?:team )?leader\b|\bleader\b.{0,30}\b(?:left|leaves|leaving|quit|resign|retir|moved)/i,
  zh: '**更换班组长**：由班组长发送“更换班组长”（change leader），在本班组已关联飞书的成员中选择新班组长（新班组长须先在“班组成员”中添加）；协会管理员可发送“更换班组长 班组编号”办理。其他人请告知本班组的班组长或协会管理员办理。',
  en: '**Changing the team leader**: the leader sends “更换班组长” (change leader) and picks the new leader among the team’s members linked to Feishu (add them in 班组成员 first); an administrator sends “更换班组长 <team code>”. Anyone else: ask the team’s leader or an administrator.',
  alone: true,
  notTakingPart: true,
};

/**
 * Changing a team's details or members (修改班组名称, 主管部门 or 班组类型, 更换单位联系人, 添加班组成员): the leader's 进度 card has 修改资料 and 班组成员,
 * and both labels typed are commands (bot/teams/index.ts).
 */
const TEAM_EDIT: NextStep = {
  asked:
    /(?:修改|变更|更改|更换|改|换|添加|增加|(?<![参增])加|删除|删掉|移除|减少)(?:一下|一个|个|几个)?(?:新的?)?(?:班组|团队|我们的|我的)?(?:的)?(?:信息|名称|名字|资料|电话|联系电话|手机号?|(?:单位)?联系人|成员|组员|主管部门|类型)|(?:主管部门|班组类型).{0,6}(?:改|变|换|错|不对|更正)|^(?:班组成员|添加成员|修改资料|班组资料)$|(?:成员|组员|队员)(?:要|该|应该)?(?:怎么|如何|怎样|在哪里?|能不能|可以|能否)(?:删|删除|删掉|移除|去掉|移出|添加|增加|加)|(?:成员|组员|队员)(?:已经|已)?(?:离职|调走|调离|退休)了?|\b(?:change|edit|update|correct|rename|add|remove|delete)\b.{0,20}\b(?:team(?:’s|'s)? (?:name|details|info|information|profile|members?)|(?:organi[sz]ation )?contact(?: person)?|members?|phone(?: number)?)\b/i,
  unless: LEADER_CHANGE.asked,
  zh: '**修改班组资料**：班组长发送“进度”，在班组下点“修改资料”修改班组名称、主管部门、班组类型、联系电话、单位联系人等，点“班组成员”添加或移除成员；也可直接发送“修改资料”或“班组成员”。只有班组长可以修改；协会管理员可发送“修改资料 班组编号”或“班组成员 班组编号”更正任一班组的记录。',
  en: '**Changing the team’s details**: the leader sends “进度” (status) and presses 修改资料 (edit details: name, department, team type, phone, organisation contact) or 班组成员 (members: add or remove); or send “修改资料” / “班组成员” (edit team / team members) directly. Only the leader can change them; an administrator corrects any team’s record with “修改资料 <team code>” / “班组成员 <team code>”.',
  alone: true,
  notTakingPart: true,
};

/**
 * A team whose organisation changed (调到另一个单位, 单位合并/更名, 更换所属单位): 修改资料 does not change 所属单位, which
 * registration set and the organisation's confirmation (第十五条) and the certificate rest on; the association does.
 */
const ORGANIZATION_CHANGE: NextStep = {
  asked:
    /(?:修改|变更|更改|更换|改|换|调整)(?:一下|了)?(?:班组的?|我们的?|我的)?所属单位|(?:修改|变更|更改|更换|改|换)(?:一下|了)?(?:班组的?|我们的?|我的)?(?:单位|公司)(?!联系人|的?联系)|(?:调|转|划|并)(?:到|入|归|进)了?(?:另一个|另一家|别的|其他|其它|新的?)?(?:单位|公司)|(?:所属)?(?:单位|公司)(?:变了|变更了?|换了|改了|合并了?|重组了?|改名了?|更名了?|被合并)|\b(?:change|changed|move[sd]?|moving|transfer(?:red)?)\b.{0,30}\b(?:organi[sz]ation|company|employer)\b(?!(?:'s|’s)? contact)/i,
  zh: '**所属单位变更**：所属单位是注册时登记的，“修改资料”不能更改（单位确认推荐（第十五条）和证书都以它为准）。班组转到另一个单位、单位合并或更名的，请班组长联系协会说明情况（发送“联系协会”查看联系方式），由协会更正；已颁发的证书保留颁发时的班组名称和单位。',
  en: '**A change of organisation**: the organisation is recorded at registration and 修改资料 (edit details) cannot change it (the organisation’s confirmation and the certificate rest on it). If the team moved to another organisation, or its organisation merged or was renamed, the leader contacts the association (send “联系协会” (contact) for how) to have it corrected; a certificate already issued keeps the names it was issued with.',
  alone: true,
  notTakingPart: true,
};

/**
 * Changing or taking back an application once it is submitted (申报提交了还能改吗, 怎么撤回申报): what each state allows
 * (src/applications.ts applicationMachine's next steps); to a leader, their own applications' (`Asker.applications`).
 */
const APPLICATION_CHANGE: NextStep = {
  asked:
    /(?:修改|更改|改|撤回|取回|收回|撤销|取消|退回)(?:一下)?(?:我的|我们的?|本班组的?|已提交的?)?(?:年度)?申报|申报(?!条件|资格|时间|截止|标准|要求|办法)(?:表|材料|书|内容)?[^。？?]{0,8}(?:还能|能不能|能否|可不可以|可以|怎么|如何|怎样|要|想|能)(?:再)?(?:修改|改|撤回|取回|收回)|申报(?!条件|资格|时间|截止|标准|要求|办法)[^。？?]{0,6}(?:填错|写错|错了|有误|有错)|^(?:我|我们)?(?:想|要)?(?:怎么|如何|怎样|能不能|可以|能否|还能)?撤回(?:一下)?(?:吗|呢|啊)?[?？。!！]*$|\b(?:withdraw|recall|take back|cancel|edit|change|amend|correct|fix)\b.{0,20}\bapplication\b|\bapplication\b.{0,30}\b(?:withdraw|recall|edit|change|amend|wrong|mistake)/i,
  zh: '**修改或撤回申报**：提交前，草稿可随时修改；提交后、单位联系人确认前，班组长可发送“撤回申报”取回修改，或请单位联系人点“退回修改”；单位推荐后、协会受理前如需修改，请联系协会退回；协会受理后不能再修改。发送“进度”查看申报到了哪一步。',
  en: '**Changing or taking back an application**: a draft can be changed any time; once submitted and before the organisation contact confirms it, the leader sends “撤回申报” (take it back) to edit it, or the contact presses 退回修改 (return for changes); after the organisation recommends it and before the association accepts it, ask the association to return it; once accepted it cannot be changed. “进度” (status) shows where it is.',
  alone: true,
  notTakingPart: true,
  ownApplications: true,
};

/**
 * 取消, 撤销 or cancel alone: no question about revoking a title (第二十二条 answers 取消称号 and the like), but what may be
 * taken back: a submitted application (撤回申报, to a leader their own applications' states), a form not sent, a task.
 */
const CANCEL: NextStep = {
  asked: /^(?:取消|撤销|cancel|undo)(?:一下|吧)?[\s?？。.!！]*$/i,
  zh: '**取消或撤回**：已提交的申报，单位联系人确认前，班组长可发送“撤回申报”取回修改；填了没提交的表单不会生效，无需取消；专家不便评某份申报，在评分表上点“谢绝此任务”。称号在什么情况下被撤销，发送“条款 22”查看。',
  en: '**Cancelling or taking back**: a submitted application can be taken back by its leader with “撤回申报” (recall) until the organisation contact confirms it; a form not submitted has no effect, so there is nothing to cancel; an expert who cannot score an application presses 谢绝此任务 (decline) on its score sheet. When a title is revoked: send “article 22”.',
  alone: true,
  notTakingPart: true,
  ownApplications: true,
};

/**
 * What an application is made of (申报要什么材料, 申报表在哪里填): the form the bot opens with 申报 (its fields) and the full
 * materials as one Feishu cloud document linked in 材料链接, the organisation confirming both (第十五条).
 */
const MATERIALS: NextStep = {
  asked:
    /申报[^。？?]{0,4}(?:要|需要|需|得)?(?:准备|提交|交|带|提供)?(?:什么|哪些|啥)(?:样的)?(?:材料|资料|文件|东西)|(?:材料|资料)(?:要|需要)?(?:准备)?(?:哪些|什么)|申报表(?:在)?(?:哪里|哪儿|在哪)|\b(?:what|which)\b.{0,30}\b(?:documents?|materials?|papers?|paperwork)\b/i,
  zh: '**申报材料**：发送“申报”在机器人中填写《申报表》：成果名称、申报类别、活动起止日期、目标完成率、培训率、考试合格率、近三年质量安全环保事故、顾客确认与满意情况、QC小组活动情况、主要成果简介、特色与推广意义；完整材料（成果报告、照片、顾客确认等）放在一份飞书云文档中，把链接填入“材料链接”，并把文档设为“组织内获得链接的人可阅读”。提交后由单位联系人确认并填写推荐意见（第十五条）。',
  en: '**What an application takes**: send “申报” (apply) to fill in the 申报表 in the chat: title, category, the activity’s dates, goal completion rate, training rate, exam pass rate, accidents in the last three years, customer confirmation and satisfaction, QC group activities, a summary of results and what is special about them; put the full materials (report, photos, customer confirmations) in one Feishu cloud document, paste its link in 材料链接 (materials link) and share it as “组织内获得链接的人可阅读” (anyone in the organisation with the link can read). The organisation contact then confirms it and writes a recommendation (Article 15).',
};

const NEXT_STEPS: readonly NextStep[] = [
  MATERIALS,
  FEES,
  CONTACT,
  ARTICLE_COUNT_STEP,
  MEMBER_LEAVING,
  WITHDRAW,
  PERSONAL_DATA,
  COMPLAINT_RUN,
  COMPLAINT_STATUS,
  COMPLAINING,
  SCORE,
  RECOMMEND_SHARE,
  EXPERTS,
  AFTER_REVOCATION,
  WHEN_TO_APPLY,
  TEAM_SIZE,
  SCORING_DEADLINE,
  REVIEW_MEETING,
  {
    asked: /截止|最后一天|deadline|due date|closing date/i,
    unless: SCORING_DEADLINE.asked,
    zh: '**申报截止日期**：由协会在每年开启评审时规定。发送“进度”查看本年度的截止日期和你的班组到了哪一步；截止前发送“申报”提交。',
    en: '**The deadline** is set by the association when it opens each year’s review: send “进度” (status) to see this year’s closing date and where your team is, and “申报” (apply) to apply before it.',
    // 截止申报 (applications closed early) ends a year's applications whatever the date said
    dated: (y) =>
      y.status !== 'open' || y.today > y.applicationDeadline
        ? {
            zh: `**申报截止日期**：${y.year}年度评审的申报已于${formatDateZh(y.applicationDeadline)}截止。发送“进度”查看你的班组到了哪一步。`,
            en: `**The deadline** of the ${y.year} review was ${englishDate(y.applicationDeadline)}: applications are closed. Send “进度” (status) to see where your team is.`,
          }
        : {
            zh: `**申报截止日期**：${y.year}年度评审的申报截止日期为${formatDateZh(y.applicationDeadline)}，截止前发送“申报”提交；发送“进度”查看你的班组到了哪一步。`,
            en: `**The deadline** of the ${y.year} review is ${englishDate(y.applicationDeadline)}: send “申报” (apply) before it, and “进度” (status) to see where your team is.`,
          },
  },
  {
    asked: new RegExp(`进度|到哪一步|状态|\\bstatus\\b|\\bprogress\\b|${APPLICATION_STATUS.source}`, 'i'),
    // a complaint's progress is 我的投诉's (COMPLAINT_STATUS), not the team's
    unless: COMPLAINT_STATUS.asked,
    zh: '**查看进度**：发送“进度”查看你的班组注册、申报、评审各到了哪一步，结果公布后还可查看得分。',
    en: '**Where your team is**: send “进度” (status) to see its registration, application and review, and its score once results are published.',
    notTakingPart: true,
    first: true,
  },
  {
    // 谢绝 is the task card's button (谢绝此任务, cards/review.ts); the measures say nothing of it (第七条's 任务 is no answer)
    asked:
      /谢绝(?:这个|这项|该|此)?(?:评分|评审|打分)?(?:任务)?|(?:拒绝|推掉|退掉|放弃|不接)(?:这个|这项|该|此|一项|一个)?(?:评分|评审|打分)?任务|(?:不想|没空|没时间)评(?:这个|这项|该|此)?(?:评分|评审|打分)?(?:任务)?|评不了|不(?:想|能|方便)(?:参加)?(?:评分|打分)(?:任务)?|\b(?:decline|refuse|reject|turn down|give back|back out of|opt out of|get out of)\b.{0,30}\b(?:tasks?|assignments?|review(?:ing)?|scoring|to score)\b/i,
    zh: '**谢绝评分任务**：发送“评分”打开你的评分任务，在任务卡片上点“谢绝此任务”并写明原因，协会会改派其他专家；与申报班组或其单位存在利益关系的，选择“存在利益冲突”或点“声明利益冲突”（第十七条）。',
    en: '**To decline a task**: send “评分” (review) to open your tasks and press 谢绝此任务 (decline) on the task card with the reason; the association assigns another expert. For an interest in the team or its organisation, choose 存在利益冲突 (conflict of interest) or press 声明利益冲突 (declare a conflict).',
    alone: true,
  },
  {
    asked: /(?:怎么|如何|我要|我来|去|在哪)(?:评分|打分)|评分任务|打分任务|scor(?:e|ing) (?:an? |the )?applica|how (?:do|can|should) i (?:score|review|evaluat)|scoring task|review task/i,
    zh: '**评审专家**：发送“评分”查看分配给你的评分任务，逐项打分后提交；与申报班组或其单位存在利益关系的，请在任务卡片上谢绝该任务或点“声明利益冲突”（第十七条）。',
    en: '**Experts**: send “评分” (review) to see the applications assigned to you and score them; if you have an interest in a team or its organisation, decline the task or press 声明利益冲突 (declare a conflict of interest) on the task card.',
  },
  {
    // a tie in everyday words too (src/measures/concepts.ts: 第十七条's cues and ASKED_CONFLICT)
    asked:
      /利益冲突|回避|利益关系|同一个?单位|一个公司|同一家(?:公司|单位)|我们公司的|是我们公司|同事|亲戚|朋友|工作过|老东家|(?:以前|曾经|之前|过去|原来)[^，,。？?]{0,10}(?:待过|干过|任职|上过班)|conflict|recus|\bused to work\b|\bworked (?:for|at|with)\b|\bknow\b.{0,30}\bpersonally\b|\bfriends?\b|\brelatives?\b|\bformer (?:employer|colleague)s?\b/i,
    zh: '**利益冲突**：系统不会把专家本单位班组的申报、也不会把他担任班组长、成员或单位联系人的班组的申报分配给他；有其他利益关系的，专家可在“评分”任务卡片上谢绝该任务或点“声明利益冲突”，协会会改派其他专家（第十七条）。',
    en: '**Conflicts of interest**: an expert is never assigned a team of their own organisation, nor a team they lead, belong to or are the contact of; for any other interest, the expert declines the task or presses 声明利益冲突 (declare a conflict) on the card that “评分” (review) shows, and the association assigns another expert.',
  },
  {
    asked: /开启|分配|公布结果|发布结果|怎么公布|如何公布|\bpublish|\bassign|open (?:the )?(?:annual |year)/i,
    zh: '**协会管理员**：发送“管理”打开管理卡片，在其中开启年度评审、分配专家、公布结果。',
    en: '**Administrators**: send “管理” (admin) for the administration card: open the year’s review, assign experts, publish the results.',
    adminsOnly: true,
  },
  {
    asked: /结果|公布|评上没|results?\b|announce/i,
    zh: '**评审结果**：协会每年评审一次（第十九条），评审结束后公布结果并授予年度称号（第二十条）；公布后我会通知你，发送“进度”可查看得分和是否获得称号。',
    en: '**Results**: the association reviews once a year and then publishes the results and awards the year’s titles; you are told here when they are published, and “进度” (status) shows your score and decision.',
    // asked once the year's results are out, “公布后我会通知你” would promise what is past (bot/measures: the latest year)
    latestYear: true,
    dated: (y) =>
      y.status === 'published'
        ? {
            zh: `**评审结果**：${y.year}年度评审结果已经公布，获得称号的班组会在这里收到通知和证书（第二十条）；申报班组的班组长和单位联系人发送“进度”可查看得分和是否获得称号。协会每年评审一次（第十九条）。`,
            en: `**Results**: the results of the ${y.year} review have been published and the teams awarded the title are told and sent their certificates here; the leader and the organisation contact of a team that applied send “进度” (status) for its score and decision. The association reviews once a year.`,
          }
        : {
            zh: `**评审结果**：协会每年评审一次（第十九条），${y.year}年度评审会${y.today > y.reviewMeetingDate ? `已于${formatDateZh(y.reviewMeetingDate)}举行` : `定于${formatDateZh(y.reviewMeetingDate)}举行`}，评审结束后公布结果并授予年度称号（第二十条）；公布后会通知申报的班组，发送“进度”可查看得分和是否获得称号。`,
            en: `**Results**: the association reviews once a year; the ${y.year} review meeting ${y.today > y.reviewMeetingDate ? `was held on ${englishDate(y.reviewMeetingDate)}` : `is on ${englishDate(y.reviewMeetingDate)}`}, after which the results are published and the year’s titles awarded; teams that applied are told here, and “进度” (status) shows the score and decision.`,
          },
  },
  {
    // how long a title lasts in other words too (称号管几年, 称号到期了怎么办, how long does the title last): src/measures/concepts.ts ASKED_TITLE_LASTS
    asked:
      /有效|过期|失效|永久|终身|valid|expire|permanent|\bhow long\b.{0,30}\b(?:titles?|honou?rs?|awards?)\b.{0,12}\blast(?:s|ing)?\b(?!\s+(?:year|month|week|time|round))|\b(?:titles?|honou?rs?|awards?)\b.{0,20}\b(?:forever|for life)\b|^(?![^]*(?:撤销|取消|摘牌|撤掉|收回|吊销|被撤))[^]*(?:(?:称号|荣誉)[^，,。？?]{0,6}(?:几年|多少年|多久|多长时间|到期|期限|年限)|(?:几年|多少年|多久|多长时间)[^，,。？?]{0,4}(?:称号|荣誉))/i,
    zh: '**称号有效期**：协会授予的是年度称号（第二十条），证书写明年度；在连续出现顾客对质量不满意的投诉时可能被撤销（第二十二条）。发送“进度”可查看你的班组获得的称号。',
    en: '**How long a title lasts**: the association awards the title of a year; it may be revoked after repeated customer complaints about quality. “进度” (status) shows your team’s titles.',
  },
  {
    asked: /证书|certificate/i,
    zh: '**证书**：结果公布时，获得称号班组的证书（图片和 PDF）会发到这个聊天中，班组长和单位联系人各一份；发送“进度”可查看证书编号。证书不能通过命令重新获取，如有遗失请联系协会。要核实一份证书，发送“查询证书 证书编号”。',
    en: '**Certificates** come in this chat, as an image and a PDF, when results are published (to the team leader and the organisation contact); “进度” (status) shows the certificate number. There is no command to get one again: ask the association. To check a certificate, send “verify certificate <number>” (查询证书).',
  },
  {
    // who or what the organisation contact is, its role, and a unit's or company's contact as 单位联系人 is put in English
    asked:
      /确认申报|推荐意见|单位确认|退回修改|(?:我是|作为)单位联系人|(?:联系人|\bcontact(?: person)?\s*)(?:要|该|需要|应该)?(?:做|干)(?:什么|啥|哪些)|联系人(?:的)?职责|联系人负责什么|单位联系人(?:是谁|是什么|是啥|是指|指的是|是干什么|是做什么|有什么用|的作用)|(?:什么|谁)是(?:我们的?|本班组的?)?单位联系人|confirm (?:the |an |our )?applica|endorse|\bwhat (?:does|should|do|must) (?:an? |the |our )?(?:(?:organi[sz]ation|unit|company|employer)(?:'s|’s)? )?contact(?: person)?\b|\bcontact(?: person)?(?:'s|’s)? (?:role|job|duties|responsibilit)|\b(?:who|what)\b.{0,20}\b(?:organi[sz]ation|unit|company|employer)(?:'s|’s)? contact|\b(?:role|job|duties|duty|responsibilit\w*|tasks?) of (?:an? |the |our )?(?:(?:organi[sz]ation|unit|company|employer) )?contact(?: person)?\b/i,
    zh: '**单位联系人确认申报**：班组提交申报后，你会收到“请确认申报材料”的消息（也可发送“进度”，点“确认申报”）；在其中确认材料真实性、填写推荐意见，选择“推荐”或“退回修改”（第十五条）。',
    en: '**Organisation contacts** are asked to confirm when a team submits (or send “进度” (status) and press 确认申报): confirm the material is true, write the recommendation (推荐意见), then recommend it or send it back for changes.',
  },
  LEADER_CHANGE,
  ORGANIZATION_CHANGE,
  APPLY_AGAIN,
  TEAM_EDIT,
  APPLICATION_CHANGE,
  CANCEL,
  SCORE_SHEET,
  EXPERT_POOL,
  TEAM_CODE,
  CERTIFICATE_NUMBER,
  {
    asked: /申诉|复议|复审|不服|异议|appeal/i,
    zh: '**对结果有异议**：办法没有规定申诉程序；评审坚持公开、公平、公正（第十七条）并接受社会监督（第二十一条），请直接联系协会说明情况。',
    en: '**To appeal**: the measures set no appeal procedure; the review is open, fair and impartial and open to supervision, so contact the association directly.',
  },
];

/**
 * The lines saying what to send next for a question, in its language; none when it asks nothing they cover. A date asked
 * is stated when `year` (the running year's dates) is given.
 */
export function nextSteps(query: string, language: 'zh' | 'en' = 'zh', asker?: Asker, year?: YearDates): string[] {
  return stepsAsked(query, asker, year).map((s) => lineOf(s, language, asker, false, year));
}

/** The steps a question asks, those for administrators only when the asker is one (or unknown), a date's only when a year runs. */
const stepsAsked = (query: string, asker?: Asker, year?: YearDates) =>
  NEXT_STEPS.filter((s) => s.asked.test(query) && !s.unless?.test(query) && !(s.adminsOnly && asker && !asker.admin) && !(s.onlyDated && !year?.current) && (s.shownTo?.(asker, query) ?? true));

/**
 * The year a question names, when it names one (去年多少分能评上, 2026年的申报截止日期, last year's threshold): its dates and
 * settings are that year's, not the running year's. `thisYear` is today's year in the association's calendar; 今年 / this
 * year name no other year (the running one answers), nor does a year a team registered in (2025年注册的班组…).
 */
export function yearAsked(query: string, thisYear: number): number | undefined {
  const written = /(?<![\d-])(20\d{2})(?![\d-])(?!\s*年?\s*(?:注册|成立|registered))/.exec(query);
  if (written) return Number(written[1]);
  if (/前年|\byear before last\b/i.test(query)) return thisYear - 2;
  // 上年度 / 上一年, not 马上年底; 下一年, not 请问一下年度评审
  if (/去年|上一年|上年度|\blast year\b|\bprevious year\b/i.test(query)) return thisYear - 1;
  if (/明年|下一年|\bnext year\b/i.test(query)) return thisYear + 1;
  return undefined;
}

/** Whether a question asks a date the running year sets (申报截止日期是什么时候, 评审会什么时候开): then the year is worth reading. */
export const asksYearDates = (query: string): boolean => NEXT_STEPS.some((s) => s.dated && s.asked.test(query) && !s.unless?.test(query));

/**
 * A step's line in the language asked; the asker's own applications' states where the step is about them, the team's
 * name escaped for a card's markdown (`markdown`) or as typed for a text message.
 */
function lineOf(s: NextStep, language: 'zh' | 'en', asker?: Asker, markdown = false, year?: YearDates): string {
  // as text (a text message), our own bold goes, and only ours: a team's name keeps the ** typed in it
  const ours = (t: string) => (markdown ? t : plainLine(t));
  const dated = year && (year.current || s.latestYear) && s.dated?.(year);
  if (dated) return ours(language === 'en' ? dated.en : dated.zh);
  const own = s.ownApplications ? asker?.applications ?? [] : [];
  if (!own.length) return ours(language === 'en' ? s.en : s.zh);
  const name = (team: string) => (markdown ? md`${team}`.text : team);
  const lines = own.map((a) => `${name(a.team)} ${a.year} 年度申报：${ours(a.state)}`);
  const listed = lines.length > 1 ? `\n${lines.join('\n')}` : lines[0];
  // the states are said in Chinese only: in English, the whole line, then the team's own in Chinese
  if (language === 'en') return `${ours(s.en)}\nYours (你的申报): ${listed}`;
  const [heading] = s.zh.match(/^\*\*[^*]+\*\*/) ?? [''];
  return `${ours(heading)}：${listed}`;
}

/** One of our lines as plain text: without its bold. */
const plainLine = (t: string) => t.replace(/\*\*/g, '');

/** Whether the asker's own applications answer the question (怎么修改申报): then `Asker.applications` is worth reading. */
export const asksAboutOwnApplications = (query: string): boolean => stepsAsked(query).some((s) => s.ownApplications);

/**
 * The lines that are the whole answer to a question the measures say nothing on (fees, the association's phone or
 * address, how many articles there are), in its language: shown instead of articles that only share a common word.
 */
export function answersOutsideMeasures(query: string, language: 'zh' | 'en' = 'zh', asker?: Asker): string[] {
  return stepsAsked(query, asker).filter((s) => s.alone).map((s) => lineOf(s, language, asker));
}

/**
 * The question without what the measures say nothing on (申报需要什么条件和费用 → 申报需要什么条件和): what is left is
 * asked of the articles too, so a question with a fee in it keeps the articles that answer the rest of it.
 */
export function outsideMeasuresLeftOut(query: string): string {
  let rest = query;
  for (const s of NEXT_STEPS) if (s.alone) rest = rest.replace(new RegExp(s.asked.source, s.asked.flags.includes('g') ? s.asked.flags : `${s.asked.flags}g`), ' ');
  return rest;
}

/** The articles of taking part: creating a team, the conditions, the application, the year before it (第十二、十三、十五、十六条). */
const TAKING_PART = new Set([12, 13, 15, 16]);
const TAKING_PART_ZH = '**怎么办理**：发送“注册”登记班组（第十二条）；注册满一年后，协会开启年度评审时发送“申报”（第十六条）；发送“进度”查看你的班组到了哪一步。';
const TAKING_PART_EN = '**To take part**: send “注册” (register) to register your team; a year later, when the association opens the year’s review, send “申报” (apply); “进度” (status) shows where your team is.';
/** The same to a team's leader, who has registered: what is left is 申报 and 进度. */
const APPLYING_ZH = '**怎么申报**：班组注册满一年后（第十六条），协会开启年度评审时发送“申报”；发送“进度”查看你的班组到了哪一步。';
const APPLYING_EN = '**To apply**: a year after your team registered, when the association opens the year’s review, send “申报” (apply); “进度” (status) shows where your team is.';
/** …and to a contact or an expert, who confirm and score rather than apply: 进度 shows what is theirs. */
const OWN_PART_ZH = '**查看进度**：发送“进度”查看与你有关的申报确认或评分任务到了哪一步。';
const OWN_PART_EN = '**Where things stand**: send “进度” (status) to see the applications you confirm or the scoring assigned to you.';

type AnswerItem = Pick<RankedArticle, 'article' | 'bestLine' | 'bestSentence'> & { score?: number };

/** At most this many articles are shown; the others are named with how to open them. */
const MAX_ANSWERS = 2;
/** A second article is shown only when it scores at least this share of the first; else it is only named. */
const SECOND_ANSWER_SHARE = 0.6;

/**
 * The one or two articles that answer a question, each with the sentence that answers (and 查看全文 when
 * more of it is left out), then the other related articles by number. An English question gets each
 * article's gist in English above its Chinese text, cited as 第N条 / Article N.
 */
export function answerCard(
  query: string,
  ranked: readonly AnswerItem[],
  opts: { language?: 'zh' | 'en'; matchText?: string; asker?: Asker; year?: YearDates } = {},
): Card {
  if (!ranked.length) return notFoundCard(query);
  const english = opts.language === 'en';
  const elements: Element[] = [];
  const steps = stepsAsked(opts.matchText ?? query, opts.asker, opts.year);
  // the lines are our own fixed text and dates; a team's name in them is escaped by lineOf
  const line = (s: NextStep) => markdown(raw(lineOf(s, english ? 'en' : 'zh', opts.asker, true, opts.year)));
  // our own fixed lines that answer before the measures do (我的申报到哪一步了: 进度)
  for (const s of steps) if (s.first) elements.push(line(s));
  const first = ranked[0].score;
  const shown = ranked.slice(0, MAX_ANSWERS).filter((r, i) => i === 0 || first === undefined || (r.score ?? 0) >= first * SECOND_ANSWER_SHARE);
  shown.forEach((r, i) => {
    const { article } = r;
    if (i > 0) elements.push(hr());
    const heading = english ? md`**${article.numeral} / Article ${article.number}**` : md`**${article.numeral}**`;
    const gist = english && article.english ? md`${article.english}\n\n` : md``;
    // the excerpt is the article's own text, escaped by articleText
    elements.push(markdown(md`${heading}（${article.chapter}）\n\n${gist}${raw(excerpt(r))}`));
    if (article.text.length > EXCERPT_CHARS) elements.push(buttonRow([articleButton(article.number, english ? '查看全文 Full text' : '查看全文', opts.language)]));
  });
  const others = ranked.slice(shown.length).map((r) => r.article);
  const example = others[0]?.number ?? shown[0].article.number;
  elements.push(
    note(
      // only our own article numbers, numerals and fixed words
      raw(
        english
          ? `${others.length ? `Also related: ${others.map((a) => `Article ${a.number} (${a.numeral})`).join(', ')}. ` : ''}` +
              `The measures are in Chinese; the English lines are a summary. Send \`article ${example}\` for the whole text of an article.`
          : `${others.length ? `其他相关条款：${others.map((a) => a.numeral).join('、')}。` : ''}` +
              `以上摘自${MEASURES}，按相关程度排列。发送 \`条款 ${example}\` 查看某一条全文。`,
      ),
    ),
  );
  // a question about taking part (第五章 申报) is answered with what to send next, not only with the articles
  // but not where a line more to the point answers someone already in it (进度, 评分截止); a team's leader, who has
  // registered, is told 申报 and 进度, a contact or an expert, who confirm and score rather than apply, 进度
  if (shown.some((r) => TAKING_PART.has(r.article.number)) && !steps.some((s) => s.notTakingPart)) {
    const { leader, contact, expert } = opts.asker ?? {};
    const [zh, en] = leader ? [APPLYING_ZH, APPLYING_EN] : contact || expert ? [OWN_PART_ZH, OWN_PART_EN] : [TAKING_PART_ZH, TAKING_PART_EN];
    elements.push(markdown(raw(english ? en : zh)));
  }
  // our own fixed lines, each naming the command that does what was asked
  for (const s of steps) if (!s.first) elements.push(line(s));
  elements.push(buttonRow([browseButton(opts.language)]));
  const title = english ? 'From the measures · 办法中的相关条款' : '办法中的相关条款';
  return card({ title, subtitle: quoted(query), template: 'wathet', summary: title, elements });
}

/** The eight chapters, each with its articles as buttons; opened from an English card, they open articles with the English line. */
export function browseCard(chapters: readonly Chapter[], title = MEASURES, language?: 'zh' | 'en'): Card {
  const elements: Element[] = [];
  for (const chapter of chapters) {
    elements.push(markdown(md`**${chapter.title}**`));
    elements.push(
      chapter.articles.length
        ? buttonRow(chapter.articles.map((a) => articleButton(a.number, `${a.numeral} ${a.topic}`.trim(), language)))
        : note('本章暂无条文'),
    );
  }
  elements.push(note('点击条款查看全文；也可以直接提问，例如“注册多久才能参加评选”，或用英文提问（How often is the review held?）。'));
  return card({ title: '办法条款', subtitle: title, template: 'blue', summary: '办法条款', elements });
}

function quoted(query: string): string {
  const q = query.trim();
  return `“${clipText(q, 40)}”`;
}
