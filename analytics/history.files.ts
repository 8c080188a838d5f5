import { readFileSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { History, HistoryInput, HistoryItem, JsonHistory } from './history.types';

const SEPARATOR = '~';

/**
 * The file name of one run's history: `<workflow id>~<run id>.json`, with the id percent-encoded where a file name
 * could not hold it (`wa:1065…:1555…` keeps working on every file system as `wa%3A1065…%3A1555…`).
 */
export function historyFileName(workflowId: string, runId: string): string {
  const safe = workflowId.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return `${safe}${SEPARATOR}${runId}.json`;
}

/** Writes a run's history in Temporal's standard JSON (what `temporal workflow show --output json` prints). */
export async function writeHistoryFile(dir: string, item: Pick<HistoryItem, 'workflowId' | 'runId' | 'history'>): Promise<string> {
  const path = join(dir, historyFileName(item.workflowId, item.runId));
  await writeFile(path, `${historyToJSON(item.history)}\n`);
  return path;
}

/**
 * Reads one history file; anything that is not a Temporal history gives an error naming the file and what is wrong.
 * The workflow id comes from the file name when it follows {@link historyFileName}, else from the conversation id
 * in the workflow's input (files saved by `temporal workflow show` have any name).
 */
export async function readHistoryFile(path: string): Promise<HistoryInput> {
  let text: string;
  try {
    // Read synchronously: a history file is small, and under load each of an async read's four thread-pool round
    // trips (open, stat, read, close) waits its turn, which cost more than folding the history it read.
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { source: path, error: `${path}: cannot be read (${(err as Error).message})` };
  }
  let json: JsonHistory;
  try {
    json = JSON.parse(text) as JsonHistory;
    if (!Array.isArray(json?.events) || json.events.length === 0) throw new Error('no "events" array');
    if (!json.events[0]?.workflowExecutionStartedEventAttributes) throw new Error('the first event is not WorkflowExecutionStarted');
  } catch (err) {
    return { source: path, error: notHistory(path, err) };
  }
  const started = json.events[0]!.workflowExecutionStartedEventAttributes as { originalExecutionRunId?: string; input?: { payloads?: { data?: string }[] } };
  const name = basename(path, '.json');
  const cut = name.lastIndexOf(SEPARATOR);
  const runId = started.originalExecutionRunId || (cut > 0 ? name.slice(cut + 1) : name);
  const workflowId = cut > 0 ? decodeURIComponent(name.slice(0, cut)) : (conversationIdIn(started.input?.payloads?.[0]?.data) ?? name);
  // Converted to protobuf objects (several ms for a long history) only if the replayer or the exporter asks for it.
  let history: History | undefined;
  const item = { workflowId, runId, source: path, json } as HistoryItem;
  Object.defineProperty(item, 'history', { enumerable: true, get: () => (history ??= historyFromJSON(json)) });
  return item;
}

/** The error for a file that is JSON but no Temporal history (also raised when it is first converted). */
export const notHistory = (path: string, err: unknown) => `${path}: not a Temporal workflow history in JSON (${(err as Error).message})`;

/** The conversation id in a plain-JSON start input (base64 in Temporal's JSON); undefined when it is not one. */
function conversationIdIn(data: string | undefined): string | undefined {
  try {
    const input = JSON.parse(Buffer.from(data ?? '', 'base64').toString('utf8')) as { conversation?: { conversationId?: unknown } };
    return typeof input?.conversation?.conversationId === 'string' ? input.conversation.conversationId : undefined;
  } catch {
    return undefined;
  }
}

/** The `.json` files of a directory, sorted, listed once (names only: the histories are read one at a time). */
export async function historyFilesIn(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  return names.map((name) => join(dir, name));
}
