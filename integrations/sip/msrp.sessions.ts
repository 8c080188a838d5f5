/**
 * The MSRP sessions this worker process holds (SIP_CHAT_MODE=msrp), one connection per call, opened by the first
 * line sent in it and kept until the call ends or the peer closes it, so the agent's SENDs have a way back in. Nothing
 * here must survive a restart: the session (our URI, the peer's path) rides on the call in the workflow, and a line
 * retried on another worker reconnects and sends the same Message-ID again.
 */
import type { Logger } from 'pino';
import { msrpAnswer, msrpOffer, type MsrpCall } from './msrp.sdp';
import { openMsrpSession, type MsrpAnswer, type MsrpOutgoing, type MsrpSendResult, type MsrpSession } from './msrp.session';
import type { AgentMessage, AgentMessageAnswer } from './sip.client';

export interface MsrpSessions {
  /** The SDP offer for a call's INVITE. */
  offer(callId: string): string;
  /** The session the answer's SDP negotiated, or why there is none. */
  answer(sdp: string, callId: string): ReturnType<typeof msrpAnswer>;
  /** Sends one message in the call's session, connecting first if this worker holds no connection for it. */
  send(target: { callId: string; conversationId: string; msrp: MsrpCall }, message: MsrpOutgoing): Promise<MsrpSendResult>;
  /** The call ended: its connection on this worker goes (the peer closes the others it knows of). */
  end(callId: string): void;
  close(): void;
}

/**
 * RFC 4975 §10 has no "try again": the page-mode answers map onto its codes (200, 400, 403, 413 for a message too
 * large to take, 415, 481), and an answer that asks for a retry (503 assignment pending, 500 service unreachable) is retried here first.
 */
function msrpStatusOf(sipStatus: number): number {
  if (sipStatus < 300) return 200;
  if ([400, 403, 413, 415, 481].includes(sipStatus)) return sipStatus;
  return sipStatus === 404 ? 400 : 403;
}

const RETRIES = 10;

export function createMsrpSessions({ host, onAgentMessage, logger, chunkBytes }: {
  /** Our address as the contact centre sees it (the SDP's c= and our path). */
  host: string;
  onAgentMessage?(message: AgentMessage): Promise<AgentMessageAnswer>;
  logger?: Pick<Logger, 'warn' | 'info' | 'debug'>;
  chunkBytes?: number;
}): MsrpSessions {
  const open = new Map<string, Promise<MsrpSession>>();

  async function agentWrote(callId: string, conversationId: string, incoming: { messageId: string; contentType: string; body: string }): Promise<MsrpAnswer> {
    if (!onAgentMessage) return { status: 403, comment: 'Chat Not Enabled' };
    // Idempotent on the Message-ID: the same message sent again (or over another connection) is one reply.
    const message: AgentMessage = { callId, conversationId, cseq: 0, requestKey: `msrp:${incoming.messageId}`, contentType: incoming.contentType, body: incoming.body };
    for (let attempt = 1; ; attempt++) {
      const answer = await onAgentMessage(message);
      const retry = answer.status === 503 || answer.status === 500;
      if (retry && attempt < RETRIES) {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        continue;
      }
      if (retry) return { status: 408, comment: `${answer.reason}, Send Again` };
      return { status: msrpStatusOf(answer.status), comment: answer.reason, ...(answer.afterwards ? { afterwards: answer.afterwards } : {}) };
    }
  }

  function sessionFor(target: { callId: string; conversationId: string; msrp: MsrpCall }): Promise<MsrpSession> {
    const known = open.get(target.callId);
    if (known) return known;
    const opening = openMsrpSession({
      call: target.msrp,
      onIncoming: (incoming) => agentWrote(target.callId, target.conversationId, incoming),
      onClosed: () => {
        if (open.get(target.callId) === opening) open.delete(target.callId);
      },
      ...(chunkBytes ? { chunkBytes } : {}),
      ...(logger ? { logger } : {}),
    });
    open.set(target.callId, opening);
    opening.catch(() => open.delete(target.callId));
    return opening;
  }

  return {
    offer: (callId) => msrpOffer(host, callId),
    answer: (sdp, callId) => msrpAnswer(sdp, callId, host),
    async send(target, message) {
      let session: MsrpSession;
      try {
        session = await sessionFor(target);
      } catch (err) {
        return { kind: 'failed', reason: `connect: ${(err as Error).message}` };
      }
      if (session.closed) {
        open.delete(target.callId);
        return { kind: 'failed', reason: 'connection closed' };
      }
      return session.send(message);
    },
    end(callId) {
      const session = open.get(callId);
      open.delete(callId);
      void session?.then((s) => s.close(), () => undefined);
    },
    close() {
      for (const callId of [...open.keys()]) this.end(callId);
    },
  };
}
