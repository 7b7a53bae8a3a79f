import type { Card } from '../cards/kit.js';
import { UserError } from '../src/errors.js';
import { type CardActionInput, type CardResponse, type HandlerContext, type IncomingText, Refusal, type ToastType } from '../src/handlers.js';
import type { Destination } from '../src/outbox.js';

type CardRun = (ctx: HandlerContext, input: CardActionInput) => Promise<CardResponse>;
type OnCardError = (err: UserError, ctx: HandlerContext, input: CardActionInput) => CardResponse | undefined | Promise<CardResponse | undefined>;

/** A callback answer that replaces the card, with an optional toast. */
export function raw(data: Card, toast?: CardResponse['toast']): CardResponse {
  return { ...(toast ? { toast } : {}), card: { type: 'raw', data } };
}

export function toastFor(err: UserError): NonNullable<CardResponse['toast']> {
  const type: ToastType = err.opts.kind ?? 'error';
  return { type, content: err.message };
}

/**
 * A card action whose UserError refuses it: everything the event wrote and queued rolls back, and the
 * answer is an error toast plus what `onError` adds (typically the same form with what the user typed),
 * drawn in a fresh transaction. Any other error propagates and fails the whole event.
 */
export function withUserErrors(run: CardRun, onError?: OnCardError): CardRun {
  return async (ctx, input) => {
    try {
      return await run(ctx, input);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      ctx.log.info({ reason: err.message, field: err.opts.field }, 'card action refused');
      throw new Refusal(err, async (fresh): Promise<CardResponse> => ({ toast: toastFor(err), ...((await onError?.(err, fresh, input)) ?? {}) }));
    }
  };
}

/**
 * Forms and personal cards go to the user's p2p chat; asked for in a group, the group gets a one-line
 * reply saying so, so nobody's form or team details land on a card the whole group shares.
 */
export async function sendPrivately(ctx: HandlerContext, msg: IncomingText, key: string, message: { card?: object; text?: string }, what: string): Promise<void> {
  await ctx.send({ dedupeKey: key, to: { openId: ctx.actor.openId }, ...message });
  if (msg.chatType === 'group') {
    await ctx.send({ dedupeKey: `${key}:group-note`, to: { replyTo: msg.messageId, chatId: msg.chatId }, text: `已通过私聊把${what}发给你，请在与我的单聊中查看。` });
  }
}

/** Where a command's answer goes: the user's p2p chat, or a reply in the group it was asked in. */
export function replyDestination(ctx: HandlerContext, msg: IncomingText): Destination {
  return msg.chatType === 'p2p' ? { openId: ctx.actor.openId } : { replyTo: msg.messageId, chatId: msg.chatId };
}

type CommandRun = (ctx: HandlerContext, msg: IncomingText, argument: string) => Promise<void>;

/** The same for a text command: a UserError rolls back and is answered as a text message. */
export function commandWithUserErrors(run: CommandRun): CommandRun {
  return async (ctx, msg, argument) => {
    try {
      await run(ctx, msg, argument);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      throw new Refusal(err, async (fresh) => {
        await fresh.send({ dedupeKey: `refused:${fresh.eventId}`, to: replyDestination(fresh, msg), text: err.message });
      });
    }
  };
}

/**
 * form_value as the strings the user typed, to fill a form again: text inputs are strings already,
 * numbers and booleans become strings, multi-selects are joined.
 */
export function formText(formValue: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(formValue)) {
    if (v === null || v === undefined) continue;
    out[key] = Array.isArray(v) ? v.map(String).join(',') : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}

/** A positive integer id from a button's value (`{action, cycleId: 3}`), a number or its digits; UserError otherwise. */
export function idFrom(value: Record<string, unknown>, key: string): number {
  const v = value[key];
  // Number() would take true, [3] and "1e3"; ids are int4, so a larger one would fail in the database instead
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^[1-9][0-9]{0,9}$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isInteger(n) || n <= 0 || n > 2_147_483_647) throw new UserError('这个按钮已失效，请重新打开菜单。');
  return n;
}

/** The id `idFrom` reads, or 0 (no row has it): for redrawing a refused card, where a bad id must not reach a query. */
export function idOrZero(value: Record<string, unknown>, key: string): number {
  try {
    return idFrom(value, key);
  } catch {
    return 0;
  }
}

/** The page a 上一页 / 下一页 button asks for; 1 when absent or not a number. */
export function pageFrom(value: Record<string, unknown>): number {
  const n = Number(value.page);
  return Number.isInteger(n) && n > 0 ? n : 1;
}
