import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort, startTemporalDevServer, type TemporalDevServer } from '../../scripts/dev-servers';
import { startService, type ServiceRig } from './service';

/**
 * The service on a Temporal dev server of the test's own, persisted to a file on a fixed port: stopping it stops
 * nobody else's tests, and its workflows survive a restart.
 */
export interface OwnTemporal {
  rig: ServiceRig;
  /** Stops the dev server; the service keeps running and sees Temporal unreachable. */
  stopTemporal(): Promise<void>;
  /** Starts it again on the same port and file. */
  startTemporal(): Promise<void>;
  stop(): Promise<void>;
}

export async function startServiceOnOwnTemporal(prefix: string): Promise<OwnTemporal> {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const port = await findFreePort();
  const start = () => startTemporalDevServer({ port, uiPort: false, dbFile: join(dir, 'temporal.db'), logFile: join(dir, 'temporal.log') });
  let temporal: TemporalDevServer | undefined = await start();
  const rig = await startService({ temporalAddress: temporal.address });
  return {
    rig,
    async stopTemporal() {
      await temporal?.stop();
      temporal = undefined;
    },
    async startTemporal() {
      temporal = await start();
    },
    async stop() {
      await rig.stop();
      await temporal?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
