/**
 * Every outbound session type end to end: API → workflow → broker activity → simulator, asserting the Cloud API body
 * the simulator received (Meta's shapes from the "Send messages" pages) and the thread the API shows back; and each
 * documented limit refused before anything is sent, with a 400 naming the field.
 */
import { randomBytes } from 'node:crypto';
import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';
import { putMedia } from '../../store/media.store';

let rig: ServiceRig;
let next = 15557000000 + Math.floor(Math.random() * 900_000);
const newCustomer = () => String((next += 1));
const path = (customer: string, rest = '') => `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`)}${rest}`;

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

/** A stored upload of any type (the upload route is covered elsewhere; here only sending is under test). */
async function stored(mimeType: string, bytes = randomBytes(64)): Promise<string> {
  const mediaId = `out_${randomBytes(16).toString('hex')}`;
  await putMedia(rig.store, mediaId, bytes, { mimeType, size: bytes.length, sha256: '', direction: 'outbound' } as never);
  return mediaId;
}

/** A customer who wrote (window open); answers the wamid of their message. */
async function customerWrote(): Promise<{ customer: string; wamid: string }> {
  const customer = newCustomer();
  const { wamid } = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'hello' });
  await eventually(() => rig.request('GET', path(customer)), (r) => r.body.state === 'openSession');
  return { customer, wamid };
}

const sentTo = (customer: string) => rig.simulator.sent().filter((m) => m.to === customer);

describe('outbound session messages reach the broker in Meta\'s shape', () => {
  it('sends every type, media by the broker\'s media id with the same bytes, and shows each in the thread', async () => {
    const { customer, wamid } = await customerWrote();
    const audioBytes = randomBytes(80);
    const media = {
      audio: await stored('audio/ogg', audioBytes),
      video: await stored('video/mp4'),
      document: await stored('application/pdf'),
      sticker: await stored('image/webp'),
    };
    const cases: [object, Record<string, unknown>][] = [
      [{ type: 'text', text: 'see https://example.com', previewUrl: true, replyTo: wamid }, { type: 'text', context: { message_id: wamid }, text: { body: 'see https://example.com', preview_url: true } }],
      [{ type: 'audio', mediaId: media.audio }, { type: 'audio', audio: { id: expect.any(String) } }],
      [{ type: 'video', mediaId: media.video, caption: 'how to' }, { type: 'video', video: { id: expect.any(String), caption: 'how to' } }],
      [{ type: 'document', mediaId: media.document, caption: 'Your invoice', filename: 'invoice-42.pdf' }, { type: 'document', document: { id: expect.any(String), caption: 'Your invoice', filename: 'invoice-42.pdf' } }],
      [{ type: 'sticker', mediaId: media.sticker }, { type: 'sticker', sticker: { id: expect.any(String) } }],
      [{ type: 'location', latitude: 37.4421625, longitude: -122.1615358, name: 'Philz Coffee', address: '101 Forest Ave' }, { type: 'location', location: { latitude: 37.4421625, longitude: -122.1615358, name: 'Philz Coffee', address: '101 Forest Ave' } }],
      [{ type: 'contacts', contacts: [{ name: { formatted_name: 'Barbara J. Johnson' }, phones: [{ phone: '+1 940 555 1234', type: 'WORK' }] }] }, { type: 'contacts', contacts: [{ name: { formatted_name: 'Barbara J. Johnson' }, phones: [{ phone: '+1 940 555 1234', type: 'WORK' }] }] }],
      [{ type: 'reaction', messageId: wamid, emoji: '\u{1F44D}' }, { type: 'reaction', reaction: { message_id: wamid, emoji: '\u{1F44D}' } }],
      [
        { type: 'buttons', header: 'Your workshop', body: 'Keep 9am tomorrow?', footer: 'Lucky Shrub', buttons: [{ id: 'keep', title: 'Keep' }, { id: 'change', title: 'Change' }] },
        { type: 'interactive', interactive: { type: 'button', header: { type: 'text', text: 'Your workshop' }, body: { text: 'Keep 9am tomorrow?' }, footer: { text: 'Lucky Shrub' }, action: { buttons: [{ type: 'reply', reply: { id: 'keep', title: 'Keep' } }, { type: 'reply', reply: { id: 'change', title: 'Change' } }] } } },
      ],
      [
        { type: 'list', body: 'Which shipping option?', button: 'Shipping Options', sections: [{ title: 'Fast', rows: [{ id: 'express', title: 'Express', description: 'Next day' }] }, { title: 'Slow', rows: [{ id: 'ground', title: 'Ground' }] }] },
        { type: 'interactive', interactive: { type: 'list', body: { text: 'Which shipping option?' }, action: { button: 'Shipping Options', sections: [{ title: 'Fast', rows: [{ id: 'express', title: 'Express', description: 'Next day' }] }, { title: 'Slow', rows: [{ id: 'ground', title: 'Ground' }] }] } } },
      ],
      [
        { type: 'ctaUrl', body: 'See the dates', displayText: 'See Dates', url: 'https://www.luckyshrub.com/dates' },
        { type: 'interactive', interactive: { type: 'cta_url', body: { text: 'See the dates' }, action: { name: 'cta_url', parameters: { display_text: 'See Dates', url: 'https://www.luckyshrub.com/dates' } } } },
      ],
      [{ type: 'locationRequest', body: 'Where shall we pick up?' }, { type: 'interactive', interactive: { type: 'location_request_message', body: { text: 'Where shall we pick up?' }, action: { name: 'send_location' } } }],
    ];
    for (const [message] of cases) {
      const answer = await rig.request('POST', path(customer, '/messages'), { message });
      expect({ type: (message as { type: string }).type, status: answer.status, body: answer.body }).toMatchObject({ status: 202 });
    }
    const sent = await eventually(() => sentTo(customer), (s) => s.length === cases.length, 60_000);
    cases.forEach(([, expected], i) => expect(sent[i]!.body).toMatchObject({ messaging_product: 'whatsapp', to: customer, ...expected }));
    expect(rig.simulator.media((sent[1]!.body.audio as { id: string }).id)).toMatchObject({ bytes: audioBytes, mimeType: 'audio/ogg' });
    expect(sent[3]!.body.document).toMatchObject({ filename: 'invoice-42.pdf' });

    const thread = await rig.request('GET', path(customer, '/messages'));
    const byType = (type: string) => thread.body.messages.find((m: { type: string; direction: string }) => m.direction === 'outbound' && m.type === type);
    expect(byType('text')).toMatchObject({ text: 'see https://example.com', context: { messageId: wamid } });
    expect(byType('document')).toMatchObject({ document: { mediaId: media.document, url: `/v1/media/${media.document}`, filename: 'invoice-42.pdf', caption: 'Your invoice' } });
    expect(byType('reaction')).toMatchObject({ reaction: { messageId: wamid, emoji: '\u{1F44D}' } });
    expect(byType('buttons')).toMatchObject({ text: 'Keep 9am tomorrow?', interactive: { type: 'button', buttons: [{ id: 'keep', title: 'Keep' }, { id: 'change', title: 'Change' }] } });
    expect(byType('location')).toMatchObject({ location: { latitude: 37.4421625, name: 'Philz Coffee' } });
  }, 120_000);

  it('sends reply buttons under a picture and a CTA URL under a document, each header by the broker\'s media id', async () => {
    const { customer } = await customerWrote();
    const picture = await stored('image/jpeg');
    const pdf = await stored('application/pdf');
    const buttons = { type: 'buttons', header: { type: 'image', mediaId: picture }, body: 'This one?', buttons: [{ id: 'y', title: 'Yes' }] };
    const cta = { type: 'ctaUrl', header: { type: 'document', mediaId: pdf }, body: 'Your invoice', displayText: 'Pay now', url: 'https://pay.example/42' };
    for (const message of [buttons, cta]) expect((await rig.request('POST', path(customer, '/messages'), { message })).status).toBe(202);
    const sent = await eventually(() => sentTo(customer), (s) => s.length === 2, 30_000);
    expect(sent[0]!.body).toMatchObject({ interactive: { type: 'button', header: { type: 'image', image: { id: expect.any(String) } } } });
    expect(sent[1]!.body).toMatchObject({ interactive: { type: 'cta_url', header: { type: 'document', document: { id: expect.any(String) } } } });
    const headerId = ((sent[0]!.body.interactive as { header: { image: { id: string } } }).header.image.id);
    expect(rig.simulator.media(headerId)?.mimeType).toBe('image/jpeg');
    const thread = await rig.request('GET', path(customer, '/messages'));
    expect(thread.body.messages.find((m: { type: string }) => m.type === 'buttons')).toMatchObject({ image: { mediaId: picture, url: `/v1/media/${picture}` } });
  }, 60_000);

  it('quotes our own earlier message by its id here, once WhatsApp has given it a wamid', async () => {
    const { customer } = await customerWrote();
    const first = await rig.request('POST', path(customer, '/messages'), { message: { type: 'text', text: 'first' } });
    const [accepted] = await eventually(() => sentTo(customer), (s) => s.length === 1);
    await eventually(() => rig.request('GET', path(customer, '/messages')), (r) => r.body.messages.some((m: { id: string; wamid?: string }) => m.id === first.body.messageId && m.wamid));
    expect((await rig.request('POST', path(customer, '/messages'), { message: { type: 'text', text: 'as I said', replyTo: first.body.messageId } })).status).toBe(202);
    const sent = await eventually(() => sentTo(customer), (s) => s.length === 2);
    expect(sent[1]!.body.context).toEqual({ message_id: accepted!.wamid });
  }, 60_000);
});

describe('limits are refused before the send, naming the field', () => {
  const x = (n: number) => 'x'.repeat(n);
  const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `r${i}`, title: `Row ${i}` }));
  it.each([
    ['text over 4096', { type: 'text', text: x(4097) }, 'message.text'],
    ['video caption over 1024', { type: 'video', mediaId: `out_${'a'.repeat(32)}`, caption: x(1025) }, 'message.caption'],
    ['a caption on audio', { type: 'audio', mediaId: `out_${'a'.repeat(32)}`, caption: 'no' }, 'message.caption'],
    ['four reply buttons', { type: 'buttons', body: 'b', buttons: [1, 2, 3, 4].map((i) => ({ id: `${i}`, title: `${i}` })) }, 'message.buttons'],
    ['a button title over 20', { type: 'buttons', body: 'b', buttons: [{ id: 'a', title: x(21) }] }, 'message.buttons.0.title'],
    ['a button id over 256', { type: 'buttons', body: 'b', buttons: [{ id: x(257), title: 'a' }] }, 'message.buttons.0.id'],
    ['two buttons with one title', { type: 'buttons', body: 'b', buttons: [{ id: 'a', title: 'Same' }, { id: 'b', title: 'Same' }] }, 'message.buttons.1.title'],
    ['reply buttons body over 1024', { type: 'buttons', body: x(1025), buttons: [{ id: 'a', title: 'a' }] }, 'message.body'],
    ['a header over 60', { type: 'buttons', header: x(61), body: 'b', buttons: [{ id: 'a', title: 'a' }] }, 'message.header'],
    ['a footer over 60', { type: 'list', footer: x(61), body: 'b', button: 'Open', sections: [{ rows: rows(1) }] }, 'message.footer'],
    ['list body over 4096', { type: 'list', body: x(4097), button: 'Open', sections: [{ rows: rows(1) }] }, 'message.body'],
    ['a list button over 20', { type: 'list', body: 'b', button: x(21), sections: [{ rows: rows(1) }] }, 'message.button'],
    ['eleven rows', { type: 'list', body: 'b', button: 'Open', sections: [{ title: 'a', rows: rows(6) }, { title: 'b', rows: rows(5).map((r) => ({ ...r, id: `${r.id}b` })) }] }, 'message.sections'],
    ['eleven sections', { type: 'list', body: 'b', button: 'Open', sections: Array.from({ length: 11 }, (_, i) => ({ title: `s${i}`, rows: [{ id: `r${i}`, title: 't' }] })) }, 'message.sections'],
    ['a row title over 24', { type: 'list', body: 'b', button: 'Open', sections: [{ rows: [{ id: 'r', title: x(25) }] }] }, 'message.sections.0.rows.0.title'],
    ['a row description over 72', { type: 'list', body: 'b', button: 'Open', sections: [{ rows: [{ id: 'r', title: 't', description: x(73) }] }] }, 'message.sections.0.rows.0.description'],
    ['a row id over 200', { type: 'list', body: 'b', button: 'Open', sections: [{ rows: [{ id: x(201), title: 't' }] }] }, 'message.sections.0.rows.0.id'],
    ['a section title over 24', { type: 'list', body: 'b', button: 'Open', sections: [{ title: x(25), rows: rows(1) }] }, 'message.sections.0.title'],
    ['two sections, one untitled', { type: 'list', body: 'b', button: 'Open', sections: [{ title: 'a', rows: [{ id: 'a', title: 'a' }] }, { rows: [{ id: 'b', title: 'b' }] }] }, 'message.sections.1.title'],
    ['a CTA display text over 20', { type: 'ctaUrl', body: 'b', displayText: x(21), url: 'https://a.example' }, 'message.displayText'],
    ['a CTA body over 1024', { type: 'ctaUrl', body: x(1025), displayText: 'Go', url: 'https://a.example' }, 'message.body'],
    ['a CTA that is not a URL', { type: 'ctaUrl', body: 'b', displayText: 'Go', url: 'not a url' }, 'message.url'],
    ['a location request body over 1024', { type: 'locationRequest', body: x(1025) }, 'message.body'],
    ['a latitude past 90', { type: 'location', latitude: 90.5, longitude: 0 }, 'message.latitude'],
    ['a media header on a list (text only)', { type: 'list', header: { type: 'image', mediaId: `out_${'a'.repeat(32)}` }, body: 'b', button: 'Open', sections: [{ rows: rows(1) }] }, 'message.header'],
    ['a contact with no formatted_name', { type: 'contacts', contacts: [{ name: { first_name: 'B' } }] }, 'message.contacts.0.name.formatted_name'],
    ['a reaction that is not one emoji', { type: 'reaction', messageId: 'wamid.x', emoji: 'ok' }, 'message.emoji'],
  ])('%s', async (_name, message, field) => {
    const { customer } = await customerWrote();
    const answer = await rig.request('POST', path(customer, '/messages'), { message });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'invalid_request' });
    expect(answer.body.errors.map((e: { path: string }) => e.path)).toContain(field);
    expect(sentTo(customer)).toEqual([]);
  }, 30_000);

  it('refuses an upload of the wrong type for the message, an unknown quote and a reaction to our own message', async () => {
    const { customer, wamid } = await customerWrote();
    const pdf = await stored('application/pdf');
    const asAudio = await rig.request('POST', path(customer, '/messages'), { message: { type: 'audio', mediaId: pdf } });
    expect(asAudio).toMatchObject({ status: 400, body: { code: 'invalid_request', errors: [{ path: 'message.mediaId' }] } });
    const missing = await rig.request('POST', path(customer, '/messages'), { message: { type: 'video', mediaId: `out_${'b'.repeat(32)}` } });
    expect(missing).toMatchObject({ status: 404, body: { code: 'unknown_media', errors: [{ path: 'message.mediaId' }] } });
    const header = await rig.request('POST', path(customer, '/messages'), { message: { type: 'buttons', header: { type: 'video', mediaId: pdf }, body: 'b', buttons: [{ id: 'a', title: 'a' }] } });
    expect(header).toMatchObject({ status: 400, body: { errors: [{ path: 'message.header.mediaId' }] } });
    const quote = await rig.request('POST', path(customer, '/messages'), { message: { type: 'text', text: 'hi', replyTo: 'wamid.unknown' } });
    expect(quote).toMatchObject({ status: 400, body: { errors: [{ in: 'body', path: 'message.replyTo' }] } });
    const other = await customerWrote();
    const elsewhere = await rig.request('POST', path(customer, '/messages'), { message: { type: 'reaction', messageId: other.wamid, emoji: '\u{1F44D}' } });
    expect(elsewhere).toMatchObject({ status: 400, body: { errors: [{ path: 'message.messageId' }] } });
    expect(sentTo(customer)).toEqual([]);
    expect(wamid).toMatch(/^wamid\./);
  }, 60_000);

  // https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/reaction-messages: "If the
  // message you are reacting to is more than 30 days old, doesn't correspond to any message in the chat thread, […] the
  // reaction message will not be delivered".
  it("refuses a reaction to a customer's message more than 30 days old, and to a notice WhatsApp wrote, sending nothing", async () => {
    const customer = newCustomer();
    const old = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'last month', timestamp: Math.floor(Date.now() / 1000) - 31 * 24 * 60 * 60 });
    const notice = await rig.simulator.sendInboundMessage({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, type: 'system', content: { body: 'User A changed from 1 to 2', type: 'user_changed_user_id', user_id: 'US.13491208655302741918' }, withoutContacts: true });
    const fresh = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'today' });
    await eventually(() => rig.request('GET', path(customer, '/messages')), (r) => [old.wamid, notice.wamid, fresh.wamid].every((w) => r.body.messages?.some((m: { wamid?: string }) => m.wamid === w)));
    const toOld = await rig.request('POST', path(customer, '/messages'), { message: { type: 'reaction', messageId: old.wamid, emoji: '\u{1F44D}' } });
    expect(toOld).toMatchObject({ status: 400, body: { code: 'invalid_request', errors: [{ path: 'message.messageId', message: expect.stringContaining('30 days') }] } });
    const toNotice = await rig.request('POST', path(customer, '/messages'), { message: { type: 'reaction', messageId: notice.wamid, emoji: '\u{1F44D}' } });
    expect(toNotice).toMatchObject({ status: 400, body: { errors: [{ path: 'message.messageId' }] } });
    expect(sentTo(customer)).toEqual([]);
    // The customer's message of today takes one.
    expect((await rig.request('POST', path(customer, '/messages'), { message: { type: 'reaction', messageId: fresh.wamid, emoji: '\u{1F44D}' } })).status).toBe(202);
  }, 60_000);
});
