/**
 * Writes test/support/durations.json, each test file's duration in seconds, from a vitest JSON report:
 *   npx vitest run --reporter=json --outputFile=/tmp/report.json && node test/support/durations.mjs /tmp/report.json
 * The order the suite runs in on a machine that has not run it before (test/support/sequencer.ts): longest first.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';

const [report] = process.argv.slice(2);
if (!report) {
  console.error('usage: node test/support/durations.mjs REPORT.json');
  process.exit(2);
}
const root = new URL('../..', import.meta.url).pathname;
// a report written in another checkout names its files under that one's folder
const named = (file) => (relative(root, file).startsWith('..') ? (/^.*?\/(test\/.+)$/.exec(file)?.[1] ?? file) : relative(root, file));
const files = JSON.parse(readFileSync(report, 'utf8')).testResults.map((t) => [named(t.name), Math.round((t.endTime - t.startTime) / 100) / 10]);
files.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
writeFileSync(new URL('./durations.json', import.meta.url), `${JSON.stringify(Object.fromEntries(files), null, 1)}\n`);
console.log(`test/support/durations.json: ${files.length} files`);
