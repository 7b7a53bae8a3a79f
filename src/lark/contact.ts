import type * as lark from '@larksuiteoapi/node-sdk';
import { withFreshToken } from './client.js';

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
    );
    if (res?.code !== 0) throw new Error(`contact/v3/users/batch_get_id answered code ${res?.code}: ${res?.msg ?? ''}`);
    for (const user of res.data?.user_list ?? []) {
      if (!user.user_id) continue;
      if (user.mobile) for (const original of mobilesByKey.get(mobileKey(user.mobile)) ?? []) byMobile.set(original, user.user_id);
      if (user.email) for (const original of emailsByKey.get(emailKey(user.email)) ?? []) byEmail.set(original, user.user_id);
    }
  }
  return { byMobile, byEmail };
}
