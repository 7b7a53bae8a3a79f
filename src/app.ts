import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server, ServerResponse } from 'node:http';
import { noAdministrator } from './admins.js';
import * as lark from './lark/sdk.js';
import { bulkJobKinds } from '../bot/bulkJobs.js';
import { createBot } from '../bot/index.js';
import { like } from 'drizzle-orm';
import { type Database, openDatabase } from '../db/index.js';
import { people } from '../db/schema.js';
import { startSchedules, type Schedules } from '../jobs/index.js';
import { BulkJobWorker } from './bulkJobs.js';
import { certificateAttachments } from './certificates/index.js';
import { RESULTS_WORKBOOK_KEEP_MS, withResultsWorkbook } from './workbook.js';
import { addressBookNames } from './addressBookNames.js';
import { withRegisterWorkbook } from './import/export.js';
import { cardRenderers } from './cardRenderers.js';
import { CertificateRenderer, checkCertificates } from './certificates/render.js';
import { type Clock, systemClock } from './clock.js';
import type { Config } from './config.js';
import { EventProcessor } from './events.js';
import type { BotRegistry } from './handlers.js';
import { pendingPersonLinker } from './import/linking.js';
import { botIdentity, createLarkClient, credentialsProblem, larkDomain, LarkTransport, sdkLogger } from './lark/client.js';
import { larkReader } from './lark/reader.js';
import { resolveUserIds } from './lark/contact.js';
import { errorText, type Logger } from './log.js';
import { claimDataDir, type DataDirLock } from './local/dataDir.js';
import { localConsoleOf } from './local/console.js';
import { type FakeOpenPlatform, startFakeOpenPlatform } from './local/fakeOpenPlatform.js';
import { LOCAL_DIRECTORY_ONLY, LOCAL_PEOPLE, seedLocal } from './local/seed.js';
import { type MessageTransport, OutboxDispatcher, type OutboxLimits } from './outbox.js';
import { chatGoneReroute, contactRefusedAlert, deadLetterAlert, personUnreachableAlert, typedContactsWithheldAlert } from './notifications.js';
import { mountRoutes, routeErrorPage } from './routes.js';
import { createServer } from './server.js';
import { ContactSeen } from './associationContact.js';

/** `work`, or nothing once `ms` have passed since it began. */
async function withinMs(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** How long requests in flight may take to finish on stop before their sockets are closed. */
const STOP_GRACE_MS = 1500;
/**
 * How long a stop waits for the callbacks being handled (a card action is answered within 2.5 s, `CARD_ANSWER_MS`):
 * their sockets stay open, the database too, so the user gets the answer to what was done.
 */
const HANDLERS_GRACE_MS = 3000;
/** How long a stop waits to queue the notices of clicks it cut short (`handOverUnfinished`). */
const UNFINISHED_WAIT_MS = 500;
/** How long the outbox may take on stop to send what the last callbacks queued. */
const LAST_SENDS_MS = 500;
/**
 * The long connection's handshake may take this long before the SDK's own loop tries again: unset, "the handshake can
 * hang indefinitely on stuck DNS / proxy / NAT paths" (the node SDK's WSClient typings, `handshakeTimeoutMs`).
 */
const WS_HANDSHAKE_TIMEOUT_MS = 15_000;
/**
 * The SDK gives the long connection up for good on any answer of Feishu's endpoint but 1000040343, code 1 "system busy"
 * included ("Non-recoverable error from pullConnectConfig — bail out without retry"), saying so only to `onError`: the
 * bot starts it again after this, doubling to WS_RESTART_MAX_MS, so it does not stay deaf until someone restarts it.
 */
const WS_RESTART_MS = 5_000;
const WS_RESTART_MAX_MS = 5 * 60_000;

export interface BotApp {
  config: Config;
  database: Database;
  registry: BotRegistry;
  processor: EventProcessor;
  dispatcher: OutboxDispatcher;
  bulkJobs: BulkJobWorker;
  larkClient: lark.Client;
  /** The simulated Open Platform, in local mode. */
  platform?: FakeOpenPlatform;
  /** The secrets callbacks are checked against (generated in local mode). */
  secrets: { encryptKey: string; verificationToken: string };
  url: string;
  server: Server;
  stop(): Promise<void>;
}

export interface StartOptions {
  config: Config;
  log: Logger;
  clock?: Clock;
  database?: Database;
  transport?: MessageTransport;
  outboxLimits?: Partial<OutboxLimits>;
  outboxPollMs?: number;
  /** Off in tests that drive the outbox by hand. */
  runDispatcher?: boolean;
  schedules?: boolean;
  /** Tests only: where the WS client pulls its connection config; defaults to the REST domain. */
  wsDomain?: string;
  /** Tests only: the first wait before the long connection, given up by the SDK, is started again (WS_RESTART_MS). */
  wsRestartMs?: number;
  /** Tests only: how long a card action may take before it is answered as still running (CARD_ANSWER_MS, src/events.ts). */
  cardAnswerMs?: number;
}

/** Builds and starts the whole bot: database, SDK client, dispatcher, HTTP server, WS client, schedules. */
export async function startBot(opts: StartOptions): Promise<BotApp> {
  const { config, log } = opts;
  const clock = opts.clock ?? systemClock;
  // one process per PGlite folder, and only a folder the bot made (an empty one starts as a copy of the install-time template)
  const lock: DataDirLock | undefined = !opts.database && !config.DATABASE_URL ? claimDataDir(config.DATA_DIR, (line) => log.warn(line)) : undefined;
  let database: Database;
  try {
    database = opts.database ?? (await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR }));
  } catch (err) {
    lock?.release();
    throw err;
  }
  if (config.localMode) await seedLocal(database.db);
  // a new tenant: the IT person learns here how the first administrator gets in (bot/admin/showAdmin.ts answers 管理 with the open_id)
  else if (await noAdministrator(database.db, config.ADMIN_OPEN_IDS).catch(() => false)) {
    log.warn('no association administrator yet: ADMIN_OPEN_IDS is empty and nobody was made one in the bot. The administrator sends 管理 to the bot, which answers with their open_id; set ADMIN_OPEN_IDS to it and restart the bot');
  }

  let platform: FakeOpenPlatform | undefined;
  let appId = config.LARK_APP_ID;
  let appSecret = config.LARK_APP_SECRET;
  let domain = config.LARK_DOMAIN;
  let secrets = { encryptKey: config.LARK_ENCRYPT_KEY ?? '', verificationToken: config.LARK_VERIFICATION_TOKEN ?? '' };
  if (config.localMode) {
    appId = 'cli_local_mode';
    appSecret = randomBytes(16).toString('hex');
    platform = await startFakeOpenPlatform({ appId, appSecret, now: () => clock.now().getTime() });
    // the people added in the console before are the simulated tenant's users too (user.get refuses anyone else)
    const added = await database.db.select({ openId: people.openId, name: people.name }).from(people).where(like(people.openId, 'ou_local_%'));
    for (const p of added) platform.addUser({ openId: p.openId, name: p.name ?? p.openId });
    for (const p of [...LOCAL_PEOPLE, ...LOCAL_DIRECTORY_ONLY]) platform.addUser({ openId: p.openId, name: p.name, mobile: p.mobile, email: p.email });
    domain = platform.url;
    secrets = { encryptKey: randomBytes(16).toString('hex'), verificationToken: randomBytes(16).toString('hex') };
  }

  const larkClient = createLarkClient({ appId: appId!, appSecret: appSecret!, domain, log });
  // a missing template or font stops the start with a line naming the setting, not the first published result
  const certificates = new CertificateRenderer({ templatePath: config.CERTIFICATE_TEMPLATE, font: config.CERTIFICATE_FONT });
  const fontMissing = checkCertificates(certificates, config.CERTIFICATE_FONT !== undefined);
  if (fontMissing) log.warn(fontMissing);
  // a font set on purpose is opened now (the default one when first drawn: opening it holds some megabytes at rest)
  else if (config.CERTIFICATE_FONT !== undefined) await certificates.face();
  // the outbox draws certificates with it; local mode's console draws them again after a restart
  const feishu = larkReader(larkClient);
  // experts and contacts picked in a card have no name on record: the files that list them ask the address book
  const names = addressBookNames({ db: database.db, reader: feishu, log: log.child({ component: 'names' }), now: () => clock.now().getTime() });
  const attachments = withRegisterWorkbook(
    withResultsWorkbook(certificateAttachments(database.db, certificates, config.BOT_TIMEZONE), database.db, config.BOT_TIMEZONE, RESULTS_WORKBOOK_KEEP_MS, names),
    database.db,
    config.BOT_TIMEZONE,
    names,
  );
  const registry = createBot();
  // 协会联系方式 as this process last read it: every event's claim and every outbox claim read it anew
  const contact = new ContactSeen();
  const dispatcher = new OutboxDispatcher({
    db: database.db,
    transport: opts.transport ?? new LarkTransport(larkClient, attachments),
    log: log.child({ component: 'outbox' }),
    onDeadLetter: deadLetterAlert(config.ADMIN_OPEN_IDS, config.BOT_TIMEZONE, clock),
    onChatGone: chatGoneReroute(config.ADMIN_OPEN_IDS, clock),
    onPersonUnreachable: personUnreachableAlert(config.ADMIN_OPEN_IDS, clock),
    onContactRefused: contactRefusedAlert(config.ADMIN_OPEN_IDS, clock),
    onTypedContactsWithheld: typedContactsWithheldAlert(config.ADMIN_OPEN_IDS, config.BOT_TIMEZONE, clock),
    adminOpenIds: config.ADMIN_OPEN_IDS,
    limits: opts.outboxLimits,
    pollMs: opts.outboxPollMs,
    clock,
    cards: cardRenderers(database.db, config.BOT_TIMEZONE, clock),
    contact,
  });
  const bulkJobs = new BulkJobWorker({ db: database.db, kinds: bulkJobKinds, clock, config, log: log.child({ component: 'bulk-jobs' }), feishu, onBatch: () => dispatcher.nudge() });
  const processor = new EventProcessor({
    database,
    registry,
    clock,
    config,
    log,
    onCommitted: () => {
      dispatcher.nudge();
      bulkJobs.nudge();
    },
    botOpenId: botIdentity(larkClient, log),
    feishu,
    findUsers: (query) => resolveUserIds(larkClient, query),
    linkSender: pendingPersonLinker({ database, feishu, clock, timezone: config.BOT_TIMEZONE, log, bootstrapAdmins: config.ADMIN_OPEN_IDS }),
    cardAnswerMs: opts.cardAnswerMs,
    contact,
  });
  const eventDispatcher = processor.createDispatcher();

  let url = '';
  const koa = createServer({
    database,
    dispatcher: eventDispatcher,
    secrets,
    log,
    trustProxy: config.TRUST_PROXY,
    errorPage: routeErrorPage,
    extend: (router) => mountRoutes(router, { database, config, clock, log, processor, dispatcher, secrets, platform, attachments, baseUrl: () => url }),
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = koa.listen(config.PORT, config.HOST, () => resolve(s));
    s.once('error', reject);
  });
  // a TLS terminator keeps its idle connections to the bot for up to a minute (nginx's upstream keepalive_timeout
  // defaults to 60 s): Node's own 5 s would close one under it as it sends a callback, and a POST is not retried
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // what Node refuses before Koa sees it (headers too large, a malformed request line, a client too slow) is answered
  // as every other refusal is, in JSON with its status (Node's own answer has an empty body)
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || (err as { code?: string }).code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const [status, reason] =
      err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout'] : [400, 'Bad Request'];
    const body = JSON.stringify({ code: status, msg: reason.toLowerCase() });
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
  // responses in flight, so a stop can answer them with Connection: close rather than wait for idle keep-alive sockets
  const inFlight = new Set<ServerResponse>();
  server.on('request', (_req, res: ServerResponse) => {
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });
  const address = server.address() as AddressInfo;
  url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  let wsClient: lark.WSClient | undefined;
  let wsRestart: NodeJS.Timeout | undefined;
  let stopping = false;
  if (!config.localMode && config.LARK_EVENT_MODE === 'ws') {
    const firstWait = opts.wsRestartMs ?? WS_RESTART_MS;
    let wait = firstWait;
    const client = new lark.WSClient({
      appId: appId!,
      appSecret: appSecret!,
      domain: larkDomain(opts.wsDomain ?? domain),
      // why it cannot connect (getaddrinfo ENOTFOUND, a refused handshake) is said at warn, each time it tries again:
      // the IT person's only sign that the bot hears nothing (/healthz is the database's)
      logger: sdkLogger(log, [appSecret, secrets.encryptKey, secrets.verificationToken], { keepNoAnswer: true }),
      loggerLevel: lark.LoggerLevel.warn,
      handshakeTimeoutMs: WS_HANDSHAKE_TIMEOUT_MS,
      onReady: () => {
        wait = firstWait;
        log.info('long connection to Feishu established: events and card callbacks arrive through it');
      },
      onReconnected: () => {
        wait = firstWait;
        log.info('long connection to Feishu established again');
      },
      onError: (err) => {
        if (stopping) return;
        log.error({ err: errorText(err), restartInMs: wait }, 'long connection to Feishu given up by the SDK; started again after the wait');
        wsRestart = setTimeout(() => {
          if (!stopping) void client.start({ eventDispatcher });
        }, wait);
        wsRestart.unref();
        wait = Math.min(wait * 2, WS_RESTART_MAX_MS);
      },
    });
    wsClient = client;
    void client.start({ eventDispatcher });
  }
  // a wrong LARK_APP_SECRET is said at once, an Open Platform out of reach once asked again after the first pause, not
  // at the first message; the bot keeps serving (/healthz, the console) and the outbox holds what it queues meanwhile
  if (!config.localMode && !opts.transport) {
    void dispatcher.checkAtStart(async () => {
      const problem = await credentialsProblem(larkClient);
      return stopping ? undefined : problem;
    });
  }
  if (opts.runDispatcher !== false) {
    // PGlite is this process's alone (its DATA_DIR lock): what the last run left mid-send goes out now, and the bulk
    // jobs it held resume now, not when their lease runs out a minute later
    if (database.kind === 'pglite') {
      await dispatcher.releaseAbandoned();
      await bulkJobs.releaseAbandoned();
    }
    dispatcher.start();
    bulkJobs.start();
  }
  let schedules: Schedules | undefined;
  if (opts.schedules !== false) schedules = startSchedules({ database, dispatcher, config, clock, log });

  return {
    config,
    database,
    registry,
    processor,
    dispatcher,
    bulkJobs,
    larkClient,
    platform,
    secrets,
    url,
    server,
    async stop() {
      stopping = true;
      clearTimeout(wsRestart);
      await schedules?.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // the console's long-polls answer now; idle keep-alive sockets go at once, requests in flight get a moment to finish
      for (const res of inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
      const local = localConsoleOf(platform);
      local?.close();
      server.closeIdleConnections();
      const stopBegan = performance.now();
      // the bulk-job worker stops after its batch meanwhile; the callbacks being handled finish, answered on their sockets
      const bulkStopped = bulkJobs.stop();
      let told: Promise<unknown> = Promise.resolve();
      if (!(await processor.settled(HANDLERS_GRACE_MS))) {
        log.warn(`callbacks still running ${HANDLERS_GRACE_MS} ms after the stop began; their connections are closed`);
        // a click answered “正在处理” was promised word of its result: it gets it, from whichever process is left. Its
        // notice is queued while the connections close and the last sends go (the stop's waits, one after the other,
        // came within half a second of its deadline), and waited for, up to UNFINISHED_WAIT_MS, before the database closes
        told = withinMs(
          processor.handOverUnfinished().catch((err: unknown) => log.warn({ err: errorText(err) }, 'clicks cut short by the stop could not be told')),
          UNFINISHED_WAIT_MS,
        );
      }
      // the long connection closes after them: a card click's answer goes back on it, and closed it is dropped (Feishu
      // shows the person its error 200340 for a click that was done)
      wsClient?.close({ force: true });
      // other requests (a page, a download) get what is left of their grace
      const grace = setTimeout(() => server.closeAllConnections(), Math.max(100, STOP_GRACE_MS - (performance.now() - stopBegan)));
      await closed;
      clearTimeout(grace);
      await bulkStopped;
      // after the callbacks: what they queued (the reply to what was just done) is sent in a last round
      await dispatcher.stop(opts.runDispatcher !== false ? LAST_SENDS_MS : undefined);
      await told;
      await platform?.close();
      await local?.flushed();
      if (!opts.database) await database.close();
      lock?.release();
    },
  };
}
