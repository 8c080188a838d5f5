import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { accessLogSerializers } from './request-guards';

const CALLER_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * The access log: one pino-http line per request, written at `info`. At a quieter level (the benchmarks run at `warn`)
 * pino-http would still build and redact a child logger per request only to write nothing, so then only the request
 * id that problem answers carry is set. The level is read once, at start-up, as the configuration is.
 */
export function accessLog(logger: Logger): RequestHandler {
  // A caller's id is kept when it is one a log line and a problem answer can carry: 1 to 128 visible ASCII characters.
  const genReqId = (req: IncomingMessage) => {
    const given = req.headers['x-request-id'];
    return typeof given === 'string' && CALLER_REQUEST_ID.test(given) ? given : randomUUID();
  };
  if (logger.isLevelEnabled('info')) return pinoHttp({ logger, serializers: accessLogSerializers, genReqId });
  return (req, _res, next) => {
    req.id = genReqId(req);
    next();
  };
}

