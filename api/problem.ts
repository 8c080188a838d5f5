import { ServiceError, WorkflowNotFoundError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { apiProblems, windowRefusals } from '../lib/metrics';
import { MongoNetworkError, MongoServerSelectionError } from 'mongodb';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import { CloudApiError } from '../integrations/broker/cloud-api.client';
import { AppError, errorCatalog, isUnprocessedUpdate, refusalIn, type ErrorCode } from '../lib/errors';
import { redactPath } from './request-guards';
import { fieldErrorsOf, type FieldError } from './request';

/** What an error says, whoever asked: RFC 9457 fields, our stable `code`, field-level `errors`, extensions. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: ErrorCode;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** RFC 9457 problem document as an HTTP answer carries it: the body, the request's path and its id. */
export interface Problem extends ProblemBody {
  instance: string;
  requestId: string;
}

const GRPC_RESOURCE_EXHAUSTED = 8;

/**
 * Seconds a caller waits before retrying a busy conversation or a Temporal that did not answer (`Retry-After`, and
 * `retryAfterSeconds` in the body): an Update refused for being one too many finds room once the workflow's next task
 * has run, well within a second.
 */
const BUSY_RETRY_AFTER_SECONDS = 1;

/** The gRPC status code behind a Temporal client error, if any. */
function grpcCode(err: unknown): number | undefined {
  for (let cause: unknown = err, depth = 0; cause && depth < 4; depth += 1) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

function toAppError(err: unknown): AppError | ZodError {
  if (err instanceof AppError || err instanceof ZodError) return err;
  if (err instanceof WorkflowNotFoundError) return new AppError('unknown_conversation');
  const refusal = refusalIn(err);
  if (refusal) return refusal;
  const retry = { retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS };
  // Temporal allows 10 Updates in flight per workflow (`history.maxInFlightUpdates`); past that, or when it rejected
  // one a worker did not take, the caller should simply retry.
  if (err instanceof ServiceError && grpcCode(err) === GRPC_RESOURCE_EXHAUSTED) return new AppError('too_many_in_flight', undefined, retry);
  if (isUnprocessedUpdate(err)) {
    return new AppError('too_many_in_flight', `The conversation is busy with other requests; retry in ${BUSY_RETRY_AFTER_SECONDS} s (a send with the same Idempotency-Key: it is sent once)`, retry);
  }
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    // The send may or may not have been accepted: only a retry under the same key is safe.
    return new AppError('temporarily_unavailable', 'Temporal did not answer in time; retry with the same Idempotency-Key', retry);
  }
  // Template management talks to the broker from the API: its refusals are the caller's to read, its outages a retry.
  if (err instanceof CloudApiError) {
    return err.retryable ? new AppError('temporarily_unavailable', `The broker is unavailable: ${err.title}`) : new AppError('broker_refused', err.message, { brokerCode: err.code });
  }
  // Temporal's "workflow update was aborted" (UNAVAILABLE, after its client's own retries) lands here too.
  if (err instanceof ServiceError || err instanceof MongoNetworkError || err instanceof MongoServerSelectionError) {
    return new AppError('temporarily_unavailable', undefined, retry);
  }
  // express.json / express.raw failures carry an HTTP status and a `type` naming what went wrong.
  const bodyError = err as { type?: string; status?: number; code?: string; limit?: number; length?: number; charset?: string; body?: string };
  if (bodyError.type === 'entity.too.large') {
    return new AppError('payload_too_large', `The body is ${bodyError.length ?? 'over'} bytes; this route takes at most ${bodyError.limit} bytes`, { limit: bodyError.limit });
  }
  // A body labelled gzip, deflate or br that does not decompress: zlib's error (Z_DATA_ERROR, Z_BUF_ERROR…) comes as is.
  if (typeof bodyError.code === 'string' && /^(Z_[A-Z_]+|ERR__ERROR_[A-Z0-9_]+)$/.test(bodyError.code)) {
    return new AppError('invalid_request', 'The body does not decompress as its Content-Encoding says');
  }
  // The client hung up before its body arrived (raw-body's "request aborted"): nobody is left to answer, and it is the
  // client's doing, not ours, so it is no 500 and no "unhandled error" with a stack.
  if (bodyError.type === 'request.aborted') return new AppError('invalid_request', 'The request was aborted before its body arrived');
  if (bodyError.type === 'entity.parse.failed') return new AppError('invalid_request', notAnObject(bodyError.body) ?? 'The body is not valid JSON');
  if (bodyError.type === 'charset.unsupported') {
    return new AppError('unsupported_media_type', `The body's charset ${JSON.stringify(bodyError.charset)} is not supported; send UTF-8`);
  }
  if (bodyError.status === 415) return new AppError('unsupported_media_type');
  // The router decodes path parameters: a bad percent-escape (`/v1/media/%ZZ`) is the caller's mistake, not ours.
  if (err instanceof URIError) return new AppError('invalid_request', 'The path has an invalid percent-escape');
  return new AppError('internal');
}

/** express.json's strict mode refuses valid JSON that is not an object or array (`null`, `42`): say that, not "invalid". */
function notAnObject(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.length > 1_000) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    return `The body must be a JSON object, not ${value === null ? 'null' : typeof value}`;
  } catch {
    return undefined;
  }
}

export function sendProblem(res: Parameters<RequestHandler>[1], requestId: string, instance: string, err: AppError | ZodError): void {
  const problem: Problem = { ...problemOf(err), instance, requestId };
  // A problem that says when to come back says it in the header too (RFC 9110 §10.2.3), unless a limiter already did.
  if (typeof problem.retryAfterSeconds === 'number' && !res.get('retry-after')) res.set('retry-after', String(problem.retryAfterSeconds));
  apiProblems.inc({ code: problem.code, status: String(problem.status) });
  if (problem.code === 'template_required') windowRefusals.inc();
  res.status(problem.status).type('application/problem+json').json(problem);
}

function base(code: ErrorCode) {
  const { status, title } = errorCatalog[code];
  return { type: `https://whatsapp-connector.dev/problems/${code.replace(/_/g, '-')}`, title, status, code };
}

/** The one place errors become HTTP answers. Unknown errors are logged and answered with a bare 500. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const mapped = toAppError(err);
    if (mapped instanceof AppError && mapped.code === 'internal') logger.error({ err, path: redactPath(req.path) }, 'unhandled error');
    sendProblem(res, String(req.id ?? ''), req.originalUrl, mapped);
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError('not_found', `No route for ${req.method} ${req.path}`));
};

/**
 * What an error says to the caller, less where and for which request: HTTP answers add those (sendProblem), the
 * console's live streams send it as an event.
 */
export function problemOf(err: unknown): ProblemBody {
  const mapped = toAppError(err);
  if (mapped instanceof ZodError) {
    return {
      ...base('invalid_request'),
      detail: 'The request does not match the schema; see errors.',
      // Routes parse their path, query and headers with parseIn (which names the part); a bare ZodError is the body's.
      errors: fieldErrorsOf('body', mapped.issues),
    };
  }
  return { ...mapped.extensions, ...base(mapped.code), ...(mapped.detail ? { detail: mapped.detail } : {}) };
}
