import type { DataConverter } from '@temporalio/common';
import type { ConversationStateName } from '../machines/conversation.types';
import type { Store } from '../store/db';
import { pricingOf } from '../store/messages.store';
import { findRateCard } from '../store/rate-card.store';
import { codeOf, foldRuns, type AnalysisEngine, type CodeSource } from './fold.runs';
import type { ReplayOutcome } from './history.replay';
import { isUnreadable, type HistoryInput } from './history.types';
import { KpiAccumulator, type Kpis } from './kpi.aggregate';
import { buildTimeline, type Timeline } from './timeline.build';
import { CONVERSATION_WORKFLOW_TYPE } from '../workflows/conversation.messages';

/** A replayed run and, when it replayed cleanly and matches the state asked for, its timeline. */
export interface AnalyzedRun {
  outcome: ReplayOutcome;
  timeline?: Timeline;
  /** False when the run replayed but is no conversation (a campaign) or ended in another state than the one asked for. */
  matched: boolean;
}

/**
 * Reads the inputs (decrypting with `dataConverter`'s codec) by `engine` (see {@link AnalysisEngine}: folded through
 * the machine by default, or replayed against `code`) and builds each run's timeline, one run at a time.
 */
export async function* analyzeRuns(
  inputs: AsyncIterable<HistoryInput>,
  code: CodeSource,
  state?: ConversationStateName,
  dataConverter?: DataConverter,
  engine: AnalysisEngine = 'fold',
): AsyncGenerator<AnalyzedRun> {
  // Temporal's worker package is loaded only to replay (a second and ~60 MB per process).
  const outcomes = engine === 'fold' ? foldRuns(inputs, code, dataConverter) : (await import('./history.replay')).replayRuns(inputs, await codeOf(code), dataConverter);
  for await (const outcome of outcomes) {
    if (isUnreadable(outcome) || !outcome.ok) {
      yield { outcome, matched: true };
      continue;
    }
    // Campaign runs replay like any other, but have no conversation to count.
    if (outcome.meta.workflowType !== CONVERSATION_WORKFLOW_TYPE) {
      yield { outcome, matched: false };
      continue;
    }
    const timeline = buildTimeline({ conversationId: outcome.workflowId, runId: outcome.runId }, outcome.meta, outcome.start, outcome.records);
    const matched = state === undefined || timeline.finalState === state;
    yield matched ? { outcome, timeline, matched } : { outcome, matched };
  }
}

/** Adds analyzed runs up into KPIs, reading pricing categories from `store` when one is given. */
export async function computeKpis(runs: AsyncIterable<AnalyzedRun>, options: { store?: Store; onRun?: (run: AnalyzedRun) => void } = {}): Promise<Kpis> {
  const kpis = new KpiAccumulator();
  if (options.store) {
    kpis.addPricing([]);
    kpis.addPriced([]);
    kpis.useRateCard(await findRateCard(options.store));
  }
  for await (const run of runs) {
    options.onRun?.(run);
    if (run.timeline) {
      kpis.add(run.timeline);
      if (options.store) {
        const pricings = await pricingOf(options.store, run.timeline.outboundMessageIds);
        kpis.addPricing(pricings.map((p) => p.category));
        kpis.addPriced(pricings.map((p) => p.pricing));
      }
    } else if (run.matched) {
      kpis.addReplayFailure();
    }
  }
  return kpis.result();
}
