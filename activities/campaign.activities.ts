import type { ConversationService } from '../services/conversations.service';
import { AppError, refusalIn } from '../lib/errors';
import { findRecipient, recordCampaignProgress, recordRecipientResult, type RecipientDoc } from '../store/campaigns.store';
import { isDuplicateKey, type Store } from '../store/db';
import { customerForIntegrator } from '../services/customer-identity';
import { bsuidOrNone } from '../lib/customer-identifiers';
import type { CampaignHold, CampaignProgress, CampaignTemplate, TierPolicy } from '../workflows/campaign.messages';
import { holdFor } from '../services/campaign-holds';

export interface RecipientRequest {
  campaignId: string;
  index: number;
  businessNumberId: string;
  template: CampaignTemplate;
  whenTierUsedUp: TierPolicy;
}

export type RecipientOutcome =
  | { outcome: 'queued'; messageId: string; conversationId: string }
  | { outcome: 'refused'; code: string; detail?: string }
  /** The tier is used up and the campaign waits for it: nothing was stored, ask again after `retryAt` (epoch ms). */
  | { outcome: 'deferred'; retryAt: number }
  /** An account-health hold stands (number flagged, account restricted, template paused, spam limit): the campaign pauses. */
  | { outcome: 'held'; hold: CampaignHold };

/** The activities the campaign workflow calls. Workflows import this type only. */
export interface CampaignActivities {
  sendToRecipient(request: RecipientRequest): Promise<RecipientOutcome>;
  recordCampaignProgress(progress: CampaignProgress): Promise<void>;
}

/**
 * Refusals that are final for a recipient; anything else (Temporal or the store unavailable) is retried. A person the
 * business blocked (`customer_blocked`) stays blocked until someone acts, so retrying would hold the campaign forever.
 */
const FINAL_REFUSALS = new Set(['template_not_approved', 'messaging_limit_reached', 'invalid_recipient', 'invalid_request', 'marketing_opted_out', 'customer_blocked']);

const WA_ID = /^\d{6,15}$/;

/** The idempotency key of one recipient's message: the same on every retry and after any restart. */
export const campaignMessageKey = (campaignId: string, index: number) => `campaign:${campaignId}:${index}`;

/** Built over the store and the API's conversation service, so a campaign sends exactly as the API does. */
export function createCampaignActivities({ store, conversations, clock }: { store: Store; conversations: ConversationService; clock: () => Date }): CampaignActivities {
  const refuse = async (request: RecipientRequest, code: string, detail?: string): Promise<RecipientOutcome> => {
    await recordRecipientResult(store, request.campaignId, request.index, { outcome: 'refused', code, ...(detail ? { detail } : {}), at: clock() });
    return { outcome: 'refused', code, ...(detail ? { detail } : {}) };
  };

  return {
    /**
     * Hands one recipient's template to their conversation, as the API's start does (window rules, tier, outbox,
     * thread, idempotency all in one place). A retry, or a restart, finds the stored result, or sends under the same
     * key, so nobody gets the message twice.
     */
    async sendToRecipient(request) {
      const recipient = await findRecipient(store, request.campaignId, request.index);
      if (!recipient) return refuse(request, 'invalid_recipient', `no recipient ${request.index}`);
      const known = storedOutcome(recipient);
      if (known) return known;
      // Checked before every recipient, so a hold placed by a webhook a moment ago stops the very next send.
      const hold = await holdFor(store, request.businessNumberId, request.template);
      if (hold) return { outcome: 'held', hold };
      // The recipient's usable identifiers: a wa_id of 6 to 15 digits, a BSUID (lib/customer-identifiers.ts).
      const { waId, userId } = recipient.customer;
      const customer = { ...(waId && WA_ID.test(waId) ? { waId } : {}), ...(bsuidOrNone(userId) ? { userId } : {}) };
      if (!customer.waId && !customer.userId) {
        return refuse(request, 'invalid_recipient', 'expected waId as 6 to 15 digits, or a business-scoped userId');
      }
      // One person listed twice under different identifiers (52/521, phone and BSUID) is messaged once.
      const person = await customerForIntegrator(store, request.businessNumberId, customer, clock());
      const first = await claimPerson(store, request.campaignId, person.key, request.index);
      if (first !== request.index) return refuse(request, 'duplicate_recipient', `the same person as recipient ${first}`);
      try {
        const accepted = await conversations.start(
          {
            businessNumberId: request.businessNumberId,
            customer,
            template: { ...request.template, ...(recipient.components ? { components: recipient.components } : {}) },
          },
          { kind: 'integrator', id: `campaign:${request.campaignId}` },
          campaignMessageKey(request.campaignId, request.index),
        );
        await recordRecipientResult(store, request.campaignId, request.index, {
          outcome: 'queued',
          messageId: accepted.messageId,
          conversationId: accepted.conversationId,
          at: clock(),
        });
        return { outcome: 'queued', messageId: accepted.messageId, conversationId: accepted.conversationId };
      } catch (err) {
        const refusal = err instanceof AppError ? err : refusalIn(err);
        if (!refusal || !FINAL_REFUSALS.has(refusal.code)) throw err;
        if (refusal.code === 'messaging_limit_reached' && request.whenTierUsedUp === 'wait') {
          return { outcome: 'deferred', retryAt: Date.parse(String(refusal.extensions.retryAt)) };
        }
        return refuse(request, refusal.code, refusal.detail);
      }
    },

    async recordCampaignProgress(progress) {
      await recordCampaignProgress(store, progress, clock());
    },
  };
}

/** The first recipient index that named this person in this campaign (`campaign_persons`, an insert race on `_id`). */
async function claimPerson(store: Store, campaignId: string, personKey: string, index: number): Promise<number> {
  const persons = store.db.collection<{ _id: string; index: number }>('campaign_persons');
  const _id = `${campaignId}:${personKey}`;
  try {
    await persons.insertOne({ _id, index });
    return index;
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    return (await persons.findOne({ _id }))?.index ?? index;
  }
}

function storedOutcome(recipient: RecipientDoc): RecipientOutcome | undefined {
  if (recipient.outcome === 'queued') return { outcome: 'queued', messageId: recipient.messageId, conversationId: recipient.conversationId };
  if (recipient.outcome === 'refused') return { outcome: 'refused', code: recipient.code, ...(recipient.detail ? { detail: recipient.detail } : {}) };
  return undefined;
}
