/**
 * Strings as PostgreSQL stores them: its text and jsonb refuse NUL and lone UTF-16 surrogates, which would fail the event
 * (or the job, or the queued card) that writes them.
 * A value with none of them (nearly every one) is returned as it is, without a copy.
 */
export function storable<T>(v: T): T {
  return needsCleaning(v) ? cleaned(v) : v;
}

/** NUL or any surrogate: a paired one is fine, but rare enough to take the slow path. */
const suspect = /[\u0000\ud800-\udfff]/;

function needsCleaning(v: unknown): boolean {
  if (typeof v === 'string') return suspect.test(v);
  if (Array.isArray(v)) return v.some(needsCleaning);
  if (v && typeof v === 'object') {
    for (const k in v) if (Object.hasOwn(v, k) && (suspect.test(k) || needsCleaning((v as Record<string, unknown>)[k]))) return true;
  }
  return false;
}

function cleaned<T>(v: T): T {
  if (typeof v === 'string') return v.replace(/\u0000/g, '').replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd') as T;
  if (Array.isArray(v)) return v.map(cleaned) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [cleaned(k), cleaned(x)])) as T;
  return v;
}
