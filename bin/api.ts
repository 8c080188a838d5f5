/** `npm run api`: the HTTP API and webhook endpoint, scaled apart from the worker. */
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../api/app';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { messagingLimitsFrom } from '../lib/messaging-limits';
import { connectStore } from '../store/db';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, 'api');
  const store = await connectStore(config.MONGODB_URL, config.MONGODB_DB);
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const server = createApp({ config, store, temporal, logger, limits: messagingLimitsFrom(config) }).listen(config.HTTP_PORT, config.HTTP_HOST, () => {
    logger.info(`API listening on http://${config.HTTP_HOST}:${config.HTTP_PORT}`);
  });
  const stop = () => {
    server.close(() => void Promise.all([connection.close(), store.close()]).then(() => process.exit(0)));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
