import type { Card } from '../cards/kit.js';
import { UserError } from '../src/errors.js';
import type { CardActionInput, CardResponse, HandlerContext, IncomingText, ToastType } from '../src/handlers.js';
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
 * Runs a card action inside a savepoint (`ctx.within`): a UserError rolls back whatever the action wrote
 * and queued (the event's own dedupe row stays) and becomes an error toast, plus what `onError` adds (typically the same form
 * with what the user typed, re-rendered). Any other error propagates and fails the whole event.
 */
export function withUserErrors(run: CardRun, onError?: OnCardError): CardRun {
  return async (ctx, input) => {
    try {
      return await ctx.tx.transaction((sp) => run(ctx.within(sp), input));
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      ctx.log.info({ reason: err.message, field: err.opts.field }, 'card action refused');
      const extra = (await onError?.(err, ctx, input)) ?? {};
      return { toast: toastFor(err), ...extra };
    }
  };
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
      await ctx.tx.transaction((sp) => run(ctx.within(sp), msg, argument));
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      await ctx.send({ dedupeKey: `refused:${ctx.eventId}`, to: replyDestination(ctx, msg), text: err.message });
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

/** A positive integer id from a button's value (`{action, cycleId: 3}`); UserError otherwise. */
export function idFrom(value: Record<string, unknown>, key: string): number {
  const n = Number(value[key]);
  if (!Number.isSafeInteger(n) || n <= 0) throw new UserError('这个按钮已失效，请重新打开菜单。');
  return n;
}
