import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getArticle, parseNumeral } from '../src/measures/index.js';

/**
 * Acceptance 6 of issue 11: every refusal that names an article (第N条) cites what that article says.
 * The refusals are read from the source (cite(N, …), UserError and error toasts naming 第N条), so a new
 * one fails here until it has a row below; each row lists the words the message takes from the article,
 * and those words must be in both the message and the article. The association's own rules are
 * “协会规定” settings (src/policy.ts) and name no article.
 */

interface Refusal {
  file: string;
  line: number;
  text: string;
  articles: number[];
}

const ROOTS = ['src', 'bot', 'cards'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** The string or template literal starting at `start` (a quote), with `${…}` kept as written. */
function literalAt(source: string, start: number): string {
  return source.slice(start + 1, literalEnd(source, start));
}

/** The index of the quote closing the literal that opens at `start`. */
function literalEnd(source: string, start: number): number {
  const quote = source[start];
  let depth = 0;
  for (let i = start + 1; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (depth > 0) {
      if (c === '{') depth++;
      else if (c === '}') depth--;
      else if (c === "'" || c === '"' || c === '`') i = literalEnd(source, i);
    } else if (quote === '`' && c === '$' && source[i + 1] === '{') {
      depth = 1;
      i++;
    } else if (c === quote) return i;
  }
  throw new Error(`unterminated literal at ${start}`);
}

const ARTICLE = /第([一二三四五六七八九十]+)条/g;
const named = (text: string) => [...text.matchAll(ARTICLE)].map((m) => parseNumeral(m[1])).filter((n): n is number => n !== undefined);

function refusals(): Refusal[] {
  const out: Refusal[] = [];
  for (const file of ROOTS.flatMap(files)) {
    const source = readFileSync(file, 'utf8');
    const lineOf = (index: number) => source.slice(0, index).split('\n').length;
    // cite(16, '…') and citeClause(7, 4, '…')
    for (const m of source.matchAll(/\bcite(?:Clause)?\((\d+),\s*(?:\d+,\s*)?(?=['`])/g)) {
      const text = literalAt(source, m.index + m[0].length);
      out.push({ file, line: lineOf(m.index), text, articles: [Number(m[1]), ...named(text)] });
    }
    for (const m of source.matchAll(/new UserError\(\s*(?=['`])|type: '(?:error|warning)', content: (?=['`])/g)) {
      const text = literalAt(source, m.index + m[0].length);
      if (named(text).length) out.push({ file, line: lineOf(m.index), text, articles: named(text) });
    }
  }
  return out;
}

/** `where`: a phrase that picks the message; `says`: the words it takes from each article it names. */
const table: { where: string; says: Record<number, string[]> }[] = [
  { where: '注册满一年后方可参加评选', says: { 16: ['注册', '一年', '方可参加', '评选'] } },
  { where: '近三年须无质量、安全、环保事故', says: { 13: ['近三年', '质量、安全、环保事故'] } },
  { where: '培训率和考试合格率须达 90% 以上', says: { 7: ['培训率和考试合格率', '90%以上'] } },
  { where: '本年度评审尚未开启申报', says: { 19: ['评审交流活动每年一次'] } },
  { where: '协会形式审查已退回这份申报', says: { 15: ['确认', '填写推荐意见'] } },
  { where: '本班组本年度已有一份申报', says: { 19: ['评审交流活动每年一次'] } },
  { where: '评审每年一次', says: { 19: ['每年一次'] } },
  { where: '只有该班组登记的单位联系人可以确认和推荐申报材料', says: { 15: ['单位', '申报材料', '确认', '推荐'] } },
  { where: '只有该班组登记的单位联系人可以查看和确认这份申报', says: { 15: ['单位', '确认'] } },
  { where: '须先经所在单位确认并填写推荐意见', says: { 15: ['单位', '确认', '填写推荐意见'] } },
  // 待确认的申报 typed by someone who is nobody's contact: the list is the organisation's, which confirms and recommends
  { where: '只有班组登记的单位联系人可以查看待确认的申报', says: { 15: ['单位', '申报材料', '确认', '填写推荐意见'] } },
  // the contact is not the team itself: the organisation confirms (the leader or a member cannot)
  { where: '申报材料须由所在单位确认并填写推荐意见', says: { 15: ['申报材料', '确认', '填写推荐意见'] } },
  // 撤回申报: the leader takes it back only before the organisation has confirmed and recommended it
  { where: '单位联系人已确认推荐，申报已报协会形式审查，不能再撤回', says: { 15: ['确认', '推荐'] } },
  { where: '班组长已撤回这份申报修改', says: { 15: ['确认', '填写推荐意见'] } },
  // a contact replaced since, on the request they still hold: the organisation's new contact confirms and recommends
  { where: '你已不再是该班组的单位联系人', says: { 15: ['单位', '确认', '填写推荐意见'] } },
  { where: '撤回后不能再提交，这份申报将不参加本年度评审', says: { 15: ['确认'] } },
  { where: '没有待决定的撤销提醒', says: { 22: ['连续', '投诉', '撤销'] } },
  { where: '决定保留', says: { 22: ['连续', '投诉', '撤销'] } },
  { where: '评审工作由广东省市政行业协会负责实施', says: { 14: ['广东省市政行业协会负责实施'] } },
  // the association carries out the review: at least one of its administrators stays
  { where: '不能移除最后一位管理员', says: { 14: ['评审'] } },
  { where: '这不是你的评分任务', says: { 17: ['公开、公平和公正原则'] } },
  // 查看申报表全文 of a task no longer the expert's, or of a team they must step aside from (offPanelText)
  { where: '申报表全文不再发给你', says: { 17: ['公开、公平和公正原则'] } },
  { where: '评审设置不能再修改', says: { 17: ['公开、公平和公正原则'] } },
  { where: '重开期间只能重新提交已重开的评分', says: { 17: ['公开、公平和公正原则'] } },
  // 回避: an expert who became the team's leader, member or contact hands its application to another expert
  { where: '须回避该班组的评审', says: { 17: ['公开、公平和公正原则'] } },
  // 回避: an administrator of the team's own does not decide in its favour (不成立, 重复, 已撤回, 保留称号)
  { where: '请其他管理员处理', says: { 17: ['公开、公平和公正原则'] } },
  // 回避: an old 评分 button to a pending task its expert must step aside from
  { where: '这项任务无需你评分', says: { 17: ['公开、公平和公正原则'] } },
  // 回避: an expert moved into the organisation of a team they hold to score hands its application to another expert
  { where: '同属一个单位，须回避', says: { 17: ['公开、公平和公正原则'] } },
  { where: '不能再更换评分表', says: { 18: ['评审依据', '《质量信得过班组建设评分表》'] } },
  { where: '评分表已更新，这份评分未提交', says: { 18: ['评审依据', '《质量信得过班组建设评分表》'] } },
  { where: '低于本年度授予称号分数线', says: { 18: ['评审依据', '《质量信得过班组建设评分表》'] } },
  // not a rule: the range of the measures when an article number does not exist
  { where: '没有这一条，办法共', says: { 1: [], 22: [] } },
];

const squeeze = (s: string) => s.replace(/\s+/g, '');

describe('refusals that name an article cite what it says (issue 11, acceptance 6)', () => {
  const found = refusals();

  it('finds the refusals in the source', () => {
    expect(found.length).toBeGreaterThanOrEqual(15);
    expect(found.some((r) => r.file.endsWith('applications.ts') && r.articles.includes(16))).toBe(true);
  });

  it('has a row for every refusal, and every row is still used', () => {
    const unmatched = found.filter((r) => !table.some((row) => r.text.includes(row.where)));
    expect(unmatched.map((r) => `${r.file}:${r.line} ${r.text}`)).toEqual([]);
    const unused = table.filter((row) => !found.some((r) => r.text.includes(row.where)));
    expect(unused.map((row) => row.where)).toEqual([]);
  });

  for (const row of table) {
    it(`“${row.where}”: its words are in the message and in the article`, () => {
      const messages = found.filter((r) => r.text.includes(row.where));
      for (const r of messages) {
        expect(new Set(r.articles), `${r.file}:${r.line} names only the articles of its row`).toEqual(new Set(Object.keys(row.says).map(Number)));
        for (const [n, words] of Object.entries(row.says)) {
          const article = getArticle(Number(n));
          expect(article, `第${n}条 exists`).toBeDefined();
          for (const word of words) {
            expect(squeeze(r.text), `${r.file}:${r.line} says “${word}”`).toContain(squeeze(word));
            expect(squeeze(article!.text), `第${n}条 contains “${word}”`).toContain(squeeze(word));
          }
        }
      }
    });
  }

  it('the year after a revocation is the association’s rule, shown with its value, never 第二十二条', () => {
    const bar = found.filter((r) => /撤销.*(一年|天)内不受理/.test(r.text));
    expect(bar).toEqual([]);
    const policy = readFileSync('src/applications.ts', 'utf8');
    expect(policy).toContain('associationRule(`${revocationBarText(barDays)}');
    expect(getArticle(22)!.text).not.toMatch(/一年内|不受理/);
  });
});
