/**
 * Slips of the thumb on a command or a menu button's label (regster, stauts, 进渡, 注删, 我的班级): what a short text
 * that is no command was most likely meant to be. Pure; the registry supplies its commands and the caller's menu.
 */

const ASCII = /^[\x00-\x7f]+$/;

/** Optimal string alignment distance: a swapped pair (stauts) is one edit, as one slip of the thumb makes it. */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[x.length][y.length];
}

/**
 * Words one character from a command or a label that mean another thing, often its opposite (注销 undoes what 注册
 * does, 导出 is no 导入, 投票 no 投诉, 进入 no 进度): a text starting with one is never taken for a slip.
 */
const NOT_SLIPS = ['注销', '退出', '投票', '进入', '导出', '申诉'];

/**
 * How far `typed` is from `name` when it is a slip for it, else undefined: an English name one edit off (two from
 * seven letters: regster, artcle), a Chinese one with one character changed in place (进渡, 注删, 我的班级). The same
 * text is no slip: it would have been matched, nor is a word of its own (NOT_SLIPS).
 */
export function slipDistance(typed: string, name: string): number | undefined {
  // nor is a slip taken for one of those words (导人 is 导入 mistyped, not 导出)
  if (typed === name || NOT_SLIPS.some((w) => typed.startsWith(w)) || NOT_SLIPS.includes(name)) return undefined;
  if (ASCII.test(name)) {
    if (!ASCII.test(typed) || name.length < 4 || typed.length < 3) return undefined;
    const distance = editDistance(typed, name);
    return distance <= (name.length >= 7 ? 2 : 1) ? distance : undefined;
  }
  const a = [...typed];
  const b = [...name];
  if (a.length !== b.length || b.length < 2) return undefined;
  return a.filter((c, i) => c !== b[i]).length === 1 ? 1 : undefined;
}

/** Longest text read as a slip: a command and a short argument at most; anything longer is a question. */
export const SLIP_MAX_LENGTH = 16;

/** `artcle 16` → `artcle`, `16`; `条欵16` → `条欵`, `16`; `进渡` → `进渡`, ``. */
export function headAndRest(t: string): { head: string; rest: string } {
  const m = /^(\S+?)(?:\s+(.*)|(\d+))?$/.exec(t);
  return m ? { head: m[1], rest: (m[2] ?? m[3] ?? '').trim() } : { head: t, rest: '' };
}
