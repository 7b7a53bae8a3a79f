import { describe, expect, it } from 'vitest';
import { answersOutsideMeasures, nextSteps, outsideMeasuresLeftOut } from '../cards/measures.js';

/** A pasted run of digits after a character costs the lines on what to send next no more than a short question does. */
describe('what to send next, for a very long text', () => {
  const digits = `第${'1'.repeat(60_000)}`;

  it('reads 第 and 60 000 digits in a few milliseconds, not seconds (one event held up every other one)', () => {
    const started = performance.now();
    nextSteps(digits, 'zh');
    nextSteps(digits, 'en');
    answersOutsideMeasures(digits);
    outsideMeasuresLeftOut(digits);
    // about 10 ms alone; the bound is for the seconds a backtracking pattern took (a loaded CI run measured 330 ms once)
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('still reads a score typed with its number (85分能评上吗)', () => {
    expect(nextSteps('85分能评上吗').join('\n')).toContain('授予称号分数线');
  });
});
