/**
 * Fixes in installed packages that their releases do not have yet, applied by `npm ci` / `npm install` (postinstall,
 * before dist/ is built, so the bundle carries them) and checked by test/dependencyPatches.test.ts. Each fix is a
 * text replacement of the installed file, written once (a second run finds the marker and leaves the file alone). A
 * fix whose text is no longer in the file fails the install: the package changed, so see whether its release fixed
 * the defect (then remove the fix here) or move the fix to the new text.
 *
 * Run alone: `node scripts/patchDependencies.mjs` (`--check` only reports whether every fix is in place).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MARKER = 'gdsz-patch';

/**
 * postgres.js 3.4.9: a query handed to a connection whose socket has closed (a reserved connection or a transaction whose
 * server went away: the pipeline's ROLLBACK after the error, a statement issued after it) is written by a setImmediate
 * that reads `socket.write` of null, an exception no caller can catch: the bot process exits while the database is
 * away (porsager/postgres#1208, #1154; unfixed in 3.4.9). The query is refused as the connection's other queries are
 * (CONNECTION_CLOSED), and a write left pending when the socket closed is dropped with it, so the connection's next
 * start-up message is not queued behind it (it would never be sent, and the connection would time out at every start).
 *
 * And a `reserve()` that started a connection (none was open) was dropped once the connection was up when the pool
 * reads no types (`fetch_types` off, as db/index.ts turns it once read), and whenever the pool handed a waiting reserve
 * to a connection it started again after a close: the reserve never settled and the connection stayed among the
 * starting ones for good (porsager/postgres#751, #1219, #1195; the fix of PR #1220 covers the first only). After a few
 * outages every connection of the bot's pool was starting forever, and every callback waited. The reserve now takes
 * the connection it started; the pool side (below) settles each reserve once and takes it out of its queue then.
 */
const postgresConnection = [
  {
    find: `  function execute(q) {
    if (terminated)
      return queryError(q, Errors.connection('CONNECTION_DESTROYED', options))
`,
    replace: `  function execute(q) {
    if (terminated)
      return queryError(q, Errors.connection('CONNECTION_DESTROYED', options))

    // ${MARKER}: no socket, so nothing could write it (see scripts/patchDependencies.mjs); true keeps the pool's queues as they are
    if (!socket)
      return (queryError(q, Errors.connection('CONNECTION_CLOSED', options)), true)
`,
  },
  {
    find: `  function nextWrite(fn) {
    const x = socket.write(chunk, fn)
`,
    replace: `  function nextWrite(fn) {
    // ${MARKER}: the socket closed after the write was queued: what it held is refused, not thrown past every caller
    if (!socket) {
      nextWriteTimer !== null && clearImmediate(nextWriteTimer)
      chunk = nextWriteTimer = null
      error(Errors.connection('CONNECTION_CLOSED', options))
      return false
    }
    const x = socket.write(chunk, fn)
`,
  },
  {
    find: `    incomings = null
    clearImmediate(nextWriteTimer)
    socket.removeListener('data', data)
`,
    replace: `    incomings = null
    clearImmediate(nextWriteTimer)
    // ${MARKER}: a write pending on the closed socket is dropped, so the next start-up message is written on its own
    chunk = nextWriteTimer = null
    socket.removeListener('data', data)
`,
  },
  {
    find: `      if (needsTypes) {
        initial.reserve && (initial = null)
        return fetchArrayTypes()
      }

      initial && !initial.reserve && execute(initial)
      options.shared.retries = retries = 0
      initial = null
      return
`,
    replace: `      // ${MARKER}: a reserve that started this connection waits for the types as a query does, then takes it
      if (needsTypes)
        return fetchArrayTypes()

      const reserving = initial.reserve ? initial : null
      reserving || execute(initial)
      options.shared.retries = retries = 0
      initial = null
      // ${MARKER}: a reserve served meanwhile by another connection leaves this one to the pool's queue
      reserving && (reserving.reserve(connection) || onopen(connection))
      return
`,
  },
];

/**
 * postgres.js 3.4.9: a reserved connection (`sql.reserve()`, what src/pipeline.ts runs its transactions on) or a
 * transaction (`sql.begin`) whose socket closes keeps a handle on the connection the pool has meanwhile taken back and
 * is starting again. Its next statement (the ROLLBACK after the error) was handed to that connection while it started,
 * and `release()` put the connection among the open ones though it was still starting: later queries went to it and
 * waited without end, and so did a stop of the bot. A statement of a reservation or transaction whose connection has
 * closed is refused (CONNECTION_CLOSED), as are those it had queued, and its `release()` leaves the pool's connection alone.
 */
const postgresPool = [
  {
    find: `      : await new Promise((resolve, reject) => {
        const query = { reserve: resolve, reject }
        queries.push(query)
`,
    replace: `      : await new Promise((resolve, reject) => {
        // ${MARKER}: settled once, by the first connection that takes it or the first failure, and out of the queue then
        let settled = false
        const settle = (f, x) => settled ? false : (settled = true, queries.remove(query), f(x), true)
        const query = { reserve: c => settle(resolve, c), reject: e => settle(reject, e) }
        queries.push(query)
`,
  },
  {
    find: `      const query = queries.shift()
      if (query.reserve)
        return query.reserve(c)
`,
    replace: `      const query = queries.shift()
      // ${MARKER}: a reserve settled meanwhile is passed over
      if (query.reserve) {
        if (query.reserve(c))
          return
        if (queries.length === 0)
          return move(c, open)
        continue
      }
`,
  },
  {
    find: `    c.reserved.release = true

    const sql = Sql(handler)
    sql.release = () => {
      c.reserved = null
      onopen(c)
    }
`,
    replace: `    c.reserved.release = true
    // ${MARKER}: the reservation holds the connection until it closes; the pool then takes it back (see scripts/patchDependencies.mjs)
    const mine = c.reserved
    c.onclose = e => { while (queue.length) queue.shift().reject(e) }

    const sql = Sql(handler)
    sql.release = () => {
      if (c.reserved !== mine)
        return
      c.reserved = null
      c.onclose = null
      onopen(c)
    }
`,
  },
  {
    find: `    function handler(q) {
      c.queue === full
        ? queue.push(q)
        : c.execute(q) || move(c, full)
    }
  }
`,
    replace: `    function handler(q) {
      // ${MARKER}: closed since it was reserved: not handed to the connection the pool is starting again
      if (c.reserved !== mine)
        return q.reject(Errors.connection('CONNECTION_CLOSED', options))
      c.queue === full
        ? queue.push(q)
        : c.execute(q) || move(c, full)
    }
  }
`,
  },
  {
    find: `        new Promise((_, reject) => connection.onclose = reject)
`,
    replace: `        // ${MARKER}: what the transaction had queued is refused with it
        new Promise((_, reject) => connection.onclose = e => { while (queries.length) queries.shift().reject(e); reject(e) })
`,
  },
  {
    find: `      function handler(q) {
        q.catch(e => uncaughtError || (uncaughtError = e))
        c.queue === full
`,
    replace: `      function handler(q) {
        q.catch(e => uncaughtError || (uncaughtError = e))
        // ${MARKER}: the transaction's connection closed (or the transaction ended): not handed to the connection the pool is starting again
        if (c.reserved !== owned)
          return q.reject(Errors.connection('CONNECTION_CLOSED', options))
        c.queue === full
`,
  },
  {
    find: `    function onexecute(c) {
      connection = c
      move(c, reserved)
      c.reserved = () => queries.length
        ? c.execute(queries.shift())
        : move(c, reserved)
    }
`,
    replace: `    function onexecute(c) {
      connection = c
      move(c, reserved)
      c.reserved = () => queries.length
        ? c.execute(queries.shift())
        : move(c, reserved)
      // ${MARKER}: whose reservation this is (the handler above compares)
      owned = c.reserved
    }
`,
  },
  {
    find: `    let savepoints = 0
      , connection
      , prepare = null
`,
    replace: `    let savepoints = 0
      , connection
      , prepare = null
      , owned = null // ${MARKER}
`,
  },
];

/**
 * sonic-boom 4.2.1 (pino's writer): `flushSync`, which pino calls as the process exits, retries a write that failed with
 * any error but EAGAIN / EBUSY every 100 ms for ever, so a bot whose log went to a pipe no longer read (`| head`, a log
 * shipper that died) and stopped with a line still pending never exited: `process.exit` blocked in the loop, and no
 * deadline timer or second signal could run (`flushBufferSync` and `flushSync` alike). Any other error is thrown, as
 * the EAGAIN case is once its retries are spent: the process then ends.
 */
const sonicBoomRethrow = (before) => ({
  find: `${before}
      }
    } catch (err) {
      const shouldRetry = err.code === 'EAGAIN' || err.code === 'EBUSY'
      if (shouldRetry && !this.retryEAGAIN(err, buf.length, this._len - buf.length)) {`,
  replace: `${before}
      }
    } catch (err) {
      const shouldRetry = err.code === 'EAGAIN' || err.code === 'EBUSY'
      // ${MARKER}: an error no retry mends (EPIPE: nobody reads the pipe) is thrown, not retried for ever
      if (!shouldRetry || !this.retryEAGAIN(err, buf.length, this._len - buf.length)) {`,
});
const sonicBoom = [sonicBoomRethrow('        this._bufs.shift()'), sonicBoomRethrow('        this._lens.shift()')];

export const patches = [
  { file: 'node_modules/postgres/src/connection.js', edits: postgresConnection },
  { file: 'node_modules/postgres/cjs/src/connection.js', edits: postgresConnection },
  { file: 'node_modules/postgres/src/index.js', edits: postgresPool },
  { file: 'node_modules/postgres/cjs/src/index.js', edits: postgresPool },
  { file: 'node_modules/sonic-boom/index.js', edits: sonicBoom },
];

/** The files the fixes change (scripts/build.mjs rebuilds dist/ when one is newer). */
export const patchedFiles = patches.map((p) => join(root, p.file));

/** Applies every fix not yet applied; returns what it did, file by file. Throws when a fix's text is not found. */
export function applyPatches({ check = false } = {}) {
  const report = [];
  for (const { file, edits } of patches) {
    const path = join(root, file);
    if (!existsSync(path)) throw new Error(`${file} is missing: is the package installed?`);
    let text = readFileSync(path, 'utf8');
    let applied = 0;
    for (const edit of edits) {
      if (text.includes(edit.replace)) continue;
      if (!text.includes(edit.find)) {
        throw new Error(`${file}: a fix of scripts/patchDependencies.mjs no longer matches the installed code (the package changed: see whether its release fixed the defect)`);
      }
      if (check) throw new Error(`${file}: a fix of scripts/patchDependencies.mjs is not applied (run node scripts/patchDependencies.mjs)`);
      text = text.replace(edit.find, edit.replace);
      applied++;
    }
    if (applied) writeFileSync(path, text);
    report.push({ file, applied, already: edits.length - applied });
  }
  return report;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const report = applyPatches({ check: process.argv.includes('--check') });
    const applied = report.reduce((n, r) => n + r.applied, 0);
    if (applied) process.stderr.write(`patched installed packages: ${report.filter((r) => r.applied).map((r) => r.file).join(', ')}\n`);
  } catch (err) {
    process.stderr.write(`patchDependencies: ${err.message}\n`);
    process.exit(1);
  }
}
