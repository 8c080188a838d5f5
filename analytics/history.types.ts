import type { History } from '@temporalio/common/lib/proto-utils';

export type { History };
export type { JsonHistory } from './history.meta';
import type { JsonHistory } from './history.meta';

/** One run's history on its way through the analytics pipeline, with where it came from. */
export interface HistoryItem {
  workflowId: string;
  runId: string;
  history: History;
  /** The file it was read from, or `server`. */
  source: string;
  /**
   * The history in Temporal's JSON, when it was read from a file: the fold reads this, and `history` is converted
   * from it (protobuf objects, what the replayer and the exporter take) only when first asked for.
   */
  json?: JsonHistory;
}

/** A history that could not be read: named so the analyst can find it. */
export interface UnreadableHistory {
  source: string;
  error: string;
}

export type HistoryInput = HistoryItem | UnreadableHistory;

export const isUnreadable = (input: HistoryInput | { workflowId: string }): input is UnreadableHistory => !('workflowId' in input);
