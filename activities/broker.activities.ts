import { ApplicationFailure } from '@temporalio/activity';
import { currentActivity } from './heartbeat';
import { messages as messagesMetric, sends } from '../lib/metrics';
import type { OutboundContent } from '../machines/conversation.types';
import { WINDOW_CLOSED_ERROR_CODE, failureReasonFor } from '../machines/conversation.rules';
import type { Store } from '../store/db';
import { brokerIdFor, findMedia, openMediaDownload, rememberBrokerId } from '../store/media.store';
import { ensureOutbound, recordAccepted, recordFailed } from '../store/messages.store';
import { releaseUnsentLegacyNotice } from '../store/numbers.store';
import type { SendAttempt, SendOutcome } from './activities.types';
import { learnFromSendAnswer, preferredRecipient } from '../services/customer-identity';
import { CloudApiError, type CloudApiClient, type SendRoute } from '../integrations/broker/cloud-api.client';
import { findNumber } from '../store/numbers.store';
import { findTemplate } from '../store/templates.store';
import { findConversation } from '../store/conversations.store';
import { meaningOf } from '../lib/meta-errors';
import { failureConsequences } from '../services/failure-consequences';
import { templateKey, updateTemplate } from '../store/templates.store';
import type { TemplateApiClient } from '../integrations/broker/template-api.client';
import { recheckRefusedTemplate } from '../services/template-refusal';

/** Temporal's attempt number of the running activity; outside an activity (a test calling the function itself) 1. */
const attemptOf = (): number => currentActivity()?.info.attempt ?? 1;

/** The activity's logger; outside an activity nothing is logged. */
const warn = (message: string, fields: Record<string, unknown>): void => currentActivity()?.log.warn(message, fields);

export interface BrokerDeps {
  store: Store;
  broker: CloudApiClient;
  clock: () => Date;
  /** WhatsApp's template list, asked after a 132001 refusal (absent: the template's status is left to the sync). */
  templates?: Pick<TemplateApiClient, 'list'>;
}

/**
 * Sends one message through the broker, exactly once as far as the broker allows: the stored message remembers
 * its wamid (a retried activity after success does nothing), and the message id travels as the idempotency key.
 * Retryable faults throw (Temporal backs off and retries); final refusals are recorded and returned.
 */
export function createBrokerActivities({ store, broker, clock, templates }: BrokerDeps) {
  /** Our stored upload becomes the broker's media id for this number, uploaded again once Meta no longer keeps it. */
  async function brokerIdOf(businessNumberId: string, mediaId: string, filename?: string): Promise<string> {
    const media = await findMedia(store, mediaId);
    if (!media) throw new CloudApiError(0, 0, `no stored media ${mediaId}`, undefined, false);
    let brokerId = brokerIdFor(media.metadata, businessNumberId, clock());
    if (!brokerId) {
      // Streamed from GridFS into the upload, chunk by chunk: a 100 MB document never sits in the worker's memory.
      const { mimeType } = media.metadata;
      const name = filename ?? media.metadata.filename ?? `upload.${mimeType.split('/')[1]?.replace(/[^a-z0-9]/g, '') || 'bin'}`;
      brokerId = await broker.uploadMedia(businessNumberId, { open: () => openMediaDownload(store, mediaId), size: media.length, mimeType, filename: name });
      await rememberBrokerId(store, mediaId, businessNumberId, brokerId, clock());
    }
    return brokerId;
  }

  /** Media messages (image, audio, video, document, sticker) and media headers go by the broker's id. */
  async function withBrokerMedia(businessNumberId: string, content: OutboundContent): Promise<OutboundContent> {
    if ('mediaId' in content) {
      return { ...content, mediaId: await brokerIdOf(businessNumberId, content.mediaId, content.type === 'document' ? content.filename : undefined) };
    }
    if ((content.type === 'buttons' || content.type === 'ctaUrl') && typeof content.header === 'object') {
      return { ...content, header: { ...content.header, mediaId: await brokerIdOf(businessNumberId, content.header.mediaId) } };
    }
    return content;
  }

  /**
   * A template whose latest category is MARKETING goes to /marketing_messages with the number's options; the rest to
   * /messages. The category is read at send time: WhatsApp may re-categorise a template after approval
   * (https://developers.facebook.com/documentation/business-messaging/whatsapp/marketing-messages/route-template-messages/).
   */
  async function routeOf(businessNumberId: string, content: OutboundContent): Promise<SendRoute> {
    if (content.type !== 'template') return { endpoint: 'messages' };
    const template = await findTemplate(store, businessNumberId, content.name, content.language);
    if (template?.category.toLowerCase() !== 'marketing') return { endpoint: 'messages' };
    const options = (await findNumber(store, businessNumberId))?.sending?.marketingMessages;
    return { endpoint: 'marketing_messages', ...options };
  }

  /**
   * Whether the customer reopened the window since the send's turn was given (the attempt may start later than its
   * turn, queued on its lane): the conversation as last projected says it is open now.
   */
  async function windowReopened(conversationId: string): Promise<boolean> {
    const closesAt = (await findConversation(store, conversationId))?.windowClosesAt;
    return closesAt !== null && closesAt !== undefined && Date.parse(closesAt) > clock().getTime();
  }

  /** The failure Meta would report for a session message sent after the window (131047), recorded as Meta's would be. */
  async function windowClosedBeforeTurn(send: SendAttempt, sendBy: number): Promise<SendOutcome> {
    const code = WINDOW_CLOSED_ERROR_CODE;
    const title = 'Re-engagement message';
    const details = `Not sent: the customer service window closed at ${new Date(sendBy).toISOString()}, before this message's turn to be sent; WhatsApp would refuse it (131047). Send a template.`;
    const meaning = meaningOf(code);
    await recordFailed(store, send.messageId, { code, title, details, reason: failureReasonFor(code), action: meaning.action, ...(meaning.meaning ? { meaning: meaning.meaning } : {}) }, clock());
    await releaseUnsentLegacyNotice(store, send.messageId);
    sends.inc({ outcome: 'rejected', code: String(code) });
    return { outcome: 'rejected', code, title, details };
  }

  return {
    async sendMessage(send: SendAttempt): Promise<SendOutcome> {
      const stored = await ensureOutbound(store, send);
      if (stored.wamid) return { outcome: 'accepted', wamid: stored.wamid };
      if (stored.failure) return { outcome: 'rejected', code: stored.failure.code, title: stored.failure.title };
      // Accepted while the window was open, its turn (after pacing) came after it closed: WhatsApp would take it and
      // fail it with 131047 by status webhook (joel#314). Failed here as WhatsApp would, nothing sent. Only on the first
      // attempt: a retry follows an outcome unknown (a lost answer), so WhatsApp may have taken it already; asked again
      // under the same idempotency key, it answers that wamid, or fails it by status webhook as before.
      if (send.sendBy !== undefined && clock().getTime() >= send.sendBy && attemptOf() === 1 && !(await windowReopened(send.conversationId))) {
        return windowClosedBeforeTurn(send, send.sendBy);
      }
      try {
        const content = await withBrokerMedia(send.businessNumberId, send.message);
        // Phone while WhatsApp shares it, else the BSUID: the registry knows a number change the conversation has not seen.
        const recipient = await preferredRecipient(store, send.customer);
        const route = await routeOf(send.businessNumberId, send.message);
        const { wamid, waId } = await broker.sendMessage(send.businessNumberId, recipient, content, send.messageId, route);
        // Meta may resolve the number to another WhatsApp id (send-messages reference): keep it when it differs.
        await recordAccepted(store, send.messageId, wamid, clock(), waId && waId !== recipient.waId ? waId : undefined);
        // ... and the person learns it: where only WhatsApp knows a number's form, its answer decides.
        if (waId && recipient.waId) await learnFromSendAnswer(store, recipient, [{ input: recipient.waId, wa_id: waId }], clock());
        sends.inc({ outcome: 'accepted', code: '' });
        messagesMetric.inc({ direction: 'outbound', type: send.message.type });
        return { outcome: 'accepted', wamid };
      } catch (err) {
        if (!(err instanceof CloudApiError)) throw err;
        sends.inc({ outcome: err.retryable ? 'retried' : 'rejected', code: String(err.code ?? '') });
        if (err.retryable) throw ApplicationFailure.retryable(err.message, 'BrokerUnavailable', { code: err.code });
        const meaning = meaningOf(err.code, err.httpStatus);
        const reason = failureReasonFor(err.code);
        await recordFailed(
          store,
          send.messageId,
          { code: err.code, title: err.title, details: err.details, reason, action: meaning.action, ...(meaning.meaning ? { meaning: meaning.meaning } : {}) },
          clock(),
        );
        await failureConsequences(store, err.code, send.businessNumberId, send.customer, clock());
        if (meaning.templateStatus && send.message.type === 'template') {
          // Meta paused or disabled it (132015/132016): no further send tries it until a webhook or the sync says otherwise.
          const key = templateKey(send.businessNumberId, send.message.name, send.message.language);
          await updateTemplate(store, key, { status: meaning.templateStatus }, { status: meaning.templateStatus, source: 'webhook', reason: `send refused with ${err.code}` });
        }
        if (meaning.templateRecheck && templates && send.message.type === 'template') {
          // 132001 does not say which (absent in that language, or not approved): WhatsApp's list does. Unreachable, the
          // send stays refused as it is and our copy unchanged: the next refusal or the periodic sync asks again.
          const key = templateKey(send.businessNumberId, send.message.name, send.message.language);
          await recheckRefusedTemplate(store, templates, key).catch((cause: unknown) => warn('template list not read after a 132001 refusal', { key, cause: String(cause) }));
        }
        await releaseUnsentLegacyNotice(store, send.messageId);
        return { outcome: 'rejected', code: err.code, title: err.title, ...(err.details ? { details: err.details } : {}) };
      }
    },
  };
}
