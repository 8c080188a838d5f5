import { ActivityFailure, patched, proxyActivities, proxyLocalActivities, type ActivityOptions } from '@temporalio/workflow';
import type { ConversationActivities } from '../activities/activities.types';
import type { ConversationEvent, FetchMediaEffect, SendMessageEffect } from '../machines/conversation.types';
import { PacedSender } from './support/paced-sender';
import type { LocalActivityLine } from './support/local-activity-line';

const sendOptions: ActivityOptions = {
  // A media send first streams its file to the broker (up to 100 MB, given the media transfer deadline of 5 minutes
  // in integrations/broker/cloud-api.client.ts); every other call has the API timeout. 30 s retried a slow upload
  // while it still ran, uploading it again. (Timeouts are not part of replay's command matching.)
  startToCloseTimeout: '6 minutes',
  // The activity heartbeats every 5 s (activities/heartbeat.ts): an attempt lost with its worker, or whose completion
  // was lost while the server restarted, is retried after 30 s, not 6 minutes (the send is idempotent).
  heartbeatTimeout: '30 seconds',
  // Rate limits and broker outages are retried with backoff; after a day a session message is moot anyway.
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};
const broker = proxyActivities<Pick<ConversationActivities, 'sendMessage'>>(sendOptions);
/** Sends go through the business number's rate-limited lane, paced per customer (see PacedSender). */
const PACED_SEND_LANES = 'paced-send-lanes';

const media = proxyActivities<Pick<ConversationActivities, 'fetchInboundMedia'>>({
  // One attempt streams up to 100 MB (a document) within the media URL's 5-minute life; each retry asks for a fresh URL.
  startToCloseTimeout: '6 minutes',
  heartbeatTimeout: '30 seconds',
  // The broker's media URL lasts about 5 minutes and the id 7 days: retry briefly, then record the loss.
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

// Called only through the conversation's LocalActivityLine (`through`): one local activity in flight at a time.
const storeActivities = proxyLocalActivities<Pick<ConversationActivities, 'markSendFailed' | 'markMediaFailed'>>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});

/** The conversation's traffic with the broker: its sends (paced, in order) and the customer's images. */
export class ConversationOutbound {
  private readonly paced: PacedSender;
  private readonly store: typeof storeActivities;

  constructor(
    private readonly dispatch: (event: ConversationEvent) => void,
    lastSentAt: number | undefined,
    localActivities: LocalActivityLine,
    /** When the window closes now for this content (epoch ms), or undefined when it may go outside it. */
    private readonly sendBy: (message: SendMessageEffect['message']) => number | undefined,
  ) {
    this.paced = new PacedSender(sendOptions, lastSentAt, localActivities);
    this.store = localActivities.through(storeActivities);
  }

  /** Workflow time the broker last took a message for this customer (carried across continue-as-new). */
  get lastSentAt(): number | undefined {
    return this.paced.lastSentAt;
  }

  /** One inbound media object (any type); the activity is idempotent on the message id and records what it found on the message. */
  async fetchImage(item: FetchMediaEffect): Promise<void> {
    try {
      await media.fetchInboundMedia(item);
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      await this.store.markMediaFailed({ messageId: item.messageId, problem: 'fetch_failed', details: err.message });
    }
  }

  /** One send; the activity is idempotent on the message id. */
  async send(item: SendMessageEffect): Promise<void> {
    try {
      // Runs started before lanes existed replay their sends on the conversation queue, unpaced.
      // The window is read at the send's turn, after pacing: a send accepted just before it closed is not made after.
      const outcome = await (patched(PACED_SEND_LANES) ? this.paced.send(item, this.sendBy) : broker.sendMessage(item));
      if (outcome.outcome === 'rejected') {
        this.dispatch({ type: 'broker.rejected', messageId: item.messageId, code: outcome.code, title: outcome.title, at: Date.now() });
      } else if (!patched('skip-broker-accepted-dispatch')) {
        // Runs started before this change dispatched the acceptance, which the machine ignores; replaying them
        // must repeat the projection write that followed.
        this.dispatch({ type: 'broker.accepted', messageId: item.messageId, wamid: outcome.wamid, at: Date.now() });
      }
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      // Retries ran out (a day of broker outage): record why, and keep the conversation going.
      await this.store.markSendFailed({ messageId: item.messageId, code: 0, title: 'send_timed_out', details: err.message });
    }
  }
}
