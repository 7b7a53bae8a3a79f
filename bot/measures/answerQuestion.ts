import { cutText } from '../../cards/kit.js';
import { answerCard, answersOutsideMeasures, asksAssociationContact, associationContactLines, type Asker, asksAboutOwnApplications, asksYearDates, nextSteps, outsideMeasuresLeftOut, type YearDates, yearAsked } from '../../cards/measures.js';
import { applicationChangeLine, runningApplicationsLedBy } from '../../src/applications.js';
import { cycleRules, getCycleByYear, getRunningOrLatestCycle, runningStatuses } from '../../src/cycles.js';
import type { BotRegistry, CommandDef, HandlerContext, IncomingText } from '../../src/handlers.js';
import { articleReferences, corrected, questionLanguage, rankArticles } from '../../src/measures/index.js';
import { simplified } from '../../src/traditional.js';
import { answerAssociationContact, offerNearestCommand, replyDestination, today } from '../respond.js';
import { sendArticles } from './showArticle.js';
import { smallTalkReply } from './smallTalk.js';

/** What the fee's or the office's words name (申报要交费吗: the fee of applying) is no question of its own about applying. */
const OUTSIDE_CONTEXT = /申报|评审|报名|参评|参加|\b(?:apply|applying|application|review|take part)\b/gi;

/** The articles the rest of a question asks, when the rest asks more than where the fee or the office belongs. */
function restAsked(rest: string) {
  return rankArticles(rest.replace(OUTSIDE_CONTEXT, ' ')).length ? rankArticles(rest) : [];
}

/**
 * A question is read up to this many characters: none is longer, and matching the ranking's and the references' patterns
 * takes time growing faster than the text (第1和第1和… pasted 60 000 characters long held every other event for seconds).
 */
const QUESTION_CHARS = 500;

/**
 * Who asks, as the answer differs by it: the administrators' line (管理) only to them, no 注册 line to a leader, a
 * contact or an expert, and to a leader asking how to change an application, their own applications' states (read only
 * then, and only in the p2p chat: a team's details never land in a group, as sendPrivately keeps them out).
 */
async function askerOf(ctx: HandlerContext, msg: IncomingText, matchText: string): Promise<Asker> {
  const { roles, openId } = ctx.actor;
  const asker: Asker = { admin: roles.includes('admin'), leader: roles.includes('leader'), member: roles.includes('member'), contact: roles.includes('org_contact'), expert: roles.includes('expert') };
  if (!asker.leader || msg.chatType !== 'p2p' || !asksAboutOwnApplications(matchText)) return asker;
  const own = await runningApplicationsLedBy(ctx.tx, openId);
  const day = today(ctx);
  return { ...asker, applications: own.map((a) => ({ team: a.team, year: a.year, state: applicationChangeLine(a.status, { status: a.yearStatus, applicationDeadline: a.applicationDeadline }, day) })) };
}

/**
 * The running year's dates, for a question asking one (申报截止日期是什么时候): the association set them when it opened the
 * year, and the answer states them rather than where to look. Read only for such a question: one statement more.
 */
async function yearDatesOf(ctx: HandlerContext, matchText: string): Promise<YearDates | undefined> {
  if (!asksYearDates(matchText)) return undefined;
  // 去年多少分能评上 while 2027 runs is 2026's threshold; a year the bot never ran gets the line saying who sets it
  const asked = yearAsked(matchText, Number(today(ctx).slice(0, 4)));
  // no year running: the latest one, whose results may be out (评审结果什么时候公布 once they are is told they are)
  const cycle = asked === undefined ? await getRunningOrLatestCycle(ctx.tx) : await getCycleByYear(ctx.tx, asked);
  if (!cycle) return undefined;
  const { year, status, applicationDeadline, scoringDeadline, reviewMeetingDate, awardThreshold, expertsPerApplication, recommendShare } = cycle;
  const { revocationRun } = cycleRules(cycle);
  const current = asked !== undefined || (runningStatuses as readonly string[]).includes(status);
  return { year, status, current, applicationDeadline, scoringDeadline, reviewMeetingDate, today: today(ctx), awardThreshold, expertsPerApplication, recommendShare, revocationRun };
}

/** An English question the measures do not touch: said in English, with the Chinese reply after it. */
export const NOT_IN_MEASURES_EN =
  'The measures say nothing about this. Send “article 1” to “article 22” to read an article, or “help” for the menu.\n没有在办法中找到相关内容。发送“条款 1”至“条款 22”查看条款，或发送“帮助”查看可用的命令。';

/**
 * Any text that is no command: thanks and okays get a polite line; 第十六条 / 条款十六 / “what does article 16 say”,
 * anywhere in the text, opens that article (two named, both); anything else is answered with the most relevant
 * articles and what to send next, in English when asked in English. A question no article touches but that asks
 * for a command's work (我的进度) is told that command; a button's label typed (我的班组) does what the button does, and
 * a short text the measures do not touch but close to a command (regster, 进渡) is told the command meant; empty
 * (non-text) messages and Chinese questions the measures do not touch go to `notUnderstood` (the short 发送“帮助” reply).
 */
export function answerQuestion(notUnderstood: CommandDef['run'], registry: BotRegistry): CommandDef['run'] {
  return async (ctx: HandlerContext, msg: IncomingText, argument: string): Promise<void> => {
    const text = cutText(msg.text.trim(), QUESTION_CHARS);
    if (!text) {
      await notUnderstood(ctx, msg, argument);
      return;
    }
    const to = replyDestination(ctx, msg);
    const dedupeKey = `measures:${ctx.eventId}`;
    const smallTalk = smallTalkReply(text);
    if (smallTalk) return ctx.send({ dedupeKey, to, text: smallTalk });
    if (await offerNearestCommand(registry, ctx, msg, { exactOnly: true })) return;
    const language = questionLanguage(text);
    const references = articleReferences(text);
    if (references.length) return sendArticles(ctx, msg, references, language);
    // 註冊 reads as 注册 and 截至时间 as 截止时间 for the lines saying what to send next, as for the ranking
    const matchText = corrected(simplified(text));
    // the lines come as text already (our bold left out, a team's name as typed)
    const asText = (lines: string[]) => lines.join('\n');
    // 申报要交费吗, 协会电话多少: the measures say nothing on it, and an article sharing a word with it is no answer
    const [asker, year] = await Promise.all([askerOf(ctx, msg, matchText), yearDatesOf(ctx, matchText)]);
    const outside = answersOutsideMeasures(matchText, language, asker);
    // the rest of a question with a fee or the association's phone in it (申报需要什么条件和费用) still asks the articles;
    // their card then carries the line (nextSteps)
    const ranked = outside.length ? restAsked(outsideMeasuresLeftOut(matchText)) : rankArticles(text);
    if (outside.length && !ranked.length) {
      // 协会电话是多少, how do I contact the association: what `联系协会` answers, the contact as an administrator set it
      if (!asksAssociationContact(matchText)) return ctx.send({ dedupeKey, to, text: asText(outside) });
      const others = outside.filter((line) => !associationContactLines.includes(line));
      if (others.length) await ctx.send({ dedupeKey, to, text: asText(others) });
      return answerAssociationContact(ctx, msg);
    }
    if (ranked.length) return ctx.send({ dedupeKey, to, card: answerCard(text, ranked, { language, matchText, asker, year }) });
    const steps = nextSteps(matchText, language, asker, year);
    if (steps.length) await ctx.send({ dedupeKey, to, text: asText(steps) });
    else if (await offerNearestCommand(registry, ctx, msg, { exactOnly: false })) return;
    else if (language === 'en') await ctx.send({ dedupeKey, to, text: NOT_IN_MEASURES_EN });
    else await notUnderstood(ctx, msg, argument);
  };
}
