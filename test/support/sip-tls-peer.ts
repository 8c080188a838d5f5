/**
 * A SIP peer over TLS built on Node's `tls` client, for what sipp cannot do here (the installed sipp 3.6.1 is built
 * without TLS): it plays Meta's SIP server connecting to the connector's TLS listener. It writes raw bytes as given
 * (so a test controls how messages fall into TLS records) and reads the stream with the connector's own framer.
 */
import { connect, type TLSSocket } from 'node:tls';
import { isResponse, parseMessage, SipStreamFramer, type SipMessage, type SipResponse } from '../../integrations/sip/sip.message';

export interface TlsSipPeer {
  socket: TLSSocket;
  /** Every message received so far, in order. */
  received: SipMessage[];
  /** Writes these bytes as one `write` (one TLS record up to 16 kB). */
  write(bytes: string | Buffer): Promise<void>;
  /** The next received message (after `from`, an index into `received`) that matches, within `timeoutMs`. */
  next(match: (message: SipMessage) => boolean, timeoutMs?: number, from?: number): Promise<SipMessage>;
  /** The next response with this status. */
  response(status: number, timeoutMs?: number): Promise<SipResponse>;
  close(): void;
}

/** Connects and completes the handshake, trusting `ca`; `servername` is what the certificate must cover. */
export function connectTlsPeer(port: number, ca: string, servername = 'localhost'): Promise<TlsSipPeer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: [ca], servername });
    const received: SipMessage[] = [];
    const waiters = new Set<() => void>();
    const framer = new SipStreamFramer();
    socket.on('data', (chunk: Buffer) => {
      for (const frame of framer.push(chunk)) received.push(parseMessage(frame));
      for (const wake of waiters) wake();
    });
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      const next = (match: (message: SipMessage) => boolean, timeoutMs = 15_000, from = 0) =>
        new Promise<SipMessage>((found, fail) => {
          const look = () => {
            const hit = received.slice(from).find(match);
            if (!hit) return;
            waiters.delete(look);
            clearTimeout(timer);
            found(hit);
          };
          const timer = setTimeout(() => {
            waiters.delete(look);
            fail(new Error(`no matching SIP message in ${timeoutMs} ms; received: ${received.map((m) => (isResponse(m) ? m.status : m.method)).join(', ')}`));
          }, timeoutMs);
          waiters.add(look);
          look();
        });
      resolve({
        socket,
        received,
        write: (bytes) => new Promise((done, fail) => socket.write(bytes, (err) => (err ? fail(err) : done()))),
        next,
        response: (status, timeoutMs) => next((m) => isResponse(m) && m.status === status, timeoutMs) as Promise<SipResponse>,
        close: () => socket.destroy(),
      });
    });
  });
}
