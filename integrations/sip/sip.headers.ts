/**
 * The structured SIP header values the user agent reads and writes (RFC 3261 §19.1, §20, §25.1): URIs,
 * name-addr (From, To, Contact, Route), Via and CSeq. Pure.
 */

export type SipParams = Record<string, string | true>;

export interface SipUri {
  scheme: 'sip' | 'sips';
  /** As written, percent-escapes kept; {@link uriUser} decodes it. */
  user?: string;
  host: string;
  port?: number;
  params: SipParams;
}

export interface NameAddr {
  display?: string;
  uri: string;
  params: SipParams;
}

export interface Via {
  transport: string;
  host: string;
  port?: number;
  params: SipParams;
}

/** `;a=1;lr` → `{ a: '1', lr: true }`; names lower-cased (parameter names are case-insensitive). */
export function parseParams(text: string): SipParams {
  const params: SipParams = {};
  for (const part of text.split(';')) {
    const trimmed = part.trim();
    if (!trimmed) continue;
    const eq = trimmed.indexOf('=');
    if (eq === -1) params[trimmed.toLowerCase()] = true;
    else params[trimmed.slice(0, eq).trim().toLowerCase()] = trimmed.slice(eq + 1).trim();
  }
  return params;
}

export function formatParams(params: SipParams): string {
  return Object.entries(params)
    .map(([name, value]) => (value === true ? `;${name}` : `;${name}=${value}`))
    .join('');
}

const URI = /^(sips?):(?:([^@;?]*)@)?(\[[0-9a-fA-F:.]+\]|[^;:?]+)(?::(\d+))?((?:;[^?]*)?)(?:\?.*)?$/i;

export function parseUri(text: string): SipUri {
  const match = URI.exec(text.trim());
  if (!match) throw new Error(`not a SIP URI: ${text}`);
  const [, scheme, userinfo, host, port, params] = match;
  // userinfo may carry a password after ':' (deprecated, §19.1.1); we only want the user.
  const user = userinfo?.split(':')[0];
  return {
    scheme: scheme!.toLowerCase() as 'sip' | 'sips',
    ...(user ? { user } : {}),
    host: host!,
    ...(port ? { port: Number(port) } : {}),
    params: parseParams(params ?? ''),
  };
}

export function formatUri(uri: SipUri): string {
  const user = uri.user ? `${uri.user}@` : '';
  const port = uri.port !== undefined ? `:${uri.port}` : '';
  return `${uri.scheme}:${user}${uri.host}${port}${formatParams(uri.params)}`;
}

/** The user part with percent-escapes decoded, or undefined. */
export function uriUser(uri: SipUri): string | undefined {
  if (!uri.user) return undefined;
  try {
    return decodeURIComponent(uri.user);
  } catch {
    return uri.user;
  }
}

/** Escapes a value for a URI's user part (§25.1: unreserved and user-unreserved stay, the rest is %-encoded). */
export function escapeUser(value: string): string {
  return Array.from(Buffer.from(value, 'utf8'))
    .map((byte) => {
      const ch = String.fromCharCode(byte);
      return /[A-Za-z0-9\-_.!~*'()&=+$,;?/]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

function unquote(text: string): string {
  const trimmed = text.trim();
  if (trimmed.startsWith('"') && trimmed.endsWith('"') && trimmed.length >= 2) {
    return trimmed.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return trimmed;
}

/**
 * From, To, Contact, Route, Record-Route. Without angle brackets the parameters after the URI belong to the
 * header, not the URI (§20.10).
 */
export function parseNameAddr(text: string): NameAddr {
  const value = text.trim();
  const open = value.indexOf('<');
  if (open !== -1) {
    const close = value.indexOf('>', open);
    if (close === -1) throw new Error(`unclosed '<' in ${text}`);
    const display = unquote(value.slice(0, open));
    return {
      ...(display ? { display } : {}),
      uri: value.slice(open + 1, close).trim(),
      params: parseParams(value.slice(close + 1)),
    };
  }
  const semi = value.indexOf(';');
  if (semi === -1) return { uri: value, params: {} };
  return { uri: value.slice(0, semi).trim(), params: parseParams(value.slice(semi)) };
}

export function formatNameAddr(nameAddr: NameAddr): string {
  const display = nameAddr.display ? `"${nameAddr.display.replace(/(["\\])/g, '\\$1')}" ` : '';
  return `${display}<${nameAddr.uri}>${formatParams(nameAddr.params)}`;
}

/** The `tag` parameter of a From or To value. */
export function tagOf(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const tag = parseNameAddr(text).params.tag;
  return typeof tag === 'string' ? tag : undefined;
}

export function parseVia(text: string): Via {
  const match = /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+([^;\s]+)\s*(.*)$/i.exec(text.trim());
  if (!match) throw new Error(`malformed Via: ${text}`);
  const [, transport, sentBy, params] = match;
  const hostPort = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(sentBy!);
  if (!hostPort) throw new Error(`malformed Via sent-by: ${sentBy}`);
  return {
    transport: transport!.toUpperCase(),
    host: hostPort[1]!,
    ...(hostPort[2] ? { port: Number(hostPort[2]) } : {}),
    params: parseParams(params ?? ''),
  };
}

export function parseCSeq(text: string): { seq: number; method: string } {
  const match = /^(\d+)\s+([A-Za-z]+)$/.exec(text.trim());
  if (!match) throw new Error(`malformed CSeq: ${text}`);
  return { seq: Number(match[1]), method: match[2]!.toUpperCase() };
}
