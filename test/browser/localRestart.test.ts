import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../src/local/demo.js';
import { p2pChatIdFor } from '../../src/local/fakeOpenPlatform.js';
import { LOCAL_ADMIN_GROUP } from '../../src/local/seed.js';
import { consoleUrlOf } from '../support/localBot.js';
import { START_MS } from '../support/timing.js';

/**
 * Issue 14, acceptance 2, 4 and 5: `npm run demo`, then `npm start` on the same folder and the /dev console in
 * Chromium at phone width. The console shows each card as it last stood and the user's own messages, speaks only
 * Chinese (the browser's validation messages included), and Ctrl-C stops the bot within 5 s with the tab open.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const results = join(process.cwd(), 'test-results');

let bot: ChildProcess;
let botExit: Promise<number | null>;
let url = '';
let context: BrowserContext;
let page: Page;
const dirs: string[] = [];

/** Words of Latin letters the console may show: codes and references the bot issues, and file extensions. */
// codes and the endings of the files the bot sends (results workbook, certificates)
const ALLOWED = new Set(['GDSZ', 'TS', 'ZS', 'QC', 'xlsx', 'zip', 'png', 'pdf', 'PDF']);

/** Every Latin word in what the page shows or says: text, placeholders, labels, titles, options, validation messages. */
async function englishOnPage(): Promise<string[]> {
  const words = await page.evaluate(() => {
    const out: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.parentElement?.closest('script, style')) continue;
      out.push(n.textContent ?? '');
    }
    for (const el of document.querySelectorAll('[placeholder], [aria-label], [title], [alt]')) {
      for (const a of ['placeholder', 'aria-label', 'title', 'alt']) out.push(el.getAttribute(a) ?? '');
    }
    for (const el of document.querySelectorAll('input, select, textarea')) out.push((el as HTMLInputElement).validationMessage);
    out.push(document.title);
    return out.join('\n').match(/[A-Za-z]{2,}/g) ?? [];
  });
  return [...new Set(words)].filter((w) => !ALLOWED.has(w));
}

async function choose(person: string, chat: '与助手的私聊' | '协会管理群' = '与助手的私聊') {
  // a new person's chats are fetched before their tabs are drawn: a click before that lands on the last person's tab,
  // and what is typed next goes to that chat until the new tabs replace it (seen on a loaded machine)
  const current = await page.locator('#person option:checked').textContent();
  if (current !== person) await Promise.all([page.waitForResponse((r) => r.url().includes('/dev/api/chats?')), page.selectOption('#person', { label: person })]);
  await page.locator('#chats button', { hasText: chat }).click();
  await expect.poll(() => page.locator('#chats button[aria-selected="true"]').textContent()).toBe(chat);
  await page.locator('#messages li').first().waitFor();
}

beforeAll(async () => {
  mkdirSync(results, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'restart-data-'));
  const profile = mkdtempSync(join(tmpdir(), 'restart-chromium-'));
  dirs.push(dataDir, profile);

  const transcript: string[] = [];
  const code = await runDemo({ env: { DATA_DIR: dataDir, PORT: '1' }, out: (l) => transcript.push(l) });
  expect(code, transcript.slice(-5).join('\n')).toBe(0);

  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LARK_') && k !== 'DATABASE_URL' && k !== 'ADMIN_OPEN_IDS'));
  bot = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...env, DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  botExit = new Promise((resolve) => bot.once('exit', (c) => resolve(c)));
  url = await consoleUrlOf(bot, START_MS).url;
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 360, height: 780 } });
  page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`${url}/dev`);
}, START_MS + 180_000);

afterAll(async () => {
  await context?.close();
  if (bot?.exitCode === null && bot.signalCode === null) {
    bot.kill('SIGKILL');
    await botExit;
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the console after the demo and a restart', () => {
  it('shows each card as it last stood and the user\'s own messages', async () => {
    await choose('王管理员（协会管理员）', '协会管理群');
    const decided = page.locator('.card', { hasText: '投诉成立：佛山排水管养三班' });
    await decided.first().waitFor();
    expect(await decided.count()).toBeGreaterThanOrEqual(2);
    expect(await decided.first().textContent()).toContain('认定结果');
    // no complaint card still offers 成立 / 不成立
    expect(await page.locator('#messages button', { hasText: /^(成立|不成立)$/ }).count()).toBe(0);
    await page.screenshot({ path: join(results, 'restart-admin-group-360.png'), fullPage: true });

    await choose('王管理员（协会管理员）');
    // the chat's history replaces the last one's when it has loaded: wait for it, not for the first list item
    await expect.poll(() => page.locator('#messages li.from-user .text').allTextContents()).toContain('管理');

    await choose('陈专家（评审专家）');
    const scored = page.locator('.card', { hasText: '已提交评分' });
    await scored.first().waitFor();
    expect(await scored.count()).toBeGreaterThanOrEqual(3);
    expect(await scored.first().textContent()).toContain('评分已锁定');
    expect(await page.locator('#messages button', { hasText: '提交评分' }).count()).toBe(0);
    await page.screenshot({ path: join(results, 'restart-expert-360.png'), fullPage: true });

    await choose('张班长');
    await expect.poll(() => page.locator('#messages li.from-user .text').allTextContents()).toEqual(expect.arrayContaining(['注册', '申报']));
    const registered = page.locator('.card', { hasText: '注册成功' });
    await registered.first().waitFor();
    // the registration form answered by its submit, not the blank form first sent
    expect(await page.locator('#messages form.card-form[data-form="registration"]').count()).toBe(0);
    await page.screenshot({ path: join(results, 'restart-leader-360.png'), fullPage: true });
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
  }, 120_000);

  it('speaks only Chinese, the browser\'s validation messages included, with placeholders whole at 360 px', async () => {
    for (const [person, chat] of [['王管理员（协会管理员）', '协会管理群'], ['王管理员（协会管理员）', '与助手的私聊'], ['陈专家（评审专家）', '与助手的私聊'], ['李联系人（单位联系人）', '与助手的私聊']] as const) {
      await choose(person, chat);
      expect(await englishOnPage(), `${person} · ${chat}`).toEqual([]);
    }

    await choose('张班长');
    await page.fill('#composer-text', '注册');
    await page.press('#composer-text', 'Enter');
    const form = page.locator('form.card-form[data-form="registration"]').last();
    await form.waitFor();
    await form.locator('button[data-submit][data-primary]').click();
    const messages = await form.evaluate((f) => [...f.querySelectorAll('input, select, textarea')].filter((el) => !(el as HTMLInputElement).validity.valid).map((el) => (el as HTMLInputElement).validationMessage));
    expect(messages.length).toBeGreaterThan(0);
    for (const m of messages) expect(m).toMatch(/^(请填写|请选择|请勾选)「.+」$/);

    await page.click('#add-person-toggle');
    await page.click('#add-person button[type=submit]');
    expect(await page.locator('#new-name').evaluate((el) => (el as HTMLInputElement).validationMessage)).toBe('请填写「姓名」');

    // every select shows its whole placeholder or choice at phone width
    const cut = await form.evaluate((f) => {
      const ctx = document.createElement('canvas').getContext('2d')!;
      return [...f.querySelectorAll('select')].flatMap((s) => {
        const cs = getComputedStyle(s);
        ctx.font = `${cs.fontSize} ${cs.fontFamily}`;
        const text = s.selectedOptions[0]?.text ?? '';
        const room = s.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 20; // the arrow
        return ctx.measureText(text).width > room ? [`${text} (${Math.round(ctx.measureText(text).width)} > ${Math.round(room)})`] : [];
      });
    });
    expect(cut).toEqual([]);
    await form.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(results, 'restart-validation-360.png'), fullPage: false });
    expect(await englishOnPage()).toEqual([]);
  }, 120_000);

  it('serves the certificates sent before the restart: drawn again from the outbox, every link and picture alive', async () => {
    const { people } = (await (await fetch(`${url}/dev/api/people`)).json()) as { people: { openId: string }[] };
    const chats = [LOCAL_ADMIN_GROUP, ...people.map((p) => p2pChatIdFor(p.openId))];
    const sent: { msgType: string; content: { fileName?: string }; fileHref?: string; imageHref?: string }[] = [];
    for (const chatId of chats) {
      const { entries } = (await (await fetch(`${url}/dev/api/messages?chatId=${encodeURIComponent(chatId)}`)).json()) as { entries: typeof sent };
      sent.push(...entries.filter((e) => e.msgType === 'file' || e.msgType === 'image'));
    }
    const zip = sent.find((e) => e.msgType === 'file' && e.content.fileName?.endsWith('荣誉证书.zip'));
    const pdf = sent.find((e) => e.msgType === 'file' && e.content.fileName?.endsWith('.pdf'));
    const images = sent.filter((e) => e.msgType === 'image');
    expect(zip?.fileHref).toBeTruthy();
    expect(pdf?.fileHref).toBeTruthy();
    expect(images.length).toBeGreaterThan(0);
    // each picture is offered (the page shows it, not the word 图片), as each file is
    for (const e of sent) expect(e.msgType === 'image' ? e.imageHref : e.fileHref).toBeTruthy();

    const get = async (href: string) => {
      const res = await fetch(url + href);
      return { status: res.status, type: res.headers.get('content-type'), bytes: Buffer.from(await res.arrayBuffer()) };
    };
    const zipped = await get(zip!.fileHref!);
    expect(zipped.status).toBe(200);
    expect(zipped.bytes.subarray(0, 2).toString('latin1')).toBe('PK');
    const printed = await get(pdf!.fileHref!);
    expect(printed.status).toBe(200);
    expect(printed.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const picture = await get(images[0].imageHref!);
    expect(picture.status).toBe(200);
    expect(picture.type).toBe('image/png');
    expect(picture.bytes.subarray(1, 4).toString('latin1')).toBe('PNG');

    // a message the bot never sent is refused in Chinese
    const none = await fetch(`${url}/dev/api/file?messageId=om_not_sent`);
    expect(none.status).toBe(404);
    expect(await none.text()).toContain('没有这条文件消息');

    // the pictures show in the page
    await choose('张班长');
    const img = page.locator('#messages .text.image img').first();
    await img.waitFor();
    await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
  }, 120_000);

  it('stops within 5 s on SIGINT with the console open, exit code 0, and the page says so in Chinese', async () => {
    // the page holds a long-poll open right now
    await page.waitForTimeout(500);
    const started = performance.now();
    bot.kill('SIGINT');
    const code = await botExit;
    const ms = performance.now() - started;
    console.log(`SIGINT → exit: ${Math.round(ms)} ms`);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5000);

    await page.fill('#composer-text', '帮助');
    await page.press('#composer-text', 'Enter');
    await page.locator('.toast', { hasText: '连不上机器人' }).waitFor();
    expect(await englishOnPage()).toEqual([]);
  }, 120_000);
});
