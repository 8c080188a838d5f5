import { ApplicationFailure } from '@temporalio/activity';
import { messages as messagesMetric, sends } from '../lib/metrics';
import type { OutboundContent, SendMessageEffect } from '../machines/conversation.types';
import { failureReasonFor } from '../machines/conversation.rules';
import type { Store } from '../store/db';
import { findMedia, readMedia, rememberBrokerId } from '../store/media.store';
import { ensureOutbound, recordAccepted, recordFailed } from '../store/messages.store';
import { releaseUnsentLegacyNotice } from '../store/numbers.store';
import type { SendOutcome } from './activities.types';
import { learnFromSendAnswer, preferredRecipient } from '../services/customer-identity';
import { CloudApiError, type CloudApiClient } from '../integrations/broker/cloud-api.client';
import { meaningOf } from '../lib/meta-errors';
import { templateKey, updateTemplate } from '../store/templates.store';

export interface BrokerDeps {
  store: Store;
  broker: CloudApiClient;
  clock: () => Date;
}

/**
 * Sends one message through the broker, exactly once as far as the broker allows: the stored message remembers
 * its wamid (a retried activity after success does nothing), and the message id travels as the idempotency key.
 * Retryable faults throw (Temporal backs off and retries); final refusals are recorded and returned.
 */
export function createBrokerActivities({ store, broker, clock }: BrokerDeps) {
  /** Our stored upload becomes the broker's media id for this number, uploaded once and remembered. */
  async function brokerIdOf(businessNumberId: string, mediaId: string, filename?: string): Promise<string> {
    const media = await findMedia(store, mediaId);
    if (!media) throw new CloudApiError(0, 0, `no stored media ${mediaId}`, undefined, false);
    let brokerId = media.metadata.brokerIds?.[businessNumberId];
    if (!brokerId) {
      brokerId = await broker.uploadMedia(businessNumberId, await readMedia(store, mediaId), media.metadata.mimeType, filename);
      await rememberBrokerId(store, mediaId, businessNumberId, brokerId);
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

  return {
    async sendMessage(send: SendMessageEffect): Promise<SendOutcome> {
      const stored = await ensureOutbound(store, send);
      if (stored.wamid) return { outcome: 'accepted', wamid: stored.wamid };
      if (stored.failure) return { outcome: 'rejected', code: stored.failure.code, title: stored.failure.title };
      try {
        const content = await withBrokerMedia(send.businessNumberId, send.message);
        // Phone while WhatsApp shares it, else the BSUID: the registry knows a number change the conversation has not seen.
        const recipient = await preferredRecipient(store, send.customer);
        const { wamid, waId } = await broker.sendMessage(send.businessNumberId, recipient, content, send.messageId);
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
        await recordFailed(store, send.messageId, { code: err.code, title: err.title, details: err.details, reason, action: meaning.action }, clock());
        if (meaning.templateStatus && send.message.type === 'template') {
          // Meta paused or disabled it (132015/132016): no further send tries it until a webhook or the sync says otherwise.
          const key = templateKey(send.businessNumberId, send.message.name, send.message.language);
          await updateTemplate(store, key, { status: meaning.templateStatus }, { status: meaning.templateStatus, source: 'webhook', reason: `send refused with ${err.code}` });
        }
        await releaseUnsentLegacyNotice(store, send.messageId);
        return { outcome: 'rejected', code: err.code, title: err.title, ...(err.details ? { details: err.details } : {}) };
      }
    },
  };
}
