import { describe, expect, it } from 'vitest';
import { ConfigError, loadDotEnv, parseConfig, wsAppIdProblem } from '../src/config.js';
import { scratchDir } from './support/scratch.js';

describe('configuration', () => {
  it('defaults to local mode with embedded PGlite', () => {
    const c = parseConfig({});
    expect(c.localMode).toBe(true);
    expect(c).toMatchObject({ LARK_DOMAIN: 'feishu', LARK_EVENT_MODE: 'ws', DATA_DIR: './data', HOST: '127.0.0.1', PORT: 3000, BOT_TIMEZONE: 'Asia/Shanghai', LOG_LEVEL: 'info', ADMIN_OPEN_IDS: [] });
    expect(c.DATABASE_URL).toBeUndefined();
  });

  it('local mode takes a loopback HOST; a configured app any HOST; TRUST_PROXY is off unless a hop count is given', () => {
    for (const HOST of ['127.0.0.1', 'localhost', '::1', '127.0.0.2']) expect(parseConfig({ HOST }).HOST).toBe(HOST);
    expect(parseConfig({ HOST: '0.0.0.0', LARK_APP_ID: 'cli_a1b2c3d4e5f60718', LARK_APP_SECRET: 's' }).HOST).toBe('0.0.0.0');
    expect(parseConfig({}).TRUST_PROXY).toBe(0);
    expect(parseConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
  });

  it('accepts a base URL as domain and a list of admins', () => {
    const c = parseConfig({ LARK_APP_ID: 'cli_a1b2c3d4e5f60718', LARK_APP_SECRET: 's', LARK_DOMAIN: 'http://127.0.0.1:8080', ADMIN_OPEN_IDS: 'ou_a, ou_b' });
    expect(c.localMode).toBe(false);
    expect(c.LARK_DOMAIN).toBe('http://127.0.0.1:8080');
    expect(c.ADMIN_OPEN_IDS).toEqual(['ou_a', 'ou_b']);
  });

  it('reads a level, a mode and the domain’s keyword as typed in capitals, and a port with spaces around it', () => {
    expect(parseConfig({ LOG_LEVEL: 'INFO', PORT: ' 8080 ' })).toMatchObject({ LOG_LEVEL: 'info', PORT: 8080 });
    for (const [typed, read] of [['Feishu', 'feishu'], ['FEISHU', 'feishu'], ['LARK', 'lark'], ['Lark ', 'lark']]) expect(parseConfig({ LARK_DOMAIN: typed }).LARK_DOMAIN, typed).toBe(read);
    expect(parseConfig({ LARK_APP_ID: 'cli_a1b2c3d4e5f60718', LARK_APP_SECRET: 's', LARK_EVENT_MODE: 'HTTP', LARK_ENCRYPT_KEY: 'k', LARK_VERIFICATION_TOKEN: 't' }).LARK_EVENT_MODE).toBe('http');
  });

  it.each([
    [{ PORT: 'abc' }, /^PORT /],
    [{ PORT: '70000' }, /^PORT /],
    [{ PORT: '0x10' }, /^PORT must be a port number/],
    [{ PORT: '1e3' }, /^PORT must be a port number/],
    [{ LARK_EVENT_MODE: 'webhook' }, /^LARK_EVENT_MODE must be ws or http$/],
    [{ LARK_DOMAIN: 'open.feishu.cn' }, /^LARK_DOMAIN must be/],
    [{ LARK_DOMAIN: 'http://127.0.0.1:99999' }, /^LARK_DOMAIN must be/],
    [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL must start with postgres/],
    [{ BOT_TIMEZONE: 'Mars/Olympus' }, /^BOT_TIMEZONE /],
    [{ BOT_TIMEZONE: 'CST' }, /^BOT_TIMEZONE must be a region name such as Asia\/Shanghai \(an abbreviation like CST is ambiguous\)/],
    [{ BOT_TIMEZONE: 'PRC' }, /^BOT_TIMEZONE must be a region name/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent$/],
    [{ DATABASE_URL: 'postgres://bot@db/gdsz?password=QSECRET99' }, /^DATABASE_URL has the password in its query \(\?password=…\), which postgres\.js does not read: write it as postgres:\/\/user:password@host\/db$/],
    [{ ADMIN_OPEN_IDS: 'alice' }, /^ADMIN_OPEN_IDS /],
    // a character an open_id never holds: the <at> of it would make Feishu refuse every card naming that administrator
    [{ ADMIN_OPEN_IDS: 'ou_a, ou_5f2e-41c0' }, /^ADMIN_OPEN_IDS must be comma-separated open_ids .*not an open_id: ou_5f2e-41c0 \(/],
    // a union_id copied from the admin console: the IT person is told how the open_id is learnt
    [{ ADMIN_OPEN_IDS: 'on_6bc1e6c0e9ad8193fa4391278eb76891' }, /not an open_id: on_6bc1e6c0e9ad8193fa4391278eb76891 \(leave it empty and send 管理 to the bot: it answers with the sender's open_id for this app\)$/],
    [{ LARK_APP_ID: 'cli_x' }, /^LARK_APP_SECRET must be set together/],
    [{ LARK_APP_ID: 'cli_x', LARK_APP_SECRET: 's', LARK_EVENT_MODE: 'http' }, /^LARK_ENCRYPT_KEY is required/],
    [{ HOST: '0.0.0.0' }, /^HOST is 0\.0\.0\.0, but local mode \(no LARK_APP_ID\) listens only on 127\.0\.0\.1, ::1 or localhost$/],
    [{ HOST: '192.168.1.20' }, /^HOST is 192\.168\.1\.20, but local mode/],
    [{ TRUST_PROXY: 'true' }, /^TRUST_PROXY must be the number of reverse proxies/],
    [{ TRUST_PROXY: '-1' }, /^TRUST_PROXY /],
  ])('refuses %o naming the variable', (env, message) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(message);
  });

  it('warns about an app id the long connection would refuse, without refusing to start', () => {
    expect(wsAppIdProblem(parseConfig({ LARK_APP_ID: 'cli_test', LARK_APP_SECRET: 's' }))).toMatch(/^LARK_APP_ID /);
    expect(wsAppIdProblem(parseConfig({ LARK_APP_ID: 'cli_A1B2C3D4E5F60718', LARK_APP_SECRET: 's' }))).toBeUndefined();
    expect(wsAppIdProblem(parseConfig({ LARK_APP_ID: 'cli_test', LARK_APP_SECRET: 's', LARK_EVENT_MODE: 'http', LARK_ENCRYPT_KEY: 'k', LARK_VERIFICATION_TOKEN: 't' }))).toBeUndefined();
  });

  it('reads a .env file: quotes kept as written, trailing comments and spaces dropped, the environment wins', async () => {
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const file = join(scratchDir('env'), '.env');
    writeFileSync(
      file,
      'PORT=3001 # web\nLARK_VERIFICATION_TOKEN=abc   \nLOG_LEVEL="debug # not a comment"\n# HOST=0.0.0.0\nDATA_DIR=./x\nLARK_ENCRYPT_KEY="ek" # from the developer console\nLARK_APP_SECRET=\'s"q\'  # quoted once\n',
    );
    const env: NodeJS.ProcessEnv = { DATA_DIR: './kept' };
    loadDotEnv(file, env);
    // a comment after a quoted value went into it, quotes and all: every callback's signature was refused
    expect(env).toEqual({ PORT: '3001', LARK_VERIFICATION_TOKEN: 'abc', LOG_LEVEL: 'debug # not a comment', DATA_DIR: './kept', LARK_ENCRYPT_KEY: 'ek', LARK_APP_SECRET: 's"q' });
  });

  it('reads a key a .env file repeats at its last line, as node --env-file and dotenv do; the environment still wins', async () => {
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const file = join(scratchDir('env-repeated'), '.env');
    writeFileSync(file, 'LOG_LEVEL=info\nPORT=3000\nDATA_DIR=./a\n# appended to debug\nLOG_LEVEL=debug\nPORT=8080\nDATA_DIR=./b\n');
    const env: NodeJS.ProcessEnv = { DATA_DIR: './kept' };
    loadDotEnv(file, env);
    expect(env).toEqual({ LOG_LEVEL: 'debug', PORT: '8080', DATA_DIR: './kept' });
  });

  it('takes the app id and secrets without the line feed a secret mounted from a file ends in', () => {
    const c = parseConfig({ LARK_APP_ID: 'cli_a1b2c3\n', LARK_APP_SECRET: ' secret\n', LARK_EVENT_MODE: 'http', LARK_ENCRYPT_KEY: 'ek\r\n', LARK_VERIFICATION_TOKEN: '\tvt\n' });
    expect([c.LARK_APP_ID, c.LARK_APP_SECRET, c.LARK_ENCRYPT_KEY, c.LARK_VERIFICATION_TOKEN]).toEqual(['cli_a1b2c3', 'secret', 'ek', 'vt']);
    expect(parseConfig({ LARK_APP_SECRET: ' \n' }).LARK_APP_SECRET).toBeUndefined();
  });
});
