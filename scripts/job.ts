/**
 * Runs one scheduled job by hand, once, for the period of a given time:
 *   npm run job -- <reminders|anniversary|digest|escalation> [--at 2027-05-24 | 2027-05-24T09:00 | 2027-05-24T09:00:00+08:00 [--send]]
 * Opens the database as the bot does (DATABASE_URL, else PGlite in DATA_DIR: refused while the bot holds the
 * folder, PGlite is single-process). With LARK_APP_ID/SECRET set it sends what was queued through the real SDK;
 * otherwise it prints what it queued (the bot's outbox sends it when it next runs).
 * `--at` a day other than today (BOT_TIMEZONE) is a preview: it prints who would get what on that day and claims and
 * queues nothing, so that day's real run still sends it; `--send` runs that day's job for real, now.
 */
import { inArray, like, or } from 'drizzle-orm';
import { outbox } from '../db/schema.js';
import { BulkJobWorker } from '../src/bulkJobs.js';
import { systemClock } from '../src/clock.js';
import { configOrExit } from '../src/config.js';
import { remindJob } from '../src/jobs/reminders.js';
import { isJobName, jobNames, runJob } from '../src/jobs/index.js';
import { previewJob } from '../src/jobs/preview.js';
import { formatDateTimeZh, momentIn, todayIn } from '../src/dates.js';
import { cardRenderers } from '../src/cardRenderers.js';
import { certificateAttachments } from '../src/certificates/index.js';
import { CertificateRenderer } from '../src/certificates/render.js';
import { RESULTS_WORKBOOK_KEEP_MS, withResultsWorkbook } from '../src/workbook.js';
import { addressBookNames } from '../src/addressBookNames.js';
import { withRegisterWorkbook } from '../src/import/export.js';
import { larkReader } from '../src/lark/reader.js';
import { createLarkClient, LarkTransport } from '../src/lark/client.js';
import { openScriptDatabase } from '../src/local/dataDirFailure.js';
import { createCliLogger } from '../src/log.js';
import { chatGoneReroute, deadLetterAlert, personUnreachableAlert } from '../src/notifications.js';
import { OutboxDispatcher } from '../src/outbox.js';

function usage(problem: string): never {
  process.stderr.write(`${problem}\nusage: npm run job -- <${jobNames.join('|')}> [--at <a day or a time in BOT_TIMEZONE, e.g. 2027-05-24 or 2027-05-24T09:00> [--send]]\n`);
  process.exit(2);
}

let name: string | undefined;
let at: string | undefined;
let send = false;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--at') {
    at = args[++i];
    if (!at) usage('--at needs a time');
  } else if (args[i].startsWith('--at=')) at = args[i].slice(5);
  else if (args[i] === '--send') send = true;
  else if (!name) name = args[i];
  else usage(`unexpected argument "${args[i]}"`);
}
if (!name) usage('which job?');
if (!isJobName(name)) usage(`unknown job "${name}"`);

const config = configOrExit();
// a day or a time without an offset is BOT_TIMEZONE's, as the administrators say it: a day alone is its first tick, 09:00
const now = at === undefined ? new Date() : momentIn(at, config.BOT_TIMEZONE, '09:00');
if (!now) usage(`--at "${at}" is not a time: write a day (2027-05-24), a time in BOT_TIMEZONE (2027-05-24T09:00) or one with its offset (2027-05-24T09:00:00+08:00)`);
// short lines on a terminal, JSON elsewhere (src/log.ts)
const log = createCliLogger(config.LOG_LEVEL);
// a full disk or a read-only DATA_DIR ends the job with one line; what its transactions had not committed was not written
const opened = await openScriptDatabase(config, { again: { run: `npm run job -- ${name}` } });
const { database } = opened;
const day = todayIn(config.BOT_TIMEZONE, now);
const today = todayIn(config.BOT_TIMEZONE, new Date());
try {
  if (day !== today && !send) {
    // another day's run would spend that day's claim and send now what is meant for then: shown, not run
    const { outcomes, messages } = await previewJob(name, database.db, { now, timezone: config.BOT_TIMEZONE, bootstrapAdmins: config.ADMIN_OPEN_IDS }, config);
    if (!outcomes.length) process.stdout.write(`${name}: nothing due at ${formatDateTimeZh(now, config.BOT_TIMEZONE)} (${config.BOT_TIMEZONE})\n`);
    for (const o of outcomes) {
      const what = o.details?.bulkJob ? `would run, ${o.details.audience} reminder(s)` : `would run, ${o.queued.length} message(s)`;
      process.stdout.write(`${name} ${o.period}: ${o.status === 'done' ? what : 'already ran (claimed before), nothing would be queued'}\n`);
    }
    for (const m of messages) process.stdout.write(`  would queue ${m.dedupeKey} → ${m.receiver}: ${m.summary}\n`);
    process.stdout.write(`preview only: ${day} is not today (${today}, ${config.BOT_TIMEZONE}); nothing was claimed, queued or sent, and that day's own run is left to do it; to run it for real now instead, add --send\n`);
  } else {
    const outcomes = await runJob(name, database.db, { now, timezone: config.BOT_TIMEZONE, bootstrapAdmins: config.ADMIN_OPEN_IDS });
    if (!outcomes.length) process.stdout.write(`${name}: nothing due at ${formatDateTimeZh(now, config.BOT_TIMEZONE)} (${config.BOT_TIMEZONE})\n`);
    // a reminder period is a bulk job (kind remind): this process works it to the end, as the bot's worker would
    const jobbed = outcomes.filter((o) => o.status === 'done' && o.details?.bulkJob);
    if (jobbed.length) await new BulkJobWorker({ db: database.db, kinds: [remindJob], clock: systemClock, config, log }).drain(120_000);
    for (const o of outcomes) {
      const what = o.details?.bulkJob ? `ran, ${o.details.audience} reminder(s) queued by job ${o.details.bulkJob}` : `ran, ${o.queued.length} message(s) queued`;
      process.stdout.write(`${name} ${o.period}: ${o.status === 'done' ? what : 'already ran (claimed before), nothing queued'}\n`);
    }
    const keys = outcomes.flatMap((o) => o.queued);
    const periodKeys = jobbed.map((o) => like(outbox.dedupeKey, `remind:${o.period}:%`));
    const queuedRows = () => database.db.select().from(outbox).where(or(...(keys.length ? [inArray(outbox.dedupeKey, keys)] : []), ...periodKeys));
    if (config.localMode) {
      const rows = keys.length || periodKeys.length ? await queuedRows() : [];
      for (const r of rows) process.stdout.write(`  queued ${r.dedupeKey} → ${r.receiveIdType} ${r.receiver}\n`);
      if (rows.length) process.stdout.write('LARK_APP_ID is not set: the messages stay in the outbox until the bot runs with a Feishu app.\n');
    } else if (keys.length || jobbed.length) {
      const client = createLarkClient({ appId: config.LARK_APP_ID!, appSecret: config.LARK_APP_SECRET!, domain: config.LARK_DOMAIN, log });
      // the files the bot makes, as src/app.ts makes them: people known by open_id alone named from the address book
      const names = addressBookNames({ db: database.db, reader: larkReader(client), log });
      const certificates = certificateAttachments(database.db, new CertificateRenderer({ templatePath: config.CERTIFICATE_TEMPLATE, font: config.CERTIFICATE_FONT }), config.BOT_TIMEZONE);
      const attachments = withRegisterWorkbook(withResultsWorkbook(certificates, database.db, config.BOT_TIMEZONE, RESULTS_WORKBOOK_KEEP_MS, names), database.db, config.BOT_TIMEZONE, names);
      const dispatcher = new OutboxDispatcher({ db: database.db, transport: new LarkTransport(client, attachments), log, onDeadLetter: deadLetterAlert(config.ADMIN_OPEN_IDS, config.BOT_TIMEZONE), onChatGone: chatGoneReroute(config.ADMIN_OPEN_IDS), onPersonUnreachable: personUnreachableAlert(config.ADMIN_OPEN_IDS), cards: cardRenderers(database.db, config.BOT_TIMEZONE) });
      await dispatcher.drain(120_000);
      process.stdout.write('outbox drained through the Feishu API\n');
    }
  }
} catch (err) {
  opened.failed(err);
} finally {
  await opened.close();
}
