import type { z } from 'zod';
import { AppError } from '../lib/errors';

/** Where in the request a value came from; `errors[].in` of a 400 says it, `errors[].path` is the field there. */
export type RequestPart = 'body' | 'path' | 'query' | 'header';

/** One field-level problem as a problem document lists it. */
export interface FieldError {
  in: RequestPart;
  path: string;
  message: string;
}

/**
 * Zod issues as field errors of one part of the request, each path prefixed with the parameter's own name. Zod puts an
 * unknown key's issue on the object holding it (`path` `""` for `?page=2`); it is split into one error per key, whose
 * path names the key, so a client reads every field it must drop from `path` as for any other error.
 */
export function fieldErrorsOf(part: RequestPart, issues: readonly z.core.$ZodIssue[], name?: string): FieldError[] {
  const pathOf = (path: readonly PropertyKey[]) => [...(name ? [name] : []), ...path].map(String).join('.');
  return issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ in: part, path: pathOf([...issue.path, key]), message: `Unrecognized key: "${key}"` }))
      : [{ in: part, path: pathOf(issue.path), message: issue.message }],
  );
}

/**
 * Parses one part of the request (a path parameter, a header, the query) with its schema; a refusal is a 400
 * `invalid_request` whose `errors[]` name the parameter as the request spells it (`conversationId`, `idempotency-key`),
 * and whose `detail` repeats their messages where each is a sentence of ours, else points at `errors`.
 */
export function parseIn<S extends z.ZodType>(part: Exclude<RequestPart, 'body'>, schema: S, value: unknown, name?: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const errors = fieldErrorsOf(part, parsed.error.issues, name);
  // Our own (`custom`) issues are sentences naming their parameter (api/query-params.ts): the detail says them too.
  const detail = parsed.error.issues.every((issue) => issue.code === 'custom') ? errors.map((error) => error.message).join('; ') : 'The request does not match the schema; see errors.';
  throw new AppError('invalid_request', detail, { errors });
}
