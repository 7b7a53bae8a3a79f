import { button, buttonRow, card, type Card, type Element, clipText, markdown, md, mdJoin, note } from './kit.js';

/** The administrator's card while bulk work runs off the callback (分配专家, 公布结果, 确认导入, 提醒, 结束评分并汇总 of a large cycle), and when it ends. */

export type BulkJobKindName = 'assign' | 'publish' | 'import' | 'importPreview' | 'remind' | 'aggregate';

export interface BulkJobView {
  jobId: number;
  kind: BulkJobKindName;
  cycleId: number;
  year: number;
  status: 'queued' | 'running' | 'done' | 'failed';
  done: number;
  total: number;
  /** Whole seconds from the click to the end (done or failed). */
  seconds?: number;
  error?: string;
  /** A line above the progress, e.g. that applications are closed. */
  lead?: string;
  /** 分配专家: applications still short of experts, a few listed. */
  unfilled?: { code: string; team: string; reason: string }[];
  unfilledTotal?: number;
  /** The card's first line instead of “N年度评审 · …”, e.g. the imported file's name. */
  heading?: string;
  /** A line under the counts once done, e.g. “新增 2 990 行，更新 10 行”. */
  outcome?: string;
  /** 确认导入: rows not imported, a few listed, with the reason. */
  refused?: { where: string; reason: string }[];
  refusedTotal?: number;
}

/** 3000 → "3 000", as the association writes large numbers. */
export function groupDigits(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

const words: Record<BulkJobKindName, { title: string; doing: string; verb: string; unit: string }> = {
  assign: { title: '分配专家', doing: '正在分配专家', verb: '已分配', unit: '' },
  publish: { title: '公布结果', doing: '正在公布结果', verb: '已通知', unit: '' },
  import: { title: '导入', doing: '正在导入', verb: '已导入', unit: ' 行' },
  importPreview: { title: '读取导入文件', doing: '正在读取导入文件', verb: '已读取', unit: ' 个文件' },
  remind: { title: '发送提醒', doing: '正在发送提醒', verb: '已发送', unit: ' 人' },
  aggregate: { title: '汇总评分', doing: '正在汇总评分', verb: '已汇总', unit: ' 份申报' },
};

/** 分配专家, 公布结果, …: what each job is called in alerts. */
export const bulkJobTitles: Readonly<Record<BulkJobKindName, string>> = Object.fromEntries(Object.entries(words).map(([k, w]) => [k, w.title])) as Record<BulkJobKindName, string>;

/** "正在分配专家：已分配 0 / 3 000", "正在导入：已导入 1 200 / 3 000 行" */
export function bulkProgressLine(v: Pick<BulkJobView, 'kind' | 'status' | 'done' | 'total' | 'seconds'>): string {
  const w = words[v.kind];
  // 公布结果 of a year with no application: nobody to tell, said so rather than 已通知 0 / 0
  if (v.kind === 'publish' && !v.total && !v.done && v.status !== 'failed') return `${v.status === 'done' ? '结果已公布' : w.doing}：本年度没有申报，无需通知班组`;
  const counts = `${w.verb} ${groupDigits(v.done)} / ${groupDigits(v.total)}${w.unit}`;
  if (v.status === 'done') return `${counts}，用时 ${groupDigits(v.seconds ?? 0)} 秒`;
  if (v.status === 'failed') return `${w.title}未完成：${counts}`;
  return `${w.doing}：${counts}`;
}

export function bulkJobCard(v: BulkJobView): Card {
  const w = words[v.kind];
  const elements: Element[] = [markdown(v.heading ? md`**${clipText(v.heading, 80)}**` : md`**${v.year}年度评审 · ${w.title}**`)];
  if (v.lead) elements.push(markdown(md`${v.lead}`));
  elements.push(markdown(md`${bulkProgressLine(v)}`));
  // 汇总评分 is one batch: nothing to show between its start and its end, nothing kept when it fails
  const whole = v.kind === 'aggregate';
  if (v.status === 'queued' || v.status === 'running') {
    elements.push(note(whole ? '汇总在后台一次完成，完成后本卡片会更新；期间可以离开，再次点击只会显示进度。' : '处理在后台进行，本卡片每隔几秒自动更新；期间可以离开，再次点击只会显示进度。'));
  }
  if (v.status === 'failed') {
    elements.push(markdown(md`<font color='red'>出错：${v.error ?? '未知错误'}</font>`));
    elements.push(note(whole ? '这次汇总没有保存任何结果；排除原因后点“重试”重新汇总。' : '已完成的部分不会重复处理；排除原因后点“重试”从中断处继续。'));
  }
  if (v.status === 'done' && v.outcome) elements.push(markdown(md`${v.outcome}`));
  if (v.status === 'done' && v.refusedTotal) {
    elements.push(markdown(md`<font color='red'>**${v.refusedTotal} 行未导入**</font>`));
    // a row's label may be a whole pasted description: the row number leads to it in the file
    if (v.refused?.length) elements.push(markdown(mdJoin(v.refused.map((r) => md`- ${clipText(r.where, 80)}：${clipText(r.reason, 150)}`), '\n')));
    if (v.refusedTotal > (v.refused?.length ?? 0)) elements.push(note(md`另有 ${v.refusedTotal - (v.refused?.length ?? 0)} 行未列出：重新发送同一文件，预览会逐页列出全部未导入的行及原因（不会重复导入）。`));
    elements.push(note('修改这些行后重新发送文件即可补导入；已导入的行不会重复导入。'));
  }
  if (v.status === 'done' && v.kind === 'assign') {
    if (v.unfilledTotal) {
      elements.push(markdown(md`<font color='red'>**${v.unfilledTotal} 份申报专家不足**</font>`));
      if (v.unfilled?.length) elements.push(markdown(mdJoin(v.unfilled.map((u) => md`**${u.code} ${u.team}**：${u.reason}`), '\n')));
      if (v.unfilledTotal > (v.unfilled?.length ?? 0)) elements.push(note(md`另有 ${v.unfilledTotal - (v.unfilled?.length ?? 0)} 份未列出。`));
      elements.push(note('可在“专家库”中添加其他单位的专家或提高评审上限，再点“分配专家”补足。'));
    } else {
      elements.push(markdown('所有申报均已配齐专家。'));
    }
  }
  const buttons: Element[] = [];
  if (v.status === 'failed') buttons.push(button({ text: '重试', type: 'primary', value: { action: 'bulk.retry', jobId: v.jobId } }));
  if (v.status === 'queued' || v.status === 'running') buttons.push(button({ text: '刷新进度', value: { action: 'bulk.show', jobId: v.jobId } }));
  if (v.kind === 'aggregate' && v.status === 'done') buttons.push(button({ text: '评审结果', type: 'primary', value: { action: 'results.preview', cycleId: v.cycleId } }));
  if (v.kind === 'assign' || (v.kind === 'aggregate' && v.status !== 'done')) buttons.push(button({ text: '评审进度', value: { action: 'review.progress', cycleId: v.cycleId } }));
  buttons.push(button({ text: '返回管理', type: 'text', value: { action: 'admin.menu' } }));
  elements.push(buttonRow(buttons));
  const template = v.status === 'failed' ? 'red' : v.status === 'done' ? (v.unfilledTotal || v.refusedTotal ? 'orange' : 'green') : 'blue';
  return card({ title: w.title, template, summary: bulkProgressLine(v), elements });
}
