import { GridFSBucket } from 'mongodb';
import type { Store } from './db';
import type { MessageDoc } from './documents';

/** Who an erasure is about, as the store knows them: the conversations and customer keys found for one identifier. */
export interface ErasureSubject {
  conversationIds: string[];
  customerKeys: string[];
  /** wa_id / user_id values, as campaign recipients carry them. */
  identities: string[];
}

/** What one erasure removed, by kind: counts only, never the content. */
export interface ErasedCounts {
  conversations: number;
  messages: number;
  deliveryStatuses: number;
  media: number;
  campaignEntries: number;
}

/** An erasure as audited: who asked, when, how much went. The subject is deliberately not stored. */
export interface ErasureAuditDoc {
  _id: string;
  at: Date;
  by: { keyId: string; role: string; name: string };
  erased: ErasedCounts;
  temporalRunsDeleted: number;
}

const CONVERSATION_ID = /^wa:(\d{1,64}):(.+)$/;
const audit = (store: Store) => store.db.collection<ErasureAuditDoc>('erasures');
const recipients = (store: Store) => store.db.collection<{ _id: string; customer: { waId?: string; userId?: string } }>('campaign_recipients');

/**
 * Finds everyone an identifier names: a conversation id (`wa:<number>:<customer key>`), a customer key, a wa_id, a
 * user_id or a username, matched as the store keys conversations (README "Conversation ids").
 */
export async function findErasureSubject(store: Store, identifier: string): Promise<ErasureSubject> {
  const fromId = CONVERSATION_ID.exec(identifier)?.[2];
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
  const messages = await store.messages.find({ customerKey: { $in: [...customerKeys] } }, { projection: { conversationId: 1 } }).toArray();
  const conversationIds = new Set([...conversations.map((c) => c._id), ...messages.map((m) => m.conversationId)]);
  if (fromId) conversationIds.add(identifier);
  return { conversationIds: [...conversationIds], customerKeys: [...customerKeys], identities: [...identities] };
}

/** Where messages keep stored media: inbound under Meta's object names, outbound as `content.mediaId`. */
const MEDIA_KINDS = ['image', 'audio', 'video', 'document', 'sticker'] as const;

/** Media ids a message carries (a customer's picture, voice note, document…; an uploaded file sent to them). */
function mediaOf(m: MessageDoc): string[] {
  if (m.direction === 'outbound') return 'mediaId' in m.content && typeof m.content.mediaId === 'string' ? [m.content.mediaId] : [];
  return MEDIA_KINDS.flatMap((kind) => {
    const media = (m as unknown as Record<string, { mediaId?: string } | undefined>)[kind];
    return media?.mediaId ? [media.mediaId] : [];
  });
}

const usedBy = (mediaId: string) => ({ $or: [{ 'content.mediaId': mediaId }, ...MEDIA_KINDS.map((kind) => ({ [`${kind}.mediaId`]: mediaId }))] });

/**
 * Deletes the subject's messages, their delivery statuses, wamid index and reactions, the stored media no other
 * customer's message uses (a file sent to many stays), the conversations' projections and the campaign entries naming them.
 * Idempotent: a second run finds nothing and counts zeros. Plain deletes by `_id`/field: FerretDB and MongoDB alike.
 */
export async function eraseSubjectData(store: Store, subject: ErasureSubject): Promise<ErasedCounts> {
  const byPerson = { $or: [{ conversationId: { $in: subject.conversationIds } }, { customerKey: { $in: subject.customerKeys } }] };
  const messages = await store.messages.find(byPerson).toArray();
  const messageIds = messages.map((m) => m._id);
  const wamids = messages.flatMap((m) => (m.wamid ? [m.wamid] : []));
  const mediaIds = [...new Set(messages.flatMap(mediaOf))];
  const deliveryStatuses = (await store.deliveryStatuses.deleteMany({ $or: [{ wamid: { $in: wamids } }, { messageId: { $in: messageIds } }] })).deletedCount;
  await store.wamids.deleteMany({ $or: [{ _id: { $in: wamids } }, { messageId: { $in: messageIds } }] });
  await store.handledInbound.deleteMany({ _id: { $in: [...messageIds, ...wamids] } });
  const removed = (await store.messages.deleteMany({ _id: { $in: messageIds } })).deletedCount;
  // Their reactions, and anyone's reactions in their conversations.
  await store.reactions.deleteMany({ $or: [{ conversationId: { $in: subject.conversationIds } }, { by: { $in: subject.customerKeys } }] });
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
  const conversations = (await store.conversations.deleteMany({ _id: { $in: subject.conversationIds } })).deletedCount;
  const campaignEntries = (await recipients(store).deleteMany({ $or: [{ 'customer.waId': { $in: subject.identities } }, { 'customer.userId': { $in: subject.identities } }] })).deletedCount;
  return { conversations, messages: removed, deliveryStatuses, media, campaignEntries };
}

/** Records an erasure (counts and who asked; not whom it was about). */
export async function auditErasure(store: Store, doc: ErasureAuditDoc): Promise<void> {
  await audit(store).insertOne(doc);
}

/** The audit trail, newest first. */
export async function listErasures(store: Store, limit = 100): Promise<ErasureAuditDoc[]> {
  return audit(store).find({}).sort({ at: -1 }).limit(limit).toArray();
}
