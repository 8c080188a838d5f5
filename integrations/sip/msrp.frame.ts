/**
 * MSRP frames (RFC 4975 §7, §9): requests and responses with their end-line, bodies as bytes, and the framing of
 * the TCP stream (a frame ends at `-------<transaction-id>` plus `$`, `+` or `#`). Pure: no sockets, no clock.
 */

/** Header fields in order, names as sent. RFC 4975 §7.1: Content-Type, when present, is the last. */
export type MsrpHeaders = [name: string, value: string][];

/** `$` the message's last chunk, `+` more chunks follow, `#` the sender abandoned the message (§7.1). */
export type Continuation = '$' | '+' | '#';

export interface MsrpRequest {
  kind: 'request';
  transactionId: string;
  method: string;
  headers: MsrpHeaders;
  /** Absent: a request without a body (no Content-Type, the end-line right after the headers). */
  body?: Buffer;
  continuation: Continuation;
}

export interface MsrpResponse {
  kind: 'response';
  transactionId: string;
  status: number;
  comment: string;
  headers: MsrpHeaders;
}

export type MsrpFrame = MsrpRequest | MsrpResponse;

export class MsrpParseError extends Error {
  override name = 'MsrpParseError';
}

/** §9: a transaction id is 3 to 32 characters of ident (alphanumerics and `.-+%=`). */
const TRANSACTION_ID = /^[A-Za-z0-9][A-Za-z0-9.\-+%=]{3,31}$/;
const START = /^MSRP (\S+) (?:(\d{3})(?: (.*))?|([A-Z]+))$/;
/** A frame bigger than this (headers and one chunk) is refused: the peer is broken or hostile. */
const MAX_FRAME_BYTES = 1024 * 1024;
const CRLF = '\r\n';

/** The first value of a header, case-insensitively. */
export function msrpHeader(frame: Pick<MsrpFrame, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  return frame.headers.find(([n]) => n.toLowerCase() === wanted)?.[1];
}

/** The bytes of a frame as they go on the wire. */
export function serializeMsrp(frame: MsrpFrame): Buffer {
  const start = frame.kind === 'request'
    ? `MSRP ${frame.transactionId} ${frame.method}`
    : `MSRP ${frame.transactionId} ${frame.status}${frame.comment ? ` ${frame.comment}` : ''}`;
  const head = [start, ...frame.headers.map(([name, value]) => `${name}: ${value}`)].join(CRLF) + CRLF;
  const end = `-------${frame.transactionId}${frame.kind === 'request' ? frame.continuation : '$'}${CRLF}`;
  if (frame.kind === 'request' && frame.body !== undefined) {
    return Buffer.concat([Buffer.from(head + CRLF, 'utf8'), frame.body, Buffer.from(CRLF + end, 'utf8')]);
  }
  return Buffer.from(head + end, 'utf8');
}

function parseHeaders(text: string): MsrpHeaders {
  if (text === '') return [];
  return text.split(CRLF).map((line): [string, string] => {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MsrpParseError(`malformed header line: ${line.slice(0, 80)}`);
    return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
  });
}

/** Reads one frame from the head of `buffer`: the frame and the bytes it took, or null when more must arrive. */
export function readMsrpFrame(buffer: Buffer): { frame: MsrpFrame; length: number } | null {
  const firstEnd = buffer.indexOf(CRLF);
  if (firstEnd === -1) {
    if (buffer.length > 512) throw new MsrpParseError('no MSRP start line');
    return null;
  }
  const start = START.exec(buffer.subarray(0, firstEnd).toString('utf8'));
  if (!start || !TRANSACTION_ID.test(start[1]!)) throw new MsrpParseError(`not an MSRP start line: ${buffer.subarray(0, Math.min(firstEnd, 80)).toString('utf8')}`);
  const transactionId = start[1]!;
  const endLine = `${CRLF}-------${transactionId}`;
  // The headers end at a blank line (a body follows) or at the end-line (no body), whichever comes first.
  const blank = buffer.indexOf(CRLF + CRLF, firstEnd);
  const bare = buffer.indexOf(endLine, firstEnd);
  let headerText: string;
  let body: Buffer | undefined;
  let flagAt: number;
  if (bare !== -1 && (blank === -1 || bare < blank)) {
    headerText = buffer.subarray(firstEnd + 2, bare).toString('utf8');
    flagAt = bare + endLine.length;
  } else if (blank !== -1) {
    headerText = buffer.subarray(firstEnd + 2, blank).toString('utf8');
    const bodyStart = blank + 4;
    // An empty body: the end-line follows the blank line at once.
    const closing = buffer.subarray(bodyStart, bodyStart + endLine.length - 2).toString('utf8') === endLine.slice(2)
      ? bodyStart - 2
      : buffer.indexOf(endLine, bodyStart);
    if (closing === -1) return tooLong(buffer);
    body = buffer.subarray(bodyStart, Math.max(bodyStart, closing));
    flagAt = closing + endLine.length;
  } else {
    return tooLong(buffer);
  }
  if (buffer.length < flagAt + 3) return tooLong(buffer);
  const flag = String.fromCharCode(buffer[flagAt]!);
  if (!'$+#'.includes(flag) || buffer.subarray(flagAt + 1, flagAt + 3).toString('latin1') !== CRLF) {
    throw new MsrpParseError(`malformed end-line for ${transactionId}`);
  }
  const headers = parseHeaders(headerText);
  const length = flagAt + 3;
  if (start[2] !== undefined) return { frame: { kind: 'response', transactionId, status: Number(start[2]), comment: start[3] ?? '', headers }, length };
  return { frame: { kind: 'request', transactionId, method: start[4]!, headers, ...(body ? { body: Buffer.from(body) } : {}), continuation: flag as Continuation }, length };
}

function tooLong(buffer: Buffer): null {
  if (buffer.length > MAX_FRAME_BYTES) throw new MsrpParseError(`frame over ${MAX_FRAME_BYTES} bytes`);
  return null;
}

/** Frames from a TCP stream, in order: feed it each chunk the socket gives. Throws MsrpParseError on garbage. */
export class MsrpFramer {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): MsrpFrame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: MsrpFrame[] = [];
    for (;;) {
      const read = readMsrpFrame(this.pending);
      if (!read) return frames;
      frames.push(read.frame);
      this.pending = this.pending.subarray(read.length);
    }
  }
}

/** `Byte-Range: <start>-<end>/<total>` (§7.1.1), 1-based and inclusive; `*` for an unknown end or total. */
export interface ByteRange {
  start: number;
  end: number | '*';
  total: number | '*';
}

export function parseByteRange(value: string | undefined): ByteRange {
  const match = /^(\d+)-(\d+|\*)\/(\d+|\*)$/.exec((value ?? '1-*/*').trim());
  if (!match) throw new MsrpParseError(`malformed Byte-Range: ${value}`);
  const n = (text: string) => (text === '*' ? '*' : Number(text));
  return { start: Number(match[1]), end: n(match[2]!), total: n(match[3]!) };
}

export function formatByteRange(range: ByteRange): string {
  return `${range.start}-${range.end}/${range.total}`;
}
