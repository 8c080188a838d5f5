import { z } from 'zod';
import { createDocument, type ZodOpenApiPathsObject } from 'zod-openapi';
import { ConversationTimelinesView, KpiQuery, KpisView, TimelineQuery } from './analytics.schema';
import {
  CloseConversationBody,
  ConversationId,
  ConversationView,
  IdempotencyKey,
  ListConversationsQuery,
  ThreadQuery,
  MessageView,
  ReceiptAnswer,
  ReceiptBody,
  SendAccepted,
  SendMessageBody,
  StartConversationBody,
  TemplateView,
  TransferBody,
} from './conversations.schema';
import { supervisorPaths } from './openapi.supervisor';
import { healthPaths } from './openapi.health';
import { privacyPaths } from './openapi.privacy';
import { sendingPaths } from './openapi.sending';
import { CallEntryView, callPaths } from './openapi.calls';
import { CustomerId, CustomerLookupQuery, CustomerView } from './customers.schema';
import { completeOperations } from './openapi.operations';
import { campaignPaths, mediaPaths, webhookPaths } from './openapi.intake';
import { json, problem } from './openapi.responses';
import { livePaths } from './openapi.live';

const idempotencyHeader = z.object({ 'idempotency-key': IdempotencyKey.optional().meta({ description: 'Retries with the same key take effect once' }) });
const conversationPath = z.object({ conversationId: ConversationId });
let cached: ReturnType<typeof createDocument> | undefined;

/** Path items from several files joined per path: two files may document different methods of one path. */
function mergePaths(...parts: ZodOpenApiPathsObject[]): ZodOpenApiPathsObject {
  const merged: ZodOpenApiPathsObject = {};
  for (const part of parts) for (const [path, item] of Object.entries(part)) merged[path] = { ...merged[path], ...item };
  return merged;
}

/** The OpenAPI 3.1 document, generated from the same zod schemas the routes parse with. */
export function openApiDocument(): ReturnType<typeof createDocument> {
  cached ??= completeOperations(createDocument({
    openapi: '3.1.0',
    // The origin is the deployment's: `npm start` listens on HTTP_HOST:HTTP_PORT, 127.0.0.1:3000 by default.
    servers: [
      {
        url: '{origin}',
        description: 'The connector API where it is deployed',
        variables: { origin: { default: 'http://127.0.0.1:3000', description: 'Scheme, host and port of the API (no trailing slash)' } },
      },
    ],
    info: {
      title: 'WhatsApp connector API',
      version: '0.1.0',
      license: { name: 'UNLICENSED (proprietary, as package.json says)' },
      description:
        'Integrators and agents start conversations and send messages; supervisors manage templates, configuration, numbers and keys; the broker delivers webhooks. Every /v1 route needs an API key of a role it allows; an address with too many failed authentications is refused with 429 too_many_failed_authentications and Retry-After.',
    },
    components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: Authorization: Bearer wak_…' } } },
    security: [{ apiKey: [] }],
    paths: mergePaths({
      '/v1/conversations': {
        post: {
          summary: 'Start a business-initiated conversation with an approved template',
          requestParams: { header: idempotencyHeader },
          requestBody: { required: true, content: { 'application/json': { schema: StartConversationBody } } },
          responses: {
            '202': json('Accepted; the template is queued for sending', SendAccepted),
            '400': problem('Invalid body'),
            '422': problem('template_not_approved, or bsuid_recipient_unsupported: an authentication template to a customer known by BSUID alone'),
            '429': problem("messaging_limit_reached: the number's tier of new customers per 24 h is used up (with tier and retryAt); too_many_in_flight: the conversation is busy with other requests (retry after Retry-After, 1 s, with the same Idempotency-Key)"),
            '503': problem('temporarily_unavailable: Temporal or MongoDB did not answer in time (retry after Retry-After with the same Idempotency-Key: it takes effect once)'),
          },
        },
        get: {
          summary: 'List conversations, newest activity first',
          requestParams: { query: ListConversationsQuery },
          responses: { '200': json('Conversations', z.object({ conversations: z.array(ConversationView) })), '400': problem('Invalid filter') },
        },
      },
      '/v1/customers': {
        get: {
          summary: 'The customer (person) an identifier or a conversation names',
          description:
            'A phone number in any common writing (Mexico 52/521 and Brazil with or without the ninth digit name one person), a BSUID, a parent BSUID or @username.',
          requestParams: { query: CustomerLookupQuery },
          responses: { '200': json('The customer', CustomerView), '400': problem('Not an identifier'), '404': problem('unknown_customer') },
        },
      },
      '/v1/customers/{customerId}': {
        get: {
          summary: 'A customer: every identifier, profile name, username, and their conversations across business numbers, newest first',
          requestParams: { path: z.object({ customerId: CustomerId }) },
          responses: { '200': json('The customer (a merged id answers the person it joined)', CustomerView), '404': problem('unknown_customer') },
        },
      },
      '/v1/conversations/{conversationId}': {
        get: {
          summary: "A conversation's state, window deadline and agent",
          description:
            'A conversation of WhatsApp calls alone (the customer called with no `calls` webhook, or did not accept the business\'s call) is found too, as its thread lists the calls: `state: "closed"`, `closedReason: null`, no window, nothing counted; a template starts it.',
          requestParams: { path: conversationPath },
          responses: { '200': json('The conversation', ConversationView), '404': problem('Unknown conversation') },
        },
      },
      '/v1/conversations/{conversationId}/messages': {
        post: {
          summary: 'Send a message in a conversation: any session type (inside the window) or a template',
          description:
            "Session types, one per page of Meta's Send messages guide: text (previewUrl), image, audio, video, document (filename, caption), sticker, location, contacts, reaction, buttons (reply buttons, up to 3), list (up to 10 rows), ctaUrl, locationRequest; any but a reaction may quote an earlier message (replyTo). Media go by an uploaded mediaId. Every limit Meta documents is checked first: a 400 whose errors[].path names the field.",
          requestParams: { path: conversationPath, header: idempotencyHeader },
          requestBody: { required: true, content: { 'application/json': { schema: SendMessageBody } } },
          responses: {
            '202': json('Accepted; queued for sending in order', SendAccepted),
            '400': problem('Invalid body, a limit of WhatsApp exceeded (errors[].path names the field), an upload of the wrong type or an unknown quoted message'),
            '403': problem('sender_not_proven: the body names a sender the key does not prove; not_assigned'),
            '404': problem('Unknown conversation, or unknown_media'),
            '409': problem('template_required: the customer service window is closed; conversation_closed: the conversation was closed or ended idle (both with the approved templates, and directSend where Meta enabled it); or customer_blocked'),
            '422': problem('The template is not approved, or direct_send_unavailable: content marked utility on a number without Direct Send'),
            '429': problem("messaging_limit_reached: a template (or Direct Send) outside the window beyond the business portfolio's limit (with tier, retryAt, businessPortfolioId); too_many_in_flight: the conversation is busy with other requests (retry after Retry-After, 1 s, with the same Idempotency-Key)"),
            '503': problem('temporarily_unavailable: Temporal or MongoDB did not answer in time (retry after Retry-After with the same Idempotency-Key: it takes effect once)'),
          },
        },
        get: {
          summary: 'The message thread, in the order the messages were written, a page at a time, and the WhatsApp calls beside it',
          description:
            'The newest `limit` messages (200 by default), oldest first. When `hasOlder` is true, the page before is `?before=<the first message id of this page>`. Calls are listed whole on every page.',
          requestParams: { path: conversationPath, query: ThreadQuery },
          responses: {
            '200': json(
              'Messages, whether older ones exist, and calls oldest first (direction, outcome, duration; an agent sees the calls it took)',
              z.object({ messages: z.array(MessageView), hasOlder: z.boolean(), calls: z.array(CallEntryView) }),
            ),
            '400': problem('A query parameter other than limit (1-500) and before'),
            '404': problem('Unknown conversation, or unknown_message: `before` names no message of this conversation'),
          },
        },
      },
      '/v1/conversations/{conversationId}/read': {
        post: {
          summary: "Mark the customer's messages read on WhatsApp (the agent opened the conversation); once per customer message",
          requestParams: { path: conversationPath },
          requestBody: { content: { 'application/json': { schema: ReceiptBody } } },
          responses: { '200': json('Whether a call went to WhatsApp, else why not', ReceiptAnswer), '403': problem('not_assigned'), '404': problem('Unknown conversation') },
        },
      },
      '/v1/conversations/{conversationId}/typing': {
        post: {
          summary: 'Show the customer the typing indicator (up to 25 s, or until our next message); at most one call per 20 s',
          requestParams: { path: conversationPath },
          requestBody: { content: { 'application/json': { schema: ReceiptBody } } },
          responses: { '200': json('Whether a call went to WhatsApp, else why not (debounced, off, window_closed…)', ReceiptAnswer), '403': problem('not_assigned'), '404': problem('Unknown conversation') },
        },
      },
      '/v1/conversations/{conversationId}/close': {
        post: {
          summary: 'End the conversation now; the next customer message or template starts a new one',
          requestParams: { path: conversationPath },
          requestBody: { required: false, content: { 'application/json': { schema: CloseConversationBody } } },
          responses: { '200': json('The closed conversation', ConversationView), '404': problem('Unknown conversation') },
        },
      },
      '/v1/whoami': {
        get: {
          summary: 'The role and name the API key speaks for (the console shows the pages of that role)',
          responses: { '200': json('The key holder', z.object({
                role: z.enum(['integrator', 'agent', 'supervisor', 'analyst']),
                name: z.string(),
                agentId: z.string().optional(),
                limits: z
                  .object({ liveStreamConversations: z.number().int().meta({ description: 'LIVE_STREAM_CONVERSATIONS: the most conversations one console page\'s stream (GET /v1/console/live) carries; the console opens no more panels than this' }) })
                  .meta({ description: 'Limits the console keeps within' }),
              })), '401': problem('Missing or unknown key') },
        },
      },
      ...livePaths(conversationPath),
      '/v1/analytics/diagram': {
        get: {
          summary: "Analysts: the conversation machine's state diagram (Mermaid), generated from its definition",
          responses: { '200': json('The diagram', z.object({ diagram: z.string() })), '403': problem('Not an analyst or supervisor key') },
        },
      },
      '/v1/agent/conversations': {
        get: {
          summary: 'Agents: the conversations the calling agent holds now',
          responses: { '200': json('Conversations', z.object({ conversations: z.array(ConversationView) })), '403': problem('Not an agent key') },
        },
      },
      '/v1/agent/conversations/{conversationId}/transfer': {
        post: {
          summary: 'Agents: hand a conversation you hold to a queue or a named agent (your call is hung up, a new one placed)',
          requestParams: { path: conversationPath },
          requestBody: { required: true, content: { 'application/json': { schema: TransferBody } } },
          responses: {
            '200': json('The conversation, queued again', ConversationView),
            '403': problem('not_assigned: another agent holds the conversation'),
            '404': problem('Unknown conversation'),
            '409': problem('not_transferable: nobody holds it; conversation_closed'),
          },
        },
      },
      '/v1/conversations/{conversationId}/templates': {
        get: {
          summary: 'Approved templates the agent may send in this conversation',
          requestParams: { path: conversationPath },
          responses: { '200': json('Templates', z.object({ templates: z.array(TemplateView) })), '404': problem('Unknown conversation') },
        },
      },
      '/v1/analytics/conversations/{conversationId}/timeline': {
        get: {
          summary: "Analysts: a conversation's timeline per run (states with times, messages, expiries, hand-offs) and its path through the machine",
          requestParams: { path: conversationPath, query: TimelineQuery },
          responses: { '200': json('Timelines, newest run first', ConversationTimelinesView), '404': problem('Unknown conversation') },
        },
      },
      '/v1/analytics/kpis': {
        get: {
          summary: 'Analysts: KPIs over the conversations a filter selects, replayed from their workflow histories',
          requestParams: { query: KpiQuery },
          responses: {
            '200': json('The KPIs', KpisView),
            '400': problem('invalid_request, or analytics_filter_too_wide when more runs match than one request replays'),
          },
        },
      },
      ...campaignPaths(),
      ...mediaPaths(),
      ...supervisorPaths(),
      ...callPaths(),
      ...webhookPaths(),
    }, privacyPaths(), sendingPaths(), healthPaths()),
  }));
  return cached;
}
