import { Readable } from 'node:stream';
import type { CustomerRef, OutboundContent } from '../../machines/conversation.types';
import { toCloudMessage } from './cloud-message';
import { meaningOf } from '../../lib/meta-errors';
import { mediaUploadBody, type MediaSource } from './media-upload';

/**
 * A thin client for the WhatsApp Cloud API (Meta's Graph API, a BSP mirroring it, or the bundled simulator).
 * Everything that differs between them is configuration: base URL, version and token.
 */
export interface CloudApiOptions {
  baseUrl: string;
  version: string;
  accessToken: string;
  timeoutMs: number;
}

/** A media URL lasts 5 minutes (Meta's media reference): a download still running then has lost its URL. */
export const MEDIA_DOWNLOAD_TIMEOUT_MS = 5 * 60_000;

/** A refusal or failure from the broker, classified for Temporal's retry policy. */
export class CloudApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: number,
    readonly title: string,
    readonly details: string | undefined,
    readonly retryable: boolean,
  ) {
    super(`Cloud API ${httpStatus} code ${code}: ${title}${details ? ` (${details})` : ''}`);
    this.name = 'CloudApiError';
  }
}

interface GraphErrorBody {
  error?: { message?: string; code?: number; error_data?: { details?: string } };
}

function classify(httpStatus: number, body: GraphErrorBody): CloudApiError {
  const code = body.error?.code ?? 0;
  // Meta's message is "(#code) title" (error-codes page); the code is kept apart, the title in words.
  const title = (body.error?.message ?? `HTTP ${httpStatus}`).replace(/^\(#\d+\)\s*/, '');
  // lib/meta-errors.ts says which codes are transient; a 5xx or 429 always is.
  const retryable = httpStatus >= 500 || httpStatus === 429 || meaningOf(code, httpStatus).action === 'retry';
  return new CloudApiError(httpStatus, code, title, body.error?.error_data?.details, retryable);
}

/** The recipient fields: the phone number when WhatsApp gave us one, else the business-scoped user id. */
export function recipientOf(customer: CustomerRef): { to: string } | { recipient: string } {
  if (customer.waId) return { to: customer.waId };
  if (customer.userId) return { recipient: customer.userId };
  throw new CloudApiError(0, 0, 'customer has neither wa_id nor user_id', undefined, false);
}

export { toCloudMessage } from './cloud-message';

/** Proxies in front of a broker answer 502s in HTML: classify those by status alone. */
function parseJson(text: string): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : {};
  } catch {
    return {};
  }
}

/**
 * Where a send goes. Templates whose latest category is MARKETING go to `/<PHONE_NUMBER_ID>/marketing_messages`
 * with its options; everything else to `/messages`.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/marketing-messages/route-template-messages/
 */
export type SendRoute =
  | { endpoint: 'messages' }
  | { endpoint: 'marketing_messages'; productPolicy?: 'CLOUD_API_FALLBACK' | 'STRICT'; messageActivitySharing?: boolean };

export interface CloudApiClient {
  /**
   * Sends one message; `messageId` travels as the idempotency key and as `biz_opaque_callback_data`. Answers the
   * wamid and the `contacts[0].wa_id` Meta resolved the recipient to (absent for sends by business-scoped user id).
   * `route` (default `/messages`): see {@link SendRoute}.
   */
  sendMessage(phoneNumberId: string, customer: CustomerRef, content: OutboundContent, messageId: string, route?: SendRoute): Promise<{ wamid: string; waId?: string }>;
  /**
   * Opens an inbound media object for streaming: asks for its URL (Meta's lasts 5 minutes, so it is asked for
   * afresh on every attempt), then starts the authenticated download. `fileSize` and `sha256` are what the broker
   * says of the bytes (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media#retrieve-media-url).
   */
  openMedia(brokerMediaId: string): Promise<{ body: Readable; mimeType?: string; fileSize?: number; sha256?: string }>;
  /**
   * Uploads media for sending from this number, streamed as `multipart/form-data` with its exact Content-Length
   * (never held whole in memory); answers the broker's media id. A large upload gets the media transfer deadline
   * ({@link MEDIA_DOWNLOAD_TIMEOUT_MS}), not the API call's timeout.
   * https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media#upload-media
   */
  uploadMedia(phoneNumberId: string, source: MediaSource): Promise<string>;
  /**
   * Marks the customer's message `wamid` (and every earlier one) read; with `typing`, also shows the typing indicator
   * until the next send or for 25 s, whichever comes first.
   * https://developers.facebook.com/documentation/business-messaging/whatsapp/typing-indicators/
   */
  markRead(phoneNumberId: string, wamid: string, typing: boolean): Promise<void>;
}

/** Authenticated requests to the Graph API with a deadline, failures classified for Temporal's retry policy. */
export function graphTransport(options: CloudApiOptions) {
  const base = `${options.baseUrl.replace(/\/$/, '')}/${options.version}`;
  const authorization = `Bearer ${options.accessToken}`;

  async function call(url: string, init: RequestInit, timeoutMs = options.timeoutMs): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(url, { ...init, headers: { authorization, ...init.headers }, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      // Timeouts and refused connections: the outcome is unknown, so retry (sends under the same idempotency key).
      throw new CloudApiError(0, 0, 'broker unreachable', (err as Error).message, true);
    }
    if (!response.ok) throw classify(response.status, parseJson(await response.text()) as GraphErrorBody);
    return response;
  }
  return { base, call };
}

export function createCloudApiClient(options: CloudApiOptions): CloudApiClient {
  const { base, call } = graphTransport(options);

  async function post(path: string, body: unknown, idempotencyKey: string): Promise<unknown> {
    const response = await call(`${base}/${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        // Brokers that honour it make a retried send safe; Meta ignores it and biz_opaque_callback_data still ties statuses back.
        'idempotency-key': idempotencyKey,
      },
      body: JSON.stringify(body),
    });
    return parseJson(await response.text());
  }

  return {
    async sendMessage(phoneNumberId, customer, content, messageId, route = { endpoint: 'messages' }) {
      const body = {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        ...recipientOf(customer),
        ...toCloudMessage(content),
        biz_opaque_callback_data: messageId,
        ...(route.endpoint === 'marketing_messages' && route.productPolicy ? { product_policy: route.productPolicy } : {}),
        ...(route.endpoint === 'marketing_messages' && route.messageActivitySharing !== undefined ? { message_activity_sharing: route.messageActivitySharing } : {}),
      };
      const answer = (await post(`${encodeURIComponent(phoneNumberId)}/${route.endpoint}`, body, messageId)) as {
        messages?: { id?: string }[];
        contacts?: { input?: string; wa_id?: string }[];
      };
      const wamid = answer.messages?.[0]?.id;
      if (!wamid) throw new CloudApiError(200, 0, 'broker answered without a message id', JSON.stringify(answer), true);
      // Meta answers the WhatsApp id it resolved the `to` to, which may differ from it (send-messages reference).
      const waId = answer.contacts?.[0]?.wa_id;
      return { wamid, ...(waId ? { waId } : {}) };
    },

    async openMedia(brokerMediaId) {
      const meta = (await (await call(`${base}/${encodeURIComponent(brokerMediaId)}`, {})).json()) as {
        url?: string;
        mime_type?: string;
        file_size?: number | string;
        sha256?: string;
      };
      if (!meta.url) throw new CloudApiError(200, 0, 'broker answered without a media URL', JSON.stringify(meta), true);
      // The whole download must end within the URL's life (5 minutes), not the API call's timeout.
      const download = await call(meta.url, {}, MEDIA_DOWNLOAD_TIMEOUT_MS);
      if (!download.body) throw new CloudApiError(download.status, 0, 'broker answered without media bytes', undefined, true);
      const fileSize = meta.file_size === undefined ? undefined : Number(meta.file_size);
      return {
        body: Readable.fromWeb(download.body as never),
        ...(meta.mime_type ? { mimeType: meta.mime_type } : {}),
        ...(fileSize !== undefined && Number.isFinite(fileSize) ? { fileSize } : {}),
        ...(meta.sha256 ? { sha256: meta.sha256 } : {}),
      };
    },

    async markRead(phoneNumberId, wamid, typing) {
      const body = { messaging_product: 'whatsapp', status: 'read', message_id: wamid, ...(typing ? { typing_indicator: { type: 'text' } } : {}) };
      await post(`${encodeURIComponent(phoneNumberId)}/messages`, body, `read:${wamid}:${typing ? 'typing' : 'read'}`);
    },

    async uploadMedia(phoneNumberId, source) {
      const { headers, body } = mediaUploadBody(source);
      // undici streams an async iterable body (half duplex) and keeps the Content-Length given: no chunked encoding.
      // `redirect: 'error'` spares the request clone fetch makes to follow redirects, which tees the body and kept a
      // copy of every byte until the upload ended (measured: a 200 MB upload's buffers peaked 160 MB lower without it).
      const init = { method: 'POST', headers, body, duplex: 'half', redirect: 'error' } as unknown as RequestInit;
      const answer = (await (await call(`${base}/${encodeURIComponent(phoneNumberId)}/media`, init, MEDIA_DOWNLOAD_TIMEOUT_MS)).json()) as { id?: string };
      if (!answer.id) throw new CloudApiError(200, 0, 'broker answered without a media id', JSON.stringify(answer), true);
      return answer.id;
    },
  };
}
