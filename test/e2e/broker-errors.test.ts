import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';

let rig: ServiceRig;
let next = 15558000000 + Math.floor(Math.random() * 900_000);
const path = (customer: string, rest = '') => `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`)}${rest}`;

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

/** A customer who has just written, so the window is open. */
async function openConversation(): Promise<string> {
  const customer = String((next += 1));
  await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'hello' });
  await eventually(() => rig.request('GET', path(customer)), (r) => r.body.state === 'openSession');
  return customer;
}

const lastMessage = async (customer: string) => {
  const thread = await rig.request('GET', path(customer, '/messages'));
  return thread.body.messages.at(-1);
};

describe('broker errors, as the agent sees them', () => {
  it('moves the conversation to expiredNeedsTemplate when WhatsApp answers 131047, and marks the message template_required', async () => {
    const customer = await openConversation();
    rig.simulator.injectFault({ kind: 'http', status: 400, code: 131047, times: 1, match: { to: customer } });

    expect((await rig.request('POST', path(customer, '/messages'), { message: { type: 'text', text: 'late reply' } })).status).toBe(202);
    await eventually(() => rig.request('GET', path(customer)), (r) => r.body.state === 'expiredNeedsTemplate');
    expect(await lastMessage(customer)).toMatchObject({ status: 'failed', failure: { code: 131047, reason: 'template_required' } });
    expect((await rig.request('POST', path(customer, '/messages'), { message: { type: 'text', text: 'again' } })).body.code).toBe('template_required');
    expect(rig.simulator.sent().filter((m) => m.to === customer)).toHaveLength(0);
  });

  it('retries through a 429 and 5xx storm and delivers each message exactly once, in order', async () => {
    const customer = await openConversation();
    rig.simulator.injectFault({ kind: 'http', status: 429, times: 2, match: { to: customer } });
    rig.simulator.injectFault({ kind: 'http', status: 503, times: 1, match: { to: customer } });
    for (const text of ['one', 'two', 'three']) {
      expect((await rig.request('POST', path(customer, '/messages'), { message: { type: 'text', text } })).status).toBe(202);
    }
    const sent = await eventually(() => rig.simulator.sent().filter((m) => m.to === customer), (s) => s.length === 3, 30_000);
    expect(sent.map((m) => (m.body.text as { body: string }).body)).toEqual(['one', 'two', 'three']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(rig.simulator.sent().filter((m) => m.to === customer)).toHaveLength(3);
  }, 45_000);

  it('records a final refusal (131026 undeliverable) on the message with its code, without retrying', async () => {
    const customer = await openConversation();
    rig.simulator.injectFault({ kind: 'http', status: 400, code: 131026, times: 5, match: { to: customer } });
    const requestsBefore = rig.simulator.requests();
    await rig.request('POST', path(customer, '/messages'), { message: { type: 'text', text: 'undeliverable' } });

    const failed = await eventually(() => lastMessage(customer), (m) => m.status === 'failed');
    expect(failed.failure).toMatchObject({ code: 131026, reason: 'broker_rejected', title: 'Message undeliverable' });
    expect((await rig.request('GET', path(customer))).body.state).toBe('openSession');
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // longer than the first retry interval
    expect(rig.simulator.requests() - requestsBefore).toBe(1);
  });
});
