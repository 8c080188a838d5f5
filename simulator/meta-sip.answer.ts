/**
 * Meta's side of a business-initiated call over SIP: the business's INVITE is challenged with digest
 * authentication (the SIP password Meta generated for the number), refused when the number blocked the user or while
 * the WhatsApp user has given the business no call permission, and otherwise rings the simulated user, who answers,
 * declines, or lets it ring, as set per wa_id. https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/sip/
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-call-permissions/
 */
import { randomBytes } from 'node:crypto';
import { buildInDialog, buildResponse, dialogHop, type LocalAddress, type SipHop, type SipTransportName } from '../integrations/sip/sip.dialog';
import { checkDigest, digestChallenge } from '../integrations/sip/sip.digest';
import { parseNameAddr, parseUri, tagOf, uriUser } from '../integrations/sip/sip.headers';
import { header, headerValues, type SipMessage, type SipRequest, type SipResponse } from '../integrations/sip/sip.message';
import type { ClientTransaction } from '../integrations/sip/sip.transaction';
import type { Inbound } from '../integrations/sip/sip.transport';
import { metaSdp, newWacid } from './calls-webhook';
import type { Held } from './calling-settings';
import { asMeta, META_ALLOW, META_REALM, type SimCall } from './meta-sip.call';

/** What the simulated user does when the business calls: pick up (and maybe hang up later), decline, or not answer. */
export interface Answering {
  outcome: 'answer' | 'decline' | 'no_answer';
  /** How long it rings first (default 200 ms). */
  ringMs?: number;
  /** After answering, the user hangs up after this long. */
  hangUpAfterMs?: number;
  /** `no_answer`: rings this long, then 480 (default 30 s). */
  ringTimeoutMs?: number;
}

/**
 * The refusal of a business-initiated call without permission. Meta's Graph API answers error 138006 ("No approved
 * call permission from the recipient"); over SIP the simulator answers 403 with that code and text in a Reason
 * header (RFC 3326), and the business must not retry.
 */
export const NO_PERMISSION = { status: 403, reason: 'Forbidden', header: 'SIP;cause=403;text="138006 No approved call permission from the recipient"' } as const;

/**
 * The refusal of a business-initiated call to a user the number blocked (Block Users API): "Your business cannot
 * message the user. Attempts to message a blocked user return an error"
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/block-users/). Meta names no code for
 * it, neither there nor on the calling troubleshooting page
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/troubleshooting/), so the call
 * is refused as a send to a blocked user is (simulator/block-users.ts): 131026 "Message undeliverable", over SIP a 403
 * with the code in a Reason header as for 138006. Checked before the permission: a block outweighs a permission given.
 */
export const BLOCKED_USER = { status: 403, reason: 'Forbidden', header: 'SIP;cause=403;text="131026 Message undeliverable: the business blocked this user (Block Users API)"' } as const;

interface Deps {
  numbers(): [phoneNumberId: string, held: Held][];
  /** Whether the number blocked this wa_id (Block Users API). */
  isBlocked?(phoneNumberId: string, waId: string): boolean;
  register(c: SimCall): void;
  find(callId: string): SimCall | undefined;
  local(): LocalAddress;
  send(message: SipMessage, hop: SipHop): Promise<void>;
  start(request: SipRequest, hop: SipHop): ClientTransaction;
  connected(c: SimCall): void;
  finish(c: SimCall, state: SimCall['state'], at: number, by?: 'customer' | 'business', status?: number): void;
  later(ms: number, fn: () => void): void;
  t1Ms: number;
  /** Whether the user lets the number call them now (simulator/call-permissions.ts keeps the permissions). */
  hasPermission(phoneNumberId: string, waId: string): boolean;
}

interface Held1 {
  invite: SipRequest;
  /** The transport the business's INVITE came over: our answers, Contact and BYE use it. */
  transport: SipTransportName;
  reply(message: SipMessage): Promise<void>;
  last?: SipResponse;
  acked: boolean;
}

const userOf = (text: string | undefined) => {
  try {
    return (uriUser(parseUri(text?.includes('<') ? parseNameAddr(text).uri : (text ?? ''))) ?? '').replace(/^\+/, '').split(';')[0]!;
  } catch {
    return '';
  }
};

export function createBusinessCallAnswerer(deps: Deps) {
  const secret = randomBytes(16).toString('hex');
  const answering = new Map<string, Answering>();
  const pending = new Map<string, Held1>();

  async function respond(h: Held1, status: number, reason: string, extra: [string, string][] = [], body = ''): Promise<void> {
    h.last = asMeta({ ...buildResponse(h.invite, status, reason, extra, META_ALLOW), body });
    await h.reply(h.last).catch(() => undefined);
  }

  async function onInvite(request: SipRequest, inbound: Inbound): Promise<void> {
    const reply = (status: number, reason: string, extra: [string, string][] = []) => inbound.reply(asMeta(buildResponse(request, status, reason, extra, META_ALLOW))).catch(() => undefined);
    const authorization = header(request, 'Authorization') ?? header(request, 'Proxy-Authorization');
    const verdicts = deps.numbers().filter(([, held]) => held.sipPassword).map(([id, held]) => ({ id, held, verdict: checkDigest({ authorization, method: 'INVITE', password: held.sipPassword!, realm: META_REALM, secret, at: Date.now() }) }));
    const number = verdicts.find((v) => v.verdict === 'ok');
    // Meta challenges a business's INVITE as a proxy: 407 with Proxy-Authenticate, answered in Proxy-Authorization
    // (https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/sip/).
    if (!number) return void (await reply(407, 'Proxy Authentication Required', [['Proxy-Authenticate', digestChallenge(META_REALM, secret, Date.now(), verdicts.some((v) => v.verdict === 'stale'))]]));
    const callId = header(request, 'Call-ID') ?? '';
    const customer = userOf(request.uri) || userOf(header(request, 'To'));
    const c: SimCall = {
      callId,
      wacid: newWacid(),
      direction: 'BUSINESS_INITIATED',
      phoneNumberId: number.id,
      displayPhoneNumber: userOf(header(request, 'From')),
      customer,
      state: 'ringing',
      statuses: [],
      offeredAt: Date.now(),
      sdp: metaSdp('answer', deps.local().host, 40_000 + Math.floor(Math.random() * 20_000)),
      remoteSdp: request.body,
      nextSeq: 1,
      webhooks: Promise.resolve(),
    };
    deps.register(c);
    const h: Held1 = { invite: request, transport: inbound.source.transport, reply: inbound.reply, acked: false };
    pending.set(callId, h);
    // Who ended it: the user who declined (603); nobody when Meta refused it (403, no permission) or it rang out (480).
    const final = async (state: SimCall['state'], status: number, reason: string, extra: [string, string][] = []) => {
      c.statuses.push(status);
      await respond(h, status, reason, extra);
      deps.finish(c, state, Date.now(), state === 'declined' ? 'customer' : undefined, status);
    };
    if (deps.isBlocked?.(number.id, customer)) return final('refused', BLOCKED_USER.status, BLOCKED_USER.reason, [['Reason', BLOCKED_USER.header]]);
    if (!deps.hasPermission(number.id, customer)) return final('refused', NO_PERMISSION.status, NO_PERMISSION.reason, [['Reason', NO_PERMISSION.header]]);
    const plan = answering.get(customer) ?? { outcome: 'answer' };
    c.statuses.push(100, 180);
    await respond(h, 100, 'Trying');
    await respond(h, 180, 'Ringing');
    deps.later(plan.ringMs ?? 200, () => {
      if (c.state !== 'ringing') return;
      if (plan.outcome === 'decline') return void final('declined', 603, 'Decline');
      if (plan.outcome === 'no_answer') return deps.later(plan.ringTimeoutMs ?? 30_000, () => void (c.state === 'ringing' && final('missed', 480, 'Temporarily Unavailable')));
      void answer(c, h, plan);
    });
  }

  async function answer(c: SimCall, h: Held1, plan: Answering): Promise<void> {
    const contact = `<sip:+${c.customer}@${deps.local().host}:${deps.local().port}${h.transport === 'udp' ? '' : `;transport=${h.transport}`}>`;
    const recordRoutes = headerValues(h.invite, 'Record-Route').map((r): [string, string] => ['Record-Route', r]);
    c.statuses.push(200);
    await respond(h, 200, 'OK', [['Contact', contact], ...recordRoutes, ['Content-Type', 'application/sdp']], c.sdp);
    c.state = 'answered';
    c.answeredAt = Date.now();
    // Our dialog as the called party (RFC 3261 §12.1.1): any BYE we send later is built from it.
    const to = header(h.last!, 'To')!;
    const from = header(h.invite, 'From')!;
    c.dialog = {
      conversationId: '',
      callId: c.callId,
      localTag: tagOf(to)!,
      remoteTag: tagOf(from) ?? '',
      localUri: parseNameAddr(to).uri,
      remoteUri: parseNameAddr(from).uri,
      remoteTarget: parseNameAddr(headerValues(h.invite, 'Contact')[0] ?? `<${parseNameAddr(from).uri}>`).uri,
      routeSet: headerValues(h.invite, 'Record-Route'),
      localSeq: 0,
      transport: h.transport,
    };
    deps.connected(c);
    // The 2xx again over UDP until the ACK (§13.3.1.4).
    let interval = deps.t1Ms;
    const again = () =>
      deps.later(interval, () => {
        if (h.acked || interval > 16 * deps.t1Ms) return;
        void h.reply(h.last!).catch(() => undefined);
        interval *= 2;
        again();
      });
    if (h.transport === 'udp') again();
    if (plan.hangUpAfterMs !== undefined) deps.later(plan.hangUpAfterMs, () => void hangUp(c));
  }

  async function hangUp(c: SimCall): Promise<SimCall> {
    const h = pending.get(c.callId);
    if (c.state === 'ringing' && h) {
      c.statuses.push(603);
      await respond(h, 603, 'Decline');
      deps.finish(c, 'declined', Date.now(), 'customer', 603);
    } else if (c.state === 'answered' && c.dialog) {
      deps.finish(c, 'ended', Date.now(), 'customer');
      const bye = asMeta(buildInDialog(c.dialog, 'BYE', ++c.nextSeq, deps.local()));
      bye.headers.push(['x-wa-meta-call-duration', String(Math.round((Date.now() - c.answeredAt!) / 1000))]);
      const result = await deps.start(bye, dialogHop(c.dialog)).result;
      if (result.kind === 'final') c.statuses.push(result.response.status);
    }
    return c;
  }

  /** Requests of business-initiated calls (a new INVITE, its retransmission, ACK, CANCEL, BYE). */
  async function onRequest(request: SipRequest, inbound: Inbound, c: SimCall | undefined): Promise<void> {
    const reply = (status: number, reason: string) => inbound.reply(asMeta(buildResponse(request, status, reason, [], META_ALLOW))).catch(() => undefined);
    const h = c ? pending.get(c.callId) : undefined;
    if (request.method === 'INVITE' && !c) return onInvite(request, inbound);
    if (!c) return void (await reply(481, 'Call/Transaction Does Not Exist'));
    switch (request.method) {
      case 'INVITE':
        if (h?.last && !tagOf(header(request, 'To'))) return void (await h.reply(h.last).catch(() => undefined)); // retransmission
        return void (await inbound.reply(asMeta({ ...buildResponse(request, 200, 'OK', [['Content-Type', 'application/sdp']], META_ALLOW), body: c.sdp })).catch(() => undefined));
      case 'ACK':
        if (h) h.acked = true;
        return;
      case 'CANCEL':
        await reply(200, 'OK');
        if (c.state === 'ringing' && h) {
          c.statuses.push(487);
          await respond(h, 487, 'Request Terminated');
          deps.finish(c, 'cancelled', Date.now(), 'business', 487);
        }
        return;
      case 'BYE':
        await reply(200, 'OK');
        return deps.finish(c, 'ended', Date.now(), 'business');
      default:
        return void (await reply(405, 'Method Not Allowed'));
    }
  }

  return {
    onRequest,
    hangUp,
    setAnswering(customer: string, plan: Answering): void {
      answering.set(customer, plan);
    },
    close(): void {
      pending.clear();
    },
  };
}
