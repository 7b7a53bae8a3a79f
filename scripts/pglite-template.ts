/**
 * Run by `npm ci` / `npm install` (postinstall): makes the initialised and migrated PGlite data directory a first
 * `npm start` copies instead of running initdb and the migrations (seconds on a 2-core machine). Never fails the install.
 */
import { buildPgliteTemplate } from '../src/local/dataDir.js';

try {
  const started = Date.now();
  const built = await buildPgliteTemplate();
  if (built) process.stdout.write(`pglite template ready in ${Date.now() - started} ms: ${built}\n`);
} catch (err) {
  process.stdout.write(`pglite template not made (${(err as Error).message}); a first start runs initdb instead\n`);
}
