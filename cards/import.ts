import { button, buttonRow, card, type Card, CARD_BYTES_BUDGET, cardBodyBytes, type Element, clipText, hr, markdown, type Md, md, mdJoin, mention, note, raw } from './kit.js';
import { formatDateZh } from '../src/dates.js';

/** What the import cards show; the same shape as the stored dry run (src/import/plan.ts). */
type Sheet = 'organizations' | 'teams' | 'experts' | 'honours';
export interface ImportCardData {
  importId: number;
  fileName: string;
  status: 'planned' | 'applied';
  add: { sheet: Sheet; row: number; label: string }[];
  update: { sheet: Sheet; row: number; label: string; changes?: string[] }[];
  unchanged: Record<Sheet, number>;
  refused: { sheet: Sheet; row: number; label: string; reason: string }[];
  pending: { key: string; name: string }[];
  kept?: { row: number; label: string; role: string }[];
  /** what reading the file passed over or should say: sheets not read, a hidden sheet read, rows skipped */
  notes?: string[];
  /** 确认导入 found the data changed since the preview: this is the preview planned again, nothing imported */
  changedSincePreview?: boolean;
  /** the data this preview was planned against: 确认导入 on it applies this preview, not one planned again since */
  version?: string;
  /** the teams whose 单位联系人 the import changes, and to whom, as the file names them (第十五条) */
  contactChanges?: { row: number; label: string; to: string }[];
  /** the teams whose 班组长 the import changes: the leader on record and the one the file names, each marked when not yet linked to Feishu (sent nothing) */
  leaderChanges?: { row: number; label: string; from: string; to: string; fromUnlinked?: boolean; toUnlinked?: boolean }[];
  /** a register exported by 导出当前名册 sent back: the rows whose file values set back a change made in the bot since, field by field */
  sinceExport?: { exportedAt: string; rows: { sheet: Sheet; row: number; label: string; fields: { field: string; now: string; file: string }[] }[] };
}

const sheetNames: Record<Sheet, string> = { organizations: '单位', teams: '班组', experts: '专家', honours: '荣誉' };
const sheets: Sheet[] = ['organizations', 'teams', 'experts', 'honours'];

/** Refusals per page: one markdown each page keeps the card far under 200 tagged objects and 30 KB. */
export const REFUSALS_PER_PAGE = 15;
/**
 * A row's label and reason as the cards show them: a cell may hold a whole pasted description, and fifteen of those
 * came to more than Feishu's 30 KB. The row number leads to the whole text in the file.
 */
export const IMPORT_LABEL_SHOWN = 60;
export const IMPORT_REASON_SHOWN = 150;
/**
 * A reason as the card shows it when the card holds it: a row refused for several problems names them all (；), more
 * than 150 characters; cut at IMPORT_REASON_SHOWN only when fifteen such rows would take the card over its budget.
 */
export const IMPORT_REASONS_SHOWN = 300;
const label = (s: string) => clipText(s, IMPORT_LABEL_SHOWN);

/** Notes on what reading passed over: at most one per sheet and one for a hidden sheet, so a few. */
const NOTES_SHOWN = 6;

/** Names of added / updated rows shown per sheet before “等 N 行”. */
const NAMES_SHOWN = 8;

/**
 * Rows shown that set back a change made since the export, before “等 N 行”, and each value shown: a row may set back all
 * eight of a team's fields, each of a value of 100 characters, and six of them at their longest stay within a few KB.
 */
const SET_BACK_SHOWN = 6;
export const SET_BACK_VALUE_SHOWN = 20;

function countLine(rows: { sheet: Sheet }[], sheet: Sheet): number {
  return rows.filter((r) => r.sheet === sheet).length;
}

/**
 * How the preview's sentences are written: as card markdown (values escaped, lists cut for Feishu's 30 KB), or as plain
 * text for `npm run import` in a terminal (no markup, every row and the whole of each cell).
 */
interface Prose<T> {
  t: (strings: TemplateStringsArray, ...values: (T | string | number | null | undefined)[]) => T;
  join: (parts: (T | string)[], separator: string) => T;
  /** rows, teams and people named before “等 N 行” */
  names: number;
  /** notes on what reading passed over shown */
  notes: number;
  label: (s: string) => string;
  reason: (s: string) => string;
  /** rows setting back a change made since the export, and a value of theirs */
  setBack: number;
  value: (s: string) => string;
}

/** The card's prose, listing `setBack` rows set back since the export and showing `reasons` characters of a reason. */
const cardProse = (setBack = SET_BACK_SHOWN, reasons = IMPORT_REASON_SHOWN): Prose<Md> => ({
  t: md,
  join: mdJoin,
  names: NAMES_SHOWN,
  notes: NOTES_SHOWN,
  label,
  reason: (s) => clipText(s, reasons),
  setBack,
  value: (s) => clipText(s, SET_BACK_VALUE_SHOWN),
});

// our own markup is only the bold of the templates' literal text: left out, values are printed as typed
const plainProse: Prose<string> = {
  t: (strings, ...values) => strings.reduce((out, s, i) => out + s.replaceAll('**', '') + (i < values.length ? String(values[i] ?? '') : ''), ''),
  join: (parts, separator) => parts.join(separator),
  names: Number.POSITIVE_INFINITY,
  notes: Number.POSITIVE_INFINITY,
  label: (s) => s,
  reason: (s) => s,
  setBack: Number.POSITIVE_INFINITY,
  value: (s) => s,
};

function listed<T>(k: Prose<T>, rows: { sheet: Sheet; row: number; label: string; changes?: string[] }[], heading: string): T[] {
  if (!rows.length) return [];
  const lines = sheets.flatMap((s) => {
    const mine = rows.filter((r) => r.sheet === s);
    if (!mine.length) return [];
    const shown = mine.slice(0, k.names).map((r) => k.t`第 ${r.row} 行 ${k.label(r.label)}${r.changes?.length ? `（${r.changes.join('、')}）` : ''}`);
    return [k.t`**${sheetNames[s]} ${mine.length} 行**：${k.join(shown, '；')}${mine.length > k.names ? `；等 ${mine.length} 行` : ''}`];
  });
  return [k.t`**${heading}**\n${k.join(lines, '\n')}`];
}

/**
 * The leaders an import's change of leader cannot reach: not yet linked to Feishu (an import named them and they never
 * wrote to the bot), so nothing is sent to them; a new leader hears of the team when their first message links them.
 */
function leadersUntold<T>(k: Prose<T>, changes: NonNullable<ImportCardData['leaderChanges']>, untold: string): T | '' {
  const who = changes.flatMap((c) => [...(c.fromUnlinked ? [k.t`第 ${c.row} 行原班组长 ${k.label(c.from)}`] : []), ...(c.toUnlinked ? [k.t`第 ${c.row} 行新班组长 ${k.label(c.to)}`] : [])]);
  if (!who.length) return '';
  const later = changes.some((c) => c.toUnlinked) ? '（新班组长首次给机器人发消息时收到通知）' : '';
  return k.t`，其中${k.join(who.slice(0, k.names), '、')}${who.length > k.names ? ` 等 ${who.length} 人` : ''} 尚未关联飞书，${untold}${later}`;
}

/**
 * What the preview says between its counts and its refused rows, in order: the rows to add and update with the fields
 * that change, the contacts and leaders changed, the people not yet found and those kept. `note` marks the side remarks.
 */
function previewBody<T>(k: Prose<T>, d: ImportCardData): { text: T; note?: true }[] {
  const out: { text: T; note?: true }[] = [];
  // sheets and rows the file holds that are not read, first: what she sees in Excel is not all that is imported
  for (const n of (d.notes ?? []).slice(0, k.notes)) out.push({ text: k.t`${k.reason(n)}`, note: true });
  // a register exported and sent back that undoes what teams and administrators changed since: said before the rest
  if (d.sinceExport?.rows.length) {
    const { rows, exportedAt } = d.sinceExport;
    const lines = rows
      .slice(0, k.setBack)
      .map((r) => k.t`- ${sheetNames[r.sheet]}第 ${r.row} 行 ${k.label(r.label)}：${k.join(r.fields.map((f) => k.t`${f.field} ${k.value(f.now)} → ${k.value(f.file)}`), '；')}`);
    out.push({ text: k.t`**${rows.length} 行在文件导出（${exportedAt}）后已在机器人中修改，导入会改回文件中的值**（机器人中现值 → 文件中的值）：\n${k.join(lines, '\n')}${rows.length > k.setBack ? k.t`\n- 等 ${rows.length} 行` : ''}` });
    // a line after the list would read as part of its last item: the advice is a note of its own
    if (d.status !== 'applied') out.push({ text: k.t`以文件为准的，确认导入即可；要保留机器人中的值，请在文件中改成现值（或重新导出名册后修改）再发送。`, note: true });
  }
  for (const text of [...listed(k, d.add, '将新增'), ...listed(k, d.update, '将更新')]) out.push({ text });
  if (d.contactChanges?.length) {
    const rows = d.contactChanges.slice(0, k.names).map((c) => k.t`第 ${c.row} 行 ${k.label(c.label)}改为 ${k.label(c.to)}`);
    out.push({
      text: k.t`**将更换单位联系人 ${d.contactChanges.length} 个班组**：${k.join(rows, '；')}${d.contactChanges.length > k.names ? `；等 ${d.contactChanges.length} 个班组` : ''}\n${
        d.status === 'applied'
          ? '已通知新的单位联系人（暂未在飞书中找到的，首次给机器人发消息时通知）；待单位确认的申报改由其确认推荐（第十五条）。'
          : '确认导入后，新的单位联系人会收到通知（暂未在飞书中找到的，首次给机器人发消息时收到）；已提交、待单位确认的申报改由其确认推荐，原联系人会收到说明（第十五条）。'
      }`,
    });
  }
  if (d.leaderChanges?.length) {
    const rows = d.leaderChanges.slice(0, k.names).map((c) => k.t`第 ${c.row} 行 ${k.label(c.label)}：班组长 ${k.label(c.from)} → ${k.label(c.to)}`);
    out.push({
      text: k.t`**将更换班组长 ${d.leaderChanges.length} 个班组**：${k.join(rows, '；')}${d.leaderChanges.length > k.names ? `；等 ${d.leaderChanges.length} 个班组` : ''}\n${
        d.status === 'applied'
          ? k.t`已通知新班组长和原班组长${leadersUntold(k, d.leaderChanges, '未通知')}；原班组长留在班组成员中（同时改为单位联系人的除外），班组的资料、成员和本年度申报由新班组长办理。`
          : k.t`确认导入后，新班组长和原班组长会收到通知${leadersUntold(k, d.leaderChanges, '不会收到通知')}；原班组长留在班组成员中（同时改为单位联系人的除外），班组的资料、成员和本年度申报改由新班组长办理。`
      }`,
    });
  }
  if (d.pending.length) {
    const names = d.pending.slice(0, k.names).map((x) => k.label(x.name || x.key));
    out.push({
      text: k.t`${d.pending.length} 人暂未在飞书通讯录中找到（${k.join(names, '、')}${d.pending.length > k.names ? ' 等' : ''}）：导入后先保留，他们第一次给机器人发消息时按手机号或邮箱自动关联。`,
      note: true,
    });
  }
  if (d.kept?.length) {
    const rows = d.kept.slice(0, k.names).map((x) => k.t`第 ${x.row} 行 ${k.label(x.label)}的${x.role}`);
    out.push({
      text: k.t`${k.join(rows, '、')}${d.kept.length > k.names ? ` 等 ${d.kept.length} 处` : ''}：文件中的手机号或邮箱未在飞书通讯录中找到，保留机器人中已关联的人员，不作更改。如确需更换，请由班组长在“修改资料”中修改。`,
      note: true,
    });
  }
  return out;
}

/** What to do about refused rows: in the chat, send the file again; at the terminal (`npm run import`), run it again. */
function refusedList<T>(k: Prose<T>, d: ImportCardData, shown: ImportCardData['refused'], page: string, again = '修改后重新发送文件'): T {
  return k.t`**拒绝 ${d.refused.length} 行**${page}：${again}\n${k.join(
    shown.map((r) => k.t`- ${sheetNames[r.sheet]}第 ${r.row} 行 ${k.label(r.label)}：${k.reason(r.reason)}`),
    '\n',
  )}`;
}

const NOTHING_TO_IMPORT = '没有需要导入的变化：文件中的数据与机器人中的一致（或全部被拒绝）。';

/**
 * The preview as `npm run import` prints it before asking 确认导入: the card's counts as a table of tabs, then what the
 * card says, in its words, without markup, every row listed.
 */
export function importPreviewText(d: ImportCardData): string {
  const lines = [d.fileName, '表\t新增\t更新\t不变\t拒绝', ...sheets.map((s) => `${sheetNames[s]}\t${countLine(d.add, s)}\t${countLine(d.update, s)}\t${d.unchanged[s]}\t${countLine(d.refused, s)}`)];
  const body = previewBody(plainProse, d);
  lines.push(...body.map((b) => (b.note ? `注意：${b.text}` : b.text)));
  if (d.refused.length) lines.push(refusedList(plainProse, d, d.refused, '', '修改文件后重新运行 npm run import'));
  if (!d.add.length && !d.update.length) lines.push(NOTHING_TO_IMPORT);
  return `${lines.join('\n')}\n`;
}

/** The dry run (预览): counts per sheet, the rows to add and update, the refused rows with their reason, page by page. */
export function importPreviewCard(d: ImportCardData, page = 0): Card {
  // whole reasons and six rows set back when the card holds them; else fewer, as texts at their longest would exceed 30 KB
  let drawn = previewCardDrawn(d, page, cardProse(SET_BACK_SHOWN, IMPORT_REASONS_SHOWN));
  for (const [setBack, reasons] of [
    [SET_BACK_SHOWN, IMPORT_REASON_SHOWN],
    [2, IMPORT_REASON_SHOWN],
    [0, IMPORT_REASON_SHOWN],
  ]) {
    if (cardBodyBytes(drawn) <= CARD_BYTES_BUDGET) break;
    drawn = previewCardDrawn(d, page, cardProse(setBack, reasons));
  }
  return drawn;
}

function previewCardDrawn(d: ImportCardData, page: number, prose: Prose<Md>): Card {
  const pages = Math.max(1, Math.ceil(d.refused.length / REFUSALS_PER_PAGE));
  const p = Math.min(Math.max(0, page), pages - 1);
  const table = sheets
    .map((s) => `| ${sheetNames[s]} | ${countLine(d.add, s)} | ${countLine(d.update, s)} | ${d.unchanged[s]} | ${countLine(d.refused, s)} |`)
    .join('\n');
  const body = previewBody(prose, d);
  const elements: Element[] = [
    ...(d.changedSincePreview
      ? [
          markdown(
            '**预览后数据已有变化，尚未导入。** 机器人中的数据在预览之后有了变化（如另一次导入、修改资料或人员首次关联），以下是按当前数据重新生成的预览：请核对将新增、将更新和被拒绝的行，确认无误后再点“确认导入”。',
          ),
        ]
      : []),
    // the table's cells are our own counts and sheet names
    markdown(md`文件：${label(d.fileName)}\n\n${raw(`| 表 | 新增 | 更新 | 不变 | 拒绝 |\n|---|---|---|---|---|\n${table}`)}`),
    ...body.map((b) => (b.note ? note(b.text) : markdown(b.text))),
  ];
  if (d.refused.length) {
    const shown = d.refused.slice(p * REFUSALS_PER_PAGE, (p + 1) * REFUSALS_PER_PAGE);
    elements.push(hr());
    elements.push(markdown(refusedList(prose, d, shown, pages > 1 ? `（第 ${p + 1}/${pages} 页）` : '')));
    if (pages > 1) {
      const nav: Element[] = [];
      if (p > 0) nav.push(button({ text: '上一页', name: 'import_prev', value: { action: 'import.page', importId: d.importId, page: p - 1 } }));
      if (p < pages - 1) nav.push(button({ text: '下一页', name: 'import_next', value: { action: 'import.page', importId: d.importId, page: p + 1 } }));
      elements.push(buttonRow(nav));
    }
  }
  const nothing = !d.add.length && !d.update.length;
  elements.push(hr());
  if (d.status === 'applied') elements.push(markdown('**已导入。**'));
  else if (nothing) elements.push(note(NOTHING_TO_IMPORT));
  else {
    elements.push(note('被拒绝的行不会导入；其余各行在确认后分批导入，本卡片显示进度，中断后点“重试”从中断处继续；重复导入同一文件不会产生变化。'));
    elements.push(
      buttonRow([
        button({
          text: '确认导入',
          type: 'primary',
          name: 'import_confirm',
          value: { action: 'import.apply', importId: d.importId, ...(d.version ? { version: d.version } : {}) },
          confirm: {
            title: '确认导入',
            text: `新增 ${d.add.length} 行、更新 ${d.update.length} 行${d.sinceExport?.rows.length ? `（其中 ${d.sinceExport.rows.length} 行改回文件导出后机器人中的修改）` : ''}${d.refused.length ? `，拒绝的 ${d.refused.length} 行不导入` : ''}。`,
          },
        }),
      ]),
    );
  }
  return card({
    title: d.status === 'applied' ? '导入完成' : '导入预览',
    subtitle: `新增 ${d.add.length} · 更新 ${d.update.length} · 拒绝 ${d.refused.length}`,
    template: d.status === 'applied' ? 'green' : d.refused.length || d.changedSincePreview || d.sinceExport?.rows.length ? 'orange' : 'blue',
    elements,
  });
}

export interface ImportedTeam {
  code: string;
  name: string;
  organization: string;
  registeredAt: string;
  eligibleFrom: string;
  eligibleNow: boolean;
  role: 'leader' | 'contact';
  /** the team's contact is to be chosen anew: the file named this leader as its contact too (第十五条) */
  needsContact?: boolean;
}

/** Teams listed on one card before “等 N 个”: twenty at their longest (30-character codes, names and organisations of characters that escape to six bytes) stay under Feishu's 30 KB; thirty did not. */
const TEAMS_SHOWN = 20;

/** Told to an imported team's leader, and once to a contact for all their teams: now managed here, own code and date (第十六条). */
export function teamsImportedCard(list: ImportedTeam[]): Card {
  const contact = list.some((t) => t.role === 'contact');
  // leading some and confirming for others: each team says which it is
  const mixed = contact && list.some((t) => t.role === 'leader');
  const line = (t: ImportedTeam) =>
    md`- **${t.name}**（${t.organization}）编号 **${t.code}**${mixed ? (t.role === 'contact' ? '，你是单位联系人' : '，你是班组长') : ''}，注册日期 ${formatDateZh(t.registeredAt)}：${t.eligibleNow ? '注册已满一年，可以参加评选' : `${formatDateZh(t.eligibleFrom)} 满一年，申报截止时已满一年的年度即可申报`}`;
  const noContact = list.filter((t) => t.needsContact);
  return card({
    title: '班组已转入本机器人管理',
    template: noContact.length ? 'orange' : 'green',
    elements: [
      markdown(
        md`${list.length > 1 ? `以下 ${list.length} 个班组` : '你的班组'}已由协会导入，编号和注册日期如下（名册中已有编号的沿用原编号，没有编号的由协会新分配）；今后的注册信息、申报、评审和通知都在这里办理。\n${mdJoin(list.slice(0, TEAMS_SHOWN).map(line), '\n')}${list.length > TEAMS_SHOWN ? `\n等 ${list.length} 个班组。` : ''}`,
      ),
      ...(noContact.length
        ? [
            markdown(
              md`**请更换单位联系人**：协会导入的名单把你同时填为${mdJoin(
                noContact.slice(0, TEAMS_SHOWN).map((t) => md`“${t.name}”`),
                '、',
              )}${noContact.length > TEAMS_SHOWN ? ` 等 ${noContact.length} 个班组` : ''}的班组长和单位联系人。申报材料须由所在单位确认并填写推荐意见，班组长不能兼任单位联系人（第十五条），因此你只登记为班组长，单位联系人暂缺。请点“查看进度”，在该班组下点“修改资料”，在“单位联系人”中选择单位里负责确认推荐的其他人员（如质量负责人；列表中没有的，在“列表中没有单位联系人？填其手机号或邮箱”中填写），保存后，该班组的申报由其确认推荐。`,
            ),
          ]
        : []),
      note(md`第十六条：注册满一年后方可参加评选，按原注册日期计算。${contact ? '作为单位联系人，你负责确认推荐（第十五条）。' : ''}`),
      buttonRow([button({ text: '查看进度', type: 'primary', value: { action: 'team.status' } })]),
    ],
  });
}

/**
 * To a team's leader when the 单位联系人 an import named by mobile or e-mail is found to be a member of the team
 * (第十五条: the contact is never the team's leader or one of its members): the contact stays unfilled, and the leader
 * chooses another in 修改资料.
 */
export function pendingContactIsMemberCard(team: { name: string; code: string }, member: string): Card {
  return card({
    title: '请更换单位联系人',
    template: 'orange',
    elements: [
      markdown(
        md`协会导入的名单把 ${mention(member)} 登记为 **${team.name}**（${team.code}）的单位联系人，但其已是本班组成员。申报材料须由所在单位确认并填写推荐意见，班组长和班组成员不能兼任单位联系人（第十五条），因此单位联系人暂缺，已提交的申报也无人确认。`,
      ),
      note('请点“查看进度”，在该班组下点“修改资料”，在“单位联系人”中选择单位里负责确认推荐的其他人员（如质量负责人；列表中没有的，在“列表中没有单位联系人？填其手机号或邮箱”中填写），保存后，该班组的申报由其确认推荐。'),
      buttonRow([button({ text: '查看进度', type: 'primary', value: { action: 'team.status' } })]),
    ],
  });
}

/**
 * To a team's leader, when someone the association's list names as a member turns out, on their first message, to be
 * the team's organisation contact: they stay the contact and are not added as a member (第十五条).
 */
export function importedMemberIsContactCard(team: { name: string; code: string }, member: string): Card {
  return card({
    title: '班组成员名单未加入单位联系人',
    template: 'orange',
    elements: [
      markdown(
        md`协会导入的名单把 ${mention(member)} 登记为 **${team.name}**（${team.code}）的班组成员，但其是本班组的单位联系人。班组长和班组成员不能兼任单位联系人（第十五条），因此其仍为单位联系人，没有加入成员名单。`,
      ),
      note('如其应为班组成员：请点“查看进度”，在该班组下点“修改资料”另选单位联系人，保存后在“班组成员”中添加。不需要改动的，无需处理。'),
      buttonRow([button({ text: '查看进度', type: 'primary', value: { action: 'team.status' } })]),
    ],
  });
}

/** Teams listed on the card to a contact an import named, before “等 N 个”. */
const CONTACT_TEAMS_SHOWN = 20;

/**
 * To the person an import made the 单位联系人 of teams that were here already (第十五条): what 修改资料 sends a new
 * contact (contactNamedCard), once for all of one organisation's teams in the import.
 */
export function importedContactCard(d: { organization: string; teams: { name: string; code: string }[] }): Card {
  const shown = d.teams.slice(0, CONTACT_TEAMS_SHOWN).map((t) => md`- **${t.name}**（${t.code}）`);
  return card({
    title: '你被登记为班组的单位联系人',
    template: 'wathet',
    elements: [
      markdown(
        md`协会导入的名单将你登记为 **${d.organization}** ${d.teams.length > 1 ? `以下 ${d.teams.length} 个班组` : '班组'}的单位联系人：\n${mdJoin(shown, '\n')}${d.teams.length > CONTACT_TEAMS_SHOWN ? `\n等 ${d.teams.length} 个班组。` : ''}`,
      ),
      note('第十五条：班组申报时，申报材料由单位确认并填写推荐意见。届时我会把待确认的申报发给你；已提交、正等待确认的，也会发给你。'),
      buttonRow([button({ text: '查看进度', type: 'primary', value: { action: 'team.status' } })]),
    ],
  });
}

/**
 * To the person an import made the 班组长 of teams that were here already (the former leader left, or handed over):
 * once for all their teams in the import, with what is theirs to do from now on.
 */
export function importedLeaderCard(d: { teams: { name: string; code: string; organization: string }[] }): Card {
  const shown = d.teams.slice(0, CONTACT_TEAMS_SHOWN).map((t) => md`- **${t.name}**（${t.code}，${t.organization}）`);
  return card({
    title: '你被登记为班组的班组长',
    template: 'wathet',
    elements: [
      markdown(
        md`协会导入的名单将你登记为${d.teams.length > 1 ? `以下 ${d.teams.length} 个班组` : '班组'}的班组长：\n${mdJoin(shown, '\n')}${d.teams.length > CONTACT_TEAMS_SHOWN ? `\n等 ${d.teams.length} 个班组。` : ''}`,
      ),
      note('今后班组的资料、成员、年度申报和相关通知由你办理：点“查看进度”，在班组下修改资料、管理成员；可申报的年度点“年度申报”，已有的草稿或退回修改的申报可继续填写。'),
      buttonRow([button({ text: '查看进度', type: 'primary', value: { action: 'team.status' } })]),
    ],
  });
}

/** To a team's former 班组长 when an import names another: the team's record, members and applications are no longer theirs. */
export function formerLeaderCard(team: { name: string; code: string }, leader: string | undefined, member = true): Card {
  return card({
    title: '班组长已更换',
    template: 'grey',
    elements: [
      // a new leader not yet linked has no open_id to mention
      markdown(leader ? md`协会导入的名单将 **${team.name}**（${team.code}）的班组长改为 ${mention(leader)}。` : md`协会导入的名单已更换 **${team.name}**（${team.code}）的班组长。`),
      note(
        member
          ? '你仍是本班组成员；该班组的资料、成员和申报今后由新班组长办理，你此前收到的该班组卡片上的班组长按钮不再可用。如有疑问，请联系协会。'
          : '该班组的资料、成员和申报今后由新班组长办理，你此前收到的该班组卡片上的班组长按钮不再可用。如有疑问，请联系协会。',
      ),
    ],
  });
}

/** The admin card's entry: how to import, with the template button. */
export function importGuideCard(): Card {
  return card({
    title: '导入班组、专家和荣誉',
    elements: [
      markdown(
        '1. 点击“下载导入模板”，按模板填写 **单位、班组、专家、荣誉** 四张表。\n2. 把填好的 .xlsx 文件直接发给我（单聊）。\n3. 我会先给出预览：将新增、将更新、被拒绝的行及原因；确认后分批导入，卡片显示进度。',
      ),
      note('人员按飞书账号的手机号或邮箱查找；查不到的先保留，首次给我发消息时自动关联。已有编号和注册日期保持不变。“导出当前名册”按模板格式导出机器人中的现有数据，修改后发回即可导入。'),
      buttonRow([
        button({ text: '下载导入模板', type: 'primary', name: 'import_template', value: { action: 'import.template' } }),
        button({ text: '导出当前名册', type: 'default', name: 'import_export', value: { action: 'import.export' } }),
        button({ text: '返回', type: 'text', name: 'import_back', value: { action: 'admin.menu' } }),
      ]),
    ],
  });
}
