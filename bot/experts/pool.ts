import type { FormError } from '../../cards/forms.js';
import { expertPoolCard } from '../../cards/experts.js';
import { type Card, pageOf } from '../../cards/kit.js';
import type { Db } from '../../db/index.js';
import { AlreadyDone, formErrorOf, UserError } from '../../src/errors.js';
import { fastAddExperts, fastToggleExpert } from '../../src/fast/admin.js';
import type { CardActionDecl, CardActionInput, CardAnswer, CardResponse, FastContext, HandlerContext } from '../../src/handlers.js';
import { addExperts, expertAddForm, expertFormCheck, listExperts, readExpertForm, setExpertActive } from '../../src/review/experts.js';
import { announceColleagueRecusals } from '../../src/review/recusal.js';
import { expertWelcomeNotice } from '../../src/review/expertWelcome.js';
import { needsLookup, personFromLookup } from '../lookup.js';
import { pageFrom, raw } from '../respond.js';
import { pickerCandidates } from '../../src/people.js';

/** Experts per page: nine at their longest (a 100-character organisation, twenty specialities, 修改 and 停用) and the add form's picker of 100 people stay under Feishu's 30 KB, their texts cut where 50-character names push them over (expertPoolCard); ten did not once each had 修改. */
const POOL_PAGE = 9;

async function poolCard(ctx: HandlerContext, opts: { values?: Record<string, unknown>; error?: FormError | string; page?: number } = {}): Promise<Card> {
  return poolCardOn(ctx.tx, opts);
}

/** The pool card as `tx` reads it (the ordinary path's transaction, or a fast path's connection after its COMMIT). */
async function poolCardOn(tx: Db, opts: { values?: Record<string, unknown>; error?: FormError | string; page?: number; editing?: string } = {}): Promise<Card> {
  // issued together: one round trip
  const [experts, candidates] = await Promise.all([listExperts(tx), pickerCandidates(tx, { excludeRole: 'expert' })]);
  const shown = pageOf(experts, opts.page ?? 1, POOL_PAGE);
  // 修改: the form holds the expert's record as stored (an expert no longer active, or gone, leaves it empty); after a
  // refused 保存修改, what was typed (and the plain form if the expert is gone meanwhile)
  const edited = opts.editing ? experts.find((e) => e.openId === opts.editing && e.active && !e.unlinked) : undefined;
  if (opts.editing && !edited && !opts.values) throw new UserError('这位专家已停用或不在专家库中，请刷新专家库。');
  const values =
    edited && !opts.values
      ? { experts: [edited.openId], organization: edited.organization ?? '', specialities: edited.specialities.join('，'), maxLoad: edited.maxLoad === null ? '' : String(edited.maxLoad) }
      : opts.values;
  const editing = edited ? { openId: edited.openId, name: edited.name } : undefined;
  return expertPoolCard({ experts: shown.items, total: experts.length, active: experts.filter((e) => e.active).length, unlinked: experts.filter((e) => e.unlinked).length, page: shown.page, pages: shown.pages, candidates, descriptor: expertAddForm, values, error: opts.error, editing });
}

/** `experts.list` (专家库), a page at a time (clicked in a bound group, it goes privately: privateInGroup). */
export async function showPool(ctx: HandlerContext, input?: CardActionInput): Promise<CardResponse> {
  return raw(await poolCard(ctx, { page: input ? pageFrom(input.value) : 1 }));
}

/** `experts.edit` (修改): the pool with the add form filled with the expert's organisation, specialities and load limit; 保存修改 is 添加专家 over the record. */
export async function editExpert(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  return raw(await poolCardOn(ctx.tx, { page: pageFrom(input.value), editing: openIdOf(input) }));
}

const lookupOpts = { picker: 'experts', lookup: 'expertsLookup', label: '专家', multiple: true } as const;
const addedToast = (count: number, organization: string) => ({ type: 'success' as const, content: `已添加 ${count} 位专家（${organization}）` });
/** 保存修改 (the form 修改 filled): the record saved over. */
const savedToast = (names: (string | null)[], organization: string) => ({
  type: 'success' as const,
  content: names.length === 1 ? `已保存：${names[0] ?? '该专家'} 的专家信息（${organization}）` : `已保存 ${names.length} 位专家的信息（${organization}）`,
});

/** 保存修改 rather than 添加到专家库: the form 修改 filled (cards/experts.ts). */
const isEdit = (input: CardActionInput) => input.value.edit === true;

/** The expert 保存修改 saves over: the button's, else the one picked (a card drawn before the button named them). */
function editedOf(input: CardActionInput): string | undefined {
  const named = input.value.openId;
  if (typeof named === 'string' && expertOpenId.test(named)) return named;
  const picked = input.formValue.experts;
  const first = Array.isArray(picked) ? picked[0] : picked;
  return typeof first === 'string' && expertOpenId.test(first) ? first : undefined;
}

/** `experts.add`: the picked people join the pool; 保存修改 saves over the record of the expert 修改 picked. */
export async function addToPool(ctx: HandlerContext, input: CardActionInput): Promise<CardAnswer> {
  // a person not found is told with the form's other problems, all in one round
  const formValue = await personFromLookup(ctx, input.formValue, { ...lookupOpts, form: expertFormCheck });
  const editing = isEdit(input);
  const { openIds, names, organization, recusals, joined } = await addExperts(ctx.tx, ctx.actor, formValue, ctx.clock.now(), ctx.config.BOT_TIMEZONE, { editing });
  // an expert moved into the organisation of a team whose application they hold has stepped aside (第十七条)
  await announceColleagueRecusals(ctx, recusals);
  // someone new to the pool is told at once, and how to declare a conflict of interest before 分配专家 (第十七条)
  for (const openId of joined) {
    const welcome = expertWelcomeNotice(openId, organization);
    if (welcome) await ctx.send(welcome);
  }
  return ctx.afterCommit(async (read) => raw(await poolCard(read), editing ? savedToast(names, organization) : addedToast(openIds.length, organization)));
}

/**
 * The same in one round trip on PostgreSQL (src/fast/admin.ts) when the people were picked and it succeeds; a
 * look-up in the address book, a form that does not parse, a refusal, a second click or someone moved into the
 * organisation of a team they hold to score (回避) answer undefined having written nothing, and `addToPool` runs.
 */
export const addToPoolFast: NonNullable<CardActionDecl['fast']> = async (fx, input) => {
  // 保存修改 answers with the expert's name (and that nothing changed, saved unchanged): the ordinary path
  if (isEdit(input) || needsLookup(input.formValue, lookupOpts)) return undefined;
  let form;
  try {
    form = readExpertForm(input.formValue);
  } catch (err) {
    if (err instanceof UserError) return undefined;
    throw err;
  }
  const done = await fastAddExperts(fx.database, { ...fastEvent(fx), input: form }, (db) => poolCardOn(db));
  if (!done) return undefined;
  return { outcome: 'ok', answer: raw(done.answer, addedToast(form.experts.length, done.organization)), queued: done.queued };
};

/** Who acts and when, for src/fast/admin.ts. */
function fastEvent(fx: FastContext) {
  return { eventId: fx.eventId, eventType: fx.eventType, openId: fx.openId, now: fx.clock.now(), bootstrapAdmins: fx.config.ADMIN_OPEN_IDS };
}

export async function poolFormAgain(err: UserError, ctx: HandlerContext, input: CardActionInput): Promise<CardResponse | undefined> {
  if (!ctx.actor.roles.includes('admin')) return undefined;
  // done already, or 保存修改 with nothing changed: the pool as it is
  if (err instanceof AlreadyDone || err.opts.kind === 'info') return { card: { type: 'raw', data: await poolCard(ctx) } };
  // a refused 保存修改 is the same expert's edit form again, with the refusal and what was typed
  return { card: { type: 'raw', data: await poolCardOn(ctx.tx, { values: input.formValue, error: formErrorOf(err), editing: isEdit(input) ? editedOf(input) : undefined }) } };
}

/** 停用 / 启用 clicked again: the pool as it is, on the page clicked. */
export async function togglePoolAgain(err: UserError, ctx: HandlerContext, input: CardActionInput): Promise<CardResponse | undefined> {
  if (!ctx.actor.roles.includes('admin') || !(err instanceof AlreadyDone)) return undefined;
  return { card: { type: 'raw', data: await poolCard(ctx, { page: pageFrom(input.value) }) } };
}

const expertOpenId = /^ou_[A-Za-z0-9_-]+$/;

function openIdOf(input: CardActionInput): string {
  const id = input.value.openId;
  if (typeof id !== 'string' || !expertOpenId.test(id)) throw new UserError('这个按钮已失效，请重新打开专家库。');
  return id;
}

const toggledToast = (activeNow: boolean, pending: number) => ({
  type: 'success' as const,
  content: activeNow ? '已启用，下次分配专家时会考虑该专家' : `已停用，不再分配新任务${pending ? `；该专家还有 ${pending} 项未完成的评分任务，可在“评审进度”的专家组中更换` : ''}`,
});

/** `experts.deactivate` / `experts.activate`. */
export function toggleExpert(activeNow: boolean) {
  return async (ctx: HandlerContext, input: CardActionInput): Promise<CardAnswer> => {
    const { pending } = await setExpertActive(ctx.tx, ctx.actor, openIdOf(input), activeNow, ctx.clock.now());
    return ctx.afterCommit(async (read) => raw(await poolCard(read, { page: pageFrom(input.value) }), toggledToast(activeNow, pending)));
  };
}

/**
 * The same in one round trip on PostgreSQL (src/fast/admin.ts) when it succeeds; a stale button, a refusal or
 * someone not in the pool answer undefined having written nothing, and `toggleExpert` runs.
 */
export function toggleExpertFast(activeNow: boolean): NonNullable<CardActionDecl['fast']> {
  return async (fx, input) => {
    const id = input.value.openId;
    // openIdOf refuses anything else
    if (typeof id !== 'string' || !expertOpenId.test(id)) return undefined;
    const page = pageFrom(input.value);
    const done = await fastToggleExpert(fx.database, { ...fastEvent(fx), expertOpenId: id, activeNow }, (db) => poolCardOn(db, { page }));
    if (!done) return undefined;
    return { outcome: 'ok', answer: raw(done.answer, toggledToast(activeNow, done.pending)) };
  };
}
