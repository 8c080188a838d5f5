/**
 * SIP over TLS (RFC 3261 §26.2, RFC 5630), as Meta's SIP servers need it: they connect to the hostname configured on
 * the business number and check that our certificate covers it, present no client certificate (so we request none),
 * and present one covering `wa.meta.vc` when we connect to them (business-initiated calls), which we verify against
 * Node's CAs. https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/sip/
 * No ALPN is offered: Meta's server answers an offered `sip` protocol with alert 120 (livekit/sip issue 685).
 */
import { readFileSync } from 'node:fs';
import { isIP, type Socket } from 'node:net';
import { connect, createServer, rootCertificates, type Server, type TLSSocket } from 'node:tls';

/** What the transport needs for TLS. */
export interface SipTlsOptions {
  /** A listener for the far end's connections (Meta's INVITEs); absent: we only connect out. */
  listen?: { cert: string; key: string; port: number };
  /** PEM certificates trusted besides Node's own CAs when we connect out (a private CA, tests). */
  ca?: string[];
}

/** The TLS settings (lib/config.ts names). */
export interface SipTlsSettings {
  /** PEM certificate chain of our hostname: the one Meta's settings name (`sip.servers[].hostname`). */
  SIP_TLS_CERT_FILE?: string | undefined;
  /** Its private key (PEM). */
  SIP_TLS_KEY_FILE?: string | undefined;
  /** The TLS listener's port (default 5061; 0 = any free port). */
  SIP_TLS_PORT?: number | undefined;
  /** PEM file of CAs trusted besides Node's own, for our outbound TLS connections. */
  SIP_TLS_CA_FILE?: string | undefined;
}

/** How long a client may take to finish its handshake before it is dropped (Node's default is 120 s). */
const HANDSHAKE_TIMEOUT_MS = 10_000;

function readPem(name: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${name}: cannot read ${path} (${(err as Error).message})`);
  }
}

/**
 * The transport's TLS options from the settings, files read now: undefined when nothing is configured (no listener,
 * outbound TLS with Node's CAs still works). Throws, naming the setting, when a file cannot be read or when only one
 * of SIP_TLS_CERT_FILE and SIP_TLS_KEY_FILE is set.
 */
export function sipTlsFrom(settings: SipTlsSettings): SipTlsOptions | undefined {
  const { SIP_TLS_CERT_FILE: certFile, SIP_TLS_KEY_FILE: keyFile, SIP_TLS_CA_FILE: caFile } = settings;
  if (Boolean(certFile) !== Boolean(keyFile)) throw new Error('SIP_TLS_CERT_FILE and SIP_TLS_KEY_FILE are set together or not at all');
  const listen = certFile && keyFile
    ? { cert: readPem('SIP_TLS_CERT_FILE', certFile), key: readPem('SIP_TLS_KEY_FILE', keyFile), port: settings.SIP_TLS_PORT ?? 5061 }
    : undefined;
  const ca = caFile ? [readPem('SIP_TLS_CA_FILE', caFile)] : undefined;
  if (!listen && !ca) return undefined;
  return { ...(listen ? { listen } : {}), ...(ca ? { ca } : {}) };
}

/** Opens the TLS listener; resolves with the port bound. The key or certificate being unusable throws here. */
export function listenTls(host: string, listen: NonNullable<SipTlsOptions['listen']>): Promise<{ server: Server; port: number }> {
  // requestCert false: Meta does no mutual TLS and asks that its servers not be asked for a client certificate.
  const server = createServer({ cert: listen.cert, key: listen.key, requestCert: false, handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, host, () => {
      server.off('error', reject);
      resolve({ server, port: (server.address() as { port: number }).port });
    });
  });
}

/**
 * A TLS connection to `host:port`, the server's certificate verified against Node's CAs (and `ca`) and the host
 * (SNI and name check for a hostname, the IP address SAN for an address). Emits `secureConnect` or `error`.
 */
export function connectTls(host: string, port: number, ca?: string[]): TLSSocket {
  return connect({
    host,
    port,
    ...(isIP(host) ? {} : { servername: host }),
    ...(ca ? { ca: [...rootCertificates, ...ca] } : {}),
    rejectUnauthorized: true,
  });
}

/** How many calls' connections are remembered at most (the oldest are forgotten first). */
const MAX_REMEMBERED_CALLS = 10_000;

/**
 * The TLS connections the far end opened to us, by the Call-IDs of the requests that came on them. Our own requests
 * in those calls (a BYE when the agent hangs up, a relayed re-INVITE) go back on the connection Meta opened while it
 * is open; a new connection to Meta's Contact would need Meta's certificate to cover the Contact's host, which an
 * address may not be. This is not RFC 5923's `alias` (any request to the initiator's name, which needs its
 * certificate, and Meta presents none): it is scoped to the calls whose requests came on the connection.
 */
export class CallConnections {
  private readonly byCall = new Map<string, Socket>();

  /** A request of `callId` arrived on `socket`, a connection the far end opened. */
  remember(callId: string, socket: Socket): void {
    if (!callId || socket.destroyed) return;
    if (this.byCall.get(callId) === socket) return;
    this.byCall.delete(callId);
    this.byCall.set(callId, socket);
    if (this.byCall.size > MAX_REMEMBERED_CALLS) this.byCall.delete(this.byCall.keys().next().value!);
    socket.once('close', () => {
      if (this.byCall.get(callId) === socket) this.byCall.delete(callId);
    });
  }

  /** The open connection the far end opened for this call, if any. */
  find(callId: string): Socket | undefined {
    const socket = this.byCall.get(callId);
    return socket && !socket.destroyed && socket.writable ? socket : undefined;
  }
}
