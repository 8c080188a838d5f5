import { isDuplicateKey, type Store } from './db';

/**
 * "Delivered to the agent": the contact centre answered 2xx to the in-dialog MESSAGE carrying a message (SIP page
 * mode). One document per message, `_id` = our message id, inserted once (the first agent to get it), never updated:
 * constant cost on FerretDB, where an update scans, and read back by `_id` alone.
 */
export interface AgentDeliveryDoc {
  _id: string;
  /** The dialog the MESSAGE went in. */
  callId: string;
  /** Its CSeq number. */
  seq: number;
  at: Date;
}

const deliveries = (store: Store) => store.db.collection<AgentDeliveryDoc>('agent_deliveries');

export async function recordAgentDelivery(store: Store, messageId: string, delivery: Omit<AgentDeliveryDoc, '_id'>): Promise<void> {
  try {
    await deliveries(store).insertOne({ _id: messageId, ...delivery });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err; // delivered before (a retried activity, or an earlier agent): the first stands
  }
}

/** The deliveries of these messages, by message id. */
export async function agentDeliveriesOf(store: Store, messageIds: readonly string[]): Promise<Map<string, AgentDeliveryDoc>> {
  if (messageIds.length === 0) return new Map();
  const docs = await deliveries(store).find({ _id: { $in: [...messageIds] } }).toArray();
  return new Map(docs.map((doc) => [doc._id, doc]));
}
