import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { CallingSettingsBody, KpiQuery } from './calls.routes';

type Responses = (description: string) => { description: string; content: Record<string, { schema: z.ZodType }> };

/** WhatsApp calls: calling settings, a conversation's calls, KPIs. */
export function callPaths(problem: Responses, json: (description: string, schema: z.ZodType) => ReturnType<Responses>): ZodOpenApiPathsObject {
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
    '/v1/calls/kpis': {
      get: { operationId: 'getCallKpis', summary: 'Calls offered, answered, missed, abandoned, failed; mean wait and talk time', requestParams: { query: KpiQuery }, responses: { '200': json('KPIs', anyJson), '400': problem('Invalid range') } },
    },
  };
}
