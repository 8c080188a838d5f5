import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { json, problem } from './openapi.responses';
import { CodecBody } from './codec.routes';
import { CustomerIdentifier, ErasureBody } from './erasure.routes';

const Counts = z.object({
  conversations: z.number().int(),
  messages: z.number().int(),
  deliveryStatuses: z.number().int(),
  media: z.number().int(),
  campaignEntries: z.number().int().meta({ description: 'Campaign recipients naming them and the campaigns\' once-per-person marks' }),
  registryEntries: z.number().int().meta({ description: 'Customer registry documents: their customer ids, identifiers and links' }),
  blocks: z.number().int().meta({ description: "The connector's copies of their blocks; the block itself stays at WhatsApp (see notErasedAtOnce)" }),
  deadLetters: z.number().int().meta({ description: 'Webhook parts kept aside (GET /v1/dead-letters) that name them, e.g. their chat history shared at coexistence onboarding (history) or an unreadable message of theirs' }),
  calls: z.number().int().meta({ description: 'WhatsApp calls as the connector handled them (calls)' }),
  callEvents: z.number().int().meta({ description: "Meta's calls webhooks as kept (call_events: connect, terminate, statuses)" }),
  callPermissions: z.number().int().meta({ description: 'Their replies to call permission requests (call_permissions)' }),
  legacyReplies: z.number().int().meta({ description: "The moved number's notice ledger entries for them (legacy_replies)" }),
  agentSlots: z.number().int().meta({ description: "Agents' places still held for their conversations" }),
  temporalRuns: z.number().int(),
});
const ErasureResult = z
  .object({
    erasureId: z.string(),
    at: z.string(),
    conversationsClosed: z.number().int(),
    erased: Counts,
    notErasedAtOnce: z.array(z.object({ what: z.string(), where: z.string(), until: z.string() })),
  })
  .meta({ id: 'ErasureResult' });

/** The erasure routes and the codec server (README "Customers' data"). */
export function privacyPaths(): ZodOpenApiPathsObject {
  const forbidden = { '401': problem('No or unknown API key'), '403': problem('Not a supervisor key') };
  const erased = { '200': json('What went, and what outlives the request', ErasureResult), '404': problem('unknown_customer: nothing names them'), ...forbidden };
  const codec = (summary: string) => ({
    post: {
      summary,
      requestBody: { required: true, content: { 'application/json': { schema: CodecBody } } },
      responses: { '200': json('The payloads, same order', CodecBody), '401': problem('No or unknown API key'), '403': problem('Not a supervisor or analyst key'), '422': problem('undecodable_payload') },
    },
  });
  return {
    '/v1/customers/{customerId}': {
      delete: { summary: 'Erase one person by any identifier: their conversations close, their data goes', requestParams: { path: z.object({ customerId: CustomerIdentifier }) }, responses: erased },
    },
    '/v1/erasures': {
      post: { summary: 'Erase one person (as DELETE /v1/customers/{id})', requestBody: { required: true, content: { 'application/json': { schema: ErasureBody } } }, responses: erased },
      get: { summary: 'The erasure audit: who, when, how much (never whom)', responses: { '200': json('Newest first', z.object({ erasures: z.array(z.record(z.string(), z.unknown())) })), ...forbidden } },
    },
    '/codec/encode': codec("Temporal codec server: encrypt payloads with the newest key (Temporal Web UI and CLI)"),
    '/codec/decode': codec('Temporal codec server: decrypt payloads (Temporal Web UI and CLI)'),
  };
}
