/**
 * The thread "in the order it was written" (README "A session to paste") when messages share a second: Meta's
 * webhook `timestamp` is whole Unix seconds, so a customer's burst right after a reply ties with it and with itself.
 * Ties go to the order the connector received or accepted them, in the thread API and in the console's live thread.
 */
import { randomBytes } from 'node:crypto';
import { eventually } from '../support/workflow-env';
import { openStream } from '../support/streams';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';
import { jpeg, pdf } from '../support/media-fixtures';

let rig: ServiceRig;
let next = 15553000000 + Math.floor(Math.random() * 900_000);
const newCustomer = () => String((next += 1));
const conversationOf = (customer: string) => `wa:${BUSINESS_NUMBER_ID}:${customer}`;
const path = (customer: string, rest = '') => `/v1/conversations/${encodeURIComponent(conversationOf(customer))}${rest}`;
type View = { id: string; direction: string; type: string; at: string };

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

async function upload(bytes: Buffer, mimeType: string): Promise<string> {
  const form = new FormData();
  form.set('file', new Blob([new Uint8Array(bytes)], { type: mimeType }), 'photo.jpg');
  const res = await fetch(`${rig.baseUrl}/v1/media`, { method: 'POST', body: form, headers: { authorization: `Bearer ${rig.keys.agent}` } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { mediaId: string }).mediaId;
}

/** The first snapshot the console's live thread pushes. */
async function consoleThread(customer: string): Promise<View[]> {
  const stream = openStream(`${rig.baseUrl}/v1/console/live/conversations/${encodeURIComponent(conversationOf(customer))}`, rig.keys.supervisor);
  try {
    const text = await eventually(() => stream.text(), (t) => /event: snapshot\ndata: .*\n\n/.test(t));
    return (JSON.parse(/event: snapshot\ndata: (.*)\n\n/.exec(text)![1]!) as { messages: View[] }).messages;
  } finally {
    stream.close();
  }
}

describe('thread order within one second', () => {
  it('keeps a reply and the customer messages written in its second in the order they were received', async () => {
    const customer = newCustomer();
    const opening = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'Can you show me the parcel?' });
    await eventually(() => rig.request('GET', path(customer)), (r) => r.body.inboundCount === 1);

    // The agent answers with an image.
    const reply = await rig.requestAs('agent', 'POST', path(customer, '/messages'), { message: { type: 'image', mediaId: await upload(await jpeg(), 'image/jpeg') } });
    expect(reply.status).toBe(202);
    const stored = await eventually(() => rig.request('GET', path(customer, '/messages')), (r) => r.body.messages?.some((m: View) => m.id === reply.body.messageId));
    const replyAt = stored.body.messages.find((m: View) => m.id === reply.body.messageId).at as string;

    // Then the customer writes four messages in that same second (Meta stamps each with the second only). Their
    // wamids sort the other way round, so neither the wamid nor the type can pass for the order they were written.
    const second = Math.floor(Date.parse(replyAt) / 1000);
    const stem = `wamid.${randomBytes(12).toString('base64url')}`;
    const from = { phoneNumberId: BUSINESS_NUMBER_ID, from: customer, timestamp: second };
    const burst = [
      await rig.simulator.sendInboundMessage({ ...from, wamid: `${stem}4`, type: 'location', content: { latitude: 48.8584, longitude: 2.2945, name: 'Depot' } }),
      await rig.simulator.sendInboundMedia({ ...from, wamid: `${stem}3`, type: 'document', bytes: pdf(), mimeType: 'application/pdf', filename: 'receipt.pdf' }),
      await rig.simulator.sendInboundMedia({ ...from, wamid: `${stem}2`, type: 'document', bytes: pdf(700), mimeType: 'application/pdf', filename: 'label.pdf' }),
      await rig.simulator.sendInboundMedia({ ...from, wamid: `${stem}1`, type: 'image', bytes: await jpeg(), mimeType: 'image/jpeg' }),
    ];
    for (const sent of burst) expect(sent.delivery.finalStatus).toBe(200);

    const expected = [
      [opening.wamid, 'inbound', 'text'],
      [reply.body.messageId, 'outbound', 'image'],
      [burst[0]!.wamid, 'inbound', 'location'],
      [burst[1]!.wamid, 'inbound', 'document'],
      [burst[2]!.wamid, 'inbound', 'document'],
      [burst[3]!.wamid, 'inbound', 'image'],
    ];
    const thread = await eventually(() => rig.request('GET', path(customer, '/messages')), (r) => r.body.messages?.length === expected.length);
    expect(thread.body.messages.map((m: View) => [m.id, m.direction, m.type])).toEqual(expected);
    // The same second for the reply and the burst: the order above is the tie-break's, not the clock's.
    expect(new Set(thread.body.messages.slice(1).map((m: View) => Math.floor(Date.parse(m.at) / 1000)))).toEqual(new Set([second]));

    // The console shows the thread in the same order.
    expect((await consoleThread(customer)).map((m) => m.id)).toEqual(expected.map(([id]) => id));
  });
});
