import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ConfigSchema } from '../../lib/config';

const root = join(__dirname, '..', '..');

/**
 * Runs `lowerCpuPriority(nice)` in a fresh Node process that already has a worker thread and starts another after
 * it, and answers every thread's nice value (Linux keeps one per thread).
 */
function niceOfEveryThread(nice: number): number[] {
  const script = `
    const { Worker } = require('node:worker_threads');
    const { readdirSync } = require('node:fs');
    const { getPriority } = require('node:os');
    const { lowerCpuPriority } = require(${JSON.stringify(join(root, 'worker/cpu-priority.ts'))});
    const idle = () => new Worker('setTimeout(() => {}, 2000)', { eval: true });
    const before = idle();
    lowerCpuPriority(${nice}, { warn: (o, m) => console.error(m) });
    const after = idle();
    setTimeout(() => {
      console.log(JSON.stringify(readdirSync('/proc/self/task').map((t) => getPriority(Number(t)))));
      before.terminate(); after.terminate();
    }, 300);`;
  return JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root, encoding: 'utf8' })) as number[];
}

const onLinux = process.platform === 'linux' ? describe : describe.skip;

onLinux("the worker's CPU priority (WORKER_NICE)", () => {
  it('lowers every thread of the process, those running and those started after', () => {
    const nices = niceOfEveryThread(7);
    expect(nices.length).toBeGreaterThan(4); // main, V8's and libuv's threads, two worker threads
    expect(new Set(nices)).toEqual(new Set([7]));
  });

  it('leaves the process as it was at 0', () => {
    expect(new Set(niceOfEveryThread(0))).toEqual(new Set([0]));
  });
});

describe('WORKER_NICE', () => {
  it('defaults to 0 (off) and takes 0-19 only', () => {
    expect(ConfigSchema.shape.WORKER_NICE.parse(undefined)).toBe(0);
    expect(ConfigSchema.shape.WORKER_NICE.parse('10')).toBe(10);
    expect(ConfigSchema.shape.WORKER_NICE.safeParse('20').success).toBe(false);
    expect(ConfigSchema.shape.WORKER_NICE.safeParse('-1').success).toBe(false);
  });
});
