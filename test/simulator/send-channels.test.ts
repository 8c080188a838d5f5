import { startBrokerSimulator, type BrokerSimulator } from '../../simulator/broker-simulator';

/**
 * The simulator refuses what Meta refuses about where a message is sent, with Meta's error body:
 * - /marketing_messages: a non-template message (100, "Message must be a template message."), a non-marketing template
 *   (131055), an unknown product_policy (100)
 *   (https://developers.facebook.com/documentation/business-messaging/whatsapp/marketing-messages/send-marketing-messages);
 * - Direct Send's `category` on an account Meta did not enable (100, "Direct Send isn't enabled for this account") or
 *   on a message type it does not take (https://developers.facebook.com/documentation/business-messaging/whatsapp/direct-send/api-reference/).
 */
const TOKEN = 'sim-token';
const NUMBER = '1065';
let sim: BrokerSimulator;
beforeAll(async () => {
  sim = await startBrokerSimulator({ accessToken: TOKEN, appSecret: 'sim-secret', autoStatuses: false });
  sim.seedTemplate({ wabaId: '1', name: 'spring_sale', language: 'en_US', category: 'MARKETING', status: 'APPROVED', components: [{ type: 'BODY', text: 'Spring sale' }] });
  sim.seedTemplate({ wabaId: '1', name: 'renewal_notice', language: 'en_US', category: 'UTILITY', status: 'APPROVED', components: [{ type: 'BODY', text: 'Renewal due' }] });
});
afterAll(async () => sim?.close());

const post = (edge: string, body: object, number = NUMBER) =>
  fetch(`${sim.url}/v27.0/${number}/${edge}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messaging_product: 'whatsapp', recipient_type: 'individual', to: '15551234567', ...body }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: { code: number; message: string; error_data: { details: string } }; messages?: unknown[] } }));
const template = (name: string) => ({ type: 'template', template: { name, language: { code: 'en_US' } } });

describe('/marketing_messages', () => {
  it('accepts a marketing template with its options', async () => {
    const ok = await post('marketing_messages', { ...template('spring_sale'), product_policy: 'STRICT', message_activity_sharing: false });
    expect(ok.status).toBe(200);
    expect(sim.sent().at(-1)).toMatchObject({ endpoint: 'marketing_messages', body: { product_policy: 'STRICT' } });
  });

  it('refuses a free-form message with 100 and a utility template with 131055', async () => {
    const text = await post('marketing_messages', { type: 'text', text: { body: 'hi' } });
    expect(text).toMatchObject({ status: 400, body: { error: { code: 100, error_data: { details: 'Message must be a template message.' } } } });
    const utility = await post('marketing_messages', template('renewal_notice'));
    expect(utility).toMatchObject({ status: 400, body: { error: { code: 131055, message: '(#131055) Method not allowed' } } });
    const policy = await post('marketing_messages', { ...template('spring_sale'), product_policy: 'SOMETIMES' });
    expect(policy).toMatchObject({ status: 400, body: { error: { code: 100 } } });
  });

  it('still takes marketing templates on /messages (the Cloud API keeps sending them)', async () => {
    expect((await post('messages', template('spring_sale'))).status).toBe(200);
  });
});

describe("Direct Send's category on /messages", () => {
  const utilityText = { type: 'text', text: { body: 'Order 4521 shipped' }, category: 'utility' };

  it('is refused with 100 where Meta did not enable it', async () => {
    const refused = await post('messages', utilityText, '2001');
    expect(refused).toMatchObject({ status: 400, body: { error: { code: 100, error_data: { details: "Direct Send isn't enabled for this account" } } } });
  });

  it('takes utility text, reply buttons and CTA URLs where enabled, not other types', async () => {
    sim.setDirectSend('2002', true);
    expect((await post('messages', utilityText, '2002')).status).toBe(200);
    const buttons = { type: 'interactive', category: 'utility', interactive: { type: 'button', body: { text: 'Reschedule?' }, action: { buttons: [{ type: 'reply', reply: { id: 'y', title: 'Yes' } }] } } };
    expect((await post('messages', buttons, '2002')).status).toBe(200);
    const image = { type: 'image', image: { link: 'https://example.com/a.png' }, category: 'utility' };
    expect((await post('messages', image, '2002')).body.error).toMatchObject({ code: 100 });
    expect((await post('messages', { ...utilityText, category: 'marketing' }, '2002')).body.error).toMatchObject({ code: 100 });
  });
});
