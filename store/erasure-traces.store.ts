import type { Store } from './db';
import { escapeRegex } from './regex';

/**
 * Who the traces are about: the conversations, the customer keys (`wa:<number>:<key>`'s last part) and every value
 * the person is known by (wa_ids, user_ids, former phones), as erasure found them.
 */
export interface TraceSubject {
  conversationIds: string[];
  customerKeys: string[];
  identities: string[];
}

/** What {@link eraseTraces} removed, by collection: counts only. */
export interface ErasedTraces {
  /** `calls`: the connector's record of each WhatsApp call (SIP side), with the customer's number. */
  calls: number;
  /** `call_events`: Meta's `calls` webhooks as kept (connect, terminate, statuses), with the customer's wa_id. */
  callEvents: number;
  /** `call_permissions`: the customer's replies to call permission requests. */
  callPermissions: number;
  /** `legacy_replies`: when the moved number's notice was last sent to them. */
  legacyReplies: number;
  /** `agent_slots`: an agent's place still held for their conversation (one terminated before it could let go). */
  agentSlots: number;
  /** `campaign_persons`: the marks that keep one person from being messaged twice by one campaign. */
  campaignPersons: number;
}

/** One alternation of the values, for `$regex` (FerretDB and MongoDB alike); undefined when there are none. */
const anyOf = (values: string[]) => (values.length === 0 ? undefined : `(${[...new Set(values)].map(escapeRegex).join('|')})`);

/**
 * The person's calls: Meta's wacids of the call webhooks kept, and the SIP Call-IDs of the `calls` records (a call
 * still ringing writes its record again when it ends). Erasure leaves a tombstone for each.
 */
export async function callIdsOf(store: Store, subject: TraceSubject): Promise<string[]> {
  const names = [...new Set([...subject.identities, ...subject.customerKeys])].filter((name) => !name.startsWith('wa:'));
  const conversationId = { $in: subject.conversationIds };
  const events = await store.db.collection<{ wacid?: string }>('call_events').find({ $or: [{ conversationId }, { customer: { $in: names } }] }, { projection: { wacid: 1 } }).toArray();
  const calls = await store.db.collection<{ _id: string }>('calls').find({ $or: [{ conversationId }, { customerNumber: { $in: names } }] }, { projection: { _id: 1 } }).toArray();
  return [...new Set([...events.flatMap((doc) => (doc.wacid ? [doc.wacid] : [])), ...calls.map((doc) => doc._id)])];
}

/**
 * Deletes what names the person outside their messages, conversations, registry, blocks and dead letters: their calls
 * and Meta's call webhooks, call permission replies, the legacy-number notice ledger and campaign de-duplication marks
 * (`_id`s ending `:<customer key>`), and agents' places held for their conversations. Plain deletes, idempotent.
 */
export async function eraseTraces(store: Store, subject: TraceSubject): Promise<ErasedTraces> {
  const conversationId = { $in: subject.conversationIds };
  const names = [...new Set([...subject.identities, ...subject.customerKeys])].filter((name) => !name.startsWith('wa:'));
  const deleted = async (name: string, filter: object) => (await store.db.collection(name).deleteMany(filter)).deletedCount;
  const keys = anyOf(subject.customerKeys.filter((key) => !key.startsWith('wa:')));
  return {
    calls: await deleted('calls', { $or: [{ conversationId }, { customerNumber: { $in: names } }] }),
    callEvents: await deleted('call_events', { $or: [{ conversationId }, { customer: { $in: names } }] }),
    callPermissions: await deleted('call_permissions', { customerNumber: { $in: names } }),
    legacyReplies: keys ? await deleted('legacy_replies', { _id: { $regex: `:${keys}$` } }) : 0,
    agentSlots: await deleted('agent_slots', { conversationId }),
    campaignPersons: keys ? await deleted('campaign_persons', { _id: { $regex: `:${keys}$` } }) : 0,
  };
}
