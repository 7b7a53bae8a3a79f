import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLarkClient } from '../src/lark/client.js';
import { larkReader } from '../src/lark/reader.js';
import { sdkLogFields } from '../src/lark/client.js';
import { createLogger, databaseUrlProblem, errorText, safeDatabaseUrl, withoutContacts } from '../src/log.js';

/**
 * The SDK throws axios errors whose request config and socket dump hold `Authorization: Bearer t-…`; logged as
 * `{ err }` (a failed address-book read, a failed download in a job) they must leave only what says what failed.
 */
const TOKEN = 't-TENANTSECRET0123456789';
let server: Server;
let url = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.url?.startsWith('/open-apis/auth/v3/tenant_access_token/internal')) return res.end(JSON.stringify({ code: 0, msg: 'ok', tenant_access_token: TOKEN, expire: 7200 }));
      res.statusCode = 400;
      res.setHeader('x-tt-logid', '20261202103000ABCDEF');
      res.end(
        JSON.stringify({
          code: 99991672,
          msg: 'Access denied. One of the following scopes is required: [contact:user.base:readonly]',
          error: { log_id: '20261202103000ABCDEF', troubleshooter: 'https://open.feishu.cn/search?log_id=20261202103000ABCDEF', field_violations: [{ field: 'user_id', description: 'invalid' }] },
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});

describe('contacts typed into a refusal', () => {
  it('masks mobiles, landlines and e-mail addresses, and keeps team codes, certificate numbers and dates', () => {
    expect(withoutContacts('单位联系人：没有找到 手机号 13812345678 对应的飞书用户')).toBe('单位联系人：没有找到 手机号 [号码] 对应的飞书用户');
    expect(withoutContacts('“138 1234 5678”、+86 13812345678、020-12345678 与 zhang.san+qc@example.com.cn')).toBe('“[号码]”、[号码]、[号码] 与 [邮箱]');
    const kept = 'GDSZ-2026-0001（GDSZ-ZS-2026-0012）于 2026-12-01 提交，得分 95.5，第 3000 行';
    expect(withoutContacts(kept)).toBe(kept);
  });
});

describe('errors in the log', () => {
  it('an SDK call refused with HTTP 400, logged as { err }, shows its status and Feishu code but not the token or the request', async () => {
    const lines: string[] = [];
    const log = createLogger('info', new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
    const client = createLarkClient({ appId: 'cli_logsecrets_test', appSecret: 'fake-secret-for-this-test', domain: url, log });
    const err = await larkReader(client)
      .userReach('ou_someone')
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeDefined();
    log.warn({ err: new Error('wrapped', { cause: err }) }, 'with a cause');
    log.warn({ err }, 'linking an imported person failed');
    const text = lines.join('');
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('fake-secret-for-this-test');
    expect(text).not.toMatch(/Authorization|_header/i);
    const line = JSON.parse(lines.at(-1)!) as { err: Record<string, unknown> };
    expect(line.err).toMatchObject({ status: 400, feishuCode: 99991672, logId: '20261202103000ABCDEF', troubleshooter: 'https://open.feishu.cn/search?log_id=20261202103000ABCDEF' });
    expect(String(line.err.fieldViolations)).toContain('user_id');
    expect(String(line.err.message)).toContain('400');
    expect(JSON.parse(lines.at(-2)!).err.cause).toMatchObject({ status: 400, feishuCode: 99991672 });
    // a line, not a dump of the socket
    expect(lines.at(-1)!.length).toBeLessThan(4000);
  });

  it('a database URL is shown without its password, however it is spelled', () => {
    expect(safeDatabaseUrl('postgres://u:p@ss@db:5432/x')).toBe('postgres://u:***@db:5432/x');
    expect(safeDatabaseUrl('postgres://:secret@db/x')).toBe('postgres://:***@db/x');
    expect(safeDatabaseUrl('postgres://bot:pw@127.0.0.1:5432/gdsz?sslmode=require')).toBe('postgres://bot:***@127.0.0.1:5432/gdsz?sslmode=require');
    expect(safeDatabaseUrl('postgres://127.0.0.1/gdsz')).toBe('postgres://127.0.0.1/gdsz');
    expect(safeDatabaseUrl('postgres://bot@127.0.0.1/gdsz')).toBe('postgres://bot@127.0.0.1/gdsz');
    // not valid URLs, still taken by postgres.js: the password must not leak through a parser's fallback
    expect(safeDatabaseUrl('postgres://bot:pa/ss@db.example/gdsz')).toBe('postgres://bot:***@db.example/gdsz');
    expect(safeDatabaseUrl('postgres://bot:p@ss#w0rd@db.example/gdsz')).toBe('postgres://bot:***@db.example/gdsz');
    expect(safeDatabaseUrl('postgres://bot:pa?ss@db.example/gdsz')).toBe('postgres://bot:***@db.example/gdsz');
    expect(safeDatabaseUrl('postgres://bot:S3cret@db1.example,db2.example/gdsz')).toBe('postgres://bot:***@db1.example,db2.example/gdsz');
    // libpq's spelling, in the query: refused by the configuration, never shown
    expect(safeDatabaseUrl('postgres://bot@db/gdsz?sslmode=require&password=QSECRET99')).toBe('postgres://bot@db/gdsz?sslmode=require&password=***');
    expect(safeDatabaseUrl('postgres://bot:pw1@db/gdsz?PASSWORD=Q2&sslpassword=Q3#x')).toBe('postgres://bot:***@db/gdsz?PASSWORD=***&sslpassword=***#x');
    const url = 'postgres://bot@127.0.0.1:1/gdsz?password=QSECRET99';
    const line = databaseUrlProblem(new Error(`connect ECONNREFUSED, options password=QSECRET99`), url);
    expect(line).toBe('DATABASE_URL postgres://bot@127.0.0.1:1/gdsz?password=*** cannot be used: connect ECONNREFUSED, options password=***');
  });

  it('a database error, logged or kept as text, names the query and the reason but none of its values', () => {
    const lines: string[] = [];
    const log = createLogger('info', new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
    // as Drizzle and PostgreSQL make them: the values in the message and `params`, a row in `detail`
    const pg = Object.assign(new Error('null value in column "phone" of relation "teams" violates not-null constraint'), {
      code: '23502', table_name: 'teams', column_name: 'phone', detail: 'Failing row contains (7, 江门道路养护组, 13912345678).',
    });
    const query = 'insert into "teams" ("name", "phone") values ($1, $2)';
    const drizzle = Object.assign(new Error(`Failed query: ${query}\nparams: 江门道路养护组\n    at 13912345678`, { cause: pg }), { query, params: ['江门道路养护组\n    at 13912345678'] });
    log.error({ err: new Error('registration failed', { cause: drizzle }) }, 'request failed');
    const text = lines.join('');
    expect(text).not.toContain('13912345678');
    expect(text).not.toContain('江门道路养护组');
    const err = JSON.parse(lines[0]!).err;
    expect(err.cause).toMatchObject({ query, message: expect.stringContaining('params: [not logged]') });
    expect(err.cause.cause).toMatchObject({ code: '23502', table_name: 'teams', column_name: 'phone' });
    expect(err.stack).toMatch(/params: \[not logged\]\n {4}at /);
    expect(errorText(drizzle)).toBe(`Failed query: ${query}\nparams: [not logged]`);
    expect(errorText(pg)).toBe(pg.message);
    // the SDK's own line quoting it, as its long connection writes a failed handler
    expect(sdkLogFields(`[ws] invoke event failed, message_type: event; error: ${drizzle}`)).toEqual([
      { message: `[ws] invoke event failed, message_type: event; error: Error: Failed query: ${query}\nparams: [not logged]` },
    ]);
  });
});
