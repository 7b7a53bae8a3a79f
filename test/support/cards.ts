import { expect } from 'vitest';
import { cardRuleViolations, FORM_FIELDS, taggedObjects } from '../../src/local/cardRules.js';

/** Problems that would make Feishu reject the card or our handlers miss a field; [] when none. */
export function cardProblems(card: any): string[] {
  // what Feishu itself refuses: size, every tagged object counted, names unique card-wide, JSON 1.0 tags
  const problems = cardRuleViolations(card);
  if (card?.schema !== '2.0') problems.push('schema is not "2.0"');
  const walk = (el: any, path: string) => {
    if (!el || typeof el !== 'object') return;
    const tag = el.tag;
    if (typeof tag !== 'string') problems.push(`${path}: element without tag`);
    // (a form's own rules, names included, are Feishu's: cardRuleViolations checks them)
    if (tag === 'button') {
      const action = el.behaviors?.[0]?.value?.action ?? (el.behaviors?.[0]?.type === 'open_url' ? 'open_url' : undefined);
      if (typeof action !== 'string' || !action) problems.push(`${path}: button without behaviors[0].value.action`);
    }
    for (const key of ['elements', 'columns']) {
      if (Array.isArray(el[key])) el[key].forEach((c: any, i: number) => walk(c, `${path}.${key}[${i}]`));
    }
  };
  (card?.body?.elements ?? []).forEach((e: any, i: number) => walk(e, `elements[${i}]`));
  return problems;
}

/** How many objects with a `tag` the card holds, as Feishu counts them against its 200. */
export function taggedCount(card: any): number {
  return taggedObjects(card).length;
}

export function expectValidCard(card: any): void {
  expect(cardProblems(card), JSON.stringify(card).slice(0, 300)).toEqual([]);
}

/** All the text a card shows, for assertions on what a user reads. */
export function cardText(card: any): string {
  const out: string[] = [];
  const walk = (v: any) => {
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (k !== 'behaviors' && k !== 'value') walk(x);
  };
  walk(card);
  return out.join('\n');
}

/** Every button's action value, in order. */
export function cardActions(card: any): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const walk = (v: any) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      if (v.tag === 'button' && v.behaviors?.[0]?.value) out.push(v.behaviors[0].value);
      Object.values(v).forEach(walk);
    }
  };
  walk(card);
  return out;
}

/** The names of every form field in the card. */
export function formFieldNames(card: any): string[] {
  const out: string[] = [];
  const walk = (v: any) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      if (FORM_FIELDS.has(v.tag) && v.name) out.push(v.name);
      Object.values(v).forEach(walk);
    }
  };
  walk(card);
  return out;
}

/** The default value each input of a card shows, by name: what a refused form kept of what was typed. */
export function inputValues(card: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  JSON.stringify(card, (_k, v) => {
    if (v && typeof v === 'object' && v.tag === 'input') out[v.name] = v.default_value;
    return v;
  });
  return out;
}
