import type { NativeConnection } from '@temporalio/worker';
import type { MessagingLimits } from '../../lib/messaging-limits';
import type { SipSettings } from '../../integrations/sip/sip.routing';
import { createConversationWorker, type ConnectorWorker } from '../../worker/worker';
import type { BrokerSimulator } from '../../simulator/broker-simulator';
import type { Store } from '../../store/db';
import { testEnv, testPayloadKeys } from './env';

/** The production worker, wired to a test's store and broker simulator, on the bundle global set-up built. */
export function testWorker(options: {
  connection: NativeConnection;
  namespace?: string;
  taskQueue: string;
  store: Store;
  simulator: BrokerSimulator;
  accessToken: string;
  limits?: MessagingLimits;
  sip?: SipSettings;
}): Promise<ConnectorWorker> {
  return createConversationWorker({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue,
    store: options.store,
    payloadKeys: testPayloadKeys,
    broker: {
      WHATSAPP_API_BASE_URL: options.simulator.url,
      WHATSAPP_API_VERSION: 'v27.0',
      WHATSAPP_ACCESS_TOKEN: options.accessToken,
      // Short, so fault tests see retries within seconds.
      WHATSAPP_REQUEST_TIMEOUT_MS: 2_000,
    },
    workflowBundlePath: testEnv().workflowBundlePath,
    // Tests publish a configuration and write at once: read it every time.
    settingsCacheMs: 0,
    ...(options.limits ? { limits: options.limits } : {}),
    // A lane another worker (or a killed worker process) opened is served here within a second.
    sendLaneRefreshMs: 1_000,
    ...(options.sip ? { sip: options.sip } : {}),
  });
}
