/**
 * Posts a webhook body straight to the connector, signed as Meta signs it: `X-Hub-Signature-256: sha256=<hex>`, the
 * HMAC-SHA256 of the exact bytes sent keyed with the app secret (README "A webhook of your own";
 * https://developers.facebook.com/docs/graph-api/webhooks/getting-started, *Validate payloads*). Unlike the
 * simulator's `deliverWebhook`, it sends once and hands back the connector's answer: its HTTP status and JSON body.
 */
import { signBody } from '../../simulator/cloud-api.payloads';
import { APP_SECRET } from './service';

/** A webhook answer's JSON (`{received: {...}}`, or a problem), loosely typed for assertions. */
export type WebhookAnswerBody = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export async function postSignedWebhook(baseUrl: string, body: unknown): Promise<{ status: number; body: WebhookAnswerBody }> {
  const raw = JSON.stringify(body);
  const answer = await fetch(`${baseUrl}/webhooks/whatsapp`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(raw, APP_SECRET) }, body: raw });
  return { status: answer.status, body: (await answer.json()) as WebhookAnswerBody };
}
