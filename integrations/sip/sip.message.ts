/**
 * SIP messages (RFC 3261 §7): parsing and building, with bodies and Content-Length counted in bytes, and the
 * framing of a stream transport (§18.3). Pure: no sockets, no clock.
 */

/** Header fields in the order they appear; names as sent, compact forms expanded (`v` → `Via`). */
export type SipHeaders = [name: string, value: string][];

export interface SipRequest {
  method: string;
  uri: string;
  headers: SipHeaders;
  body: string;
}

export interface SipResponse {
  status: number;
  reason: string;
  headers: SipHeaders;
  body: string;
}

export type SipMessage = SipRequest | SipResponse;

export class SipParseError extends Error {
  override name = 'SipParseError';
}

export function isResponse(message: SipMessage): message is SipResponse {
  return 'status' in message;
}

/** RFC 3261 §7.3.3 compact forms. */
const COMPACT: Record<string, string> = {
  i: 'Call-ID', m: 'Contact', e: 'Content-Encoding', l: 'Content-Length', c: 'Content-Type',
  f: 'From', s: 'Subject', k: 'Supported', t: 'To', v: 'Via',
};

/** Headers whose values may be comma-separated lists of entries (§7.3.1); a display name may hold a comma. */
const LIST_HEADERS = new Set(['via', 'route', 'record-route', 'contact']);

const MAX_HEADER_BYTES = 64 * 1024;

function canonical(name: string): string {
  return COMPACT[name.toLowerCase()] ?? name;
}

/** The first value of a header, by full or compact name, case-insensitively. */
export function header(message: Pick<SipMessage, 'headers'>, name: string): string | undefined {
  const wanted = canonical(name).toLowerCase();
  return message.headers.find(([n]) => n.toLowerCase() === wanted)?.[1];
}

/** Every entry of a header, across repeated fields and comma-separated lists (Via, Route, Record-Route, Contact). */
export function headerValues(message: Pick<SipMessage, 'headers'>, name: string): string[] {
  const wanted = canonical(name).toLowerCase();
  const values = message.headers.filter(([n]) => n.toLowerCase() === wanted).map(([, v]) => v);
  return LIST_HEADERS.has(wanted) ? values.flatMap(splitList) : values;
}

/** Splits on commas outside quoted strings and angle brackets. */
export function splitList(value: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '<') depth++;
    else if (ch === '>') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(value.slice(start).trim());
  return parts.filter((part) => part !== '');
}

/** Where the header block ends: the empty line (CRLF CRLF, or a bare LF LF from lax peers). */
function headerEnd(data: Buffer, from = 0): { at: number; length: number } | undefined {
  const crlf = data.indexOf('\r\n\r\n', from);
  const lf = data.indexOf('\n\n', from);
  if (crlf === -1 && lf === -1) return undefined;
  if (lf === -1 || (crlf !== -1 && crlf < lf)) return { at: crlf, length: 4 };
  return { at: lf, length: 2 };
}

/** Leading CRLFs are keep-alives or padding before a start line (§7.5, RFC 5626 §3.5.1). */
function skipBlankLines(data: Buffer): number {
  let i = 0;
  while (i < data.length && (data[i] === 0x0d || data[i] === 0x0a)) i++;
  return i;
}

function contentLengthOf(headerBlock: string): number | undefined {
  const match = /^(?:content-length|l)[ \t]*:[ \t]*(\d+)[ \t]*$/im.exec(headerBlock);
  return match ? Number(match[1]) : undefined;
}

/** Parses one message (a datagram, or a frame cut by {@link SipStreamFramer}). */
export function parseMessage(data: Buffer): SipMessage {
  const start = skipBlankLines(data);
  const end = headerEnd(data, start);
  if (!end) throw new SipParseError('no empty line after the headers');
  const lines = data.toString('utf8', start, end.at).split(/\r?\n/);
  const startLine = lines.shift() ?? '';

  const headers: SipHeaders = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line)) {
      // A folded line continues the previous header's value (§7.3.1).
      const last = headers.at(-1);
      if (!last) throw new SipParseError('continuation line before any header');
      last[1] = `${last[1]} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new SipParseError(`malformed header line: ${line}`);
    headers.push([canonical(line.slice(0, colon).trim()), line.slice(colon + 1).trim()]);
  }

  const bodyStart = end.at + end.length;
  const declared = contentLengthOf(headers.map(([n, v]) => `${n}: ${v}`).join('\n'));
  const available = data.length - bodyStart;
  if (declared !== undefined && declared > available) {
    throw new SipParseError(`Content-Length ${declared} exceeds the ${available} bytes received`);
  }
  const body = data.toString('utf8', bodyStart, bodyStart + (declared ?? available));

  const response = /^SIP\/2\.0[ \t]+(\d{3})[ \t]*(.*)$/i.exec(startLine);
  if (response) return { status: Number(response[1]), reason: response[2] ?? '', headers, body };
  const request = /^([A-Za-z]+)[ \t]+(\S+)[ \t]+SIP\/2\.0$/i.exec(startLine);
  if (request) return { method: request[1]!.toUpperCase(), uri: request[2]!, headers, body };
  throw new SipParseError(`malformed start line: ${startLine}`);
}

/** Serialises a message; Content-Length is always written, as the body's length in bytes. */
export function serializeMessage(message: SipMessage): Buffer {
  const body = Buffer.from(message.body, 'utf8');
  const startLine = isResponse(message)
    ? `SIP/2.0 ${message.status} ${message.reason}`
    : `${message.method} ${message.uri} SIP/2.0`;
  const lines = [startLine];
  for (const [name, value] of message.headers) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new Error(`header ${name} holds a line break`);
    if (canonical(name).toLowerCase() === 'content-length') continue;
    lines.push(`${name}: ${value}`);
  }
  lines.push(`Content-Length: ${body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), body]);
}

/** Cuts a stream transport's bytes into whole messages, each ending where its Content-Length (in bytes) says. */
export class SipStreamFramer {
  private pending: Buffer = Buffer.alloc(0);

  /** Adds received bytes; returns the messages now complete. Throws when the stream cannot be SIP. */
  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: Buffer[] = [];
    for (;;) {
      this.pending = this.pending.subarray(skipBlankLines(this.pending));
      const end = headerEnd(this.pending);
      if (!end) {
        if (this.pending.length > MAX_HEADER_BYTES) throw new SipParseError('header block too large');
        return frames;
      }
      // A stream message must carry Content-Length (§18.3); a missing one is read as 0.
      const length = contentLengthOf(this.pending.toString('utf8', 0, end.at)) ?? 0;
      const total = end.at + end.length + length;
      if (this.pending.length < total) return frames;
      frames.push(this.pending.subarray(0, total));
      this.pending = this.pending.subarray(total);
    }
  }
}
