/**
 * Client transactions (RFC 3261 §17.1): retransmission over UDP (Timer A for INVITE, E for the rest), the
 * transaction timeouts (Timers B and F, 64·T1), the ACK of a non-2xx final answer, and Timer D, during which a
 * retransmitted final answer is ACKed again. Responses are matched by top Via branch and CSeq method (§17.1.3).
 * Unlike a provisional-blind timer, Timer B stops once the INVITE has a provisional answer: from then on the
 * caller bounds the wait (and CANCELs).
 */
import { sipResponses } from '../../lib/metrics';
import { buildFailureAck, type SipHop } from './sip.dialog';
import { parseCSeq, parseVia } from './sip.headers';
import { header, headerValues, type SipRequest, type SipResponse } from './sip.message';
import type { SipTransport } from './sip.transport';

export type TransactionResult =
  | { kind: 'final'; response: SipResponse }
  | { kind: 'timeout' }
  | { kind: 'transportError'; error: Error };

export interface ClientTransaction {
  readonly result: Promise<TransactionResult>;
  /** The first provisional (1xx) answer, once one has arrived. */
  readonly provisional: SipResponse | undefined;
  /** Stops retransmitting and forgets the transaction; a pending result resolves as a timeout. */
  abandon(): void;
}

export interface TransactionTimers {
  /** RTT estimate (§17.1.1.1), 500 ms by default. */
  t1Ms: number;
  /** Longest retransmit interval for non-INVITE requests, 4 s by default. */
  t2Ms: number;
}

export interface TransactionLayer {
  /** `onProvisional` hears every 1xx above 100 (a bridged call relays 180/183 to its caller). */
  start(request: SipRequest, hop: SipHop, onProvisional?: (response: SipResponse) => void): ClientTransaction;
  /** Hands a response to its transaction; false when none matches (a stray, or a retransmitted 2xx). */
  receive(response: SipResponse): boolean;
  /** Stops every timer. */
  close(): void;
}

/** Timer D: how long a completed INVITE transaction keeps ACKing retransmitted final answers over UDP. */
const TIMER_D_MS = 32_000;

function keyOf(message: SipRequest | SipResponse): string | undefined {
  const via = headerValues(message, 'Via')[0];
  const cseq = header(message, 'CSeq');
  if (!via || !cseq) return undefined;
  try {
    return `${parseVia(via).params.branch} ${parseCSeq(cseq).method}`;
  } catch {
    return undefined;
  }
}

export function createTransactionLayer(transport: Pick<SipTransport, 'send'>, timers: TransactionTimers): TransactionLayer {
  const live = new Map<string, (response: SipResponse) => void>();
  const lingering = new Set<NodeJS.Timeout>();
  const abandons = new Set<() => void>();

  function start(request: SipRequest, hop: SipHop, onProvisional?: (response: SipResponse) => void): ClientTransaction {
    const found = keyOf(request);
    if (!found) throw new Error('request without Via branch or CSeq');
    const key: string = found;
    const invite = request.method === 'INVITE';
    const reliable = hop.transport !== 'udp';
    let settle!: (result: TransactionResult) => void;
    const result = new Promise<TransactionResult>((resolve) => (settle = resolve));
    let done = false;
    let provisional: SipResponse | undefined;
    let interval = timers.t1Ms;
    let retransmit: NodeJS.Timeout | undefined;

    const finish = (outcome: TransactionResult, forget = true) => {
      clearTimeout(retransmit);
      clearTimeout(timeout);
      if (forget && live.get(key) === onResponse) live.delete(key);
      abandons.delete(abandon);
      if (done) return;
      done = true;
      sipResponses.inc({ method: request.method, code: outcome.kind === 'final' ? String(outcome.response.status) : outcome.kind });
      settle(outcome);
    };
    const send = () => transport.send(request, hop).catch((error: Error) => finish({ kind: 'transportError', error }));
    const schedule = () => {
      if (reliable || done) return;
      retransmit = setTimeout(() => {
        void send();
        interval = invite ? interval * 2 : Math.min(interval * 2, timers.t2Ms);
        schedule();
      }, interval);
    };
    const timeout = setTimeout(() => finish({ kind: 'timeout' }), 64 * timers.t1Ms);

    function onResponse(response: SipResponse): void {
      if (response.status < 200) {
        if (done) return;
        provisional ??= response;
        if (response.status > 100) onProvisional?.(response);
        if (invite) {
          // Proceeding (§17.1.1.2): no more retransmissions, and no Timer B; the caller decides when to CANCEL.
          clearTimeout(retransmit);
          clearTimeout(timeout);
        } else if (!reliable) {
          interval = timers.t2Ms;
        }
        return;
      }
      if (invite && response.status >= 300) {
        // Completed: ACK this copy and every retransmission of it until Timer D fires.
        void transport.send(buildFailureAck(request, response), hop).catch(() => undefined);
        if (!done && !reliable) {
          const timerD = setTimeout(() => {
            lingering.delete(timerD);
            if (live.get(key) === onResponse) live.delete(key);
          }, TIMER_D_MS);
          timerD.unref();
          lingering.add(timerD);
          finish({ kind: 'final', response }, false);
          return;
        }
      }
      finish({ kind: 'final', response });
    }

    const abandon = () => finish({ kind: 'timeout' });
    abandons.add(abandon);
    live.set(key, onResponse);
    void send();
    schedule();
    return {
      result,
      get provisional() {
        return provisional;
      },
      abandon,
    };
  }

  return {
    start,
    receive(response) {
      const key = keyOf(response);
      const handler = key === undefined ? undefined : live.get(key);
      if (!handler) return false;
      handler(response);
      return true;
    },
    close() {
      for (const abandon of abandons) abandon();
      for (const timer of lingering) clearTimeout(timer);
      lingering.clear();
      live.clear();
    },
  };
}
