/**
 * The CPU budget of `bench:breakdown`: CPU-seconds spent by each process of the stack (from /proc/<pid>/stat, so
 * whatever the process is), the store's commands (the server's own counters, `serverStatus`) and Temporal's history
 * events (per run, by type), each read before and after a phase and divided by the messages it handled.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import type { Db, MongoClient } from 'mongodb';

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** `[ppid, utime + stime in ticks]` of one process (all its threads), or undefined once it is gone. */
function statOf(pid: number): [number, number] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields are counted after its closing one.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [Number(rest[1]), Number(rest[11]) + Number(rest[12])];
  } catch {
    return undefined;
  }
}

/**
 * CPU-seconds (user + system) used so far by `pid` and its living descendants (a server that forks helpers is
 * counted whole), except the subtrees of the processes in `apart` (measured on their own: the load generator is the
 * parent of every other process here). Linux only; NaN elsewhere or when the process is gone.
 */
export function cpuSeconds(pid: number, apart: ReadonlySet<number> = new Set()): number {
  const own = statOf(pid);
  if (!own) return NaN;
  const children = new Map<number, number[]>();
  const ticks = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = statOf(Number(name));
    if (!stat) continue;
    ticks.set(Number(name), stat[1]);
    children.set(stat[0], [...(children.get(stat[0]) ?? []), Number(name)]);
  }
  let total = own[1];
  const queue = [...(children.get(pid) ?? [])];
  while (queue.length > 0) {
    const child = queue.pop()!;
    if (apart.has(child)) continue;
    total += ticks.get(child) ?? 0;
    queue.push(...(children.get(child) ?? []));
  }
  return total / TICKS;
}

/** CPU-seconds of each named process now. */
export function cpuSnapshot(pids: Record<string, number | undefined>): Record<string, number> {
  const measured = Object.entries(pids).filter((e): e is [string, number] => e[1] !== undefined);
  const apart = new Set(measured.map(([, pid]) => pid));
  return Object.fromEntries(measured.map(([name, pid]) => [name, cpuSeconds(pid, apart)]));
}

/**
 * Counts the commands this process sends (`monitorCommands` must be on for `client`), so that the load generator's
 * own reads can be taken out of the server's counters.
 */
export function countOwnCommands(client: MongoClient): () => Record<string, number> {
  const counts: Record<string, number> = {};
  client.on('commandStarted', (event) => void (counts[event.commandName] = (counts[event.commandName] ?? 0) + 1));
  return () => ({ ...counts });
}

/**
 * The server's commands answered so far, by name: `serverStatus().metrics.commands.<name>.total` (MongoDB and
 * FerretDB both keep it). `serverStatus` itself and the handshake commands are left out.
 */
export async function serverCommands(db: Db): Promise<Record<string, number>> {
  const status = (await db.admin().command({ serverStatus: 1 })) as { metrics?: { commands?: Record<string, unknown> } };
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(status.metrics?.commands ?? {})) {
    const total = (value as { total?: unknown } | null)?.total;
    if (total !== undefined && !['serverStatus', 'hello', 'isMaster', 'ismaster', 'ping', 'buildInfo', 'buildinfo', 'saslStart', 'saslContinue', 'endSessions'].includes(name)) out[name] = Number(total);
  }
  return out;
}

/** `after − before − own` per name, dropping zeros. */
export function difference(after: Record<string, number>, before: Record<string, number>, own: Record<string, number> = {}): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of Object.keys(after)) {
    const d = after[name]! - (before[name] ?? 0) - (own[name] ?? 0);
    if (d !== 0) out[name] = d;
  }
  return out;
}

/** Divides each figure by `n`, to four decimals (a tenth of a CPU-millisecond: the API spends 3-4 ms a message). */
export function perMessage(totals: Record<string, number>, n: number): Record<string, number> {
  return Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, Math.round((v / n) * 10_000) / 10_000]));
}

/**
 * History events of every run of these workflows so far, by type (`EVENT_TYPE_` dropped), and the signals among
 * them. Reads each run's history whole: call it where its cost does not fall inside a measured window.
 */
export async function historyEventsByType(client: Client, workflowIds: string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const workflowId of workflowIds) {
    const runs = new Set<string>();
    for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.add(run.runId);
    // Visibility may lag behind the current run: it is read through the workflow's handle as well.
    runs.add((await client.workflow.getHandle(workflowId).describe()).runId);
    for (const runId of runs) {
      const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
      for (const event of history.events ?? []) {
        const type = eventTypeName(event.eventType);
        counts[type] = (counts[type] ?? 0) + 1;
      }
    }
  }
  return counts;
}

/** The proto enum's number as its name without the `EVENT_TYPE_` prefix. */
function eventTypeName(type: unknown): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { temporal } = require('@temporalio/proto') as typeof import('@temporalio/proto');
  const name = typeof type === 'number' ? temporal.api.enums.v1.EventType[type] : String(type);
  return String(name).replace(/^EVENT_TYPE_/, '');
}

/** The sum of every figure. */
export const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** What a budget is read from: the processes, the store, the load generator's own commands and the conversations. */
export interface BudgetProbe {
  pids: Record<string, number | undefined>;
  db: Db;
  ownCommands: () => Record<string, number>;
  client: Client;
  workflowIds: string[];
  /** The connector's own count of its store commands, by process, command and collection. */
  connectorCommands: () => Promise<Record<string, Record<string, number>>>;
}

/** Per handled message: CPU-seconds by process, store commands by name, history events by type; each with a total. */
export type Budget = Record<'cpuSeconds' | 'storeCommands' | 'storeCommandsByCollection' | 'historyEvents', Record<string, number>>;

/** `{ API: { 'find messages': 3 } }` as `{ 'API find messages': 3 }`. */
const flatten = (byProcess: Record<string, Record<string, number>>) =>
  Object.fromEntries(Object.entries(byProcess).flatMap(([process, counts]) => Object.entries(counts).map(([k, v]) => [`${process} ${k}`, v])));

/**
 * Reads the probe now and returns what reads it again and divides the differences by the messages handled in
 * between. The history is read outside the window (before this returns, and after the second CPU reading).
 */
export async function startBudget(probe: BudgetProbe): Promise<(handled: number) => Promise<Budget>> {
  const events = await historyEventsByType(probe.client, probe.workflowIds);
  const before = { connector: flatten(await probe.connectorCommands()), commands: await serverCommands(probe.db), own: probe.ownCommands(), cpu: cpuSnapshot(probe.pids) };
  return async (handled) => {
    const after = { cpu: cpuSnapshot(probe.pids), own: probe.ownCommands(), commands: await serverCommands(probe.db), connector: flatten(await probe.connectorCommands()) };
    const per = (totals: Record<string, number>) => ({ ...perMessage(totals, handled), total: perMessage({ t: total(totals) }, handled).t! });
    return {
      cpuSeconds: per(difference(after.cpu, before.cpu)),
      storeCommands: per(difference(after.commands, before.commands, difference(after.own, before.own))),
      storeCommandsByCollection: per(difference(after.connector, before.connector)),
      historyEvents: per(difference(await historyEventsByType(probe.client, probe.workflowIds), events)),
    };
  };
}
