import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import type { Logger } from 'pino';

/**
 * Lowers this process's CPU priority to `nice` (0-19; 0 changes nothing), so that on a host it shares with the API,
 * Temporal, the store and other work, webhook answers do not queue behind workflow tasks (README "Performance": at
 * 400 webhooks/s on two cores loaded by other work). On Linux a nice value belongs to each thread: every thread running now is lowered (V8's and
 * libuv's), and the threads started later (the workflow threads, Temporal's core) inherit it from the thread that
 * starts them. Elsewhere the process's priority is set. Raising a nice value needs no privilege; a refusal is logged
 * and start-up goes on: a worker at the API's priority is slower to yield, not wrong.
 */
export function lowerCpuPriority(nice: number, logger: Pick<Logger, 'warn'>): void {
  if (nice === 0) return;
  try {
    const threads = process.platform === 'linux' ? readdirSync('/proc/self/task').map(Number) : [0];
    for (const thread of threads) setPriority(thread, nice);
  } catch (err) {
    logger.warn({ err, nice }, 'could not lower the worker CPU priority; it runs at the priority it was started with');
  }
}
