import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectMetaError, graph, PHONE_NUMBER_ID, startReceiver, startSim, until, WABA, type Json } from '../conformance/support';
import { businessCallTo } from '../support/sipp-dials-simulator';

/**
 * `npm start` restarted on one `.data`: the embedded simulator (WhatsApp's side) keeps, besides its templates, the
 * number's calling settings and SIP password, the users' call permissions and the requests sent for them, the
 * blocklist and who wrote in the last 24 hours, and the customer service windows, in its state directory; a second
 * simulator on that directory answers as the first did. Shapes: Meta's call settings, user call permissions, block
 * users, pricing and status webhook references.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/call-settings/
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-call-permissions/
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/block-users/
 */
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let stateDir: string;
beforeAll(async () => {
  receiver = await startReceiver();
  stateDir = mkdtempSync(join(tmpdir(), 'sim-calling-state-'));
});
afterAll(async () => {
  await receiver.close();
  rmSync(stateDir, { recursive: true, force: true });
});

const BUSINESS = '12025550109';
const base = 15552800000 + Math.floor(Math.random() * 90_000);
const blockedBefore = String(base + 1);
const wroteBefore = String(base + 2);
const permitted = String(base + 3);
const asked = String(base + 4);
const settings = { calling: { status: 'ENABLED', call_icon_visibility: 'DEFAULT', sip: { status: 'ENABLED', servers: [{ hostname: 'connector.example.com', port: 5061 }] } } };
const permissionRequest = (to: string) => ({ messaging_product: 'whatsapp', to, type: 'interactive', interactive: { type: 'call_permission_request', body: { text: 'May we call you about your order?' }, action: { name: 'call_permission_request' } } });
const utilityTemplate = (to: string) => ({ messaging_product: 'whatsapp', to, type: 'template', template: { name: 'order_ready', language: { code: 'en_US' } } });
const seedUtility = (sim: Awaited<ReturnType<typeof startSim>>) => sim.seedTemplate({ wabaId: WABA, name: 'order_ready', language: 'en_US', category: 'UTILITY', status: 'APPROVED', components: [{ type: 'BODY', text: 'Your order is ready' }] });
const pricingOf = async (wamid: string) => {
  const statuses = await until(() => receiver.received.flatMap((b) => (b.entry as Json[]).flatMap((e) => (e.changes as Json[]).flatMap((c) => (c.value.statuses ?? []) as Json[]))).filter((s) => s.id === wamid), (s) => s.length > 0);
  return statuses[0]!.pricing as Json;
};

describe('the simulator restarted on its state directory (calling, blocks, windows)', () => {
  it('keeps the calling settings and SIP password, call permissions, the blocklist, who wrote when and the service windows', async () => {
    const first = await startSim({ webhookUrl: receiver.url, stateDir });
    let password: string;
    try {
      expect(await graph(first, 'POST', `${PHONE_NUMBER_ID}/settings`, settings)).toMatchObject({ status: 200, body: { success: true } });
      password = first.callingSettings(PHONE_NUMBER_ID)!.sipPassword!;
      for (const user of [blockedBefore, wroteBefore]) await first.sendInboundText({ phoneNumberId: PHONE_NUMBER_ID, from: user, text: 'hello' });
      expect(await graph(first, 'POST', `${PHONE_NUMBER_ID}/block_users`, { messaging_product: 'whatsapp', block_users: [{ user: blockedBefore }] })).toMatchObject({ status: 200 });
      await first.replyToCallPermission({ phoneNumberId: PHONE_NUMBER_ID, displayPhoneNumber: BUSINESS, from: permitted, response: 'accept', isPermanent: true });
      expect(await graph(first, 'POST', `${PHONE_NUMBER_ID}/messages`, permissionRequest(asked))).toMatchObject({ status: 200 });
      first.sip.setCallWebhooks(PHONE_NUMBER_ID, true);
    } finally {
      await first.close();
    }

    const second = await startSim({ webhookUrl: receiver.url, stateDir });
    try {
      // Calling settings, with the SIP password Meta generated before (the connector still holds that one).
      const held = await graph(second, 'GET', `${PHONE_NUMBER_ID}/settings?include_sip_credentials=true`);
      expect(held.body.calling).toMatchObject({ status: 'ENABLED', call_icon_visibility: 'DEFAULT', sip: { status: 'ENABLED', servers: [{ hostname: 'connector.example.com', port: 5061, sip_user_password: password! }] } });
      expect(second.sip.callWebhooks(PHONE_NUMBER_ID)).toBe(true);

      // Call permissions: the user's acceptance, and the request already sent to another user (1 in 24 hours).
      const permission = await graph(second, 'GET', `${PHONE_NUMBER_ID}/call_permissions?user_wa_id=${permitted}`);
      expect(permission.body).toMatchObject({ permission: { status: 'granted' }, actions: expect.arrayContaining([expect.objectContaining({ action_name: 'start_call', can_perform_action: true })]) });
      const requested = await graph(second, 'GET', `${PHONE_NUMBER_ID}/call_permissions?user_wa_id=${asked}`);
      expect((requested.body.actions as Json[]).find((a) => a.action_name === 'send_call_permission_request')).toMatchObject({ can_perform_action: false, limits: expect.arrayContaining([{ time_period: 'PT24H', max_allowed: 1, current_usage: 1 }]) });
      expectMetaError(await graph(second, 'POST', `${PHONE_NUMBER_ID}/messages`, permissionRequest(asked)), 138009);
      // The business's SIP call to the user who accepted, with the password from before the restart, is answered.
      const report = await businessCallTo(second, { end: 'answered', to: permitted, business: BUSINESS, password: password! });
      expect(report.exitCode).toBe(0);

      // The blocklist, and who wrote before the restart: that user can still be blocked (not 131047).
      expect((await graph(second, 'GET', `${PHONE_NUMBER_ID}/block_users`)).body.data).toEqual([{ messaging_product: 'whatsapp', wa_id: blockedBefore }]);
      expectMetaError(await graph(second, 'POST', `${PHONE_NUMBER_ID}/messages`, { messaging_product: 'whatsapp', to: blockedBefore, type: 'text', text: { body: 'hi' } }), 131026);
      const block = await graph(second, 'POST', `${PHONE_NUMBER_ID}/block_users`, { messaging_product: 'whatsapp', block_users: [{ user: wroteBefore }] });
      expect(block).toMatchObject({ status: 200, body: { block_users: { added_users: [{ input: wroteBefore, wa_id: wroteBefore }] } } });

      // The service window opened before the restart: a utility template inside it is free.
      seedUtility(second);
      const sent = await graph(second, 'POST', `${PHONE_NUMBER_ID}/messages`, utilityTemplate(permitted));
      expect(sent.status).toBe(200);
      expect(await pricingOf((sent.body.messages as Json[])[0]!.id as string)).toMatchObject({ category: 'utility', type: 'free_customer_service' });
    } finally {
      await second.close();
    }
  }, 60_000);
});
