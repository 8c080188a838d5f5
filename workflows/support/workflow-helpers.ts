import { CancellationScope, condition, isCancellation, sleep } from '@temporalio/workflow';

/**
 * One durable timer for the earliest of several due times, re-armed only when that time changes: a conversation
 * with a window, an idle period and a routing retry pending holds one Temporal timer, not three.
 *
 * `keepsEarlier` (runs that recorded `patched('timer-kept-armed')`): a timer already armed for a time no later than
 * the new earliest one is kept, and when it fires its owner re-checks what is due and re-arms. A customer message
 * moves the idle deadline later; cancelling and starting a timer for it cost two history events per message, a
 * timer kept costs one early firing per idle period. Only a deadline moving earlier replaces it.
 */
export class EarliestTimer {
  private armed: { due: number; scope: CancellationScope } | undefined;
  /** Set when the armed timer fired; the owner clears it with {@link take}. */
  fired = false;

  constructor(private readonly keepsEarlier = false) {}

  arm(dues: number[]): void {
    const due = dues.length === 0 ? undefined : Math.min(...dues);
    if (this.armed?.due === due) return;
    // Firing early is harmless (the owner re-checks); firing late is not, so only a later or no deadline keeps it.
    if (this.keepsEarlier && this.armed && (due === undefined || this.armed.due <= due)) return;
    this.armed?.scope.cancel();
    this.armed = undefined;
    if (due === undefined) return;
    const scope = new CancellationScope();
    this.armed = { due, scope };
    scope.run(() => sleep(Math.max(due - Date.now(), 1))).then(
      () => {
        if (this.armed?.scope === scope) this.fired = true;
      },
      (err: unknown) => {
        if (!isCancellation(err)) throw err;
      },
    );
  }

  /** Acknowledges a firing; the owner re-arms for what is still due. */
  take(): void {
    this.fired = false;
    this.armed = undefined;
  }
}

/** Works through `queue` strictly one item at a time, in order; the item leaves the queue only when done. */
export function drainInOrder<T>(queue: T[], work: (item: T) => Promise<void>): { busy: boolean } {
  const state = { busy: false };
  void (async () => {
    for (;;) {
      await condition(() => queue.length > 0);
      state.busy = true;
      await work(queue[0]!);
      queue.shift();
      state.busy = false;
    }
  })();
  return state;
}
