import type { CustomerRef } from '../machines/conversation.types';
import { UnusablePart } from './unusable-part';
import { SystemNotice, bsuidOrNone, identifiersOf, parseIdentifier, personPhone, type Identifier, type IdentifierKind, type IdentityHints } from '../lib/customer-identifiers';
import type { Store } from '../store/db';
import { mongoRegistry, type RegistryDb } from '../store/customer-registry.db';
import { learnIdentifiers, ownerOf } from '../store/customers.store';
import type { CustomerDoc } from '../store/customer-registry.db';
import { findConversation } from '../store/conversations.store';
import { conversationWorkflowId } from '../lib/conversation-id';
import type { CloudContact, CloudInboundMessage, CloudStatus } from '../api/webhook.schema';

/**
 * Who a webhook, a send answer or an integrator names, learned into the customer registry; the one place the ingest
 * path, the conversation service and the broker activities ask "which person, which conversation, which recipient".
 * Meta: https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids/
 */

/** What one inbound message says about its sender (and, for a `system` notice, what they changed from). */
export interface InboundIdentity {
  hints: IdentityHints;
  /** Identifiers they had before a `system` notice (previous BSUIDs); learned, never sent to. */
  previous?: IdentityHints;
  formerPhone?: string;
  /** A notice from someone not yet known keys them on the number it came from, as the message itself is keyed. */
  keyFirst?: string;
}

const isPhone = (text: string | undefined) => (text && /^\d{6,15}$/.test(text) ? text : undefined);

/**
 * The sender's identifiers: `from` / `from_user_id` and the matching `contacts[]` entry (username in
 * `contacts[].profile.username`, or `contacts[].username` in older drafts); a `system` notice (which has no
 * contacts) names the new number or BSUID, and the old ones it replaces.
 */
export function inboundIdentity(contact: CloudContact | undefined, message: CloudInboundMessage): InboundIdentity {
  const username = contact?.profile?.username ?? contact?.username;
  // Read here, not by the envelope: a notice in a shape we cannot read must not refuse the whole webhook.
  const system = message.type === 'system' ? SystemNotice.safeParse((message as Record<string, unknown>).system).data : undefined;
  if (system) {
    const newPhone = isPhone(system.wa_id) ?? isPhone(system.new_wa_id);
    const changedNumber = system.type === 'user_changed_number' || (newPhone !== undefined && newPhone !== message.from);
    const formerPhone = changedNumber ? isPhone(message.from) : undefined;
    return {
      hints: {
        ...(newPhone ? { waId: newPhone } : !changedNumber && isPhone(message.from) ? { waId: message.from } : {}),
        ...(system.user_id ? { userId: system.user_id } : {}),
        ...(system.parent_user_id ? { parentUserId: system.parent_user_id } : {}),
      },
      previous: {
        ...(system.previous_user_id ?? message.from_user_id ? { userId: system.previous_user_id ?? message.from_user_id } : {}),
        ...(system.previous_parent_user_id ? { parentUserId: system.previous_parent_user_id } : {}),
      },
      ...(formerPhone ? { formerPhone } : {}),
      ...(isPhone(message.from) ? { keyFirst: message.from } : {}),
    };
  }
  const waId = message.from ?? contact?.wa_id;
  const userId = message.from_user_id ?? contact?.user_id;
  return {
    hints: {
      ...(waId ? { waId } : {}),
      ...(userId ? { userId } : {}),
      ...(contact?.parent_user_id ? { parentUserId: contact.parent_user_id } : {}),
      ...(username ? { username } : {}),
      ...(contact?.profile?.name ? { profileName: contact.profile.name } : {}),
    },
  };
}

/** The part names nobody the registry can key on (no number, and no user id that is a BSUID): a `no_customer` dead letter. */
export class NoCustomerNamed extends UnusablePart {
  constructor(message: string) {
    super('no_customer', message);
    this.name = 'NoCustomerNamed';
  }
}

/** Hints with only BSUIDs as user ids: a `user_id` that is not one (`<script>`) names nobody and never keys a conversation. */
function onlyBsuids(seen: InboundIdentity): InboundIdentity {
  const clean = (hints: IdentityHints): IdentityHints => {
    const { userId, parentUserId, ...rest } = hints;
    const bsuid = bsuidOrNone(userId);
    const parent = bsuidOrNone(parentUserId);
    return { ...rest, ...(bsuid ? { userId: bsuid } : {}), ...(parent ? { parentUserId: parent } : {}) };
  };
  return { ...seen, hints: clean(seen.hints), ...(seen.previous ? { previous: clean(seen.previous) } : {}) };
}

const nobodyNamed = (hints: IdentityHints) =>
  hints.userId !== undefined && bsuidOrNone(hints.userId) === undefined ? `user id ${JSON.stringify(hints.userId.slice(0, 80))} is not a BSUID and no number is given` : 'no number or BSUID';

/**
 * Learns an inbound sender and answers their conversation customer: `key` is the person's conversation key, so
 * every identifier they write under lands in one conversation per business number. A person not yet known takes
 * the key of a conversation already running under one of their identifiers (runs from before the registry keep
 * their workflow id), else their BSUID, else their phone number. A user id that is not a BSUID is dropped here, the
 * one place messages, echoes and calls are learned; throws {@link NoCustomerNamed} when nothing else names them.
 */
export async function customerForInbound(store: Store, businessNumberId: string, given: InboundIdentity, now: Date): Promise<CustomerRef> {
  const seen = onlyBsuids(given);
  if (identifiersOf(seen.hints).length === 0 && !seen.formerPhone) throw new NoCustomerNamed(`names no customer: ${nobodyNamed(given.hints)}`);
  // The hot path: a merge by another process may reach this one's webhooks a few seconds late (see mongoRegistry).
  const person = await learnIdentifiers(mongoRegistry(store, { trustNoLink: true }), {
    hints: seen.hints,
    ...(seen.previous ? { previous: seen.previous } : {}),
    ...(seen.formerPhone ? { formerPhone: seen.formerPhone } : {}),
    conversationKey: async (candidates) => (await existingKey(store, businessNumberId, candidates)) ?? seen.keyFirst,
    now,
  });
  return { ...customerRefOf(person, seen.hints), key: await conversationKeyOn(store, businessNumberId, person) };
}

/**
 * The person's conversation key on this business number: theirs, unless customers merged into them later run
 * conversations there too; then the running one with the latest activity, so the message joins the conversation
 * an agent is in. With none running, theirs.
 */
export async function conversationKeyOn(store: Store, businessNumberId: string, person: CustomerDoc): Promise<string> {
  if (!person.mergedKeys?.length) return person.conversationKey;
  const running = [];
  for (const key of [person.conversationKey, ...person.mergedKeys]) {
    const doc = await findConversation(store, conversationWorkflowId(businessNumberId, key));
    if (doc && doc.state !== 'closed') running.push({ key, at: +new Date(doc.updatedAt) });
  }
  return running.sort((a, b) => b.at - a.at)[0]?.key ?? person.conversationKey;
}

async function existingKey(store: Store, businessNumberId: string, candidates: string[]): Promise<string | undefined> {
  for (const key of candidates) {
    if (await findConversation(store, conversationWorkflowId(businessNumberId, key))) return key;
  }
  return undefined;
}

/** The conversation's view of a person: their key, and the identifiers WhatsApp prefers to be sent to now. */
export function customerRefOf(person: CustomerDoc, seen: IdentityHints = {}): CustomerRef {
  // A number they changed away from is never a send target, whoever still remembers it.
  const waId = person.waId ?? (seen.waId && !person.formerPhones?.includes(seen.waId) ? seen.waId : undefined);
  const userId = person.userId ?? seen.userId;
  const username = person.username ?? seen.username;
  const profileName = seen.profileName ?? person.profileName;
  return {
    key: person.conversationKey,
    ...(waId ? { waId } : {}),
    ...(userId ? { userId } : {}),
    ...(username ? { username } : {}),
    ...(profileName ? { profileName } : {}),
  };
}

/**
 * Who an integrator means (a phone number in wa_id form, a BSUID, or both), learned so the number they typed joins
 * the person WhatsApp already knows. Answers the conversation customer with the identifiers to send to.
 */
export async function customerForIntegrator(store: Store, businessNumberId: string, given: { waId?: string; userId?: string }, now: Date): Promise<CustomerRef> {
  const person = await learnIdentifiers(mongoRegistry(store), {
    hints: { ...(given.waId ? { phones: [given.waId] } : {}), ...(given.userId ? { userId: given.userId } : {}) },
    conversationKey: (candidates) => existingKey(store, businessNumberId, candidates),
    now,
  });
  // A number the person never wrote from is only a guess at their wa_id until the broker's answer says otherwise.
  return { ...customerRefOf(person, given.waId ? { waId: given.waId } : {}), key: await conversationKeyOn(store, businessNumberId, person) };
}

/** A conversation's customer as the registry is asked about it: its key, and the identifiers WhatsApp gave with it. */
export type ConversationCustomer = Pick<CustomerRef, 'key'> & Partial<Pick<CustomerRef, 'waId' | 'userId'>>;

const KEYED = /^(phone|bsuid|parent_bsuid|username):(.+)$/;
/**
 * The identifier a conversation key names: a phone number as WhatsApp writes it (`wa_id`, matched in person form as
 * the registry stores it, whether or not libphonenumber finds it possible), a BSUID, or `<kind>:<value>` for someone
 * known by neither.
 */
function keyIdentifier(key: string): Identifier | undefined {
  const keyed = KEYED.exec(key);
  if (keyed) return { kind: keyed[1] as IdentifierKind, value: keyed[2]! };
  return /^\d{1,20}$/.test(key) ? { kind: 'phone', value: personPhone(key) } : parseIdentifier(key);
}

/** What the names say, for learning a person nobody knows yet (every phone number, the first of each other kind). */
function hintsOf(names: Identifier[]): IdentityHints {
  const first = (kind: IdentifierKind) => names.find((name) => name.kind === kind)?.value;
  const phones = names.filter((name) => name.kind === 'phone').map((name) => name.value);
  const [userId, parentUserId, username] = [first('bsuid'), first('parent_bsuid'), first('username')];
  return { ...(phones.length > 0 ? { phones } : {}), ...(userId ? { userId } : {}), ...(parentUserId ? { parentUserId } : {}), ...(username ? { username } : {}) };
}

/**
 * The person (the registry's root customer id, `cus_…`) a conversation's customer is: whoever its key names, else its
 * BSUID, else its number. Nobody known by any of them (a conversation from before the registry): learned now from all
 * of them. Undefined when the customer names no identifier at all (no conversation the connector keyed does). Both
 * the send's recipient ({@link preferredRecipient}) and the person's blocks (services/person-blocks.ts) ask this.
 */
export async function conversationPersonId(registry: RegistryDb, customer: ConversationCustomer): Promise<string | undefined> {
  const names = [
    keyIdentifier(customer.key),
    customer.userId ? ({ kind: 'bsuid', value: customer.userId } as const) : undefined,
    customer.waId ? ({ kind: 'phone', value: personPhone(customer.waId) } as const) : undefined,
  ].filter((name): name is Identifier => name !== undefined);
  if (names.length === 0) return undefined;
  for (const name of names) {
    const owner = await ownerOf(registry, name);
    if (owner) return owner;
  }
  return (await learnIdentifiers(registry, { hints: hintsOf(names), now: new Date() }))._id;
}

/**
 * The identifiers to send to now: the registry's (a number change or a BSUID learned since the conversation
 * started wins), else what the conversation knows. Phone while known, else BSUID (`recipient`).
 */
export async function preferredRecipient(store: Store, customer: CustomerRef): Promise<CustomerRef> {
  const registry = mongoRegistry(store);
  // Looked up first, learned only for a conversation from before the registry: the conversation's copy of a number
  // must never overwrite the one WhatsApp gave since.
  const personId = await conversationPersonId(registry, customer).catch(() => undefined);
  const person = personId ? await registry.find('customers', personId) : undefined;
  return person ? { ...customer, ...customerRefOf(person, customer), key: customer.key } : customer;
}

/** The send answer's `contacts[]`: the broker's `wa_id` for the input decides, and the person learns it. */
export async function learnFromSendAnswer(store: Store, customer: CustomerRef, contacts: { input?: string; wa_id?: string }[], now: Date): Promise<void> {
  for (const contact of contacts) {
    if (!contact.wa_id || !isPhone(contact.wa_id)) continue;
    if (contact.wa_id === customer.waId) continue;
    await learnIdentifiers(mongoRegistry(store), {
      hints: { waId: contact.wa_id, ...(customer.waId ? { phones: [customer.waId] } : {}), ...(customer.userId ? { userId: customer.userId } : {}) },
      now,
    });
  }
}

/** A status names the recipient's phone and BSUID together: the pair is learned once per process. */
const seenPairs = new Set<string>();
export async function learnFromStatus(store: Store, status: CloudStatus, now: Date): Promise<void> {
  const waId = isPhone(status.recipient_id);
  const userId = bsuidOrNone(status.recipient_user_id);
  if (!waId || !userId) return;
  const pair = `${waId}|${userId}`;
  if (seenPairs.has(pair)) return;
  await learnIdentifiers(mongoRegistry(store), { hints: { waId, userId }, now });
  if (seenPairs.size > 10_000) seenPairs.clear();
  seenPairs.add(pair);
}
