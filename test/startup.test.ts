import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { startupProblem } from '../src/startup.js';
import { CertificateSetupError } from '../src/certificates/render.js';

/** The one line a failed start prints names what to fix: the port only when listen() failed, else the data folder. */
describe('a failed start', () => {
  const local = parseConfig({ DATA_DIR: '/srv/gdsz/data', PORT: '80' });
  const fsError = (code: string, syscall: string) => Object.assign(new Error(`${code}: permission denied, ${syscall} '/srv/gdsz/data/base'`), { code, syscall, path: '/srv/gdsz/data/base' });

  it('names the certificate setting at fault, not the database it was given', () => {
    const onPostgres = parseConfig({ DATABASE_URL: 'postgres://bot@db.internal/gdsz' });
    const font = new CertificateSetupError('CERTIFICATE_FONT: font not found: /nonexistent.ttf');
    expect(startupProblem(font, onPostgres)).toBe('CERTIFICATE_FONT: font not found: /nonexistent.ttf');
  });

  it('blames PORT for a port it may not listen on, and DATA_DIR for a folder it may not write', () => {
    const listen = Object.assign(new Error('listen EACCES: permission denied 127.0.0.1:80'), { code: 'EACCES', syscall: 'listen', address: '127.0.0.1', port: 80 });
    expect(startupProblem(listen, local)).toBe(
      '没有权限监听端口 80（1024 以下的端口需要管理员权限）：请设 PORT=3000 或 1024 以上的其他端口（PORT 80 on HOST 127.0.0.1 cannot be used: this user may not listen there (EACCES; ports below 1024 need administrator rights); set PORT=3000 or another port from 1024 up）',
    );
    expect(startupProblem(fsError('EACCES', 'open'), local)).toBe(
      "数据目录 /srv/gdsz/data 无法存放数据库：当前用户无权写入（EACCES）。请把 DATA_DIR 设到当前用户可写的文件夹，或以该文件夹的所有者运行，然后重新启动（DATA_DIR /srv/gdsz/data cannot hold the database: this user may not write there (EACCES); choose a DATA_DIR this user can write, or run the bot as the folder's owner, then start again）",
    );
    expect(startupProblem(fsError('EROFS', 'mkdir'), local)).toBe(
      '数据目录 /srv/gdsz/data 无法存放数据库：所在的文件系统是只读的（EROFS）。请把 DATA_DIR 设到可写的磁盘，或把它重新挂载为可写，然后重新启动（DATA_DIR /srv/gdsz/data cannot hold the database: the file system it is on is read-only (EROFS); choose a DATA_DIR on a writable disk, or remount it writable, then start again）',
    );
    expect(startupProblem(Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE', syscall: 'listen' }), local)).toBe(
      '端口 80 已被另一个程序占用（也许是已经在运行的机器人）：请先停止它，或换一个端口，如 PORT=3001（PORT 80 on HOST 127.0.0.1 cannot be used: another program listens there (EADDRINUSE); stop it, or set another port (PORT=3001)）',
    );
  });

  it('names the file in the way of a DATA_DIR under a file', () => {
    const parent = mkdtempSync(join(tmpdir(), 'startup-'));
    try {
      writeFileSync(join(parent, 'notes'), 'a file, not a folder\n');
      const under = parseConfig({ DATA_DIR: join(parent, 'notes', 'data') });
      for (const code of ['ENOTDIR', 'EEXIST']) {
        const err = Object.assign(new Error(`${code}: not a directory, mkdir '${join(parent, 'notes', 'data')}'`), { code, syscall: 'mkdir', path: join(parent, 'notes', 'data') });
        expect(startupProblem(err, under)).toBe(
          `数据目录 ${join(parent, 'notes', 'data')} 无法存放数据库：文件 ${join(parent, 'notes')} 挡在了需要文件夹的位置（${code}）。请移走这个文件，或换一个 DATA_DIR，然后重新启动（DATA_DIR ${join(parent, 'notes', 'data')} cannot hold the database: a file named ${join(parent, 'notes')} is in the way (a folder is needed there) (${code}); move that file, or choose another DATA_DIR, then start again）`,
        );
      }
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('blames DATA_DIR for a missing mount, a missing parent or a place nobody may write, naming the path; not for a file elsewhere', () => {
    const at = (code: string, syscall: string, path: string) => Object.assign(new Error(`${code}: no such file or directory, ${syscall} '${path}'`), { code, syscall, path });
    // a link to a mount that is gone: the lock file in it cannot be opened
    expect(startupProblem(at('ENOENT', 'open', '/srv/gdsz/data/.gdsz-bot.lock'), local)).toBe('数据目录 /srv/gdsz/data 无法存放数据库：找不到 /srv/gdsz/data/.gdsz-bot.lock（ENOENT）（DATA_DIR /srv/gdsz/data cannot hold the database (ENOENT at /srv/gdsz/data/.gdsz-bot.lock)）');
    // a parent that cannot be made
    expect(startupProblem(at('ENOENT', 'mkdir', '/srv/gdsz'), local)).toBe('数据目录 /srv/gdsz/data 无法存放数据库：找不到 /srv/gdsz（ENOENT）（DATA_DIR /srv/gdsz/data cannot hold the database (ENOENT at /srv/gdsz)）');
    expect(startupProblem(at('EPERM', 'mkdir', '/srv'), local)).toBe('数据目录 /srv/gdsz/data 无法存放数据库：无权访问 /srv（EPERM）（DATA_DIR /srv/gdsz/data cannot hold the database (EPERM at /srv)）');
    // a file the bot's own install misses is not the data folder's
    expect(startupProblem(at('ENOENT', 'open', '/opt/bot/node_modules/x.wasm'), local)).toBe("ENOENT: no such file or directory, open '/opt/bot/node_modules/x.wasm'");
    expect(startupProblem(at('ENOENT', 'open', '/srv/gdsz/database'), local)).toBe("ENOENT: no such file or directory, open '/srv/gdsz/database'");
  });

  it('blames DATA_DIR for a full disk met while copying into it, not for one elsewhere', () => {
    // cpSync's error names the file it read as path and the one it wrote as dest
    const copy = Object.assign(new Error("ENOSPC: no space left on device, copyfile '/opt/bot/node_modules/.cache/gdsz-bot/pglite-0.5.16-migrated/base/5/3119' -> '/srv/gdsz/data/base/5/3119'"), {
      code: 'ENOSPC', syscall: 'copyfile', path: '/opt/bot/node_modules/.cache/gdsz-bot/pglite-0.5.16-migrated/base/5/3119', dest: '/srv/gdsz/data/base/5/3119',
    });
    expect(startupProblem(copy, local)).toMatch(
      /^数据目录 \/srv\/gdsz\/data 所在的磁盘已满（ENOSPC(，剩余 [\d.]+ [KM]B)?）：请在该磁盘上腾出空间，然后重新启动（DATA_DIR \/srv\/gdsz\/data cannot hold the database: the disk it is on is full \((ENOSPC|[\d.]+ [KM]B left)\); free space on it, then start again）$/,
    );
    const elsewhere = Object.assign(new Error("ENOSPC: no space left on device, open '/opt/bot/build.log'"), { code: 'ENOSPC', syscall: 'open', path: '/opt/bot/build.log' });
    expect(startupProblem(elsewhere, local)).toBe("ENOSPC: no space left on device, open '/opt/bot/build.log'");
  });

  it('blames HOST for a listen address that does not resolve, with a server database too; the database for its own host', async () => {
    // the error listen() really gives for a name that does not resolve
    const listenError = await new Promise<Error>((resolve) => {
      const server = createServer();
      server.once('error', resolve);
      server.listen(0, 'nohost.invalid');
    });
    const server = parseConfig({
      LARK_APP_ID: 'cli_test_placeholder', LARK_APP_SECRET: 'placeholder-not-a-secret', LARK_EVENT_MODE: 'http', LARK_ENCRYPT_KEY: 'placeholder-key', LARK_VERIFICATION_TOKEN: 'placeholder-token',
      HOST: 'nohost.invalid', DATABASE_URL: 'postgres://bot@db.example.internal:5432/bot',
    });
    expect(startupProblem(listenError, server)).toMatch(/^HOST nohost\.invalid is not an address of this machine \((ENOTFOUND|EAI_AGAIN)\)$/);
    const { DATABASE_URL: _url, ...embedded } = server;
    expect(startupProblem(listenError, { ...embedded, DATABASE_URL: undefined } as typeof server)).toMatch(/^HOST nohost\.invalid is not/);
    // the database's own name not resolving stays the database's
    const dbError = Object.assign(new Error('getaddrinfo ENOTFOUND db.example.internal'), { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: 'db.example.internal' });
    expect(startupProblem(dbError, server)).toMatch(/^DATABASE_URL postgres:\/\/bot@db\.example\.internal:5432\/bot cannot be used: getaddrinfo ENOTFOUND/);
  });

  it('says no piece of the database password, even one the URL parser took for the host', async () => {
    // a password with an unescaped @ and # (a@PlaceholderTail#1): postgres.js reads PlaceholderTail as the host
    const url = 'postgres://bob:a@PlaceholderTail#1@127.0.0.1:1/db';
    const config = parseConfig({
      LARK_APP_ID: 'cli_test_placeholder', LARK_APP_SECRET: 'placeholder-not-a-secret', LARK_EVENT_MODE: 'http', LARK_ENCRYPT_KEY: 'placeholder-key', LARK_VERIFICATION_TOKEN: 'placeholder-token',
      DATABASE_URL: url,
    });
    const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} });
    const err = await sql`select 1`.then(() => undefined, (e: unknown) => e);
    await sql.end({ timeout: 0 });
    expect(err).toBeDefined();
    const line = startupProblem(err, config);
    expect(line).toMatch(/^DATABASE_URL postgres:\/\/bob:\*\*\*@127\.0\.0\.1:1\/db cannot be used: /);
    expect(line).not.toContain('PlaceholderTail');
    expect(line).not.toContain('Placeholder');
  });
});
