/**
 * A webhook part the connector can never use is answered as permanent: acknowledged (200), kept aside as a dead
 * letter supervisors can list, while the rest of the same POST is processed. Only an outage answers 503.
 */
import { inboundTextWebhook, signBody } from '../../simulator/cloud-api.payloads';
import { eventually } from '../support/workflow-env';
import { APP_SECRET, BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';

let rig: ServiceRig;
let next = 15553000000 + Math.floor(Math.random() * 900_000);
const newCustomer = () => String((next += 1));
const handled = (wamid: string) => eventually(() => rig.store.handledInbound.findOne({ _id: wamid }), (doc) => doc !== null, 15_000);
const seconds = () => String(Math.floor(Date.now() / 1000));

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

/** One POST: a valid message from `customer`, and beside it `poison` (a message the connector cannot use). */
function withPoison(customer: string, poison: Record<string, unknown>, contacts?: unknown[]) {
  const body = inboundTextWebhook({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'valid', wamid: `wamid.valid.${customer}` });
  const value = body.entry[0]!.changes[0]!.value as { messages: unknown[]; contacts: unknown[] };
  value.messages.push(poison);
  if (contacts) value.contacts = contacts;
  return body;
}

describe('webhook parts the connector cannot use', () => {
  it('acknowledges a message naming no customer at once, keeps it as a dead letter, and handles the valid message beside it', async () => {
    const customer = newCustomer();
    const poison = { id: `wamid.nobody.${customer}`, timestamp: seconds(), type: 'text', text: { body: 'who am I?' } };
    // Two contacts, neither matching the poison message: no wa_id, no user_id, no `from`.
    const body = withPoison(customer, poison, [{ profile: { name: 'Ada' }, wa_id: customer }, { profile: { name: 'Nobody' } }]);
    expect(await rig.simulator.deliverWebhook(body)).toEqual({ attempts: 1, finalStatus: 200 });
    await handled(`wamid.valid.${customer}`);

    const listed = await rig.requestAs('supervisor', 'GET', '/v1/dead-letters');
    expect(listed.status).toBe(200);
    const letter = listed.body.deadLetters.find((d: { raw: string }) => d.raw.includes(poison.id));
    expect(letter).toMatchObject({ reason: 'no_customer', businessNumberId: BUSINESS_NUMBER_ID, wamid: poison.id });
    expect(JSON.parse(letter.raw)).toMatchObject(poison);
    expect(Date.parse(letter.receivedAt)).toBeGreaterThan(Date.now() - 60_000);

    // A redelivery of the same body keeps one dead letter, not two.
    expect(await rig.simulator.deliverWebhook(body)).toEqual({ attempts: 1, finalStatus: 200 });
    const again = await rig.requestAs('supervisor', 'GET', '/v1/dead-letters?reason=no_customer');
    expect(again.body.deadLetters.filter((d: { wamid?: string }) => d.wamid === poison.id)).toHaveLength(1);
  });

  it('dead-letters a message with an unreadable shape or one Temporal refuses for good, and still handles the rest of the POST', async () => {
    const customer = newCustomer();
    const unreadable = { id: `wamid.shape.${customer}`, from: customer, timestamp: 'yesterday', type: 'text' };
    const body = withPoison(customer, unreadable);
    const tooLong = { id: `wamid.long.${customer}`, from: '1'.repeat(5_000), timestamp: seconds(), type: 'text', text: { body: 'x' } };
    (body.entry[0]!.changes[0]!.value as { messages: unknown[] }).messages.push(tooLong);
    expect(await rig.simulator.deliverWebhook(body)).toEqual({ attempts: 1, finalStatus: 200 });
    await handled(`wamid.valid.${customer}`);
    const letters = (await rig.requestAs('supervisor', 'GET', '/v1/dead-letters')).body.deadLetters as { reason: string; wamid?: string }[];
    expect(letters.find((d) => d.wamid === unreadable.id)?.reason).toBe('message_unreadable');
    expect(letters.find((d) => d.wamid === tooLong.id)?.reason).toBe('refused_by_temporal');
  });

  it('acknowledges a message nested deeper than JSON.stringify can follow, keeping it as a dead letter that says so', async () => {
    const customer = newCustomer();
    const wamid = `wamid.deep.${customer}`;
    const body = withPoison(customer, { id: wamid, timestamp: seconds(), type: 'text', text: { body: 'x' }, from: customer });
    // Spliced in as text: the server's JSON.parse takes this depth, its JSON.stringify cannot.
    const raw = JSON.stringify(body).replace(`"id":"${wamid}"`, `"id":"${wamid}","deep":${'['.repeat(50_000)}${']'.repeat(50_000)}`);
    const answer = await fetch(`${rig.baseUrl}/webhooks/whatsapp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(raw, APP_SECRET) },
      body: raw,
    });
    expect(answer.status).toBe(200);
    await handled(`wamid.valid.${customer}`);
    const letters = (await rig.requestAs('supervisor', 'GET', '/v1/dead-letters')).body.deadLetters as { wamid?: string; raw: string }[];
    expect(letters.find((d) => d.wamid === wamid)?.raw).toContain('nested too deep');
  });

  it('still refuses a body that is not a Cloud API webhook with 400, storing no dead letter', async () => {
    const before = await rig.store.db.collection('dead_letters').countDocuments();
    const raw = JSON.stringify({ object: 'page', entry: [] });
    const answer = await fetch(`${rig.baseUrl}/webhooks/whatsapp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(raw, APP_SECRET) },
      body: raw,
    });
    expect(answer.status).toBe(400);
    expect(await rig.store.db.collection('dead_letters').countDocuments()).toBe(before);
  });

  it('lists dead letters to supervisors only', async () => {
    for (const role of ['integrator', 'agent', 'analyst'] as const) {
      expect(await rig.requestAs(role, 'GET', '/v1/dead-letters')).toMatchObject({ status: 403, body: { code: 'forbidden' } });
    }
  });
});
