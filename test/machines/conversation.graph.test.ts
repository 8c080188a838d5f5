import { fromTransition } from 'xstate/actors';
import { getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import { isWindowOpenAt } from '../../machines/conversation.rules';
import { holderOf } from '../../machines/conversation.status';
import { ConversationHarness, HOUR, sends, template, text } from '../support/conversation-harness';

/** What a user or the clock can do next; each step is applied to a fresh copy of the harness. */
const steps = [
  'customerWrites',
  'customerMessageArrivesTwoHoursLate',
  'agentSendsText',
  'agentSendsTemplate',
  'brokerRefusesWindowClosed',
  'clockAdvancesOneHour',
  'clockAdvancesTwentyThreeHours',
  'supervisorCloses',
] as const;
type Step = { type: (typeof steps)[number] };

interface Checked {
  harness: ConversationHarness;
  violations: string[];
}

function clone(h: ConversationHarness): ConversationHarness {
  const copy = Object.create(ConversationHarness.prototype) as ConversationHarness;
  return Object.assign(copy, h, { timers: { ...h.timers }, lastEffects: [] });
}

/** Applies one step and checks the invariants on that edge. */
function step(from: ConversationHarness, { type }: Step): Checked {
  const h = clone(from);
  const violations: string[] = [];
  const before = h.snapshot;
  const windowWasOpen = isWindowOpenAt(before.context, h.now);
  const closed = before.status === 'done';
  switch (type) {
    case 'customerWrites':
      h.customerWrites();
      if (!closed && h.snapshot.context.windowClosesAt !== h.now + 24 * HOUR) violations.push('an inbound message did not move the deadline to 24 h after it');
      break;
    case 'customerMessageArrivesTwoHoursLate':
      h.customerWrites(h.now - 2 * HOUR);
      if ((h.snapshot.context.windowClosesAt ?? 0) < (before.context.windowClosesAt ?? 0)) violations.push('a late message moved the deadline back');
      break;
    case 'agentSendsText': {
      const { refused, effects } = h.send(text());
      if (!windowWasOpen && sends(effects).length > 0) violations.push('a session message was sent with the window closed');
      if (windowWasOpen && !closed && refused) violations.push(`a session message was refused (${refused}) inside the window`);
      if (!refused && sends(effects).length !== 1) violations.push('an accepted send emitted no sendMessage');
      break;
    }
    case 'agentSendsTemplate': {
      const { refused, effects } = h.send(template());
      if (!closed && (refused || sends(effects).length !== 1)) violations.push(`a template was refused in state ${h.state}`);
      if (closed && refused !== 'conversation_closed') violations.push('a template was accepted by a closed conversation');
      break;
    }
    case 'brokerRefusesWindowClosed':
      h.dispatch({ type: 'broker.rejected', messageId: 'msg_x', code: 131047, title: 'Re-engagement message', at: h.now });
      if (!closed && h.state !== 'expiredNeedsTemplate' && h.state !== 'inbound') violations.push(`131047 left the conversation in ${h.state}`);
      break;
    case 'clockAdvancesOneHour':
      h.advance(HOUR);
      break;
    case 'clockAdvancesTwentyThreeHours':
      h.advance(23 * HOUR);
      break;
    case 'supervisorCloses':
      h.dispatch({ type: 'conversation.closeRequested', by: { kind: 'agent', id: 'sup' }, at: h.now });
      break;
  }
  const ctx = h.snapshot.context;
  if ((h.state === 'openSession' || h.state === 'handedToAgent') && h.timers.window !== ctx.windowClosesAt) {
    violations.push('the window timer does not match the deadline');
  }
  if (h.state === 'expiredNeedsTemplate' && h.timers.idle === undefined) violations.push('an expired conversation has no idle timer');
  if ((h.state === 'openSession' || h.state === 'handedToAgent') && !isWindowOpenAt(ctx, h.now)) violations.push('a session state with the window closed');
  return { harness: h, violations };
}

/** Exact abstraction: every time relative to the clock, so equal keys behave identically from here on. */
function serialize(checked: Checked): string {
  const h = checked.harness;
  const rel = (t: number | null | undefined) => (t === null || t === undefined ? null : t - h.now);
  // A deadline already passed behaves the same however long ago it was (any new message supersedes it).
  const deadline = (t: number | null) => (t !== null && t <= h.now ? 'past' : rel(t));
  const ctx = h.snapshot.context;
  return JSON.stringify([
    h.state,
    deadline(ctx.windowClosesAt),
    rel(h.timers.window),
    rel(h.timers.idle),
    holderOf(h.snapshot)?.agentId ?? null,
    ctx.firstInboundAt === null,
    ctx.firstResponseAt === null,
  ]);
}

describe('every path through the conversation machine', () => {
  const logic = fromTransition((checked: Checked, event: Step) => step(checked.harness, event), {
    harness: new ConversationHarness(),
    violations: [],
  } as Checked);
  const options = {
    events: steps.map((type) => ({ type })),
    serializeState: (s: { context: Checked }) => serialize(s.context),
    // The abstraction keeps the graph finite; if a change breaks that, fail fast instead of exhausting memory.
    limit: 20_000,
  };

  it('keeps the WhatsApp invariants on every reachable transition, paths of 8 events and beyond included', () => {
    const adjacency = getAdjacencyMap(logic, options);
    const states = Object.values(adjacency);
    const violations = states.flatMap((node) =>
      Object.entries(node.transitions).flatMap(([event, edge]) =>
        (edge as { state: { context: Checked } }).state.context.violations.map(
          (violation) => `${serialize(node.state.context)} --${event}--> ${violation}`,
        ),
      ),
    );
    const depth = Math.max(...getShortestPaths(logic, options).map((path) => path.steps.length));

    expect(violations).toEqual([]);
    // Guard against a vacuous walk: the graph must reach every named state and paths deeper than 8 steps.
    expect(new Set(states.map((node) => node.state.context.harness.state))).toEqual(
      new Set(['inbound', 'openSession', 'expiredNeedsTemplate', 'closed']),
    );
    expect(depth).toBeGreaterThanOrEqual(8);
    expect(states.length * steps.length).toBeGreaterThan(200);
  });
});
