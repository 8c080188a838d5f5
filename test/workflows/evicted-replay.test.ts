import { Client, Connection, WorkflowUpdateStage } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { defaultMessagingLimits } from '../../lib/messaging-limits';
import type { ConversationInput } from '../../machines/conversation.types';
import { conversationStatusQuery, conversationWorkflowId, customerMessageSignal, sendMessageUpdate, type InboundMessage } from '../../workflows/conversation.messages';
import { testDataConverter, testEnv, uniqueId } from '../support/env';
import { keepHistory } from '../support/histories';
import { startBrokerSimulator, type BrokerSimulator } from '../../simulator/broker-simulator';
import { connectStore, type Store } from '../../store/db';
import { testWorker } from '../support/test-worker';
import { ACCESS_TOKEN, APP_SECRET, eventually } from '../support/workflow-env';

const EventType = temporal.api.enums.v1.EventType;
const BUSINESS = '106540352242922';

const taskQueue = uniqueId('tq');
let connection: Connection;
let client: Client;
let nativeConnection: NativeConnection;
let store: Store;
let simulator: BrokerSimulator;

beforeAll(async () => {
  const { temporalAddress, mongoUrl } = testEnv();
  connection = await Connection.connect({ address: temporalAddress });
  client = new Client({ connection, dataConverter: testDataConverter });
  nativeConnection = await NativeConnection.connect({ address: temporalAddress });
  store = await connectStore(mongoUrl, uniqueId('evicted'));
  simulator = await startBrokerSimulator({ port: 0, accessToken: ACCESS_TOKEN, appSecret: APP_SECRET, autoStatuses: false });
}, 60_000);

afterAll(async () => {
  await simulator?.close();
  await store?.db.dropDatabase();
  await store?.close();
  await nativeConnection?.close();
  await connection?.close();
});

/** A worker of its own, so the test can take it away while messages wait. */
async function runningWorker() {
  const worker = await testWorker({ connection: nativeConnection, taskQueue, store, simulator, accessToken: ACCESS_TOKEN, limits: { ...defaultMessagingLimits, customerPacingMs: 0 } });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}

/*
 * A customer message and an agent's reply reaching the workflow in one task start two local activities (the settings
 * read and the send lane). A worker that lost the conversation from its cache (restart, task timeout, full cache)
 * rebuilds it from this history; it must issue the same commands in the same order, or the conversation stops.
 */
describe('a conversation rebuilt from its own history', () => {
  it('replays a customer message and a reply taken in one workflow task', async () => {
    const waId = String(15550000000 + Math.floor(Math.random() * 9_999_999));
    const conversation: ConversationInput = {
      conversationId: conversationWorkflowId(BUSINESS, `${waId}-${uniqueId('c')}`),
      businessNumberId: BUSINESS,
      customer: { key: waId, waId },
      idleCloseAfterMs: 7 * 24 * 3_600_000,
    };
    const message = (): InboundMessage => ({ messageId: uniqueId('wamid'), sentAt: Date.now(), kind: 'text', customer: { waId } });

    let worker = await runningWorker();
    const handle = await client.workflow.signalWithStart('conversationWorkflow', {
      workflowId: conversation.conversationId,
      taskQueue,
      args: [{ conversation }],
      signal: customerMessageSignal,
      signalArgs: [message()],
    });
    await eventually(() => handle.query(conversationStatusQuery), (status) => status.inboundCount === 1);
    await worker.stop();

    // With no worker polling, the next message and the reply wait for the same workflow task.
    await handle.signal(customerMessageSignal, message());
    const reply = { messageId: uniqueId('msg'), message: { type: 'text' as const, text: 'On its way' }, sender: { kind: 'agent' as const, id: 'agent-7' } };
    const accepted = handle.startUpdate(sendMessageUpdate, { args: [reply], updateId: reply.messageId, waitForStage: WorkflowUpdateStage.ACCEPTED });
    await new Promise((resolve) => setTimeout(resolve, 500));
    worker = await runningWorker();
    await accepted;
    await eventually(() => simulator.sent().filter((m) => m.to === waId), (sent) => sent.length === 1);
    await eventually(() => handle.query(conversationStatusQuery), (status) => status.inboundCount === 2);
    await worker.stop();

    const history = await handle.fetchHistory();
    // The scenario happened: the task that accepted the reply also took the second customer message.
    const types = (history.events ?? []).map((e) => e.eventType);
    const lastBefore = (end: number, type: (typeof types)[number]) => types.lastIndexOf(type, end - 1);
    const acceptedAt = types.indexOf(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED);
    const taskStarted = lastBefore(acceptedAt, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
    const previousTask = lastBefore(taskStarted, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    expect(types.slice(previousTask, taskStarted).filter((t) => t === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)).toHaveLength(1);

    await expect(Worker.runReplayHistory({ workflowBundle: { codePath: testEnv().workflowBundlePath }, dataConverter: testDataConverter }, history, handle.workflowId)).resolves.toBeUndefined();
    await keepHistory('reply-and-message-in-one-task', handle);
  }, 60_000);
});
