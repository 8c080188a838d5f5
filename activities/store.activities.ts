import type { Store } from '../store/db';
import { markInboundHandled, recordConversation } from '../store/conversations.store';
import { recordFailed, recordQueued } from '../store/messages.store';
import { releaseUnsentLegacyNotice } from '../store/numbers.store';
import type { RecordConversationInput, SendFailure } from './activities.types';

/** Conversations whose last projection key a worker remembers (oldest written forgotten first): ~100 bytes each. */
const WRITTEN_KEYS_KEPT = 20_000;

/** Read-model writes the workflow makes as local activities: idempotent, ordered by the projection key. */
export function createStoreActivities({ store, clock }: { store: Store; clock: () => Date }) {
  // The projection key this worker last stored per conversation: its next projection replaces without reading first.
  const written = new Map<string, string>();
  return {
    async recordConversation({ status, generation, revision, handledInboundIds, queuedSends }: RecordConversationInput): Promise<void> {
      const now = clock();
      // Before the conversation's document, so a reader who sees the projection also finds the replies it counts.
      await recordQueued(store, queuedSends ?? []);
      const id = status.conversationId;
      const key = await recordConversation(store, status, generation, revision, now, written.get(id));
      written.delete(id);
      written.set(id, key);
      if (written.size > WRITTEN_KEYS_KEPT) written.delete(written.keys().next().value!);
      await markInboundHandled(store, handledInboundIds, now);
    },
    async markSendFailed(failure: SendFailure): Promise<void> {
      await recordFailed(store, failure.messageId, { ...failure, reason: 'send_timed_out' }, clock());
      await releaseUnsentLegacyNotice(store, failure.messageId);
    },
  };
}
