import type { SendLanes } from '../worker/send-lanes';
import type { Store } from '../store/db';
import { registerSendLane } from '../store/send-lanes.store';

/** Where and how a conversation sends: its number's rate-limited lane, and the pause between two sends. */
export interface SendLane {
  taskQueue: string;
  customerPacingMs: number;
}

/** The activities the conversation workflow calls to find its send lane. Workflows import this type only. */
export interface LaneActivities {
  sendLane(request: { businessNumberId: string }): Promise<SendLane>;
}

/** Lanes are opened in this process and recorded for the others. */
export function createLaneActivities({ store, lanes, customerPacingMs, clock }: { store: Store; lanes: SendLanes; customerPacingMs: number; clock: () => Date }): LaneActivities {
  return {
    /** Registers the number (so every worker serves its lane, this one at once) and answers the lane. */
    async sendLane({ businessNumberId }) {
      await registerSendLane(store, businessNumberId, clock());
      return { taskQueue: await lanes.ensure(businessNumberId), customerPacingMs };
    },
  };
}
