import { readFile, readdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { payloadOf, runIdOf } from './history.meta';
import type { History, HistoryInput, HistoryItem } from './history.types';

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
    text = await readFile(path, 'utf8');
  } catch (err) {
    return { source: path, error: `${path}: cannot be read (${(err as Error).message})` };
  }
  let history: History;
  try {
    const json = JSON.parse(text) as { events?: unknown };
    if (!Array.isArray(json?.events) || json.events.length === 0) throw new Error('no "events" array');
    history = historyFromJSON(json);
    if (!history.events?.[0]?.workflowExecutionStartedEventAttributes) throw new Error('the first event is not WorkflowExecutionStarted');
  } catch (err) {
    return { source: path, error: `${path}: not a Temporal workflow history in JSON (${(err as Error).message})` };
  }
  const name = basename(path, '.json');
  const cut = name.lastIndexOf(SEPARATOR);
  const input = payloadOf(history) as { conversation?: { conversationId?: string } } | undefined;
  const workflowId = cut > 0 ? decodeURIComponent(name.slice(0, cut)) : (input?.conversation?.conversationId ?? name);
  return { workflowId, runId: runIdOf(history) ?? (cut > 0 ? name.slice(cut + 1) : name), history, source: path };
}

/** The `.json` files of a directory, sorted, listed once (names only: the histories are read one at a time). */
export async function historyFilesIn(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  return names.map((name) => join(dir, name));
}
