/**
 * The histories `bench:replay` (and the fold's equivalence test) read: synthesized from the real ones recorded by
 * the workflow tests (test/workflows/histories), each copy with a fresh workflow id, run id and conversation id, so
 * every file is a distinct run of a real command sequence. One in twenty is the 397-event conversation that
 * continued as new; the others cycle through the other conversation histories recorded in plain JSON.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { historyFileName } from '../analytics/history.files';
import { CONVERSATION_WORKFLOW_TYPE } from '../workflows/conversation.messages';

const seedsDir = resolve(__dirname, '../test/workflows/histories');

/** A copy of a recorded history under new ids: run ids in the start event, the conversation id in the input. */
function synthesize(seed: { events: { workflowExecutionStartedEventAttributes?: Record<string, unknown> }[] }, index: number) {
  const copy = structuredClone(seed);
  const started = copy.events[0]!.workflowExecutionStartedEventAttributes!;
  const runId = randomUUID();
  started.originalExecutionRunId = runId;
  started.firstExecutionRunId = runId;
  const payload = (started.input as { payloads: { data: string }[] }).payloads[0]!;
  const input = JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8'));
  const customer = String(15_550_000_000 + index);
  input.conversation.conversationId = `wa:106540352242922:${customer}`;
  input.conversation.customer = { key: customer, waId: customer };
  payload.data = Buffer.from(JSON.stringify(input)).toString('base64');
  return { workflowId: input.conversation.conversationId as string, runId, json: JSON.stringify(copy) };
}

/** Writes `count` synthesized histories into `dir` (created), one file each, named as `wa-analyst export` names them. */
export function generateHistories(dir: string, count: number): void {
  mkdirSync(dir, { recursive: true });
  // Conversations recorded in plain JSON only: campaign and call histories have no conversation to rename, and an
  // encrypted one's input cannot be rewritten without its keys.
  const plain = Buffer.from('json/plain').toString('base64');
  const seeds = readdirSync(seedsDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f, json: JSON.parse(readFileSync(join(seedsDir, f), 'utf8')) }))
    .filter((s) => {
      const started = s.json.events[0].workflowExecutionStartedEventAttributes;
      return started.workflowType.name === CONVERSATION_WORKFLOW_TYPE && started.input.payloads[0].metadata.encoding === plain;
    });
  const long = seeds.find((s) => s.name.startsWith('continue-as-new'))!;
  const short = seeds.filter((s) => s !== long);
  for (let i = 0; i < count; i += 1) {
    const seed = i % 20 === 19 ? long : short[i % short.length]!;
    const { workflowId, runId, json } = synthesize(seed.json, i);
    writeFileSync(join(dir, historyFileName(workflowId, runId)), json);
  }
}
