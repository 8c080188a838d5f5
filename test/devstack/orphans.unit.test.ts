import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { argvOf, recordServer, stopOrphans } from '../../scripts/orphans';

/**
 * After a crash, `npm start` stops the servers its predecessor recorded, and only while they are still ours: the
 * same pid running the same command line. A pid reused by anyone else is left alone.
 */
let dir: string;
const children: ChildProcess[] = [];

/** A stand-in server: its own process group, as scripts/dev-servers.ts spawns them. */
function server(tag: string): ChildProcess & { argv: string[] } {
  const argv = ['/bin/sh', '-c', `sleep 30 # ${tag}`];
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: 'ignore' });
  children.push(child);
  return Object.assign(child, { argv });
}
const exited = (child: ChildProcess) => new Promise((done) => (child.exitCode !== null || child.signalCode !== null ? done(undefined) : child.once('exit', done)));
const until = async (check: () => boolean) => {
  for (let i = 0; i < 50 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'orphans-'));
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

it('stops a recorded server still running what was recorded, and drops its record', async () => {
  const orphan = server('temporal');
  await until(() => argvOf(orphan.pid!)?.join(' ') === orphan.argv.join(' '));
  recordServer(dir, 'temporal', orphan.pid!, orphan.argv);
  const lines = await stopOrphans(dir, 2_000);
  await exited(orphan);
  expect(orphan.signalCode).toBe('SIGTERM');
  expect(lines).toEqual([expect.stringContaining(`temporal (pid ${orphan.pid})`)]);
  expect(readdirSync(dir)).toEqual([]);
});

it("leaves alone a process at a recorded pid that runs something else (the pid was reused), and drops the record", async () => {
  const stranger = server('someone else');
  await until(() => argvOf(stranger.pid!) !== undefined);
  recordServer(dir, 'ferretdb', stranger.pid!, ['/work/.tools/bin/ferretdb', '--listen', '127.0.0.1:27017', '--data-dir', '.data/ferretdb']);
  expect(await stopOrphans(dir, 2_000)).toEqual([]);
  expect(stranger.exitCode).toBeNull();
  expect(stranger.signalCode).toBeNull();
  expect(readdirSync(dir)).toEqual([]);
});

it('drops the record of a server that is gone', async () => {
  const done = server('gone');
  const argv = done.argv;
  recordServer(dir, 'temporal', done.pid!, argv);
  done.kill('SIGKILL');
  await exited(done);
  expect(await stopOrphans(dir, 2_000)).toEqual([]);
  expect(readdirSync(dir)).toEqual([]);
});

it('refuses while the npm start that recorded them still runs, stopping nothing', async () => {
  const [owner, running] = [server('npm start'), server('ferretdb')];
  await until(() => argvOf(owner.pid!) !== undefined && argvOf(running.pid!) !== undefined);
  const record = { name: 'ferretdb', pid: running.pid, argv: running.argv, owner: { pid: owner.pid, argv: owner.argv } };
  writeFileSync(join(dir, 'ferretdb.json'), JSON.stringify(record));
  await expect(stopOrphans(dir, 2_000)).rejects.toThrow(`npm start (pid ${owner.pid}) is already running on this data directory`);
  expect(running.exitCode).toBeNull();
  expect(running.signalCode).toBeNull();
});

it('reads a long command line whole through ps too (macOS has no /proc; its ps cuts at 79 columns when not on a terminal)', async () => {
  const long = server(`ferretdb --data-dir ${'/a/long/checkout/path'.repeat(8)}/.data/ferretdb`);
  await until(() => argvOf(long.pid!) !== undefined);
  // In a process of its own with COLUMNS=79, which procps's ps honours as BSD's uses its default width: a line cut
  // there never matches its record, and no server left by a crash would ever be stopped.
  const read = `import('./scripts/orphans.ts').then((m) => process.stdout.write(JSON.stringify(m.argvOf(${long.pid}, 'ps'))))`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', read], { encoding: 'utf8', env: { ...process.env, COLUMNS: '79' } });
  expect(child.stderr).toBe('');
  expect((JSON.parse(child.stdout) as string[]).join(' ')).toBe(long.argv.join(' '));
});
