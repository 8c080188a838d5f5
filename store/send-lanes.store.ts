import type { Store } from './db';

/** A business number some workflow has sent from; every worker serves its send lane. `_id` = phone-number id. */
interface SendLaneDoc {
  _id: string;
  createdAt: Date;
}

const lanes = (store: Store) => store.db.collection<SendLaneDoc>('send_lanes');

/** Records that the number sends, so every worker (this one and any started later) serves its lane. */
export async function registerSendLane(store: Store, businessNumberId: string, at: Date): Promise<void> {
  await lanes(store).updateOne({ _id: businessNumberId }, { $setOnInsert: { createdAt: at } }, { upsert: true });
}

/** Every number with a send lane; a handful per deployment, so a full read is cheap. */
export async function listSendLanes(store: Store): Promise<string[]> {
  return (await lanes(store).find({}, { projection: { _id: 1 } }).toArray()).map((doc) => doc._id);
}
