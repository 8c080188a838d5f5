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
  const env = { PATH: process.env.PATH, ...rig!.workerEnv(), SIP_CONNECTOR_URI: sipp!.uri, SIP_LOCAL_HOST: '127.0.0.1', SIP_LOCAL_PORT: String(await findFreePort()), SIP_CHAT_MODE: 'msrp' };
  workers.push(spawn(process.execPath, ['--import', 'tsx', join(root, 'bin/worker.ts')], { cwd: root, env, stdio: 'ignore' }));
}

it('two workers, one connection per session: every line over it, in order, and the agent\'s reply back once', async () => {
  rig = await startService({ inProcessWorker: false });
  peer = await startMsrpPeer();
  sipp = await startSipp({ scenario: 'custom:msrp-workers', scenarioXml: msrpAnswerScenario(peer.path), transport: 'udp', agent: 'agent-1', timeoutSeconds: 170 });
  await startWorker();
  await startWorker();
  const draft = { routing: { defaultQueue: 'sales', retry: { initialSeconds: 1, maxSeconds: 1, maxAttempts: 50 } } };
  await rig.requestAs('supervisor', 'PUT', '/v1/config/draft', draft);
  expect((await rig.requestAs('supervisor', 'POST', '/v1/config/publish', {})).status).toBe(201);

  const customer = String(15558500000 + Math.floor(Math.random() * 400_000));
  const id = `wa:${BUSINESS_NUMBER_ID}:${customer}`;
  const texts = Array.from({ length: 12 }, (_, i) => `line ${i + 1}`);
  const write = async (text: string) => expect((await rig!.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text })).delivery.finalStatus).toBe(200);
  await write(texts[0]!);
  await eventually(() => rig!.request('GET', `/v1/conversations/${encodeURIComponent(id)}`), (r) => r.body.state === 'handedToAgent', 60_000);
  for (const text of texts.slice(1)) await write(text);
  await peer.until((messages) => messages.filter((m) => m.headers['x-chat-origin'] === 'customer').length === texts.length, 90_000);
  expect((await peer.agentWrites('Noted, thanks', { times: 2 })).responses.map((r) => r.status)).toEqual([200, 200]);
  const textsTo = () => rig!.simulator.sent().filter((m) => m.to === customer && m.body.type === 'text').map((m) => (m.body as { text: { body: string } }).text.body);
  await eventually(async () => textsTo(), (sent) => sent.includes('Noted, thanks'), 45_000);
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  expect(textsTo()).toEqual(['Noted, thanks']);
  await rig.requestAs('agent', 'POST', `/v1/conversations/${encodeURIComponent(id)}/close`, {});
  expect((await sipp.finished()).exitCode).toBe(0);

  expect(peer.messages().filter((m) => m.headers['x-chat-origin'] === 'customer').map((m) => m.text)).toEqual(texts);
  expect(peer.connections()).toBe(1);
}, 180_000);
