import type { PathStep } from '../machines/conversation.diagram';
import type { TimelineRecord, TimelineStart } from '../machines/conversation.timeline';
import type { ConversationStateName } from '../machines/conversation.types';
import { analyticsEvents, botEvents, botHandOffEvents, failureEvents, failureKey } from './analytics.events';
import type { RunEnding, RunMeta } from './history.meta';

export interface StateSpan {
  state: ConversationStateName;
  enteredAt: string;
  /** Null for the state the run ended in (or is still in). */
  leftAt: string | null;
  durationMs: number | null;
}

export interface TimelineEvent extends Omit<TimelineRecord, 'at' | 'after'> {
  at: string;
}

/** One run of a conversation, rebuilt from what its workflow reported while it replayed. */
export interface Timeline {
  conversationId: string;
  runId: string;
  /** Names the conversation across continue-as-new runs: `<workflow id>@<start of the conversation, ISO>`. */
  conversationKey: string;
  /** This run continues an earlier one of the same conversation. */
  continued: boolean;
  startedAt: string;
  endedAt: string | null;
  ending: RunEnding;
  finalState: ConversationStateName;
  states: StateSpan[];
  messages: { inbound: number; outboundSession: number; outboundTemplate: number };
  /** Messages by WhatsApp type: inbound by kind (text, audio, location…; `image` for runs from before kinds), outbound by type. */
  messagesByType: { inbound: Record<string, number>; outbound: Record<string, number> };
  windowExpiries: { at: string; cause: string }[];
  handOffs: { at: string; kind: 'agentAssigned' | 'botHandOff'; eventType: string; agentId?: string }[];
  failures: { at: string; eventType: string; key: string; messageId?: string; title?: string }[];
  /** First inbound to the first agent assignment, when it happened in this run. */
  holdMs: number | null;
  /** First inbound to the first answer, when it happened in this run. */
  firstResponseMs: number | null;
  bot: { involved: boolean; handedOff: boolean };
  /** Outbound message ids, for the delivery and pricing facts kept in MongoDB. */
  outboundMessageIds: string[];
  /** The transitions that changed state, in order: the conversation's path through the machine's diagram. */
  path: PathStep[];
  events: TimelineEvent[];
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Builds a run's timeline. Reads only what the workflow reported; none of the machine's rules are repeated here. */
export function buildTimeline(ids: { conversationId: string; runId: string }, meta: RunMeta, start: TimelineStart | undefined, records: readonly TimelineRecord[]): Timeline {
  const startedAt = start?.at ?? meta.startedAt;
  let state: ConversationStateName = start?.state ?? records[0]?.from ?? 'inbound';
  let context = start?.context ?? { agentId: null, windowClosesAt: null, firstInboundAt: null, firstResponseAt: null };
  const t: Timeline = {
    conversationId: ids.conversationId,
    runId: ids.runId,
    conversationKey: `${ids.conversationId}@${iso(start?.generation ?? meta.startedAt)}`,
    continued: start?.continued ?? false,
    startedAt: iso(meta.startedAt),
    endedAt: meta.ending === 'running' ? null : iso(meta.lastEventAt),
    ending: meta.ending,
    finalState: state,
    states: [{ state, enteredAt: iso(startedAt), leftAt: null, durationMs: null }],
    messages: { inbound: 0, outboundSession: 0, outboundTemplate: 0 },
    messagesByType: { inbound: {}, outbound: {} },
    windowExpiries: [],
    handOffs: [],
    failures: [],
    holdMs: null,
    firstResponseMs: null,
    bot: { involved: false, handedOff: false },
    outboundMessageIds: [],
    path: [],
    events: [],
  };
  for (const record of records) {
    const { after, at: atMs, ...fields } = record;
    const at = iso(atMs);
    t.events.push({ ...fields, at });
    if (record.to !== state) {
      const current = t.states[t.states.length - 1]!;
      current.leftAt = at;
      current.durationMs = atMs - Date.parse(current.enteredAt);
      t.states.push({ state: record.to, enteredAt: at, leftAt: null, durationMs: null });
      t.path.push({ event: record.eventType, from: record.from, to: record.to });
      if (record.to === 'expiredNeedsTemplate' && record.from !== 'inbound') t.windowExpiries.push({ at, cause: record.eventType });
      if (record.to === 'handedToAgent') t.handOffs.push({ at, kind: 'agentAssigned', eventType: record.eventType, ...(after.agentId ? { agentId: after.agentId } : {}) });
      state = record.to;
    }
    countRecord(t, record, at);
    if (context.agentId === null && after.agentId !== null && after.firstInboundAt !== null) t.holdMs ??= atMs - after.firstInboundAt;
    if (context.firstResponseAt === null && after.firstResponseAt !== null && after.firstInboundAt !== null) {
      t.firstResponseMs ??= after.firstResponseAt - after.firstInboundAt;
    }
    context = after;
  }
  t.finalState = state;
  return t;
}

function countRecord(t: Timeline, record: TimelineRecord, at: string): void {
  if (record.eventType === analyticsEvents.inbound) {
    t.messages.inbound += 1;
    countType(t.messagesByType.inbound, record.kind);
  }
  if (record.eventType === analyticsEvents.send) {
    countType(t.messagesByType.outbound, record.messageType);
    if (record.messageType === 'template') t.messages.outboundTemplate += 1;
    else t.messages.outboundSession += 1;
    if (record.messageId) t.outboundMessageIds.push(record.messageId);
  }
  if (failureEvents.includes(record.eventType)) {
    t.failures.push({ at, eventType: record.eventType, key: failureKey(record.eventType, record.code ?? record.status), ...(record.messageId ? { messageId: record.messageId } : {}), ...(record.title ? { title: record.title } : {}) });
  }
  if (record.senderKind === 'bot' || botEvents.includes(record.eventType)) t.bot.involved = true;
  if (botHandOffEvents.includes(record.eventType)) {
    t.bot.handedOff = true;
    t.handOffs.push({ at, kind: 'botHandOff', eventType: record.eventType });
  }
}

function countType(counts: Record<string, number>, type: string | undefined): void {
  const key = type ?? 'unknown';
  counts[key] = (counts[key] ?? 0) + 1;
}
