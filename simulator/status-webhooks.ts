/**
 * The status webhooks the simulated broker sends for a message it accepted, as Meta reports delivery: `sent`,
 * `delivered`, `read` (with per-message `pricing`), or a `failed` status carrying the error Meta found only after
 * answering the send (131026 undeliverable, 131049/131050 marketing refusals).
 * - https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status
 * - https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing
 */
import { statusWebhook } from './cloud-api.payloads';
import type { serviceWindows } from './pricing';
import type { SentMessage } from './messages.routes';
import type { DeliverWebhook } from './webhook-delivery';

/** What the status webhooks need: delivery, the simulator's timers, and how Meta would price the message. */
export interface StatusWebhookDeps {
  deliverWebhook: DeliverWebhook;
  later: (ms: number) => Promise<void>;
  isClosed: () => boolean;
  /** Between the answer and each status, in ms. */
  statusDelayMs: number;
  /** false: no statuses at all (tests that script them). */
  autoStatuses: boolean;
  windows: ReturnType<typeof serviceWindows>;
  /** The category of a template the broker holds, by name (MARKETING, UTILITY, AUTHENTICATION). */
  templateCategory: (name: string) => string | undefined;
}

/** What Meta found wrong after accepting a send: the `errors[]` entry of the `failed` status. */
export interface LateFailure {
  code: number;
  title: string;
  details: string;
}

/** The statuses of accepted sends: `deliver` (sent, delivered, read) or `failLater` (one `failed`). */
export function createStatusWebhooks(deps: StatusWebhookDeps) {
  /** sent → delivered → read (a reaction: sent only), `statusDelayMs` apart, priced as Meta would price the message. */
  function deliver(message: SentMessage): void {
    if (!deps.autoStatuses) return;
    const template = message.body.template as { name?: string } | undefined;
    const stored = template?.name ? deps.templateCategory(template.name) : undefined;
    const category = message.type !== 'template' ? 'service' : (stored?.toLowerCase() ?? (template?.name?.startsWith('mkt_') ? 'marketing' : 'utility'));
    const pricing = deps.windows.pricingFor(message.phoneNumberId, message.to, category);
    // A reaction gets `sent` only: "it does not trigger delivered or read message webhooks" (reaction-messages page,
    // https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/reaction-messages).
    const progress = message.type === 'reaction' ? (['sent'] as const) : (['sent', 'delivered', 'read'] as const);
    void (async () => {
      for (const status of progress) {
        await deps.later(deps.statusDelayMs);
        if (deps.isClosed()) return;
        await deps.deliverWebhook(
          statusWebhook({
            phoneNumberId: message.phoneNumberId,
            wamid: message.wamid,
            status,
            ...(message.to ? { recipientId: message.to } : {}),
            ...(message.recipient ? { recipientUserId: message.recipient } : {}),
            ...(typeof message.body.biz_opaque_callback_data === 'string' ? { bizOpaqueCallbackData: message.body.biz_opaque_callback_data } : {}),
            pricingCategory: pricing.category,
            pricingType: pricing.type,
          }),
        );
      }
    })();
  }

  /** One `failed` status with Meta's error, `statusDelayMs` after the answer. */
  function failLater(message: SentMessage, error: LateFailure): void {
    void deps.later(deps.statusDelayMs).then(() =>
      deps.isClosed()
        ? undefined
        : deps.deliverWebhook(
            statusWebhook({
              phoneNumberId: message.phoneNumberId,
              wamid: message.wamid,
              status: 'failed',
              ...(message.to ? { recipientId: message.to } : {}),
              ...(typeof message.body.biz_opaque_callback_data === 'string' ? { bizOpaqueCallbackData: message.body.biz_opaque_callback_data } : {}),
              error,
            }),
          ),
    );
  }

  return { deliver, failLater };
}
