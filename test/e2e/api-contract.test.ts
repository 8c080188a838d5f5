/**
 * The API as an integrator meets it, held against its own contract: the OpenAPI document and the routers agree on
 * every operation, error paths name fields of the request that was sent, and a conversation the broker's webhook
 * was acknowledged for can be written to at once.
 */
import { openApiDocument } from '../../api/openapi';
import { inboundTextWebhook } from '../../simulator/cloud-api.payloads';
import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';
import type { Role } from '../../store/api-keys.store';

let rig: ServiceRig;
let nextCustomer = 15554000000 + Math.floor(Math.random() * 900_000);
const newCustomer = () => String((nextCustomer += 1));
const conversationPath = (customer: string, rest = '') => `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`)}${rest}`;

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

interface Operation {
  method: string;
  path: string;
  parameters?: { in: string; name: string; schema?: { example?: unknown } }[];
  requestBody?: { required?: boolean; content: Record<string, unknown> };
}

/** Every documented operation, its path parameters filled with the document's examples (or a plausible id). */
function documentedOperations(): Operation[] {
  const doc = openApiDocument() as unknown as { paths: Record<string, Record<string, Omit<Operation, 'method' | 'path'>>> };
  const fallbacks: Record<string, string> = { mediaId: 'out_0', version: '1', phoneNumberId: '106540352242922', keyId: '0123456789abcdef' };
  return Object.entries(doc.paths).flatMap(([template, operations]) =>
    Object.entries(operations).map(([method, operation]) => {
      const path = template.replace(/\{(\w+)\}/g, (_all, name: string) => {
        const parameter = operation.parameters?.find((p) => p.in === 'path' && p.name === name);
        return encodeURIComponent(String(parameter?.schema?.example ?? fallbacks[name] ?? 'x'));
      });
      return { method: method.toUpperCase(), path, ...operation };
    }),
  );
}

/** A request with no body at all, as curl -X POST sends it; the headers only answer for streams. */
async function bodyless(method: string, path: string, role: Role): Promise<{ status: number; code?: string; errors?: { in?: string; path: string }[] }> {
  const abort = new AbortController();
  const response = await fetch(`${rig.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${rig.keys[role]}` }, signal: abort.signal });
  if (response.headers.get('content-type')?.includes('text/event-stream')) {
    abort.abort();
    return { status: response.status };
  }
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { code?: string; errors?: { in?: string; path: string }[] };
    return { status: response.status, ...(body.code ? { code: body.code } : {}), ...(body.errors ? { errors: body.errors } : {}) };
  } catch {
    return { status: response.status };
  }
}

describe('the OpenAPI document and the routers agree', () => {
  it('routes every documented operation, takes a bodyless request where the body is optional and names the missing body where it is required', async () => {
    const operations = documentedOperations();
    expect(operations.length).toBeGreaterThan(40);
    const disagreements: string[] = [];
    for (const operation of operations) {
      const answers = await Promise.all((['supervisor', 'integrator', 'agent', 'analyst'] as Role[]).map((role) => bodyless(operation.method, operation.path, role)));
      const allowed = answers.filter((a) => a.status !== 403);
      const say = (what: string) => disagreements.push(`${operation.method} ${operation.path}: ${what} (${JSON.stringify(answers)})`);
      if (answers.some((a) => a.code === 'not_found' || a.code === 'method_not_allowed')) say('documented but not routed');
      if (answers.some((a) => a.status >= 500)) say('5xx');
      if (answers.some((a) => a.status === 415)) say('415 for a request without a body');
      if (operation.path.startsWith('/v1') && allowed.length === 0) say('no role may call it');
      const required = operation.requestBody?.required === true;
      for (const answer of allowed) {
        if (required && !(answer.status === 400 && answer.code === 'invalid_request')) say('body required, but a bodyless request is not a 400 invalid_request');
        // A 400 naming only a missing query or path parameter (the walk sends none) is not about the body.
        const aboutBody = !(answer.errors?.length && answer.errors.every((e) => e.in !== undefined && e.in !== 'body'));
        if (!required && operation.path.startsWith('/v1') && answer.status === 400 && aboutBody) say('body optional, but a bodyless request is a 400');
      }
    }
    expect(disagreements).toEqual([]);
  }, 120_000);
});

describe('error paths name fields of the request that was sent', () => {
  it('answers a template with the wrong parameters on POST /v1/conversations at template.components, where the request has them', async () => {
    await rig.requestAs('supervisor', 'POST', '/v1/numbers', {
      phoneNumberId: BUSINESS_NUMBER_ID,
      displayNumber: '+1 202 555 0107',
      verificationMethod: 'sms',
      ownership: { attestedBy: 'Grace', statement: true },
    });
    const created = await rig.requestAs('supervisor', 'POST', '/v1/templates', {
      businessNumberId: BUSINESS_NUMBER_ID,
      name: 'contract_reminder',
      language: 'en_US',
      category: 'utility',
      definition: { body: { text: 'Hello {{1}}, see you on {{2}}.', examples: ['Ada', 'Monday'] } },
    });
    expect(created.status).toBe(201);
    const brokerId = rig.simulator.templates().find((t) => t.name === 'contract_reminder')!.id;
    await rig.simulator.setTemplateStatus(brokerId, 'APPROVED');
    await eventually(() => rig.request('GET', `/v1/templates/${BUSINESS_NUMBER_ID}:contract_reminder:en_US`), (r) => r.body.status === 'APPROVED');

    const template = { name: 'contract_reminder', language: 'en_US', components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }] }] };
    const started = await rig.request('POST', '/v1/conversations', { businessNumberId: BUSINESS_NUMBER_ID, customer: { waId: newCustomer() }, template });
    expect(started).toMatchObject({ status: 422, body: { code: 'template_parameters_mismatch' } });
    expect(started.body.errors.map((e: { path: string }) => e.path)).toEqual(['template.components.0.parameters']);
  });

  it('names a bad path parameter, query parameter and header by their names in the request', async () => {
    const badId = await rig.request('GET', '/v1/conversations/not-a-conversation');
    expect(badId).toMatchObject({ status: 400, body: { code: 'invalid_request', errors: [{ in: 'path', path: 'conversationId' }] } });
    const badQuery = await rig.request('GET', '/v1/conversations?state=dancing');
    expect(badQuery).toMatchObject({ status: 400, body: { code: 'invalid_request', errors: [{ in: 'query', path: 'state' }] } });
    const badKey = await rig.request('POST', conversationPath(newCustomer(), '/messages'), { message: { type: 'text', text: 'x' } }, { 'idempotency-key': 'x'.repeat(1000) });
    expect(badKey).toMatchObject({ status: 400, body: { code: 'invalid_request', errors: [{ in: 'header', path: 'idempotency-key' }] } });
    const badBody = await rig.request('POST', conversationPath(newCustomer(), '/messages'), { message: { type: 'text' } });
    expect(badBody).toMatchObject({ status: 400, body: { code: 'invalid_request', errors: [{ in: 'body', path: 'message.text' }] } });
  });
});

describe('methods', () => {
  it('answers a documented path asked with a method it does not take 405 with Allow (RFC 9110 §15.5.6), an unknown path 404, and changes nothing', async () => {
    const thread = conversationPath(newCustomer(), '/messages');
    const asked = async (method: string, path: string) =>
      fetch(`${rig.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${rig.keys.integrator}` } });
    const removed = await asked('DELETE', thread);
    expect(removed.status).toBe(405);
    expect(removed.headers.get('allow')).toBe('GET, POST, HEAD');
    expect(removed.headers.get('content-type')).toContain('application/problem+json');
    expect(await removed.json()).toMatchObject({ code: 'method_not_allowed' });
    expect((await asked('PATCH', '/v1/conversations')).headers.get('allow')).toBe('GET, POST, HEAD');
    expect((await asked('DELETE', '/v1/nowhere')).status).toBe(404);
  });
});

describe('a conversation acknowledged to the broker exists for every route at once', () => {
  it('replies to and closes a conversation right after its first webhook was answered 200, never 404', async () => {
    const notFound: string[] = [];
    for (let i = 0; i < 8; i += 1) {
      const customer = newCustomer();
      const delivery = await rig.simulator.deliverWebhook(inboundTextWebhook({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'hello?' }));
      expect(delivery.finalStatus).toBe(200);
      const reply = await rig.request('POST', conversationPath(customer, '/messages'), { message: { type: 'text', text: 'Hi, how can we help?' } });
      if (reply.status !== 202) notFound.push(`reply ${customer}: ${reply.status} ${reply.body.code}`);
      const read = await rig.request('POST', conversationPath(customer, '/read'));
      if (read.status !== 200) notFound.push(`read ${customer}: ${read.status} ${read.body.code}`);
      const thread = await rig.request('GET', conversationPath(customer, '/messages'));
      if (thread.status !== 200) notFound.push(`thread ${customer}: ${thread.status}`);
      const close = await rig.request('POST', conversationPath(customer, '/close'));
      if (close.status !== 200) notFound.push(`close ${customer}: ${close.status} ${close.body.code}`);
    }
    expect(notFound).toEqual([]);
  }, 60_000);
});
