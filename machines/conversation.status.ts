import type { SnapshotFrom } from 'xstate';
import { conversationMachine } from './conversation.machine';
import { isSessionOpen, mayGoOutsideWindow } from './conversation.rules';
import type { Assignment, ConversationContext, ConversationStateName, CustomerRef, OutboundContent, RoutingPhase, RoutingStateName, Sender } from './conversation.types';

export interface RecentMessage {
  messageId: string;
  direction: 'inbound' | 'outbound';
  kind: string;
  at: string;
}

export type ConversationSnapshot = SnapshotFrom<typeof conversationMachine>;

type ActiveValue = { session: 'inbound' | 'openSession' | 'expiredNeedsTemplate'; routing: RoutingStateName };

const activeValueOf = (snapshot: ConversationSnapshot): ActiveValue | null => (snapshot.value === 'closed' ? null : (snapshot.value.active as ActiveValue));

/** The `routing` region's state; null once the conversation is closed. */
export function routingStateOf(snapshot: ConversationSnapshot): RoutingStateName | null {
  return activeValueOf(snapshot)?.routing ?? null;
}

/**
 * Who holds the conversation: the agent and their call while the `routing` region is `assigned`, else null. The one
 * question every reader asks (status, validators, the SIP chat, analysts); nothing else says whether an agent holds it.
 */
export function holderOf(snapshot: ConversationSnapshot): Assignment | null {
  return routingStateOf(snapshot) === 'assigned' ? snapshot.context.routing.assignment : null;
}

/** The routing phase the status shows: `retrying` is still `queued` for callers; nothing is routed once closed. */
export function routingPhaseOf(snapshot: ConversationSnapshot): RoutingPhase {
  const state = routingStateOf(snapshot);
  if (state === null || state === 'idle') return 'none';
  return state === 'retrying' ? 'queued' : state;
}

/**
 * The machine's state as the product names it: the `session` region's state, except that an open session an agent
 * holds is `handedToAgent`.
 */
export function stateNameOf(snapshot: ConversationSnapshot): ConversationStateName {
  const active = activeValueOf(snapshot);
  if (active === null) return 'closed';
  return active.session === 'openSession' && active.routing === 'assigned' ? 'handedToAgent' : active.session;
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
  /**
   * ISO time of the customer's most recent call (a call opens or refreshes the window too, but is not a message);
   * absent while they never called, so conversations without calls show what they always showed.
   */
  lastCalledAt?: string;
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
  const routing = context.routing;
  const windowOpen = isSessionOpen(state, context, now);
  return {
    conversationId: context.conversationId,
    businessNumberId: context.businessNumberId,
    customer: context.customer,
    state,
    windowOpen,
    windowClosesAt: windowOpen ? iso(context.windowClosesAt) : null,
    lastInboundAt: iso(context.lastInboundAt),
    ...(context.lastCalledAt ? { lastCalledAt: new Date(context.lastCalledAt).toISOString() } : {}),
    agentId: holderOf(snapshot)?.agentId ?? null,
    inboundCount: context.inboundCount,
    outboundCount: context.outboundCount,
    firstInboundAt: iso(context.firstInboundAt),
    firstResponseAt: iso(context.firstResponseAt),
    closedReason: context.closedReason,
    routing: { phase: routingPhaseOf(snapshot), queue: routing.queue, attempt: routing.attempt },
    assignedAt: iso(routing.assignedAt),
    holdTimeMs: since(context.firstInboundAt, routing.assignedAt),
    firstResponseMs: since(context.firstInboundAt, context.firstResponseAt),
    lastMessages: (context.recentMessages ?? []).map((m) => ({ ...m, at: new Date(m.at).toISOString() })),
  };
}

export type SendRefusal = 'template_required' | 'conversation_closed' | 'not_assigned';

/**
 * Whether an agent may write in the conversation: the one it is assigned to may; with routing on, nobody else; with
 * no routing (integrator-run deployments), any agent may answer a conversation nobody holds.
 */
export function mayAgentWrite(snapshot: ConversationSnapshot, agentId: string | undefined): boolean {
  const holder = holderOf(snapshot);
  if (holder !== null) return holder.agentId === agentId;
  return snapshot.context.settings?.handOff?.sip !== true;
}

/**
 * Why a send would be refused at `now`, or null when it may go out. The workflow's Update validator calls this
 * so a refused send is never recorded; the machine's own guards enforce the same rule.
 */
export function refusalFor(snapshot: ConversationSnapshot, message: OutboundContent, now: number, sender?: Sender): SendRefusal | null {
  const state = stateNameOf(snapshot);
  if (state === 'closed') return 'conversation_closed';
  if (sender?.kind === 'agent' && !mayAgentWrite(snapshot, sender.id)) return 'not_assigned';
  if (mayGoOutsideWindow(message)) return null;
  return isSessionOpen(state, snapshot.context, now) ? null : 'template_required';
}
