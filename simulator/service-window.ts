/**
 * Meta's customer service window on sends: a free-form (non-template) message to a user more than 24 hours after
 * their last message or call is accepted (200, a wamid) and then failed by a `statuses` webhook, `status: failed`,
 * with 131047 "Re-engagement message" ("More than 24 hours have passed since the recipient last replied to the sender
 * number"). Templates go at any time, and so does Direct Send's utility or authentication content on the numbers Meta
 * enabled it for (simulator/send-channels.validate.ts).
 * - https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/send-messages#customer-service-windows
 * - https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
 * - https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status
 */
import type { serviceWindows } from './pricing';
import type { LateFailure } from './status-webhooks';

/**
 * Which sends the window is enforced on: `known-users`, users the simulator delivered a message or call from (it
 * knows their window; a user whose messages were posted straight to the connector is never refused); `all`, every
 * user (one it never saw has no window open); `off`, none.
 */
export type ServiceWindowEnforcement = 'known-users' | 'all' | 'off';

/** The `errors[]` entry of Meta's `failed` status, `error_data.details` as the Cloud API words it. */
export const REENGAGEMENT: LateFailure = {
  code: 131047,
  title: 'Re-engagement message',
  details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
};

interface Send {
  phoneNumberId: string;
  to?: string;
  body: Record<string, unknown>;
}

/**
 * The rule as the send edge applies it: Meta's 131047 for an accepted send outside the window, or undefined. A send
 * by BSUID (`recipient`) or to a group is never failed here: the windows are kept by WhatsApp number only.
 */
export function serviceWindowRule(mode: ServiceWindowEnforcement, windows: ReturnType<typeof serviceWindows>, waIdFor: (to: string) => string) {
  return (send: Send): LateFailure | undefined => {
    if (mode === 'off' || !send.to || send.body.type === 'template' || send.body.recipient_type === 'group') return undefined;
    // Direct Send (a `category` the send edge already checked is enabled and allowed).
    if (send.body.category !== undefined) return undefined;
    const last = windows.lastContact(send.phoneNumberId, [send.to, waIdFor(send.to)]);
    if (last === undefined) return mode === 'all' ? REENGAGEMENT : undefined;
    return windows.isOpen(last) ? undefined : REENGAGEMENT;
  };
}
