/**
 * Security probes, issue 26 items 7 (the console's headers), 8 (malformed input is a 4xx, bounded work) and 9 (no
 * verify token or customer number in the access log; https-only template links).
 */
import { connect } from 'node:net';
import { createLogger } from '../../lib/logger';
import { conversationOf } from '../support/console-rig';
import { BUSINESS_NUMBER_ID, VERIFY_TOKEN, startService, type ServiceRig } from '../support/service';

const lines: string[] = [];
let rig: ServiceRig;
beforeAll(async () => {
  rig = await startService({ logger: createLogger('info', 'api', { write: (line: string) => void lines.push(line) }) });
}, 60_000);
afterAll(async () => rig?.stop());

const expectProblem = (answer: { status: number; contentType: string; body: { code?: string } }, status: number, code: string) =>
  expect(answer).toMatchObject({ status, contentType: expect.stringContaining('application/problem+json'), body: { code } });

/** What the server answers a raw request (bytes as written), read until it closes the connection. */
function rawRequest(baseUrl: string, request: string): Promise<{ status: number; contentType: string; body: { code?: string } }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk)).on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = Buffer.concat(chunks).toString('utf8').split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), contentType: /content-type: ([^\r]+)/i.exec(head)?.[1] ?? '', body: body ? (JSON.parse(body) as { code?: string }) : {} });
    });
  });
}

describe('malformed requests are a 4xx and cost little', () => {
  it("answers what Node's HTTP parser refuses as a problem document too: headers over 16 KiB (431), an unreadable request (400)", async () => {
    const huge = `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(20 * 1024)}\r\n\r\n`;
    expectProblem(await rawRequest(rig.baseUrl, huge), 431, 'request_header_too_large');
    expectProblem(await rawRequest(rig.baseUrl, 'GET /healthz HTTP/1.1\r\nHost x\r\n\r\n'), 400, 'invalid_request');
    // The server still answers the next request as usual.
    expect((await fetch(`${rig.baseUrl}/healthz`)).status).toBe(200);
  });

  it('answers a bad percent-escape in a path with 400, logging no stack', async () => {
    const before = lines.length;
    expectProblem(await rig.request('GET', '/v1/media/%ZZ'), 400, 'invalid_request');
    expectProblem(await rig.request('GET', '/v1/conversations/wa%3A1%3A%E0%A4%A'), 400, 'invalid_request');
    const staticFile = await fetch(`${rig.baseUrl}/console/%ZZ`);
    expect(staticFile.status).toBeGreaterThanOrEqual(400);
    expect(staticFile.status).toBeLessThan(500);
    expect(lines.slice(before).join('')).not.toContain('URIError');
  });

  it('takes a client that hangs up mid-body as its own doing: no "unhandled error" with a stack, no 500 counted', async () => {
    // Found from outside against `npm start`: raw-body's "request aborted" was mapped to 500 internal and logged as one.
    const before = lines.length;
    const { hostname, port } = new URL(rig.baseUrl);
    const hangUp = (path: string, headers: string, body: string) =>
      new Promise<void>((resolve) => {
        const socket = connect(Number(port), hostname, () => {
          socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${rig.keys.supervisor}\r\n${headers}Content-Length: 100000\r\n\r\n${body}`);
          setTimeout(() => socket.destroy(), 200);
        });
        socket.on('close', () => resolve()).on('error', () => resolve());
      });
    await hangUp('/v1/config/draft', 'Content-Type: application/json\r\n', '{"autoReplies":{"wel');
    await hangUp('/webhooks/whatsapp', 'Content-Type: application/json\r\nX-Hub-Signature-256: sha256=00\r\n', '{"object":"whatsapp_bu');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const logged = lines.slice(before).join('\n');
    expect(logged).not.toContain('unhandled error');
    expect(logged).not.toContain('"statusCode":500');
    expect((await fetch(`${rig.baseUrl}/healthz`)).status).toBe(200);
  });

  it('refuses a configuration draft with $-prefixed or dotted keys (400), saving nothing', async () => {
    for (const draft of [{ $where: 'sleep(1000)' }, { autoReplies: { 'wel.come': 'hi' } }, { routing: { rules: [{ $gt: '' }] } }]) {
      const answer = await rig.requestAs('supervisor', 'PUT', '/v1/config/draft', draft);
      expectProblem(answer, 400, 'invalid_request');
      // Where, as every 400 says it: the part of the request and the path in it.
      expect(answer.body.errors[0]).toMatchObject({ in: 'body', path: expect.any(String) });
    }
    expect(await rig.store.configDrafts.countDocuments()).toBe(0);
  });

  it('refuses a body nested 100,000 deep at once (400), with no huge log line', async () => {
    const before = lines.length;
    // 200 kB, within the body limit: the depth is the attack.
    const deep = `{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const started = Date.now();
    const answer = await rig.requestAs('supervisor', 'PUT', '/v1/config/draft', deep);
    expectProblem(answer, 400, 'invalid_request');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(Math.max(0, ...lines.slice(before).map((l) => l.length))).toBeLessThan(4_096);
    expect(await rig.store.configDrafts.countDocuments()).toBe(0);
  });

  it('says why a body is refused: not an object, too large, an unsupported charset, a lone surrogate; saving nothing', async () => {
    const put = (body: string, contentType = 'application/json') =>
      fetch(`${rig.baseUrl}/v1/config/draft`, { method: 'PUT', headers: { authorization: `Bearer ${rig.keys.supervisor}`, 'content-type': contentType }, body });
    const answer = async (response: Response) => ({ status: response.status, body: (await response.json()) as { code: string; detail?: string; limit?: number } });

    expect(await answer(await put('null'))).toMatchObject({ status: 400, body: { code: 'invalid_request', detail: 'The body must be a JSON object, not null' } });
    expect(await answer(await put('{"a":'))).toMatchObject({ status: 400, body: { detail: 'The body is not valid JSON' } });
    const big = JSON.stringify({ autoReplies: { welcome: 'x'.repeat(1_100_000) } });
    const tooLarge = await answer(await put(big));
    expect(tooLarge).toMatchObject({ status: 413, body: { code: 'payload_too_large', limit: expect.any(Number) } });
    expect(tooLarge.body.detail).toBe(`The body is ${big.length} bytes; this route takes at most ${tooLarge.body.limit} bytes`);
    const latin1 = await answer(await put('{"a":"b"}', 'application/json; charset=iso-8859-1'));
    expect(latin1).toMatchObject({ status: 415, body: { code: 'unsupported_media_type', detail: expect.stringContaining('"iso-8859-1"') } });
    // JSON's escape `\ud800` parses to half a character: not text any broker or phone can show.
    const lone = await rig.requestAs('supervisor', 'PUT', '/v1/config/draft', '{"autoReplies":{"welcome":"hi \\ud800"}}');
    expectProblem(lone, 400, 'invalid_request');
    expect(lone.body.errors[0]).toMatchObject({ in: 'body', path: 'autoReplies.welcome', message: expect.stringContaining('surrogate') });
    expect(await rig.store.configDrafts.countDocuments()).toBe(0);
    // A pair is one character (an emoji) and passes the guard.
    expect((await rig.requestAs('supervisor', 'PUT', '/v1/config/draft', '{"autoReplies":{"welcome":"hi \\ud83d\\ude00"}}')).status).toBe(200);
    await rig.store.configDrafts.deleteMany({});
  });

  it('refuses a body that is not UTF-8 (400) rather than sending U+FFFD in its place; saving nothing', async () => {
    // JSON between systems is UTF-8 (RFC 8259 §8.1); Node would decode 0xFF 0xFE as two replacement characters.
    const bytes = Buffer.concat([Buffer.from('{"autoReplies":{"welcome":"hi '), Buffer.from([0xff, 0xfe]), Buffer.from('"}}')]);
    const response = await fetch(`${rig.baseUrl}/v1/config/draft`, { method: 'PUT', headers: { authorization: `Bearer ${rig.keys.supervisor}`, 'content-type': 'application/json' }, body: bytes });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(await response.json()).toMatchObject({ code: 'invalid_request', detail: 'The body is not valid UTF-8' });
    expect(await rig.store.configDrafts.countDocuments()).toBe(0);
  });

  it("refuses query parameters a thread does not take (400), rather than ignoring a caller's ?page, and a limit out of range", async () => {
    const thread = `/v1/conversations/${encodeURIComponent(conversationOf('15557512399'))}/messages`;
    const unknown = await rig.request('GET', `${thread}?page=2`);
    expectProblem(unknown, 400, 'invalid_request');
    expect(unknown.body.errors[0]).toMatchObject({ in: 'query', message: expect.stringContaining('page') });
    expectProblem(await rig.request('GET', `${thread}?limit=0`), 400, 'invalid_request');
  });

  it('answers a body labelled gzip, deflate or br that does not decompress with 400, on keyed routes and the webhook alike', async () => {
    for (const encoding of ['gzip', 'deflate', 'br']) {
      const keyed = await fetch(`${rig.baseUrl}/v1/config/draft`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${rig.keys.supervisor}`, 'content-type': 'application/json', 'content-encoding': encoding },
        body: '{"message":{"type":"text","text":"x"}}',
      });
      expect([encoding, keyed.status, ((await keyed.json()) as { code: string }).code]).toEqual([encoding, 400, 'invalid_request']);
      // Unauthenticated, but it must not count as a server failure (it would page the on-call person).
      const webhook = await fetch(`${rig.baseUrl}/webhooks/whatsapp`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': encoding }, body: 'xx' });
      expect([encoding, webhook.status]).toEqual([encoding, 400]);
    }
    expect(await rig.store.configDrafts.countDocuments()).toBe(0);
  });
});

describe('headers', () => {
  it('serves the console with a content security policy, no framing and nosniff, and never its source maps', async () => {
    const page = await fetch(`${rig.baseUrl}/console/`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await fetch(`${rig.baseUrl}/console/app.js.map`)).status).toBe(404);
    expect((await fetch(`${rig.baseUrl}/console/APP.JS.MAP`)).status).toBe(404);
    const script = await fetch(`${rig.baseUrl}/console/app.js`);
    expect(script.status).toBe(200);
    expect(await script.text()).not.toContain('sourceMappingURL');
    expect((await fetch(`${rig.baseUrl}/v1/whoami`, { headers: { authorization: `Bearer ${rig.keys.analyst}` } })).headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('logs and links', () => {
  it('keeps the verify token and customer numbers out of the access log', async () => {
    const before = lines.length;
    const customer = '15557512345';
    const verify = await fetch(`${rig.baseUrl}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=42`);
    expect(await verify.text()).toBe('42');
    await rig.request('GET', `/v1/conversations/${encodeURIComponent(conversationOf(customer))}`);
    await rig.request('GET', `/v1/conversations/${conversationOf(customer)}/messages`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const logged = lines.slice(before).join('\n');
    expect(logged).toContain('/webhooks/whatsapp');
    expect(logged).toContain(BUSINESS_NUMBER_ID);
    expect(logged).not.toContain(VERIFY_TOKEN);
    expect(logged).not.toContain(customer);
    expect(logged).not.toContain(rig.keys.integrator);
  });

  it('takes a caller\'s X-Request-Id only when it is 1 to 128 visible ASCII characters, else makes its own', async () => {
    const requestIdOf = async (value: string) => (await rig.request('GET', '/v1/nowhere', undefined, { 'x-request-id': value })).body.requestId as string;
    expect(await requestIdOf('trace-42')).toBe('trace-42');
    for (const bad of ['', 'r'.repeat(129), 'two words']) expect(await requestIdOf(bad)).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('accepts only https links in template URL buttons', async () => {
    const template = (url: string) => ({
      businessNumberId: BUSINESS_NUMBER_ID,
      name: `link_${Math.random().toString(36).slice(2, 8)}`,
      language: 'en_US',
      category: 'utility',
      definition: { body: { text: 'Hello {{1}}' }, buttons: [{ type: 'url', text: 'Open', url }] },
    });
    for (const url of ['javascript:alert(document.cookie)', 'JavaScript://%0Aalert(1)', 'data:text/html,<script>alert(1)</script>', 'http://shop.example/track/{{1}}']) {
      const answer = await rig.requestAs('supervisor', 'POST', '/v1/templates', template(url));
      expectProblem(answer, 400, 'invalid_request');
    }
  });
});
