/**
 * A WhatsApp broker on loopback, speaking the Cloud API subset the connector uses: sends (with an Idempotency-Key
 * honoured), signed webhooks redelivered until acknowledged like Meta's, automatic delivery statuses, and faults
 * injected on demand. Shared by tests, benchmarks and `npm start`.
 */
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { installTemplateManager } from './template-manager';
import { refusalOfReadReceipt, refusalOfSessionMessage } from './session-messages.validate';
import { installCallingSettings } from './calling-settings';
import { installCallPermissions } from './call-permissions';
import { META_ERRORS, metaErrorBody, refusal, sendMetaError } from './errors';
import { installResumableUpload } from './resumable-upload';
import { checkMessageType, createRecipients } from './recipients';
import { validateTemplateSend } from './template-send.validate';
import type { ReviewStep } from './template-review';
import { inboundImageWebhook, inboundTextWebhook, newWamid, signBody, statusWebhook, type CloudWebhookBody, type InboundOptions } from './cloud-api.payloads';
import { customerActions } from './inbound-customer';
import { installAccountHealth } from './account-health';
import { serviceWindows } from './pricing';
import { createMediaStore } from './media-store';
import { businessCapabilityWebhook, type CapabilityUpdate } from './capability-webhook';
import { refusalOfDirectSend, refusalOfMarketingSend } from './send-channels.validate';
import { installBlockUsers } from './block-users';
import { installMediaUpload } from './media-upload';
import { createMetaSip } from './meta-sip';
import { installCallControls } from './sip-calls.routes';

export interface SimulatorOptions {
  port?: number;
  host?: string;
  accessToken: string;
  appSecret: string;
  webhookUrl?: string;
  /** Deliver sent → delivered → read for every accepted send (default true). */
  autoStatuses?: boolean;
  statusDelayMs?: number;
  redeliver?: { attempts: number; initialDelayMs: number };
  /** Approve new and edited templates after this long (the local demo); unset: tests script the review. */
  autoApproveTemplatesAfterMs?: number;
  /** The review every template nobody scripted gets; overrides autoApproveTemplatesAfterMs. */
  reviewPlay?: ReviewStep[];
  /** The blocklist's size limit (Meta: 64,000); tests lower it to reach it. */
  blocklistLimit?: number;
  /** Load benchmarks only: accept every send and template unchecked (no Meta rules, no unknown-template refusals). */
  acceptEverything?: boolean;
  /** The WhatsApp Business Account its account-health webhooks name (default Meta's example id, 102290129340398). */
  wabaId?: string;
  /** The SIP transport of the simulated Meta SIP server (default udp; Meta itself speaks TLS only). */
  sipTransport?: 'udp' | 'tcp';
}

export interface SentMessage {
  phoneNumberId: string;
  /** The Graph API edge it was posted to. */
  endpoint: 'messages' | 'marketing_messages';
  to?: string;
  recipient?: string;
  type: string;
  body: Record<string, unknown>;
  wamid: string;
  idempotencyKey?: string;
  receivedAt: Date;
}

export type Fault =
  | { kind: 'http'; status: number; code?: number; times: number; match?: { to?: string; type?: string } }
  | { kind: 'timeout'; times: number; holdMs?: number }
  | { kind: 'slow'; delayMs: number; times: number }
  | { kind: 'duplicateWebhooks'; times: number };

/** A mark-as-read (and typing indicator) call the connector made. */
export interface ReadReceipt {
  phoneNumberId: string;
  messageId: string;
  typing: boolean;
  receivedAt: Date;
}

export interface WebhookDelivery {
  attempts: number;
  finalStatus: number;
}

const SendBody = z.looseObject({
  messaging_product: z.literal('whatsapp'),
  to: z.string().min(1).optional(),
  recipient: z.string().min(1).optional(),
  type: z.enum(['text', 'image', 'audio', 'video', 'document', 'sticker', 'location', 'contacts', 'reaction', 'interactive', 'template']),
  text: z.looseObject({ body: z.string() }).optional(), // lengths: session-messages.validate.ts
  image: z.looseObject({ id: z.string().optional(), link: z.string().optional() }).optional(),
  template: z.looseObject({ name: z.string().min(1), language: z.looseObject({ code: z.string().min(1) }) }).optional(),
  biz_opaque_callback_data: z.string().max(512).optional(),
}).refine((b) => b.to !== undefined || b.recipient !== undefined, 'to or recipient is required')
  .refine((b) => b[b.type] !== undefined, 'the object named by type is required');

/**
 * Meta's error body (simulator/errors.ts): `message` is "(#code) <title>" once, the specifics (which field, why) in
 * `error_data.details`, as the error-codes page shows them. `message` may come with its "(#code)" already and with the
 * specifics after the title's ": ".
 */
function cloudError(res: Response, status: number, code: number, message: string) {
  const said = message.replace(/^\(#\d+\)\s*/, '');
  const known = META_ERRORS[code]?.title;
  const title = known && said.startsWith(known) ? known : (said.split(': ')[0] ?? said);
  return res.status(status).json(metaErrorBody(refusal(code, said, { title })));
}

const TITLES: Record<number, string> = {
  130429: 'Rate limit hit',
  131047: 'Re-engagement message',
  131026: 'Message undeliverable',
  131056: 'Pair rate limit hit',
  131048: 'Spam rate limit hit',
  132001: 'Template does not exist',
  190: 'Access token has expired',
};

export async function startBrokerSimulator(options: SimulatorOptions) {
  const statusDelayMs = options.statusDelayMs ?? 20;
  const windows = serviceWindows();
  const redeliver = options.redeliver ?? { attempts: 8, initialDelayMs: 200 };
  let webhookUrl = options.webhookUrl;
  let url = '';
  let sent: SentMessage[] = [];
  let reads: ReadReceipt[] = [];
  let requests = 0;
  const byIdempotencyKey = new Map<string, string>();
  let faults: Fault[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const held = new Set<ServerResponse>();
  let closed = false;
  /** Media the broker holds: uploaded by the connector, or sent by a simulated customer (bytes, or a stream made on demand). */
  const media = createMediaStore();
  const storeMedia = media.store;

  const later = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  /** Takes one use of the first fault of `kind` that matches, if any. */
  function takeFault<K extends Fault['kind']>(kind: K, body?: { to?: string; type?: string }): Extract<Fault, { kind: K }> | undefined {
    const fault = faults.find(
      (f) => f.kind === kind && f.times > 0 && (f.kind !== 'http' || !f.match || ((!f.match.to || f.match.to === body?.to) && (!f.match.type || f.match.type === body?.type))),
    );
    if (!fault) return undefined;
    fault.times -= 1;
    return fault as Extract<Fault, { kind: K }>;
  }

  async function deliverOnce(raw: string, signature: string): Promise<number> {
    if (!webhookUrl) throw new Error('the simulator has no webhook URL to deliver to');
    try {
      const response = await fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, body: raw });
      await response.arrayBuffer();
      return response.status;
    } catch {
      return 0; // connector unreachable: like Meta, try again later
    }
  }

  /** Delivers a signed webhook, redelivering with exponential backoff until the connector answers 200. */
  async function deliverWebhook(body: object, opts: { signatureOverride?: string; duplicate?: boolean } = {}): Promise<WebhookDelivery> {
    blockUsers.noteDelivered(body);
    metaSip.noteDelivered(body);
    windows.noteInbound(body);
    const raw = JSON.stringify(body);
    const signature = opts.signatureOverride ?? signBody(raw, options.appSecret);
    const copies = opts.duplicate || takeFault('duplicateWebhooks') ? 2 : 1;
    let result: WebhookDelivery = { attempts: 0, finalStatus: 0 };
    for (let copy = 0; copy < copies; copy += 1) {
      let delay = redeliver.initialDelayMs;
      for (let attempt = 1; attempt <= redeliver.attempts && !closed; attempt += 1) {
        const status = await deliverOnce(raw, signature);
        result = { attempts: result.attempts + 1, finalStatus: status };
        if (status === 200) break;
        await later(delay);
        delay *= 2;
      }
    }
    return result;
  }

  function scheduleStatuses(message: SentMessage): void {
    if (options.autoStatuses === false) return;
    const template = message.body.template as { name?: string } | undefined;
    const stored = template ? templateManager.templates().find((t) => t.name === template.name) : undefined;
    const category = message.type !== 'template' ? 'service' : (stored?.category.toLowerCase() ?? (template?.name?.startsWith('mkt_') ? 'marketing' : 'utility'));
    const pricing = windows.pricingFor(message.phoneNumberId, message.to, category);
    void (async () => {
      for (const status of ['sent', 'delivered', 'read'] as const) {
        await later(statusDelayMs);
        if (closed) return;
        await deliverWebhook(
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

  function failLater(message: SentMessage, error: { code: number; title: string; details: string }): void {
    void later(statusDelayMs).then(() =>
      closed
        ? undefined
        : deliverWebhook(
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

  async function sendInboundText(opts: InboundOptions & { text: string; duplicate?: boolean }): Promise<{ wamid: string; delivery: WebhookDelivery }> {
    const wamid = opts.wamid ?? newWamid();
    const delivery = await deliverWebhook(inboundTextWebhook({ ...opts, wamid }), { duplicate: opts.duplicate ?? false });
    return { wamid, delivery };
  }

  /** A customer sends an image: the broker keeps the bytes and tells the connector their media id. */
  async function sendInboundImage(
    opts: InboundOptions & { bytes: Buffer; mimeType: string; caption?: string },
  ): Promise<{ wamid: string; mediaId: string; delivery: WebhookDelivery }> {
    const wamid = opts.wamid ?? newWamid();
    const mediaId = storeMedia(opts.bytes, opts.mimeType);
    const sha256 = createHash('sha256').update(opts.bytes).digest('base64');
    const body = inboundImageWebhook({ ...opts, wamid, mediaId, mimeType: opts.mimeType, sha256, ...(opts.caption ? { caption: opts.caption } : {}) });
    return { wamid, mediaId, delivery: await deliverWebhook(body) };
  }

  const customer = customerActions({ deliverWebhook: (body) => deliverWebhook(body), storeMedia });

  const app = express();
  app.use(express.json({ limit: '5mb' }));
  const authorized = (req: Request) => req.get('authorization') === `Bearer ${options.accessToken}`;

  // Simulator controls first: `/_sim/x` would otherwise match the Graph API's `/:version/:id` routes.
  const uploads = installResumableUpload(app, options.accessToken);
  const defaultPlay = options.reviewPlay ?? (options.autoApproveTemplatesAfterMs !== undefined ? [{ afterMs: options.autoApproveTemplatesAfterMs, status: 'APPROVED' as const }] : []);
  const templateManager = installTemplateManager(app, {
    authorized,
    deliverWebhook: (body) => deliverWebhook(body),
    knownHandle: uploads.knownHandle,
    defaultPlay,
    ...(options.acceptEverything ? { acceptEverything: true } : {}),
    later,
  });
  const recipients = createRecipients(app);
  const blockUsers = installBlockUsers(app, { authorized, refuse: cloudError }, options.blocklistLimit ? { maxBlocklist: options.blocklistLimit } : {});
  const health = installAccountHealth(app, { deliverWebhook: (body) => deliverWebhook(body), defaultWabaId: options.wabaId ?? '102290129340398' });
  const calling = installCallingSettings(app, { authorized });
  const metaSip = createMetaSip({
    host: options.host ?? '127.0.0.1',
    ...(options.sipTransport ? { transport: options.sipTransport } : {}),
    callingSettings: calling.callingSettings,
    numbers: calling.numbers,
    deliverWebhook: (body) => deliverWebhook(body),
  });
  installCallControls(app, metaSip);
  const permissions = installCallPermissions(app, { authorized, deliverWebhook: (body) => deliverWebhook(body) });

  app.get('/_sim/sent', (_req, res) => void res.json({ sent, reads }));
  app.post('/_sim/faults', (req, res) => {
    faults.push(req.body as Fault);
    res.status(201).json({ faults });
  });
  app.delete('/_sim/faults', (_req, res) => {
    faults = [];
    res.status(204).end();
  });
  // `{"text": …}` as before, or any type: `{"type": "location", "content": {…}}`, `{"type": "document", "media": {…}}`,
  // `{"type": "reaction", "messageId": …, "emoji": …}`, `{"type": "system", "systemType": …, "newWaId": …}`.
  app.post('/_sim/inbound', async (req, res) => {
    const body = req.body as InboundOptions & { text?: string; type?: string };
    res.json(body.type === undefined || body.type === 'text' ? await sendInboundText(body as InboundOptions & { text: string }) : await customer.playInbound(body as never));
  });

  const mediaUploads = installMediaUpload(app, { authorized, storeMedia });
  media.installRoutes(app, { authorized, refuse: cloudError, baseUrl: () => url });

  /** Numbers Meta enabled Direct Send for (simulator/send-channels.validate.ts). */
  const directSend = new Set<string>();

  // /messages takes every message; /marketing_messages marketing templates only (send-channels.validate.ts).
  const handleSend = (endpoint: 'messages' | 'marketing_messages') => async (req: Request, res: Response) => {
    requests += 1;
    if (req.get('authorization') !== `Bearer ${options.accessToken}`) return cloudError(res, 401, 190, TITLES[190]!);
    const timeout = takeFault('timeout');
    if (timeout) {
      // Never answer; drop the connection long after any client gave up.
      held.add(res);
      const timer = setTimeout(() => res.socket?.destroy(), timeout.holdMs ?? 15_000);
      timers.add(timer);
      return;
    }
    const slow = takeFault('slow');
    if (slow) await later(slow.delayMs);
    const http = takeFault('http', req.body as { to?: string; type?: string });
    if (http) {
      const code = http.code ?? (http.status === 429 ? 130429 : 131000);
      return cloudError(res, http.status, code, TITLES[code] ?? 'Something went wrong');
    }
    if ((req.body as { status?: unknown }).status === 'read') {
      const refused = refusalOfReadReceipt(req.body as Record<string, unknown>);
      if (refused) return cloudError(res, refused.status, refused.code, refused.message);
      const body = req.body as { message_id: string; typing_indicator?: unknown };
      reads.push({ phoneNumberId: String(req.params.phoneNumberId), messageId: body.message_id, typing: body.typing_indicator !== undefined, receivedAt: new Date() });
      return res.json({ success: true });
    }
    const unsupported = options.acceptEverything ? undefined : checkMessageType(req.body);
    if (unsupported) return sendMetaError(res, unsupported);
    const channel = options.acceptEverything
      ? null
      : endpoint === 'marketing_messages'
        ? refusalOfMarketingSend(req.body as Record<string, unknown>, templateManager.templates())
        : refusalOfDirectSend(req.body as Record<string, unknown>, directSend.has(String(req.params.phoneNumberId)));
    if (channel) return sendMetaError(res, channel);
    const parsed = SendBody.safeParse(req.body);
    if (!parsed.success) return cloudError(res, 400, 100, `Invalid parameter: ${parsed.error.issues[0]?.message ?? ''}`);
    const interactive = (req.body as { interactive?: { type?: unknown } }).interactive;
    const refused =
      parsed.data.type === 'template'
        ? null
        : interactive?.type === 'call_permission_request' && parsed.data.type === 'interactive'
          ? permissions.takeRequest(String(req.params.phoneNumberId), parsed.data.to ?? parsed.data.recipient ?? '', interactive as Record<string, unknown>)
          : refusalOfSessionMessage(req.body as Record<string, unknown>);
    if (refused) return cloudError(res, refused.status, refused.code, refused.message);
    if (parsed.data.type === 'template' && !options.acceptEverything) {
      const problem = validateTemplateSend(templateManager.templates(), parsed.data.template!);
      if (problem) return sendMetaError(res, problem);
    }
    const key = req.get('idempotency-key');
    const known = key ? byIdempotencyKey.get(key) : undefined;
    const recipient = parsed.data.to ?? parsed.data.recipient!;
    const contacts = [parsed.data.to ? { input: recipient, wa_id: recipients.waIdFor(recipient) } : { input: recipient, user_id: recipient }];
    if (known) return res.json({ messaging_product: 'whatsapp', contacts, messages: [{ id: known }] });

    const message: SentMessage = {
      phoneNumberId: String(req.params.phoneNumberId),
      endpoint,
      ...(parsed.data.to ? { to: parsed.data.to } : {}),
      ...(parsed.data.recipient ? { recipient: parsed.data.recipient } : {}),
      type: parsed.data.type,
      body: req.body as Record<string, unknown>,
      wamid: newWamid(),
      ...(key ? { idempotencyKey: key } : {}),
      receivedAt: new Date(),
    };
    if (key) byIdempotencyKey.set(key, message.wamid);
    sent.push(message);
    res.json({ messaging_product: 'whatsapp', contacts, messages: [{ id: message.wamid, message_status: 'accepted' }] });
    // Meta accepts a send to a number that cannot get it, and says so later: a failed status with 131026.
    if (parsed.data.to && recipients.isUnreachable(parsed.data.to)) return void failLater(message, recipients.undeliverable());
    // Marketing templates only: a person who stopped them (131050), or past the per-user marketing limit (131049).
    const sentTemplate = parsed.data.type === 'template' ? templateManager.templates().find((t) => t.name === parsed.data.template?.name) : undefined;
    const marketingRefusal = sentTemplate?.category === 'MARKETING' && parsed.data.to ? health.marketingRefusal(parsed.data.to) : undefined;
    if (marketingRefusal) return void failLater(message, marketingRefusal);
    scheduleStatuses(message);
  };
  app.post('/:version/:phoneNumberId/messages', handleSend('messages'));
  app.post('/:version/:phoneNumberId/marketing_messages', handleSend('marketing_messages'));

  app.use((_req, res) => void cloudError(res, 404, 100, 'Unknown path components'));
  // A body express.json refused (not JSON, `null` in strict mode, too large): Meta answers with its error object,
  // the controls with theirs; never express's HTML page with a stack trace.
  app.use((err: { status?: number; message?: string }, req: Request, res: Response, next: (err?: unknown) => void) => {
    if (res.headersSent) return next(err);
    const status = typeof err.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
    const detail = status === 500 ? 'Something went wrong' : (err.message ?? 'Invalid request');
    if (req.path.startsWith('/_sim')) return void res.status(status).json({ error: status === 500 ? 'internal' : 'invalid_request', detail });
    cloudError(res, status === 500 ? 500 : 400, status === 500 ? 1 : 100, status === 500 ? 'An unknown error has occurred.' : 'Invalid parameter');
  });

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve(s)).once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  url = `http://${options.host ?? '127.0.0.1'}:${port}`;

  return {
    url,
    /** The bytes the broker holds under a media id (what the connector uploaded, or a customer sent). */
    media: media.get,
    sent: (): SentMessage[] => [...sent],
    /** Mark-as-read and typing-indicator calls, oldest first. */
    reads: (): ReadReceipt[] => [...reads],
    requests: (): number => requests,
    /** Media uploads as they arrived (type, file name, size, sha256, Content-Length), oldest first. */
    uploads: mediaUploads.uploads,
    reset(): void {
      mediaUploads.reset();
      sent = [];
      reads = [];
      requests = 0;
      faults = [];
    },
    setWebhookUrl(url: string): void {
      webhookUrl = url;
    },
    injectFault(fault: Fault): void {
      faults.push({ ...fault });
    },
    clearFaults(): void {
      faults = [];
    },
    deliverWebhook: (body: CloudWebhookBody | object, opts?: { signatureOverride?: string; duplicate?: boolean }) => deliverWebhook(body, opts),
    sendInboundText,
    sendInboundImage,
    /** WhatsApp changed a business portfolio's messaging limit: the `business_capability_update` webhook. */
    sendCapabilityUpdate: (update: CapabilityUpdate) => deliverWebhook(businessCapabilityWebhook(update)),
    ...customer.actions,
    templates: templateManager.templates,
    setTemplateStatus: templateManager.setTemplateStatus,
    setTemplateCategory: templateManager.setTemplateCategory,
    scriptReview: templateManager.scriptReview,
    playReview: templateManager.playReview,
    seedTemplate: templateManager.seedTemplate,
    /** A template sample uploaded through the Resumable Upload API, by its handle. */
    uploadedSample: uploads.handle,
    /** Sends to this number are accepted, then fail with 131026 by status webhook, as Meta reports them. */
    setUnreachable: recipients.setUnreachable,
    /** Who the number blocked (Block Users API), oldest first. */
    blocked: blockUsers.blocked,
    /** Meta enabled (or withdrew) Direct Send for this number. */
    setDirectSend(phoneNumberId: string, on: boolean): void {
      if (on) directSend.add(phoneNumberId);
      else directSend.delete(phoneNumberId);
    },
    /** The `contacts[].wa_id` Meta answers for this `to` (Meta may normalise the number it was given). */
    setWaId: recipients.setWaId,
    /** Marketing templates to this number fail with 131050 (the person stopped them) / 131049 (per-user limit). */
    stopMarketing: health.stopMarketing,
    limitMarketing: health.limitMarketing,
    /** The calling settings the connector pushed (POST /<id>/settings) and the SIP password "Meta" generated. */
    callingSettings: calling.callingSettings,
    /** Meta's SIP side: calls a simulated customer places and answers, and their `calls` webhooks (simulator/meta-sip.ts). */
    sip: metaSip,
    /** The customer answers a call permission request: Meta's `call_permission_reply` webhook. */
    replyToCallPermission: permissions.replyToCallPermission,
    async close(): Promise<void> {
      closed = true;
      await metaSip.close();
      for (const timer of timers) clearTimeout(timer);
      for (const res of held) res.socket?.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type BrokerSimulator = Awaited<ReturnType<typeof startBrokerSimulator>>;
