/**
 * Erasure reaches every collection that names the person, not only messages and conversations: Meta's `calls`
 * webhooks as kept (`call_events`, which carry their wa_id and show in the thread), call permission replies, the
 * webhook parts kept as dead letters, campaign de-duplication marks and the legacy-number reply ledger. The check at
 * the end scans every collection of the database for the person's number, so a collection added later without an
 * erasure step fails here (the documented exceptions are listed with their reason).
 */
import { claimLegacyReply } from '../../store/numbers.store';
import { permissionReplyWebhook } from '../support/call-permission-payloads';
import { BUSINESS_NUMBER_ID, WABA_ID, startService, type ServiceRig } from '../support/service';
import { campaignCompleted } from '../support/campaign-rig';
import { callStatusWebhook } from '../support/call-status-payloads';
import { KEPT_BY_DESIGN, documentsNaming as documentsNamingIn } from '../support/documents-naming';
import { postSignedWebhook } from '../support/signed-webhook';
import { eventually } from '../support/workflow-env';

const suffix = String(Math.floor(Math.random() * 900_000) + 100_000);
const customer = `1557${suffix}1`;
const conversationId = `wa:${BUSINESS_NUMBER_ID}:${customer}`;
let rig: ServiceRig;

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

async function deliver(body: object): Promise<void> {
  expect((await postSignedWebhook(rig.baseUrl, body)).status).toBe(200);
}

const callStatus = (wacid: string, status: string, timestamp: number) => callStatusWebhook(customer, wacid, status, timestamp);

const documentsNaming = (text: string) => documentsNamingIn(rig.store.db, text);

describe('erasure of a person who called, answered a call permission request, sent an unreadable message and was in a campaign', () => {
  it('removes their call records from the thread and every collection naming them, and counts each kind', async () => {
    await rig.approveTemplate('spring_sale', 'en_US', 'APPROVED', { body: { text: 'Hello {{1}}, this is spring_sale.', examples: ['Ada'] } });
    await campaignCompleted(rig, 'spring_sale', [customer]);

    const wacid = `wacid.erase-${customer}`;
    const rang = Math.floor(Date.now() / 1000) - 10;
    await deliver(callStatus(wacid, 'RINGING', rang));
    await deliver(callStatus(wacid, 'ACCEPTED', rang + 3));
    await deliver(permissionReplyWebhook(customer, { response: 'accept', is_permanent: false, expiration_timestamp: rang + 86_400, response_source: 'user_action' }));
    // A message of theirs the connector cannot read: kept as a dead letter, their wa_id in it.
    await rig.simulator.deliverWebhook({
      object: 'whatsapp_business_account',
      entry: [{ id: WABA_ID, changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '12025550107', phone_number_id: BUSINESS_NUMBER_ID }, contacts: [{ profile: { name: 'Ada' }, wa_id: customer }], messages: [{ id: `wamid.unreadable.${customer}`, from: customer, timestamp: 'yesterday', type: 'text' }] } }] }],
    });
    // The legacy-number notice ledger is written by the worker when a moved number answers; seeded as it writes it.
    expect(await claimLegacyReply(rig.store, BUSINESS_NUMBER_ID, customer, `msg_${suffix}`, Date.now(), 86_400_000)).toBe(true);

    const withCall = await eventually(() => rig.request('GET', `/v1/conversations/${conversationId}/messages`), (r) => r.body.calls?.length === 1, 20_000);
    expect(withCall.body.calls[0]).toMatchObject({ kind: 'call', wacid });
    await eventually(() => documentsNaming(customer), (found) => (found.dead_letters ?? 0) > 0 && (found.call_permissions ?? 0) > 0, 15_000);

    const answer = await rig.requestAs('supervisor', 'DELETE', `/v1/customers/${customer}`);
    expect(answer.status).toBe(200);

    const thread = await rig.request('GET', `/v1/conversations/${conversationId}/messages`);
    expect(thread.status === 404 || (thread.body.calls ?? []).length === 0).toBe(true);
    expect(JSON.stringify(thread.body)).not.toContain(wacid);
    const calls = await rig.request('GET', `/v1/conversations/${conversationId}/calls`);
    expect(JSON.stringify(calls.body)).not.toContain(customer);
    const letters = await rig.requestAs('supervisor', 'GET', '/v1/dead-letters');
    expect(JSON.stringify(letters.body)).not.toContain(customer);
    expect(answer.body.erased).toMatchObject({ callEvents: 2, callPermissions: 1, deadLetters: 1, legacyReplies: 1, campaignEntries: 2 });

    const left = await documentsNaming(customer);
    expect(Object.keys(left).filter((name) => !KEPT_BY_DESIGN.has(name))).toEqual([]);
  }, 120_000);

  it('erases a person named by their number as people write it (+1 557 …, or in a conversation id), as by their wa_id', async () => {
    for (const [key, written] of [
      [`1557${suffix}2`, (k: string) => `+${k.slice(0, 1)} ${k.slice(1, 4)} ${k.slice(4, 7)} ${k.slice(7)}`],
      [`1557${suffix}3`, (k: string) => `wa:${BUSINESS_NUMBER_ID}:+${k}`],
    ] as const) {
      await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: key, text: 'erase me' });
      await eventually(() => rig.request('GET', `/v1/conversations/wa:${BUSINESS_NUMBER_ID}:${key}/messages`), (r) => r.body.messages?.length === 1, 20_000);
      const answer = await rig.requestAs('supervisor', 'POST', '/v1/erasures', { customer: written(key) });
      expect(answer).toMatchObject({ status: 200, body: { erased: { conversations: 1, messages: 1 } } });
      const left = await documentsNaming(key);
      expect(Object.keys(left).filter((name) => !KEPT_BY_DESIGN.has(name))).toEqual([]);
    }
  }, 60_000);
});
