/**
 * The messages webhook's payloads as Meta's reference pages write them (whole bodies, signed, straight to the
 * connector), for the fields no other test posts: what the integrator then sees in the thread, or what is stored.
 * Pages: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/<type>.
 */
import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, WABA_ID, startService, type ServiceRig } from '../support/service';
import { postSignedWebhook } from '../support/signed-webhook';

let rig: ServiceRig;
let next = 15557200000 + Math.floor(Math.random() * 90_000);
const newCustomer = () => String((next += 1));
const now = () => String(Math.floor(Date.now() / 1000));
const path = (customer: string, rest = '') => `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`)}${rest}`;

const messagesChange = (value: Record<string, unknown>) => ({
  object: 'whatsapp_business_account',
  entry: [{ id: WABA_ID, changes: [{ value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550783881', phone_number_id: BUSINESS_NUMBER_ID }, ...value }, field: 'messages' }] }],
});
const messagesWebhook = (customer: string, message: Record<string, unknown>) =>
  messagesChange({ contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: customer }], messages: [{ from: customer, timestamp: now(), ...message }] });

const post = (body: object) => postSignedWebhook(rig.baseUrl, body);
/** The thread's message with this wamid, once it is there. */
const inThread = async (customer: string, wamid: string) => {
  const thread = await eventually(() => rig.request('GET', path(customer, '/messages')), (r) => r.status === 200 && r.body.messages?.some((m: { wamid?: string }) => m.wamid === wamid));
  return thread.body.messages.find((m: { wamid?: string }) => m.wamid === wamid) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
};

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

describe('customer messages, fields as the reference pages write them', () => {
  it('keeps a shared location with name, address and url (location page)', async () => {
    const customer = newCustomer();
    const location = { address: '1 Hacker Way, Menlo Park, CA 94025', latitude: 37.483307, longitude: -122.148981, name: 'Main Street Beach', url: 'https://www.facebook.com' };
    expect(await post(messagesWebhook(customer, { id: `wamid.loc-${customer}`, type: 'location', location }))).toMatchObject({ status: 200, body: { received: { messages: 1 } } });
    expect((await inThread(customer, `wamid.loc-${customer}`)).location).toEqual(location);
  });

  it('keeps a contact card whole: addresses, birthday, emails, name, org, phones, urls (contacts page)', async () => {
    const customer = newCustomer();
    const card = {
      addresses: [{ city: 'Menlo Park', country: 'United States', country_code: 'us', state: 'CA', street: '1 Hacker Way', type: 'HOME', zip: '94025' }],
      birthday: '2012-08-18',
      emails: [{ email: 'bjohnson@luckyshrub.com', type: 'WORK' }],
      name: { formatted_name: 'Barbara J. Johnson', first_name: 'Barbara', last_name: 'Johnson', middle_name: 'Joana', suffix: 'Esq.', prefix: 'Dr.' },
      org: { company: 'Lucky Shrub', department: 'Legal', title: 'Lead Counsel' },
      phones: [{ phone: '+1 (940) 555-1234', wa_id: '19405551234', type: 'HOME' }],
      urls: [{ url: 'https://www.luckyshrub.com', type: 'WORK' }],
    };
    await post(messagesWebhook(customer, { id: `wamid.card-${customer}`, type: 'contacts', contacts: [card] }));
    expect((await inThread(customer, `wamid.card-${customer}`)).contacts).toEqual([card]);
  });

  it("keeps a click-to-WhatsApp ad's greeting (referral.welcome_message, location page), with no ctwa_clid as from a Status ad", async () => {
    const customer = newCustomer();
    const referral = { source_url: 'https://fb.me/3cr4Wqqkk', source_id: '120226305854810726', source_type: 'ad', body: 'Chat with us', headline: 'Chat with us', media_type: 'image', image_url: 'https://scontent.example/ad.jpg', welcome_message: { text: 'Hi there! Let us know how we can help!' } };
    await post(messagesWebhook(customer, { id: `wamid.ad-${customer}`, type: 'text', text: { body: 'Can I get more info about this?' }, referral }));
    expect((await inThread(customer, `wamid.ad-${customer}`)).referral).toEqual({
      sourceUrl: 'https://fb.me/3cr4Wqqkk', sourceId: '120226305854810726', sourceType: 'ad', body: 'Chat with us', headline: 'Chat with us', mediaType: 'image', imageUrl: 'https://scontent.example/ad.jpg', welcomeMessage: 'Hi there! Let us know how we can help!',
    });
  });

  it('keeps a message forwarded many times (context.frequently_forwarded, text page)', async () => {
    const customer = newCustomer();
    await post(messagesWebhook(customer, { id: `wamid.fwd-${customer}`, type: 'text', text: { body: 'Chain letter' }, context: { forwarded: true, frequently_forwarded: true } }));
    expect((await inThread(customer, `wamid.fwd-${customer}`)).context).toEqual({ forwarded: true, frequentlyForwarded: true });
  });

  it("shows the writer's identity_key_hash, sent with each message while the identity change check is on (reaction, group pages' contacts)", async () => {
    const customer = newCustomer();
    const body = messagesChange({
      contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: customer, identity_key_hash: 'DF2lS5v2W6x=' }],
      messages: [{ from: customer, id: `wamid.ik-${customer}`, timestamp: now(), type: 'text', text: { body: 'still me' } }],
    });
    await post(body);
    expect(await inThread(customer, `wamid.ik-${customer}`)).toMatchObject({ text: 'still me', identityKeyHash: 'DF2lS5v2W6x=' });
  });

  it("keeps an identity-change notice as an event that moves no window (Meta's older system type customer_identity_changed)", async () => {
    const customer = newCustomer();
    const system = { body: 'Security code changed', identity: 'DF2lS5v2W6x=', type: 'customer_identity_changed', customer };
    const answer = await post(messagesChange({ messages: [{ from: customer, id: `wamid.sys-${customer}`, timestamp: now(), type: 'system', system }] }));
    expect(answer).toMatchObject({ status: 200, body: { received: { messages: 1, deadLetters: 0 } } });
    expect(await inThread(customer, `wamid.sys-${customer}`)).toMatchObject({ event: true, system: { type: 'customer_identity_changed', body: 'Security code changed' } });
    // The notice alone starts no conversation, so no window opens: 404, not a view with a window. (This read
    // `body.inboundCount ?? 0`, which a 404's body passed without saying which.)
    expect(await rig.request('GET', path(customer))).toMatchObject({ status: 404, body: { code: 'unknown_conversation' } });
  });

  it('keeps an animated sticker as animated (sticker page)', async () => {
    const customer = newCustomer();
    const sticker = { mime_type: 'image/webp', sha256: 'ab'.repeat(32), id: '1003383421387256', animated: true };
    await post(messagesWebhook(customer, { id: `wamid.st-${customer}`, type: 'sticker', sticker }));
    expect((await inThread(customer, `wamid.st-${customer}`)).sticker).toMatchObject({ animated: true });
  });
});

describe('reactions (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/reaction/)', () => {
  it('takes a reaction back when its emoji comes empty, as when it comes without one', async () => {
    const customer = newCustomer();
    await post(messagesWebhook(customer, { id: `wamid.q-${customer}`, type: 'text', text: { body: 'Is it in stock?' } }));
    await eventually(() => rig.request('GET', path(customer)), (r) => r.body.state === 'openSession');
    expect((await rig.request('POST', path(customer, '/messages'), { message: { type: 'text', text: 'Yes, it is.' } })).status).toBe(202);
    const ours = await eventually(
      () => rig.request('GET', path(customer, '/messages')),
      (r) => r.body.messages?.some((m: { direction: string; wamid?: string }) => m.direction === 'outbound' && m.wamid),
    );
    const wamid = (ours.body.messages as { direction: string; wamid?: string }[]).find((m) => m.direction === 'outbound' && m.wamid)!.wamid!;
    const at = Math.floor(Date.now() / 1000);
    await post(messagesWebhook(customer, { id: `wamid.r1-${customer}`, timestamp: String(at), type: 'reaction', reaction: { message_id: wamid, emoji: '\u{1F44D}' } }));
    expect((await inThread(customer, wamid)).reactions).toEqual([expect.objectContaining({ emoji: '\u{1F44D}' })]);
    await post(messagesWebhook(customer, { id: `wamid.r2-${customer}`, timestamp: String(at + 1), type: 'reaction', reaction: { message_id: wamid, emoji: '' } }));
    await eventually(() => inThread(customer, wamid), (m) => m.reactions === undefined);
  });
});

describe('statuses (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status/)', () => {
  it("keeps the conversation object of a status priced by conversation (id, expiry, origin), beside its pricing", async () => {
    const customer = newCustomer();
    const wamid = `wamid.cbp-${customer}`;
    const expires = Math.floor(Date.now() / 1000) + 86_400;
    const status = {
      id: wamid,
      status: 'sent',
      timestamp: now(),
      recipient_id: customer,
      conversation: { id: `CONVERSATION_${customer}`, expiration_timestamp: String(expires), origin: { type: 'utility' } },
      pricing: { billable: true, pricing_model: 'CBP', category: 'utility' },
    };
    expect(await post(messagesChange({ statuses: [status] }))).toMatchObject({ status: 200, body: { received: { statuses: 1, deadLetters: 0 } } });
    const doc = await rig.store.deliveryStatuses.findOne({ _id: `${wamid}:sent` });
    expect(doc).toMatchObject({ pricing: { billable: true, model: 'CBP', category: 'utility' }, conversation: { id: `CONVERSATION_${customer}`, originType: 'utility', expiresAt: new Date(expires * 1000) } });
  });

  it('takes a status priced per message without a conversation object, and one whose conversation is shaped oddly', async () => {
    const customer = newCustomer();
    const wamid = `wamid.pmp-${customer}`;
    const priced = { id: wamid, status: 'delivered', timestamp: now(), recipient_id: customer, pricing: { billable: false, pricing_model: 'PMP', category: 'service', type: 'free_customer_service' } };
    const odd = { id: wamid, status: 'read', timestamp: now(), recipient_id: customer, conversation: 'not-an-object' };
    expect(await post(messagesChange({ statuses: [priced, odd] }))).toMatchObject({ status: 200, body: { received: { statuses: 2, deadLetters: 0 } } });
    expect(await rig.store.deliveryStatuses.findOne({ _id: `${wamid}:delivered` })).toMatchObject({ pricing: { model: 'PMP', type: 'free_customer_service', billable: false } });
    expect((await rig.store.deliveryStatuses.findOne({ _id: `${wamid}:delivered` }))!.conversation).toBeUndefined();
    expect(await rig.store.deliveryStatuses.findOne({ _id: `${wamid}:read` })).toMatchObject({ status: 'read' });
  });
});
