/**
 * Business-initiated WhatsApp calls as the contact centre places them: an agent dials the customer, the contact
 * centre's SIP connector sends the INVITE to the connector, which checks that the business has not blocked the
 * person, the customer's call permission and Meta's limits before anything leaves, then starts the call's workflow (workflows/business-call.workflow.ts), which places
 * the call to Meta's SIP server. Refusals are SIP answers with a `Reason` naming our stable error code.
 *
 * The contact centre's INVITE: from the host of SIP_CONNECTOR_URI; the customer is the Request-URI's user
 * (`sip:+<wa_id>@<connector>`), or `X-Conversation-Id: wa:<phone number id>:<customer key>` (a key that is a BSUID
 * is called at the number the registry knows for that person); the business number is the
 * conversation's, else `X-Business-Number-Id`, else the From user (E.164), else the only number with calling on.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/business-initiated-calls/
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-call-permissions/
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/block-users/
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Client } from '@temporalio/client';
import { CALL_PERMISSION_LIMITS, callPermissionVerdict, type CallPermissionVerdict } from '../lib/call-permission';
import { AGENT_ID, AGENT_ID_RULE } from '../lib/agent-id';
import { errorCatalog } from '../lib/errors';
import type { Admission } from '../integrations/sip/sip.b2bua';
import { callWorkflowId } from '../integrations/sip/sip.b2bua';
import type { InboundInvite } from '../integrations/sip/sip.call.types';
import { hopFor } from '../integrations/sip/sip.dialog';
import { header } from '../integrations/sip/sip.message';
import { parseUri, uriUser } from '../integrations/sip/sip.headers';
import { findCallPermission, recentBusinessCalls } from '../store/call-permissions.store';
import { findCallSettings } from '../store/calls.store';
import type { Store } from '../store/db';
import { listNumbers } from '../store/numbers.store';
import { findPersonBlock } from './person-blocks';
import type { BusinessCallWorkflowInput } from '../workflows/call.messages';
import { conversationIdParts, conversationWorkflowId } from '../lib/conversation-id';
import { findConversation } from '../store/conversations.store';
import { callConversation } from './customer-calls';
import { preferredRecipient } from './customer-identity';

const digits = (text: string) => text.replace(/\D/g, '');

export interface BusinessCallDeps {
  store: Store;
  temporal: Client;
  taskQueue: string;
  sipTaskQueue?: string;
  /** SIP_CONNECTOR_URI: INVITEs from its host are the contact centre's. */
  connectorUri?: string;
  /** The header naming the agent on the contact centre's INVITE (SIP_AGENT_HEADER). */
  agentHeader?: string;
  clock?: () => number;
  maxDurationMs?: number;
}

/**
 * Whether the business may call the customer now: Meta's rules over the kept reply and the pair's past calls. The
 * reply is kept under the customer's conversation key (api/webhook.messages.ts), which is their number unless the
 * registry keys them otherwise (a BSUID): `customerKey` names it, and the newer of the two kept replies counts.
 */
export async function callPermissionOf(store: Store, businessNumberId: string, customerNumber: string, now: number, customerKey = customerNumber): Promise<CallPermissionVerdict & { reply?: Awaited<ReturnType<typeof findCallPermission>> }> {
  const [byNumber, byKey, calls] = await Promise.all([
    findCallPermission(store, businessNumberId, customerNumber),
    customerKey === customerNumber ? null : findCallPermission(store, businessNumberId, customerKey),
    recentBusinessCalls(store, businessNumberId, customerNumber, now),
  ]);
  const reply = [byNumber, byKey].filter((r) => r !== null).sort((a, b) => b.repliedAt - a.repliedAt)[0];
  return { ...callPermissionVerdict(reply, calls, now), ...(reply ? { reply } : {}) };
}

/**
 * The wa_id a conversation's customer is called at: its key when that is a number, else the number the registry
 * knows for the person (a customer keyed by BSUID); '' when none is known.
 */
export async function numberOfConversation(store: Store, businessNumberId: string, key: string): Promise<string> {
  if (/^\d{6,20}$/.test(key)) return key;
  const doc = await findConversation(store, conversationWorkflowId(businessNumberId, key));
  return (doc ? await preferredRecipient(store, doc.customer) : undefined)?.waId ?? '';
}

/** RFC 3326 Reason: the SIP status and our stable code with what to do. */
const reasonHeader = (status: number, text: string): [string, string] => ['Reason', `SIP;cause=${status};text="${text.replace(/["\\\r\n]/g, ' ')}"`];

export function createBusinessCalls({ store, temporal, taskQueue, sipTaskQueue, connectorUri, agentHeader = 'X-Agent-Id', clock = () => Date.now(), maxDurationMs = 4 * 3_600_000 }: BusinessCallDeps) {
  let connectorHosts: Promise<Set<string>> | undefined;
  /** The connector's addresses (its URI's host, resolved once). */
  const hostsOfConnector = () =>
    (connectorHosts ??= (async () => {
      if (!connectorUri) return new Set<string>();
      const host = hopFor(connectorUri.replace(/;transport=tls/i, ''), 'udp').host;
      if (isIP(host)) return new Set([host]);
      return new Set((await lookup(host, { all: true }).catch(() => [])).map((a) => a.address));
    })());

  /** Who is called, from which number; undefined when the INVITE is not the contact centre dialling out. */
  async function targetOf(invite: InboundInvite) {
    if (!(await hostsOfConnector()).has(invite.source.host)) return undefined;
    const conversation = conversationIdParts(header(invite.request, 'X-Conversation-Id')?.trim() ?? '');
    let customer = conversation ? await numberOfConversation(store, conversation.businessNumberId, conversation.customerKey) : '';
    if (!customer) {
      try {
        customer = digits(uriUser(parseUri(invite.request.uri)) ?? '');
      } catch {
        customer = '';
      }
    }
    if (customer.length < 6) return undefined;
    const numbers = await listNumbers(store);
    const named = conversation?.businessNumberId ?? header(invite.request, 'X-Business-Number-Id')?.trim();
    const from = digits(invite.fromUser);
    let number = named ? numbers.find((n) => n._id === named) : from ? numbers.find((n) => digits(n.displayNumber) === from) : undefined;
    if (!number && !named) {
      const enabled = [];
      for (const n of numbers) if ((await findCallSettings(store, n._id))?.calling.status === 'ENABLED') enabled.push(n);
      if (enabled.length === 1) number = enabled[0];
    }
    return { number, customer };
  }

  /**
   * The agent header, when present, must name an agent as the registry spells ids: an empty or malformed one is a
   * claim we cannot record, so the INVITE is refused (400) before anything starts; an absent one is fine.
   */
  function agentHeaderRefusal(invite: InboundInvite): Admission | undefined {
    const named = header(invite.request, agentHeader);
    if (named === undefined || AGENT_ID.test(named.trim())) return undefined;
    const what = named.trim() === '' ? 'is empty' : `is not an agent id (${AGENT_ID_RULE})`;
    return { kind: 'refuse', status: 400, reason: 'Bad Request', headers: [reasonHeader(400, `invalid_request: ${agentHeader} ${what}; name the agent or leave the header out`)] };
  }

  return {
    /** Undefined: not a business-initiated call (the caller answers 404 as before). */
    async admit(invite: InboundInvite): Promise<Admission | undefined> {
      const target = await targetOf(invite);
      if (!target) return undefined;
      const agentRefusal = agentHeaderRefusal(invite);
      if (agentRefusal) return agentRefusal;
      if (!target.number) return { kind: 'refuse', status: 404, reason: 'Not Found', headers: [reasonHeader(404, 'unknown_number: name the business number (X-Business-Number-Id)')] };
      const settings = await findCallSettings(store, target.number._id);
      if (settings?.calling.status !== 'ENABLED') return { kind: 'refuse', status: 403, reason: 'Calling Disabled', headers: [reasonHeader(403, 'calling is not enabled on this number')] };
      if (!settings.sipPassword) return { kind: 'refuse', status: 503, reason: 'No SIP Credentials', headers: [reasonHeader(503, "Meta's SIP password is not stored: PUT /v1/numbers/{id}/calling with sip ENABLED")] };
      // A person the business blocked can be neither messaged nor called (Block Users API): refused before the
      // permission, which a block outweighs; WhatsApp would refuse the call too.
      if (await findPersonBlock(store, target.number._id, { key: target.customer, waId: target.customer })) {
        return { kind: 'refuse', status: 403, reason: 'Forbidden', headers: [reasonHeader(403, `customer_blocked: ${errorCatalog.customer_blocked.title}`)] };
      }
      // The customer as the registry keys them: their reply is kept under that key (a BSUID, for some).
      const { customer } = await callConversation(store, target.number._id, { waId: target.customer }, new Date(clock()), 'contact-centre');
      const verdict = await callPermissionOf(store, target.number._id, target.customer, clock(), customer.key);
      const refusal = verdict.refusal;
      if (!refusal) return { kind: 'accept' };
      const text = `${refusal.code}: ${errorCatalog[refusal.code].title} (${refusal.detail})`;
      return refusal.code === 'call_limit_reached'
        ? { kind: 'refuse', status: 480, reason: 'Temporarily Unavailable', headers: [['Retry-After', String(refusal.retryAfterSeconds ?? 3600)], reasonHeader(480, text)] }
        : { kind: 'refuse', status: 403, reason: 'Forbidden', headers: [reasonHeader(403, text)] };
    },

    /** Starts the call's workflow; false when the INVITE is not a business-initiated call. */
    async start(invite: InboundInvite): Promise<boolean> {
      const target = await targetOf(invite);
      if (!target?.number) return false;
      const agentId = header(invite.request, agentHeader)?.trim();
      // The customer's conversation as their messages have it (the registry's key), the number dialled being theirs.
      const { conversationId } = await callConversation(store, target.number._id, { waId: target.customer }, new Date(clock()), 'contact-centre');
      const input: BusinessCallWorkflowInput = {
        invite,
        conversationId,
        businessNumberId: target.number._id,
        businessNumber: digits(target.number.displayNumber),
        customerNumber: target.customer,
        offeredAt: clock(),
        ...(agentId ? { agentId } : {}),
        maxDurationMs,
        ...(sipTaskQueue ? { sipTaskQueue } : {}),
      };
      await temporal.workflow.start('businessCallWorkflow', { workflowId: callWorkflowId(invite.callId), taskQueue, args: [input], workflowIdConflictPolicy: 'USE_EXISTING' });
      return true;
    },
  };
}

export type BusinessCalls = ReturnType<typeof createBusinessCalls>;

/**
 * A conversation's call permission as the API shows it (GET /v1/conversations/{id}/call-permission): the customer's
 * last reply, whether a call may be placed now and, if not, the refusal's stable code; Meta's limits.
 */
export async function callPermissionView(store: Store, businessNumberId: string, customerNumber: string, conversationId: string, now = Date.now()) {
  const verdict = await callPermissionOf(store, businessNumberId, customerNumber, now, conversationIdParts(conversationId)?.customerKey);
  const reply = verdict.reply;
  return {
    conversationId,
    businessNumberId,
    customerNumber,
    state: verdict.state,
    canCall: verdict.canCall,
    ...(reply
      ? {
          response: reply.response,
          isPermanent: reply.isPermanent,
          ...(reply.expiresAt !== undefined && !reply.isPermanent ? { expiresAt: new Date(reply.expiresAt).toISOString() } : {}),
          responseSource: reply.responseSource,
          repliedAt: new Date(reply.repliedAt).toISOString(),
          replyMessageId: reply.messageId,
        }
      : {}),
    connectedCallsLast24h: verdict.connectedLast24h,
    consecutiveUnanswered: verdict.consecutiveUnanswered,
    ...(verdict.refusal ? { refusal: { code: verdict.refusal.code, title: errorCatalog[verdict.refusal.code].title, detail: verdict.refusal.detail, ...(verdict.refusal.retryAfterSeconds ? { retryAfterSeconds: verdict.refusal.retryAfterSeconds } : {}) } } : {}),
    limits: CALL_PERMISSION_LIMITS,
  };
}
