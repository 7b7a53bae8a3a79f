import { administratorsCard, selfRemovedCard } from '../../cards/admin.js';
import type { Card } from '../../cards/kit.js';
import type { Db } from '../../db/index.js';
import { addAdministrators, adminAddForm, listAdministrators, removeAdministrator } from '../../src/admins.js';
import { AlreadyDone, UserError } from '../../src/errors.js';
import type { CardActionInput, CardAnswer, CardResponse, HandlerContext } from '../../src/handlers.js';
import { pickerCandidates } from '../../src/people.js';
import { personFromLookup } from '../lookup.js';
import { pageFrom, raw } from '../respond.js';

/** The 管理员 card as `tx` reads it. */
async function administratorsOn(tx: Db, ctx: HandlerContext, opts: { values?: Record<string, unknown>; error?: string; page?: number } = {}): Promise<Card> {
  // issued together: one round trip
  const [admins, candidates] = await Promise.all([listAdministrators(tx, ctx.config.ADMIN_OPEN_IDS), pickerCandidates(tx, { excludeRole: 'admin' })]);
  const configured = new Set(ctx.config.ADMIN_OPEN_IDS);
  return administratorsCard({ admins, viewer: ctx.actor.openId, candidates: candidates.filter((c) => !configured.has(c)), descriptor: adminAddForm, values: opts.values, error: opts.error, page: opts.page });
}

/** `admins.list` (管理员, 上一页 / 下一页; clicked in a bound group, it goes privately: privateInGroup). */
export async function showAdministrators(ctx: HandlerContext, input?: CardActionInput): Promise<CardResponse> {
  return raw(await administratorsOn(ctx.tx, ctx, { page: input ? pageFrom(input.value) : 1 }));
}

const lookupOpts = { picker: 'admins', lookup: 'adminsLookup', label: '管理员', multiple: true } as const;

/** `admins.add`: the picked people become administrators. */
export async function addAdministratorsAction(ctx: HandlerContext, input: CardActionInput): Promise<CardAnswer> {
  const formValue = await personFromLookup(ctx, input.formValue, lookupOpts);
  const { openIds } = await addAdministrators(ctx.tx, ctx.actor, formValue, ctx.clock.now());
  return ctx.afterCommit(async (read) => raw(await administratorsOn(read.tx, read), { type: 'success', content: `已添加 ${openIds.length} 位管理员` }));
}

const adminOpenId = /^ou_[A-Za-z0-9_-]+$/;

/** `admins.remove`: the administrator added in the bot loses the role; removing oneself answers with a card that has nothing of the association's. */
export async function removeAdministratorAction(ctx: HandlerContext, input: CardActionInput): Promise<CardAnswer> {
  const id = input.value.openId;
  if (typeof id !== 'string' || !adminOpenId.test(id)) throw new UserError('这个按钮已失效，请重新打开管理员名单。');
  const { self } = await removeAdministrator(ctx.tx, ctx.actor, id, ctx.config.ADMIN_OPEN_IDS, ctx.clock.now());
  if (self) return raw(selfRemovedCard(), { type: 'success', content: '已移除你的管理员身份' });
  // the page the button was on (the last one, should it have emptied)
  return ctx.afterCommit(async (read) => raw(await administratorsOn(read.tx, read, { page: pageFrom(input.value) }), { type: 'success', content: '已移除该管理员' }));
}

/** A refused 添加 / 移除: the list as it is, with what was typed and why. */
export async function administratorsAgain(err: UserError, ctx: HandlerContext, input: CardActionInput): Promise<CardResponse | undefined> {
  if (!ctx.actor.roles.includes('admin')) return undefined;
  if (err instanceof AlreadyDone || input.value.action === 'admins.remove') return { card: { type: 'raw', data: await administratorsOn(ctx.tx, ctx, { page: pageFrom(input.value) }) } };
  return { card: { type: 'raw', data: await administratorsOn(ctx.tx, ctx, { values: input.formValue, error: err.message }) } };
}
