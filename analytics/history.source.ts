import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { ConversationStateName } from '../machines/conversation.types';
import { CONVERSATION_WORKFLOW_TYPE } from '../workflows/conversation.messages';
import { historyFilesIn, readHistoryFile } from './history.files';
import type { HistoryInput, HistoryItem } from './history.types';

/** Which conversations to look at. Every field narrows; all of them map to Temporal's built-in search attributes. */
export interface Selection {
  workflowId?: string;
  businessNumberId?: string;
  taskQueue?: string;
  /** Runs that started at or after this time… */
  startedFrom?: Date;
  /** …and before this one. */
  startedBefore?: Date;
  /** The machine state a run ended in (or is in). Temporal cannot see it: runs are narrowed by status, then checked after replay. */
  state?: ConversationStateName;
  /** At most this many runs. */
  limit?: number;
}

const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * The visibility query for a selection. Built-in search attributes only (WorkflowType, WorkflowId, TaskQueue,
 * ExecutionStatus, StartTime): custom ones would have to be registered on every cluster and the time-skipping
 * test server cannot. Workflow ids are `wa:<business number>:<customer>`, so a business number is an id prefix.
 * A run that is still going has a live state; a finished run of a conversation ended in `closed`.
 */
export function listQuery(selection: Selection): string {
  const clauses = [`WorkflowType = ${quote(CONVERSATION_WORKFLOW_TYPE)}`];
  if (selection.workflowId) clauses.push(`WorkflowId = ${quote(selection.workflowId)}`);
  if (selection.businessNumberId) clauses.push(`WorkflowId STARTS_WITH ${quote(`wa:${selection.businessNumberId}:`)}`);
  if (selection.taskQueue) clauses.push(`TaskQueue = ${quote(selection.taskQueue)}`);
  if (selection.startedFrom) clauses.push(`StartTime >= ${quote(selection.startedFrom.toISOString())}`);
  if (selection.startedBefore) clauses.push(`StartTime < ${quote(selection.startedBefore.toISOString())}`);
  if (selection.state === 'closed') clauses.push(`ExecutionStatus != 'Running'`);
  else if (selection.state) clauses.push(`ExecutionStatus = 'Running'`);
  return clauses.join(' AND ');
}

/** How many runs the server holds for a selection (an estimate for progress bars and the API's cap). */
export async function countRuns(client: Client, selection: Selection): Promise<number> {
  const { count } = await client.workflow.count(listQuery(selection));
  return selection.limit === undefined ? count : Math.min(count, selection.limit);
}

/**
 * Streams the histories of the selected runs from the server, fetching a few ahead so the network's latency
 * overlaps the replay, but never holding more than `prefetch` histories.
 */
export async function* historiesFromServer(client: Client, selection: Selection, prefetch = 4): AsyncGenerator<HistoryItem> {
  // A run listed but gone by the time its history is fetched (deleted by an erasure, or by the namespace's retention;
  // visibility lags behind) is skipped: it is no longer there to analyse.
  const fetchOne = async (workflowId: string, runId: string): Promise<HistoryItem | undefined> => {
    try {
      return { workflowId, runId, history: await client.workflow.getHandle(workflowId, runId).fetchHistory(), source: 'server' };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  const ahead: Promise<HistoryItem | undefined>[] = [];
  let listed = 0;
  for await (const execution of client.workflow.list({ query: listQuery(selection) })) {
    if (selection.limit !== undefined && listed >= selection.limit) break;
    listed += 1;
    const next = fetchOne(execution.workflowId, execution.runId);
    next.catch(() => undefined); // awaited in turn below; this only keeps a failure from counting as unhandled meanwhile
    ahead.push(next);
    if (ahead.length >= prefetch) {
      const item = await ahead.shift()!;
      if (item) yield item;
    }
  }
  while (ahead.length > 0) {
    const item = await ahead.shift()!;
    if (item) yield item;
  }
}

const GRPC_NOT_FOUND = 5;

function isNotFound(err: unknown): boolean {
  for (let cause: unknown = err, depth = 0; cause && depth < 4; depth += 1) {
    if (cause instanceof WorkflowNotFoundError || (cause as { code?: unknown }).code === GRPC_NOT_FOUND) return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}

/** Streams history files (given one by one, or every `.json` in the given directories), one read at a time. */
export async function* historiesFromFiles(paths: readonly string[], dirs: readonly string[] = []): AsyncGenerator<HistoryInput> {
  for (const path of paths) yield await readHistoryFile(path);
  for (const dir of dirs) {
    for (const path of await historyFilesIn(dir)) yield await readHistoryFile(path);
  }
}
