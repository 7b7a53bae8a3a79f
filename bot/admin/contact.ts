import { associationContactCard, associationContactFormCard } from '../../cards/contact.js';
import { CONTACT_DLP_WARNING, contactDlpMayRefuse, contactForm, contactFormValues, getAssociationContact, setAssociationContact } from '../../src/associationContact.js';
import { AlreadyDone, formErrorOf, type UserError } from '../../src/errors.js';
import type { CardActionInput, CardResponse, HandlerContext } from '../../src/handlers.js';
import { hasRole } from '../../src/people.js';
import { formText, raw } from '../respond.js';

/** `association.contactForm` (管理 → 协会联系方式): the form, filled with what is set now. */
export async function showContactForm(ctx: HandlerContext): Promise<CardResponse> {
  const current = await getAssociationContact(ctx.tx);
  return raw(associationContactFormCard({ descriptor: contactForm, values: contactFormValues(current), current }));
}

/** `association.contactSave`: set in one transaction with its audit row; the answer shows it as everyone is told it. */
export async function saveContact(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  const contact = await setAssociationContact(ctx.tx, ctx.actor, input.formValue, ctx.clock.now());
  // a mobile number or a personal mailbox is what a tenant's DLP refuses (230028): said now, not learnt from the first refusal
  if (contactDlpMayRefuse(contact)) return raw(associationContactCard(contact, { admin: true }), { type: 'warning', content: CONTACT_DLP_WARNING });
  // not “请联系协会” in the toast: the answer is read for it with the contact the event's claim read, the one replaced
  return raw(associationContactCard(contact, { admin: true }), { type: 'success', content: '已保存协会联系方式：此后让用户联系协会的提示都会附上它' });
}

/** A refused save: the form again, with what was typed and what to fix; a repeated click, the form as it is set. */
export async function contactFormAgain(err: UserError, ctx: HandlerContext, input: CardActionInput): Promise<CardResponse | undefined> {
  if (!hasRole(ctx.actor, 'admin')) return undefined;
  const current = await getAssociationContact(ctx.tx);
  if (err instanceof AlreadyDone) return raw(associationContactCard(current, { admin: true }));
  return raw(associationContactFormCard({ descriptor: contactForm, values: formText(input.formValue), current, error: formErrorOf(err) }));
}
