import { ApplicationFailure } from '@temporalio/activity';
import { isMediaType, type MediaType } from '../lib/inbound-message.schema';
import { maxBytesFor } from '../lib/media-limits';
import type { FetchMediaEffect } from '../machines/conversation.types';
import { takeMedia } from '../services/media-intake';
import type { Store } from '../store/db';
import type { InboundMedia } from '../lib/inbound-message';
import { findMedia } from '../store/media.store';
import { recordInboundMedia } from '../store/messages.store';
import type { MediaFailure, MediaOutcome } from './activities.types';
import { CloudApiError, type CloudApiClient } from '../integrations/broker/cloud-api.client';

/** The id an inbound media object is stored under: derived from the message, so a retried fetch stores it once. */
export const inboundMediaId = (messageId: string) => `in_${messageId}`;

export function createMediaActivities({ store, broker }: { store: Store; broker: CloudApiClient }) {
  return {
    /**
     * Fetches a customer's media (any type) while the broker's URL is valid and streams it into GridFS, checking
     * size against Meta's limit for the type, the bytes' real type (file-type) against the declared one and the
     * webhook's sha256; what failed a check is kept on the message as `problem`, with no bytes.
     */
    async fetchInboundMedia({ messageId, brokerMediaId }: FetchMediaEffect): Promise<MediaOutcome> {
      const mediaId = inboundMediaId(messageId);
      const message = await store.messages.findOne({ _id: messageId });
      // Messages stored before other types existed are images.
      const type: MediaType = message?.direction === 'inbound' && isMediaType(message.type) ? message.type : 'image';
      const announced = (message as unknown as Record<string, InboundMedia | undefined> | null)?.[type];
      if (await findMedia(store, mediaId)) return { outcome: 'stored', mediaId };
      let opened;
      try {
        opened = await broker.openMedia(brokerMediaId);
      } catch (err) {
        if (err instanceof CloudApiError && !err.retryable) {
          await recordInboundMedia(store, messageId, type, { problem: `fetch_failed: ${err.code} ${err.title}` });
          return { outcome: 'rejected', problem: 'fetch_failed' };
        }
        throw ApplicationFailure.retryable((err as Error).message, 'BrokerUnavailable');
      }
      if (opened.fileSize !== undefined && opened.fileSize > maxBytesFor(type, announced?.animated)) {
        // Known too large before a byte is read: not downloaded at all.
        opened.body.destroy();
        await recordInboundMedia(store, messageId, type, { problem: 'too_large' });
        return { outcome: 'rejected', problem: 'too_large' };
      }
      let result;
      try {
        result = await takeMedia(store, {
          mediaId,
          source: opened.body,
          direction: 'inbound',
          expectedType: type,
          ...(announced?.mimeType ?? opened.mimeType ? { declaredMimeType: announced?.mimeType ?? opened.mimeType } : {}),
          ...(announced?.sha256 ?? opened.sha256 ? { declaredSha256: announced?.sha256 ?? opened.sha256 } : {}),
          ...(announced?.animated !== undefined ? { animated: announced.animated } : {}),
          ...(announced?.filename ? { filename: announced.filename } : {}),
        });
      } catch (err) {
        // The download broke off (or the store failed): retried with a fresh URL.
        throw ApplicationFailure.retryable((err as Error).message, 'MediaTransferFailed');
      }
      if (result.outcome === 'refused') {
        await recordInboundMedia(store, messageId, type, { problem: result.problem });
        return { outcome: 'rejected', problem: result.problem };
      }
      const { mimeType, size, sha256 } = result.metadata;
      await recordInboundMedia(store, messageId, type, { mediaId, mimeType, size, sha256 });
      return { outcome: 'stored', mediaId };
    },

    async markMediaFailed({ messageId, problem, details }: MediaFailure): Promise<void> {
      const message = await store.messages.findOne({ _id: messageId });
      const type = message?.direction === 'inbound' && isMediaType(message.type) ? message.type : 'image';
      await recordInboundMedia(store, messageId, type, { problem: details ? `${problem}: ${details}` : problem });
    },
  };
}
