import { and, eq, inArray, isNull, like, not, or, sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { people } from '../db/schema.js';
import { scopeMissing } from './lark/contact.js';
import type { FeishuReader } from './lark/reader.js';
import type { Logger } from './log.js';
import { PENDING_PREFIX } from './import/people.js';
import { rowsOf } from './outbox.js';

/** Profiles asked of Feishu for one file at most; the rest are asked for the next file. */
export const NAMES_PER_FILE = 300;
/** Someone whose profile gave no name (no field permission, outside the contact range) is not asked again sooner. */
export const ASK_AGAIN_MS = 10 * 60_000;
/** Calls at once, each taking at least CALL_MS: at most 40 a second, under user.get's 50 a second. */
const WORKERS = 4;
const CALL_MS = 100;
/**
 * Profiles answered without a name in a row, none with one, after which the rest of the file's are not asked: the app
 * has the profile's permission but not the name's field permission, and every other answer would be the same.
 */
export const NAMELESS_RUN = 10;

/** Fills in missing names: open_id → the name now stored, for those it found. */
export type NameFiller = (openIds: readonly string[]) => Promise<Map<string, string>>;

/**
 * Names for people the bot knows by open_id alone: an expert picked or found by mobile in 添加专家, an administrator
 * picked in 添加管理员. Feishu's events and card callbacks carry no one's name, and a card names them with `<at>`, but a
 * file cannot: the results workbook's 专家评分 sheet and 导出当前名册 ask the address book for the missing names as
 * they are made (contact/v3/users/:user_id; the name is there with the field permission contact:user.base:readonly,
 * https://open.feishu.cn/document/server-docs/contact-v3/user/get) and keep them. A name the association typed (an
 * import, 修改专家) is never replaced. Without the permission, or for someone outside the app's contact range, the
 * file is made as before (the open_id for an expert's name) and nobody is asked again for ASK_AGAIN_MS.
 */
export function addressBookNames(deps: { db: Db; reader: Pick<FeishuReader, 'userReach'>; log: Logger; now?: () => number }): NameFiller {
  const now = deps.now ?? Date.now;
  /** open_id → when their profile last gave no name */
  const nameless = new Map<string, number>();
  let warned = false;
  return async (openIds) => {
    const asked = [...new Set(openIds)].filter((id) => id && !id.startsWith(PENDING_PREFIX) && !(now() - (nameless.get(id) ?? -Infinity) < ASK_AGAIN_MS));
    if (!asked.length) return new Map();
    const rows = await deps.db
      .select({ openId: people.openId })
      .from(people)
      .where(and(inArray(people.openId, asked), or(isNull(people.name), eq(people.name, '')), not(like(people.openId, `${PENDING_PREFIX}%`))));
    const queue = rows.map((r) => r.openId).slice(0, NAMES_PER_FILE);
    const found: { open_id: string; name: string }[] = [];
    let stopped = false;
    let namelessAnswers = 0;
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined && !stopped; id = queue.shift()) {
        const [profile] = await Promise.all([
          deps.reader.userReach(id).catch((err: unknown) => {
            const missing = scopeMissing(err);
            if (missing) {
              // every other call would be refused the same way
              stopped = true;
              if (!warned) deps.log.warn({ scopes: missing.scopes }, 'names of people known by open_id alone cannot be read: the app lacks the contact permission Feishu names');
              warned = true;
            } else deps.log.info({ err, openId: id }, 'a profile Feishu would not give (outside the contact range, or gone): the file shows the open_id');
            return undefined;
          }),
          new Promise((resolve) => setTimeout(resolve, CALL_MS)),
        ]);
        const name = (profile as { name?: string } | undefined)?.name?.trim();
        if (name) found.push({ open_id: id, name });
        else nameless.set(id, now());
        if (profile && !name && ++namelessAnswers >= NAMELESS_RUN && !found.length && !stopped) {
          stopped = true;
          for (const rest of queue.splice(0)) nameless.set(rest, now());
          if (!warned) deps.log.warn({ asked: namelessAnswers }, 'the address book gives profiles without names: grant the app contact:user.base:readonly for the files to name people picked in a card');
          warned = true;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(WORKERS, queue.length) }, worker));
    if (!found.length) return new Map();
    // only where no name is stored still: one typed meanwhile stays
    const stored = rowsOf(await deps.db.execute(sql`
      update people p set name = v.name, updated_at = now()
      from jsonb_to_recordset(${JSON.stringify(found)}::jsonb) as v(open_id text, name text)
      where p.open_id = v.open_id and (p.name is null or p.name = '')
      returning p.open_id, p.name`)) as { open_id: string; name: string }[];
    return new Map(stored.map((r) => [r.open_id, r.name]));
  };
}
