import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { transition } from 'xstate';
import { toEffects } from '../../machines/conversation.effects';
import { conversationMachine } from '../../machines/conversation.machine';
import { CONVERSATION_SNAPSHOT_VERSION, migrateSnapshot, persistConversation, restoreConversation } from '../../machines/conversation.snapshot';
import { holderOf, routingStateOf, stateNameOf, toConversationStatus, type ConversationStatus } from '../../machines/conversation.status';
import type { TimerId } from '../../machines/conversation.types';

/**
 * Version-1 snapshots (from before the routing region) taken from the committed histories: each history in
 * test/workflows/histories was replayed against the code of that time, and the snapshot after every transition kept
 * with the workflow's timer table and the status that code projected at that moment (one per distinct state).
 */
interface OldStep {
  history: string;
  step: number;
  eventType: string;
  at: number;
  timers: Partial<Record<TimerId, number>>;
  snapshot: { value: unknown; context: { agentId: string | null; routing?: { phase: string; call: { callId: string } | null } } };
  status: ConversationStatus;
}
const oldSteps = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'conversation-snapshots.v1.json'), 'utf8')) as OldStep[];
const restore = (old: OldStep) => restoreConversation(JSON.parse(JSON.stringify(old.snapshot)), Object.keys(old.timers) as TimerId[]);
const find = (history: string, eventType: string) => oldSteps.find((s) => s.history === history && s.eventType === eventType)!;

describe('conversation snapshots carried by runs of older code (schema version 1)', () => {
  it('covers every routing phase and session state of version 1 (not vacuous)', () => {
    expect(new Set(oldSteps.map((s) => s.snapshot.context.routing?.phase ?? 'absent'))).toEqual(new Set(['absent', 'none', 'bot', 'queued', 'assigned']));
    expect(new Set(oldSteps.map((s) => JSON.stringify(s.snapshot.value)))).toEqual(
      new Set(['"inbound"', '{"session":"openSession"}', '{"session":"handedToAgent"}', '"expiredNeedsTemplate"', '"closed"']),
    );
  });

  it.each(oldSteps.map((s) => [`${s.history} #${s.step} (${s.eventType})`, s] as const))('%s: migrated, shows callers exactly what the old code showed', (_name, old) => {
    const restored = restore(old);
    expect(toConversationStatus(restored, old.at)).toEqual(old.status);
    // One representation of who holds it: the assignment exists exactly while the routing region is `assigned`.
    expect(restored.context.routing.assignment !== null).toBe(routingStateOf(restored) === 'assigned');
    expect(holderOf(restored)?.agentId ?? null).toBe(old.snapshot.context.agentId);
    expect(stateNameOf(restored)).toBe(old.status.state);
  });

  it('tells a wait for the retry timer (retrying) from an INVITE in flight (queued) by the carried timers, and retries on time', () => {
    const waiting = find('agent-routing-busy-then-answer.json', 'sip.busy');
    expect(waiting.snapshot.context.routing?.phase).toBe('queued');
    expect(routingStateOf(restore(waiting))).toBe('retrying');
    expect(routingStateOf(restore(find('agent-routing-busy-then-answer.json', 'customer.messageReceived')))).toBe('queued');

    const [next, actions] = transition(conversationMachine, restore(waiting), { type: 'routing.retryDue', at: waiting.timers.routeRetry! });
    expect(toEffects(actions)).toEqual([{ type: 'routeToAgent', params: expect.objectContaining({ attempt: 2, queue: 'sales' }) }]);
    expect(routingStateOf(next)).toBe('queued');
  });

  it('releases the agent of a migrated assignment without hanging up when the contact centre does, and hangs up on close', () => {
    const held = find('sip-chat-page-mode.json', 'customer.messageReceived');
    const call = held.snapshot.context.routing!.call!;
    const [released, onBye] = transition(conversationMachine, restore(held), { type: 'agent.released', callId: call.callId, at: held.at + 1 });
    expect(toEffects(onBye)).toEqual([{ type: 'releaseAgent', params: expect.objectContaining({ agentId: 'agent-1', call, hangUp: false }) }]);
    expect([stateNameOf(released), holderOf(released)]).toEqual(['openSession', null]);

    const [closed, onClose] = transition(conversationMachine, restore(held), { type: 'conversation.closeRequested', by: { kind: 'integrator' }, at: held.at + 1 });
    expect(toEffects(onClose)).toEqual([{ type: 'releaseAgent', params: expect.objectContaining({ agentId: 'agent-1', call, hangUp: true }) }]);
    expect(closed.status).toBe('done');
  });

  it('writes the current version, and leaves a current snapshot as it is', () => {
    const current = persistConversation(restore(find('agent-routing-bot-hand-off.json', 'sip.answered')));
    expect(current.schemaVersion).toBe(CONVERSATION_SNAPSHOT_VERSION);
    const roundTrip = JSON.parse(JSON.stringify(current));
    expect(migrateSnapshot(roundTrip)).toEqual(roundTrip);
    expect(persistConversation(restoreConversation(roundTrip))).toEqual(current);
  });

  it('refuses a snapshot from a newer schema instead of guessing (a rollback past a schema change)', () => {
    expect(() => migrateSnapshot({ schemaVersion: CONVERSATION_SNAPSHOT_VERSION + 1, value: 'closed', context: {} })).toThrow(/newer than this code/);
  });
});
