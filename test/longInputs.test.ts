import { describe, expect, it } from 'vitest';
import { createBot } from '../bot/index.js';
import { parseLookup } from '../bot/lookup.js';
import { complaintForm } from '../src/complaints.js';
import { formSchema } from '../src/forms.js';
import { withoutContacts } from '../src/log.js';

/**
 * What anyone may send (a complaint's 联系方式, a chat message of 150 KB, a look-up field, a refusal's text logged) is
 * read in time proportional to its length: a pattern tried from every character and reading to the end took 20 s
 * on 100 000 characters, and held every other event and click meanwhile. Each call below took seconds before.
 */
const timed = <T>(run: () => T): { ms: number; result: T } => {
  const started = performance.now();
  const result = run();
  return { ms: performance.now() - started, result };
};

const N = 200_000;
/**
 * Generous on a busy machine (a linear read of the spaces took 300–500 ms on 2 loaded cores): what it guards against is a
 * pattern tried from every character, which took over a minute on this many characters.
 */
const LIMIT_MS = 3000;
const words = 'a'.repeat(N);
const dots = `a@${'a.'.repeat(N / 2)} `;
const digits = `${'1'.repeat(N)}x`;

describe('200 000 characters', () => {
  it('a complaint’s 联系方式 without an @ is read at once: refused as too long, its pattern not run', () => {
    const schema = formSchema(complaintForm);
    const { ms, result } = timed(() => schema.safeParse({ team: 'GDSZ-2026-0001', content: '井盖缺失', contact: words }));
    expect(ms).toBeLessThan(LIMIT_MS);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message)).toEqual([`联系方式不能超过 100 字（现为 ${N} 字）`]);
  });

  it('the 联系方式 pattern itself reads a long text once, and still tells a phone or an e-mail from neither', () => {
    const regex = complaintForm.fields.contact.pattern!.regex;
    for (const s of [words, dots, digits.replace(/1/g, 'a'), `${'a'.repeat(N)}@`]) expect(timed(() => regex.test(s)).ms).toBeLessThan(LIMIT_MS);
    expect(['13800000000', '微信 138 0000 0000 同号', 'name@example.com', '邮箱：zhang.san@qc.org.cn 工作日'].every((s) => regex.test(s))).toBe(true);
    expect(['abc', 'a@b', '@example.com', 'name@.', '电话 123456'].some((s) => regex.test(s))).toBe(false);
  });

  it('a logged text is masked in time, and its addresses and numbers still are', () => {
    for (const s of [words, dots, digits, `${'a1'.repeat(N / 2)}`, `${'a-'.repeat(N / 2)}@`]) expect(timed(() => withoutContacts(s)).ms).toBeLessThan(LIMIT_MS);
    expect(withoutContacts(`${words} zhang.san+qc@example.com.cn 13812345678`)).toBe(`${words} [邮箱] [号码]`);
    expect(withoutContacts('a@b.c+x@d.e，a@b.c@d.e')).toBe('[邮箱][邮箱]，[邮箱]@d.e');
  });

  it('a look-up field is read in time, and an e-mail in it is still one', () => {
    const { ms } = timed(() => {
      try {
        parseLookup(dots.trim() + ' x', 'contactLookup', '单位联系人');
      } catch {
        // refused by name: it is no e-mail
      }
    });
    expect(ms).toBeLessThan(LIMIT_MS);
    expect(() => parseLookup(dots.trim() + ' x', 'contactLookup', '单位联系人')).toThrow('不是手机号或邮箱');
    expect(parseLookup('zhang@example.com，13800000000', 'contactLookup', '单位联系人')).toEqual({ emails: ['zhang@example.com'], mobiles: ['13800000000'] });
    // every wrong entry at once, not one submit each; a long list of them is counted past the fifth
    expect(() => parseLookup('13800000007，1380000000, 王五', 'memberLookup', '添加成员')).toThrow(
      '添加成员：“1380000000”少了数字，手机号应为 11 位数字，这里是 10 位；“王五”不是手机号或邮箱，请改正。',
    );
    expect(() => parseLookup(Array.from({ length: 8 }, (_, i) => `张${i}`).join('、'), 'memberLookup', '添加成员')).toThrow(/“张4”不是手机号或邮箱；另有 3 处，请改正。$/);
  });

  it('a chat message with a long run of spaces inside is read for a command in time', () => {
    const bot = createBot();
    expect(timed(() => bot.matchCommand(`注册${' '.repeat(N)}x`)).ms).toBeLessThan(LIMIT_MS);
    expect(timed(() => bot.matchCommand(`注册${' '.repeat(N)}机器人`)).ms).toBeLessThan(LIMIT_MS);
    // whom it is said to, after spaces or a comma, is still read off
    expect(bot.matchCommand('注册   机器人')?.def.names).toContain('注册');
    expect(bot.matchCommand('进度，机器人')?.def.names).toContain('进度');
  });
});
