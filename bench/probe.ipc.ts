/**
 * The benchmarks' probes (bench/*.probe.ts) answer over the IPC channel of the child process the benchmark spawned:
 * the parent sends `{ probe: name }`, the child answers `{ probe: name, ...read() }`. The channel is unreferenced at
 * both ends, so it keeps neither process alive: the connector exits on SIGTERM as it does in service, and the
 * benchmark when it is done.
 */
export function answerProbe(name: string, read: () => object): void {
  process.on('message', (message: { probe?: string }) => {
    if (message?.probe === name) process.send?.({ probe: name, ...read() });
  });
  process.channel?.unref();
}

/** Asks a child's probe for its reading (see {@link answerProbe}); rejects after `timeoutMs` without an answer. */
export function askProbe<T>(child: import('node:child_process').ChildProcess, name: string, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`probe ${name} of process ${child.pid} did not answer in ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (message: { probe?: string }) => {
      if (message?.probe !== name) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message as T);
    };
    child.on('message', onMessage);
    child.send({ probe: name });
  });
}
