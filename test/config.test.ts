import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config.js';

describe('configuration', () => {
  it('defaults to local mode with embedded PGlite', () => {
    const c = parseConfig({});
    expect(c.localMode).toBe(true);
    expect(c).toMatchObject({ LARK_DOMAIN: 'feishu', LARK_EVENT_MODE: 'ws', DATA_DIR: './data', HOST: '127.0.0.1', PORT: 3000, BOT_TIMEZONE: 'Asia/Shanghai', LOG_LEVEL: 'info', ADMIN_OPEN_IDS: [] });
    expect(c.DATABASE_URL).toBeUndefined();
  });

  it('accepts a base URL as domain and a list of admins', () => {
    const c = parseConfig({ LARK_APP_ID: 'cli_a1b2c3d4e5f60718', LARK_APP_SECRET: 's', LARK_DOMAIN: 'http://127.0.0.1:8080', ADMIN_OPEN_IDS: 'ou_a, ou_b' });
    expect(c.localMode).toBe(false);
    expect(c.LARK_DOMAIN).toBe('http://127.0.0.1:8080');
    expect(c.ADMIN_OPEN_IDS).toEqual(['ou_a', 'ou_b']);
  });

  it.each([
    [{ PORT: 'abc' }, /^PORT /],
    [{ PORT: '70000' }, /^PORT /],
    [{ LARK_EVENT_MODE: 'webhook' }, /^LARK_EVENT_MODE /],
    [{ LARK_DOMAIN: 'open.feishu.cn' }, /^LARK_DOMAIN must be/],
    [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL must start with postgres/],
    [{ BOT_TIMEZONE: 'Mars/Olympus' }, /^BOT_TIMEZONE /],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL /],
    [{ ADMIN_OPEN_IDS: 'alice' }, /^ADMIN_OPEN_IDS /],
    [{ LARK_APP_ID: 'cli_x' }, /^LARK_APP_SECRET must be set together/],
    [{ LARK_APP_ID: 'cli_x', LARK_APP_SECRET: 's', LARK_EVENT_MODE: 'http' }, /^LARK_ENCRYPT_KEY is required/],
    [{ LARK_APP_ID: 'cli_x', LARK_APP_SECRET: 's' }, /^LARK_APP_ID must be cli_ followed by 16 hex digits/],
  ])('refuses %o naming the variable', (env, message) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(message);
  });
});
