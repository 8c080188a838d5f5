import type { DataConverter } from '@temporalio/common';
import { CONVERSATION_WORKFLOW_TYPE } from '../workflows/conversation.messages';
import { foldConversation } from './conversation.fold';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { notHistory } from './history.files';
import { runMetaOf } from './history.meta';
import type { ReplayedRun, ReplayOutcome, WorkflowCode } from './history.replay';
import { isUnreadable, type HistoryInput, type HistoryItem, type JsonHistory } from './history.types';

/**
 * How timelines and KPIs are read from histories. `fold` (the default) folds each conversation's events through the
 * pure machine (analytics/conversation.fold.ts): the same records as the replay, proven identical on every committed
 * history (test/analytics/fold-equivalence.unit.test.ts), tens of times faster. `replay` runs Temporal's replayer against
 * the workflow code, which also checks the code still reproduces each run's commands (what `wa-analyst replay` does).
 */
export type AnalysisEngine = 'fold' | 'replay';

/** The workflow code, or how to load it when first needed (a fold needs it only for a run it hands to the replayer). */
export type CodeSource = WorkflowCode | (() => Promise<WorkflowCode>);

export const codeOf = (code: CodeSource): Promise<WorkflowCode> => (typeof code === 'function' ? code() : Promise.resolve(code));

async function* one(item: HistoryItem): AsyncGenerator<HistoryInput> {
  yield item;
}

/**
 * Like `replayRuns`, by folding: yields each run with the records its workflow would report, one history at a time
 * (read in Temporal's JSON; a history from the server is converted to it). Runs of other workflow types (campaigns,
 * calls) come back clean with no records: they have no conversation to count. A run the fold cannot vouch for (a signal, Update or patch it does not know, a payload it cannot decode)
 * goes to the replayer instead, so its outcome, error included, is the replayer's.
 */
export async function* foldRuns(inputs: AsyncIterable<HistoryInput>, code: CodeSource, dataConverter?: DataConverter): AsyncGenerator<ReplayOutcome> {
  let loaded: WorkflowCode | undefined;
  for await (const input of inputs) {
    if (isUnreadable(input)) {
      yield input;
      continue;
    }
    let json: JsonHistory;
    try {
      json = input.json ?? (JSON.parse(historyToJSON(input.history)) as JsonHistory);
    } catch (err) {
      yield { source: input.source, error: notHistory(input.source, err) };
      continue;
    }
    const meta = runMetaOf(json);
    const folded = meta.workflowType === CONVERSATION_WORKFLOW_TYPE ? await foldConversation(json, dataConverter).catch(() => undefined) : { records: [] };
    if (!folded) {
      // Not one the fold vouches for: the replayer's outcome instead, error and all.
      // Temporal's worker package (a second and ~60 MB to load) is loaded only for such a run.
      const { quietTemporalRuntime, replayRuns } = await import('./history.replay');
      quietTemporalRuntime();
      loaded ??= await codeOf(code);
      yield* replayRuns(one(input), loaded, dataConverter);
      continue;
    }
    // Runs of other workflow types (campaigns, calls) come back clean with no records: no conversation to count.
    const run = { workflowId: input.workflowId, runId: input.runId, source: input.source, meta, ok: true, ...folded } as ReplayedRun;
    // The protobuf history only for a caller that keeps it (export --state): converting it costs more than the fold.
    Object.defineProperty(run, 'history', { enumerable: true, get: () => input.history });
    yield run;
  }
}
