import type { WorkflowHandleWithSignaledRunId } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { startBrokerSimulator, type BrokerSimulator } from '../../simulator/broker-simulator';
import { connectStore, type Store } from '../../store/db';
import { temporalTestServerPath } from '../../scripts/dev-servers';
import type { MessagingLimits } from '../../lib/messaging-limits';
import type { ConnectorWorker } from '../../worker/worker';
import type { ConversationInput } from '../../machines/conversation.types';
import { conversationStatusQuery, customerMessageSignal, type InboundMessage } from '../../workflows/conversation.messages';
import { testDataConverter, testEnv, uniqueId } from './env';
import { testWorker } from './test-worker';

export const ACCESS_TOKEN = 'test-token';
export const APP_SECRET = 'test-app-secret';

/** Everything a workflow test needs: the Java time-skipping server, a real store, the broker simulator. */
export interface TimeSkippingRig {
  env: TestWorkflowEnvironment;
  store: Store;
  simulator: BrokerSimulator;
  taskQueue: string;
  newWorker(limits?: MessagingLimits): Promise<ConnectorWorker>;
  /**
   * Signals-with-start one customer text written at `sentAt` and returns once the conversation has applied it: it
   * waits for its settings read (a local activity) first, so an update sent right after the signal could be early.
   */
  customerWrites(conversation: ConversationInput, sentAt: number, options?: { maxHistoryEvents?: number }): Promise<WorkflowHandleWithSignaledRunId>;
  /**
   * Waits until the workflow's latest run has nothing in flight: no activity pending and no workflow task scheduled
   * since its last completed one. The Java test server wedges a run when an Update arrives while the workflow task
   * that continues it as new is in flight (the task is refused, "ContinueAsNewWorkflowExecution must be the last
   * command" or "workflow execution already completed", on every attempt, and the Update never answers), so tests
   * that pass the history bound send their Updates only between tasks.
   */
  settled(workflowId: string): Promise<void>;
  teardown(): Promise<void>;
}

export async function startTimeSkippingRig(): Promise<TimeSkippingRig> {
  const { mongoUrl } = testEnv();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTestServerPath() } },
    client: { dataConverter: testDataConverter },
  });
  const store = await connectStore(mongoUrl, uniqueId('wf'));
  const simulator = await startBrokerSimulator({ port: 0, accessToken: ACCESS_TOKEN, appSecret: APP_SECRET, autoStatuses: false });
  const taskQueue = uniqueId('tq');
  return {
    env,
    store,
    simulator,
    taskQueue,
    newWorker: (limits) =>
      testWorker({ connection: env.nativeConnection, namespace: env.namespace ?? 'default', taskQueue, store, simulator, accessToken: ACCESS_TOKEN, ...(limits ? { limits } : {}) }),
    async customerWrites(conversation, sentAt, options = {}) {
      const message: InboundMessage = { messageId: uniqueId('wamid'), sentAt, kind: 'text', customer: { waId: conversation.customer.waId! } };
      const handle = await env.client.workflow.signalWithStart('conversationWorkflow', {
        workflowId: conversation.conversationId,
        taskQueue,
        args: [{ conversation, ...options }],
        signal: customerMessageSignal,
        signalArgs: [message],
      });
      const latestRun = env.client.workflow.getHandle(conversation.conversationId);
      await eventually(() => latestRun.query(conversationStatusQuery), (s) => s.lastMessages.some((m) => m.messageId === message.messageId));
      return handle;
    },
    async settled(workflowId) {
      const { EventType } = temporal.api.enums.v1;
      const latest = env.client.workflow.getHandle(workflowId);
      // What is still in flight ('' once nothing is), so a wedged run times out saying why, not "last value: false".
      await eventually(
        async () => {
          const described = await latest.describe();
          if (described.status.name !== 'RUNNING') return `run ${described.runId} is ${described.status.name}`;
          const pending = described.raw.pendingActivities?.length ?? 0;
          if (pending > 0) return `${pending} activities pending`;
          const events = (await latest.fetchHistory()).events ?? [];
          const types = events.map((e) => e.eventType);
          const lastCompleted = types.lastIndexOf(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
          if (lastCompleted < 0) return `run ${described.runId}: no workflow task completed yet`;
          if (!types.slice(lastCompleted).includes(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)) return '';
          const failed = events.slice(lastCompleted).reverse().find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
          const refusal = failed?.workflowTaskFailedEventAttributes?.failure?.message;
          return `run ${described.runId}: a workflow task in flight${refusal ? ` (last refused: ${refusal})` : ''}`;
        },
        (inFlight) => inFlight === '',
      );
    },
    async teardown() {
      await simulator.close();
      await store.db.dropDatabase();
      await store.close();
      await env.teardown();
    },
  };
}

/** Polls until `read()` satisfies `done` (activities run in real time even while workflow time is skipped). */
export async function eventually<T>(read: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
