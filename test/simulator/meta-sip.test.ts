/**
 * The simulator as Meta's SIP server taking a business-initiated call (sipp plays the business's SIP server): the
 * INVITE is challenged with digest authentication under the number's generated SIP password, refused with 403
 * while the user gave no call permission, and otherwise rung and answered (or declined) as set for the user; the
 * call permission is read from the `call_permission_reply` webhook the simulator delivers, as Meta documents it.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/sip/
 */
import { startBrokerSimulator, type BrokerSimulator } from '../../simulator/broker-simulator';
import { businessCallTo, type BusinessCallEnd } from '../support/sipp-dials-simulator';

const NUMBER_ID = '106540352242922';
const BUSINESS = '12025550111';
let sim: BrokerSimulator;
let password: string;
let customer = 15557000000 + Math.floor(Math.random() * 900_000);

beforeAll(async () => {
  sim = await startBrokerSimulator({ port: 0, accessToken: 'token', appSecret: 'secret', webhookUrl: 'http://127.0.0.1:9/none', redeliver: { attempts: 1, initialDelayMs: 1 } });
  const body = { calling: { status: 'ENABLED', sip: { status: 'ENABLED', servers: [{ hostname: 'connector.example.com', port: 5061 }] } } };
  await fetch(`${sim.url}/v23.0/${NUMBER_ID}/settings`, { method: 'POST', headers: { authorization: 'Bearer token', 'content-type': 'application/json' }, body: JSON.stringify(body) });
  password = sim.callingSettings(NUMBER_ID)!.sipPassword!;
});
afterAll(() => sim.close());

const businessCalls = (end: BusinessCallEnd, to: string) => businessCallTo(sim, { end, to, business: BUSINESS, password });
const lastCallTo = (to: string) => sim.sip.calls().filter((c) => c.customer === to).at(-1);

test('without call permission the INVITE is refused 403 (Reason names 138006), after the digest challenge', async () => {
  const to = String((customer += 1));
  const report = await businessCalls('refused', to);
  expect(report.exitCode).toBe(0);
  expect(lastCallTo(to)).toMatchObject({ direction: 'BUSINESS_INITIATED', state: 'refused', finalStatus: 403, phoneNumberId: NUMBER_ID });
});

test("with the user's permission (read from the call_permission_reply Meta delivers) the call rings and is answered, then ended by the business", async () => {
  const to = String((customer += 1));
  // The user accepted the permission request: Meta's webhook, as the simulator delivers it.
  await sim.deliverWebhook({
    object: 'whatsapp_business_account',
    entry: [{ id: '102290129340398', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: BUSINESS, phone_number_id: NUMBER_ID }, contacts: [{ profile: { name: 'U' }, wa_id: to }], messages: [{ from: to, id: 'wamid.perm1', timestamp: String(Math.floor(Date.now() / 1000)), type: 'interactive', interactive: { type: 'call_permission_reply', call_permission_reply: { response: 'accept', expiration_timestamp: Math.floor(Date.now() / 1000) + 7 * 86_400, response_source: 'user_action' } } }] } }] }],
  });
  const report = await businessCalls('answered', to);
  expect(report.exitCode).toBe(0);
  expect(lastCallTo(to)).toMatchObject({ state: 'ended', endedBy: 'business', statuses: [100, 180, 200] });
});

/**
 * The business blocked the user (Block Users API): "Your business cannot message the user. Attempts to message a
 * blocked user return an error" (https://developers.facebook.com/documentation/business-messaging/whatsapp/block-users/).
 * Meta names no code for a call to a blocked user (neither there nor on the calling troubleshooting page), so the call
 * is refused as a send is, with 131026, even though the user had given call permission; nothing rings.
 */
test('a call to a user the business blocked is refused 403 (Reason names 131026), though the user gave permission; it never rings', async () => {
  const to = String((customer += 1));
  sim.sip.grantPermission(NUMBER_ID, to);
  await sim.sendInboundText({ phoneNumberId: NUMBER_ID, from: to, text: 'stop calling me' });
  const blocked = await fetch(`${sim.url}/v23.0/${NUMBER_ID}/block_users`, { method: 'POST', headers: { authorization: 'Bearer token', 'content-type': 'application/json' }, body: JSON.stringify({ messaging_product: 'whatsapp', block_users: [{ user: to }] }) });
  expect(blocked.status).toBe(200);
  const report = await businessCalls('blocked', to);
  expect(report.exitCode).toBe(0);
  expect(lastCallTo(to)).toMatchObject({ direction: 'BUSINESS_INITIATED', state: 'refused', finalStatus: 403, statuses: [403] });
});

/**
 * Meta keeps one call permission per number and user: what `GET /<PHONE_NUMBER_ID>/call_permissions` answers is what
 * the SIP side admits (user-call-permissions page: `start_call` `can_perform_action`). Granted through the simulator's
 * control or read from a delivered `call_permission_reply`, both must say so.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-call-permissions/
 */
test('GET call_permissions answers the permission the SIP side admits calls by, however it was given', async () => {
  const permission = async (to: string) => {
    const res = await fetch(`${sim.url}/v23.0/${NUMBER_ID}/call_permissions?user_wa_id=${to}`, { headers: { authorization: 'Bearer token' } });
    return ((await res.json()) as { permission: { status: string } }).permission.status;
  };
  const granted = String((customer += 1));
  sim.sip.grantPermission(NUMBER_ID, granted);
  expect(await permission(granted)).toBe('granted');
  sim.sip.grantPermission(NUMBER_ID, granted, false);
  expect(await permission(granted)).toBe('no_permission');
  expect((await businessCalls('refused', granted)).exitCode).toBe(0);

  const replied = String((customer += 1));
  await sim.deliverWebhook({
    object: 'whatsapp_business_account',
    entry: [{ id: '102290129340398', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: BUSINESS, phone_number_id: NUMBER_ID }, contacts: [{ profile: { name: 'U' }, wa_id: replied }], messages: [{ from: replied, id: 'wamid.perm2', timestamp: String(Math.floor(Date.now() / 1000)), type: 'interactive', interactive: { type: 'call_permission_reply', call_permission_reply: { response: 'accept', is_permanent: true, response_source: 'user_action' } } }] } }] }],
  });
  expect(await permission(replied)).toBe('granted');
});

test('a user set to decline answers 603', async () => {
  const to = String((customer += 1));
  sim.sip.grantPermission(NUMBER_ID, to);
  sim.sip.setAnswering(to, { outcome: 'decline', ringMs: 100 });
  const report = await businessCalls('declined', to);
  expect(report.exitCode).toBe(0);
  expect(lastCallTo(to)).toMatchObject({ state: 'declined', finalStatus: 603 });
});

test('a user set not to answer lets it ring: the business gives up with CANCEL (200, 487)', async () => {
  const to = String((customer += 1));
  sim.sip.grantPermission(NUMBER_ID, to, Date.now() + 60_000);
  sim.sip.setAnswering(to, { outcome: 'no_answer', ringMs: 50 });
  const report = await businessCalls('cancelled', to);
  expect(report.exitCode).toBe(0);
  expect(lastCallTo(to)).toMatchObject({ state: 'cancelled', finalStatus: 487, endedBy: 'business' });
});

test('the control endpoint refuses a call Meta could not place (no enabled SIP server: 409) and bad input (400)', async () => {
  const post = (body: unknown) => fetch(`${sim.url}/_sim/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const noSettings = await post({ phoneNumberId: '999000999', from: '15550001111' });
  expect(noSettings.status).toBe(409);
  expect(await noSettings.json()).toMatchObject({ error: 'call_not_placeable' });
  const bad = await post({ phoneNumberId: NUMBER_ID, from: 'not digits' });
  expect(bad.status).toBe(400);
  // A body express.json refuses (`null` in strict mode, not JSON): a JSON answer, never an HTML page with a stack.
  for (const raw of ['null', '{"phoneNumberId":']) {
    const refused = await fetch(`${sim.url}/_sim/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
    expect([raw, refused.status, refused.headers.get('content-type')]).toEqual([raw, 400, expect.stringContaining('application/json')]);
    expect(await refused.text()).not.toMatch(/node_modules|<html/i);
  }
  const graph = await fetch(`${sim.url}/v23.0/${NUMBER_ID}/messages`, { method: 'POST', headers: { authorization: 'Bearer token', 'content-type': 'application/json' }, body: 'null' });
  expect([graph.status, await graph.json()]).toEqual([400, { error: expect.objectContaining({ code: 100 }) }]);
  expect(sim.sip.calls().filter((c) => c.customer === '15550001111')).toHaveLength(0);
});
