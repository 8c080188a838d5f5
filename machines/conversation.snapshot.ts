/**
 * The conversation machine's snapshot as it is persisted (carried across continue-as-new), with the schema version
 * of its state names and context shape, and the pure migration from every older version. A run started by older
 * code continues-as-new into newer code carrying an older snapshot: {@link restoreConversation} migrates it before
 * xstate resolves it. Bump {@link CONVERSATION_SNAPSHOT_VERSION} and add a step to {@link migrateSnapshot} whenever
 * a state is renamed or moved, or a context field changes meaning.
 */
import { conversationMachine } from './conversation.machine';
import { idleRouting } from './conversation.routing';
import type { ConversationSnapshot } from './conversation.status';
import type { Assignment, CallRef, ConversationContext, RoutingStateName, TimerId } from './conversation.types';

/**
 * 1 (absent: runs from before it was carried): states `inbound`, `session.{openSession,handedToAgent}`,
 * `expiredNeedsTemplate`, `closed`; routing in `context.routing.phase`, the agent in `context.agentId`.
 * 2: `active` with parallel regions `session` and `routing`, then `closed`; the agent in `context.routing.assignment`.
 */
export const CONVERSATION_SNAPSHOT_VERSION = 2;

/** xstate's persisted snapshot (plain JSON) plus the schema version it was written in. */
export interface PersistedConversation {
  schemaVersion: number;
  value: unknown;
  context: unknown;
  status?: string;
  [field: string]: unknown;
}

/** A version-1 snapshot, as runs from before the routing region carried it (only the fields the migration reads). */
interface SnapshotV1 {
  value: 'inbound' | 'expiredNeedsTemplate' | 'closed' | { session: 'openSession' | 'handedToAgent' };
  context: Omit<ConversationContext, 'routing'> & {
    agentId: string | null;
    routing?: Omit<ConversationContext['routing'], 'assignment'> & { phase: 'none' | 'bot' | 'queued' | 'assigned'; call: CallRef | null };
  };
  status?: string;
}

/** The snapshot to carry: xstate's persisted form with the current schema version. Plain JSON. */
export function persistConversation(snapshot: ConversationSnapshot): PersistedConversation {
  const persisted = conversationMachine.getPersistedSnapshot(snapshot) as unknown as { value: unknown; context: unknown };
  return { ...persisted, schemaVersion: CONVERSATION_SNAPSHOT_VERSION };
}

/**
 * Version 1 → 2. The routing phase becomes the `routing` region's state: `queued` with the retry timer pending is
 * `retrying` (only the workflow's timer table tells a wait for the retry from an INVITE in flight); the agent and
 * their call move into `routing.assignment`, kept only while assigned. `handedToAgent` is an open session an agent holds.
 */
function fromV1(old: SnapshotV1, pendingTimers: readonly TimerId[]): PersistedConversation {
  const { agentId, routing: oldRouting, ...context } = old.context;
  const { phase = 'none', call = null, ...routing } = oldRouting ?? { ...idleRouting, phase: 'none' as const, call: null };
  const assignment: Assignment | null = phase === 'assigned' && agentId !== null && call !== null ? { agentId, call } : null;
  const session = typeof old.value === 'string' ? old.value : 'openSession';
  const value = session === 'closed' ? 'closed' : { active: { session, routing: routingStateV1(phase, assignment, pendingTimers) } };
  return { ...old, schemaVersion: 2, value, context: { ...context, routing: { ...idleRouting, ...routing, assignment } } };
}

function routingStateV1(phase: 'none' | 'bot' | 'queued' | 'assigned', assignment: Assignment | null, pendingTimers: readonly TimerId[]): RoutingStateName {
  if (phase === 'queued') return pendingTimers.includes('routeRetry') ? 'retrying' : 'queued';
  // Assigned with nobody named never happened in version 1; if it did, nobody can be released or written for.
  if (phase === 'assigned') return assignment ? 'assigned' : 'idle';
  return phase === 'none' ? 'idle' : phase;
}

/**
 * Brings a persisted snapshot of any known version up to the current one. Pure; `pendingTimers` are the timers the
 * workflow carried beside it. Throws on a version newer than this code knows (a rollback past a schema change): the
 * workflow task fails and retries until code that knows it runs, rather than guessing.
 */
export function migrateSnapshot(persisted: unknown, pendingTimers: readonly TimerId[] = []): PersistedConversation {
  const version = (persisted as Partial<PersistedConversation>).schemaVersion ?? 1;
  if (version > CONVERSATION_SNAPSHOT_VERSION) throw new Error(`conversation snapshot schema ${version} is newer than this code (${CONVERSATION_SNAPSHOT_VERSION})`);
  let current = persisted as PersistedConversation;
  if (version < 2) current = fromV1(persisted as SnapshotV1, pendingTimers);
  return current;
}

/** The machine snapshot from a persisted one of any known version. */
export function restoreConversation(persisted: unknown, pendingTimers: readonly TimerId[] = []): ConversationSnapshot {
  const current = migrateSnapshot(persisted, pendingTimers);
  return conversationMachine.resolveState(current as unknown as Parameters<typeof conversationMachine.resolveState>[0]);
}
