import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { json, problem } from './openapi.responses';
import { CallingSettingsBody, KpiQuery } from './calls.routes';

/** A WhatsApp call as an entry of the thread and the timeline (services/call-entries.ts). */
export const CallEntryView = z
  .object({
    kind: z.literal('call'),
    callId: z.string().optional().meta({ description: 'The SIP Call-ID (its workflow is call:<callId>), when the SIP side saw the call' }),
    wacid: z.string().optional().meta({ description: "Meta's call id, when a `calls` webhook named the call" }),
    direction: z.enum(['inbound', 'outbound']).meta({ description: 'inbound: the WhatsApp user called; outbound: the business did' }),
    at: z.string().meta({ description: 'When it was offered (ISO 8601)' }),
    outcome: z.string().meta({ description: "ended, missed, abandoned, failed, ringing, answered (the SIP side's phase); else Meta's terminate status: completed, failed; else Meta's call status: ringing, answered (ACCEPTED), rejected; else from Meta's connect alone: ringing (the user's call) or answered (the business's)" }),
    cause: z.string().optional(),
    agentId: z.string().optional(),
    waitSeconds: z.number().optional(),
    durationSeconds: z.number().optional().meta({ description: "Talk time in seconds: the SIP side's, else Meta's duration" }),
    meta: z
      .object({ status: z.string().optional(), startTime: z.string().optional(), endTime: z.string().optional(), durationSeconds: z.number().optional() })
      .optional()
      .meta({ description: "What Meta's terminate webhook reported" }),
  })
  .meta({ id: 'CallEntry' });

/** WhatsApp calls: calling settings, a conversation's calls, KPIs. */
export function callPaths(): ZodOpenApiPathsObject {
  const anyJson = z.record(z.string(), z.unknown());
  const numberPath = z.object({ phoneNumberId: z.string() });
  return {
    '/v1/numbers/{phoneNumberId}/calling': {
      put: {
        operationId: 'setNumberCalling',
        summary: "Set the number's calling settings; pushed to Meta (POST /<PHONE_NUMBER_ID>/settings), then stored with Meta's SIP password",
        requestParams: { path: numberPath },
        requestBody: { required: true, content: { 'application/json': { schema: CallingSettingsBody } } },
        responses: { '200': json('The settings as stored (the password is never shown)', anyJson), '400': problem('Invalid settings'), '404': problem('unknown_number'), '502': problem('broker_refused: Meta refused them') },
      },
      get: { operationId: 'getNumberCalling', summary: "The number's calling settings", requestParams: { path: numberPath }, responses: { '200': json('The settings', anyJson), '404': problem('unknown_number') } },
    },
    '/v1/conversations/{conversationId}/calls': {
      get: {
        operationId: 'listConversationCalls',
        summary: "The conversation's WhatsApp calls, oldest first (an agent sees the calls it took)",
        requestParams: { path: z.object({ conversationId: z.string() }) },
        responses: { '200': json('Calls: phase, cause, agent, wait and talk seconds', anyJson) },
      },
    },
    '/v1/conversations/{conversationId}/call-permission': {
      get: {
        operationId: 'getConversationCallPermission',
        summary:
          "Whether the business may call the customer now: the customer's last call permission reply (accept/reject, permanent or expiring), connected calls in 24 h, unanswered calls in a row, and the refusal code (call_permission_required, call_limit_reached) when it may not",
        requestParams: { path: z.object({ conversationId: z.string() }) },
        responses: { '200': json('The permission, the verdict and Meta\'s limits', anyJson), '404': problem('unknown_conversation: not a wa:<phone number id>:<wa_id> conversation') },
      },
    },
    '/v1/calls/kpis': {
      get: { operationId: 'getCallKpis', summary: 'Calls offered, answered, missed, abandoned, failed; mean wait and talk time', requestParams: { query: KpiQuery }, responses: { '200': json('KPIs', anyJson), '400': problem('Invalid range') } },
    },
  };
}
