import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const metrics = {
  httpRequests: new Counter({ name: 'bot_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers: [registry] }),
  callbackSeconds: new Histogram({
    name: 'bot_callback_seconds',
    help: 'Time to answer a Feishu callback',
    labelNames: ['kind'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3],
    registers: [registry],
  }),
  eventsProcessed: new Counter({ name: 'bot_events_total', help: 'Events by type and outcome', labelNames: ['type', 'outcome'], registers: [registry] }),
  outboxEnqueued: new Counter({ name: 'bot_outbox_enqueued_total', help: 'Messages queued (one queued without asking counts even when its key was queued before)', registers: [registry] }),
  outboxSent: new Counter({ name: 'bot_outbox_sent_total', help: 'Messages delivered', labelNames: ['kind'], registers: [registry] }),
  outboxFailed: new Counter({ name: 'bot_outbox_failed_total', help: 'Failed attempts by reason', labelNames: ['reason'], registers: [registry] }),
  signatureRejected: new Counter({ name: 'bot_signature_rejected_total', help: 'Callbacks refused by signature or token', labelNames: ['reason'], registers: [registry] }),
};
