import { LRUCache } from 'lru-cache';
import { carryBlocks, settleCarriedBlocks } from './blocked-users.store';
import { isDuplicateKey, type Store } from './db';
import { escapeRegex } from './regex';

/** An identifier a person is known by. `_id` `<kind>:<value>` (lib/customer-identifiers); never changes owner. */
export interface IdentifierDoc {
  _id: string;
  customerId: string;
  at: Date;
}

/** A person. `_id` `cus_<creation time><sequence><random>`: ids sort by creation, so the older customer survives a merge. */
export interface CustomerDoc {
  _id: string;
  /** The customer part of their conversations' workflow ids, `wa:<phone-number id>:<conversationKey>`; never changes. */
  conversationKey: string;
  /** The phone number WhatsApp knows them by now (`wa_id`), absent while only a BSUID is known. */
  waId?: string;
  userId?: string;
  parentUserId?: string;
  username?: string;
  profileName?: string;
  /** Numbers they changed away from (`user_changed_number`): never the send target again. */
  formerPhones?: string[];
  /**
   * Conversation keys of customers merged into this one, so a message can join a conversation one of them is still
   * running. A hint (a racing update may lose one on FerretDB); the links are the truth (`membersOf`).
   */
  mergedKeys?: string[];
  /** Their latest word on marketing messages (user_preferences, or a 131050 refusal): store/marketing-consent.store.ts. */
  marketing?: MarketingPreference;
  createdAt: Date;
  updatedAt: Date;
}

/** `stop` or `resume` marketing messages, when they said it (Meta's timestamp) and how we heard. */
export interface MarketingPreference {
  value: 'stop' | 'resume';
  at: Date;
  source: 'user_preferences' | 'error_131050';
  /** The business number it was heard on. */
  businessNumberId: string;
}

/** Two customers found to be one person: `_id` the younger, `into` the older. Inserted once, never changed. */
export interface CustomerLinkDoc {
  _id: string;
  into: string;
  at: Date;
}

interface Docs {
  identifiers: IdentifierDoc;
  customers: CustomerDoc;
  links: CustomerLinkDoc;
}

/**
 * The few operations the registry needs, each by `_id` (the only shape FerretDB 1.x answers from an index) except
 * `where`, used by reads and the migration. Over MongoDB here; over a Map for dry runs and property tests.
 */
export interface RegistryDb {
  find<K extends keyof Docs>(collection: K, id: string): Promise<Docs[K] | null>;
  /** False when a document with that `_id` exists already: the loser of an insert race learns it here. */
  insert<K extends keyof Docs>(collection: K, doc: Docs[K]): Promise<boolean>;
  set<K extends keyof Docs>(collection: K, id: string, fields: Partial<Docs[K]>): Promise<void>;
  remove<K extends keyof Docs>(collection: K, id: string): Promise<void>;
  where<K extends keyof Docs>(collection: K, field: string, values: string[]): Promise<Docs[K][]>;
  /** A copy this process kept, possibly stale (customers); undefined when none. */
  peek?<K extends keyof Docs>(collection: K, id: string): Docs[K] | undefined;
  /** Drops what this process kept of one document, so the next `find` reads the store. */
  forget?(collection: keyof Docs, id: string): void;
  /**
   * A merge is about to make customer `from` part of person `into` (before the link is written): what belongs to the
   * person and not to one identifier follows first. Over MongoDB, their blocks (store/blocked-users.store.ts).
   */
  joining?(from: string, into: string): Promise<void>;
  /** The merge's link is written: what changed on `from` meanwhile follows (a block made or lifted during the merge). */
  joined?(from: string, into: string): Promise<void>;
}

const names: Record<keyof Docs, string> = { identifiers: 'customer_identifiers', customers: 'customers', links: 'customer_links' };

/**
 * How long this process trusts a customer document it read or wrote (profile, number, merged keys), which another
 * process may change: peeked at, and used only when the webhook agrees with it.
 */
export const REGISTRY_STALE_MS = 5_000;
/**
 * How long this process trusts that a customer has *no* link (is still its own person): a merge by another process
 * (the worker learning from a send answer, another API process) reaches this one at most this late; a merge through
 * this process at once. The README, *The customer registry on the hot path*, says what a stale answer can cause.
 */
export const NO_LINK_STALE_MS = 30_000;
/** Entries kept per kind (identifiers, links, "no link" answers, customers): least recently used go first. */
export const REGISTRY_CACHE_ENTRIES = 50_000;

interface Cache {
  /** Identifier documents: inserted once, never changed; only an erasure removes them. */
  identifiers: LRUCache<string, IdentifierDoc>;
  /** Links: inserted once, never changed; only an erasure removes them. */
  links: LRUCache<string, CustomerLinkDoc>;
  /** Customer ids read to have no link, for {@link NO_LINK_STALE_MS}. */
  noLink: LRUCache<string, true>;
  /** Customer documents as last read or written here, peeked at for {@link REGISTRY_STALE_MS}. */
  customers: LRUCache<string, CustomerDoc>;
}
const caches = new WeakMap<Store, Cache>();
/**
 * What a process may keep of the registry, per store: identifier documents and links are inserted once and never
 * change, so a known customer's webhook reads neither again; that a customer has *no* link (is still its own person)
 * is trusted for {@link NO_LINK_STALE_MS}, a customer document for {@link REGISTRY_STALE_MS} (only *peeked* at: a hit
 * is used when the webhook agrees with it, else re-read). Bounded by entries, least recently used dropped first.
 */
function cacheOf(store: Store): Cache {
  let cache = caches.get(store);
  if (!cache) {
    const max = REGISTRY_CACHE_ENTRIES;
    cache = {
      identifiers: new LRUCache({ max }),
      links: new LRUCache({ max }),
      noLink: new LRUCache({ max, ttl: NO_LINK_STALE_MS }),
      customers: new LRUCache({ max, ttl: REGISTRY_STALE_MS }),
    };
    caches.set(store, cache);
  }
  return cache;
}

/**
 * The customer id whose profile most recently showed `@username` (case-insensitive, with or without the `@`):
 * usernames move between people, and the identifier document names only the first holder.
 */
export async function latestUsernameHolder(store: Store, username: string): Promise<string | undefined> {
  const escaped = escapeRegex(username);
  const holder = await store.db
    .collection<{ _id: string; username?: string }>(names.customers)
    .findOne({ username: { $regex: `^@?${escaped}$`, $options: 'i' } }, { sort: { updatedAt: -1 }, projection: { _id: 1 } });
  return holder?._id;
}

/**
 * The registry over the store's database (collections `customers`, `customer_identifiers`, `customer_links`).
 * `trustNoLink`: answer "no link" from this process's memory for {@link NO_LINK_STALE_MS} (the webhook's ingest, where
 * a late merge only routes a message to the conversation its sender already had); otherwise every missing link is
 * asked again, so sends and reads follow a merge by any process at once.
 */
export function mongoRegistry(store: Store, { trustNoLink = false } = {}): RegistryDb {
  const col = (name: keyof Docs) => store.db.collection<{ _id: string }>(names[name]);
  const cache = cacheOf(store);
  const keep = <K extends keyof Docs>(collection: K, doc: Docs[K]) => {
    if (collection === 'links') cache.noLink.delete(doc._id);
    (cache[collection] as unknown as LRUCache<string, Docs[K]>).set(doc._id, doc);
  };
  const forget = (collection: keyof Docs, id: string) => {
    cache[collection].delete(id);
    if (collection === 'links') cache.noLink.delete(id);
  };
  return {
    async find(collection, id) {
      if (collection !== 'customers') {
        const kept = cache[collection].get(id);
        if (kept) return kept as never;
        if (collection === 'links' && trustNoLink && cache.noLink.has(id)) return null;
      }
      const doc = (await col(collection).findOne({ _id: id })) as Docs[typeof collection] | null;
      if (doc) keep(collection, doc);
      // An identifier nobody holds is not remembered: its absence is what an insert decides (the first one wins).
      else if (collection === 'links') cache.noLink.set(id, true);
      return doc as never;
    },
    peek: (collection, id) => cache[collection].get(id) as never,
    async insert(collection, doc) {
      try {
        await col(collection).insertOne(doc as { _id: string });
        if (collection !== 'customers') keep(collection, doc);
        return true;
      } catch (err) {
        // Someone else wrote it first: what this process remembered of it (a link's absence) is wrong now.
        if (isDuplicateKey(err)) {
          forget(collection, doc._id);
          return false;
        }
        throw err;
      }
    },
    async set(collection, id, fields) {
      forget(collection, id);
      await col(collection).updateOne({ _id: id }, { $set: fields });
    },
    async remove(collection, id) {
      // An erasure: this process must not answer the removed document from memory afterwards.
      forget(collection, id);
      await col(collection).deleteOne({ _id: id });
    },
    forget,
    joining: (from, into) => carryBlocks(store, from, into),
    joined: (from, into) => settleCarriedBlocks(store, from, into),
    where: async (collection, field, values) => (await col(collection).find({ [field]: { $in: values } }).toArray()) as never,
  };
}

/** The same operations over Maps: what a dry run changes stays in memory. */
export function memoryRegistry(): RegistryDb & { size(collection: keyof Docs): number } {
  const maps: { [K in keyof Docs]: Map<string, Docs[K]> } = { identifiers: new Map(), customers: new Map(), links: new Map() };
  // A macrotask between steps lets concurrent callers interleave as they would against a server.
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    async find(collection, id) {
      await tick();
      const doc = maps[collection].get(id);
      return doc ? ({ ...doc } as never) : null;
    },
    async insert(collection, doc) {
      await tick();
      if (maps[collection].has(doc._id)) return false;
      maps[collection].set(doc._id, { ...doc } as never);
      return true;
    },
    async set(collection, id, fields) {
      await tick();
      const doc = maps[collection].get(id);
      if (doc) maps[collection].set(id, { ...doc, ...fields } as never);
    },
    async remove(collection, id) {
      await tick();
      maps[collection].delete(id);
    },
    async where(collection, field, values) {
      await tick();
      return [...maps[collection].values()].filter((doc) => values.includes(String((doc as unknown as Record<string, unknown>)[field]))) as never;
    },
    size: (collection) => maps[collection].size,
  };
}
