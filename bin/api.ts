/** `npm run api`: the HTTP API and webhook endpoint, scaled apart from the worker. */
import { answerClientErrors } from '../api/client-errors';
import { Client, Connection } from '@temporalio/client';
import { createApp, templateServiceFor } from '../api/app';
import { startTemplateSync } from '../services/template-sync';
import { loadConfig } from '../lib/config';
import { AesGcmPayloadCodec, dataConverterFor, logHashKeyFrom } from '../lib/payload-codec';
import { createLogger } from '../lib/logger';
import { messagingLimitsFrom } from '../lib/messaging-limits';
import { connectStore } from '../store/db';
import { clientInterceptors, startTracing } from '../lib/tracing';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, 'api', undefined, logHashKeyFrom(config.TEMPORAL_PAYLOAD_KEYS));
  const tracing = startTracing('whatsapp-connector-api', config.OTEL_EXPORTER_OTLP_ENDPOINT);
  const store = await connectStore(config.MONGODB_URL, config.MONGODB_DB);
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: dataConverterFor(config.TEMPORAL_PAYLOAD_KEYS), interceptors: clientInterceptors(tracing) });
  const analytics = { maxRuns: config.ANALYTICS_MAX_RUNS, ...(config.WORKER_WORKFLOW_BUNDLE ? { workflowBundlePath: config.WORKER_WORKFLOW_BUNDLE } : {}) };
  // Aborted on stop: the console's live streams end, so the server can close.
  const stopping = new AbortController();
  const server = answerClientErrors(createApp({ config, store, temporal, logger, codecServer: { codec: new AesGcmPayloadCodec(config.TEMPORAL_PAYLOAD_KEYS), corsOrigins: config.TEMPORAL_CODEC_CORS_ORIGINS }, shutdown: stopping.signal, analytics, limits: messagingLimitsFrom(config) }).listen(config.HTTP_PORT, config.HTTP_HOST, () => {
    logger.info(`API listening on http://${config.HTTP_HOST}:${config.HTTP_PORT}`);
  }));
  const stopSync = startTemplateSync(templateServiceFor({ config, store, logger }), config.TEMPLATE_SYNC_INTERVAL_MS, logger);
  const stop = () => {
    stopSync();
    stopping.abort();
    server.close(() => void Promise.all([connection.close(), store.close(), tracing?.shutdown()]).then(() => process.exit(0)));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
