import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeRuns, computeKpis } from '../../analytics/analytics.pipeline';
import { historiesFromFiles } from '../../analytics/history.source';
import { kpisInParallel } from '../../analytics/replay.parallel';
import { CONVERSATION_WORKFLOW_TYPE } from '../../workflows/conversation.messages';
import { analyst } from '../support/analyst-cli';
import { dataConverterFor, parsePayloadKeys } from '../../lib/payload-codec';
import { TEST_PAYLOAD_KEYS, testEnv } from '../support/env';

const historiesDir = join(__dirname, '../workflows/histories');

/**
 * Analysts' KPIs replayed by several processes are the KPIs replayed by one, on every committed history (each is a
 * real command sequence recorded by a workflow test) and an unreadable file among them.
 */
describe('KPIs replayed in parallel processes', () => {
  let work: string;
  let files: string[];
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'replay-parallel-'));
    const broken = join(work, 'broken.json');
    writeFileSync(broken, '{"events": [');
    files = [...readdirSync(historiesDir).filter((f) => f.endsWith('.json')).sort().map((f) => join(historiesDir, f)), broken];
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('give the same KPIs as one process over every committed history, the unreadable one counted as a replay failure', async () => {
    const bundlePath = testEnv().workflowBundlePath;
    // Some committed histories were recorded encrypted, with the rigs' keys: both ways decrypt them.
    const one = await computeKpis(analyzeRuns(historiesFromFiles(files), { codePath: bundlePath }, undefined, dataConverterFor(parsePayloadKeys(TEST_PAYLOAD_KEYS))));
    const peaks: number[] = [];
    const two = await kpisInParallel(files, { code: { codePath: bundlePath }, payloadKeys: TEST_PAYLOAD_KEYS, processes: 2, onProcessDone: (s) => peaks.push(s.peakRssMb) });
    expect(two).toEqual(one);
    expect(one.replayFailures).toBe(1);
    // Campaign and call runs replay but are no conversations: counted neither as runs nor as failures.
    const conversations = files.slice(0, -1).filter((f) => JSON.parse(readFileSync(f, 'utf8')).events[0].workflowExecutionStartedEventAttributes.workflowType.name === CONVERSATION_WORKFLOW_TYPE);
    expect(one.runs).toBe(conversations.length);
    expect(peaks).toHaveLength(2);
  }, 180_000);

  it('through `wa-analyst kpi --processes 2`: the same JSON as one process, the unreadable file named on stderr, exit 1', async () => {
    const args = ['kpi', '--no-progress', '--format', 'json', '--bundle', testEnv().workflowBundlePath, '--mongodb-url', '', ...files];
    const [one, two] = [await analyst(...args), await analyst(...args, '--processes', '2')];
    expect(JSON.parse(two.stdout)).toEqual(JSON.parse(one.stdout));
    expect(JSON.parse(two.stdout)).toMatchObject({ replayFailures: 1 });
    expect([one.code, two.code]).toEqual([1, 1]);
    expect(two.stderr).toContain('broken.json');
  }, 180_000);
});
