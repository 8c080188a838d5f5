import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startBrokerSimulator, type BrokerSimulator } from '../../simulator/broker-simulator';
import { inboundTextWebhook } from '../../simulator/cloud-api.payloads';
import { createBlockUsersClient } from '../../integrations/broker/block-users.client';

/**
 * The simulator's Block Users API holds Meta's rules, and the connector's client reads its answers
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/block-users/): 131047 for someone who did
 * not write in the last 24 hours (per user, in a 400 with 139100), 130429 past 1,000 users in one request, 139101 once
 * the blocklist is full, and a paged GET.
 */
const TOKEN = 'sim-token';
const NUMBER = '1065';
let sim: BrokerSimulator;
beforeAll(async () => {
  // The account's numbers listed (none beyond Meta's example and those webhooks name), so an unknown one is refused.
  sim = await startBrokerSimulator({ accessToken: TOKEN, appSecret: 'sim-secret', autoStatuses: false, blocklistLimit: 2, phoneNumbers: [], redeliver: { attempts: 1, initialDelayMs: 1 } });
  sim.setWebhookUrl('http://127.0.0.1:9/unreachable');
  for (const from of ['15550000001', '15550000002', '15550000003']) await sim.sendInboundText({ phoneNumberId: NUMBER, from, text: 'hi' });
  await sim.sendInboundText({ phoneNumberId: NUMBER, from: '15550000009', text: 'old', timestamp: Math.floor(Date.now() / 1000) - 25 * 3600 });
});
afterAll(async () => sim?.close());

const client = () => createBlockUsersClient({ baseUrl: sim.url, version: 'v27.0', accessToken: TOKEN, timeoutMs: 5_000 });
const raw = (method: string, body: object) =>
  fetch(`${sim.url}/v27.0/${NUMBER}/block_users`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(
    async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }), // eslint-disable-line @typescript-eslint/no-explicit-any
  );

describe('Block Users API (simulator and client)', () => {
  it('blocks who wrote in the last 24 hours and answers 400 / 139100 with 131047 for the others', async () => {
    const answer = await raw('POST', { messaging_product: 'whatsapp', block_users: [{ user: '+1 555 000 0001' }, { user: '15550000009' }, { user: '15550000077' }] });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 139100, message: '(#139100) Failed to block/unblock users' });
    expect(answer.body.block_users.added_users).toEqual([{ input: '+1 555 000 0001', wa_id: '15550000001' }]);
    expect(answer.body.block_users.failed_users.map((f: { errors: { code: number }[] }) => f.errors[0]!.code)).toEqual([131047, 131047]);

    const read = await client().block(NUMBER, ['15550000009']);
    expect(read).toEqual({ done: [], failed: [{ input: '15550000009', waId: '15550000009', code: 131047, message: 'Re-engagement required', details: 'User has not messaged in the last 24 hours' }] });
  });

  it('refuses more than 1,000 users in one request with 130429, and a full blocklist with 139101', async () => {
    const many = Array.from({ length: 1_001 }, (_, i) => ({ user: String(15550100000 + i) }));
    expect(await raw('POST', { messaging_product: 'whatsapp', block_users: many })).toMatchObject({ status: 429, body: { error: { code: 130429 } } });
    expect((await client().block(NUMBER, ['15550000002'])).done).toHaveLength(1);
    const full = await client().block(NUMBER, ['15550000003']);
    expect(full.failed[0]).toMatchObject({ code: 139101 });
  });

  it('pages the blocklist and unblocks', async () => {
    const first = await client().list(NUMBER, { limit: 1 });
    expect(first.waIds).toEqual(['15550000001']);
    const second = await client().list(NUMBER, { limit: 1, after: first.after! });
    expect(second.waIds).toEqual(['15550000002']);
    // The last page: no cursor to a page that does not exist, so a client makes no extra request.
    expect(second.after).toBeUndefined();
    expect((await client().list(NUMBER, { limit: 2 })).after).toBeUndefined();
    expect((await client().unblock(NUMBER, ['15550000001'])).done).toEqual([{ input: '15550000001', waId: '15550000001' }]);
    expect(sim.blocked(NUMBER)).toEqual(['15550000002']);
  });
});

/**
 * Graph API paging (https://developers.facebook.com/docs/graph-api/results/): `paging.next` is "the Graph API endpoint
 * that will return the next page of data. If not included, this is the last page of data"; the cursors come on every
 * page. And a phone number id the account does not hold is refused as the Graph API refuses an unknown object: 400,
 * code 100, subcode 33, "Unsupported <method> request. Object with ID '…' does not exist…".
 */
describe('Block Users API: paging and unknown numbers (simulator)', () => {
  const get = (path: string) =>
    fetch(`${sim.url}/v27.0/${path}`, { headers: { authorization: `Bearer ${TOKEN}` } }).then(
      async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }), // eslint-disable-line @typescript-eslint/no-explicit-any
    );

  it('writes paging.next while more follow, and leaves it out on the last page', async () => {
    const number = '1066';
    for (const from of ['15550000021', '15550000022']) await sim.sendInboundText({ phoneNumberId: number, from, text: 'hi' });
    expect((await client().block(number, ['15550000021', '15550000022'])).done).toHaveLength(2);
    const first = await get(`${number}/block_users?limit=1`);
    expect(first.body.data).toEqual([{ messaging_product: 'whatsapp', wa_id: '15550000021' }]);
    expect(first.body.paging).toMatchObject({ cursors: { before: expect.any(String), after: expect.any(String) }, next: expect.stringContaining(`/${number}/block_users?`) });
    const next = new URL(first.body.paging.next as string);
    const last = await get(`${number}/block_users${next.search}`);
    expect(last.body.data).toEqual([{ messaging_product: 'whatsapp', wa_id: '15550000022' }]);
    expect(last.body.paging.cursors).toMatchObject({ after: expect.any(String) });
    expect(last.body.paging.next).toBeUndefined();
    expect((await get(`${number}/block_users?limit=2`)).body.paging.next).toBeUndefined();
  });

  it('refuses block, unblock and list on a phone number id the account does not hold, as the Graph API does', async () => {
    const body = { messaging_product: 'whatsapp', block_users: [{ user: '15550000001' }] };
    const call = (method: string) =>
      fetch(`${sim.url}/v27.0/999/block_users`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, ...(method === 'GET' ? {} : { body: JSON.stringify(body) }) }).then(
        async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }), // eslint-disable-line @typescript-eslint/no-explicit-any
      );
    for (const method of ['POST', 'DELETE', 'GET']) {
      const refused = await call(method);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toEqual({
        message: `Unsupported ${method.toLowerCase()} request. Object with ID '999' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
        type: 'GraphMethodException',
        code: 100,
        error_subcode: 33,
        fbtrace_id: expect.any(String),
      });
    }
    await expect(client().unblock('999', ['15550000001'])).rejects.toMatchObject({ code: 100 });
    // A bad token is still refused first; a number added to the account answers.
    const badToken = await fetch(`${sim.url}/v27.0/999/block_users`, { headers: { authorization: 'Bearer wrong' } });
    expect(badToken.status).toBe(401);
    expect((await fetch(`${sim.url}/_sim/numbers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phoneNumberId: '999' }) })).status).toBe(201);
    expect(await call('GET')).toMatchObject({ status: 200, body: { data: [] } });
  });
});

/**
 * Meta: "Your business cannot message the user. Attempts to message a blocked user return an error"
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/block-users/). Meta names no code for it;
 * the simulator answers 131026 "Message undeliverable" (error-codes page), synchronously, in Meta's error body.
 */
describe('sending to a blocked user (simulator)', () => {
  const send = (body: object, headers: Record<string, string> = {}) =>
    fetch(`${sim.url}/v27.0/${NUMBER}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ messaging_product: 'whatsapp', ...body }),
    }).then(
      async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }), // eslint-disable-line @typescript-eslint/no-explicit-any
    );

  it('refuses a message to a user the number blocked, by phone number or BSUID, in Meta error body, and records nothing', async () => {
    await sim.sendInboundText({ phoneNumberId: NUMBER, from: '15550000004', userId: 'US.13491208655302741918', text: 'spam' });
    const beforeBlock = await send({ to: '15550000004', type: 'text', text: { body: 'sent before the block' } }, { 'idempotency-key': 'before-block' });
    expect(beforeBlock.status).toBe(200);
    expect((await client().block(NUMBER, ['+1 555-000-0004'])).done).toHaveLength(1);
    const sentBefore = sim.sent().length;
    // The same request again (a client's retry) is answered as it was: the message went before the block.
    const retried = await send({ to: '15550000004', type: 'text', text: { body: 'sent before the block' } }, { 'idempotency-key': 'before-block' });
    expect(retried).toMatchObject({ status: 200, body: { messages: [{ id: beforeBlock.body.messages[0].id }] } });

    for (const to of [{ to: '15550000004' }, { to: '+1 (555) 000-0004' }, { recipient: 'US.13491208655302741918' }]) {
      const refused = await send({ ...to, type: 'text', text: { body: 'hello?' } });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({ code: 131026, message: '(#131026) Message undeliverable', type: 'OAuthException', error_data: { messaging_product: 'whatsapp', details: expect.stringContaining('blocked') } });
      expect(refused.body.error.fbtrace_id).toEqual(expect.any(String));
    }
    expect(sim.sent()).toHaveLength(sentBefore);

    // Another user of the number, and the same user on another number, are not blocked.
    await sim.sendInboundText({ phoneNumberId: NUMBER, from: '15550000005', text: 'hi' });
    expect((await send({ to: '15550000005', type: 'text', text: { body: 'hello' } })).status).toBe(200);
    const otherNumber = await fetch(`${sim.url}/v27.0/2077/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messaging_product: 'whatsapp', to: '15550000004', type: 'text', text: { body: 'hello' } }),
    });
    expect(otherNumber.status).toBe(200);

    // Unblocked: the next message goes.
    await client().unblock(NUMBER, ['15550000004']);
    expect((await send({ to: '15550000004', type: 'text', text: { body: 'hello again' } })).status).toBe(200);
  });
});

/**
 * Meta: "When you block a WhatsApp user: The user cannot contact your business"
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/block-users/). The simulated customer's
 * messages of any kind (by phone number or by BSUID) are not delivered while the number blocks them, and their calls are
 * not placed; unblocked, they reach the business again. A test's literal webhook body (`deliverWebhook`) still goes.
 */
describe('a blocked user contacting the business (simulator)', () => {
  it('delivers none of their messages and places none of their calls, and delivers again once they are unblocked', async () => {
    const received: { messages?: { from?: string; type?: string }[] }[] = [];
    const hook = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      req.on('end', () => {
        const body = JSON.parse(raw) as { entry: { changes: { value: { messages?: { from?: string; type?: string }[] } }[] }[] };
        received.push(body.entry[0]!.changes[0]!.value);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    sim.setWebhookUrl(`http://127.0.0.1:${(hook.address() as AddressInfo).port}/webhook`);
    try {
      const user = '15550000006';
      const bsuid = 'US.13491208655302749999';
      expect((await sim.sendInboundText({ phoneNumberId: NUMBER, from: user, userId: bsuid, text: 'you will regret this' })).delivery).toMatchObject({ finalStatus: 200 });
      expect((await client().block(NUMBER, [user])).done).toHaveLength(1);
      const before = received.length;

      const text = await sim.sendInboundText({ phoneNumberId: NUMBER, from: user, text: 'and another thing' });
      expect(text.delivery).toEqual({ attempts: 0, finalStatus: 0, blocked: true });
      const byBsuid = await sim.sendInboundMessage({ phoneNumberId: NUMBER, userId: bsuid, type: 'text', content: { body: 'by my user id' } });
      expect(byBsuid.delivery).toMatchObject({ attempts: 0, blocked: true });
      const image = await sim.sendInboundMedia({ phoneNumberId: NUMBER, from: user, type: 'image', bytes: Buffer.from('not really a png'), mimeType: 'image/png' });
      expect(image.delivery).toMatchObject({ blocked: true });
      expect((await sim.sendReaction({ phoneNumberId: NUMBER, from: user, messageId: text.wamid, emoji: '\u{1F621}' })).delivery).toMatchObject({ blocked: true });
      await expect(sim.sip.placeCall({ phoneNumberId: NUMBER, from: user, displayPhoneNumber: '15550783881' })).rejects.toThrow(/blocked/);
      const control = await fetch(`${sim.url}/_sim/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phoneNumberId: NUMBER, from: user }) });
      expect(control.status).toBe(409);
      expect(await control.json()).toMatchObject({ error: 'call_not_placeable', detail: expect.stringContaining('blocked') });
      expect(received).toHaveLength(before);
      expect(sim.sip.calls().filter((c) => c.customer === user)).toHaveLength(0);

      // Another user of the number still reaches it; a literal body (a redelivery of one sent before the block) still goes.
      expect((await sim.sendInboundText({ phoneNumberId: NUMBER, from: '15550000007', text: 'hello' })).delivery).toMatchObject({ finalStatus: 200 });
      expect(await sim.deliverWebhook(inboundTextWebhook({ phoneNumberId: NUMBER, from: user, text: 'written before the block', wamid: 'wamid.before-block', timestamp: Math.floor(Date.now() / 1000) - 60 }))).toMatchObject({ finalStatus: 200 });
      expect(received.slice(before).flatMap((v) => v.messages ?? []).map((m) => m.from)).toEqual(['15550000007', user]);

      await client().unblock(NUMBER, [user]);
      expect((await sim.sendInboundText({ phoneNumberId: NUMBER, from: user, text: 'sorry' })).delivery).toMatchObject({ attempts: 1, finalStatus: 200 });
      expect(received.at(-1)?.messages?.[0]).toMatchObject({ from: user, type: 'text' });
    } finally {
      sim.setWebhookUrl('http://127.0.0.1:9/unreachable');
      await new Promise<void>((resolve) => hook.close(() => resolve()));
    }
  });
});
