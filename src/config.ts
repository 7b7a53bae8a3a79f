import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { passwordInQuery } from './log.js';

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
/**
 * The app's id and secrets as the developer console shows them, which hold no spaces: a secret mounted from a file
 * (a Kubernetes secret) ends in a line feed, and kept so every callback's token was refused with nothing said at start.
 */
const secretString = z.preprocess((v) => emptyToUndefined(typeof v === 'string' ? v.trim() : v), z.string().optional());
/** INFO and HTTP as an administrator types them in a .env are info and http. */
const lowerCased = (v: unknown) => (typeof v === 'string' ? emptyToUndefined(v.trim().toLowerCase()) : v);

/** A base URL the SDK can use: the pattern in domainSchema alone lets through a port past 65535 or a host no URL parser takes. */
function validUrl(v: string): boolean {
  try {
    new URL(v);
    return true;
  } catch {
    return false;
  }
}

/** Feishu, LARK and ` lark ` are the keywords as any other keyword variable reads them; a base URL is kept as typed. */
const domainKeyword = (v: unknown) => (typeof v === 'string' && /^\s*(?:feishu|lark)\s*$/i.test(v) ? v.trim().toLowerCase() : emptyToUndefined(v));

const domainSchema = z.preprocess(
  domainKeyword,
  z
    .string()
    .default('feishu')
    .refine((v) => v === 'feishu' || v === 'lark' || (/^https?:\/\/[^\s/]+(:\d+)?\/?$/.test(v) && validUrl(v)), {
      message: 'must be "feishu", "lark" or a base URL such as http://127.0.0.1:8080',
    }),
);

const timezoneSchema = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .default('Asia/Shanghai')
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, { message: 'must be an IANA timezone such as Asia/Shanghai' })
    // an abbreviation is ambiguous: CST is US Central to the runtime, not China Standard Time, and every date would be
    // a day off; a region name (Asia/Shanghai) or UTC says which
    .refine((tz) => tz.includes('/') || /^(UTC|Etc\/.+)$/i.test(tz), { message: 'must be a region name such as Asia/Shanghai (an abbreviation like CST is ambiguous)' }),
);

export const configSchema = z
  .object({
    LARK_APP_ID: secretString,
    LARK_APP_SECRET: secretString,
    LARK_DOMAIN: domainSchema,
    LARK_EVENT_MODE: z.preprocess(lowerCased, z.enum(['ws', 'http'], { error: 'must be ws or http' }).default('ws')),
    LARK_ENCRYPT_KEY: secretString,
    LARK_VERIFICATION_TOKEN: secretString,
    DATABASE_URL: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
        // postgres.js reads no password from the query: it sends `password` to the server as a setting, which refuses it
        .refine((url) => !passwordInQuery(url), 'has the password in its query (?password=…), which postgres.js does not read: write it as postgres://user:password@host/db')
        .optional(),
    ),
    DATA_DIR: z.preprocess(emptyToUndefined, z.string().default('./data')),
    HOST: z.preprocess(emptyToUndefined, z.string().default('127.0.0.1')),
    // decimal digits only: Number() would also take 0x10, 1e3 and 0b11
    PORT: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(/^\s*\d{1,5}\s*$/, 'must be a port number (0–65535)')
        .transform(Number)
        .pipe(z.number().int().max(65535, 'must be a port number (0–65535)'))
        .default(3000),
    ),
    // how many reverse proxies stand in front of the bot; 0 means X-Forwarded-For is never believed
    TRUST_PROXY: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .default('0')
        .refine((v) => /^(0|[1-9]\d?)$/.test(v), { message: 'must be the number of reverse proxies in front of the bot (0, the default, trusts none)' })
        .transform(Number),
    ),
    ADMIN_OPEN_IDS: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .default('')
        .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
        // an open_id is ou_ and letters, digits or _ (the same test as mention() in cards/markdown.ts): one with any other
        // character is no user, and an <at> of it makes Feishu refuse the whole card (230099 / 100290)
        .superRefine((ids, ctx) => {
          const bad = ids.filter((id) => !/^ou_\w{1,64}$/.test(id));
          // a user_id, union_id (on_…) or e-mail pasted from the admin console is the usual mistake: say where the open_id is found
          if (bad.length) ctx.addIssue({ code: 'custom', message: `must be comma-separated open_ids (ou_ then letters, digits or _); not an open_id: ${bad.join(', ')} (leave it empty and send 管理 to the bot: it answers with the sender's open_id for this app)` });
        }),
    ),
    BOT_TIMEZONE: timezoneSchema,
    // 荣誉证书 (第二十条): the association's SVG template and the CJK font it is drawn with; defaults in src/certificates/render.ts
    CERTIFICATE_TEMPLATE: optionalString,
    CERTIFICATE_FONT: optionalString,
    LOG_LEVEL: z.preprocess(
      lowerCased,
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'must be one of fatal, error, warn, info, debug, trace, silent' }).default('info'),
    ),
  })
  .superRefine((c, ctx) => {
    if (Boolean(c.LARK_APP_ID) !== Boolean(c.LARK_APP_SECRET)) {
      const missing = c.LARK_APP_ID ? 'LARK_APP_SECRET' : 'LARK_APP_ID';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'must be set together with the other (both unset means local mode)' });
    }
    // the local console lets anyone act as anyone: it must never be reachable from another machine
    if (!c.LARK_APP_ID && !isLoopbackHost(c.HOST)) {
      ctx.addIssue({ code: 'custom', path: ['HOST'], message: `is ${c.HOST}, but local mode (no LARK_APP_ID) listens only on 127.0.0.1, ::1 or localhost` });
    }
    if (c.LARK_APP_ID && c.LARK_EVENT_MODE === 'http') {
      for (const key of ['LARK_ENCRYPT_KEY', 'LARK_VERIFICATION_TOKEN'] as const) {
        if (!c[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'is required when LARK_EVENT_MODE=http' });
      }
    }
  });

/** 127.0.0.0/8, ::1 and localhost: addresses no other machine can reach. */
/** The host name of an HTTP Host header (its port and IPv6 brackets off), '' when it has none a URL takes. */
export function hostOfHeader(header: string | undefined): string {
  try {
    return new URL(`http://${header ?? ''}`).hostname;
  } catch {
    return '';
  }
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

export type Config = z.output<typeof configSchema> & { localMode: boolean };

export class ConfigError extends Error {}

/** Why the long connection would not start (the SDK's WSClient silently refuses other app id shapes), or undefined. */
export function wsAppIdProblem(c: Config): string | undefined {
  if (c.LARK_APP_ID && c.LARK_EVENT_MODE === 'ws' && !/^cli_[0-9a-fA-F]{16}$/.test(c.LARK_APP_ID)) {
    return 'LARK_APP_ID is not cli_ followed by 16 hex digits: the long connection (LARK_EVENT_MODE=ws) will not start';
  }
  return undefined;
}

/** Parses the environment; the error names the first wrong variable and what is wrong with it. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0];
    const name = String(issue.path[0] ?? 'configuration');
    throw new ConfigError(`${name} ${issue.message.replace(/^Invalid input: /, '')}`);
  }
  return { ...result.data, localMode: !result.data.LARK_APP_ID };
}

/**
 * Reads KEY=VALUE lines of a .env file into the environment, never overriding what is already set. A key the file
 * repeats takes its last line, as `node --env-file`, dotenv, docker's `--env-file` and systemd's EnvironmentFile do (a
 * `LOG_LEVEL=debug` appended below `LOG_LEVEL=info` is debug).
 */
export function loadDotEnv(path = '.env', env: NodeJS.ProcessEnv = process.env): void {
  if (!existsSync(path)) return;
  const file = new Map<string, string>();
  for (const line of readFileSync(path, 'utf8').split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trim().startsWith('#')) continue;
    // quoted values are taken as written, a ` # comment` after the closing quote left out; unquoted ones lose a trailing ` # comment`
    const quoted = /^(['"])(.*?)\1(?:\s+#.*)?$/.exec(m[2]);
    const value = quoted ? quoted[2] : m[2].replace(/\s+#.*$/, '');
    file.set(m[1], value);
  }
  for (const [key, value] of file) if (env[key] === undefined) env[key] = value;
}

/** For entry points: the configuration from .env and the environment, or one line naming what is wrong and exit 1. */
export function configOrExit(): Config {
  loadDotEnv();
  try {
    return parseConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`configuration error: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
