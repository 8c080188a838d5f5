/**
 * How the simulated broker delivers webhooks, as Meta does: each body signed with the app secret
 * (`X-Hub-Signature-256`), posted to the subscribed URL, and redelivered with exponential backoff until the
 * connector answers 200 (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/overview).
 * An unreachable connector counts as a failed attempt (status 0).
 */
import { signBody } from './cloud-api.payloads';

/** What became of one webhook: how many POSTs it took and the last HTTP status (0: the connector was unreachable). */
export interface WebhookDelivery {
  attempts: number;
  finalStatus: number;
  /** The simulated customer is blocked by the number: WhatsApp delivered nothing (no attempt was made). */
  blocked?: true;
}

/** Options of one delivery: a forged signature, or the body delivered twice (Meta's at-least-once). */
export interface DeliveryOptions {
  signatureOverride?: string;
  duplicate?: boolean;
}

/** What delivery needs from the simulator: the secret, the URL, its timers and the parts that watch deliveries. */
export interface WebhookDeliveryDeps {
  appSecret: string;
  /** Attempts per body and the first backoff, in ms (doubled after each failed attempt). */
  redeliver: { attempts: number; initialDelayMs: number };
  webhookUrl: () => string | undefined;
  /** Waits `ms` on a timer the simulator cancels when it closes. */
  later: (ms: number) => Promise<void>;
  isClosed: () => boolean;
  /** Whether an injected `duplicateWebhooks` fault makes this body go twice (simulator/faults.ts). */
  takeDuplicate: () => boolean;
  /** Parts of the broker that learn from what it delivers (who wrote, calls, service windows). */
  observers: ((body: object) => void)[];
}

/** Delivers a signed webhook, redelivering until the connector answers 200 or the attempts run out. */
export function createWebhookDelivery(deps: WebhookDeliveryDeps) {
  async function deliverOnce(raw: string, signature: string): Promise<number> {
    const url = deps.webhookUrl();
    if (!url) throw new Error('the simulator has no webhook URL to deliver to');
    try {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, body: raw });
      await response.arrayBuffer();
      return response.status;
    } catch {
      return 0; // connector unreachable: like Meta, try again later
    }
  }

  return async function deliverWebhook(body: object, opts: DeliveryOptions = {}): Promise<WebhookDelivery> {
    for (const observe of deps.observers) observe(body);
    const raw = JSON.stringify(body);
    const signature = opts.signatureOverride ?? signBody(raw, deps.appSecret);
    const copies = opts.duplicate || deps.takeDuplicate() ? 2 : 1;
    let result: WebhookDelivery = { attempts: 0, finalStatus: 0 };
    for (let copy = 0; copy < copies; copy += 1) {
      let delay = deps.redeliver.initialDelayMs;
      for (let attempt = 1; attempt <= deps.redeliver.attempts && !deps.isClosed(); attempt += 1) {
        const status = await deliverOnce(raw, signature);
        result = { attempts: result.attempts + 1, finalStatus: status };
        if (status === 200) break;
        await deps.later(delay);
        delay *= 2;
      }
    }
    return result;
  };
}

/** Delivers one body (see createWebhookDelivery); resolves once the connector answered 200 or attempts ran out. */
export type DeliverWebhook = ReturnType<typeof createWebhookDelivery>;
