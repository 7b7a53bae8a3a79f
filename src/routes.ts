import type Router from '@koa/router';
import type { Database } from '../db/index.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { EventProcessor } from './events.js';
import type { Logger } from './log.js';
import type { FakeOpenPlatform } from './local/fakeOpenPlatform.js';
import { mountConsole } from './local/console.js';
import type { OutboxDispatcher } from './outbox.js';
import { mountComplaintRoutes } from './web/complaintForm.js';

/** What the extra HTTP routes (complaint intake, the local console) may use. */
export interface RouteDeps {
  database: Database;
  config: Config;
  clock: Clock;
  log: Logger;
  processor: EventProcessor;
  dispatcher: OutboxDispatcher;
  secrets: { encryptKey: string; verificationToken: string };
  /** The simulated Open Platform, in local mode only. */
  platform?: FakeOpenPlatform;
  /** This server's own base URL, known once it listens. */
  baseUrl: () => string;
}

/** Mounts every route beyond the Feishu callbacks, /healthz and /metrics. */
export function mountRoutes(router: Router, deps: RouteDeps): void {
  // features add their routes here
  mountComplaintRoutes(router, deps);
  if (deps.platform) mountConsole(router, { ...deps, platform: deps.platform });
}
