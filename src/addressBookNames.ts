import { and, eq, inArray, isNull, like, not, or, sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { people } from '../db/schema.js';
import { errorCode } from './lark/client.js';
import { scopeMissing } from './lark/contact.js';
import type { FeishuReader } from './lark/reader.js';
import type { Logger } from './log.js';
import { PENDING_PREFIX } from './import/people.js';
import { rowsOf } from './outbox.js';

/** Profiles asked of Feishu for one file at most; the rest are asked for the next file. */
export const NAMES_PER_FILE = 300;
/** How long one file waits for names at most: the outbox's claim of its row lasts 180 s, and the file need not wait. */
export const NAMES_WAIT_MS = 15_000;
/** Someone whose profile gave no name (no field permission) is not asked again sooner. */
export const ASK_AGAIN_MS = 10 * 60_000;
/** Someone whose profile Feishu refused (41050: outside the app's contact range, or gone) is not asked again sooner. */
export const REFUSED_AGAIN_MS = 24 * 60 * 60_000;
/** Calls at once, each taking at least CALL_MS, shared by every file being made: at most 40 a second, under user.get's 50. */
const WORKERS = 4;
const CALL_MS = 100;
/**
 * Profiles answered without a name in a row, none with one, after which the rest of the file's are not asked: the app
 * has the profile's permission but not the name's field permission, and every other answer would be the same.
 */
export const NAMELESS_RUN = 10;
/** Failures in a row (Feishu slow, refusing or rate limiting) after which the file is made without the rest. */
export const FAILED_RUN = 5;
/** https://open.feishu.cn/document/server-docs/contact-v3/user/get: 41050, no authority over this user (outside the contact range) */
const OUT_OF_RANGE = 41050;

/** Fills in missing names: open_id → the name now stored, for those it found. */
export type NameFiller = (openIds: readonly string[]) => Promise<Map<string, string>>;

/**
 * Names for people the bot knows by open_id alone: an expert picked or found by mobile in 添加专家, a contact picked in
 * 注册. Feishu's events and card callbacks carry no one's name, and a card names them with `<at>`, but a file cannot:
 * the results workbook's 专家评分 sheet and 导出当前名册 ask the address book for the missing names as they are made
 * (contact/v3/users/:user_id; the name is there with the field permission contact:user.base:readonly,
 * https://open.feishu.cn/document/server-docs/contact-v3/user/get) and keep them where no name is stored; a stored one
 * (typed in a form, an import) is never replaced. Without the permission, or for someone outside the app's contact
 * range, the file is made as before (the open_id for an expert's name), and they are not asked again for a while.
 * Files made at once take turns, so the calls stay under Feishu's rate; each waits NAMES_WAIT_MS at most.
 */
export function addressBookNames(deps: { db: Db; reader: Pick<FeishuReader, 'userReach'>; log: Logger; now?: () => number }): NameFiller {
  const now = deps.now ?? Date.now;
  /** open_id → until when not to ask again */
  const notBefore = new Map<string, number>();
  const warned = new Set<string>();
  const warnOnce = (key: string, fields: object, text: string) => {
    if (warned.has(key)) return;
    warned.add(key);
    deps.log.warn(fields, text);
  };
  /** the fill under way: the next waits for it (one file's calls at a time) */
  let turn: Promise<unknown> = Promise.resolve();
  const fill = async (openIds: readonly string[]): Promise<Map<string, string>> => {
    const asked = [...new Set(openIds)].filter((id) => id && !id.startsWith(PENDING_PREFIX) && !(now() < (notBefore.get(id) ?? -Infinity)));
    if (!asked.length) return new Map();
    const rows = await deps.db
      .select({ openId: people.openId })
      .from(people)
      .where(and(inArray(people.openId, asked), or(isNull(people.name), eq(people.name, '')), not(like(people.openId, `${PENDING_PREFIX}%`))));
    // never asked first, then those asked longest ago: past the cap, the next file reaches the others
    const queue = rows
      .map((r) => r.openId)
      .sort((a, b) => (notBefore.get(a) ?? -Infinity) - (notBefore.get(b) ?? -Infinity))
      .slice(0, NAMES_PER_FILE);
    const found: { open_id: string; name: string }[] = [];
    const until = Date.now() + NAMES_WAIT_MS;
    let stopped = false;
    let namelessAnswers = 0;
    let failedRun = 0;
    const stop = () => {
      stopped = true;
      queue.splice(0);
    };
    const worker = async () => {
      while (!stopped && queue.length && Date.now() < until) {
        const id = queue.shift()!;
        const [profile] = await Promise.all([
          deps.reader.userReach(id).catch(async (err: unknown) => {
            const missing = scopeMissing(err);
            const code = await errorCode(err).catch(() => undefined);
            if (missing) {
              // every other call would be refused the same way
              warnOnce('scope', { scopes: missing.scopes }, 'names of people known by open_id alone cannot be read: the app lacks the contact permission Feishu names');
              stop();
            } else if (code === OUT_OF_RANGE) {
              notBefore.set(id, now() + REFUSED_AGAIN_MS);
              deps.log.info({ openId: id }, 'a profile Feishu will not give (outside the contact range, or gone): the file shows what it had');
            } else {
              deps.log.warn({ err, openId: id }, 'asking the address book for a name failed: the file is made without it');
              if (++failedRun >= FAILED_RUN) stop();
            }
            return undefined;
          }),
          new Promise((resolve) => setTimeout(resolve, CALL_MS)),
        ]);
        if (!profile) continue;
        failedRun = 0;
        const name = (profile as { name?: string }).name?.trim();
        if (name) {
          found.push({ open_id: id, name });
          continue;
        }
        notBefore.set(id, now() + ASK_AGAIN_MS);
        if (++namelessAnswers >= NAMELESS_RUN && !found.length && !stopped) {
          for (const rest of queue) notBefore.set(rest, now() + ASK_AGAIN_MS);
          stop();
          warnOnce('field', { asked: namelessAnswers }, 'the address book gives profiles without names: grant the app contact:user.base:readonly for the files to name people picked in a card');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(WORKERS, queue.length) }, worker));
    if (!found.length) return new Map();
    // only where no name is stored still: one typed meanwhile stays
    const stored = rowsOf(
      await deps.db.execute(sql`
        update people p set name = v.name, updated_at = now()
        from jsonb_to_recordset(${JSON.stringify(found)}::jsonb) as v(open_id text, name text)
        where p.open_id = v.open_id and (p.name is null or p.name = '')
        returning p.open_id, p.name`),
    ) as { open_id: string; name: string }[];
    return new Map(stored.map((r) => [r.open_id, r.name]));
  };
  return (openIds) => {
    const mine = turn.then(() => fill(openIds));
    turn = mine.catch(() => undefined);
    return mine;
  };
}
