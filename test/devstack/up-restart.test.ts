import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort, isPortOpen } from '../../scripts/dev-servers';
import { argvOf, type ServerRecord } from '../../scripts/orphans';
import { eventually } from '../support/workflow-env';

/**
 * `npm start` stopped and started again on one `.data`, as the README's quickstart does: a template created and
 * approved before the restart still sends after it. The embedded simulator used to forget WhatsApp's side (the
 * connector still listed the template APPROVED; every send failed 132001, creating it again answered 409). It also
 * forgot the blocklist and who wrote when: a person blocked before was no longer listed, and one who wrote before
 * could not be blocked after (WhatsApp's 131047, `409 block_requires_recent_message`).
 */
const root = join(__dirname, '../..');
const NUMBER = '106540352242922';
let dataDir: string;
let ports: Record<string, string>;
let running: ChildProcess | undefined;

/** Starts `npm start` (bin/up.ts) and waits until it is up; resolves with what it printed. */
async function up(): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bin/up.ts')], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...ports },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running = child;
  let output = '';
  await new Promise<void>((ready, fail) => {
    const seen = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Press Ctrl-C')) ready();
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => fail(new Error(`npm start exited (${code}) before it was up:\n${output}`)));
  });
  return output;
}

async function down(): Promise<void> {
  const child = running;
  running = undefined;
  if (!child || child.exitCode !== null) return;
  const gone = new Promise((done) => child.once('exit', done));
  child.kill('SIGINT');
  await gone;
}

async function api(role: string, method: string, path: string, body?: unknown) {
  const keys = JSON.parse(readFileSync(join(dataDir, 'dev-api-keys.json'), 'utf8')) as Record<string, string>;
  const response = await fetch(`http://127.0.0.1:${ports.HTTP_PORT}${path}`, {
    method,
    headers: { authorization: `Bearer ${keys[role]}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any -- asserted shapes
}

async function sendTemplate(customer: string) {
  const conversation = `wa:${NUMBER}:${customer}`;
  const started = await api('integrator', 'POST', '/v1/conversations', {
    businessNumberId: NUMBER,
    customer: { waId: customer },
    template: { name: 'order_update', language: 'en_US', components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }] }] },
  });
  expect(started.status).toBe(202);
  const messages = await eventually(
    () => api('integrator', 'GET', `/v1/conversations/${encodeURIComponent(conversation)}/messages`),
    // Past `accepted` (the broker took it) to WhatsApp's own status: `sent` arrives by webhook a moment later.
    (r) => r.body.messages?.some((m: { status: string }) => m.status !== 'queued' && m.status !== 'accepted'),
    30_000,
  );
  return messages.body.messages.at(-1);
}

const blockedBefore = '15551230011';
const blockedAfter = '15551230012';
/** The supervisor blocks the customer once their message has reached the conversation. */
async function block(customer: string) {
  const path = `/v1/conversations/${encodeURIComponent(`wa:${NUMBER}:${customer}`)}`;
  await eventually(() => api('supervisor', 'GET', path), (r) => r.status === 200 && r.body.inboundCount >= 1, 15_000);
  return api('supervisor', 'POST', `${path}/block`);
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'up-restart-'));
  const names = ['HTTP_PORT', 'EMBEDDED_TEMPORAL_PORT', 'EMBEDDED_TEMPORAL_UI_PORT', 'EMBEDDED_FERRETDB_PORT', 'EMBEDDED_SIMULATOR_PORT', 'SIP_LOCAL_PORT', 'SIP_TLS_PORT'];
  ports = {};
  for (const name of names) ports[name] = String(await findFreePort());
});
/** The servers recorded in .data/servers/ whose pid still runs what was recorded. */
function recordedServersAlive(): ServerRecord[] {
  const dir = join(dataDir, 'servers');
  if (!existsSync(dir)) return [];
  const records = readdirSync(dir).map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as ServerRecord);
  return records.filter((r) => argvOf(r.pid)?.join(' ') === r.argv.join(' '));
}

afterAll(async () => {
  await down();
  // A failed crash test must not leave its servers running on the shared machine.
  for (const server of recordedServersAlive()) process.kill(-server.pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start restarted on one .data', () => {
  it('sends a template created before the restart, lists the person blocked before it, and blocks one who wrote before it', async () => {
    await up();
    const registered = await api('supervisor', 'POST', '/v1/numbers', {
      phoneNumberId: NUMBER,
      displayNumber: '+1 202 555 0188',
      wabaId: '102290129340398',
      verificationMethod: 'voice',
      ownership: { attestedBy: 'Grace Hopper', statement: true },
    });
    expect(registered.status).toBe(201);
    const created = await api('supervisor', 'POST', '/v1/templates', {
      businessNumberId: NUMBER,
      name: 'order_update',
      language: 'en_US',
      category: 'utility',
      definition: { body: { text: 'Hello {{1}}, your order is on its way.', examples: ['Ada'] } },
    });
    expect(created.status).toBe(201);
    await eventually(() => api('supervisor', 'GET', `/v1/templates/${NUMBER}:order_update:en_US`), (r) => r.body.status === 'APPROVED', 15_000);
    expect(await sendTemplate('15551230001')).toMatchObject({ status: expect.stringMatching(/^(sent|delivered|read)$/) });
    // Two customers write; one is blocked before the restart, the other after it.
    for (const from of [blockedBefore, blockedAfter]) {
      const wrote = await fetch(`http://127.0.0.1:${ports.EMBEDDED_SIMULATOR_PORT}/_sim/inbound`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phoneNumberId: NUMBER, from, text: 'Hello' }) });
      expect(wrote.status).toBe(200);
    }
    expect(await block(blockedBefore)).toMatchObject({ status: 200, body: { blocked: true } });
    await down();

    await up();
    const sync = await api('supervisor', 'POST', '/v1/templates/sync', {});
    expect(sync.body).toMatchObject({ accounts: 1, checked: 1, deleted: 0 });
    expect((await api('supervisor', 'GET', `/v1/templates/${NUMBER}:order_update:en_US`)).body.status).toBe('APPROVED');
    expect(await sendTemplate('15551230002')).toMatchObject({ status: expect.stringMatching(/^(sent|delivered|read)$/) });
    // WhatsApp's blocklist and who wrote when, as before the restart.
    expect((await api('supervisor', 'GET', `/v1/numbers/${NUMBER}/blocked-users`)).body).toEqual({ blockedUsers: [{ waId: blockedBefore }] });
    expect(await block(blockedAfter)).toMatchObject({ status: 200, body: { blocked: true } });
  }, 240_000);

  it('comes up after a crash (SIGKILL) that left Temporal and FerretDB running, stopping those, with what was stored before', async () => {
    if (!running) await up();
    const before = await sendTemplate('15551230003');
    const crashed = running!;
    running = undefined;
    const exited = new Promise((done) => crashed.once('exit', done));
    crashed.kill('SIGKILL');
    await exited;
    // The crash skipped the stop: both servers still hold their ports (this is what refused the next start).
    expect(await isPortOpen('127.0.0.1', Number(ports.EMBEDDED_TEMPORAL_PORT))).toBe(true);
    expect(await isPortOpen('127.0.0.1', Number(ports.EMBEDDED_FERRETDB_PORT))).toBe(true);
    const orphans = recordedServersAlive();

    const output = await up();
    expect(orphans.map((r) => r.name).sort()).toEqual(['ferretdb', 'temporal']);
    for (const orphan of orphans) expect(output).toContain(`stopped ${orphan.name} (pid ${orphan.pid}) left running by an earlier start`);
    for (const orphan of orphans) expect(argvOf(orphan.pid)?.join(' ')).not.toBe(orphan.argv.join(' '));
    const conversation = `wa:${NUMBER}:15551230003`;
    const thread = await api('integrator', 'GET', `/v1/conversations/${encodeURIComponent(conversation)}/messages`);
    expect(thread.body.messages.map((m: { id: string }) => m.id)).toContain(before.id);
    expect(await sendTemplate('15551230004')).toMatchObject({ status: expect.stringMatching(/^(sent|delivered|read)$/) });
  }, 240_000);
});
