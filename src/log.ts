import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths whose values never reach a log line. */
export const redactedPaths = [
  'appSecret',
  'app_secret',
  'encryptKey',
  'encrypt_key',
  'verificationToken',
  'token',
  'tenant_access_token',
  'authorization',
  'headers.authorization',
  'config.LARK_APP_SECRET',
  'config.LARK_ENCRYPT_KEY',
  'config.LARK_VERIFICATION_TOKEN',
  'config.DATABASE_URL',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    { level, redact: { paths: redactedPaths, censor: '[redacted]' }, base: undefined, timestamp: pino.stdTimeFunctions.isoTime },
    destination as never,
  );
}

/** Removes the password from a database URL before it is shown. */
export function safeDatabaseUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]*)@/, '//$1:***@');
}
