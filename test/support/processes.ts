import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '../..');

/** `bin/<bin>.ts` run as its own process (through tsx), with `env` and PATH only, its output discarded. */
export function spawnBin(bin: 'worker' | 'api', env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(root, `bin/${bin}.ts`)], { cwd: root, env: { PATH: process.env.PATH, ...env }, stdio: 'ignore' });
}

/** SIGKILL, as a crash would: nothing drains, nothing is flushed. Resolves once the process is gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}
