import { z } from 'zod';
import { normaliseCustomerNumber, personPhone } from './phone-numbers';

/**
 * The identifiers WhatsApp knows a person by, and the one form each is matched in.
 *
 * - `phone`: a phone number in *person form* (see {@link personPhone}); WhatsApp's `wa_id` and every number an
 *   integrator typed for the person land here.
 * - `bsuid`: the business-scoped user id (`user_id`, `from_user_id`, `recipient_user_id`), e.g. `US.13491208655302741918`,
 *   unique per business portfolio. A phone number change regenerates it.
 * - `parent_bsuid`: the parent BSUID shared across a managed business's linked portfolios, e.g. `US.ENT.118157…`.
 * - `username`: the user's optional username (`@ada`); the user may change it, but while they hold it it is theirs.
 *
 * Meta: https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids/
 */
export type IdentifierKind = 'phone' | 'bsuid' | 'parent_bsuid' | 'username';

export interface Identifier {
  kind: IdentifierKind;
  value: string;
}

/** What a webhook, a send answer or an integrator tells us about one person; every field optional. */
export interface IdentityHints {
  /** WhatsApp's `wa_id` (digits, as WhatsApp writes it). */
  waId?: string;
  /** Numbers an integrator used for the person (digits with country code, libphonenumber's form). */
  phones?: string[];
  userId?: string;
  parentUserId?: string;
  username?: string;
  profileName?: string;
}

const BSUID = /^[A-Z]{2}\.[A-Za-z0-9.]{1,140}$/;

/**
 * The text when it is a BSUID or parent BSUID (two-letter country code, a dot, then letters, digits and dots: `US.13491208655302741918`,
 * `US.ENT.11815799212886844830`), else undefined. Webhooks' `user_id`, `from_user_id`, `to_user_id` and
 * `recipient_user_id` pass here before they name anyone: anything else must never become a conversation key.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids/
 */
export const bsuidOrNone = (text: string | undefined): string | undefined => (text !== undefined && BSUID.test(text) ? text : undefined);

/** One person's phone number in one form ({@link personPhone}, beside the number check that also uses it). */
export { personPhone };

/** A username as matched: WhatsApp usernames are case-insensitive handles; the leading `@` is optional. */
export const usernameKey = (username: string) => username.trim().replace(/^@/, '').toLowerCase();

/** The `_id` of an identifier document: `<kind>:<value>`. */
export const identifierId = (identifier: Identifier) => `${identifier.kind}:${identifier.value}`;

/** Every identifier the hints name, phone numbers in person form; duplicates removed, in a fixed order. */
export function identifiersOf(hints: IdentityHints): Identifier[] {
  const out: Identifier[] = [];
  const add = (kind: IdentifierKind, value: string | undefined) => {
    if (value && !out.some((i) => i.kind === kind && i.value === value)) out.push({ kind, value });
  };
  for (const phone of [hints.waId, ...(hints.phones ?? [])]) add('phone', phone ? personPhone(phone) : undefined);
  add('bsuid', hints.userId);
  add('parent_bsuid', hints.parentUserId);
  add('username', hints.username ? usernameKey(hints.username) : undefined);
  return out;
}

/**
 * An identifier an integrator typed into a lookup: a BSUID or parent BSUID as given, a phone number in any common
 * writing, or `@username`. Undefined when it is none of these.
 */
export function parseIdentifier(text: string): Identifier | undefined {
  const trimmed = text.trim();
  if (BSUID.test(trimmed)) return { kind: /^[A-Z]{2}\.ENT\./.test(trimmed) ? 'parent_bsuid' : 'bsuid', value: trimmed };
  if (trimmed.startsWith('@')) return trimmed.length > 1 ? { kind: 'username', value: usernameKey(trimmed) } : undefined;
  const digits = normaliseCustomerNumber(trimmed);
  return digits ? { kind: 'phone', value: personPhone(digits) } : undefined;
}

/**
 * What a `system` message says about identity: the user changed number (`user_changed_number`: the new number in
 * `wa_id`, new and previous BSUIDs) or BSUID (`user_changed_user_id`: previous and new BSUIDs, no number). Read
 * leniently, field by field: a notice in a shape we cannot read must not refuse the webhook it came in.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/system/
 */
export const SystemNotice = z.looseObject({
  type: z.string().optional().catch(undefined),
  wa_id: z.string().min(1).optional().catch(undefined),
  new_wa_id: z.union([z.string(), z.number()]).transform(String).optional().catch(undefined),
  user_id: z.string().min(1).optional().catch(undefined),
  parent_user_id: z.string().min(1).optional().catch(undefined),
  previous_user_id: z.string().min(1).optional().catch(undefined),
  previous_parent_user_id: z.string().min(1).optional().catch(undefined),
});
