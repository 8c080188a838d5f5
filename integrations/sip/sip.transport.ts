/**
 * SIP over UDP and TCP on one local port (RFC 3261 §18), and over TLS on a port of its own when a certificate is
 * configured (§26.2.1; port 5061 by default, §19.1.2): a datagram is a message; a TCP or TLS stream is cut into
 * messages by Content-Length in bytes. Outbound TCP and TLS connections are kept per peer and reused; requests may
 * arrive on them as well as on our listeners (the far end's BYE often comes back on the connection the INVITE used).
 * Meta's SIP servers speak TLS only, check that our certificate covers the hostname configured on the number, and
 * never present a client certificate (no mutual TLS):
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/sip/
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { SipHop, SipTransportName } from './sip.dialog';
import { header, isResponse, parseMessage, serializeMessage, SipStreamFramer, type SipMessage } from './sip.message';
import { CallConnections, connectTls, listenTls, type SipTlsOptions } from './sip.tls';

/** A message received, with where it came from and a way to answer on the same path. */
export interface Inbound {
  message: SipMessage;
  source: SipHop;
  reply(message: SipMessage): Promise<void>;
}

export interface SipTransport {
  host: string;
  port: number;
  /** The TLS listener's port, when `tls.listen` was given. */
  tlsPort?: number;
  send(message: SipMessage, to: SipHop): Promise<void>;
  close(): Promise<void>;
}

export interface TransportOptions {
  host: string;
  /** 0 = any free port (the same one for UDP and TCP). */
  port: number;
  onMessage(inbound: Inbound): void;
  /** A datagram or stream that is not SIP, or a failed TLS handshake; it is dropped (the stream closed). */
  onMalformed(error: Error, source: SipHop): void;
  /** TLS: a listener (certificate and key), the CAs our connections trust; absent: no TLS at all. */
  tls?: SipTlsOptions;
}

function listenTcp(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

function bindUdp(socket: UdpSocket, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

/** Binds TCP then UDP on the same port; with port 0, tries again when UDP finds the TCP port taken. */
async function bindBoth(host: string, port: number): Promise<{ server: Server; udp: UdpSocket; port: number }> {
  for (let tries = 0; ; tries++) {
    const server = createServer();
    const udp = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
    const bound = await listenTcp(server, host, port);
    try {
      await bindUdp(udp, host, bound);
      return { server, udp, port: bound };
    } catch (err) {
      server.close();
      udp.close();
      if (port !== 0 || tries >= 5) throw err;
    }
  }
}

export async function openSipTransport(options: TransportOptions): Promise<SipTransport> {
  const { server, udp, port } = await bindBoth(options.host, options.port);
  const streams = new Set<Socket>();
  const outbound = new Map<string, Promise<Socket>>();
  const secure = options.tls?.listen ? await listenTls(options.host, options.tls.listen) : undefined;
  const calls = new CallConnections();

  const deliver = (data: Buffer, source: SipHop, reply: (message: SipMessage) => Promise<void>): SipMessage | undefined => {
    let message: SipMessage;
    try {
      message = parseMessage(data);
    } catch (err) {
      options.onMalformed(err as Error, source);
      return undefined;
    }
    options.onMessage({ message, source, reply });
    return message;
  };

  const sendUdp = (message: SipMessage, host: string, toPort: number) =>
    new Promise<void>((resolve, reject) => udp.send(serializeMessage(message), toPort, host, (err) => (err ? reject(err) : resolve())));
  const write = (socket: Socket, message: SipMessage) =>
    new Promise<void>((resolve, reject) => socket.write(serializeMessage(message), (err) => (err ? reject(err) : resolve())));

  /** Reads SIP off a TCP or TLS connection, ours or accepted (`accepted`: its calls' requests of ours go back on it). */
  const adopt = (socket: Socket, transport: SipTransportName, onClose?: () => void, accepted = false) => {
    streams.add(socket);
    socket.setNoDelay(true);
    const framer = new SipStreamFramer();
    const source: SipHop = { host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0, transport };
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = framer.push(chunk);
      } catch (err) {
        options.onMalformed(err as Error, source);
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        const message = deliver(frame, source, (answer) => write(socket, answer));
        if (accepted && message && !isResponse(message)) calls.remember(header(message, 'Call-ID') ?? '', socket);
      }
    });
    socket.on('error', () => undefined); // 'close' follows; a pending send sees the error itself
    socket.on('close', () => {
      streams.delete(socket);
      onClose?.();
    });
  };

  udp.on('message', (data, remote) => {
    const source: SipHop = { host: remote.address, port: remote.port, transport: 'udp' };
    deliver(data, source, (message) => sendUdp(message, remote.address, remote.port));
  });
  server.on('connection', (socket) => adopt(socket, 'tcp'));
  secure?.server.on('secureConnection', (socket) => adopt(socket, 'tls', undefined, true));
  // A client that fails the handshake (plain TCP, an old protocol, garbage) is dropped; nothing else changes.
  secure?.server.on('tlsClientError', (err, socket) =>
    options.onMalformed(err, { host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0, transport: 'tls' }),
  );
  // An accept failure (out of file descriptors) is reported, not thrown: an 'error' without a listener ends the process.
  secure?.server.on('error', (err) => options.onMalformed(err, { host: options.host, port: secure.port, transport: 'tls' }));

  const connection = (to: SipHop): Promise<Socket> => {
    const key = `${to.transport}|${to.host}|${to.port}`;
    let pending = outbound.get(key);
    if (!pending) {
      pending = new Promise<Socket>((resolve, reject) => {
        const socket = to.transport === 'tls' ? connectTls(to.host, to.port, options.tls?.ca) : connect({ host: to.host, port: to.port });
        socket.once(to.transport === 'tls' ? 'secureConnect' : 'connect', () => {
          socket.off('error', reject);
          adopt(socket, to.transport, () => outbound.delete(key));
          resolve(socket);
        });
        socket.once('error', (err) => {
          outbound.delete(key);
          reject(err);
        });
      });
      outbound.set(key, pending);
    }
    return pending;
  };

  return {
    host: options.host,
    port,
    ...(secure ? { tlsPort: secure.port } : {}),
    async send(message, to) {
      if (to.transport === 'udp') return sendUdp(message, to.host, to.port);
      const theirs = to.transport === 'tls' && !isResponse(message) ? calls.find(header(message, 'Call-ID') ?? '') : undefined;
      return write(theirs ?? (await connection(to)), message);
    },
    async close() {
      for (const socket of streams) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => server.close(() => resolve())),
        new Promise<void>((resolve) => udp.close(() => resolve())),
        ...(secure ? [new Promise<void>((resolve) => secure.server.close(() => resolve()))] : []),
      ]);
    },
  };
}

