import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { json, problem } from './openapi.responses';
import { CampaignId, CampaignView, CreateCampaignBody, ListRecipientsQuery, RecipientPage } from './campaigns.schema';
import { IdempotencyKey } from './conversations.schema';

/** Campaigns: one approved template to a list of customers, paced within the number's rate and tier. */
export function campaignPaths(): ZodOpenApiPathsObject {
  const idempotencyHeader = z.object({ 'idempotency-key': IdempotencyKey.optional().meta({ description: 'Retries with the same key take effect once' }) });
  const campaignPath = z.object({ campaignId: CampaignId });
  const campaignChange = (summary: string) => ({
    post: {
      summary,
      requestParams: { path: campaignPath },
      requestBody: { required: false, content: { 'application/json': { schema: z.strictObject({}) } } },
      responses: {
        '200': json('The campaign once the change holds', CampaignView),
        '404': problem('Unknown campaign'),
        '409': problem('campaign_finished: a completed campaign cannot be changed, nor a cancelled one paused or resumed; campaign_on_hold: resume refused while the account-health hold that paused it stands (see pausedFor.alertId)'),
      },
    },
  });
  return {
    '/v1/campaigns': {
      post: {
        summary: 'Send one approved template to a list of customers, paced within the number’s rate and tier',
        requestParams: { header: idempotencyHeader },
        requestBody: { required: true, content: { 'application/json': { schema: CreateCampaignBody } } },
        responses: {
          '201': json('Created and running (a retry with the same Idempotency-Key answers the same campaign)', CampaignView),
          '400': problem('Invalid body'),
          '422': problem("The template is not approved, or a recipient row's parameters do not fit it (template_parameters_mismatch, errors[].path recipients.<row>…)"),
        },
      },
    },
    '/v1/campaigns/{campaignId}': {
      get: {
        summary: "A campaign's state and progress: counts per outcome and per delivery status",
        requestParams: { path: campaignPath },
        responses: { '200': json('The campaign', CampaignView), '404': problem('Unknown campaign') },
      },
    },
    '/v1/campaigns/{campaignId}/recipients': {
      get: {
        summary: 'Recipients in list order with their outcome (refused with a code, or their message’s delivery status)',
        requestParams: { path: campaignPath, query: ListRecipientsQuery },
        responses: { '200': json('One page of recipients', RecipientPage), '404': problem('Unknown campaign') },
      },
    },
    '/v1/campaigns/{campaignId}/pause': campaignChange('Pause: answers once nothing more will be handed to conversations'),
    '/v1/campaigns/{campaignId}/resume': campaignChange('Resume a paused campaign'),
    '/v1/campaigns/{campaignId}/cancel': campaignChange('Cancel for good: recipients not reached yet are marked cancelled'),
  };
}

/** Media: files to send, and the files customers sent. */
export function mediaPaths(): ZodOpenApiPathsObject {
  return {
  '/v1/media': {
    post: {
      summary: 'Upload a file to send (image, audio, video, document or sticker), or a supervisor\'s template header sample: multipart/form-data, field "file"',
      description:
        "The type is judged from the bytes, against Meta's supported media types (lib/media-limits.ts): JPEG or PNG images up to 5 MB; AAC, AMR, MP3, MP4 or Opus-in-Ogg audio up to 16 MB; MP4 or 3GPP video up to 16 MB; documents (PDF, text, Office) up to 100 MB; WebP stickers up to 500 KB animated, 100 KB static.",
      requestBody: {
        required: true,
        content: { 'multipart/form-data': { schema: z.object({ file: z.string().meta({ format: 'binary' }) }) } },
      },
      responses: {
        '201': json(
          'Stored; send it with {"type":<type>,"mediaId":…}',
          z.object({ mediaId: z.string(), type: z.string(), mimeType: z.string(), size: z.number(), sha256: z.string(), filename: z.string().optional() }),
        ),
        '400': problem('Not multipart/form-data with a "file" field, or an upload cut off before its end'),
        '413': problem("payload_too_large: over its type's limit (problem and limit say which)"),
        '422': problem('invalid_media: a type Meta does not take, or bytes not matching the declared type'),
      },
    },
  },
  '/v1/media/{mediaId}': {
    get: {
      summary: 'A file a customer sent or an agent uploaded, with its content type (a document with its name in Content-Disposition)',
      requestParams: { path: z.object({ mediaId: z.string() }) },
      responses: { '200': { description: 'The bytes', content: { 'application/octet-stream': {} } }, '404': problem('Unknown media') },
    },
  },
  };
}

/** The Cloud API webhook: the subscription handshake and signed deliveries. */
export function webhookPaths(): ZodOpenApiPathsObject {
  return {
    '/webhooks/whatsapp': {
      get: {
        security: [],
        summary: 'Cloud API subscription handshake (hub.mode, hub.verify_token, hub.challenge)',
        responses: { '200': { description: 'The challenge, echoed' }, '403': problem('Wrong verify token') },
      },
      post: {
        security: [],
        summary: 'Cloud API webhook: messages, statuses, calls and template updates, signed with X-Hub-Signature-256',
        responses: {
          '200': json(
            'Durable: every part handed over, or kept as a dead letter (GET /v1/dead-letters) when it cannot be used; a body with more than WEBHOOK_INLINE_PARTS parts is stored whole and handed over after the answer (`deferred`)',
            z.object({
              received: z.object({
                messages: z.number().int(),
                duplicates: z.number().int(),
                statuses: z.number().int(),
                templateEvents: z.number().int(),
                capabilityUpdates: z.number().int(),
                fromBlocked: z.number().int().meta({ description: 'Messages from blocked people: kept, not routed' }),
                healthEvents: z.number().int().meta({ description: 'account_update, phone_number_quality_update, account_alerts, errors-webhook and user_preferences events applied; a redelivered alert event counts 0' }),
                callEvents: z.number().int().meta({ description: '`calls` events (connect, terminate) stored; a redelivered one counts 0' }),
                echoes: z.number().int().meta({ description: "smb_message_echoes: messages the business sent from the WhatsApp Business app (coexistence), each stored in its customer's thread as an outbound message with source business_app; a redelivered one also counts in duplicates" }),
                ignoredChanges: z.number().int().meta({ description: 'Changes of a field the connector does not act on (account_review_update, history, …), or a messages change with no messages, statuses or errors: each kept whole as a field_not_handled dead letter' }),
                deadLetters: z.number().int().meta({ description: 'Parts newly kept as dead letters; a redelivered part whose letter is kept already counts 0' }),
                deferred: z.number().int().optional().meta({ description: 'Parts stored whole, to be handed over in chunks' }),
              }),
            }),
          ),
          '400': problem('Not a Cloud API envelope (object, entry[].id, entry[].changes[].field); what a change carries is judged part by part'),
          '401': problem('Missing or wrong signature'),
          '413': problem("Over WEBHOOK_BODY_LIMIT_BYTES, never below Meta's 3 MB"),
          '503': problem('MongoDB or Temporal is unavailable: not stored; the broker should deliver it again'),
        },
      },
    },
  };
}
