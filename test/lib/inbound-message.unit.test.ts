/** readInbound on payloads shaped as Meta's messages webhook reference documents them (one page per type). */
import { readInbound } from '../../lib/inbound-message';

const envelope = { from: '16505551234', id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=', timestamp: '1739321024' };
const read = (message: Record<string, unknown> & { type: string }) => readInbound({ ...envelope, ...message });

describe('reading a webhook message (Meta is the spec)', () => {
  it('reads a voice note with its voice flag and the media to fetch', () => {
    expect(read({ type: 'audio', audio: { mime_type: 'audio/ogg; codecs=opus', sha256: 'abc', id: '1003383421387256', voice: true } })).toEqual({
      category: 'customer',
      kind: 'audio',
      content: { audio: { brokerMediaId: '1003383421387256', mimeType: 'audio/ogg; codecs=opus', sha256: 'abc', voice: true } },
      media: { type: 'audio', brokerMediaId: '1003383421387256' },
    });
  });

  it('reads a document with its filename and a quick-reply button of our template with its payload', () => {
    expect(read({ type: 'document', document: { caption: 'Invoice', filename: 'inv.pdf', mime_type: 'application/pdf', sha256: 'x', id: '9' } }).content.document).toEqual({
      brokerMediaId: '9', mimeType: 'application/pdf', sha256: 'x', caption: 'Invoice', filename: 'inv.pdf',
    });
    expect(read({ type: 'button', context: { from: '15550783881', id: 'wamid.T' }, button: { payload: 'STOP', text: 'Stop promotions' } })).toEqual({
      category: 'customer',
      kind: 'button',
      content: { button: { text: 'Stop promotions', payload: 'STOP' }, context: { messageId: 'wamid.T', from: '15550783881' } },
    });
  });

  it('keeps the chosen list row and a Flow answer', () => {
    expect(read({ type: 'interactive', interactive: { type: 'list_reply', list_reply: { id: 'r1', title: 'Row', description: 'd' } } }).content.interactive).toEqual({ type: 'list_reply', id: 'r1', title: 'Row', description: 'd' });
    expect(read({ type: 'interactive', interactive: { type: 'nfm_reply', nfm_reply: { name: 'flow', body: 'Sent', response_json: '{"a":1}' } } }).content.interactive).toEqual({ type: 'nfm_reply', name: 'flow', body: 'Sent', responseJson: '{"a":1}' });
  });

  it('keeps a click-to-WhatsApp referral with its ctwa_clid', () => {
    const referral = { source_url: 'https://fb.me/x', source_id: '1', source_type: 'ad', body: 'b', headline: 'h', media_type: 'image', image_url: 'https://i', ctwa_clid: 'ARAk' };
    expect(read({ type: 'text', text: { body: 'hi' }, referral }).content.referral).toEqual({
      sourceUrl: 'https://fb.me/x', sourceId: '1', sourceType: 'ad', body: 'b', headline: 'h', mediaType: 'image', imageUrl: 'https://i', ctwaClid: 'ARAk',
    });
  });

  it('reads a reaction, and one without emoji as its removal', () => {
    expect(read({ type: 'reaction', reaction: { message_id: 'wamid.A', emoji: '👍' } })).toMatchObject({ category: 'reaction', targetWamid: 'wamid.A', emoji: '👍' });
    expect(read({ type: 'reaction', reaction: { message_id: 'wamid.A' } })).toMatchObject({ category: 'reaction', targetWamid: 'wamid.A', emoji: '' });
  });

  it('reads system notices, welcome requests, edits and revokes as events that are not the customer writing', () => {
    expect(read({ type: 'system', system: { body: 'User A changed from 1 to 2', wa_id: '12195555358', type: 'user_changed_number' } })).toEqual({
      category: 'event', kind: 'system', content: { system: { type: 'user_changed_number', body: 'User A changed from 1 to 2', waId: '12195555358' } },
    });
    expect(read({ type: 'request_welcome' })).toEqual({ category: 'event', kind: 'request_welcome', content: {} });
    expect(read({ type: 'revoke', revoke: { original_message_id: 'wamid.O' } })).toMatchObject({ category: 'event', kind: 'revoke', content: { revoke: { originalMessageId: 'wamid.O' } } });
    expect(read({ type: 'edit', edit: { original_message_id: 'wamid.O', message: { type: 'text', text: { body: 'fixed' } } } })).toMatchObject({ category: 'event', kind: 'edit' });
  });

  it('answers as unsupported only what the customer wrote and WhatsApp could not deliver', () => {
    const errors = [{ code: 131051, title: 'Message type unknown', message: 'Message type unknown', error_data: { details: 'Message type is currently not supported.' } }];
    expect(read({ type: 'unsupported', errors, unsupported: { type: 'poll_creation' } })).toEqual({
      category: 'customer', kind: 'unsupported', content: { unsupported: { type: 'poll_creation', errors: [{ code: 131051, title: 'Message type unknown', details: 'Message type is currently not supported.' }] } },
    });
    // 131060: the customer wrote, WhatsApp withholds it (a Coexistence number's first message): not an unsupported type.
    const unavailable = [{ code: 131060, title: 'This message is currently unavailable.' }];
    expect(read({ type: 'unsupported', errors: unavailable })).toMatchObject({ category: 'customer', kind: 'unavailable' });
    // A reaction or an edit delivered as unsupported is still not the customer writing.
    expect(read({ type: 'unsupported', errors, unsupported: { type: 'reaction' } })).toMatchObject({ category: 'event', kind: 'unsupported_event' });
  });

  it('keeps a type Meta adds later, and a known type in an undocumented shape, as unsupported', () => {
    expect(read({ type: 'poll_vote', poll_vote: {} })).toEqual({ category: 'customer', kind: 'unsupported', content: { unsupported: { type: 'poll_vote', errors: [] } } });
    expect(read({ type: 'location', location: { lat: 1 } })).toMatchObject({ kind: 'unsupported', content: { unsupported: { errors: [{ title: 'unreadable_payload' }] } } });
  });
});
