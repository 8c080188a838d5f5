/**
 * What Node's HTTP parser refuses before express sees a request, answered as every other refusal is: a problem
 * document with a stable code, instead of Node's bare status line (https://nodejs.org/api/http.html#event-clienterror).
 * - headers over Node's limit (`--max-http-header-size`, 16 KiB by default): 431 `request_header_too_large`;
 * - a request whose headers did not arrive within the server's `headersTimeout` / `requestTimeout`: 408 `request_timeout`;
 * - anything else the parser cannot read (a malformed request line or header): 400 `invalid_request`.
 * A connection already closed or reset gets nothing.
 */
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { AppError, type ErrorCode } from '../lib/errors';
import { problemOf } from './problem';

function codeOf(err: NodeJS.ErrnoException): ErrorCode {
  if (err.code === 'HPE_HEADER_OVERFLOW') return 'request_header_too_large';
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'request_timeout';
  return 'invalid_request';
}

/** Installs the answer on `server` (the API's, from `createApp(...).listen`) and returns it. */
export function answerClientErrors(server: Server): Server {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const code = codeOf(err);
    const body = JSON.stringify(problemOf(new AppError(code, code === 'invalid_request' ? 'The HTTP request could not be parsed' : undefined)));
    const status = problemOf(new AppError(code)).status;
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  return server;
}
