/**
 * The simulator's SIP side, playing Meta's SIP server (wa.meta.vc) with the project's own SIP code
 * (integrations/sip: transport, client transactions, dialogs): a simulated WhatsApp user calls a business number
 * (INVITE with an SDP offer shaped like Meta's to the SIP server of the number's calling settings, the digest
 * challenge answered with the SIP password "Meta" generated for the number, ACK, then BYE or CANCEL), and answers
 * the business's own calls (meta-sip.answer.ts). `calls` webhooks follow each call when enabled for the number.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/sip/
 * Meta signals over TLS only; the simulator calls over UDP by default (no certificate needed), TCP, or TLS
 * (`useTransport`), and takes the business's INVITEs on UDP and TCP.
 */
import { openSipTransport, type Inbound, type SipTransport } from '../integrations/sip/sip.transport';
import { createTransactionLayer, type TransactionLayer } from '../integrations/sip/sip.transaction';
import { buildCancel, buildInDialog, buildResponse, dialogFromAnswer, dialogHop, type SipHop, type SipTransportName } from '../integrations/sip/sip.dialog';
import { header, isResponse, type SipRequest, type SipResponse } from '../integrations/sip/sip.message';
import { parseCSeq } from '../integrations/sip/sip.headers';
import { callConnectWebhook, callTerminateWebhook, metaSdp, newWacid } from './calls-webhook';
import { asMeta, META_ALLOW, newCallId, newTag, type SimCall } from './meta-sip.call';
import { answerChallenge, buildInvite, CallNotPlaceable, inviteTarget, type InviteTarget, type PlaceCallOptions } from './meta-sip.invite';
import { createBusinessCallAnswerer, type Answering } from './meta-sip.answer';
import type { Held } from './calling-settings';
import type { StateFile } from './state-file';

/** What the SIP side keeps across restarts (`meta-sip.json`): the numbers with calls webhooks on. */
export interface MetaSipState {
  callWebhooks: string[];
}

export interface MetaSipDeps {
  host: string;
  transport?: SipTransportName;
  /** PEM CAs trusted when calling the business over TLS (its certificate must cover the settings' hostname). */
  tlsCa?: string[];
  callingSettings(phoneNumberId: string): Held | undefined;
  numbers(): [phoneNumberId: string, held: Held][];
  deliverWebhook(body: object): Promise<unknown>;
  /** The users' call permissions, one store with `GET call_permissions` (simulator/call-permissions.ts). */
  permissions: { holds(phoneNumberId: string, waId: string): boolean; grant(phoneNumberId: string, waId: string, expiresAt?: number | false): void };
  /** Whether the number blocked this wa_id (Block Users API): a blocked user "cannot contact your business". */
  isBlocked?(phoneNumberId: string, waId: string): boolean;
  /** Told every `calls` webhook body, delivered or not (the customer service windows, simulator/pricing.ts). */
  noteCall?(body: object): void;
  t1Ms?: number;
  state?: StateFile<MetaSipState>;
}

export { CallNotPlaceable, type PlaceCallOptions } from './meta-sip.invite';

export function createMetaSip(deps: MetaSipDeps) {
  const t1 = deps.t1Ms ?? 500;
  let kind: SipTransportName = deps.transport ?? 'udp';
  let tlsCa = deps.tlsCa;
  const calls = new Map<string, SimCall>();
  const invites = new Map<string, { request: SipRequest; hop: SipHop }>();
  const kept = deps.state?.load();
  const webhooksFor = new Set<string>(kept?.callWebhooks ?? []);
  const save = () => deps.state?.save(() => ({ callWebhooks: [...webhooksFor] }), true);
  const timers = new Set<NodeJS.Timeout>();
  let transport: SipTransport | undefined;
  let layer: TransactionLayer | undefined;
  let opening: Promise<SipTransport> | undefined;

  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };
  const local = () => ({ host: transport!.host, port: transport!.port });

  /** The `calls` webhooks of a call, in order, when enabled for its number. */
  function tell(c: SimCall, body: () => object): void {
    // A call opens the customer service window whether or not its webhooks are delivered.
    deps.noteCall?.(body());
    if (!webhooksFor.has(c.phoneNumberId)) return;
    c.webhooks = c.webhooks.then(() => deps.deliverWebhook(body())).catch(() => undefined);
  }
  // The user's side of the media: Meta's offer on a user's call, its answer on the business's (sdp_type says which).
  const connected = (c: SimCall) => tell(c, () => callConnectWebhook(c, c.answeredAt ?? c.offeredAt, c.sdp));
  function finish(c: SimCall, state: SimCall['state'], at: number, by?: 'customer' | 'business', status?: number): void {
    if (['ended', 'cancelled', 'declined', 'missed', 'refused', 'failed'].includes(c.state)) return;
    Object.assign(c, { state, endedAt: at, ...(by ? { endedBy: by } : {}), ...(status ? { finalStatus: status } : {}) });
    tell(c, () => callTerminateWebhook(c, at, { ...(c.answeredAt ? { answeredAt: c.answeredAt } : {}), endedAt: at }));
  }

  const answerer = createBusinessCallAnswerer({
    numbers: deps.numbers,
    ...(deps.isBlocked ? { isBlocked: deps.isBlocked } : {}),
    hasPermission: deps.permissions.holds,
    register: (c) => void calls.set(c.callId, c),
    find: (callId) => calls.get(callId),
    local,
    send: (message, hop) => transport!.send(message, hop),
    start: (request, hop) => layer!.start(request, hop),
    connected,
    finish,
    later,
    t1Ms: t1,
  });

  async function open(): Promise<SipTransport> {
    // Over TLS the simulator only connects out (as Meta's client); it listens on UDP/TCP for the business's INVITEs.
    opening ??= openSipTransport({ host: deps.host, port: 0, ...(kind === 'tls' ? { tls: { ...(tlsCa ? { ca: tlsCa } : {}) } } : {}), onMessage: (inbound) => void onMessage(inbound), onMalformed: () => undefined }).then((t) => {
      transport = t;
      layer = createTransactionLayer(t, { t1Ms: t1, t2Ms: 4_000 });
      return t;
    });
    return opening;
  }

  async function onMessage(inbound: Inbound): Promise<void> {
    const message = inbound.message;
    if (isResponse(message)) {
      if (layer!.receive(message)) return;
      // A retransmitted 2xx of an answered call: its ACK again (RFC 3261 §13.2.2.4).
      const c = calls.get(header(message, 'Call-ID') ?? '');
      if (c?.dialog && message.status < 300 && /INVITE/i.test(header(message, 'CSeq') ?? '')) await sendAck(c, parseCSeq(header(message, 'CSeq')!).seq);
      return;
    }
    const c = calls.get(header(message, 'Call-ID') ?? '');
    const reply = (status: number, reason: string, extra: [string, string][] = [], body = '') =>
      inbound.reply(asMeta({ ...buildResponse(message, status, reason, extra, META_ALLOW), body })).catch(() => undefined);
    if (c?.direction === 'BUSINESS_INITIATED' || (!c && message.method === 'INVITE')) return answerer.onRequest(message, inbound, c);
    switch (message.method) {
      case 'BYE':
        if (!c) return void (await reply(481, 'Call/Transaction Does Not Exist'));
        await reply(200, 'OK');
        return finish(c, 'ended', Date.now(), 'business');
      case 'INVITE': // a re-INVITE the business relays (hold): the customer keeps its media as offered
        return void (await reply(200, 'OK', [['Contact', `<sip:+${c!.customer}@${local().host}:${local().port}>`], ['Content-Type', 'application/sdp']], c!.sdp));
      case 'OPTIONS':
        return void (await reply(200, 'OK'));
      case 'ACK':
        return;
      default:
        return void (await reply(405, 'Method Not Allowed'));
    }
  }

  async function sendAck(c: SimCall, seq: number): Promise<void> {
    await transport!.send(asMeta(buildInDialog(c.dialog!, 'ACK', seq, local())), dialogHop(c.dialog!)).catch(() => undefined);
  }

  /** INVITE (and the INVITE again with credentials after a 401), then whatever the business answers. */
  async function run(c: SimCall, opts: PlaceCallOptions, target: InviteTarget): Promise<void> {
    const call = { callId: c.callId, fromTag: newTag(), sdp: c.sdp, from: opts.from };
    const build = (seq: number, auth?: string): SipRequest => buildInvite(call, target, local(), kind, seq, auth);
    let seq = 1;
    let invite = build(seq);
    for (;;) {
      invites.set(c.callId, { request: invite, hop: target.hop });
      const tx = layer!.start(invite, target.hop, (r) => {
        c.statuses.push(r.status);
        if (c.state !== 'calling') return;
        c.state = 'ringing';
        if (opts.cancelAfterMs !== undefined) later(opts.cancelAfterMs, () => void hangUp(c.callId));
      });
      const result = await tx.result;
      if (result.kind !== 'final') return finish(c, 'failed', Date.now(), undefined, result.kind === 'timeout' ? 408 : 503);
      const answer: SipResponse = result.response;
      c.statuses.push(answer.status);
      const challenge = header(answer, 'WWW-Authenticate') ?? header(answer, 'Proxy-Authenticate');
      if ((answer.status === 401 || answer.status === 407) && seq === 1 && challenge && target.password !== undefined) {
        const credentials = answerChallenge(answer.status, challenge, { uri: target.requestUri, username: opts.displayPhoneNumber, password: target.password });
        seq += 1;
        invite = build(seq, credentials.value);
        if (credentials.header !== 'Authorization') invite.headers = invite.headers.map(([n, v]) => (n === 'Authorization' ? [credentials.header, v] : [n, v]));
        continue;
      }
      // A failure (480 nobody took it, 486…) is the business ending the call; only a 487 to the user's CANCEL is theirs.
      const cancelled = c.state === 'cancelled' || answer.status === 487;
      if (answer.status >= 300) return finish(c, cancelled ? 'cancelled' : 'failed', Date.now(), cancelled ? 'customer' : 'business', answer.status);
      c.dialog = dialogFromAnswer(invite, answer, '', kind);
      c.nextSeq = seq + 1;
      c.remoteSdp = answer.body;
      await sendAck(c, seq);
      if (c.state === 'cancelled') return void (await bye(c)); // the 200 crossed our CANCEL
      c.state = 'answered';
      c.answeredAt = Date.now();
      connected(c);
      if (opts.hangUpAfterMs !== undefined) later(opts.hangUpAfterMs, () => void hangUp(c.callId));
      return;
    }
  }

  async function bye(c: SimCall): Promise<void> {
    const request = asMeta(buildInDialog(c.dialog!, 'BYE', c.nextSeq++, local()));
    if (c.answeredAt) request.headers.push(['x-wa-meta-call-duration', String(Math.round((Date.now() - c.answeredAt) / 1000))]);
    const result = await layer!.start(request, dialogHop(c.dialog!)).result;
    if (result.kind === 'final') c.statuses.push(result.response.status);
  }

  /** The customer hangs up: BYE once answered, CANCEL while it rings. Answers the call's state after. */
  async function hangUp(callId: string): Promise<SimCall | undefined> {
    const c = calls.get(callId);
    if (!c) return undefined;
    if (c.direction === 'BUSINESS_INITIATED') return answerer.hangUp(c);
    if (c.state === 'answered') {
      finish(c, 'ended', Date.now(), 'customer');
      await bye(c);
    } else if (c.state === 'ringing' || c.state === 'calling') {
      const invite = invites.get(callId);
      c.state = 'cancelled';
      c.endedBy = 'customer';
      c.endedAt = Date.now();
      tell(c, () => callTerminateWebhook(c, c.endedAt!, { endedAt: c.endedAt! }));
      if (invite) await layer!.start(asMeta(buildCancel(invite.request)), invite.hop).result;
    }
    return c;
  }

  /** A simulated WhatsApp user calls the business number (Meta's INVITE to the number's configured SIP server). */
  async function placeCall(opts: PlaceCallOptions): Promise<SimCall> {
    // Meta never rings a business for a user it blocked: nothing is sent, no `calls` webhook (block-users page).
    if (deps.isBlocked?.(opts.phoneNumberId, opts.from)) throw new CallNotPlaceable(`number ${opts.phoneNumberId} blocked ${opts.from} (Block Users API): a blocked user cannot contact the business`);
    const target = inviteTarget(deps.callingSettings(opts.phoneNumberId), opts, kind);
    await open();
    const c: SimCall = {
      callId: newCallId(),
      wacid: newWacid(),
      direction: 'USER_INITIATED',
      phoneNumberId: opts.phoneNumberId,
      displayPhoneNumber: opts.displayPhoneNumber,
      customer: opts.from,
      ...(opts.profileName ? { profileName: opts.profileName } : {}),
      ...(opts.wabaId ? { wabaId: opts.wabaId } : {}),
      state: 'calling',
      statuses: [],
      offeredAt: Date.now(),
      sdp: metaSdp('offer', local().host, 40_000 + Math.floor(Math.random() * 20_000)),
      nextSeq: 1,
      webhooks: Promise.resolve(),
    };
    calls.set(c.callId, c);
    tell(c, () => callConnectWebhook(c, c.offeredAt, c.sdp));
    void run(c, opts, target).catch(() => finish(c, 'failed', Date.now()));
    return c;
  }

  return {
    placeCall,
    hangUp,
    call: (callId: string) => calls.get(callId),
    calls: () => [...calls.values()],
    /** How the simulated customer answers the business's calls to this wa_id (default: answer after 200 ms). */
    setAnswering: (customer: string, answering: Answering) => answerer.setAnswering(customer, answering),
    /** The user gave the number permission to call (until `expiresAt`, epoch ms; unset: permanent); `false` takes it back. */
    grantPermission: (phoneNumberId: string, customer: string, expiresAt?: number | false): void => deps.permissions.grant(phoneNumberId, customer, expiresAt),
    /** Meta sends `calls` webhooks for a SIP-enabled number only when webhook delivery for SIP calls is enabled. */
    setCallWebhooks(phoneNumberId: string, on: boolean): void {
      if (on) webhooksFor.add(phoneNumberId);
      else webhooksFor.delete(phoneNumberId);
      save();
    },
    callWebhooks: (phoneNumberId: string) => webhooksFor.has(phoneNumberId),
    /**
     * Which transport the simulated Meta calls businesses over, before its first call: `tls` as Meta does (trusting
     * `ca` besides Node's CAs), `tcp`, or `udp` (the default). Refused once the SIP socket is open.
     */
    useTransport(transport: SipTransportName, ca?: string[]): void {
      if (opening) throw new Error('the simulator SIP side is already open');
      kind = transport;
      tlsCa = ca;
    },
    /** Where the business sends its INVITEs (opens the SIP socket on first use). */
    async address(): Promise<{ host: string; port: number; transport: SipTransportName }> {
      const t = await open();
      return { host: t.host, port: t.port, transport: kind };
    },
    async close(): Promise<void> {
      for (const timer of timers) clearTimeout(timer);
      answerer.close();
      layer?.close();
      if (opening) await (await opening).close();
    },
  };
}

export type MetaSip = ReturnType<typeof createMetaSip>;
