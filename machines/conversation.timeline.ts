import { holderOf, stateNameOf, type ConversationSnapshot } from './conversation.status';
import type { ConversationEvent, ConversationStateName } from './conversation.types';

/**
 * What the workflow reports to analysts after each machine transition (through a Temporal sink, so it creates no
 * commands and replays unchanged). Flat JSON: the event's identifying fields, never message bodies.
 */
export interface TimelineRecord {
  eventType: string;
  from: ConversationStateName;
  to: ConversationStateName;
  /** Workflow time the event was handled (epoch ms): the workflow task's time, so a real event time. */
  at: number;
  messageId?: string;
  /** Inbound: the message's kind (text, image, audio, location… see InboundKind). */
  kind?: string;
  /** Sends: text, image, template. */
  messageType?: string;
  templateName?: string;
  /** Who sent or closed: agent, integrator, bot, system. */
  senderKind?: string;
  senderId?: string;
  /** Inbound: the payload time of the customer's message (epoch ms). */
  sentAt?: number;
  /** Broker, SIP or bot failures. */
  code?: number | string;
  title?: string;
  reason?: string;
  status?: number | string;
  queue?: string;
  /** SIP and agent events: the agent named by the event. */
  agentId?: string;
  /** `customer.called`: Meta's call id and the call's own time (epoch ms). */
  callId?: string;
  calledAt?: number;
  /** The machine's context after the event: analysts read these instead of re-deriving the machine's rules. */
  after: TimelineContext;
}

export interface TimelineContext {
  agentId: string | null;
  windowClosesAt: number | null;
  firstInboundAt: number | null;
  firstResponseAt: number | null;
}

/** Where a run began: the state it started in and what it carried from earlier runs of the conversation. */
export interface TimelineStart {
  conversationId: string;
  /** When the conversation began (epoch ms); with the workflow id it names the conversation across runs. */
  generation: number;
  /** True for a run continued from an earlier one (continue-as-new with the machine's state carried). */
  continued: boolean;
  state: ConversationStateName;
  at: number;
  /** The machine's context as the run began. */
  context: TimelineContext;
}

/** Scalar event fields worth keeping; anything else (bodies, customer profile) stays out of the record. */
const scalarFields = ['messageId', 'kind', 'sentAt', 'code', 'title', 'reason', 'status', 'queue', 'agentId', 'calledAt'] as const;

const contextOf = (snapshot: ConversationSnapshot): TimelineContext => ({
  agentId: holderOf(snapshot)?.agentId ?? null,
  windowClosesAt: snapshot.context.windowClosesAt,
  firstInboundAt: snapshot.context.firstInboundAt,
  firstResponseAt: snapshot.context.firstResponseAt,
});

function senderOf(event: Record<string, unknown>): { kind?: unknown; id?: unknown } | undefined {
  const sender = event.sender ?? event.by;
  return typeof sender === 'object' && sender !== null ? (sender as { kind?: unknown; id?: unknown }) : undefined;
}

/** The record for one transition, from the snapshots before and after it. Pure. */
export function timelineRecordOf(event: ConversationEvent, before: ConversationSnapshot, after: ConversationSnapshot): TimelineRecord {
  const fields = event as unknown as Record<string, unknown>;
  const record: TimelineRecord = {
    eventType: event.type,
    from: stateNameOf(before),
    to: stateNameOf(after),
    at: event.at,
    after: contextOf(after),
  };
  for (const key of scalarFields) {
    const value = fields[key];
    if (typeof value === 'string' || typeof value === 'number') (record as unknown as Record<string, unknown>)[key] = value;
  }
  const message = fields.message as { type?: unknown; name?: unknown } | undefined;
  if (typeof message?.type === 'string') record.messageType = message.type;
  if (typeof message?.name === 'string') record.templateName = message.name;
  const sender = senderOf(fields);
  if (typeof sender?.kind === 'string') record.senderKind = sender.kind;
  if (typeof sender?.id === 'string') record.senderId = sender.id;
  // Only the customer's call: records of other events carrying a call id (agent.released) stay as they were.
  if (event.type === 'customer.called') record.callId = event.callId;
  return record;
}

/** The start of a run, from its first snapshot. Pure. */
export function timelineStartOf(snapshot: ConversationSnapshot, generation: number, continued: boolean, at: number): TimelineStart {
  return {
    conversationId: snapshot.context.conversationId,
    generation,
    continued,
    state: stateNameOf(snapshot),
    at,
    context: contextOf(snapshot),
  };
}
