/**
 * Fault: the worker (the process whose SIP socket carries the WhatsApp call) is killed with SIGKILL mid-call, and a
 * new one starts on the same SIP port. Nothing is left dangling and no INVITE is sent twice:
 * - killed while the call is answered: the customer's later BYE reaches the new worker, which ends the agent's leg
 *   from the dialog the call workflow kept, and the call is stored ended with its talk time;
 * - killed while it rings: the retried attempt finds no INVITE to bridge and sends none; the customer gets 503 and
 *   the contact centre a CANCEL, and the call is stored failed (connector_restarted).
 * sipp plays Meta's SIP server and the contact centre on loopback (UDP, which survives the process).
 */
import type { ChildProcess } from 'node:child_process';
import { killHard, spawnBin } from '../support/processes';
import { readFileSync } from 'node:fs';
import { findFreePort } from '../../scripts/dev-servers';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';
import { startSipp, type SippPeer } from '../support/sipp';
import { agentLeg, metaCall, type AgentLegMode, type MetaCallEnd } from '../support/sipp-calls';
import { eventually } from '../support/workflow-env';

const CALLED = '+12025550107';
let rig: ServiceRig | undefined;
let worker: ChildProcess | undefined;
const peers: SippPeer[] = [];

afterAll(async () => {
  worker?.kill('SIGKILL');
  for (const peer of peers) await peer.stop();
  await rig?.stop();
});

function startWorker(cc: SippPeer, sipPort: number): ChildProcess {
  const env = { ...rig!.workerEnv(), SIP_CONNECTOR_URI: cc.uri, SIP_LOCAL_HOST: '127.0.0.1', SIP_LOCAL_PORT: String(sipPort) };
  return spawnBin('worker', env);
}

/** The worker's SIP socket is bound (UDP, per the kernel's table): tsx may take long to start on a loaded machine. */
async function sipReady(port: number): Promise<void> {
  const wanted = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const bound = () => readFileSync('/proc/net/udp', 'utf8').split('\n').some((line) => line.trim().split(/\s+/)[1] === wanted);
  const deadline = Date.now() + 120_000;
  while (!bound()) {
    if (Date.now() > deadline) throw new Error(`worker never bound SIP port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  rig = await startService({ inProcessWorker: false });
  const draft = { routing: { defaultQueue: 'sales', retry: { initialSeconds: 1, maxSeconds: 1, maxAttempts: 2 } } };
  await rig.requestAs('supervisor', 'PUT', '/v1/config/draft', draft);
  expect((await rig.requestAs('supervisor', 'POST', '/v1/config/publish', {})).status).toBe(201);
  const number = { phoneNumberId: BUSINESS_NUMBER_ID, displayNumber: CALLED, verificationMethod: 'sms', ownership: { attestedBy: 'Owner', statement: true } };
  expect((await rig.requestAs('supervisor', 'POST', '/v1/numbers', number)).status).toBe(201);
  const calling = { status: 'ENABLED', sip: { status: 'ENABLED', servers: [{ hostname: 'sip.connector.example.com', port: 5061 }] } };
  expect((await rig.requestAs('supervisor', 'PUT', `/v1/numbers/${BUSINESS_NUMBER_ID}/calling`, calling)).status).toBe(200);
}, 60_000);

async function call(mode: AgentLegMode, end: MetaCallEnd, talkMs?: number) {
  const cc = await startSipp({ scenario: 'custom:agent-leg', scenarioXml: agentLeg(mode), transport: 'udp', agent: 'agent-1', timeoutSeconds: 120 });
  peers.push(cc);
  const sipPort = await findFreePort();
  worker = startWorker(cc, sipPort);
  await sipReady(sipPort);
  const customer = String(15556000000 + Math.floor(Math.random() * 900_000));
  const meta = await startSipp({
    scenario: 'custom:meta-call',
    scenarioXml: metaCall(end, talkMs),
    transport: 'udp',
    remote: `127.0.0.1:${sipPort}`,
    service: CALLED,
    keys: { customer },
    auth: { username: CALLED.slice(1), password: rig!.simulator.callingSettings(BUSINESS_NUMBER_ID)!.sipPassword! },
    timeoutSeconds: 120,
  });
  peers.push(meta);
  const calls = () => rig!.request('GET', `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`)}/calls`);
  const phase = (wanted: string, ms = 60_000) => eventually(calls, (r) => r.body.calls?.[0]?.phase === wanted, ms).then((r) => r.body.calls[0]);
  return { cc, meta, sipPort, phase };
}

it('killed while the call is answered: the customer\'s BYE after the restart ends the agent\'s leg too', async () => {
  // The worker may take a while to start (tsx): Meta's INVITE is retransmitted until it answers.
  const { cc, meta, sipPort, phase } = await call('answer', 'customer', 25_000);
  await phase('answered');
  await killHard(worker!);
  worker = startWorker(cc, sipPort);

  const [metaReport, ccReport] = [await meta.finished(), await cc.finished()];
  expect(metaReport.exitCode).toBe(0);
  expect(ccReport.exitCode).toBe(0);
  expect(ccReport.received('INVITE')).toHaveLength(1);
  expect(ccReport.received('BYE')).toHaveLength(1);
  const ended = await phase('ended');
  expect(ended).toMatchObject({ cause: 'customer_hung_up', agentId: 'agent-1' });
  expect(ended.talkSeconds).toBeGreaterThanOrEqual(20);
  await killHard(worker!);
}, 180_000);

it('killed while it rings: no second INVITE; 503 to the customer, CANCEL to the contact centre, counted failed', async () => {
  const { cc, meta, sipPort, phase } = await call('ring-until-cancelled', { refused: 503 });
  // Ringing at the contact centre (the call offered once): the worker dies holding the caller's INVITE.
  await eventually(() => rig!.request('GET', '/v1/calls/kpis', undefined, { authorization: `Bearer ${rig!.keys.analyst}` }), (r) => r.body.offered >= 1, 60_000);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  await killHard(worker!);
  worker = startWorker(cc, sipPort);

  const metaReport = await meta.finished();
  expect(metaReport.exitCode).toBe(0);
  const ccReport = await cc.finished();
  expect(ccReport.exitCode).toBe(0);
  expect(ccReport.received('INVITE')).toHaveLength(1);
  expect(ccReport.received('CANCEL')).toHaveLength(1);
  expect(await phase('failed')).toMatchObject({ cause: 'connector_restarted', attempts: 1 });
  await killHard(worker!);
}, 180_000);
