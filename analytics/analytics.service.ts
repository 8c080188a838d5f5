import type { Client } from '@temporalio/client';
import { AppError } from '../lib/errors';
import type { ConversationStateName } from '../machines/conversation.types';
import type { Store } from '../store/db';
import { analyzeRuns, computeKpis } from './analytics.pipeline';
import { loadWorkflowCode, quietTemporalRuntime, type WorkflowCode } from './history.replay';
import { countRuns, historiesFromServer, type Selection } from './history.source';
import { isUnreadable, type HistoryItem } from './history.types';
import type { Kpis } from './kpi.aggregate';
import type { Timeline } from './timeline.build';
import { callEntries, type CallEntry } from '../services/call-entries';
import { timelineToMermaid } from './timeline.format';

export interface AnalyticsDeps {
  /** Its data converter (the payload codec) also decrypts the histories replayed here. */
  temporal: Client;
  store: Store;
  /** A prebuilt workflow bundle; unset = bundle workflows/ on the first request (about a second) and keep it. */
  workflowBundlePath?: string;
  /** Most runs one request replays; a wider filter is refused with `analytics_filter_too_wide`. */
  maxRuns?: number;
}

export interface KpiFilter {
  businessNumberId?: string;
  from?: Date;
  to?: Date;
  state?: ConversationStateName;
}

export interface ConversationTimelines {
  conversationId: string;
  /** Newest run first, each with its path through the machine's diagram (Mermaid). */
  runs: (Timeline & { diagram: string })[];
  /** Runs the current code could not replay (their timelines would be guesses). */
  replayFailures: { runId: string; error: string; offendingEvent?: { eventId: number; eventType: string } }[];
  /** The conversation's WhatsApp calls, oldest first: each is its own workflow (`call:<Call-ID>`), so they sit beside the runs. */
  calls: CallEntry[];
}

export const DEFAULT_MAX_RUNS = 500;

/** Timelines and KPIs for the analyst API, replayed from Temporal with the same pipeline as the `wa-analyst` tool. */
export function createAnalyticsService(deps: AnalyticsDeps) {
  const maxRuns = deps.maxRuns ?? DEFAULT_MAX_RUNS;
  let code: Promise<WorkflowCode> | undefined;
  const workflowCode = () => {
    quietTemporalRuntime();
    code ??= loadWorkflowCode(deps.workflowBundlePath ? { bundlePath: deps.workflowBundlePath } : {});
    return code;
  };

  async function* oneRun(workflowId: string, runId: string): AsyncGenerator<HistoryItem> {
    yield { workflowId, runId, history: await deps.temporal.workflow.getHandle(workflowId, runId).fetchHistory(), source: 'server' };
  }

  return {
    /** One conversation's runs (or the one run asked for), newest first. */
    async timeline(conversationId: string, runId?: string): Promise<ConversationTimelines> {
      const inputs = runId ? oneRun(conversationId, runId) : historiesFromServer(deps.temporal, { workflowId: conversationId, limit: maxRuns });
      const result: ConversationTimelines = { conversationId, runs: [], replayFailures: [], calls: await callEntries(deps.store, conversationId) };
      for await (const run of analyzeRuns(inputs, workflowCode, undefined, deps.temporal.options.dataConverter)) {
        if (run.timeline) result.runs.push({ ...run.timeline, diagram: timelineToMermaid(run.timeline) });
        else if (!isUnreadable(run.outcome)) {
          const { runId: failedRun, error = 'replay failed', offendingEvent } = run.outcome;
          result.replayFailures.push({ runId: failedRun, error, ...(offendingEvent ? { offendingEvent } : {}) });
        }
      }
      if (result.runs.length === 0 && result.replayFailures.length === 0 && result.calls.length === 0) throw new AppError('unknown_conversation', `No conversation ${conversationId}`);
      return result;
    },

    /** KPIs over the conversations a filter selects; refused when more runs match than one request may replay. */
    async kpis(filter: KpiFilter): Promise<Kpis> {
      const selection: Selection = {
        ...(filter.businessNumberId ? { businessNumberId: filter.businessNumberId } : {}),
        ...(filter.from ? { startedFrom: filter.from } : {}),
        ...(filter.to ? { startedBefore: filter.to } : {}),
        ...(filter.state ? { state: filter.state } : {}),
      };
      const matching = await countRuns(deps.temporal, selection);
      if (matching > maxRuns) {
        throw new AppError(
          'analytics_filter_too_wide',
          `${matching} conversation runs match; one request replays at most ${maxRuns}. Narrow from/to or businessNumberId, or use the wa-analyst tool.`,
          { matchingRuns: matching, maxRuns },
        );
      }
      return computeKpis(analyzeRuns(historiesFromServer(deps.temporal, { ...selection, limit: maxRuns }), workflowCode, filter.state, deps.temporal.options.dataConverter), { store: deps.store });
    },
  };
}

export type AnalyticsService = ReturnType<typeof createAnalyticsService>;
