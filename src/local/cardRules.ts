/**
 * The rules Feishu applies to a card JSON 2.0 before it accepts it (send, reply, update, a callback's answer),
 * checked the same way by the simulated Open Platform and by the tests' card checker.
 */

import { CARD_BODY_LIMIT, cardBodyBytes } from '../../cards/kit.js';

/**
 * Feishu's limit for the request body that carries a card (30 KB, the card escaped as the `content` string):
 * see CARD_BODY_LIMIT in cards/kit.ts.
 */
export const MAX_CARD_CONTENT_BYTES = CARD_BODY_LIMIT;
/** Feishu counts every object carrying a `tag` (plain_text in buttons, labels, placeholders, the header): at most 200. */
export const MAX_CARD_TAGGED_OBJECTS = 200;
/** JSON 1.0 tags that a 2.0 card may not contain. */
const JSON_1_ONLY_TAGS = new Set(['action', 'note']);

/** Every object with a `tag`, anywhere in the card, with its path. */
export function taggedObjects(card: unknown): { path: string; node: Record<string, unknown> }[] {
  const out: { path: string; node: Record<string, unknown> }[] = [];
  const walk = (v: unknown, path: string) => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (v && typeof v === 'object') {
      const node = v as Record<string, unknown>;
      // a callback's value is ours, carried back untouched: Feishu does not read tags inside it
      if (typeof node.tag === 'string') out.push({ path, node });
      for (const [k, x] of Object.entries(node)) if (k !== 'value' || typeof node.tag === 'string') walk(x, path ? `${path}.${k}` : k);
    }
  };
  walk(card, '');
  return out;
}

/**
 * Why Feishu would refuse this card, [] when it would not: at most 30 KB as it travels (the request body, measured
 * by `bodyBytes` when the caller has the body, else estimated by cardBodyBytes) and 200 tagged objects, in a 2.0
 * card no JSON 1.0 tags, inputs within their limits, and each component `name` unique across the whole card
 * (https://open.feishu.cn/document/feishu-cards/card-json-v2-structure; a repeated name fails the form's submit).
 */
export function cardRuleViolations(card: unknown, opts: { bodyBytes?: number } = {}): string[] {
  const problems: string[] = [];
  const c = card as { schema?: unknown; body?: { elements?: unknown } } | null;
  if (!c || typeof c !== 'object') return ['card is not a JSON object'];
  const v2 = c.schema === '2.0';
  const bytes = opts.bodyBytes ?? cardBodyBytes(card);
  if (bytes > MAX_CARD_CONTENT_BYTES) problems.push(`card takes ${bytes} bytes as sent (escaped in the request body), over 30 KB`);
  if (v2 && !Array.isArray(c.body?.elements)) problems.push('body.elements missing');
  const tagged = taggedObjects(card);
  if (tagged.length > MAX_CARD_TAGGED_OBJECTS) problems.push(`${tagged.length} tagged objects, over ${MAX_CARD_TAGGED_OBJECTS}`);
  const seen = new Map<string, string>();
  for (const { path, node } of tagged) {
    if (v2 && JSON_1_ONLY_TAGS.has(node.tag as string)) problems.push(`${path}: tag "${node.tag}" does not exist in JSON 2.0`);
    if (node.tag === 'input') problems.push(...inputProblems(path, node));
    if (typeof node.name === 'string' && node.name !== '') {
      const first = seen.get(node.name);
      if (first !== undefined) problems.push(`${path}: name "${node.name}" already used at ${first}`);
      else seen.set(node.name, path);
    }
  }
  return problems;
}

/**
 * An input's own limits: max_length is an integer from 1 to 1 000
 * (https://open.feishu.cn/document/feishu-cards/card-json-v2-components/interactive-components/input), and what
 * is pre-filled (default_value) may not be longer than it: what the user could not have typed is refused.
 */
function inputProblems(path: string, node: Record<string, unknown>): string[] {
  const max = node.max_length;
  if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 1000)) return [`${path}: max_length ${String(max)} is not within 1–1000`];
  const value = node.default_value;
  const limit = typeof max === 'number' ? max : 1000;
  if (typeof value === 'string' && value.length > limit) return [`${path}: default_value of ${value.length} characters is longer than max_length ${limit}`];
  return [];
}

/** The component of this name, anywhere in the card (names are unique card-wide). */
export function findComponentByName(card: unknown, name: string): Record<string, unknown> | undefined {
  return taggedObjects(card).find((t) => t.node.name === name)?.node;
}
