import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Readable, Writable } from 'node:stream';
import { runDemo, TEAMS } from '../../src/local/demo.js';
import { resetLocalData } from '../../src/local/reset.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** `npm run demo` in a fresh DATA_DIR, as a newcomer would run it: no LARK_*, no DATABASE_URL. */
describe('npm run demo', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bot-demo-'));
  dirs.push(dataDir);
  // a port nobody listens on: a bot left running on 3000 is not taken for one holding this directory
  const env = { DATA_DIR: dataDir, PORT: '1' };

  it('walks the whole cycle and ends with the published results table, after a revocation alert', async () => {
    const lines: string[] = [];
    const code = await runDemo({ env, out: (l) => lines.push(l) });
    expect(code, lines.slice(-5).join('\n')).toBe(0);

    const heading = lines.findIndex((l) => /^\d{4}年度质量信得过班组评审结果（已公布/.test(l));
    expect(heading).toBeGreaterThan(0);
    const rows = lines.slice(heading + 2, heading + 2 + TEAMS.length);
    for (const t of TEAMS) expect(rows.filter((r) => r.includes(t.name)), t.name).toHaveLength(1);
    expect(rows.map((r) => Number(r.split(/\s+/)[0]))).toEqual([1, 2, 3, 4, 5]);
    expect(rows.find((r) => r.includes('珠海桥梁养护四班'))).toContain('未获称号');
    expect(rows.filter((r) => r.includes('授予称号'))).toHaveLength(4);
    // nothing but the time taken after the table
    expect(lines.slice(heading + 2 + TEAMS.length).filter(Boolean)).toEqual([expect.stringMatching(/^用时 [\d.]+ 秒/)]);

    expect(lines.some((l) => l.includes('已认定投诉成立，撤销称号提醒已发出'))).toBe(true);
    expect(lines.some((l) => l.includes('助手 → 协会管理群：〔撤销称号提醒：佛山排水管养三班〕'))).toBe(true);
    console.log(`demo: ${lines.at(-1)}`);
  }, 120_000);

  it('refuses a data directory that already holds data, pointing to a folder of its own, never to a bare reset', async () => {
    const lines: string[] = [];
    const code = await runDemo({ env, out: (l) => lines.push(l) });
    expect(code).toBe(1);
    const said = lines.join('\n');
    expect(said).toContain('5 个班组');
    expect(said).toContain('DATA_DIR=./demo-data npm run demo');
    expect(said).toContain('DATA_DIR=./demo-data npm start');
    // the folder may hold the association's real data: reset only after a backup
    for (const l of lines.filter((l) => l.includes('npm run reset'))) expect(l).toMatch(/先 npm run backup 备份.*npm run reset/);
  }, 120_000);

  it('npm run reset asks naming what it would wipe and where it would keep it; N keeps it all', async () => {
    let said = '';
    const output = new Writable({
      write(chunk, _enc, cb) {
        said += String(chunk);
        cb();
      },
    });
    const code = await resetLocalData({ dataDir, input: Readable.from(['n\n']), output });
    expect(code).toBe(0);
    // the question and what it would take, Chinese first
    expect(said).toContain(`${dataDir} 中有 5 个班组、5 份申报和 2 条投诉；清空前会把它们整个移到 ${dataDir}.before-reset-`);
    expect(said).toContain(`（${dataDir} holds 5 teams, 5 applications and 2 complaints; they are moved whole to ${dataDir}.before-reset-`);
    expect(said).toContain(`清空 ${dataDir} 中本地模式的所有班组、申报、评分和消息吗？（Wipe every team`);
    expect(said).toContain('没有清空（not wiped.）');
    expect(said).toContain('[y/N]');
    expect(said).toContain('not wiped');
    // the folder is still the demo's: a second demo still finds its teams
    const lines: string[] = [];
    expect(await runDemo({ env, out: (l) => lines.push(l) })).toBe(1);
    expect(lines.join('\n')).toContain('5 个班组');
  }, 120_000);
});
