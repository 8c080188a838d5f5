import type { DataConverter } from '@temporalio/common';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode, type InjectedSinks } from '@temporalio/worker';
import type { TimelineRecord, TimelineStart } from '../machines/conversation.timeline';
import { TIMELINE_SINK, type ConversationSinks } from '../workflows/conversation.sinks';
import { notHistory } from './history.files';
import { offendingEvent, runMetaOf, type RunMeta } from './history.meta';
import { isUnreadable, type History, type HistoryInput, type HistoryItem, type UnreadableHistory } from './history.types';

/** The workflow code histories are replayed against: a prebuilt bundle, or source bundled once at start. */
export type WorkflowCode = { codePath: string } | { code: string };

/** One run replayed: whether the current code reproduces it, and what the workflow reported on the way. */
export interface ReplayedRun {
  workflowId: string;
  runId: string;
  source: string;
  meta: RunMeta;
  ok: boolean;
  /** Why it did not replay; for nondeterminism, Temporal's own explanation. */
  error?: string;
  nondeterministic?: boolean;
  /** The first event the current code does not reproduce, when Temporal's error lets us find it. */
  offendingEvent?: { eventId: number; eventType: string };
  start?: TimelineStart;
  records: TimelineRecord[];
  /** The history itself, for a caller that keeps what it replayed (export with a state filter). */
  history: History;
}

export type ReplayOutcome = ReplayedRun | UnreadableHistory;

/**
 * Bundles the workflow code once (webpack, about a second) unless a prebuilt bundle is given. `workflowsPath`
 * defaults to this project's workflows; another path replays histories against another version of the code.
 */
export async function loadWorkflowCode(options: { bundlePath?: string; workflowsPath?: string } = {}): Promise<WorkflowCode> {
  if (options.bundlePath) return { codePath: options.bundlePath };
  const { code } = await bundleWorkflowCode({
    workflowsPath: options.workflowsPath ?? require.resolve('../workflows'),
    logger: new DefaultLogger('WARN'),
  });
  return { code };
}

/** Keeps the SDK's per-replay-worker INFO lines and core's task-failure warnings off an analyst's terminal. */
export function quietTemporalRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  } catch {
    // Already installed (a long-lived process, a test): keep its settings.
  }
}

/**
 * Replays runs one at a time against `code` and yields each with the records its workflow reported through the
 * timeline sink. Histories stream through: only the current one is held. Unreadable inputs are passed on as they
 * are, so one corrupt file does not hide the verdict on the others. `dataConverter` carries the service's payload
 * codec: encrypted histories are decrypted on the way in (a run whose key is not held fails with the codec's error);
 * histories recorded without the codec pass through it unchanged.
 */
export async function* replayRuns(inputs: AsyncIterable<HistoryInput>, code: WorkflowCode, dataConverter?: DataConverter): AsyncGenerator<ReplayOutcome> {
  const unreadable: UnreadableHistory[] = [];
  let current: { item: HistoryItem; start?: TimelineStart; records: TimelineRecord[] } | undefined;
  const sinks: InjectedSinks<ConversationSinks> = {
    [TIMELINE_SINK]: {
      started: { fn: (_info, start) => void (current && (current.start = start)), callDuringReplay: true },
      transitioned: { fn: (_info, record) => void current?.records.push(record), callDuringReplay: true },
    },
  };
  async function* feed() {
    for await (const input of inputs) {
      if (isUnreadable(input)) {
        unreadable.push(input);
        continue;
      }
      let history: History;
      try {
        history = input.history; // a file's JSON is converted here, and may turn out not to be a history
      } catch (err) {
        unreadable.push({ source: input.source, error: notHistory(input.source, err) });
        continue;
      }
      current = { item: input, records: [] };
      yield { workflowId: input.workflowId, history };
    }
  }
  for await (const result of Worker.runReplayHistories({ workflowBundle: code, sinks, replayName: 'wa-analyst', ...(dataConverter ? { dataConverter } : {}) }, feed())) {
    yield* unreadable.splice(0);
    const { item, start, records } = current!;
    const replayed: ReplayedRun = {
      workflowId: item.workflowId,
      runId: item.runId,
      source: item.source,
      meta: runMetaOf(item.history),
      ok: result.error === undefined,
      ...(start ? { start } : {}),
      records,
      history: item.history,
    };
    if (result.error) {
      // Core wraps its explanation in a Rust debug dump; the quoted message is the part a person needs.
      replayed.error = /message: "([^"]+)"/.exec(result.error.message)?.[1] ?? result.error.message;
      replayed.nondeterministic = result.error.name === 'DeterminismViolationError';
      const offending = offendingEvent(item.history, result.error.message);
      if (offending) replayed.offendingEvent = offending;
    }
    current = undefined;
    yield replayed;
  }
  yield* unreadable.splice(0);
}
