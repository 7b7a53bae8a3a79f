import { form, refusalBanner, submitButton, textInput } from './forms.js';
import { card, type Card, clipText, fields, markdown, type Md, md, mdJoin, note } from './kit.js';

/**
 * 查询证书 and “养护一班是质量信得过班组吗” (第二十一条: open to everyone's supervision): what the association issued, as
 * public facts only (src/certificates/check.ts reads them).
 */

/** A title as the public may see it: its year, its wording, and the day it was revoked (第二十二条) when it was. */
export interface PublicTitle {
  year: number;
  title: string;
  /** The day in the bot's timezone, as YYYY年M月D日. */
  revokedOn?: string;
  /** The team's name on this title's certificate, when the team has been renamed since. */
  issuedAs?: string;
}

/** A certificate issued, with whether its title still stands. */
export interface CertificateFacts extends PublicTitle {
  number: string;
  /** The team as the certificate names it (a team renamed since keeps its certificate's name), and its code. */
  teamName: string;
  teamCode: string;
  /** The team's name now, when it was renamed after the certificate was issued. */
  teamNameNow?: string;
  organization: string;
  issuedOn: string;
  /** Later years reviewed (the latest of them) and the team's titles of them, newest first: the certificate is its year's. */
  since?: { latestYear: number; titles: { year: number; revokedOn?: string }[] };
}

/** What an earlier year's certificate proves, and what the team holds since (第二十条: the title is the year's). */
function sinceText(c: CertificateFacts): Md | undefined {
  if (!c.since || c.revokedOn) return undefined;
  const held = c.since.titles.map((h) => `${h.year}年度（${h.revokedOn ? `已于${h.revokedOn}撤销` : '有效'}）`).join('、');
  const after = held ? `该班组此后获得的称号：${held}。` : `该班组此后年度（至 ${c.since.latestYear} 年度）没有获得质量信得过班组称号。`;
  return md`**称号按年度授予（第二十条）**：这份证书证明该班组获得 ${c.year} 年度称号，不证明此后年度。${after}`;
}

/** A team and every title it was awarded, latest year first. */
export interface TeamTitleFacts {
  name: string;
  code: string;
  organization: string;
  titles: PublicTitle[];
}

type Language = 'zh' | 'en';

/** How to report a certificate or a claim that is not what it says: the complaint form, or the association itself. */
const REPORT = '如有人出示该证书或以此自称质量信得过班组，可发送“投诉”（complain）向协会反映，或发送“联系协会”（contact）向协会核实。';
const REPORT_EN = 'If someone shows such a certificate or claims such a title, send “complain” (投诉) to tell the association, or “contact” (联系协会) to check with it.';

const revokedText = (on: string) => `已撤销（${on}撤销，第二十二条），称号和证书作废`;

/** A certificate's number checked: the team, organisation, year and title it was issued for, and whether it stands. */
export function certificateCheckCard(opts: { number: string; found?: CertificateFacts; language?: Language; unchecked?: string[] }): Card {
  const c = opts.found;
  const en = opts.language === 'en';
  // the 查询证书 form submitted with several numbers: one card answers it, the others are named to be checked one by one
  const others = opts.unchecked?.length
    ? [markdown(md`同时填写的 ${opts.unchecked.join('、')} 没有查询：请点“查询证书”或发送“查询证书 证书编号”逐个查询。`)]
    : [];
  if (!c) {
    return card({
      title: `未找到荣誉证书：${opts.number}`,
      template: 'orange',
      elements: [
        ...(en ? [markdown(md`No certificate numbered ${opts.number} was issued by the association: it is not a genuine certificate of the Quality Trustworthy Team title. Check the number (like GDSZ-ZS-2026-0001). ${REPORT_EN}`)] : []),
        markdown(md`广东省市政行业协会没有颁发过编号为 **${opts.number}** 的荣誉证书。请核对编号（形如 GDSZ-ZS-2026-0001）；编号无误的，这份证书不是协会颁发的。${REPORT}`),
        ...others,
        note('第二十一条：质量信得过班组接受社会各界的监督。'),
      ],
    });
  }
  const status = c.revokedOn ? revokedText(c.revokedOn) : '有效';
  return card({
    title: `荣誉证书 ${c.number}：${c.revokedOn ? '已撤销' : '有效'}`,
    template: c.revokedOn ? 'red' : 'green',
    elements: [
      ...(en
        ? [
            markdown(
              c.revokedOn
                ? md`Certificate ${c.number} was issued by the association, but its title was **revoked** on ${c.revokedOn} (Article 22): the certificate is void.`
                : md`Certificate ${c.number} is **genuine and valid**: issued by the association for the title below.`,
            ),
          ]
        : []),
      fields([
        ['状态', status],
        ['班组', `${c.teamName}（编号 ${c.teamCode}${c.teamNameNow ? `，现名 ${c.teamNameNow}` : ''}）`],
        ['所属单位', c.organization],
        ['年度', `${c.year}年度`],
        ['称号', c.title],
        ['发证日期', c.issuedOn],
      ]),
      ...[sinceText(c)].filter((t) => t !== undefined).map((t) => markdown(t)),
      ...others,
      note(c.revokedOn ? md`第二十二条：称号已被协会撤销，这份证书不再证明该班组的称号。${REPORT}` : md`第二十一条：质量信得过班组接受社会各界的监督；对该班组的工程质量有意见，可发送“投诉 ${c.number}”。`),
    ],
  });
}

/** “养护一班是质量信得过班组吗”: each team of that name or code, with the years of its titles and whether each stands. */
export function teamTitlesCard(opts: { asked: string; teams: TeamTitleFacts[]; language?: Language }): Card {
  const en = opts.language === 'en';
  const asked = clipText(opts.asked, 40);
  if (!opts.teams.length) {
    return card({
      title: `未找到班组：${asked}`,
      template: 'orange',
      elements: [
        ...(en ? [markdown(md`No team named or numbered “${asked}” is on the association's register, so it holds no Quality Trustworthy Team title. Check the full name or the code (like GDSZ-2026-0001). ${REPORT_EN}`)] : []),
        markdown(md`协会的班组名册中没有名称或编号为“${asked}”的班组，也就没有以此名义获得的质量信得过班组称号。请核对班组全称或编号（形如 GDSZ-2026-0001）。${REPORT}`),
      ],
    });
  }
  const standing = opts.teams.some((t) => t.titles.some((h) => !h.revokedOn));
  const teamLines = opts.teams.map((t) => {
    const head = md`**${t.name}**（编号 ${t.code}，${t.organization}）`;
    if (!t.titles.length) return md`${head}：没有获得过质量信得过班组称号。`;
    const years = t.titles.map((h) => md`- ${h.year}年度“${h.title}”：${h.revokedOn ? revokedText(h.revokedOn) : '有效'}${h.issuedAs ? `（证书所载班组名称：${h.issuedAs}）` : ''}`);
    return mdJoin([md`${head}：`, ...years], '\n');
  });
  const english = opts.teams.map((t) => {
    const held = t.titles.map((h) => `${h.year}${h.revokedOn ? ` (revoked on ${h.revokedOn}, Article 22)` : ' (valid)'}`);
    return md`${t.name} (${t.code}): ${held.length ? `titles of ${held.join(', ')}` : 'no title'}.`;
  });
  return card({
    title: `质量信得过班组称号查询：${asked}`,
    template: standing ? 'green' : 'grey',
    elements: [
      ...(en ? [markdown(mdJoin(english, '\n'))] : []),
      markdown(mdJoin(teamLines, '\n\n')),
      note(md`称号按年度授予（第二十条），被撤销的称号及其证书作废（第二十二条）。要核对一份荣誉证书，发送“查询证书 证书编号”。`),
    ],
  });
}

/** The 帮助 menu's 查询证书: a certificate's number or a team's name or code to check, in place of the menu. */
export function certificateCheckFormCard(opts: { value?: string; error?: string } = {}): Card {
  return card({
    title: '查询证书',
    subtitle: '第二十一条：质量信得过班组接受社会各界的监督',
    template: 'blue',
    elements: [
      markdown('填写荣誉证书编号，查询证书是否为协会颁发、称号是否有效；或填写班组全称、班组编号，查询该班组获得的称号。'),
      ...refusalBanner(opts.error),
      form('certificate_check', [
        textInput({ name: 'query', label: '证书编号或班组', placeholder: '如 GDSZ-ZS-2026-0001 或班组全称', value: opts.value, required: true, maxLength: 60 }),
        submitButton({ text: '查询', name: 'certificate_check_submit', value: { action: 'certificate.check' } }),
      ]),
      note('也可以直接发送“查询证书 证书编号”（verify certificate），或“班组全称是质量信得过班组吗”。'),
    ],
  });
}
