import { expertPoolCard } from '../../cards/experts.js';
import { type Card, pageOf } from '../../cards/kit.js';
import { AlreadyDone, UserError } from '../../src/errors.js';
import type { CardActionInput, CardAnswer, CardResponse, HandlerContext } from '../../src/handlers.js';
import { addExperts, expertAddForm, listExperts, setExpertActive } from '../../src/review/experts.js';
import { personFromLookup } from '../lookup.js';
import { pageFrom, raw } from '../respond.js';
import { pickerCandidates } from '../../src/people.js';

const POOL_PAGE = 15;

async function poolCard(ctx: HandlerContext, opts: { values?: Record<string, unknown>; error?: string; page?: number } = {}): Promise<Card> {
  // issued together: one round trip
  const [experts, candidates] = await Promise.all([listExperts(ctx.tx), pickerCandidates(ctx.tx, { excludeRole: 'expert' })]);
  const shown = pageOf(experts, opts.page ?? 1, POOL_PAGE);
  return expertPoolCard({ experts: shown.items, total: experts.length, active: experts.filter((e) => e.active).length, page: shown.page, pages: shown.pages, candidates, descriptor: expertAddForm, values: opts.values, error: opts.error });
}

/** `experts.list` (专家库), a page at a time. */
export async function showPool(ctx: HandlerContext, input?: CardActionInput): Promise<CardResponse> {
  return { card: { type: 'raw', data: await poolCard(ctx, { page: input ? pageFrom(input.value) : 1 }) } };
}

/** `experts.add`: the picked people join the pool. */
export async function addToPool(ctx: HandlerContext, input: CardActionInput): Promise<CardAnswer> {
  const formValue = await personFromLookup(ctx, input.formValue, { picker: 'experts', lookup: 'expertsLookup', label: '专家', multiple: true });
  const { openIds, organization } = await addExperts(ctx.tx, ctx.actor, formValue, ctx.clock.now());
  return ctx.afterCommit(async (read) => raw(await poolCard(read), { type: 'success', content: `已添加 ${openIds.length} 位专家（${organization}）` }));
}

export async function poolFormAgain(err: UserError, ctx: HandlerContext, input: CardActionInput): Promise<CardResponse | undefined> {
  if (!ctx.actor.roles.includes('admin')) return undefined;
  if (err instanceof AlreadyDone) return { card: { type: 'raw', data: await poolCard(ctx) } };
  return { card: { type: 'raw', data: await poolCard(ctx, { values: input.formValue, error: err.message }) } };
}

function openIdOf(input: CardActionInput): string {
  const id = input.value.openId;
  if (typeof id !== 'string' || !/^ou_[A-Za-z0-9_-]+$/.test(id)) throw new UserError('这个按钮已失效，请重新打开专家库。');
  return id;
}

/** `experts.deactivate` / `experts.activate`. */
export function toggleExpert(activeNow: boolean) {
  return async (ctx: HandlerContext, input: CardActionInput): Promise<CardAnswer> => {
    const { pending } = await setExpertActive(ctx.tx, ctx.actor, openIdOf(input), activeNow, ctx.clock.now());
    const content = activeNow
      ? '已启用，下次分配专家时会考虑该专家'
      : `已停用，不再分配新任务${pending ? `；该专家还有 ${pending} 项未完成的评分任务，可在“评审进度”的专家组中更换` : ''}`;
    return ctx.afterCommit(async (read) => raw(await poolCard(read, { page: pageFrom(input.value) }), { type: 'success', content }));
  };
}
