import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { reapedAfterTest } from './support/children.js';

/** `npm run import` says what the chat's preview card says, in the same words: refused rows by the sheet's label. */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LARK_') && k !== 'DATABASE_URL' && k !== 'ADMIN_OPEN_IDS'));

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = reapedAfterTest(spawn(process.execPath, ['--import', 'tsx', 'scripts/import.ts', ...args], { env: { ...cleanEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
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
    expect(lines).toContain('拒绝 1 行：修改文件后重新运行 npm run import');
    expect(lines).toContain('- 班组第 3 行 养护二班（广州市政公司）：班组类型“突击队”须为 行政班组、项目团队、部门 之一（第二条）');
    expect(r.stdout).toContain('已导入：新增 2 行，更新 0 行。');

    // the same team under another 班组长: named with the leader on record, as the card names them
    const next = new ExcelJS.Workbook();
    next.addWorksheet('单位').addRows([['单位名称*'], ['广州市政公司']]);
    next.addWorksheet('班组').addRows([
      ['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门'],
      ['', '养护一班', '广州市政公司', '行政班组', '13900000009', '赵六', 'li@example.com', '李四', '2024-01-10', 10, ''],
    ]);
    const again = join(dir, '班组名单（换班组长）.xlsx');
    writeFileSync(again, Buffer.from(await next.xlsx.writeBuffer()));
    const changed = await run([again, '--yes'], { DATA_DIR: join(dir, 'data') });
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).toMatch(
      /将更换班组长 1 个班组：第 2 行 GDSZ-\d{4}-\d{4} 养护一班（广州市政公司）：班组长 张三 → 赵六（13900000009）\n确认导入后，新班组长和原班组长会收到通知，其中第 2 行原班组长 张三、第 2 行新班组长 赵六（13900000009） 尚未关联飞书，不会收到通知（新班组长首次给机器人发消息时收到通知）；/,
    );
    expect(changed.stdout).toContain('原班组长留在班组成员中');
  }, 120_000);

  it('tells a .csv or an old .xls how to make the .xlsx, as the chat does, opening no database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'import-script-'));
    dirs.push(dir);
    const csv = join(dir, '班组名单.csv');
    writeFileSync(csv, '班组名称,所属单位\n养护一班,广州市政公司\n');
    const xls = join(dir, '旧名单.XLS');
    writeFileSync(xls, Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(512)]));
    const [a, b] = await Promise.all([run([csv], { DATA_DIR: join(dir, 'data-csv') }), run([xls], { DATA_DIR: join(dir, 'data-xls') })]);
    expect([a.code, b.code]).toEqual([1, 1]);
    expect(a.stderr.trim()).toBe(
      '“班组名单.csv”是 .csv 文件，导入只读取 .xlsx 工作簿：请用 Excel 或 WPS 打开它，“另存为”Excel 工作簿（*.xlsx）后再导入（npm run import -- 文件.xlsx）；也可以把数据粘贴进导入模板（管理 → 导入 → 下载导入模板）。',
    );
    expect(b.stderr.trim()).toContain('“旧名单.XLS”是 .xls 文件，导入只读取 .xlsx 工作簿：请用 Excel 或 WPS 打开它，“另存为”Excel 工作簿（*.xlsx）后再导入');
    expect([existsSync(join(dir, 'data-csv')), existsSync(join(dir, 'data-xls'))]).toEqual([false, false]);
  }, 120_000);
});
