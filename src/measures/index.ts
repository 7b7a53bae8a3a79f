import { readFileSync } from 'node:fs';
import { trailingRun } from '../forms.js';
import { simplified } from '../traditional.js';
import { ARTICLE_CONCEPTS, ASKED_AS, ASKED_FOR, EN_NOT_SLIPS, EN_STOPWORDS, EN_TERMS, EN_WORDS_ASKED, ZH_MISSPELLINGS, ZH_SYNONYMS } from './concepts.js';

/**
 * A link pasted into a question (a 材料链接, a cloud document): Feishu delivers a hyperlink of a text message as
 * `[文本](地址)` (接收消息内容, 文本: https://open.feishu.cn/document/server-docs/im-v1/message/events/message_content),
 * a bare one as its address. Read as its text, or as nothing: its Latin letters are no English words (a Chinese
 * question with a link was answered in English) and no term of the measures.
 */
const LINK_WITH_TEXT = /\[([^[\]\n]*)\]\([^()\s]*\)/g;
const BARE_LINK = /(?:\b[a-z][a-z0-9+.-]*:\/\/|\bwww\.)[^\s\p{Script=Han}。、）》」]*/giu;

/** A question as the ranking reads it: full width folded (NFKC), traditional characters simplified (稱號 → 称号), links left out. */
const normalized = (text: string) => corrected(simplified(text.normalize('NFKC').replace(LINK_WITH_TEXT, ' $1 ').replace(BARE_LINK, ' ')));

/** Words of five letters or more a slip is read against: the cues', the terms' and the words asked with (concepts.ts). */
const EN_VOCABULARY: readonly string[] = [
  ...new Set(
    [...Object.values(ARTICLE_CONCEPTS).flatMap((c) => c.enCues), ...EN_TERMS.map(([english]) => english), ...EN_WORDS_ASKED]
      .flatMap((phrase) => phrase.split(' '))
      .filter((w) => w.length >= 5),
  ),
];

const KEYBOARD_ROWS = ['qwertyuiop', 'asdfghjkl', 'zxcvbnm'];
const keyAt = new Map([...KEYBOARD_ROWS.entries()].flatMap(([row, keys]) => [...keys].map((k, col) => [k, { row, col }] as const)));
/** Whether two letters are neighbours on a QWERTY keyboard, whose rows are staggered (e touches s, d, r and w). */
function neighbourKeys(a: string, b: string): boolean {
  const x = keyAt.get(a);
  const y = keyAt.get(b);
  if (!x || !y) return false;
  const down = y.row - x.row;
  const shift = y.col - x.col;
  return (down === 0 && Math.abs(shift) === 1) || (down === 1 && (shift === 0 || shift === -1)) || (down === -1 && (shift === 0 || shift === 1));
}

/**
 * Whether `typed` is `word` with one slip of the thumb inside it: a letter left out or added, two neighbours swapped
 * (memebrs), or one letter for the key beside it. Not at either end, where one letter makes another word of the same
 * stem (preview, early, typed for types), nor a letter for one not beside it (still for skill, change for charge).
 */
function oneSlip(typed: string, word: string): boolean {
  if (typed[0] !== word[0] || typed.at(-1) !== word.at(-1)) return false;
  const [long, short] = typed.length >= word.length ? [typed, word] : [word, typed];
  if (long.length - short.length > 1) return false;
  let i = 0;
  while (i < short.length && long[i] === short[i]) i++;
  if (long.length !== short.length) return long.slice(i + 1) === short.slice(i);
  if (i === long.length) return false;
  if (long.slice(i + 1) === short.slice(i + 1)) return neighbourKeys(long[i], short[i]);
  return long[i] === short[i + 1] && long[i + 1] === short[i] && long.slice(i + 2) === short.slice(i + 2);
}

/** The word of the measures' vocabulary an English word of five letters or more was meant to be, when it is one slip from exactly one. */
function meantWord(typed: string): string | undefined {
  if (typed.length < 5 || EN_STOPWORDS.has(typed) || EN_NOT_SLIPS.has(typed) || EN_VOCABULARY.some((w) => typed.startsWith(w))) return undefined;
  const near = EN_VOCABULARY.filter((w) => oneSlip(typed, w));
  return near.length === 1 ? near[0] : undefined;
}

let lastCorrected: [typed: string, meant: string] | undefined;
/**
 * A question with its common misspellings read as meant (申抱截至时间 → 申报截止时间, when is the dealine → deadline):
 * the Chinese ones of concepts.ts's short list, in a sentence of English words one a slip from exactly one word of the
 * measures'.
 */
export function corrected(text: string): string {
  if (lastCorrected?.[0] === text) return lastCorrected[1];
  let t = text;
  for (const [typed, meant] of ZH_MISSPELLINGS) t = t.replace(typed, meant);
  // dead line, dead-line: the word written apart
  t = t.replace(/\bdead[\s-]+line(s?)\b/gi, 'deadline$1');
  // a word alone (regster) is a command's slip more likely: the nearest command answers it
  if ((t.match(/[a-z]+/gi) ?? []).length > 1) t = t.replace(/[a-z]{5,}/gi, (w) => meantWord(w.toLowerCase()) ?? w);
  lastCorrected = [text, t];
  return t;
}

/** One article (条) of 广东省市政工程质量信得过班组建设管理办法（暂行）. */
export interface Article {
  number: number;
  /** 第十六条 */
  numeral: string;
  /** 第六章 评审表彰 */
  chapter: string;
  /** The article's whole text without its numeral, numbered items on their own lines. */
  text: string;
  /** A few words naming what the article is about, for buttons and lists (ours, not the measures'). */
  topic: string;
  /** The article's gist in English, the lead line of an answer to an English question (ours, not the measures'). */
  english: string;
}

export interface Chapter {
  /** 第六章 评审表彰 */
  title: string;
  articles: Article[];
}

export interface RankedArticle {
  article: Article;
  score: number;
  /** The line of the article (its lead or one numbered item) that matched best. */
  bestLine: string;
  /** The sentence of that line that answers the question. */
  bestSentence?: string;
}

export const ARTICLE_COUNT = 22;

// ours: short names for the articles, shown on browse buttons
const topics = [
  '目的与依据',
  '质量信得过班组的定义',
  '组织管理',
  '创建目标与计划',
  '活动目的',
  '活动原则',
  '活动要求',
  '提高认识，加强领导',
  '建立机制，加大投入',
  'QC小组活动',
  '培训与专家队伍',
  '自愿申请创建',
  '申报条件',
  '申报评审的实施',
  '申报表与单位推荐',
  '注册满一年方可评选',
  '评审原则',
  '评审标准',
  '每年评审一次',
  '授予荣誉与推荐',
  '接受社会监督',
  '投诉与撤销称号',
];

const digits: Record<string, number> = { 零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };
const numeralDigits = ['', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

/** 16 → 十六, 22 → 二十二 (1..99). */
export function chineseNumeral(n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > 99) throw new RangeError(`no Chinese numeral for ${n}`);
  if (n < 10) return numeralDigits[n];
  const tens = Math.floor(n / 10);
  return `${tens === 1 ? '' : numeralDigits[tens]}十${numeralDigits[n % 10]}`;
}

/** 十六 / 二十二 / 一百零一 / 两百 / 16 / １６ → the number (up to 9999); anything else → undefined. */
export function parseNumeral(s: string): number | undefined {
  const t = s.normalize('NFKC').trim();
  if (/^\d{1,4}$/.test(t)) return Number(t);
  if (!/^[零〇一二两三四五六七八九十百千]+$/.test(t)) return undefined;
  // 一千零五十, 一百一十, 一百十, 十六: each unit after its digit (十 may stand alone), units falling, 零 only between
  let total = 0;
  let digit: number | undefined;
  let lastUnit = 10_000;
  for (const ch of t) {
    const unit = ch === '千' ? 1000 : ch === '百' ? 100 : ch === '十' ? 10 : undefined;
    if (unit === undefined) {
      if (digit !== undefined) return undefined;
      if (ch === '零' || ch === '〇') {
        if (t.length === 1) return 0;
        continue;
      }
      digit = digits[ch];
      continue;
    }
    if (unit >= lastUnit || (digit === undefined && unit !== 10)) return undefined;
    total += (digit ?? 1) * unit;
    lastUnit = unit;
    digit = undefined;
  }
  if (digit !== undefined) {
    // a digit at the end counts ones, or (一百五: 150) the unit below the last one when no 零 came between
    const colloquial = lastUnit > 10 && lastUnit < 10_000 && !/[零〇]/.test(t.slice(t.lastIndexOf(lastUnit === 1000 ? '千' : '百')));
    total += digit * (colloquial ? lastUnit / 10 : 1);
  }
  return total;
}

const NUMERAL = '[0-9０-９零〇一二两三四五六七八九十百千]+';

/** A question mark or full stop after `条款 16?` is no part of the reference. */
const TRAILING_PUNCTUATION = trailingRun('[?？。.!！]');

/** Between two articles named together: 第十六条和第十七条, 第十六、十七条, article 16 and 22. */
const ZH_AND = '(?:和|与|跟|及|、|,|，)';
/**
 * 第十六条, 条款 16, article 16, article #16, art. 16 (as English abbreviates it), clause 16, section 16 anywhere in a
 * text; `and 22` after one names another (article 16 and 22), as does a number after a space (条款 15 16, not 条款 16
 * 2025年), as do 第十六、十七条 and 第十六条和十七条, as Chinese names several (the README's 第十二、十三、十五条).
 */
const REFERENCE = new RegExp(
  `第\\s*(${NUMERAL})((?:\\s*${ZH_AND}\\s*(?:第\\s*)?${NUMERAL})*)\\s*条((?:\\s*${ZH_AND}\\s*(?:第\\s*)?${NUMERAL}\\s*条)*)|(?:条款|\\b(?:articles?|clauses?|sections?)|\\bart(?![a-z])\\.?)\\s*#?\\s*(?:第\\s*)?(${NUMERAL})(?![0-9a-z])((?:\\s*(?:和|与|跟|及|、|,|，|&|and|or|vs\\.?)\\s*#?\\s*(?:${NUMERAL})(?![0-9a-z])|\\s+(?:${NUMERAL})(?![0-9a-z]|(?!条)\\p{Script=Han}))*)`,
  'giu',
);
/** What does article sixteen say: a number in English words after `article`, `art.`, `clause` or `section` (no one- or two-letter Roman numeral: article I read). */
const ENGLISH_REFERENCE = /\b(?:articles?|clauses?|sections?|art(?![a-z])\.?)\s+((?:twenty|thirty)[\s-]+[a-z]{3,9}|[a-z]{3,11})\b/gi;
/** A message that is only a number of an article: 十六条, 16条, 16, 十六. */
const BARE_REFERENCE = /^([0-9]{1,2}|[零〇一二两三四五六七八九十]{1,3})\s*条?$/;

/**
 * Every article a text points at, in order, each once: 第十六条 or 条款 16 / article 16 anywhere (请问第十六条是什么意思,
 * what does 第十六条 mean, 第十六条和第二十二条有什么区别, article 16 and 22), or a message that is only the number
 * (十六条, 16). Numbers may be out of range; the caller says so.
 */
export function articleReferences(text: string): number[] {
  const t = normalized(text).trim().replace(TRAILING_PUNCTUATION, '').trim();
  const found: number[] = [];
  const add = (numeral: string | undefined) => {
    const n = numeral === undefined ? undefined : parseNumeral(numeral);
    if (n !== undefined && !found.includes(n)) found.push(n);
  };
  const bare = BARE_REFERENCE.exec(t);
  if (bare) add(bare[1]);
  for (const m of t.matchAll(REFERENCE)) {
    add(m[1] ?? m[4]);
    for (const more of `${m[2] ?? ''} ${m[3] ?? ''} ${m[5] ?? ''}`.matchAll(new RegExp(NUMERAL, 'g'))) add(more[0]);
  }
  for (const m of t.matchAll(ENGLISH_REFERENCE)) {
    const n = englishNumber(m[1]) ?? englishNumber(m[1].split(/[\s-]/)[0]);
    if (n !== undefined) add(String(n));
  }
  return found;
}

/**
 * The article a user points at with 第十六条 or article 16 anywhere in a question, 条款十六, or a message that is
 * only its number (十六条); the first when the text names more than one. `number` may be out of range.
 */
export function parseArticleReference(text: string): { number: number } | undefined {
  const [number] = articleReferences(text);
  return number === undefined ? undefined : { number };
}

/** The argument of `条款 …`: 16, 十六, 第16条, 第十六条, and in English sixteen, sixteenth, XVI; undefined when it is no number at all. */
export function parseArticleArgument(argument: string): number | undefined {
  const t = normalized(argument).trim().replace(TRAILING_PUNCTUATION, '').replace(/^第\s*/, '').replace(/\s*条$/, '');
  return parseNumeral(t) ?? englishNumber(t);
}

const ENGLISH_UNITS = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const ENGLISH_ORDINALS = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth', 'ninth', 'tenth', 'eleventh', 'twelfth', 'thirteenth', 'fourteenth', 'fifteenth', 'sixteenth', 'seventeenth', 'eighteenth', 'nineteenth'];
const ROMAN = ['I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X'];

/** An article's number as an English reader writes it: sixteen, twenty-two, sixteenth, twenty-first, XVI (I to XXX only). */
function englishNumber(text: string): number | undefined {
  const t = text.toLowerCase().replace(/^(no\.?|number|#)\s*/, '').trim();
  if (t !== text.toLowerCase().trim()) return parseNumeral(t) ?? englishNumber(t);
  const unit = (w: string) => {
    const i = Math.max(ENGLISH_UNITS.indexOf(w), ENGLISH_ORDINALS.indexOf(w));
    return i < 0 ? undefined : i + 1;
  };
  const tens = /^(twenty|twentieth|thirty|thirtieth)(?:[\s-]+([a-z]+))?$/.exec(t);
  if (tens) {
    const base = tens[1].startsWith('twent') ? 20 : 30;
    if (!tens[2]) return base;
    const u = unit(tens[2]);
    return u !== undefined && u < 10 && !tens[1].endsWith('ieth') ? base + u : undefined;
  }
  const u = unit(t);
  if (u !== undefined) return u;
  // Roman numerals in their one canonical spelling each (ill or vv are words, not numbers)
  for (let n = 1; n <= 30; n++) {
    if (t === ('X'.repeat(Math.floor(n / 10)) + (n % 10 ? ROMAN[(n % 10) - 1] : '')).toLowerCase()) return n;
  }
  return undefined;
}

function parseMeasures(source: string): { title: string; chapters: Chapter[]; articles: Article[] } {
  const titleLines: string[] = [];
  const chapters: Chapter[] = [];
  const articles: Article[] = [];
  const lines: string[][] = [];
  for (const raw of source.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const chapter = /^第([一二三四五六七八九十]+)章\s*(.*)$/.exec(line);
    const article = /^第([一二三四五六七八九十]+)条\s*(.*)$/.exec(line);
    if (chapter) {
      chapters.push({ title: `第${chapter[1]}章 ${chapter[2].replace(/\s+/g, '')}`, articles: [] });
    } else if (article) {
      const current = chapters.at(-1);
      const number = parseNumeral(article[1]);
      if (!current || number !== articles.length + 1) throw new Error(`measures: unexpected article 第${article[1]}条`);
      const a: Article = { number, numeral: `第${article[1]}条`, chapter: current.title, text: '', topic: topics[number - 1] ?? '', english: ARTICLE_CONCEPTS[number]?.en ?? '' };
      articles.push(a);
      current.articles.push(a);
      lines.push([article[2]]);
    } else if (articles.length) {
      lines[articles.length - 1].push(line);
    } else if (!chapters.length) {
      titleLines.push(line);
    } else {
      throw new Error(`measures: text before the first article: ${line}`);
    }
  }
  articles.forEach((a, i) => (a.text = lines[i].filter(Boolean).join('\n')));
  if (articles.length !== ARTICLE_COUNT || chapters.length !== 8) {
    throw new Error(`measures: expected ${ARTICLE_COUNT} articles in 8 chapters, found ${articles.length} in ${chapters.length}`);
  }
  return { title: titleLines.join(''), chapters, articles };
}

const parsed = parseMeasures(readFileSync(new URL('./measures.zh.txt', import.meta.url), 'utf8'));

/** 广东省市政工程质量信得过班组建设管理办法（暂行） */
export const measuresTitle: string = parsed.title;
export const chapters: readonly Chapter[] = parsed.chapters;
export const articles: readonly Article[] = parsed.articles;

export function getArticle(n: number): Article | undefined {
  return Number.isInteger(n) && n >= 1 && n <= articles.length ? articles[n - 1] : undefined;
}

// --- ranking: BM25 over Chinese character bigrams and ASCII words, per passage ---
// A passage is an article's lead line or one of its numbered items, so the long articles (第七条,
// 第十三条) are not drowned by their length when a question is about one of their items.
// Meaning comes from concepts.ts: the question is first put in the measures' words (colloquial Chinese and
// English mapped to the text's terms), and each cue of an article the question carries adds CUE_WEIGHT.

const K1 = 1.2;
const B = 0.75;
/** Bigrams of an article's opening words weigh this much more (16: 质量信得过班组注册一年后). */
const OPENING_BOOST = 1.3;
const OPENING_CHARS = 16;
/** Other passages of the same article add this share of their score to the best one. */
const OTHER_PASSAGES_SHARE = 0.15;
/** A cue of the concept table (a way of asking for the article) weighs as much as this much text score. */
const CUE_WEIGHT = 3;
/** An article the question names (请问第十六条是什么意思) comes first, whatever else its words match. */
const REFERENCE_WEIGHT = 30;
/** Below this the best match is chance overlap, not an answer. */
const MIN_SCORE = 2;
/** Articles scoring under this share of the best are left out. */
const RELATIVE_CUTOFF = 0.3;

/**
 * Words so common in questions that they pick no article by themselves (需要交多少钱 is no question of 第六条's 需要,
 * 协会电话多少 none of 第二十条's 协会): they count beside another word of the measures or a cue, never alone.
 */
const GENERIC_TERMS = new Set(['需要', '多少', '协会', '办法', '通知']);

/** Bigrams across a particle say nothing about the topic (好的, 的各); 目的 is a word of 第五条. */
const PARTICLES = /[的了吗呢吧啊呀哦嘛]/;
const KEPT_WITH_PARTICLE = new Set(['目的']);

/** Bigrams of each run of Han characters, and lower-case ASCII words; punctuation separates runs. */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const run of text.normalize('NFKC').toLowerCase().match(/\p{Script=Han}+|[a-z0-9]+/gu) ?? []) {
    if (/^[a-z0-9]/.test(run)) {
      out.push(run);
      continue;
    }
    for (let i = 0; i + 1 < run.length; i++) {
      const bigram = run.slice(i, i + 2);
      if (!PARTICLES.test(bigram) || KEPT_WITH_PARTICLE.has(bigram)) out.push(bigram);
    }
  }
  return out;
}

interface Passage {
  article: Article;
  line: string;
  tf: Map<string, number>;
  length: number;
  opening: Set<string>;
}

const ITEM_NUMBER = /^\d+[.、．]\s*/;

const passages: Passage[] = articles.flatMap((article) => {
  const opening = new Set(terms(article.text.split(/[，。：；、,.:;\n]/)[0].slice(0, OPENING_CHARS)));
  return article.text.split('\n').map((line, i) => {
    const list = terms(line.replace(ITEM_NUMBER, ''));
    const tf = new Map<string, number>();
    for (const t of list) tf.set(t, (tf.get(t) ?? 0) + 1);
    return { article, line, tf, length: list.length, opening: i === 0 ? opening : new Set<string>() };
  });
});
const averageLength = passages.reduce((s, p) => s + p.length, 0) / passages.length;
const documentFrequency = new Map<string, number>();
for (const p of passages) for (const t of p.tf.keys()) documentFrequency.set(t, (documentFrequency.get(t) ?? 0) + 1);

function idf(term: string): number {
  const df = documentFrequency.get(term) ?? 0;
  return Math.log(1 + (passages.length - df + 0.5) / (df + 0.5));
}

function passageScore(p: Passage, queryTerms: string[]): number {
  let score = 0;
  for (const t of queryTerms) {
    const tf = p.tf.get(t);
    if (!tf) continue;
    const saturated = (tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * p.length) / averageLength));
    score += idf(t) * saturated * (p.opening.has(t) ? OPENING_BOOST : 1);
  }
  return score;
}

/** The programme's name (质量信得过班组, 信得过班组) as a question names it. */
const PROGRAMME_NAME = /(?:质量)?信得过班组/g;

/**
 * The programme's codes, whose letters are no English words (查询证书 GDSZ-ZS-2026-0001 is a Chinese question): a team's
 * code GDSZ-2025-0001, a certificate's number GDSZ-ZS-2026-0001, a complaint's reference TS-2027-0005, as typed.
 */
const CODES = /(?<![a-z0-9])(?:gdsz[\s-]*(?:zs[\s-]*)?|ts[\s-]*)\d{4}[\s-]*\d{1,6}(?![a-z0-9])/gi;

/**
 * English when the question is written in English words: two or more of them, with at least as many Latin
 * letters as Han characters besides a 第N条 (what does 第十六条 mean, I want to complain about 市政养护一班 — a
 * team's name is Chinese whatever language its users ask in); else Chinese, the measures' language (QC小组).
 */
export function questionLanguage(text: string): 'zh' | 'en' {
  const t = normalized(text).replace(new RegExp(`第\\s*${NUMERAL}\\s*条`, 'g'), ' ').replace(CODES, ' ');
  const words = t.match(/[a-z]{2,}/gi) ?? [];
  const hanIn = (s: string) => s.match(/\p{Script=Han}/gu)?.length ?? 0;
  const han = hanIn(t);
  const letters = words.reduce((sum, w) => sum + w.length, 0);
  // the programme's name is a name in a sentence of English words (what is a 质量信得过班组?), as a team's is
  if (words.length >= 2 && letters >= hanIn(t.replace(PROGRAMME_NAME, ' '))) return 'en';
  return han === 0 && words.length === 1 ? 'en' : 'zh';
}

/**
 * The programme's Chinese words an English question may name things by (what is a 质量信得过班组?, how do I 申报), read as
 * their English: the ranking reads an English question by its English words only, and its cues are English.
 */
const CHINESE_IN_ENGLISH: readonly (readonly [RegExp, string])[] = [
  [PROGRAMME_NAME, ' quality trustworthy team '],
  [/申报|申请/g, ' apply '],
  [/注册/g, ' register '],
  [/投诉/g, ' complain '],
  [/进度/g, ' status '],
  [/称号/g, ' title '],
  [/班组/g, ' team '],
];
const programmeWordsInEnglish = (t: string) => CHINESE_IN_ENGLISH.reduce((s, [zh, en]) => s.replace(zh, en), t);

/** A question as the ranking reads it, an English one with the programme's Chinese words in English. */
const rankingText = (query: string) => {
  const t = normalized(query);
  return questionLanguage(t) === 'en' ? programmeWordsInEnglish(t) : t;
};

const englishWords = (text: string): string[] => text.normalize('NFKC').toLowerCase().match(/[a-z0-9]+/g) ?? [];

/** Whether every word of an English cue starts a word of the question (`evaluat` covers evaluation). */
const englishCueMatches = (cue: string, words: readonly string[]) => cue.split(' ').every((w) => words.some((x) => x.startsWith(w)));

/**
 * Whether the question says `word` other than denied: 没评上 and 未评上 do not say 评上 (a team that did not win asks
 * about applying again, not about its title).
 */
const says = (text: string, word: string) => {
  for (let at = text.indexOf(word); at >= 0; at = text.indexOf(word, at + 1)) if (!/[没未]/.test(text[at - 1] ?? '')) return true;
  return false;
};

/** The question in the measures' words: colloquial Chinese and English words mapped to the terms of the text. */
export function expandQuestion(query: string): string {
  const t = rankingText(query);
  const added: string[] = [];
  for (const [colloquial, measures] of ZH_SYNONYMS) if (says(t, colloquial)) added.push(measures);
  for (const [asked, measures] of ASKED_AS) if (asked.test(t)) added.push(measures);
  const words = englishWords(t).filter((w) => !EN_STOPWORDS.has(w));
  // phrases first (training rate → 培训率), each over consecutive words, which are then taken
  const taken = new Set<number>();
  for (const [english, measures] of EN_TERMS) {
    const phrase = english.split(' ');
    if (phrase.length < 2) continue;
    for (let i = 0; i + phrase.length <= words.length; i++) {
      if (!phrase.every((p, k) => !taken.has(i + k) && words[i + k].startsWith(p))) continue;
      added.push(measures);
      for (let k = 0; k < phrase.length; k++) taken.add(i + k);
    }
  }
  words.forEach((w, i) => {
    if (taken.has(i)) return;
    for (const [english, measures] of EN_TERMS) if (!english.includes(' ') && w.startsWith(english)) added.push(measures);
  });
  // the English words themselves match nothing in the Chinese text, so only their mapping is ranked
  const han = questionLanguage(t) === 'en' ? '' : t;
  return [han, ...new Set(added)].join(' ');
}

/** How many of an article's cues the question carries, a shape of question asking for it (concepts.ts ASKED_FOR) counting as one. */
function cueScore(query: string, article: number): number {
  const t = rankingText(query).toLowerCase();
  const concepts = ARTICLE_CONCEPTS[article];
  if (!concepts) return 0;
  const words = englishWords(t);
  const shapes = ASKED_FOR.filter(([asked, n]) => n === article && asked.test(t)).length;
  return concepts.zh.filter((cue) => says(t, cue.toLowerCase())).length + concepts.enCues.filter((cue) => englishCueMatches(cue, words)).length + shapes;
}

/** The sentence of a line that shares most with the question (the line itself when it is one sentence). */
function bestSentenceOf(line: string, queryTerms: readonly string[]): string {
  const sentences = line.match(/[^。；;]+[。；;]?/g) ?? [line];
  let best = sentences[0] ?? line;
  let bestScore = 0;
  for (const s of sentences) {
    const own = new Set(terms(s));
    const score = queryTerms.reduce((sum, t) => sum + (own.has(t) ? idf(t) : 0), 0);
    if (score > bestScore) [best, bestScore] = [s, score];
  }
  return best.trim();
}

/** The articles most relevant to a question, best first; [] when nothing in the measures matches. */
export function rankArticles(query: string, limit = 3): RankedArticle[] {
  const queryTerms = [...new Set(terms(expandQuestion(query)))].filter((t) => documentFrequency.has(t));
  const cues = articles.map((a) => cueScore(query, a.number));
  const named = articleReferences(query);
  if (queryTerms.every((t) => GENERIC_TERMS.has(t)) && !cues.some((c) => c > 0) && !named.some((n) => getArticle(n))) return [];
  const perArticle = new Map<number, { line: string; score: number }[]>();
  for (const p of passages) {
    const list = perArticle.get(p.article.number) ?? [];
    list.push({ line: p.line, score: passageScore(p, queryTerms) });
    perArticle.set(p.article.number, list);
  }
  const scored = articles.map((article, i): RankedArticle => {
    const lines = (perArticle.get(article.number) ?? []).sort((a, b) => b.score - a.score);
    const rest = lines.slice(1).reduce((s, x) => s + x.score, 0);
    // with no text score the sort keeps the lead first
    const bestLine = lines[0]?.line ?? '';
    return {
      article,
      score: (lines[0]?.score ?? 0) + OTHER_PASSAGES_SHARE * rest + CUE_WEIGHT * cues[i] + (named.includes(article.number) ? REFERENCE_WEIGHT : 0),
      bestLine,
      bestSentence: bestSentenceOf(bestLine.replace(ITEM_NUMBER, ''), queryTerms),
    };
  });
  scored.sort((x, y) => y.score - x.score || x.article.number - y.article.number);
  const best = scored[0]?.score ?? 0;
  if (best < MIN_SCORE) return [];
  return scored.filter((s) => s.score > 0 && s.score >= best * RELATIVE_CUTOFF).slice(0, Math.max(0, limit));
}
