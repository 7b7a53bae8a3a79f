import { isIPv4, isIPv6 } from 'node:net';
import { and, asc, eq, gt, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { rateLimitHits } from '../db/schema.js';

/** At most `max` counted requests under `key` in any window of `windowMs`. */
export interface RateRule {
  key: string;
  max: number;
  windowMs: number;
}

/** Thrown inside the transaction so that nothing of a refused request, its count included, is kept. */
export class RateLimited extends Error {
  constructor(
    readonly rule: RateRule,
    readonly retryAfterMs: number,
  ) {
    super(`rate limit ${rule.key}: ${rule.max} per ${rule.windowMs} ms`);
  }
}

/**
 * Counts one request under every rule, or throws RateLimited naming the first rule it would break.
 * Call it in the transaction of the request's effect: a rollback (bad input, a refusal) uncounts it.
 * A transaction-scoped advisory lock per key makes check-and-count atomic across replicas; rules are
 * taken in the order given, so two requests never wait on each other's locks in a cycle.
 */
export async function countRequest(tx: Db, rules: RateRule[], now: Date): Promise<void> {
  for (const rule of rules) {
    if (rule.windowMs > RATE_HITS_KEPT_MS) throw new Error(`rate rule ${rule.key}: a window of ${rule.windowMs} ms is longer than counted requests are kept (RATE_HITS_KEPT_MS)`);
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`rate:${rule.key}`}, 0))`);
    const since = new Date(now.getTime() - rule.windowMs);
    const recent = await tx
      .select({ at: rateLimitHits.at })
      .from(rateLimitHits)
      .where(and(eq(rateLimitHits.key, rule.key), gt(rateLimitHits.at, since)))
      .orderBy(asc(rateLimitHits.at))
      .limit(rule.max);
    if (recent.length >= rule.max) throw new RateLimited(rule, Math.max(1000, recent[0].at.getTime() + rule.windowMs - now.getTime()));
    await tx.insert(rateLimitHits).values({ key: rule.key, at: now });
  }
  // rows older than any rule's window count for nothing: each counted request clears some away. The horizon is every
  // rule's, not this call's: a request counted under a 10-minute rule alone must not clear another key's day
  await tx.execute(sql`delete from ${rateLimitHits} where id in (select id from ${rateLimitHits} where ${lt(rateLimitHits.at, new Date(now.getTime() - RATE_HITS_KEPT_MS))} limit 100)`);
}

/** How long a counted request is kept: the longest window a rule may have (a day, the complaint form's per-address rule). */
export const RATE_HITS_KEPT_MS = 86_400_000;

/**
 * How long until `rule` takes another request, when it is full now (undefined when it is not); a read that counts
 * nothing, for a gate in front of requests counted only when they fail (`complaintRefusalRules`).
 */
export async function fullFor(db: Db, rule: RateRule, now: Date): Promise<number | undefined> {
  const recent = await db
    .select({ at: rateLimitHits.at })
    .from(rateLimitHits)
    .where(and(eq(rateLimitHits.key, rule.key), gt(rateLimitHits.at, new Date(now.getTime() - rule.windowMs))))
    .orderBy(asc(rateLimitHits.at))
    .limit(rule.max);
  return recent.length >= rule.max ? Math.max(1000, recent[0].at.getTime() + rule.windowMs - now.getTime()) : undefined;
}

/** The key of a client address: IPv4 as is, IPv6 by its /64 (one subscriber's whole network), IPv4-mapped IPv6 as IPv4, anything else `unknown`. */
export function addressKey(ip: string): string {
  const plain = plainAddress(ip);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(plain);
  if (mapped && isIPv4(mapped[1])) return mapped[1];
  if (isIPv4(plain)) return plain;
  // anything else is one key, so that no value made up per request is a fresh quota
  if (!isIPv6(plain)) return 'unknown';
  return prefixKey(plain, 4);
}

/**
 * The key of the network an IPv6 address is in, by its /48: what a provider or a tunnel broker gives one customer, 65 536
 * /64s, each of which `addressKey` counts apart. Undefined for IPv4 (a /24 is many people behind a carrier's NAT).
 */
export function networkKey(ip: string): string | undefined {
  const plain = plainAddress(ip);
  if (!isIPv6(plain) || /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(plain)) return undefined;
  return prefixKey(plain, 3);
}

/**
 * The address alone: without the brackets of an IPv6 address, its zone, or a port some proxies write after it in
 * X-Forwarded-For (203.0.113.7:51234, [2001:db8::1]:443), which would make each connection an address of its own.
 */
function plainAddress(ip: string): string {
  const t = ip.trim();
  const bracketed = /^\[([^\]]*)\](?::\d+)?$/.exec(t);
  const address = bracketed ? bracketed[1] : (/^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(t)?.[1] ?? t);
  return address.replace(/%.*$/, '');
}

/** The first `groups` groups of an IPv6 address (16 bits each), written short, with the prefix length. */
function prefixKey(plain: string, groups: number): string {
  const [head, tail = ''] = plain.toLowerCase().split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = plain.includes('::') ? (tail ? tail.split(':') : []) : [];
  const all = plain.includes('::') ? [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups] : headGroups;
  return `${all.slice(0, groups).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/${groups * 16}`;
}
