import type { SnapshotFrom } from 'xstate';
import { conversationMachine } from './conversation.machine';
import { isSessionOpen, mayGoOutsideWindow } from './conversation.rules';
import type { ConversationContext, ConversationStateName, CustomerRef, OutboundContent, RoutingPhase, Sender } from './conversation.types';

export interface RecentMessage {
  messageId: string;
  direction: 'inbound' | 'outbound';
  kind: string;
  at: string;
}

export type ConversationSnapshot = SnapshotFrom<typeof conversationMachine>;

/** The machine's state as the product names it, flattening the `session` parent into its children. */
export function stateNameOf(snapshot: ConversationSnapshot): ConversationStateName {
  const value = snapshot.value;
  if (typeof value === 'string') return value as ConversationStateName;
  if ('session' in value) return value.session as ConversationStateName;
  throw new Error(`unexpected conversation state ${JSON.stringify(value)}`);
}

/** What callers and the read model see of a conversation: normalised, never raw XState values. */
export interface ConversationStatus {
  conversationId: string;
  businessNumberId: string;
  customer: CustomerRef;
  state: ConversationStateName;
  windowOpen: boolean;
  /** ISO time the customer service window closes; null when no window is open. */
  windowClosesAt: string | null;
  lastInboundAt: string | null;
  agentId: string | null;
  inboundCount: number;
  outboundCount: number;
  firstInboundAt: string | null;
  firstResponseAt: string | null;
  closedReason: ConversationContext['closedReason'];
  /** On the way to a person: bot stage, queued in the contact centre, or assigned to `agentId`. */
  routing: { phase: RoutingPhase; queue: string | null; attempt: number };
  /** When an agent first took the conversation. */
  assignedAt: string | null;
  /** First customer message → first agent assigned (ms). */
  holdTimeMs: number | null;
  /** First customer message → first reply by an agent, integrator or bot (ms; automatic replies do not count). */
  firstResponseMs: number | null;
  /** The last messages, oldest first (ids and kinds; bodies are in the message thread). */
  lastMessages: RecentMessage[];
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const since = (from: number | null, to: number | null): number | null => (from === null || to === null ? null : Math.max(to - from, 0));

export function toConversationStatus(snapshot: ConversationSnapshot, now: number): ConversationStatus {
  const context = snapshot.context;
  const state = stateNameOf(snapshot);
  const windowOpen = isSessionOpen(state, context, now);
  return {
    conversationId: context.conversationId,
    businessNumberId: context.businessNumberId,
    customer: context.customer,
    state,
    windowOpen,
    windowClosesAt: windowOpen ? iso(context.windowClosesAt) : null,
    lastInboundAt: iso(context.lastInboundAt),
    agentId: context.agentId,
    inboundCount: context.inboundCount,
    outboundCount: context.outboundCount,
    firstInboundAt: iso(context.firstInboundAt),
    firstResponseAt: iso(context.firstResponseAt),
    closedReason: context.closedReason,
    routing: { phase: context.routing?.phase ?? 'none', queue: context.routing?.queue ?? null, attempt: context.routing?.attempt ?? 0 },
    assignedAt: iso(context.routing?.assignedAt ?? null),
    holdTimeMs: since(context.firstInboundAt, context.routing?.assignedAt ?? null),
    firstResponseMs: since(context.firstInboundAt, context.firstResponseAt),
    lastMessages: (context.recentMessages ?? []).map((m) => ({ ...m, at: new Date(m.at).toISOString() })),
  };
}

export type SendRefusal = 'template_required' | 'conversation_closed' | 'not_assigned';

/**
 * Whether an agent may write in the conversation: the one it is assigned to may; with routing on, nobody else; with
 * no routing (integrator-run deployments), any agent may answer a conversation nobody holds.
 */
export function mayAgentWrite(context: ConversationContext, agentId: string | undefined): boolean {
  if (context.agentId !== null) return context.agentId === agentId;
  return context.settings?.handOff?.sip !== true;
}

/**
 * Why a send would be refused at `now`, or null when it may go out. The workflow's Update validator calls this
 * so a refused send is never recorded; the machine's own guards enforce the same rule.
 */
export function refusalFor(snapshot: ConversationSnapshot, message: OutboundContent, now: number, sender?: Sender): SendRefusal | null {
  const state = stateNameOf(snapshot);
  if (state === 'closed') return 'conversation_closed';
  if (sender?.kind === 'agent' && !mayAgentWrite(snapshot.context, sender.id)) return 'not_assigned';
  if (mayGoOutsideWindow(message)) return null;
  return isSessionOpen(state, snapshot.context, now) ? null : 'template_required';
}
