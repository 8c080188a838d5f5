import type { ConversationEffect, ConversationSettings } from '../../machines/conversation.types';
import { routingPhaseOf } from '../../machines/conversation.status';
import { ConversationHarness, HOUR, T0, sends, agentsOverSip } from '../support/conversation-harness';

// A customer who writes while the business is closed is routed to an agent when it opens, without writing again.
const MINUTE = 60_000;
const settings = agentsOverSip;

const invites = (effects: ConversationEffect[]) => effects.filter((e) => e.type === 'routeToAgent');

let seq = 0;
/** A customer text at the harness's clock, as a run with `patched('routes-at-opening')` hands it over. */
function writes(harness: ConversationHarness, read: { businessOpen: boolean; opensAt?: number }, sentAt = harness.now) {
  seq += 1;
  return harness.dispatch({ type: 'customer.messageReceived', messageId: `wamid.o${seq}`, sentAt, kind: 'text', at: harness.now, welcomeWaitsForOpening: true, ...read });
}

function closedUntil(opensInMs: number, applied: ConversationSettings = settings) {
  const harness = new ConversationHarness(T0);
  harness.dispatch({ type: 'settings.applied', settings: applied, at: T0 });
  const opensAt = T0 + opensInMs;
  return { harness, opensAt };
}

describe('routing at opening time', () => {
  it('routes a customer who wrote at 08:12 (closed) at 09:00, without their writing again', () => {
    const { harness, opensAt } = closedUntil(48 * MINUTE);
    const first = writes(harness, { businessOpen: false, opensAt });
    expect(invites(first)).toEqual([]);
    expect(sends(first)).toHaveLength(1); // the out-of-hours notice
    expect(routingPhaseOf(harness.snapshot)).toBe('none');

    expect(invites(harness.advance(48 * MINUTE - 1))).toEqual([]);
    const atOpening = harness.advance(1);
    expect(invites(atOpening)).toEqual([{ type: 'routeToAgent', params: expect.objectContaining({ attempt: 1, queue: 'support' }) }]);
    expect(routingPhaseOf(harness.snapshot)).toBe('queued');
  });

  it('routes once when the customer writes again before opening, and once when they write after opening before the timer', () => {
    const { harness, opensAt } = closedUntil(48 * MINUTE);
    writes(harness, { businessOpen: false, opensAt });
    harness.advance(10 * MINUTE);
    expect(invites(writes(harness, { businessOpen: false, opensAt }))).toEqual([]);
    expect(invites(harness.advance(38 * MINUTE))).toHaveLength(1);
    // A message in opening hours while an attempt is out routes nothing more.
    expect(invites(writes(harness, { businessOpen: true }))).toEqual([]);
    expect(invites(harness.advance(2 * HOUR))).toEqual([]);
    expect(harness.snapshot.context.routing.attempt).toBe(1);

    // Written at 08:59, read open at 09:00 exactly (the opening timer not fired yet): routed by the message, the timer dropped.
    const other = closedUntil(48 * MINUTE);
    writes(other.harness, { businessOpen: false, opensAt: other.opensAt });
    other.harness.advance(48 * MINUTE - 1);
    other.harness.now += 1;
    expect(invites(writes(other.harness, { businessOpen: true }))).toHaveLength(1);
    expect(other.harness.timers.opening).toBeUndefined();
    expect(invites(other.harness.advance(HOUR))).toEqual([]);
    expect(other.harness.snapshot.context.routing.attempt).toBe(1);
  });

  it('routes nothing if the conversation was closed before opening', () => {
    const { harness, opensAt } = closedUntil(48 * MINUTE);
    writes(harness, { businessOpen: false, opensAt });
    harness.dispatch({ type: 'conversation.closeRequested', by: { kind: 'integrator' }, at: harness.now });
    expect(invites(harness.advance(HOUR))).toEqual([]);
    expect(harness.state).toBe('closed');
  });

  it('routes at opening after the window has closed (a weekend): the agent then needs a template', () => {
    // Written Saturday 10:00, open Monday 09:00: the window closed Sunday 10:00; the conversation idles 72 h.
    const { harness, opensAt } = closedUntil(47 * HOUR, { ...settings, idleCloseAfterMs: 72 * HOUR });
    writes(harness, { businessOpen: false, opensAt });
    const atOpening = harness.advance(47 * HOUR);
    expect(invites(atOpening)).toHaveLength(1);
    expect(harness.state).toBe('expiredNeedsTemplate');
    expect(harness.send({ type: 'text', text: 'Hello, how can I help?' }).refused).toBe('template_required');
  });

  it('routes nothing at opening when the conversation closed idle first (window over, idle period shorter than the wait)', () => {
    const { harness, opensAt } = closedUntil(47 * HOUR, { ...settings, idleCloseAfterMs: 12 * HOUR });
    writes(harness, { businessOpen: false, opensAt });
    expect(invites(harness.advance(47 * HOUR))).toEqual([]);
    expect(harness.state).toBe('closed');
  });

  it('waits for the next message as before in runs that pass no opening time (older runs), and without a SIP connector', () => {
    const older = closedUntil(48 * MINUTE);
    writes(older.harness, { businessOpen: false });
    expect(invites(older.harness.advance(2 * HOUR))).toEqual([]);
    expect(invites(writes(older.harness, { businessOpen: true }))).toHaveLength(1);

    const noSip = closedUntil(48 * MINUTE, { ...settings, handOff: { ...settings.handOff!, sip: false } });
    writes(noSip.harness, { businessOpen: false, opensAt: noSip.opensAt });
    expect(invites(noSip.harness.advance(2 * HOUR))).toEqual([]);
    expect(noSip.harness.timers.opening).toBeUndefined();
  });
});
