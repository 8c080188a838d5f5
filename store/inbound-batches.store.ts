import { isDuplicateKey, type Store } from './db';
import type { InboundBatchDoc, InboundBatchChunkDoc } from './documents';

// Document types live in store/documents.ts (so store/db.ts imports no store file); kept importable from here.
export { type InboundBatchDoc, type InboundBatchChunkDoc };

/** Keeps the batch; false when the same body was kept before (a redelivery). */
export async function keepInboundBatch(store: Store, doc: InboundBatchDoc): Promise<boolean> {
  try {
    await store.inboundBatches.insertOne(doc);
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}

export async function findInboundBatch(store: Store, id: string): Promise<InboundBatchDoc | null> {
  return store.inboundBatches.findOne({ _id: id });
}

/** Batches not yet fully handed over (a finished batch is deleted). */
export async function pendingInboundBatchIds(store: Store): Promise<string[]> {
  return (await store.inboundBatches.find({}, { projection: { _id: 1 } }).toArray()).map((doc) => doc._id);
}

export async function isChunkHandedOver(store: Store, batchId: string, chunk: number): Promise<boolean> {
  return (await store.inboundBatchChunks.findOne({ _id: `${batchId}:${chunk}` })) !== null;
}

export async function markChunkHandedOver(store: Store, batchId: string, chunk: number, at: Date): Promise<void> {
  await store.inboundBatchChunks.insertOne({ _id: `${batchId}:${chunk}`, at }).catch((err: unknown) => {
    if (!isDuplicateKey(err)) throw err;
  });
}

/** Every chunk is handed over: the messages are in the store, the body is no longer needed. */
export async function dropInboundBatch(store: Store, id: string): Promise<void> {
  await store.inboundBatches.deleteOne({ _id: id });
}
