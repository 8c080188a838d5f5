/**
 * The answers every path of the OpenAPI document shares: RFC 9457 problem details (with the closed code table of
 * lib/errors.ts) and plain JSON bodies. One declaration for api/openapi.ts and the api/openapi.*.ts path files.
 */
import { z } from 'zod';
import { errorCatalog } from '../lib/errors';
import { TemplateView } from './conversations.schema';

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string(),
    code: z.enum(Object.keys(errorCatalog) as [keyof typeof errorCatalog, ...(keyof typeof errorCatalog)[]]),
    requestId: z.string(),
    errors: z
      .array(z.object({ in: z.enum(['body', 'path', 'query', 'header']).optional(), path: z.string(), message: z.string() }))
      .optional()
      .meta({ description: 'Field-level problems: `in` the part of the request, `path` the field there (dot-separated)' }),
    templates: z.array(TemplateView).optional().meta({ description: 'With template_required or conversation_closed (a send to a closed conversation): the approved templates to use instead' }),
    matchingRuns: z.number().int().optional().meta({ description: 'With analytics_filter_too_wide: how many runs the filter matches' }),
    maxRuns: z.number().int().optional().meta({ description: 'With analytics_filter_too_wide: the most one request replays' }),
    directSend: z
      .object({ available: z.literal(true), types: z.array(z.string()), category: z.literal('utility') })
      .optional()
      .meta({ description: 'With template_required or conversation_closed, on numbers Meta enabled Direct Send for: utility content of these types may be sent instead' }),
    tier: z.union([z.number().int(), z.literal('unlimited')]).optional().meta({ description: "With messaging_limit_reached: the business portfolio's messaging limit" }),
    businessPortfolioId: z.string().optional().meta({ description: 'With messaging_limit_reached: the portfolio whose numbers share the limit' }),
    limitSource: z.enum(['business_capability_update', 'configuration']).optional().meta({ description: 'With messaging_limit_reached: where the limit came from' }),
    retryAt: z.string().optional().meta({ description: 'With messaging_limit_reached: when the next unit of the tier frees' }),
    limit: z.number().int().optional().meta({ description: 'With too_many_streams: the cap that was reached (per key or in total); with too_many_conversations: the most one stream carries' }),
    retryAfterSeconds: z.number().int().optional().meta({ description: 'With too_many_failed_authentications, too_many_in_flight and temporarily_unavailable (when known): as the Retry-After header says' }),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details with a stable code' });

/** A problem answer: `description` names the codes and cases, the body is the {@link Problem} schema. */
export const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: Problem } } });
/** A JSON answer whose body is `schema`. */
export const json = (description: string, schema: z.ZodType) => ({ description, content: { 'application/json': { schema } } });
