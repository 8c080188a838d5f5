/**
 * The chat itself over SIP, session mode (SIP_CHAT_MODE=msrp, RFC 4975), end to end: the broker simulator plays the
 * customer, the real Temporal dev server and FerretDB run the connector, sipp plays the contact centre's SIP side
 * (it checks the INVITE's SDP offer and answers with the MSRP peer's path) and a small MSRP peer on loopback
 * (test/support/msrp-peer.ts) its chat side. Tests check the MSRP frames the peer received, what the customer
 * received at the simulator, and the thread through the API.
 */
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';
import { startSipp, type SippPeer } from '../support/sipp';
import { msrpAnswerScenario } from '../support/sipp-msrp';
import { startMsrpPeer, type MsrpPeer, type PeerMessage } from '../support/msrp-peer';
import { eventually } from '../support/workflow-env';
import { keepHistory } from '../support/histories';

let nextCustomer = 15559500000 + Math.floor(Math.random() * 400_000);
const newCustomer = () => String((nextCustomer += 1));
const conversationOf = (key: string) => `wa:${BUSINESS_NUMBER_ID}:${key}`;
const path = (conversationId: string, rest = '') => `/v1/conversations/${encodeURIComponent(conversationId)}${rest}`;
const AGENT = 'agent-1';
const WELCOME = 'Welcome! An agent will be with you shortly.';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function sessionService(calls = 1): Promise<{ rig: ServiceRig; sipp: SippPeer; peer: MsrpPeer }> {
  const peer = await startMsrpPeer();
  cleanups.push(() => peer.stop());
  const sipp = await startSipp({ scenario: 'custom:msrp', scenarioXml: msrpAnswerScenario(peer.path), transport: 'udp', agent: AGENT, calls, timeoutSeconds: 120 });
  cleanups.push(() => sipp.stop());
  const rig = await startService({ sip: { connectorUri: sipp.uri, chatMode: 'msrp' } });
  cleanups.push(() => rig.stop());
  const draft = {
    routing: { defaultQueue: 'sales', retry: { initialSeconds: 1, maxSeconds: 1, maxAttempts: 5 } },
    autoReplies: { welcome: WELCOME },
  };
  expect((await rig.requestAs('supervisor', 'PUT', '/v1/config/draft', draft)).body.valid).toBe(true);
  expect((await rig.requestAs('supervisor', 'POST', '/v1/config/publish', {})).status).toBe(201);
  return { rig, sipp, peer };
}

async function customerWrites(rig: ServiceRig, customer: string, text: string, timestamp?: number): Promise<string> {
  const { wamid, delivery } = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, profileName: 'Ada', text, ...(timestamp ? { timestamp } : {}) });
  expect(delivery.finalStatus).toBe(200);
  return wamid;
}

const conversationWhere = (rig: ServiceRig, id: string, accept: (body: any) => boolean) => // eslint-disable-line @typescript-eslint/no-explicit-any
  eventually(() => rig.request('GET', path(id)), (r) => r.status === 200 && accept(r.body), 45_000);
const sentTo = (rig: ServiceRig, customer: string) => rig.simulator.sent().filter((m) => m.to === customer);
const textsTo = (rig: ServiceRig, customer: string) =>
  sentTo(rig, customer).filter((m) => m.body.type === 'text').map((m) => (m.body as { text: { body: string } }).text.body);
const has = (text: string) => (messages: PeerMessage[]) => messages.some((m) => m.text === text);

describe('session mode: the chat crosses SIP as an MSRP session', () => {
  it('the INVITE offers MSRP; customer lines arrive in order as SENDs (a long one chunked, one re-sent with its Message-ID after a dropped connection); the agent\'s reply, sent twice, reaches WhatsApp once', async () => {
    const { rig, sipp, peer } = await sessionService();
    const customer = newCustomer();
    const id = conversationOf(customer);
    const first = await customerWrites(rig, customer, 'Hello, my order 1234 arrived broken');
    await conversationWhere(rig, id, (c) => c.state === 'handedToAgent');
    await peer.until(has(`[auto-reply] ${WELCOME}`));
    // The contact centre's side drops the connection as the next line arrives: the connector connects again and
    // sends the same message (same Message-ID), which the peer sees as a retransmission.
    peer.dropNext(1);
    const second = await customerWrites(rig, customer, 'The box was crushed');
    await peer.until(has('The box was crushed'));
    const long = 'Ünïcödé, ça va? '.repeat(240).trim(); // 3,839 characters, 5,279 bytes: three chunks of at most 2,048
    const third = await customerWrites(rig, customer, long);
    await peer.until(has(long));

    const reply = 'Your refund is on its way';
    const written = await peer.agentWrites(reply, { times: 2 });
    expect(written.responses.map((r) => [r.status, r.comment])).toEqual([[200, 'Accepted'], [200, 'Accepted']]);
    // Success-Report: yes was asked for: one REPORT per complete message, covering all of it.
    expect(written.reports.map((r) => [r.headers['status'], r.headers['byte-range']])).toEqual([['000 200 OK', '1-25/25'], ['000 200 OK', '1-25/25']]);
    await eventually(() => textsTo(rig, customer), (texts) => texts.includes(reply), 45_000);
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // time for a second copy to go out, were one queued
    expect(textsTo(rig, customer)).toEqual([WELCOME, reply]);
    expect((await rig.requestAs('agent', 'POST', path(id, '/close'), {})).status).toBe(200);
    await peer.until(has('[system] The conversation was closed.'));
    const report = await sipp.finished();
    expect(report.errors).toBe('');
    expect(report.exitCode).toBe(0);

    // The offer (RFC 4975 §8.1, RFC 6135): one message media line, plain text accepted, our path, we connect.
    const [invite] = report.received('INVITE');
    expect(invite!.header('Content-Type')).toBe('application/sdp');
    expect(invite!.header('Allow')).toBe('ACK, BYE, CANCEL, OPTIONS');
    const sdp = invite!.text.split(/\r?\n\r?\n/).slice(1).join('\n');
    expect(sdp).toMatch(/^m=message 9 TCP\/MSRP \*$/m);
    expect(sdp).toMatch(/^a=accept-types:text\/plain$/m);
    expect(sdp).toMatch(/^a=setup:active$/m);
    const ourPath = /^a=path:(msrp:\/\/127\.0\.0\.1:9\/\w+;tcp)$/m.exec(sdp)![1]!;

    const sends = peer.frames.filter((f) => f.kind === 'request' && f.method === 'SEND');
    for (const send of sends) {
      expect(send.headers['from-path']).toBe(ourPath);
      expect(send.headers['to-path']).toBe(peer.path);
      expect(send.headers['success-report']).toBe('yes');
      expect(send.headers['content-type']).toBe('text/plain; charset=UTF-8');
      // RFC 4975 §7.1: Content-Type is the last header field.
      expect(send.raw.split('\r\n\r\n')[0]!.split('\r\n').at(-1)).toBe('Content-Type: text/plain; charset=UTF-8');
    }
    const messages = peer.messages();
    const customerLines = messages.filter((m) => m.headers['x-chat-origin'] === 'customer');
    expect(customerLines.map((m) => [m.text, m.headers['x-whatsapp-message-id'], m.chunks[0]!.connection])).toEqual([
      ['Hello, my order 1234 arrived broken', first, 1],
      ['The box was crushed', second, 1], // taken as the connection dropped, unanswered …
      ['The box was crushed', second, 2], // … and sent again over a new connection:
      [long, third, 2],
    ]);
    // the same message (its Message-ID), not a second one; every other line has its own.
    expect(customerLines[2]!.messageId).toBe(customerLines[1]!.messageId);
    expect(new Set(messages.map((m) => m.messageId)).size).toBe(messages.length - 1);
    expect(peer.connections()).toBe(2);
    // The long text in chunks of 2,048 bytes, `+` until the last `$` (RFC 4975 §5.1, §7.1.1).
    const total = Buffer.byteLength(long, 'utf8');
    expect(customerLines[3]!.chunks.map((c) => [c.headers['byte-range'], c.flag])).toEqual([
      [`1-2048/${total}`, '+'], [`2049-4096/${total}`, '+'], [`4097-${total}/${total}`, '$'],
    ]);
    // The conversation so far first, in the thread's order; the agent's reply is not echoed; the close notice last.
    expect(messages.map((m) => [m.headers['x-chat-origin'], m.headers['x-chat-notice'] ?? ''])).toEqual([
      ['customer', ''], ['auto-reply', ''], ['customer', ''], ['customer', ''], ['customer', ''], ['system', 'closed'],
    ]);

    const thread = (await rig.request('GET', path(id, '/messages'))).body.messages as { direction: string; text?: string; sender?: unknown; deliveredToAgent?: { callId: string } }[];
    expect(thread.filter((m) => m.direction === 'inbound').every((m) => m.deliveredToAgent?.callId === invite!.header('Call-ID'))).toBe(true);
    expect(thread.find((m) => m.text === reply)).toMatchObject({ direction: 'outbound', sender: { kind: 'agent', id: AGENT } });
    const handle = rig.temporal.workflow.getHandle(id);
    await handle.result();
    await keepHistory('sip-chat-session-mode', handle);
  });

  it('a reply after the window closed is refused 403 with the approved templates; the /template command sends one', async () => {
    const { rig, sipp, peer } = await sessionService();
    await rig.approveTemplate('order_update', 'en_US', 'APPROVED', { body: { text: 'Hello {{1}}, your order is on its way.', examples: ['Ada'] } });
    const customer = newCustomer();
    const id = conversationOf(customer);
    await customerWrites(rig, customer, 'Anyone there?', Math.floor(Date.now() / 1000) - 25 * 3600);
    await conversationWhere(rig, id, (c) => c.routing?.phase === 'assigned');
    const closed = (await peer.until((messages) => messages.some((m) => m.headers['x-chat-notice'] === 'window-closed')))
      .find((m) => m.headers['x-chat-notice'] === 'window-closed')!;
    expect(closed.text).toContain('- order_update (en_US): Hello {{1}}, your order is on its way.');

    const refused = await peer.agentWrites('Sorry for the wait!');
    expect(refused.responses.map((r) => [r.status, r.comment])).toEqual([[403, 'Template Required']]);
    expect(refused.reports).toEqual([]); // the response is the failure report; no success REPORT
    const [list] = (await peer.until((messages) => messages.some((m) => m.headers['x-chat-notice'] === 'template-required')))
      .filter((m) => m.headers['x-chat-notice'] === 'template-required');
    expect(list!.text).toContain('- order_update (en_US): Hello {{1}}, your order is on its way.');
    expect(list!.text).toContain('/template <name> <language> [param1|param2|…]');
    // Over WhatsApp's 4,096 characters: 413, the MSRP code for a message too large to take (RFC 4975 §10), and a notice.
    // Failure-Report: no (RFC 4975 §7.1.2): no response at all, but the agent is still told, in the session.
    const unanswered = await peer.agentWrites('Still there?', { failureReport: 'no' });
    expect(unanswered.responses).toEqual([]);
    await peer.until((messages) => messages.filter((m) => m.headers['x-chat-notice'] === 'template-required').length === 2);
    const tooLong = await peer.agentWrites('x'.repeat(4097), { failureReport: 'partial' }); // partial: failures still answered
    expect(tooLong.responses.map((r) => [r.status, r.comment])).toEqual([[413, 'Request Entity Too Large']]);
    await peer.until((messages) => messages.some((m) => m.headers['x-chat-notice'] === 'refused' && m.text.includes('4,097')));

    const command = await peer.agentWrites('/template order_update en_US Ada', { chunkBytes: 10 }); // in four chunks
    expect(command.responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    await eventually(() => sentTo(rig, customer), (sent) => sent.some((m) => m.body.type === 'template'), 45_000);
    expect(sentTo(rig, customer).map((m) => m.body.type)).toEqual(['template']);
    expect(sentTo(rig, customer)[0]!.body).toMatchObject({ template: { name: 'order_update', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }] }] } });
    expect((await rig.requestAs('agent', 'POST', path(id, '/close'), {})).status).toBe(200);
    expect((await sipp.finished()).exitCode).toBe(0);
  });

  it('a transfer continues in a new MSRP session: the last messages marked as history, then the live ones', async () => {
    const { rig, sipp, peer } = await sessionService(2);
    const customer = newCustomer();
    const id = conversationOf(customer);
    await customerWrites(rig, customer, 'Question about my bill');
    await conversationWhere(rig, id, (c) => c.state === 'handedToAgent');
    await customerWrites(rig, customer, 'I was charged twice');
    await peer.until(has('I was charged twice'));
    const moved = await rig.request('POST', `/v1/agent/conversations/${encodeURIComponent(id)}/transfer`, { queue: 'billing' }, { authorization: `Bearer ${rig.keys.agent}` });
    expect(moved.status).toBe(200);
    await conversationWhere(rig, id, (c) => c.state === 'handedToAgent' && c.routing.attempt === 2);
    await customerWrites(rig, customer, 'Still there?');
    await peer.until(has('Still there?'));
    // The new agent writes in the new session: their reply goes out as theirs.
    expect((await peer.agentWrites('Billing here, let me look')).responses.map((r) => r.status)).toEqual([200]);
    await eventually(() => textsTo(rig, customer), (texts) => texts.includes('Billing here, let me look'), 45_000);
    expect((await rig.requestAs('agent', 'POST', path(id, '/close'), {})).status).toBe(200);
    await peer.until(has('[system] The conversation was closed.'));
    const report = await sipp.finished();
    expect(report.exitCode).toBe(0);

    // Each call its own session (our From-Path), each over its own connection.
    const sessions = [...new Set(peer.messages().map((m) => m.headers['from-path']))];
    expect(sessions).toHaveLength(2);
    const inSession = (n: number) => peer.messages().filter((m) => m.headers['from-path'] === sessions[n]);
    expect(inSession(0).filter((m) => m.headers['x-chat-origin'] === 'customer').map((m) => m.text)).toEqual(['Question about my bill', 'I was charged twice']);
    expect(inSession(1).filter((m) => m.headers['x-chat-origin'] !== 'auto-reply').map((m) => [m.headers['x-chat-origin'], m.headers['x-chat-history'] ?? 'live', m.text])).toEqual([
      ['customer', 'yes', '[history] Question about my bill'],
      ['customer', 'yes', '[history] I was charged twice'],
      ['customer', 'live', 'Still there?'],
      ['system', 'live', '[system] The conversation was closed.'],
    ]);
    expect(new Set(inSession(1).map((m) => m.chunks[0]!.connection)).size).toBe(1);
    expect(inSession(1)[0]!.chunks[0]!.connection).not.toBe(inSession(0)[0]!.chunks[0]!.connection);
  });
});
