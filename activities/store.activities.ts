import type { Store } from '../store/db';
import { markInboundHandled, recordConversation } from '../store/conversations.store';
import { recordFailed } from '../store/messages.store';
import { releaseUnsentLegacyNotice } from '../store/numbers.store';
import type { RecordConversationInput, SendFailure } from './activities.types';

/** Read-model writes the workflow makes as local activities: idempotent, ordered by the projection key. */
export function createStoreActivities({ store, clock }: { store: Store; clock: () => Date }) {
  return {
    async recordConversation({ status, generation, revision, handledInboundIds }: RecordConversationInput): Promise<void> {
      const now = clock();
      await recordConversation(store, status, generation, revision, now);
      await markInboundHandled(store, handledInboundIds, now);
    },
    async markSendFailed(failure: SendFailure): Promise<void> {
      await recordFailed(store, failure.messageId, { ...failure, reason: 'send_timed_out' }, clock());
      await releaseUnsentLegacyNotice(store, failure.messageId);
    },
  };
}
