import { checkImage } from '../lib/image-check';
import type { FetchMediaEffect } from '../machines/conversation.types';
import type { Store } from '../store/db';
import { findMedia, putMedia } from '../store/media.store';
import { recordInboundImage } from '../store/messages.store';
import type { MediaFailure, MediaOutcome } from './activities.types';
import { CloudApiError, type CloudApiClient } from '../integrations/broker/cloud-api.client';
import { ApplicationFailure } from '@temporalio/activity';

/** The id an inbound image is stored under: derived from the message, so a retried fetch stores it once. */
export const inboundMediaId = (messageId: string) => `in_${messageId}`;

export function createMediaActivities({ store, broker }: { store: Store; broker: CloudApiClient }) {
  return {
    /** Fetches a customer's image while the broker's URL is valid, checks it, and stores it in GridFS. */
    async fetchInboundMedia({ messageId, brokerMediaId }: FetchMediaEffect): Promise<MediaOutcome> {
      const mediaId = inboundMediaId(messageId);
      if (await findMedia(store, mediaId)) return { outcome: 'stored', mediaId };
      let download;
      try {
        download = await broker.downloadMedia(brokerMediaId);
      } catch (err) {
        if (err instanceof CloudApiError && !err.retryable) {
          await recordInboundImage(store, messageId, { problem: `fetch_failed: ${err.code} ${err.title}` });
          return { outcome: 'rejected', problem: 'fetch_failed' };
        }
        throw ApplicationFailure.retryable((err as Error).message, 'BrokerUnavailable');
      }
      const checked = checkImage(download.bytes, download.mimeType);
      if ('problem' in checked) {
        // Nothing half-stored: the bytes are dropped, the message says why.
        await recordInboundImage(store, messageId, { problem: checked.problem });
        return { outcome: 'rejected', problem: checked.problem };
      }
      await putMedia(store, mediaId, download.bytes, { ...checked, direction: 'inbound' });
      await recordInboundImage(store, messageId, { mediaId, ...checked });
      return { outcome: 'stored', mediaId };
    },

    async markMediaFailed({ messageId, problem, details }: MediaFailure): Promise<void> {
      await recordInboundImage(store, messageId, { problem: details ? `${problem}: ${details}` : problem });
    },
  };
}
