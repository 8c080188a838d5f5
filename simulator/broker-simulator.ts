/**
 * A WhatsApp broker on loopback, speaking the Cloud API subset the connector uses: sends (with an Idempotency-Key
 * honoured), signed webhooks redelivered until acknowledged like Meta's, automatic delivery statuses, and faults
 * injected on demand. Shared by tests, benchmarks and `npm start`.
 */
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import express, { type Request } from 'express';
import { installTemplateManager } from './template-manager';
import { installCallingSettings } from './calling-settings';
import { installCallPermissions } from './call-permissions';
import { cloudError } from './errors';
import { installResumableUpload } from './resumable-upload';
import { createRecipients } from './recipients';
import type { ReviewStep } from './template-review';
import { inboundImageWebhook, inboundTextWebhook, newWamid, type CloudWebhookBody, type InboundOptions } from './cloud-api.payloads';
import { customerActions } from './inbound-customer';
import { installAccountHealth } from './account-health';
import { serviceWindows } from './pricing';
import { createMediaStore } from './media-store';
import { businessCapabilityWebhook, type CapabilityUpdate } from './capability-webhook';
import { installBlockUsers } from './block-users';
import { installPhoneNumbers } from './phone-numbers';
import { installMediaUpload } from './media-upload';
import { lateMediaFailure, mediaOf, refusalOfMediaReference } from './media-send.validate';
import { createMetaSip } from './meta-sip';
import { installCallControls } from './sip-calls.routes';
import { createFaults } from './faults';
import { createWebhookDelivery, type DeliveryOptions, type WebhookDelivery } from './webhook-delivery';
import { createStatusWebhooks } from './status-webhooks';
import { installMessages } from './messages.routes';
import { stateDirectory } from './state-file';
import { serviceWindowRule, type ServiceWindowEnforcement } from './service-window';
import { installFallbacks, installSimControls } from './sim-controls';
export type { Fault } from './faults';
export type { WebhookDelivery } from './webhook-delivery';
export type { ReadReceipt, SentMessage } from './messages.routes';

/** How the simulated broker starts (bin/broker-simulator.ts, `npm start`, the test rigs). */
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
  /**
   * Business phone number ids the simulated account holds besides Meta's example 106540352242922 (more are learned from
   * the webhooks it delivers, or added by `POST /_sim/numbers`); Graph calls naming another are refused
   * (simulator/phone-numbers.ts). Absent (`npm start`): the account holds every number it is asked about.
   */
  phoneNumbers?: string[];
  /** The blocklist's size limit (Meta: 64,000); tests lower it to reach it. */
  blocklistLimit?: number;
  /** Load benchmarks only: accept every send and template unchecked (no Meta rules, no unknown-template refusals). */
  acceptEverything?: boolean;
  /** The WhatsApp Business Account its account-health webhooks name (default Meta's example id, 102290129340398). */
  wabaId?: string;
  /** The SIP transport of the simulated Meta SIP server (default udp; Meta itself speaks TLS only). */
  sipTransport?: 'udp' | 'tcp';
  /**
   * Where WhatsApp's side is kept across restarts (`npm start`: `.data/simulator`), a JSON file per part (templates,
   * calling, blocks, windows: simulator/state-file.ts). Unset (tests, benchmarks): everything is in memory only.
   */
  stateDir?: string;
  /**
   * Fail free-form sends outside the customer service window with 131047, as Meta does (simulator/service-window.ts):
   * `known-users` (`npm start`, the e2e rig), `all`, or `off` (the default).
   */
  enforceServiceWindow?: ServiceWindowEnforcement;
}

/**
 * Starts the simulated broker on loopback (a free port unless `port`): the Graph API routes the connector calls, the
 * `/_sim/*` controls, and Meta's SIP side. Answers its URL and the controls tests use; `close()` stops everything.
 */
export async function startBrokerSimulator(options: SimulatorOptions) {
  const state = stateDirectory(options.stateDir);
  const windows = serviceWindows(state.part('service-windows'));
  let webhookUrl = options.webhookUrl;
  let url = '';
  const faults = createFaults();
  const timers = new Set<NodeJS.Timeout>();
  const held = new Set<ServerResponse>();
  let closed = false;
  /** Media the broker holds: uploaded by the connector, or sent by a simulated customer (bytes, or a stream made on demand). */
  const media = createMediaStore({ index: state.part('media'), files: state.files('media') });
  const storeMedia = media.store;

  const later = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => void (timers.delete(timer), resolve()), ms);
      timers.add(timer);
    });

  const deliverWebhook = createWebhookDelivery({
    appSecret: options.appSecret,
    redeliver: options.redeliver ?? { attempts: 8, initialDelayMs: 200 },
    webhookUrl: () => webhookUrl,
    later,
    isClosed: () => closed,
    takeDuplicate: () => faults.take('duplicateWebhooks') !== undefined,
    // Created below; only called once a webhook goes out.
    observers: [(body) => phoneNumbers.noteDelivered(body), (body) => blockUsers.noteDelivered(body), (body) => permissions.noteDelivered(body), (body) => windows.noteInbound(body), (body) => messages.noteDelivered(body)],
  });

  /**
   * What the simulated customer sends: delivered, unless the number blocked them ("The user cannot contact your
   * business", https://developers.facebook.com/documentation/business-messaging/whatsapp/block-users/), when nothing
   * reaches the connector. `deliverWebhook` itself delivers any body given (a test's literal payload, a redelivery).
   */
  const fromCustomer = (body: object, opts?: DeliveryOptions): Promise<WebhookDelivery> =>
    blockUsers.blockedSender(body) ? Promise.resolve({ attempts: 0, finalStatus: 0, blocked: true }) : deliverWebhook(body, opts);

  async function sendInboundText(opts: InboundOptions & { text: string; duplicate?: boolean }): Promise<{ wamid: string; delivery: WebhookDelivery }> {
    const wamid = opts.wamid ?? newWamid();
    return { wamid, delivery: await fromCustomer(inboundTextWebhook({ ...opts, wamid }), { duplicate: opts.duplicate ?? false }) };
  }

  /** A customer sends an image: the broker keeps the bytes and tells the connector their media id. */
  async function sendInboundImage(opts: InboundOptions & { bytes: Buffer; mimeType: string; caption?: string }): Promise<{ wamid: string; mediaId: string; delivery: WebhookDelivery }> {
    const wamid = opts.wamid ?? newWamid();
    const mediaId = storeMedia(opts.bytes, opts.mimeType);
    const sha256 = createHash('sha256').update(opts.bytes).digest('base64');
    const body = inboundImageWebhook({ ...opts, wamid, mediaId, mimeType: opts.mimeType, sha256, ...(opts.caption ? { caption: opts.caption } : {}) });
    return { wamid, mediaId, delivery: await fromCustomer(body) };
  }

  const customer = customerActions({ deliverWebhook: (body) => fromCustomer(body), storeMedia });

  const app = express();
  app.use(express.json({ limit: '5mb' }));
  const authorized = (req: Request) => req.get('authorization') === `Bearer ${options.accessToken}`;

  // Simulator controls first: `/_sim/x` would otherwise match the Graph API's `/:version/:id` routes.
  const phoneNumbers = installPhoneNumbers(app, options.phoneNumbers);
  const uploads = installResumableUpload(app, options.accessToken);
  const defaultPlay = options.reviewPlay ?? (options.autoApproveTemplatesAfterMs !== undefined ? [{ afterMs: options.autoApproveTemplatesAfterMs, status: 'APPROVED' as const }] : []);
  const templateManager = installTemplateManager(app, {
    authorized,
    deliverWebhook: (body) => deliverWebhook(body),
    knownHandle: uploads.knownHandle,
    defaultPlay,
    ...(options.acceptEverything ? { acceptEverything: true } : {}),
    state: state.part('templates'),
    later,
  });
  const recipients = createRecipients(app);
  const blockUsers = installBlockUsers(app, { authorized, refuse: cloudError, numbers: phoneNumbers, state: state.part('block-users') }, options.blocklistLimit ? { maxBlocklist: options.blocklistLimit } : {});
  const health = installAccountHealth(app, { deliverWebhook: (body) => deliverWebhook(body), defaultWabaId: options.wabaId ?? '102290129340398' });
  const calling = installCallingSettings(app, { authorized, state: state.part('calling-settings') });
  const permissions = installCallPermissions(app, { authorized, deliverWebhook: (body) => deliverWebhook(body), state: state.part('call-permissions') });
  const metaSip = createMetaSip({
    host: options.host ?? '127.0.0.1',
    ...(options.sipTransport ? { transport: options.sipTransport } : {}),
    callingSettings: calling.callingSettings,
    numbers: calling.numbers,
    deliverWebhook: (body) => deliverWebhook(body),
    isBlocked: (phoneNumberId, from) => blockUsers.isBlocked(phoneNumberId, { from }),
    noteCall: (body) => windows.noteInbound(body),
    permissions,
    state: state.part('meta-sip'),
  });
  installCallControls(app, metaSip);

  installSimControls(app, {
    recorded: () => messages.recorded(),
    faults,
    inbound: (body) => (body.type === undefined || body.type === 'text' ? sendInboundText(body as InboundOptions & { text: string }) : customer.playInbound(body as never)),
  });

  const mediaUploads = installMediaUpload(app, { authorized, storeMedia });
  media.installRoutes(app, { authorized, refuse: cloudError, baseUrl: () => url });

  const statuses = createStatusWebhooks({
    deliverWebhook,
    later,
    isClosed: () => closed,
    statusDelayMs: options.statusDelayMs ?? 20,
    autoStatuses: options.autoStatuses !== false,
    windows,
    templateCategory: (name) => templateManager.templates().find((t) => t.name === name)?.category,
  });
  const messages = installMessages(app, {
    accessToken: options.accessToken,
    acceptEverything: options.acceptEverything ?? false,
    faults,
    later,
    hold: (res, ms) => {
      held.add(res);
      timers.add(setTimeout(() => res.socket?.destroy(), ms));
    },
    templates: templateManager.templates,
    recipients,
    takeCallPermissionRequest: permissions.takeRequest,
    windowFailure: serviceWindowRule(options.enforceServiceWindow ?? 'off', windows, recipients.waIdFor),
    marketingRefusal: health.marketingRefusal,
    statuses,
    blockedSendRefusal: blockUsers.blockedSendRefusal,
    media: {
      refusal: (body) => refusalOfMediaReference(body, media.get),
      lateFailure: (body) => (mediaOf(body) ? lateMediaFailure(body, media.get) : null),
    },
  });

  installFallbacks(app);

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve(s)).once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  url = `http://${options.host ?? '127.0.0.1'}:${port}`;

  return {
    url,
    /** The bytes the broker holds under a media id (what the connector uploaded, or a customer sent). */
    media: media.get,
    sent: messages.sent,
    /** Mark-as-read and typing-indicator calls, oldest first. */
    reads: messages.reads,
    requests: messages.requests,
    /** Media uploads as they arrived (type, file name, size, sha256, Content-Length), oldest first. */
    uploads: mediaUploads.uploads,
    reset(): void {
      mediaUploads.reset();
      messages.reset();
      faults.clear();
    },
    setWebhookUrl: (next: string): void => void (webhookUrl = next),
    injectFault: faults.add,
    clearFaults: faults.clear,
    deliverWebhook: (body: CloudWebhookBody | object, opts?: DeliveryOptions) => deliverWebhook(body, opts),
    sendInboundText,
    sendInboundImage,
    /** WhatsApp changed a business portfolio's messaging limit: the `business_capability_update` webhook. */
    sendCapabilityUpdate: (update: CapabilityUpdate) => deliverWebhook(businessCapabilityWebhook(update)),
    ...customer.actions,
    templates: templateManager.templates,
    setTemplateStatus: templateManager.setTemplateStatus,
    setTemplateCategory: templateManager.setTemplateCategory,
    forgetTemplate: templateManager.forgetTemplate,
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
    setDirectSend: messages.setDirectSend,
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
      state.flush();
      await metaSip.close();
      for (const timer of timers) clearTimeout(timer);
      for (const res of held) res.socket?.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The running simulator: its URL and controls (see startBrokerSimulator). */
export type BrokerSimulator = Awaited<ReturnType<typeof startBrokerSimulator>>;
