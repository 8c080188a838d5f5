import type { Store } from './db';
import { deleteMessages } from './message-deletion';
import { eraseRecipientsNaming } from './campaigns.store';
import { mongoRegistry } from './customer-registry.db';
import { membersOf, ownerOf, rootOf } from './customers.store';
import { eraseBlocksNaming } from './blocked-users.store';
import { conversationIdParts, normaliseConversationId, normaliseCustomerKey } from '../lib/conversation-id';
import { bsuidOrNone, parseIdentifier } from '../lib/customer-identifiers';
import { callIdsOf, eraseTraces, type ErasedTraces } from './erasure-traces.store';
import { escapeRegex } from './regex';

/** Who an erasure is about, as the store knows them: the conversations and customer keys found for one identifier. */
export interface ErasureSubject {
  conversationIds: string[];
  customerKeys: string[];
  /** wa_id / user_id values, as campaign recipients carry them. */
  identities: string[];
}

/** What one erasure removed, by kind: counts only, never the content. */
export interface ErasedCounts extends Omit<ErasedTraces, 'campaignPersons'> {
  conversations: number;
  messages: number;
  deliveryStatuses: number;
  media: number;
  /** Campaign recipients naming them, and the campaigns' marks that they were messaged once (`campaign_persons`). */
  campaignEntries: number;
  /** Customer registry documents: the person's customer ids, identifiers and links. */
  registryEntries: number;
  /**
   * The connector's copies of the person's blocks (`blocked_users`: their number and WhatsApp id in clear). The block
   * itself stays at WhatsApp: erasure does not unblock them (README "Erasure").
   */
  blocks: number;
  /**
   * Webhook parts kept aside (`dead_letters`) that name them: a message or status of theirs, a change such as their
   * chat history (`history`); a readable business-app echo is a message of their thread instead.
   */
  deadLetters: number;
}

/** An erasure as audited: who asked, when, how much went. The subject is deliberately not stored. */
export interface ErasureAuditDoc {
  _id: string;
  at: Date;
  by: { keyId: string; role: string; name: string };
  erased: ErasedCounts;
  temporalRunsDeleted: number;
}

const audit = (store: Store) => store.db.collection<ErasureAuditDoc>('erasures');

/**
 * Finds everyone an identifier names: a conversation id (`wa:<number>:<customer key>`), a customer key, a wa_id, a
 * user_id or a username, matched as the store keys conversations (lib/conversation-id.ts). A number written as people
 * write it (`+1 555-123-4567`, `0015551234567`, also inside a conversation id) is taken as its wa_id.
 */
export async function findErasureSubject(store: Store, written: string): Promise<ErasureSubject> {
  // A number as people write it (`+1 555…`, in a conversation id too) names the person by its wa_id, as a body's waId does.
  const identifier = (written.startsWith('wa:') ? normaliseConversationId(written) : normaliseCustomerKey(written)) ?? written;
  const fromId = conversationIdParts(identifier)?.customerKey;
  const conversations = await store.conversations
    .find(
      {
        $or: [
          { _id: identifier },
          { 'customer.key': fromId ?? identifier },
          { 'customer.waId': identifier },
          { 'customer.userId': identifier },
          { 'customer.username': identifier },
        ],
      },
      { projection: { _id: 1, customer: 1 } },
    )
    .toArray();
  const customerKeys = new Set([fromId ?? identifier, ...conversations.map((c) => c.customer.key)]);
  const identities = new Set([identifier, ...conversations.flatMap((c) => [c.customer.waId, c.customer.userId].filter((v): v is string => !!v))]);
  // The registry may know them by this identifier while their conversation is keyed by another (a person who changed
  // number keeps the conversation of their first BSUID or number): its keys are theirs too.
  const person = await registryPerson(store, { conversationIds: [], customerKeys: [...customerKeys], identities: [...identities] });
  const registryKeys = person.conversationKeys.filter((key) => !customerKeys.has(key));
  for (const key of registryKeys) customerKeys.add(key);
  const keyed = registryKeys.length === 0 ? [] : await store.conversations.find({ 'customer.key': { $in: registryKeys } }, { projection: { _id: 1 } }).toArray();
  const messages = await store.messages.find({ customerKey: { $in: [...customerKeys] } }, { projection: { conversationId: 1 } }).toArray();
  const conversationIds = new Set([...conversations.map((c) => c._id), ...keyed.map((c) => c._id), ...messages.map((m) => m.conversationId)]);
  if (fromId) conversationIds.add(identifier);
  return { conversationIds: [...conversationIds], customerKeys: [...customerKeys], identities: [...identities] };
}

/**
 * Deletes the subject's messages, their delivery statuses, wamid index and reactions, the stored media no other
 * customer's message uses (a file sent to many stays), the conversations' projections, the campaign entries naming
 * them, the connector's copies of their blocks, their customer registry entries, and every other trace naming them
 * ({@link eraseTraces}: calls, Meta's call webhooks, call permissions, dead letters, the legacy-number notice ledger,
 * agents' places). Idempotent: a second run finds nothing and counts zeros. Plain deletes by `_id`/field: FerretDB
 * and MongoDB alike. `beforeDeleting` gets the ids of the person's calls (wacids, SIP Call-IDs) and messages (wamids,
 * sent and received, reactions included) once they are found and before anything goes: the caller records their
 * tombstones there (services/erasure-clock.ts), so an event arriving meanwhile finds one (README "Erasure").
 */
export async function eraseSubjectData(
  store: Store,
  subject: ErasureSubject,
  beforeDeleting: (ids: { callIds: string[]; wamids: string[] }) => Promise<void>,
): Promise<ErasedCounts> {
  // The person as the registry knows them, read before it forgets them: their blocks and traces are found by it too.
  const person = await registryPerson(store, subject);
  const byPerson = { $or: [{ conversationId: { $in: subject.conversationIds } }, { customerKey: { $in: subject.customerKeys } }] };
  const messages = await store.messages.find(byPerson).toArray();
  // Their reactions, and anyone's in their conversations (a reaction given from the WhatsApp Business app included).
  const byReaction = { $or: [{ conversationId: { $in: subject.conversationIds } }, { by: { $in: subject.customerKeys } }] };
  const customerKeys = [...new Set([...subject.customerKeys, ...person.conversationKeys])];
  const identities = [...new Set([...subject.identities, ...person.identifierValues])];
  await beforeDeleting({
    callIds: await callIdsOf(store, { conversationIds: subject.conversationIds, customerKeys, identities }),
    // Sent and received; reactions are Meta's messages too (`_id` the wamid), kept apart from the thread.
    wamids: [...messages.flatMap((m) => (m.wamid ? [m.wamid] : m.direction === 'inbound' ? [m._id] : [])), ...(await store.reactions.find(byReaction, { projection: { _id: 1 } }).toArray()).map((r) => r._id)],
  });
  const deleted = await deleteMessages(store, messages);
  await store.reactions.deleteMany(byReaction);
  const conversations = (await store.conversations.deleteMany({ _id: { $in: subject.conversationIds } })).deletedCount;
  const { campaignPersons, ...traces } = await eraseTraces(store, { conversationIds: subject.conversationIds, customerKeys, identities });
  // Every number and id the registry knows them by: a campaign may have reached a number they have since left.
  const campaignEntries = (await eraseRecipientsNaming(store, identities)) + campaignPersons;
  const blocks = await eraseBlocksNaming(store, { personIds: person.members, customerKeys, users: identities });
  const registryEntries = await eraseRegistryEntries(store, person);
  const deadLetters = await eraseDeadLettersNaming(store, [...customerKeys, ...identities]);
  return { conversations, ...deleted, campaignEntries, registryEntries, blocks, deadLetters, ...traces };
}

/**
 * Deletes the dead letters whose part or context names one of `values` that is a phone number (wa_id) or a BSUID, as
 * a whole word: they keep webhook parts as received, the person's words and number included.
 * A regex over every letter (a scan): an erasure is rare and the letters few, and FerretDB has no text index.
 */
async function eraseDeadLettersNaming(store: Store, values: string[]): Promise<number> {
  // Phone numbers / wa_ids and BSUIDs only: a username ("ada") would take other people's letters that merely say it.
  const names = [...new Set(values.filter((v) => /^\d{6,}$/.test(v) || bsuidOrNone(v) !== undefined))];
  if (names.length === 0) return 0;
  // Not inside a longer number or id: a wa_id 1555… must not take 11555…'s letters.
  const pattern = `(^|[^0-9A-Za-z.])(${names.map(escapeRegex).join('|')})($|[^0-9A-Za-z])`;
  const letters = await store.deadLetters.find({ $or: [{ raw: { $regex: pattern } }, { context: { $regex: pattern } }] }, { projection: { _id: 1 } }).toArray();
  if (letters.length === 0) return 0;
  return (await store.deadLetters.deleteMany({ _id: { $in: letters.map((l) => l._id) } })).deletedCount;
}

/** The person an erasure names, in the customer registry: every customer id that is them, and what they are known by. */
interface RegistryPerson {
  /** The roots and every customer merged into them. */
  members: string[];
  identifierIds: string[];
  /** Identifier values (a phone number's digits, a BSUID, a username), their customers' wa_ids, BSUIDs and former phones. */
  identifierValues: string[];
  conversationKeys: string[];
}

/** Found by the conversation keys and identifiers the subject carries. */
async function registryPerson(store: Store, subject: ErasureSubject): Promise<RegistryPerson> {
  const db = mongoRegistry(store);
  const named = (await Promise.all(subject.identities.filter((text) => !text.startsWith('wa:')).map((text) => parseIdentifier(text)).filter((id) => id !== undefined).map((id) => ownerOf(db, id)))).filter(
    (id): id is string => id !== undefined,
  );
  const keyed = (await db.where('customers', 'conversationKey', subject.customerKeys)).map((c) => c._id);
  const roots = new Set(await Promise.all([...named, ...keyed].map((id) => rootOf(db, id))));
  const members = [...new Set((await Promise.all([...roots].map((root) => membersOf(db, root)))).flat())];
  const identifiers = await db.where('identifiers', 'customerId', members);
  const customers = await db.where('customers', '_id', members);
  return {
    members,
    identifierIds: identifiers.map((doc) => doc._id),
    identifierValues: [
      ...identifiers.map((doc) => doc._id.slice(doc._id.indexOf(':') + 1)),
      ...customers.flatMap((c) => [c.waId, c.userId, ...(c.formerPhones ?? [])].filter((v): v is string => !!v)),
    ],
    conversationKeys: customers.map((c) => c.conversationKey),
  };
}

/**
 * Removes the person from the customer registry: every customer id that is them (the root and everything merged
 * into it), their identifiers and their links. Answers how many documents went. The next message from them registers
 * a new person, as a stranger would.
 */
async function eraseRegistryEntries(store: Store, person: RegistryPerson): Promise<number> {
  const db = mongoRegistry(store);
  for (const id of person.identifierIds) await db.remove('identifiers', id);
  for (const id of person.members) {
    await db.remove('links', id);
    await db.remove('customers', id);
  }
  return person.identifierIds.length + person.members.length;
}

/** Records an erasure (counts and who asked; not whom it was about). */
export async function auditErasure(store: Store, doc: ErasureAuditDoc): Promise<void> {
  await audit(store).insertOne(doc);
}

/** The audit trail, newest first. */
export async function listErasures(store: Store, limit = 100): Promise<ErasureAuditDoc[]> {
  return audit(store).find({}).sort({ at: -1 }).limit(limit).toArray();
}
