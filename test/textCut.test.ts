import { describe, expect, it } from 'vitest';
import { clipText, cutText } from '../cards/kit.js';
import { excerpt } from '../cards/complaints.js';
import { textInput } from '../cards/forms.js';

/** No lone surrogate: what String.prototype.isWellFormed (ES2024) tells. */
const wellFormed = (s: string) => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

describe('cutting a text for a card keeps whole characters', () => {
  const mixed = `班组A😀𠮷b${'🚧'.repeat(5)}c`;

  it('never ends in the first half of a character outside the BMP, at any length', () => {
    for (let n = 0; n <= mixed.length + 1; n++) {
      const cut = cutText(mixed, n);
      expect(wellFormed(cut), `at ${n}`).toBe(true);
      expect(mixed.startsWith(cut), `at ${n}`).toBe(true);
      // one unit shorter only where a whole character would not fit
      expect(cut.length, `at ${n}`).toBe(Math.min(n, mixed.length) - (n < mixed.length && n > 0 && /[\ud800-\udbff]/.test(mixed[n - 1]) ? 1 : 0));
      expect(wellFormed(clipText(mixed, n)), `at ${n}`).toBe(true);
    }
    expect(cutText('ab😀', 3)).toBe('ab');
    expect(clipText('ab😀c', 3)).toBe('ab…');
    expect(clipText('ab😀', 4)).toBe('ab😀');
  });

  it('in the complaint excerpt and in an input pre-filled with a kept text', () => {
    expect(excerpt(`${'路'.repeat(59)}😀后`, 60)).toBe(`${'路'.repeat(59)}…`);
    const input = textInput({ name: 'content', label: '投诉内容', value: `${'a'.repeat(999)}😀b`, maxLength: 1000 }) as { default_value: string };
    expect(input.default_value).toBe('a'.repeat(999));
  });
});
