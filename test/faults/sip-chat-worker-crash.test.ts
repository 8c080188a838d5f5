/**
 * Fault: the worker is killed (SIGKILL) while a conversation chats with its agent over SIP in page mode, and
 * restarted on the same SIP port. Every customer message reaches the agent once and in order: a line cut off
 * mid-send is re-sent as the same request (the contact centre sees a retransmission: same CSeq, same body), and
 * the messages written while no worker ran follow once it is back.
 */
import type { ChildProcess } from 'node:child_process';
import { killHard, spawnBin } from '../support/processes';
import { findFreePort } from '../../scripts/dev-servers';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';
import { startSipp, type SippMessage, type SippPeer } from '../support/sipp';
import { chatScenario } from '../support/sipp-chat';
import { eventually } from '../support/workflow-env';

let rig: ServiceRig | undefined;
let sipp: SippPeer | undefined;
let worker: ChildProcess | undefined;

afterAll(async () => {
  worker?.kill('SIGKILL');
  await sipp?.stop();
  await rig?.stop();
});

function startWorker(sipPort: number): ChildProcess {
  const env = { ...rig!.workerEnv(), SIP_CONNECTOR_URI: sipp!.uri, SIP_LOCAL_HOST: '127.0.0.1', SIP_LOCAL_PORT: String(sipPort), SIP_CHAT_MODE: 'message' };
  return spawnBin('worker', env);
}

const bodyOf = (message: SippMessage) => message.text.split(/\r?\n\r?\n/).slice(1).join('\n\n').trim();

it('loses and duplicates no line when the worker dies mid-chat and comes back', async () => {
  rig = await startService({ inProcessWorker: false });
  sipp = await startSipp({ scenario: 'custom:chat-crash', scenarioXml: chatScenario([]), transport: 'udp', agent: 'agent-1', noRetransmissions: true, timeoutSeconds: 170 });
  const sipPort = await findFreePort();
  worker = startWorker(sipPort);
  const draft = { routing: { defaultQueue: 'sales', retry: { initialSeconds: 1, maxSeconds: 1, maxAttempts: 50 } } };
  await rig.requestAs('supervisor', 'PUT', '/v1/config/draft', draft);
  expect((await rig.requestAs('supervisor', 'POST', '/v1/config/publish', {})).status).toBe(201);

  const customer = String(15557000000 + Math.floor(Math.random() * 900_000));
  const id = `wa:${BUSINESS_NUMBER_ID}:${customer}`;
  const texts = Array.from({ length: 8 }, (_, i) => `line ${i + 1}`);
  const write = async (text: string) => expect((await rig!.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text })).delivery.finalStatus).toBe(200);
  await write(texts[0]!);
  await eventually(() => rig!.request('GET', `/v1/conversations/${encodeURIComponent(id)}`), (r) => r.body.state === 'handedToAgent', 60_000);
  for (const text of texts.slice(1, 4)) await write(text);
  await killHard(worker!); // lines 2-4 may be queued, in flight or sent
  for (const text of texts.slice(4, 6)) await write(text); // taken by the API while no worker runs
  worker = startWorker(sipPort);
  for (const text of texts.slice(6)) await write(text);

  const delivered = () =>
    eventually(
      () => rig!.request('GET', `/v1/conversations/${encodeURIComponent(id)}/messages`),
      (r) => r.body.messages?.filter((m: { deliveredToAgent?: unknown }) => m.deliveredToAgent).length === texts.length,
      120_000,
    );
  await delivered();
  await rig.requestAs('agent', 'POST', `/v1/conversations/${encodeURIComponent(id)}/close`, {});
  const report = await sipp.finished();
  expect(report.exitCode).toBe(0);

  // Every line under one CSeq; a CSeq seen twice is a retransmission (the same body), never a second message.
  const lines = report.received('MESSAGE').filter((m) => m.header('X-Chat-Origin') === 'customer');
  const bySeq = new Map<string, Set<string>>();
  for (const m of lines) bySeq.set(m.header('CSeq')!, (bySeq.get(m.header('CSeq')!) ?? new Set()).add(bodyOf(m)));
  expect([...bySeq.values()].every((bodies) => bodies.size === 1)).toBe(true);
  expect([...bySeq.values()].map((bodies) => [...bodies][0])).toEqual(texts);
  console.log(`page-mode chat, worker SIGKILL: ${texts.length} lines, ${lines.length} MESSAGEs received (${lines.length - texts.length} retransmissions)`);
}, 180_000);
