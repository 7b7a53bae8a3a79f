/**
 * A refusal the user should read: what is wrong and what to do, citing the article where a rule
 * of the measures is behind it. Handlers turn it into an error toast; the transaction rolls back.
 */
export class UserError extends Error {
  constructor(
    message: string,
    /** `problems`: each problem of a form refused for several (`formProblems`), the message then saying how many and the first. */
    readonly opts: { field?: string; article?: number; kind?: 'error' | 'warning' | 'info'; problems?: readonly string[] } = {},
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** A refusal as a form card's 请修改 block shows it: its message and field, and each problem when the form had several. */
export function formErrorOf(err: UserError): { field?: string; message: string; problems?: readonly string[] } {
  return { field: err.opts.field, message: err.message, ...(err.opts.problems ? { problems: err.opts.problems } : {}) };
}

/** Where a thing already done is on record: the audit row its first doing wrote. */
export interface DoneRecord {
  /** The audit action that did it; several when more than one action leads to the same state (启用 and 添加专家). */
  action: string | readonly string[];
  entity: string;
  entityId: string | number;
  /** One of the row's details, when the entity's rows of that action are about several things (which member was removed). */
  detail?: { key: string; value: string };
}

/**
 * A second submit of what is already done: nothing changes, and the answer is an info toast naming
 * when it was done, read from the audit row in the answer's transaction (after the first has committed).
 */
export class AlreadyDone extends UserError {
  constructor(
    readonly what: string,
    readonly record: DoneRecord,
    readonly detail = '',
    /** Said when nothing is on record (the form was saved unchanged before anything was done). */
    readonly otherwise?: string,
    /** Said after either: what became of this submit (a form sent again with other values was not saved). */
    readonly then = '',
  ) {
    super(`已${what}${detail}，无需重复${what}。${then}`, { kind: 'info' });
    this.name = 'AlreadyDone';
  }

  /** The answer once the time is known: 已于 2026年12月1日 08:22 提交（总分 88 分），无需重复提交。 */
  at(when: string | undefined): string {
    return when ? `已于 ${when} ${this.what}${this.detail}，无需重复${this.what}。${this.then}` : this.otherwise !== undefined ? `${this.otherwise}${this.then}` : this.message;
  }
}

/** 第十六条 style prefix for a message. */
export function cite(article: number, text: string): string {
  return `第${articleNumeral(article)}条：${text}`;
}

/** 第七条第4款 style prefix: a clause of an article. */
export function citeClause(article: number, clause: number, text: string): string {
  return `第${articleNumeral(article)}条第${clause}款：${text}`;
}

const digits = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
export function articleNumeral(n: number): string {
  if (n < 10) return digits[n];
  if (n < 20) return `十${n % 10 ? digits[n % 10] : ''}`;
  return `${digits[Math.floor(n / 10)]}十${n % 10 ? digits[n % 10] : ''}`;
}
