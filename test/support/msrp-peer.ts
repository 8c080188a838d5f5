/**
 * A small MSRP peer (RFC 4975) on loopback playing the contact centre's side of a chat session: it listens where the
 * SDP answer's a=path says (the connector, the offerer, connects to it), records every frame it receives, answers
 * each SEND chunk 200 (or as a test asks), sends the Success-Report REPORT a complete message asks for, and writes
 * as the agent. Written apart from integrations/sip/msrp.* on purpose, from the RFC's examples, so a test does not
 * only show our code agreeing with itself.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';

export interface PeerFrame {
  kind: 'request' | 'response';
  transactionId: string;
  method?: string;
  status?: number;
  comment?: string;
  /** Header values by lower-case name. */
  headers: Record<string, string>;
  body?: Buffer;
  flag: string;
  /** The frame's text as received (latin1 for the body bytes). */
  raw: string;
  /** Which of the peer's accepted connections it came on (1, 2, …). */
  connection: number;
}

/** A complete message reassembled from SEND chunks, once per time its last chunk arrived. */
export interface PeerMessage {
  messageId: string;
  text: string;
  headers: Record<string, string>;
  chunks: PeerFrame[];
}

export interface MsrpPeer {
  /** The peer's MSRP URI, for the SDP answer's a=path. */
  path: string;
  frames: PeerFrame[];
  messages(): PeerMessage[];
  /** The next `count` SEND chunks are answered `status` (the sender's side stumbles). */
  refuseNext(count: number, status: number, comment: string): void;
  /** The next `count` SENDs are taken and the connection dropped at once, unanswered (the peer restarts). */
  dropNext(count: number): void;
  /**
   * The agent writes: one message (chunked at `chunkBytes`), sent `times` times with the same Message-ID, in the
   * session the connector last sent in, over the connection it used. `unknownTotal`: Byte-Range totals `*` (RFC 4975
   * §9: a sender that does not know the size yet), so the receiver learns it only from the chunks.
   */
  agentWrites(text: string, options?: { times?: number; chunkBytes?: number; messageId?: string; failureReport?: 'no' | 'partial'; unknownTotal?: boolean }): Promise<{ responses: PeerFrame[]; reports: PeerFrame[] }>;
  /** Resolves once `predicate` holds over the messages received (polled). */
  until(predicate: (messages: PeerMessage[]) => boolean, timeoutMs?: number): Promise<PeerMessage[]>;
  connections(): number;
  stop(): Promise<void>;
}

const SESSION = 'cc7h2kq9session';

function parseFrames(buffer: Buffer, connection: number): { frames: PeerFrame[]; rest: Buffer } {
  const frames: PeerFrame[] = [];
  for (;;) {
    const text = buffer.toString('latin1');
    const start = /^MSRP (\S+) ([^\r\n]+)\r\n/.exec(text);
    if (!start) return { frames, rest: buffer };
    const tid = start[1]!;
    const end = new RegExp(`\\r\\n-------${tid.replace(/[.+]/g, '\\$&')}([$+#])\\r\\n`).exec(text);
    if (!end) return { frames, rest: buffer };
    const whole = text.slice(0, end.index + end[0].length);
    const headEnd = whole.indexOf('\r\n\r\n');
    const hasBody = headEnd !== -1 && headEnd < end.index;
    const head = whole.slice(start[0].length, hasBody ? headEnd : end.index);
    const headers: Record<string, string> = {};
    for (const line of head.split('\r\n').filter(Boolean)) headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
    const rest = start[2]!;
    const response = /^(\d{3})(?: (.*))?$/.exec(rest);
    frames.push({
      kind: response ? 'response' : 'request',
      transactionId: tid,
      ...(response ? { status: Number(response[1]), comment: response[2] ?? '' } : { method: rest }),
      headers,
      ...(hasBody ? { body: Buffer.from(whole.slice(headEnd + 4, end.index), 'latin1') } : {}),
      flag: end[1]!,
      raw: whole,
      connection,
    });
    buffer = buffer.subarray(Buffer.byteLength(whole, 'latin1'));
  }
}

export async function startMsrpPeer(): Promise<MsrpPeer> {
  const frames: PeerFrame[] = [];
  const sockets: Socket[] = [];
  let refusals: { count: number; status: number; comment: string } = { count: 0, status: 200, comment: 'OK' };
  let drops = 0;
  const waiting = new Map<string, (frame: PeerFrame) => void>();
  const reports: PeerFrame[] = [];
  /** Where the connector's last SEND came from: its session's URI and the connection it used. */
  let last: { fromPath: string; socket: Socket } | undefined;
  let path = '';

  const write = (socket: Socket, lines: string[], body?: Buffer, flag = '$', tid = randomBytes(6).toString('hex')) => {
    const head = Buffer.from(lines.join('\r\n') + '\r\n', 'latin1');
    const parts = body ? [head, Buffer.from('\r\n'), body, Buffer.from(`\r\n-------${tid}${flag}\r\n`)] : [head, Buffer.from(`-------${tid}${flag}\r\n`)];
    socket.write(Buffer.concat(parts.map((p, i) => (i === 0 ? Buffer.concat([Buffer.from(`MSRP ${tid} `), p]) : p))));
    return tid;
  };

  const server: Server = createServer((socket) => {
    sockets.push(socket);
    const connection = sockets.length;
    let pending: Buffer = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('data', (data: Buffer) => {
      const parsed = parseFrames(Buffer.concat([pending, data]), connection);
      pending = parsed.rest;
      for (const frame of parsed.frames) {
        frames.push(frame);
        if (frame.kind === 'response') {
          waiting.get(frame.transactionId)?.(frame);
          continue;
        }
        if (frame.method === 'REPORT') {
          reports.push(frame);
          continue;
        }
        if (frame.headers['from-path']) last = { fromPath: frame.headers['from-path'], socket };
        if (frame.method === 'SEND' && drops > 0) {
          drops--;
          socket.destroy();
          return;
        }
        const [status, comment] = refusals.count > 0 ? (refusals.count--, [refusals.status, refusals.comment]) : [200, 'OK'];
        write(socket, [`${status} ${comment}`, `To-Path: ${frame.headers['from-path']}`, `From-Path: ${path}`], undefined, '$', frame.transactionId);
        if (status !== 200 || frame.flag !== '$' || frame.headers['success-report'] !== 'yes') continue;
        const total = /\/(\d+)$/.exec(frame.headers['byte-range'] ?? '')?.[1] ?? '0';
        write(socket, ['REPORT', `To-Path: ${frame.headers['from-path']}`, `From-Path: ${path}`, `Message-ID: ${frame.headers['message-id']}`, `Byte-Range: 1-${total}/${total}`, 'Status: 000 200 OK']);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  path = `msrp://127.0.0.1:${port}/${SESSION};tcp`;

  const messages = (): PeerMessage[] => {
    const result: PeerMessage[] = [];
    const open = new Map<string, PeerFrame[]>();
    for (const frame of frames) {
      if (frame.kind !== 'request' || frame.method !== 'SEND' || frame.body === undefined) continue;
      const id = frame.headers['message-id']!;
      const chunks = [...(frame.headers['byte-range']?.startsWith('1-') ? [] : open.get(id) ?? []), frame];
      open.set(id, chunks);
      if (frame.flag !== '$') continue;
      open.delete(id);
      result.push({ messageId: id, text: Buffer.concat(chunks.map((c) => c.body!)).toString('utf8'), headers: frame.headers, chunks });
    }
    return result;
  };

  return {
    path,
    frames,
    messages,
    refuseNext: (count, status, comment) => (refusals = { count, status, comment }),
    dropNext: (count) => (drops = count),
    connections: () => sockets.length,
    async agentWrites(text, options = {}) {
      // In the session the connector wrote in last, over the connection it used for it.
      if (!last) throw new Error('the connector has not connected yet');
      const { socket, fromPath } = last;
      const messageId = options.messageId ?? `agent-${randomBytes(5).toString('hex')}`;
      const body = Buffer.from(text, 'utf8');
      const size = options.chunkBytes ?? body.length;
      const responses: PeerFrame[] = [];
      for (let time = 0; time < (options.times ?? 1); time++) {
        for (let offset = 0; offset < body.length; offset += size) {
          const chunk = body.subarray(offset, offset + size);
          const last = offset + size >= body.length;
          const tid = randomBytes(6).toString('hex');
          const answered = new Promise<PeerFrame>((resolve) => waiting.set(tid, resolve));
          const failureReport = options.failureReport ? [`Failure-Report: ${options.failureReport}`] : [];
          write(socket, ['SEND', `To-Path: ${fromPath}`, `From-Path: ${path}`, `Message-ID: ${messageId}`, 'Success-Report: yes', ...failureReport,
            `Byte-Range: ${offset + 1}-${offset + chunk.length}/${options.unknownTotal ? '*' : body.length}`, 'Content-Type: text/plain'], chunk, last ? '$' : '+', tid);
          // Failure-Report no/partial (RFC 4975 §7.1.2) may get no response: wait a while, not forever.
          const response = options.failureReport ? await Promise.race([answered, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 3_000))]) : await answered;
          if (response) responses.push(response);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 200)); // a REPORT follows its 200
      return { responses, reports: reports.filter((r) => r.headers['message-id'] === messageId) };
    },
    async until(predicate, timeoutMs = 45_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(messages())) {
        if (Date.now() > deadline) throw new Error(`MSRP peer: condition not met; messages: ${JSON.stringify(messages().map((m) => m.text))}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return messages();
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
