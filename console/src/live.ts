import { EventSource } from 'eventsource';
import { useEffect, useState } from 'preact/hooks';
import { apiKey, ApiProblem } from './api';

const problemFrom = (body: Record<string, unknown>, status: number) =>
  new ApiProblem(Number(body.status ?? status), String(body.code ?? 'error'), String(body.title ?? `The connector answered ${status}`), body.detail as string | undefined, body);

/**
 * What `path` (a /v1/console/live stream) shows now, pushed by server-sent events as it changes. The browser's
 * own EventSource cannot send the API key, so the `eventsource` package streams over fetch with the header; it
 * reconnects by itself when the connection drops. A refusal (401, 403, 404) ends the stream with its problem.
 */
export function useLive<T>(path: string | null): { data: T | undefined; problem: ApiProblem | undefined } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [problem, setProblem] = useState<ApiProblem | undefined>(undefined);
  useEffect(() => {
    setData(undefined);
    setProblem(undefined);
    if (!path) return;
    let refusal: ApiProblem | undefined;
    const source = new EventSource(path, {
      fetch: async (input, init) => {
        const response = await fetch(input, { ...init, headers: { ...init.headers, authorization: `Bearer ${apiKey.get() ?? ''}` } });
        if (!response.ok) refusal = problemFrom((await response.clone().json().catch(() => ({}))) as Record<string, unknown>, response.status);
        return response;
      },
    });
    source.addEventListener('snapshot', (event) => {
      setData(JSON.parse(event.data) as T);
      setProblem(undefined);
    });
    source.addEventListener('problem', (event) => setProblem(problemFrom(JSON.parse(event.data) as Record<string, unknown>, 500)));
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CLOSED) setProblem(refusal ?? new ApiProblem(0, 'network', 'The live view stopped', 'Reload the page to try again.', {}));
      else setProblem(new ApiProblem(0, 'network', 'The connector cannot be reached', 'Reconnecting…', {}));
    });
    return () => source.close();
  }, [path]);
  return { data, problem };
}
