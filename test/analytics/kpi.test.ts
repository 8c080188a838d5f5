import { KpiAccumulator, percentile } from '../../analytics/kpi.aggregate';
import { kpisToTable } from '../../analytics/kpi.format';
import { buildTimeline } from '../../analytics/timeline.build';
import type { RunMeta } from '../../analytics/history.meta';
import type { TimelineContext, TimelineRecord, TimelineStart } from '../../machines/conversation.timeline';
import type { ConversationStateName } from '../../machines/conversation.types';

const T0 = Date.UTC(2026, 10, 25, 9);
const MINUTE = 60_000;
const meta: RunMeta = { workflowType: 'conversationWorkflow', startedAt: T0, lastEventAt: T0 + 60 * MINUTE, ending: 'running', eventCount: 20 };
const context = (over: Partial<TimelineContext> = {}): TimelineContext => ({ agentId: null, windowClosesAt: null, firstInboundAt: null, firstResponseAt: null, ...over });
const start = (over: Partial<TimelineStart> = {}): TimelineStart => ({ conversationId: 'wa:1:2', generation: T0, continued: false, state: 'inbound', at: T0, context: context(), ...over });
const record = (eventType: string, from: ConversationStateName, to: ConversationStateName, minute: number, after: Partial<TimelineContext>, extra: Partial<TimelineRecord> = {}): TimelineRecord => ({
  eventType,
  from,
  to,
  at: T0 + minute * MINUTE,
  after: context(after),
  ...extra,
});

/**
 * The SIP and chatbot events arrive with another part of the system; these records are shaped like the ones the
 * workflow will report for them, so hold time and the bot hand-off rate are known to light up.
 */
const botThenAgent = (id: string, answeredAfterMinutes: number) => {
  const inbound = { firstInboundAt: T0 };
  return buildTimeline({ conversationId: id, runId: `run-${id}` }, meta, start({ conversationId: id }), [
    record('customer.messageReceived', 'inbound', 'openSession', 0, inbound),
    record('business.sendRequested', 'openSession', 'openSession', 1, { ...inbound, firstResponseAt: T0 + MINUTE }, { senderKind: 'bot', messageType: 'text', messageId: 'm1' }),
    record('bot.handOffRequested', 'openSession', 'openSession', 2, { ...inbound, firstResponseAt: T0 + MINUTE }),
    record('sip.busy', 'openSession', 'openSession', 3, { ...inbound, firstResponseAt: T0 + MINUTE }, { status: 486 }),
    record('sip.answered', 'openSession', 'handedToAgent', answeredAfterMinutes, { ...inbound, firstResponseAt: T0 + MINUTE, agentId: 'agent-7' }, { agentId: 'agent-7' }),
  ]);
};

describe('KPIs from timelines', () => {
  it('counts messages by WhatsApp type, inbound by kind and outbound by the type sent', () => {
    const inbound = { firstInboundAt: T0 };
    const timeline = buildTimeline({ conversationId: 'wa:1:t', runId: 'run-t' }, meta, start({ conversationId: 'wa:1:t' }), [
      record('customer.messageReceived', 'inbound', 'openSession', 0, inbound, { kind: 'audio' }),
      record('customer.messageReceived', 'openSession', 'openSession', 1, inbound, { kind: 'location' }),
      record('customer.messageReceived', 'openSession', 'openSession', 2, inbound, { kind: 'audio' }),
      record('business.sendRequested', 'openSession', 'openSession', 3, { ...inbound, firstResponseAt: T0 + 3 * MINUTE }, { messageType: 'text', messageId: 'm1' }),
    ]);
    expect(timeline.messagesByType).toEqual({ inbound: { audio: 2, location: 1 }, outbound: { text: 1 } });
    const kpis = new KpiAccumulator();
    kpis.add(timeline);
    kpis.add(timeline);
    expect(kpis.result().messagesByType).toEqual({ inbound: { audio: 4, location: 2 }, outbound: { text: 2 } });
    expect(kpisToTable(kpis.result())).toMatch(/^messages by type\s+inbound audio 4, location 2; outbound text 2$/m);
  });

  it('computes the median and p90 by interpolating between ranks', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([4, 2], 0.5)).toBe(3);
    expect(percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.9)).toBe(91);
  });

  it('measures hold time to the agent answering and the bot hand-off rate once SIP and bot events appear', () => {
    const first = botThenAgent('wa:1:a', 6);
    expect(first.holdMs).toBe(6 * MINUTE);
    expect(first.handOffs).toEqual([
      { at: new Date(T0 + 2 * MINUTE).toISOString(), kind: 'botHandOff', eventType: 'bot.handOffRequested' },
      { at: new Date(T0 + 6 * MINUTE).toISOString(), kind: 'agentAssigned', eventType: 'sip.answered', agentId: 'agent-7' },
    ]);
    const kpis = new KpiAccumulator();
    kpis.add(first);
    kpis.add(botThenAgent('wa:1:b', 10));
    const botOnly = buildTimeline({ conversationId: 'wa:1:c', runId: 'run-c' }, meta, start({ conversationId: 'wa:1:c' }), [
      record('customer.messageReceived', 'inbound', 'openSession', 0, { firstInboundAt: T0 }),
      record('bot.replied', 'openSession', 'openSession', 1, { firstInboundAt: T0 }),
    ]);
    kpis.add(botOnly);
    const result = kpis.result();
    expect(result.holdTime).toEqual({ count: 2, medianMs: 8 * MINUTE, p90Ms: 9.6 * MINUTE });
    expect(result.bot).toEqual({ conversations: 3, handOffs: 2, handOffRate: 2 / 3 });
    expect(result.conversationsByState).toMatchObject({ handedToAgent: 2, openSession: 1 });
    expect(kpisToTable(result)).toMatch(/^bot hand-off rate\s+66\.7 % \(2 of 3 bot conversations\)$/m);
    expect(kpisToTable(result)).toMatch(/^hold time \(first inbound → agent\)\s+median 8 min 0 s, p90 9 min 36 s \(2 conversations\)$/m);
  });

  it('counts a conversation once across continue-as-new, and only its last run for its state', () => {
    const kpis = new KpiAccumulator();
    const firstRun = buildTimeline({ conversationId: 'wa:1:d', runId: 'r1' }, { ...meta, ending: 'continuedAsNew' }, start({ conversationId: 'wa:1:d' }), [
      record('customer.messageReceived', 'inbound', 'openSession', 0, { firstInboundAt: T0 }),
      record('business.sendRequested', 'openSession', 'openSession', 3, { firstInboundAt: T0, firstResponseAt: T0 + 3 * MINUTE }, { messageType: 'text' }),
    ]);
    const carried = context({ firstInboundAt: T0, firstResponseAt: T0 + 3 * MINUTE });
    const secondRun = buildTimeline({ conversationId: 'wa:1:d', runId: 'r2' }, meta, start({ conversationId: 'wa:1:d', continued: true, state: 'openSession', at: T0 + 50 * MINUTE, context: carried }), [
      record('business.sendRequested', 'openSession', 'openSession', 51, carried, { messageType: 'text' }),
    ]);
    kpis.add(firstRun);
    kpis.add(secondRun);
    expect(secondRun.conversationKey).toBe(firstRun.conversationKey);
    expect(secondRun.firstResponseMs).toBeNull();
    expect(kpis.result()).toMatchObject({ conversations: 1, runs: 2, firstResponseTime: { count: 1, medianMs: 3 * MINUTE }, messages: { outboundSession: 2 } });
    expect(kpis.result().conversationsByState.openSession).toBe(1);
  });
});
