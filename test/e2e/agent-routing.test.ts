/**
 * Routing conversations to people, end to end: the broker simulator plays the customer, the real Temporal dev server
 * and FerretDB run the connector, sipp plays the contact centre's SIP connector, and a small HTTP bot the chatbot.
 * Every test checks what people see: the conversation's state and agent through the API, the messages the customer
 * received at the simulator, and the SIP requests sipp received (its trace and its own scenario checks).
 */
import { startBotServer, type BotBehaviour, type BotServer } from '../support/bot-server';
import { BUSINESS_NUMBER_ID, startService, type ApiResponse, type ServiceRig } from '../support/service';
import { startSipp, type SippOptions, type SippPeer } from '../support/sipp';
import { eventually } from '../support/workflow-env';
import { keepHistory } from '../support/histories';

/** Registers another agent and issues it a key (agents are registered, not named). */
async function agentKey(rig: ServiceRig, agentId: string): Promise<string> {
  await rig.requestAs('supervisor', 'POST', '/v1/agents', { agentId, name: agentId });
  return (await rig.requestAs('supervisor', 'POST', '/v1/api-keys', { role: 'agent', name: agentId, agentId })).body.key as string;
}

/** `whatsapp_sip_responses_total` for INVITEs answered `code`, from a /metrics page. */
const sipAnswers = (page: string, code: string) => Number(new RegExp(`^whatsapp_sip_responses_total\\{method="INVITE",code="${code}"\\} (\\d+)`, 'm').exec(page)?.[1] ?? 0);

let nextCustomer = 15558000000 + Math.floor(Math.random() * 900_000);
const newCustomer = () => String((nextCustomer += 1));
const conversationOf = (key: string) => `wa:${BUSINESS_NUMBER_ID}:${key}`;
const path = (conversationId: string, rest = '') => `/v1/conversations/${encodeURIComponent(conversationId)}${rest}`;
/** The rig's agent key is named agent-1: sipp answers as that agent unless a test says otherwise. */
const AGENT = 'agent-1';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

interface Rig {
  rig: ServiceRig;
  sipp: SippPeer;
  bot?: BotServer;
}

/** sipp with a scenario, the service routing to it, and a published configuration. */
async function routedService(sippOptions: SippOptions, config: Record<string, unknown> = {}, extra: { bot?: BotBehaviour; inviteTimeoutMs?: number } = {}): Promise<Rig> {
  const sipp = await startSipp(sippOptions);
  cleanups.push(() => sipp.stop());
  const bot = extra.bot ? await startBotServer(extra.bot) : undefined;
  if (bot) cleanups.push(() => bot.close());
  const rig = await startService({ sip: { connectorUri: sipp.uri, ...(extra.inviteTimeoutMs ? { inviteTimeoutMs: extra.inviteTimeoutMs } : {}) } });
  cleanups.push(() => rig.stop());
  const draft = {
    routing: { defaultQueue: 'sales', defaultSkill: 'returns', retry: { initialSeconds: 1, maxSeconds: 1, maxAttempts: 5 } },
    autoReplies: { queue: 'All our agents are busy; you are next in line.' },
    ...(bot ? { chatbot: { enabled: true, endpoint: bot.endpoint, timeoutMs: 1_000 } } : {}),
    ...config,
  };
  expect((await rig.requestAs('supervisor', 'PUT', '/v1/config/draft', draft)).body.valid).toBe(true);
  expect((await rig.requestAs('supervisor', 'POST', '/v1/config/publish', {})).status).toBe(201);
  return { rig, sipp, ...(bot ? { bot } : {}) };
}

async function customerWrites(rig: ServiceRig, customer: string, text: string): Promise<void> {
  const { delivery } = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, profileName: 'Ada', text });
  expect(delivery.finalStatus).toBe(200);
}

const conversationWhere = (rig: ServiceRig, id: string, accept: (body: ApiResponse['body']) => boolean) =>
  eventually(() => rig.request('GET', path(id)), (r) => r.status === 200 && accept(r.body), 45_000);

/** Waits for the conversation's workflow to end (its BYE sent), then keeps its history for the replay test. */
async function finishedHistory(rig: ServiceRig, id: string, name: string): Promise<void> {
  const handle = rig.temporal.workflow.getHandle(id);
  expect(await handle.result()).toMatchObject({ closedReason: 'requested' });
  await keepHistory(name, handle);
}

const textsTo = (rig: ServiceRig, customer: string) =>
  rig.simulator
    .sent()
    .filter((m) => m.to === customer && m.body.type === 'text')
    .map((m) => (m.body as { text: { body: string } }).text.body);

describe.each(['udp', 'tcp'] as const)('an agent takes the conversation (SIP over %s)', (transport) => {
  it('routes on 200 to the agent the answer names; that agent replies, others may not; closing hangs up', async () => {
    const { rig, sipp } = await routedService({ scenario: 'answer', transport, agent: AGENT, set: { hangup: 'us' } });
    const customer = newCustomer();
    const id = conversationOf(customer);
    await customerWrites(rig, customer, 'I want to return my shoes');

    const held = await conversationWhere(rig, id, (c) => c.state === 'handedToAgent');
    expect(held.body).toMatchObject({ agentId: AGENT, routing: { phase: 'assigned', queue: 'sales', attempt: 1 } });
    expect(held.body.holdTimeMs).toEqual(expect.any(Number));
    const mine = await eventually(() => rig.requestAs('agent', 'GET', '/v1/agent/conversations'), (r) => r.body.conversations?.length === 1);
    expect(mine.body.conversations[0]).toMatchObject({ conversationId: id, agentId: AGENT });

    expect((await rig.requestAs('agent', 'POST', path(id, '/messages'), { message: { type: 'text', text: 'Happy to help!' } })).status).toBe(202);
    await eventually(() => textsTo(rig, customer), (texts) => texts.includes('Happy to help!'));
    const otherAgent = await agentKey(rig, 'agent-2');
    const refused = await rig.request('POST', path(id, '/messages'), { message: { type: 'text', text: 'Me too' } }, { authorization: `Bearer ${otherAgent}` });
    expect(refused).toMatchObject({ status: 403, contentType: expect.stringContaining('application/problem+json'), body: { code: 'not_assigned' } });

    expect((await rig.requestAs('agent', 'POST', path(id, '/close'), {})).body.state).toBe('closed');
    const report = await sipp.finished();
    expect(report.errors).toBe('');
    expect(report.exitCode).toBe(0);
    const [invite] = report.received('INVITE');
    expect({
      conversation: invite!.header('X-Conversation-Id'),
      customer: invite!.header('X-Customer-Number'),
      business: invite!.header('X-Business-Number-Id'),
      queue: invite!.header('X-Queue'),
      skill: invite!.header('X-Skill'),
    }).toEqual({ conversation: id, customer, business: BUSINESS_NUMBER_ID, queue: 'sales', skill: 'returns' });
    expect(report.received('ACK')).toHaveLength(1);
    expect(report.received('BYE')).toHaveLength(1);
    const final = await eventually(() => rig.requestAs('agent', 'GET', '/v1/agent/conversations'), (r) => r.body.conversations?.length === 0);
    expect(final.status).toBe(200);
  });
});

describe('when the contact centre cannot take the conversation at once', () => {
  it('busy (486), then routed on the next attempt; the customer got the queue message once', async () => {
    const { rig, sipp } = await routedService({ scenario: 'busy-then-answer', transport: 'udp', calls: 2, agent: AGENT });
    const answered = async (code: string) => sipAnswers(await (await fetch(`${rig.baseUrl}/metrics`)).text(), code);
    const [busyBefore, okBefore] = [await answered('486'), await answered('200')];
    const customer = newCustomer();
    const id = conversationOf(customer);
    await customerWrites(rig, customer, 'Hello?');

    const held = await conversationWhere(rig, id, (c) => c.state === 'handedToAgent');
    expect(held.body).toMatchObject({ agentId: AGENT, routing: { phase: 'assigned', attempt: 2 } });
    expect(textsTo(rig, customer)).toEqual(['All our agents are busy; you are next in line.']);
    await rig.requestAs('agent', 'POST', path(id, '/close'), {});
    const report = await sipp.finished();
    expect(report.exitCode).toBe(0);
    const invites = report.received('INVITE');
    expect(invites).toHaveLength(2);
    expect(invites[0]!.header('Call-ID')).not.toBe(invites[1]!.header('Call-ID'));
    // Operators see the contact centre's answers (README "Metrics and traces").
    expect((await answered('486')) - busyBefore).toBe(1);
    expect((await answered('200')) - okBefore).toBe(1);
    await finishedHistory(rig, id, 'agent-routing-busy-then-answer');
  });

  it('404: the fallback reply goes to the customer and the conversation waits for an integrator', async () => {
    const { rig, sipp } = await routedService({ scenario: 'reject-404', transport: 'udp' }, { routing: { defaultQueue: 'nowhere', fallback: { autoReply: 'Nobody can take this now; we will write back.' } } });
    const customer = newCustomer();
    const id = conversationOf(customer);
    await customerWrites(rig, customer, 'Anyone?');

    await eventually(() => textsTo(rig, customer), (texts) => texts.includes('Nobody can take this now; we will write back.'), 30_000);
    const waiting = await conversationWhere(rig, id, (c) => c.routing.phase === 'none' && c.routing.attempt === 1);
    expect(waiting.body).toMatchObject({ state: 'openSession', agentId: null });
    const report = await sipp.finished();
    expect(report.exitCode).toBe(0);
    expect(report.received('ACK')).toHaveLength(1);
  });

  it('no answer: the ringing INVITE is CANCELled at the timeout, and after the last attempt the fallback reply goes out', async () => {
    const { rig, sipp } = await routedService(
      { scenario: 'ring-no-answer', transport: 'udp' },
      { routing: { defaultQueue: 'sales', retry: { initialSeconds: 1, maxSeconds: 1, maxAttempts: 1 }, fallback: { autoReply: 'Sorry, nobody picked up.' } } },
      { inviteTimeoutMs: 1_000 },
    );
    const customer = newCustomer();
    await customerWrites(rig, customer, 'Hello?');

    await eventually(() => textsTo(rig, customer), (texts) => texts.includes('Sorry, nobody picked up.'), 30_000);
    const report = await sipp.finished();
    expect(report.exitCode).toBe(0);
    expect(report.received('CANCEL')).toHaveLength(1);
  });
});

describe('assignments end and agents have a capacity', () => {
  it("the contact centre's BYE ends the assignment: the conversation is back in openSession with no agent", async () => {
    const { rig, sipp } = await routedService({ scenario: 'answer', transport: 'tcp', agent: AGENT, set: { hangup: 'them' } });
    const customer = newCustomer();
    const id = conversationOf(customer);
    await customerWrites(rig, customer, 'Hi');

    const released = await conversationWhere(rig, id, (c) => c.routing.phase === 'none' && c.routing.attempt === 1);
    expect(released.body).toMatchObject({ state: 'openSession', agentId: null });
    expect(released.body.assignedAt).not.toBeNull(); // it was held, then released
    const report = await sipp.finished();
    expect(report.exitCode).toBe(0);
    expect(report.messages.filter((m) => m.direction === 'received' && m.startLine.startsWith('SIP/2.0 200'))).toHaveLength(1); // our 200 to its BYE
  });

  it('an agent at capacity is not given more: the answer naming them is hung up and the conversation stays queued', async () => {
    const { rig, sipp } = await routedService(
      { scenario: 'answer', transport: 'udp', calls: 2, agent: AGENT, set: { hangup: 'us' } },
      { agentCapacity: 1, routing: { defaultQueue: 'sales', retry: { initialSeconds: 3_600, maxSeconds: 3_600, maxAttempts: 5 } } },
    );
    const first = newCustomer();
    await customerWrites(rig, first, 'First!');
    await conversationWhere(rig, conversationOf(first), (c) => c.state === 'handedToAgent');

    const second = newCustomer();
    await customerWrites(rig, second, 'Second!');
    const waiting = await conversationWhere(rig, conversationOf(second), (c) => c.routing.phase === 'queued' && c.routing.attempt === 1 && textsTo(rig, second).length === 1);
    expect(waiting.body).toMatchObject({ state: 'openSession', agentId: null });
    const mine = await rig.requestAs('agent', 'GET', '/v1/agent/conversations');
    expect(mine.body.conversations.map((c: { conversationId: string }) => c.conversationId)).toEqual([conversationOf(first)]);

    await rig.requestAs('agent', 'POST', path(conversationOf(first), '/close'), {});
    const report = await sipp.finished();
    expect(report.exitCode).toBe(0);
    const [, secondInvite] = report.received('INVITE');
    expect(secondInvite!.header('X-Agents-At-Capacity')).toBe(AGENT);
    expect(report.received('BYE')).toHaveLength(2); // the over-capacity call at once, the first at its close
  });
});

describe('agents hand conversations on', () => {
  it('a transfer hangs up the call and asks the contact centre for the named agent; only the holder may transfer', async () => {
    const { rig, sipp } = await routedService({ scenario: 'answer', transport: 'udp', calls: 2, agent: AGENT, set: { hangup: 'us' } });
    const customer = newCustomer();
    const id = conversationOf(customer);
    const transfer = (body: unknown, authorization?: string) =>
      rig.request('POST', `/v1/agent/conversations/${encodeURIComponent(id)}/transfer`, body, { authorization: authorization ?? `Bearer ${rig.keys.agent}` });
    await customerWrites(rig, customer, 'Billing question');
    await conversationWhere(rig, id, (c) => c.state === 'handedToAgent');

    const stranger = await agentKey(rig, 'agent-3');
    expect((await transfer({ agentId: 'agent-2' }, `Bearer ${stranger}`)).body.code).toBe('not_assigned');
    expect((await transfer({ queue: '' })).status).toBe(400);
    const moved = await transfer({ agentId: 'agent-2', queue: 'billing' });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ agentId: null, routing: { phase: 'queued', queue: 'billing', attempt: 2 } });

    const again = await conversationWhere(rig, id, (c) => c.state === 'handedToAgent' && c.routing.attempt === 2);
    expect(again.body.agentId).toBe(AGENT); // sipp always answers as the same agent
    await rig.requestAs('agent', 'POST', path(id, '/close'), {});
    expect((await transfer({ queue: 'billing' })).body.code).toBe('conversation_closed');
    const report = await sipp.finished();
    expect(report.exitCode).toBe(0);
    const [first, second] = report.received('INVITE');
    expect([first!.header('X-Target-Agent'), second!.header('X-Target-Agent'), second!.header('X-Queue')]).toEqual([undefined, 'agent-2', 'billing']);
    expect(report.received('BYE')).toHaveLength(2);
  });
});

describe('the chatbot stage', () => {
  it('the bot answers, then hands off on request, and the conversation reaches an agent', async () => {
    const bot: BotBehaviour = (request) =>
      /agent/i.test(request.message.text ?? '')
        ? { body: { replies: ['Connecting you to a colleague.'], handOff: true } }
        : { body: { replies: [{ text: 'Hi! I am the bot. Type "agent" for a person.' }] } };
    const { rig, sipp, bot: server } = await routedService({ scenario: 'answer', transport: 'udp', agent: AGENT, set: { hangup: 'us' } }, {}, { bot });
    const customer = newCustomer();
    const id = conversationOf(customer);
    await customerWrites(rig, customer, 'Hello');
    await eventually(() => textsTo(rig, customer), (texts) => texts.includes('Hi! I am the bot. Type "agent" for a person.'));
    expect((await rig.request('GET', path(id))).body.routing.phase).toBe('bot');

    await customerWrites(rig, customer, 'agent please');
    const held = await conversationWhere(rig, id, (c) => c.state === 'handedToAgent');
    expect(held.body.agentId).toBe(AGENT);
    // Sends to one customer are paced (a second apart in the tests), so the bot's last word may still be on its way.
    await eventually(() => textsTo(rig, customer), (texts) => texts.includes('Connecting you to a colleague.'));
    expect(server!.requests.map((r) => r.message.text)).toEqual(['Hello', 'agent please']);
    expect(server!.requests[1]!.thread.map((m) => m.text)).toEqual(expect.arrayContaining(['Hello', 'agent please']));

    await rig.requestAs('agent', 'POST', path(id, '/close'), {});
    expect((await sipp.finished()).exitCode).toBe(0);
    await finishedHistory(rig, id, 'agent-routing-bot-hand-off');
  });

  it('a bot that does not answer in time hands the customer to an agent', async () => {
    const { rig, sipp } = await routedService({ scenario: 'answer', transport: 'udp', agent: AGENT, set: { hangup: 'us' } }, {}, { bot: () => ({ delayMs: 5_000, body: { replies: ['too late'] } }) });
    const customer = newCustomer();
    const id = conversationOf(customer);
    await customerWrites(rig, customer, 'Hello');

    const held = await conversationWhere(rig, id, (c) => c.state === 'handedToAgent');
    expect(held.body.agentId).toBe(AGENT);
    expect(textsTo(rig, customer)).not.toContain('too late');
    await rig.requestAs('agent', 'POST', path(id, '/close'), {});
    expect((await sipp.finished()).exitCode).toBe(0);
  });
});
