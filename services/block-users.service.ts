import { AppError } from '../lib/errors';
import { CloudApiError } from '../integrations/broker/cloud-api.client';
import type { BlockUsersClient } from '../integrations/broker/block-users.client';
import type { Store } from '../store/db';
import { findConversation } from '../store/conversations.store';
import { recordBlocked, recordUnblocked, recordUnblockedUser } from '../store/blocked-users.store';
import { mongoRegistry } from '../store/customer-registry.db';
import { membersOf } from '../store/customers.store';
import { findNumber } from '../store/numbers.store';
import { conversationPersonId, preferredRecipient } from './customer-identity';
import { blocksByPerson, findPersonBlock } from './person-blocks';

/**
 * Supervisors and agents block an abusive person on the conversation's business number through Meta's Block Users
 * API, and unblock them. Meta's rules (https://developers.facebook.com/documentation/business-messaging/whatsapp/block-users/):
 * only people who messaged the number in the last 24 hours (131047 otherwise), at most 64,000 blocked (139101), at
 * most 1,000 per request. A blocked person's messages are kept but not routed (api/webhook.ingest.ts), and nothing is
 * sent to them (services/conversations.service.ts). The block is the person's (services/person-blocks.ts): made or
 * lifted through any of their conversations, it holds for all of them, and it follows them into a merge.
 */
export interface BlockServiceDeps {
  store: Store;
  broker: BlockUsersClient;
  clock?: () => Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** A whole-request refusal from the broker, as the caller sees it: retry later, or the broker said no. */
function brokerProblem(err: unknown): never {
  if (!(err instanceof CloudApiError)) throw err;
  if (err.retryable) throw new AppError('temporarily_unavailable', `WhatsApp did not answer the block request: ${err.message}`);
  throw new AppError('broker_refused', err.message, { brokerCode: err.code });
}

/** A per-user failure Meta answered, as one of our codes. */
function failureProblem(failure: { code: number; message: string; details?: string }): never {
  const said = `WhatsApp answered ${failure.code} (${failure.message}${failure.details ? `: ${failure.details}` : ''})`;
  if (failure.code === 131047) throw new AppError('block_requires_recent_message', said, { brokerCode: failure.code });
  if (failure.code === 139101) throw new AppError('blocklist_full', said, { brokerCode: failure.code });
  throw new AppError('broker_refused', said, { brokerCode: failure.code });
}

export function createBlockService({ store, broker, clock = () => new Date() }: BlockServiceDeps) {
  /** The conversation's number and person (registry root id), with the WhatsApp id the Block Users API takes. */
  async function target(conversationId: string) {
    const doc = await findConversation(store, conversationId);
    if (!doc) throw new AppError('unknown_conversation', `No conversation ${conversationId}`);
    await blocksByPerson(store);
    const recipient = await preferredRecipient(store, doc.customer);
    if (!recipient.waId) {
      throw new AppError('bsuid_recipient_unsupported', 'The Block Users API takes a phone number or WhatsApp id; this customer is known by their business-scoped user id alone');
    }
    // The WhatsApp id names the person whatever the conversation's key is.
    const personId = await conversationPersonId(mongoRegistry(store), { ...doc.customer, waId: recipient.waId });
    if (!personId) throw new Error(`no person for ${conversationId} though WhatsApp id ${recipient.waId} names one`);
    return { doc, waId: recipient.waId, personId };
  }

  /** The number's routes answer for registered numbers only, as every /v1/numbers/{id} route does (404 unknown_number). */
  async function requireNumber(businessNumberId: string): Promise<void> {
    if (!(await findNumber(store, businessNumberId))) throw new AppError('unknown_number', `No registered number ${businessNumberId} (register it with POST /v1/numbers)`);
  }

  return {
    async block(conversationId: string, by: string) {
      const { doc, waId, personId } = await target(conversationId);
      const now = clock();
      // Meta's rule, checked first so a stale block costs no call: the person must have written in the last 24 hours.
      const lastInbound = doc.lastInboundAt ? Date.parse(doc.lastInboundAt) : null;
      if (lastInbound === null || now.getTime() - lastInbound > DAY_MS) {
        throw new AppError('block_requires_recent_message', `WhatsApp blocks only people who wrote in the last 24 hours; this person last wrote ${doc.lastInboundAt ?? 'never'}`);
      }
      const result = await broker.block(doc.businessNumberId, [waId]).catch(brokerProblem);
      const failure = result.failed[0];
      if (failure) failureProblem(failure);
      const answered = result.done[0]?.waId;
      await recordBlocked(store, { businessNumberId: doc.businessNumberId, personId, customerKey: doc.customer.key, user: waId, ...(answered ? { waId: answered } : {}), blockedAt: now, blockedBy: by });
      return { conversationId, businessNumberId: doc.businessNumberId, customerId: personId, blocked: true, waId: answered ?? waId, blockedAt: now.toISOString(), blockedBy: by };
    },

    async unblock(conversationId: string, by: string) {
      const { doc, waId, personId } = await target(conversationId);
      const result = await broker.unblock(doc.businessNumberId, [waId]).catch(brokerProblem);
      const failure = result.failed[0];
      if (failure) failureProblem(failure);
      // Every customer merged into the person: a process that has not seen the merge yet reads their copy.
      await recordUnblocked(store, doc.businessNumberId, await membersOf(mongoRegistry(store), personId));
      return { conversationId, businessNumberId: doc.businessNumberId, customerId: personId, blocked: false, waId, unblockedBy: by };
    },

    /**
     * Unblocks a WhatsApp user on the number by their WhatsApp id, as the number's blocklist lists them: at WhatsApp
     * first, then every block the store keeps naming them on that number. For a user no conversation names any more
     * (erased: the block stays at WhatsApp, README "Blocked people").
     */
    async unblockUser(businessNumberId: string, waId: string, by: string) {
      await requireNumber(businessNumberId);
      await blocksByPerson(store);
      const result = await broker.unblock(businessNumberId, [waId]).catch(brokerProblem);
      const failure = result.failed[0];
      if (failure) failureProblem(failure);
      await recordUnblockedUser(store, businessNumberId, waId);
      return { businessNumberId, waId, blocked: false, unblockedBy: by };
    },

    /** The number's blocklist as WhatsApp holds it, a page at a time; `after` only when another page follows. */
    async list(businessNumberId: string, page: { limit?: number; after?: string }) {
      await requireNumber(businessNumberId);
      const answer = await broker.list(businessNumberId, page).catch(brokerProblem);
      return { blockedUsers: answer.waIds.map((waId) => ({ waId })), ...(answer.after ? { after: answer.after } : {}) };
    },

    /** Whether the conversation customer's person is blocked on the number (exact). */
    isBlocked: async (businessNumberId: string, customer: { key: string; waId?: string; userId?: string }) => (await findPersonBlock(store, businessNumberId, customer)) !== null,
  };
}

export type BlockService = ReturnType<typeof createBlockService>;
