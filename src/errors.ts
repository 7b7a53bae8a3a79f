/**
 * A refusal the user should read: what is wrong and what to do, citing the article where a rule
 * of the measures is behind it. Handlers turn it into an error toast; the transaction rolls back.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly opts: { field?: string; article?: number; kind?: 'error' | 'warning' | 'info' } = {},
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** 第十六条 style prefix for a message. */
export function cite(article: number, text: string): string {
  return `第${articleNumeral(article)}条：${text}`;
}

const digits = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
export function articleNumeral(n: number): string {
  if (n < 10) return digits[n];
  if (n < 20) return `十${n % 10 ? digits[n % 10] : ''}`;
  return `${digits[Math.floor(n / 10)]}十${n % 10 ? digits[n % 10] : ''}`;
}
