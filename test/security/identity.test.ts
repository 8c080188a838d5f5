/**
 * Security probes, issue 26 items 4 and 5: an agent is a registered agent, a message's sender is what the key proves,
 * and agent keys read only their own conversations and those waiting in their queues (the default policy).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maySee } from '../../services/visibility';
import type { ConversationDoc } from '../../store/documents';
import { conversationOf } from '../support/console-rig';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';
import { openStream } from '../support/streams';
import { eventually } from '../support/workflow-env';

let rig: ServiceRig;
beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

const path = (id: string, rest = '') => `/v1/conversations/${encodeURIComponent(id)}${rest}`;

/** A conversation as the read model holds it, held by `agentId` or waiting in `queue`. */
async function projected(customer: string, agentId: string | null, queue: string | null): Promise<string> {
  const id = conversationOf(customer);
  const now = new Date().toISOString();
  const doc = {
    _id: id,
    conversationId: id,
    businessNumberId: BUSINESS_NUMBER_ID,
    customer: { key: customer, waId: customer },
    state: agentId ? 'handedToAgent' : 'openSession',
    windowOpen: true,
    windowClosesAt: now,
    lastInboundAt: now,
    agentId,
    inboundCount: 1,
    outboundCount: 0,
    firstInboundAt: now,
    firstResponseAt: null,
    closedReason: null,
    routing: { phase: agentId ? 'assigned' : queue ? 'queued' : 'none', queue, attempt: 1 },
    assignedAt: null,
    holdTimeMs: null,
    firstResponseMs: null,
    lastMessages: [],
    projectionKey: '0',
    updatedAt: new Date(),
  } as unknown as ConversationDoc;
  await rig.store.conversations.insertOne(doc);
  return id;
}

describe('who an agent is', () => {
  it('issues agent keys only to registered agents, and registers each agent id once', async () => {
    // The probe: a second key merely *named* agent-1.
    const named = await rig.requestAs('supervisor', 'POST', '/v1/api-keys', { role: 'agent', name: 'agent-1' });
    expect(named).toMatchObject({ status: 400, body: { code: 'invalid_request', errors: [expect.objectContaining({ path: 'agentId' })] } });
    const unregistered = await rig.requestAs('supervisor', 'POST', '/v1/api-keys', { role: 'agent', name: 'Mallory', agentId: 'agent-99' });
    expect(unregistered).toMatchObject({ status: 404, body: { code: 'unknown_agent' } });
    const twice = await rig.requestAs('supervisor', 'POST', '/v1/agents', { agentId: 'agent-1', name: 'Another agent one' });
    expect(twice).toMatchObject({ status: 409, body: { code: 'agent_exists' } });

    const registered = await rig.requestAs('supervisor', 'POST', '/v1/agents', { agentId: 'agent-2', name: 'Agent Two', queues: ['billing'] });
    expect(registered).toMatchObject({ status: 201, body: { agentId: 'agent-2', queues: ['billing'] } });
    const key = await rig.requestAs('supervisor', 'POST', '/v1/api-keys', { role: 'agent', name: 'Agent Two, phone', agentId: 'agent-2' });
    expect(key).toMatchObject({ status: 201, body: { role: 'agent', agentId: 'agent-2' } });
    const whoami = await rig.request('GET', '/v1/whoami', undefined, { authorization: `Bearer ${key.body.key}` });
    expect(whoami.body).toEqual({ role: 'agent', name: 'Agent Two, phone', agentId: 'agent-2', limits: { liveStreamConversations: 20 } });
  });

  it('refuses an agent key issued before registered agents (a name proves nobody)', async () => {
    const { issueApiKey } = await import('../../store/api-keys.store');
    const legacy = await issueApiKey(rig.store, 'integrator', 'agent-1', 'test');
    // Stands for a key stored by the old code: role agent, no registered agent.
    await rig.store.apiKeys.updateOne({ keyId: legacy.keyId }, { $set: { role: 'agent' } });
    const answer = await rig.request('GET', '/v1/agent/conversations', undefined, { authorization: `Bearer ${legacy.key}` });
    expect(answer).toMatchObject({ status: 401, body: { code: 'unauthenticated' } });
  });

  it('records as sender what the key proves: an integrator cannot send as an agent, an agent only as itself', async () => {
    const customer = String(15557200000 + Math.floor(Math.random() * 90_000));
    const id = conversationOf(customer);
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'Hi' });
    await eventually(() => rig.request('GET', path(id)), (r) => r.status === 200 && r.body.state === 'openSession', 20_000);
    const sentBefore = rig.simulator.sent().length;

    const spoofed = await rig.request('POST', path(id, '/messages'), { message: { type: 'text', text: 'I am agent-1' }, sender: { kind: 'agent', id: 'agent-1' } });
    expect(spoofed).toMatchObject({ status: 403, body: { code: 'sender_not_proven' } });
    const asOther = await rig.requestAs('agent', 'POST', path(id, '/messages'), { message: { type: 'text', text: 'I am agent-7' }, sender: { kind: 'agent', id: 'agent-7' } });
    expect(asOther).toMatchObject({ status: 403, body: { code: 'sender_not_proven' } });
    const asBot = await rig.request('POST', path(id, '/messages'), { message: { type: 'text', text: 'beep' }, sender: { kind: 'bot' } });
    expect(asBot).toMatchObject({ status: 403, body: { code: 'sender_not_proven' } });

    expect((await rig.request('POST', path(id, '/messages'), { message: { type: 'text', text: 'From the CRM' } })).status).toBe(202);
    const keys = await rig.requestAs('supervisor', 'GET', '/v1/api-keys');
    const integratorKeyId = keys.body.keys.find((k: { name: string }) => k.name === 'integrator-1').keyId;
    const thread = await eventually(() => rig.request('GET', path(id, '/messages')), (r) => r.body.messages.length === 2);
    expect(thread.body.messages[1]).toMatchObject({ text: 'From the CRM', sender: { kind: 'integrator', id: integratorKeyId } });
    expect(thread.body.messages.map((m: { text: string }) => m.text)).not.toContain('I am agent-1');
    await eventually(() => rig.simulator.sent().length, (n) => n === sentBefore + 1);
  }, 60_000);
});

describe("npm start's keys", () => {
  it('issues the dev agent key to registered agent agent-1, keeps it across restarts, and replaces a named one from before', async () => {
    const { devApiKeys } = await import('../../bin/dev-api-keys');
    const file = join(mkdtempSync(join(tmpdir(), 'dev-keys-')), 'dev-api-keys.json');
    // The rig registered agent-1 already, as a previous `npm start` on the same data would have.
    const first = await devApiKeys(rig.store, file);
    expect((await rig.request('GET', '/v1/whoami', undefined, { authorization: `Bearer ${first.agent}` })).body).toMatchObject({ role: 'agent', agentId: 'agent-1' });
    expect(await devApiKeys(rig.store, file)).toEqual(first);

    const { issueApiKey } = await import('../../store/api-keys.store');
    const named = await issueApiKey(rig.store, 'integrator', 'agent-1', 'npm start');
    await rig.store.apiKeys.updateOne({ keyId: named.keyId }, { $set: { role: 'agent' } });
    writeFileSync(file, JSON.stringify({ ...first, agent: named.key }));
    const again = await devApiKeys(rig.store, file);
    expect(again.agent).not.toBe(named.key);
    expect(JSON.parse(readFileSync(file, 'utf8')).agent).toBe(again.agent);
    expect((await rig.request('GET', '/v1/whoami', undefined, { authorization: `Bearer ${again.agent}` })).body).toMatchObject({ agentId: 'agent-1' });
  });
});

describe('what an agent reads (AGENT_VISIBILITY=own, the default)', () => {
  it('reads its own conversations, those waiting in its queues and those no queue was asked for, not another agent’s nor other queues’', async () => {
    const base = 15557300000 + Math.floor(Math.random() * 90_000);
    const mine = await projected(String(base), 'agent-1', 'default');
    const waitingInMyQueue = await projected(String(base + 1), null, 'default');
    const othersAgent = await projected(String(base + 2), 'agent-2', 'default');
    const otherQueue = await projected(String(base + 3), null, 'billing');
    // Nobody holds it and routing never queued it (a deployment without SIP routing): any agent may answer it.
    const unrouted = await projected(String(base + 4), null, null);

    const listed = await rig.requestAs('agent', 'GET', '/v1/conversations?limit=500');
    const ids = listed.body.conversations.map((c: { conversationId: string }) => c.conversationId);
    expect(ids).toEqual(expect.arrayContaining([mine, waitingInMyQueue, unrouted]));
    expect(ids).not.toContain(othersAgent);
    expect(ids).not.toContain(otherQueue);

    for (const id of [mine, waitingInMyQueue, unrouted]) expect((await rig.requestAs('agent', 'GET', path(id, '/messages'))).status).toBe(200);
    for (const id of [othersAgent, otherQueue]) {
      for (const rest of ['', '/messages', '/templates']) {
        expect(await rig.requestAs('agent', 'GET', path(id, rest))).toMatchObject({ status: 404, body: { code: 'unknown_conversation' } });
      }
      expect((await rig.requestAs('agent', 'GET', `/v1/console/live/conversations/${encodeURIComponent(id)}`)).status).toBe(404);
      // Supervisors and integrators keep their view.
      expect((await rig.requestAs('supervisor', 'GET', path(id, '/messages'))).status).toBe(200);
      expect((await rig.request('GET', path(id, '/messages'))).status).toBe(200);
    }
  });

  it('stops showing a live thread to the agent once another agent holds it', async () => {
    const id = await projected(String(15557400000 + Math.floor(Math.random() * 90_000)), 'agent-1', 'default');
    const stream = openStream(`${rig.baseUrl}/v1/console/live/conversations/${encodeURIComponent(id)}`, rig.keys.agent);
    await eventually(() => stream.text(), (t) => t.includes('event: snapshot'), 15_000);
    await rig.store.conversations.updateOne({ _id: id }, { $set: { agentId: 'agent-2' } });
    await eventually(() => stream.text(), (t) => t.includes('"code":"unknown_conversation"'), 15_000);
    const after = stream.text().slice(stream.text().indexOf('"code":"unknown_conversation"'));
    expect(after).not.toContain('agent-2');
    stream.close();
  });

  it('lets a deployment choose `all`', () => {
    const doc = { agentId: 'agent-2', routing: { phase: 'assigned' as const, queue: 'billing', attempt: 1 } };
    const agent = { agent: { id: 'agent-1', queues: ['default'] } };
    expect(maySee(doc, agent, 'own')).toBe(false);
    expect(maySee(doc, agent, 'all')).toBe(true);
    expect(maySee(doc, {}, 'own')).toBe(true);
  });
});
