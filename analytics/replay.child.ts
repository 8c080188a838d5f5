/**
 * One replay process of `kpisInParallel`: takes its task over IPC, replays its files one at a time and sends back
 * each run's timeline. Not meant to be run by hand.
 */
import { dataConverterFor, parsePayloadKeys } from '../lib/payload-codec';
import { analyzeRuns } from './analytics.pipeline';
import { loadWorkflowCode, quietTemporalRuntime } from './history.replay';
import { historiesFromFiles } from './history.source';
import { isUnreadable } from './history.types';
import type { ChildMessage, ChildTask } from './replay.parallel';

const send = (message: ChildMessage) => new Promise<void>((done, fail) => process.send!(message, undefined, {}, (err) => (err ? fail(err) : done())));

process.once('message', (task: ChildTask) => {
  void (async () => {
    try {
      quietTemporalRuntime();
      const keys = process.env.TEMPORAL_PAYLOAD_KEYS;
      const dataConverter = keys ? dataConverterFor(parsePayloadKeys(keys)) : undefined;
      const code = await loadWorkflowCode({ bundlePath: task.bundlePath });
      for await (const run of analyzeRuns(historiesFromFiles(task.paths), code, task.state, dataConverter)) {
        // Waiting for each send keeps the pipe, and so both processes' memory, from filling up.
        const { outcome } = run;
        const failure = isUnreadable(outcome) ? `error: ${outcome.error}` : outcome.ok ? undefined : `FAIL  ${outcome.workflowId} ${outcome.runId}: ${outcome.error}`;
        await send({ kind: 'run', matched: run.matched, ...(run.timeline ? { timeline: run.timeline } : {}), ...(failure ? { failure } : {}) });
      }
      await send({ kind: 'done', peakRssMb: process.resourceUsage().maxRSS / 1024 });
    } catch (err) {
      await send({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  })();
});
