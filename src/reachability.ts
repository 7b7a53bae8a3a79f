import type { Logger } from './log.js';

/** postgres.js's own codes for a connection it could not make or lost, and the socket's. */
const CONNECTION_CODES = new Set([
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Whether `err` (or an error it wraps: Drizzle's, the dispatcher's) says the database could not be reached: no
 * connection, a connection lost, or a server shutting down or starting (SQLSTATE class 08, 57P01–57P03).
 * Nothing was done by the statement that failed so.
 */
export function databaseUnreachable(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && typeof e === 'object' && depth < 5; e = e.cause as typeof e, depth++) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (CONNECTION_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return true;
  }
  return false;
}

/**
 * A loop's failures while the database is unreachable, said twice: once when it becomes unreachable, once when it
 * answers again. Any other failure is the caller's to log.
 */
export class OutageLog {
  private down = false;

  constructor(
    private readonly log: Logger,
    private readonly what: string,
  ) {}

  /** True when `err` is the database being unreachable (logged the first time). */
  failed(err: unknown): boolean {
    if (!databaseUnreachable(err)) return false;
    if (!this.down) {
      this.down = true;
      this.log.warn({ err }, `${this.what}: database unreachable; trying again until it answers`);
    }
    return true;
  }

  /** A round that reached the database. */
  reached(): void {
    if (!this.down) return;
    this.down = false;
    this.log.info(`${this.what}: database reachable again`);
  }
}
