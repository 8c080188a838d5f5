import type { RequestHandler } from 'express';
import { SpanKind, context, trace } from '@opentelemetry/api';
import { tracer } from '../lib/tracing';

/**
 * One server span per request, active while it is handled, so the Temporal client's interceptor carries it into the
 * workflow it signals or updates (and on to the send activity). Named by method and route pattern at the end
 * (`POST /v1/conversations/:conversationId/messages`), never the path: paths carry customers' numbers. A no-op
 * span when tracing is off.
 */
export const requestSpan: RequestHandler = (req, res, next) => {
  const span = tracer().startSpan(req.method, { kind: SpanKind.SERVER });
  res.once('finish', () => {
    const route = (req.route as { path?: string } | undefined)?.path;
    span.updateName(`${req.method} ${route ?? 'unmatched'}`);
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: 2 });
    span.end();
  });
  context.with(trace.setSpan(context.active(), span), next);
};
