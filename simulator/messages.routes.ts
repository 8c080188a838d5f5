/**
 * The Cloud API's send edges on the simulated broker: `POST /<PHONE_NUMBER_ID>/messages` (every message, and
 * mark-as-read with the typing indicator) and `POST /<PHONE_NUMBER_ID>/marketing_messages` (marketing templates
 * only). Each refusal is Meta's (simulator/errors.ts); an accepted send answers `contacts[]` and the wamid, honours an
 * Idempotency-Key, and is followed by its status webhooks (simulator/status-webhooks.ts).
 * - https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/send-messages
 * - https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
 */
import type { Express, Request, Response } from 'express';
import { z } from 'zod';
import { cloudError, sendMetaError, type MetaRefusal } from './errors';
import type { Faults } from './faults';
import { newWamid } from './cloud-api.payloads';
import { checkMessageType, type createRecipients } from './recipients';
import { refusalOfReadReceipt, refusalOfSessionMessage, type CloudRefusal } from './session-messages.validate';
import { refusalOfDirectSend, refusalOfMarketingSend } from './send-channels.validate';
import { validateTemplateSend } from './template-send.validate';
import type { installTemplateManager } from './template-manager';
import type { createStatusWebhooks, LateFailure } from './status-webhooks';
import { receivedMessages } from './received-messages';

/** A message the broker accepted, as tests and the demo read it back (`GET /_sim/sent`). */
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

/** A mark-as-read (and typing indicator) call the connector made. */
export interface ReadReceipt {
  phoneNumberId: string;
  messageId: string;
  typing: boolean;
  receivedAt: Date;
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

/** Titles of the codes an injected `http` fault answers with (others: "Something went wrong"). */
const FAULT_TITLES: Record<number, string> = {
  130429: 'Rate limit hit',
  131047: 'Re-engagement message',
  131026: 'Message undeliverable',
  131056: 'Pair rate limit hit',
  131048: 'Spam rate limit hit',
  132001: 'Template does not exist',
  190: 'Access token has expired',
};

/** What the send edges need: the token, the faults, the templates, the other parts of the broker that refuse or report. */
export interface MessagesDeps {
  accessToken: string;
  /** Load benchmarks only: accept every send and template unchecked. */
  acceptEverything: boolean;
  faults: Faults;
  later: (ms: number) => Promise<void>;
  /** Never answers `res`: its connection is dropped after `ms` (an injected timeout). */
  hold: (res: Response, ms: number) => void;
  templates: ReturnType<typeof installTemplateManager>['templates'];
  recipients: ReturnType<typeof createRecipients>;
  /** A `call_permission_request` send: Meta's refusal, or null once counted (simulator/call-permissions.ts). */
  takeCallPermissionRequest: (phoneNumberId: string, to: string, interactive: Record<string, unknown>) => CloudRefusal | null;
  /** Meta's 131047 for a free-form send outside the customer service window, reported later (simulator/service-window.ts). */
  windowFailure: (message: SentMessage) => LateFailure | undefined;
  /** The refusal WhatsApp reports later for a marketing template to this recipient (131049, 131050), if any. */
  marketingRefusal: (to: string) => LateFailure | undefined;
  statuses: ReturnType<typeof createStatusWebhooks>;
  /** Meta's refusal of a send to a user the number blocked (simulator/block-users.ts), if it is one. */
  blockedSendRefusal: (phoneNumberId: string, to: { to?: string; recipient?: string }) => MetaRefusal | undefined;
  /** The media of a send (simulator/media-send.validate.ts): refused in the answer, or failed later with 131053. */
  media: {
    refusal: (body: Record<string, unknown>) => MetaRefusal | undefined;
    /** Resolves to Meta's late failure for the media of an accepted send, or undefined; null: the send has no media. */
    lateFailure: (body: Record<string, unknown>) => Promise<LateFailure | undefined> | null;
  };
}

/** Installs both send edges; answers what was sent and read, and Direct Send's switch per number. */
export function installMessages(app: Express, deps: MessagesDeps) {
  let sent: SentMessage[] = [];
  let reads: ReadReceipt[] = [];
  let requests = 0;
  const byIdempotencyKey = new Map<string, string>();
  /** Numbers Meta enabled Direct Send for (simulator/send-channels.validate.ts). */
  const directSend = new Set<string>();
  /** The customer messages delivered, for judging what a read or a reaction names (simulator/received-messages.ts). */
  const received = receivedMessages();

  // /messages takes every message; /marketing_messages marketing templates only (send-channels.validate.ts).
  const handleSend = (endpoint: 'messages' | 'marketing_messages') => async (req: Request, res: Response) => {
    requests += 1;
    if (req.get('authorization') !== `Bearer ${deps.accessToken}`) return cloudError(res, 401, 190, FAULT_TITLES[190]!);
    const timeout = deps.faults.take('timeout');
    // Never answer; drop the connection long after any client gave up.
    if (timeout) return deps.hold(res, timeout.holdMs ?? 15_000);
    const slow = deps.faults.take('slow');
    if (slow) await deps.later(slow.delayMs);
    const http = deps.faults.take('http', req.body as { to?: string; type?: string });
    if (http) {
      const code = http.code ?? (http.status === 429 ? 130429 : 131000);
      return cloudError(res, http.status, code, FAULT_TITLES[code] ?? 'Something went wrong');
    }
    if ((req.body as { status?: unknown }).status === 'read') {
      const refused =
        refusalOfReadReceipt(req.body as Record<string, unknown>) ??
        (deps.acceptEverything ? undefined : received.readRefusal(String((req.body as { message_id: unknown }).message_id)));
      if (refused) return cloudError(res, refused.status, refused.code, refused.message);
      const body = req.body as { message_id: string; typing_indicator?: unknown };
      reads.push({ phoneNumberId: String(req.params.phoneNumberId), messageId: body.message_id, typing: body.typing_indicator !== undefined, receivedAt: new Date() });
      return res.json({ success: true });
    }
    const unsupported = deps.acceptEverything ? undefined : checkMessageType(req.body);
    if (unsupported) return sendMetaError(res, unsupported);
    const channel = deps.acceptEverything
      ? null
      : endpoint === 'marketing_messages'
        ? refusalOfMarketingSend(req.body as Record<string, unknown>, deps.templates())
        : refusalOfDirectSend(req.body as Record<string, unknown>, directSend.has(String(req.params.phoneNumberId)));
    if (channel) return sendMetaError(res, channel);
    const parsed = SendBody.safeParse(req.body);
    if (!parsed.success) return cloudError(res, 400, 100, `Invalid parameter: ${parsed.error.issues[0]?.message ?? ''}`);
    const key = req.get('idempotency-key');
    const known = key ? byIdempotencyKey.get(key) : undefined;
    // A blocked user: refused before anything is counted (a call permission request's limits) or sent. A retry of a
    // send accepted before the block is answered its wamid below, as Meta answers a repeated Idempotency-Key.
    const blocked = deps.acceptEverything || known ? undefined : deps.blockedSendRefusal(String(req.params.phoneNumberId), parsed.data);
    if (blocked) return sendMetaError(res, blocked);
    const interactive = (req.body as { interactive?: { type?: unknown } }).interactive;
    const refused =
      parsed.data.type === 'template'
        ? null
        : interactive?.type === 'call_permission_request' && parsed.data.type === 'interactive'
          ? deps.takeCallPermissionRequest(String(req.params.phoneNumberId), parsed.data.to ?? parsed.data.recipient ?? '', interactive as Record<string, unknown>)
          : refusalOfSessionMessage(req.body as Record<string, unknown>);
    if (refused) return cloudError(res, refused.status, refused.code, refused.message);
    if (parsed.data.type === 'template' && !deps.acceptEverything) {
      const problem = validateTemplateSend(deps.templates(), parsed.data.template!);
      if (problem) return sendMetaError(res, problem);
    }
    // A retry of an accepted send is answered its wamid even if its media has gone since.
    const badMedia = deps.acceptEverything || known ? undefined : deps.media.refusal(req.body as Record<string, unknown>);
    if (badMedia) return sendMetaError(res, badMedia);
    const recipient = parsed.data.to ?? parsed.data.recipient!;
    const contacts = [parsed.data.to ? { input: recipient, wa_id: deps.recipients.waIdFor(recipient) } : { input: recipient, user_id: recipient }];
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
    received.noteSent(message.wamid);
    res.json({ messaging_product: 'whatsapp', contacts, messages: [{ id: message.wamid, message_status: 'accepted' }] });
    // Meta accepts a send to a number that cannot get it, and says so later: a failed status with 131026.
    if (parsed.data.to && deps.recipients.isUnreachable(parsed.data.to)) return void deps.statuses.failLater(message, deps.recipients.undeliverable());
    // Free-form past the customer service window: accepted, then failed with 131047.
    const windowClosed = deps.acceptEverything ? undefined : deps.windowFailure(message);
    if (windowClosed) return void deps.statuses.failLater(message, windowClosed);
    // Marketing templates only: a person who stopped them (131050), or past the per-user marketing limit (131049).
    const sentTemplate = parsed.data.type === 'template' ? deps.templates().find((t) => t.name === parsed.data.template?.name) : undefined;
    const marketingRefusal = sentTemplate?.category === 'MARKETING' && parsed.data.to ? deps.marketingRefusal(parsed.data.to) : undefined;
    if (marketingRefusal) return void deps.statuses.failLater(message, marketingRefusal);
    // A reaction to a message WhatsApp will not apply it to: answered, then failed (131009).
    const badReaction = deps.acceptEverything ? undefined : received.lateFailure(message.phoneNumberId, message.body, deps.recipients.waIdFor);
    if (badReaction) return void deps.statuses.failLater(message, badReaction);
    // Media is fetched or read after the answer; what is wrong with it comes as a failed status (131053).
    const media = deps.acceptEverything ? null : deps.media.lateFailure(message.body);
    if (media) return void media.then((failure) => (failure ? deps.statuses.failLater(message, failure) : deps.statuses.deliver(message)));
    deps.statuses.deliver(message);
  };
  app.post('/:version/:phoneNumberId/messages', handleSend('messages'));
  app.post('/:version/:phoneNumberId/marketing_messages', handleSend('marketing_messages'));

  return {
    sent: (): SentMessage[] => [...sent],
    /** Mark-as-read and typing-indicator calls, oldest first. */
    reads: (): ReadReceipt[] => [...reads],
    requests: (): number => requests,
    /** Observer of every webhook delivered: remembers the customer messages a reaction may name. */
    noteDelivered: (body: object): void => received.noteDelivered(body),
    /** The raw lists, for the `GET /_sim/sent` control. */
    recorded: () => ({ sent, reads }),
    reset(): void {
      sent = [];
      reads = [];
      requests = 0;
    },
    /** Meta enabled (or withdrew) Direct Send for this number. */
    setDirectSend(phoneNumberId: string, on: boolean): void {
      if (on) directSend.add(phoneNumberId);
      else directSend.delete(phoneNumberId);
    },
  };
}
