import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The layering of DESIGN.md, read from the source tree: a feature folder of bot/ imports no other
 * feature's modules (it calls a src/ service or draws a cards/ card), bot/ runs no query of its own,
 * and src/ never reaches into bot/. Every import is read, dynamic ones too.
 */

/** Files at the root of bot/ that every feature may use. */
const SHARED_BOT_FILES = ['bot/lookup.ts', 'bot/respond.ts', 'bot/index.ts', 'bot/bulkJobs.ts'];

/** Modules that are queries: they belong in src/. */
const QUERY_MODULES = [/^drizzle-orm(\/|$)/, /^db\/schema(\.ts)?$/];

/** Known imports that break a rule, each with the reason it stands. An entry no longer needed fails the test. */
const ALLOWED: { from: string; to: string; why: string }[] = [
  // the composition root: the server is built with the bot's registry and its bulk-job kinds
  { from: 'src/app.ts', to: 'bot/index.ts', why: 'composition root' },
  { from: 'src/app.ts', to: 'bot/bulkJobs.ts', why: 'composition root' },
];

interface Import {
  from: string;
  /** Only `import type` / `export type` statements name this module. */
  typeOnly?: boolean;
  /** Repository path of a relative import (bot/review/view.ts), else the package name as written. */
  to: string;
}

const ROOTS = ['src', 'bot', 'cards'];

/** What cards/ may use of src/ at run time: pure formatting, no I/O. Anything else of ours only as a type. */
const CARD_RUNTIME_IMPORTS = ['src/dates.ts'];

/** What card JSON looks like in source: a component's tag, the card's schema, a list of elements. */
const CARD_JSON = /\btag:\s*['"]|\bschema:\s*['"]2\.0['"]|\belements:\s*\[/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Every module a file imports or re-exports, static or dynamic, as a repository path where it is one of ours. */
function importsOf(file: string, source: string): Import[] {
  const typeSpecs = new Set<string>();
  const valueSpecs = new Set<string>();
  for (const m of source.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?from\s+'([^']+)'/gms)) (m[1] ? typeSpecs : valueSpecs).add(m[2]);
  return ts.preProcessFile(source, true, true).importedFiles.map(({ fileName: spec }) => {
    const typeOnly = typeSpecs.has(spec) && !valueSpecs.has(spec);
    if (!spec.startsWith('.')) return { from: file, to: spec, typeOnly };
    return { from: file, to: normalize(join(dirname(file), spec)).replace(/\\/g, '/').replace(/\.js$/, '.ts'), typeOnly };
  });
}

/** The bot feature folder a path is in (bot/review/view.ts → review), or undefined at bot/'s root and elsewhere. */
const featureOf = (path: string) => /^bot\/([^/]+)\//.exec(path)?.[1];

/** Which rule an import breaks, if any. */
function brokenRule(i: Import): string | undefined {
  if (i.from.startsWith('bot/')) {
    const mine = featureOf(i.from);
    const theirs = featureOf(i.to);
    // bot/'s root files (the registry, the bulk-job list) gather the features: only a feature folder is confined
    if (mine && theirs && theirs !== mine) return `bot/${mine} imports another feature's module`;
    if (mine && i.to.startsWith('bot/') && !theirs && !SHARED_BOT_FILES.includes(i.to)) return 'bot/ root file not declared shared';
    if (QUERY_MODULES.some((m) => m.test(i.to))) return 'a query in bot/ (queries live in src/)';
  }
  if (i.from.startsWith('src/') && i.to.startsWith('bot/')) return 'src/ imports bot/';
  if (i.from.startsWith('cards/')) {
    if (i.to.startsWith('bot/') || i.to.startsWith('db/') || QUERY_MODULES.some((m) => m.test(i.to))) return 'cards/ are pure: no bot/, no database';
    if (i.to.startsWith('src/') && !i.typeOnly && !CARD_RUNTIME_IMPORTS.includes(i.to)) return 'cards/ use only types of src/ (and its date formatting)';
  }
  return undefined;
}

const isAllowed = (i: Import) => ALLOWED.some((a) => a.from === i.from && a.to === i.to);

function treeImports(): Import[] {
  return ROOTS.flatMap((root) => sourceFiles(root)).flatMap((file) => importsOf(file.replace(/\\/g, '/'), readFileSync(file, 'utf8')));
}

describe('the layering of DESIGN.md', () => {
  const all = treeImports();

  it('reads the tree: bot/ and src/ files and their imports', () => {
    expect(new Set(all.map((i) => i.from.split('/')[0]))).toEqual(new Set(['src', 'bot', 'cards']));
    expect(all.some((i) => i.from === 'bot/review/index.ts' && i.to === 'src/handlers.ts')).toBe(true);
  });

  it('no feature folder of bot/ imports another, bot/ runs no query, src/ does not reach into bot/', () => {
    const broken = all.filter((i) => brokenRule(i) && !isAllowed(i)).map((i) => `${i.from} → ${i.to}: ${brokenRule(i)}`);
    expect(broken).toEqual([]);
  });

  it('bot/ builds no card of its own: card JSON (a tag, a schema, elements) is written in cards/', () => {
    const inline = sourceFiles('bot')
      .map((file) => [file.replace(/\\/g, '/'), readFileSync(file, 'utf8')] as const)
      .flatMap(([file, source]) => [...source.matchAll(new RegExp(CARD_JSON, 'g'))].map((m) => `${file}: ${m[0]}`));
    expect(inline).toEqual([]);
    expect(`x = { tag: 'markdown', content }`).toMatch(CARD_JSON);
    expect(`return { schema: '2.0', body }`).toMatch(CARD_JSON);
  });

  it('every allow-list entry is still needed (delete the entry once its import is gone)', () => {
    const stale = ALLOWED.filter((a) => !all.some((i) => i.from === a.from && i.to === a.to && brokenRule(i)));
    expect(stale).toEqual([]);
  });

  it.each([
    ['bot/experts/conflicts.ts', "import { announceReplacement } from '../review/view.js';", "bot/experts imports another feature's module"],
    ['bot/results/preview.ts', "const { progressCardFor } = await import('../review/view.js');", "bot/results imports another feature's module"],
    ['bot/review/panels.ts', "export { x } from '../teams/view.js';", "bot/review imports another feature's module"],
    ['bot/review/panels.ts', "import { eq } from 'drizzle-orm';", 'a query in bot/ (queries live in src/)'],
    ['bot/review/panels.ts', "import { teams } from '../../db/schema.js';", 'a query in bot/ (queries live in src/)'],
    ['bot/respond.ts', "import { sql } from 'drizzle-orm/sql';", 'a query in bot/ (queries live in src/)'],
    ['bot/review/panels.ts', "import { helper } from '../helpers.js';", 'bot/ root file not declared shared'],
    ['src/review/progress.ts', "import { progressCardFor } from '../../bot/review/view.js';", 'src/ imports bot/'],
    ['cards/review.ts', "import { getTasks } from '../src/review/scoring.js';", 'cards/ use only types of src/ (and its date formatting)'],
    ['cards/review.ts', "import { type Task, getTasks } from '../src/review/scoring.js';", 'cards/ use only types of src/ (and its date formatting)'],
    ['cards/review.ts', "import { sql } from 'drizzle-orm';", 'cards/ are pure: no bot/, no database'],
    ['cards/teams.ts', "import { respond } from '../bot/respond.js';", 'cards/ are pure: no bot/, no database'],
  ])('refuses %s: %s', (file, line, rule) => {
    const [i] = importsOf(file, line);
    expect(brokenRule(i)).toBe(rule);
    expect(isAllowed(i)).toBe(false);
  });

  it.each([
    ['bot/review/conflicts.ts', "import { announceReplacement } from './view.js';"],
    ['bot/review/panels.ts', "import { idFrom } from '../respond.js';"],
    ['bot/index.ts', "import { register as registerReview } from './review/index.js';"],
    ['bot/experts/pool.ts', "import { personFromLookup } from '../lookup.js';"],
    ['bot/results/preview.ts', "import { progressView } from '../../src/review/progress.js';"],
    ['bot/results/preview.ts', "import { progressCard } from '../../cards/review.js';"],
    ['src/review/progress.ts', "import type { ProgressView } from '../../cards/review.js';"],
    ['src/review/results.ts', "import { eq } from 'drizzle-orm';"],
    ['cards/review.ts', "import type { Task } from '../src/review/scoring.js';"],
    ['cards/teams.ts', "import { formatDateZh } from '../src/dates.js';"],
    ['cards/admin.ts', "import { form } from './forms.js';"],
  ])('lets through %s: %s', (file, line) => {
    const [i] = importsOf(file, line);
    expect(brokenRule(i)).toBeUndefined();
  });
});
