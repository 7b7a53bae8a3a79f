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
];

export const patches = [
  { file: 'node_modules/postgres/src/connection.js', edits: postgresConnection },
  { file: 'node_modules/postgres/cjs/src/connection.js', edits: postgresConnection },
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
