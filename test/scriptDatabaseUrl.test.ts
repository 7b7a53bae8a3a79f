import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importTemplate } from '../src/import/workbook.js';

/**
 * npm run job and npm run import against a PostgreSQL they cannot use (nothing listening, a wrong password) say so in
 * one line naming DATABASE_URL without its password, as npm start does (DESIGN.md: one line naming the variable and
 * what is wrong): they printed a stack, and with an @ in the password, getaddrinfo's error named a piece of it.
 */
const dir = mkdtempSync(join(tmpdir(), 'script-db-url-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LARK_') && k !== 'DATABASE_URL' && k !== 'ADMIN_OPEN_IDS'));
const run = (args: string[], url: string) => spawnSync(process.execPath, ['--import', 'tsx', ...args], { env: { ...clean, DATABASE_URL: url }, encoding: 'utf8', timeout: 60_000 });

describe('a DATABASE_URL the scripts cannot use', () => {
  it.each([
    ['nothing listening', 'postgres://bot:S3cretPw@127.0.0.1:1/botdb', 'S3cretPw', /cannot be used: connect ECONNREFUSED 127\.0\.0\.1:1/],
    ['a password with @ and #', 'postgres://bot:Hun@ter2#Secret@127.0.0.1:1/botdb', 'ter2', /cannot be used: /],
  ])('npm run job, %s: one line, no password, no stack', (_name, url, secret, says) => {
    const job = run(['scripts/job.ts', 'digest'], url);
    expect(job.status).toBe(1);
    const lines = job.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^DATABASE_URL postgres:\/\/bot:\*\*\*@/);
    expect(lines[0]).toMatch(says);
    expect(lines[0]).toMatch(/; run npm run job -- digest again$/);
    expect(job.stderr + job.stdout).not.toContain(secret);
  });

  it('npm run import: the same line, saying to run it again', async () => {
    const file = join(dir, 'book.xlsx');
    writeFileSync(file, await importTemplate());
    const imported = run(['scripts/import.ts', file, '--yes'], 'postgres://bot:S3cretPw@127.0.0.1:1/botdb');
    expect(imported.status).toBe(1);
    const lines = imported.stderr.trim().split('\n');
    expect(lines).toEqual([expect.stringMatching(/^DATABASE_URL postgres:\/\/bot:\*\*\*@127\.0\.0\.1:1\/botdb cannot be used: connect ECONNREFUSED 127\.0\.0\.1:1; run npm run import again$/)]);
    expect(imported.stderr + imported.stdout).not.toContain('S3cretPw');
  });
});
