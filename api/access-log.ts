import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { accessLogSerializers } from './request-guards';

/**
 * The access log: one pino-http line per request, written at `info`. At a quieter level (the benchmarks run at `warn`)
 * pino-http would still build and redact a child logger per request only to write nothing, so then only the request
 * id that problem answers carry is set. The level is read once, at start-up, as the configuration is.
 */
export function accessLog(logger: Logger): RequestHandler {
  const genReqId = (req: IncomingMessage) => (typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'] : randomUUID());
  if (logger.isLevelEnabled('info')) return pinoHttp({ logger, serializers: accessLogSerializers, genReqId });
  return (req, _res, next) => {
    req.id = genReqId(req);
    next();
  };
}

