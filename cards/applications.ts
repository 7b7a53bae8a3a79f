import { asTyped, button, buttonRow, card, type Card, namedButtonText, clipText, fittedCard, type Element, fields, hr, markdown, type Md, type MdValue, note, md, mdJoin, pageOf, pager } from './kit.js';
import { mention } from './markdown.js';
import { NO_YEAR_RUNNING_FOR_ADMIN, sentence, toldLine } from './strings.js';
import { formatDateZh } from '../src/dates.js';
import type { DisplayRow, FormDescriptor } from '../src/forms.js';
import { form, type FormError, formDisplayElements, formInputs, refusalBanner, submitButton, textInput } from './forms.js';

export interface ApplicationCardTeam {
  id: number;
  name: string;
  code: string;
  organization: string;
}

export interface ApplicationCardCycle {
  year: number;
  applicationDeadline: string;
}

export interface CheckFailure {
  article?: number;
  message: string;
}

/** 申报表: every field of RULES.md, with what was typed before kept. */
export function applicationFormCard(opts: {
  /** The 申报表's descriptor (src/applications.ts `applicationForm`). */
  descriptor: FormDescriptor;
  team: ApplicationCardTeam;
  cycle: ApplicationCardCycle;
  applicationId?: number;
  values?: Record<string, unknown>;
  error?: FormError;
  failures?: CheckFailure[];
  returnedOpinion?: string;
  /** What was just done to the application (撤回申报), above the form. */
  notice?: string;
  /** The team's bar after a revoked title ends by the deadline but after now (strings.ts submitFromLine): 提交 waits until then. */
  submitFrom?: string;
  /** A year the team applied before, whose form it may start this year's from (沿用): offered on a form not yet saved. */
  previous?: { year: number };
}): Card {
  const values = opts.values ?? {};
  const ids = { teamId: opts.team.id, year: opts.cycle.year };
  const banner: Element[] = [];
  if (opts.notice) banner.push(markdown(md`<font color='green'>**${opts.notice}**</font>`));
  if (opts.submitFrom) banner.push(markdown(md`<font color='orange'>**${opts.submitFrom}。**</font>`));
  if (opts.returnedOpinion) banner.push(markdown(md`<font color='orange'>**退回意见：**${asTyped(opts.returnedOpinion)}</font>`));
  if (opts.failures?.length) {
    banner.push(markdown(md`<font color='red'>**未通过资格审查：**</font>\n${mdJoin(opts.failures.map((f) => md`- ${f.message}`), '\n')}`));
  } else if (opts.error) {
    banner.push(...refusalBanner(opts.error));
  }
  return card({
    title: `${opts.cycle.year} 年度申报：${opts.team.name}`,
    subtitle: `${opts.team.code}　申报截止 ${formatDateZh(opts.cycle.applicationDeadline)}`,
    template: 'blue',
    elements: [
      ...banner,
      markdown('《广东省市政工程质量信得过班组建设成果申报表》（第十五条）。可先“保存草稿”，之后发送“申报”继续填写。提交后由单位联系人确认并推荐。'),
      ...(opts.previous
        ? [
            markdown(md`本班组 ${String(opts.previous.year)} 年度申报过：可点“沿用 ${String(opts.previous.year)} 年度内容”，把当年填写的各项存为本年度草稿，再按本年度情况逐项修改后提交。`),
            buttonRow([button({ text: `沿用 ${opts.previous.year} 年度内容`, value: { action: 'application.copyPrevious', ...ids } })]),
          ]
        : []),
      form('application', [
        ...formInputs(opts.descriptor, values),
        buttonRow([
          submitButton({ text: '提交申报', name: 'submit', value: { action: 'application.submit', ...ids } }),
          submitButton({ text: '保存草稿', name: 'save', type: 'default', value: { action: 'application.save', ...ids } }),
        ]),
      ]),
    ],
  });
}

export interface ApplicationSummary {
  id: number;
  year: number;
  statusLabel: string;
  /** The stored status (src/applications.ts `ApplicationStatus`), where the card says what comes next. */
  status?: string;
  /** The association's decision once results are published: awarded or not_awarded. */
  decision?: string | null;
  /** The day (formatDateZh) the title awarded was revoked since (第二十二条): the card no longer says it is held. */
  revokedOn?: string;
  team: ApplicationCardTeam;
  /** The stored form as people read it (src/forms.ts `formDisplay`). */
  display: DisplayRow[];
  /** The team's contact was imported and has not yet messaged the bot: nothing reaches them until they do. */
  contactPending?: boolean;
  /** The team's leader was imported and has not yet messaged the bot: a return's notice does not reach them. */
  leaderPending?: boolean;
  /** Which submission the card shows (submitted_at, epoch milliseconds): its decision buttons carry it, so an old copy cannot decide on a newer one. */
  submitted?: number;
}

/** What a decision button carries besides its verb: the application and, when known, the submission the card shows. */
const decidesOn = (a: Pick<ApplicationSummary, 'id' | 'submitted'>) => ({ applicationId: a.id, ...(a.submitted !== undefined ? { submitted: a.submitted } : {}) });

const isShort = (r: DisplayRow) => r.kind !== 'longText' && r.kind !== 'url';

function summaryFields(a: ApplicationSummary): Element {
  return fields([['班组', `${a.team.name}（${a.team.code}）`], ['所属单位', a.team.organization], ...a.display.filter(isShort).map((r): [string, MdValue] => [r.label, r.text && asTyped(r.text)])]);
}

/** The whole form; with `clip`, each long text cut at that many characters and a note saying so (`fittedCard`). */
export function applicationDetails(a: ApplicationSummary, clip?: number): Element[] {
  const long = a.display.filter((r) => !isShort(r));
  return [
    summaryFields(a),
    ...formDisplayElements(long, { clip }),
    ...(clip && long.some((r) => r.kind === 'longText' && r.text.length > clip) ? [note(md`申报材料较长，超出飞书卡片的大小上限，以上各项长文本只显示前 ${clip} 字；全文请向班组长索取。`)] : []),
  ];
}

/**
 * What a team's application waits for and who acts next, as the leader (or a member) or the organisation contact reads
 * it: one sentence per stage, the same in 进度 and on the leader's card of a submitted application.
 */
export function applicationNextStep(
  status: string,
  role: 'leader' | 'member' | 'contact',
  opts: { decision?: string | null; revokedOn?: string; takesApplications?: boolean; deadline?: string; lapsed?: boolean; summed?: boolean } = {},
): string {
  const leads = role === 'leader';
  const by = opts.deadline ? `（${opts.deadline} 截止）` : '';
  // a draft or a returned application once the year's applications are closed can no longer be submitted
  if (status === 'draft' && opts.takesApplications === false) return '本年度申报已截止，这份申报未提交，不参加本年度评审；可参加下一年度评选（第十九条）。';
  // submitted but never confirmed by the contact, and the year's review takes no more: nothing left to do for that year
  if (status === 'submitted' && opts.lapsed) return `${role === 'contact' ? '你' : '单位联系人'}未确认，这份申报未参加本年度评审；可参加下一年度评选（第十九条）。`;
  // submitted in time, its contact yet to confirm once the applications are closed: a late 推荐 is taken until 汇总, not after
  if (status === 'submitted' && opts.takesApplications === false) {
    return role === 'contact'
      ? '本年度申报已截止，这份申报仍待你确认（第十五条）：协会“结束评分并汇总”前仍未确认的，不参加本年度评审；请尽快核实后推荐或退回修改。'
      : '本年度申报已截止，单位联系人尚未确认（第十五条）：协会“结束评分并汇总”前仍未确认的，不参加本年度评审；请提醒单位联系人尽快确认。';
  }
  if (status === 'returned' && opts.takesApplications === false) return '已退回，本年度申报已截止，不能再修改提交，不参加本年度评审；可参加下一年度评选（第十九条）。';
  switch (status) {
    case 'draft':
      return leads ? `草稿尚未提交：点“年度申报”（或发送“申报”）继续填写并提交${by}。` : `班组长正在填写，尚未提交${by}。`;
    case 'submitted':
      if (role === 'contact') return '等待你确认：请核实申报材料后推荐或退回修改（第十五条）。';
      return leads
        ? '等待单位联系人确认并填写推荐意见（第十五条）；确认后报协会形式审查。确认前如需修改，可点“撤回申报”。'
        : '等待单位联系人确认并填写推荐意见（第十五条）；确认后报协会形式审查。';
    case 'returned':
      return leads ? `已退回修改：请按退回意见修改后，点“年度申报”重新提交${by}，单位联系人将再次确认。` : `已退回班组长修改，等待重新提交${by}。`;
    case 'recommended':
      return '单位已推荐，等待协会形式审查。';
    case 'accepted':
      // who reviews is 第十四条 (the association runs the review); 第十八条 is only the standard scored against
      return '协会已受理；申报截止后由协会分配专家评审（第十四条）。';
    case 'rejected':
      return '协会形式审查未受理；如有疑问，请联系协会。';
    case 'scoring':
      return '专家评审中（第十八条）；协会公布结果后会通知班组长和单位联系人。';
    case 'scored':
      // `summed`: the association has ended the scoring and summed the year (结束评分并汇总), the results are yet to be published
      return opts.summed ? '专家评分已完成，已汇总，等待协会公布结果。' : '专家评分已完成，等待协会汇总并公布结果。';
    case 'decided':
      if (opts.decision !== 'awarded') return '结果已公布：本年度未获称号；可参加下一年度评选（第十九条）。';
      return opts.revokedOn
        ? `结果已公布：授予年度“质量信得过班组”称号（第二十条），该称号已于 ${opts.revokedOn} 撤销（第二十二条）。`
        : '结果已公布：授予年度“质量信得过班组”称号（第二十条）。';
    default:
      return '';
  }
}

/**
 * What the leader sees after submitting; an old copy's click later shows where the application has got to since.
 * `takesApplications: false`: that year's applications are closed, so a draft there is said to be no longer submittable.
 */
export function submittedCard(a: ApplicationSummary, opts: { takesApplications?: boolean; summed?: boolean } = {}): Card {
  // waiting for the contact once the year takes no more applications: its status and next step, no 撤回申报
  const closedWaiting = a.status === 'submitted' && opts.takesApplications === false;
  const moved = a.status !== undefined && (a.status !== 'submitted' || closedWaiting);
  // taken back to edit while the contact has not confirmed it and it can still be submitted again (撤回申报)
  const recallable = a.status === 'submitted' && opts.takesApplications !== false;
  return card({
    title: moved ? `${a.year} 年度申报：${a.statusLabel}` : `已提交 ${a.year} 年度申报`,
    subtitle: a.team.name,
    template: 'green',
    elements: [
      summaryFields(a),
      ...(moved ? [markdown(md`**状态**：${a.statusLabel}。${applicationNextStep(a.status!, 'leader', { decision: a.decision, revokedOn: a.revokedOn, takesApplications: opts.takesApplications, summed: opts.summed })}`)] : []),
      note(
        moved
          ? closedWaiting && a.contactPending
            ? '本班组的单位联系人由协会导入，尚未在飞书中与机器人关联：请提醒其给机器人发一条消息，关联后会收到确认卡片。发送“进度”可随时查看。'
            : '发送“进度”可随时查看。'
          : a.contactPending
            ? '第十五条：申报须经单位联系人确认并填写推荐意见。本班组的单位联系人由协会导入，尚未在飞书中与机器人关联：请提醒其给机器人发一条消息，关联后会收到确认卡片。发送“进度”可随时查看。'
            : '第十五条：申报材料已发送给单位联系人确认并填写推荐意见；确认后由协会形式审查。单位联系人确认前，如需修改，可点“撤回申报”。发送“进度”可随时查看。',
      ),
      buttonRow([...(recallable ? [recallButton(a.team.id, a.year)] : []), button({ text: '查看进度', value: { action: 'team.status' } })]),
    ],
  });
}

/** 撤回申报 on the leader's cards (the submitted application, 进度, the typed command's card), asked to confirm first. */
export function recallButton(teamId: number, year: number, opts: { text?: string; type?: 'default' | 'danger' } = {}): Element {
  return button({
    text: opts.text ?? '撤回申报',
    type: opts.type ?? 'default',
    value: { action: 'application.recall', teamId, year },
    confirm: { title: '撤回申报', text: '撤回后申报回到草稿，单位联系人收到的确认卡片失效；修改后请重新提交，单位联系人将再次确认。' },
  });
}

/**
 * Applications per page of 撤回申报: ten at their longest (a 50-character team name and a 100-character title of
 * characters markdown escapes, each with its button and the confirmation it asks) come to half of Feishu's 30 KB;
 * twenty came to over 30 KB, refused, and the leader got nothing.
 */
export const RECALL_PAGE = 10;

/**
 * `撤回申报` typed by a leader: the submitted applications of their teams, each to take back with a button, a page at a
 * time (上一页 / 下一页: `application.recallList` with the page).
 */
export function recallChoiceCard(items: { team: Pick<ApplicationCardTeam, 'id' | 'name' | 'code'>; year: number; title: string }[], page = 1): Card {
  const shown = pageOf(items, page, RECALL_PAGE);
  const elements: Element[] = [markdown('单位联系人确认前，班组长可以撤回申报修改：撤回后申报回到草稿，修改后重新提交，单位联系人将再次确认（第十五条）。')];
  if (shown.pages > 1) {
    const first = (shown.page - 1) * RECALL_PAGE + 1;
    elements.push(markdown(md`**可撤回的申报共 ${items.length} 份**（本页第 ${first}–${first + shown.items.length - 1} 份）`));
  }
  for (const it of shown.items) {
    elements.push(hr(), fields([['班组', `${it.team.name}（${it.team.code}）`], ['成果名称', it.title || '—']]), buttonRow([recallButton(it.team.id, it.year, { type: 'danger' })]));
  }
  elements.push(...pager({ page: shown.page, pages: shown.pages, value: { action: 'application.recallList' } }));
  return card({ title: '撤回申报', template: 'orange', elements });
}

/** To the organisation contact: the leader took the application back (撤回申报); the request they hold is spent. */
export function recalledNoticeCard(a: Pick<ApplicationSummary, 'year' | 'team' | 'display'>, at: string): Card {
  return card({
    title: `班组长撤回了申报：${a.team.name}`,
    subtitle: `${a.year} 年度质量信得过班组申报`,
    template: 'grey',
    elements: [
      fields([
        ['班组', `${a.team.name}（${a.team.code}）`],
        ['成果名称', a.display.find((r) => r.key === 'title')?.text ?? ''],
        ['撤回时间', at],
      ]),
      note('班组长在你确认前撤回了这份申报修改，之前发给你的确认卡片已失效，你无需处理；班组长重新提交后，我会再发给你确认并填写推荐意见（第十五条）。'),
    ],
  });
}

/**
 * An application form clicked once its year no longer takes applications (a 2026 form kept in the chat and clicked in
 * 2027, or one clicked past the deadline): why, with no form to fill in, and the year now open if there is one.
 */
export function applicationClosedCard(opts: { year?: number; team: Pick<ApplicationCardTeam, 'id' | 'name' | 'code'>; reason: string; open?: ApplicationCardCycle }): Card {
  const { open } = opts;
  return card({
    title: opts.year ? `${opts.year} 年度申报表已失效` : '申报表已失效',
    subtitle: opts.team.name,
    template: 'grey',
    elements: [
      markdown(md`${opts.reason}`),
      ...(open ? [markdown(md`**${open.year} 年度申报**正在进行，${open.applicationDeadline} 截止。`)] : []),
      note('这张申报表不能再保存或提交。发送“进度”可查看本班组的申报情况。'),
      buttonRow([
        ...(open ? [button({ text: `打开 ${open.year} 年度申报表`, type: 'primary', value: { action: 'application.open', teamId: opts.team.id } })] : []),
        button({ text: '查看进度', value: { action: 'team.status' } }),
      ]),
    ],
  });
}

/**
 * To the organisation contact (第十五条): confirm the materials and recommend, or return. `resubmitted`: the error says a
 * click came from a copy of an earlier submission, and this card shows the latest.
 */
export function endorsementRequestCard(
  a: ApplicationSummary,
  opts: { descriptor: FormDescriptor; values?: Record<string, unknown>; error?: FormError; lateReturn?: boolean; resubmitted?: boolean; closed?: string; returned?: ReturnShown },
): Card {
  return fittedCard((clip) => endorsementRequestDrawn(a, opts, clip));
}

function endorsementRequestDrawn(
  a: ApplicationSummary,
  opts: { descriptor: FormDescriptor; values?: Record<string, unknown>; error?: FormError; lateReturn?: boolean; resubmitted?: boolean; closed?: string; returned?: ReturnShown },
  clip: number | undefined,
): Card {
  // the year's review no longer takes it (汇总 or results out): the materials as they were, why, and nothing to fill in
  if (opts.closed !== undefined) {
    return card({
      title: `申报材料：${a.team.name}`,
      subtitle: `${a.year} 年度质量信得过班组申报`,
      template: 'grey',
      elements: [...applicationDetails(a, clip), note(md`${opts.closed}`)],
    });
  }
  const error = opts.error;
  // past the deadline a return takes the application out of the year: asked once (LateReturn), then confirmed
  const returnButton = opts.lateReturn
    ? submitButton({ text: '确认退回（不参加本年度评审）', name: 'return', type: 'danger', value: { action: 'endorse.return', ...decidesOn(a), late: true } })
    : submitButton({ text: '退回修改', name: 'return', type: 'danger', value: { action: 'endorse.return', ...decidesOn(a) } });
  const banner = !error
    ? []
    : opts.lateReturn
      ? [markdown(md`<font color='orange'>**请确认：** ${error.message}</font>`)]
      : opts.resubmitted
        ? [markdown(md`<font color='orange'>**请注意：** ${error.message}</font>`)]
        : refusalBanner(error);
  // submitted again after a return: said so, with the return it answers (what changed is not kept: the whole is to be read again)
  const again = opts.returned
    ? [markdown(md`<font color='orange'>**重新提交**</font>：这份申报曾被${returnedByText(opts.returned)}退回${opts.returned.at ? `（${opts.returned.at}）` : ''}，${opts.returned.by === 'association' ? '退回原因' : '退回意见'}：${opts.returned.opinion ? asTyped(sentence(clipText(opts.returned.opinion, STATUS_OPINION_SHOWN))) : '（未填写）。'}${changedText(opts.returned.changed)}`)]
    : [];
  return card({
    title: opts.returned ? `请确认申报材料（重新提交）：${a.team.name}` : `请确认申报材料：${a.team.name}`,
    subtitle: `${a.year} 年度质量信得过班组申报`,
    template: 'orange',
    elements: [
      ...banner,
      ...again,
      markdown('第十五条：申报材料由所在单位确认，并填写推荐意见，再报协会。'),
      ...applicationDetails(a, clip),
      hr(),
      form('endorsement', [
        ...formInputs(opts.descriptor, opts.values),
        buttonRow([
          submitButton({ text: '推荐', name: 'recommend', value: { action: 'endorse.recommend', ...decidesOn(a) } }),
          returnButton,
        ]),
      ]),
    ],
  });
}

/**
 * Who a return told: the leader, or that they are not linked yet (the outbox drops theirs; linking sends the teams' card,
 * not the return: src/import/linking.ts), and where they will find it.
 */
const returnTold = (a: Pick<ApplicationSummary, 'leaderPending'>) => toldLine([['班组长', a.leaderPending ? 'pending:' : '']], '关联后不会补发，可在“进度”中看到退回意见');

/**
 * Where a recommended application stands now, in one line of the contact's card: waiting for the formal check just
 * after 推荐, and the stage it reached since when the card is drawn again (an old 待确认的申报, 推荐 tapped again); no score.
 */
function recommendedNow(a: Pick<ApplicationSummary, 'status' | 'statusLabel' | 'year'>): Md {
  switch (a.status) {
    case undefined:
    case 'recommended':
      return md`已报协会形式审查。`;
    case 'accepted':
      return md`协会形式审查已受理，申报截止后由协会分配专家评审。`;
    case 'rejected':
      return md`协会形式审查未受理这份申报。`;
    case 'scoring':
      return md`协会形式审查已受理，专家评审中。`;
    case 'scored':
      return md`专家评审已完成，待协会公布结果。`;
    case 'decided':
      return md`${String(a.year)} 年度评审结果已公布。`;
    default:
      return md`这份申报当前为“${a.statusLabel}”。`;
  }
}

/** The contact's card after acting: read-only; a recommendation says where the application stands now (`recommendedNow`). */
export function endorsementDoneCard(a: ApplicationSummary, decision: 'recommend' | 'return', opinion: string, closed?: boolean): Card {
  return card({
    title: decision === 'recommend' ? `已推荐：${a.team.name}` : `已退回：${a.team.name}`,
    template: decision === 'recommend' ? 'green' : 'grey',
    elements: [
      summaryFields(a),
      markdown(md`**${decision === 'recommend' ? '推荐意见' : '退回意见'}**：${asTyped(opinion)}`),
      note(decision === 'recommend' ? recommendedNow(a) : closed ? md`${returnTold(a)}。本年度申报已截止，这份申报不能再修改提交，不参加本年度评审。` : a.leaderPending ? md`${returnTold(a)}；请转告其修改后重新提交。` : '已通知班组长修改后重新提交。'),
      // a contact of many teams goes on to the next one from here, as an expert does with 评下一份
      buttonRow([button({ text: '待确认的申报', value: { action: 'endorse.list' } })]),
    ],
  });
}

/**
 * `申报` from someone who leads no team: who fills it in, and how to become one. To a member or the organisation's
 * contact of teams (`teams`), whose leader fills it in and how to follow it, not an invitation to register another team;
 * to an administrator in no team (`admin`), that it is the teams' own and where the association sees the applications.
 */
export function notALeaderCard(teams: readonly { name: string; role: 'member' | 'contact' }[] = [], opts: { admin?: boolean; running?: boolean } = {}): Card {
  if (!teams.length && opts.admin) {
    // an administrator in no team: the association does not apply, it checks and reviews what the teams submit
    return card({
      title: '年度申报',
      template: 'grey',
      elements: [
        markdown('申报由各班组的班组长填写并提交，经单位联系人确认推荐后报协会（第十五条）；你是协会管理员，不需要登记班组。'),
        // the 协会管理 card has 评审进度 and 形式审查 only while a year runs
        markdown(opts.running ? '各班组的申报情况：发送“管理”，点“评审进度”查看各状态的份数，点“形式审查”处理单位已推荐的申报。' : NO_YEAR_RUNNING_FOR_ADMIN),
      ],
    });
  }
  if (teams.length) {
    // a contact may have hundreds of teams: a few named, the rest counted, so the card stays far under Feishu's 30 KB
    const names = teams.slice(0, 5).map((t) => `「${t.name}」`).join('、') + (teams.length > 5 ? `等 ${teams.length} 个班组` : '');
    const lines = [md`申报由${names}的班组长填写，你不需要另外注册班组。发送“进度”可以查看申报进展。`];
    if (teams.some((t) => t.role === 'contact')) {
      lines.push(md`你是单位联系人：班组长提交申报后，你会收到确认卡片，在卡片上确认申报材料并填写推荐意见（第十五条）。`);
    }
    return card({ title: '年度申报', template: 'grey', elements: lines.map((l) => markdown(l)) });
  }
  return card({
    title: '年度申报',
    template: 'grey',
    elements: [markdown('申报由班组长填写。你还不是任何班组的班组长：请先发送“注册”登记班组（注册满一年后可参加评选，第十六条）。')],
  });
}

/** A person's name as these cards show it: the import refuses a name over 50 characters, and one stored before is clipped. */
const NAME_SHOWN = 50;

/** Who recommended: their name, or, where the bot has none (a contact who never said it), a mention Feishu draws as the name. */
const who = (recommendedBy: string) => (/^ou_[A-Za-z0-9_-]+$/.test(recommendedBy) ? mention(recommendedBy) : md`${clipText(recommendedBy, NAME_SHOWN)}`);

/** To the administrators: an application recommended by its organisation (by `recommendedBy`, when known) waits for the formal check. */
export function formalCheckRequestCard(a: ApplicationSummary, recommendedBy?: string): Card {
  return card({
    title: '新的申报待形式审查',
    template: 'violet',
    elements: [
      markdown(
        recommendedBy
          ? md`**${a.team.name}**（${a.team.organization}）的 ${a.year} 年度申报已经单位推荐（${who(recommendedBy)}），等待协会形式审查。`
          : md`**${a.team.name}**（${a.team.organization}）的 ${a.year} 年度申报已经单位推荐，等待协会形式审查。`,
      ),
      buttonRow([button({ text: '去审查', type: 'primary', value: { action: 'check.list' } })]),
    ],
  });
}

/** What a return means for the organisation contact: nothing to do until the leader submits again (第十五条). */
const CONTACT_AFTER_RETURN = '班组长按原因修改后重新提交时，我会把申报再发给你确认并填写推荐意见（第十五条）；在此之前你无需处理。';

export type LeaderNotice = 'recommended' | 'returnedByOrganization' | 'accepted' | 'returnedByAssociation';

/**
 * `closed`: the year's applications closed when the notice is drawn, so a returned application can no longer be submitted
 * again: the notice says it is out of this year's review, with no 修改申报 button. `reader: 'contact'`: the organisation
 * contact's copy of the association's decision (第十五条), who cannot edit the application: a return says the leader
 * edits it and it comes back to them to confirm, and offers 查看进度 instead of 修改申报.
 */
export function leaderNoticeCard(a: ApplicationSummary, notice: LeaderNotice, text?: string, closed?: { deadline: string }, reader: 'leader' | 'contact' = 'leader'): Card {
  const titles: Record<LeaderNotice, [string, 'green' | 'orange']> = {
    recommended: ['单位已推荐你的申报', 'green'],
    returnedByOrganization: ['单位退回了你的申报', 'orange'],
    accepted: ['协会已受理申报', 'green'],
    returnedByAssociation: ['协会退回了申报', 'orange'],
  };
  const [title, template] = titles[notice];
  const next: Record<LeaderNotice, string> = {
    recommended: '申报已报协会形式审查。',
    returnedByOrganization: '请按意见修改后重新提交。',
    accepted: '申报截止后由协会分配专家评审（第十四条）。',
    returnedByAssociation: '班组长请按原因修改后重新提交，单位联系人将再次确认。',
  };
  const returned = notice === 'returnedByOrganization' || notice === 'returnedByAssociation';
  const contactReads = reader === 'contact' && returned;
  return card({
    title,
    subtitle: `${a.team.name}　${a.year} 年度`,
    template,
    elements: [
      fields([
        ['成果名称', a.display.find((r) => r.key === 'title')?.text ?? ''],
        // returned once the year's applications closed: out of the year, not 退回修改
        ['状态', returned && closed ? '已退回，不参加本年度评审' : a.statusLabel],
        ...(text ? ([[returned ? '意见' : '推荐意见', asTyped(text)]] as [string, MdValue][]) : []),
      ]),
      note(
        returned && closed
          ? md`${a.year} 年度申报已于 ${formatDateZh(closed.deadline)} 截止，这份申报不能再修改提交，不参加本年度评审；可参加下一年度评选（第十九条）。`
          : notice === 'accepted' && closed
            ? md`${a.year} 年度申报已于 ${formatDateZh(closed.deadline)} 截止；这份申报参加本年度评审，由协会为它分配评审专家（第十四条），结果公布后会通知班组长和单位联系人。`
            : md`${contactReads ? CONTACT_AFTER_RETURN : next[notice]}`,
      ),
      ...(returned && !closed && !contactReads ? [buttonRow([button({ text: '修改申报', type: 'primary', value: { action: 'application.open', teamId: a.team.id } })])] : []),
      ...(returned && (closed || contactReads) ? [buttonRow([button({ text: '查看进度', value: { action: 'team.status' } })])] : []),
    ],
  });
}

/** The name of one application's 退回原因 field in the formal-check list. */
export const formalCheckReasonField = (applicationId: number) => `reason_${applicationId}`;

/**
 * Applications on one page of 形式审查. A row at its longest (a 500-character link of Chinese path, nine bytes a
 * character percent-encoded; a title of 100 characters that escape to six bytes; 200 characters of opinion; names at
 * their limits) takes about 8.8 KB as sent and 20 tagged objects before its four long answers; 200 characters of each
 * that escape to six bytes add 4.8 KB: two such rows with the page's notes and buttons come to about 29 KB, under the
 * bot's budget (CARD_BYTES_BUDGET, a kilobyte under Feishu's 30 KB), and far under the 200 tagged objects; a third
 * would leave the answers 50 characters, or pass it even so.
 */
export const formalCheckPageSize = 2;

/**
 * Each long answer of the 申报表 on the formal-check list shows this many characters; a page whose answers escape to
 * more bytes (a pasted spreadsheet's tabs, eight bytes each) shows 100 or 50 (`fittedCard`).
 */
export const FORMAL_CHECK_TEXT_SHOWN = 200;

/**
 * 受理's confirm dialog: which team's application, and that it cannot be taken back (the state machine has no way from
 * 已受理 back to 退回; the team's leader and contact are told at once).
 */
const acceptConfirm = (team: Pick<ApplicationCardTeam, 'name'>) => ({
  // short, the name clipped: the longest rows of a page stay inside Feishu's 30 KB with the rest of the list
  title: `受理${clipText(team.name, 10)}？`,
  text: '受理后进入评审，不能撤销或退回。',
});

/**
 * 形式审查: the association's list of recommended applications, a page at a time, each with its organisation's
 * opinion and who gave it (`recommendedBy`). `total` counts all that wait; `first` is the place of the page's first
 * among them, from 1; 上一页 / 下一页 and each decision carry the page, so a decision answers with the same page.
 * `asked`: the page a button asked for when it is past the end now (applications were checked since); the last page
 * is shown. `notice`: why the list was drawn again (a click on an earlier submission's copy), not an error.
 * `confirmReturn`: a 退回 once the year's applications are closed, to be confirmed: what it means, and on that
 * application's form the reason typed and “确认退回（不参加本年度评审）” in place of 退回.
 */
export function formalCheckCard(opts: FormalCheckOpts): Card {
  return fittedCard((clip) => formalCheckDrawn(opts, clip ?? FORMAL_CHECK_TEXT_SHOWN), [100, 50]);
}

interface FormalCheckOpts {
  year: number;
  items: (ApplicationSummary & { opinion?: string; recommendedBy?: string })[];
  total: number;
  first?: number;
  page?: number;
  pages?: number;
  asked?: number;
  error?: FormError;
  notice?: string;
  confirmReturn?: { applicationId: number; reason?: string; message: string };
}

/** The formal-check list with each long answer of the 申报表 cut at `clip` characters. */
function formalCheckDrawn(opts: FormalCheckOpts, clip: number): Card {
  const page = opts.page ?? 1;
  const pages = opts.pages ?? 1;
  const first = opts.first ?? 1;
  // a page beyond the first is carried by every button that answers with the list; the first needs none
  const onPage = page > 1 ? { page } : {};
  const elements: Element[] = [];
  elements.push(...refusalBanner(opts.error));
  if (opts.notice) elements.push(markdown(md`<font color='orange'>**请注意：** ${opts.notice}</font>`));
  const confirm = opts.confirmReturn;
  if (confirm) elements.push(markdown(md`<font color='orange'>**请确认：** ${confirm.message}</font>`));
  if (opts.asked !== undefined && opts.asked > pages && opts.items.length) {
    elements.push(note(md`待审查的申报已减少，第 ${opts.asked} 页已没有内容，下面是最后一页（第 ${page} / ${pages} 页）。`));
  }
  if (!opts.items.length) elements.push(markdown('没有待形式审查的申报。'));
  else {
    const last = first + opts.items.length - 1;
    elements.push(markdown(md`**待形式审查 ${opts.total} 份**（按提交先后排列，本页第 ${first}${last > first ? md`–${last}` : ''} 份）`));
  }
  for (const [i, a] of opts.items.entries()) {
    if (i > 0) elements.push(hr());
    // past the deadline a return takes the application out of the year: asked once (LateReturn), then confirmed
    const confirming = confirm?.applicationId === a.id;
    // the form's long answers are checked as filled in (第十五条 按照填报要求): the start of each, as the opinion's
    const texts = a.display.filter((r) => r.kind === 'longText');
    elements.push(
      summaryFields(a),
      ...formDisplayElements(texts, { clip }),
      ...(texts.some((r) => r.text.length > clip) ? [note(md`以上长文本只显示前 ${clip} 字，全文点“查看申报表全文”（另发一条消息，这里填的退回原因不受影响）；完整材料见材料链接。`)] : []),
      // full opinions of a page's applications would pass Feishu's 30 KB: the list shows the start of each
      // who confirmed for the organisation (第十五条) beside what they wrote
      ...(a.opinion ? [markdown(md`**单位推荐意见${a.recommendedBy ? md`（${who(a.recommendedBy)}）` : ''}**：${asTyped(clipText(a.opinion, 200))}`)] : []),
      ...formDisplayElements(a.display.filter((r) => r.kind === 'url' && r.text)),
      // the whole 申报表, every field and every long text in full, as a message of its own: outside the form, so what is
      // typed into 退回原因 stays on this card
      buttonRow([button({ text: '查看申报表全文', value: { action: 'check.application', applicationId: a.id } })]),
      // Feishu wants every name unique across the card, so each application's fields carry its id
      form(`check_${a.id}`, [
        textInput({ name: formalCheckReasonField(a.id), label: '退回原因（退回时必填）', maxLength: 500, ...(confirming ? { value: confirm.reason } : {}) }),
        buttonRow([
          // 受理 has no way back (accepted → scoring only): a tap on the wrong one of the page's applications is asked again, by name
          submitButton({ text: '受理', name: `accept_${a.id}`, value: { action: 'check.accept', ...decidesOn(a), ...onPage }, confirm: acceptConfirm(a.team) }),
          confirming
            ? submitButton({ text: '确认退回（不参加本年度评审）', name: `return_${a.id}`, type: 'danger', value: { action: 'check.return', ...decidesOn(a), ...onPage, late: true } })
            : submitButton({ text: '退回', name: `return_${a.id}`, type: 'danger', value: { action: 'check.return', ...decidesOn(a), ...onPage } }),
        ]),
      ]),
    );
  }
  elements.push(...pager({ page, pages, value: { action: 'check.list' } }));
  elements.push(buttonRow([button({ text: '刷新', value: { action: 'check.list', ...onPage } }), button({ text: '协会管理', value: { action: 'admin.menu' } })]));
  return card({ title: `${opts.year} 年度形式审查`, subtitle: `待审查 ${opts.total} 份`, template: 'violet', elements });
}

/**
 * Applications per page of a contact's list: twenty buttons, each a team's name and code, stay a screen or two on a
 * phone; a contact of 300 teams pages through fifteen.
 */
export const ENDORSE_PAGE = 20;

/**
 * The contact's list of applications to confirm, oldest submitted first, a page at a time: every one of them can be
 * opened now (it once showed the first forty, the rest only as they were dealt with).
 */
export function endorsementListCard(items: ApplicationSummary[], page = 1): Card {
  const shown = pageOf(items, page, ENDORSE_PAGE);
  const first = (shown.page - 1) * ENDORSE_PAGE + 1;
  const last = first + shown.items.length - 1;
  const onPage = shown.page > 1 ? { page: shown.page } : {};
  return card({
    title: '待确认的申报',
    template: 'orange',
    elements: items.length
      ? [
          markdown('第十五条：以下申报等待你确认并填写推荐意见。'),
          ...(shown.pages > 1 ? [markdown(md`**共 ${items.length} 份**（按提交先后排列，本页第 ${first}–${last} 份）`)] : [markdown(md`**共 ${items.length} 份**`)]),
          // by code: a contact of two organisations may have two teams of one name (names are unique within one)
          buttonRow(shown.items.map((a) => button({ text: namedButtonText(a.team.name, a.team.code).text, value: { action: 'endorse.open', applicationId: a.id } }))),
          ...pager({ page: shown.page, pages: shown.pages, value: { action: 'endorse.list' } }),
          ...(shown.pages > 1 ? [buttonRow([button({ text: '刷新', value: { action: 'endorse.list', ...onPage } })])] : []),
        ]
      : [markdown('目前没有等待你确认的申报。')],
  });
}

/** A return as the 退回原因 card and 进度 show it: who returned it, when (formatDateTimeZh), what was typed. */
export interface ReturnShown {
  by: 'organization' | 'association';
  name: string | null;
  at?: string;
  opinion: string;
  /** A resubmission's fields changed since the return (labels), where the returned form is known. */
  changed?: string[];
}

/** Who returned: the organisation's contact by name where known, or the association's formal check. */
export function returnedByText(r: Pick<ReturnShown, 'by' | 'name'>): string {
  return r.by === 'association' ? '协会形式审查' : r.name ? `单位联系人 ${r.name}` : '单位联系人';
}

/** Changed fields a resubmission names at most; the rest are counted. */
const CHANGED_SHOWN = 4;

/** What a resubmission changed since its return, as the contact's request says it. */
function changedText(changed: string[] | undefined): string {
  if (!changed) return '班组长修改后重新提交，请核对全部材料后再推荐或退回。';
  if (!changed.length) return '重新提交的内容与退回时相同。';
  const named = changed.slice(0, CHANGED_SHOWN).join('、');
  return `班组长修改了：${named}${changed.length > CHANGED_SHOWN ? ` 等 ${changed.length} 项` : ''}。`;
}

/** An opinion in 进度 is cut here; the whole of it is on the 退回原因 card and on the 申报表 opened to edit it. */
export const STATUS_OPINION_SHOWN = 60;

/**
 * 退回原因 (why was it returned): each returned application of the caller's teams in the running year, who returned it,
 * when and the opinion as typed, with 修改申报 to the leader while it can still be submitted again (`canEdit`).
 */
export function returnedNotesCard(year: number, items: { team: { id: number; name: string; code: string }; note: ReturnShown; canEdit: boolean; closedNote?: string }[], more = 0): Card {
  const elements: Element[] = [];
  for (const [i, it] of items.entries()) {
    if (i > 0) elements.push(hr());
    elements.push(
      markdown(md`**${it.team.name}**　${it.team.code}`),
      fields([
        ['退回方', returnedByText(it.note)],
        ...(it.note.at ? ([['退回时间', it.note.at]] as [string, string][]) : []),
        [it.note.by === 'association' ? '退回原因' : '退回意见', it.note.opinion && asTyped(it.note.opinion)],
      ]),
      note(md`${it.closedNote ?? (it.canEdit ? '请按意见修改后点“修改申报”重新提交，单位联系人将再次确认（第十五条）。' : '班组长按意见修改后重新提交，单位联系人将再次确认（第十五条）。')}`),
    );
    if (it.canEdit) elements.push(buttonRow([button({ text: '修改申报', type: 'primary', value: { action: 'application.open', teamId: it.team.id } })]));
  }
  if (more > 0) elements.push(hr(), note(md`另有 ${more} 份申报被退回，发送“进度”查看。`));
  return card({ title: `${year} 年度申报退回意见`, template: 'orange', elements });
}
