/**
 * Asking a customer's permission to call them and keeping the answer. Asking: the call permission request goes out
 * in Meta's shape and the simulator refuses what Meta refuses (shape, 1 a day: 138009). The reply: Meta's documented
 * `call_permission_reply` webhook is kept per number and customer with its expiry and shown in the thread.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-call-permissions/
 */
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';
import { eventually } from '../support/workflow-env';
import { nowSeconds, permissionReplyWebhook } from '../support/call-permission-payloads';

let nextCustomer = 15556000000 + Math.floor(Math.random() * 900_000);
const newCustomer = () => String((nextCustomer += 1));
const conversation = (customer: string) => encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`);

async function grant(rig: ServiceRig, customer: string, reply: Record<string, unknown>, timestamp?: number) {
  const delivery = await rig.simulator.deliverWebhook(permissionReplyWebhook(customer, reply, timestamp));
  expect(delivery.finalStatus).toBe(200);
}

describe('asking the customer for call permission', () => {
  let rig: ServiceRig;
  beforeAll(async () => {
    rig = await startService();
  }, 60_000);
  afterAll(async () => rig?.stop());

  test("goes out as Meta's interactive call_permission_request; a second one the same day is refused by WhatsApp (138009)", async () => {
    const customer = newCustomer();
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'can you call me?' });
    await eventually(() => rig.request('GET', `/v1/conversations/${conversation(customer)}`), (r) => r.body.state === 'openSession');
    const ask = { message: { type: 'callPermissionRequest', body: 'We would like to call you about order ON-12853.' } };
    expect((await rig.request('POST', `/v1/conversations/${conversation(customer)}/messages`, ask)).status).toBe(202);
    const [sent] = await eventually(() => rig.simulator.sent().filter((m) => m.to === customer), (s) => s.length === 1);
    expect(sent!.body).toMatchObject({ messaging_product: 'whatsapp', recipient_type: 'individual', to: customer, type: 'interactive' });
    expect(sent!.body.interactive).toEqual({ type: 'call_permission_request', body: { text: 'We would like to call you about order ON-12853.' }, action: { name: 'call_permission_request' } });
    expect((await rig.request('POST', `/v1/conversations/${conversation(customer)}/messages`, ask)).status).toBe(202);
    const thread = await eventually(
      () => rig.request('GET', `/v1/conversations/${conversation(customer)}/messages`),
      (r) => r.body.messages?.some((m: { status?: string }) => m.status === 'failed'),
      30_000,
    );
    const failed = thread.body.messages.find((m: { status?: string }) => m.status === 'failed');
    expect(failed).toMatchObject({ direction: 'outbound', failure: { code: 138009 } });
    expect(rig.simulator.sent().filter((m) => m.to === customer)).toHaveLength(1);
  }, 60_000);

  test("the simulator refuses a request that is not Meta's shape, with Meta's error body, and serves GET call_permissions", async () => {
    const customer = newCustomer();
    const post = (interactive: unknown) =>
      fetch(`${rig.simulator.url}/v24.0/${BUSINESS_NUMBER_ID}/messages`, {
        method: 'POST',
        headers: { authorization: 'Bearer e2e-token', 'content-type': 'application/json' },
        body: JSON.stringify({ messaging_product: 'whatsapp', recipient_type: 'individual', to: customer, type: 'interactive', interactive }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: { code: number; message: string; error_data?: { details?: string }; fbtrace_id?: string } } }));
    const noBody = await post({ type: 'call_permission_request', action: { name: 'call_permission_request' } });
    expect(noBody).toMatchObject({ status: 400, body: { error: { code: 131008, message: '(#131008) Required parameter is missing', error_data: { details: expect.stringContaining('interactive.body.text') }, fbtrace_id: expect.any(String) } } });
    const wrongAction = await post({ type: 'call_permission_request', body: { text: 'May we call?' }, action: { name: 'send_location' } });
    expect(wrongAction).toMatchObject({ status: 400, body: { error: { code: 131009, message: '(#131009) Parameter value is not valid', error_data: { details: expect.stringContaining('interactive.action.name') } } } });
    expect(rig.simulator.sent().filter((m) => m.to === customer)).toHaveLength(0);
    // Neither counted: a well-formed one still goes.
    expect((await post({ type: 'call_permission_request', body: { text: 'May we call?' }, action: { name: 'call_permission_request' } })).status).toBe(200);
    await rig.simulator.replyToCallPermission({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, response: 'accept' });
    const got = await fetch(`${rig.simulator.url}/v24.0/${BUSINESS_NUMBER_ID}/call_permissions?user_wa_id=${customer}`, { headers: { authorization: 'Bearer e2e-token' } }).then((r) => r.json());
    expect(got).toMatchObject({
      permission: { status: 'granted', expiration_time: expect.any(Number) },
      actions: [
        { action_name: 'send_call_permission_request', can_perform_action: false, limits: [{ time_period: 'PT24H', max_allowed: 1, current_usage: 1 }, { time_period: 'P7D', max_allowed: 2, current_usage: 1 }] },
        { action_name: 'start_call', can_perform_action: true },
      ],
    });
  }, 60_000);
});

describe("the customer's reply (call_permission_reply webhook)", () => {
  let rig: ServiceRig;
  beforeAll(async () => {
    rig = await startService();
  }, 60_000);
  afterAll(async () => rig?.stop());

  test('is kept with its expiry, shown in the thread, and a later reply replaces it whatever order they arrive in', async () => {
    const customer = newCustomer();
    const path = `/v1/conversations/${conversation(customer)}/call-permission`;
    expect((await rig.request('GET', path)).body).toMatchObject({ state: 'none', canCall: false, refusal: { code: 'call_permission_required' } });
    const at = nowSeconds() - 60;
    const expires = at + 7 * 86_400;
    await grant(rig, customer, { response: 'accept', is_permanent: false, expiration_timestamp: expires, response_source: 'user_action' }, at);
    const granted = await eventually(() => rig.request('GET', path), (r) => r.body.state === 'granted');
    expect(granted.body).toMatchObject({
      canCall: true,
      response: 'accept',
      isPermanent: false,
      expiresAt: new Date(expires * 1000).toISOString(),
      responseSource: 'user_action',
      limits: { connectedCallsPer24h: 100, unansweredCallsToRevoke: 4, permissionRequestsPer24h: 1, permissionRequestsPer7d: 2 },
    });
    const thread = await rig.request('GET', `/v1/conversations/${conversation(customer)}/messages`);
    const shown = thread.body.messages.find((m: { callPermissionReply?: unknown }) => m.callPermissionReply);
    // The user's own reply is their message in the thread (not an event): see the next test.
    expect(shown.event).toBeUndefined();
    expect(shown).toMatchObject({ direction: 'inbound', callPermissionReply: { response: 'accept', isPermanent: false, expiresAt: new Date(expires * 1000).toISOString(), responseSource: 'user_action' } });
    // The customer declines later; an older acceptance delivered after that changes nothing.
    await grant(rig, customer, { response: 'reject', is_permanent: false, response_source: 'user_action' }, at + 30);
    await eventually(() => rig.request('GET', path), (r) => r.body.state === 'rejected');
    await grant(rig, customer, { response: 'accept', is_permanent: true, response_source: 'user_action' }, at + 10);
    await new Promise((r) => setTimeout(r, 500));
    expect((await rig.request('GET', path)).body).toMatchObject({ state: 'rejected', canCall: false, refusal: { code: 'call_permission_required' } });
  }, 60_000);

  test("the user's reply is a message they send: it opens the window and reaches the conversation; an automatic one does not", async () => {
    // A customer with no conversation yet (e.g. the request went out in a template, or the conversation was closed).
    const customer = newCustomer();
    const at = nowSeconds() - 5;
    await grant(rig, customer, { response: 'accept', is_permanent: true, response_source: 'user_action' }, at);
    const opened = await eventually(() => rig.request('GET', `/v1/conversations/${conversation(customer)}`), (r) => r.status === 200 && r.body.state === 'openSession');
    expect(opened.body).toMatchObject({ inboundCount: 1, lastInboundAt: new Date(at * 1000).toISOString(), windowClosesAt: new Date((at + 86_400) * 1000).toISOString() });
    const reply = await rig.request('POST', `/v1/conversations/${conversation(customer)}/messages`, { message: { type: 'text', text: 'Thanks! We will call you shortly.' } });
    expect(reply.status).toBe(202);
    await eventually(() => rig.simulator.sent().filter((m) => m.to === customer), (sent) => sent.length === 1);

    // `response_source: automatic` is WhatsApp answering for the user (not a message they wrote): kept, not signalled.
    const other = newCustomer();
    await grant(rig, other, { response: 'accept', is_permanent: false, expiration_timestamp: nowSeconds() + 86_400, response_source: 'automatic' });
    await eventually(() => rig.request('GET', `/v1/conversations/${conversation(other)}/call-permission`), (r) => r.body.state === 'granted');
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await rig.request('GET', `/v1/conversations/${conversation(other)}`)).status).toBe(404);
  }, 60_000);

  test("erasing the customer removes the kept permission with their messages", async () => {
    const customer = newCustomer();
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'call me' });
    await eventually(() => rig.request('GET', `/v1/conversations/${conversation(customer)}`), (r) => r.body.state === 'openSession');
    await grant(rig, customer, { response: 'accept', is_permanent: true, response_source: 'user_action' });
    await eventually(() => rig.request('GET', `/v1/conversations/${conversation(customer)}/call-permission`), (r) => r.body.state === 'granted');
    expect((await rig.requestAs('supervisor', 'DELETE', `/v1/customers/${customer}`)).status).toBe(200);
    expect((await rig.request('GET', `/v1/conversations/${conversation(customer)}/call-permission`)).body).toMatchObject({ state: 'none', canCall: false });
  }, 60_000);
});
