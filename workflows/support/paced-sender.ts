import { proxyActivities, proxyLocalActivities, sleep, type ActivityOptions } from '@temporalio/workflow';
import type { ConversationActivities, SendAttempt, SendOutcome } from '../../activities/activities.types';
import type { LaneActivities, SendLane } from '../../activities/lanes.activities';
import type { SendMessageEffect } from '../../machines/conversation.types';
import type { LocalActivityLine } from './local-activity-line';

type Broker = Pick<ConversationActivities, 'sendMessage'>;

// Called only through the conversation's LocalActivityLine (`through`): one local activity in flight at a time.
const laneActivities = proxyLocalActivities<LaneActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});

/**
 * One conversation's sends: on its business number's lane (a task queue where the Temporal server holds sends to
 * the number's rate, across all workers), and no sooner than the pacing interval after the broker took the
 * customer's previous message (WhatsApp refuses more than about one every 6 s with 131056). The wait is a durable
 * timer in workflow time, so it is deterministic and survives restarts.
 */
export class PacedSender {
  private lane: { settings: SendLane; broker: Broker } | undefined;
  private readonly lanes: typeof laneActivities;

  constructor(
    private readonly options: ActivityOptions,
    /** Workflow time the broker last took a message for this customer (carried across continue-as-new). */
    public lastSentAt: number | undefined,
    localActivities: LocalActivityLine,
  ) {
    this.lanes = localActivities.through(laneActivities);
  }

  /**
   * `sendBy`: read once the send's turn comes (after the pacing wait), when the customer service window closes for
   * this content (epoch ms), or undefined when it may go outside it; the broker then sends only before it.
   */
  async send(item: SendMessageEffect, sendBy: (message: SendMessageEffect['message']) => number | undefined): Promise<SendOutcome> {
    if (!this.lane) {
      // Once per run: the worker's answer is recorded in the history, so a later config change reaches the next run.
      const settings = await this.lanes.sendLane({ businessNumberId: item.businessNumberId });
      this.lane = { settings, broker: proxyActivities<Broker>({ ...this.options, taskQueue: settings.taskQueue }) };
    }
    const wait = this.lastSentAt === undefined ? 0 : this.lastSentAt + this.lane.settings.customerPacingMs - Date.now();
    if (wait > 0) await sleep(wait);
    const by = sendBy(item.message);
    const attempt: SendAttempt = by === undefined ? item : { ...item, sendBy: by };
    const outcome = await this.lane.broker.sendMessage(attempt);
    if (outcome.outcome === 'accepted') this.lastSentAt = Date.now();
    return outcome;
  }
}
