/** `npm run worker`: runs conversation workflows and activities, scaled apart from the API. */
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { messagingLimitsFrom } from '../lib/messaging-limits';
import { createConversationWorker } from '../lib/worker';
import { connectStore } from '../store/db';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, 'worker');
  const store = await connectStore(config.MONGODB_URL, config.MONGODB_DB);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await createConversationWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    store,
    broker: config,
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    settingsCacheMs: config.SETTINGS_CACHE_MS,
    limits: messagingLimitsFrom(config),
    sendLaneRefreshMs: config.WORKER_SEND_LANE_REFRESH_MS,
    conversationIdleCloseMs: config.CONVERSATION_IDLE_CLOSE_MS,
    sip: config,
    logger,
    ...(config.WORKER_WORKFLOW_BUNDLE ? { workflowBundlePath: config.WORKER_WORKFLOW_BUNDLE } : {}),
  });
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, temporal: config.TEMPORAL_ADDRESS }, 'worker running');
  // Worker.run() shuts down gracefully on SIGINT/SIGTERM by itself (the SDK installs the handlers).
  await worker.run();
  await connection.close();
  await store.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
