import { execFile } from 'node:child_process';
import { toolPath } from '../../scripts/dev-servers';
import { testEnv } from '../support/env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';
import { eventually } from '../support/workflow-env';

let rig: ServiceRig;
const suffix = String(Math.floor(Math.random() * 900_000) + 100_000);
const customer = `1555${suffix}1`;
const templated = `1555${suffix}2`;
const secrets = { profileName: `Ada Lovelace ${suffix}`, inbound: `my order ${suffix} is late`, reply: `Your parcel code is P${suffix}`, parameter: `Grace Hopper ${suffix}` };
const conversationOf = (key: string) => `wa:${BUSINESS_NUMBER_ID}:${key}`;

/** `temporal workflow show --output json`, optionally through the codec server (asynchronously: it is served here). */
function show(workflowId: string, codec: string[] = []): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const args = ['workflow', 'show', '--address', testEnv().temporalAddress, '-w', workflowId, '--output', 'json', ...codec];
  return new Promise((resolve) => {
    execFile(toolPath('temporal'), args, { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

/** Every text a history holds: its JSON, and each base64 string in it decoded (payload data is base64 there). */
function readable(historyJson: string): string {
  const decoded: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(value) && value.length % 4 === 0) decoded.push(Buffer.from(value, 'base64').toString('latin1'));
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(JSON.parse(historyJson));
  return `${historyJson}\n${decoded.join('\n')}`;
}

beforeAll(async () => {
  rig = await startService();
  // One body placeholder, with its example, as WhatsApp requires of a template that takes a parameter.
  await rig.approveTemplate('order_update', 'en_US', 'APPROVED', { body: { text: 'Hello {{1}}, this is order_update.', examples: ['Ada'] } });
  await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, profileName: secrets.profileName, text: secrets.inbound });
  const id = conversationOf(customer);
  await eventually(() => rig.request('GET', `/v1/conversations/${id}`), (r) => r.status === 200 && r.body.state === 'openSession');
  expect((await rig.requestAs('agent', 'POST', `/v1/conversations/${id}/messages`, { message: { type: 'text', text: secrets.reply } })).status).toBe(202);
  const started = await rig.request('POST', '/v1/conversations', {
    businessNumberId: BUSINESS_NUMBER_ID,
    customer: { waId: templated },
    template: { name: 'order_update', language: 'en_US', components: [{ type: 'body', parameters: [{ type: 'text', text: secrets.parameter }] }] },
  });
  expect(started.status).toBe(202);
  await eventually(() => rig.simulator.sent().filter((m) => m.to === customer || m.to === templated), (sent) => sent.length === 2);
}, 90_000);

afterAll(async () => {
  await rig?.stop();
});

describe('workflow payloads encrypted at rest in Temporal', () => {
  it('keeps texts, names and numbers out of the raw history the Temporal CLI prints', async () => {
    for (const [key, expected] of [[customer, [secrets.profileName, secrets.reply, secrets.inbound]], [templated, [secrets.parameter]]] as const) {
      const raw = await show(conversationOf(key));
      expect(raw.status).toBe(0);
      const text = readable(raw.stdout);
      // The workflow's own payloads are there, encrypted and labelled with the key that can open them.
      expect(text).toContain('binary/encrypted');
      expect(text).toContain('test-1');
      for (const secret of expected) expect(text).not.toContain(secret);
      // The customer's number appears in no payload; the conversation id itself (wa:<number>:<customer>) is no payload.
      expect(text.replaceAll(conversationOf(key), '')).not.toContain(key);
    }
  });

  it('shows the decoded history through the codec server to a supervisor key, and to nobody else', async () => {
    const id = conversationOf(customer);
    const codec = (key: string) => ['--codec-endpoint', `${rig.baseUrl}/codec`, '--codec-auth', `Bearer ${key}`];
    const decoded = await show(id, codec(rig.keys.supervisor));
    expect(decoded.status).toBe(0);
    // The CLI prints decoded payloads as proto JSON: their data base64 of plain JSON.
    expect(readable(decoded.stdout)).toContain(secrets.reply);
    expect(readable(decoded.stdout)).toContain(secrets.profileName);
    const refused = await show(id, codec(rig.keys.integrator));
    // The CLI stops at the codec server's 403: nothing decoded is printed.
    expect(refused.status).not.toBe(0);
    expect(refused.stdout ? readable(refused.stdout) : '').not.toContain(secrets.reply);
  });

  it('answers the codec protocol only to supervisor and analyst keys, with CORS for the Web UI', async () => {
    const history = JSON.parse((await show(conversationOf(customer))).stdout) as { events: { workflowExecutionStartedEventAttributes?: { input?: { payloads: unknown[] } } }[] };
    const payloads = history.events[0]!.workflowExecutionStartedEventAttributes!.input!.payloads;
    const decode = (headers: Record<string, string>) =>
      fetch(`${rig.baseUrl}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers }, body: JSON.stringify({ payloads }) });
    const ok = await decode({ authorization: `Bearer ${rig.keys.analyst}`, origin: 'http://localhost:8233' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    const body = (await ok.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(Buffer.from(body.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    expect(Buffer.from(body.payloads[0]!.data, 'base64').toString()).toContain(customer);
    expect((await decode({})).status).toBe(401);
    expect((await decode({ authorization: `Bearer ${rig.keys.integrator}` })).status).toBe(403);
    const preflight = await fetch(`${rig.baseUrl}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:8233', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-namespace' },
    });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('x-namespace');
    const foreign = await decode({ authorization: `Bearer ${rig.keys.analyst}`, origin: 'https://evil.example' });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    // A round trip through /codec/encode opens again with /codec/decode.
    const encoded = await fetch(`${rig.baseUrl}/codec/encode`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${rig.keys.supervisor}` }, body: JSON.stringify(body) });
    expect(encoded.status).toBe(200);
    const again = (await encoded.json()) as { payloads: { metadata: Record<string, string> }[] };
    expect(Buffer.from(again.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
  });
});
