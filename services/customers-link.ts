import type { Store } from '../store/db';
import { memoryRegistry, mongoRegistry, type RegistryDb } from '../store/customer-registry.db';
import { learnIdentifiers, rootOf } from '../store/customers.store';

/**
 * The one-off migration of conversations from before the registry: every conversation's customer is learned, so
 * conversations that split one person (a phone-keyed one and a BSUID-keyed one) name one customer, and that person's
 * next message goes to one of them. Nothing is moved or deleted: conversations, threads and workflow ids stay as
 * they are; running conversations are learned first, so the person keeps the conversation that is running.
 */
export interface LinkReport {
  conversations: number;
  customers: number;
  /** People found under more than one conversation key: their conversation ids, and the key new messages use. */
  linked: { customerId: string; conversationKey: string; conversationIds: string[] }[];
  dryRun: boolean;
}

/** Reads go to the real registry, writes stay in memory: a dry run shows exactly what the real run would do. */
function overlay(real: RegistryDb): RegistryDb {
  const mem = memoryRegistry();
  return {
    find: async (c, id) => (await mem.find(c, id)) ?? (await real.find(c, id)),
    insert: async (c, doc) => ((await real.find(c, doc._id)) ? false : mem.insert(c, doc)),
    set: async (c, id, fields) => {
      const doc = (await mem.find(c, id)) ?? (await real.find(c, id));
      if (doc && !(await mem.find(c, id))) await mem.insert(c, doc);
      await mem.set(c, id, fields);
    },
    remove: (c, id) => mem.remove(c, id),
    where: async (c, field, values) => {
      const [a, b] = await Promise.all([mem.where(c, field, values), real.where(c, field, values)]);
      const seen = new Set(a.map((d) => d._id));
      return [...a, ...b.filter((d) => !seen.has(d._id))] as never;
    },
  };
}

export async function linkCustomers(store: Store, options: { dryRun: boolean; now?: Date }): Promise<LinkReport> {
  const registry = options.dryRun ? overlay(mongoRegistry(store)) : mongoRegistry(store);
  const now = options.now ?? new Date();
  const docs = await store.conversations.find({}).toArray();
  // Running conversations first, newest activity first: the customer created first keeps its key.
  docs.sort((a, b) => Number(a.state === 'closed') - Number(b.state === 'closed') || +new Date(b.updatedAt) - +new Date(a.updatedAt));
  const hintsOf = (doc: (typeof docs)[number]) => {
    const { key, waId, userId, username, profileName } = doc.customer;
    return {
      ...(waId ? { waId } : /^\d{6,15}$/.test(key) ? { waId: key } : {}),
      ...(userId ? { userId } : /^[A-Z]{2}\./.test(key) ? { userId: key } : {}),
      ...(username ? { username } : {}),
      ...(profileName ? { profileName } : {}),
    };
  };
  // First pass, running conversations first: who is who, and each new person's key (no profile yet).
  for (const doc of docs) {
    const { waId, userId } = hintsOf(doc);
    if (!waId && !userId) continue;
    await learnIdentifiers(registry, { hints: { ...(waId ? { phones: [waId] } : {}), ...(userId ? { userId } : {}) }, conversationKey: async () => doc.customer.key, now });
  }
  // Second pass, oldest activity first: the profile (number WhatsApp uses, username, name) ends as the latest seen.
  const byPerson = new Map<string, Set<string>>();
  for (const doc of [...docs].sort((a, b) => +new Date(a.updatedAt) - +new Date(b.updatedAt))) {
    const hints = hintsOf(doc);
    if (!hints.waId && !hints.userId) continue;
    const person = await learnIdentifiers(registry, { hints, now });
    const ids = byPerson.get(person._id) ?? new Set<string>();
    ids.add(doc._id);
    byPerson.set(person._id, ids);
  }
  // Merges may have joined customers after their first conversation was counted: group by the final root.
  const final = new Map<string, Set<string>>();
  for (const [customerId, ids] of byPerson) {
    const root = await rootOf(registry, customerId);
    final.set(root, new Set([...(final.get(root) ?? []), ...ids]));
  }
  const linked = [];
  for (const [customerId, ids] of final) {
    if (ids.size < 2) continue;
    const person = await registry.find('customers', customerId);
    linked.push({ customerId, conversationKey: person?.conversationKey ?? '', conversationIds: [...ids].sort() });
  }
  return { conversations: docs.length, customers: final.size, linked, dryRun: options.dryRun };
}
