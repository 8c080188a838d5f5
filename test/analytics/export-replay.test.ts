import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { toolPath } from '../../scripts/dev-servers';
import { analyst } from '../support/analyst-cli';
import { TEST_PAYLOAD_KEYS, testEnv } from '../support/env';
import { startService, type ServiceRig } from '../support/service';
import { eventually } from '../support/workflow-env';

const root = resolve(__dirname, '../..');
// A business number of its own: the dev server is shared with the other suites.
const BUSINESS = String(700_000_000_000 + Math.floor(Math.random() * 99_999_999_999));
const customers = ['15558010001', '15558010002'];
const conversationOf = (customer: string) => `wa:${BUSINESS}:${customer}`;

let rig: ServiceRig;
let work: string;
let exported: string;

beforeAll(async () => {
  rig = await startService();
  work = mkdtempSync(join(tmpdir(), 'analyst-'));
  exported = join(work, 'exported');
  // Two real conversations: one answered, one answered and closed.
  for (const customer of customers) {
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS, from: customer, text: 'Where is my order?' });
    const id = conversationOf(customer);
    await eventually(() => rig.request('GET', `/v1/conversations/${id}`), (r) => r.status === 200 && r.body.state === 'openSession');
    const reply = await rig.requestAs('agent', 'POST', `/v1/conversations/${id}/messages`, { message: { type: 'text', text: 'Tomorrow.' } });
    expect(reply.status).toBe(202);
    await eventually(() => rig.simulator.sent().filter((m) => m.to === customer), (sent) => sent.length === 1);
  }
  const closed = await rig.request('POST', `/v1/conversations/${conversationOf(customers[1]!)}/close`, {});
  expect(closed.body).toMatchObject({ state: 'closed' });
  await eventually(() => rig.temporal.workflow.getHandle(conversationOf(customers[1]!)).describe(), (d) => d.status.name === 'COMPLETED');
}, 60_000);

afterAll(async () => {
  await rig?.stop();
  rmSync(work, { recursive: true, force: true });
});

const server = () => ['--address', testEnv().temporalAddress, '--no-progress'];
const bundle = () => ['--bundle', testEnv().workflowBundlePath];

describe('wa-analyst export and replay against the real dev server', () => {
  it('exports one standard-JSON file per run, the same history `temporal workflow show --output json` prints', async () => {
    // Visibility is eventually consistent: wait until the server lists both runs.
    await eventually(() => analyst('export', ...server(), '--business-number', BUSINESS, '--out', exported).then(() => readdirSync(exported)), (files) => files.length === 2);
    const files = readdirSync(exported).sort();
    expect(files).toEqual(customers.map((c) => expect.stringMatching(new RegExp(`^wa%3A${BUSINESS}%3A${c}~[0-9a-f-]{36}\\.json$`))));

    const id = conversationOf(customers[0]!);
    const cli = spawnSync(toolPath('temporal'), ['workflow', 'show', '--address', testEnv().temporalAddress, '-w', id, '--output', 'json'], { encoding: 'utf8' });
    expect(cli.status).toBe(0);
    writeFileSync(join(work, 'from-temporal-cli.json'), cli.stdout);
    const ours = historyFromJSON(JSON.parse(readFileSync(join(exported, files[0]!), 'utf8')));
    const theirs = historyFromJSON(JSON.parse(cli.stdout));
    // The CLI's copy may have grown since (the first conversation is still running): ours is a prefix of it.
    expect(ours.events!.length).toBeGreaterThan(5);
    expect(theirs.events!.slice(0, ours.events!.length).map((e) => [String(e.eventId), e.eventType])).toEqual(ours.events!.map((e) => [String(e.eventId), e.eventType]));
  });

  it('exports by machine state: Temporal narrows by status, replay tells the state', async () => {
    for (const [state, customer] of [['closed', customers[1]!], ['openSession', customers[0]!]] as const) {
      const out = join(work, state);
      const run = await analyst('export', ...server(), ...bundle(), '--business-number', BUSINESS, '--state', state, '--out', out);
      expect(run.code).toBe(0);
      expect(run.stderr).toBe(`1 histories written to ${out}\n`);
      expect(readdirSync(out)).toEqual([expect.stringContaining(`%3A${customer}~`)]);
    }
  });

  it('replays the exported files, a file saved by the Temporal CLI, and the runs straight from the server, all cleanly', async () => {
    const fromFiles = await analyst('replay', '--no-progress', ...bundle(), '--dir', exported, join(work, 'from-temporal-cli.json'));
    expect(fromFiles.stderr).toBe('3 replayed cleanly, 0 failed\n');
    expect(fromFiles.code).toBe(0);
    expect(fromFiles.stdout).toContain(`ok    ${conversationOf(customers[0]!)} `);

    const fromServer = await analyst('replay', ...server(), ...bundle(), '--business-number', BUSINESS, '--json');
    expect(fromServer.code).toBe(0);
    const lines = fromServer.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((l) => [l.workflowId, l.ok]).sort()).toEqual(customers.map((c) => [conversationOf(c), true]));
  });

  it('the real command exits 1 and names the first event a deliberately incompatible workflow change does not reproduce', () => {
    const run = spawnSync(
      process.execPath,
      [require.resolve('tsx/cli'), 'bin/wa-analyst.ts', 'replay', '--no-progress', '--workflows', join(__dirname, 'fixtures/incompatible.workflows.ts'), '--dir', exported],
      // The service's payload keys, as an analyst holding them would have in the environment.
      { cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, TEMPORAL_PAYLOAD_KEYS: TEST_PAYLOAD_KEYS } },
    );
    expect(run.stderr).toContain('0 replayed cleanly, 2 failed');
    expect(run.status).toBe(1);
    // The recorded first task wrote a patch marker (patched('settings-read-through')) before anything else; the
    // changed code asks for a timer first, so the marker has no command to match.
    const failures = run.stdout.split('\n').filter((line) => line.startsWith('FAIL'));
    expect(failures).toHaveLength(2);
    for (const line of failures) expect(line).toMatch(/^FAIL {2}wa:\d+:\d+ [0-9a-f-]{36} at event \d+ \(MarkerRecorded\): nondeterministic$/);
    expect(run.stdout).toContain('[TMPRL1100] Nondeterminism error');
  });

  it('names the corrupt file and still replays the good one', async () => {
    const corrupt = join(work, 'corrupt.json');
    writeFileSync(corrupt, '{"events": [{"eventId": "1", "eventType": "EVENT_TYPE_WORKFLOW_EXECUTION_STAR');
    const notAHistory = join(work, 'not-a-history.json');
    writeFileSync(notAHistory, '{"workflowId": "wa:1:2"}');
    const good = join(exported, readdirSync(exported).sort()[0]!);

    const run = await analyst('replay', '--no-progress', ...bundle(), corrupt, good, notAHistory);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`error: ${corrupt}: not a Temporal workflow history in JSON (`);
    expect(run.stderr).toContain(`error: ${notAHistory}: not a Temporal workflow history in JSON (no "events" array)`);
    expect(run.stdout).toContain(`ok    ${conversationOf(customers[0]!)}`);
    expect(run.stderr).toContain('1 replayed cleanly, 2 failed');

    const kpi = await analyst('kpi', '--no-progress', ...bundle(), corrupt);
    expect(kpi.code).toBe(1);
    expect(kpi.stderr).toContain(`error: ${corrupt}: not a Temporal workflow history in JSON`);
  });

  it('replays campaign histories with the rest but counts only conversations in the KPIs and timelines', async () => {
    const histories = join(root, 'test/workflows/histories');
    const campaign = join(histories, 'campaign-pause-resume.json');
    const conversation = join(histories, 'idle-close.json');
    const replay = await analyst('replay', '--no-progress', ...bundle(), campaign, conversation);
    expect(replay.stderr).toContain('2 replayed cleanly, 0 failed');
    const kpi = await analyst('kpi', '--no-progress', '--format', 'json', ...bundle(), campaign, conversation);
    expect(kpi.code).toBe(0);
    expect(JSON.parse(kpi.stdout)).toMatchObject({ conversations: 1, runs: 1, replayFailures: 0, conversationsByState: { inbound: 0, closed: 1 } });
    const timeline = await analyst('timeline', '--no-progress', '--format', 'json', ...bundle(), campaign, conversation);
    expect(timeline.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { conversationId: string }).conversationId)).toEqual([
      expect.stringMatching(/^wa:106540352242922:/),
    ]);
  });

  it('prints its usage with --help and refuses an unknown option with exit code 2', async () => {
    const help = await analyst('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: wa-analyst .*\n[\s\S]*export[\s\S]*replay[\s\S]*timeline[\s\S]*kpi/);
    const wrong = await analyst('kpi', '--format', 'xml');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("error: option '--format <format>' argument 'xml' is invalid");
  });
});
