import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { reapedAfterTest } from '../support/children.js';

/**
 * `npm run import` asked 确认导入？ over the counts alone (班组 0 1 0 0): the chat card's preview names the rows it will
 * add and update and the fields that change, and the people not yet found. And with stdin closed (cron, `< /dev/null`)
 * it printed the question and ended with code 13, saying nothing.
 */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LARK_') && k !== 'DATABASE_URL' && k !== 'ADMIN_OPEN_IDS'));

function run(args: string[], env: Record<string, string>, input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = reapedAfterTest(
    spawn(process.execPath, ['--import', 'tsx', 'scripts/import.ts', ...args], { env: { ...cleanEnv(), ...env }, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] }),
  );
  if (input !== undefined) child.stdin!.end(input);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

async function book(file: string, changed: boolean) {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('单位').addRows([['单位名称*'], ['广州市政公司']]);
  wb.addWorksheet('班组').addRows([
    ['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门'],
    ['', '养护一班', '广州市政公司', '行政班组', '13800000001', '张三', '13900000001', '李四', changed ? '2023-06-01' : '2023-05-01', changed ? 30 : 12, changed ? '工程部' : '养护部'],
  ]);
  wb.addWorksheet('专家').addRows([
    ['姓名*', '手机或邮箱*', '所属单位*', '专业特长', '评审上限'],
    ['陈*明', '13700000001', '广州市政公司', changed ? '桥梁' : '道路', 5],
  ]);
  writeFileSync(file, Buffer.from(await wb.xlsx.writeBuffer()));
}

describe('npm run import before 确认导入', () => {
  it('prints the card’s preview as text: rows to add and update with the fields that change, the people not yet found', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'import-preview-'));
    dirs.push(dir);
    const env = { DATA_DIR: join(dir, 'data') };
    await book(join(dir, 'a.xlsx'), false);
    await book(join(dir, 'b.xlsx'), true);

    const first = await run([join(dir, 'a.xlsx'), '-y'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('将新增\n单位 1 行：第 2 行 广州市政公司\n班组 1 行：第 2 行 （分配编号） 养护一班（广州市政公司）\n专家 1 行：第 2 行 陈*明');
    // the people kept pending, by name, as the card's note names them; no card markup in a terminal
    expect(first.stdout).toMatch(/注意：3 人暂未在飞书通讯录中找到（张三、李四、陈\*明）/);
    expect(first.stdout).not.toContain('**');
    expect(first.stdout).not.toContain('&#');

    const second = await run([join(dir, 'b.xlsx')], env, 'n\n');
    expect(second.code, second.stderr).toBe(0);
    const lines = second.stdout.split('\n');
    expect(lines).toContain('班组\t0\t1\t0\t0');
    expect(lines).toContain('将更新');
    expect(second.stdout).toMatch(/班组 1 行：第 2 行 GDSZ-\d{4}-\d{4} 养护一班（广州市政公司）（注册日期、成员人数、主管部门）/);
    expect(second.stdout).toMatch(/专家 1 行：第 2 行 陈\*明[^\n]*（专业特长）/);
    expect(second.stdout).toContain('确认导入？(y/N) 未导入。');
  }, 120_000);

  it('with stdin closed says nothing was imported and to add --yes, and ends non-zero', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'import-preview-'));
    dirs.push(dir);
    await book(join(dir, 'a.xlsx'), false);
    const closed = await run([join(dir, 'a.xlsx')], { DATA_DIR: join(dir, 'data') });
    expect(closed.code).toBe(1);
    expect(closed.stderr).toBe('未导入：没有确认（标准输入已关闭），如需在脚本中导入请加 --yes\n');
    expect(closed.stdout).toContain('将新增');
    // nothing was written: the same file is still all to add
    const again = await run([join(dir, 'a.xlsx')], { DATA_DIR: join(dir, 'data') }, '');
    expect(again.code).toBe(1);
    expect(again.stdout.split('\n')).toContain('班组\t1\t0\t0\t0');
  }, 120_000);

  it('--help names --yes', async () => {
    const help = await run(['--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--yes, -y +import without asking/);
  }, 60_000);
});
