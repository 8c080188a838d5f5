import { NativeConnection, Worker, type InjectedSinks } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createCloudApiClient } from '../activities/cloud-api.client';
import type { Store } from '../store/db';
import { TIMELINE_SINK, type ConversationSinks } from '../workflows/conversation.sinks';
import type { Config } from './config';

export interface ConversationWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  store: Store;
  broker: Pick<Config, 'WHATSAPP_API_BASE_URL' | 'WHATSAPP_API_VERSION' | 'WHATSAPP_ACCESS_TOKEN' | 'WHATSAPP_REQUEST_TIMEOUT_MS'>;
  maxCachedWorkflows?: number;
  /** How long the configuration read before each customer message is reused (SETTINGS_CACHE_MS). */
  settingsCacheMs?: number;
  /** A prebuilt bundle (tests build one per run); otherwise the workflows folder is bundled at start-up. */
  workflowBundlePath?: string;
}

/** The worker that runs conversation workflows and their activities. */
export async function createConversationWorker(options: ConversationWorkerOptions): Promise<Worker> {
  const broker = createCloudApiClient({
    baseUrl: options.broker.WHATSAPP_API_BASE_URL,
    version: options.broker.WHATSAPP_API_VERSION,
    accessToken: options.broker.WHATSAPP_ACCESS_TOKEN,
    timeoutMs: options.broker.WHATSAPP_REQUEST_TIMEOUT_MS,
  });
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities({ store: options.store, broker, ...(options.settingsCacheMs !== undefined ? { settingsCacheMs: options.settingsCacheMs } : {}) }),
    ...(options.workflowBundlePath
      ? { workflowBundle: { codePath: options.workflowBundlePath } }
      : { workflowsPath: require.resolve('../workflows') }),
    maxCachedWorkflows: options.maxCachedWorkflows ?? 2_000,
    sinks: timelineSinkNoop,
  });
}

/** Timelines are built by analysts' replays (`analytics/`); the live worker has nothing to do with the records. */
const timelineSinkNoop: InjectedSinks<ConversationSinks> = {
  [TIMELINE_SINK]: { started: { fn: () => undefined }, transitioned: { fn: () => undefined } },
};
