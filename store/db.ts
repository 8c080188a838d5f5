import { MongoClient, type Collection, type Db } from 'mongodb';
import type { ConversationDoc, MessageDoc, PendingStatusDoc, TemplateDoc } from './documents';

export interface Store {
  client: MongoClient;
  db: Db;
  messages: Collection<MessageDoc>;
  conversations: Collection<ConversationDoc>;
  templates: Collection<TemplateDoc>;
  pendingStatuses: Collection<PendingStatusDoc>;
  close(): Promise<void>;
}

/**
 * Connects and makes sure the indexes exist. Works on MongoDB and on FerretDB 1.x alike: no transactions, change
 * streams or TTL indexes; every write is idempotent on a natural key instead.
 */
export async function connectStore(url: string, dbName: string): Promise<Store> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5_000, appName: 'whatsapp-connector' });
  await client.connect();
  const db = client.db(dbName);
  const store: Store = {
    client,
    db,
    messages: db.collection<MessageDoc>('messages'),
    conversations: db.collection<ConversationDoc>('conversations'),
    templates: db.collection<TemplateDoc>('templates'),
    pendingStatuses: db.collection<PendingStatusDoc>('pending_statuses'),
    close: () => client.close(),
  };
  await Promise.all([
    store.messages.createIndex({ conversationId: 1, sortAt: 1 }),
    store.messages.createIndex({ wamid: 1 }),
    store.conversations.createIndex({ state: 1, updatedAt: -1 }),
    store.conversations.createIndex({ businessNumberId: 1, updatedAt: -1 }),
    store.conversations.createIndex({ agentId: 1, updatedAt: -1 }),
    store.templates.createIndex({ businessNumberId: 1, name: 1, language: 1 }, { unique: true }),
    store.pendingStatuses.createIndex({ wamid: 1 }),
  ]);
  return store;
}

/** MongoDB's duplicate-key error, which FerretDB reports the same way. */
export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}
