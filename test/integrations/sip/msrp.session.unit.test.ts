/**
 * Our MSRP session taking the agent's chunked SENDs (RFC 4975 §5.1, §7.1) from a peer written apart from our code
 * (test/support/msrp-peer.ts), over a real TCP connection: a message is held until its last chunk, so it is bounded.
 * Past MSRP_MAX_MESSAGE_BYTES the chunk is answered 413 (RFC 4975 §10: the receiver wishes the sender to stop
 * sending the message; the MSRP form of the 413 page mode answers to a reply over 4,096 characters), the chunks held
 * are dropped, later chunks of that message are refused too, and nothing of it reaches the conversation.
 */
import { MSRP_MAX_MESSAGE_BYTES, openMsrpSession, type MsrpIncoming, type MsrpSession } from '../../../integrations/sip/msrp.session';
import { startMsrpPeer, type MsrpPeer } from '../../support/msrp-peer';

let peer: MsrpPeer;
let session: MsrpSession;
const taken: MsrpIncoming[] = [];

beforeAll(async () => {
  peer = await startMsrpPeer();
  session = await openMsrpSession({ call: { localUri: 'msrp://127.0.0.1:2855/ours7q2session;tcp', remotePath: [peer.path] }, onIncoming: async (message) => (taken.push(message), { status: 200, comment: 'OK' }) });
  // The connector writes first (it is the active endpoint), so the agent writes back over its connection.
  expect(await session.send({ messageId: 'customer-1', contentType: 'text/plain', body: Buffer.from('Hello, I need help') })).toEqual({ kind: 'delivered' });
});
afterAll(async () => {
  session?.close();
  await peer?.stop();
});

const statuses = (responses: { status?: number }[]) => responses.map((r) => r.status);

test('the bound takes the longest text WhatsApp takes (text-messages: body up to 4,096 characters), 4,096 characters of 4 bytes each, in a CPIM envelope, whole', async () => {
  // A constant's range held whatever the bound did for such a reply; this is the reply itself, chunked as an agent would.
  const envelope = 'From: <sip:agent-1@cc.example.com>\r\nTo: <sip:queue@connector.example.com>\r\nDateTime: 2026-12-01T10:00:00Z\r\n\r\nContent-Type: text/plain;charset=utf-8\r\n\r\n';
  const text = `${envelope}${'\u{1F600}'.repeat(4096)}`;
  expect(Buffer.byteLength(text)).toBeGreaterThan(4 * 4096);
  const { responses } = await peer.agentWrites(text, { chunkBytes: 2_048, messageId: 'agent-longest' });
  expect(new Set(statuses(responses))).toEqual(new Set([200]));
  expect(taken.filter((m) => m.messageId === 'agent-longest').map((m) => m.body)).toEqual([text]);
});

test('a message whose Byte-Range total is over the bound is refused 413 at its first chunk, and every later chunk of it', async () => {
  const text = 'x'.repeat(MSRP_MAX_MESSAGE_BYTES + 5_000);
  const { responses, reports } = await peer.agentWrites(text, { chunkBytes: 2_048, messageId: 'agent-huge-known' });
  expect(responses.length).toBe(Math.ceil(text.length / 2_048));
  expect(new Set(statuses(responses))).toEqual(new Set([413]));
  expect(responses[0]!.comment).toBe('Request Entity Too Large');
  expect(reports).toEqual([]);
  expect(taken.map((m) => m.messageId)).not.toContain('agent-huge-known');
});

test('without a total (`*`), chunks are taken until the bound, then 413 for the chunk past it and the rest; nothing is handed over', async () => {
  const chunk = 2_048;
  const text = 'y'.repeat(MSRP_MAX_MESSAGE_BYTES + 3 * chunk);
  const { responses } = await peer.agentWrites(text, { chunkBytes: chunk, messageId: 'agent-huge-unknown', unknownTotal: true });
  const fit = Math.floor(MSRP_MAX_MESSAGE_BYTES / chunk);
  expect(statuses(responses)).toEqual([...Array(fit).fill(200), ...Array(responses.length - fit).fill(413)]);
  expect(taken.map((m) => m.messageId)).not.toContain('agent-huge-unknown');
});

test('the session goes on: the next message, chunked, is taken whole', async () => {
  const text = 'Your order ships tomorrow. '.repeat(40);
  const { responses, reports } = await peer.agentWrites(text, { chunkBytes: 256, messageId: 'agent-fine', unknownTotal: true });
  expect(new Set(statuses(responses))).toEqual(new Set([200]));
  expect(reports).toHaveLength(1);
  expect(taken.filter((m) => m.messageId === 'agent-fine').map((m) => m.body)).toEqual([text]);
});
