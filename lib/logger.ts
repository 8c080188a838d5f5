import pino, { type Logger } from 'pino';

/** One structured logger per process; secrets never reach it (the redact list names the headers that carry them). */
export function createLogger(level: string, name: string): Logger {
  return pino({
    name,
    level,
    redact: ['req.headers.authorization', 'req.headers["x-hub-signature-256"]', 'req.headers["x-api-key"]'],
  });
}
