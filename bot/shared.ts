import { z } from 'zod';
import type { Card } from '../cards/kit.js';
import { UserError } from '../src/errors.js';
import type { CardActionInput, CardResponse, HandlerContext } from '../src/handlers.js';

export const raw = (data: Card, toast?: CardResponse['toast']): CardResponse => ({ ...(toast ? { toast } : {}), card: { type: 'raw', data } });
export const toast = (type: NonNullable<CardResponse['toast']>['type'], content: string): CardResponse => ({ toast: { type, content } });

/**
 * Runs a card action's work in a savepoint: a UserError rolls back whatever the work wrote and becomes
 * an error toast (with the card `onError` draws, e.g. the same form with what was typed kept).
 */
export function guarded(
  work: (ctx: HandlerContext, input: CardActionInput) => Promise<CardResponse>,
  onError?: (ctx: HandlerContext, input: CardActionInput, error: UserError) => Promise<Card | undefined> | Card | undefined,
) {
  return async (ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> => {
    try {
      return await ctx.tx.transaction((sp) => work(ctx.within(sp), input));
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      const type = err.opts.kind === 'info' ? 'info' : err.opts.kind === 'warning' ? 'warning' : 'error';
      const cardJson = onError ? await onError(ctx, input, err) : undefined;
      return cardJson ? raw(cardJson, { type, content: err.message }) : toast(type, err.message);
    }
  };
}

/** Ids in `value` come from our own cards but travel through the client: check their type. */
export function idFrom(value: Record<string, unknown>, key: string): number {
  const parsed = z.coerce.number().int().positive().safeParse(value[key]);
  if (!parsed.success) throw new UserError('卡片数据有误，请发送“帮助”重新打开菜单。');
  return parsed.data;
}
