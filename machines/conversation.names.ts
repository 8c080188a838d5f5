/**
 * The names the conversation machine is known by outside it: its regions' states, the product's state names (API,
 * console, analysts) and the events it handles. A test checks them against the machine definition.
 */
import type { ConversationEvent, RoutingStateName } from './conversation.types';

/** The `session` region's states (the customer service window). */
export const sessionStates = ['inbound', 'openSession', 'expiredNeedsTemplate'] as const;
/** The `routing` region's states (the way to a person). */
export const routingStates = ['idle', 'bot', 'queued', 'retrying', 'assigned'] as const satisfies readonly RoutingStateName[];

/**
 * The states the product names, in the order a conversation usually meets them; for the status, the API and analysts
 * (`stateNameOf`): the session's states, `handedToAgent` for an open session an agent holds, and `closed`.
 */
export const conversationStates = ['inbound', 'openSession', 'handedToAgent', 'expiredNeedsTemplate', 'closed'] as const;

/** Every event the machine handles (`broker.accepted` is only still sent by runs from before it was dropped). */
export const conversationEventTypes = [
  'customer.messageReceived',
  'customer.called',
  'business.sendRequested',
  'broker.rejected',
  'window.expired',
  'idle.elapsed',
  'conversation.closeRequested',
  'settings.applied',
  'bot.replied',
  'bot.handOffRequested',
  'bot.failed',
  'sip.answered',
  'sip.busy',
  'sip.failed',
  'routing.retryDue',
  'business.opened',
  'agent.released',
  'agent.transferRequested',
] as const satisfies readonly ConversationEvent['type'][];
