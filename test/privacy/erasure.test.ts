import { execFile } from 'node:child_process';
import { toolPath } from '../../scripts/dev-servers';
import { testEnv } from '../support/env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';
import { campaignCompleted } from '../support/campaign-rig';
import { eventually } from '../support/workflow-env';

const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const suffix = String(Math.floor(Math.random() * 900_000) + 100_000);
const erased = `1556${suffix}1`;
const kept = `1556${suffix}2`;
const conversationOf = (key: string) => `wa:${BUSINESS_NUMBER_ID}:${key}`;
let rig: ServiceRig;
let campaignId: string;
let imageUrl: string;

const thread = (key: string) => rig.request('GET', `/v1/conversations/${conversationOf(key)}/messages`);
const historyExists = (workflowId: string) =>
  new Promise<boolean>((resolve) =>
    execFile(toolPath('temporal'), ['workflow', 'show', '--address', testEnv().temporalAddress, '-w', workflowId, '--output', 'json'], (err) => resolve(!err)),
  );

beforeAll(async () => {
  rig = await startService();
  // One body placeholder, with its example, as WhatsApp requires of a template that takes a parameter.
  await rig.approveTemplate('spring_sale', 'en_US', 'APPROVED', { body: { text: 'Hello {{1}}, this is spring_sale.', examples: ['Ada'] } });
  // A campaign reaches both customers; then one writes back with text and a picture (their conversation runs on).
  campaignId = await campaignCompleted(rig, 'spring_sale', [erased, kept], (waId) => `Dear ${waId}`);
  for (const key of [erased, kept]) await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: key, profileName: `Person ${key}`, text: `I am ${key}` });
  await rig.simulator.sendInboundImage({ phoneNumberId: BUSINESS_NUMBER_ID, from: erased, bytes: png, mimeType: 'image/png', caption: 'my passport' });
  const withImage = await eventually(() => thread(erased), (r) => r.body.messages?.some((m: { image?: { url?: string } }) => m.image?.url));
  imageUrl = withImage.body.messages.find((m: { image?: { url?: string } }) => m.image?.url).image.url;
  await eventually(() => rig.request('GET', `/v1/conversations/${conversationOf(erased)}`), (r) => r.body.state === 'openSession');
  // What the business wrote to each from the WhatsApp Business app (Meta's smb_message_echoes): a message of their
  // thread. And their chat history shared at onboarding (Meta's `history`): a field the connector does not act on,
  // kept whole as a dead letter, so it holds the person's number and words.
  const metadata = { display_phone_number: '15550783881', phone_number_id: BUSINESS_NUMBER_ID };
  for (const key of [erased, kept]) {
    await rig.simulator.deliverWebhook({
      object: 'whatsapp_business_account',
      entry: [{ id: '102290129340398', changes: [{ field: 'smb_message_echoes', value: { messaging_product: 'whatsapp', metadata, message_echoes: [{ from: '15550783881', to: key, id: `wamid.echo-${key}`, timestamp: '1739321024', type: 'text', text: { body: `Your passport for ${key} is ready` } }] } }] }],
    });
    await rig.simulator.deliverWebhook({
      object: 'whatsapp_business_account',
      entry: [{ id: '102290129340398', changes: [{ field: 'history', value: { messaging_product: 'whatsapp', metadata, history: [{ metadata: { phase: 0, chunk_order: 1, progress: 100 }, threads: [{ id: key, messages: [{ from: key, id: `wamid.history-${key}`, timestamp: '1739321000', type: 'text', text: { body: `Is my passport ready? (${key})` }, history_context: { status: 'READ' } }] }] }] } }] }],
    });
  }
  await eventually(() => thread(kept), (r) => r.body.messages?.length === 3);
  expect(await rig.store.deadLetters.countDocuments({ raw: { $regex: erased } })).toBe(1);
}, 120_000);

afterAll(async () => rig?.stop());

describe('erasure of one person', () => {
  it('is for supervisors only', async () => {
    expect((await rig.request('DELETE', `/v1/customers/${erased}`)).status).toBe(403);
    expect((await rig.requestAs('agent', 'POST', '/v1/erasures', { customer: erased })).status).toBe(403);
  });

  it('closes their running conversation, removes messages, picture, projection, campaign entry and histories, and says what remains', async () => {
    const answer = await rig.requestAs('supervisor', 'DELETE', `/v1/customers/${erased}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      conversationsClosed: 1,
      erased: { conversations: 1, messages: 4 /* with the business app's echo */, media: 1, campaignEntries: 2 /* the recipient and the campaign's once-per-person mark */, registryEntries: expect.any(Number), temporalRuns: expect.any(Number) },
      notErasedAtOnce: expect.arrayContaining([expect.objectContaining({ where: expect.stringContaining('Temporal') })]),
    });
    expect(answer.body.erased.temporalRuns).toBeGreaterThanOrEqual(1);

    // The read model is gone; the closed run itself is read from Temporal until the server finishes deleting it
    // (asynchronous: see the answer's notErasedAtOnce), so only the projection is checked here.
    expect(await rig.store.conversations.countDocuments({ _id: conversationOf(erased) })).toBe(0);
    const messages = await thread(erased);
    expect(messages.status === 404 || messages.body.messages?.length === 0).toBe(true);
    expect((await fetch(`${rig.baseUrl}${imageUrl}`, { headers: { authorization: `Bearer ${rig.keys.agent}` } })).status).toBe(404);
    const recipients = await rig.request('GET', `/v1/campaigns/${campaignId}/recipients?from=0&limit=10`);
    expect(JSON.stringify(recipients.body)).not.toContain(erased);
    expect(JSON.stringify(await rig.request('GET', '/v1/conversations?limit=500'))).not.toContain(erased);
    expect(await rig.store.db.collection('messages').countDocuments({ raw: { $regex: erased } })).toBe(0);
    // Webhook parts kept aside that name them (here their chat history shared from the business app) go too.
    expect(answer.body.erased.deadLetters).toBe(1);
    expect(await rig.store.deadLetters.countDocuments({ raw: { $regex: erased } })).toBe(0);
    // The customer registry forgets them: their person, identifiers and links.
    expect(answer.body.erased.registryEntries).toBeGreaterThanOrEqual(2);
    expect((await rig.request('GET', `/v1/customers?identifier=${erased}`)).status).toBe(404);
    for (const name of ['customers', 'customer_identifiers', 'customer_links']) {
      expect(JSON.stringify(await rig.store.db.collection(name).find({}).toArray())).not.toContain(erased);
    }
  });

  it('leaves everyone else as they were', async () => {
    expect((await rig.request('GET', `/v1/customers?identifier=${kept}`)).status).toBe(200);
    expect((await thread(kept)).body.messages).toHaveLength(3);
    expect(await rig.store.deadLetters.countDocuments({ raw: { $regex: kept } })).toBe(1);
    expect((await rig.request('GET', `/v1/conversations/${conversationOf(kept)}`)).status).toBe(200);
    const recipients = await rig.request('GET', `/v1/campaigns/${campaignId}/recipients?from=0&limit=10`);
    expect(JSON.stringify(recipients.body)).toContain(kept);
    expect(await historyExists(conversationOf(kept))).toBe(true);
  });

  it('is audited with who, when and how much, and not whom', async () => {
    const audit = await rig.requestAs('supervisor', 'GET', '/v1/erasures');
    expect(audit.status).toBe(200);
    expect(audit.body.erasures).toEqual([expect.objectContaining({ by: expect.objectContaining({ role: 'supervisor' }), at: expect.any(String), erased: expect.objectContaining({ messages: 4 }) })]);
    const stored = await rig.store.db.collection('erasures').find({}).toArray();
    expect(JSON.stringify(stored)).not.toContain(erased);
    expect(JSON.stringify(stored)).not.toContain(suffix);
  });

  it('answers 404 unknown_customer for someone already erased (or never known)', async () => {
    const again = await rig.requestAs('supervisor', 'POST', '/v1/erasures', { customer: erased });
    expect(again.status).toBe(404);
    expect(again.body.code).toBe('unknown_customer');
  });

  it('answers 400 for a number written without its country code, naming the problem, rather than 404 "nothing to erase"', async () => {
    const national = await rig.requestAs('supervisor', 'POST', '/v1/erasures', { customer: '(555) 123-4567' });
    expect(national.status).toBe(400);
    expect(national.body).toMatchObject({ code: 'invalid_request', detail: expect.stringContaining('country code') });
  });

  it('erases the thread of a person whose number is written in any writing the API takes, a slash included (+1 556/…), not only their registry entry', async () => {
    const slashed = `1556${suffix}3`;
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: slashed, profileName: 'Slash', text: 'erase me' });
    await eventually(() => thread(slashed), (r) => r.body.messages?.length === 1);
    const answer = await rig.requestAs('supervisor', 'POST', '/v1/erasures', { customer: `+1 ${slashed.slice(1, 4)}/${slashed.slice(4)}` });
    expect(answer.status).toBe(200);
    expect(answer.body.erased.messages).toBe(1);
  });

  it('erases the thread of a person who changed number, asked for by their new number', async () => {
    const [oldPhone, newPhone] = [`1556${suffix}4`, `1556${suffix}5`];
    const [oldBsuid, newBsuid] = [`US.${suffix}00000000000001`, `US.${suffix}00000000000002`];
    const metadata = { display_phone_number: '15550783881', phone_number_id: BUSINESS_NUMBER_ID };
    const messages = (value: object) => ({ object: 'whatsapp_business_account', entry: [{ id: '102290129340398', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata, ...value } }] }] });
    const now = () => String(Math.floor(Date.now() / 1000));
    // A campaign reached them at their first number: their conversation is keyed by it, and stays so after the change.
    await campaignCompleted(rig, 'spring_sale', [oldPhone], () => 'Ada');
    await rig.simulator.deliverWebhook(messages({ contacts: [{ profile: { name: 'Ada' }, wa_id: oldPhone, user_id: oldBsuid }], messages: [{ from: oldPhone, from_user_id: oldBsuid, id: `wamid.before-${suffix}`, timestamp: now(), type: 'text', text: { body: 'before the change' } }] }));
    await eventually(() => thread(oldPhone), (r) => r.body.messages?.some((m: { text?: string }) => m.text === 'before the change'));
    // Meta's user_changed_number notice, then a message from the new number (it joins the same conversation).
    await rig.simulator.deliverWebhook(messages({ messages: [{ from: oldPhone, id: `wamid.change-${suffix}`, timestamp: now(), type: 'system', system: { body: 'changed', wa_id: newPhone, type: 'user_changed_number', user_id: newBsuid, previous_user_id: oldBsuid } }] }));
    await rig.simulator.deliverWebhook(messages({ contacts: [{ profile: { name: 'Ada' }, wa_id: newPhone, user_id: newBsuid }], messages: [{ from: newPhone, from_user_id: newBsuid, id: `wamid.after-${suffix}`, timestamp: now(), type: 'text', text: { body: 'after the change' } }] }));
    await eventually(() => thread(oldPhone), (r) => r.body.messages?.some((m: { text?: string }) => m.text === 'after the change'));
    const answer = await rig.requestAs('supervisor', 'POST', '/v1/erasures', { customer: newPhone });
    expect(answer.status).toBe(200);
    expect(await rig.store.messages.countDocuments({ conversationId: conversationOf(oldPhone) })).toBe(0);
    expect(answer.body).toMatchObject({ conversationsClosed: 1, erased: { conversations: 1, messages: 4 /* the campaign's, theirs and the system notice */ } });
    expect(await rig.store.conversations.countDocuments({ _id: conversationOf(oldPhone) })).toBe(0);
    expect(await rig.store.db.collection('campaign_recipients').countDocuments({ 'customer.waId': oldPhone })).toBe(0);
  });

  it('takes a message from the erased person afterwards as from a stranger: a new person, a new thread', async () => {
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: erased, profileName: 'Someone', text: 'hello again' });
    const fresh = await eventually(() => thread(erased), (r) => r.status === 200 && r.body.messages?.length === 1);
    expect(fresh.body.messages[0]).toMatchObject({ direction: 'inbound', text: 'hello again' });
    expect((await rig.request('GET', `/v1/customers?identifier=${erased}`)).status).toBe(200);
  });
});

/**
 * A blocked person erased: the connector's copy of the block (their number and WhatsApp id in clear) goes with the rest,
 * and the block itself stays at WhatsApp, which keeps refusing sends to them ("Attempts to message a blocked user
 * return an error", https://developers.facebook.com/documentation/business-messaging/whatsapp/block-users/).
 */
describe('erasure of a blocked person', () => {
  const spammer = `1556${suffix}3`;
  const bsuid = `US.${suffix}0042`;

  it('removes every copy of their block from the store, leaves them blocked at WhatsApp, and a later send fails there once, unretried', async () => {
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: spammer, userId: bsuid, text: 'buy my stuff' });
    // Keyed by the BSUID (README "Conversation ids"); the block goes to WhatsApp by the phone number.
    await eventually(() => rig.request('GET', `/v1/conversations/${conversationOf(bsuid)}`), (r) => r.status === 200 && r.body.inboundCount === 1);
    const block = await rig.requestAs('supervisor', 'POST', `/v1/conversations/${conversationOf(bsuid)}/block`);
    expect(block.status).toBe(200);
    const personId: string = block.body.customerId;
    const blocksNaming = async () =>
      (await rig.store.db.collection('blocked_users').find({}).toArray()).filter((doc) => [spammer, bsuid, personId].some((name) => JSON.stringify(doc).includes(name)));
    expect(await blocksNaming()).toHaveLength(1);

    const answer = await rig.requestAs('supervisor', 'DELETE', `/v1/customers/${bsuid}`);
    expect(answer.status).toBe(200);
    expect(await blocksNaming()).toEqual([]);
    expect(answer.body.erased.blocks).toBe(1);
    expect(answer.body.notErasedAtOnce).toContainEqual(expect.objectContaining({ what: expect.stringContaining('block'), where: expect.stringContaining('block-users') }));
    // Not unblocked at WhatsApp: the erased spammer still cannot write to the number.
    expect(rig.simulator.blocked(BUSINESS_NUMBER_ID)).toContain(spammer);

    // The store no longer knows the block, WhatsApp does: a template to them is refused there, recorded failed with
    // Meta's code, and not sent again.
    const requestsBefore = rig.simulator.requests();
    const started = await rig.request('POST', '/v1/conversations', {
      businessNumberId: BUSINESS_NUMBER_ID,
      customer: { waId: spammer },
      template: { name: 'spring_sale', language: 'en_US', components: [{ type: 'body', parameters: [{ type: 'text', text: 'you' }] }] },
    });
    expect(started.status).toBe(202);
    const failed = await eventually(() => thread(spammer), (r) => r.body.messages?.at(-1)?.status === 'failed');
    expect(failed.body.messages.at(-1).failure).toMatchObject({ code: 131026, reason: 'broker_rejected' });
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // longer than the first retry interval
    expect(rig.simulator.requests() - requestsBefore).toBe(1);
    expect(rig.simulator.sent().filter((m) => m.to === spammer && m.type === 'template')).toEqual([]);
  });

  it('lets a supervisor unblock the erased person by WhatsApp id from the number\'s blocklist, after which sends reach them', async () => {
    const path = `/v1/numbers/${BUSINESS_NUMBER_ID}/blocked-users/${spammer}`;
    expect((await rig.requestAs('agent', 'DELETE', path)).status).toBe(403);
    // The number's routes are for registered numbers (404 unknown_number otherwise).
    const registered = await rig.requestAs('supervisor', 'POST', '/v1/numbers', { phoneNumberId: BUSINESS_NUMBER_ID, displayNumber: '+1 202 555 0107', verificationMethod: 'sms', ownership: { attestedBy: 'Grace', statement: true } });
    expect([201, 409]).toContain(registered.status);
    const listed = await rig.requestAs('supervisor', 'GET', `/v1/numbers/${BUSINESS_NUMBER_ID}/blocked-users?limit=1000`);
    expect(listed.body.blockedUsers).toContainEqual({ waId: spammer });

    const unblocked = await rig.requestAs('supervisor', 'DELETE', path);
    expect(unblocked.status).toBe(200);
    expect(unblocked.body).toMatchObject({ businessNumberId: BUSINESS_NUMBER_ID, waId: spammer, blocked: false, unblockedBy: expect.any(String) });
    expect(rig.simulator.blocked(BUSINESS_NUMBER_ID)).not.toContain(spammer);

    const sent = await rig.request('POST', `/v1/conversations/${conversationOf(spammer)}/messages`, {
      message: { type: 'template', name: 'spring_sale', language: 'en_US', components: [{ type: 'body', parameters: [{ type: 'text', text: 'you' }] }] },
    });
    expect(sent.status).toBe(202);
    await eventually(() => thread(spammer), (r) => r.body.messages?.at(-1)?.status === 'delivered' || r.body.messages?.at(-1)?.status === 'read');
  });
});
