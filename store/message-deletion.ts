import { GridFSBucket } from 'mongodb';
import type { Store } from './db';
import { isConnectorOutbound, type MessageDoc } from './documents';

/** Where messages keep stored media: inbound under Meta's object names, outbound as `content.mediaId`. */
const MEDIA_KINDS = ['image', 'audio', 'video', 'document', 'sticker'] as const;

/** Media ids a message carries (a customer's picture, voice note, document…; an uploaded file sent to them). */
function mediaOf(m: MessageDoc): string[] {
  if (isConnectorOutbound(m)) return 'mediaId' in m.content && typeof m.content.mediaId === 'string' ? [m.content.mediaId] : [];
  return MEDIA_KINDS.flatMap((kind) => {
    const media = (m as unknown as Record<string, { mediaId?: string } | undefined>)[kind];
    return media?.mediaId ? [media.mediaId] : [];
  });
}

const usedBy = (mediaId: string) => ({ $or: [{ 'content.mediaId': mediaId }, ...MEDIA_KINDS.map((kind) => ({ [`${kind}.mediaId`]: mediaId }))] });

/** What deleting a set of messages removed, by kind: counts only. */
export interface DeletedMessages {
  messages: number;
  deliveryStatuses: number;
  media: number;
}

/**
 * Deletes messages with everything keyed by them: delivery statuses, the wamid index, the inbound once-only marks,
 * reactions to them, and the stored media no remaining message uses (a file sent to many stays until its last
 * message goes). Used by erasure (one person) and retention (what expired). Plain deletes by `_id` or field: FerretDB
 * and MongoDB alike; idempotent, so a purge interrupted half-way is finished by the next run.
 */
export async function deleteMessages(store: Store, messages: MessageDoc[]): Promise<DeletedMessages> {
  if (messages.length === 0) return { messages: 0, deliveryStatuses: 0, media: 0 };
  const messageIds = messages.map((m) => m._id);
  const wamids = messages.flatMap((m) => (m.wamid ? [m.wamid] : []));
  const mediaIds = [...new Set(messages.flatMap(mediaOf))];
  const deliveryStatuses = (await store.deliveryStatuses.deleteMany({ $or: [{ wamid: { $in: wamids } }, { messageId: { $in: messageIds } }] })).deletedCount;
  await store.wamids.deleteMany({ $or: [{ _id: { $in: wamids } }, { messageId: { $in: messageIds } }] });
  await store.handledInbound.deleteMany({ _id: { $in: [...messageIds, ...wamids] } });
  await store.reactions.deleteMany({ targetWamid: { $in: wamids } });
  const removed = (await store.messages.deleteMany({ _id: { $in: messageIds } })).deletedCount;
  let media = 0;
  const bucket = new GridFSBucket(store.db, { bucketName: 'media' });
  for (const mediaId of mediaIds) {
    const stillUsed = await store.messages.findOne(usedBy(mediaId) as never, { projection: { _id: 1 } });
    if (stillUsed) continue;
    const file = await store.db.collection('media.files').findOne({ _id: mediaId as never }, { projection: { _id: 1 } });
    if (!file) continue;
    await bucket.delete(mediaId as never);
    media += 1;
  }
  return { messages: removed, deliveryStatuses, media };
}
