import type { DataConverter } from '@temporalio/common';
import { activityMetrics } from './observability';
import { Worker, type ActivityInterceptorsFactory, type NativeConnection } from '@temporalio/worker';

/** The task queue that carries one business number's sends. */
export function sendLaneQueue(baseTaskQueue: string, businessNumberId: string): string {
  return `${baseTaskQueue}.send.${businessNumberId}`;
}

export interface SendLanesOptions {
  connection: NativeConnection;
  namespace: string;
  baseTaskQueue: string;
  /** The service's data converter (payload codec): a send's arguments and result are encrypted like every payload. */
  dataConverter: DataConverter;
  /** The send activity the lanes run (nothing else runs there). */
  activities: object;
  /** Sends per second on the number's lane; every worker must agree, the last poller's value wins. */
  rateFor(businessNumberId: string): number;
  /** The process's activity interceptors (timing, tracing); default: timing only. */
  activityInterceptors?: ActivityInterceptorsFactory[];
}

/**
 * One activity-only worker per business number, on the number's own task queue, with the Temporal server
 * enforcing `maxTaskQueueActivitiesPerSecond` across every worker polling it: sends beyond the rate wait in the
 * queue, they never fail. Lanes open on demand (the first send from a number) and from the shared registry.
 */
export class SendLanes {
  private readonly running = new Map<string, Promise<Worker>>();
  private readonly runs: Promise<void>[] = [];
  private closing = false;
  private failed: ((err: unknown) => void) | undefined;
  /** Rejects when any lane stops with an error, so the whole worker stops (and is restarted) rather than limp. */
  readonly failure = new Promise<never>((_, reject) => {
    this.failed = reject;
  });

  constructor(private readonly options: SendLanesOptions) {
    this.failure.catch(() => undefined); // observed by the owner's race; never an unhandled rejection here
  }

  /** Starts polling the number's lane in this process, once; answers its task queue. */
  async ensure(businessNumberId: string): Promise<string> {
    const taskQueue = sendLaneQueue(this.options.baseTaskQueue, businessNumberId);
    if (this.closing) throw new Error('the worker is shutting down');
    let worker = this.running.get(businessNumberId);
    if (!worker) {
      worker = Worker.create({
        connection: this.options.connection,
        namespace: this.options.namespace,
        taskQueue,
        dataConverter: this.options.dataConverter,
        activities: this.options.activities,
        maxTaskQueueActivitiesPerSecond: this.options.rateFor(businessNumberId),
        interceptors: { activity: this.options.activityInterceptors ?? [activityMetrics] },
      });
      this.running.set(businessNumberId, worker);
      worker.then(
        (started) => {
          this.runs.push(started.run().catch((err: unknown) => this.failed?.(err)));
          if (this.closing) started.shutdown(); // opened as the worker began to stop
        },
        () => this.running.delete(businessNumberId), // the next send tries again
      );
    }
    await worker;
    return taskQueue;
  }

  /** Stops every lane after its sends in flight finish, and waits for them. */
  async shutdown(): Promise<void> {
    this.closing = true;
    const workers = await Promise.allSettled(this.running.values());
    for (const result of workers) {
      if (result.status === 'fulfilled' && result.value.getState() === 'RUNNING') result.value.shutdown();
    }
    await Promise.all(this.runs);
  }
}
