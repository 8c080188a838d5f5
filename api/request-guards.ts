import { isUtf8 } from 'node:buffer';
import type { RequestHandler } from 'express';
import { AppError } from '../lib/errors';
import { jsonShapeIssue } from '../lib/json-shape';

/**
 * express.json's `verify`: a body that is not UTF-8 is refused (400) before it is decoded, since decoding would put
 * U+FFFD in place of its bad bytes and send that to the customer. JSON between systems is UTF-8 (RFC 8259 §8.1).
 */
export function refuseNonUtf8(_req: unknown, _res: unknown, body: Buffer): void {
  if (!isUtf8(body)) throw new AppError('invalid_request', 'The body is not valid UTF-8');
}

/**
 * Every parsed JSON body: nesting bounded and no key MongoDB would read as an operator or a path (`$…`, dotted), so
 * such a body is a 400 before any schema or store sees it, not a 500 or minutes of store work.
 */
export const jsonShapeGuard: RequestHandler = (req, _res, next) => {
  const issue = jsonShapeIssue(req.body);
  if (issue) throw new AppError('invalid_request', `The body's shape is refused: ${issue.message}`, { errors: [{ in: 'body', ...issue }] });
  next();
};

// `wa:<phone-number id>:<customer>`, also percent-encoded: the customer part is a phone number or a user id.
const CONVERSATION_ID = /(wa(?::|%3A))([^:/?#%\s]+)((?::|%3A))([^/?#\s]+)/gi;
// Query parameters that carry secrets: the webhook verify token (Meta sends `hub.verify_token`), any token or key.
const SECRET_PARAM = /([?&](?:hub(?:\.|%2E)verify_token|[a-z_.]*token|[a-z_.]*key)=)[^&#]*/gi;

/** A URL fit for a log line: customers' numbers inside conversation ids and secret query values replaced. */
export function redactUrl(url: string): string {
  return url.replace(CONVERSATION_ID, (_m, wa: string, number: string, sep: string) => `${wa}${number}${sep}[customer]`).replace(SECRET_PARAM, '$1[redacted]');
}

interface SerializedRequest {
  id?: unknown;
  method?: string;
  url?: string;
  headers?: Record<string, unknown>;
  remoteAddress?: string;
  remotePort?: number;
}

/**
 * pino-http serializers for the access log: the request's method, redacted URL and address, without the parsed
 * `query` and `params` pino would otherwise copy (they repeat the verify token and the conversation id).
 */
export const accessLogSerializers = {
  req: (req: SerializedRequest) => ({
    id: req.id,
    method: req.method,
    url: redactUrl(req.url ?? ''),
    headers: req.headers,
    remoteAddress: req.remoteAddress,
    remotePort: req.remotePort,
  }),
};

/** A path fit for a log line (error logs name the route that failed). */
export const redactPath = redactUrl;
