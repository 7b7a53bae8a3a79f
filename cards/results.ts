import { revocationBarText } from './strings.js';
import { button, buttonRow, card, type Card, CARD_BYTES_BUDGET, cardBodyBytes, type Element, fields, hr, markdown, type Md, note, md, mdJoin, pageOf, pager } from './kit.js';

/** 评审结果 cards: the administrators' preview, the published results with a chart, each team's result. */

export interface ResultLine {
  code: string;
  team: string;
  organization: string;
  finalScore: number | null;
  rank: number | null;
  awarded: boolean;
  recommended: boolean;
  /** The title was revoked after publishing (第二十二条): the line says so and the counts leave it out. */
  revoked?: boolean;
  /**
   * The score reached the line, but the team's title of an earlier year was revoked after its application was accepted
   * and the bar still holds (第二十二条, E5): no title at 公布结果 (the preview warns), none given after it.
   */
  withheld?: boolean;
  outliers: number;
  rule: 'mean' | 'trimmedMean' | null;
  sheets: number;
}

export interface ResultsSummary {
  cycleId: number;
  year: number;
  status: string;
  awardThreshold: number;
  recommendShare: number;
  /** The places `recommendShare` gives among the titles that stand (src/review/aggregation.ts `recommendPlaces`): fewer than those recommended when teams tie with the last. */
  recommendPlaces?: number;
  /** 每份申报专家人数: a result summed from fewer sheets (too few experts to fill its panel) says so. */
  expertsPerApplication?: number;
  /** The cycle's rules (aggregationRuleOf); 5 and 15 when left out. */
  dropExtremesFrom?: number;
  outlierDistance?: number;
  lines: ResultLine[]; // best first
  /** The 结束评分并汇总 shown (its audit row's id): 公布结果 carries it, so a preview since replaced publishes nothing. */
  aggregationId?: number;
}

const percent = (share: number) => `${Math.round(share * 1000) / 10}%`;

/**
 * Teams tied with the last of the share's places are recommended with it (`decideResults`): said, so that 推荐 4 个 of 4
 * titles under a 10% share reads as the tie it is (为 1 个，另有 3 个同分并列), and the association can weigh it before 公布结果.
 */
const tiedText = (recommended: number, places: number): string => (recommended > places ? ` 为 ${places} 个，另有 ${recommended - places} 个与之同分并列，一并推荐` : '');

/** A title that stands: awarded, not withheld and not revoked since (第二十二条). */
const titled = (l: ResultLine) => l.awarded && !l.revoked && !l.withheld;

/** A result summed from fewer sheets than the year's 每份申报专家人数 (a panel never filled: too few experts in the pool). */
const short = (d: Pick<ResultsSummary, 'expertsPerApplication'>, l: ResultLine) => !!d.expertsPerApplication && l.finalScore !== null && l.sheets > 0 && l.sheets < d.expertsPerApplication;

function counts(d: ResultsSummary): [string, string][] {
  const scored = d.lines.filter((l) => l.finalScore !== null);
  const shortPanels = scored.filter((l) => short(d, l)).length;
  const revoked = scored.filter((l) => l.awarded && l.revoked);
  const revokedRecommended = revoked.filter((l) => l.recommended).length;
  const withheld = scored.filter((l) => l.withheld).length;
  const standing = scored.filter(titled);
  const recommended = standing.filter((l) => l.recommended).length;
  const places = d.recommendPlaces ?? recommended;
  const others = [revoked.length && `另有 ${revoked.length} 个已撤销，第二十二条`, withheld && `${withheld} 个达到分数线但其称号此前已撤销，不授予，第二十二条`].filter(Boolean);
  return [
    ['参评申报', `${scored.length} 份`],
    ['授予称号', `${standing.length} 个（${d.awardThreshold} 分及以上${others.map((o) => `；${o}`).join('')}）`],
    ['推荐全国性协会', `${recommended} 个（获称号班组的前 ${percent(d.recommendShare)}${tiedText(recommended, places)}，第二十条${revokedRecommended ? `；另有 ${revokedRecommended} 个称号已撤销` : ''}）`],
    ...(shortPanels ? [['评分专家不足', `${shortPanels} 份申报的评分专家少于每份 ${d.expertsPerApplication} 位，按已提交的评分计分`] as [string, string]] : []),
  ];
}

function line(l: ResultLine, d?: Pick<ResultsSummary, 'expertsPerApplication'>): Md {
  if (l.finalScore === null) return md`— ${l.code} ${l.team}：未评定`;
  const revoked = l.awarded && l.revoked ? '（已撤销）' : '';
  const decision = l.withheld ? '不授予称号（其称号此前已撤销）' : l.awarded ? `授予称号${revoked}` : '未获称号';
  const tags = [decision, ...(l.recommended && !l.withheld ? [`推荐${revoked}`] : []), ...(l.outliers ? [`偏差 ${l.outliers}`] : []), ...(d && short(d, l) ? [`${l.sheets} 位专家评分`] : [])];
  // "1. " at a line's start is an ordered-list item, which a renderer numbers itself (ties would read 1, 2, 3)
  return md`第 ${l.rank} 名　${l.code} ${l.team}：**${l.finalScore}** 分 · ${tags.join(' · ')}`;
}

/** The lines of a list, cut to stay well under the card's 30 KB; `rest` says where the lines left out are. */
function listed(lines: ResultLine[], max: number, rest = '完整结果见 Excel 工作簿。', d?: Pick<ResultsSummary, 'expertsPerApplication'>): Element[] {
  const shown = lines.slice(0, max);
  return [markdown(shown.length ? mdJoin(shown.map((l) => line(l, d)), '\n') : '（无）'), ...(lines.length > max ? [note(md`另有 ${lines.length - max} 个未列出，${rest}`)] : [])];
}

export const DOWNLOAD_WORKBOOK = '下载结果工作簿';

/** 评审结果（预览）: the ranking, decisions and recommendations before they are published. */
export function resultsPreviewCard(d: ResultsSummary): Card {
  const published = d.status === 'published';
  const buttons: Element[] = [];
  if (d.status === 'closed') {
    buttons.push(
      button({
        text: '公布结果',
        type: 'primary',
        value: { action: 'results.publish', cycleId: d.cycleId, ...(d.aggregationId ? { aggregationId: d.aggregationId } : {}) },
        confirm: {
          title: `公布${d.year}年度评审结果？`,
          text: '公布后将记录称号、通知每个申报班组的班组长和单位联系人，并把结果和 Excel 工作簿发到协会管理群。公布后不能撤回或再重开评分。',
        },
      }),
    );
  }
  // the workbook as the results stand now: a title revoked since publishing reads as revoked (第二十二条)
  buttons.push(
    button({ text: DOWNLOAD_WORKBOOK, value: { action: 'results.workbook', cycleId: d.cycleId } }),
    button({ text: '评审进度', value: { action: 'review.progress', cycleId: d.cycleId } }),
    button({ text: '返回管理', type: 'text', value: { action: 'admin.menu' } }),
  );
  return card({
    title: `${d.year}年度评审结果${published ? '' : '（预览）'}`,
    template: published ? 'green' : 'indigo',
    summary: `${d.year}年度评审结果`,
    elements: [
      fields(counts(d)),
      note(md`最终得分为专家评分的平均分；${d.dropExtremesFrom ?? 5} 位及以上专家评分的，去掉一个最高分和一个最低分后平均。同分同名次。`),
      hr(),
      ...listed(d.lines, 60, `完整结果请点“${DOWNLOAD_WORKBOOK}”。`, d),
      ...(d.lines.some((l) => l.outliers) ? [note(md`“偏差”：该申报有专家评分与专家组中位数相差超过 ${d.outlierDistance ?? 15} 分，可在专家组中核实。`)] : []),
      buttonRow(buttons),
    ],
  });
}

/** A published year as 历年评审结果 lists it: its counts as they stand now. */
export interface ResultYear {
  cycleId: number;
  year: number;
  /** Applications with a final score (参评). */
  scored: number;
  /** Titles that stand: revoked ones (第二十二条) are `revoked`. */
  awarded: number;
  /** Of the titles that stand, those recommended to the national association (第二十条). */
  recommended: number;
  revoked: number;
}

/** Years a page of 历年评审结果: a phone shows five without scrolling far. */
export const RESULT_YEARS_PAGE = 5;

/**
 * 历年评审结果: every published year, newest first, each with its counts and a button to its 评审结果 card (which has
 * 下载结果工作簿); 上一页 / 下一页 past RESULT_YEARS_PAGE. The 协会管理 card keeps a button for the latest year.
 */
export function resultYearsCard(d: { years: ResultYear[]; page: number }): Card {
  const shown = pageOf(d.years, d.page, RESULT_YEARS_PAGE);
  const elements: Element[] = [];
  if (!d.years.length) elements.push(markdown('还没有公布过评审结果的年度。'));
  for (const y of shown.items) {
    const revoked = y.revoked ? `（另有 ${y.revoked} 个已撤销）` : ' ';
    elements.push({
      tag: 'column_set',
      flex_mode: 'none',
      columns: [
        { tag: 'column', width: 'weighted', weight: 3, vertical_align: 'center', elements: [markdown(md`**${y.year}年度**\n参评 ${y.scored} 份 · 授予称号 ${y.awarded} 个${revoked}· 推荐 ${y.recommended} 个`)] },
        { tag: 'column', width: 'auto', vertical_align: 'center', elements: [button({ text: `${y.year}年度评审结果`, value: { action: 'results.preview', cycleId: y.cycleId } })] },
      ],
    });
  }
  elements.push(
    ...pager({ page: shown.page, pages: shown.pages, value: { action: 'results.years' } }),
    note(md`称号数为现有称号，公布后撤销的（第二十二条）另计。点年度查看其评审结果，可下载该年度的结果工作簿。`),
    buttonRow([button({ text: '返回管理', type: 'text', value: { action: 'admin.menu' } })]),
  );
  return card({ title: '历年评审结果', template: 'indigo', summary: '历年评审结果', elements });
}

const AWARDED = '授予称号';
const NOT_AWARDED = '未获称号';
/** Feishu's success green for an award, its neutral grey for none. */
export const RESULT_COLOURS = { awarded: '#34c724', notAwarded: '#8f959e' } as const;

/** A VChart bar chart of the final scores (the card's `chart` element). */
export function scoresChart(lines: ResultLine[], max = 30): Element {
  const values = lines
    .filter((l) => l.finalScore !== null)
    .slice(0, max)
    .map((l) => ({ team: `${l.rank}. ${l.team}`, score: l.finalScore, result: l.awarded ? AWARDED : NOT_AWARDED }));
  return {
    tag: 'chart',
    aspect_ratio: '4:3',
    chart_spec: {
      type: 'bar',
      data: { values },
      xField: 'team',
      yField: 'score',
      seriesField: 'result',
      // each result keeps its colour whichever comes first: https://visactor.io/vchart/option/barChart#color
      color: { type: 'ordinal', domain: [AWARDED, NOT_AWARDED], range: [RESULT_COLOURS.awarded, RESULT_COLOURS.notAwarded] },
      legends: { visible: true, orient: 'bottom' },
      label: { visible: true },
    },
  };
}

/** A certificate whose font lacks some of its characters (they print as empty boxes). */
export interface BoxedCertificateLine {
  number: string;
  teamName: string;
  /** Named when a character of it is among the missing. */
  organization?: string;
  characters: string;
}

/** The certificates to correct by hand after printing, at most `max` of them listed (the card's 30 KB decides, see below). */
function boxedLines(boxed: BoxedCertificateLine[], max = 40): Element[] {
  if (!boxed.length) return [];
  if (max <= 0) return [hr(), note(md`有 ${boxed.length} 张证书中有字体未收录的字，显示为方框，请打印后手写补正。`)];
  const shown = boxed.slice(0, max).map((b) => md`${b.number} ${b.teamName}${b.organization ? `（${b.organization}）` : ''}：${[...b.characters].join('、')}`);
  return [
    hr(),
    markdown(md`**以下证书中有字体未收录的字，显示为方框，请打印后手写补正：**\n${mdJoin(shown, '\n')}`),
    ...(boxed.length > max ? [note(md`另有 ${boxed.length - max} 张证书同样有方框，未列出。`)] : []),
  ];
}

/** A leader or contact 公布结果 could not reach: imported, not yet linked to Feishu. */
export interface UnlinkedPerson {
  name: string | null;
  /** The mobile or e-mail they were imported by. */
  reach: string;
  teams: { team: string; role: 'leader' | 'contact' }[];
}

/** “2 位班组长或单位联系人尚未在飞书中与机器人关联，未收到结果”: the 公布结果 job's card says it too. */
export const unlinkedCount = (n: number) => `${n} 位班组长或单位联系人尚未在飞书中与机器人关联，未收到结果`;

/** 李四（养护一班、养护二班 的单位联系人；hr@x.com）: whose they are, and by what they were imported. */
function unlinkedName(p: UnlinkedPerson): string {
  const roles = [...new Set(p.teams.map((t) => (t.role === 'leader' ? '班组长' : '单位联系人')))].join('、');
  const teams = p.teams.slice(0, 3).map((t) => t.team).join('、') + (p.teams.length > 3 ? ` 等 ${p.teams.length} 个班组` : '');
  return `${p.name ?? '未登记姓名'}（${teams} 的${roles}；${p.reach}）`;
}

/**
 * Those the results could not reach, a few named (then 等 N 位), and what to do: linked within `lateResultDays` of
 * publishing (LATE_RESULT_DAYS, src/policy.ts), they are sent their result and certificate then (关联后补发); later, 进度
 * shows their result.
 */
function unlinkedLines(unlinked: UnlinkedPerson[], lateResultDays: number, max = 10): Element[] {
  if (!unlinked.length) return [];
  const shown = unlinked.slice(0, max).map(unlinkedName).join('、') + (unlinked.length > max ? ` 等 ${unlinked.length} 位` : '');
  return [
    markdown(md`<font color='red'>**${unlinkedCount(unlinked.length)}**</font>：${shown}`),
    note(
      md`请他们在飞书中给机器人发一条消息（如“帮助”）完成关联，或核对导入的手机号/邮箱是否为其飞书账号所用。关联后补发：公布后 ${lateResultDays} 天内关联的，将收到各自的结果，获称号的还将收到荣誉证书图片和 PDF；逾期关联的不再补发，可发送“进度”查看结果，荣誉证书可从证书压缩包中取出转交。`,
    ),
  ];
}

/**
 * To the bound admin group(s): the published results with a bar chart of the totals. The certificates with boxes are
 * listed as many as the card's budget holds (CARD_BYTES_BUDGET): 40 lines naming 50-character teams and their
 * organisations came to 34 KB, over Feishu's 30 KB; those left out are counted.
 */
export function resultsPublishedCard(d: ResultsSummary & { fileName: string; boxed?: BoxedCertificateLine[]; unlinked?: { people: UnlinkedPerson[]; lateResultDays: number } }): Card {
  const scored = d.lines.filter((l) => l.finalScore !== null);
  const titles = scored.filter(titled);
  const recommended = titles.filter((l) => l.recommended);
  const boxed = d.boxed ?? [];
  const drawn = (boxedShown: number) =>
    card({
      title: `${d.year}年度质量信得过班组评审结果已公布`,
      template: 'green',
      summary: `${d.year}年度评审结果已公布`,
      elements: [
        fields(counts(d)),
        scoresChart(scored),
        ...(scored.length > 30 ? [note(md`图中为得分前 30 名，共 ${scored.length} 份。`)] : []),
        hr(),
        markdown('**推荐全国性协会（第二十条）**'),
        // a result summed from fewer sheets than the year's panel size is named so, as in the preview
        ...listed(recommended, 20, undefined, d),
        markdown('**授予“质量信得过班组”称号**'),
        ...listed(titles, 40, undefined, d),
        // a leader or contact not yet linked to Feishu was sent nothing: named, not counted among those who received theirs
        ...(d.unlinked ? unlinkedLines(d.unlinked.people, d.unlinked.lateResultDays) : []),
        // a year nobody's application reached the review had no result to send anyone
        note(
          d.lines.length
            ? md`${d.unlinked?.people.length ? '其余' : '每个申报班组的'}班组长和单位联系人已收到各自的结果。完整名单、专家评分见工作簿“${d.fileName}”。`
            : md`本年度没有参评的申报，不授予称号，没有评审结果需要通知。详情见工作簿“${d.fileName}”。`,
        ),
        ...boxedLines(boxed, boxedShown),
        buttonRow([button({ text: '评审结果', value: { action: 'results.preview', cycleId: d.cycleId } })]),
      ],
    });
  let shown = Math.min(40, boxed.length);
  let drawnCard = drawn(shown);
  while (shown > 0 && cardBodyBytes(drawnCard) > CARD_BYTES_BUDGET) drawnCard = drawn((shown = Math.max(0, shown - 5)));
  return drawnCard;
}

/** To a team leader or organisation contact whose application never reached the review, when the results are published. */
export interface UnreviewedNoticeData {
  year: number;
  code: string;
  team: string;
  /** unconfirmed: submitted, never confirmed by its organisation; returned: returned and not submitted again. */
  reason: 'unconfirmed' | 'returned';
  audience: 'leader' | 'contact';
}

/** The results are out and the team took no part: its application never reached the review (RULES row 21, 第十九条). */
export function unreviewedNoticeCard(d: UnreviewedNoticeData): Card {
  const why = d.reason === 'unconfirmed' ? '单位未确认' : '退回后未重新提交';
  const whose = d.audience === 'contact' ? md`贵单位的班组 **${d.team}**（${d.code}）` : md`你的班组 **${d.team}**（${d.code}）`;
  return card({
    title: `${d.year}年度评审结果已公布：${d.team}`,
    template: 'grey',
    summary: `${d.year}年度评审结果已公布`,
    elements: [
      markdown(md`${d.year}年度评审结果已公布。${whose}的申报未进入评审（${why}），本年度未参加评选。`),
      note('可参加下一年度评选（第十九条）。如有疑问，请联系协会。'),
    ],
  });
}

export interface TeamResultData {
  year: number;
  code: string;
  team: string;
  title: string;
  finalScore: number;
  rank: number;
  of: number;
  awarded: boolean;
  recommended: boolean;
  awardThreshold: number;
  areas: { code: string; name: string; score: number; max: number }[];
  audience: 'leader' | 'contact';
  /** The title was revoked after publishing (a card still queued then says so): 2027年9月1日. */
  revokedOn?: string;
  /** The title's 荣誉证书 number (第二十条): its image and PDF follow the card in the same chat. */
  certificate?: string;
  /** The score reached the line, but the team's title of `year` was revoked on `revokedOn` after 受理 (StoredReview.withheld). */
  withheld?: { year: number; revokedOn: string; barDays: number | null };
}

/** To a team leader or organisation contact: the team's result, never who scored it (第十七条). */
export function teamResultCard(d: TeamResultData): Card {
  const decision = d.withheld
    ? `得分达到授予称号的分数线（${d.awardThreshold} 分），但本班组 ${d.withheld.year} 年度称号已于 ${d.withheld.revokedOn} 撤销（第二十二条），按协会规定${revocationBarText(d.withheld.barDays)}，本年度不授予称号`
    : d.awarded && d.revokedOn
    ? `公布时授予${d.year}年度“广东省市政工程质量信得过班组”称号，该称号已于 ${d.revokedOn} 撤销（撤销通知另行发送）`
    : d.awarded
    ? `授予${d.year}年度“广东省市政工程质量信得过班组”称号${d.recommended ? '，并推荐至全国性协会（第二十条）' : ''}`
    : `未达到授予称号的分数线（${d.awardThreshold} 分），欢迎明年再申报`;
  return card({
    title: `${d.year}年度评审结果：${d.team}`,
    template: d.awarded ? 'green' : 'wathet',
    summary: `${d.year}年度评审结果：${d.team}`,
    elements: [
      markdown(d.audience === 'contact' ? md`贵单位的班组 **${d.team}**（${d.code}）评审结果如下：` : md`你的班组 **${d.team}**（${d.code}）评审结果如下：`),
      fields([
        ['成果名称', d.title],
        ['最终得分', `${d.finalScore} 分`],
        ['名次', `第 ${d.rank} 名（共 ${d.of} 份）`],
        ['结论', decision],
        ...(d.certificate ? [['荣誉证书', `${d.certificate}（证书图片和可打印的 PDF 随后发送）`] as [string, string]] : []),
      ]),
      markdown(md`**各部分得分**\n${d.areas.map((a) => `${a.code} ${a.name}：${a.score} / ${a.max}`).join('\n')}`),
      note('第二十一条：评审结果接受社会监督。各部分得分为计入最终得分的专家评分的平均值，保留两位小数，个别部分舍入时调整 0.01 分，使各部分之和等于最终得分。如有疑问，请联系协会。'),
    ],
  });
}
