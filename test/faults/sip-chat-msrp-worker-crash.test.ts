/**
 * Fault: the worker is killed (SIGKILL) while a conversation chats with its agent over an MSRP session (session
 * mode), and restarted. Every customer message reaches the agent once and in order: a line cut off mid-send is sent
 * again over a new connection with the same Message-ID (the peer sees the same message, not a second), the messages
 * written while no worker ran follow once it is back, and the agent's SENDs before and after reach WhatsApp once.
 */
import type { ChildProcess } from 'node:child_process';
import { killHard, spawnBin } from '../support/processes';
import { findFreePort } from '../../scripts/dev-servers';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';
import { startSipp, type SippPeer } from '../support/sipp';
import { msrpAnswerScenario } from '../support/sipp-msrp';
import { startMsrpPeer, type MsrpPeer } from '../support/msrp-peer';
import { eventually } from '../support/workflow-env';

let rig: ServiceRig | undefined;
let sipp: SippPeer | undefined;
let peer: MsrpPeer | undefined;
let worker: ChildProcess | undefined;

afterAll(async () => {
  worker?.kill('SIGKILL');
  await sipp?.stop();
  await peer?.stop();
  await rig?.stop();
});

function startWorker(sipPort: number): ChildProcess {
  const env = { ...rig!.workerEnv(), SIP_CONNECTOR_URI: sipp!.uri, SIP_LOCAL_HOST: '127.0.0.1', SIP_LOCAL_PORT: String(sipPort), SIP_CHAT_MODE: 'msrp' };
  return spawnBin('worker', env);
}

it('loses and duplicates no line when the worker dies mid-chat and comes back', async () => {
  rig = await startService({ inProcessWorker: false });
  peer = await startMsrpPeer();
  sipp = await startSipp({ scenario: 'custom:msrp-crash', scenarioXml: msrpAnswerScenario(peer.path), transport: 'udp', agent: 'agent-1', timeoutSeconds: 170 });
  const sipPort = await findFreePort();
  worker = startWorker(sipPort);
  const draft = { routing: { defaultQueue: 'sales', retry: { initialSeconds: 1, maxSeconds: 1, maxAttempts: 50 } } };
  await rig.requestAs('supervisor', 'PUT', '/v1/config/draft', draft);
  expect((await rig.requestAs('supervisor', 'POST', '/v1/config/publish', {})).status).toBe(201);

  const customer = String(15557500000 + Math.floor(Math.random() * 400_000));
  const id = `wa:${BUSINESS_NUMBER_ID}:${customer}`;
  const texts = Array.from({ length: 8 }, (_, i) => `line ${i + 1}`);
  const write = async (text: string) => expect((await rig!.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text })).delivery.finalStatus).toBe(200);
  await write(texts[0]!);
  await eventually(() => rig!.request('GET', `/v1/conversations/${encodeURIComponent(id)}`), (r) => r.body.state === 'handedToAgent', 60_000);
  await peer.until((messages) => messages.some((m) => m.text === 'line 1'), 60_000);
  expect((await peer.agentWrites('before the crash')).responses.map((r) => r.status)).toEqual([200]);
  for (const text of texts.slice(1, 4)) await write(text);
  await killHard(worker!); // lines 2-4 may be queued, in flight or sent
  for (const text of texts.slice(4, 6)) await write(text); // taken by the API while no worker runs
  worker = startWorker(sipPort);
  for (const text of texts.slice(6)) await write(text);

  await eventually(
    () => rig!.request('GET', `/v1/conversations/${encodeURIComponent(id)}/messages`),
    (r) => r.body.messages?.filter((m: { deliveredToAgent?: unknown }) => m.deliveredToAgent).length === texts.length,
    120_000,
  );
  // The new worker connected again (with the next line): the agent's SENDs have their way back in.
  expect((await peer.agentWrites('after the crash', { times: 2 })).responses.map((r) => r.status)).toEqual([200, 200]);
  const textsTo = () => rig!.simulator.sent().filter((m) => m.to === customer && m.body.type === 'text').map((m) => (m.body as { text: { body: string } }).text.body);
  await eventually(async () => textsTo(), (sent) => sent.includes('after the crash'), 45_000);
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  expect(textsTo()).toEqual(['before the crash', 'after the crash']);
  await rig.requestAs('agent', 'POST', `/v1/conversations/${encodeURIComponent(id)}/close`, {});
  expect((await sipp.finished()).exitCode).toBe(0);

  // Every line under one Message-ID; a Message-ID seen twice is the same message again, never a second one.
  const lines = peer.messages().filter((m) => m.headers['x-chat-origin'] === 'customer');
  const byId = new Map<string, Set<string>>();
  for (const m of lines) byId.set(m.messageId, (byId.get(m.messageId) ?? new Set()).add(m.text));
  expect([...byId.values()].every((bodies) => bodies.size === 1)).toBe(true);
  expect([...byId.values()].map((bodies) => [...bodies][0])).toEqual(texts);
  console.log(`session-mode chat, worker SIGKILL: ${texts.length} lines, ${lines.length} MSRP messages received (${lines.length - texts.length} sent again), ${peer.connections()} connections`);
}, 180_000);
