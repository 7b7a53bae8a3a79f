import { expertPoolCard } from '../../cards/experts.js';
import type { Card } from '../../cards/kit.js';
import { UserError } from '../../src/errors.js';
import type { CardActionInput, CardResponse, HandlerContext } from '../../src/handlers.js';
import { requireAdmin } from '../../src/permissions.js';
import { addExperts, listExperts, setExpertActive } from '../../src/review/experts.js';
import { formText } from '../respond.js';

const POOL_MAX = 30;

async function poolCard(ctx: HandlerContext, opts: { values?: Record<string, string>; error?: string } = {}): Promise<Card> {
  const experts = await listExperts(ctx.tx);
  return expertPoolCard({ experts: experts.slice(0, POOL_MAX), more: Math.max(0, experts.length - POOL_MAX), ...opts });
}

/** `experts.list` (专家库). */
export async function showPool(ctx: HandlerContext): Promise<CardResponse> {
  requireAdmin(ctx.actor);
  return { card: { type: 'raw', data: await poolCard(ctx) } };
}

/** `experts.add`: the picked people join the pool. */
export async function addToPool(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  requireAdmin(ctx.actor);
  const { openIds, organization } = await addExperts(ctx.tx, ctx.actor, input.formValue, ctx.clock.now());
  return { toast: { type: 'success', content: `已添加 ${openIds.length} 位专家（${organization}）` }, card: { type: 'raw', data: await poolCard(ctx) } };
}

export async function poolFormAgain(err: UserError, ctx: HandlerContext, input: CardActionInput): Promise<CardResponse | undefined> {
  if (!ctx.actor.roles.includes('admin')) return undefined;
  return { card: { type: 'raw', data: await poolCard(ctx, { values: formText(input.formValue), error: err.message }) } };
}

function openIdOf(input: CardActionInput): string {
  const id = input.value.openId;
  if (typeof id !== 'string' || !/^ou_[A-Za-z0-9_-]+$/.test(id)) throw new UserError('这个按钮已失效，请重新打开专家库。');
  return id;
}

/** `experts.deactivate` / `experts.activate`. */
export function toggleExpert(activeNow: boolean) {
  return async (ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> => {
    const { pending } = await setExpertActive(ctx.tx, ctx.actor, openIdOf(input), activeNow, ctx.clock.now());
    const content = activeNow
      ? '已启用，下次分配专家时会考虑该专家'
      : `已停用，不再分配新任务${pending ? `；该专家还有 ${pending} 项未完成的评分任务，可在“评审进度”的专家组中更换` : ''}`;
    return { toast: { type: 'success', content }, card: { type: 'raw', data: await poolCard(ctx) } };
  };
}
