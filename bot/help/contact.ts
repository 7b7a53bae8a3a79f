import { associationContactCard } from '../../cards/contact.js';
import { getAssociationContact } from '../../src/associationContact.js';
import type { CardResponse, HandlerContext } from '../../src/handlers.js';
import { hasRole } from '../../src/people.js';
import { raw } from '../respond.js';

/** `association.contact` (the menu's 联系协会): 协会联系方式 in place of the menu, as the command answers it. */
export async function showAssociationContact(ctx: HandlerContext): Promise<CardResponse> {
  return raw(associationContactCard(await getAssociationContact(ctx.tx), { admin: hasRole(ctx.actor, 'admin') }));
}
