import type { ConversationStatus } from '../machines/conversation.status';
import { SESSION_WINDOW_MS } from '../machines/conversation.rules';
import { AppError } from '../lib/errors';
import { findNumber } from '../store/numbers.store';
import { listApprovedTemplates } from '../store/templates.store';
import type { Store } from '../store/db';
import type { TemplateView } from '../api/conversations.schema';

/** The conversation as the send saw it: the read model's document (with `updatedAt`) or the workflow's answer. */
export type RefusedConversation = Pick<ConversationStatus, 'state' | 'closedReason' | 'lastInboundAt'> & { lastCalledAt?: string | null; updatedAt?: Date };

/**
 * The answer to a free-form send that may not go, one wording per cause, so an integrator reads why:
 * - `conversation_closed` (409): the conversation was closed on request or ended idle. Meta's window may well be
 *   open still, but the conversation is over: a template (or, where enabled, Direct Send) starts the next one.
 * - `template_required` (409): the customer service window is closed. It runs 24 hours from the customer's last
 *   message or call (https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/pricing/), and
 *   WhatsApp closes it early when it refuses a message with 131047
 *   (https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/send-messages#customer-service-windows).
 * Both carry the approved templates, and `directSend` on numbers Meta enabled it for.
 */
export async function sendRefusal(store: Store, businessNumberId: string, code: 'template_required' | 'conversation_closed', current: RefusedConversation | undefined, now = Date.now()): Promise<AppError> {
  const [templates, number] = await Promise.all([listApprovedTemplates(store, businessNumberId), findNumber(store, businessNumberId)]);
  const directSend = number?.sending?.directSend === true;
  const detail = code === 'conversation_closed' ? closedDetail(current, directSend) : windowClosedDetail(current, now, directSend);
  return new AppError(code, detail, {
    templates: templates.map(toTemplateView),
    ...(directSend ? { directSend: { available: true, types: ['text', 'buttons', 'ctaUrl'], category: 'utility' } } : {}),
  });
}

const insteadOf = (directSend: boolean) =>
  directSend
    ? 'Send one of the approved templates, or utility content with Direct Send: text, buttons or ctaUrl with "category": "utility".'
    : 'Send one of the approved templates instead.';

function closedDetail(current: RefusedConversation | undefined, directSend: boolean): string {
  const at = current?.updatedAt && current.state === 'closed' ? ` at ${current.updatedAt.toISOString()}` : '';
  const why =
    current?.closedReason === 'idle'
      ? `This conversation ended${at}: its customer service window had closed and nobody wrote for the idle period.`
      : current?.closedReason === 'requested'
        ? `This conversation was closed on request${at}.`
        : `This conversation has ended${at}.`;
  const next = directSend ? 'one of the approved templates (or utility content with Direct Send)' : 'one of the approved templates';
  return `${why} A closed conversation takes no free-form message: send ${next} to start a new one, or wait for the customer to write.`;
}

function windowClosedDetail(current: RefusedConversation | undefined, now: number, directSend: boolean): string {
  const instead = insteadOf(directSend);
  if (!current) return `The customer service window is closed. ${instead}`;
  const last = lastContact(current);
  if (last === null) return `The customer has not written in this conversation yet, so no customer service window is open. ${instead}`;
  const closesAt = Date.parse(last.at) + SESSION_WINDOW_MS;
  if (closesAt <= now) {
    return `${last.said}; the 24-hour customer service window closed at ${new Date(closesAt).toISOString()}. ${instead}`;
  }
  if (current.state === 'expiredNeedsTemplate') {
    return `${last.said}, but WhatsApp closed the customer service window early: it refused a message with 131047 (re-engagement message). ${instead}`;
  }
  return `The customer service window is closed. ${instead}`;
}

/**
 * The customer's latest message or call, said as the refusal says it: a call opens the window as a message does
 * (Meta's Calling API pricing page), whether they called or answered the business's call, so it is "a call", not
 * "they called".
 */
function lastContact(current: RefusedConversation): { at: string; said: string } | null {
  const wrote = current.lastInboundAt;
  const called = current.lastCalledAt ?? null;
  if (called !== null && (wrote === null || Date.parse(called) > Date.parse(wrote))) return { at: called, said: `The customer's last WhatsApp call was at ${called}` };
  return wrote === null ? null : { at: wrote, said: `The customer last wrote at ${wrote}` };
}

export const toTemplateView = (t: { name: string; language: string; category: string; body: string }): TemplateView => ({
  name: t.name,
  language: t.language,
  category: t.category,
  body: t.body,
});
