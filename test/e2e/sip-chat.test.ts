/**
 * The chat itself over SIP, page mode (SIP_CHAT_MODE=message, RFC 3428), end to end: the broker simulator plays the
 * customer, the real Temporal dev server and FerretDB run the connector, and sipp plays the contact centre, following
 * a scenario each test builds (test/support/sipp-chat.ts): it answers as the agent, takes or refuses our MESSAGEs,
 * and writes as the agent. Tests check what people see: the MESSAGEs sipp received (bodies, headers, CSeqs, in
 * order), what the customer received at the simulator, and the thread through the API.
 */
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';
import { startSipp, type SippMessage, type SippPeer } from '../support/sipp';
import { chatScenario, type ChatStep } from '../support/sipp-chat';
import { eventually } from '../support/workflow-env';
import { keepHistory } from '../support/histories';

let nextCustomer = 15559000000 + Math.floor(Math.random() * 900_000);
const newCustomer = () => String((nextCustomer += 1));
const conversationOf = (key: string) => `wa:${BUSINESS_NUMBER_ID}:${key}`;
const path = (conversationId: string, rest = '') => `/v1/conversations/${encodeURIComponent(conversationId)}${rest}`;
const AGENT = 'agent-1';
const WELCOME = 'Welcome! An agent will be with you shortly.';
/** A real 1×1 PNG. */
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

/** sipp following `steps` for each of `calls` calls, and the service chatting with it in page mode. */
async function chatService(steps: ChatStep[], calls = 1, transport: 'udp' | 'tcp' = 'udp'): Promise<{ rig: ServiceRig; sipp: SippPeer }> {
  const sipp = await startSipp({ scenario: 'custom:chat', scenarioXml: chatScenario(steps), transport, agent: AGENT, calls, noRetransmissions: true, timeoutSeconds: 120 });
  cleanups.push(() => sipp.stop());
  const rig = await startService({ sip: { connectorUri: sipp.uri, chatMode: 'message' } });
  cleanups.push(() => rig.stop());
  const draft = {
    routing: { defaultQueue: 'sales', retry: { initialSeconds: 1, maxSeconds: 1, maxAttempts: 5 } },
    autoReplies: { welcome: WELCOME },
  };
  expect((await rig.requestAs('supervisor', 'PUT', '/v1/config/draft', draft)).body.valid).toBe(true);
  expect((await rig.requestAs('supervisor', 'POST', '/v1/config/publish', {})).status).toBe(201);
  return { rig, sipp };
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

const bodyOf = (message: SippMessage) => message.text.split(/\r?\n\r?\n/).slice(1).join('\n\n').trim();
const cseqOf = (message: SippMessage) => Number.parseInt(message.header('CSeq') ?? '', 10);
const branchOf = (message: SippMessage) => /;branch=([^;\s]+)/.exec(message.header('Via') ?? '')?.[1];
const responsesTo = (messages: SippMessage[], status: number) => messages.filter((m) => m.direction === 'received' && m.startLine.startsWith(`SIP/2.0 ${status} `));

describe.each(['udp', 'tcp'] as const)('page mode over %s: the chat crosses SIP as in-dialog MESSAGEs', (transport) => {
  it('customer messages reach the agent in order (a 503 is retried as a retransmission); the agent\'s reply, sent twice, reaches WhatsApp once', async () => {
    const reply = 'Your refund is on its way';
    const { rig, sipp } = await chatService([
      { kind: 'take' }, // the conversation so far: the customer's first message and the welcome, in the order the thread has them
      { kind: 'take' },
      { kind: 'take', status: 503, reason: 'Service Unavailable' }, // the agent's side stumbles on the second message
      { kind: 'take' }, // ... and gets it again, the same request
      { kind: 'take' },
      { kind: 'write', body: reply, cseq: 11, expect: 202, retransmit: true },
    ], 1, transport);
    const customer = newCustomer();
    const id = conversationOf(customer);
    const first = await customerWrites(rig, customer, 'Hello, my order 1234 arrived broken');
    await conversationWhere(rig, id, (c) => c.state === 'handedToAgent');
    const second = await customerWrites(rig, customer, 'The box was crushed');
    const third = await customerWrites(rig, customer, 'Can someone help?');

    await eventually(() => textsTo(rig, customer), (texts) => texts.includes(reply), 45_000);
    // Time for a second copy to go out (sends to one customer are paced 1 s apart on this rig) if one was queued.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect((await rig.request('GET', path(id))).body.outboundCount).toBe(2); // the welcome and the reply
    expect(textsTo(rig, customer)).toEqual([WELCOME, reply]);
    expect((await rig.requestAs('agent', 'POST', path(id, '/close'), {})).status).toBe(200);
    const report = await sipp.finished();
    expect(report.errors).toBe('');
    expect(report.exitCode).toBe(0);
    // Once, though the agent's side sent its MESSAGE twice and got 202 both times.
    expect(textsTo(rig, customer).filter((t) => t === reply)).toHaveLength(1);
    expect(responsesTo(report.messages, 202)).toHaveLength(2);

    const messages = report.received('MESSAGE');
    const [invite] = report.received('INVITE');
    expect(invite!.header('Allow')).toBe('ACK, BYE, CANCEL, OPTIONS, MESSAGE');
    for (const m of messages) {
      expect(m.header('Call-ID')).toBe(invite!.header('Call-ID'));
      expect(m.header('Content-Type')).toBe('text/plain; charset=UTF-8');
    }
    const customerLines = messages.filter((m) => m.header('X-Chat-Origin') === 'customer');
    expect(customerLines.map((m) => [bodyOf(m), m.header('X-WhatsApp-Message-Id')])).toEqual([
      ['Hello, my order 1234 arrived broken', first],
      ['The box was crushed', second],
      ['The box was crushed', second], // the retransmission after the 503
      ['Can someone help?', third],
    ]);
    const [refused, again] = customerLines.slice(1, 3);
    expect([cseqOf(again!), branchOf(again!)]).toEqual([cseqOf(refused!), branchOf(refused!)]);
    // The conversation so far comes first, in the thread's order: the customer's message, then the welcome it got.
    expect(messages.slice(0, 2).map((m) => [m.header('X-Chat-Origin'), bodyOf(m)])).toEqual([
      ['customer', 'Hello, my order 1234 arrived broken'],
      ['auto-reply', `[auto-reply] ${WELCOME}`],
    ]);
    const last = messages.at(-1)!;
    expect([last.header('X-Chat-Notice'), bodyOf(last)]).toEqual(['closed', '[system] The conversation was closed.']);
    // One CSeq per line, rising, and the BYE after them all (RFC 3261 §12.2.1.1).
    const seqs = [...new Set(messages.map(cseqOf))];
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs).toHaveLength(messages.length - 1);
    expect(cseqOf(report.received('BYE')[0]!)).toBeGreaterThan(seqs.at(-1)!);

    // The contact centre's 2xx is on the thread as "delivered to the agent"; the reply is the agent's.
    const thread = (await rig.request('GET', path(id, '/messages'))).body.messages as { direction: string; text?: string; sender?: unknown; deliveredToAgent?: { callId: string } }[];
    // (Two messages written in the same second share a payload time: the thread may list them either way.)
    const inbound = thread.filter((m) => m.direction === 'inbound').map((m) => [m.text, m.deliveredToAgent?.callId]);
    expect(inbound.sort()).toEqual([
      ['Can someone help?', invite!.header('Call-ID')],
      ['Hello, my order 1234 arrived broken', invite!.header('Call-ID')],
      ['The box was crushed', invite!.header('Call-ID')],
    ]);
    expect(thread.find((m) => m.text === reply)).toMatchObject({ direction: 'outbound', sender: { kind: 'agent', id: AGENT } });
    const handle = rig.temporal.workflow.getHandle(id);
    await handle.result();
    if (transport === 'udp') await keepHistory('sip-chat-page-mode', handle);
  });
});

describe('page mode: refusals and transfers', () => {
  it('a reply after the window closed is refused 403 with the approved templates; the /template command sends one', async () => {
    const { rig, sipp } = await chatService([
      { kind: 'take' }, // the customer's message
      { kind: 'take' }, // notice: the window is closed
      { kind: 'write', body: 'Sorry for the wait!', cseq: 11, expect: 403 },
      { kind: 'take' }, // notice: a template is needed, with the list
      { kind: 'write', body: '/template order_update en_US Ada', cseq: 12, expect: 202 },
    ]);
    // One body parameter, with the example WhatsApp requires: the agent's command fills it with "Ada".
    await rig.approveTemplate('order_update', 'en_US', 'APPROVED', { body: { text: 'Hello {{1}}, your order is on its way.', examples: ['Ada'] } });
    const customer = newCustomer();
    const id = conversationOf(customer);
    // Written 25 hours ago and delivered only now: its window has passed, but the conversation is still routed.
    await customerWrites(rig, customer, 'Anyone there?', Math.floor(Date.now() / 1000) - 25 * 3600);
    await conversationWhere(rig, id, (c) => c.routing?.phase === 'assigned');

    await eventually(() => sentTo(rig, customer), (sent) => sent.some((m) => m.body.type === 'template'), 45_000);
    expect((await rig.requestAs('agent', 'POST', path(id, '/close'), {})).status).toBe(200);
    const report = await sipp.finished();
    expect(report.errors).toBe('');
    expect(report.exitCode).toBe(0);
    const [refusal] = responsesTo(report.messages, 403);
    expect(refusal!.startLine).toBe('SIP/2.0 403 Template Required');
    expect(refusal!.header('Warning')).toMatch(/^399 whatsapp-connector "template_required: /);
    const notices = report.received('MESSAGE').filter((m) => m.header('X-Chat-Origin') === 'system');
    expect(notices.map((m) => m.header('X-Chat-Notice'))).toEqual(['window-closed', 'template-required', 'closed']);
    // Told the window is closed, the agent sees at once what may still go: the approved templates and the command.
    const closed = bodyOf(notices[0]!);
    expect(closed).toMatch(/^\[system\] The customer's 24-hour window is closed: /);
    expect(closed).toContain('- order_update (en_US): Hello {{1}}, your order is on its way.');
    expect(closed.match(/\/template <name>/g)).toHaveLength(1);
    const list = bodyOf(notices[1]!);
    expect(list).toContain('- order_update (en_US): Hello {{1}}, your order is on its way.');
    expect(list).toContain('/template <name> <language> [param1|param2|…]');
    // Nothing but the template reached the customer.
    expect(sentTo(rig, customer).map((m) => m.body.type)).toEqual(['template']);
    expect(sentTo(rig, customer)[0]!.body).toMatchObject({ template: { name: 'order_update', language: { code: 'en_US' } } });
  });

  it('a transfer continues in the new dialog: the last messages marked as history, then the live ones', async () => {
    const { rig, sipp } = await chatService([], 2);
    const customer = newCustomer();
    const id = conversationOf(customer);
    await customerWrites(rig, customer, 'Question about my bill');
    await conversationWhere(rig, id, (c) => c.state === 'handedToAgent');
    await customerWrites(rig, customer, 'I was charged twice');
    const delivered = (text: string) =>
      eventually(() => rig.request('GET', path(id, '/messages')), (r) => r.body.messages?.some((m: { text?: string; deliveredToAgent?: unknown }) => m.text === text && m.deliveredToAgent), 45_000);
    await delivered('I was charged twice');

    const moved = await rig.request('POST', `/v1/agent/conversations/${encodeURIComponent(id)}/transfer`, { queue: 'billing' }, { authorization: `Bearer ${rig.keys.agent}` });
    expect(moved.status).toBe(200);
    await conversationWhere(rig, id, (c) => c.state === 'handedToAgent' && c.routing.attempt === 2);
    const written = Date.now();
    await customerWrites(rig, customer, 'Still there?');
    const live = await delivered('Still there?');
    const at = (live.body.messages as { text?: string; deliveredToAgent?: { at: string } }[]).find((m) => m.text === 'Still there?')!.deliveredToAgent!.at;
    console.log(`page mode: webhook sent → the contact centre's 200 to the MESSAGE: ${Date.parse(at) - written} ms`);
    await rig.simulator.sendInboundImage({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, bytes: png, mimeType: 'image/png', caption: 'the invoice' });
    const withImage = await eventually(() => rig.request('GET', path(id, '/messages')), (r) => r.body.messages?.some((m: { type: string; deliveredToAgent?: unknown }) => m.type === 'image' && m.deliveredToAgent), 45_000);
    const mediaId = (withImage.body.messages as { type: string; image?: { mediaId: string } }[]).find((m) => m.type === 'image')!.image!.mediaId;
    await rig.requestAs('agent', 'POST', path(id, '/close'), {});

    const report = await sipp.finished();
    expect(report.exitCode).toBe(0);
    const [firstCall, secondCall] = report.received('INVITE').map((m) => m.header('Call-ID'));
    const lines = (callId: string | undefined) => report.received('MESSAGE').filter((m) => m.header('Call-ID') === callId);
    expect(lines(firstCall).filter((m) => m.header('X-Chat-Origin') === 'customer').map(bodyOf)).toEqual(['Question about my bill', 'I was charged twice']);
    const second = lines(secondCall).map((m) => [m.header('X-Chat-Origin'), m.header('X-Chat-History') ?? 'live', bodyOf(m)]);
    expect(second.filter(([origin]) => origin !== 'auto-reply')).toEqual([
      ['customer', 'yes', '[history] Question about my bill'],
      ['customer', 'yes', '[history] I was charged twice'],
      ['customer', 'live', 'Still there?'],
      // A picture is a link the agent's desktop opens (SIP_CHAT_MEDIA_BASE_URL), its caption below.
      ['customer', 'live', `[image image/png] http://localhost:3000/v1/media/${mediaId}\nthe invoice`],
      ['system', 'live', '[system] The conversation was closed.'],
    ]);
    expect(second).toContainEqual(['auto-reply', 'yes', `[history] [auto-reply] ${WELCOME}`]);
    // The first call's BYE came after its last MESSAGE, with a higher CSeq.
    const firstBye = report.received('BYE').find((m) => m.header('Call-ID') === firstCall)!;
    expect(cseqOf(firstBye)).toBeGreaterThan(Math.max(...lines(firstCall).map(cseqOf)));
  });
});
