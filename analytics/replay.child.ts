/**
 * One replay process of `kpisInParallel`: takes its task over IPC, replays its files one at a time and sends back
 * each run's timeline. Not meant to be run by hand.
 */
import { dataConverterFor, parsePayloadKeys } from '../lib/payload-codec';
import { analyzeRuns } from './analytics.pipeline';
import { historiesFromFiles } from './history.source';
import { isUnreadable } from './history.types';
import type { ChildMessage, ChildTask, RunResult } from './replay.parallel';
import type { Timeline } from './timeline.build';

const BATCH = 100;

/** What the KPIs read of a timeline: its events, path and state spans stay here. */
const forKpis = (timeline: Timeline): Timeline => ({ ...timeline, events: [], path: [], states: [] });

const send = (message: ChildMessage) => new Promise<void>((done, fail) => process.send!(message, undefined, {}, (err) => (err ? fail(err) : done())));

process.once('message', (task: ChildTask) => {
  void (async () => {
    try {
      const replayer = () => import('./history.replay');
      if (task.engine === 'replay') (await replayer()).quietTemporalRuntime();
      const keys = process.env.TEMPORAL_PAYLOAD_KEYS;
      const dataConverter = keys ? dataConverterFor(parsePayloadKeys(keys)) : undefined;
      // A bundle path costs nothing to hold; with none, a fold bundles the workflows only if a run needs the replayer.
      const code = task.bundlePath ? { codePath: task.bundlePath } : async () => (await replayer()).loadWorkflowCode();
      // Runs go back in batches: one message per history made each process wait for a pipe write per history, which
      // on a loaded machine cost more than the fold. A batch is bounded, and waiting for its send keeps the pipe, and
      // so both processes' memory, from filling up.
      let batch: RunResult[] = [];
      for await (const run of analyzeRuns(historiesFromFiles(task.paths), code, task.state, dataConverter, task.engine)) {
        const { outcome } = run;
        const failure = isUnreadable(outcome) ? `error: ${outcome.error}` : outcome.ok ? undefined : `FAIL  ${outcome.workflowId} ${outcome.runId}: ${outcome.error}`;
        batch.push({ matched: run.matched, ...(run.timeline ? { timeline: forKpis(run.timeline) } : {}), ...(failure ? { failure } : {}) });
        if (batch.length < BATCH) continue;
        await send({ kind: 'runs', runs: batch });
        batch = [];
      }
      if (batch.length > 0) await send({ kind: 'runs', runs: batch });
      const usage = process.resourceUsage();
      await send({ kind: 'done', peakRssMb: usage.maxRSS / 1024, cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6 });
    } catch (err) {
      await send({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  })();
});
