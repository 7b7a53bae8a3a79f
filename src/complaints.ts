import { and, asc, desc, eq, getTableColumns, gt, gte, inArray, isNotNull, isNull, ne, notExists, type SQL, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import {
  type ComplaintSummary,
  type ComplaintTeam,
  type ComplaintView,
  complaintAlertCard,
  complaintBatchAlertCard,
  complaintCorrectedNoticeCard,
  complaintDecidedCard,
  complaintOutcomeCard,
  complaintUpheldNoticeCard,
  complaintStatusNames,
  complaintStatusText,
  revocationAlertCard,
  revocationDecidedCard,
  revocationWithdrawnCard,
  type TitleView,
  titleRevokedNoticeCard,
} from '../cards/complaints.js';
import { type Card, clipText } from '../cards/kit.js';
import type { Db } from '../db/index.js';
import { auditLog, certificates, codeSequences, complaints, honours, organizations, outbox, people, teamMembers, teams } from '../db/schema.js';
import { audit } from './audit.js';
import type { Clock } from './clock.js';
import { cycleDefaults, cycleRules, getRunningOrLatestCycle } from './cycles.js';
import { addDays, daysBetween, formatDateTimeZh, formatDateZh, todayIn } from './dates.js';
import { cite, UserError } from './errors.js';
import { adminDestinationsQuery } from './fast/sql.js';
import { CODE_GAP, defineForm, formDisplay, formSchema, halfWidth, readCode, readForm } from './forms.js';
import { adminDestinations, destinationKey } from './notifications.js';
import { organizationKey } from './organizations.js';
import { withoutContacts } from './log.js';
import { type CardRenderer, type CardSpec, cardSpecOf, type Destination, lockHeld, type OutboxRow, type OutgoingMessage, type RenderedCard, replaceHeldCard, rowsOf } from './outbox.js';
import type { Actor } from './people.js';
import { requireAdmin } from './permissions.js';
import { revocationBarDays } from './policy.js';
import { StateMachine } from './stateMachine.js';
import { simplified } from './traditional.js';

/** Complaints from customers (第二十一条) and the revocation they may lead to (第二十二条). */

export type Complaint = typeof complaints.$inferSelect;
/** A complaint as the reads below give it: with the reference of the one it repeats (重复) and its decider's name. */
export type ComplaintRead = Complaint & { repeats?: string | null; decidedByName?: string | null };
export type Honour = typeof honours.$inferSelect;
export type ComplaintStatus = 'open' | 'upheld' | 'dismissed' | 'duplicate' | 'withdrawn';
/** What an administrator may decide of an open complaint: 成立, 不成立, 重复 (of another about the same team), 已撤回 (at the complainant's request). */
export type ComplaintDecision = 'uphold' | 'dismiss' | 'duplicate' | 'withdraw';
/** Closed without a finding (重复, 已撤回): 第二十二条's run skips them as if they were not there. */
export const CLOSED_WITHOUT_FINDING: readonly string[] = ['duplicate', 'withdrawn'];
/** What a complaint service needs besides the transaction: the moment, the timezone, where admins are, the outbox. */
export interface ComplaintOptions {
  now: Date;
  timezone: string;
  bootstrapAdmins: readonly string[];
  send: (message: OutgoingMessage) => Promise<unknown>;
  /** Queues a message; whether its key was new (the revocation alert is audited once per run). */
  sendIfNew: (message: OutgoingMessage) => Promise<boolean>;
}

export const complaintMachine = new StateMachine<ComplaintStatus, ComplaintDecision>(
  'complaint',
  {
    uphold: { from: ['open'], to: 'upheld', roles: ['admin'] }, // 成立
    dismiss: { from: ['open'], to: 'dismissed', roles: ['admin'] }, // 不成立
    duplicate: { from: ['open'], to: 'duplicate', roles: ['admin'] }, // 重复
    withdraw: { from: ['open'], to: 'withdrawn', roles: ['admin'] }, // 已撤回
  },
  complaintStatusNames as Record<ComplaintStatus, string>,
);

/**
 * 投诉表 (第二十一条): each field once. The chat card, the public web page (src/web/complaintForm.ts), the
 * check both read through, the administrators' display and the test values all come from it.
 */
export const complaintForm = defineForm({
  name: 'complaint',
  title: '质量投诉',
  fields: {
    team: { kind: 'text', label: '被投诉班组', help: '班组全称或编号', maxLength: 100, placeholder: '如 GDSZ-2026-0001 或班组全称' },
    // 第二十一条's supervision holds only while the complainant is not exposed to the team: the content goes to it once
    // upheld, its phones and e-mails hidden (complaintUpheldRenderer); a name typed cannot be found, so they are told
    content: { kind: 'longText', label: '投诉内容', help: '时间、地点、工程部位、质量问题；成立后会转告被投诉班组，请勿写姓名等个人信息', maxLength: 2000, placeholder: '如：某路段人行道修补后一周即松动' },
    contact: {
      kind: 'text',
      label: '联系方式',
      help: '电话或邮箱，仅协会可见，便于协会回访',
      maxLength: 100,
      required: false,
      placeholder: '如 138×××××××× 或 name@公司邮箱',
      example: '13800000000',
      // something to call back on: a phone number (7 digits or more, words around it allowed: 13800000000 微信同号) or an
      // e-mail address; “abc” is not. One character either side of the @ and of the dot is enough to say so: `[^\s@]+@`
      // unanchored is tried from every character and reads to the end, so 100 000 of them held every event for 20 s
      pattern: {
        regex: /^(?=(?:\D*\d){7})|[^\s@]@[^\s@]+\.[^\s@]/,
        message: '请填写电话号码或电子邮箱，如 138×××××××× 或 name@公司邮箱；不便留下可不填',
      },
    },
  },
});
const complaintSchema = formSchema(complaintForm);

/** The same form once the team is known in chat (投诉 <班组> found one, or it was picked from several): the team is not asked again. */
const { team: _team, ...complaintTextFields } = complaintForm.fields;
export const complaintTextForm = defineForm({ ...complaintForm, fields: complaintTextFields });
const complaintTextSchema = formSchema(complaintTextForm);

/** The form to fill: without the team when it was picked already. */
export const complaintFormFor = (teamPicked: boolean) => (teamPicked ? complaintTextForm : complaintForm);

/** 成立 / 不成立 (第二十一条): an administrator's note on what was found. */
export const complaintDecisionForm = defineForm({
  name: 'complaintDecision',
  title: '投诉认定',
  fields: {
    note: { kind: 'longText', label: '处理意见', help: '核查情况与处理意见；将发送给在飞书中投诉的投诉人，认定成立时也发给被投诉班组', maxLength: 500, placeholder: '必填：核查了什么、如何处理' },
    duplicateOf: { kind: 'text', label: '重复的投诉编号', help: '点“重复”时填写：同一班组、同一件事的另一件投诉', maxLength: 30, required: false, placeholder: '另一件投诉的编号：TS-年份-序号' },
  },
});
const complaintDecisionSchema = formSchema(complaintDecisionForm);

/** 撤销称号 / 保留称号 (第二十二条): the reason, told to the team when the title is revoked. */
export const revocationDecisionForm = defineForm({
  name: 'revocationDecision',
  title: '撤销或保留称号',
  fields: {
    reason: { kind: 'longText', label: '决定理由', article: '第二十二条', help: '撤销时告知班组', maxLength: 500, placeholder: '必填：撤销或保留称号的理由' },
  },
});
const revocationDecisionSchema = formSchema(revocationDecisionForm);

/** The 处理意见 of 成立 / 不成立 as the decision reads it; a UserError names the field. */
export const readComplaintDecision = (values: Record<string, unknown>) => readForm(complaintDecisionForm, values, complaintDecisionSchema);

/** The 决定理由 of 撤销 / 保留 as the decision reads it; a UserError names the field. */
export const readRevocationDecision = (values: Record<string, unknown>) => readForm(revocationDecisionForm, values, revocationDecisionSchema);


// --- teams -------------------------------------------------------------------------------------

export interface ComplaintTeamRow extends ComplaintTeam {
  leaderOpenId: string;
  contactOpenId: string;
  /** The former name it was found by (findTeams), as typed: the form says the team is now named otherwise. */
  formerly?: string;
  /** Found by part of its name (findTeams, `partial`). */
  partly?: true;
}

const teamColumns = {
  id: teams.id,
  name: teams.name,
  code: teams.code,
  organization: organizations.name,
  leaderOpenId: teams.leaderOpenId,
  contactOpenId: teams.contactOpenId,
};

function teamQuery(tx: Db) {
  return tx.select(teamColumns).from(teams).innerJoin(organizations, eq(organizations.id, teams.organizationId));
}

export async function complaintTeam(tx: Db, teamId: number): Promise<ComplaintTeamRow | undefined> {
  const [row] = await teamQuery(tx).where(eq(teams.id, teamId));
  return row;
}

/** A team's code as `readCode` reads it (GDSZ-2026-0001; a few imported codes have a longer serial). */
/** A team's code as issued (GDSZ-2025-0001), as `readCode` reads one however typed. */
export const teamCodePattern = /^GDSZ-\d{4}-\d{4,}$/;
/** A certificate's number as printed on it (certificateNumber): what a customer holding it may type for the team. */
const certificateNumberPattern = /^GDSZ-ZS-\d{4}-\d{4,}$/;

type TeamSought = { code: string; certificate?: undefined; q?: undefined } | { certificate: string; code?: undefined; q?: undefined } | { q: string; code?: undefined; certificate?: undefined };

/** What may stand between 投诉 and the team: complain - 广州养护一班, 投诉：广州养护一班, Complain，广州养护一班. */
const MARKS_BEFORE_TEAM = /^[\s\-－—–~～:：,，、]+/;
/** The pairs a team's name is put in: “广州养护一班”, 《广州养护一班》, 「广州养护一班」. */
const NAME_QUOTES: readonly (readonly [string, string])[] = [
  ['“', '”'], ['"', '"'], ['＂', '＂'], ['‘', '’'], ["'", "'"], ['《', '》'], ['〈', '〉'], ['「', '」'], ['『', '』'], ['【', '】'], ['〔', '〕'],
];

/** The team as typed without the marks around it: a dash or colon before it, one pair of quotes or 《》 around the whole. */
function withoutMarks(query: string): string {
  // the sentence's end typed after the name (东莞道路养护组。, “东莞道路养护组”！) is not part of it
  const t = query.trim().replace(MARKS_BEFORE_TEAM, '').replace(/[。！？，；!?,;]+$/u, '').trimEnd();
  const pair = NAME_QUOTES.find(([open, close]) => t.length > open.length + close.length && t.startsWith(open) && t.endsWith(close));
  return (pair ? t.slice(pair[0].length, t.length - pair[1].length) : t).trim();
}

/**
 * What `findTeams` looks for in what was typed: a team code exactly (read in half width: ＧＤＳＺ－２０２６－０００１), or the
 * number of its certificate (GDSZ-ZS-2027-0001, 第二十一条: the public holds the certificate, not the code), else the
 * name as typed, spaces collapsed (a name may hold full-width brackets); each without the quotes or dash around it
 * (“广州养护一班”, - 广州养护一班); undefined when blank.
 */
export function teamSought(query: string): TeamSought | undefined {
  const q = withoutMarks(query).replace(/\s+/g, ' ');
  if (!q) return undefined;
  // the team as the bot's own cards show it, 广州市政养护三班（GDSZ-2026-0003）: the code in its brackets names it
  const shown = /^.+?[（(]\s*([^（）()]+?)\s*[）)]$/.exec(q);
  if (shown && teamCodePattern.test(readCode(shown[1]))) return { code: readCode(shown[1]) };
  const code = readCode(q);
  if (teamCodePattern.test(code)) return { code };
  if (certificateNumberPattern.test(code)) return { certificate: code };
  return { q };
}

/** The team whose certificate has this number. */
const teamOfCertificate = (tx: Db, number: string) =>
  teamQuery(tx).where(sql`${teams.id} = (select ${certificates.teamId} from ${certificates} where ${certificates.number} = ${number})`);

/**
 * Teams a complainant may mean: the code or a certificate's number exactly, else the full name, or a name it had: the
 * name a certificate was issued under (a team renamed since is the team its certificate names) or one 修改资料 renamed
 * it from (`formerly` set to it, for the form to say so); in chat (`partial`) also
 * names containing the words, at most 11, so a picker can show ten and say there are more. Names are compared as
 * teams are told apart (organization_key, migration 0007): 养护一班(东区) and 养护一班 （东区） are 养护一班（东区）.
 */
export async function findTeams(tx: Db, query: string, opts: { partial: boolean; renamedFrom?: false }): Promise<ComplaintTeamRow[]> {
  const sought = teamSought(query);
  if (!sought) return [];
  if (sought.code) return teamQuery(tx).where(eq(teams.code, sought.code));
  if (sought.certificate) return teamOfCertificate(tx, sought.certificate);
  const q = sought.q!;
  // 廣州養護一班 is 广州养护一班 (a name typed exactly as stored, traditional characters and all, is found too)
  const s = simplified(q);
  // the name as typed first: 广州养护（１）班 is that team, not another organisation's 广州养护(1)班 of the same key
  const asTyped = await teamQuery(tx)
    .where(sql`${teams.name} in (${q}, ${s})`)
    .orderBy(asc(teams.id));
  if (asTyped.length) return asTyped;
  const exact = await teamQuery(tx)
    .where(sql`organization_key(${teams.name}) in (organization_key(${q}), organization_key(${s}))`)
    .orderBy(asc(teams.id));
  if (exact.length) return exact;
  // a name it had: printed on a certificate, or renamed from by 修改资料 (team.rename's audit row, from → to; renames are few)
  const formerly = await teamQuery(tx)
    .where(
      sql`${teams.id} in (select ${certificates.teamId} from ${certificates} where organization_key(${certificates.teamName}) in (organization_key(${q}), organization_key(${s})))
        ${opts.renamedFrom === false ? sql`` : sql`or ${teams.id}::text in (select ${auditLog.entityId} from ${auditLog} where ${auditLog.action} = 'team.rename' and ${auditLog.entity} = 'team'
          and organization_key(${auditLog.details} ->> 'from') in (organization_key(${q}), organization_key(${s})))`}`,
    )
    .orderBy(asc(teams.id));
  if (formerly.length || !opts.partial) return formerly.map((t) => ({ ...t, formerly: q }));
  const partly = await teamQuery(tx)
    .where(sql`position(organization_key(${q}) in organization_key(${teams.name})) > 0 or position(organization_key(${s}) in organization_key(${teams.name})) > 0`)
    .orderBy(asc(teams.name), asc(teams.id))
    .limit(11);
  return partly.map((t) => ({ ...t, partly: true as const }));
}

/**
 * The teams a complaint's team field names (findTeams), except that the whole name of an organisation holding the title
 * (organizationNamedExactly) is that organisation rather than part of its teams' names (teams often carry their
 * company's name): none then, for its title holders to be named. A team's own name, code or former name goes first.
 * `exact` is that organisation, whatever the teams found: its query is issued beside findTeams' first (pipelined, no
 * round trip of its own), for the callers to answer with it rather than ask again.
 */
export async function complaintTeamsNamed(
  tx: Db,
  query: string,
  opts: { partial: boolean },
): Promise<{ teams: ComplaintTeamRow[]; exact?: TitledOrganization }> {
  const [found, exact] = await Promise.all([findTeams(tx, query, opts), titledOrganization(tx, query)]);
  if (found[0]?.partly && exact) return { teams: [], exact };
  return { teams: found, exact };
}

/**
 * A team's code or a certificate's number starting a text (read in half width), typed any way `readCode` reads one
 * (GDSZ 2026 0001, GDSZ20260001, GDSZ—2026—1), followed by anything but more of one: GDSZ-2026-0001，井盖松动,
 * GDSZ-2026-0001井盖松动, GDSZ 2026 0001 井盖松动, GDSZ-2026-0001。井盖松动.
 */
const CODE_AT_START = new RegExp(`^GDSZ${CODE_GAP}(?:ZS${CODE_GAP})?\\d{4}${CODE_GAP}\\d{1,6}(?![0-9A-Za-z]|[-\u2010-\u2015\u2212]\\d)`, 'i');

/**
 * The team a chat text starts with, and what follows it: `市政养护一班，路面开裂` (the name, then the complaint, as people
 * type after 投诉), or a code `GDSZ-2026-0001 井盖松动` (a code-shaped start is the team meant even when no team has
 * it). The longest full name (3 characters or more) that starts the text wins; several teams of that name give them all.
 * Undefined when the text starts with no team's name or code.
 */
export async function teamAtStart(tx: Db, text: string): Promise<{ query: string; teams: ComplaintTeamRow[]; rest: string } | undefined> {
  const t = text.trim().replace(MARKS_BEFORE_TEAM, '');
  const rest = (after: string) => after.replace(/^[\s,，、:：;；。.!！-]+/, '').trim();
  // halfWidth keeps one unit for one, so the code's length is its length as typed
  const code = CODE_AT_START.exec(halfWidth(t))?.[0] ?? '';
  const readAsCode = readCode(code);
  if (teamCodePattern.test(readAsCode)) return { query: readAsCode, teams: await teamQuery(tx).where(eq(teams.code, readAsCode)), rest: rest(t.slice(code.length)) };
  if (certificateNumberPattern.test(readAsCode)) return { query: readAsCode, teams: await teamOfCertificate(tx, readAsCode), rest: rest(t.slice(code.length)) };
  // 《广州养护一班》井盖松动, “广州养护一班”，井盖松动: the name in its quotes
  const pair = NAME_QUOTES.find(([open]) => t.startsWith(open));
  const close = pair ? t.indexOf(pair[1], pair[0].length) : -1;
  if (pair && close > pair[0].length) {
    const inQuotes = t.slice(pair[0].length, close).trim();
    const found = await findTeams(tx, inQuotes, { partial: false });
    if (found.length) return { query: inQuotes, teams: found, rest: rest(t.slice(close + pair[1].length)) };
  }
  // 廣州養護一班 is 广州养护一班, one character for one
  const s = simplified(t);
  const named = await teamQuery(tx)
    .where(
      sql`char_length(${teams.name}) >= 3 and (position(organization_key(${teams.name}) in organization_key(${t})) = 1 or position(organization_key(${teams.name}) in organization_key(${s})) = 1)`,
    )
    .orderBy(desc(sql`char_length(organization_key(${teams.name}))`), asc(teams.id))
    .limit(11);
  if (!named.length) return undefined;
  const longest = named.filter((r) => organizationKey(r.name).length === organizationKey(named[0].name).length);
  const spelled = spelledLength(t, longest[0].name) ?? spelledLength(s, longest[0].name);
  if (spelled === undefined) return undefined;
  const after = t.slice(spelled);
  // a name that goes on (广州养护一班（东区）, 养护一班2组) is another team's, not this one's followed by the complaint
  if (/^[（(【\[〔0-9０-９A-Za-z]/.test(after)) return undefined;
  return { query: longest[0].name, teams: longest, rest: rest(after) };
}

/** How much of the start of `text` spells `name` as organization_key reads it (佛山养护一班 (东区)，… spells 佛山养护一班（东区）). */
function spelledLength(text: string, name: string): number | undefined {
  const key = organizationKey(name);
  for (let i = 1; i <= text.length; i++) {
    const start = organizationKey(text.slice(0, i));
    if (start === key) return i;
    if (!key.startsWith(start)) return undefined;
  }
  return undefined;
}

/** What was typed for the team, as a message quotes it: a pasted report is cut, or the card saying so would pass 30 KB. */
const quoted = (typed: string) => clipText(typed.trim(), 40);

/** No team is called what was typed; `near`, the title holders one slip away from it (nearTeams), named in the message. */
export class TeamNotFound extends UserError {
  constructor(
    message: string,
    readonly near: readonly NearTeam[],
  ) {
    super(message, { field: 'team' });
  }
}

const HOW_TO_NAME = '请填写班组全称或编号（编号形如 GDSZ-2026-0001，可向该班组或其所在单位询问），或其荣誉证书编号（形如 GDSZ-ZS-2026-0001）';

/**
 * No team is called what was typed: the same words on the chat card, after 投诉 <班组>, and on the public page. 找不到班组…,
 * and with `near` the teams it may have been meant for: nothing is filed until the team is named exactly (in
 * chat `buttons`, the card's buttons under the message, open the form of one).
 */
export function teamNotFound(typed: string, near: readonly NearTeam[] = [], opts: { buttons?: boolean } = {}): TeamNotFound {
  const missing = `找不到班组“${quoted(typed)}”。`;
  if (!near.length) return new TeamNotFound(`${missing}${HOW_TO_NAME}。`, near);
  const names = near.map((t) => `“${t.name}”（${t.code}）`);
  const meant = names.length === 1 ? names[0] : `以下班组之一：${names.join('、')}`;
  const yes = opts.buttons ? '是的话，请点击下方的班组，或把被投诉班组改为其全称或编号后重新提交' : '是的话，请把被投诉班组改为其全称或编号后重新提交';
  return new TeamNotFound(`${missing}你要投诉的是不是${meant}？${yes}；不是的话，${HOW_TO_NAME}。`, near);
}

/** A title holder a mistyped team may have meant: its name and code, as its certificate shows them, and no one in it. */
export interface NearTeam {
  id: number;
  name: string;
  code: string;
}

/** The most teams a “did you mean” names. */
export const NEAR_TEAMS_MAX = 3;

/**
 * Whether the text `a` is one slip from `b` (the same, one character changed, left out, added, or two side by side
 * swapped: editDistance of src/nearestCommand.ts up to 1), as SQL: a team's name is compared where it is stored.
 */
function oneSlipSql(a: SQL, b: SQL): SQL {
  return sql`(case
    when char_length(${a}) = char_length(${b}) then
      (select count(*) from generate_series(1, char_length(${b})) i where substr(${a}, i, 1) <> substr(${b}, i, 1)) <= 1
      or exists (select 1 from generate_series(1, char_length(${b}) - 1) i where overlay(${b} placing substr(${b}, i + 1, 1) || substr(${b}, i, 1) from i for 2) = ${a})
    when char_length(${a}) = char_length(${b}) + 1 then exists (select 1 from generate_series(1, char_length(${a})) i where overlay(${a} placing '' from i for 1) = ${b})
    when char_length(${a}) + 1 = char_length(${b}) then exists (select 1 from generate_series(1, char_length(${b})) i where overlay(${b} placing '' from i for 1) = ${a})
    else false end)`;
}

/** A code or a certificate's number with nothing between its parts, as nearTeams compares them: gdsz20260001. */
const compactCode = (s: string) => organizationKey(s).replace(/[-\u2010-\u2015\u2212_.。]/g, '');

/**
 * The teams a name or code typed with a slip was meant for (广州市政养护三斑 for 广州市政养护三班, GDSZ-2026-0010 for
 * GDSZ-2026-0001): one character changed, left out, added or swapped, compared as teams are told apart
 * (organization_key: spaces, full and half width, letter case), a code or certificate number also without its dashes;
 * a name also against the name a certificate printed before the team was renamed (the name the public knows it by,
 * found exactly by findTeams). Only teams that hold or held the title are offered: their names and codes are public on certificates and in the
 * announced results, any other team's are not the public's to learn from a guess. One query, at most NEAR_TEAMS_MAX.
 */
export async function nearTeams(tx: Db, typed: string): Promise<NearTeam[]> {
  const sought = teamSought(typed);
  if (!sought) return [];
  const text = sought.q ?? sought.code ?? sought.certificate!;
  const name = organizationKey(simplified(text));
  const code = compactCode(text);
  // a name of four characters or more, a code of eight (a shorter one is one slip from too many)
  const byName = [...name].length >= 4 && [...name].length <= 100;
  const byCode = /^[0-9a-z]{8,24}$/.test(code);
  if (!byName && !byCode) return [];
  const nameKey = sql`organization_key(${teams.name})`;
  const rows = rowsOf(
    await tx.execute(sql`
      select ${teams.id} as id, ${teams.name} as name, ${teams.code} as code from ${teams}
      where exists (select 1 from ${honours} h where h.team_id = ${teams.id})
        and (${
          byName
            ? sql`(char_length(${nameKey}) between ${[...name].length - 1} and ${[...name].length + 1} and ${oneSlipSql(nameKey, sql`${name}::text`)})
                or ${teams.id} in (select ce.team_id from ${certificates} ce
                  where char_length(organization_key(ce.team_name)) between ${[...name].length - 1} and ${[...name].length + 1}
                    and ${oneSlipSql(sql`organization_key(ce.team_name)`, sql`${name}::text`)})`
            : sql`false`
        }
          or ${
            byCode
              ? sql`${oneSlipSql(sql`replace(organization_key(${teams.code}), '-', '')`, sql`${code}::text`)}
                or exists (select 1 from ${certificates} ce where ce.team_id = ${teams.id} and ${oneSlipSql(sql`replace(organization_key(ce.number), '-', '')`, sql`${code}::text`)})`
              : sql`false`
          })
      order by ${teams.name}, ${teams.id}
      limit ${NEAR_TEAMS_MAX}`),
  ) as { id: number; name: string; code: string }[];
  return rows.map((r) => ({ id: Number(r.id), name: r.name, code: r.code }));
}

/**
 * An organisation named where a team belongs (投诉 广州市政公司: the complainant knows the company they dealt with, not
 * its team): the organisation whose name it is (`exact`, compared as organisations are told apart, organization_key),
 * else the one organisation whose name holds it (two characters or more; several, none), and its teams that hold the
 * title now (as heldTitles reads it: an honour later than the team's latest revoked one), by name. Those are the teams
 * 第二十二条 concerns, and their names and codes are public on certificates; the organisation's other teams are not
 * offered. Only organisations holding the title are looked up, whole name or part: one holding none is undefined, as a
 * name unknown, and changes no answer (several, none), so whether it is in the register (registered teams, never won or
 * lost its title) is not told to anyone typing names on the public form.
 */
export interface OrganizationMeant {
  name: string;
  exact: boolean;
  teams: ComplaintTeamRow[];
}

/** The most of an organisation's title holders its answer names, each a button in chat (the picker's ten). */
export const ORGANIZATION_TEAMS_SHOWN = 10;

/** An organisation holding the title now: one of its teams has an honour later than that team's latest revoked one (heldTitles). */
const holdsTitle = sql`exists (select 1 from ${teams} ot join ${honours} h on h.team_id = ot.id where ot.organization_id = ${organizations.id} and h.revoked_at is null
  and not exists (select 1 from ${honours} r where r.team_id = ot.id and r.revoked_at is not null and r.year > h.year))`;

/** An organisation holding the title (its id and name). */
export interface TitledOrganization {
  id: number;
  name: string;
}

/**
 * The organisation holding the title whose name was typed (by organization_key), in one query. One holding none is
 * never found: whether it is registered is not told.
 */
export async function titledOrganization(tx: Db, typed: string): Promise<TitledOrganization | undefined> {
  const sought = teamSought(typed);
  if (!sought?.q) return undefined;
  const q = sought.q;
  const s = simplified(q);
  const [org] = await tx
    .select({ id: organizations.id, name: organizations.name })
    .from(organizations)
    .where(and(sql`${organizations.key} in (organization_key(${q}), organization_key(${s}))`, holdsTitle))
    .limit(1);
  return org;
}

/** An organisation answered with its title holders (OrganizationMeant), or undefined when it holds none (any more). */
export async function organizationTitleHolders(tx: Db, org: TitledOrganization, exact: boolean): Promise<OrganizationMeant | undefined> {
  const held = await teamQuery(tx)
    .where(
      and(
        eq(teams.organizationId, org.id),
        sql`exists (select 1 from ${honours} h where h.team_id = ${teams.id} and h.revoked_at is null
          and not exists (select 1 from ${honours} r where r.team_id = ${teams.id} and r.revoked_at is not null and r.year > h.year))`,
      ),
    )
    .orderBy(asc(teams.name), asc(teams.id));
  return held.length ? { name: org.name, exact, teams: held } : undefined;
}

/** The organisation holding the title whose whole name was typed, with its title holders (`exact`). */
export async function organizationNamedExactly(tx: Db, typed: string, known?: TitledOrganization): Promise<OrganizationMeant | undefined> {
  const org = known ?? (await titledOrganization(tx, typed));
  return org ? organizationTitleHolders(tx, org, true) : undefined;
}

/**
 * The one organisation holding the title whose name holds what was typed (two characters or more; several, none), with
 * its title holders (not `exact`). Organisations holding none are not counted: one of them
 * registered changes no answer.
 */
export async function organizationNamedPartly(tx: Db, typed: string): Promise<OrganizationMeant | undefined> {
  const sought = teamSought(typed);
  if (!sought?.q) return undefined;
  const q = sought.q;
  const s = simplified(q);
  if ([...organizationKey(s)].length < 2) return undefined;
  const partly = await tx
    .select({ id: organizations.id, name: organizations.name })
    .from(organizations)
    .where(and(sql`(position(organization_key(${q}) in ${organizations.key}) > 0 or position(organization_key(${s}) in ${organizations.key}) > 0)`, holdsTitle))
    .limit(2);
  return partly.length === 1 ? organizationTitleHolders(tx, partly[0], false) : undefined;
}

/** An organisation was typed for the team (OrganizationMeant): nothing is filed; its title holders are named to pick from. */
export class OrganizationNamed extends TeamNotFound {
  constructor(
    message: string,
    near: readonly NearTeam[],
    readonly typed: string,
    readonly organization: OrganizationMeant,
  ) {
    super(message, near);
  }
}

/**
 * What a complainant who typed an organisation is told, on the public page and on the chat form: that it is an
 * organisation, its teams holding the title by name and code (the first ORGANIZATION_TEAMS_SHOWN; in chat `buttons`
 * open their forms), and how to name a team that is not among them.
 */
export function organizationNamed(typed: string, org: OrganizationMeant, opts: { buttons?: boolean } = {}): OrganizationNamed {
  const shown = org.teams.slice(0, ORGANIZATION_TEAMS_SHOWN);
  const near = shown.map((t) => ({ id: t.id, name: t.name, code: t.code }));
  const lead = org.exact ? `“${quoted(typed)}”是单位名称，不是班组名称。` : `找不到班组“${quoted(typed)}”。`;
  const which = org.exact ? '该单位' : `与它相符的单位“${org.name}”`;
  const names = shown.map((t) => `“${t.name}”（${t.code}）`).join('、');
  const count = org.teams.length > shown.length ? `有 ${org.teams.length} 个，前 ${shown.length} 个是：` : `有 ${shown.length} 个：`;
  const pick = opts.buttons ? '请点击下方的班组，或把被投诉班组改为其中一个的全称或编号后重新提交' : '请把被投诉班组改为其中一个的全称或编号后重新提交';
  return new OrganizationNamed(`${lead}${which}获得“质量信得过班组”称号的班组${count}${names}。${pick}；要投诉的班组不在其中的，${HOW_TO_NAME}。`, near, typed, org);
}

/** The one team meant, or a UserError on the `team` field saying what to write instead (TeamNotFound: and the teams it may mean). */
export async function resolveComplaintTeam(tx: Db, query: string, opts: { partial: boolean }): Promise<ComplaintTeamRow> {
  const { teams: found, exact } = await complaintTeamsNamed(tx, query, opts);
  const q = query.trim();
  if (!found.length) {
    // an organisation's name: its title holders; a name one slip from a title holder's goes before part of an organisation's
    const named = exact && (await organizationNamedExactly(tx, q, exact));
    if (named) throw organizationNamed(q, named);
    const near = await nearTeams(tx, q);
    const org = near.length ? undefined : await organizationNamedPartly(tx, q);
    if (org) throw organizationNamed(q, org);
    throw teamNotFound(q, near);
  }
  if (found.length > 1) {
    const list = found.slice(0, 10).map((t) => `${t.name}（${t.organization}，${t.code}）`).join('、');
    throw new UserError(`有 ${found.length > 10 ? '10 个以上' : `${found.length} 个`}班组与“${quoted(q)}”相符：${list}。请填写班组编号。`, { field: 'team' });
  }
  return found[0];
}

// --- views -------------------------------------------------------------------------------------

/** A complaint as the lists show it: the received date as people read it (2026年12月1日). */
export function complaintSummary(c: ComplaintRead, team: ComplaintTeam, timezone: string): ComplaintSummary {
  return {
    id: c.id,
    reference: c.reference,
    content: c.content,
    contentInGroup: withoutContacts(c.content),
    contact: c.contact,
    channel: c.channel,
    status: c.status,
    note: c.note,
    ...(c.repeats ? { repeats: c.repeats } : {}),
    ...(c.status !== 'open' && c.decidedAt ? { decidedMs: c.decidedAt.getTime() } : {}),
    ...(c.status !== 'open' && c.decidedAt ? { decided: { by: c.decidedByName ?? '管理员', at: formatDateTimeZh(c.decidedAt, timezone) } } : {}),
    receivedOn: formatDateZh(todayIn(timezone, c.createdAt)),
    team: { id: team.id, name: team.name, code: team.code, organization: team.organization },
  };
}

/** A summary with what the complaint's own card shows: the complaint and the decision as their descriptors display them, and the decision's form. */
export function complaintViewOf(summary: Omit<ComplaintSummary, 'contentInGroup'> & { contentInGroup?: string }): ComplaintView {
  const s: ComplaintSummary = { ...summary, contentInGroup: summary.contentInGroup ?? withoutContacts(summary.content) };
  return {
    ...s,
    display: formDisplay(complaintForm, { team: `${s.team.name}（${s.team.code}）`, content: s.content, contact: s.contact }),
    decision: formDisplay(complaintDecisionForm, { note: s.note }).filter((r) => r.key === 'note'),
    decisionForm: complaintDecisionForm,
  };
}

export function complaintView(c: ComplaintRead, team: ComplaintTeam, timezone: string): ComplaintView {
  return complaintViewOf(complaintSummary(c, team, timezone));
}

/** A complaint's columns, the reference of the complaint it repeats (重复) and the name of the administrator who decided it. */
const complaintColumns = {
  ...getTableColumns(complaints),
  repeats: sql<string | null>`(select d.reference from complaints d where d.id = ${complaints.duplicateOf})`.as('repeats'),
  decidedByName: sql<string | null>`(select p.name from ${people} p where p.open_id = ${complaints.decidedBy})`.as('decided_by_name'),
};

/** A complaint with its team; `lock` takes the complaint's row lock in the same read. */
export async function getComplaint(tx: Db, complaintId: number, opts: { lock?: boolean } = {}) {
  const q = tx
    .select({ complaint: complaintColumns, team: teamColumns })
    .from(complaints)
    .innerJoin(teams, eq(teams.id, complaints.teamId))
    .innerJoin(organizations, eq(organizations.id, teams.organizationId))
    .where(eq(complaints.id, complaintId));
  const [row] = opts.lock ? await q.for('update', { of: complaints }) : await q;
  return row;
}

/** A complaint's reference as typed (ts-2026-5, ＴＳ－２０２６－０００５): TS-<year>-<serial>, or undefined when the text is none. */
export function readComplaintReference(typed: string): string | undefined {
  const m = /^TS[-－—–\s]*(\d{4})[-－—–\s]*(\d{1,6})$/.exec(halfWidth(typed).trim().replace(/[。.？?！!]+$/, '').toUpperCase());
  return m ? complaintReference(Number(m[1]), Number(m[2])) : undefined;
}

/**
 * The one complaint reference a message asks about (`TS-2027-0005 处理了吗`, `我的投诉 ts-2027-5 有结果了吗`, `撤回投诉
 * TS-2027-0005`), read as `readComplaintReference` reads one alone; undefined when there is none, or several.
 */
export function complaintReferenceIn(typed: string): string | undefined {
  const found = new Set<string>();
  for (const m of halfWidth(typed).matchAll(/(?<![0-9A-Za-z])TS[-－—–\s]*(\d{4})[-－—–\s]*(\d{1,6})(?![0-9A-Za-z])/gi)) found.add(complaintReference(Number(m[1]), Number(m[2])));
  return found.size === 1 ? [...found][0] : undefined;
}

/** Words asking to take a complaint back (撤回投诉 TS-2027-0005, cancel my complaint): a complaint filed cannot be. */
export const asksToWithdraw = (typed: string) => /撤回|撤销|撤诉|取消|收回|不投诉了|不想投诉|\b(?:withdraw|cancel|retract)/i.test(simplified(halfWidth(typed)));

/** A complaint by its reference (TS-2026-0005), with its team, as `getComplaint` reads it by id. */
export async function complaintByReference(tx: Db, reference: string) {
  const [row] = await tx
    .select({ complaint: complaintColumns, team: teamColumns })
    .from(complaints)
    .innerJoin(teams, eq(teams.id, complaints.teamId))
    .innerJoin(organizations, eq(organizations.id, teams.organizationId))
    .where(eq(complaints.reference, reference));
  return row;
}

/**
 * The complaints one person filed in chat (我的投诉), newest first, with their teams: the first `limit`, and how many
 * there are in all. A web complaint has no complainant in the tenant, so it is never among them.
 */
export async function complaintsOfComplainant(tx: Db, openId: string, limit: number) {
  // issued together: one round trip
  const [rows, [count]] = await Promise.all([
    tx
      .select({ complaint: complaintColumns, team: teamColumns })
      .from(complaints)
      .innerJoin(teams, eq(teams.id, complaints.teamId))
      .innerJoin(organizations, eq(organizations.id, teams.organizationId))
      .where(eq(complaints.complainantOpenId, openId))
      .orderBy(desc(complaints.createdAt), desc(complaints.id))
      .limit(limit),
    tx.select({ n: sql<number>`count(*)::int` }).from(complaints).where(eq(complaints.complainantOpenId, openId)),
  ]);
  return { rows, total: Number(count?.n ?? 0) };
}

/** Open complaints, oldest first, with their teams: all of them, or `limit` after the first `offset`. */
export async function openComplaints(tx: Db, opts: { before?: Date; limit?: number; offset?: number } = {}) {
  let q = tx
    .select({ complaint: complaints, team: teamColumns })
    .from(complaints)
    .innerJoin(teams, eq(teams.id, complaints.teamId))
    .innerJoin(organizations, eq(organizations.id, teams.organizationId))
    .where(and(eq(complaints.status, 'open'), opts.before ? sql`${complaints.createdAt} < ${opts.before.toISOString()}::timestamptz` : undefined))
    .orderBy(asc(complaints.createdAt), asc(complaints.id))
    .$dynamic();
  if (opts.limit !== undefined) q = q.limit(opts.limit);
  if (opts.offset) q = q.offset(opts.offset);
  return q;
}

/** Every open complaint's id and time received, oldest first: what is counted without reading what was complained of. */
export async function openComplaintTimes(tx: Db): Promise<{ id: number; createdAt: Date }[]> {
  return tx.select({ id: complaints.id, createdAt: complaints.createdAt }).from(complaints).where(eq(complaints.status, 'open')).orderBy(asc(complaints.createdAt), asc(complaints.id));
}

export async function countOpenComplaints(tx: Db): Promise<number> {
  const [row] = await tx.select({ n: sql<number>`count(*)::int` }).from(complaints).where(eq(complaints.status, 'open'));
  return Number(row?.n ?? 0);
}

/** Whole days a complaint has been open, by the calendar of the bot's timezone. */
export function daysOpen(c: Pick<Complaint, 'createdAt'>, now: Date, timezone: string): number {
  return daysBetween(todayIn(timezone, c.createdAt), todayIn(timezone, now));
}

// --- intake ------------------------------------------------------------------------------------

/** Next TS-<year>-<serial>: one atomic upsert, so concurrent complaints never share a number. */
export async function nextComplaintReference(tx: Db, year: number): Promise<string> {
  const [row] = await tx
    .insert(codeSequences)
    .values({ scope: `complaint:${year}`, last: 1 })
    .onConflictDoUpdate({ target: codeSequences.scope, set: { last: sql`${codeSequences.last} + 1` } })
    .returning({ last: codeSequences.last });
  return complaintReference(year, row.last);
}

export interface ComplaintIntake {
  /** The team's name or code as typed; ignored when `teamId` is given (picked in chat). */
  team?: unknown;
  teamId?: number;
  content?: unknown;
  contact?: unknown;
  channel: 'chat' | 'web';
  complainantOpenId?: string;
  /** Names the chat form it came from, kept in the audit row so a second submit of that form is recognised. */
  formKey?: string;
  /**
   * Run once the complaint is known to be a new one, before it is stored (the public form's rate limits): a repeat of
   * one already received is answered as such (ComplaintRepeated) whatever the sender's allowance says.
   */
  admit?: () => Promise<void>;
}

/**
 * The complaint this complainant already sent from a chat form (a second click changes nothing; a
 * forwarded form is another's). Taken under a lock on the form, so a second submit waits for the first.
 */
export async function complaintFromForm(tx: Db, formKey: string, complainantOpenId: string): Promise<{ id: number; reference: string; teamId: number } | undefined> {
  // awaited first: issued together, the select (a query builder) reached the server before this raw execute's lock
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`complaint:form:${formKey}`}, 0))`);
  const [row] = await tx
    .select({ id: complaints.id, reference: complaints.reference, teamId: complaints.teamId })
    .from(auditLog)
    .innerJoin(complaints, sql`${complaints.id}::text = ${auditLog.entityId}`)
    .where(sql`${auditLog.action} = 'complaint.create' and ${auditLog.details}->>'formKey' = ${formKey} and ${complaints.complainantOpenId} = ${complainantOpenId}`)
    .limit(1);
  return row;
}

/**
 * What was typed, read as the form the complainant filled: without the team when it was picked (`teamId`), else
 * with it. A UserError names the field; nothing is read from the database.
 */
export function readComplaintIntake(input: Pick<ComplaintIntake, 'team' | 'teamId' | 'content' | 'contact'>): { team?: string; content: string; contact?: string } {
  const typed = { team: input.team, content: input.content, contact: input.contact };
  return input.teamId !== undefined ? readForm(complaintTextForm, typed, complaintTextSchema) : readForm(complaintForm, typed, complaintSchema);
}

/** The year of a complaint's reference (TS-<year>-<serial>): today's, in the bot's timezone. */
export const complaintYear = (opts: Pick<ComplaintOptions, 'now' | 'timezone'>) => Number(todayIn(opts.timezone, opts.now).slice(0, 4));

/** The serial of a reference as `nextComplaintReference` writes it: four digits at least. */
export const complaintReference = (year: number, serial: number) => `TS-${year}-${String(serial).padStart(4, '0')}`;

/**
 * Stores a complaint with its reference number and alerts the admin group(s) (第二十一条): at once, except a
 * web complaint within a minute of the last web alert, or a chat complaint within a minute of its complainant's last
 * alert, which waits for that minute's batch card (`batchAlert`).
 * Bad input or an unknown team is a UserError naming the field; nothing is stored then.
 */
export async function createComplaint(tx: Db, input: ComplaintIntake, opts: ComplaintOptions): Promise<{ complaint: Complaint; team: ComplaintTeamRow }> {
  let team: ComplaintTeamRow;
  let values: { content: string; contact?: string };
  let reference: string | undefined;
  const year = complaintYear(opts);
  // a chat complaint's before anything else: the one-statement 投诉 takes it before the reference too
  if (input.channel === 'chat') await lockAlerts(tx, input);
  if (input.teamId !== undefined) {
    values = readComplaintIntake(input);
    // picked in chat, so no web-alert lock to take first: team and reference in one round trip (a refusal rolls it back)
    const [picked, drawn] = await Promise.all([complaintTeam(tx, input.teamId), input.channel === 'web' ? undefined : nextComplaintReference(tx, year)]);
    if (!picked) throw new UserError('找不到该班组，请重新发送“投诉”。', { field: 'team' });
    team = picked;
    reference = drawn;
  } else {
    const parsed = readComplaintIntake(input) as { team: string; content: string; contact?: string };
    team = await resolveComplaintTeam(tx, parsed.team, { partial: input.channel === 'chat' });
    values = parsed;
  }
  if (input.channel === 'web') {
    await lockAlerts(tx, input);
    // under the public form's lock: of two identical posts at once, the second sees the first
    const first = await webRepeatOf(tx, team, values, opts.now);
    if (first) throw new ComplaintRepeated(first);
  } else if (input.complainantOpenId) {
    // under the complainant's lock (taken first): a second form with the same words about the same team
    const first = await chatRepeatOf(tx, team, values, input.complainantOpenId, opts.now);
    if (first) throw new ComplaintRepeated(first);
  }
  await input.admit?.();
  reference ??= await nextComplaintReference(tx, year);
  const [complaint] = await tx
    .insert(complaints)
    .values({
      reference,
      teamId: team.id,
      content: values.content,
      contact: values.contact ?? null,
      channel: input.channel,
      complainantOpenId: input.complainantOpenId ?? null,
      status: 'open',
      createdAt: opts.now,
    })
    .returning();
  await audit(tx, {
    actor: input.complainantOpenId ?? `public:${input.channel}`,
    action: 'complaint.create',
    entity: 'complaint',
    entityId: complaint.id,
    details: { reference, teamId: team.id, channel: input.channel, ...(input.formKey ? { formKey: input.formKey } : {}) },
    at: opts.now,
  });
  for (const to of await adminDestinations(tx, opts.bootstrapAdmins)) {
    if (await batchAlert(tx, complaint, to, opts)) continue;
    await opts.send(complaintAlertMessage(complaint.id, to));
  }
  return { complaint, team };
}

/** How long an identical public complaint is the same one sent again (a retry, a second program, another tab), not another. */
export const REPEAT_WINDOW_MS = 24 * 3_600_000;

/**
 * The complaint a post or a chat form repeats: its reference, the contact it left and its team, as the first answer gave
 * them; its id and status (decided since, it is not answered as still to check).
 */
export interface RepeatedComplaint {
  id: number;
  status: string;
  reference: string;
  contact: string | null;
  team: { name: string; code: string };
}

/**
 * A complaint that repeats one already filed (`webRepeatOf`, `chatRepeatOf`): nothing is stored, the transaction rolls
 * back (a post counts against no rate limit, a chat form draws no reference), and the sender is answered with the first
 * one's reference.
 */
export class ComplaintRepeated extends UserError {
  constructor(readonly first: RepeatedComplaint) {
    super(`这份投诉已经提交过（投诉编号 ${first.reference}），无需重复提交。`, { kind: 'info' });
    this.name = 'ComplaintRepeated';
  }
}

/**
 * The earliest public complaint of the last REPEAT_WINDOW_MS that this one repeats: the same team, the same content and
 * the same contact (none both times) once spaces, widths and letter case are set aside (organization_key). The contact is
 * all a public complainant is known by; without it, the same words about the same team within a day are still one
 * complaint sent twice. One complaint filed once, it is counted once in a run of 第二十二条.
 */
const webRepeatOf = (tx: Db, team: ComplaintTeamRow, values: { content: string; contact?: string }, now: Date) =>
  repeatOf(tx, team, values.content, now, [
    eq(complaints.channel, 'web'),
    sql`${contactKeySql(sql`${complaints.contact}`)} = ${contactKeySql(sql`${values.contact ?? null}::text`)}`,
  ]);

/**
 * A contact as the repeat check compares it: a mainland mobile by its 11 digits however written (+86 138-0000-0000,
 * (86)13800000000, full width), anything else as organization_key reads it (spaces, widths and letter case aside).
 */
const contactKeySql = (contact: SQL) => {
  const digits = sql`regexp_replace(coalesce(organization_key(${contact}), ''), '[^0-9]', '', 'g')`;
  return sql`(case when ${digits} ~ '^(86)?1[0-9]{10}$' then right(${digits}, 11) else coalesce(organization_key(${contact}), '') end)`;
};

/**
 * The earliest chat complaint of the last REPEAT_WINDOW_MS this one repeats: the same person, the same team and the same
 * words (spaces, widths and letter case aside), sent again from a new 投诉 form. Counted twice, one complaint would make
 * a run of two towards 第二十二条.
 */
const chatRepeatOf = (tx: Db, team: ComplaintTeamRow, values: { content: string }, complainant: string, now: Date) =>
  repeatOf(tx, team, values.content, now, [eq(complaints.channel, 'chat'), eq(complaints.complainantOpenId, complainant)]);

/** The earliest complaint against `team` of the last REPEAT_WINDOW_MS with these words and `alike`'s conditions. */
async function repeatOf(tx: Db, team: ComplaintTeamRow, content: string, now: Date, alike: SQL[]): Promise<RepeatedComplaint | undefined> {
  const [row] = await tx
    .select({ id: complaints.id, status: complaints.status, reference: complaints.reference, contact: complaints.contact })
    .from(complaints)
    .where(
      and(
        eq(complaints.teamId, team.id),
        ...alike,
        sql`${complaints.createdAt} > ${new Date(now.getTime() - REPEAT_WINDOW_MS).toISOString()}::timestamptz`,
        sql`organization_key(${complaints.content}) = organization_key(${content}::text)`,
      ),
    )
    .orderBy(asc(complaints.createdAt), asc(complaints.id))
    .limit(1);
  return row && { id: row.id, status: row.status, reference: row.reference, contact: row.contact, team: { name: team.name, code: team.code } };
}

/** The lock of the complaint's alert stream (`alertLockKey`), taken before its reference and id are drawn. */
async function lockAlerts(tx: Db, input: Pick<ComplaintIntake, 'channel' | 'complainantOpenId'>): Promise<void> {
  const key = alertLockKey(input);
  if (key) await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
}

// --- the alert of a new complaint, drawn when it is sent ------------------------------------------

export const COMPLAINT_ALERT_CARD = 'complaintAlert';

/**
 * 新的质量投诉 to one administrators' destination: the row holds only `{ kind: 'complaintAlert', complaintId }`
 * and the card is drawn when it is sent (`complaintAlertRenderer`), so the one-statement 投诉 (src/fast/complaint.ts)
 * queues the very row this path queues. Keyed by the complaint and the destination, as it always was.
 */
export function complaintAlertMessage(complaintId: number, to: Destination): OutgoingMessage {
  return { dedupeKey: `complaint:new:${complaintId}:${destinationKey(to)}`, to, render: { kind: COMPLAINT_ALERT_CARD, complaintId } };
}

/**
 * Draws the alerts of a claimed batch: the complaint as filed and its team (one read), and the title line from the
 * team's title as it stands when the card goes out (what `titleStatus` says then; the complaint itself, open, does
 * not count in the run). A complaint that is not there is not sent.
 */
export function complaintAlertRenderer(db: Db, timezone: string): CardRenderer {
  return async (specs: CardSpec[], outboxRows?: readonly OutboxRow[]): Promise<RenderedCard[]> => {
    const { ids, found, rows } = await complaintsOfSpecs(db, specs);
    const titles = await titlesOfTeams(db, found);
    return ids.map((id, i): RenderedCard => {
      const r = rows.get(id);
      if (!r) return { drop: `投诉 ${id} 不存在` };
      // decided before its alert went out (another administrator's copy): drawn as decided, with no buttons
      const view = complaintView(r.complaint, r.team, timezone);
      const where = { title: titles.get(r.team.id), group: landsInGroup(specs[i], outboxRows?.[i]) };
      return { card: r.complaint.status === 'open' ? complaintAlertCard(view, where) : complaintDecidedCard(view, where) };
    });
  };
}

/**
 * Whether a complaint's card drawn when sent lands in a group (ComplaintCardWhere): sent to a chat_id, or a redraw of
 * a card sent to one (its spec says so, `group`: an update names only the message). A person's own copy keeps the contact.
 */
// a message to a chat_id goes to the group, everyone in it (https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message/create)
export function landsInGroup(spec: CardSpec, row?: Pick<OutboxRow, 'receiveIdType'>): boolean {
  return spec.group === true || row?.receiveIdType === 'chat_id';
}

// --- alerts of a flood, at most one card a minute ---------------------------------------------------

/** A flood from the public form, or from one person in chat, must not bury the admin group: one card a minute at most. */
const alertIntervalMs = 60_000;

/**
 * The complaints whose alerts are batched together: the public form's, and in chat each person's own (an administrator
 * wants one card for one person's burst, yet each other complainant's own card with its decision form at once).
 * Batched rather than limited: a complainant in the tenant is known, and none of their complaints is turned away (第二十一条).
 */
interface AlertStream {
  /** Keys of the stream's batch rows: `<prefix><end of the minute, ms>:<first complaint's id>`. */
  prefix: string;
  /** The stream's complaints, as a condition on the `complaints` table. */
  of: SQL;
  channel: 'web' | 'chat';
}

/** A complaint's stream to one destination (`destinationKey`): the public form's, or its chat complainant's own; none for a chat complaint of no one. */
function alertStream(complaint: Pick<Complaint, 'channel' | 'complainantOpenId'>, dest: string): AlertStream | undefined {
  if (complaint.channel === 'web') return { prefix: `complaint:web-batch:${dest}:`, of: sql`${complaints.channel} = 'web'`, channel: 'web' };
  if (complaint.complainantOpenId) {
    return { prefix: `complaint:chat-batch:${dest}:${complaint.complainantOpenId}:`, of: sql`${complaints.channel} = 'chat' and ${complaints.complainantOpenId} = ${complaint.complainantOpenId}`, channel: 'chat' };
  }
  return undefined;
}

/**
 * The lock a complaint takes before its reference and id are drawn, so each batch holds its complaints in id order and
 * replicas never split or lose one: the public form's one lock, or the chat complainant's own (the one-statement 投诉,
 * src/fast/complaint.ts, takes it too).
 */
export const alertLockKey = (input: Pick<ComplaintIntake, 'channel' | 'complainantOpenId'>) =>
  input.channel === 'web' ? 'complaint:web-alert' : input.complainantOpenId ? `complaint:chat-alert:${input.complainantOpenId}` : undefined;

/** A batch can be running only when the stream had a complaint in the last two minutes (an alert of the last minute, a batch ending in it). */
export const batchWindowMs = 2 * alertIntervalMs;

/** complaint:<stream>-batch:<destination>:[<open_id>:]<end of the minute, ms>:<first complaint's id> */
function parseBatchKey(key: string, stream: AlertStream): { endsAt: number; firstId: number } {
  const [endsAt, firstId] = key.slice(stream.prefix.length).split(':').map(Number);
  return { endsAt, firstId };
}

/**
 * Puts a complaint into its stream's batch card of the current minute instead of its own alert: true when batched.
 * The first complaint after a quiet minute is alerted at once (false); one arriving within a minute of the stream's
 * last card joins the held batch, or starts one that is sent when that minute ends. Runs under the stream's lock
 * (`alertLockKey`) in the complaint's transaction, so replicas never split or lose a batch.
 */
async function batchAlert(tx: Db, complaint: Complaint, to: Destination, opts: ComplaintOptions): Promise<boolean> {
  const dest = destinationKey(to);
  const stream = alertStream(complaint, dest);
  if (!stream) return false;
  const now = opts.now.getTime();
  // the common case, a complaint with none of its stream just before it, asks the outbox nothing
  const [near] = await tx
    .select({ id: complaints.id })
    .from(complaints)
    .where(and(stream.of, ne(complaints.id, complaint.id), sql`${complaints.createdAt} > ${new Date(now - batchWindowMs).toISOString()}::timestamptz`))
    .limit(1);
  if (!near) return false;
  const [latest] = await tx
    .select({ dedupeKey: outbox.dedupeKey })
    .from(outbox)
    .where(sql`starts_with(${outbox.dedupeKey}, ${stream.prefix})`)
    .orderBy(desc(outbox.id))
    .limit(1);
  const last = latest ? parseBatchKey(latest.dedupeKey, stream) : undefined;
  if (last && now < last.endsAt) {
    // the held batch draws this complaint too when it is sent (complaintBatchRenderer); a row held with its card drawn
    // already (queued by an earlier version of the bot) is given the spec, so this one is not left out of it
    const held = await lockHeld(tx, latest.dedupeKey);
    if (held) {
      if (!cardSpecOf(held)) await replaceHeldCard(tx, held.id, { render: batchSpec(stream, complaint, dest, last.firstId, last.endsAt) });
      return true;
    }
  }
  // the stream's immediate alerts of the last minute
  const since = new Date(now - alertIntervalMs).toISOString();
  const [recent] = rowsOf(
    await tx.execute(sql`
      select max(${complaints.createdAt}) as at from ${complaints}
      join ${outbox} o on o.dedupe_key = 'complaint:new:' || ${complaints.id} || ':' || ${dest}::text
      where ${stream.of} and ${complaints.id} <> ${complaint.id} and ${complaints.createdAt} > ${since}::timestamptz`),
  ) as { at: string | Date | null }[];
  const lastCardAt = Math.max(recent?.at ? new Date(recent.at).getTime() : 0, last?.endsAt ?? 0);
  if (now - lastCardAt >= alertIntervalMs) return false;
  const endsAt = lastCardAt + alertIntervalMs;
  await opts.send({
    dedupeKey: `${stream.prefix}${endsAt}:${complaint.id}`,
    to,
    render: batchSpec(stream, complaint, dest, complaint.id, endsAt),
    holdUntil: new Date(endsAt),
  });
  return true;
}

export const COMPLAINT_BATCH_CARD = 'complaintBatch';

/** What a batch alert is drawn from when sent: its stream (the public form's, or one complainant's in chat), destination and range. */
const batchSpec = (stream: AlertStream, complaint: Complaint, dest: string, firstId: number, endsAt: number): CardSpec => ({
  kind: COMPLAINT_BATCH_CARD,
  channel: stream.channel,
  ...(stream.channel === 'chat' ? { complainant: complaint.complainantOpenId } : {}),
  dest,
  firstId,
  endsAt,
});

/**
 * Draws a batch alert when its minute is over and it is sent, not when its first complaint arrived: every complaint
 * of the minute, each as it stands then (one decided meanwhile, from its own card or 投诉 TS-…, says so). Its rows
 * open each complaint's own card (处理), drawn as it stands when pressed: the batch carries no 成立 / 不成立 form of
 * its own, so a decision made since leaves nothing live on it.
 */
export function complaintBatchRenderer(db: Db, timezone: string): CardRenderer {
  return async (specs: CardSpec[], outboxRows?: readonly OutboxRow[]): Promise<RenderedCard[]> =>
    Promise.all(
      specs.map(async (spec, i): Promise<RenderedCard> => {
        const dest = String(spec.dest);
        const stream = alertStream({ channel: spec.channel === 'chat' ? 'chat' : 'web', complainantOpenId: typeof spec.complainant === 'string' ? spec.complainant : null }, dest);
        if (!stream) return { drop: '投诉提醒的来源无法识别' };
        const group = landsInGroup(spec, outboxRows?.[i]);
        // a read for each batch claimed: at most one a minute for each stream and destination
        const rows = await batchRows(db, dest, stream, Number(spec.firstId), Number(spec.endsAt));
        if (!rows.length) return { drop: '这一分钟的投诉都已单独提醒' };
        // a group's is everyone's there: what was complained of without a phone or e-mail typed into it (ComplaintCardWhere)
        return { card: complaintBatchAlertCard({ items: rows.map((r) => complaintSummary(r.complaint, r.team, timezone)), channel: stream.channel, group }) };
      }),
    );
}

/** A batch's complaints: the stream's from the first of the batch on, before its end, not alerted on their own. */
function batchRows(tx: Db, dest: string, stream: AlertStream, firstId: number, endsAt: number) {
  return tx
    .select({ complaint: complaintColumns, team: teamColumns })
    .from(complaints)
    .innerJoin(teams, eq(teams.id, complaints.teamId))
    .innerJoin(organizations, eq(organizations.id, teams.organizationId))
    .where(
      and(
        stream.of,
        gte(complaints.id, firstId),
        sql`${complaints.createdAt} < ${new Date(endsAt).toISOString()}::timestamptz`,
        sql`not exists (select 1 from ${outbox} where ${outbox.dedupeKey} = 'complaint:new:' || ${complaints.id} || ':' || ${dest}::text)`,
      ),
    )
    .orderBy(asc(complaints.id));
}

// --- decisions ---------------------------------------------------------------------------------

/**
 * 成立 / 不成立 / 重复 / 已撤回, by an administrator only, with a note. An upheld complaint against a title holder
 * may complete the run that raises the revocation alert (第二十二条); so may one closed as 重复 or 已撤回, which the
 * run skips (an open complaint had ended it). 重复 names another complaint about the same team (`duplicateOf`).
 * The complainant in chat is told; the other administrators' copies of the complaint's card are redrawn as decided.
 */
export async function decideComplaint(
  tx: Db,
  actor: Actor,
  complaintId: number,
  decision: ComplaintDecision,
  values: Record<string, unknown>,
  opts: ComplaintOptions,
  /** The card clicked: its own answer shows the decision, so it is not redrawn. */
  clicked?: string,
): Promise<{ view: ComplaintView; title?: TitleView; revocationRaised: boolean }> {
  requireAdmin(actor);
  // 重复: both complaints locked, in id order (two copies named as each other's at once: one waits and is refused)
  let repeats: Awaited<ReturnType<typeof complaintRepeated>> | undefined;
  if (decision === 'duplicate') {
    // issued together: one round trip (a decided complaint says so before what was typed is looked at)
    const [seen, named] = await Promise.all([getComplaint(tx, complaintId), complaintRepeated(tx, values)]);
    if (seen && seen.complaint.status !== 'open') throw decidedAlready(seen.complaint, actor, opts.timezone);
    repeats = named;
  }
  // issued together: the lock of both (executed at once, so it reaches the server first), then both read again under it
  // (the one named may have been closed as a 重复 of this one meanwhile)
  const [, found, named, member] = await Promise.all([
    repeats ? tx.select({ id: complaints.id }).from(complaints).where(inArray(complaints.id, [complaintId, repeats.id])).orderBy(asc(complaints.id)).for('update').execute() : undefined,
    getComplaint(tx, complaintId, { lock: true }),
    repeats ? complaintByReference(tx, repeats.reference) : undefined,
    // whether the administrator is one of the team's members (refuseOwnTeam), asked only of what clears a complaint
    decision === 'uphold' ? false : isTeamMember(tx, sql`(select ${complaints.teamId} from ${complaints} where ${complaints.id} = ${complaintId})`, actor.openId),
  ]);
  if (repeats && named) repeats = { ...named.complaint, team: named.team };
  if (!found) throw new UserError('找不到这件投诉，请发送“管理”查看待处理投诉。');
  const { complaint, team } = found;
  if (complaint.status !== 'open') throw decidedAlready(complaint, actor, opts.timezone);
  const to = complaintMachine.check(decision, complaint.status as ComplaintStatus, actor);
  // 成立 stands against the administrator's own team; clearing it (不成立, 重复, 已撤回) is another administrator's to decide
  if (decision !== 'uphold') refuseOwnTeam(team, actor, member, `认定针对本班组的投诉为“${complaintStatusNames[to]}”`);
  const { note } = readComplaintDecision(values);
  if (decision === 'duplicate') checkRepeated(complaint, team, repeats!);
  // issued together (one round trip), both after the complaint's lock; the title's lock is awaited before the run is read below
  const [[updated]] = await Promise.all([
    tx
      .update(complaints)
      .set({ status: to, note, decidedBy: actor.openId, decidedAt: opts.now, duplicateOf: repeats?.id ?? null })
      .where(and(eq(complaints.id, complaintId), eq(complaints.status, 'open')))
      .returning(),
    lockTitle(tx, team.id),
  ]);
  // issued together: one round trip; the run is read after the decision, so the alert and the answer card show the same run
  const [, title] = await Promise.all([
    audit(tx, {
      actor: actor.openId,
      action: `complaint.${decision}`,
      entity: 'complaint',
      entityId: complaintId,
      details: { reference: complaint.reference, teamId: team.id, note, ...(repeats ? { duplicateOf: repeats.reference } : {}) },
      at: opts.now,
    }),
    titleStatus(tx, team.id),
    redrawAlertCopies(tx, complaintId, clicked, opts),
  ]);
  const view = complaintView({ ...updated, repeats: repeats?.reference, decidedByName: actor.name }, team, opts.timezone);
  if (updated.complainantOpenId) {
    // drawn when it is sent (complaintOutcomeRenderer), so the one-statement decision (src/fast/decisions.ts) queues this very row
    await opts.send({ dedupeKey: `${complaintOutcomeKey(complaintId)}:complainant`, to: { openId: updated.complainantOpenId }, render: complaintOutcomeSpec(complaintId) });
  }
  if (to === 'upheld') {
    // the team hears of an upheld complaint (not of one filed): its leader and its contact, drawn when sent (complaintUpheldRenderer)
    for (const openId of new Set([team.leaderOpenId, team.contactOpenId])) {
      await opts.send({ dedupeKey: `${complaintUpheldKey(complaintId)}:user:${openId}`, to: { openId }, render: complaintUpheldSpec(complaintId) });
    }
  }
  const revocationRaised = to !== 'dismissed' ? await raiseRevocationAlertIfDue(tx, team, title, opts) : false;
  return { view, title: title?.view, revocationRaised };
}

/**
 * Why an upheld complaint can no longer be corrected: a title of its team revoked since it was upheld (第二十二条), the
 * complaint counted as 成立 in that run; undefined when nothing bars it. 更正认定's button asks it before its form, and
 * the correction again under the title's lock.
 */
export async function revokedSinceUpheld(tx: Db, complaint: Pick<Complaint, 'status' | 'decidedAt'>, team: Pick<ComplaintTeamRow, 'id' | 'name'>, timezone: string): Promise<UserError | undefined> {
  if (complaint.status !== 'upheld' || !complaint.decidedAt) return undefined;
  const [revoked] = await tx
    .select({ year: honours.year, revokedAt: honours.revokedAt })
    .from(honours)
    .where(and(eq(honours.teamId, team.id), gte(honours.revokedAt, complaint.decidedAt)))
    .orderBy(asc(honours.revokedAt))
    .limit(1);
  if (!revoked?.revokedAt) return undefined;
  return new UserError(
    cite(
      22,
      `${team.name} 的 ${revoked.year} 年度称号已于 ${formatDateZh(todayIn(timezone, revoked.revokedAt))} 撤销，撤销时这件投诉按“成立”计入连续次数，不能再更正认定。撤销称号不能在机器人中恢复：如认定确有错误，请由协会复核撤销决定，并书面告知班组。`,
    ),
    { article: 22 },
  );
}

/** Whether a complaint now 不成立 was 成立 before a 更正认定 (the team heard of it then, and of the correction). */
export async function correctedFromUpheld(tx: Db, complaintId: number): Promise<boolean> {
  const [row] = await tx
    .select({ id: auditLog.id })
    .from(auditLog)
    .where(and(eq(auditLog.action, 'complaint.correct'), eq(auditLog.entity, 'complaint'), eq(auditLog.entityId, String(complaintId)), sql`${auditLog.details} ->> 'from' = 'upheld'`))
    .limit(1);
  return row !== undefined;
}

/** 更正认定: the 处理意见 of a complaint's decision changed between 成立 and 不成立, told to whoever heard the first. */
export const complaintCorrectionForm = defineForm({
  name: 'complaintCorrection',
  title: '更正投诉认定',
  fields: {
    note: { kind: 'longText', label: '更正说明', help: '为什么更正、核查了什么；将替换原处理意见，发送给在飞书中投诉的投诉人和已被告知的班组', maxLength: 500, placeholder: '必填：如“误点成立，经核查投诉不实”' },
  },
});
const complaintCorrectionSchema = formSchema(complaintCorrectionForm);

/** The decisions a 更正认定 goes between: a finding (成立 / 不成立); 重复 and 已撤回 made none. */
export type CorrectableStatus = 'upheld' | 'dismissed';
export const isCorrectable = (status: string): status is CorrectableStatus => status === 'upheld' || status === 'dismissed';

export const COMPLAINT_CORRECTED_CARD = 'complaintCorrected';
export const complaintCorrectedSpec = (complaintId: number, from: CorrectableStatus, to: CorrectableStatus, audience: 'complainant' | 'team') => ({ kind: COMPLAINT_CORRECTED_CARD, complaintId, from, to, audience });

/**
 * 更正认定: an administrator changes a decided complaint from 成立 to 不成立 or back, with a note (第二十一条; a wrong click
 * is put right, not lived with). One transaction: the new decision and its note, an audit row naming who changed it from
 * what, the complainant in chat and (when it was or now is 成立) the team told, and the title's run (第二十二条) read
 * again: a revocation alert now due is raised; one due only because of the first decision is no longer pending, so its
 * 撤销 / 保留 are refused. Refused once a title was revoked after the complaint was upheld: that revocation counted it.
 */
export async function correctComplaint(
  tx: Db,
  actor: Actor,
  complaintId: number,
  to: CorrectableStatus,
  values: Record<string, unknown>,
  opts: ComplaintOptions,
  /** The card clicked: its own answer shows the correction. */
  clicked?: string,
  /** When the decision the correction card was drawn over was made (ms): another correction since refuses this one. */
  drawnDecided?: number,
): Promise<{ view: ComplaintView; from: CorrectableStatus; title?: TitleView; revocationRaised: boolean; revocationWithdrawn: boolean; revocationPending: boolean }> {
  requireAdmin(actor);
  const [found, member] = await Promise.all([
    getComplaint(tx, complaintId, { lock: true }),
    to === 'dismissed' ? isTeamMember(tx, sql`(select ${complaints.teamId} from ${complaints} where ${complaints.id} = ${complaintId})`, actor.openId) : false,
  ]);
  if (!found) throw new UserError('找不到这件投诉，请发送“投诉处理”查看投诉。');
  const { complaint, team } = found;
  const from = complaint.status;
  if (from === 'open') throw new UserError(`投诉 ${complaint.reference} 尚未认定，请在它的处理卡片上认定成立或不成立。`, { kind: 'info' });
  if (!isCorrectable(from)) {
    throw new UserError(`投诉 ${complaint.reference} 已按“${complaintStatusText({ status: from, repeats: complaint.repeats ?? undefined })}”关闭，没有认定成立或不成立，无需更正；如需认定，请投诉人重新投诉。`, { kind: 'info' });
  }
  if (from === to) throw new UserError(`投诉 ${complaint.reference} 已是“${complaintStatusNames[to]}”，无需更正。`, { kind: 'info' });
  // a correction card drawn before another correction (成立 → 不成立 → 成立 since): its 更正说明 answered what is no longer there
  if (drawnDecided !== undefined && complaint.decidedAt && complaint.decidedAt.getTime() !== drawnDecided) {
    const by = found.complaint.decidedByName ?? '其他管理员';
    throw new UserError(
      `投诉 ${complaint.reference} 的认定已由${by}于 ${formatDateTimeZh(complaint.decidedAt, opts.timezone)} 改为“${complaintStatusNames[from]}”（你打开更正卡片之后），这次更正没有保存。请查看现在的认定和处理意见，如仍需更正，再点“更正认定”。`,
      { kind: 'info' },
    );
  }
  if (to === 'dismissed') refuseOwnTeam(team, actor, member, '把针对本班组的投诉更正为“不成立”');
  const [, barred] = await Promise.all([lockTitle(tx, team.id), revokedSinceUpheld(tx, complaint, team, opts.timezone)]);
  if (barred) throw barred;
  const { note } = readForm(complaintCorrectionForm, values, complaintCorrectionSchema);
  const before = await titleStatus(tx, team.id);
  const [[updated], corrections] = await Promise.all([
    tx.update(complaints).set({ status: to, note, decidedBy: actor.openId, decidedAt: opts.now }).where(and(eq(complaints.id, complaintId), eq(complaints.status, from))).returning(),
    tx.select({ id: auditLog.id }).from(auditLog).where(and(eq(auditLog.action, 'complaint.correct'), eq(auditLog.entity, 'complaint'), eq(auditLog.entityId, String(complaintId)))),
  ]);
  const n = corrections.length + 1;
  await audit(tx, {
    actor: actor.openId,
    action: 'complaint.correct',
    entity: 'complaint',
    entityId: complaintId,
    details: { reference: complaint.reference, teamId: team.id, from, to, note, previousNote: complaint.note, previousDecidedBy: complaint.decidedBy, previousDecidedAt: complaint.decidedAt?.toISOString() ?? null },
    at: opts.now,
  });
  // whoever heard of the complaint is told of the correction (tellCorrection): the complainant in chat, and the team,
  // which heard of it only if it was upheld: now it hears it is not; or it hears it is, as any upheld one
  const key = `complaint:corrected:${complaintId}:${n}`;
  const earlier = Array.from({ length: n - 1 }, (_, i) => i + 1);
  const told: Told[] = [];
  if (updated.complainantOpenId) {
    told.push({
      heard: [`${complaintOutcomeKey(complaintId)}:complainant`, ...earlier.map((k) => `complaint:corrected:${complaintId}:${k}:complainant`)],
      message: { dedupeKey: `${key}:complainant`, to: { openId: updated.complainantOpenId }, render: complaintCorrectedSpec(complaintId, from, to, 'complainant') },
    });
  }
  for (const openId of new Set([team.leaderOpenId, team.contactOpenId])) {
    told.push({
      heard: [`${complaintUpheldKey(complaintId)}:user:${openId}`, ...earlier.flatMap((k) => [`${complaintUpheldKey(complaintId)}:c${k}:user:${openId}`, `complaint:corrected:${complaintId}:${k}:user:${openId}`])],
      message:
        from === 'upheld'
          ? { dedupeKey: `${key}:user:${openId}`, to: { openId }, render: complaintCorrectedSpec(complaintId, from, to, 'team') }
          : { dedupeKey: `${complaintUpheldKey(complaintId)}:c${n}:user:${openId}`, to: { openId }, render: complaintUpheldSpec(complaintId) },
    });
  }
  // issued together: one round trip
  const [title, , heard] = await Promise.all([titleStatus(tx, team.id), redrawAlertCopies(tx, complaintId, clicked, opts, `c${n}:`), noticesQueued(tx, told.flatMap((t) => t.heard))]);
  for (const t of told) await tellCorrection(t, heard, opts);
  const pendingBefore = titlesOfRun(before).length > 0;
  const pendingAfter = titlesOfRun(title).length > 0;
  const revocationRaised = to === 'upheld' ? await raiseRevocationAlertIfDue(tx, team, title, opts) : false;
  const revocationWithdrawn = pendingBefore && !pendingAfter;
  if (revocationWithdrawn && before) {
    await audit(tx, { actor: actor.openId, action: 'honour.revocationAlertWithdrawn', entity: 'honour', entityId: before.honour.id, details: { teamId: team.id, complaint: complaint.reference, run: title?.view.run ?? 0, required: before.view.required }, at: opts.now });
  }
  const view = complaintView({ ...updated, decidedByName: actor.name }, team, opts.timezone);
  // due again, its alert out before (a 成立 corrected to 不成立 and back): that alert's 撤销 / 保留 are taken again, and 投诉处理 lists it
  const revocationPending = to === 'upheld' && pendingAfter && !revocationRaised;
  // the alert's copies already sent to the administrators say so: withdrawn (no 撤销 / 保留 to tap), or the alert again
  const redrawn = revocationWithdrawn ? before : revocationPending && !pendingBefore ? title : undefined;
  if (redrawn) {
    const honourId = redrawn.honour.id;
    await redrawRevocationCopies(tx, honourId, redrawn, undefined, opts, { key: revocationCorrectedKey(honourId, complaintId, n), render: revocationWithdrawnSpec(honourId, complaintId, opts.now) });
  }
  return { view, from, title: title?.view, revocationRaised, revocationWithdrawn, revocationPending };
}

/** A 更正认定's notice to one person, and the keys of what they were sent of the complaint before, the first decision's first. */
interface Told {
  heard: string[];
  message: OutgoingMessage;
}

/** The outbox rows of these keys, locked until the commit (a dispatcher's claim skips them meanwhile). */
function noticesQueued(tx: Db, keys: string[]) {
  if (!keys.length) return Promise.resolve([]);
  return tx.select({ id: outbox.id, dedupeKey: outbox.dedupeKey, status: outbox.status, attempts: outbox.attempts }).from(outbox).where(inArray(outbox.dedupeKey, keys)).for('update');
}

/**
 * A 更正认定's notice to someone who may have heard of the complaint. The latest of what they were sent of it still
 * waiting for its first attempt (never tried, so not heard) is drawn when it is sent from the complaint as it stands: it
 * tells them the decision as corrected (投诉处理结果 with the 更正说明), or, no longer true, is not sent, so nothing more is
 * queued (`noticesQueued` holds it until the commit). Any other goes first: the correction's notice waits for it
 * (`after`), so a first notice still being sent or retried is never overtaken by its correction; retried, it shows the
 * decision it announced, not the corrected one (decisionsAnnounced), since its first try may have reached them.
 */
async function tellCorrection(t: Told, queued: Awaited<ReturnType<typeof noticesQueued>>, opts: ComplaintOptions): Promise<void> {
  const latest = queued.filter((r) => t.heard.includes(r.dedupeKey)).sort((a, b) => b.id - a.id)[0];
  if (latest && latest.attempts === 0 && (latest.status === 'pending' || latest.status === 'waiting')) return;
  await opts.send(latest ? { ...t.message, after: latest.dedupeKey } : t.message);
}

/** 投诉认定已更正, to the complainant in chat or to the team told of the first decision, drawn when sent; corrected again since, not sent. */
export function complaintCorrectedRenderer(db: Db, timezone: string): CardRenderer {
  return async (specs: CardSpec[], outboxRows?: readonly OutboxRow[]): Promise<RenderedCard[]> => {
    const [{ ids, found, rows }, announced] = await Promise.all([complaintsOfSpecs(db, specs), decisionsAnnounced(db, outboxRows)]);
    const titles = await titlesOfTeams(db, found);
    return ids.map((id, i): RenderedCard => {
      const r = rows.get(id);
      const spec = specs[i];
      if (!r) return { drop: `投诉 ${id} 不存在或认定又已改变` };
      // a retry a later correction's notice follows: the correction it announced (decisionsAnnounced)
      const complaint = { ...r.complaint, ...announced.get(outboxRows?.[i]?.dedupeKey ?? '') };
      if (complaint.status !== spec.to || !isCorrectable(String(spec.from))) return { drop: `投诉 ${id} 不存在或认定又已改变` };
      const team = spec.audience === 'team';
      const content = team ? withoutContacts(complaint.content) : complaint.content;
      return { card: complaintCorrectedNoticeCard(complaintSummary({ ...complaint, content }, r.team, timezone), { from: spec.from as CorrectableStatus, team, title: team ? titles.get(r.team.id) : undefined }) };
    });
  };
}

/** Whether `openId` is one of the team's members (`team_members`); `teamId` may be a subquery, so the probe goes with the reads it is issued beside. */
export async function isTeamMember(tx: Db, teamId: number | SQL, openId: string): Promise<boolean> {
  const [row] = await tx.select({ one: sql`1` }).from(teamMembers).where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.openId, openId))).limit(1);
  return row !== undefined;
}

/** What `openId` is of the team: its 班组长, its 单位联系人 or one of its 班组成员 (`member`, isTeamMember); undefined when none of these. */
export function placeInTeam(team: Pick<ComplaintTeamRow, 'leaderOpenId' | 'contactOpenId'>, openId: string, member: boolean): string | undefined {
  if (team.leaderOpenId === openId) return '班组长';
  if (team.contactOpenId === openId) return '单位联系人';
  return member ? '班组成员' : undefined;
}

/**
 * 第十七条 (公开、公平、公正): an administrator who leads the team, is its 单位联系人 or one of its members does not decide
 * in its favour (不成立, 重复 or 已撤回 of a complaint against it, 保留 of its title): another administrator does. The
 * one-statement paths (src/fast/decisions.ts) leave these to the ordinary path, which refuses here.
 */
function refuseOwnTeam(team: ComplaintTeamRow, actor: Actor, member: boolean, what: string): void {
  const place = placeInTeam(team, actor.openId, member);
  if (!place) return;
  throw new UserError(cite(17, `评审坚持公开、公平和公正原则。你是${team.name}的${place}，不能${what}，请其他管理员处理。`), { article: 17 });
}

/** A decided complaint's card pressed again (another administrator's copy, or a second click): who decided it, when, and what. */
function decidedAlready(c: ComplaintRead, actor: Actor, timezone: string): UserError {
  const who = c.decidedBy === actor.openId ? '你' : (c.decidedByName ?? '其他管理员');
  const when = c.decidedAt ? `已于 ${formatDateTimeZh(c.decidedAt, timezone)}` : '已';
  return new UserError(`${who}${when} 认定投诉 ${c.reference} 为“${complaintStatusText({ status: c.status, repeats: c.repeats ?? undefined })}”，无需再处理。`, { kind: 'info' });
}

/** The complaint a 重复 names (`duplicateOf`, its reference as typed: ts-2027-3 is TS-2027-0003); a UserError on that field says what to write. */
async function complaintRepeated(tx: Db, values: Record<string, unknown>): Promise<ComplaintRead & { team: ComplaintTeamRow }> {
  const typed = typeof values.duplicateOf === 'string' ? values.duplicateOf.trim() : '';
  const reference = readComplaintReference(typed);
  // read before any refusal of what was typed, so that a decided complaint's answer (issued beside it) comes first
  const found = reference ? await complaintByReference(tx, reference) : undefined;
  if (!typed) throw new UserError('请填写所重复的投诉编号（TS-年份-序号，见那件投诉的卡片），再点“重复”。', { field: 'duplicateOf' });
  if (!reference) throw new UserError(`“${clipText(typed, 30)}”不是投诉编号：投诉编号形如 TS-2027-0003。`, { field: 'duplicateOf' });
  if (!found) throw new UserError(`找不到投诉 ${reference}，请核对编号。`, { field: 'duplicateOf' });
  return { ...found.complaint, team: found.team };
}

/** 重复 names another complaint about the same team, not itself a 重复 (the one it repeats is named then). */
function checkRepeated(c: Complaint, team: ComplaintTeamRow, repeats: ComplaintRead & { team: ComplaintTeamRow }): void {
  if (repeats.id === c.id) throw new UserError(`${c.reference} 不能与自身重复：请填写同一班组另一件投诉的编号。`, { field: 'duplicateOf' });
  if (repeats.team.id !== team.id) {
    throw new UserError(`${repeats.reference} 投诉的是 ${repeats.team.name}（${repeats.team.code}），不是 ${team.name}：重复只能指向同一班组的投诉。`, { field: 'duplicateOf' });
  }
  // the one named repeats this one: this is the first of them, to decide on its merits
  if (repeats.status === 'duplicate' && repeats.repeats === c.reference) {
    throw new UserError(`${repeats.reference} 已认定为 ${c.reference} 的重复投诉：${c.reference} 是先收到的那件，请直接认定它成立或不成立，不要标为重复。`, { field: 'duplicateOf' });
  }
  if (repeats.status === 'duplicate' && repeats.repeats) {
    throw new UserError(`${repeats.reference} 本身是 ${repeats.repeats} 的重复投诉，请填写 ${repeats.repeats}。`, { field: 'duplicateOf' });
  }
}

/** The card of a decided complaint, drawn when sent: it takes the place of the alert's other copies (`complaint:redrawn:…`). */
export const COMPLAINT_DECIDED_CARD = 'complaintDecided';

/** The escalation job's card of a day to one administrators' destination (`complaint:escalate:<date>:<destination>`): a lone complaint's carries its 成立 / 不成立 form. */
export const escalationKey = (date: string, dest: string) => `complaint:escalate:${date}:${dest}`;

/**
 * The escalation job's cards, drawn when they are sent (src/jobs/escalation.ts): a lone complaint's, with its decision
 * form (`{ kind, complaintId }`), and the list of several (`{ kind, complaintIds }`, oldest first).
 */
export const COMPLAINT_ESCALATION_CARD = 'complaintEscalation';
export const COMPLAINT_ESCALATION_LIST = 'complaintEscalationList';
export const complaintEscalationSpec = (complaintId: number) => ({ kind: COMPLAINT_ESCALATION_CARD, complaintId });
export const complaintEscalationListSpec = (complaintIds: number[]) => ({ kind: COMPLAINT_ESCALATION_LIST, complaintIds });

/** Feishu takes no update of a card sent more than 14 days ago: the days whose escalation cards a decision redraws, today's included. */
export const ESCALATION_REDRAW_DAYS = 15;

/** The local dates, latest first, whose escalation cards may still be redrawn (`ESCALATION_REDRAW_DAYS`). */
export function escalationDates(now: Date, timezone: string): string[] {
  const today = todayIn(timezone, now);
  return Array.from({ length: ESCALATION_REDRAW_DAYS }, (_, i) => addDays(today, -i));
}

/**
 * A row carrying this complaint's decision form (the alert's form, `complaintAlertCard`): a lone complaint's escalation
 * card, by its spec (`complaintEscalationSpec`) or, queued before it was drawn when sent, by its button; a list of several has none.
 */
export const DECISION_BUTTON_PATH = `$.** ? ((@.action == "complaint.uphold" || @.kind == "${COMPLAINT_ESCALATION_CARD}") && @.complaintId == $id)`;

/**
 * The copies of the complaint's decision form already sent to the administrators, but the one clicked: the alert's
 * (`complaint:new:<id>:<destination>`) and the escalation job's card of a lone complaint (`escalationKey`, of the
 * days still redrawable, the one carrying this complaint's form). Each is redrawn as decided by its message id, so
 * nobody decides it again from a stale card, nor reads it as still open. One not sent yet is drawn as decided when it
 * goes (complaintAlertRenderer), an escalation card not sent yet is not sent (escalationRenderer); the one-statement
 * decision (src/fast/decisions.ts) queues the same rows.
 */
async function redrawAlertCopies(tx: Db, complaintId: number, clicked: string | undefined, opts: ComplaintOptions, again = ''): Promise<void> {
  // the keys complaintAlertMessage and the escalation job give the administrators' destinations (adminDestinations), in the same statement
  const dates = escalationDates(opts.now, opts.timezone);
  const sent = await tx
    .select({ messageId: outbox.messageId, receiveIdType: outbox.receiveIdType })
    .from(outbox)
    .where(
      and(
        sql`${outbox.dedupeKey} in (select ${`complaint:new:${complaintId}:`}::text || s.dest_key from (${adminDestinationsQuery(opts.bootstrapAdmins)}) s
          union all select 'complaint:escalate:' || d.day || ':' || s.dest_key from unnest(string_to_array(${dates.join(',')}::text, ',')) d (day) cross join (${adminDestinationsQuery(opts.bootstrapAdmins)}) s)`,
        sql`(starts_with(${outbox.dedupeKey}, 'complaint:new:') or jsonb_path_exists(${outbox.card}, ${DECISION_BUTTON_PATH}::jsonpath, jsonb_build_object('id', ${complaintId}::int)))`,
        isNotNull(outbox.messageId),
        clicked ? ne(outbox.messageId, clicked) : undefined,
      ),
    )
    .orderBy(asc(outbox.id));
  for (const { messageId, receiveIdType } of sent) {
    // `again` (a 更正认定's c<n>:): the copies redrawn once more, with the decision as corrected; a group's without the contact (landsInGroup)
    const render = { kind: COMPLAINT_DECIDED_CARD, complaintId, ...(receiveIdType === 'chat_id' ? { group: true } : {}) };
    await opts.send({ dedupeKey: `${complaintRedrawnKey(complaintId)}:${again}${messageId}`, to: { updateMessage: messageId! }, render });
  }
}

export const complaintRedrawnKey = (complaintId: number) => `complaint:redrawn:${complaintId}`;

/** The decided card in place of an alert's copy, drawn when sent (the decision does not change again); one still open, or gone, is not sent. */
export function complaintDecidedRenderer(db: Db, timezone: string): CardRenderer {
  return async (specs: CardSpec[], outboxRows?: readonly OutboxRow[]): Promise<RenderedCard[]> => {
    const { ids, found, rows } = await complaintsOfSpecs(db, specs);
    const titles = await titlesOfTeams(db, found);
    return ids.map((id, i): RenderedCard => {
      const r = rows.get(id);
      if (!r || r.complaint.status === 'open') return { drop: `投诉 ${id} 不存在或尚未认定` };
      return { card: complaintDecidedCard(complaintView(r.complaint, r.team, timezone), { title: titles.get(r.team.id), group: landsInGroup(specs[i], outboxRows?.[i]) }) };
    });
  };
}

// --- the notices of a decision, drawn when they are sent ------------------------------------------

export const COMPLAINT_OUTCOME_CARD = 'complaintOutcome';
export const TITLE_REVOKED_CARD = 'titleRevoked';

/** The complainant's notice of a decision (`:complainant` follows): keyed by the complaint, as it always was. */
export const complaintOutcomeKey = (complaintId: number) => `complaint:decided:${complaintId}`;
export const complaintOutcomeSpec = (complaintId: number) => ({ kind: COMPLAINT_OUTCOME_CARD, complaintId });

/** The leader's and the contact's notice of an upheld complaint against their team (`:user:<open_id>` follows). */
export const COMPLAINT_UPHELD_CARD = 'complaintUpheld';
export const complaintUpheldKey = (complaintId: number) => `complaint:upheld:${complaintId}`;
export const complaintUpheldSpec = (complaintId: number) => ({ kind: COMPLAINT_UPHELD_CARD, complaintId });

/** The leader's and the contact's notice of a revoked title (`:user:<open_id>` follows). */
export const titleRevokedKey = (honourId: number) => `revocation:revoked:${honourId}`;
export const titleRevokedSpec = (honourId: number) => ({ kind: TITLE_REVOKED_CARD, honourId });

/** Each team's title as the complaint cards show it (titleStatus), read once a team for a batch of complaints. */
async function titlesOfTeams(db: Db, found: { team: { id: number } }[]): Promise<Map<number, TitleView | undefined>> {
  const titles = new Map<number, TitleView | undefined>();
  for (const teamId of new Set(found.map((r) => r.team.id))) titles.set(teamId, (await titleStatus(db, teamId))?.view);
  return titles;
}

const wantedIds = (specs: CardSpec[], key: string) => {
  const ids = specs.map((s) => Number(s[key]));
  return { ids, wanted: [...new Set(ids.filter((id) => Number.isSafeInteger(id) && id > 0 && id <= 2_147_483_647))] };
};

/** The complaints a batch of specs names (`complaintId`), with their teams: one read. */
async function complaintsOfSpecs(db: Db, specs: CardSpec[]) {
  const { ids, wanted } = wantedIds(specs, 'complaintId');
  const found = await complaintsWithTeams(db, wanted);
  return { ids, found, rows: new Map(found.map((r) => [r.complaint.id, r])) };
}

/** These complaints with their teams, in one read (in no particular order); one not there is left out. */
export async function complaintsWithTeams(db: Db, ids: number[]) {
  if (!ids.length) return [];
  return db
    .select({ complaint: complaintColumns, team: teamColumns })
    .from(complaints)
    .innerJoin(teams, eq(teams.id, complaints.teamId))
    .innerJoin(organizations, eq(organizations.id, teams.organizationId))
    .where(inArray(complaints.id, ids));
}

/**
 * The decision a complaint's notice announced, for each of these rows that a 更正认定 found already tried and had its own
 * notice follow (tellCorrection's `after`): keyed by the row's dedupe key, the complaint as it stood before that
 * correction (its audit row: the decision, its 处理意见, who made it and when). A try that failed may still have reached
 * Feishu, which keeps the first card sent under the row's uuid; so drawn again on a retry, the notice shows the decision
 * it announced, not the complaint as corrected since, and whoever gets it hears the decision, then its correction, as
 * they would had the first try gone through, never a correction of a decision they were not told. Rows nothing follows
 * are drawn from the complaint as it stands.
 */
async function decisionsAnnounced(db: Db, rows: readonly OutboxRow[] | undefined): Promise<Map<string, Partial<ComplaintRead>>> {
  const out = new Map<string, Partial<ComplaintRead>>();
  const keys = (rows ?? []).map((r) => r.dedupeKey);
  if (!keys.length) return out;
  // waiting for these rows while they are drawn (outbox_waiting_idx)
  const followers = await db.select({ key: outbox.dedupeKey, after: outbox.afterKey }).from(outbox).where(and(inArray(outbox.afterKey, keys), eq(outbox.status, 'waiting')));
  // the correction that queued each follower: complaint:corrected:<id>:<n>:… or complaint:upheld:<id>:c<n>:…
  const made = followers.flatMap((f) => {
    const m = /^complaint:(?:corrected:(\d+):(\d+)|upheld:(\d+):c(\d+)):/.exec(f.key);
    return m && f.after ? [{ after: f.after, complaintId: Number(m[1] ?? m[3]), n: Number(m[2] ?? m[4]) }] : [];
  });
  if (!made.length) return out;
  const corrections = await db
    .select({ entityId: auditLog.entityId, details: auditLog.details, name: people.name })
    .from(auditLog)
    .leftJoin(people, eq(people.openId, sql`${auditLog.details}->>'previousDecidedBy'`))
    .where(and(eq(auditLog.action, 'complaint.correct'), eq(auditLog.entity, 'complaint'), inArray(auditLog.entityId, [...new Set(made.map((m) => String(m.complaintId)))])))
    .orderBy(asc(auditLog.id));
  for (const m of made) {
    const c = corrections.filter((r) => r.entityId === String(m.complaintId))[m.n - 1];
    const d = c?.details as { from?: string; previousNote?: string | null; previousDecidedBy?: string | null; previousDecidedAt?: string | null } | null | undefined;
    if (!d?.from || !isCorrectable(d.from)) continue;
    out.set(m.after, { status: d.from, note: d.previousNote ?? null, decidedBy: d.previousDecidedBy ?? null, decidedAt: d.previousDecidedAt ? new Date(d.previousDecidedAt) : null, decidedByName: c?.name ?? null });
  }
  return out;
}

/**
 * 投诉处理结果 to the complainant, drawn from the complaint as it stands when sent: a decided complaint does not change
 * again, so it is the card the decision drew. One that is not there, or not decided, is not sent.
 */
export function complaintOutcomeRenderer(db: Db, timezone: string): CardRenderer {
  return async (specs: CardSpec[], outboxRows?: readonly OutboxRow[]): Promise<RenderedCard[]> => {
    const [{ ids, rows }, announced] = await Promise.all([complaintsOfSpecs(db, specs), decisionsAnnounced(db, outboxRows)]);
    return ids.map((id, i): RenderedCard => {
      const r = rows.get(id);
      if (!r || r.complaint.status === 'open') return { drop: `投诉 ${id} 不存在或尚未认定` };
      // a retry a correction's notice follows: the decision it announced (decisionsAnnounced)
      const complaint = { ...r.complaint, ...announced.get(outboxRows?.[i]?.dedupeKey ?? '') };
      return { card: complaintOutcomeCard(complaintView(complaint, r.team, timezone)) };
    });
  };
}

/**
 * 投诉成立 to the team's leader and contact, drawn when sent from the complaint and the title's run as they are then
 * (a run a 保留称号 ended since shows as it stands). One no longer upheld, or gone, is not sent.
 */
export function complaintUpheldRenderer(db: Db, timezone: string): CardRenderer {
  return async (specs: CardSpec[], outboxRows?: readonly OutboxRow[]): Promise<RenderedCard[]> => {
    const [{ ids, found, rows }, announced] = await Promise.all([complaintsOfSpecs(db, specs), decisionsAnnounced(db, outboxRows)]);
    const titles = await titlesOfTeams(db, found);
    return ids.map((id, i): RenderedCard => {
      const r = rows.get(id);
      // a retry a correction's notice follows: the decision it announced (decisionsAnnounced)
      const complaint = r && { ...r.complaint, ...announced.get(outboxRows?.[i]?.dedupeKey ?? '') };
      if (!r || complaint?.status !== 'upheld') return { drop: `投诉 ${id} 不存在或未认定成立` };
      // the team reads what was complained of, not how to reach who complained: a phone or e-mail typed into it is hidden
      const content = withoutContacts(complaint.content);
      return { card: complaintUpheldNoticeCard(complaintSummary({ ...complaint, content }, r.team, timezone), titles.get(r.team.id)) };
    });
  };
}

/**
 * 称号已撤销 to the leader and the contact, drawn from the revoked honour (its reason), its certificate and the running
 * (else latest) cycle's revocation bar when sent, as 撤销称号 drew it. An honour not there, or not revoked, is not sent.
 */
export function titleRevokedRenderer(db: Db): CardRenderer {
  return async (specs: CardSpec[]): Promise<RenderedCard[]> => {
    const { ids, wanted } = wantedIds(specs, 'honourId');
    const [found, cycle, issued] = wanted.length
      ? await Promise.all([
          db
            .select({ honour: honours, team: teamColumns })
            .from(honours)
            .innerJoin(teams, eq(teams.id, honours.teamId))
            .innerJoin(organizations, eq(organizations.id, teams.organizationId))
            .where(inArray(honours.id, wanted)),
          getRunningOrLatestCycle(db),
          db.select({ honourId: certificates.honourId, number: certificates.number }).from(certificates).where(inArray(certificates.honourId, wanted)),
        ])
      : [[], undefined, []];
    const rows = new Map(found.map((r) => [r.honour.id, r]));
    const numbers = new Map(issued.map((c) => [c.honourId, c.number]));
    const barDays = revocationBarDays(cycle);
    return ids.map((id): RenderedCard => {
      const r = rows.get(id);
      if (!r || !r.honour.revokedAt) return { drop: `称号 ${id} 不存在或未撤销` };
      return { card: titleRevokedNoticeCard({ team: r.team, year: r.honour.year, reason: r.honour.revokedReason ?? '', certificate: numbers.get(id), barDays }) };
    });
  };
}

// --- revocation --------------------------------------------------------------------------------

/** N of 第二十二条: the running (else latest) cycle's 连续成立投诉提醒次数 (cycleRules), its default without a cycle. */
export async function revocationRun(tx: Db): Promise<number> {
  const cycle = await getRunningOrLatestCycle(tx);
  return cycle ? cycleRules(cycle).revocationRun : cycleDefaults.revocationRun;
}

/**
 * The lock of a title's run (第二十二条): the row of the team's latest honour, which 撤销称号 and 保留称号 take
 * first too (lockHonour). Every decision that changes the run takes it before reading the run, so of two at once the
 * later sees the earlier. Lock order: a complaint's row, then the honour's; 撤销 / 保留 take the team's honours,
 * latest first. A team without an honour has no run, and nothing to lock.
 */
function lockTitle(tx: Db, teamId: number) {
  return tx.select({ id: honours.id }).from(honours).where(eq(honours.teamId, teamId)).orderBy(desc(honours.year)).limit(1).for('update');
}

/**
 * The titles a team holds now, oldest first: its honours later than its latest revoked one (a revocation leaves the
 * older titles history). A team awarded again while it holds a title holds both: upheld complaints against it
 * count from the award of the oldest (第二十二条), so a new award does not wipe out a run, or a pending revocation.
 */
export async function heldTitles(tx: Db, teamId: number): Promise<Honour[]> {
  const all = await tx.select().from(honours).where(eq(honours.teamId, teamId)).orderBy(asc(honours.year));
  let from = 0;
  all.forEach((h, i) => {
    if (h.revokedAt) from = i + 1;
  });
  return all.slice(from);
}

/** The title a team holds now: the oldest of its held titles (heldTitles), which the run of 第二十二条 is counted against. */
export async function currentHonour(tx: Db, teamId: number): Promise<Honour | undefined> {
  return (await heldTitles(tx, teamId))[0];
}

export interface TitleStatus {
  /** The oldest title held (heldTitles), which the alert names. */
  honour: Honour;
  /** Every title held, oldest first. */
  held: Honour[];
  view: TitleView;
  /** The first complaint of the run `view.run` counts (names the run in dedupe keys). */
  runStart?: number;
  /** The complaints of the pending run (the one that reached the required number), in the order they came in. */
  runIds?: number[];
  /** When that complaint came in: the titles held then are those the run is against (titlesOfRun). */
  runStartAt?: Date;
  /** The team's complaints since the title was awarded, latest ten, oldest first. */
  history: Complaint[];
  /** The upheld complaints the runs count (none a 保留称号 set aside): any of them may have begun a run whose alert is out (`revocation:alert:<honour>:from-<id>`). */
  upheld: number[];
  /** The latest 保留称号 decision on a held title: the copies of the alert raised before it were of an earlier run. */
  keptAt?: Date;
  /**
   * When the pending run reached the required number (the latest decision among its first `required` upheld
   * complaints): since when 撤销 / 保留 has been awaited. Undefined when no run is pending.
   */
  dueAt?: Date;
}

/**
 * The title holder's runs of upheld complaints (第二十二条: 连续出现顾客对质量不满意的投诉): complaints since the award of
 * the oldest title it holds (heldTitles) in the order they came in (created_at, id), no upheld one set aside by a 保留称号
 * (its set_aside_at, no later than the latest 保留 on a held title, keptAt) counting; a dismissed one (decided before that or not), or one still
 * open, ends a run; one closed as 重复 or 已撤回 is skipped (CLOSED_WITHOUT_FINDING). `view.run` is
 * the latest run that reached the required number, when one has (the revocation it asks for is pending); else the run
 * the latest decided complaint ends (0 when that was dismissed). `titleRunSql` (src/fast/decisions.ts) counts the same in SQL.
 */
export async function titleStatus(tx: Db, teamId: number): Promise<TitleStatus | undefined> {
  // issued together: one round trip; the complaints are those since the award of the oldest title held (heldTitles)
  const later = alias(honours, 'later');
  const awarded = tx
    .select({ at: sql`min(${honours.awardedAt})` })
    .from(honours)
    .where(
      and(
        eq(honours.teamId, teamId),
        isNull(honours.revokedAt),
        notExists(tx.select({ one: sql`1` }).from(later).where(and(eq(later.teamId, teamId), isNotNull(later.revokedAt), gt(later.year, honours.year)))),
      ),
    );
  const [held, required, since] = await Promise.all([
    heldTitles(tx, teamId),
    revocationRun(tx),
    tx
      .select()
      .from(complaints)
      .where(and(eq(complaints.teamId, teamId), sql`${complaints.createdAt} >= (${awarded})`))
      .orderBy(asc(complaints.createdAt), asc(complaints.id)),
  ]);
  const honour = held[0];
  if (!honour) return undefined;
  const keptAt = held.reduce<Date | null>((at, h) => (h.keptAt && (!at || h.keptAt > at) ? h.keptAt : at), null);
  // a 保留称号 sets aside the upheld complaints it answered (keepTitle marks them); a dismissed one still ends the run it falls in
  // 重复 and 已撤回 are skipped as if absent: they neither count nor end a run
  // set aside: marked by a 保留 (set_aside_at) no later than the latest on a held title; a 更正认定 since does not lift it
  const setAside = (c: Complaint) => c.status === 'upheld' && keptAt !== null && c.setAsideAt !== null && c.setAsideAt <= keptAt;
  const counted = since.filter((c) => !CLOSED_WITHOUT_FINDING.includes(c.status) && (c.status === 'open' || (c.decidedAt && !setAside(c))));
  let length = 0;
  let start: Complaint | undefined;
  let due: { run: number; start: Complaint; at: Date; ids: number[] } | undefined;
  let last: { run: number; start?: Complaint } = { run: 0 };
  let members: Complaint[] = [];
  for (const c of counted) {
    if (c.status === 'upheld') {
      if (!length) {
        start = c;
        members = [];
      }
      length++;
      members.push(c);
      if (length >= required) {
        // reached when `required` of its complaints in a row were first all decided: a run grown at either end keeps that
        // moment (one received earlier and upheld late does not make the decision awaited for less)
        const reached = Math.max(...members.slice(-required).map((m) => m.decidedAt?.getTime() ?? 0));
        const at = due && due.start === start ? Math.min(due.at.getTime(), reached) : reached;
        due = { run: length, start: start!, at: new Date(at), ids: members.map((m) => m.id) };
      }
    } else length = 0;
    if (c.status !== 'open') last = length ? { run: length, start } : { run: 0 };
  }
  const run = due ?? last;
  // the titles held when the pending run began (titlesOfRun): the alert names them all, as its decision takes them all
  const runYears = due ? held.filter((h) => h.awardedAt <= due.start.createdAt).map((h) => h.year) : undefined;
  return {
    honour,
    held,
    view: { honourId: honour.id, year: honour.year, run: run.run, required, ...(runYears && runYears.length > 1 ? { runYears } : {}), ...(held.length > 1 ? { heldYears: held.map((h) => h.year) } : {}) },
    runStart: run.run ? run.start?.id : undefined,
    ...(due ? { runIds: due.ids } : {}),
    runStartAt: run.run ? run.start?.createdAt : undefined,
    history: since.slice(-10),
    upheld: counted.filter((c) => c.status === 'upheld').map((c) => c.id),
    ...(keptAt ? { keptAt } : {}),
    ...(due ? { dueAt: due.at } : {}),
  };
}

/**
 * The titles a pending run is against, which 撤销 revokes and 保留 keeps together: every title the team held when the
 * run's first complaint came in (第二十二条 speaks of the team as a title holder, 获得称号的班组, so a team that holds
 * two titles through the run loses both). A title awarded after that is not touched: the run does not reach it, and
 * its own run counts from its award.
 */
export function titlesOfRun(status: TitleStatus | undefined): Honour[] {
  if (!status || status.view.run < status.view.required || !status.runStartAt) return [];
  return status.held.filter((h) => h.awardedAt <= status.runStartAt!);
}

/**
 * ONE alert per run: the dedupe key names the honour and the run's first complaint. Drawn when it is sent
 * (`revocationAlertRenderer`), so a copy still waiting when an administrator decides goes out decided.
 */
async function raiseRevocationAlertIfDue(tx: Db, team: ComplaintTeamRow, status: TitleStatus | undefined, opts: ComplaintOptions): Promise<boolean> {
  if (!status || status.view.run < status.view.required) return false;
  const alertKey = (from: number | undefined, dest: string) => `revocation:alert:${status.honour.id}:from-${from}:${dest}`;
  // a run grown at its start (a complaint received before its first, upheld late) is the same run: its alert, raised
  // from a later first complaint, is out already
  const before = (status.runIds ?? []).filter((id) => id !== status.runStart);
  const destinations = (await adminDestinations(tx, opts.bootstrapAdmins)).map((to) => ({ to, dest: destinationKey(to) }));
  const alerted = before.length
    ? new Set(
        (await tx.select({ key: outbox.dedupeKey }).from(outbox).where(inArray(outbox.dedupeKey, destinations.flatMap(({ dest }) => before.map((id) => alertKey(id, dest)))))).map((r) => r.key),
      )
    : new Set<string>();
  let raised = false;
  for (const { to, dest } of destinations) {
    if (before.some((id) => alerted.has(alertKey(id, dest)))) continue;
    if (await opts.sendIfNew({ dedupeKey: alertKey(status.runStart, dest), to, render: revocationAlertSpec(status.honour.id) })) raised = true;
  }
  if (raised) {
    await audit(tx, { actor: 'system:complaints', action: 'honour.revocationAlert', entity: 'honour', entityId: status.honour.id, details: { teamId: team.id, run: status.view.run, required: status.view.required }, at: opts.now });
  }
  return raised;
}

/**
 * The revocation alert of a title that is still held, drawn again (with what was wrong and what was typed, after a
 * refused decision; `daysWaiting`, the escalation job's: how long the decision has been awaited).
 */
export async function revocationAlertFor(tx: Db, honourId: number, timezone: string, refused?: { error: { field?: string; message: string }; values: Record<string, unknown> }, daysWaiting?: number, group?: boolean) {
  const [honour] = await tx.select().from(honours).where(eq(honours.id, honourId));
  const team = honour ? await complaintTeam(tx, honour.teamId) : undefined;
  const status = team ? await titleStatus(tx, team.id) : undefined;
  if (!team || !status || !status.held.some((h) => h.id === honourId)) return undefined;
  return revocationAlertCard({ team, title: status.view, history: status.history.map((c) => complaintSummary(c, team, timezone)), form: revocationDecisionForm, ...refused, ...(daysWaiting !== undefined ? { daysWaiting } : {}), group });
}

// --- the revocation alert's copies, drawn when they are sent -------------------------------------

/** 撤销称号提醒 to an administrators' destination, drawn when sent; `daysWaiting`: the escalation job's (撤销称号已 N 天未决定). */
export const REVOCATION_ALERT_CARD = 'revocationAlert';
export const revocationAlertSpec = (honourId: number, daysWaiting?: number) => ({ kind: REVOCATION_ALERT_CARD, honourId, ...(daysWaiting !== undefined ? { daysWaiting } : {}) });
/**
 * The escalation job's card of several titles awaiting 撤销 / 保留 to one destination (`revocationEscalationKey`), drawn
 * when sent (src/jobs/escalation.ts): those still awaiting then, the days waited counted to that day.
 */
export const REVOCATION_ESCALATION_LIST = 'revocationEscalationList';
export const revocationEscalationListSpec = (honourIds: number[]) => ({ kind: REVOCATION_ESCALATION_LIST, honourIds });
/** A lone title's escalation (its alert again) keeps its honour in the key, which a decision's redraw looks for; a list's is one a day and destination. */
export const revocationEscalationKey = (date: string, dest: string, honourId?: number) => `revocation:escalate:${date}:${honourId ?? 'titles'}:${dest}`;
/**
 * The list of several titles (`revocationEscalationListSpec`) redrawn once one of them is decided (撤销 / 保留), by its
 * message id: `honourIds` the list's, `day` the day it was raised (`revocationEscalationKey`), `group` when it went to
 * a chat. Drawn when sent (src/jobs/escalation.ts): those still awaiting with 决定, those decided since that day as decided.
 */
export const REVOCATION_ESCALATION_LIST_REDRAWN = 'revocationEscalationListRedrawn';

/** The card of a decided revocation, drawn when sent: it takes the place of the alert's other copies (`revocation:redrawn:…`). */
export const REVOCATION_DECIDED_CARD = 'revocationDecided';
export const revocationRedrawnKey = (honourId: number) => `revocation:redrawn:${honourId}`;

/**
 * The revocation alert (or the escalation job's, with its days waited) while its 撤销 / 保留 is awaited; decided before it
 * went out (another administrator's copy), the decision, with no form, as `revocationDecidedRenderer` draws it. A title
 * neither awaiting nor decided, or gone, is not sent.
 */
export function revocationAlertRenderer(db: Db, timezone: string, clock?: Clock): CardRenderer {
  return async (specs: CardSpec[], rows?: readonly OutboxRow[]): Promise<RenderedCard[]> => {
    const today = clock ? todayIn(timezone, clock.now()) : undefined;
    const out: RenderedCard[] = [];
    // a few a year: one title at a time
    for (const [i, spec] of specs.entries()) {
      const honourId = Number(spec.honourId);
      const [honour] = Number.isSafeInteger(honourId) && honourId > 0 && honourId <= 2_147_483_647 ? await db.select().from(honours).where(eq(honours.id, honourId)) : [];
      const status = honour && !honour.revokedAt ? await titleStatus(db, honour.teamId) : undefined;
      // the escalation job's: the days waited counted to the day it is sent, as its complaint cards count theirs
      const queued = typeof spec.daysWaiting === 'number' ? spec.daysWaiting : undefined;
      const days = queued !== undefined && today && status && honour ? daysBetween(todayIn(timezone, status.dueAt ?? honour.awardedAt), today) : queued;
      const alert = honour && runPending(status, honour) ? await revocationAlertFor(db, honourId, timezone, undefined, days, landsInGroup(spec, rows?.[i])) : undefined;
      const none = { drop: `称号 ${spec.honourId} 不存在或没有待决定的撤销提醒` };
      if (alert) out.push({ card: alert });
      else if (honour && !honour.revokedAt && honour.keptAt && !(await keptThisRun(db, honour.keptAt, rows?.[i]?.dedupeKey, timezone))) out.push(none);
      else out.push((await revocationDecidedFor(db, honourId)) ?? none);
    }
    return out;
  };
}

/**
 * Whether the title's 保留 (`keptAt`) answered the alert of this key, not an earlier run's: the run's first complaint
 * (`revocation:alert:<honour>:from-<id>:…`) was set aside by it, or the escalation day (`revocation:escalate:<date>:…`)
 * was not after it. An alert withdrawn before it went out (a 更正认定 took back the 成立 that made it due) is then not
 * sent at all, rather than as the earlier 已保留称号. A key of neither kind: as before, the decision.
 */
async function keptThisRun(db: Db, keptAt: Date, dedupeKey: string | undefined, timezone: string): Promise<boolean> {
  const from = /^revocation:alert:\d+:from-(\d+):/.exec(dedupeKey ?? '')?.[1];
  if (from) {
    const [first] = await db.select({ setAsideAt: complaints.setAsideAt }).from(complaints).where(eq(complaints.id, Number(from)));
    return first?.setAsideAt?.getTime() === keptAt.getTime();
  }
  const day = /^revocation:escalate:(\d{4}-\d{2}-\d{2}):/.exec(dedupeKey ?? '')?.[1];
  return day ? todayIn(timezone, keptAt) >= day : true;
}

/** 已撤销称号 / 已保留称号 in place of an alert's copy, drawn from the honour when sent; one neither revoked nor kept, or gone, is not sent. */
export function revocationDecidedRenderer(db: Db): CardRenderer {
  return async (specs: CardSpec[]): Promise<RenderedCard[]> => {
    const out: RenderedCard[] = [];
    for (const spec of specs) out.push((await revocationDecidedFor(db, Number(spec.honourId))) ?? { drop: `称号 ${spec.honourId} 不存在或尚未决定` });
    return out;
  };
}

/**
 * The 撤销称号提醒's copies redrawn by a 更正认定 (`revocationCorrectedKey`): `complaintId` the complaint corrected, `at`
 * the correction's moment (ms). Drawn when sent, from the title as it stands then: the alert while a run is pending again
 * (corrected back to 成立), the decision once revoked or kept since, else 撤销称号提醒已撤回.
 */
export const REVOCATION_WITHDRAWN_CARD = 'revocationWithdrawn';
export const revocationWithdrawnSpec = (honourId: number, complaintId: number, at: Date) => ({ kind: REVOCATION_WITHDRAWN_CARD, honourId, complaintId, at: at.getTime() });
/** A 更正认定's redraw of the alert's copies (`:<message id>` follows): the n-th correction of the complaint. */
export const revocationCorrectedKey = (honourId: number, complaintId: number, n: number) => `revocation:corrected:${honourId}:${complaintId}:c${n}`;

export function revocationWithdrawnRenderer(db: Db, timezone: string): CardRenderer {
  return async (specs: CardSpec[], rows?: readonly OutboxRow[]): Promise<RenderedCard[]> => {
    const out: RenderedCard[] = [];
    // a few a year: one title at a time
    for (const [i, spec] of specs.entries()) {
      const honourId = Number(spec.honourId);
      const [honour] = Number.isSafeInteger(honourId) && honourId > 0 && honourId <= 2_147_483_647 ? await db.select().from(honours).where(eq(honours.id, honourId)) : [];
      const drop = { drop: `称号 ${spec.honourId} 不存在` };
      if (!honour) {
        out.push(drop);
        continue;
      }
      const status = honour.revokedAt ? undefined : await titleStatus(db, honour.teamId);
      const alert = runPending(status, honour) ? await revocationAlertFor(db, honourId, timezone, undefined, undefined, landsInGroup(spec, rows?.[i])) : undefined;
      if (alert) out.push({ card: alert });
      else if (honour.revokedAt || (honour.keptAt && honour.keptAt.getTime() >= Number(spec.at))) out.push((await revocationDecidedFor(db, honourId)) ?? drop);
      else {
        const complaintId = Number(spec.complaintId);
        const [team, found] = await Promise.all([complaintTeam(db, honour.teamId), Number.isSafeInteger(complaintId) && complaintId > 0 && complaintId <= 2_147_483_647 ? getComplaint(db, complaintId) : undefined]);
        if (!team) {
          out.push(drop);
          continue;
        }
        const complaint = found?.complaint.status === 'dismissed' ? complaintSummary(found.complaint, found.team, timezone) : undefined;
        out.push({ card: revocationWithdrawnCard({ team, year: honour.year, title: status?.view, complaint }) });
      }
    }
    return out;
  };
}

/**
 * The card 撤销称号 or 保留称号 answered with (revokeHonour, keepHonour), drawn from the honour as it stands: its reason,
 * its certificate and the cycle's bar when revoked; the team's other titles the same decision took (the same moment).
 */
export async function revocationDecidedFor(db: Db, honourId: number): Promise<{ card: Card } | undefined> {
  const decided = await revocationDecidedOf(db, honourId);
  return decided && { card: decided.card };
}

/** `revocationDecidedFor`, with the decision and the team it was drawn of. */
export async function revocationDecidedOf(db: Db, honourId: number): Promise<{ card: Card; decision: 'revoked' | 'kept'; team: ComplaintTeamRow } | undefined> {
  if (!Number.isSafeInteger(honourId) || honourId <= 0 || honourId > 2_147_483_647) return undefined;
  const [row] = await db
    .select({ honour: honours, team: teamColumns })
    .from(honours)
    .innerJoin(teams, eq(teams.id, honours.teamId))
    .innerJoin(organizations, eq(organizations.id, teams.organizationId))
    .where(eq(honours.id, honourId));
  if (!row) return undefined;
  const { honour, team } = row;
  const at = honour.revokedAt ?? honour.keptAt;
  if (!at) return undefined;
  const decision = honour.revokedAt ? 'revoked' : 'kept';
  // issued together: one round trip
  const [taken, cycle] = await Promise.all([
    db
      .select({ id: honours.id, year: honours.year, certificate: certificates.number })
      .from(honours)
      .leftJoin(certificates, eq(certificates.honourId, honours.id))
      .where(and(eq(honours.teamId, team.id), decision === 'revoked' ? eq(honours.revokedAt, at) : and(isNull(honours.revokedAt), eq(honours.keptAt, at))))
      .orderBy(asc(honours.year)),
    decision === 'revoked' ? getRunningOrLatestCycle(db) : undefined,
  ]);
  const certificate = taken.find((h) => h.id === honourId)?.certificate ?? undefined;
  const others = taken.filter((h) => h.id !== honourId).map((h) => (decision === 'revoked' ? { year: h.year, certificate: h.certificate ?? undefined } : { year: h.year }));
  if (decision === 'kept') return { card: revocationDecidedCard({ team, year: honour.year, decision, reason: honour.keptReason ?? '', others }), decision, team };
  return { card: revocationDecidedCard({ team, year: honour.year, decision, reason: honour.revokedReason ?? '', certificate, barDays: revocationBarDays(cycle), others }), decision, team };
}

/**
 * The copies of the revocation alert already sent to the administrators, but the one clicked, raised since the title's
 * last 保留称号 (the runs this decision answers): the alert's (`revocation:alert:<honour>:from-<first complaint>:<destination>`)
 * and the escalation job's of the days still redrawable after that 保留 (`revocation:escalate:<date>:<honour>:<destination>`),
 * of every title the decision takes. Each is redrawn as decided by its message id, if Feishu still takes an update of it
 * (sent within 14 days), so nobody reads it as still awaiting a decision; so is each list of several titles of those days
 * (`revocation:escalate:<date>:titles:<destination>`) listing one of them, as a list (REVOCATION_ESCALATION_LIST_REDRAWN).
 * One not sent yet goes out decided (revocationAlertRenderer; a list leaves it out); the one-statement 撤销 / 保留
 * (src/fast/decisions.ts) queues the same rows.
 */
async function redrawRevocationCopies(
  tx: Db,
  honourId: number,
  status: TitleStatus,
  clicked: string | undefined,
  opts: ComplaintOptions,
  /** What they are redrawn as, and the key's prefix (a 更正认定's: `revocationCorrectedKey`); else as decided. */
  corrected?: { key: string; render: CardSpec },
): Promise<void> {
  const as = corrected ?? { key: revocationRedrawnKey(honourId), render: { kind: REVOCATION_DECIDED_CARD, honourId } };
  const ids = titlesOfRun(status).map((h) => h.id);
  const keptOn = status.keptAt ? todayIn(opts.timezone, status.keptAt) : undefined;
  const dates = escalationDates(opts.now, opts.timezone).filter((d) => !keptOn || d > keptOn);
  const unnestText = (xs: unknown[]) => sql`unnest(string_to_array(${xs.join(',')}::text, ','))`;
  const sent = await tx
    .select({ messageId: outbox.messageId, receiveIdType: outbox.receiveIdType, dedupeKey: outbox.dedupeKey, card: outbox.card })
    .from(outbox)
    .where(
      and(
        // the escalation job's lists of several titles (`revocationEscalationKey` with no honour) of those days too, the
        // ones listing a title the decision takes; a 更正认定's redraws them as well: a title it took back left off, one
        // awaiting again shown so
        sql`${outbox.dedupeKey} in (select 'revocation:alert:' || h.id || ':from-' || u.id || ':' || s.dest_key from ${unnestText(ids)} h (id) cross join ${unnestText(status.upheld)} u (id) cross join (${adminDestinationsQuery(opts.bootstrapAdmins)}) s
          union all select 'revocation:escalate:' || d.day || ':' || h.id || ':' || s.dest_key from ${unnestText(dates)} d (day) cross join ${unnestText(ids)} h (id) cross join (${adminDestinationsQuery(opts.bootstrapAdmins)}) s
          union all select 'revocation:escalate:' || d.day || ':titles:' || s.dest_key from ${unnestText(dates)} d (day) cross join (${adminDestinationsQuery(opts.bootstrapAdmins)}) s)`,
        sql`(not ${isEscalationList(sql`${outbox.dedupeKey}`)} or exists (select 1 from ${unnestText(ids)} h (id) where ${outbox.card} -> 'render' -> 'honourIds' @> jsonb_build_array(h.id::int)))`,
        isNotNull(outbox.messageId),
        clicked ? ne(outbox.messageId, clicked) : undefined,
        // Feishu takes no update of a card sent more than 14 days ago; sent_at is the database's clock
        sql`${outbox.sentAt} > now() - interval '14 days'`,
      ),
    )
    .orderBy(asc(outbox.id));
  for (const { messageId, receiveIdType, dedupeKey, card } of sent) {
    // a 更正认定's redraw may draw the alert again: a group's quotes the complaints without a phone or e-mail typed in (landsInGroup)
    const group = receiveIdType === 'chat_id' ? { group: true } : {};
    const render = escalationListOfKey(dedupeKey)
      ? { kind: REVOCATION_ESCALATION_LIST_REDRAWN, honourIds: cardSpecOf({ msgType: 'interactive', card })?.honourIds ?? [], day: escalationListOfKey(dedupeKey), ...group }
      : corrected
        ? { ...as.render, ...group }
        : as.render;
    await opts.send({ dedupeKey: `${as.key}:${messageId}`, to: { updateMessage: messageId! }, render });
  }
}

/** Whether an outbox key (an SQL text expression) is the escalation job's list of several titles (`revocationEscalationKey` with no honour). */
const isEscalationList = (key: SQL) => sql`(starts_with(${key}, 'revocation:escalate:') and split_part(${key}, ':', 4) = 'titles')`;

/** The day of the escalation job's list of several titles whose key this is (`revocationEscalationKey`), else undefined. */
function escalationListOfKey(key: string): string | undefined {
  const [a, b, day, titles] = key.split(':');
  return a === 'revocation' && b === 'escalate' && titles === 'titles' ? day : undefined;
}

/**
 * The row locks of the upheld complaints of the honour's team, in id order: 保留称号 writes them (set_aside_at) and takes
 * them before the title's lock (lockHonour), in the order 认定 and 更正认定 take a complaint's row before it (lockTitle).
 */
function lockUpheldOfTitle(tx: Db, honourId: number) {
  return tx
    .select({ id: complaints.id })
    .from(complaints)
    .where(and(eq(complaints.teamId, sql`(select ${honours.teamId} from ${honours} where ${honours.id} = ${honourId})`), eq(complaints.status, 'upheld')))
    .orderBy(asc(complaints.id))
    .for('update');
}

async function lockHonour(tx: Db, honourId: number, timezone: string, actor: Actor): Promise<{ honour: Honour; team: ComplaintTeamRow }> {
  // the team's honours, latest first (the title's lock, lockTitle, before any other): a decision may write every title held
  await tx
    .select({ id: honours.id })
    .from(honours)
    .where(eq(honours.teamId, sql`(select ${honours.teamId} from ${honours} where ${honours.id} = ${honourId})`))
    .orderBy(desc(honours.year))
    .for('update');
  // the honour's lock, already held, taken again by the read that joins its team
  const [row] = await tx
    .select({ honour: honours, team: teamColumns })
    .from(honours)
    .innerJoin(teams, eq(teams.id, honours.teamId))
    .innerJoin(organizations, eq(organizations.id, teams.organizationId))
    .where(eq(honours.id, honourId))
    .for('update', { of: honours });
  const { honour, team } = row ?? {};
  if (!honour || !team) throw new UserError('找不到该称号记录，请发送“管理”查看。');
  if (honour.revokedAt) {
    const who = await titleDecidedBy(tx, honour.id, 'honour.revoke', actor);
    // who decided and when, as a complaint decided already says it (decidedAlready); a title revoked with no decision on record (imported so) by date alone
    if (who) throw new UserError(`${who}已于 ${formatDateTimeZh(honour.revokedAt, timezone)} 撤销 ${team.name} 的 ${honour.year} 年度称号，无需再处理。`, { kind: 'info' });
    throw new UserError(`${team.name} 的 ${honour.year} 年度称号已于 ${formatDateZh(todayIn(timezone, honour.revokedAt))} 撤销，无需重复处理。`, { kind: 'info' });
  }
  return { honour, team };
}

/**
 * Who made a title's latest 撤销称号 or 保留称号 (its audit row), as a complaint decided already names them: 你 to the
 * one who did, else their name, else 其他管理员; undefined when no decision is on record.
 */
async function titleDecidedBy(tx: Db, honourId: number, action: 'honour.revoke' | 'honour.keep', actor: Actor): Promise<string | undefined> {
  const row = await titleDecider(tx, honourId, action);
  if (!row) return undefined;
  return row.by === actor.openId ? '你' : (row.name ?? '其他管理员');
}

/** The latest 撤销称号 or 保留称号 of a title on record (its audit row): who (open_id, name in people); undefined when none. */
export async function titleDecider(tx: Db, honourId: number, action: 'honour.revoke' | 'honour.keep'): Promise<{ by: string; name: string | null } | undefined> {
  const [row] = await tx
    .select({ by: auditLog.actor, name: people.name })
    .from(auditLog)
    .leftJoin(people, eq(people.openId, auditLog.actor))
    .where(and(eq(auditLog.action, action), eq(auditLog.entity, 'honour'), eq(auditLog.entityId, String(honourId))))
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(1);
  return row;
}

/** A title kept (保留称号) and no new run since: that decision stands, whichever copy of the alert is clicked next; who kept it and when, when on record. */
async function keptAlready(tx: Db, honour: Honour, team: ComplaintTeamRow, timezone: string, actor: Actor): Promise<UserError> {
  const why = honour.keptReason ? `（理由：${honour.keptReason}）` : '';
  const who = await titleDecidedBy(tx, honour.id, 'honour.keep', actor);
  // the article's words in each message itself (test/articleCitations.test.ts reads them in the source)
  if (who) return new UserError(cite(22, `${who}已于 ${formatDateTimeZh(honour.keptAt!, timezone)} 决定保留 ${team.name} 的 ${honour.year} 年度称号${why}，无需再处理；此后再连续出现成立的投诉时，会再次提醒是否撤销称号。`), { kind: 'info', article: 22 });
  return new UserError(cite(22, `${team.name} 的 ${honour.year} 年度称号已于 ${formatDateZh(todayIn(timezone, honour.keptAt!))} 决定保留${why}，无需重复处理；此后再连续出现成立的投诉时，会再次提醒是否撤销称号。`), { kind: 'info', article: 22 });
}

/** Whether the title's run of upheld complaints (since any 保留称号) has reached the threshold (第二十二条) and is against this title (titlesOfRun). */
const runPending = (status: TitleStatus | undefined, honour: Honour): boolean => titlesOfRun(status).some((h) => h.id === honour.id);

/** 撤销 / 保留 decide a pending revocation (第二十二条) alone: a title kept since says so, any other says how far its run has gone. */
async function refuseUnlessPending(tx: Db, status: TitleStatus | undefined, honour: Honour, team: ComplaintTeamRow, timezone: string, actor: Actor): Promise<void> {
  if (runPending(status, honour)) return;
  if (honour.keptAt) throw await keptAlready(tx, honour, team, timezone, actor);
  const [run, required] = status?.held.some((h) => h.id === honour.id) ? [status.view.run, status.view.required] : [0, await revocationRun(tx)];
  throw new UserError(cite(22, `${team.name} 目前连续成立的投诉为 ${run} 次（连续 ${required} 次才提醒撤销），没有待决定的撤销提醒。`), { kind: 'info', article: 22 });
}

/**
 * 撤销称号 (第二十二条): the reason on record, the honour revoked, leader and organisation contact told. A team that
 * held two titles through the run (awarded again while it held the first) loses both (titlesOfRun): the complaints
 * were against the team as a title holder, and revoking one title would leave it holding the other.
 */
export async function revokeTitle(tx: Db, actor: Actor, honourId: number, values: Record<string, unknown>, opts: ComplaintOptions, clicked?: string): Promise<{ team: ComplaintTeamRow; honour: Honour; reason: string; certificate?: string; barDays: number | null; others: { year: number; certificate?: string }[] }> {
  requireAdmin(actor);
  const { honour, team } = await lockHonour(tx, honourId, opts.timezone, actor);
  // only while a run stands at the threshold; two copies of one alert (each administrator's): once one kept the title, the other's 撤销 no longer applies
  const status = await titleStatus(tx, team.id);
  await refuseUnlessPending(tx, status, honour, team, opts.timezone, actor);
  const { reason } = readRevocationDecision(values);
  const ids = titlesOfRun(status).map((h) => h.id);
  // issued together: one round trip. The certificate row stays as issued; a revoked honour is what makes its number void (第二十条, 第二十二条)
  const [cycle, revoked, issued] = await Promise.all([
    getRunningOrLatestCycle(tx),
    tx.update(honours).set({ revokedAt: opts.now, revokedReason: reason }).where(and(inArray(honours.id, ids), isNull(honours.revokedAt))).returning(),
    tx.select({ honourId: certificates.honourId, number: certificates.number }).from(certificates).where(inArray(certificates.honourId, ids)),
  ]);
  const barDays = revocationBarDays(cycle);
  const numbers = new Map(issued.map((c) => [c.honourId, c.number]));
  for (const h of revoked.sort((a, b) => Number(a.id !== honourId) - Number(b.id !== honourId) || a.year - b.year)) {
    const certificate = numbers.get(h.id);
    await audit(tx, { actor: actor.openId, action: 'honour.revoke', entity: 'honour', entityId: h.id, details: { teamId: team.id, year: h.year, reason, certificate }, at: opts.now });
    // drawn when it is sent (titleRevokedRenderer), so the one-statement 撤销称号 (src/fast/decisions.ts) queues these very rows
    for (const openId of new Set([team.leaderOpenId, team.contactOpenId])) {
      await opts.send({ dedupeKey: `${titleRevokedKey(h.id)}:user:${openId}`, to: { openId }, render: titleRevokedSpec(h.id) });
    }
  }
  await redrawRevocationCopies(tx, honourId, status!, clicked, opts);
  const others = revoked.filter((h) => h.id !== honourId).map((h) => ({ year: h.year, certificate: numbers.get(h.id) }));
  return { team, honour: revoked.find((h) => h.id === honourId)!, reason, certificate: numbers.get(honourId), barDays, others };
}

/** 保留称号: the decision on record, on every title the run is against (titlesOfRun); the upheld complaints the runs count until now no longer count (set_aside_at). */
export async function keepTitle(tx: Db, actor: Actor, honourId: number, values: Record<string, unknown>, opts: ComplaintOptions, clicked?: string): Promise<{ team: ComplaintTeamRow; honour: Honour; reason: string; others: { year: number }[] }> {
  requireAdmin(actor);
  // the team's upheld complaints (those it may set aside), in id order, before the title's lock: 认定 and 更正认定 hold a
  // complaint's row while they wait for that lock, so taken after it, the two would each wait for the other (a deadlock).
  // Issued together (one round trip), this lock sent first
  const [, { honour, team }] = await Promise.all([lockUpheldOfTitle(tx, honourId).execute(), lockHonour(tx, honourId, opts.timezone, actor)]);
  // issued together: one round trip
  const [status, member] = await Promise.all([titleStatus(tx, team.id), isTeamMember(tx, team.id, actor.openId)]);
  await refuseUnlessPending(tx, status, honour, team, opts.timezone, actor);
  refuseOwnTeam(team, actor, member, '决定保留本班组的称号');
  const { reason } = readRevocationDecision(values);
  // issued together: one round trip. The upheld complaints the runs count are set aside by this 保留 (第二十二条), marked
  // with its moment, so a 更正认定 of one of them later (a new decided_at) does not make it count again
  const [kept] = await Promise.all([
    tx.update(honours).set({ keptAt: opts.now, keptReason: reason }).where(inArray(honours.id, titlesOfRun(status).map((h) => h.id))).returning(),
    tx.update(complaints).set({ setAsideAt: opts.now }).where(inArray(complaints.id, status!.upheld)),
  ]);
  for (const h of kept.sort((a, b) => Number(a.id !== honourId) - Number(b.id !== honourId) || a.year - b.year)) {
    await audit(tx, { actor: actor.openId, action: 'honour.keep', entity: 'honour', entityId: h.id, details: { teamId: team.id, year: h.year, reason, run: status!.view.run }, at: opts.now });
  }
  await redrawRevocationCopies(tx, honourId, status!, clicked, opts);
  return { team, honour: kept.find((h) => h.id === honourId)!, reason, others: kept.filter((h) => h.id !== honourId).map((h) => ({ year: h.year })) };
}

export interface TitleAwaitingDecision {
  honourId: number;
  year: number;
  run: number;
  team: ComplaintTeamRow;
  /** Since when the decision has been awaited (`TitleStatus.dueAt`). */
  dueAt: Date;
}

/**
 * Titles whose upheld complaints in a row reached the revocation threshold (第二十二条) and still await
 * 撤销 / 保留: the alert card stops taking clicks after 14 days, so 投诉处理 lists these too.
 */
export async function titlesAwaitingDecision(tx: Db): Promise<TitleAwaitingDecision[]> {
  const held = await tx
    .selectDistinct({ teamId: honours.teamId })
    .from(honours)
    .innerJoin(complaints, and(eq(complaints.teamId, honours.teamId), eq(complaints.status, 'upheld')))
    .where(isNull(honours.revokedAt));
  const out: TitleAwaitingDecision[] = [];
  for (const { teamId } of held) {
    const status = await titleStatus(tx, teamId);
    const team = status && status.view.run >= status.view.required ? await complaintTeam(tx, teamId) : undefined;
    if (status && team) out.push({ honourId: status.honour.id, year: status.honour.year, run: status.view.run, team, dueAt: status.dueAt ?? status.honour.awardedAt });
  }
  // the longest awaited first, as the open complaints are listed
  return out.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.honourId - b.honourId);
}
