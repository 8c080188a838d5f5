/**
 * The conversation workflow's sink: what it reports to analysts as it runs. Sink calls leave the workflow without
 * creating commands, so adding or changing them never breaks the replay of running conversations. The production
 * worker registers it as a no-op; analysts' replays (`analytics/`) register it with `callDuringReplay: true` and
 * collect the records into timelines.
 */
import type { Sinks } from '@temporalio/workflow';
import type { TimelineRecord, TimelineStart } from '../machines/conversation.timeline';

/** The sink's name as workers register it. */
export const TIMELINE_SINK = 'conversationTimeline';

export interface ConversationSinks extends Sinks {
  [TIMELINE_SINK]: {
    /** Once per run, as it begins. */
    started(start: TimelineStart): void;
    /** After each machine transition. */
    transitioned(record: TimelineRecord): void;
  };
}
