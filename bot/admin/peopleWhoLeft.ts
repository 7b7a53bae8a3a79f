import type { HandlerContext } from '../../src/handlers.js';
import { personLeft } from '../../src/notifications.js';

/**
 * contact.user.deleted_v3 (员工离职): the person's open_id is under the event's `object` (the SDK flattens the envelope's
 * `event` into the data), https://open.feishu.cn/document/server-docs/contact-v3/user/events/deleted. They are out of
 * reach as a 230029 refusal says (`personLeft`): their teams' leaders and the administrators hear it now, once.
 */
export async function onPersonLeft(ctx: HandlerContext, event: Record<string, unknown>): Promise<void> {
  const object = event.object as { open_id?: unknown } | undefined;
  const openId = typeof object?.open_id === 'string' ? object.open_id : '';
  if (!openId.startsWith('ou_')) return;
  const said = await personLeft(ctx.tx, openId, ctx.config.ADMIN_OPEN_IDS, ctx.clock.now(), ctx.eventId, (m) => ctx.send(m));
  ctx.log.info({ openId, said }, 'someone left the company (contact.user.deleted_v3)');
}
