import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * One structured logger per process; secrets never reach it (the redact list names the headers that carry them; the
 * API's access log also redacts URLs, see api/request-guards.ts). `destination` defaults to stdout (tests capture it).
 */
export function createLogger(level: string, name: string, destination?: DestinationStream): Logger {
  const options = {
    name,
    level,
    redact: ['req.headers.authorization', 'req.headers["x-hub-signature-256"]', 'req.headers["x-api-key"]', 'req.headers.cookie'],
  };
  return destination ? pino(options, destination) : pino(options);
}
