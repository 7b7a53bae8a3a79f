import type { DisplayRow, FormDescriptor } from '../src/forms.js';
import { afterRevocation, revokedTold } from './strings.js';
import { form, type FormError, formDisplayElements, formInputs, refusalBanner, submitButton } from './forms.js';
import { asTyped, button, buttonRow, card, type Card, type Element, fields, hr, markdown, namedButtonText, note, md, mdJoin, type MdValue, pager, clipText } from './kit.js';

/** Complaints (第二十一条) and the revocation of a title (第二十二条). */

export interface ComplaintTeam {
  id: number;
  name: string;
  code: string;
  organization: string;
}

/** A complaint as lists and histories show it. */
export interface ComplaintSummary {
  id: number;
  /** When the decision in force was made (ms): the correction card's button carries it, so a card drawn before another correction is refused. */
  decidedMs?: number;
  reference: string;
  content: string;
  /** What was complained of as a group's card shows it (ComplaintCardWhere): a phone or e-mail typed into it hidden, as the team reads it. */
  contentInGroup: string;
  contact: string | null;
  channel: string; // chat | web
  status: string; // open | upheld | dismissed | duplicate | withdrawn
  note: string | null;
  /** The reference of the complaint this one repeats (重复). */
  repeats?: string;
  /** Who decided it (their name, else 管理员) and when, as people read it: 2027年3月2日 10:05. */
  decided?: { by: string; at: string };
  /** As people read it, in the bot's timezone: 2027年3月1日. */
  receivedOn: string;
  team: ComplaintTeam;
}

/** A complaint on its own card: what was filled in and what was decided, as `complaintForm` and `complaintDecisionForm` (src/complaints.ts) display them. */
export interface ComplaintView extends ComplaintSummary {
  display: DisplayRow[];
  decision: DisplayRow[];
  /** The administrator's form on the open complaint's card. */
  decisionForm: FormDescriptor;
}

/** The title a team holds and how far its run of upheld complaints has gone. */
export interface TitleView {
  honourId: number;
  year: number;
  run: number;
  required: number;
  /** The years of every title a pending run is against (titlesOfRun), which 撤销 revokes and 保留 keeps together. */
  runYears?: number[];
  /** The years of every title held (heldTitles), when more than one: a team awarded again holds them all. */
  heldYears?: number[];
}

/** “2026、2027”: the titles a revocation alert's decision takes. */
const runYearsText = (title: TitleView) => (title.runYears?.length ? title.runYears : [title.year]).join('、');
/** Every title held (2025、2026), not only the oldest the run counts from: the newest is at stake too. */
const heldYearsText = (title: TitleView) => (title.heldYears?.length ? title.heldYears : [title.year]).join('、');

export type { FormError } from './forms.js';

export const complaintStatusNames: Record<string, string> = { open: '待处理', upheld: '成立', dismissed: '不成立', duplicate: '重复', withdrawn: '已撤回' };

/** Where a complaint stands, in words: 重复 names the complaint it repeats (重复（同 TS-2027-0003）). */
export const complaintStatusText = (c: Pick<ComplaintSummary, 'status' | 'repeats'>) =>
  c.status === 'duplicate' && c.repeats ? `重复（同 ${c.repeats}）` : (complaintStatusNames[c.status] ?? c.status);
const channelNames: Record<string, string> = { chat: '飞书消息', web: '网页表单' };

const errorBanner = (error?: FormError): Element[] => refusalBanner(error);

const row = (key: string, label: string, text: string): DisplayRow => ({ key, label, kind: 'text', text });

/**
 * Where a complaint's card is read: `group`, in a group (绑定通知's, or any a card of it reached), one card for everyone
 * there, who need not all be administrators. The complainant's contact is the association's alone (投诉表: 仅协会可见),
 * so a group's card leaves it out, and a phone or e-mail typed into the content too (as the team reads it), and carries
 * 查看联系方式 instead: complaint.open, administrators only, sends the whole complaint to the clicker privately (privateInGroup).
 */
export interface ComplaintCardWhere {
  group?: boolean;
}

/** The contact's row on a group's card, in place of the contact. */
export const contactWithheldText = '不在群内显示（仅协会可见）：管理员点“查看联系方式”私信查看';

/** The complaint's rows as filed, on a group's card without the complainant's contact. */
function displayFor(c: ComplaintView, group: boolean | undefined): DisplayRow[] {
  if (!group) return c.display;
  return c.display.map((r) => (r.key === 'contact' && r.text ? { ...r, text: contactWithheldText } : r.key === 'content' ? { ...r, text: c.contentInGroup } : r));
}

/** 查看联系方式 on a group's card of a complaint that left a contact (see ComplaintCardWhere). */
function contactButton(c: ComplaintView, group: boolean | undefined): Element[] {
  if (!group || !c.contact) return [];
  return [buttonRow([button({ text: '查看联系方式', value: { action: 'complaint.open', complaintId: c.id } })])];
}

/** The complaint as filed (the descriptor's fields, the team as found) with its reference, organisation, date and channel; long texts under their labels. */
function complaintFields(c: ComplaintView, group?: boolean): Element[] {
  return formDisplayElements([
    row('reference', '投诉编号', c.reference),
    ...displayFor(c, group),
    row('organization', '所属单位', c.team.organization),
    row('receivedOn', '收到日期', c.receivedOn),
    row('channel', '渠道', channelNames[c.channel] ?? c.channel),
  ]);
}

function titleLine(title: TitleView | undefined): Element[] {
  if (!title) return [];
  return [
    note(
      md`第二十二条：获得称号的班组连续出现顾客对质量不满意的投诉时，授予部门酌情考虑撤销称号。该班组持有 ${heldYearsText(title)} 年度称号，目前连续成立的投诉 ${title.run} 次；协会规定：连续 ${title.required} 次成立时提醒管理员决定。`,
    ),
  ];
}

/** To the admin group when a complaint arrives (or is still open after a week): 成立 / 不成立 with a note. */
export function complaintAlertCard(c: ComplaintView, opts: ComplaintCardWhere & { title?: TitleView; daysOpen?: number; error?: FormError; values?: Record<string, unknown> } = {}): Card {
  const escalated = opts.daysOpen !== undefined;
  return card({
    title: escalated ? `投诉已 ${opts.daysOpen} 天未处理：${c.team.name}` : `新的质量投诉：${c.team.name}`,
    subtitle: c.reference,
    template: escalated ? 'orange' : 'red',
    summary: `${c.reference} ${c.team.name}`,
    elements: [
      ...errorBanner(opts.error),
      ...complaintFields(c, opts.group),
      ...contactButton(c, opts.group),
      ...titleLine(opts.title),
      hr(),
      form(c.decisionForm.name, [
        ...formInputs(c.decisionForm, opts.values),
        {
          tag: 'column_set',
          flex_mode: 'flow',
          horizontal_spacing: '8px',
          columns: [
            { tag: 'column', width: 'auto', elements: [submitButton({ text: '成立', name: 'uphold', type: 'primary', value: { action: 'complaint.uphold', complaintId: c.id } })] },
            { tag: 'column', width: 'auto', elements: [submitButton({ text: '不成立', name: 'dismiss', type: 'default', value: { action: 'complaint.dismiss', complaintId: c.id } })] },
            { tag: 'column', width: 'auto', elements: [submitButton({ text: '重复', name: 'duplicate', type: 'default', value: { action: 'complaint.duplicate', complaintId: c.id } })] },
            { tag: 'column', width: 'auto', elements: [submitButton({ text: '已撤回', name: 'withdraw', type: 'default', value: { action: 'complaint.withdraw', complaintId: c.id } })] },
          ],
        },
      ]),
      note('第二十一条：班组建设接受社会各界监督。只有协会管理员可以认定投诉是否成立。重复：与同一班组另一件投诉是同一件事；已撤回：投诉人要求撤回。两者都不计入第二十二条的连续次数。'),
    ],
  });
}

/** Web complaints listed one by one in a batch alert; the rest are counted (keeps the card within 200 objects). */
export const batchAlertListed = 10;

/**
 * To the admin group at the end of a minute in which several web complaints (or several of one person's in chat,
 * `channel: 'chat'`) arrived after the first one's alert: one card for all of them, each with the button that opens its
 * 成立 / 不成立 card.
 */
export function complaintBatchAlertCard(opts: ComplaintCardWhere & { items: ComplaintSummary[]; channel?: 'web' | 'chat' }): Card {
  const chat = opts.channel === 'chat';
  const listed = opts.items.slice(0, batchAlertListed);
  const more = opts.items.length - listed.length;
  const rows = listed.map((c) => complaintRow(c, undefined, opts.group));
  const decided = opts.items.filter((c) => c.status !== 'open').length;
  const title = chat ? `同一人 1 分钟内在飞书又提交 ${opts.items.length} 件投诉` : `1 分钟内收到 ${opts.items.length} 件网上投诉`;
  return card({
    title,
    subtitle: chat ? '飞书消息' : '网页表单',
    template: 'red',
    summary: title,
    elements: [
      ...rows,
      ...(more > 0 ? [note(md`另有 ${more} 件，请在“投诉处理”中查看。`)] : []),
      // drawn when sent: one decided in the meantime (from its own card, or 投诉 TS-…) says so on its row
      ...(decided ? [note(md`其中 ${decided} 件在这张提醒发出前已认定，无需再处理。`)] : []),
      hr(),
      buttonRow([button({ text: '投诉处理', type: 'primary', value: { action: 'complaint.list' } })]),
      note(chat ? '第二十一条：班组建设接受社会各界监督。同一人在飞书连续提交的投诉，每分钟合并为一张提醒。' : '第二十一条：班组建设接受社会各界监督。同一分钟内的网上投诉合并为一张提醒。'),
    ],
  });
}

/** What was complained of as a card quotes it: a group's without a phone or e-mail typed into it (ComplaintCardWhere). */
const contentFor = (c: ComplaintSummary, group: boolean | undefined) => (group ? c.contentInGroup : c.content);

/** A complaint decided before its list was drawn: ｜已认定：成立 (a list of open ones shows nothing). */
const decidedMark = (c: ComplaintSummary) => (c.status === 'open' ? '' : md`｜已认定：${complaintStatusText(c)}`);

/** A complaint on a list card: its reference, team and the start of what was complained of, and 处理 to open its own card. */
function complaintRow(c: ComplaintSummary, daysOpen?: number, group?: boolean): Element {
  const open = daysOpen === undefined ? '' : daysOpen > 0 ? md`，已 ${daysOpen} 天` : md`，今天收到`;
  return {
    tag: 'column_set',
    flex_mode: 'none',
    columns: [
      {
        tag: 'column',
        width: 'weighted',
        weight: 1,
        elements: [markdown(md`**${c.reference}** ${c.team.name}（${c.team.code}，${c.team.organization}${open}）${decidedMark(c)}\n${asTyped(excerpt(contentFor(c, group), 60))}`)],
      },
      { tag: 'column', width: 'auto', elements: [button({ text: '处理', value: { action: 'complaint.open', complaintId: c.id } })] },
    ],
  };
}

/**
 * To the admin group when complaints are still open a week after they came in (`afterDays`), one card a day for all of
 * them: the oldest `batchAlertListed` each with 处理, the rest counted and found under 投诉处理. `total` counts them all.
 */
export function complaintEscalationCard(opts: ComplaintCardWhere & { items: (ComplaintSummary & { daysOpen: number })[]; total: number; afterDays: number }): Card {
  const listed = opts.items.slice(0, batchAlertListed);
  const more = opts.total - listed.length;
  const title = `${opts.total} 件投诉超过 ${opts.afterDays} 天未处理`;
  return card({
    title,
    subtitle: '请尽快认定成立或不成立',
    template: 'orange',
    summary: title,
    elements: [
      ...listed.map((c) => complaintRow(c, c.daysOpen, opts.group)),
      ...(more > 0 ? [note(md`另有 ${more} 件，请点下方“投诉处理”查看（也可发送“管理”后点“投诉处理”），待处理投诉按收到先后排列。`)] : []),
      hr(),
      buttonRow([button({ text: '投诉处理', type: 'primary', value: { action: 'complaint.list' } })]),
      note(md`第二十一条：班组建设接受社会各界监督。投诉收到 ${opts.afterDays} 天后仍未处理的，每满一周提醒一次；同一天到期的合并为一张。`),
    ],
  });
}

/** A title of the escalation list decided since it went out: 撤销 or 保留, by whom (their name, else 管理员) and when. */
export interface TitleDecidedOnList {
  decision: 'revoked' | 'kept';
  by: string;
  at: string;
}

/**
 * To an administrators' destination when several titles' 撤销 / 保留 (第二十二条) have been awaited a week or more
 * (`afterDays`), one card a day for all of them (a lone title gets its alert again instead): the longest awaited
 * `batchAlertListed` each with 决定, which opens its decision card (privately from a group), the rest counted and found
 * under 投诉处理. `total` counts those still awaiting. Redrawn once one of them is decided (`decided` on its item): that
 * one says who decided what and when, with no button; none left awaiting, the card says all are decided.
 */
export function revocationEscalationCard(
  opts: ComplaintCardWhere & { items: (TitleAwaiting & { days: number; decided?: TitleDecidedOnList; takenBack?: boolean })[]; total: number; afterDays: number },
): Card {
  const listed = opts.items.slice(0, batchAlertListed);
  const more = opts.total - listed.filter((t) => !t.decided && !t.takenBack).length;
  const decided = listed.filter((t) => t.decided).length;
  const takenBack = listed.some((t) => t.takenBack);
  // none awaiting: each decided, or its run taken back by 更正认定 (a list redrawn then), or some of each
  const title = opts.total
    ? `${opts.total} 个称号超过 ${opts.afterDays} 天未决定是否撤销`
    : !takenBack
      ? '所列称号均已决定撤销或保留'
      : decided
        ? '所列称号均已决定或无需再决定'
        : '所列称号均已无需决定';
  return card({
    title,
    subtitle: opts.total ? '第二十二条：请决定撤销或保留称号' : '第二十二条：无需再决定',
    template: opts.total ? 'carmine' : 'grey',
    summary: title,
    elements: [
      ...listed.map((t): Element => {
        const who = md`**${t.team.name}**（${t.team.code}，${t.team.organization}）${t.year} 年度称号`;
        if (t.decided) return markdown(md`${who}：已由 ${t.decided.by} 于 ${t.decided.at} 决定${t.decided.decision === 'revoked' ? '撤销称号' : '保留称号'}`);
        if (t.takenBack) return markdown(md`${who}：经更正认定，连续成立的投诉已不足规定次数，撤销称号提醒已撤回，无需再决定`);
        return {
          tag: 'column_set',
          flex_mode: 'none',
          columns: [
            { tag: 'column', width: 'weighted', weight: 1, elements: [markdown(md`${who}：连续 ${t.run} 次投诉成立，已 ${t.days} 天未决定`)] },
            { tag: 'column', width: 'auto', elements: [button({ text: '决定', type: 'danger', value: { action: 'revocation.open', honourId: t.honourId } })] },
          ],
        };
      }),
      ...(more > 0 ? [note(md`另有 ${more} 个，请点下方“投诉处理”查看（也可发送“管理”后点“投诉处理”），待决定的称号列在最前。`)] : []),
      ...(decided && opts.total ? [note(md`已决定的 ${decided} 个不再需要处理，其余仍请点“决定”。`)] : []),
      hr(),
      buttonRow([button({ text: '投诉处理', type: 'primary', value: { action: 'complaint.list' } })]),
      note(md`点“决定”打开该称号的撤销 / 保留卡片（在群里点击时私信发给你）。撤销称号提醒 ${opts.afterDays} 天后仍未决定的，每满一周提醒一次；同一天到期的合并为一张。`),
    ],
  });
}

/** The alert after an administrator decided: read-only. */
export function complaintDecidedCard(c: ComplaintView, opts: ComplaintCardWhere & { title?: TitleView; revocationRaised?: boolean; revocationWithdrawn?: boolean } = {}): Card {
  const upheld = c.status === 'upheld';
  return card({
    title: `投诉${complaintStatusNames[c.status] ?? c.status}：${c.team.name}`,
    subtitle: c.reference,
    template: upheld ? 'orange' : 'grey',
    elements: [
      ...complaintFields(c, opts.group),
      ...formDisplayElements([
        row('status', '认定结果', complaintStatusText(c)),
        ...(c.decided ? [row('decided', '认定人', `${c.decided.by}，${c.decided.at}`)] : []),
        ...c.decision,
      ]),
      ...titleLine(opts.title),
      ...(opts.revocationRaised ? [note('已达到连续成立次数，撤销称号提醒已发送到协会管理群。')] : []),
      ...(opts.revocationWithdrawn ? [note('更正后连续成立的投诉不足规定次数，此前的撤销称号提醒不再适用，其“撤销称号”“保留称号”将不再受理。')] : []),
      ...webComplainantTold(c, opts.group),
      ...contactButton(c, opts.group),
      // a wrong click is put right here: 成立 ⇄ 不成立, asked again on its own card before anything changes
      ...(c.status === 'upheld' || c.status === 'dismissed'
        ? [hr(), buttonRow([button({ text: '更正认定', value: { action: 'complaint.correctAsk', complaintId: c.id } })]), note('认定有误（如点错了成立或不成立）时点“更正认定”，填写更正说明后再确认。')]
        : []),
    ],
  });
}

const otherFinding = (status: string) => (status === 'upheld' ? 'dismissed' : 'upheld');

/**
 * 更正认定, asked before anything changes: the decision as it stands, what changing it does (第二十二条's count, who is
 * told), the 更正说明 and one button, which Feishu asks to confirm again.
 */
export function complaintCorrectionCard(c: ComplaintView, form_: FormDescriptor, opts: { title?: TitleView; error?: FormError; values?: Record<string, unknown> } = {}): Card {
  const to = otherFinding(c.status);
  const toName = complaintStatusNames[to];
  const told = [c.channel === 'chat' ? '投诉人' : undefined, c.status === 'upheld' || to === 'upheld' ? '班组长和单位联系人' : undefined].filter(Boolean).join('和');
  const effect =
    to === 'upheld'
      ? '更正后这件投诉计入第二十二条的连续成立次数；达到规定次数时会提醒管理员决定是否撤销称号。'
      : '更正后这件投诉不再计入第二十二条的连续成立次数；因它发出的撤销称号提醒不再适用。';
  return card({
    title: `更正认定：${c.team.name}`,
    subtitle: c.reference,
    template: 'orange',
    summary: `更正投诉 ${c.reference} 的认定`,
    elements: [
      ...errorBanner(opts.error),
      markdown(md`投诉 **${c.reference}** 现认定为**${complaintStatusNames[c.status] ?? c.status}**${c.decided ? md`（${c.decided.by}，${c.decided.at}）` : ''}，将更正为**${toName}**。`),
      ...formDisplayElements(c.decision),
      ...titleLine(opts.title),
      note(md`${effect}${told ? `更正说明将替换原处理意见，并告知${told}。` : '更正说明将替换原处理意见。'}`),
      hr(),
      form(form_.name, [
        ...formInputs(form_, opts.values),
        submitButton({
          text: `确认更正为${toName}`,
          name: 'correct',
          type: 'danger',
          value: { action: 'complaint.correct', complaintId: c.id, to, ...(c.decidedMs !== undefined ? { decided: c.decidedMs } : {}) },
          confirm: { title: `更正为${toName}？`, text: `投诉 ${c.reference} 将由“${complaintStatusNames[c.status] ?? c.status}”更正为“${toName}”，并通知${told || '记录在案'}。` },
        }),
      ]),
    ],
  });
}

/** 投诉认定已更正: to the complainant in chat, or to the team that was told the complaint was upheld. */
export function complaintCorrectedNoticeCard(c: ComplaintSummary, opts: { from: string; team: boolean; title?: TitleView }): Card {
  const now = complaintStatusNames[c.status] ?? c.status;
  const was = complaintStatusNames[opts.from] ?? opts.from;
  return card({
    title: `投诉认定已更正：${now}`,
    subtitle: c.reference,
    template: c.status === 'upheld' ? 'orange' : 'grey',
    summary: `投诉 ${c.reference} 的认定已由${was}更正为${now}`,
    elements: [
      markdown(
        opts.team
          ? md`此前告知 **${c.team.name}**（${c.team.code}）认定**${was}**的投诉 ${c.reference}，协会复核后更正为**${now}**，不计入第二十二条的连续成立次数。`
          : md`你的投诉 ${c.reference}（被投诉班组：${c.team.name}）此前认定为**${was}**，协会复核后更正为**${now}**。`,
      ),
      fields([
        ['投诉编号', c.reference],
        ['收到日期', c.receivedOn],
        ...(opts.team ? [['投诉内容', asTyped(excerpt(c.content, 300))] as [string, MdValue]] : []),
        ['更正说明', c.note ? asTyped(c.note) : '—'],
      ]),
      ...(opts.title && opts.team ? [note(md`本班组持有 ${heldYearsText(opts.title)} 年度称号，目前连续成立的投诉 ${opts.title.run} 次；协会规定：连续 ${opts.title.required} 次成立时由协会决定是否撤销。`)] : []),
      note(opts.team ? '如有疑问，请联系协会。' : '感谢你对质量信得过班组活动的监督（第二十一条）。'),
    ],
  });
}

/** A web complainant is outside Feishu: nothing tells them the decision but the association, at the contact they left (第二十一条). */
function webComplainantTold(c: ComplaintView, group?: boolean): Element[] {
  if (c.channel !== 'web') return [];
  return [
    markdown(
      c.contact
        ? group
          ? md`**请告知投诉人：** 网上投诉的投诉人收不到飞书通知，请点“查看联系方式”（私信发给管理员），按其联系方式告知认定结果和处理意见，并提供投诉编号 ${c.reference}。`
          : md`**请告知投诉人：** 网上投诉的投诉人收不到飞书通知，请按其联系方式（${asTyped(c.contact)}）告知认定结果和处理意见，并提供投诉编号 ${c.reference}。`
        : md`网上投诉的投诉人没有留下联系方式，认定结果无法告知投诉人。`,
    ),
  ];
}

/** 第二十二条: one alert when a title holder reaches the configured run of upheld complaints. */
export function revocationAlertCard(opts: ComplaintCardWhere & { team: ComplaintTeam; title: TitleView; history: ComplaintSummary[]; form: FormDescriptor; error?: FormError; values?: Record<string, unknown>; daysWaiting?: number }): Card {
  const { team, title } = opts;
  const history = opts.history.map((c) => md`- ${c.receivedOn} ${c.reference}：**${complaintStatusNames[c.status] ?? c.status}**　${asTyped(excerpt(contentFor(c, opts.group), 60))}${c.note ? md`（意见：${asTyped(excerpt(c.note, 40))}）` : ''}`);
  return card({
    // raised again by the escalation job: the decision has been awaited this long
    title: opts.daysWaiting !== undefined ? `撤销称号已 ${opts.daysWaiting} 天未决定：${team.name}` : `撤销称号提醒：${team.name}`,
    subtitle: `${runYearsText(title)} 年度质量信得过班组`,
    template: 'carmine',
    summary: `撤销称号提醒：${team.name}`,
    elements: [
      ...errorBanner(opts.error),
      markdown(
        md`第二十二条：获得“质量信得过班组”称号的班组，在连续出现顾客对质量不满意的投诉时，授予部门酌情考虑撤销称号。\n**${team.name}**（${team.code}，${team.organization}）已连续 **${title.run}** 次投诉成立（协会规定：连续 ${title.required} 次成立时提醒）。`,
      ),
      markdown(md`**投诉记录**\n${history.length ? mdJoin(history, '\n') : '—'}`),
      hr(),
      form(opts.form.name, [
        ...formInputs(opts.form, opts.values),
        {
          tag: 'column_set',
          flex_mode: 'flow',
          horizontal_spacing: '8px',
          columns: [
            {
              tag: 'column',
              width: 'auto',
              elements: [
                {
                  ...submitButton({ text: '撤销称号', name: 'revoke', type: 'primary_filled', value: { action: 'revocation.revoke', honourId: title.honourId } }),
                  type: 'danger_filled',
                  confirm: { title: { tag: 'plain_text', content: '撤销称号' }, text: { tag: 'plain_text', content: `确定撤销${team.name} ${runYearsText(title)} 年度称号？班组长和单位联系人将收到通知。` } },
                },
              ],
            },
            {
              tag: 'column',
              width: 'auto',
              elements: [
                {
                  ...submitButton({ text: '保留称号', name: 'keep', type: 'default', value: { action: 'revocation.keep', honourId: title.honourId } }),
                  // 保留 has no undo either: the run it sets aside does not count again
                  confirm: { title: { tag: 'plain_text', content: '保留称号' }, text: { tag: 'plain_text', content: `确定保留${team.name} ${runYearsText(title)} 年度称号？此前成立的 ${title.run} 次投诉将不再计入连续次数，保留后不能撤回。` } },
                },
              ],
            },
          ],
        },
      ]),
      note('保留称号后，此前成立的投诉不再计入连续次数。'),
    ],
  });
}

/**
 * In place of the 撤销称号提醒's copies once a 更正认定 took back a 成立 it was raised on (第二十二条): the run no longer
 * reaches the number, so there is nothing to decide; `complaint`, the complaint corrected to 不成立 (its corrector, when
 * and the 更正说明), when it still stands so. No buttons: 撤销 / 保留 would be refused.
 */
export function revocationWithdrawnCard(opts: { team: ComplaintTeam; year: number; title?: TitleView; complaint?: ComplaintSummary }): Card {
  const { team, title, complaint: c } = opts;
  const run = title ? md`**${team.name}**（${team.code}）目前连续成立的投诉为 **${title.run}** 次（协会规定：连续 ${title.required} 次成立时提醒）` : md`**${team.name}**（${team.code}）目前连续成立的投诉不足规定次数`;
  return card({
    title: `撤销称号提醒已撤回：${team.name}`,
    subtitle: `${title ? heldYearsText(title) : opts.year} 年度质量信得过班组`,
    template: 'grey',
    summary: `撤销称号提醒已撤回：${team.name}`,
    elements: [
      markdown(
        c
          ? md`投诉 **${c.reference}** 的认定已由${c.decided?.by ?? '管理员'}${c.decided ? md`于 ${c.decided.at} ` : ''}更正为“不成立”，${run}。此前的撤销称号提醒不再适用，无需决定撤销或保留称号。`
          : md`投诉认定已更正，${run}。此前的撤销称号提醒不再适用，无需决定撤销或保留称号。`,
      ),
      ...(c ? [fields([['更正说明', c.note ? asTyped(c.note) : '—']])] : []),
      note('第二十二条：此后再连续出现成立的投诉时，会再次提醒是否撤销称号。'),
    ],
  });
}

/** `barDays`: the association's rule (协会规定, a cycle setting) on applying again after a revocation. */
/** `others`: the team's other titles the same decision took (held through the same run of complaints, 第二十二条). */
export function revocationDecidedCard(opts: {
  team: ComplaintTeam & { leaderOpenId?: string; contactOpenId?: string };
  year: number;
  decision: 'revoked' | 'kept';
  reason: string;
  barDays?: number | null;
  certificate?: string;
  others?: { year: number; certificate?: string }[];
}): Card {
  const revoked = opts.decision === 'revoked';
  const others = opts.others ?? [];
  return card({
    title: revoked ? `已撤销称号：${opts.team.name}` : `已保留称号：${opts.team.name}`,
    subtitle: `${opts.year} 年度质量信得过班组`,
    template: revoked ? 'grey' : 'green',
    elements: [
      fields([
        ['班组', `${opts.team.name}（${opts.team.code}）`],
        ['决定', revoked ? '撤销称号' : '保留称号'],
        ['理由', asTyped(opts.reason)],
        ...(revoked && opts.certificate ? [['荣誉证书', `${opts.certificate}（已作废）`] as [string, string]] : []),
        ...(others.length
          ? [
              [
                revoked ? '同时撤销' : '同时保留',
                others.map((o) => `${o.year} 年度称号${revoked && o.certificate ? `（证书 ${o.certificate} 已作废）` : ''}`).join('；'),
              ] as [string, string],
            ]
          : []),
      ]),
      note(!revoked ? '此前成立的投诉不再计入连续次数。' : opts.barDays === undefined ? md`${revokedTold(opts.team)}。` : md`${revokedTold(opts.team)}。协会规定：${afterRevocation(opts.barDays)}内不受理该班组的申报。`),
    ],
  });
}

/** To the team leader and the organisation contact when the title is revoked. */
export function titleRevokedNoticeCard(opts: { team: ComplaintTeam; year: number; reason: string; barDays: number | null; certificate?: string }): Card {
  return card({
    title: `称号已撤销：${opts.team.name}`,
    subtitle: `${opts.year} 年度广东省市政工程质量信得过班组`,
    template: 'red',
    elements: [
      markdown(
        md`第二十二条：因连续出现顾客对质量不满意的投诉，广东省市政行业协会决定撤销 **${opts.team.name}**（${opts.team.code}，${opts.team.organization}）的 ${opts.year} 年度“广东省市政工程质量信得过班组”称号。`,
      ),
      fields([['撤销理由', asTyped(opts.reason)], ...(opts.certificate ? [['荣誉证书', `${opts.certificate}（已作废）`] as [string, string]] : [])]),
      note(md`协会规定：${afterRevocation(opts.barDays)}内不受理该班组的申报。如有异议，请联系协会。`),
    ],
  });
}

/**
 * 投诉 in chat: the inputs of `descriptor` (src/complaints.ts `complaintForm`, or `complaintTextForm` when the team was
 * picked already), filled again with what was typed after a refusal; `formKey` makes a second submit of the same card harmless.
 */
export function complaintFormCard(opts: {
  descriptor: FormDescriptor;
  /** `formerly`: the former name the team was found by, said after its name now. */
  team?: { id: number; name: string; code: string; formerly?: string };
  formKey?: string;
  values?: Record<string, unknown>;
  error?: FormError;
  /** A team typed with a slip: the title holders it may mean (nearTeams), each a button opening its form with what was typed. */
  suggested?: readonly { id: number; name: string; code: string }[];
}): Card {
  const typed = (key: string, max: number) => {
    const v = opts.values?.[key];
    return typeof v === 'string' && v.trim() && v.length <= max ? { [key]: v } : {};
  };
  // what the complainant wrote goes on to the form of the team picked, as the picker carries it
  const carried = { ...typed('content', PICKER_CONTENT_MAX), ...typed('contact', PICKER_CONTACT_MAX) };
  return card({
    title: '质量投诉',
    subtitle: '第二十一条：质量信得过班组接受社会各界监督',
    template: 'orange',
    elements: [
      ...errorBanner(opts.error),
      ...(opts.suggested?.length
        ? [buttonRow(opts.suggested.map((t) => button({ text: namedButtonText(t.name, t.code).text, type: 'primary', value: { action: 'complaint.start', teamId: t.id, ...carried } })))]
        : []),
      markdown(
        opts.team
          ? opts.team.formerly
            ? md`被投诉班组：**${opts.team.name}**（${opts.team.code}，原名“${opts.team.formerly}”）`
            : md`被投诉班组：**${opts.team.name}**（${opts.team.code}）`
          : '请填写被投诉班组的名称或编号（如 GDSZ-2026-0001），并描述问题。协会将核查处理。',
      ),
      form(opts.descriptor.name, [
        // the complaint is the complainant's own words, stored nowhere until submitted: refused by DLP with a phone in it,
        // the form goes with the words and the phone masked rather than empty
        ...formInputs(opts.descriptor, opts.values, { drafts: ['content'] }),
        submitButton({ text: '提交投诉', name: 'submit', value: { action: 'complaint.submit', ...(opts.team ? { teamId: opts.team.id } : {}), ...(opts.formKey ? { formKey: opts.formKey } : {}) } }),
      ]),
    ],
  });
}

/** The most of a complaint typed after the team's name that the picker's buttons carry on to the form. */
export const PICKER_CONTENT_MAX = 300;
/** The most of a contact typed on a refused form that a suggested team's button carries on to its form (the field's own limit). */
export const PICKER_CONTACT_MAX = 100;

/**
 * Several teams match what was typed after 投诉: the complainant picks one. What they typed after the name goes on to
 * the picked team's form when it is short enough for ten buttons to carry; a longer text is asked for again, and the
 * card says so.
 */
/** Teams the picker offers: a search of a part of a name reads one more, to know there are more than these. */
export const PICKER_TEAMS_SHOWN = 10;

/**
 * Several teams match what was typed: each a button (the first PICKER_TEAMS_SHOWN of `teams`). Past them, the card says
 * there are more and how to name the one meant (a fuller name, the team's code or its certificate's number): a team
 * beyond the first ten is reached that way, not left unsaid behind “有 10 个”.
 */
export function complaintTeamPickerCard(opts: {
  query: string;
  teams: { id: number; name: string; code: string; organization: string }[];
  content?: string;
  /** What was typed is an organisation's name (`exact`), or part of one organisation's: `teams` are its title holders. */
  organization?: { name: string; exact: boolean };
}): Card {
  const carried = opts.content && opts.content.length <= PICKER_CONTENT_MAX ? opts.content : undefined;
  const shown = opts.teams.slice(0, PICKER_TEAMS_SHOWN);
  const more = opts.teams.length > shown.length;
  const org = opts.organization;
  // an organisation's teams are all of it: each button names its code, not the organisation again
  const labels = shown.map((t) => namedButtonText(t.name, org ? t.code : t.organization));
  const ofOrganization = org
    ? md`${org.exact ? md`“${opts.query}”是单位名称。该单位` : md`找不到班组“${opts.query}”。与它相符的单位“${org.name}”`}获得“质量信得过班组”称号的班组有 ${opts.teams.length} 个${more ? md`，下面是前 ${PICKER_TEAMS_SHOWN} 个` : ''}，请选择要投诉的班组。要投诉的班组不在其中的，请发送“投诉”加班组全称或编号（如 GDSZ-2026-0001）。`
    : undefined;
  return card({
    title: '质量投诉：选择班组',
    template: 'orange',
    elements: [
      markdown(
        ofOrganization ??
          (more
            ? md`与“${opts.query}”相符的班组超过 ${PICKER_TEAMS_SHOWN} 个，下面是前 ${PICKER_TEAMS_SHOWN} 个，请选择。没有要投诉的班组时，请重新发送“投诉”加更完整的班组名称，或班组编号（如 GDSZ-2026-0001）、证书编号。`
            : md`与“${opts.query}”相符的班组有 ${shown.length} 个，请选择：`),
      ),
      // a button shows at most 100 characters: when a name or unit was clipped there, every team is named in full here
      ...(labels.some((l) => l.clipped) ? [markdown(mdJoin(shown.map((t, i) => md`${i + 1}. ${t.name}（${t.organization}，${t.code}）`), '\n'))] : []),
      ...(opts.content && !carried ? [note(md`你发送的投诉内容较长（${opts.content.length} 字），选择班组后请在表单中重新填写或粘贴。`)] : []),
      buttonRow(shown.map((t, i) => button({ text: labels[i].text, value: { action: 'complaint.start', teamId: t.id, ...(carried ? { content: carried } : {}) } }))),
    ],
  });
}

/** To a complainant in chat: the reference to quote. */
export function complaintReceivedCard(opts: { reference: string; team: { name: string; code: string }; withdraw?: string }): Card {
  return card({
    title: '投诉已受理',
    subtitle: opts.reference,
    template: 'green',
    elements: [
      fields([
        ['投诉编号', opts.reference],
        ['被投诉班组', `${opts.team.name}（${opts.team.code}）`],
      ]),
      ...(opts.withdraw ? [markdown(md`**${opts.withdraw}**`)] : []),
      note('协会将核查处理，认定结果会通知你。请保存投诉编号。'),
    ],
  });
}

/** What a complainant is told of a complaint closed without a finding (重复, 已撤回). */
export function closedWithoutFinding(c: Pick<ComplaintSummary, 'status' | 'repeats'>): string | undefined {
  if (c.status === 'duplicate') return c.repeats ? `你的投诉与投诉 ${c.repeats} 是同一件事，协会合并在 ${c.repeats} 中处理，这件不再单独认定。` : '你的投诉与另一件投诉是同一件事，协会合并处理，这件不再单独认定。';
  if (c.status === 'withdrawn') return '这件投诉已按你的要求撤回，协会不再核查。';
  return undefined;
}

/** To a complainant in chat once an administrator decided; `withdraw`: what an ask to withdraw it is answered. */
export function complaintOutcomeCard(c: ComplaintSummary, opts: { withdraw?: string } = {}): Card {
  const closed = closedWithoutFinding(c);
  return card({
    title: `投诉处理结果：${c.status === 'duplicate' ? '重复投诉' : (complaintStatusNames[c.status] ?? c.status)}`,
    subtitle: c.reference,
    template: c.status === 'upheld' ? 'orange' : 'grey',
    elements: [
      ...(closed ? [markdown(md`${closed}`)] : []),
      fields([
        ['被投诉班组', `${c.team.name}（${c.team.code}）`],
        [closed ? '处理结果' : '认定结果', complaintStatusText(c)],
        ['处理意见', c.note && asTyped(c.note)],
      ]),
      ...(opts.withdraw ? [markdown(md`**${opts.withdraw}**`)] : []),
      note('感谢你对质量信得过班组活动的监督（第二十一条）。'),
    ],
  });
}

/**
 * To the team's leader and its organisation's contact when a complaint against the team is upheld: what was
 * complained of and decided, and for a title holder where its run stands (第二十二条), while it can still put things
 * right. Who complained, and how to reach them, is not on it.
 */
export function complaintUpheldNoticeCard(c: ComplaintSummary, title?: TitleView): Card {
  return card({
    title: `投诉成立：${c.team.name}`,
    subtitle: c.reference,
    template: 'orange',
    summary: `针对${c.team.name}的投诉经协会核实成立`,
    elements: [
      markdown(md`协会核实了一件针对 **${c.team.name}**（${c.team.code}）的顾客投诉，认定**成立**。`),
      fields([
        ['投诉编号', c.reference],
        ['收到日期', c.receivedOn],
        ['投诉内容', asTyped(excerpt(c.content, 300))],
        ['协会处理意见', c.note ? asTyped(c.note) : '—'],
      ]),
      ...(title
        ? [
            note(
              md`第二十二条：获得称号的班组连续出现顾客对质量不满意的投诉时，授予部门酌情考虑撤销称号。本班组持有 ${heldYearsText(title)} 年度称号，目前连续成立的投诉 ${title.run} 次；协会规定：连续 ${title.required} 次成立时由协会决定是否撤销。`,
            ),
          ]
        : []),
      note('请核实情况并整改；如有异议，请联系协会（第二十一条：接受社会各界的监督）。'),
    ],
  });
}

/** A title awaiting 撤销 / 保留 as 投诉处理 lists it. */
export interface TitleAwaiting {
  honourId: number;
  year: number;
  run: number;
  team: ComplaintTeam;
}

/**
 * Entries on one page of 投诉处理 (six tagged objects each, well within Feishu's 200 and 30 KB): the titles awaiting
 * 撤销 / 保留 first, then the open complaints oldest first, paged together so that every one of them is reachable.
 */
export const complaintListPage = 15;

/**
 * 投诉处理 for administrators, one page: the titles awaiting a decision (第二十二条) and the open complaints, oldest
 * first, each with the button that opens its card; `total` / `titleTotal` count them all, 上一页 / 下一页 carry the page.
 * `asked`: the page a button asked for when it is past the end now (complaints were handled since); the last page is shown.
 */
export function complaintListCard(opts: {
  items: (ComplaintSummary & { daysOpen: number })[];
  total: number;
  titles?: TitleAwaiting[];
  titleTotal?: number;
  /** The place of the page's first complaint among all the open ones, from 1. */
  first?: number;
  page?: number;
  pages?: number;
  asked?: number;
}): Card {
  const titles = opts.titles ?? [];
  const titleTotal = opts.titleTotal ?? titles.length;
  const page = opts.page ?? 1;
  const pages = opts.pages ?? 1;
  const first = opts.first ?? 1;
  const rows: Element[] = opts.items.map((c) => ({
    tag: 'column_set',
    flex_mode: 'none',
    columns: [
      { tag: 'column', width: 'weighted', weight: 1, elements: [markdown(md`**${c.reference}** ${c.team.name}（${c.daysOpen > 0 ? `已 ${c.daysOpen} 天` : '今天收到'}）\n${asTyped(excerpt(c.content, 40))}`)] },
      { tag: 'column', width: 'auto', elements: [button({ text: '处理', value: { action: 'complaint.open', complaintId: c.id } })] },
    ],
  }));
  const titleRows: Element[] = titles.map((t) => ({
    tag: 'column_set',
    flex_mode: 'none',
    columns: [
      { tag: 'column', width: 'weighted', weight: 1, elements: [markdown(md`**${t.team.name}**（${t.team.code}）${t.year} 年度称号：连续 ${t.run} 次投诉成立`)] },
      { tag: 'column', width: 'auto', elements: [button({ text: '决定', type: 'danger', value: { action: 'revocation.open', honourId: t.honourId } })] },
    ],
  }));
  const last = first + opts.items.length - 1;
  const complaintPart: Element[] = !opts.total
    ? page === 1
      ? [markdown('目前没有待处理的投诉。')]
      : []
    : opts.items.length
      ? [markdown(md`**待处理投诉 ${opts.total} 件**（按收到先后排列，本页第 ${first}${last > first ? md`–${last}` : ''} 件）`), ...rows]
      : [];
  const gone = opts.asked !== undefined && opts.asked > pages;
  return card({
    title: '待处理投诉',
    subtitle: `共 ${opts.total} 件${titleTotal ? `，${titleTotal} 个称号待决定` : ''}`,
    template: opts.total || titleTotal ? 'orange' : 'green',
    elements: [
      ...(gone ? [note(md`待处理的已减少，第 ${opts.asked!} 页已没有内容，下面是最后一页（第 ${page} / ${pages} 页）。`)] : []),
      ...(titleRows.length ? [markdown(md`**待决定是否撤销的称号 ${titleTotal} 个**（第二十二条）`), ...titleRows, ...(complaintPart.length ? [hr()] : [])] : []),
      ...complaintPart,
      ...pager({ page, pages, value: { action: 'complaint.list' } }),
    ],
  });
}

export function excerpt(s: string, max: number): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return clipText(flat, max);
}
