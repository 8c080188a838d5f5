/**
 * The SIP routing activities: `routeToAgent` places one INVITE to the contact centre's connector and says what it
 * came to; `hangUp` ends an answered call with BYE. Both are safe to retry: the call's identifiers derive from the
 * conversation id and attempt, so a retried activity repeats the same request rather than placing a second call.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Logger } from 'pino';
import { callIdFor } from './sip.dialog';
import { parseNameAddr, parseUri, uriUser } from './sip.headers';
import { header, headerValues, type SipHeaders, type SipResponse } from './sip.message';
import { startSipAgent, type InviteResult, type SipAgent, type SipAgentOptions } from './sip.client';
import type { RemoteBye, RouteOutcome, RouteToAgentRequest, SipDialog } from './sip.types';
import { createMsrpSessions, type MsrpSessions } from './msrp.sessions';
import { sipTlsFrom, type SipTlsSettings } from './sip.tls';

/** What the activities need: a running user agent and where and how to route. */
export interface SipRouting {
  agent: SipAgent;
  /** e.g. `sip:queue@cc.example.com:5060;transport=tcp` */
  connectorUri: string;
  inviteTimeoutMs: number;
  /** Answer header naming the agent (default X-Agent-Id); else the Contact's user part. */
  agentHeader: string;
  /**
   * How the chat itself reaches the agent: `none` (only the assignment crosses SIP), `message` (RFC 3428 page mode)
   * or `msrp` (RFC 4975 session mode).
   */
  chatMode?: SipChatMode;
  /** Session mode's MSRP sessions held by this worker (SIP_CHAT_MODE=msrp only). */
  msrp?: MsrpSessions;
  /** Meta's SIP server, where business-initiated calls go (`sip:+<wa_id>@<host>:<port>;transport=<transport>`). */
  metaTarget?: MetaSipTarget;
}

/** Meta's SIP server: `wa.meta.vc`, TLS on 5061 in production (SIP_META_HOST, SIP_META_PORT, SIP_META_TRANSPORT). */
export interface MetaSipTarget {
  host: string;
  port: number;
  transport: 'tls' | 'tcp' | 'udp';
}

/** The Request-URI of a business-initiated call to the WhatsApp user `waId` (digits). */
export const metaRequestUri = (target: MetaSipTarget, waId: string) => `sip:+${waId.replace(/\D/g, '')}@${target.host}:${target.port};transport=${target.transport}`;

/**
 * SIP_CHAT_MODE: `none` as before, `message` = each chat line is an in-dialog SIP MESSAGE (RFC 3428), `msrp` = the
 * INVITE offers an MSRP session and each line is an MSRP SEND in it (RFC 4975).
 */
export type SipChatMode = 'none' | 'message' | 'msrp';

/** Final answers that mean "nobody free now, try again later". 600 is busy everywhere, still a "not now". */
const BUSY = new Set([480, 486, 503, 600]);
/** Final answers that mean nobody picked up. */
const NO_ANSWER = new Set([408, 487]);

/** Header values are one line of text: control characters (a CR/LF would inject headers) become spaces. */
function clean(value: string): string {
  return value.replace(/[\x00-\x1f\x7f]/g, ' ').trim(); // eslint-disable-line no-control-regex
}

/** The conversation, as the INVITE carries it to the contact centre. */
export function conversationHeaders(request: RouteToAgentRequest): SipHeaders {
  const headers: SipHeaders = [
    ['X-Conversation-Id', request.conversationId],
    ['X-Customer-Number', request.customerNumber],
    ['X-Business-Number', request.businessNumber],
    ['X-Queue', request.queue],
  ];
  if (request.businessNumberId) headers.push(['X-Business-Number-Id', request.businessNumberId]);
  if (request.skill) headers.push(['X-Skill', request.skill]);
  if (request.language) headers.push(['X-Language', request.language]);
  if (request.targetAgentId) headers.push(['X-Target-Agent', request.targetAgentId]);
  if (request.agentsAtCapacity?.length) headers.push(['X-Agents-At-Capacity', request.agentsAtCapacity.join(',')]);
  headers.push(['X-Routing-Attempt', String(request.attempt)]);
  return headers.map(([name, value]) => [name, clean(value)]);
}

/** The agent who answered: the configured header, else the Contact URI's user part, else the Contact URI. */
export function agentIdOf(answer: SipResponse, agentHeader: string): string {
  const named = header(answer, agentHeader)?.trim();
  if (named) return named;
  const contact = headerValues(answer, 'Contact')[0];
  if (!contact) return '';
  const uri = parseNameAddr(contact).uri;
  try {
    return uriUser(parseUri(uri)) ?? uri;
  } catch {
    return uri;
  }
}

function retryAfterOf(response: SipResponse): { retryAfterSeconds?: number } {
  const seconds = Number.parseInt(header(response, 'Retry-After') ?? '', 10);
  return Number.isFinite(seconds) ? { retryAfterSeconds: seconds } : {};
}

/** What an INVITE came to, in the workflow's terms. */
export function outcomeOf(result: InviteResult, agentHeader: string): RouteOutcome {
  switch (result.kind) {
    case 'answered':
      return { outcome: 'answered', agentId: agentIdOf(result.response, agentHeader), dialog: result.dialog };
    case 'noAnswer':
      return { outcome: 'noAnswer' };
    case 'transportError':
      // §8.1.3.1: a transport failure reads as 503.
      return { outcome: 'busy', status: 503, reason: `transport error: ${result.error.message}` };
    case 'failed': {
      const { status, reason } = result.response;
      if (NO_ANSWER.has(status)) return { outcome: 'noAnswer' };
      if (BUSY.has(status)) return { outcome: 'busy', status, reason, ...retryAfterOf(result.response) };
      // 3xx included: the connector is one fixed URI, redirects are not followed.
      return { outcome: 'rejected', status, reason };
    }
  }
}

export function createSipCalls({ sip, logger }: { sip?: SipRouting; logger?: Pick<Logger, 'warn'> }) {
  return {
    async routeToAgent(request: RouteToAgentRequest): Promise<RouteOutcome> {
      if (!sip) {
        logger?.warn({ conversationId: request.conversationId }, 'SIP routing asked for, but SIP_CONNECTOR_URI is unset');
        return { outcome: 'rejected', status: 0, reason: 'SIP routing is not configured (SIP_CONNECTOR_URI is unset)' };
      }
      const callId = callIdFor(request.conversationId, request.attempt, request.generation);
      const result = await sip.agent.invite({
        requestUri: sip.connectorUri,
        conversationId: request.conversationId,
        callId,
        fromUser: request.customerNumber,
        extraHeaders: conversationHeaders(request),
        timeoutMs: sip.inviteTimeoutMs,
        ...(sip.msrp ? { sdp: sip.msrp.offer(callId) } : {}),
      });
      const outcome = outcomeOf(result, sip.agentHeader);
      if (outcome.outcome !== 'answered' || result.kind !== 'answered' || !sip.msrp) return outcome;
      const negotiated = sip.msrp.answer(result.response.body, callId);
      return { ...outcome, msrp: negotiated.ok ? { session: negotiated.session } : { problem: negotiated.problem } };
    },

    /** Ends the call. Done on 2xx, 481 (already gone) and other 4xx/6xx; 5xx, timeouts and transport errors retry. */
    async hangUp(dialog: SipDialog): Promise<void> {
      if (!sip) return;
      const result = await sip.agent.bye(dialog);
      // RFC 4975 §8.4 (the SIP session ends, so does its MSRP session): this worker's connection goes.
      sip.msrp?.end(dialog.callId);
      if (result.kind === 'response' && (result.status < 500 || result.status >= 600)) {
        if (result.status >= 300) logger?.warn({ callId: dialog.callId, status: result.status }, 'SIP: BYE refused; the call counts as ended');
        return;
      }
      const why = result.kind === 'response' ? `${result.status} ${result.reason}` : result.kind === 'timeout' ? 'no answer' : result.error.message;
      throw ApplicationFailure.retryable(`BYE for ${dialog.callId} failed: ${why}`, 'SipUnavailable');
    },
  };
}

export type SipCalls = ReturnType<typeof createSipCalls>;

export interface SipSettings extends SipTlsSettings {
  SIP_CONNECTOR_URI?: string | undefined;
  SIP_LOCAL_HOST: string;
  SIP_LOCAL_PORT: number;
  SIP_PUBLIC_HOST?: string | undefined;
  SIP_INVITE_TIMEOUT_MS: number;
  SIP_AGENT_HEADER: string;
  /** Absent = `none`. */
  SIP_CHAT_MODE?: SipChatMode | undefined;
  /** The digest realm WhatsApp calls are challenged in (absent: `whatsapp-connector`). */
  SIP_CALLS_REALM?: string | undefined;
  /** Meta's SIP server for business-initiated calls (absent: wa.meta.vc:5061 over TLS). */
  SIP_META_HOST?: string | undefined;
  SIP_META_PORT?: number | undefined;
  SIP_META_TRANSPORT?: MetaSipTarget['transport'] | undefined;
}

/** Starts the user agent when a connector is configured; undefined when routing is disabled. */
export async function startSipRouting(
  settings: SipSettings,
  hooks: Pick<SipAgentOptions, 'onRemoteBye' | 'onAgentMessage' | 'onServerRequest' | 'onStrayResponse' | 'logger' | 't1Ms'> = {},
): Promise<SipRouting | undefined> {
  if (!settings.SIP_CONNECTOR_URI) return undefined;
  let msrp: MsrpSessions | undefined;
  const tls = sipTlsFrom(settings);
  const agent = await startSipAgent({
    host: settings.SIP_LOCAL_HOST,
    port: settings.SIP_LOCAL_PORT,
    ...(settings.SIP_PUBLIC_HOST ? { publicHost: settings.SIP_PUBLIC_HOST } : {}),
    ...(tls ? { tls } : {}),
    ...hooks,
    onRemoteBye: async (bye) => {
      await hooks.onRemoteBye?.(bye);
      msrp?.end(bye.callId);
    },
    // Without page mode an agent's MESSAGE is refused 405, as before (in session mode the agent writes over MSRP).
    ...(settings.SIP_CHAT_MODE === 'message' ? {} : { onAgentMessage: undefined }),
  });
  if (settings.SIP_CHAT_MODE === 'msrp') {
    msrp = createMsrpSessions({
      host: agent.local.host,
      ...(hooks.onAgentMessage ? { onAgentMessage: hooks.onAgentMessage } : {}),
      ...(hooks.logger ? { logger: hooks.logger } : {}),
    });
  }
  return {
    ...(msrp ? { msrp } : {}),
    agent,
    connectorUri: settings.SIP_CONNECTOR_URI,
    inviteTimeoutMs: settings.SIP_INVITE_TIMEOUT_MS,
    agentHeader: settings.SIP_AGENT_HEADER,
    chatMode: settings.SIP_CHAT_MODE ?? 'none',
    metaTarget: { host: settings.SIP_META_HOST ?? 'wa.meta.vc', port: settings.SIP_META_PORT ?? 5061, transport: settings.SIP_META_TRANSPORT ?? 'tls' },
  };
}

export type { RemoteBye };
