import type { History } from '@temporalio/common/lib/proto-utils';

export type { History };

/** One run's history on its way through the analytics pipeline, with where it came from. */
export interface HistoryItem {
  workflowId: string;
  runId: string;
  history: History;
  /** The file it was read from, or `server`. */
  source: string;
}

/** A history that could not be read: named so the analyst can find it. */
export interface UnreadableHistory {
  source: string;
  error: string;
}

export type HistoryInput = HistoryItem | UnreadableHistory;

export const isUnreadable = (input: HistoryInput | { workflowId: string }): input is UnreadableHistory => !('workflowId' in input);
