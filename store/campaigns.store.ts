import type { TemplateSendComponent } from '../machines/conversation.types';
import type { CampaignProgress } from '../workflows/campaign.messages';
import { isDuplicateKey, type Store } from './db';
import { escapeRegex } from './regex';

/** A campaign and its last recorded progress. `_id` = campaign id. */
export interface CampaignDoc extends CampaignProgress {
  _id: string;
  createdAt: Date;
  updatedAt: Date;
  /** When retention deleted its recipients (the counts stay). */
  recipientsPurgedAt?: Date;
  /** When retention deleted its once-per-person marks (`campaign_persons`); campaigns purged before those were, lack it. */
  personsPurgedAt?: Date;
}

/** What became of one recipient, as far as the campaign knows; the message document has the delivery status. */
export type RecipientResult =
  | { outcome: 'pending' }
  | { outcome: 'queued'; messageId: string; conversationId: string; at: Date }
  | { outcome: 'refused'; code: string; detail?: string; at: Date };

/** One recipient. `_id` `<campaign id>:<zero-padded index>`, so a page is a run of `_id` look-ups. */
export type RecipientDoc = {
  _id: string;
  campaignId: string;
  index: number;
  customer: { waId?: string; userId?: string };
  components?: TemplateSendComponent[];
} & RecipientResult;

/** Zero-padded so ids sort in list order. */
export const recipientId = (campaignId: string, index: number) => `${campaignId}:${String(index).padStart(7, '0')}`;

const campaigns = (store: Store) => store.db.collection<CampaignDoc>('campaigns');
const recipients = (store: Store) => store.db.collection<RecipientDoc>('campaign_recipients');

/**
 * Stores the recipients, then the campaign. Idempotent: a retried request finds both already there (recipients
 * keyed by index, the campaign by id) and changes nothing.
 */
export async function createCampaign(store: Store, campaign: CampaignDoc, list: Omit<RecipientDoc, '_id' | 'campaignId' | 'index' | 'outcome'>[]): Promise<CampaignDoc> {
  const existing = await findCampaign(store, campaign._id);
  if (existing) return existing;
  const docs: RecipientDoc[] = list.map((r, index) => ({ ...r, _id: recipientId(campaign._id, index), campaignId: campaign._id, index, outcome: 'pending' }));
  for (let i = 0; i < docs.length; i += 1_000) {
    try {
      await recipients(store).insertMany(docs.slice(i, i + 1_000), { ordered: false });
    } catch (err) {
      if (!isDuplicateKey(err) && !allDuplicates(err)) throw err; // an earlier attempt stored some of them
    }
  }
  await campaigns(store).updateOne({ _id: campaign._id }, { $setOnInsert: campaign }, { upsert: true });
  return (await findCampaign(store, campaign._id))!;
}

function allDuplicates(err: unknown): boolean {
  const writeErrors = (err as { writeErrors?: { code?: number }[] | { code?: number } }).writeErrors;
  const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
  return list.length > 0 && list.every((e) => e.code === 11000);
}

/** By `_id` alone (indexed on FerretDB). */
export async function findCampaign(store: Store, campaignId: string): Promise<CampaignDoc | null> {
  return campaigns(store).findOne({ _id: campaignId });
}

/** Written by the workflow one at a time, so a plain replace by `_id` keeps the newest. */
export async function recordCampaignProgress(store: Store, progress: CampaignProgress, at: Date): Promise<void> {
  await campaigns(store).updateOne({ _id: progress.campaignId }, { $set: { ...progress, updatedAt: at } });
}

/** By `_id` alone (indexed on FerretDB). */
export async function findRecipient(store: Store, campaignId: string, index: number): Promise<RecipientDoc | null> {
  return recipients(store).findOne({ _id: recipientId(campaignId, index) });
}

/** What the campaign did with one recipient; written once, by the activity that handed them over. */
export async function recordRecipientResult(store: Store, campaignId: string, index: number, result: RecipientResult): Promise<void> {
  await recipients(store).updateOne({ _id: recipientId(campaignId, index) }, { $set: result });
}

/** Recipients `from`, `from + 1`, … in list order, at most `limit` (each an indexed `_id` look-up). */
export async function listRecipients(store: Store, campaign: Pick<CampaignDoc, '_id' | 'total'>, from: number, limit: number): Promise<RecipientDoc[]> {
  const indices = Array.from({ length: Math.max(0, Math.min(limit, campaign.total - from)) }, (_, i) => from + i);
  const docs = await Promise.all(indices.map((index) => findRecipient(store, campaign._id, index)));
  return docs.filter((doc): doc is RecipientDoc => doc !== null);
}

/** Campaigns paused by a hold (store/health.store.ts), for the alert that placed it. */
export async function campaignsPausedBy(store: Store, holdId: string): Promise<CampaignDoc[]> {
  return campaigns(store).find({ state: 'paused', 'pausedFor.holdId': holdId }).toArray();
}

/** Every campaign's state and counts (the metrics' gauges): a small collection, read whole. */
export async function campaignStates(store: Store): Promise<Pick<CampaignDoc, 'state' | 'counts'>[]> {
  return campaigns(store).find({}, { projection: { state: 1, counts: 1 } }).toArray();
}

/**
 * Retention: deletes the recipients and the once-per-person marks (`campaign_persons`) of at most `limit` campaigns
 * last changed before `before` (the campaign's counts stay) and marks them purged so the next run skips them. Answers
 * how many campaigns, recipients and marks went.
 */
export async function purgeOldRecipients(store: Store, before: Date, limit: number, now: Date): Promise<{ campaigns: number; recipients: number; persons: number }> {
  const old = await campaigns(store)
    .find({ updatedAt: { $lt: before }, personsPurgedAt: { $exists: false } }, { projection: { _id: 1 } })
    .limit(limit)
    .toArray();
  let removed = 0;
  let persons = 0;
  for (const { _id } of old) {
    removed += (await recipients(store).deleteMany({ campaignId: _id })).deletedCount;
    // `campaign_persons` `_id`s are `<campaign id>:<customer key>` (activities/campaign.activities.ts claimPerson).
    const marks = { _id: { $regex: `^${escapeRegex(_id)}:` } };
    persons += (await store.db.collection<{ _id: string }>('campaign_persons').deleteMany(marks)).deletedCount;
    await campaigns(store).updateOne({ _id }, { $set: { recipientsPurgedAt: now, personsPurgedAt: now } });
  }
  return { campaigns: old.length, recipients: removed, persons };
}

/** Erasure: the recipient entries naming any of these wa_ids or user ids. Answers how many went. */
export async function eraseRecipientsNaming(store: Store, identities: string[]): Promise<number> {
  return (await recipients(store).deleteMany({ $or: [{ 'customer.waId': { $in: identities } }, { 'customer.userId': { $in: identities } }] })).deletedCount;
}
