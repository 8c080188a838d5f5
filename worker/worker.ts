import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { NativeConnection, Worker, type InjectedSinks, type State } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createCloudApiClient } from '../integrations/broker/cloud-api.client';
import { createTemplateApiClient } from '../integrations/broker/template-api.client';
import { createConversationService } from '../services/conversations.service';
import type { Store } from '../store/db';
import { TIMELINE_SINK, type ConversationSinks } from '../workflows/conversation.sinks';
import { listSendLanes } from '../store/send-lanes.store';
import type { Config } from '../lib/config';
import { dataConverterFor, type PayloadKey } from '../lib/payload-codec';
import { defaultMessagingLimits, limitsFor, messagingLimitsFrom, type MessagingLimits } from '../lib/messaging-limits';
import { SendLanes } from './send-lanes';
import { activityInterceptors, workflowTracing } from './observability';
import { clientInterceptors, type Tracing } from '../lib/tracing';
import { ensureRetentionSchedule, type RetentionScheduleOptions } from './retention-schedule';
import { startSipRouting, type SipSettings } from '../integrations/sip/sip.routing';
import { agentReleasedSignal } from '../workflows/conversation.messages';
import { createAgentChat } from '../services/agent-chat.service';
import type { Logger } from 'pino';
import { createB2bua } from '../integrations/sip/sip.b2bua';
import { createCallService } from '../services/calls.service';
import { createBusinessCalls } from '../services/business-calls.service';

export interface ConversationWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  store: Store;
  /** The payload codec's keys (TEMPORAL_PAYLOAD_KEYS): every Worker and Client here encrypts and decrypts with them. */
  payloadKeys: readonly PayloadKey[];
  broker: Pick<Config, 'WHATSAPP_API_BASE_URL' | 'WHATSAPP_API_VERSION' | 'WHATSAPP_ACCESS_TOKEN' | 'WHATSAPP_REQUEST_TIMEOUT_MS'>;
  maxCachedWorkflows?: number;
  /** How long the configuration read before each customer message is reused (SETTINGS_CACHE_MS). */
  settingsCacheMs?: number;
  /** A prebuilt bundle (tests build one per run); otherwise the workflows folder is bundled at start-up. */
  workflowBundlePath?: string;
  /** Per-number rates and tiers, per-customer pacing; WhatsApp's defaults when absent. */
  limits?: MessagingLimits;
  /** How often to look for send lanes other workers opened (default 10 s). */
  sendLaneRefreshMs?: number;
  /** For conversations a campaign starts (default 24 h, as configured for the API). */
  conversationIdleCloseMs?: number;
  /** The SIP user agent's settings; routing to people is on when SIP_CONNECTOR_URI is set. */
  sip?: SipSettings;
  /** Base of the media links in chat lines over SIP (SIP_CHAT_MEDIA_BASE_URL). */
  chatMediaBaseUrl?: string;
  /** This process's OpenTelemetry tracing (OTEL_EXPORTER_OTLP_ENDPOINT); absent: no spans. */
  tracing?: Tracing;
  /** The retention purge Schedule this worker keeps in place (README "Retention"); absent: none (tests). */
  retention?: Omit<RetentionScheduleOptions, 'taskQueue'>;
  logger?: Pick<Logger, 'warn' | 'info' | 'debug'>;
}

/** A worker's options as the service configuration gives them (`npm run worker`, `npm start`). */
export function workerOptionsFrom(
  config: Config,
  deps: Pick<ConversationWorkerOptions, 'connection' | 'store' | 'tracing'> & { logger: NonNullable<ConversationWorkerOptions['logger']> },
): ConversationWorkerOptions {
  return {
    ...deps,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    payloadKeys: config.TEMPORAL_PAYLOAD_KEYS,
    broker: config,
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    settingsCacheMs: config.SETTINGS_CACHE_MS,
    limits: messagingLimitsFrom(config),
    sendLaneRefreshMs: config.WORKER_SEND_LANE_REFRESH_MS,
    conversationIdleCloseMs: config.CONVERSATION_IDLE_CLOSE_MS,
    sip: config,
    chatMediaBaseUrl: config.SIP_CHAT_MEDIA_BASE_URL,
    retention: { policy: { defaultDays: config.RETENTION_DAYS, batchSize: 500 }, everyMs: config.RETENTION_PURGE_EVERY_MS },
    ...(config.WORKER_WORKFLOW_BUNDLE ? { workflowBundlePath: config.WORKER_WORKFLOW_BUNDLE } : {}),
  };
}

/** The worker's lifecycle, as `Worker` has it: conversation and campaign workflows plus one send lane per number. */
export interface ConnectorWorker {
  run(): Promise<void>;
  shutdown(): void;
  getState(): State;
}

/** The worker that runs conversation and campaign workflows, their activities, and the numbers' send lanes. */
export async function createConversationWorker(options: ConversationWorkerOptions): Promise<ConnectorWorker> {
  const limits = options.limits ?? defaultMessagingLimits;
  const clock = () => new Date();
  const brokerOptions = {
    baseUrl: options.broker.WHATSAPP_API_BASE_URL,
    version: options.broker.WHATSAPP_API_VERSION,
    accessToken: options.broker.WHATSAPP_ACCESS_TOKEN,
    timeoutMs: options.broker.WHATSAPP_REQUEST_TIMEOUT_MS,
  };
  const broker = createCloudApiClient(brokerOptions);
  // A send refused with 132001 asks WhatsApp's template list what became of the template (services/template-refusal.ts).
  const templates = createTemplateApiClient(brokerOptions);
  const dataConverter = dataConverterFor(options.payloadKeys);
  const temporal = new Client({ connection: options.connection, namespace: options.namespace, dataConverter, interceptors: clientInterceptors(options.tracing) });
  // Campaigns hand each recipient to their conversation exactly as the API does, and so do agents writing over SIP.
  const conversations = createConversationService({
    store: options.store,
    temporal,
    taskQueue: options.taskQueue,
    idleCloseAfterMs: options.conversationIdleCloseMs ?? 24 * 60 * 60 * 1000,
    limits,
  });
  // WhatsApp calls (Meta's SIP server INVITEs us) share the SIP socket; their state lives in call workflows. The
  // attempts that need the caller's INVITE transaction run on this process's own task queue (Temporal's
  // worker-specific task queue), so with several workers the one holding the INVITE rings the agent.
  const sipTaskQueue = `${options.taskQueue}-sip-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const b2bua = createB2bua({
    hooks: createCallService({
      store: options.store,
      temporal,
      taskQueue: options.taskQueue,
      sipTaskQueue,
      // The contact centre dialling customers: business-initiated calls (services/business-calls.service.ts).
      businessCalls: createBusinessCalls({
        store: options.store,
        temporal,
        taskQueue: options.taskQueue,
        sipTaskQueue,
        ...(options.sip?.SIP_CONNECTOR_URI ? { connectorUri: options.sip.SIP_CONNECTOR_URI } : {}),
        ...(options.sip?.SIP_AGENT_HEADER ? { agentHeader: options.sip.SIP_AGENT_HEADER } : {}),
      }),
    }),
    realm: options.sip?.SIP_CALLS_REALM ?? 'whatsapp-connector',
    ...(options.sip?.SIP_CONNECTOR_URI ? { connectorUri: options.sip.SIP_CONNECTOR_URI } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  // The contact centre's BYE may reach any worker: the Call-ID names the conversation, a signal tells its workflow.
  const sip = options.sip
    ? await startSipRouting(options.sip, {
        onRemoteBye: async ({ callId, conversationId }) => {
          // A conversation already closed has hung up itself: the BYE is answered 200 all the same.
          await temporal.workflow.getHandle(conversationId).signal(agentReleasedSignal, { callId }).catch((err: unknown) => {
            if (!(err instanceof WorkflowNotFoundError)) throw err;
          });
        },
        onAgentMessage: createAgentChat({ store: options.store, temporal, conversations }),
        onServerRequest: b2bua.onServerRequest,
        onStrayResponse: b2bua.onStrayResponse,
        ...(options.logger ? { logger: options.logger } : {}),
      })
    : undefined;
  if (sip) b2bua.attach(sip.agent);
  // The lanes' workers run the same sendMessage the main worker registers (built once, below).
  const lanes: SendLanes = new SendLanes({
    connection: options.connection,
    namespace: options.namespace,
    baseTaskQueue: options.taskQueue,
    dataConverter,
    activities: { sendMessage: (send: Parameters<typeof activities.sendMessage>[0]) => activities.sendMessage(send) },
    rateFor: (businessNumberId) => limitsFor(limits, businessNumberId).sendRatePerSecond,
    activityInterceptors: activityInterceptors(options.tracing),
  });
  // Session mode: this worker's own queue, for the lines of the MSRP sessions whose connection it holds.
  const msrpHolderQueue = sip?.msrp ? `${options.taskQueue}.msrp.${hostname()}.${process.pid}.${randomUUID().slice(0, 8)}` : undefined;
  const activities = createActivities({
    ...(msrpHolderQueue ? { msrpHolderQueue } : {}),
    store: options.store,
    broker,
    templates,
    clock,
    ...(sip ? { sip, b2bua } : {}),
    ...(options.chatMediaBaseUrl ? { chatMediaBaseUrl: options.chatMediaBaseUrl } : {}),
    ...(options.settingsCacheMs !== undefined ? { settingsCacheMs: options.settingsCacheMs } : {}),
    lanes: { opener: lanes, customerPacingMs: limits.customerPacingMs },
    conversations,
    customerCalls: { store: options.store, temporal, taskQueue: options.taskQueue, idleCloseAfterMs: options.conversationIdleCloseMs ?? 24 * 60 * 60 * 1000 },
  });
  const traced = workflowTracing(options.tracing, options.workflowBundlePath !== undefined);
  const main = await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    dataConverter,
    activities,
    ...(options.workflowBundlePath
      ? { workflowBundle: { codePath: options.workflowBundlePath } }
      : { workflowsPath: require.resolve('../workflows') }),
    maxCachedWorkflows: options.maxCachedWorkflows ?? 2_000,
    sinks: { ...timelineSinkNoop, ...traced.sinks },
    interceptors: { workflowModules: traced.workflowModules, activity: activityInterceptors(options.tracing) },
  });

  const holder = msrpHolderQueue
    ? await Worker.create({
        connection: options.connection,
        namespace: options.namespace,
        taskQueue: msrpHolderQueue,
        dataConverter,
        activities: { relayToAgent: activities.relayToAgent },
        interceptors: { activity: activityInterceptors(options.tracing) },
      })
    : undefined;

  /** Serves every lane any worker opened, so sends queued there never wait on a worker that died. */
  const syncLanes = async () => {
    for (const businessNumberId of await listSendLanes(options.store)) await lanes.ensure(businessNumberId);
  };

  const callWorker = sip
    ? await Worker.create({
        connection: options.connection,
        namespace: options.namespace,
        taskQueue: sipTaskQueue,
        dataConverter,
        activities: { offerCall: activities.offerCall, rejectCall: activities.rejectCall, placeCall: activities.placeCall },
        interceptors: { activity: activityInterceptors(options.tracing) },
      })
    : undefined;

  return {
    getState: () => main.getState(),
    shutdown: () => {
      main.shutdown();
      if (holder?.getState() === 'RUNNING') holder.shutdown();
      if (callWorker?.getState() === 'RUNNING') callWorker.shutdown();
    },
    async run() {
      const running = main.run();
      const holding = holder?.run();
      const calls = callWorker?.run();
      const refresh = setInterval(() => void syncLanes().catch(() => undefined), options.sendLaneRefreshMs ?? 10_000);
      try {
        await syncLanes().catch(() => undefined); // the store may be down: the next refresh tries again
        // Not worth stopping conversations for: the next start (of any worker) tries again.
        if (options.retention) {
          await ensureRetentionSchedule(temporal, { taskQueue: options.taskQueue, ...options.retention }).catch((err: unknown) =>
            options.logger?.warn({ err }, 'the retention purge schedule could not be ensured; the next worker start tries again'),
          );
        }
        await Promise.race([running, lanes.failure, ...(holding ? [holding] : []), ...(calls ? [calls] : [])]);
      } finally {
        // Whichever ended first (a failure, or the holder or call worker stopping sooner than the main one drains),
        // every worker of this process stops and is awaited: none may outlive run(), they share the connection.
        for (const worker of [main, holder, callWorker]) if (worker?.getState() === 'RUNNING') worker.shutdown();
        await Promise.allSettled([running, holding, calls]);
        clearInterval(refresh);
        await lanes.shutdown();
        sip?.msrp?.close();
        b2bua.close();
        await sip?.agent.close();
      }
    },
  };
}

/** Timelines are built by analysts' replays (`analytics/`); the live worker has nothing to do with the records. */
const timelineSinkNoop: InjectedSinks<ConversationSinks> = {
  [TIMELINE_SINK]: { started: { fn: () => undefined }, transitioned: { fn: () => undefined } },
};
