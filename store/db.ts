import { MongoClient, type Collection, type Db } from 'mongodb';
import type {
  AgentDoc,
  ApiKeyDoc,
  BusinessNumberDoc,
  ConfigAuditDoc,
  ConfigDraftDoc,
  ConfigVersionDoc,
  ConversationDoc,
  DeadLetterDoc,
  DeliveryStatusDoc,
  HandledInboundDoc,
  InboundBatchChunkDoc,
  InboundBatchDoc,
  LegacyReplyDoc,
  MessageDoc,
  ReactionDoc,
  TemplateDoc,
  WamidDoc,
} from './documents';

export interface Store {
  client: MongoClient;
  db: Db;
  messages: Collection<MessageDoc>;
  handledInbound: Collection<HandledInboundDoc>;
  conversations: Collection<ConversationDoc>;
  templates: Collection<TemplateDoc>;
  deliveryStatuses: Collection<DeliveryStatusDoc>;
  wamids: Collection<WamidDoc>;
  apiKeys: Collection<ApiKeyDoc>;
  agents: Collection<AgentDoc>;
  configVersions: Collection<ConfigVersionDoc>;
  configDrafts: Collection<ConfigDraftDoc>;
  configAudit: Collection<ConfigAuditDoc>;
  numbers: Collection<BusinessNumberDoc>;
  legacyReplies: Collection<LegacyReplyDoc>;
  reactions: Collection<ReactionDoc>;
  /** Webhook parts the connector could not use, kept for supervisors and a later replay. */
  deadLetters: Collection<DeadLetterDoc>;
  /** Large webhooks acknowledged before processing, and which of their chunks were handed over. */
  inboundBatches: Collection<InboundBatchDoc>;
  inboundBatchChunks: Collection<InboundBatchChunkDoc>;
  close(): Promise<void>;
}

/**
 * Connects and makes sure the indexes exist. Hot paths filter on `_id` alone: FerretDB 1.x on SQLite only uses an
 * index for that shape (a second field, `$in` or a secondary index means a table scan, ~60 ops/s); MongoDB is
 * fast either way. See bench/ingest.ts. Works on MongoDB and on FerretDB 1.x alike: no transactions, change
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
    handledInbound: db.collection<HandledInboundDoc>('inbound_handled'),
    conversations: db.collection<ConversationDoc>('conversations'),
    templates: db.collection<TemplateDoc>('templates'),
    deliveryStatuses: db.collection<DeliveryStatusDoc>('message_statuses'),
    wamids: db.collection<WamidDoc>('message_wamids'),
    apiKeys: db.collection<ApiKeyDoc>('api_keys'),
    agents: db.collection<AgentDoc>('agents'),
    configVersions: db.collection<ConfigVersionDoc>('machine_config_versions'),
    configDrafts: db.collection<ConfigDraftDoc>('machine_config_drafts'),
    configAudit: db.collection<ConfigAuditDoc>('machine_config_audit'),
    numbers: db.collection<BusinessNumberDoc>('business_numbers'),
    legacyReplies: db.collection<LegacyReplyDoc>('legacy_replies'),
    reactions: db.collection<ReactionDoc>('message_reactions'),
    deadLetters: db.collection<DeadLetterDoc>('dead_letters'),
    inboundBatches: db.collection<InboundBatchDoc>('inbound_batches'),
    inboundBatchChunks: db.collection<InboundBatchChunkDoc>('inbound_batch_chunks'),
    close: () => client.close(),
  };
  await Promise.all([
    store.messages.createIndex({ conversationId: 1, sortAt: 1 }),
    store.conversations.createIndex({ state: 1, updatedAt: -1 }),
    store.conversations.createIndex({ businessNumberId: 1, updatedAt: -1 }),
    store.conversations.createIndex({ agentId: 1, updatedAt: -1 }),
    store.templates.createIndex({ businessNumberId: 1, name: 1, language: 1 }, { unique: true }),
    store.templates.createIndex({ brokerTemplateId: 1 }),
    store.apiKeys.createIndex({ keyId: 1 }, { unique: true }),
    store.configAudit.createIndex({ at: -1 }),
    store.reactions.createIndex({ conversationId: 1 }),
    store.deadLetters.createIndex({ receivedAt: -1 }),
    // The customer registry (store/customers.store.ts) writes by `_id`; these serve its reads.
    db.collection('customer_identifiers').createIndex({ customerId: 1 }),
    db.collection('customer_links').createIndex({ into: 1 }),
    // A merge carries the merged customer's blocks (store/blocked-users.store.ts carryBlocks).
    db.collection('blocked_users').createIndex({ personId: 1 }),
  ]);
  return store;
}

/** MongoDB's duplicate-key error, which FerretDB reports the same way. */
export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}

/** An unordered bulk insert's error whose every write error is a duplicate key (the rest of the batch was stored). */
export function onlyDuplicateKeys(err: unknown): boolean {
  const writeErrors = (err as { writeErrors?: { code?: number }[] | { code?: number } } | null)?.writeErrors;
  const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
  return list.length > 0 && list.every((e) => e.code === 11000);
}
