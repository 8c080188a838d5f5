/** `npm run worker`: runs conversation workflows and activities, scaled apart from the API. */
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { logHashKeyFrom } from '../lib/payload-codec';
import { startTracing } from '../lib/tracing';
import { createConversationWorker, workerOptionsFrom } from '../worker/worker';
import { connectStore } from '../store/db';
import { startWorkerHealth } from '../worker/health';
import { installSdkMetrics } from '../worker/observability';
import { lowerCpuPriority } from '../worker/cpu-priority';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, 'worker', undefined, logHashKeyFrom(config.TEMPORAL_PAYLOAD_KEYS));
  // Before Temporal's core and the workflow threads start, so they inherit it.
  lowerCpuPriority(config.WORKER_NICE, logger);
  const tracing = startTracing('whatsapp-connector-worker', config.OTEL_EXPORTER_OTLP_ENDPOINT);
  const sdkMetricsUrl = await installSdkMetrics();
  const store = await connectStore(config.MONGODB_URL, config.MONGODB_DB);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await createConversationWorker(workerOptionsFrom(config, { connection, store, logger, ...(tracing ? { tracing } : {}) }));
  const health =
    config.WORKER_HEALTH_PORT === undefined ? undefined : await startWorkerHealth(config.WORKER_HEALTH_PORT, config.HTTP_HOST, () => worker.getState(), sdkMetricsUrl);
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, temporal: config.TEMPORAL_ADDRESS, healthPort: config.WORKER_HEALTH_PORT }, 'worker running');
  // Worker.run() shuts down gracefully on SIGINT/SIGTERM by itself (the SDK installs the handlers).
  await worker.run();
  health?.close();
  await connection.close();
  await store.close();
  await tracing?.shutdown();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
