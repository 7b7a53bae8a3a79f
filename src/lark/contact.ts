import type * as lark from '@larksuiteoapi/node-sdk';
import { withFreshToken } from './client.js';

/**
 * Feishu refused a call for a permission the app has not been given (or not in a published version): HTTP 400, 99991672
 * "Access denied. One of the following scopes is required: [contact:user.id:readonly]…"
 * (https://open.feishu.cn/document/server-docs/api-call-guide/generic-error-code). Asking again changes nothing until an
 * administrator of the app adds the permission and publishes a version; `scopes` are those Feishu named.
 */
export class ScopeMissing extends Error {
  constructor(readonly scopes: string[]) {
    super(`the app lacks a permission Feishu asks for: one of ${scopes.join(', ') || '(unnamed)'}`);
  }
}

const SCOPE_MISSING = 99991672;

/** The ScopeMissing `err` (what the SDK threw, or the `{ code, msg }` it returned) stands for, if it is one. */
export function scopeMissing(err: unknown): ScopeMissing | undefined {
  const e = err as { response?: { data?: { code?: unknown; msg?: unknown } }; code?: unknown; msg?: unknown } | null | undefined;
  const body = e?.response?.data ?? e;
  if (body?.code !== SCOPE_MISSING) return undefined;
  const named = /scopes? is required: \[([^\]]*)\]/.exec(String(body.msg ?? ''))?.[1] ?? '';
  return new ScopeMissing(named.split(',').map((s) => s.trim()).filter(Boolean));
}

/** Feishu takes at most 50 mobiles and 50 e-mails per call (contact/v3/users/batch_get_id). */
export const BATCH_GET_ID_LIMIT = 50;

export interface ResolvedUserIds {
  /** the caller's mobile string → open_id, only for those Feishu found */
  byMobile: Map<string, string>;
  /** the caller's e-mail string → open_id, only for those Feishu found */
  byEmail: Map<string, string>;
}

/**
 * A mainland number written as 138 1234 5678, 138-1234-5678 (or with the en or em dash a word processor makes of the
 * hyphen), +86 13812345678 or 0086 13812345678 is one key; others keep their +code (00852… is +852…).
 */
export function mobileKey(mobile: string): string {
  const compact = mobile.replace(/[\s\-‐‑‒–—―﹣－()（）]/g, '').replace(/^00(?=[1-9])/, '+');
  const mainland = /^(?:\+?86)?(1\d{10})$/.exec(compact);
  return mainland ? mainland[1] : compact;
}

export function emailKey(email: string): string {
  return email.trim().toLowerCase();
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * open_ids of people named by mobile or e-mail, through POST /open-apis/contact/v3/users/batch_get_id
 * (https://open.feishu.cn/document/server-docs/contact-v3/user/batch_get_id): 50 of each per call, and
 * someone outside the app's availability or unknown to the tenant simply comes back without an id.
 * A failed call throws, naming the Feishu code.
 */
export async function resolveUserIds(client: lark.Client, query: { mobiles?: string[]; emails?: string[] }): Promise<ResolvedUserIds> {
  const byMobile = new Map<string, string>();
  const byEmail = new Map<string, string>();
  const mobilesByKey = new Map<string, string[]>();
  for (const m of query.mobiles ?? []) if (m.trim()) mobilesByKey.set(mobileKey(m), [...(mobilesByKey.get(mobileKey(m)) ?? []), m]);
  const emailsByKey = new Map<string, string[]>();
  for (const e of query.emails ?? []) if (e.trim()) emailsByKey.set(emailKey(e), [...(emailsByKey.get(emailKey(e)) ?? []), e]);

  const mobileBatches = chunks([...mobilesByKey.keys()], BATCH_GET_ID_LIMIT);
  const emailBatches = chunks([...emailsByKey.keys()], BATCH_GET_ID_LIMIT);
  for (let i = 0; i < Math.max(mobileBatches.length, emailBatches.length); i++) {
    const mobiles = mobileBatches[i] ?? [];
    const emails = emailBatches[i] ?? [];
    const res = await withFreshToken(client, () =>
      client.contact.v3.user.batchGetId({
        params: { user_id_type: 'open_id' },
        data: { ...(mobiles.length ? { mobiles } : {}), ...(emails.length ? { emails } : {}) },
      }),
    ).catch((err: unknown) => {
      throw scopeMissing(err) ?? err;
    });
    if (res?.code !== 0) throw scopeMissing(res) ?? new Error(`contact/v3/users/batch_get_id answered code ${res?.code}: ${res?.msg ?? ''}`);
    for (const user of res.data?.user_list ?? []) {
      if (!user.user_id) continue;
      if (user.mobile) for (const original of mobilesByKey.get(mobileKey(user.mobile)) ?? []) byMobile.set(original, user.user_id);
      if (user.email) for (const original of emailsByKey.get(emailKey(user.email)) ?? []) byEmail.set(original, user.user_id);
    }
  }
  return { byMobile, byEmail };
}
