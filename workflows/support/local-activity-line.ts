/**
 * Runs a workflow's local activities one at a time, in the order they were asked for. Two local activities in flight
 * at once may complete in separate activations the first time and in one activation on replay (their markers sit side
 * by side in the history), so their continuations issue commands in another order and the replay fails as
 * nondeterministic. One at a time, every completion has an activation of its own, the first time and on replay.
 */
export class LocalActivityLine {
  private tail: Promise<unknown> = Promise.resolve();

  /** `serial` false keeps the old, concurrent behaviour for runs that began before this line existed. */
  constructor(private readonly serial: boolean) {}

  run<T>(call: () => Promise<T>): Promise<T> {
    if (!this.serial) return call();
    const result = this.tail.then(call);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** `activities` (a `proxyLocalActivities` proxy) with every call taken through this line. */
  through<A extends object>(activities: A): A {
    return new Proxy(activities, {
      get: (target, name) => {
        const activity = Reflect.get(target, name) as (...args: unknown[]) => Promise<unknown>;
        return (...args: unknown[]) => this.run(() => activity(...args));
      },
    });
  }
}
