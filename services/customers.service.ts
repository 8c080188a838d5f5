import { AppError } from '../lib/errors';
import { parseIdentifier, usernameKey, type IdentifierKind } from '../lib/customer-identifiers';
import type { Store } from '../store/db';
import type { ConversationDoc } from '../store/documents';
import { latestUsernameHolder, mongoRegistry } from '../store/customer-registry.db';
import { conversationsOfCustomerKeys, findConversation } from '../store/conversations.store';
import { findCustomer, findCustomerBy, membersOf } from '../store/customers.store';
import type { CustomerView } from '../api/customers.schema';

/** Whether the viewer may read a conversation (the conversation service's policy for this key). */
export type Visible = (doc: ConversationDoc) => boolean;

/** Reads of the customer registry for the API: one person, whatever identifier or conversation names them. */
export function createCustomerService(store: Store) {
  const registry = mongoRegistry(store);

  /**
   * `mayRead`: the viewer's policy (services/visibility.ts). A viewer narrowed to their own conversations sees only
   * those of this person's, and a person none of whose conversations they may see is, to them, nobody.
   */
  async function view(customerId: string, mayRead?: Visible): Promise<CustomerView> {
    const person = await findCustomer(registry, customerId);
    if (!person) throw new AppError('unknown_customer', `No customer ${customerId}`);
    const members = await membersOf(registry, person._id);
    const [identifiers, others] = await Promise.all([
      registry.where('identifiers', 'customerId', members),
      Promise.all(members.slice(1).map((id) => registry.find('customers', id))),
    ]);
    const keys = [person.conversationKey, ...others.flatMap((doc) => (doc ? [doc.conversationKey] : []))];
    const all = await conversationsOfCustomerKeys(store, keys);
    const conversations = mayRead ? all.filter(mayRead) : all;
    if (mayRead && conversations.length === 0) throw new AppError('unknown_customer', `No customer ${customerId}`);
    return {
      id: person._id,
      conversationKey: person.conversationKey,
      ...(person.waId ? { waId: person.waId } : {}),
      ...(person.userId ? { userId: person.userId } : {}),
      ...(person.parentUserId ? { parentUserId: person.parentUserId } : {}),
      ...(person.username ? { username: person.username } : {}),
      ...(person.profileName ? { profileName: person.profileName } : {}),
      formerPhones: person.formerPhones ?? [],
      identifiers: identifiers
        .map((doc) => ({ kind: doc._id.slice(0, doc._id.indexOf(':')) as IdentifierKind, value: doc._id.slice(doc._id.indexOf(':') + 1) }))
        .sort((a, b) => `${a.kind}:${a.value}`.localeCompare(`${b.kind}:${b.value}`)),
      mergedFrom: members.slice(1),
      conversations: conversations.map((doc) => ({
        conversationId: doc._id,
        businessNumberId: doc.businessNumberId,
        state: doc.state,
        updatedAt: new Date(doc.updatedAt).toISOString(),
      })),
    };
  }

  return {
    get: view,

    /** By any identifier (phone in any writing, BSUID, parent BSUID, @username) or by one of their conversations. */
    async lookup(query: { identifier?: string; conversationId?: string }, mayRead?: Visible): Promise<CustomerView> {
      if (query.conversationId) {
        const doc = await findConversation(store, query.conversationId);
        if (!doc || (mayRead && !mayRead(doc))) throw new AppError('unknown_customer', `No conversation ${query.conversationId}`);
        const { waId, userId } = doc.customer;
        const byKey = parseIdentifier(doc.customer.key);
        // A stored wa_id libphonenumber cannot read is looked up by the other identifiers only, never a crash.
        const byWaId = waId ? parseIdentifier(waId) : undefined;
        const person =
          (byKey ? await findCustomerBy(registry, byKey) : undefined) ??
          (userId ? await findCustomerBy(registry, { kind: 'bsuid', value: userId }) : undefined) ??
          (byWaId ? await findCustomerBy(registry, byWaId) : undefined);
        if (!person) throw new AppError('unknown_customer', `Nobody in the registry for ${query.conversationId}; run npm run customers:link`);
        return view(person._id, mayRead);
      }
      const identifier = parseIdentifier(query.identifier!);
      if (!identifier) throw new AppError('invalid_request', `${query.identifier} is not a phone number, BSUID or @username`);
      let person = await findCustomerBy(registry, identifier);
      // A username names its first holder; if they gave it up, whoever holds it now answers.
      if (identifier.kind === 'username' && (!person || usernameKey(person.username ?? '') !== identifier.value)) {
        const holder = await latestUsernameHolder(store, identifier.value);
        person = holder ? await findCustomer(registry, holder) : person;
      }
      if (!person) throw new AppError('unknown_customer', `Nobody is known by ${query.identifier}`);
      return view(person._id, mayRead);
    },
  };
}

export type CustomerService = ReturnType<typeof createCustomerService>;
