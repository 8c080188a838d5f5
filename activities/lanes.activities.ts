import type { Store } from '../store/db';
import { registerSendLane } from '../store/send-lanes.store';

/** Opens a number's send lane in this process and answers its task queue (the worker's `SendLanes`). */
export interface LaneOpener {
  ensure(businessNumberId: string): Promise<string>;
}

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
export function createLaneActivities({ store, lanes, customerPacingMs, clock }: { store: Store; lanes: LaneOpener; customerPacingMs: number; clock: () => Date }): LaneActivities {
  return {
    /** Registers the number (so every worker serves its lane, this one at once) and answers the lane. */
    async sendLane({ businessNumberId }) {
      await registerSendLane(store, businessNumberId, clock());
      return { taskQueue: await lanes.ensure(businessNumberId), customerPacingMs };
    },
  };
}
