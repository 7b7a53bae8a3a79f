import { card, type Card, fields, markdown, note } from './kit.js';

/** Group chats: the bot's introduction and the answers to 绑定通知 / 解绑. */

const purposeNames: Record<string, string> = { admin: '协会管理通知', experts: '评审专家通知' };
const purposeList = (purposes: readonly string[]) => purposes.map((p) => purposeNames[p] ?? p).join('、') || '无';

/** Sent once when the bot is added to a group. */
export function groupIntroCard(): Card {
  return card({
    title: '大家好，我是质量信得过班组助手',
    template: 'blue',
    elements: [
      markdown(
        '我协助广东省市政行业协会开展“质量信得过班组”建设活动：班组注册与年度申报、单位确认推荐、专家评分、截止提醒、投诉处理（第二十一、二十二条）。',
      ),
      markdown(
        '**协会管理员**：在本群 @我 发送 `绑定通知`，本群即成为协会管理通知群，接收每日汇总、新投诉、撤销称号提醒和评审会提醒；发送 `绑定通知 专家` 绑定为评审专家群，接收评分截止提醒；发送 `解绑` 取消。',
      ),
      note('在群里和我说话请先 @我；个人事务（申报、评分）请私聊我，发送“帮助”查看菜单。'),
    ],
  });
}

export function chatBoundCard(opts: { purpose: string; isNew: boolean; purposes: readonly string[] }): Card {
  return card({
    title: opts.isNew ? `已绑定：${purposeNames[opts.purpose] ?? opts.purpose}` : `本群已是${purposeNames[opts.purpose] ?? opts.purpose}群`,
    template: 'green',
    elements: [
      fields([['本群接收', purposeList(opts.purposes)]]),
      note(
        opts.purpose === 'admin'
          ? '协会管理通知：新投诉、投诉超期、撤销称号提醒、评审会提醒、每日/每周汇总、消息投递失败。发送“解绑”取消。'
          : '评审专家通知：专家评分截止前 3 天、前 1 天和逾期后，提醒本群尚未提交的评分份数（不含姓名和申报内容，第十七条）；每位专家的任务仍私聊发送。发送“解绑 专家”取消。',
      ),
    ],
  });
}

/**
 * The answer to 解绑 [管理|专家]: `asked` is the purpose named (none: every binding), `adminGroupLeft` whether any group
 * (this one or another) is still bound for the administrators.
 */
export function chatUnboundCard(opts: { asked?: string; removed: readonly string[]; remaining: readonly string[]; adminGroupLeft: boolean }): Card {
  const none = opts.asked ? `本群未绑定${purposeNames[opts.asked] ?? opts.asked}` : '本群没有绑定通知';
  return card({
    title: opts.removed.length ? `已解绑：${purposeList(opts.removed)}` : none,
    template: opts.removed.length ? 'grey' : 'blue',
    elements: [
      fields([['本群仍接收', purposeList(opts.remaining)]]),
      ...(opts.adminGroupLeft ? [] : [note('现在没有绑定协会管理通知群：协会管理通知改为私聊发送给每位管理员。如需通知群，请在群里 @机器人 发送“绑定通知”。')]),
    ],
  });
}
