import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startFerretDb, startTemporalDevServer, type RunningServer } from '../../scripts/dev-servers';

const root = resolve(__dirname, '../..');
export const testDataDir = join(root, '.data', 'test');

declare global {
  var __testServers: RunningServer[] | undefined;
  var __testDataDirs: string[] | undefined;
}

/**
 * Starts one Temporal dev server and one FerretDB for the whole run (unless TEMPORAL_ADDRESS / MONGODB_URL point at
 * existing ones), bundles the workflow code once, and hands the addresses to the test workers through the
 * environment they inherit.
 */
export default async function globalSetup(): Promise<void> {
  const logs = join(testDataDir, 'logs');
  mkdirSync(logs, { recursive: true });
  globalThis.__testServers = [];
  globalThis.__testDataDirs = [];

  const [temporalAddress, mongoUrl, bundlePath] = await Promise.all([
    process.env.TEMPORAL_ADDRESS ??
      startTemporalDevServer({ uiPort: false, logFile: join(logs, 'temporal.log') }).then((server) => {
        globalThis.__testServers!.push(server);
        return server.address;
      }),
    process.env.MONGODB_URL ??
      (async () => {
        const dataDir = join(testDataDir, `ferretdb-${process.pid}`);
        globalThis.__testDataDirs!.push(dataDir);
        const server = await startFerretDb({ dataDir, logFile: join(logs, 'ferretdb.log') });
        globalThis.__testServers!.push(server);
        return server.url;
      })(),
    bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietLogger }).then(({ code }) => {
      const path = join(testDataDir, `workflow-bundle-${process.pid}.js`);
      writeFileSync(path, code);
      globalThis.__testDataDirs!.push(path);
      return path;
    }),
  ]);

  process.env.TEST_TEMPORAL_ADDRESS = temporalAddress;
  process.env.TEST_MONGODB_URL = mongoUrl;
  process.env.TEST_WORKFLOW_BUNDLE = bundlePath;
}

export function removeTestData(): void {
  for (const path of globalThis.__testDataDirs ?? []) rmSync(path, { recursive: true, force: true });
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string, meta?: unknown) => console.warn(message, meta ?? ''),
  error: (message: string, meta?: unknown) => console.error(message, meta ?? ''),
};
