import { fromTransition } from 'xstate/actors';
import { getAdjacencyMap } from 'xstate/graph';
import type { ConversationEffect, ConversationSettings } from '../../machines/conversation.types';
import { holderOf, routingStateOf } from '../../machines/conversation.status';
import { ConversationHarness, HOUR, T0 } from '../support/conversation-harness';

/** Routing with a short retry ladder, so busy loops end in the fallback within the walk. */
const settings: ConversationSettings = {
  version: 1,
  autoReplies: { queue: 'You are in the queue.' },
  chatbot: { enabled: false, timeoutMs: 1_000 },
  route: { queue: 'sales' },
  agentCapacity: 2,
  handOff: { sip: true, retry: { initialMs: 10_000, maxMs: 20_000, maxAttempts: 3 }, fallback: { queue: 'overflow', autoReply: 'Nobody is free.' } },
};

/** What the customer, the contact centre, the agent and the clock can do next. */
const steps = [
  'customerWrites',
  'contactCentreAnswers',
  'contactCentreIsBusy',
  'contactCentreRefuses',
  'contactCentreHangsUp',
  'agentTransfers',
  'retryTimerFires',
  'clockAdvancesTwentyFourHours',
  'conversationClosed',
] as const;
type Step = { type: (typeof steps)[number] };

/** The harness plus what the workflow would know: the attempt in flight and the calls that hold an agent. */
interface Walk {
  harness: ConversationHarness;
  /** The routing attempt whose INVITE is out and unanswered (the workflow runs one at a time). */
  pending: number | null;
  held: string[];
  /** Ids of every message the machine asked to send: the broker dedupes on them, so a repeat would be lost. */
  sentIds: string[];
  violations: string[];
}

const agentOf = (attempt: number) => `agent-${attempt % 2}`;

function clone(walk: Walk): Walk {
  const h = Object.assign(Object.create(ConversationHarness.prototype) as ConversationHarness, walk.harness, { timers: { ...walk.harness.timers }, lastEffects: [] });
  return { ...walk, harness: h, held: [...walk.held], sentIds: [...walk.sentIds], violations: [] };
}

/** Applies what the effects ask, as the workflow's hand-off queue would. */
function absorb(walk: Walk, effects: ConversationEffect[]): void {
  for (const effect of effects) {
    if (effect.type === 'routeToAgent') {
      if (walk.pending !== null) walk.violations.push('a second INVITE while one is unanswered');
      walk.pending = effect.params.attempt;
    }
    if (effect.type === 'releaseAgent') {
      // A BYE we send must name a call that is up (the contact centre's own BYE releases without one).
      if (effect.params.hangUp && !walk.held.includes(effect.params.call.callId)) walk.violations.push(`hung up a call nobody holds: ${effect.params.call.callId}`);
      walk.held = walk.held.filter((c) => c !== effect.params.call.callId);
    }
    if (effect.type === 'sendMessage') {
      if (walk.sentIds.includes(effect.params.messageId)) walk.violations.push(`message id ${effect.params.messageId} reused`);
      walk.sentIds.push(effect.params.messageId);
    }
  }
}

function step(from: Walk, { type }: Step): Walk {
  const walk = clone(from);
  const h = walk.harness;
  const report = (event: Parameters<ConversationHarness['dispatch']>[0]) => absorb(walk, h.dispatch(event));
  const answered = walk.pending;
  switch (type) {
    case 'customerWrites':
      absorb(walk, h.customerWrites());
      break;
    case 'contactCentreAnswers':
      if (answered === null) break;
      walk.pending = null;
      // An answer after the close is hung up by the workflow itself, never reaching the machine.
      if (h.snapshot.status === 'done') break;
      walk.held.push(`call-${answered}`);
      report({ type: 'sip.answered', attempt: answered, agentId: agentOf(answered), call: { callId: `call-${answered}` }, at: h.now });
      break;
    case 'contactCentreIsBusy':
      if (answered === null) break;
      walk.pending = null;
      report({ type: 'sip.busy', attempt: answered, status: 486, reason: 'Busy Here', at: h.now });
      break;
    case 'contactCentreRefuses':
      if (answered === null) break;
      walk.pending = null;
      report({ type: 'sip.failed', attempt: answered, status: 404, reason: 'Not Found', at: h.now });
      break;
    case 'contactCentreHangsUp': {
      const call = walk.held[0];
      if (!call) break;
      walk.held = walk.held.filter((c) => c !== call); // their BYE ends the call, whatever the machine thinks of it
      report({ type: 'agent.released', callId: call, at: h.now });
      break;
    }
    case 'agentTransfers':
      if (holderOf(h.snapshot)) report({ type: 'agent.transferRequested', by: { kind: 'agent', id: holderOf(h.snapshot)!.agentId }, to: { queue: 'billing' }, at: h.now });
      break;
    case 'retryTimerFires':
      if (h.timers.routeRetry === undefined) break;
      h.advance(h.timers.routeRetry - h.now);
      absorb(walk, h.lastEffects);
      break;
    case 'clockAdvancesTwentyFourHours':
      h.advance(24 * HOUR);
      absorb(walk, h.lastEffects);
      break;
    case 'conversationClosed':
      if (h.snapshot.status !== 'done') report({ type: 'conversation.closeRequested', by: { kind: 'integrator' }, at: h.now });
      break;
  }
  check(walk);
  return walk;
}

function check(walk: Walk): void {
  const h = walk.harness;
  const routing = h.snapshot.context.routing;
  const state = routingStateOf(h.snapshot);
  const holder = holderOf(h.snapshot);
  if (h.state === 'handedToAgent' && holder === null) walk.violations.push('handedToAgent without an assigned agent');
  // One representation: the assignment's data exists exactly while the region is `assigned`.
  if ((routing.assignment !== null) !== (state === 'assigned')) walk.violations.push('an assignment outside the assigned state, or none inside it');
  if (holder && !walk.held.includes(holder.call.callId)) walk.violations.push('assigned to a call nobody holds');
  // Never stuck: queued has an INVITE out, retrying its retry timer set.
  if (state === 'queued' && walk.pending === null) walk.violations.push('queued with no INVITE out');
  if (state === 'retrying' && (h.timers.routeRetry === undefined || walk.pending !== null)) walk.violations.push('retrying without its timer, or with an INVITE out');
  if (h.snapshot.status === 'done' && walk.held.length > 0) walk.violations.push(`closed while holding ${walk.held.join(', ')}`);
}

/**
 * A coarse, finite abstraction (the window only as open or not, timers only as set or not): the walk explores every
 * combination of routing moves; the exact clock arithmetic is the first graph walk's business.
 */
function serialize(walk: Walk): string {
  const h = walk.harness;
  const ctx = h.snapshot.context;
  const rel = (t: number | null | undefined) => (t === null || t === undefined ? null : t > h.now);
  return JSON.stringify([
    h.state,
    h.snapshot.status,
    routingStateOf(h.snapshot),
    ctx.routing.queue,
    ctx.routing.busyCount,
    ctx.routing.queueNoticeSent,
    walk.pending === null,
    walk.held.length,
    holderOf(h.snapshot) === null,
    rel(ctx.windowClosesAt),
    rel(h.timers.routeRetry),
    rel(h.timers.idle),
  ]);
}

describe('every path of a conversation on its way to an agent', () => {
  const start = new ConversationHarness(T0);
  start.dispatch({ type: 'settings.applied', settings, at: T0 });
  const logic = fromTransition((walk: Walk, event: Step) => step(walk, event), { harness: start, pending: null, held: [], sentIds: [], violations: [] } as Walk);
  const options = { events: steps.map((type) => ({ type })), serializeState: (s: { context: Walk }) => serialize(s.context), limit: 20_000 };

  it('never leaves a conversation queued with nothing under way, never holds a call it cannot hang up, and closes with none held', () => {
    const adjacency = getAdjacencyMap(logic, options);
    const nodes = Object.values(adjacency);
    const violations = nodes.flatMap((node) =>
      Object.entries(node.transitions).flatMap(([event, edge]) =>
        (edge as { state: { context: Walk } }).state.context.violations.map((violation) => `${serialize(node.state.context)} --${event}--> ${violation}`),
      ),
    );
    expect(violations.slice(0, 10)).toEqual([]);
    // Not vacuous: the walk reaches every routing state but the bot's (no bot here) and the agent's session state.
    const states = new Set(nodes.map((node) => routingStateOf(node.state.context.harness.snapshot) ?? 'closed'));
    expect(states).toEqual(new Set(['idle', 'queued', 'retrying', 'assigned', 'closed']));
    expect(new Set(nodes.map((node) => node.state.context.harness.state))).toEqual(new Set(['inbound', 'openSession', 'handedToAgent', 'expiredNeedsTemplate', 'closed']));
    expect(nodes.length).toBeGreaterThan(100);
  });
});
