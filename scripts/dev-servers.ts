/**
 * Starts the embedded servers `npm start` and the tests run on: the Temporal dev server and FerretDB, each in its
 * own process group on loopback, stopped as a group so no grandchild survives.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { EmbeddedSchema } from '../lib/config';

const root = resolve(__dirname, '..');
const LOOPBACK = '127.0.0.1';

/** A binary from the project's tools folder, else one on PATH. */
export function toolPath(name: 'temporal' | 'ferretdb'): string {
  const local = join(root, '.tools', 'bin', name);
  if (existsSync(local)) return local;
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  throw new Error(`${name} is not built: run \`npm run provision\` (it builds it into .tools/bin)`);
}

export function temporalTestServerPath(): string {
  return join(root, 'scripts', 'temporal-test-server.sh');
}

export async function findFreePort(host = LOOPBACK): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

export async function isPortOpen(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

export interface RunningServer {
  pid: number;
  stop(): Promise<void>;
}

const started = new Set<ChildProcess>();
process.once('exit', () => {
  // Last resort on an abrupt exit: never leave a server behind.
  for (const child of started) killGroup(child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Told a server's pid and argv as soon as it is spawned, before it is ready (`bin/up.ts` records it: scripts/orphans.ts). */
export type Spawned = (server: { pid: number; argv: string[] }) => void;

/** Spawns `command` detached (its own process group) with output to `logFile`, and waits until `ready()` holds. */
async function launch(command: string, args: string[], logFile: string, ready: () => Promise<boolean>, timeoutMs: number, onSpawned?: Spawned): Promise<RunningServer> {
  mkdirSync(dirname(logFile), { recursive: true });
  const log = openSync(logFile, 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  started.add(child);
  if (child.pid !== undefined) onSpawned?.({ pid: child.pid, argv: [command, ...args] });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));

  const stop = async () => {
    killGroup(child, 'SIGTERM');
    const killer = setTimeout(() => killGroup(child, 'SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
    started.delete(child);
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      started.delete(child);
      throw new Error(`${command} exited before it was ready; its log (${logFile}) ends:\n${tail(logFile)}`);
    }
    if (await ready().catch(() => false)) return { pid: child.pid!, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${command} was not ready within ${timeoutMs} ms; its log (${logFile}) ends:\n${tail(logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface TemporalDevServerOptions {
  port?: number;
  /** A port for the Web UI, or false for none. */
  uiPort?: number | false;
  /** SQLite file to persist to; in memory when absent. */
  dbFile?: string;
  /** `--sqlite-pragma` values for the file above (`name=value`); {@link DEV_SERVER_SQLITE_PRAGMAS} when absent. */
  sqlitePragmas?: readonly string[];
  namespace?: string;
  logFile: string;
  timeoutMs?: number;
  onSpawned?: Spawned;
}

export interface TemporalDevServer extends RunningServer {
  address: string;
  uiUrl?: string;
}

/**
 * The dev server's SQLite file in write-ahead-log mode, synced at every commit (https://www.sqlite.org/wal.html,
 * https://www.sqlite.org/pragma.html#pragma_synchronous; the flag: https://docs.temporal.io/cli/server). SQLite's
 * own default, a rollback journal created, synced and deleted per transaction, held the dev server to about half
 * the signal-with-starts a second it takes in WAL mode (`npm run bench:temporal-sqlite`, README *Performance*);
 * `synchronous=normal` is faster still but gives up the last commits on a power loss. Durability stays that of the
 * default: a transaction the server committed is on disk.
 */
export const DEV_SERVER_SQLITE_PRAGMAS: readonly string[] = EmbeddedSchema.shape.EMBEDDED_TEMPORAL_SQLITE_PRAGMAS.parse(undefined);

/** `temporal server start-dev` on loopback; ready once a client can call GetSystemInfo. */
export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const port = options.port ?? (await findFreePort());
  if (await isPortOpen(LOOPBACK, port)) throw new Error(`port ${port} is already in use; set TEMPORAL_ADDRESS to use a running server`);
  const address = `${LOOPBACK}:${port}`;
  const args = ['server', 'start-dev', '--ip', LOOPBACK, '--port', String(port), '--namespace', options.namespace ?? 'default'];
  args.push('--http-port', String(await findFreePort()), '--metrics-port', String(await findFreePort()), '--log-level', 'warn');
  if (options.uiPort === undefined || options.uiPort === false) args.push('--headless');
  else args.push('--ui-ip', LOOPBACK, '--ui-port', String(options.uiPort));
  if (options.dbFile) {
    mkdirSync(dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
    for (const pragma of options.sqlitePragmas ?? DEV_SERVER_SQLITE_PRAGMAS) args.push('--sqlite-pragma', pragma);
  }
  const ready = async () => {
    if (!(await isPortOpen(LOOPBACK, port))) return false;
    const connection = await Connection.connect({ address, connectTimeout: 2_000 });
    try {
      await connection.workflowService.getSystemInfo({});
      return true;
    } finally {
      await connection.close();
    }
  };
  const server = await launch(toolPath('temporal'), args, options.logFile, ready, options.timeoutMs ?? 90_000, options.onSpawned);
  return { ...server, address, ...(typeof options.uiPort === 'number' ? { uiUrl: `http://${LOOPBACK}:${options.uiPort}` } : {}) };
}

export interface FerretDbOptions {
  port?: number;
  dataDir: string;
  logFile: string;
  timeoutMs?: number;
  onSpawned?: Spawned;
}

/** FerretDB on SQLite (tools/ferretdb), speaking the MongoDB wire protocol on loopback. */
export async function startFerretDb(options: FerretDbOptions): Promise<RunningServer & { url: string }> {
  const port = options.port ?? (await findFreePort());
  if (await isPortOpen(LOOPBACK, port)) throw new Error(`port ${port} is already in use; set MONGODB_URL to use a running server`);
  mkdirSync(options.dataDir, { recursive: true });
  const args = ['--listen', `${LOOPBACK}:${port}`, '--data-dir', options.dataDir];
  const server = await launch(toolPath('ferretdb'), args, options.logFile, () => isPortOpen(LOOPBACK, port), options.timeoutMs ?? 30_000, options.onSpawned);
  return { ...server, url: `mongodb://${LOOPBACK}:${port}/` };
}
