/**
 * One MSRP session over one TCP connection that we open (RFC 4975 §5.4: the offerer is the active endpoint):
 * SEND with Message-ID, Byte-Range and chunking, waiting for each chunk's 200 and for the Success-Report REPORT;
 * the peer's SENDs reassembled from their chunks and answered (a response per chunk, a REPORT when asked for).
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { formatByteRange, msrpHeader, MsrpFramer, parseByteRange, serializeMsrp, type MsrpHeaders, type MsrpRequest, type MsrpResponse } from './msrp.frame';
import { parseMsrpUri, type MsrpCall } from './msrp.sdp';

/** A complete message the peer sent (the agent writing). */
export interface MsrpIncoming {
  messageId: string;
  contentType: string;
  body: string;
}

/** How to answer it: `status` 200 taken, else refused with that code; `afterwards` runs once the answer is out. */
export interface MsrpAnswer {
  status: number;
  comment: string;
  afterwards?(): Promise<void>;
}

export type MsrpSendResult =
  | { kind: 'delivered' }
  /** The peer refused it (a 4xx response or a failure REPORT): final. */
  | { kind: 'refused'; status: number; comment: string }
  /** No answer, or the connection failed: worth sending again (same Message-ID). */
  | { kind: 'failed'; reason: string };

export interface MsrpOutgoing {
  messageId: string;
  contentType: string;
  body: Buffer;
  /** Extension headers (§9 `ext-header`), repeated on every chunk. */
  headers?: MsrpHeaders;
}

export interface MsrpSession {
  send(message: MsrpOutgoing): Promise<MsrpSendResult>;
  readonly closed: boolean;
  close(): void;
}

export interface MsrpSessionOptions {
  call: MsrpCall;
  onIncoming(message: MsrpIncoming): Promise<MsrpAnswer>;
  onClosed?(): void;
  /** §7.1: chunks of at most this many body bytes (2048 keeps each chunk small for interleaving). */
  chunkBytes?: number;
  /** How long a transaction waits for its response (§7.1: 30 s). */
  responseTimeoutMs?: number;
  /**
   * How long a sent message waits for its Success-Report REPORT after the last chunk's 200 (§7.1.3 says the receiver
   * MUST send it). Without one: delivered when we reached the endpoint directly (its 200 says it has the message),
   * failed (sent again) through a relay.
   */
  reportTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** The most body bytes one incoming message may hold (default {@link MSRP_MAX_MESSAGE_BYTES}). */
  maxMessageBytes?: number;
  logger?: Pick<Logger, 'warn' | 'debug'>;
}

/**
 * The most bytes of one message the agent sends that a session holds while its chunks arrive: a WhatsApp text reply
 * is at most 4,096 characters (the longer is refused anyway, 413), 4 bytes each at most in UTF-8, plus 4 KiB for a
 * `message/cpim` envelope. Past it the chunk is answered 413 (RFC 4975's "Stop-sending-message", as IANA's MSRP
 * status registry names it: https://www.iana.org/assignments/msrp-parameters/) and the chunks held are dropped, so an
 * agent's client cannot grow the worker's memory.
 */
export const MSRP_MAX_MESSAGE_BYTES = 4 * 4096 + 4096;
/** Refused messages remembered per session, so their later chunks are refused too, not taken as a new message. */
const REFUSED_KEPT = 256;

const newTransactionId = () => randomBytes(8).toString('hex'); // §7.1: at least 64 bits of randomness

/** Opens the connection to the first URI of the peer's path; rejects if it cannot be made. */
export async function openMsrpSession(options: MsrpSessionOptions): Promise<MsrpSession> {
  const { call, logger } = options;
  const chunkBytes = options.chunkBytes ?? 2048;
  const responseTimeoutMs = options.responseTimeoutMs ?? 30_000;
  const reportTimeoutMs = options.reportTimeoutMs ?? 15_000;
  const hop = parseMsrpUri(call.remotePath[0]!);
  const toPath = call.remotePath.join(' ');
  const ownSessionId = parseMsrpUri(call.localUri).sessionId;
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = connect({ host: hop.host, port: hop.port });
    const timer = setTimeout(() => s.destroy(new Error(`MSRP connect to ${hop.host}:${hop.port} timed out`)), options.connectTimeoutMs ?? 5_000);
    s.once('connect', () => (clearTimeout(timer), resolve(s)));
    s.once('error', (err) => (clearTimeout(timer), reject(err)));
  });
  socket.setNoDelay(true);
  let closed = false;
  const responses = new Map<string, (response: MsrpResponse | null) => void>();
  const reports = new Map<string, (status: { code: number; comment: string } | null) => void>();
  const incoming = new Map<string, { parts: Buffer[]; bytes: number; contentType: string }>();
  const maxMessageBytes = options.maxMessageBytes ?? MSRP_MAX_MESSAGE_BYTES;
  /** Message-IDs refused as too large whose last chunk has not come yet. */
  const tooLarge = new Set<string>();
  const framer = new MsrpFramer();

  const write = (frame: Parameters<typeof serializeMsrp>[0]) => {
    if (!closed) socket.write(serializeMsrp(frame));
  };
  const shut = () => {
    if (closed) return;
    closed = true;
    for (const settle of responses.values()) settle(null);
    for (const settle of reports.values()) settle(null);
    responses.clear();
    reports.clear();
    socket.destroy();
    options.onClosed?.();
  };
  socket.on('close', shut);
  socket.on('error', (err) => logger?.warn({ err, peer: call.remotePath[0] }, 'MSRP: connection failed'));

  /** The response to a request (§7.2): To-Path is the request's previous hop, From-Path us. */
  function respond(request: MsrpRequest, status: number, comment: string): void {
    const previous = (msrpHeader(request, 'From-Path') ?? '').split(/\s+/)[0] ?? '';
    write({ kind: 'response', transactionId: request.transactionId, status, comment, headers: [['To-Path', previous], ['From-Path', call.localUri]] });
  }

  function report(request: MsrpRequest, total: number): void {
    const messageId = msrpHeader(request, 'Message-ID')!;
    write({
      kind: 'request', transactionId: newTransactionId(), method: 'REPORT', continuation: '$',
      headers: [['To-Path', msrpHeader(request, 'From-Path') ?? ''], ['From-Path', call.localUri], ['Message-ID', messageId],
        ['Byte-Range', formatByteRange({ start: 1, end: total, total })], ['Status', '000 200 OK']],
    });
  }

  async function onSend(request: MsrpRequest): Promise<void> {
    const toPath = (msrpHeader(request, 'To-Path') ?? '').split(/\s+/);
    const failureReport = (msrpHeader(request, 'Failure-Report') ?? 'yes').toLowerCase();
    const answer = (status: number, comment: string) => {
      // §7.1.2: Failure-Report `no` wants no responses at all, `partial` only failures.
      if (failureReport === 'no' || (failureReport === 'partial' && status === 200)) return;
      respond(request, status, comment);
    };
    const ours = toPath.at(-1) ? (() => { try { return parseMsrpUri(toPath.at(-1)!).sessionId === ownSessionId; } catch { return false; } })() : false;
    if (!ours) return answer(481, 'Session Does Not Exist');
    const messageId = msrpHeader(request, 'Message-ID');
    if (!messageId) return answer(400, 'Message-ID Missing');
    if (request.body === undefined) return answer(200, 'OK'); // a bodiless SEND: a keep-alive or a binding, §7.1.1
    const range = parseByteRange(msrpHeader(request, 'Byte-Range'));
    const held = incoming.get(messageId) ?? { parts: [], bytes: 0, contentType: msrpHeader(request, 'Content-Type') ?? 'text/plain' };
    // Chunks arrive in order on one connection (§5.1); a chunk restarting at 1 starts the message afresh.
    if (range.start === 1) {
      held.parts = [];
      held.bytes = 0;
      tooLarge.delete(messageId);
    }
    // Too large, by its announced total or by what has come: 413 for this chunk and the rest of the message, and the
    // chunks held go. Every message held counts: many messages just under the bound are refused alike.
    const holding = [...incoming.values()].reduce((sum, h) => sum + h.bytes, 0) - (incoming.has(messageId) ? held.bytes : 0);
    const over = (typeof range.total === 'number' && range.total > maxMessageBytes) || held.bytes + request.body.length > maxMessageBytes || holding + held.bytes + request.body.length > 4 * maxMessageBytes;
    if (tooLarge.has(messageId) || over) {
      incoming.delete(messageId);
      if (request.continuation === '+') tooLarge.add(messageId);
      else tooLarge.delete(messageId);
      if (tooLarge.size > REFUSED_KEPT) tooLarge.delete(tooLarge.values().next().value!);
      if (over) logger?.warn({ messageId, maxMessageBytes }, 'MSRP: the agent\'s message is over the size bound; refused 413');
      return answer(413, 'Request Entity Too Large');
    }
    held.parts.push(request.body);
    held.bytes += request.body.length;
    incoming.set(messageId, held);
    if (request.continuation === '#') {
      incoming.delete(messageId);
      return answer(200, 'OK');
    }
    if (request.continuation === '+') return answer(200, 'OK');
    incoming.delete(messageId);
    const body = Buffer.concat(held.parts);
    let decision: MsrpAnswer;
    try {
      decision = await options.onIncoming({ messageId, contentType: held.contentType, body: body.toString('utf8') });
    } catch (err) {
      logger?.warn({ err, messageId }, 'MSRP: the agent\'s message was not handled');
      decision = { status: 408, comment: 'Not Handled, Send Again' };
    }
    answer(decision.status, decision.comment);
    if (decision.status === 200 && (msrpHeader(request, 'Success-Report') ?? 'no').toLowerCase() === 'yes') report(request, body.length);
    await decision.afterwards?.().catch((err: unknown) => logger?.warn({ err, messageId }, 'MSRP: notice for the agent not queued'));
  }

  socket.on('data', (data: Buffer) => {
    let frames;
    try {
      frames = framer.push(data);
    } catch (err) {
      logger?.warn({ err, peer: call.remotePath[0] }, 'MSRP: malformed data; closing the connection');
      return shut();
    }
    for (const frame of frames) {
      if (frame.kind === 'response') {
        responses.get(frame.transactionId)?.(frame);
      } else if (frame.method === 'SEND') {
        void onSend(frame).catch((err: unknown) => {
          logger?.warn({ err }, 'MSRP: a SEND could not be read');
          respond(frame, 400, 'Bad Request');
        });
      } else if (frame.method === 'REPORT') {
        // §7.1.2: REPORTs are never answered.
        const status = /^\d{3} (\d{3})(?: (.*))?$/.exec(msrpHeader(frame, 'Status') ?? '');
        reports.get(msrpHeader(frame, 'Message-ID') ?? '')?.(status ? { code: Number(status[1]), comment: status[2] ?? '' } : null);
      } else {
        respond(frame, 501, 'Not Implemented');
      }
    }
  });

  function transaction(request: MsrpRequest): Promise<MsrpResponse | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(null), responseTimeoutMs);
      const settle = (response: MsrpResponse | null) => {
        clearTimeout(timer);
        responses.delete(request.transactionId);
        resolve(response);
      };
      responses.set(request.transactionId, settle);
      write(request);
    });
  }

  async function send(message: MsrpOutgoing): Promise<MsrpSendResult> {
    if (closed) return { kind: 'failed', reason: 'connection closed' };
    const total = message.body.length;
    let settleReport!: (status: { code: number; comment: string } | null) => void;
    const reported = new Promise<{ code: number; comment: string } | null>((resolve) => (settleReport = resolve));
    reports.set(message.messageId, settleReport);
    try {
      for (let offset = 0; offset === 0 || offset < total; offset += chunkBytes) {
        const chunk = message.body.subarray(offset, offset + chunkBytes);
        const last = offset + chunkBytes >= total;
        const response = await transaction({
          kind: 'request', transactionId: newTransactionId(), method: 'SEND', continuation: last ? '$' : '+', body: chunk,
          headers: [['To-Path', toPath], ['From-Path', call.localUri], ['Message-ID', message.messageId], ['Success-Report', 'yes'],
            ['Byte-Range', formatByteRange({ start: offset + 1, end: offset + chunk.length, total })], ...(message.headers ?? []),
            ['Content-Type', message.contentType]],
        });
        if (!response) return { kind: 'failed', reason: closed ? 'connection closed' : `no response in ${responseTimeoutMs} ms` };
        if (response.status !== 200) return { kind: 'refused', status: response.status, comment: response.comment };
      }
      const timer = setTimeout(() => settleReport(null), reportTimeoutMs);
      const status = await reported.finally(() => clearTimeout(timer));
      if (!status && !closed && call.remotePath.length === 1) {
        // Straight to the endpoint (no relay), its 200 to the last chunk already says it has the whole message.
        logger?.warn({ messageId: message.messageId, peer: call.remotePath[0] }, 'MSRP: no success report although asked for; the 200 counts');
        return { kind: 'delivered' };
      }
      if (!status) return { kind: 'failed', reason: closed ? 'connection closed' : 'no Success-Report' };
      return status.code === 200 ? { kind: 'delivered' } : { kind: 'refused', status: status.code, comment: status.comment };
    } finally {
      reports.delete(message.messageId);
    }
  }

  return {
    send,
    get closed() {
      return closed;
    },
    close: shut,
  };
}
