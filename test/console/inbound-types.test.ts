/**
 * Every inbound type the agent inbox shows, from real webhook payloads (Meta's messages webhook reference and its
 * per-type pages: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages)
 * sent through the broker simulator: what the agent sees for each, in the browser.
 */
import { inboxPanel, useConsoleRig } from '../support/console-rig';
import { BUSINESS_NUMBER_ID } from '../support/service';
import { jpeg, mp4, oggOpus, pdf, webp } from '../support/media-fixtures';
import { eventually } from '../support/workflow-env';

const consoleTest = useConsoleRig();

describe('inbound types in the agent inbox', () => {
  it('shows media, places, cards, choices, orders, reactions, quotes, ads, events and what WhatsApp cannot deliver', async () => {
    const { rig: consoleRig, service: rig } = consoleTest;
    const customer = consoleRig.newCustomer();
    const from = { phoneNumberId: BUSINESS_NUMBER_ID, from: customer, profileName: 'Ines' };
    const first = await rig.simulator.sendInboundText({ ...from, text: 'My parcel arrived broken' });
    await consoleRig.heldByAgent(customer);

    const sim = rig.simulator;
    await sim.sendInboundMedia({ ...from, type: 'image', bytes: await jpeg(), mimeType: 'image/jpeg', caption: 'the box' });
    await sim.sendInboundMedia({ ...from, type: 'video', bytes: mp4(4096), mimeType: 'video/mp4', caption: 'opening it' });
    await sim.sendInboundMedia({ ...from, type: 'audio', bytes: oggOpus(2048), mimeType: 'audio/ogg', voice: true });
    await sim.sendInboundMedia({ ...from, type: 'document', bytes: pdf(20_000), mimeType: 'application/pdf', filename: 'receipt 42.pdf' });
    await sim.sendInboundMedia({ ...from, type: 'sticker', bytes: await webp(), mimeType: 'image/webp', animated: false });
    await sim.sendInboundMessage({ ...from, type: 'location', content: { latitude: 48.8584, longitude: 2.2945, name: 'Tour Eiffel', address: 'Champ de Mars' } });
    await sim.sendInboundMessage({ ...from, type: 'contacts', content: [{ name: { formatted_name: 'Ada Lovelace', first_name: 'Ada' }, phones: [{ phone: '+44 20 7946 0000', type: 'WORK' }] }] });
    await sim.sendInboundMessage({ ...from, type: 'interactive', content: { type: 'button_reply', button_reply: { id: 'refund', title: 'Refund please' } } });
    await sim.sendInboundMessage({ ...from, type: 'interactive', content: { type: 'list_reply', list_reply: { id: 'slot-3', title: 'Tuesday 10:00', description: 'Pick-up in store' } } });
    await sim.sendInboundMessage({ ...from, type: 'interactive', content: { type: 'nfm_reply', nfm_reply: { name: 'flow', body: 'Sent', response_json: '{"flow_token":"t1","rating":"5"}' } } });
    // The customer's Allow on a call permission request is their message (Meta's call_permission_reply, user_action).
    await sim.sendInboundMessage({ ...from, type: 'interactive', content: { type: 'call_permission_reply', call_permission_reply: { response: 'accept', is_permanent: true, response_source: 'user_action' } } });
    await sim.sendInboundMessage({ ...from, type: 'button', content: { text: 'Track it', payload: 'TRACK_991' } });
    await sim.sendInboundMessage({ ...from, type: 'order', content: { catalog_id: 'cat-1', text: 'for Friday', product_items: [{ product_retailer_id: 'sku-7', quantity: 2, item_price: 9.5, currency: 'EUR' }] } });
    await sim.sendInboundMessage({ ...from, type: 'text', content: { body: 'Is this covered?' }, context: { from: customer, id: first.wamid } });
    const fromAd = await sim.sendInboundMessage({
      ...from,
      type: 'text',
      content: { body: 'I saw your ad' },
      referral: { source_url: 'https://fb.me/3cr4Wqqkv', source_id: '6755', source_type: 'ad', headline: 'Spring sale', body: 'Half price', media_type: 'image', ctwa_clid: 'ARAkLkA8r' },
    });
    await sim.sendReaction({ ...from, messageId: first.wamid, emoji: '\u{1F622}' });
    await sim.sendInboundMessage({ ...from, type: 'edit', content: { original_message_id: first.wamid, message: { type: 'text', text: { body: 'My parcel arrived badly broken' } } } });
    await sim.sendInboundMessage({ ...from, type: 'revoke', content: { original_message_id: fromAd.wamid } });
    await sim.sendUnsupported({ ...from, unsupportedType: 'poll_creation' });
    await sim.sendInboundMessage({ ...from, type: 'request_welcome' });
    await sim.sendSystemNotice({ ...from, systemType: 'user_changed_user_id', newUserId: 'US.13491208655302741918' });
    // Everything stored (media fetched and checked) before the agent looks.
    const path = `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`)}/messages`;
    await eventually(
      () => rig.request('GET', path),
      (r) => r.body.messages.some((m: { type: string }) => m.type === 'system') && ['image', 'video', 'audio', 'document', 'sticker'].every((t) => r.body.messages.some((m: Record<string, { mediaId?: string }>) => m[t]?.mediaId)),
      60_000,
    );

    const { page, accessibilityViolations, screenshot } = await consoleRig.open('agent');
    const panel = await inboxPanel(page, customer);
    const bubble = (type: string) => panel.locator(`li.message.inbound[data-type="${type}"]`);
    // Media, fetched with the agent's key and shown in place.
    await bubble('image').getByRole('img', { name: 'the box' }).waitFor({ timeout: 20_000 });
    await bubble('video').locator('video[aria-label="opening it"]').waitFor();
    await bubble('audio').getByLabel('Voice message').waitFor();
    await bubble('document').getByRole('link', { name: /receipt 42\.pdf · 20 KB/ }).waitFor();
    await bubble('sticker').getByRole('img', { name: 'Sticker' }).waitFor();
    // Places, cards, the customer's choices and orders.
    expect(await bubble('location').getByRole('link', { name: /Tour Eiffel/ }).getAttribute('href')).toContain('mlat=48.8584');
    await bubble('location').getByText('Champ de Mars').waitFor();
    await bubble('contacts').getByLabel('Contact cards').getByText('Ada Lovelace').waitFor();
    await bubble('contacts').getByText('+44 20 7946 0000 (work)').waitFor();
    await panel.getByText('Chose Refund please').waitFor();
    await panel.getByText('Chose Tuesday 10:00 · Pick-up in store').waitFor();
    await bubble('interactive').getByText('Answered the form flow · Sent').waitFor();
    // The Flow's answers themselves (chatwoot/chatwoot#13970: agents saw an empty message); flow_token is ours, not shown.
    await bubble('interactive').getByLabel('Form answers').getByText('rating').waitFor();
    expect(await bubble('interactive').getByLabel('Form answers').innerText()).not.toContain('flow_token');
    await bubble('button').getByText('Tapped Track it').waitFor();
    await panel.getByText('Allows WhatsApp calls, permanently').waitFor();
    await bubble('order').getByLabel('Order items').getByText('2 × sku-7 · 9.5 EUR').waitFor();
    // A reaction under the bubble it reacts to, a quote above the reply, the ad a customer came from.
    const original = panel.locator('li.message.inbound').filter({ hasText: 'My parcel arrived broken' }).first();
    await original.getByLabel('Reactions').getByText('\u{1F622}').waitFor();
    await original.getByText('Edited by the customer').waitFor();
    const reply = panel.locator('li.message.inbound').filter({ hasText: 'Is this covered?' });
    await reply.locator('blockquote.quote').getByText('My parcel arrived broken').waitFor();
    const ad = panel.locator('li.message.inbound').filter({ hasText: 'I saw your ad' });
    await ad.getByText('From an ad: “Spring sale”').waitFor();
    await ad.getByText('Deleted by the customer').waitFor();
    // Events: not the customer writing, each said in words.
    await panel.getByRole('note').filter({ hasText: 'The customer edited a message: “My parcel arrived badly broken”' }).waitFor();
    await panel.getByRole('note').filter({ hasText: 'The customer deleted a message for everyone' }).waitFor();
    await panel.getByRole('note').filter({ hasText: "The customer's WhatsApp user id changed" }).waitFor();
    await panel.getByRole('note').filter({ hasText: 'The customer opened the chat for the first time (welcome request)' }).waitFor();
    await panel.getByRole('note').filter({ hasText: 'A poll_creation message WhatsApp does not deliver: Message type unknown (131051)' }).waitFor();
    // A reaction is not a message of its own.
    expect(await panel.locator('li.message[data-type="reaction"]').count()).toBe(0);
    expect(await accessibilityViolations()).toEqual([]);
    await screenshot('inbound-types');
  }, 150_000);
});
