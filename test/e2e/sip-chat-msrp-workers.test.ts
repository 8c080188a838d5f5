/**
 * Session mode with two workers (SIP_CHAT_MODE=msrp): an MSRP session is one TCP connection, held by one worker
 * process, while Temporal hands activities to any worker. The lines of a call go to the task queue of the worker
 * holding its connection, so the contact centre's peer sees one connection for the session however many workers
 * run, and the agent's SENDs come back over it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { findFreePort } from '../../scripts/dev-servers';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';
import { startSipp, type SippPeer } from '../support/sipp';
import { msrpAnswerScenario } from '../support/sipp-msrp';
import { startMsrpPeer, type MsrpPeer } from '../support/msrp-peer';
import { eventually } from '../support/workflow-env';

const root = join(__dirname, '../..');
let rig: ServiceRig | undefined;
let sipp: SippPeer | undefined;
let peer: MsrpPeer | undefined;
const workers: ChildProcess[] = [];

afterAll(async () => {
  for (const worker of workers) worker.kill('SIGKILL');
  await sipp?.stop();
  await peer?.stop();
  await rig?.stop();
});

async function startWorker(): Promise<void> {
  const env = { PATH: process.env.PATH, ...rig!.workerEnv(), WORKER_MAX_CACHED_WORKFLOWS: '1', SIP_CONNECTOR_URI: sipp!.uri, SIP_LOCAL_HOST: '127.0.0.1', SIP_LOCAL_PORT: String(await findFreePort()), SIP_CHAT_MODE: 'msrp' };
  workers.push(spawn(process.execPath, ['--import', 'tsx', join(root, 'bin/worker.ts')], { cwd: root, env, stdio: 'ignore' }));
}

it('two workers, one connection per session: every line over it, in order, and the agent\'s reply back once', async () => {
  rig = await startService({ inProcessWorker: false });
  peer = await startMsrpPeer();
  sipp = await startSipp({ scenario: 'custom:msrp-workers', scenarioXml: msrpAnswerScenario(peer.path), transport: 'udp', agent: 'agent-1', calls: 3, timeoutSeconds: 170 });
  // One workflow cached per worker, three conversations: their tasks keep moving between the workers, and so would
  // their activities (Temporal dispatches an activity eagerly to the worker that ran the workflow task).
  await startWorker();
  await startWorker();
  const draft = { routing: { defaultQueue: 'sales', retry: { initialSeconds: 1, maxSeconds: 1, maxAttempts: 50 } } };
  await rig.requestAs('supervisor', 'PUT', '/v1/config/draft', draft);
  expect((await rig.requestAs('supervisor', 'POST', '/v1/config/publish', {})).status).toBe(201);

  const customers = [0, 1, 2].map((i) => String(15558000000 + i * 500_000 + Math.floor(Math.random() * 400_000)));
  const ids = customers.map((c) => `wa:${BUSINESS_NUMBER_ID}:${c}`);
  const texts = Array.from({ length: 10 }, (_, i) => `line ${i + 1}`);
  const write = async (customer: string, text: string) => expect((await rig!.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text })).delivery.finalStatus).toBe(200);
  for (const [i, customer] of customers.entries()) {
    await write(customer, texts[0]!);
    await eventually(() => rig!.request('GET', `/v1/conversations/${encodeURIComponent(ids[i]!)}`), (r) => r.body.state === 'handedToAgent', 60_000);
  }
  for (const text of texts.slice(1)) for (const customer of customers) await write(customer, text);
  await peer.until((messages) => messages.filter((m) => m.headers['x-chat-origin'] === 'customer').length >= customers.length * texts.length, 90_000);
  expect((await peer.agentWrites('Noted, thanks', { times: 2 })).responses.map((r) => r.status)).toEqual([200, 200]);
  const sent = () => rig!.simulator.sent().filter((m) => m.body.type === 'text').map((m) => (m.body as { text: { body: string } }).text.body);
  await eventually(async () => sent(), (texts) => texts.includes('Noted, thanks'), 45_000);
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  expect(sent().filter((t) => t === 'Noted, thanks')).toHaveLength(1);
  for (const id of ids) await rig.requestAs('agent', 'POST', `/v1/conversations/${encodeURIComponent(id)}/close`, {});
  expect((await sipp.finished()).exitCode).toBe(0);

  // Per session (our From-Path): every line, in order, all over one connection.
  const sessions = [...new Set(peer.messages().map((m) => m.headers['from-path']))];
  expect(sessions).toHaveLength(customers.length);
  for (const session of sessions) {
    const lines = peer.messages().filter((m) => m.headers['from-path'] === session && m.headers['x-chat-origin'] === 'customer');
    expect(lines.map((m) => m.text)).toEqual(texts);
    expect(new Set(lines.map((m) => m.chunks[0]!.connection)).size).toBe(1);
  }
  expect(peer.connections()).toBe(customers.length);
}, 180_000);
