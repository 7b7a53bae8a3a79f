import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { startupProblem } from '../src/startup.js';

/** The one line a failed start prints names what to fix: the port only when listen() failed, else the data folder. */
describe('a failed start', () => {
  const local = parseConfig({ DATA_DIR: '/srv/gdsz/data', PORT: '80' });
  const fsError = (code: string, syscall: string) => Object.assign(new Error(`${code}: permission denied, ${syscall} '/srv/gdsz/data/base'`), { code, syscall, path: '/srv/gdsz/data/base' });

  it('blames PORT for a port it may not listen on, and DATA_DIR for a folder it may not write', () => {
    const listen = Object.assign(new Error('listen EACCES: permission denied 127.0.0.1:80'), { code: 'EACCES', syscall: 'listen', address: '127.0.0.1', port: 80 });
    expect(startupProblem(listen, local)).toBe('PORT 80 on HOST 127.0.0.1 cannot be used (EACCES)');
    expect(startupProblem(fsError('EACCES', 'open'), local)).toBe('DATA_DIR /srv/gdsz/data cannot hold the database (EACCES)');
    expect(startupProblem(fsError('EROFS', 'mkdir'), local)).toBe('DATA_DIR /srv/gdsz/data cannot hold the database (EROFS)');
    expect(startupProblem(Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE', syscall: 'listen' }), local)).toBe('PORT 80 on HOST 127.0.0.1 cannot be used (EADDRINUSE)');
  });
});
