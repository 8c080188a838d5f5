/**
 * A chat line too large for UDP (RFC 3261 §18.1.1: over 1300 bytes with the path MTU unknown, a request MUST go over a
 * congestion-controlled transport): in a dialog set up over UDP, the connector sends that MESSAGE over TCP to the
 * same address, with a TCP Via; shorter lines stay on UDP; a peer that refuses TCP still gets it over UDP. sipp plays
 * the contact centre twice on one port: the call over UDP, and a TCP listener taking the large MESSAGE.
 */
import { findFreePort } from '../../../scripts/dev-servers';
import { createSipChatActivities } from '../../../activities/sip-chat.activities';
import { createSipCalls, startSipRouting, type SipRouting } from '../../../integrations/sip/sip.routing';
import type { ChatLine, RouteToAgentRequest } from '../../../integrations/sip/sip.types';
import type { Store } from '../../../store/db';
import { sipResponse, startSipp } from '../../support/sipp';
import { chatScenario } from '../../support/sipp-chat';

const request: RouteToAgentRequest = { conversationId: 'wa:106540352242922:15551234568', attempt: 1, customerNumber: '15551234568', businessNumber: '106540352242922', queue: 'sales' };
const noStore = {} as Store; // lines with their text never read the store
/** A customer's long text: 1,500 characters, over 1,500 bytes in UTF-8 with the accents. */
const LONG = `${'Bonjour, je vous écris au sujet de ma commande. '.repeat(32).slice(0, 1499)}.`;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function userAgent(sipUri: string): Promise<SipRouting> {
  const port = await findFreePort();
  const routing = (await startSipRouting({ SIP_CONNECTOR_URI: sipUri, SIP_LOCAL_HOST: '127.0.0.1', SIP_LOCAL_PORT: port, SIP_INVITE_TIMEOUT_MS: 20_000, SIP_AGENT_HEADER: 'X-Agent-Id', SIP_CHAT_MODE: 'message' })) as SipRouting;
  cleanups.push(() => routing.agent.close().catch(() => undefined));
  return routing;
}

async function chat(tcpListener: boolean) {
  const udp = await startSipp({ scenario: 'custom:chat-udp', scenarioXml: chatScenario([]), transport: 'udp', agent: 'agent-7', noRetransmissions: true });
  cleanups.push(() => udp.stop());
  const tcpXml = `<?xml version="1.0" encoding="UTF-8"?>\n<scenario name="large-message">\n  <recv request="MESSAGE"/>\n  ${sipResponse('200 OK')}\n</scenario>\n`;
  const tcp = tcpListener ? await startSipp({ scenario: 'custom:chat-tcp', scenarioXml: tcpXml, transport: 'tcp', port: udp.port, noRetransmissions: true }) : undefined;
  if (tcp) cleanups.push(() => tcp.stop());
  const sip = await userAgent(udp.uri);
  const outcome = await createSipCalls({ sip }).routeToAgent(request);
  if (outcome.outcome !== 'answered') throw new Error(`not answered: ${JSON.stringify(outcome)}`);
  const relay = createSipChatActivities({ store: noStore, sip }).relayToAgent;
  const line = (seq: number, text: string): ChatLine => ({ call: { ...outcome.dialog }, seq, origin: 'customer', text });
  // sipp's scenario moves on from its answer a scheduler tick later; a request arriving in between is "unexpected".
  const settle = () => new Promise((resolve) => setTimeout(resolve, 100));
  expect(await relay(line(2, 'Short one'))).toEqual({ outcome: 'delivered' });
  await settle();
  expect(await relay(line(3, LONG))).toEqual({ outcome: 'delivered' });
  await settle();
  expect(await relay(line(4, 'And a short one again'))).toEqual({ outcome: 'delivered' });
  await settle();
  await createSipCalls({ sip }).hangUp({ ...outcome.dialog, localSeq: 4 });
  return { udp: await udp.finished(), tcp: await tcp?.finished() };
}

const bodyOf = (text: string) => text.split(/\r?\n\r?\n/).slice(1).join('\n\n').trim();

test('in a UDP dialog a MESSAGE over 1300 bytes goes over TCP to the same address; the others stay on UDP', async () => {
  const { udp, tcp } = await chat(true);
  expect([udp.errors, tcp!.errors]).toEqual(['', '']);
  expect([udp.exitCode, tcp!.exitCode]).toEqual([0, 0]);
  expect(udp.received('MESSAGE').map((m) => [m.header('CSeq'), bodyOf(m.text)])).toEqual([
    ['2 MESSAGE', 'Short one'],
    ['4 MESSAGE', 'And a short one again'],
  ]);
  const [large, ...more] = tcp!.received('MESSAGE');
  expect(more).toHaveLength(0);
  expect(large!.header('CSeq')).toBe('3 MESSAGE');
  expect(large!.header('Via')).toMatch(/^SIP\/2\.0\/TCP 127\.0\.0\.1:\d+;branch=z9hG4bK/);
  expect(bodyOf(large!.text)).toBe(LONG);
  expect(Number(large!.header('Content-Length'))).toBe(Buffer.byteLength(LONG, 'utf8'));
  expect(udp.received('BYE')[0]!.header('CSeq')).toBe('5 BYE');
}, 60_000);

test('a peer that refuses TCP still gets the large MESSAGE, over UDP', async () => {
  const { udp } = await chat(false);
  expect(udp.errors).toBe('');
  expect(udp.received('MESSAGE').map((m) => [m.header('CSeq'), bodyOf(m.text).length])).toEqual([
    ['2 MESSAGE', 'Short one'.length],
    ['3 MESSAGE', LONG.length],
    ['4 MESSAGE', 'And a short one again'.length],
  ]);
}, 60_000);
