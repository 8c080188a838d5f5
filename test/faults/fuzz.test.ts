import fc from 'fast-check';
import { inboundTextWebhook, signBody } from '../../simulator/cloud-api.payloads';
import { eventually } from '../support/workflow-env';
import { APP_SECRET, BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';

let rig: ServiceRig;
beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

interface Answer {
  status: number;
  contentType: string;
  code?: string;
}

async function call(method: string, path: string, body: string | undefined, headers: Record<string, string>): Promise<Answer> {
  const response = await fetch(`${rig.baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { code?: string }).code;
  } catch {
    // not JSON
  }
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', code };
}

/** Every refusal is a 4xx problem document with a stable code; nothing is ever a 5xx. */
function expectProblem(answer: Answer): void {
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(500);
  expect(answer.contentType).toContain('application/problem+json');
  expect(answer.code).toMatch(/^[a-z_]+$/);
}

/** A valid Cloud API body with one field somewhere replaced by anything. */
const mutatedWebhook = fc
  .tuple(fc.constantFrom('object', 'entry', 'id', 'changes', 'field', 'value', 'metadata', 'phone_number_id', 'messages', 'from', 'timestamp', 'type', 'text', 'body', 'statuses'), fc.jsonValue())
  .map(([key, replacement]) => {
    const body = inboundTextWebhook({ phoneNumberId: BUSINESS_NUMBER_ID, from: '15550001111', text: 'x', wamid: 'wamid.fuzz.mutated' });
    const json = JSON.stringify(body);
    // Replace the first value stored under `key` (string, number, object or array) with the arbitrary one.
    return json.replace(new RegExp(`"${key}":("[^"]*"|\\d+|\\{[^{}]*\\}|\\[[^\\[\\]]*\\])`), `"${key}":${JSON.stringify(replacement) ?? 'null'}`);
  });

const anyBody = fc.oneof(fc.string({ maxLength: 300 }), fc.json({ maxDepth: 4 }), mutatedWebhook, fc.constant('x'.repeat(300 * 1024)));
const headerText = fc.stringMatching(/^[\x21-\x7e]{0,80}$/);

describe('property-based fuzzing of every public endpoint', () => {
  it('answers thousands of malformed, oversized and wrongly signed webhooks with a 4xx problem, storing nothing, while valid traffic interleaved with it is all handled', async () => {
    const storedBefore = await rig.store.messages.countDocuments();
    const valid: string[] = [];
    let run = 0;
    await fc.assert(
      fc.asyncProperty(anyBody, fc.constantFrom('none', 'wrong', 'right'), fc.constantFrom('application/json', 'text/plain'), async (body, signing, contentType) => {
        run += 1;
        if (run % 50 === 0) {
          // Valid traffic mixed into the noise: each must be taken.
          const wamid = `wamid.fuzz.valid.${run}`;
          const { delivery } = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: String(15550002000 + run), text: `valid ${run}`, wamid });
          expect(delivery.finalStatus).toBe(200);
          valid.push(wamid);
        }
        const headers: Record<string, string> = { 'content-type': contentType };
        if (signing === 'right') headers['x-hub-signature-256'] = signBody(body, APP_SECRET);
        if (signing === 'wrong') headers['x-hub-signature-256'] = signBody(body, 'another-secret');
        const answer = await call('POST', '/webhooks/whatsapp', body, headers);
        // A mutation can leave a valid payload (e.g. a different text); that one is rightly taken.
        if (answer.status === 200) {
          expect(signing).toBe('right');
          return;
        }
        expectProblem(answer);
      }),
      { numRuns: 1_500 },
    );

    const accepted = await rig.store.messages.countDocuments({ _id: { $nin: [...valid, 'wamid.fuzz.mutated'] } });
    expect(accepted).toBe(storedBefore);
    await eventually(() => rig.store.handledInbound.countDocuments({ _id: { $in: valid } }), (n) => n === valid.length, 30_000);
    expect((await call('GET', '/healthz', undefined, {})).status).toBe(200);
  }, 240_000);

  it('acknowledges every signed Cloud API envelope with 200 whatever its messages, statuses and contacts hold, never a 5xx, keeping what it cannot use as dead letters', async () => {
    // Mostly what Meta sends, sometimes anything: a part has to get past the plausible fields to reach the deep paths.
    const odd = fc.oneof(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }));
    const often = <T,>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 9, arbitrary: valid }, { weight: 1, arbitrary: odd });
    const digits = fc.stringMatching(/^\d{6,15}$/);
    // Ids past Temporal's workflow-id limit (1,000 bytes) are well-formed JSON that Temporal refuses for good.
    const longId = fc.string({ minLength: 1_100, maxLength: 1_300, unit: fc.constantFrom('1', '2', '3') });
    const message = fc.record(
      {
        id: often(fc.uuid().map((u) => `wamid.prop.${u}`)),
        from: fc.oneof({ weight: 3, arbitrary: digits }, { weight: 1, arbitrary: longId }, { weight: 1, arbitrary: odd }),
        from_user_id: often(digits.map((d) => `US.${d}`)),
        timestamp: often(fc.integer({ min: 0, max: 2_000_000_000 }).map(String)),
        type: often(fc.constantFrom('text', 'image', 'location', 'reaction')),
        text: often(fc.record({ body: fc.string({ maxLength: 40 }) })),
        image: often(fc.record({ id: fc.string({ minLength: 1, maxLength: 20 }) })),
      },
      { requiredKeys: [] },
    );
    const contact = fc.record({ wa_id: often(digits), user_id: odd, profile: often(fc.record({ name: fc.string(), username: fc.string() }, { requiredKeys: [] })) }, { requiredKeys: [] });
    const status = fc.record({ id: often(fc.uuid()), status: often(fc.constantFrom('sent', 'delivered', 'read', 'failed')), timestamp: often(fc.integer({ min: 0, max: 2_000_000_000 }).map(String)), errors: odd }, { requiredKeys: [] });
    const value = fc.record(
      {
        metadata: fc.oneof({ weight: 5, arbitrary: fc.constant({ phone_number_id: BUSINESS_NUMBER_ID }) }, { weight: 1, arbitrary: odd }),
        contacts: often(fc.array(contact, { maxLength: 3 })),
        messages: often(fc.array(message, { maxLength: 4 })),
        statuses: often(fc.array(status, { maxLength: 2 })),
      },
      { requiredKeys: [] },
    );
    const change = fc.record({ field: fc.constantFrom('messages', 'messages', 'message_template_status_update', 'template_category_update', 'account_update', 'phone_number_quality_update', 'account_alerts', 'user_preferences'), value: fc.oneof({ weight: 4, arbitrary: value }, { weight: 1, arbitrary: odd }) });
    const body = fc.array(fc.record({ id: fc.string({ maxLength: 20 }), changes: fc.array(change, { minLength: 1, maxLength: 3 }) }), { minLength: 1, maxLength: 2 }).map((entry) => JSON.stringify({ object: 'whatsapp_business_account', entry }));
    const envelope = (messages: unknown[], contacts: unknown[]) =>
      JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: { metadata: { phone_number_id: BUSINESS_NUMBER_ID }, contacts, messages } }] }] });
    const answers = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(body, async (raw) => {
        const answer = await call('POST', '/webhooks/whatsapp', raw, { 'content-type': 'application/json', 'x-hub-signature-256': signBody(raw, APP_SECRET) });
        answers.set(answer.status, (answers.get(answer.status) ?? 0) + 1);
        expect(answer.status).toBe(200);
      }),
      {
        numRuns: 250,
        // The cases issue 16 reported, always tried first: a message naming no customer, and one Temporal refuses.
        examples: [
          [envelope([{ id: 'wamid.prop.nobody', timestamp: '1764000000', type: 'text', text: { body: 'x' } }], [{ profile: { name: 'A' } }])],
          [envelope([{ id: 'wamid.prop.long', from: '1'.repeat(1_200), timestamp: '1764000000', type: 'text', text: { body: 'x' } }], [])],
        ],
      },
    );
    expect([...answers.keys()]).toEqual([200]);
    expect(await rig.store.db.collection('dead_letters').countDocuments()).toBeGreaterThan(0);
    expect((await call('GET', '/healthz', undefined, {})).status).toBe(200);
  }, 240_000);

  it('answers random ids, bodies and headers on the conversation API with a 4xx problem, recording nothing', async () => {
    const outboundBefore = await rig.store.messages.countDocuments({ direction: 'outbound' });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ minLength: 1, maxLength: 120 }).filter((s) => s !== '.' && s !== '..'), fc.stringMatching(/^wa:\d{1,20}:\d{1,20}$/)),
        fc.oneof(fc.json({ maxDepth: 4 }), fc.string({ maxLength: 200 }), fc.record({ message: fc.record({ type: fc.constantFrom('text', 'image', 'template'), text: fc.string(), mediaId: fc.string(), name: fc.string(), language: fc.string() }, { requiredKeys: [] }) }).map((r) => JSON.stringify(r))),
        headerText,
        fc.constantFrom('GET', 'POST'),
        // Mostly a valid key, so the bodies reach validation; sometimes garbage, which must be a 401.
        fc.oneof({ weight: 4, arbitrary: fc.constant(`Bearer ${rig.keys.integrator}`) }, { weight: 1, arbitrary: headerText.map((h) => `Bearer ${h}`) }),
        async (id, body, idempotencyKey, method, authorization) => {
          const path = `/v1/conversations/${encodeURIComponent(id)}${method === 'POST' ? '/messages' : ''}`;
          const answer = await call(method, path, method === 'POST' ? body : undefined, {
            authorization,
            ...(method === 'POST' ? { 'content-type': 'application/json', 'idempotency-key': idempotencyKey } : {}),
          });
          expectProblem(answer);
        },
      ),
      { numRuns: 1_000 },
    );
    expect(await rig.store.messages.countDocuments({ direction: 'outbound' })).toBe(outboundBefore);
  }, 240_000);

  it('answers random bodies, keys and ids on the supervisor routes with a 4xx problem, creating nothing', async () => {
    const counts = () => Promise.all([rig.store.numbers.countDocuments(), rig.store.templates.countDocuments(), rig.store.apiKeys.countDocuments(), rig.store.configVersions.countDocuments()]);
    const before = await counts();
    const templatesBefore = rig.simulator.templates().length;
    const routes: [string, (id: string) => string][] = [
      ['POST', () => '/v1/numbers'],
      ['PUT', (id) => `/v1/numbers/${encodeURIComponent(id)}/legacy`],
      ['POST', () => '/v1/templates'],
      ['PUT', (id) => `/v1/templates/${encodeURIComponent(id)}`],
      ['DELETE', (id) => `/v1/templates/${encodeURIComponent(id)}`],
      ['POST', () => '/v1/config/rollback'],
      ['GET', (id) => `/v1/config/versions/${encodeURIComponent(id)}`],
      ['POST', () => '/v1/api-keys'],
      ['DELETE', (id) => `/v1/api-keys/${encodeURIComponent(id)}`],
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.oneof(fc.string({ minLength: 1, maxLength: 80 }).filter((s) => s !== '.' && s !== '..'), fc.stringMatching(/^\d{1,20}:[a-z_]{1,10}:en_US$/)),
        fc.oneof(fc.json({ maxDepth: 4 }), fc.string({ maxLength: 200 }), fc.record({ role: fc.string(), name: fc.string(), version: fc.integer(), phoneNumberId: fc.string(), displayNumber: fc.string() }, { requiredKeys: [] }).map((r) => JSON.stringify(r))),
        fc.oneof({ weight: 4, arbitrary: fc.constant(`Bearer ${rig.keys.supervisor}`) }, { weight: 1, arbitrary: fc.constantFrom(`Bearer ${rig.keys.agent}`, `Bearer ${rig.keys.analyst}`) }, { weight: 1, arbitrary: headerText }),
        async ([method, pathFor], id, body, authorization) => {
          const answer = await call(method, pathFor(id), method === 'GET' || method === 'DELETE' ? undefined : body, { authorization, 'content-type': 'application/json' });
          expectProblem(answer);
        },
      ),
      { numRuns: 600 },
    );
    expect(await counts()).toEqual(before);
    expect(rig.simulator.templates().length).toBe(templatesBefore);
  }, 240_000);
  it('answers random ids, bodies and keys on the agent routes with a 4xx problem, transferring nothing', async () => {
    const conversationsBefore = await rig.store.conversations.countDocuments({ 'routing.phase': 'queued' });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ minLength: 1, maxLength: 120 }).filter((s) => s !== '.' && s !== '..'), fc.stringMatching(/^wa:\d{1,20}:\d{1,20}$/)),
        fc.oneof(fc.json({ maxDepth: 3 }), fc.string({ maxLength: 200 }), fc.record({ queue: fc.string({ maxLength: 200 }), agentId: fc.string({ maxLength: 200 }) }, { requiredKeys: [] }).map((r) => JSON.stringify(r))),
        fc.oneof({ weight: 4, arbitrary: fc.constant(`Bearer ${rig.keys.agent}`) }, { weight: 1, arbitrary: fc.constantFrom(`Bearer ${rig.keys.integrator}`, `Bearer ${rig.keys.analyst}`) }, { weight: 1, arbitrary: headerText }),
        async (id, body, authorization) => {
          expectProblem(await call('POST', `/v1/agent/conversations/${encodeURIComponent(id)}/transfer`, body, { authorization, 'content-type': 'application/json' }));
          if (authorization !== `Bearer ${rig.keys.agent}`) expectProblem(await call('GET', '/v1/agent/conversations', undefined, { authorization }));
        },
      ),
      { numRuns: 300 },
    );
    expect(await rig.store.conversations.countDocuments({ 'routing.phase': 'queued' })).toBe(conversationsBefore);
  }, 240_000);
});
