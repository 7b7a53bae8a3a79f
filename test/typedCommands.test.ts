import { describe, expect, it } from 'vitest';
import { createBot } from '../bot/index.js';
import { onlyStops } from '../src/handlers.js';

/**
 * Commands as people type them on a phone: what the keyboard adds after one (a colon, an emoji, a [表情] code).
 */

const bot = createBot();

describe('a command with what a phone adds after it', () => {
  it.each([
    ['帮助：', '帮助', ''],
    ['help:', '帮助', ''],
    ['status：', '进度', ''],
    ['进度 :', '进度', ''],
    ['帮助🙏', '帮助', ''],
    ['帮助 👍🏻', '帮助', ''],
    ['注册❤️', '注册', ''],
    ['帮助[微笑]', '帮助', ''],
    ['help[OK]', '帮助', ''],
    ['进度。[微笑]', '进度', ''],
    ['条款 16[微笑]', '条款', '16'],
    ['条款 16：', '条款', '16'],
    ['绑定通知 专家🙏', '绑定通知', '专家'],
  ])('%j is %s', (t, name, argument) => {
    const m = bot.matchCommand(t);
    expect(m?.def.names).toContain(name);
    expect(m?.argument).toBe(argument);
  });

  it('keeps brackets in a team’s name searched as typed', () => {
    expect(bot.matchCommand('投诉 市政养护一班[东区]')?.argument).toBe('市政养护一班[东区]');
  });

  it.each(['👍', '🙂', '[微笑]'])('%s alone is no command (small talk answers it)', (t) => {
    expect(bot.matchCommand(t)).toBeUndefined();
  });

  it('a mention followed only by stops is a bare mention', () => {
    for (const t of ['', '。', ' 。', '!', '…', '，', '：']) expect(onlyStops(t), t).toBe(true);
    for (const t of ['帮助', '👍', '16', 'a']) expect(onlyStops(t), t).toBe(false);
  });
});
