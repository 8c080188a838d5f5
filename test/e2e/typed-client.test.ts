/**
 * An integrator's client generated from the OpenAPI document (openapi-typescript types in api/openapi.types.ts,
 * openapi-fetch) drives a conversation through the real stack: the compiler holds the requests to the document,
 * and every answer is checked against the document's response schema, so the document and the API cannot drift
 * apart unnoticed.
 */
import Ajv2020 from 'ajv/dist/2020';
import createClient from 'openapi-fetch';
import { openApiDocument } from '../../api/openapi';
import type { paths } from '../../api/openapi.types';
import { inboundTextWebhook } from '../../simulator/cloud-api.payloads';
import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';

let rig: ServiceRig;
const customer = String(15556000000 + Math.floor(Math.random() * 900_000));
const conversationId = `wa:${BUSINESS_NUMBER_ID}:${customer}`;

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

const doc = openApiDocument() as unknown as {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: object }> }> }>>;
  components: object;
};
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });

/** Problems of a body against the schema the document gives for this operation and status ([] when it conforms). */
function offContract(path: string, method: string, status: number, body: unknown): string[] {
  const response = doc.paths[path]?.[method]?.responses[String(status)];
  if (!response) return [`${method.toUpperCase()} ${path}: status ${status} is not documented`];
  const media = Object.values(response.content ?? {})[0];
  if (!media?.schema) return [];
  const validate = ajv.compile({ ...media.schema, components: doc.components });
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${method.toUpperCase()} ${path} ${status}: ${e.instancePath} ${e.message}`);
}

describe('a client generated from the OpenAPI document', () => {
  it('answers a customer, reads the thread and meets a refusal, every answer as the document says', async () => {
    const api = createClient<paths>({ baseUrl: rig.baseUrl, headers: { authorization: `Bearer ${rig.keys.integrator}` } });
    const drift: string[] = [];
    const check = (path: string, method: string, r: { response: Response; data?: unknown; error?: unknown }) =>
      drift.push(...offContract(path, method, r.response.status, r.data ?? r.error));

    const delivery = await rig.simulator.deliverWebhook(inboundTextWebhook({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'Where is my order?' }));
    expect(delivery.finalStatus).toBe(200);

    const conversation = await eventually(
      () => api.GET('/v1/conversations/{conversationId}', { params: { path: { conversationId } } }),
      (r) => r.data?.state === 'openSession',
    );
    check('/v1/conversations/{conversationId}', 'get', conversation);
    expect(conversation.data).toMatchObject({ conversationId, customer: { waId: customer } });

    const sent = await api.POST('/v1/conversations/{conversationId}/messages', {
      params: { path: { conversationId }, header: { 'idempotency-key': `typed-${customer}` } },
      body: { message: { type: 'text', text: 'It arrives tomorrow.' } },
    });
    check('/v1/conversations/{conversationId}/messages', 'post', sent);
    expect(sent.response.status).toBe(202);
    expect(sent.data).toMatchObject({ conversationId, status: 'queued' });

    await eventually(
      async () => rig.simulator.sent().filter((m) => m.to === customer),
      (messages) => messages.some((m) => (m.body.text as { body?: string } | undefined)?.body === 'It arrives tomorrow.'),
    );
    const thread = await eventually(
      () => api.GET('/v1/conversations/{conversationId}/messages', { params: { path: { conversationId } } }),
      (r) => (r.data?.messages ?? []).some((m) => m.direction === 'outbound' && m.text === 'It arrives tomorrow.'),
    );
    check('/v1/conversations/{conversationId}/messages', 'get', thread);
    expect(thread.data!.messages.map((m) => [m.direction, m.text])).toEqual([
      ['inbound', 'Where is my order?'],
      ['outbound', 'It arrives tomorrow.'],
    ]);

    const unknown = await api.GET('/v1/conversations/{conversationId}', { params: { path: { conversationId: `wa:${BUSINESS_NUMBER_ID}:15550000001` } } });
    check('/v1/conversations/{conversationId}', 'get', unknown);
    expect(unknown.response.status).toBe(404);
    expect(unknown.error).toMatchObject({ code: 'unknown_conversation' });

    const keyless = await createClient<paths>({ baseUrl: rig.baseUrl }).GET('/v1/conversations', {});
    check('/v1/conversations', 'get', keyless);
    expect(keyless.response.status).toBe(401);

    expect(drift).toEqual([]);
  }, 60_000);
});
