import { EventSource } from 'eventsource';
import { useEffect, useState } from 'preact/hooks';
import { apiKey, ApiProblem } from './api';

/** An RFC 9457 problem body from the API (a refusal, or a `problem` event's data) as the console shows it. */
export const problemFrom = (body: Record<string, unknown>, status: number) =>
  new ApiProblem(Number(body.status ?? status), String(body.code ?? 'error'), String(body.title ?? `The connector answered ${status}`), body.detail as string | undefined, body);

/**
 * An event source on `path` sending the API key. The browser's own EventSource cannot send it, so the `eventsource`
 * package streams over fetch with the header; it reconnects by itself when the connection drops. `onTrouble` gets the
 * problem to show when the stream breaks: the refusal (401, 403, 404, 429…) once it has ended, else "reconnecting".
 */
export function liveSource(path: string, onTrouble: (problem: ApiProblem) => void): EventSource {
  let refusal: ApiProblem | undefined;
  const source = new EventSource(path, {
    fetch: async (input, init) => {
      const response = await fetch(input, { ...init, headers: { ...init.headers, authorization: `Bearer ${apiKey.get() ?? ''}` } });
      if (!response.ok) refusal = problemFrom((await response.clone().json().catch(() => ({}))) as Record<string, unknown>, response.status);
      return response;
    },
  });
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) onTrouble(refusal ?? new ApiProblem(0, 'network', 'The live view stopped', 'Reload the page to try again.', {}));
    else onTrouble(new ApiProblem(0, 'network', 'The connector cannot be reached', 'Reconnecting…', {}));
  });
  return source;
}

/**
 * What `path` (a /v1/console/live stream of one topic) shows now, pushed by server-sent events as it changes. A
 * refusal (401, 403, 404) ends the stream with its problem. The inbox uses one stream for the page instead
 * (`page-stream.ts`).
 */
export function useLive<T>(path: string | null): { data: T | undefined; problem: ApiProblem | undefined } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [problem, setProblem] = useState<ApiProblem | undefined>(undefined);
  useEffect(() => {
    setData(undefined);
    setProblem(undefined);
    if (!path) return;
    const source = liveSource(path, setProblem);
    source.addEventListener('snapshot', (event) => {
      setData(JSON.parse(event.data) as T);
      setProblem(undefined);
    });
    source.addEventListener('problem', (event) => setProblem(problemFrom(JSON.parse(event.data) as Record<string, unknown>, 500)));
    return () => source.close();
  }, [path]);
  return { data, problem };
}
