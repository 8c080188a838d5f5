/**
 * Faults a test or benchmark injects into the simulated broker: an HTTP error answer (a Cloud API error code), a
 * request never answered, a slow answer, or a webhook delivered twice. Each fault is used `times` times, first
 * matching one first; an `http` fault may be limited to one recipient (`to`) or message type.
 */

/** One injected fault (POST /_sim/faults takes the same JSON). */
export type Fault =
  | { kind: 'http'; status: number; code?: number; times: number; match?: { to?: string; type?: string } }
  | { kind: 'timeout'; times: number; holdMs?: number }
  | { kind: 'slow'; delayMs: number; times: number }
  | { kind: 'duplicateWebhooks'; times: number };

/** The simulator's list of pending faults. */
export function createFaults() {
  let faults: Fault[] = [];

  /** Takes one use of the first fault of `kind` that matches the send body, if any. */
  function take<K extends Fault['kind']>(kind: K, body?: { to?: string; type?: string }): Extract<Fault, { kind: K }> | undefined {
    const fault = faults.find(
      (f) => f.kind === kind && f.times > 0 && (f.kind !== 'http' || !f.match || ((!f.match.to || f.match.to === body?.to) && (!f.match.type || f.match.type === body?.type))),
    );
    if (!fault) return undefined;
    fault.times -= 1;
    return fault as Extract<Fault, { kind: K }>;
  }

  return {
    take,
    /** Adds a fault (a copy, so the caller's object is not used up). */
    add: (fault: Fault): void => void faults.push({ ...fault }),
    clear: (): void => void (faults = []),
    list: (): Fault[] => faults,
  };
}

/** The pending faults and their operations (take, add, clear, list). */
export type Faults = ReturnType<typeof createFaults>;
