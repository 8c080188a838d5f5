import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { closedLoop, round1 } from './bench.support';
import { noopWorkflow, pokeSignal } from './noop.workflow';

/**
 * The raw ceiling (issue 22): `count` signal-with-starts, 64 in flight, to a workflow that does nothing, spread over
 * `workflows` workflow ids, against the same Temporal server as the benchmark's own closed loop. The no-op worker runs
 * in the calling process. Returns signal-with-starts per second (one decimal).
 */
export async function rawCeiling(address: string, count: number, workflows: number): Promise<number> {
  const taskQueue = `noop-${Date.now()}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowsPath: require.resolve('./noop.workflow') });
  const running = worker.run();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  try {
    const { perSecond } = await closedLoop(count, (i) =>
      client.workflow
        .signalWithStart(noopWorkflow, { workflowId: `noop-${taskQueue}-${i % workflows}`, taskQueue, signal: pokeSignal, signalArgs: [i] })
        .then(() => undefined),
    );
    return round1(perSecond);
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
    await nativeConnection.close();
  }
}
