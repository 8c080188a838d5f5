import type { ConversationEffect, ConversationSettings } from '../../machines/conversation.types';
import { routingPhaseOf } from '../../machines/conversation.status';
import { ConversationHarness, HOUR, T0, agentsOverSip } from '../support/conversation-harness';

/**
 * A customer who writes while the business is closed waits for the opening: the idle close does not close the
 * conversation before it, and the idle period counts from the opening (runs with `patched('idle-waits-for-opening')`,
 * which put `idleWaitsForOpening` on each customer message). Default idle period: 24 h.
 */
const DAY = 24 * HOUR;
const settings: ConversationSettings = { ...agentsOverSip, idleCloseAfterMs: 24 * HOUR };
// Friday 19:00 to Monday 09:00: 62 h closed.
const WEEKEND = 62 * HOUR;

const invites = (effects: ConversationEffect[]) => effects.filter((e) => e.type === 'routeToAgent');

let seq = 0;
type Read = { businessOpen: boolean; opensAt?: number; idleWaitsForOpening?: boolean };
/** A customer text at the harness's clock, as a run with the closed-hours patches hands it over. */
function writes(harness: ConversationHarness, read: Read, sentAt = harness.now) {
  seq += 1;
  return harness.dispatch({ type: 'customer.messageReceived', messageId: `wamid.i${seq}`, sentAt, kind: 'text', at: harness.now, welcomeWaitsForOpening: true, ...read });
}

/** Friday 19:00 (T0), closed until Monday 09:00, default idle period. */
function fridayEvening() {
  const harness = new ConversationHarness(T0);
  harness.dispatch({ type: 'settings.applied', settings, at: T0 });
  return { harness, opensAt: T0 + WEEKEND };
}

describe('the idle close waits for the opening', () => {
  it('keeps a Friday-evening customer open over the weekend, routes them once at Monday 09:00, then closes idle 24 h after the opening', () => {
    const { harness, opensAt } = fridayEvening();
    writes(harness, { businessOpen: false, opensAt, idleWaitsForOpening: true });
    // Saturday 19:00 the window closes; Sunday 19:00 (the idle period after it) nothing closes.
    harness.advance(DAY);
    expect(harness.state).toBe('expiredNeedsTemplate');
    expect(invites(harness.advance(WEEKEND - DAY - 1))).toEqual([]);
    expect(harness.state).toBe('expiredNeedsTemplate');
    expect(harness.snapshot.context.closedReason).toBeNull();

    const atOpening = harness.advance(1);
    expect(invites(atOpening)).toEqual([{ type: 'routeToAgent', params: expect.objectContaining({ attempt: 1, queue: 'support' }) }]);
    expect(routingPhaseOf(harness.snapshot)).toBe('queued');
    expect(harness.send({ type: 'text', text: 'Hello, how can I help?' }).refused).toBe('template_required');

    // Nobody writes: the idle period counts from the opening.
    harness.advance(DAY - 1);
    expect(harness.state).toBe('expiredNeedsTemplate');
    harness.advance(1);
    expect(harness.state).toBe('closed');
    expect(harness.snapshot.context.closedReason).toBe('idle');
    expect(harness.snapshot.context.routing.attempt).toBe(1);
  });

  it('closes idle Sunday 19:00 as before in runs without the flag (older runs), so Monday routes nothing', () => {
    const { harness, opensAt } = fridayEvening();
    writes(harness, { businessOpen: false, opensAt });
    harness.advance(2 * DAY);
    expect(harness.state).toBe('closed');
    expect(harness.snapshot.context.closedReason).toBe('idle');
    expect(invites(harness.advance(WEEKEND - 2 * DAY))).toEqual([]);
  });

  it('keeps the idle period from the window when the window outlasts the opening (a Sunday-evening customer)', () => {
    const harness = new ConversationHarness(T0);
    harness.dispatch({ type: 'settings.applied', settings, at: T0 });
    writes(harness, { businessOpen: false, opensAt: T0 + 14 * HOUR, idleWaitsForOpening: true });
    expect(invites(harness.advance(14 * HOUR))).toHaveLength(1);
    // The window closes 24 h after the message; the idle close comes 24 h after that.
    harness.advance(2 * DAY - 14 * HOUR - 1);
    expect(harness.state).toBe('expiredNeedsTemplate');
    harness.advance(1);
    expect(harness.state).toBe('closed');
  });

  it('holds an idle close already armed when a message delivered after its window passed waits for the opening', () => {
    const { harness, opensAt } = fridayEvening();
    // Thursday 10:00, open: routed at once, nobody reachable (fallback), routing back to idle.
    harness.now = T0 - 33 * HOUR;
    writes(harness, { businessOpen: true, idleWaitsForOpening: true });
    harness.dispatch({ type: 'sip.failed', attempt: 1, status: 404, reason: 'Not Found', at: harness.now });
    expect(routingPhaseOf(harness.snapshot)).toBe('none');
    harness.advance(33 * HOUR); // Friday 19:00: the window closed Friday 10:00, the idle close is due Saturday 10:00.
    expect(harness.state).toBe('expiredNeedsTemplate');
    // Written Thursday 18:00 (after closing), delivered Friday 19:00: too late to reopen the window.
    writes(harness, { businessOpen: false, opensAt, idleWaitsForOpening: true }, harness.now - 25 * HOUR);
    expect(harness.state).toBe('expiredNeedsTemplate');
    expect(invites(harness.advance(WEEKEND - 1))).toEqual([]);
    expect(harness.state).toBe('expiredNeedsTemplate');
    expect(invites(harness.advance(1))).toHaveLength(1);
    harness.advance(DAY - 1);
    expect(harness.state).toBe('expiredNeedsTemplate');
    harness.advance(1);
    expect(harness.state).toBe('closed');
  });

  it('holds the idle close of a first message delivered after its window passed (straight to templates only)', () => {
    const { harness, opensAt } = fridayEvening();
    writes(harness, { businessOpen: false, opensAt, idleWaitsForOpening: true }, harness.now - 25 * HOUR);
    expect(harness.state).toBe('expiredNeedsTemplate');
    expect(harness.timers.idle).toBe(opensAt + DAY);
    expect(invites(harness.advance(WEEKEND))).toHaveLength(1);
    expect(harness.state).toBe('expiredNeedsTemplate');
  });

  it('does not hold the idle close once the conversation no longer waits (routed when the hours changed)', () => {
    const { harness, opensAt } = fridayEvening();
    writes(harness, { businessOpen: false, opensAt, idleWaitsForOpening: true });
    harness.advance(HOUR);
    // The business published new hours and is open now: routed at once, the opening no longer awaited.
    expect(invites(writes(harness, { businessOpen: true, idleWaitsForOpening: true }))).toHaveLength(1);
    harness.dispatch({ type: 'sip.failed', attempt: 1, status: 404, reason: 'Not Found', at: harness.now });
    // The window closes 24 h after the second message, the idle close 24 h later: before the old opening.
    harness.advance(2 * DAY);
    expect(harness.state).toBe('closed');
    expect(harness.now).toBeLessThan(opensAt);
  });
});
