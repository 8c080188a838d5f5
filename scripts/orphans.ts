/**
 * The servers `npm start` started (the Temporal dev server, FerretDB), recorded in `.data/servers/` so that a start
 * after a crash can stop those the crash left behind. They run detached (their own process groups, so Ctrl-C's
 * graceful stop reaches them in order); a SIGKILL of `bin/up.ts` or a power-off of its terminal skips that stop and
 * leaves them running under PID 1, holding their ports and their data files, and the next start could not begin.
 *
 * A recorded process is stopped only while it is still ours: the same pid running the same command line (the same
 * executable and arguments, which name this `.data`'s files and the ports). A pid reused by anyone else does not
 * match and is left alone; its record is dropped.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One record, `.data/servers/<name>.json`. */
export interface ServerRecord {
  name: string;
  pid: number;
  /** argv as the server was spawned: executable path first, then its arguments. */
  argv: string[];
  /** The `bin/up.ts` process that started it, and its argv: while that one runs, nothing here is an orphan. */
  owner: { pid: number; argv: string[] };
}

/**
 * A live process's argv, or undefined when there is none at that pid (or it is a zombie, whose argv is empty).
 * Linux: /proc/<pid>/cmdline, exact; elsewhere `ps -ww -o args=`, split on spaces (compared the same way below);
 * `-ww` because BSD ps cuts the line to 79 columns when its output is not a terminal, and a cut line never matches.
 */
export function argvOf(pid: number, source: 'proc' | 'ps' = existsSync('/proc/self/cmdline') ? 'proc' : 'ps'): string[] | undefined {
  const proc = `/proc/${pid}/cmdline`;
  if (source === 'proc') {
    try {
      const argv = readFileSync(proc, 'utf8').split('\0').filter((part, i, all) => part !== '' || i < all.length - 1);
      return argv.length > 0 ? argv : undefined;
    } catch {
      return undefined;
    }
  }
  const ps = spawnSync('ps', ['-ww', '-o', 'args=', '-p', String(pid)], { encoding: 'utf8' });
  const line = ps.status === 0 ? ps.stdout.trim() : '';
  return line ? line.split(' ') : undefined;
}

const sameArgv = (a: string[] | undefined, b: string[]) => a !== undefined && a.join(' ') === b.join(' ');

/** Records a server this process started, as soon as it is spawned (scripts/dev-servers.ts `onSpawned`): a crash while it starts up leaves it recorded too. */
export function recordServer(dir: string, name: string, pid: number, argv: string[]): void {
  mkdirSync(dir, { recursive: true });
  const record: ServerRecord = { name, pid, argv, owner: { pid: process.pid, argv: argvOf(process.pid) ?? [] } };
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(record, null, 2)}\n`);
}

/** Drops the record of a server stopped on purpose. */
export function forgetServer(dir: string, name: string): void {
  rmSync(join(dir, `${name}.json`), { force: true });
}

function records(dir: string): ServerRecord[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .flatMap((file) => {
      try {
        return [JSON.parse(readFileSync(join(dir, file), 'utf8')) as ServerRecord];
      } catch {
        return []; // half-written by a crash: nothing to match it against
      }
    });
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(-pid, name); // its process group (spawned detached: the group is its own pid)
  } catch {
    try {
      process.kill(pid, name);
    } catch {
      // already gone
    }
  }
}

/** Waits until `pid` no longer runs `argv`; false if it still does after `ms`. */
async function gone(pid: number, argv: string[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (sameArgv(argvOf(pid), argv)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/**
 * Stops the recorded servers that outlived the `npm start` that started them and are still ours (SIGTERM to their
 * group, SIGKILL after `graceMs`), and drops every record. Refuses (throws) while that `npm start` still runs: two
 * starts on one `.data` would share its files. Returns a line per server stopped, for the start's output.
 */
export async function stopOrphans(dir: string, graceMs = 10_000): Promise<string[]> {
  const lines: string[] = [];
  for (const record of records(dir)) {
    const { owner } = record;
    if (owner.pid !== process.pid && owner.argv.length > 0 && sameArgv(argvOf(owner.pid), owner.argv)) {
      throw new Error(`npm start (pid ${owner.pid}) is already running on this data directory; stop it first: Ctrl-C in its terminal, or \`kill ${owner.pid}\` (SIGTERM stops it and its servers in order)`);
    }
    if (sameArgv(argvOf(record.pid), record.argv)) {
      signal(record.pid, 'SIGTERM');
      if (!(await gone(record.pid, record.argv, graceMs))) {
        signal(record.pid, 'SIGKILL');
        await gone(record.pid, record.argv, 5_000);
      }
      lines.push(`stopped ${record.name} (pid ${record.pid}) left running by an earlier start that did not stop`);
    }
    forgetServer(dir, record.name);
  }
  return lines;
}
