import { AppError } from '../lib/errors';
import { configuredPortfolioTier, defaultMessagingLimits, type MessagingLimits } from '../lib/messaging-limits';
import { isWindowOpenInView, mayGoOutsideWindow } from '../machines/conversation.rules';
import type { ConversationStatus } from '../machines/conversation.status';
import type { ConversationInput, OutboundContent } from '../machines/conversation.types';
import type { Store } from '../store/db';
import { findConversation } from '../store/conversations.store';
import { portfolioOf, reportedLimit } from '../store/portfolio.store';
import { admitToTier, releaseTier } from '../store/tier.store';

/** A unit taken for a send: give it back with {@link releaseAdmission} if the send is refused after all. */
export interface Admission {
  portfolioId: string;
  /** Set when the send took a fresh unit. */
  ticket?: number;
}

/**
 * A template (or Direct Send content) to a customer whose window is closed, or who never wrote, takes a unit of the
 * business portfolio's messaging limit, shared by all its numbers; else it is refused with `messaging_limit_reached`
 * (429, with `tier`, `retryAt`, `businessPortfolioId`, `limitSource`) before anything is recorded. The limit is the one
 * WhatsApp last reported (`business_capability_update`), configuration only until it has. The read model decides the
 * window (`current`, else read): a just-reopened window it has not seen yet costs a unit, never the other way round.
 * Answers undefined when the send costs nothing.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/messaging-limits
 */
export async function admitOutsideWindow(
  deps: { store: Store; limits?: MessagingLimits | undefined },
  conversation: ConversationInput,
  messageId: string,
  message: OutboundContent,
  current?: ConversationStatus | null,
): Promise<Admission | undefined> {
  // Direct Send content outside the window is a business-initiated utility message: it counts as a template does.
  if (!mayGoOutsideWindow(message)) return undefined;
  const { store } = deps;
  const now = Date.now();
  const doc = current === undefined ? await findConversation(store, conversation.conversationId) : current;
  if (doc && isWindowOpenInView(doc, now)) return undefined;
  const { portfolioId, wabaId } = await portfolioOf(store, conversation.businessNumberId);
  const reported = await reportedLimit(store, portfolioId, wabaId);
  const tier = reported?.limit ?? configuredPortfolioTier(deps.limits ?? defaultMessagingLimits, portfolioId, conversation.businessNumberId);
  const admission = await admitToTier(store, { portfolioId, customerKey: conversation.customer.key, messageId, tier, now });
  if (admission.admitted) return { portfolioId, ...(admission.ticket !== undefined ? { ticket: admission.ticket } : {}) };
  const retryAt = new Date(admission.retryAt).toISOString();
  throw new AppError(
    'messaging_limit_reached',
    `Business portfolio ${portfolioId} (number ${conversation.businessNumberId} and every other number of it) has messaged ${tier} customers outside their window in the last 24 hours, its messaging limit. The next unit frees at ${retryAt}.`,
    { tier, retryAt, businessPortfolioId: portfolioId, limitSource: reported ? 'business_capability_update' : 'configuration' },
  );
}

/** Gives back the unit a send took fresh: the conversation refused it, so nothing reached WhatsApp. */
export async function releaseAdmission(store: Store, conversation: ConversationInput, admission: Admission): Promise<void> {
  if (admission.ticket !== undefined) await releaseTier(store, admission.portfolioId, conversation.customer.key, admission.ticket);
}
