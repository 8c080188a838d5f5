import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';

let rig: ServiceRig;
let nextCustomer = 15557100000 + Math.floor(Math.random() * 900_000);
const newCustomer = () => String((nextCustomer += 1));
const conversationOf = (key: string) => `wa:${BUSINESS_NUMBER_ID}:${key}`;
const path = (conversationId: string, rest = '') => `/v1/conversations/${encodeURIComponent(conversationId)}${rest}`;
const text = (body: string) => ({ message: { type: 'text', text: body } });

beforeAll(async () => {
  rig = await startService();
  await rig.approveTemplate('order_update', 'en_US', 'APPROVED', { body: { text: 'Hello {{1}}, this is order_update.', examples: ['Ada'] } });
}, 60_000);

afterAll(async () => {
  await rig?.stop();
});

const stateIs = (id: string, state: string) => eventually(() => rig.request('GET', path(id)), (r) => r.status === 200 && r.body.state === state);

describe('a refused free-form send says why, by cause', () => {
  it('after an explicit close, says the conversation was closed, not that the customer has not written for 24 hours', async () => {
    const customer = newCustomer();
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'thanks, all good' });
    const id = conversationOf(customer);
    await stateIs(id, 'openSession');
    const closed = await rig.request('POST', path(id, '/close'));
    expect(closed).toMatchObject({ status: 200, body: { state: 'closed', closedReason: 'requested' } });

    // At once, and again once the run has surely ended: the same answer whichever run the send meets.
    for (const attempt of [1, 2]) {
      if (attempt === 2) await new Promise((r) => setTimeout(r, 1_500));
      const refused = await rig.request('POST', path(id, '/messages'), text('One more thing'));
      expect(refused.status).toBe(409);
      expect(refused.contentType).toContain('application/problem+json');
      expect(refused.body.detail).not.toMatch(/24 hours/);
      expect(refused.body).toMatchObject({ code: 'conversation_closed', title: 'The conversation is closed' });
      expect(refused.body.detail).toMatch(/^This conversation was closed on request at \d{4}-\d\d-\d\dT[\d:.]+Z\. /);
      expect(refused.body.detail).toContain('send one of the approved templates to start a new one, or wait for the customer to write');
      expect(refused.body.templates.map((t: { name: string }) => t.name)).toEqual(['order_update']);
    }
    expect(rig.simulator.sent().filter((m) => m.to === customer)).toHaveLength(0);
    // The refusal changed nothing: the conversation is still the closed one, not an empty new run.
    expect((await rig.request('GET', path(id))).body).toMatchObject({ state: 'closed', closedReason: 'requested', inboundCount: 1 });

    // A template still starts the next conversation under the same id.
    const template = await rig.request('POST', path(id, '/messages'), { message: { type: 'template', name: 'order_update', language: 'en_US', components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }] }] } });
    expect(template.status).toBe(202);
    await eventually(() => rig.simulator.sent().filter((m) => m.to === customer), (s) => s.length === 1);
  });

  it('takes a reply when the read model still shows the closed conversation but the customer has started the next one', async () => {
    const customer = newCustomer();
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'hello again' });
    const id = conversationOf(customer);
    await stateIs(id, 'openSession');
    // The projection of the new run not written yet: the read model as the closed run left it.
    await rig.store.conversations.updateOne({ _id: id }, { $set: { state: 'closed', closedReason: 'requested', windowOpen: false } });

    const reply = await rig.request('POST', path(id, '/messages'), text('Welcome back'));
    expect(reply.status).toBe(202);
    await eventually(() => rig.simulator.sent().filter((m) => m.to === customer), (s) => s.length === 1);
  });

  it('outside the window, says when the customer last wrote and when the window closed', async () => {
    const customer = newCustomer();
    const wroteAt = Math.floor(Date.now() / 1000) - 25 * 3600;
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'old', timestamp: wroteAt });
    const id = conversationOf(customer);
    await stateIs(id, 'expiredNeedsTemplate');

    const refused = await rig.request('POST', path(id, '/messages'), text('Hi again'));
    expect(refused.body).toMatchObject({ status: 409, code: 'template_required' });
    const last = new Date(wroteAt * 1000).toISOString();
    const closes = new Date((wroteAt + 24 * 3600) * 1000).toISOString();
    expect(refused.body.detail).toBe(
      `The customer last wrote at ${last}; the 24-hour customer service window closed at ${closes}. Send one of the approved templates instead.`,
    );
  });

  it('before the customer has written, says so rather than naming 24 hours', async () => {
    await rig.approveTemplate('appointment_reminder');
    const customer = newCustomer();
    const started = await rig.request('POST', '/v1/conversations', { businessNumberId: BUSINESS_NUMBER_ID, customer: { waId: customer }, template: { name: 'appointment_reminder', language: 'en_US' } });
    expect(started.status).toBe(202);
    const id = started.body.conversationId as string;
    await stateIs(id, 'expiredNeedsTemplate');

    const refused = await rig.request('POST', path(id, '/messages'), text('hello?'));
    expect(refused.body).toMatchObject({ status: 409, code: 'template_required' });
    expect(refused.body.detail).toBe(
      'The customer has not written in this conversation yet, so no customer service window is open. Send one of the approved templates instead.',
    );
  });
});
