import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeRuns, computeKpis, type AnalyzedRun } from '../../analytics/analytics.pipeline';
import { FoldUnsupported, foldConversation } from '../../analytics/conversation.fold';
import type { AnalysisEngine } from '../../analytics/fold.runs';
import { loadWorkflowCode, quietTemporalRuntime, type WorkflowCode } from '../../analytics/history.replay';
import { historiesFromFiles } from '../../analytics/history.source';
import { isUnreadable } from '../../analytics/history.types';
import { generateHistories } from '../../bench/replay.histories';
import { dataConverterFor, parsePayloadKeys } from '../../lib/payload-codec';
import { CONVERSATION_WORKFLOW_TYPE } from '../../workflows/conversation.messages';

// The test rigs' keys (test/support/env.ts): some committed histories are encrypted with them.
const TEST_PAYLOAD_KEYS = 'test-1:dGVzdC1rZXktMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=,test-0:b2xkLXRlc3Qta2V5LTAwMDAwMDAwMDAwMDAwMDAwMDA=';
const dataConverter = dataConverterFor(parsePayloadKeys(TEST_PAYLOAD_KEYS));
const historiesDir = join(__dirname, '../workflows/histories');
const committed = readdirSync(historiesDir).filter((f) => f.endsWith('.json')).sort().map((f) => join(historiesDir, f));

/** Every run as each engine reads it, by file: the outcome's verdict, start and records, and the timeline. */
async function read(files: string[], code: WorkflowCode, engine: AnalysisEngine, converter = dataConverter): Promise<Map<string, AnalyzedRun>> {
  const runs = new Map<string, AnalyzedRun>();
  for await (const run of analyzeRuns(historiesFromFiles(files), code, undefined, converter, engine)) runs.set(run.outcome.source, run);
  return runs;
}

const comparable = ({ outcome, timeline, matched }: AnalyzedRun) =>
  isUnreadable(outcome) ? { outcome, matched } : { ok: outcome.ok, error: outcome.error, start: outcome.start, records: outcome.records, meta: outcome.meta, timeline, matched };

/**
 * The fold (the analysts' default engine: each conversation's events through the pure machine) against Temporal's
 * replayer running the workflow code: the same start, the same transition records, the same timeline and KPIs, on
 * every committed history (each a real command sequence recorded by a workflow test, some encrypted) and on the
 * histories `bench:replay` synthesizes from them.
 */
describe('the fold gives what the replayer gives', () => {
  let code: WorkflowCode;
  let work: string;
  beforeAll(async () => {
    quietTemporalRuntime();
    code = await loadWorkflowCode();
    work = mkdtempSync(join(tmpdir(), 'fold-equivalence-'));
  }, 120_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('on every committed history: start, records and timeline, deeply equal, and every conversation folded, not handed over', async () => {
    const [replayed, folded] = [await read(committed, code, 'replay'), await read(committed, code, 'fold')];
    expect(folded.size).toBe(committed.length);
    for (const file of committed) {
      expect({ file, ...comparable(folded.get(file)!) }).toEqual({ file, ...comparable(replayed.get(file)!) });
    }
    // The fold itself, not its fallback to the replayer, produced every conversation's records.
    let conversations = 0;
    for (const file of committed) {
      const json = JSON.parse(readFileSync(file, 'utf8'));
      if (json.events[0].workflowExecutionStartedEventAttributes.workflowType.name !== CONVERSATION_WORKFLOW_TYPE) continue;
      conversations += 1;
      const own = await foldConversation(json, dataConverter);
      expect({ file, records: own.records }).toEqual({ file, records: (replayed.get(file)!.outcome as { records: unknown }).records });
    }
    expect(conversations).toBe(20);
  }, 120_000);

  it('on histories bench:replay synthesizes, and an unreadable file: the same KPIs, and each timeline equal', async () => {
    const dir = join(work, 'generated');
    generateHistories(dir, 60);
    const broken = join(work, 'broken.json');
    writeFileSync(broken, '{"events": [');
    const files = [...readdirSync(dir).map((f) => join(dir, f)), broken, ...committed];
    const [replayed, folded] = [await read(files, code, 'replay'), await read(files, code, 'fold')];
    for (const file of files) expect({ file, ...comparable(folded.get(file)!) }).toEqual({ file, ...comparable(replayed.get(file)!) });
    const kpis = (engine: AnalysisEngine) => computeKpis(analyzeRuns(historiesFromFiles(files), code, undefined, dataConverter, engine));
    const [byReplay, byFold] = [await kpis('replay'), await kpis('fold')];
    expect(byFold).toEqual(byReplay);
    expect(byFold).toMatchObject({ runs: 80, replayFailures: 1 });
  }, 180_000);

  it('hands a run it cannot vouch for to the replayer: a signal it does not know, a history encrypted with keys not given', async () => {
    const source = JSON.parse(readFileSync(join(historiesDir, 'idle-close.json'), 'utf8'));
    const signal = source.events.find((e: Record<string, unknown>) => e.workflowExecutionSignaledEventAttributes);
    const unknown = structuredClone(signal);
    unknown.workflowExecutionSignaledEventAttributes.signalName = 'somethingNew';
    // Inserted after the customer's signal: later events, and every reference to them, move up by one.
    const at = source.events.indexOf(signal) + 1;
    source.events.splice(at, 0, unknown);
    const shift = (node: unknown): void => {
      if (typeof node !== 'object' || node === null) return;
      for (const [key, value] of Object.entries(node)) {
        if (/eventId$/i.test(key) && typeof value === 'string' && Number(value) > at) (node as Record<string, unknown>)[key] = String(Number(value) + 1);
        else shift(value);
      }
    };
    source.events.slice(at + 1).forEach(shift);
    unknown.eventId = String(at + 1);
    const file = join(work, 'new-signal.json');
    writeFileSync(file, JSON.stringify(source));
    await expect(foldConversation(source)).rejects.toBeInstanceOf(FoldUnsupported);
    const [replayed, folded] = [await read([file], code, 'replay'), await read([file], code, 'fold')];
    expect(comparable(folded.get(file)!)).toEqual(comparable(replayed.get(file)!));
    expect(folded.get(file)!.timeline?.messages.inbound).toBe(1);

    // Without the keys the fold cannot read the payloads: the run's outcome is the replayer's, as with `--engine replay`.
    const encrypted = join(historiesDir, 'sip-chat-session-mode.json');
    await expect(foldConversation(JSON.parse(readFileSync(encrypted, 'utf8')))).rejects.toThrow(/binary\/encrypted/);
    const [noKeysReplay, noKeysFold] = [await read([encrypted], code, 'replay', undefined), await read([encrypted], code, 'fold', undefined)];
    expect(comparable(noKeysFold.get(encrypted)!)).toEqual(comparable(noKeysReplay.get(encrypted)!));
  }, 120_000);
});
