/**
 * Read receipts and the typing indicator, end to end: an agent opening a conversation marks the customer's messages
 * read on WhatsApp (Meta's mark-as-read call), typing shows the indicator (one call per 20 s), each switchable per
 * number; a bot taking a message marks it read, and a bot may answer with reply buttons or a list.
 * Meta: https://developers.facebook.com/documentation/business-messaging/whatsapp/typing-indicators/
 */
import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';
import { startBotServer, type BotServer } from '../support/bot-server';
import { keepHistory } from '../support/histories';
import { markReadUpdate, typingUpdate } from '../../workflows/conversation.messages';

let rig: ServiceRig;
let next = 15558000000 + Math.floor(Math.random() * 900_000);
const newCustomer = () => String((next += 1));
const path = (customer: string, rest = '', number = BUSINESS_NUMBER_ID) => `/v1/conversations/${encodeURIComponent(`wa:${number}:${customer}`)}${rest}`;

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

async function customerWrote(texts: string[], number = BUSINESS_NUMBER_ID): Promise<{ customer: string; wamids: string[] }> {
  const customer = newCustomer();
  const wamids: string[] = [];
  for (const text of texts) wamids.push((await rig.simulator.sendInboundText({ phoneNumberId: number, from: customer, text })).wamid);
  await eventually(() => rig.request('GET', path(customer, '', number)), (r) => r.body.inboundCount === texts.length);
  return { customer, wamids };
}
/** Closes the conversation and, with RECORD_HISTORIES=1, keeps its history for the replay test. */
async function closedWithHistory(customer: string, name: string): Promise<void> {
  expect((await rig.request('POST', path(customer, '/close'), {})).status).toBe(200);
  const handle = rig.temporal.workflow.getHandle(`wa:${BUSINESS_NUMBER_ID}:${customer}`);
  await handle.result();
  await keepHistory(name, handle);
}
/**
 * The receipts the broker took for these messages, one per message and kind: a call the client timed out on under
 * load is retried under the same key and may reach the broker twice, which Meta treats as one (read is read).
 */
const readsOf = (wamids: string[]) => {
  const seen = new Set<string>();
  return rig.simulator.reads().filter((r) => wamids.includes(r.messageId) && !seen.has(`${r.messageId}${r.typing}`) && seen.add(`${r.messageId}${r.typing}`));
};

describe('read receipts and typing', () => {
  it("an agent opening the conversation marks the customer's latest message (and so every earlier one) read, once", async () => {
    const { customer, wamids } = await customerWrote(['hello', 'anyone there?']);
    expect(await rig.requestAs('agent', 'POST', path(customer, '/read'), {})).toMatchObject({ status: 200, body: { sent: true } });
    expect(readsOf(wamids)).toEqual([expect.objectContaining({ phoneNumberId: BUSINESS_NUMBER_ID, messageId: wamids[1], typing: false })]);
    expect((await rig.requestAs('agent', 'POST', path(customer, '/read'), {})).body).toEqual({ sent: false, reason: 'unchanged' });
    expect(readsOf(wamids)).toHaveLength(1);

    const more = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'hello?' });
    await eventually(() => rig.request('GET', path(customer)), (r) => r.body.inboundCount === 3);
    expect((await rig.requestAs('agent', 'POST', path(customer, '/read'), {})).body).toEqual({ sent: true });
    expect(readsOf([...wamids, more.wamid]).map((r) => r.messageId)).toEqual([wamids[1], more.wamid]);
    await closedWithHistory(customer, 'receipts-mark-read');
  }, 60_000);

  it('typing shows the indicator with one call, and keystrokes within 20 s add none', async () => {
    const { customer, wamids } = await customerWrote(['hi']);
    expect((await rig.requestAs('agent', 'POST', path(customer, '/typing'), {})).body).toEqual({ sent: true });
    expect((await rig.requestAs('agent', 'POST', path(customer, '/typing'), {})).body).toEqual({ sent: false, reason: 'debounced' });
    expect(readsOf(wamids)).toEqual([expect.objectContaining({ messageId: wamids[0], typing: true })]);
  }, 60_000);

  it('the workflow itself debounces typing and remembers what it marked read (another API process has its own debounce)', async () => {
    const { customer, wamids } = await customerWrote(['hi again']);
    const handle = rig.temporal.workflow.getHandle(`wa:${BUSINESS_NUMBER_ID}:${customer}`);
    const args = [{ sender: { kind: 'integrator' as const } }] as [{ sender: { kind: 'integrator' } }];
    expect(await handle.executeUpdate(typingUpdate, { args })).toEqual({ sent: true });
    expect(await handle.executeUpdate(typingUpdate, { args })).toEqual({ sent: false, reason: 'debounced' });
    // The typing call marked the message read already.
    expect(await handle.executeUpdate(markReadUpdate, { args })).toEqual({ sent: false, reason: 'unchanged' });
    expect(readsOf(wamids)).toEqual([expect.objectContaining({ messageId: wamids[0], typing: true })]);
  }, 60_000);

  it('a number with receipts switched off sends neither', async () => {
    const number = '106540352249999';
    await rig.store.numbers.insertOne({
      _id: number,
      displayNumber: '+12025550107',
      numberType: 'FIXED_LINE_OR_MOBILE',
      verificationMethod: 'sms',
      ownership: { attestedBy: 'test', attestedAt: new Date(), statement: 'owned' },
      notes: [],
      registeredAt: new Date(),
      registeredBy: 'test',
    });
    const put = await rig.requestAs('supervisor', 'PUT', `/v1/numbers/${number}/receipts`, { markRead: false, typing: false });
    expect(put).toMatchObject({ status: 200, body: { receipts: { markRead: false, typing: false } } });
    const { customer, wamids } = await customerWrote(['hi'], number);
    expect((await rig.requestAs('agent', 'POST', path(customer, '/read', number), {})).body).toEqual({ sent: false, reason: 'off' });
    expect((await rig.requestAs('agent', 'POST', path(customer, '/typing', number), {})).body).toEqual({ sent: false, reason: 'off' });
    expect(readsOf(wamids)).toEqual([]);
    expect((await rig.requestAs('supervisor', 'PUT', `/v1/numbers/${number}/receipts`, { markRead: 'no' })).status).toBe(400);
  }, 60_000);

  it('an unknown conversation is a 404', async () => {
    expect((await rig.requestAs('agent', 'POST', path('15550000001', '/read'), {})).status).toBe(404);
  });
});

describe('the bot', () => {
  let bot: BotServer;
  afterAll(async () => bot?.close());

  it('takes a message (marking it read) and answers with reply buttons and a list, sent in Meta\'s shape', async () => {
    bot = await startBotServer(() => ({
      body: {
        replies: [
          { type: 'buttons', body: 'Track or return?', buttons: [{ id: 'track', title: 'Track' }, { id: 'return', title: 'Return' }] },
          { type: 'list', body: 'Pick a store', button: 'Stores', sections: [{ rows: [{ id: 'paris', title: 'Paris', description: 'Rue de Rivoli' }] }] },
        ],
      },
    }));
    const draft = { chatbot: { enabled: true, endpoint: bot.endpoint, timeoutMs: 2_000 } };
    expect((await rig.requestAs('supervisor', 'PUT', '/v1/config/draft', draft)).body.valid).toBe(true);
    expect((await rig.requestAs('supervisor', 'POST', '/v1/config/publish', {})).status).toBe(201);

    const { customer, wamids } = await customerWrote(['where is my parcel?']);
    const sent = await eventually(() => rig.simulator.sent().filter((m) => m.to === customer), (s) => s.length === 2, 30_000);
    expect(sent[0]!.body).toMatchObject({ type: 'interactive', interactive: { type: 'button', body: { text: 'Track or return?' }, action: { buttons: [{ type: 'reply', reply: { id: 'track', title: 'Track' } }, { type: 'reply', reply: { id: 'return', title: 'Return' } }] } } });
    expect(sent[1]!.body).toMatchObject({ type: 'interactive', interactive: { type: 'list', action: { button: 'Stores', sections: [{ rows: [{ id: 'paris', title: 'Paris', description: 'Rue de Rivoli' }] }] } } });
    expect(readsOf(wamids)).toEqual([expect.objectContaining({ messageId: wamids[0], typing: false })]);
    expect(bot.requests[0]!.message).toMatchObject({ type: 'text', text: 'where is my parcel?' });
    await closedWithHistory(customer, 'receipts-bot-mark-read');
  }, 60_000);
});
