import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { json, problem } from './openapi.responses';
import { BlockedUsersQuery, BlockedWaId } from './block-users.routes';
import { ConversationId } from './conversations.schema';
import { SendingBody } from './numbers.routes';

const BLOCK_PAGE = 'https://developers.facebook.com/documentation/business-messaging/whatsapp/block-users/';

/** How numbers send (Direct Send, Marketing Messages API) and blocking people (Meta's Block Users API). */
export function sendingPaths(): ZodOpenApiPathsObject {
  const numberPath = z.object({ phoneNumberId: z.string() });
  const conversationPath = z.object({ conversationId: ConversationId });
  const anyJson = z.record(z.string(), z.unknown());
  const BlockView = z.object({
    conversationId: z.string(),
    businessNumberId: z.string(),
    customerId: z.string().meta({ description: 'The person the block belongs to (GET /v1/customers/{customerId}): it holds on every conversation of theirs on this number' }),
    blocked: z.boolean(),
    waId: z.string(),
    blockedAt: z.string().optional(),
    blockedBy: z.string().optional(),
    unblockedBy: z.string().optional(),
  });
  return {
    '/v1/numbers/{phoneNumberId}/sending': {
      put: {
        summary: 'Direct Send and Marketing Messages API options, as Meta granted them to this number (supervisor)',
        requestParams: { path: numberPath },
        requestBody: { required: true, content: { 'application/json': { schema: SendingBody } } },
        responses: { '200': json('The number', anyJson), '400': problem('Invalid body'), '404': problem('Unknown number') },
      },
    },
    '/v1/numbers/{phoneNumberId}/blocked-users': {
      get: {
        summary: `The number's blocklist as WhatsApp holds it, a page at a time (supervisor). ${BLOCK_PAGE}`,
        requestParams: { path: numberPath, query: BlockedUsersQuery },
        responses: {
          '200': json(
            'Blocked people; `after` (pass it back as `?after=`) only when another page follows: absent on the last page, as Meta leaves `paging.next` out there (https://developers.facebook.com/docs/graph-api/results/)',
            z.object({ blockedUsers: z.array(z.object({ waId: z.string() })), after: z.string().optional() }),
          ),
          '404': problem('unknown_number: no registered number with this id'),
          '502': problem('WhatsApp refused'),
        },
      },
    },
    '/v1/numbers/{phoneNumberId}/blocked-users/{waId}': {
      delete: {
        summary: `Unblock a WhatsApp user on the number by the WhatsApp id its blocklist lists (supervisor): at WhatsApp, then every block the connector keeps naming them there. The way to lift a block no conversation names, such as an erased person's (erasure leaves the block at WhatsApp). ${BLOCK_PAGE}`,
        requestParams: { path: z.object({ phoneNumberId: z.string(), waId: BlockedWaId }) },
        responses: {
          '200': json('Unblocked', z.object({ businessNumberId: z.string(), waId: z.string(), blocked: z.literal(false), unblockedBy: z.string() })),
          '400': problem('Not a WhatsApp id'),
          '404': problem('unknown_number: no registered number with this id'),
          '502': problem('WhatsApp refused'),
        },
      },
    },
    '/v1/conversations/{conversationId}/block': {
      post: {
        summary: `Block the conversation's person on its number (agent, supervisor): only someone who wrote in the last 24 hours. The block is the person's, not the identifier's: it holds on all their conversations on the number (phone number and BSUID alike) and follows them into a merge. Their later messages are kept, not routed; sends to them answer 409 customer_blocked. ${BLOCK_PAGE}`,
        requestParams: { path: conversationPath },
        responses: {
          '200': json('Blocked', BlockView),
          '404': problem('Unknown conversation, or not one this key may read'),
          '409': problem('block_requires_recent_message, or blocklist_full (64,000)'),
          '502': problem('WhatsApp refused'),
        },
      },
      delete: {
        summary: "Unblock the conversation's person (agent, supervisor), through any of their conversations: all of them are open again",
        requestParams: { path: conversationPath },
        responses: { '200': json('Unblocked', BlockView), '404': problem('Unknown conversation'), '502': problem('WhatsApp refused') },
      },
    },
  };
}
