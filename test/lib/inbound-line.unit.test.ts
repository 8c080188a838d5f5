/** Inbound messages as the agent's text-only SIP chat shows them: every type with what a person needs to act. */
import { MediaPending, inboundLineText } from '../../services/inbound-view';
import type { InboundMessageDoc } from '../../store/documents';

const doc = (fields: Partial<InboundMessageDoc>): InboundMessageDoc => ({
  _id: 'wamid.1', wamid: 'wamid.1', direction: 'inbound', conversationId: 'wa:1:2', businessNumberId: '1', customerKey: '2', sortAt: 0,
  createdAt: new Date(0), kind: 'text', type: 'text', raw: '{}', handled: false, ...fields,
});
const link = (id: string) => `https://connector/v1/media/${id}`;

describe('an inbound message as a line of the agent chat', () => {
  it('links stored media of every type, names a voice note and a document, and waits for media not yet fetched', () => {
    expect(inboundLineText(doc({ kind: 'audio', type: 'audio', audio: { brokerMediaId: 'b', voice: true, mediaId: 'in_1', mimeType: 'audio/ogg' } }), link)).toBe('[voice note audio/ogg] https://connector/v1/media/in_1');
    expect(inboundLineText(doc({ kind: 'document', type: 'document', document: { brokerMediaId: 'b', filename: 'inv.pdf', mediaId: 'in_1', mimeType: 'application/pdf', caption: 'my invoice' } }), link)).toBe(
      '[document inv.pdf application/pdf] https://connector/v1/media/in_1\nmy invoice',
    );
    expect(inboundLineText(doc({ kind: 'video', type: 'video', video: { brokerMediaId: 'b', problem: 'too_large' } }), link)).toBe('[video not kept: too_large]');
    expect(() => inboundLineText(doc({ kind: 'sticker', type: 'sticker', sticker: { brokerMediaId: 'b' } }), link)).toThrow(MediaPending);
  });

  it('says where, who, which button, what was ordered', () => {
    expect(inboundLineText(doc({ kind: 'location', type: 'location', location: { latitude: 52.37, longitude: 4.89, name: 'Dam' } }), link)).toBe('[location] Dam geo:52.37,4.89');
    expect(inboundLineText(doc({ kind: 'contacts', type: 'contacts', contacts: [{ name: { formatted_name: 'Ada' }, phones: [{ phone: '+44 20' }] }] }), link)).toBe('[contacts] Ada +44 20');
    expect(inboundLineText(doc({ kind: 'button', type: 'button', button: { text: 'Track it', payload: 'T' } }), link)).toBe('[button] Track it');
    expect(inboundLineText(doc({ kind: 'interactive', type: 'interactive', interactive: { type: 'list_reply', id: 'r', title: 'Tuesday' } }), link)).toBe('[chose] Tuesday');
    expect(inboundLineText(doc({ kind: 'order', type: 'order', order: { catalogId: 'c', productItems: [{ productRetailerId: 'sku', quantity: 2 }] } }), link)).toBe('[order] 2 × sku');
    expect(inboundLineText(doc({ kind: 'unsupported', type: 'unsupported', unsupported: { type: 'poll_creation', errors: [] } }), link)).toBe('[poll_creation message: WhatsApp does not deliver its content]');
  });

  it("shows a Flow's answers, not only its \"Sent\" (chatwoot/chatwoot#13970: the agent saw an empty message)", () => {
    // Meta's interactive webhook reference: nfm_reply.response_json is the Flow's JSON, as a string.
    const answer = { type: 'nfm_reply' as const, name: 'flow', body: 'Sent', responseJson: '{"screen_0_Rating_0":"Excelente","screen_0_Comments_1":"Muy bueno","flow_token":"AQBBBB"}' };
    expect(inboundLineText(doc({ kind: 'interactive', type: 'interactive', interactive: answer }), link)).toBe('[form answer] screen_0_Rating_0: Excelente; screen_0_Comments_1: Muy bueno');
    expect(inboundLineText(doc({ kind: 'interactive', type: 'interactive', interactive: { ...answer, responseJson: 'not json' } }), link)).toBe('[form answer] Sent');
  });
});
