import type { DisplayRow, FormDescriptor } from '../src/forms.js';
import type { Md } from './markdown.js';
import { form, type FormError, formInputs, refusalBanner, submitButton } from './forms.js';
import { asTyped, button, buttonRow, card, type Card, clipText, type Element, fittedCard, hr, markdown, note, md, mdJoin, mention, pageOf, pager } from './kit.js';

/** 专家库 (第十一条) for administrators, and an expert's declaration of a conflict of interest (第十七条). */

import type { PoolEntry } from '../src/review/experts.js';

export type PoolExpertView = PoolEntry;

export interface ExpertPoolData {
  /** This page's experts. */
  experts: PoolExpertView[];
  /** The whole pool: how many, how many in use, how many imported but not yet found in the address book. */
  total: number;
  active: number;
  unlinked?: number;
  page: number;
  pages: number;
  /** Whom the add form's picker offers: known people not yet experts. */
  candidates: string[];
  /** The add form (src/review/experts.ts `expertAddForm`) and what was typed into it, kept after a refusal. */
  descriptor: FormDescriptor;
  values?: Record<string, unknown>;
  error?: FormError | string;
  /** The expert whose record the form holds (修改): the form saves over it. */
  editing?: { openId: string; name: string | null };
}

/**
 * The pool with each expert's load, 停用 / 启用 (none for an expert still to be linked), and the form to add experts.
 * A page of nine at their longest (a 50-character name and a 100-character organisation of characters markdown escapes,
 * twenty specialities) came to 31 KB as sent, which Feishu refuses: drawn again with each expert's name, organisation
 * and specialities cut shorter until it fits. 修改 shows an expert's whole record in the form.
 */
export function expertPoolCard(d: ExpertPoolData): Card {
  return fittedCard((clip) => expertPoolDrawn(d, clip), [60, 40, 20]);
}

function expertPoolDrawn(d: ExpertPoolData, clip?: number): Card {
  const cut = (s: string) => (clip === undefined ? s : clipText(s, clip));
  const elements: Element[] = [...refusalBanner(d.error, '未保存', 'colonAfter')];
  elements.push(markdown(md`**专家库**：${d.total} 位，在用 ${d.active} 位${d.unlinked ? `，待关联 ${d.unlinked} 位` : ''}`));
  if (d.unlinked) elements.push(note(md`待关联的专家：导入名单中的手机或邮箱尚未在飞书通讯录中找到，暂不分配评分任务；本人首次给机器人发消息后自动加入专家库。`));
  for (const e of d.experts) {
    if (e.unlinked) {
      const facts = [e.organization ? cut(e.organization) : '单位未填', e.specialities.length ? cut(e.specialities.join('、')) : undefined, e.maxLoad ? `上限 ${e.maxLoad} 项` : '不限量'].filter(Boolean);
      // no 启用 / 停用: nobody to reach until the address book knows them (src/import/linking.ts)
      elements.push(markdown(md`**${e.name ? cut(e.name) : '未填姓名'}**（尚未在飞书通讯录中找到：首次给机器人发消息后自动加入专家库）\n${facts.join(' · ')}`));
      continue;
    }
    const who = e.name ? cut(e.name) : mention(e.openId);
    const facts = [
      e.organization ? cut(e.organization) : '单位未填',
      e.specialities.length ? cut(e.specialities.join('、')) : undefined,
      e.maxLoad ? `上限 ${e.maxLoad} 项` : '不限量',
      `本年度 ${e.load} 项${e.pending ? `（待评 ${e.pending}）` : ''}`,
    ].filter(Boolean);
    elements.push({
      tag: 'column_set',
      flex_mode: 'none',
      columns: [
        { tag: 'column', width: 'weighted', weight: 3, elements: [markdown(e.active ? md`**${who}**\n${facts.join(' · ')}` : md`~~**${who}**~~（已停用）\n${facts.join(' · ')}`)] },
        {
          tag: 'column',
          width: 'auto',
          elements: [
            // 修改: the form below filled with the record (its picker offers nobody already in the pool)
            ...(e.active ? [button({ text: '修改', value: { action: 'experts.edit', openId: e.openId, page: d.page } })] : []),
            e.active
              ? button({ text: '停用', type: 'danger', value: { action: 'experts.deactivate', openId: e.openId, page: d.page } })
              : button({ text: '启用', value: { action: 'experts.activate', openId: e.openId, page: d.page } }),
          ],
        },
      ],
    });
  }
  elements.push(...pager({ page: d.page, pages: d.pages, value: { action: 'experts.list' } }));
  const v = d.values ?? {};
  const typed = v.experts;
  const picked = (Array.isArray(typed) ? typed : typeof typed === 'string' && typed ? typed.split(',') : []).map(String);
  elements.push(
    hr(),
    // one known by open_id alone (picked, or added by mobile) is named by Feishu through the mention
    markdown(d.editing ? md`**修改专家：${d.editing.name ? d.editing.name : mention(d.editing.openId)}**（单位、专业特长、评审上限改为下面所填）` : md`**添加专家**`),
    form('expert_form', [
      // Feishu requires a picker's selected people to be among its options
      ...formInputs(d.descriptor, { ...v, experts: picked }, { people: { experts: [...new Set([...picked, ...d.candidates])] } }),
      submitButton({ text: d.editing ? '保存修改' : '添加到专家库', name: 'experts_add', value: { action: 'experts.add', ...(d.editing ? { edit: true, openId: d.editing.openId } : {}) } }),
    ]),
    note('第十一条：协会建立专家库；第十七条：专家不评审本单位及存在利益关系的班组。'),
    buttonRow([button({ text: '返回管理', type: 'text', value: { action: 'admin.menu' } })]),
  );
  return card({ title: '专家库', subtitle: '广东省市政工程质量信得过班组', template: d.error ? 'red' : 'indigo', summary: '专家库', elements });
}

export interface ConflictFormData {
  /** The form's descriptor (`conflictForm`, src/review/conflicts.ts): its inputs are drawn from it. */
  descriptor: FormDescriptor;
  /** The caller's declarations, each as the form's display reads it (冲突对象, 班组编号或单位名称, 冲突原因). */
  declared: DisplayRow[][];
  /** What was typed, kept after a refusal. */
  values?: Record<string, unknown>;
  error?: FormError | string;
  /** Shown after a declaration: what was done with the tasks it touched. */
  done?: string;
  /** The page of the declarations shown (1 when absent). */
  page?: number;
}

/** Declarations per page: eight at their longest (a 100-character target, a 500-character reason) and the form stay under Feishu's 30 KB; forty came to 94 KB. */
export const DECLARED_PAGE = 8;

/** One declaration on a line: “班组：GDSZ-2026-0001 广州市政养护一班（曾任职）”. */
function declaredLine(rows: DisplayRow[]): Md {
  const text = (key: string) => rows.find((r) => r.key === key)?.text ?? '';
  const reason = text('reason');
  return md`${text('kind')}：${asTyped(text('target'))}${reason ? md`（${asTyped(reason)}）` : ''}`;
}

/** 声明利益冲突: with a team (by code) or an organisation (by name). */
export function conflictFormCard(d: ConflictFormData): Card {
  const shown = pageOf(d.declared, d.page ?? 1, DECLARED_PAGE);
  return card({
    title: d.descriptor.title,
    template: d.error ? 'red' : 'blue',
    elements: [
      ...refusalBanner(d.error, '未提交', 'colonAfter'),
      ...(d.done ? [markdown(md`<font color='green'>${d.done}</font>`)] : []),
      note('第十七条：评审公开、公平、公正。与某个班组或单位存在利益关系的，请在此声明，今后不会再把它们的申报分配给你；已分配而未评分的任务将改派其他专家。'),
      ...(d.declared.length
        ? [
            markdown(md`**已声明**${shown.pages > 1 ? `（共 ${d.declared.length} 项）` : ''}\n${mdJoin(shown.items.map(declaredLine), '\n')}`),
            ...pager({ page: shown.page, pages: shown.pages, value: { action: 'experts.conflictForm' } }),
          ]
        : []),
      form(d.descriptor.name, [
        ...formInputs(d.descriptor, d.values, { clientRequired: true }),
        submitButton({ text: '提交声明', name: 'conflict_submit', value: { action: 'experts.conflictAdd' } }),
      ]),
      buttonRow([button({ text: '我的评分任务', type: 'text', value: { action: 'review.list' } })]),
    ],
  });
}

/**
 * 欢迎加入专家库: what someone added to the pool (添加专家, or a 专家 row of 导入) is told at once, before any task comes:
 * they are in the pool (第十一条), tasks come as cards once 分配专家 runs, and how to declare a conflict of interest
 * beforehand (第十七条), so that no task of that team is given to them.
 */
export function expertWelcomeCard(d: { organization: string }): Card {
  return card({
    title: '你已加入评审专家库',
    subtitle: '广东省市政工程质量信得过班组评审',
    template: 'blue',
    summary: '你已加入评审专家库',
    elements: [
      markdown(md`广东省市政行业协会已将你加入质量信得过班组评审专家库（第十一条），所属单位：${d.organization}。`),
      markdown(
        '**接下来**：年度申报截止后，协会分配专家，分配给你的申报会以评分任务卡片发到这里，请在评分截止前逐项打分并提交（第十八条）。发送“评分”可随时查看你的评分任务。',
      ),
      markdown(
        '**利益冲突**（第十七条）：评审坚持公开、公平、公正。系统不会把你本单位班组的申报分配给你；与其他班组或单位存在利益关系的（如曾在该单位任职、亲属在该班组），请在分配前点下方“声明利益冲突”，填写班组编号或单位全称，协会就不会把它们的申报分配给你。',
      ),
      buttonRow([
        button({ text: '声明利益冲突', type: 'primary', value: { action: 'experts.conflictForm' } }),
        button({ text: '我的评分任务', value: { action: 'review.list' } }),
      ]),
    ],
  });
}
