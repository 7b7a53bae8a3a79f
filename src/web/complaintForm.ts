import { createHash, randomBytes } from 'node:crypto';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { ComplaintRepeated, complaintForm, createComplaint, TeamNotFound } from '../complaints.js';
import { storable } from '../storable.js';
import { UserError } from '../errors.js';
import { sql, eq } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import { auditLog, complaints, processedEvents, teams } from '../../db/schema.js';
import { adminDestinations, destinationKey } from '../notifications.js';
import { enqueue } from '../outbox.js';
import { addressKey, countRequest, fullFor, networkKey, RateLimited, type RateRule } from '../rateLimit.js';
import type { RouteDeps } from '../routes.js';
import { fromAnotherSite, ownOrigins } from './crossSite.js';
import { escapeHtml, htmlInputs } from './formHtml.js';
import type { FormFields } from '../forms.js';
import { clipText, cutText } from '../../cards/kit.js';
import { errorText } from '../log.js';
import { type AssociationContact, contactPhrase } from '../../cards/contact.js';
import { getAssociationContact } from '../associationContact.js';

/** Public complaint intake (第二十一条) for customers outside the Feishu tenant. */

/**
 * Counted are complaints taken; bad input, the honeypot and refusals are not, so a complainant can correct the form and
 * send it again. Refusals have an allowance of their own per address (`refusedMax` in the same window): past it, every
 * post from the address is turned away until the window moves on, so nobody can try team names and codes one after
 * another to learn which exist. Shared by every replica through the database.
 */
export const complaintRateLimit = { max: 5, windowMs: 10 * 60_000, perDay: 20, globalPerHour: 60, refusedMax: 20 };

/**
 * The per-address rules (IPv6 by /64, and the same again by /48) and the cap on all public complaints in an hour. The
 * day's rule keeps a few addresses from holding the hourly cap reached around the clock (two at 5 per 10 minutes would),
 * which would turn every genuine complainant away (第二十一条); the /48's keeps one IPv6 customer, who has 65 536 /64s,
 * from doing it alone.
 */
export function complaintRules(ip: string, limits = complaintRateLimit): RateRule[] {
  const address = addressKey(ip || 'unknown');
  const network = networkKey(ip || 'unknown');
  return [
    { key: `complaint:${address}`, max: limits.max, windowMs: limits.windowMs },
    { key: `complaint:day:${address}`, max: limits.perDay, windowMs: 86_400_000 },
    ...(network
      ? [
          { key: `complaint:${network}`, max: limits.max, windowMs: limits.windowMs },
          { key: `complaint:day:${network}`, max: limits.perDay, windowMs: 86_400_000 },
        ]
      : []),
    { key: GLOBAL_RULE, max: limits.globalPerHour, windowMs: 3_600_000 },
  ];
}

const GLOBAL_RULE = 'complaint:all';

/**
 * Posts from one address refused for what they said (a team not found, a field missing), counted apart from complaints
 * taken; an IPv6 address by its /64 and again by its /48, as complaints are, or one customer's 65 536 /64s would each
 * try 20 team names.
 */
export function complaintRefusalRules(ip: string, limits = complaintRateLimit): RateRule[] {
  const network = networkKey(ip || 'unknown');
  return [addressKey(ip || 'unknown'), ...(network ? [network] : [])].map((key) => ({ key: `complaint:refused:${key}`, max: limits.refusedMax, windowMs: limits.windowMs }));
}

/** A refused post counted, in a transaction of its own (the request's rolled back); past the allowance it counts no more. */
async function countRefusal(deps: RouteDeps, rules: RateRule[], now: Date): Promise<void> {
  try {
    await deps.database.db.transaction((tx) => countRequest(tx, rules, now));
  } catch (err) {
    if (!(err instanceof RateLimited)) deps.log.warn({ err: String(err) }, 'public complaint: a refusal could not be counted');
  }
}

/** The hours whose cap this process has reported already: a flood of refused posts costs one write, not one each. */
const capToldFor = new Set<string>();

/**
 * The hourly cap on all public complaints reached: the administrators told once in that hour (the key keeps it once
 * across replicas), in a transaction of its own. A failure here is logged; the sender still gets the 429.
 */
async function capReached(deps: RouteDeps, now: Date): Promise<void> {
  const hour = now.toISOString().slice(0, 13);
  if (capToldFor.has(hour)) return;
  const text = `网上投诉入口本小时已达上限（${complaintRateLimit.globalPerHour} 件），此后的投诉人被告知稍后再试或直接联系协会。如非正常投诉高峰，请留意是否有人批量提交。`;
  try {
    await deps.database.db.transaction(async (tx) => {
      for (const to of await adminDestinations(tx, deps.config.ADMIN_OPEN_IDS)) await enqueue(tx, { dedupeKey: `complaint:cap:${hour}:${destinationKey(to)}`, to, text });
    });
    if (capToldFor.size > 48) capToldFor.clear();
    capToldFor.add(hour);
    deps.dispatcher.nudge();
  } catch (err) {
    deps.log.error({ err }, 'public complaint cap: the administrators could not be told');
  }
}

/** The audit row's form key of a complaint sent from the page with `token` (createComplaint writes it). */
const webFormKey = (token: string) => `web:${token}`;

/**
 * The page's token with what it brought: the same complaint posted again (a retry, a reload, a second click) is one
 * complaint; a different one sent from a page already used (the browser's Back, a second tab) is a complaint of its own,
 * not answered with the first one's number and dropped.
 */
const sentWithToken = (token: string, fields: Record<string, unknown>) =>
  `${token}:${createHash('sha256').update(JSON.stringify(Object.entries(fields).map(([k, v]) => [k, typeof v === 'string' ? v.trim() : v]))).digest('base64url').slice(0, 22)}`;

/** The complaint a page's token brought, with its team, from its audit row. */
async function complaintOfWebForm(db: Db, formKey: string): Promise<{ reference: string; contact: string | null; status: string; team: { name: string; code: string } } | undefined> {
  const [row] = await db
    .select({ reference: complaints.reference, contact: complaints.contact, status: complaints.status, name: teams.name, code: teams.code })
    .from(auditLog)
    .innerJoin(complaints, sql`${complaints.id}::text = ${auditLog.entityId}`)
    .innerJoin(teams, eq(teams.id, complaints.teamId))
    .where(sql`${auditLog.action} = 'complaint.create' and ${auditLog.details}->>'formKey' = ${formKey}`)
    .limit(1);
  return row && { reference: row.reference, contact: row.contact, status: row.status, team: { name: row.name, code: row.code } };
}

/** The association as a page's text names it: with 协会联系方式 once an administrator set it (管理 → 协会联系方式), how to reach it. */
const associationReached = (association?: AssociationContact) => (association ? `广东省市政行业协会（${contactPhrase(association)}）` : '广东省市政行业协会');

/**
 * How a web complainant learns the outcome (第二十一条): they get no Feishu notice, so the association tells them at the
 * contact they left; with none left nobody can, and they may ask the association, quoting the reference (how to reach it
 * once 协会联系方式 is set). A complaint sent again once decided (`status` other than open) is not to be checked any more:
 * it was handled, and no more of the outcome is said than the association tells them.
 */
export function outcomeTold(contact: string | null | undefined, association?: AssociationContact, status = 'open'): string {
  const left = contact?.trim();
  const reach = associationReached(association);
  if (status !== 'open') {
    return left
      ? `协会已处理这件投诉，处理结果由协会通过你留下的联系方式（${clipText(left, 40)}）告知；如需询问，请联系${reach}并提供投诉编号。`
      : `协会已处理这件投诉；你没有留下联系方式，如想了解处理结果，请联系${reach}并提供投诉编号。`;
  }
  return left
    ? `协会核查后，将通过你留下的联系方式（${clipText(left, 40)}）告知处理结果；如需询问，请联系${reach}并提供投诉编号。`
    : `你没有留下联系方式，协会核查后无法告知你处理结果；如想了解结果，请联系${reach}并提供投诉编号。`;
}

/** The contact field's hint on the public page: what the contact is for there, where no Feishu notice follows. */
const WEB_CONTACT_HELP = '电话或邮箱，仅协会可见，便于协会回访并告知处理结果；不留则无法告知，可凭投诉编号联系协会询问';
/** The complaint form as the public page shows it: the contact's hint says how the outcome is told. */
const webComplaintForm = { ...complaintForm, fields: { ...complaintForm.fields, contact: { ...complaintForm.fields.contact, help: WEB_CONTACT_HELP } } };

/** A field people never see or fill: a script filling every input gives itself away. */
export const HONEYPOT_FIELD = 'website';

const fieldNames = Object.keys(complaintForm.fields);

/** What the JSON API takes, from the descriptor: {"team": "被投诉班组", "content": "投诉内容", "contact": "联系方式（选填）"}. */
const expectedBody = JSON.stringify(Object.fromEntries(Object.entries(complaintForm.fields as FormFields).map(([k, f]) => [k, `${f.label}${f.required === false ? '（选填）' : ''}`])));

/** The descriptor's fields as a query or a body gives them: strings only (a repeated query key gives its first). */
function typedFields(source: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(fieldNames.map((k) => [k, Array.isArray(source[k]) ? source[k][0] : source[k]]));
}

/** The descriptor's fields of a JSON or form body, as they are. */
function sentFields(source: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(fieldNames.map((k) => [k, source[k]]));
}

const NOT_UTF8 = '提交的文字编码无法识别，这份投诉没有受理：请用 UTF-8 编码提交，或直接在投诉页面上填写。';

/**
 * The body as text in the charset its Content-Type declares (UTF-8 when none), a byte-order mark dropped (RFC 8259
 * lets a parser ignore it); a charset unknown, or bytes that are not text in it, answer what to do instead of a
 * complaint stored as U+FFFD.
 */
function bodyText(ctx: Context): string | { status: number; msg: string } {
  const bytes = ctx.state.rawBytes instanceof Buffer ? ctx.state.rawBytes : Buffer.from(String(ctx.state.rawBody ?? ''), 'utf8');
  const charset = ctx.request.charset || 'utf-8';
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset, { fatal: true });
  } catch {
    return { status: 415, msg: `不支持的字符集“${charset}”，这份投诉没有受理：请用 UTF-8 编码提交。` };
  }
  try {
    return decoder.decode(bytes);
  } catch {
    return { status: 400, msg: NOT_UTF8 };
  }
}

/** A refusal before the body is read: as a page to the page's own form posted without JavaScript, else as JSON. */
function jsonOrPage(ctx: Context, formType: boolean, status: number, msg: string) {
  return formType && ctx.accepts('html', 'json') !== 'json' ? pageAnswer(new URLSearchParams())(ctx, status, { code: status, msg }) : jsonAnswer(ctx, status, { code: status, msg });
}

/** 协会联系方式 for the page's footer; the page is still drawn without it when the database cannot say (the form was never a read). */
async function contactForPage(deps: RouteDeps): Promise<AssociationContact | undefined> {
  return getAssociationContact(deps.database.db).catch((err: unknown) => {
    deps.log.warn({ err: errorText(err) }, 'complaint page drawn without the association contact: it could not be read');
    return undefined;
  });
}

/** GET /complaints/new (a link may name the team: ?team=GDSZ-2026-0001) and POST /api/complaints. */
export function mountComplaintRoutes(router: Router, deps: RouteDeps): void {
  // only the team: a link that filled in the complaint or a phone number would put words in a stranger's mouth
  // 协会联系方式 read for the page: a complainant outside the tenant sees how to reach the association
  router.get('/complaints/new', async (ctx) => page(ctx, 200, typedFields({ team: ctx.query.team }), undefined, undefined, await contactForPage(deps)));
  // the address bar after a post without JavaScript shows /api/complaints: asked again, it leads back to the form
  router.get('/api/complaints', (ctx) => {
    ctx.status = 303;
    ctx.redirect('/complaints/new');
  });

  let proxyUnseen = true;
  router.post('/api/complaints', async (ctx) => {
    // behind a proxy not declared, every complainant is the proxy's address: one address's limit turns everyone away. Said
    // once in the log, for whoever runs the bot (it cannot tell a proxy from a client writing the header itself)
    if (proxyUnseen && !deps.config.TRUST_PROXY && ctx.get('x-forwarded-for')) {
      proxyUnseen = false;
      deps.log.warn(
        { ip: ctx.ip },
        'a public complaint came with X-Forwarded-For while TRUST_PROXY is 0: if the bot is behind a reverse proxy, every complainant counts as its address for the rate limits; set TRUST_PROXY to the number of proxies',
      );
    }
    // a page on another site must not file complaints through its visitors' browsers: each visitor's address would be a
    // fresh quota, and the hourly cap they fill turns genuine complainants away
    if (fromAnotherSite(ctx)) {
      deps.log.warn({ ip: ctx.ip, origin: ctx.get('origin'), site: ctx.get('sec-fetch-site'), own: [...ownOrigins(ctx)] }, 'public complaint refused: posted from another site');
      return refuse(ctx, 403, ['这份投诉是从其他网站的页面提交的，未被受理。', '如需投诉，请直接打开广东省市政行业协会的投诉页面填写提交。']);
    }
    const formType = typeof ctx.is('application/x-www-form-urlencoded') === 'string';
    // JSON only as JSON: a text/plain body is what another site's script may send without asking first
    if (!formType && typeof ctx.is('application/json') !== 'string') {
      return refuse(ctx, 415, [`请求内容须为 JSON（content-type: application/json）：${expectedBody}`]);
    }
    const decoded = bodyText(ctx);
    if (typeof decoded !== 'string') return jsonOrPage(ctx, formType, decoded.status, decoded.msg);
    const raw = decoded;
    // the page's own form posted by a browser without JavaScript: the same intake, answered with the page. A JSON
    // object sent as a form (curl -d sends that type unless told otherwise) is still read as JSON
    const formBody = formType && !raw.trimStart().startsWith('{');
    // answered with the page unless the sender asks for JSON (curl --data-urlencode -H 'accept: application/json')
    const fromPage = formBody && ctx.accepts('html', 'json') !== 'json';
    const typed = new URLSearchParams(formBody ? raw : '');
    // 协会联系方式 for the page; for the outcome's line the page's script shows, read only once a complaint is answered
    const shown = fromPage ? await contactForPage(deps) : undefined;
    const association = async () => (fromPage ? shown : contactForPage(deps));
    const answer = fromPage ? pageAnswer(typed, shown) : jsonAnswer;
    // percent-escapes are read as UTF-8 (the page is UTF-8, so a browser sends that): bytes of another encoding come out
    // as U+FFFD, and a complaint stored so is lost while its sender is told it was taken
    if (formBody && [...typed.values()].some((v) => v.includes('\uFFFD')) && !/%EF%BF%BD/i.test(raw)) {
      return answer(ctx, 400, { code: 400, msg: NOT_UTF8 });
    }
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = formBody ? Object.fromEntries(typed) : JSON.parse(raw);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      // PostgreSQL text refuses NUL and lone surrogates: clean them as event payloads are
      body = storable(parsed as Record<string, unknown>);
    } catch {
      return answer(ctx, 400, { code: 400, msg: `请求内容须为 JSON 对象：${expectedBody}` });
    }
    if (typeof body[HONEYPOT_FIELD] === 'string' && body[HONEYPOT_FIELD] !== '') {
      deps.log.warn({ ip: ctx.ip }, 'public complaint refused: honeypot field filled');
      return answer(ctx, 400, { code: 400, msg: '提交未被受理，请在投诉页面上填写后提交。' });
    }
    // ctx.ip is the socket's address unless TRUST_PROXY names the proxies whose X-Forwarded-For is believed
    const rules = complaintRules(ctx.ip);
    const now = deps.clock.now();
    const refusals = complaintRefusalRules(ctx.ip);
    const full = (await Promise.all(refusals.map(async (rule) => ({ rule, wait: await fullFor(deps.database.db, rule, now) })))).filter((r) => r.wait !== undefined);
    const wait = full.length ? Math.max(...full.map((r) => r.wait!)) : undefined;
    if (wait !== undefined) {
      ctx.set('Retry-After', String(Math.ceil(wait / 1000)));
      deps.log.warn({ ip: ctx.ip, rules: full.map((r) => r.rule.key) }, 'public complaint refused: too many refused posts');
      return answer(ctx, 429, { code: 429, msg: `提交过于频繁，请 ${Math.max(1, Math.ceil(wait / 60_000))} 分钟后再试，或直接联系${associationReached(await association())}。` });
    }
    let token: string | undefined;
    try {
      // the page's token, posted by the form or by its script (a retry after an answer lost on the way is the same complaint)
      const pageToken = formToken(formBody ? typed.get(FORM_TOKEN_FIELD) : typeof body[FORM_TOKEN_FIELD] === 'string' ? (body[FORM_TOKEN_FIELD] as string) : null);
      token = pageToken && sentWithToken(pageToken, sentFields(body));
      const { complaint, team } = await deps.database.db.transaction(async (tx) => {
        // the page posted again (a reload after the answer, a second click): its token was spent with the complaint it
        // brought; a refused post rolls back with it, so the form can be corrected and sent with the same token
        if (token) {
          const [spent] = await tx.insert(processedEvents).values({ eventId: `complaint-form:${token}`, eventType: 'complaint.form' }).onConflictDoNothing().returning();
          if (!spent) throw new FormSentBefore();
        }
        return createComplaint(
          tx,
          // as sent: a JSON array where a text belongs is refused, not read as its first element. Counted against the
          // rate limits once known to be new: a complaint received already is answered with its reference, not 提交过于频繁
          { ...sentFields(body), channel: 'web', ...(token ? { formKey: webFormKey(token) } : {}), admit: () => countRequest(tx, rules, now) },
          { now, timezone: deps.config.BOT_TIMEZONE, bootstrapAdmins: deps.config.ADMIN_OPEN_IDS, send: (m) => enqueue(tx, m), sendIfNew: (m) => enqueue(tx, m) },
        );
      });
      deps.dispatcher.nudge();
      deps.log.info({ reference: complaint.reference, teamId: team.id }, 'public complaint received');
      // a post that brought a token gets a fresh one for the page's next complaint (its script puts it in the form)
      // the page (its script, or the form without it) says how the outcome will be told; another program calling the API
      // without the page's token gets the answer it always got
      return answer(ctx, 201, { reference: complaint.reference, team: { name: team.name, code: team.code }, ...(token ? { outcome: outcomeTold(complaint.contact, await association()), [FORM_TOKEN_FIELD]: newFormToken() } : {}) });
    } catch (err) {
      if (err instanceof ComplaintRepeated) {
        // the same complaint sent again without the page's token (another program retrying, a second tab): the first's
        // reference, as a page posted twice is answered; nothing was stored, nor counted against the rate limits
        deps.log.info({ reference: err.first.reference }, 'public complaint repeats one already filed');
        const { first } = err;
        if (fromPage) return page(ctx, 200, {}, { kind: 'ok', text: `${SENT_BEFORE}被投诉班组：${first.team.name}。投诉编号：`, reference: first.reference, outcome: outcomeTold(first.contact, shown, first.status) }, undefined, shown);
        return answer(ctx, 200, { msg: SENT_BEFORE, reference: first.reference, team: first.team, ...(token ? { outcome: outcomeTold(first.contact, await association(), first.status), [FORM_TOKEN_FIELD]: newFormToken() } : {}) });
      }
      if (err instanceof FormSentBefore) {
        // the same page's complaint again: its reference, which the first answer may never have brought
        const first = token ? await complaintOfWebForm(deps.database.db, webFormKey(token)) : undefined;
        const msg = SENT_BEFORE;
        if (fromPage) {
          const notice: PageNotice = first
            ? { kind: 'ok', text: `${msg}被投诉班组：${first.team.name}。投诉编号：`, reference: first.reference, outcome: outcomeTold(first.contact, shown, first.status) }
            : { kind: 'ok', text: `${msg}投诉编号见提交后显示的页面。` };
          return page(ctx, 200, {}, notice, undefined, shown);
        }
        return answer(ctx, 200, { msg, ...(first ? { reference: first.reference, team: first.team, outcome: outcomeTold(first.contact, await association(), first.status) } : {}), [FORM_TOKEN_FIELD]: newFormToken() });
      }
      if (err instanceof RateLimited) {
        const minutes = Math.max(1, Math.ceil(err.retryAfterMs / 60_000));
        ctx.set('Retry-After', String(Math.ceil(err.retryAfterMs / 1000)));
        deps.log.warn({ ip: ctx.ip, rule: err.rule.key }, 'public complaint refused: rate limit');
        if (err.rule.key === GLOBAL_RULE) {
          // not this sender's doing: say so, and tell the administrators once an hour that public intake is closed
          await capReached(deps, now);
          return answer(ctx, 429, { code: 429, msg: `网上投诉暂时较多，请 ${minutes} 分钟后再试，或直接联系${associationReached(await association())}。已填写的内容仍保留在页面上。` });
        }
        const wait = minutes > 90 ? `${Math.ceil(minutes / 60)} 小时` : `${minutes} 分钟`;
        return answer(ctx, 429, { code: 429, msg: `提交过于频繁，请 ${wait}后再试，或直接联系${associationReached(await association())}。` });
      }
      if (!(err instanceof UserError)) throw err;
      await countRefusal(deps, refusals, now);
      // a page has no 请修改 block to list a form's several problems in: its one message names each
      const msg = err.opts.problems ? `共 ${err.opts.problems.length} 处需修改：${err.opts.problems.join('；')}` : err.message;
      // a team typed with a slip: the title holders it may mean, by name and code (the message names them too)
      const suggestions = err instanceof TeamNotFound && err.near.length ? { suggestions: err.near.map((t) => ({ name: t.name, code: t.code })) } : {};
      return answer(ctx, 400, { code: 400, msg, ...(err.opts.field ? { field: err.opts.field } : {}), ...suggestions });
    }
  });
}

/**
 * Whether a browser made the request, so an error is answered as a page: a page asked for before JSON (Accept), or the form
 * posted without JavaScript unless it asks for JSON only. A JSON object sent with the form type (curl -d) is JSON when its
 * body was read; a body over the limit is not read, so then its type alone decides.
 */
function browserAsked(ctx: Context): boolean {
  const raw = ctx.state.rawBody;
  const formPost = typeof ctx.is('application/x-www-form-urlencoded') === 'string' && !(typeof raw === 'string' && raw.trimStart().startsWith('{'));
  return ctx.accepts('json', 'html') === 'html' || (formPost && ctx.accepts('html', 'json') === 'html');
}

const complaintPaths = new Set(['/complaints/new', '/api/complaints']);

/**
 * An error the route did not answer itself (a body over the limit, a fault) on the complaint form's addresses: a short
 * page when a browser asked (what happened, what to do, a link back to the form), and the same words as the JSON's
 * `msg` for the page's own script and any other caller, which would otherwise show the server's English.
 */
export function complaintErrorPage(ctx: Context, status: number): boolean {
  if (!complaintPaths.has(ctx.path)) return false;
  const content = complaintForm.fields.content;
  const requestId = String(ctx.state.requestId ?? '');
  const lines =
    status === 413
      ? ['提交的内容超过了上限，这份投诉没有提交。', `请将${content.label}删减到 ${content.maxLength} 字以内后重新提交。`]
      : status >= 500
        ? ['服务器暂时出现故障，这份投诉没有受理。', '请稍后重新提交。', `错误编号：${requestId}（向协会反映时请提供）`]
        : [`请求未被受理（${status}）。`, '请重新填写提交。'];
  if (!browserAsked(ctx)) {
    jsonAnswer(ctx, status, { code: status, msg: lines.join(''), ...(status >= 500 ? { requestId } : {}) });
    return true;
  }
  if (status === 413) {
    errorPage(ctx, status, { title: '投诉内容过长', lines: [lines[0], `请返回投诉页面，将${content.label}删减到 ${content.maxLength} 字以内后重新提交。`] });
  } else if (status >= 500) {
    const typed = typeof ctx.state.rawBody === 'string' && ctx.method === 'POST' ? typedFields(Object.fromEntries(new URLSearchParams(ctx.state.rawBody))) : {};
    const team = typeof typed.team === 'string' ? cutText(typed.team.trim(), 100) : '';
    errorPage(ctx, status, {
      title: '投诉未能提交',
      lines: [lines[0], '请稍后返回投诉页面重新提交。', lines[2]],
      typed: typeof typed.content === 'string' && typed.content ? typed.content : undefined,
      back: team ? `/complaints/new?team=${encodeURIComponent(team)}` : undefined,
    });
  } else {
    errorPage(ctx, status, { title: '投诉未能提交', lines: [lines[0], '请返回投诉页面重新填写提交。'] });
  }
  return true;
}

/** A refusal before the body is read: the short page when a browser asked, else JSON `{code, msg}`. */
function refuse(ctx: Context, status: number, lines: string[]): void {
  if (browserAsked(ctx)) return errorPage(ctx, status, { title: '投诉未能提交', lines });
  jsonAnswer(ctx, status, { code: status, msg: lines.join('') });
}

/** A short page for an error: the title, what happened and what to do, what was typed when it would be lost, the way back. */
function errorPage(ctx: Context, status: number, p: { title: string; lines: string[]; typed?: string; back?: string }): void {
  const nonce = randomBytes(16).toString('base64');
  ctx.status = status;
  ctx.set('Content-Security-Policy', `default-src 'none'; style-src 'nonce-${nonce}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(p.title)} · 质量投诉</title>
<style nonce="${nonce}">
  body { margin: 0; font: 16px/1.6 -apple-system, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; color: #1f2329; background: #f5f6f7; }
  main { max-width: 560px; margin: 0 auto; padding: 20px 16px 40px; }
  h1 { font-size: 22px; margin: 8px 0 12px; color: #a12d24; }
  p { margin: 0 0 8px; overflow-wrap: anywhere; }
  textarea { box-sizing: border-box; width: 100%; min-height: 160px; font: inherit; padding: 10px 12px; border: 1px solid #d0d3d6; border-radius: 6px; }
  a.back { display: block; margin-top: 18px; padding: 12px; text-align: center; font-weight: 600; color: #fff; background: #3370ff; border-radius: 6px; text-decoration: none; }
  footer { color: #8f959e; font-size: 13px; margin-top: 20px; }
</style>
</head>
<body>
<main>
  <h1 id="title">${escapeHtml(p.title)}</h1>
  <div id="message" role="alert">${p.lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('')}</div>
  ${p.typed === undefined ? '' : `<p><label for="typed">你填写的${escapeHtml(complaintForm.fields.content.label)}（没有保存，可复制后重新提交）</label></p><textarea id="typed" readonly>${escapeHtml(p.typed)}</textarea>`}
  <a class="back" id="back" href="${escapeHtml(p.back ?? '/complaints/new')}">返回投诉页面</a>
  <footer>广东省市政行业协会</footer>
</main>
</body>
</html>`;
}

/** The hidden field that makes one drawing of the page one complaint at most. */
const FORM_TOKEN_FIELD = 'form_token';
const formToken = (value: string | null) => (value && /^[A-Za-z0-9_-]{16,64}$/.test(value) ? value : undefined);
const newFormToken = () => randomBytes(18).toString('base64url');

class FormSentBefore extends Error {}

/** A complaint posted again (the page's token spent, or the same complaint within a day: ComplaintRepeated). */
const SENT_BEFORE = '这份投诉已经提交过，无需重复提交。';

type Answer = (ctx: Context, status: number, body: { code?: number; msg?: string; field?: string; suggestions?: { name: string; code: string }[]; reference?: string; team?: { name: string; code: string }; outcome?: string; form_token?: string }) => void;

/** The JSON API's answer. */
const jsonAnswer: Answer = (ctx, status, body) => {
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  ctx.body = body;
};

/** The answer to the page's form posted without JavaScript: the page again, with the reference, or with what was typed and what to fix. */
function pageAnswer(typed: URLSearchParams, contact?: AssociationContact): Answer {
  return (ctx, status, body) => {
    if (status === 201 && body.reference && body.team) {
      return page(ctx, status, {}, { kind: 'ok', text: `投诉已受理（被投诉班组：${body.team.name}）。投诉编号：`, reference: body.reference, outcome: body.outcome }, undefined, contact);
    }
    if (status === 429 || status === 400) {
      return page(ctx, status, typedFields(Object.fromEntries(typed)), { kind: 'error', text: body.msg ?? '提交失败，请稍后再试。', field: body.field }, formToken(typed.get(FORM_TOKEN_FIELD)), contact);
    }
    jsonAnswer(ctx, status, body);
  };
}

/** What the page says under its button when it is drawn by the server (a post without JavaScript). */
interface PageNotice {
  kind: 'ok' | 'error';
  text: string;
  reference?: string;
  /** After the reference: how the outcome will be told (`outcomeTold`). */
  outcome?: string;
  field?: string;
}

/**
 * The field a refusal names, marked for a page drawn without JavaScript: its input focused, and what to fix written under
 * its label, where a phone shows it (the notice below the button is out of view on a small screen).
 */
function markedInvalid(inputs: string, field: string, text: string): string {
  const error = `<p class="field-error" id="${field}-error">${escapeHtml(text)}</p>`;
  return inputs
    .replace(new RegExp(`(<label for="${field}">[\\s\\S]*?</label>)`), (label) => `${label}\n    ${error}`)
    .replace(`id="${field}"`, `id="${field}" aria-invalid="true" aria-errormessage="${field}-error" autofocus`);
}

/** The complaint page with its headers: a script allowed by its nonce alone, the form posting only here. */
function page(ctx: Context, status: number, values: Record<string, unknown>, notice?: PageNotice, token = newFormToken(), contact?: AssociationContact): void {
  const nonce = randomBytes(16).toString('base64');
  ctx.status = status;
  ctx.set('Content-Security-Policy', `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = complaintPage(nonce, values, notice, token, contact);
}

/**
 * A plain form in Chinese, its inputs from `complaintForm`: no framework, the page's own script posts JSON and shows the
 * answer; without JavaScript the form posts itself to the same address and the server draws the answer (`notice`).
 */
function complaintPage(nonce: string, values: Record<string, unknown>, notice: PageNotice | undefined, token: string, contact?: AssociationContact): string {
  const invalid = notice?.field && fieldNames.includes(notice.field) ? notice.field : undefined;
  const inputs = htmlInputs(webComplaintForm, values, { autocomplete: { contact: 'tel' } });
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>质量投诉 · 广东省市政工程质量信得过班组</title>
<style nonce="${nonce}">
  * { box-sizing: border-box; }
  body { margin: 0; font: 16px/1.6 -apple-system, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; color: #1f2329; background: #f5f6f7; }
  main { max-width: 560px; margin: 0 auto; padding: 20px 16px 40px; }
  h1 { font-size: 22px; margin: 8px 0 4px; }
  .lead { color: #646a73; margin: 0 0 20px; font-size: 14px; }
  form { background: #fff; border-radius: 8px; padding: 16px; }
  label { display: block; font-weight: 600; margin: 14px 0 6px; }
  label:first-child { margin-top: 0; }
  .hint { font-weight: 400; color: #8f959e; font-size: 13px; }
  input, textarea { width: 100%; font: inherit; padding: 10px 12px; border: 1px solid #d0d3d6; border-radius: 6px; background: #fff; }
  input:focus, textarea:focus { outline: 2px solid #3370ff; border-color: #3370ff; }
  textarea { min-height: 160px; resize: vertical; }
  .count { text-align: right; font-size: 13px; color: #8f959e; }
  .count.over { color: #d83931; font-weight: 600; }
  button { width: 100%; margin-top: 18px; padding: 12px; font: inherit; font-weight: 600; color: #fff; background: #3370ff; border: 0; border-radius: 6px; }
  button:disabled { background: #a3bdfb; }
  /* a refusal quoting a long unbroken code wraps inside a 360 px screen rather than widening the page */
  .message { margin: 16px 0 0; padding: 12px 14px; border-radius: 6px; overflow-wrap: anywhere; }
  .message:focus { outline: none; }
  .message[hidden] { display: none; }
  .error { background: #fdecea; color: #a12d24; }
  .ok { background: #e8f7ee; color: #1d6b3a; }
  .reference { font-size: 20px; font-weight: 700; letter-spacing: 1px; }
  .outcome { margin: 8px 0 0; }
  [aria-invalid="true"] { border-color: #d83931; }
  .field-error { color: #d83931; margin: 4px 0 6px; font-size: 14px; overflow-wrap: anywhere; }
  footer { color: #8f959e; font-size: 13px; margin-top: 20px; }
  .trap { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }
</style>
</head>
<body>
<main>
  <h1>质量投诉</h1>
  <p class="lead">广东省市政工程质量信得过班组接受社会各界监督（《建设管理办法》第二十一条）。请如实填写，协会核查后处理。</p>
  <form id="complaint" method="post" action="/api/complaints#message" novalidate>
    ${invalid ? markedInvalid(inputs, invalid, notice!.text) : inputs}
    <input type="hidden" name="${FORM_TOKEN_FIELD}" value="${escapeHtml(token)}">
    <div class="trap" aria-hidden="true"><label for="${HONEYPOT_FIELD}">网址（请勿填写）</label><input id="${HONEYPOT_FIELD}" name="${HONEYPOT_FIELD}" tabindex="-1" autocomplete="off"></div>
    <button type="submit" id="submit">提交投诉</button>
    ${
      notice
        ? `<div id="message" class="message ${notice.kind}" role="alert" aria-live="polite">${escapeHtml(notice.text)}${notice.reference ? `<div class="reference" id="reference">${escapeHtml(notice.reference)}</div>` : ''}${notice.outcome ? `<p class="outcome" id="outcome">${escapeHtml(notice.outcome)}</p>` : ''}</div>`
        : '<div id="message" class="message" role="alert" aria-live="polite" tabindex="-1" hidden></div>'
    }
  </form>
  <footer>广东省市政行业协会 · 处理结果由协会通过你留下的联系方式告知；未留联系方式的无法告知，可凭投诉编号联系协会询问。投诉编号请妥善保存。${contact ? `<p id="association-contact">协会联系方式：${escapeHtml(contactPhrase(contact))}</p>` : ''}</footer>
</main>
<script nonce="${nonce}">
(function () {
  var form = document.getElementById('complaint');
  var names = ${JSON.stringify(fieldNames)};
  var message = document.getElementById('message');
  var submit = document.getElementById('submit');
  var counted = Array.prototype.slice.call(form.querySelectorAll('textarea[data-max]'));
  function updateCount(area) {
    var max = Number(area.getAttribute('data-max'));
    var count = document.getElementById(area.id + '-count');
    // characters as the server counts them (code points): an emoji is one, not two UTF-16 units (without Array.from,
    // which an old phone's browser lacks)
    var length = area.value.replace(/[\\uD800-\\uDBFF][\\uDC00-\\uDFFF]/g, '_').length;
    count.textContent = length + ' / ' + max;
    count.className = length > max ? 'count over' : 'count';
  }
  function updateCounts() { counted.forEach(updateCount); }
  // the answer below the button is out of view on a phone: it is brought into view (and focused, for a screen
  // reader), or, for a field to fix, said under that field's label, as the page the server draws says it
  function show(kind, text, reference, outcome) {
    message.hidden = false;
    message.className = 'message ' + kind;
    message.textContent = text;
    if (reference) appendLine('div', 'reference', reference);
    if (outcome) appendLine('p', 'outcome', outcome);
  }
  // a line under the answer: its class and id the same word (the tests and the page's style find it so)
  function appendLine(tag, name, text) {
    var el = document.createElement(tag);
    el.className = name;
    el.id = name;
    el.textContent = text;
    message.appendChild(el);
  }
  function bringIntoView(el) {
    el.scrollIntoView({ block: 'center' });
  }
  function fieldError(name, text) {
    var old = document.getElementById(name + '-error');
    if (old) old.parentNode.removeChild(old);
    form.elements[name].removeAttribute('aria-invalid');
    if (!text) return undefined;
    var label = form.querySelector('label[for="' + name + '"]');
    var p = document.createElement('p');
    p.className = 'field-error';
    p.id = name + '-error';
    p.textContent = text;
    label.parentNode.insertBefore(p, label.nextSibling);
    form.elements[name].setAttribute('aria-invalid', 'true');
    form.elements[name].setAttribute('aria-errormessage', name + '-error');
    return p;
  }
  counted.forEach(function (area) { area.addEventListener('input', function () { updateCount(area); }); });
  form.addEventListener('submit', function (event) {
    // a browser without fetch (an old phone's) posts the form itself, as one without JavaScript does: the server answers with the page
    if (typeof window.fetch !== 'function') return;
    event.preventDefault();
    names.forEach(function (name) { fieldError(name); });
    submit.disabled = true;
    var payload = { ${HONEYPOT_FIELD}: form.elements.${HONEYPOT_FIELD}.value, ${FORM_TOKEN_FIELD}: form.elements.${FORM_TOKEN_FIELD}.value };
    names.forEach(function (name) { payload[name] = form.elements[name].value; });
    fetch('/api/complaints', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) })
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (data) { return { status: res.status, data: data }; });
      })
      .then(function (r) {
        if (r.status === 201 || (r.status === 200 && r.data.reference)) {
          form.reset();
          // the next complaint from this page is another one: a new token
          if (r.data.${FORM_TOKEN_FIELD}) form.elements.${FORM_TOKEN_FIELD}.value = r.data.${FORM_TOKEN_FIELD};
          updateCounts();
          show('ok', (r.status === 201 ? '投诉已受理' : r.data.msg + '投诉已受理') + '（被投诉班组：' + r.data.team.name + '）。投诉编号：', r.data.reference, r.data.outcome);
          bringIntoView(message);
          message.focus({ preventScroll: true });
          return;
        }
        // the server's refusals and faults answer in Chinese; a proxy in front of it may not
        var chinese = typeof r.data.msg === 'string' && /[\u4e00-\u9fff]/.test(r.data.msg);
        show('error', chinese ? r.data.msg : r.status === 413 ? '投诉内容太长，这份投诉没有提交，请删减后重新提交。' : '提交失败（' + r.status + '），这份投诉没有受理，请稍后再试。');
        if (r.data.field && form.elements[r.data.field] && chinese) {
          bringIntoView(fieldError(r.data.field, r.data.msg));
          form.elements[r.data.field].focus({ preventScroll: true });
        } else {
          bringIntoView(message);
          message.focus({ preventScroll: true });
        }
      })
      .catch(function () {
        show('error', '网络异常，请检查网络后重试。');
        bringIntoView(message);
      })
      .then(function () { submit.disabled = false; });
  });
})();
</script>
</body>
</html>`;
}
