import { LocalActivityLine } from '../../workflows/support/local-activity-line';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('LocalActivityLine', () => {
  it('starts each call only when the one before it has settled, in the order asked, past a failure', async () => {
    const line = new LocalActivityLine(true);
    const started: string[] = [];
    const first = deferred<string>();
    const second = deferred<string>();
    const a = line.run(() => (started.push('a'), first.promise));
    const b = line.run(() => (started.push('b'), second.promise));
    const c = line.run(async () => (started.push('c'), 'c'));
    await settle();
    expect(started).toEqual(['a']);
    first.reject(new Error('store down'));
    await expect(a).rejects.toThrow('store down');
    await settle();
    expect(started).toEqual(['a', 'b']);
    second.resolve('b');
    await expect(Promise.all([b, c])).resolves.toEqual(['b', 'c']);
    expect(started).toEqual(['a', 'b', 'c']);
  });

  it('runs calls at once, side by side, for runs from before the line (serial false)', async () => {
    const line = new LocalActivityLine(false);
    const started: string[] = [];
    const never = new Promise<string>(() => undefined);
    void line.run(() => (started.push('a'), never));
    void line.run(() => (started.push('b'), never));
    expect(started).toEqual(['a', 'b']);
  });

  it('takes every call of an activities proxy through the line', async () => {
    const line = new LocalActivityLine(true);
    const started: string[] = [];
    const first = deferred<string>();
    const activities = line.through({
      read: (id: string) => (started.push(`read ${id}`), first.promise),
      write: async (id: string) => (started.push(`write ${id}`), id),
    });
    const read = activities.read('a');
    const written = activities.write('b');
    await settle();
    expect(started).toEqual(['read a']);
    first.resolve('a');
    await expect(Promise.all([read, written])).resolves.toEqual(['a', 'b']);
    expect(started).toEqual(['read a', 'write b']);
  });
});
