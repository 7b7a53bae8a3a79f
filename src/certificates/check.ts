import { and, asc, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { CertificateFacts as CertificateCheck, TeamTitleFacts as TeamTitles } from '../../cards/certificates.js';
import type { Db } from '../../db/index.js';
import { certificates, cycles, honours, organizations, teams } from '../../db/schema.js';
import { findTeams, teamSought } from '../complaints.js';
import { formatDateZh, todayIn } from '../dates.js';
import { CODE_GAP, halfWidth, readCode } from '../forms.js';
import { simplified } from '../traditional.js';
import { certificateTitle } from './index.js';

/**
 * 第二十一条 (接受社会各界的监督): anyone may check a certificate's number or a team's title. Only what is public is read:
 * names, codes, the organisation, years, titles and whether each stands (第二十二条), never a person or a phone.
 */


const revokedDay = (at: Date | null, timezone: string) => (at ? formatDateZh(todayIn(timezone, at)) : undefined);

/** The certificate of this number (as readCode reads it), with whether its title still stands; undefined when none was issued. */
export async function checkCertificate(tx: Db, number: string, timezone: string): Promise<CertificateCheck | undefined> {
  const [row] = await tx
    .select({ certificate: certificates, teamCode: teams.code, teamNameNow: teams.name, revokedAt: honours.revokedAt })
    .from(certificates)
    .innerJoin(honours, eq(honours.id, certificates.honourId))
    .innerJoin(teams, eq(teams.id, certificates.teamId))
    .where(eq(certificates.number, readCode(number)));
  if (!row) return undefined;
  const c = row.certificate;
  // a title is the year's (第二十条): the years reviewed since, and the team's titles of them, say what it holds now
  const [reviewedSince, titlesSince] = await Promise.all([
    tx.select({ year: cycles.year }).from(cycles).where(and(eq(cycles.status, 'published'), gt(cycles.year, c.year))).orderBy(desc(cycles.year)).limit(1),
    tx.select({ year: honours.year, revokedAt: honours.revokedAt }).from(honours).where(and(eq(honours.teamId, c.teamId), gt(honours.year, c.year))).orderBy(desc(honours.year)),
  ]);
  const latestYear = Math.max(reviewedSince[0]?.year ?? 0, titlesSince[0]?.year ?? 0);
  return {
    ...(latestYear > c.year ? { since: { latestYear, titles: titlesSince.map((h) => ({ year: h.year, revokedOn: revokedDay(h.revokedAt, timezone) })) } } : {}),
    number: c.number,
    teamName: c.teamName,
    teamCode: row.teamCode,
    ...(row.teamNameNow !== c.teamName ? { teamNameNow: row.teamNameNow } : {}),
    organization: c.organization,
    year: c.year,
    title: c.title,
    issuedOn: formatDateZh(todayIn(timezone, c.issuedAt)),
    revokedOn: revokedDay(row.revokedAt, timezone),
  };
}

/** Teams one answer lists at most (one name shared by several organisations' teams). */
const TEAMS_SHOWN = 10;

/**
 * The teams a name, code or certificate number names exactly (as a complaint finds them), else those whose names hold
 * the words (养护一班 for 养护一班（东区）: a short name is no false claim), each with its titles.
 */
export async function titlesOfTeams(tx: Db, query: string, timezone: string): Promise<TeamTitles[]> {
  // not by a name 修改资料 renamed a team from: this answer is public, and a name a team merely had is the association's record
  const exact = await findTeams(tx, query, { partial: false, renamedFrom: false });
  // a certificate shows the name it was issued under: its team is found by it even when another team has the name now
  const issuedUnder = (await teamsIssuedUnder(tx, query)).filter((t) => !exact.some((e) => e.id === t.id));
  const named = [...exact, ...issuedUnder];
  const found = (named.length ? named : await findTeams(tx, query, { partial: true, renamedFrom: false })).slice(0, TEAMS_SHOWN);
  if (!found.length) return [];
  const rows = await tx
    .select({ teamId: honours.teamId, year: honours.year, title: honours.title, revokedAt: honours.revokedAt, issuedAs: certificates.teamName })
    .from(honours)
    .leftJoin(certificates, eq(certificates.honourId, honours.id))
    .where(inArray(honours.teamId, found.map((t) => t.id)))
    .orderBy(asc(honours.teamId), desc(honours.year));
  return found.map((t) => ({
    name: t.name,
    code: t.code,
    organization: t.organization,
    titles: rows
      .filter((h) => h.teamId === t.id)
      .map((h) => ({
        year: h.year,
        title: h.title ?? certificateTitle,
        revokedOn: revokedDay(h.revokedAt, timezone),
        ...(h.issuedAs && h.issuedAs !== t.name ? { issuedAs: h.issuedAs } : {}),
      })),
  }));
}

/** The teams a certificate was issued to under this name (as findTeams compares names), whatever they are called now. */
async function teamsIssuedUnder(tx: Db, query: string): Promise<{ id: number; name: string; code: string; organization: string }[]> {
  const q = teamSought(query)?.q;
  if (!q) return [];
  const s = simplified(q);
  return tx
    .select({ id: teams.id, name: teams.name, code: teams.code, organization: organizations.name })
    .from(teams)
    .innerJoin(organizations, eq(organizations.id, teams.organizationId))
    .where(sql`${teams.id} in (select ${certificates.teamId} from ${certificates} where organization_key(${certificates.teamName}) in (organization_key(${q}), organization_key(${s})))`)
    .orderBy(asc(teams.id));
}

/** A certificate's number anywhere in a text, however its parts are set apart (GDSZ ZS 2026 7, ＧＤＳＺ－ＺＳ－２０２６－０００７). */
const NUMBER_IN_TEXT = new RegExp(`(?<![0-9A-Za-z])GDSZ${CODE_GAP}ZS${CODE_GAP}\\d{4}${CODE_GAP}\\d{1,6}(?![0-9A-Za-z]|[-\u2010-\u2015\u2212]\\d)`, 'i');

/** Certificates one message checks at most; the numbers after them are named, to be sent again. */
export const CERTIFICATES_CHECKED_AT_ONCE = 5;

/** Every certificate number a text names, as issued, in the order written, each once. */
export function certificateNumbersIn(text: string): string[] {
  const all = new RegExp(NUMBER_IN_TEXT.source, 'gi');
  return [...new Set(Array.from(halfWidth(text).matchAll(all), (m) => readCode(m[0])))];
}

/** What follows GDSZ-ZS when a certificate's number is begun but not read: nothing, or a year without its serial. */
const NUMBER_CUT_SHORT = new RegExp(`^${CODE_GAP}(?:\\d{1,4}${CODE_GAP})?$`);

/**
 * Why a text that begins as a certificate's number (GDSZ-ZS…) is none: cut short (GDSZ-ZS-2026), or mistyped — a letter
 * for a digit (GDSZ-ZS-2026-O001), a year or serial of the wrong length — each said as it is, so the number is checked
 * against the certificate, not completed. Undefined when the text does not begin so.
 */
export function certificateNumberProblem(text: string): string | undefined {
  const swapped = swappedPrefix(halfWidth(text));
  if (swapped) return `证书编号有误：编号开头应为“GDSZ-ZS”，填写的是“${swapped}”（字母顺序颠倒）；荣誉证书编号形如 GDSZ-ZS-2026-0001，请对照证书核对后重新填写。`;
  const m = /^\s*GDSZ\s*[-\u2010-\u2015\u2212]?\s*ZS(.*)$/is.exec(halfWidth(text));
  if (!m) return undefined;
  const rest = m[1].trim();
  if (NUMBER_CUT_SHORT.test(rest)) return '证书编号不完整：荣誉证书编号形如 GDSZ-ZS-2026-0001（年度后还有序号），请对照证书填写完整。';
  const letters = /[OoIl]/.test(rest) ? '编号中 ZS 之后只有数字，字母“O”应为数字“0”，字母“I”“l”应为数字“1”；' : '';
  return `证书编号有误：荣誉证书编号形如 GDSZ-ZS-2026-0001（ZS 后是四位年度，再接序号）；${letters}请对照证书核对后重新填写。`;
}

/** Four letters and two before digits, as a certificate's number begins (GDSZ-ZS-2026…) when typed in another order. */
const PREFIX_BEFORE_DIGITS = new RegExp(`^\\s*([A-Za-z]{4})${CODE_GAP}([A-Za-z]{2})(?=${CODE_GAP}\\d)`);
const sameLetters = (typed: string, meant: string) => [...typed.toUpperCase()].sort().join('') === [...meant].sort().join('');

/** GDZS-ZS, GDSZ-SZ: a certificate's number begun with GDSZ-ZS's letters out of order, as typed (uppercase); else undefined. */
function swappedPrefix(text: string): string | undefined {
  const m = PREFIX_BEFORE_DIGITS.exec(text);
  if (!m || !sameLetters(m[1], 'GDSZ') || !sameLetters(m[2], 'ZS')) return undefined;
  const typed = `${m[1].toUpperCase()}-${m[2].toUpperCase()}`;
  return typed === 'GDSZ-ZS' ? undefined : typed;
}

/** The longest text 查询证书 reads as a team's name or code (the form's field takes as many). */
export const TEAM_QUERY_LONGEST = 60;

/** Why what follows 查询证书 is taken for no team: longer than any team's name; undefined when it is not. */
export function teamQueryProblem(typed: string): string | undefined {
  if (simplified(halfWidth(typed)).trim().length <= TEAM_QUERY_LONGEST) return undefined;
  return `填写的内容超过 ${TEAM_QUERY_LONGEST} 个字，不像班组名称：请按证书所载只填写班组全称或班组编号（形如 GDSZ-2026-0001），或荣誉证书编号（形如 GDSZ-ZS-2026-0001），不加其他文字。`;
}

/** The title as a question names it: 质量信得过班组, with 广东省 / 市政工程 before it or 称号 after it. */
const TITLE_ZH = '(?:广东省)?(?:市政工程)?(?:的)?质量信得过班组(?:的)?(?:称号|荣誉)?';
const ENDING_ZH = '(?:吗|么|嘛|呢|啊|呀|没有|没)?';
const TEAM_ASKED_ZH: readonly RegExp[] = [
  // 养护一班是质量信得过班组吗, 养护一班是不是质量信得过班组, 养护一班算质量信得过班组吗
  new RegExp(`^(.+?)(?:是不是|是否是|是否为|是否|还是|是|算不算|算)${TITLE_ZH}${ENDING_ZH}$`, 'd'),
  // 养护一班获得过质量信得过班组称号吗, 养护一班有没有评上质量信得过班组
  new RegExp(`^(.+?)(?:有没有|是否|有无)?(?:获得|获评|评上|被评为|评为|拿到|取得)(?:过|了)?${TITLE_ZH}${ENDING_ZH}$`, 'd'),
  // 养护一班的质量信得过班组称号还有效吗, 养护一班的质量信得过班组被撤销了吗
  new RegExp(`^(.+?)的${TITLE_ZH}(?:还|是否|是不是)?(?:有效|被撤销了?|撤销了?|作废了?)${ENDING_ZH}$`, 'd'),
];
// is 养护一班 a trusted team, is GDSZ-2025-0003 a quality trustworthy team
const TEAM_ASKED_EN = /^(?:is|was)\s+(.+?)\s+(?:(?:a|an|the)\s+)?(?:quality\s+)?(?:trusted|trustworthy|trust\s*worthy)(?:\s+quality)?\s+team$/di;

/** What makes the subject a kind of team or the asker's own (什么样的班组是质量信得过班组, 我们班组是…): a question for the measures. */
const NOT_A_NAME = /什么|怎样|怎么|哪|如何|谁|我|你|咱|他|她|它|这|那|本|所有|每个|一个|的(?:班组|团队|部门)$|^(?:班组|团队|部门)$|^(?:what|which|who|my|our|your|their|it|they|we|you|he|she|a|an|the|this|that|these|those|every|any)\b/i;

const QUOTES = /^[“"'‘「《【\s]+|[”"'’」》】\s]+$/g;

/** Whether what follows 查询证书 may be a team's name or code: not a question (查询证书 怎么查) nor a kind of team. */
export function mayNameTeam(typed: string): boolean {
  const t = simplified(halfWidth(typed)).trim();
  return t.length > 0 && t.length <= TEAM_QUERY_LONGEST && !NOT_A_NAME.test(t) && !/[?？]|吗$|呢$|\b(?:how|where|when|why)\b/i.test(t);
}

/**
 * The team a question asks the title of (养护一班是质量信得过班组吗, is GDSZ-2025-0003 a trusted team?), as typed, or
 * undefined for any other text and for one whose subject is no team's name (我们班组是质量信得过班组吗).
 */
export function teamAskedAbout(text: string): string | undefined {
  const typed = halfWidth(text).trim().replace(/[\s?？。.!！~～]+$/u, '');
  // 養護一班是質量信得過班組嗎 is asked as 养护一班…, one character for one: the name is taken as typed
  const t = simplified(typed);
  const asked = t.replace(/^(?:请问|问一下|想问一下|想问)[，,\s]*/, '');
  const m = TEAM_ASKED_ZH.map((re) => re.exec(asked)).find(Boolean) ?? TEAM_ASKED_EN.exec(asked);
  const span = m?.indices?.[1];
  const start = t.length - asked.length;
  const subject = span && typed.slice(start + span[0], start + span[1]).replace(QUOTES, '').trim();
  if (!subject || subject.length > 60 || NOT_A_NAME.test(simplified(subject))) return undefined;
  // 养护一班（东区）2026年是质量信得过班组吗: the year is the question's, not the name's
  return subject.replace(/\s*(?:在)?(?:19|20)\d{2}\s*年度?$/, '') || subject;
}
