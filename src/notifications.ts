import { createHash } from 'node:crypto';
import type { AssociationContact } from '../cards/contact.js';
import { deadLetterCard, outageDeadLettersCard } from '../cards/help.js';
import { and, asc, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { applications, assignments, auditLog, cycles, outbox, people, teams } from '../db/schema.js';
import { audit } from './audit.js';
import { type Clock, systemClock } from './clock.js';
import { formatDateTimeZh, formatDateZh, todayIn, utcOffsetText } from './dates.js';
import { ENDORSEMENT_REQUEST_CARD } from './endorsementCards.js';
import { isPending } from './import/people.js';
import { adminDestinations, destinationKey, forExpertsGroup, forgetLostChat, lastLoss, reroutedMessages } from './groups.js';
import { CONTACT_WITHHELD, type CardRenderer, cardSpecOf, defaultOutboxLimits, type Destination, enqueue, enqueueMany, expiredInOutage, expiredInOutageSql, messageOf, type OutboxRow, type OutgoingMessage, type RenderedCard, type UnreachablePerson } from './outbox.js';

// where administrators are told things, and the key of a destination, belong with the groups bound for them
export { adminDestinations, destinationKey } from './groups.js';

/** The dead-letter hook of the outbox: an audit row and an alert to the administrators; `timezone` is BOT_TIMEZONE. */
export function deadLetterAlert(bootstrapAdmins: readonly string[], timezone: string, clock: Clock = systemClock) {
  return async (tx: Db, row: OutboxRow, error: string): Promise<void> => {
    const now = clock.now();
    await audit(tx, { actor: 'system:outbox', action: 'outbox.dead_letter', entity: 'outbox', entityId: row.id, at: now, details: { dedupeKey: row.dedupeKey, receiveIdType: row.receiveIdType, receiver: row.receiver, error } });
    // an alert that itself cannot be delivered raises no further alert
    if (row.dedupeKey.startsWith('alert:dead-letter:')) return;
    const exceptChat = row.receiveIdType === 'chat_id' ? row.receiver : undefined;
    // the hour of BOT_TIMEZONE with its offset, 2027年7月20日 10 +08:00: where the clocks go back an hour (America/New_York,
    // Europe/London) 01:00–02:00 comes twice, and the second hour's alerts took the first one's keys and were never sent
    const minute = formatDateTimeZh(now, timezone);
    const hour = `${minute.slice(0, -3)} ${utcOffsetText(now, timezone)}`;
    if (expiredInOutage(error)) {
      // Feishu out of reach for a day gives up every message queued a day before, one by one as the dispatcher probes
      // (hundreds after a reminder period): one card an hour counts them all, drawn when it is sent, once Feishu answers
      const from = new Date(Math.floor(now.getTime() / 60_000) * 60_000 - Number(minute.slice(-2)) * 60_000);
      const render = { kind: OUTAGE_DEAD_LETTERS_CARD, from: from.toISOString(), to: new Date(from.getTime() + 3_600_000).toISOString() };
      for (const to of await adminDestinations(tx, bootstrapAdmins, exceptChat)) {
        await enqueue(tx, { dedupeKey: `alert:dead-letter:outage:${hour}:${destinationKey(to)}`, to, render });
      }
      return;
    }
    // a setting of the bot's (the certificate font) fails every certificate alike: one alert a day says it, not one each;
    // the administrators' day, not UTC's (08:00 in Shanghai is the day before in UTC)
    const setup = /^CERTIFICATE_[A-Z]+:/.exec(error)?.[0];
    // an error Feishu gives by code fails a run of messages alike (the server's IP not allowed, a kind of card refused,
    // retries spent through an outage): one alert an hour for each code, with one example; the digest counts them all
    const code = setup ? undefined : /\bcode (\d+)\b/.exec(error)?.[1];
    const cardJson = deadLetterCard({ receiver: `${row.receiveIdType} ${row.receiver}`, attempts: row.attempts, error, dedupeKey: row.dedupeKey, grouped: code !== undefined });
    const key = setup
      ? `alert:dead-letter:setup:${setup}${todayIn(timezone, row.createdAt)}`
      : code
        ? `alert:dead-letter:code:${code}:${hour}`
        : `alert:dead-letter:${row.id}`;
    for (const to of await adminDestinations(tx, bootstrapAdmins, exceptChat)) {
      await enqueue(tx, { dedupeKey: `${key}:${destinationKey(to)}`, to, card: cardJson });
    }
  };
}

/**
 * A message sent without 协会联系方式 because the tenant's data-loss prevention (DLP) refused it with it (230028, "消息DLP
 * 审查未通过，当消息内容中含有明文电话号码、明文个人邮箱等内容时可能会触发该错误",
 * https://open.feishu.cn/document/server-docs/im-v1/message/create, error codes): the administrators are told once for
 * each contact as saved, in text naming no phone or e-mail (which DLP would refuse again), what to change.
 */
export function contactRefusedAlert(bootstrapAdmins: readonly string[], clock: Clock = systemClock) {
  return async (tx: Db, row: OutboxRow, contact: AssociationContact): Promise<void> => {
    await audit(tx, { actor: 'system:outbox', action: 'outbox.contact_withheld', entity: 'outbox', entityId: row.id, at: clock.now(), details: { dedupeKey: row.dedupeKey, receiver: row.receiver } });
    const saved = createHash('sha256').update(JSON.stringify(contact)).digest('hex').slice(0, 16);
    for (const to of await adminDestinations(tx, bootstrapAdmins)) {
      await enqueue(tx, { dedupeKey: `${CONTACT_REFUSED_KEY}${saved}:${destinationKey(to)}`, to, text: CONTACT_REFUSED_TEXT });
    }
  };
}
export const CONTACT_REFUSED_KEY = 'alert:dlp-contact:';
export const CONTACT_REFUSED_TEXT =
  `飞书拒绝了一条附有协会联系方式的消息：企业的数据防泄漏（DLP）策略不允许消息中出现明文手机号或个人邮箱（飞书错误码 230028）。这类消息机器人已改为不附电话和邮箱重新发出，写作“${CONTACT_WITHHELD}”，收件人照常收到。` +
  '要让各处提示重新附上电话和邮箱，请在“管理”→“协会联系方式”中把电话改为座机号码、邮箱改为单位邮箱，或请企业的飞书管理员在管理后台的数据防泄漏策略中放行机器人的消息。';

/**
 * A message sent with the phone numbers and e-mails users typed into it withheld (a leader's 联系电话 in a card to the
 * organisation's contact, a phone in a complaint), because the tenant's DLP refused it with them (230028, "当消息内容中含有
 * 明文电话号码、明文个人邮箱等内容时可能会触发该错误", https://open.feishu.cn/document/server-docs/im-v1/message/create,
 * error codes): each such message audited, the administrators told once a day (BOT_TIMEZONE's), in text naming no phone or
 * e-mail, what their readers see and what to do; a day of such messages raises no flood.
 */
export function typedContactsWithheldAlert(bootstrapAdmins: readonly string[], timezone: string, clock: Clock = systemClock) {
  return async (tx: Db, row: OutboxRow): Promise<void> => {
    const now = clock.now();
    await audit(tx, { actor: 'system:outbox', action: 'outbox.typed_contacts_withheld', entity: 'outbox', entityId: row.id, at: now, details: { dedupeKey: row.dedupeKey, receiver: row.receiver } });
    const day = todayIn(timezone, now);
    for (const to of await adminDestinations(tx, bootstrapAdmins)) {
      await enqueue(tx, { dedupeKey: `${TYPED_CONTACTS_KEY}${day}:${destinationKey(to)}`, to, text: TYPED_CONTACTS_TEXT });
    }
  };
}
export const TYPED_CONTACTS_KEY = 'alert:dlp-typed:';
export const TYPED_CONTACTS_TEXT =
  '飞书拒绝了含有用户填写的电话号码或邮箱的消息（如注册表、修改资料中的联系电话，投诉人留下的联系方式，投诉内容里的手机号）：企业的数据防泄漏（DLP）策略不允许消息中出现明文手机号或个人邮箱（飞书错误码 230028）。' +
  '这类消息机器人已把其中的电话号码、邮箱隐去（显示为[号码]、[邮箱]）重新发出，收件人照常收到：其他人被告知需要时向协会管理员索取，你们收到的这类消息则写明它们保存在哪里。表单中原已填有它们的栏目留空，需重新填写。' +
  '系统中保存的资料不受影响，但机器人的任何飞书消息都无法显示它们：投诉人留下的联系方式在该投诉的记录里，班组的联系电话在班组资料里，都保存在机器人的数据库中，需要时请负责运行机器人的技术人员从数据库中查出。' +
  '要让消息照原样显示，请企业的飞书管理员在管理后台的数据防泄漏策略中放行机器人的消息。今天再有这类消息不再提醒。';

/** The spec kind of the hour's card on messages given up through an outage (`{ kind, from, to }`, ISO instants). */
export const OUTAGE_DEAD_LETTERS_CARD = 'outageDeadLetters';

/** The names shown of the people an outage's dead letters were for; the rest are counted. */
const OUTAGE_NAMES_SHOWN = 10;
/** The kinds of message listed on that card; the rest are summed as 其他. */
const OUTAGE_KINDS_SHOWN = 8;

/** What a message was, by its dedupe key's leading words (`remind:apply-deadline:2030:T-1:person-ou_…` → `remind:apply-deadline`). */
export function messageFamily(dedupeKey: string): string {
  const words: string[] = [];
  for (const w of dedupeKey.split(':')) {
    if (words.length === 2 || !/^[a-z][a-z-]*$/.test(w)) break;
    words.push(w);
  }
  return words.join(':') || dedupeKey.slice(0, 20);
}

/**
 * The hour's card on messages given up through an outage, drawn when it is sent (after the outage, as nothing goes
 * during it): how many, to whom, of what kinds, from the dead letters on record in the hour. None any more: dropped.
 */
export function outageDeadLettersRenderer(db: Db, timezone: string, maxAgeMs = defaultOutboxLimits.outageMaxAgeMs): CardRenderer {
  return async (specs) =>
    Promise.all(
      specs.map(async (spec): Promise<RenderedCard> => {
        const from = new Date(String(spec.from));
        const to = new Date(String(spec.to));
        if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) return { drop: `时段无效（${String(spec.from)}–${String(spec.to)}）` };
        const rows = await db
          .select({ details: auditLog.details })
          .from(auditLog)
          .where(and(eq(auditLog.action, 'outbox.dead_letter'), gte(auditLog.at, from), lt(auditLog.at, to), expiredInOutageSql(sql`${auditLog.details} ->> 'error'`)))
          .orderBy(asc(auditLog.id));
        const lost = rows.map((r) => r.details as { dedupeKey?: string; receiveIdType?: string; receiver?: string });
        if (!lost.length) return { drop: '该时段没有因飞书无法连接而未送达的消息' };
        const personIds = [...new Set(lost.filter((l) => l.receiveIdType === 'open_id' && l.receiver).map((l) => l.receiver!))];
        const chats = new Set(lost.filter((l) => l.receiveIdType !== 'open_id' && l.receiver).map((l) => l.receiver!)).size;
        // those the administrators know by name first, in the order they were given up; then open_ids
        const known = new Map<string, string>();
        for (let i = 0; i < personIds.length; i += 500) {
          const named = await db.select({ openId: people.openId, name: people.name }).from(people).where(inArray(people.openId, personIds.slice(i, i + 500)));
          for (const p of named) if (p.name) known.set(p.openId, p.name);
        }
        const names = [...personIds.filter((id) => known.has(id)).map((id) => known.get(id)!), ...personIds.filter((id) => !known.has(id))].slice(0, OUTAGE_NAMES_SHOWN);
        const counts = new Map<string, number>();
        for (const l of lost) counts.set(messageFamily(l.dedupeKey ?? ''), (counts.get(messageFamily(l.dedupeKey ?? '')) ?? 0) + 1);
        const sorted = [...counts].map(([kind, n]) => ({ kind, n })).sort((a, b) => b.n - a.n || a.kind.localeCompare(b.kind));
        const rest = sorted.slice(OUTAGE_KINDS_SHOWN).reduce((sum, k) => sum + k.n, 0);
        const kinds = [...sorted.slice(0, OUTAGE_KINDS_SHOWN), ...(rest ? [{ kind: '其他', n: rest }] : [])];
        // beside a clock change each end says its offset: the first of the two 01:00–02:00 where the clocks go back read
        // 01:00–01:00, and the second the same as the first
        const offsets = [new Date(from.getTime() - 3_600_000), from, to].map((at) => utcOffsetText(at, timezone));
        const clockChanged = offsets[0] !== offsets[1] || offsets[1] !== offsets[2];
        const hour = clockChanged
          ? `${formatDateTimeZh(from, timezone)}（UTC${offsets[1]}）–${formatDateTimeZh(to, timezone).slice(-5)}（UTC${offsets[2]}）`
          : `${formatDateTimeZh(from, timezone)}–${formatDateTimeZh(to, timezone).slice(-5)}`;
        return { card: outageDeadLettersCard({ hour, total: lost.length, people: personIds.length, chats, names, kinds, maxAgeHours: Math.round(maxAgeMs / 3_600_000) }) };
      }),
    );
}

/**
 * A person nothing the bot sends reaches any more (`UnreachablePerson`): outside the app's 可用范围 (230013, "Bot has NO
 * availability to this user"), resigned (230029, 用户已离职), or having stopped the bot (230053). Their messages (an
 * expert's tasks, a contact's requests, a leader's reminders) were marked undeliverable with a warning in the log, and a
 * resigned leader's team or expert's tasks waited for someone who would never come. The administrators are told once per
 * person and reason, in text (a card naming someone Feishu says the app may not reach is no safer), with what falls to
 * them: widen the range, give the teams another leader or contact, give the tasks another expert (naming their teams),
 * remove an administrator. A contact's teams hear it too, their leaders being the ones to name another
 * (`tellLeaderContactUnreachable`). The row stays
 * undeliverable; what was lost is there for the person to see again (评分, 进度) once they can be reached.
 */
export function personUnreachableAlert(bootstrapAdmins: readonly string[], clock: Clock = systemClock) {
  return async (tx: Db, row: OutboxRow, error: string, why: UnreachablePerson): Promise<void> => {
    await audit(tx, { actor: 'system:outbox', action: UNREACHABLE_AUDIT[why], entity: 'outbox', entityId: row.id, at: clock.now(), details: { dedupeKey: row.dedupeKey, receiver: row.receiver, error } });
    // an administrator out of reach themselves: the word to them fails alike, and says nothing more
    if (Object.values(UNREACHABLE_KEY).some((k) => row.dedupeKey.startsWith(k))) return;
    const spec = cardSpecOf(row);
    const requested = spec?.kind === ENDORSEMENT_REQUEST_CARD && Number.isSafeInteger(spec.applicationId) ? Number(spec.applicationId) : undefined;
    await tellPersonUnreachable(tx, row.receiver, why, bootstrapAdmins, { requested });
  };
}

/**
 * Feishu's 员工离职 event (contact.user.deleted_v3, sent to an app subscribed to it that holds contact:contact.base:readonly
 * or contact:contact:readonly_as_app, for someone within its address-book range:
 * https://open.feishu.cn/document/server-docs/contact-v3/user/events/deleted): someone who left while nothing was on its
 * way to them is found out at once, not at the next message. What a 230029 refusal says, under the same keys, so the
 * event and a refusal (either first, or the event redelivered) say it once. Someone the bot has nothing to do with
 * (no role, team or task) brings no word; true when something was said or recorded.
 */
export async function personLeft(tx: Db, openId: string, bootstrapAdmins: readonly string[], at: Date, eventId: string, send?: (m: OutgoingMessage) => Promise<void>): Promise<boolean> {
  const said = await tellPersonUnreachable(tx, openId, 'resigned', bootstrapAdmins, { fromEvent: true, send });
  // the event redelivered under another id: recorded once
  const [recorded] = said ? await tx.select({ id: auditLog.id }).from(auditLog).where(and(eq(auditLog.entity, 'person'), eq(auditLog.entityId, openId), eq(auditLog.action, 'contact.user_deleted'))).limit(1) : [];
  if (said && !recorded) await audit(tx, { actor: 'system:feishu', action: 'contact.user_deleted', entity: 'person', entityId: openId, at, details: { eventId } });
  return said;
}

/**
 * What a person out of reach brings (`personUnreachableAlert`, `personLeft`): their teams' leaders told (a contact),
 * the administrators told once per person and reason with what falls to them. `requested`: the application whose
 * confirmation request failed; `fromEvent`: Feishu told of it, no send failed, and someone with nothing falling to
 * anyone is not spoken of. False when nothing was said.
 */
async function tellPersonUnreachable(
  tx: Db,
  openId: string,
  why: UnreachablePerson,
  bootstrapAdmins: readonly string[],
  o: { requested?: number; fromEvent?: boolean; send?: (m: OutgoingMessage) => Promise<void> },
): Promise<boolean> {
  const send = o.send ?? (async (m: OutgoingMessage) => void (await enqueue(tx, m)));
  const [person] = await tx.select({ name: people.name, roles: people.roles, expertActive: people.expertActive }).from(people).where(eq(people.openId, openId)).limit(1);
  const who = person?.name ? `${person.name}（${openId}）` : openId;
  // the teams whose contact they are hear it too: only their leaders can name another
  await tellLeaderContactUnreachable(tx, openId, o.requested, who, why, send);
  const falls = await whatFallsToAdmins(tx, openId, why, person, bootstrapAdmins);
  if (o.fromEvent && !falls.text) return false;
  const head = o.fromEvent ? leftText(who) : why === 'outside' ? outsideRangeText(who) : why === 'resigned' ? resignedText(who) : stoppedText(who);
  const text = `${head}${falls.text}`;
  // once per person and reason; again only when scoring tasks were given them after it was said (分配专家 naming
  // someone the administrators were told about before the tasks existed, or a new year's panel): the key carries the
  // newest task they were ever given
  const since = falls.newestTask ? `:task-${falls.newestTask}` : '';
  for (const to of await adminDestinations(tx, bootstrapAdmins)) {
    await send({ dedupeKey: `${UNREACHABLE_KEY[why]}${openId}${since}:${destinationKey(to)}`, to, text });
  }
  return true;
}
const UNREACHABLE_KEY: Record<UnreachablePerson, string> = { outside: 'alert:outside-availability:', resigned: 'alert:person-resigned:', stopped: 'alert:bot-stopped:' };
const UNREACHABLE_AUDIT: Record<UnreachablePerson, string> = { outside: 'outbox.outside_availability', resigned: 'outbox.person_resigned', stopped: 'outbox.bot_stopped' };

const outsideRangeText = (who: string) =>
  `机器人无法给 ${who} 发消息：此人不在飞书应用的可用范围内（飞书错误码 230013），收不到机器人的任何消息（如评分任务、确认申报、通知）。请在飞书开发者后台的“版本管理与发布”中把此人加入应用的可用范围并发布新版本；之后请此人给机器人发送“帮助”查看待办。`;
const leftText = (who: string) => `飞书通讯录通知 ${who} 已离职（员工离职事件），此后发给此人的评分任务、确认申报和提醒都无法送达。`;
const resignedText = (who: string) => `机器人无法给 ${who} 发消息：飞书返回此人已离职（飞书错误码 230029），此后发给此人的评分任务、确认申报和提醒都无法送达。`;
const stoppedText = (who: string) =>
  `机器人无法给 ${who} 发消息：此人已在飞书中设置不再接收机器人的消息（飞书错误码 230053），收不到评分任务、确认申报和提醒。请联系此人在与机器人的单聊中重新允许机器人发消息，之后给机器人发送“帮助”查看待办。`;

/** What the leader of a team is told of a contact out of reach, by reason. */
const CONTACT_UNREACHABLE: Record<UnreachablePerson, string> = {
  resigned: '飞书返回此人已离职',
  outside: '此人不在飞书应用的可用范围内（可请协会管理员把此人加入应用的可用范围）',
  stopped: '此人已在飞书中设置不再接收机器人的消息（可请此人在与机器人的单聊中重新允许机器人发消息，再发送“帮助”查看待确认的申报）',
};

/**
 * A team's organisation contact out of reach (第十五条): its applications wait for a confirmation that will not come, and
 * the leader, whose 进度 says it waits for the contact, learnt it at the deadline, if the administrators did not pass
 * it on. The leader of each team whose contact they are is now told, once for the team and contact, with what to do:
 * name another contact under 修改资料 (the new one gets the requests, `contactHandOverMessages`). A request to confirm
 * an application (请确认申报材料) that fails tells its leader once for that application, with the deadline, even when
 * the team was told before; within a day of one word (修改资料 naming someone out of reach with applications waiting:
 * the word naming them and the requests fail together) the other is not said.
 */
async function tellLeaderContactUnreachable(
  tx: Db,
  receiver: string,
  requested: number | undefined,
  who: string,
  why: UnreachablePerson,
  send: (m: OutgoingMessage) => Promise<void>,
): Promise<void> {
  const row = { receiver };
  const contactOf = await tx
    .select({ id: teams.id, name: teams.name, code: teams.code, leader: teams.leaderOpenId })
    .from(teams)
    .where(and(eq(teams.contactOpenId, row.receiver), eq(teams.status, 'active')))
    .orderBy(asc(teams.id));
  // each later message to them (a reminder a day) finds the teams told: one read, not a lock a team
  const told = requested === undefined && contactOf.length
    ? new Set((await tx.select({ key: outbox.dedupeKey }).from(outbox).where(inArray(outbox.dedupeKey, contactOf.map((t) => `team:contact-unreachable:${t.id}:${row.receiver}`)))).map((r) => r.key))
    : new Set<string>();
  // in the teams' order, each under its lock: two failures to the same contact side by side take them alike
  for (const team of contactOf) {
    if (told.has(`team:contact-unreachable:${team.id}:${row.receiver}`)) continue;
    if (team.leader === row.receiver || isPending(team.leader)) continue;
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`contact-unreachable:${team.id}:${row.receiver}`}, 0))`);
    const applied = await tx
      .select({ id: applications.id, status: applications.status, year: cycles.year, deadline: cycles.applicationDeadline })
      .from(applications)
      .innerJoin(cycles, eq(cycles.id, applications.cycleId))
      .where(eq(applications.teamId, team.id))
      .orderBy(asc(applications.id));
    const teamKey = `team:contact-unreachable:${team.id}:${row.receiver}`;
    const requestKey = (id: number) => `endorse:contact-unreachable:${id}:${row.receiver}`;
    const waiting = applied.find((a) => a.id === requested && a.status === 'submitted');
    if (waiting) {
      if (await toldToday(tx, [teamKey])) continue;
      await send({
        dedupeKey: requestKey(waiting.id),
        to: { openId: team.leader },
        text: `${team.name}（${team.code}）${waiting.year} 年度的申报已提交，但机器人无法把确认请求发给单位联系人 ${who}：${CONTACT_UNREACHABLE[why]}。申报须经单位联系人确认并推荐后才报协会（第十五条），申报截止日期为 ${formatDateZh(waiting.deadline)}。请在“进度”中点“修改资料”更换单位联系人，新的单位联系人会收到确认请求。`,
      });
      continue;
    }
    // the leader told of a request that failed (and then took it back, which the contact is told of in vain): enough
    if (await toldToday(tx, applied.map((a) => requestKey(a.id)))) continue;
    await send({
      dedupeKey: teamKey,
      to: { openId: team.leader },
      text: `${team.name}（${team.code}）登记的单位联系人 ${who} 收不到机器人的消息：${CONTACT_UNREACHABLE[why]}。班组的申报须经单位联系人确认并推荐后才报协会（第十五条）：请在“进度”中点“修改资料”更换单位联系人。`,
    });
  }
}

/** Whether one of these words to a leader was queued in the last day. */
async function toldToday(tx: Db, keys: string[]): Promise<boolean> {
  if (!keys.length) return false;
  const [told] = await tx.select({ id: outbox.id }).from(outbox).where(and(inArray(outbox.dedupeKey, keys), sql`${outbox.createdAt} > now() - interval '1 day'`)).limit(1);
  return !!told;
}

/** The years whose unscored tasks still wait for their expert (as 停用's count of them, src/fast/admin.ts). */
const RUNNING_CYCLE = ['open', 'scoring', 'closed'];

/**
 * The teams and the tasks waiting for someone out of reach, and what the administrators can do for each (at most 5
 * teams named); `newestTask`, the newest scoring task ever given them.
 */
async function whatFallsToAdmins(
  tx: Db,
  openId: string,
  why: UnreachablePerson,
  person: { roles: string[]; expertActive: boolean } | undefined,
  bootstrapAdmins: readonly string[],
): Promise<{ text: string; newestTask?: number }> {
  const named = (rows: { name: string; code: string }[]) => `${rows.slice(0, 5).map((t) => `${t.name}（${t.code}）`).join('、')}${rows.length > 5 ? ` 等 ${rows.length} 个班组` : ''}`;
  const led = await tx.select({ name: teams.name, code: teams.code }).from(teams).where(and(eq(teams.leaderOpenId, openId), eq(teams.status, 'active'))).orderBy(asc(teams.code));
  const contactOf = await tx.select({ name: teams.name, code: teams.code }).from(teams).where(and(eq(teams.contactOpenId, openId), eq(teams.status, 'active'))).orderBy(asc(teams.code));
  const tasks = await tx
    .select({ id: assignments.id, name: teams.name, code: teams.code })
    .from(assignments)
    .innerJoin(applications, eq(applications.id, assignments.applicationId))
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .innerJoin(cycles, eq(cycles.id, applications.cycleId))
    // a year whose results are out (公布结果) needs no more scores: its tasks left unscored are not the administrators' to move
    .where(and(eq(assignments.expertOpenId, openId), eq(assignments.status, 'assigned'), inArray(cycles.status, RUNNING_CYCLE)))
    .orderBy(asc(teams.code), asc(assignments.id));
  const lines: string[] = [];
  // someone who stopped the bot may let it again, someone outside the range be let in; someone who left will not come back
  const unless = why === 'resigned' ? '' : why === 'outside' ? '若无法把此人加入可用范围，' : '若此人无法恢复接收，';
  if (led.length) lines.push(`此人是 ${named(led)} 的班组长：${unless}请管理员发送“更换班组长 ${led[0].code}”${led.length > 1 ? '（每个班组各发一次）' : ''}为班组指定新的班组长。`);
  if (contactOf.length) lines.push(`此人是 ${named(contactOf)} 的单位联系人：${unless}请班组长在“进度”的“修改资料”中更换单位联系人。`);
  const inPool = person?.roles.includes('expert') && person.expertActive;
  // the teams, each once (its tasks of two years would name it twice), as 等 N 个班组 counts them
  const taskTeams = tasks.filter((t, i) => i === 0 || tasks[i - 1].code !== t.code);
  if (tasks.length) lines.push(`此人还有 ${tasks.length} 份评分任务未完成（${named(taskTeams)}）：${unless}请在这些班组的“专家组”中点“更换专家”改派${why === 'resigned' && inPool ? '，并在“专家库”中停用此人' : ''}。`);
  else if (why === 'resigned' && inPool) lines.push('此人在专家库中仍是启用状态：请在“专家库”中停用此人，以免分配专家时再选到此人。');
  if (person?.roles.includes('admin') || bootstrapAdmins.includes(openId)) {
    lines.push(
      bootstrapAdmins.includes(openId)
        ? `此人是部署配置 ADMIN_OPEN_IDS 指定的管理员：${unless}请从 ADMIN_OPEN_IDS 中删去其 open_id 并重启机器人。`
        : `此人是协会管理员：${unless}请发送“移除管理员”把此人从管理员名单中移除。`,
    );
  }
  // of every task ever given them, whatever became of it: replacing one (更换专家) does not make it say all again
  const [newest] = await tx.select({ id: sql<number | null>`max(${assignments.id})` }).from(assignments).where(eq(assignments.expertOpenId, openId));
  return { text: lines.length ? `\n${lines.join('\n')}` : '', ...(newest?.id ? { newestTask: Number(newest.id) } : {}) };
}

/** What the administrators are told when their group is unbound because the bot can no longer post there. */
export function adminGroupLostNotice(chatId: string, destinations: readonly Destination[], error?: string): string {
  const from = destinations.some((d) => 'chatId' in d) ? '协会管理通知改发到其他已绑定的协会管理通知群' : '没有绑定协会管理通知群时，协会管理通知私聊发送给每位管理员';
  // 230054: a connection group (私有互通群) takes no cards, "私有互通群不支持发送特定的消息类型。如卡片消息"
  // (https://open.feishu.cn/document/server-docs/im-v1/message/create, error codes)
  if (error && cardsRefused(error)) {
    return `协会管理通知群（${chatId}）已自动解绑：该群是有其他企业成员的互通群，飞书不允许机器人在这种群里发送卡片，而协会管理通知都是卡片。${from}。如需新的通知群，请把机器人拉进一个只有本企业成员的群，在群里 @机器人 并发送“绑定通知”。`;
  }
  return `协会管理通知群（${chatId}）已自动解绑：机器人已无法在该群发消息（群已解散或机器人已被移出）。${from}。如需新的通知群，请把机器人拉进群，在群里 @机器人 并发送“绑定通知”。`;
}

/** What the administrators are told when the experts' group is unbound because the bot can no longer post there. */
export function expertsGroupLostNotice(chatId: string, error?: string): string {
  const why = error && cardsRefused(error)
    ? '该群是有其他企业成员的互通群，飞书不允许机器人在这种群里发送卡片，而评分截止提醒是卡片'
    : '机器人已无法在该群发消息（群已解散或机器人已被移出）';
  return `评审专家通知群（${chatId}）已自动解绑：${why}。此后评分截止提醒不再发到专家群；每位专家的评分任务和评分提醒仍私聊发送。如需新的专家群，请把机器人拉进${error && cardsRefused(error) ? '一个只有本企业成员的' : ''}群，在群里 @机器人 并发送“绑定通知 专家”。`;
}

/**
 * A chat lost (the bot removed, the group disbanded, sends refused) that was bound for the administrators or the experts:
 * the notice telling the administrators (where their notifications go now, that the experts' reminders stopped and how
 * to bind a new group), keyed by the loss, so the event and the outbox's reroute, whichever finds it first, tell them
 * once; and, for an admin group, where the administrators' messages go now (`rerouteTo`). Undefined when the chat's last
 * loss was of no bound group.
 */
export async function boundGroupLoss(tx: Db, chatId: string, bootstrapAdmins: readonly string[]): Promise<{ rerouteTo?: Destination[]; notices: OutgoingMessage[] } | undefined> {
  const loss = await lastLoss(tx, chatId);
  const admin = loss?.purposes.includes('admin');
  if (!loss || (!admin && !loss.purposes.includes('experts'))) return undefined;
  const destinations = await adminDestinations(tx, bootstrapAdmins);
  const words = [...(admin ? [adminGroupLostNotice(chatId, destinations, loss.error)] : []), ...(loss.purposes.includes('experts') ? [expertsGroupLostNotice(chatId, loss.error)] : [])];
  // a group bound for both: one word, both paragraphs
  const text = words.join('\n\n');
  const notices = destinations.map((to) => ({ dedupeKey: `group:lost:${chatId}:${loss.auditId}:${destinationKey(to)}`, to, text }));
  return { ...(admin ? { rerouteTo: destinations } : {}), notices };
}

/**
 * 230054: a connection group (私有互通群, with members of other tenants) takes no cards, "私有互通群不支持发送特定的消息类型。如卡片消息",
 * but it takes text (https://open.feishu.cn/document/server-docs/im-v1/message/create, error codes).
 */
export const cardsRefused = (error: string): boolean => /\bcode 230054\b/.test(error);

/** The longest of what someone sent that the group's text quotes back (a question can be long). */
const SAID_MAX = 30;

/**
 * A card answering someone in a group (`OutboxRow.asked`: a reply to what they sent, the introduction to who added the
 * bot) that the group refused for a 互通群 (`cardsRefused`): the card goes to them privately, and the group is told in
 * text why the bot shows no card there and to ask privately, naming what they sent. Keyed by the refused row, so a
 * retry, or the same refusal found twice, queues each once; text is never refused there, so nothing loops.
 */
export function cardsRefusedFallback(row: OutboxRow): OutgoingMessage[] {
  const asked = row.asked;
  if (!asked?.openId || row.msgType !== 'interactive') return [];
  const reply = row.kind === 'reply';
  const to: Destination = reply ? { replyTo: row.receiver, chatId: row.rateKey } : { chatId: row.receiver };
  const said = asked.said?.replace(/\s+/g, ' ').trim();
  // cut by characters, not UTF-16 units: an emoji at the cut would show as �
  const chars = said ? Array.from(said) : [];
  const quoted = said ? `“${chars.length > SAID_MAX ? `${chars.slice(0, SAID_MAX).join('')}…` : said}”` : '“帮助”';
  const why = '这是有其他企业成员的互通群，飞书不在这种群里显示机器人的卡片，机器人在这里只能发文字。';
  const text = reply
    ? `${why}已把你要的内容私信发给你（没收到的话，请私聊机器人发送${quoted}）。`
    : `机器人已加入本群。${why}机器人的介绍已私信发给把机器人拉进群的人；要使用各项功能，请私聊机器人发送${quoted}。`;
  return [
    { dedupeKey: `${row.dedupeKey}:private`, to: { openId: asked.openId }, ...(asked.render ? { render: asked.render } : messageOf(row)), priority: 'interactive' },
    { dedupeKey: `${row.dedupeKey}:text`, to, text, priority: 'interactive' },
  ];
}

/**
 * The chat-gone hook of the outbox: a chat the bot can no longer post to (disbanded, the bot removed) loses its
 * bindings. A message that was meant for it as an admin group goes to the administrators as they are now (another
 * bound admin group, else each administrator privately), under the key it would have had there, so a destination that
 * had its own copy, a retry, or the same message lost in a second group queue nothing twice. The first message
 * rerouted after a loss brings a word on why, and how to bind a new group. A reply lost in the group unbinds it and
 * brings that word alike; the reply itself, an answer to someone there, is not rerouted, nor is the experts' scoring
 * reminder of a group bound for both (dropped, saying why). A group bound for the experts only brings the
 * administrators a word that its reminders stopped and how to bind another; nothing of it is rerouted.
 */
export function chatGoneReroute(bootstrapAdmins: readonly string[], clock: Clock = systemClock) {
  return async (tx: Db, row: OutboxRow, error: string): Promise<void> => {
    // a reply's receiver is the message it answers; the chat it lands in is its rate_key
    const chatId = row.kind === 'reply' ? row.rateKey : row.receiver;
    await forgetLostChat(tx, chatId, { actor: 'system:outbox', action: 'chat.unreachable', details: { outboxId: row.id, dedupeKey: row.dedupeKey, error } }, clock.now());
    // a 互通群 refused the card answering someone there: they get it privately, the group a word in text
    if (cardsRefused(error)) await enqueueMany(tx, cardsRefusedFallback(row));
    // this loss, or an earlier one: im.chat.disbanded_v1, the bot's removal, another message to the group that failed first
    const lost = await boundGroupLoss(tx, chatId, bootstrapAdmins);
    if (!lost) return;
    await enqueueMany(tx, lost.notices);
    // an experts' group only: the administrators are told, and nothing of the group's is theirs to receive
    const destinations = lost.rerouteTo;
    if (!destinations) return;
    // a reply answered one person's message in that group: the administrators are told of the loss, not sent the answer
    if (row.kind === 'reply') return;
    if (forExpertsGroup(row)) {
      // the experts' scoring reminder of a group bound for both is theirs, not the administrators': dropped, as 解绑 drops it
      await tx.update(outbox).set({ status: 'dropped', lastError: `群已无法发送，评分提醒是发给专家的，不改发给管理员（${error}）`.slice(0, 500) }).where(eq(outbox.id, row.id));
      return;
    }
    await enqueueMany(tx, reroutedMessages(row, chatId, destinations));
  };
}
