/**
 * WhatsApp's send rules, in one place: the customer service window and what a broker refusal means for it. The
 * machine's guards, the workflow's Update validator, the conversation service (tier admission), the status
 * webhook and the console all call these; nothing re-derives them.
 *
 * Source: Meta, "Customer service windows"
 * (https://developers.facebook.com/docs/whatsapp/cloud-api/guides/send-messages#customer-service-windows) and the
 * Cloud API error codes (https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes).
 */
import { SESSION_WINDOW_MS, WINDOW_CLOSED_ERROR_CODE, type ConversationContext, type ConversationStateName, type OutboundContent, type TimerId } from './conversation.types';

export { SESSION_WINDOW_MS, WINDOW_CLOSED_ERROR_CODE };

/**
 * When a customer message's window closes (epoch ms). The window runs from the message's own timestamp
 * (`sentAt`), but never from a time later than we received it (`at`): a customer clock running fast must not
 * stretch the window past WhatsApp's.
 */
export function windowEndFor(message: { sentAt: number; at: number }): number {
  return Math.min(message.sentAt, message.at) + SESSION_WINDOW_MS;
}

/**
 * The deadline once a customer message is recorded (epoch ms): webhooks arrive late and out of order, so only a newer
 * message moves it. For a message too late to open the window this is the deadline as it was (or a past time).
 */
export function windowClosesAfter(context: Pick<ConversationContext, 'windowClosesAt'>, message: { sentAt: number; at: number }): number {
  return Math.max(context.windowClosesAt ?? 0, windowEndFor(message));
}

/**
 * When the customer last called, as shown (`lastCalledAt`) and as the 409 says it (epoch ms): a call's own time, but
 * never later than we received it (`at`), as for the window (`windowEndFor`): a `connect` whose `timestamp` lies
 * ahead (a clock running fast) must not show a call in the future. Never moved back by a call delivered late.
 */
export function lastCallAfter(context: Pick<ConversationContext, 'lastCalledAt'>, call: { calledAt: number; at: number }): number {
  return latestContact(context.lastCalledAt, call.calledAt, call.at);
}

/** The later of `previous` and a contact's own time, never later than its receipt `at` (all epoch ms). */
const latestContact = (previous: number | null | undefined, time: number, at: number) => Math.max(previous ?? 0, Math.min(time, at));

/**
 * When the customer last wrote, as shown (`lastInboundAt`) and as a late 131047 is judged against
 * (`isWindowClosedByRefusal`), epoch ms: the message's `timestamp` (`sentAt`), never later than we received it (`at`),
 * like the window and the last call; never moved back by a message delivered late. A timestamp ahead of receipt would
 * otherwise show a message from the future and make every later refusal look older than the customer's last word.
 */
export function lastInboundAfter(context: Pick<ConversationContext, 'lastInboundAt'>, message: { sentAt: number; at: number }): number {
  return latestContact(context.lastInboundAt, message.sentAt, message.at);
}

/** The rule itself: a session (non-template) message may be sent at `at` (epoch ms) only before the deadline. */
export function isWindowOpenAt(context: Pick<ConversationContext, 'windowClosesAt'>, at: number): boolean {
  return context.windowClosesAt !== null && at < context.windowClosesAt;
}

/**
 * The window as a state of the conversation: open only in a session state (`openSession`, `handedToAgent`) before
 * the deadline. `inbound` has handled nothing yet, `expiredNeedsTemplate` was closed (by the timer or by WhatsApp's
 * 131047, which may come before the deadline), `closed` has ended.
 */
export function isSessionOpen(state: ConversationStateName, context: Pick<ConversationContext, 'windowClosesAt'>, at: number): boolean {
  return (state === 'openSession' || state === 'handedToAgent') && isWindowOpenAt(context, at);
}

/**
 * The same question asked of a conversation as the API shows it (`windowClosesAt` an ISO time, null when the
 * window was not open when the view was made), at `now` (epoch ms). A view a moment old may call a just-reopened
 * window closed, never a closed one open.
 */
export function isWindowOpenInView(view: { state: ConversationStateName; windowClosesAt: string | null }, now: number): boolean {
  return view.state !== 'closed' && view.state !== 'expiredNeedsTemplate' && view.windowClosesAt !== null && Date.parse(view.windowClosesAt) > now;
}

/**
 * Direct Send: utility text, reply buttons or a CTA URL marked `category: "utility"` is sent as a template Meta makes
 * for it, so it may go outside the window like one. Only numbers Meta enabled may send it: the conversation service
 * refuses the mark elsewhere (`direct_send_unavailable`), before the conversation sees it.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/direct-send/send-utility-and-authentication-messages/
 */
export function isDirectSend(message: OutboundContent): boolean {
  return (message.type === 'text' || message.type === 'buttons' || message.type === 'ctaUrl') && message.category === 'utility';
}

/** What may be sent whatever the window: a template, or Direct Send content. */
export function mayGoOutsideWindow(message: OutboundContent): boolean {
  return message.type === 'template' || isDirectSend(message);
}

/** Why a broker refused a message, for the conversation: 131047 closes the window (a template is needed now). */
export function failureReasonFor(code: number): 'template_required' | 'broker_rejected' {
  return code === WINDOW_CLOSED_ERROR_CODE ? 'template_required' : 'broker_rejected';
}

/**
 * Whether a 131047 says the window is closed now. A refusal of a send older than the customer's latest message
 * says nothing about the window they reopened since (`sentAt` absent: signals from before it was carried).
 */
export function isWindowClosedByRefusal(context: Pick<ConversationContext, 'lastInboundAt' | 'lastCalledAt'>, refusal: { code: number; sentAt?: number }): boolean {
  if (refusal.code !== WINDOW_CLOSED_ERROR_CODE) return false;
  // A call reopens the window as a message does (customer.called).
  const lastContact = Math.max(context.lastInboundAt ?? -1, context.lastCalledAt ?? -1);
  return !(refusal.sentAt !== undefined && lastContact >= 0 && lastContact > refusal.sentAt);
}

/** A customer message's or call's window end: `sentAt` is the message's timestamp, `calledAt` the call's. */
export function windowEndOf(event: { type: string; at: number; sentAt?: number; calledAt?: number }): number | undefined {
  if (event.type === 'customer.messageReceived' && event.sentAt !== undefined) return windowEndFor({ sentAt: event.sentAt, at: event.at });
  if (event.type === 'customer.called' && event.calledAt !== undefined) return windowEndFor({ sentAt: event.calledAt, at: event.at });
  return undefined;
}

/** The machine event a due timer becomes (the workflow holds the timers; the machine only names them). */
export const timerEventFor = {
  window: 'window.expired',
  idle: 'idle.elapsed',
  routeRetry: 'routing.retryDue',
  opening: 'business.opened',
} as const satisfies Record<TimerId, 'window.expired' | 'idle.elapsed' | 'routing.retryDue' | 'business.opened'>;
