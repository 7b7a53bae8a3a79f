import { describe, expect, it } from 'vitest';
import { contactPhrase, withContact, withContactInCard } from '../cards/contact.js';
import { button, card, CARD_BYTES_BUDGET, cardBodyBytes, markdown, md, note, plain } from '../cards/kit.js';
import { expectValidCard } from './support/cards.js';

/** How 协会联系方式 goes into the texts that send someone to the association (cards/contact.ts). */
const contact = { name: '协会秘书处 张三', phone: '020-12345678', email: 'office@example.org', hours: '工作日 9:00–17:00' };

describe('协会联系方式 after 请联系协会', () => {
  it('is worded once, with only what is set', () => {
    expect(contactPhrase(contact)).toBe('协会秘书处 张三，电话 020-12345678，邮箱 office@example.org，办公时间 工作日 9:00–17:00');
    expect(contactPhrase({ name: '秘书处', email: 'a@b.cn' })).toBe('秘书处，邮箱 a@b.cn');
  });

  it('follows each 联系协会 and 联系协会管理员, once however often it is applied, and leaves a text without it alone', () => {
    const text = '如需修改，请联系协会管理员重开；如有疑问，请联系协会。';
    const once = withContact(text, { name: '秘书处', phone: '020-12345678' });
    expect(once).toBe('如需修改，请联系协会管理员（秘书处，电话 020-12345678）重开；如有疑问，请联系协会（秘书处，电话 020-12345678）。');
    expect(withContact(once, { name: '秘书处', phone: '020-12345678' })).toBe(once);
    const odd = { name: '有事请联系协会秘书处', phone: '020-12345678' };
    expect(withContact(withContact(text, odd), odd)).toBe(withContact(text, odd));
    expect(withContact(text, undefined)).toBe(text);
    expect(withContact('请告诉协会管理员', contact)).toBe('请告诉协会管理员');
    expect(withContact('请本班组的班组长办理，或联系协会。', { name: '秘书处', phone: '020-12345678' })).toBe('请本班组的班组长办理，或联系协会（秘书处，电话 020-12345678）。');
    // a bracket of the text's own after it is no contact: the contact goes before it
    expect(withContact('请核实情况并整改；如有异议，请联系协会（第二十一条：接受社会各界的监督）。', { name: '秘书处', phone: '020-12345678' })).toBe(
      '请核实情况并整改；如有异议，请联系协会（秘书处，电话 020-12345678）（第二十一条：接受社会各界的监督）。',
    );
    // the command's name is no such text
    expect(withContact('发送“联系协会”查看协会的联系方式', contact)).toBe('发送“联系协会”查看协会的联系方式');
  });

  it('is escaped in a card’s markdown, as typed in its plain text, and never put into a button’s value', () => {
    const typed = { name: '**秘书处** <at id=all></at>', phone: '020-12345678' };
    const drawn = card({
      title: '请联系协会',
      elements: [markdown(md`如有疑问，请联系协会。`), note('全文请联系协会。'), button({ text: '联系协会', value: { action: 'x', said: '请联系协会' } })],
    });
    const shown = withContactInCard(drawn, typed);
    expectValidCard(shown);
    const [text, small, pressed] = shown.body.elements as any[];
    expect(text.content).toBe('如有疑问，请联系协会（&#42;&#42;秘书处&#42;&#42; &#60;at id=all&#62;&#60;/at&#62;，电话 020-12345678）。');
    expect(small.content).toContain('请联系协会（&#42;&#42;秘书处');
    expect((shown.header as any).title).toEqual(plain('请联系协会（**秘书处** <at id=all></at>，电话 020-12345678）'));
    // a button's label is the command's name: not a text sending anyone to the association
    expect(pressed.text).toEqual(plain('联系协会'));
    expect(pressed.behaviors).toEqual([{ type: 'callback', value: { action: 'x', said: '请联系协会' } }]);
    // the card drawn is not changed, and one without the words is the same object
    expect((drawn.body.elements[0] as any).content).toBe('如有疑问，请联系协会。');
    const other = card({ title: '进度', elements: [markdown('已提交')] });
    expect(withContactInCard(other, typed)).toBe(other);
  });

  it('leaves out of a card near the size limit rather than push it over', () => {
    // the longest filler that keeps the card within the budget: a few bytes under it
    const drawn = (n: number) => card({ title: '长卡片', elements: [markdown('如有疑问，请联系协会。'), ...Array.from({ length: 10 }, () => markdown(md`${'很'.repeat(900)}`)), markdown(md`${'很'.repeat(n)}`)] });
    let [low, high] = [0, 900];
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (cardBodyBytes(drawn(mid)) <= CARD_BYTES_BUDGET) low = mid;
      else high = mid - 1;
    }
    const near = drawn(low);
    expect(cardBodyBytes(near)).toBeLessThanOrEqual(CARD_BYTES_BUDGET);
    expect(cardBodyBytes(near)).toBeGreaterThan(CARD_BYTES_BUDGET - 10);
    expect(withContactInCard(near, contact)).toBe(near);
  });
});
