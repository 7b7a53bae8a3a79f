import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BotApp } from '../../src/app.js';
import { ManualClock } from '../../src/clock.js';
import type { CardResponse } from '../../src/handlers.js';
import { type FakeOpenPlatform, startFakeOpenPlatform } from '../../src/local/fakeOpenPlatform.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { type FakeWsGateway, startFakeWsGateway } from '../support/fakeWsGateway.js';
import { startTestBot } from '../support/harness.js';
import { cardActionEvent } from '../support/larkEvents.js';

/**
 * The long connection's life: the node SDK gives it up for good on most answers of Feishu's endpoint (code 1, "system
 * busy", among them), telling only `onError`, so the bot starts it again; and a stop closes it only after the clicks
 * being handled are answered on it.
 */

const APP_ID = 'cli_a1b2c3d4e5f60718';
const APP_SECRET = 'ws-life-secret';
const USER = 'ou_wslife000000000000000000000000001';

let fake: FakeOpenPlatform | undefined;
let gateway: FakeWsGateway | undefined;
let db: TestDatabase | undefined;
let app: BotApp | undefined;

afterEach(async () => {
  await app?.stop();
  await db?.close();
  await gateway?.close();
  await fake?.close();
  app = db = gateway = fake = undefined;
});

async function start(before?: (g: FakeWsGateway) => void) {
  fake = await startFakeOpenPlatform({ appId: APP_ID, appSecret: APP_SECRET });
  gateway = await startFakeWsGateway({ appId: APP_ID, appSecret: APP_SECRET });
  before?.(gateway);
  db = await createTestDatabase();
  const started = await startTestBot({
    env: { LARK_APP_ID: APP_ID, LARK_APP_SECRET: APP_SECRET, LARK_DOMAIN: fake.url, LARK_EVENT_MODE: 'ws' },
    db,
    clock: new ManualClock('2026-03-01T09:00:00+08:00'),
    wsDomain: gateway.url,
    wsRestartMs: 200,
  });
  app = started.app;
  return started;
}

describe('the long connection', () => {
  it('says in the log when it is established', async () => {
    const { logs } = await start();
    await gateway!.connected(15_000);
    await vi.waitFor(() => expect(logs.some((l) => l.includes('long connection to Feishu established'))).toBe(true), { timeout: 5_000 });
  });

  it('says why it cannot connect at warn, not only at debug (nothing listening where Feishu should be)', async () => {
    fake = await startFakeOpenPlatform({ appId: APP_ID, appSecret: APP_SECRET });
    db = await createTestDatabase();
    const started = await startTestBot({
      env: { LARK_APP_ID: APP_ID, LARK_APP_SECRET: APP_SECRET, LARK_DOMAIN: fake.url, LARK_EVENT_MODE: 'ws', LOG_LEVEL: 'info' },
      db,
      clock: new ManualClock('2026-03-01T09:00:00+08:00'),
      // the discard port: nothing answers, the connection is refused
      wsDomain: 'http://127.0.0.1:9',
      wsRestartMs: 200,
    });
    app = started.app;
    const cause = () => started.logs.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.msg.includes('ECONNREFUSED'));
    await vi.waitFor(() => expect(cause().length).toBeGreaterThan(0), { timeout: 10_000 });
    expect(cause().every((l) => l.level === 40)).toBe(true);
    expect(started.logs.some((l) => l.includes('long connection to Feishu established'))).toBe(false);
  });

  it('is started again when the SDK gives it up on an answer it does not retry (code 1, system busy), and then takes events', async () => {
    const { logs } = await start((g) => g.refuseEndpoint([{ code: 1, msg: 'system busy' }, { code: 1, msg: 'system busy' }]));
    await gateway!.connected(15_000);
    expect(gateway!.endpointCalls()).toBe(3);
    expect(logs.filter((l) => l.includes('long connection to Feishu given up by the SDK'))).toHaveLength(2);
    const res = await gateway!.sendEvent(cardActionEvent({ token: 'unused', appId: APP_ID, openId: USER, value: { action: 'help.menu' } }));
    expect(res.code).toBe(200);
    expect(res.data.card.data.schema).toBe('2.0');
  });

  it('closes on a stop only after a click being handled is answered on it', async () => {
    await start();
    await gateway!.connected(15_000);
    // the stop begins once the click's work has begun, and the work ends 300 ms into the stop
    let begun!: () => void;
    const working = new Promise<void>((resolve) => (begun = resolve));
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    vi.spyOn(app!.processor as unknown as { cardWork(...args: unknown[]): Promise<CardResponse> }, 'cardWork').mockImplementationOnce(async () => {
      begun();
      await finished;
      return { toast: { type: 'success', content: '已处理' } };
    });
    const answer = gateway!.sendEvent(cardActionEvent({ token: 'unused', appId: APP_ID, openId: USER, value: { action: 'help.menu' } }));
    await working;
    const stopped = app!.stop();
    app = undefined;
    setTimeout(finish, 300);
    expect(await answer).toMatchObject({ code: 200, data: { toast: { type: 'success', content: '已处理' } } });
    await stopped;
  });
});
