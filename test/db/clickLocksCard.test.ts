import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { and, eq, like } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { bulkJobs, outbox, people } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { jobCard } from '../../src/bulkJobs.js';
import { ManualClock } from '../../src/clock.js';
import { LocalConsole } from '../../src/local/console.js';
import { p2pChatIdFor } from '../../src/local/fakeOpenPlatform.js';
import { createLogger } from '../../src/log.js';
import { cardActions, cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness, TEST_ENCRYPT_KEY, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActionEvent } from '../support/larkEvents.js';

/**
 * Feishu shows a click's answer, and only then takes updates of the clicked card: a JSON 2.0 card being interacted with
 * refuses a PATCH (230099, "card action is lock") until the callback is answered ("延时更新卡片必须在响应回调之后进行",
 * https://open.feishu.cn/document/ukTMukTMukTM/uMDO1YjLzgTN24yM4UjN). 截止申报 answers with the experts' assignment
 * queued, and the job's card updates that same message: what the administrator sees at the end is the job done.
 */

const EXPERTS = ['ou_lockexpert00000000000000000001', 'ou_lockexpert00000000000000000002', 'ou_lockexpert00000000000000000003'];

let h: Harness | undefined;
const closing: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
  await h?.close();
  h = undefined;
});

/** A cycle of two applications open, three experts to assign; the administrator's card (管理) and its 截止申报. */
async function world(opts: { callbackTimeoutMs?: number; before?: (h: Harness) => Promise<void> } = {}) {
  const { before, ...harness } = opts;
  h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 }, ...harness });
  await seedLargeCycle(h.db.db, { applications: 2, experts: 0, organizations: 2, year: 2030 });
  await h.db.db.insert(people).values(EXPERTS.map((openId, i) => ({ openId, name: `专家${i}`, roles: ['expert'] })));
  await before?.(h);
  await h.say(ADMIN, '管理');
  const admin = [...h.fake.messages].reverse().find((m) => m.receiveId === ADMIN && m.msgType === 'interactive')!;
  const close = cardActions(h.fake.currentCard(admin.messageId)).find((a) => a.action === 'cycle.closeApplications')!;
  return { h, messageId: admin.messageId, close };
}

const assignJob = async (h: Harness) => (await h.db.db.select().from(bulkJobs).where(eq(bulkJobs.kind, 'assign')))[0];

/**
 * The bot's address as local mode's console posts to it, with each click's answer held back until `meanwhile` has run:
 * what the bot set going as it committed (a job, its card's update) happens before Feishu has the answer.
 */
async function answersAfter(h: Harness, meanwhile: () => Promise<void>): Promise<string> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(['content-type', 'x-lark-request-timestamp', 'x-lark-request-nonce', 'x-lark-signature'].map((k) => [k, String(req.headers[k] ?? '')]));
    const answer = await fetch(h.app.url + req.url, { method: req.method, headers, body: Buffer.concat(chunks) });
    const text = await answer.text();
    if (req.url === '/lark/cards') await meanwhile();
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closing.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('a card being clicked takes no update until the click is answered', () => {
  it('截止申报: the card shows the assignment done once the job is done, not the queued card the click answered', async () => {
    const { h, messageId, close } = await world();
    const res = await h.clickCard(ADMIN, messageId, close);
    expect(cardText(res.body.card.data)).toContain('正在分配专家：已分配 0 / 6');
    const job = await assignJob(h);
    expect(job.status).toBe('done');
    const shown = h.fake.currentCard(messageId);
    expect(shown).toEqual(jobCard(job));
    expect(cardText(shown)).toContain('已分配 6 / 6');
    expect(cardText(shown)).not.toContain('正在分配专家');
  });

  it('the job’s update sent before the click is answered is refused as locked, tried again, and its card is the one left', async () => {
    // the click is held open while the job runs and its updates go out: a slow machine must not outlast Feishu's 3 s
    const { h, messageId, close } = await world({ callbackTimeoutMs: 60_000 });
    const before = h.fake.currentCard(messageId);
    const judged = h.fake.cardAction({ messageId, openId: ADMIN, value: close });
    expect(judged.ok).toBe(true);
    const res = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value: close, messageId, chatId: judged.ok ? judged.chatId : undefined }));
    expect(res.status).toBe(200);
    // the job runs and its card goes out while Feishu still waits to show the answer
    await h.app.bulkJobs.drain();
    expect((await assignJob(h)).status).toBe('done');
    const sentBefore = h.fake.messages.length;
    while ((await h.app.dispatcher.runOnce()) > 0 && !h.fake.lockedUpdates.some((u) => u.messageId === messageId));
    const locked = h.fake.lockedUpdates.filter((u) => u.messageId === messageId);
    expect(locked.length).toBeGreaterThan(0);
    expect(h.fake.currentCard(messageId)).toEqual(before);
    const jobRows = () => h.db.db.select().from(outbox).where(and(like(outbox.dedupeKey, 'bulk:%:card:%'), eq(outbox.kind, 'update')));
    expect(await jobRows()).toEqual([expect.objectContaining({ status: 'pending', lastError: expect.stringContaining('card action is lock') })]);
    // the task cards to the experts are new messages: no lock holds them
    expect(h.fake.messages.length).toBeGreaterThan(sentBefore);
    // Feishu shows the answer (the assignment queued); the update tried again after it lands
    expect(h.fake.answerCallback(messageId, res.body)).toEqual({ ok: true });
    expect(cardText(h.fake.currentCard(messageId))).toContain('正在分配专家：已分配 0 / 6');
    await h.drain();
    expect(await jobRows()).toEqual([expect.objectContaining({ status: 'sent', attempts: 2 })]);
    expect(h.fake.currentCard(messageId)).toEqual(jobCard(await assignJob(h)));
    expect(h.fake.lockedUpdates.filter((u) => u.messageId === messageId)).toHaveLength(locked.length);
  });

  it('local mode’s console: a job whose update goes out before the click is answered still leaves its final card shown', async () => {
    let local: LocalConsole | undefined;
    let proxy = '';
    const { h, messageId, close } = await world({
      callbackTimeoutMs: 60_000,
      before: async (h) => {
        // the job runs, and its updates go out, while the console waits for the click's answer
        proxy = await answersAfter(h, async () => {
          await h.app.bulkJobs.drain();
          // the job's is the only card update in this world
          while ((await h.app.dispatcher.runOnce()) > 0 && !h.fake.requests.some((r) => r.method === 'PATCH'));
        });
        local = new LocalConsole({ database: h.db, platform: h.fake, secrets: { encryptKey: TEST_ENCRYPT_KEY, verificationToken: TEST_VERIFICATION_TOKEN }, baseUrl: () => proxy, log: createLogger('silent') });
        await local.restored;
      },
    });
    const clicked = await local!.click({ openId: ADMIN, chatId: p2pChatIdFor(ADMIN), messageId, value: close });
    expect(clicked.status).toBe(200);
    expect(cardText(clicked.card)).toContain('正在分配专家：已分配 0 / 6');
    await h.drain();
    await local!.flushed();
    const final = jobCard(await assignJob(h));
    expect(h.fake.currentCard(messageId)).toEqual(final);
    const shown = local!.changes(p2pChatIdFor(ADMIN), 0).entries.find((e) => e.id === messageId);
    expect(shown?.content).toEqual(final);
    // it came by the update tried again after the answer: the first was refused
    expect(h.fake.lockedUpdates.filter((u) => u.messageId === messageId).length).toBeGreaterThan(0);
  });
});
