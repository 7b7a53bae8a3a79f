import { card, markdown } from './kit.js';

/**
 * A click answered “正在处理” whose work the bot's stop cut short (src/lateClicks.ts): nothing of it was saved, and the
 * toast had promised word of the result.
 */
export function unfinishedClickCard() {
  return card({
    title: '刚才的操作没有完成',
    template: 'orange',
    summary: '刚才的操作没有完成，请再操作一次',
    elements: [markdown('你刚才在卡片上的操作还在处理时，机器人重新启动了，这次操作**没有保存**。请回到那张卡片再操作一次（卡片已过期的，发送“帮助”重新打开）。')],
  });
}

/**
 * A click answered “正在处理” whose work committed as the bot stopped, its result never sent (the process gone before
 * its answer was queued): it was saved, and the person is not to do it again.
 */
export function savedUnansweredClickCard() {
  return card({
    title: '刚才的操作已经完成',
    template: 'blue',
    summary: '刚才的操作已经完成，不必再操作',
    elements: [markdown('你刚才在卡片上的操作已经**保存**，但机器人当时正在重新启动，结果没能更新到卡片上。请不要重复操作；要看最新状态，发送“帮助”重新打开相关卡片。')],
  });
}
