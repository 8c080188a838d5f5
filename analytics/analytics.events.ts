/**
 * The machine events analysts count, named once. Some arrive with SIP routing and the chatbot stage; until the
 * machine handles them they simply never appear in a timeline, and the KPIs that need them stay empty.
 */
export const analyticsEvents = {
  inbound: 'customer.messageReceived',
  send: 'business.sendRequested',
  brokerRejected: 'broker.rejected',
  windowExpired: 'window.expired',
  idleElapsed: 'idle.elapsed',
  closeRequested: 'conversation.closeRequested',
  /** The contact centre answered: an agent is assigned (hold time ends here). */
  agentAssigned: 'sip.answered',
  sipBusy: 'sip.busy',
  sipFailed: 'sip.failed',
  agentReleased: 'agent.released',
  botReplied: 'bot.replied',
  botHandOffRequested: 'bot.handOffRequested',
  botFailed: 'bot.failed',
} as const;

/** Events that record a failure, counted by their code (broker codes are WhatsApp's own, e.g. 131047). */
export const failureEvents: readonly string[] = [analyticsEvents.brokerRejected, analyticsEvents.sipFailed, analyticsEvents.botFailed];

/** Events after which the bot no longer holds the conversation: it asked for a person, or it failed. */
export const botHandOffEvents: readonly string[] = [analyticsEvents.botHandOffRequested, analyticsEvents.botFailed];

/** Events that show a bot took part (besides sends whose sender is the bot). */
export const botEvents: readonly string[] = [analyticsEvents.botReplied, ...botHandOffEvents];

/** The key a failure is counted under: WhatsApp's code for broker refusals, `<event>:<code>` for the others. */
export function failureKey(eventType: string, code: string | number | undefined): string {
  const value = code === undefined ? 'unknown' : String(code);
  return eventType === analyticsEvents.brokerRejected ? value : `${eventType}:${value}`;
}
