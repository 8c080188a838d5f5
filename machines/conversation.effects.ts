/**
 * The effects the machine asks the workflow to carry out (its actions' params: plain JSON), and `toEffects`, which
 * reads them off the actions `transition` returned. conversation.types.ts re-exports the types.
 */
import type { OutboundContent } from './conversation.content';
import type { CallRef, CustomerRef, Sender, TimerId } from './conversation.types';

/** Send one message to the customer; reported back as `broker.accepted` / `broker.rejected`. */
export interface SendMessageEffect {
  messageId: string;
  conversationId: string;
  businessNumberId: string;
  customer: CustomerRef;
  message: OutboundContent;
  sender: Sender;
  /** Workflow time the send was accepted; orders messages in the thread. */
  acceptedAt: number;
}

export interface StartTimerEffect {
  timerId: TimerId;
  /** Absolute due time, epoch ms. */
  at: number;
}

export interface CancelTimerEffect {
  timerId: TimerId;
}

/** Fetch an inbound image from the broker while its URL is valid, check it and store it. */
export interface FetchMediaEffect {
  messageId: string;
  businessNumberId: string;
  brokerMediaId: string;
}

/** Ask the bot about a customer message; the workflow reports `bot.replied` / `bot.handOffRequested` / `bot.failed`. */
export interface AskBotEffect {
  conversationId: string;
  businessNumberId: string;
  customer: CustomerRef;
  messageId: string;
  endpoint: string;
  timeoutMs: number;
}

/** One routing attempt (an INVITE to the contact centre's connector); reported as `sip.*` with the same attempt. */
export interface RouteToAgentEffect {
  conversationId: string;
  attempt: number;
  businessNumberId: string;
  customer: CustomerRef;
  queue: string;
  skill?: string;
  language?: string;
  targetAgentId?: string;
  /** Conversations one agent may hold: an answer naming an agent at capacity is hung up and counts as busy. */
  agentCapacity: number;
}

/** The agent's assignment ends: free their slot, and hang the call up unless the contact centre already did. */
export interface ReleaseAgentEffect {
  conversationId: string;
  agentId: string;
  call: CallRef;
  hangUp: boolean;
}

/** Effects the machine asks the workflow to carry out, in order. */
export type ConversationEffect =
  | { type: 'sendMessage'; params: SendMessageEffect }
  | { type: 'askBot'; params: AskBotEffect }
  | { type: 'routeToAgent'; params: RouteToAgentEffect }
  | { type: 'releaseAgent'; params: ReleaseAgentEffect }
  | { type: 'startTimer'; params: StartTimerEffect }
  | { type: 'cancelTimer'; params: CancelTimerEffect }
  | { type: 'fetchMedia'; params: FetchMediaEffect };

/** The effects on the way to a person, carried out in order on one queue (a transfer's release precedes its INVITE). */
export type HandOffEffect = Extract<ConversationEffect, { type: 'askBot' | 'routeToAgent' | 'releaseAgent' }>;

const effectTypes = new Set<ConversationEffect['type']>(['sendMessage', 'startTimer', 'cancelTimer', 'fetchMedia', 'askBot', 'routeToAgent', 'releaseAgent']);

/**
 * Turns the actions `transition` returned into the effects the workflow executes. An action this list does not
 * know is a bug (a new effect added to the machine but not to the workflow), so it throws: the workflow task
 * fails and retries until a fix ships, instead of silently dropping a send.
 */
export function toEffects(actions: ReadonlyArray<{ type: string; params?: unknown }>): ConversationEffect[] {
  return actions.map((action) => {
    if (!effectTypes.has(action.type as ConversationEffect['type'])) {
      throw new Error(`conversation machine emitted an unknown effect: ${action.type}`);
    }
    return { type: action.type, params: action.params } as ConversationEffect;
  });
}
