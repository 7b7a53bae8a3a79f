import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';

/** `npm run import` says what the chat's preview card says, in the same words: refused rows by the sheet's label. */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LARK_') && k !== 'DATABASE_URL' && k !== 'ADMIN_OPEN_IDS'));

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/import.ts', ...args], { env: { ...cleanEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('npm run import', () => {
  it('prints the preview with the sheets’ labels, as the chat card shows them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'import-script-'));
    dirs.push(dir);
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('单位').addRows([['单位名称*'], ['广州市政公司']]);
    wb.addWorksheet('班组').addRows([
      ['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门'],
      ['', '养护一班', '广州市政公司', '行政班组', '13900000001', '张三', 'li@example.com', '李四', '2024-01-10', 10, ''],
      ['', '养护二班', '广州市政公司', '突击队', '13900000002', '王五', 'li@example.com', '李四', '2024-01-10', 10, ''],
    ]);
    const file = join(dir, '班组名单.xlsx');
    writeFileSync(file, Buffer.from(await wb.xlsx.writeBuffer()));
    const r = await run([file, '--yes'], { DATA_DIR: join(dir, 'data') });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toContain('班组\t1\t0\t0\t1');
    expect(lines).toContain('拒绝 班组第 3 行 养护二班（广州市政公司）：班组类型“突击队”须为 行政班组、项目团队、部门 之一（第二条）');
    expect(r.stdout).toContain('已导入：新增 2 行，更新 0 行。');
  }, 120_000);
});
