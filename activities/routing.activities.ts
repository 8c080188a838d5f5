/**
 * Handing a conversation to the contact centre: one routing attempt is one INVITE (integrations/sip/sip.routing.ts) plus the
 * agent's capacity, kept in MongoDB so every worker sees the same count. An answer that names an agent already at
 * capacity is hung up and reported busy, so the contact centre offers the conversation again.
 */
import type { Logger } from 'pino';
import type { CallRef, ReleaseAgentEffect, RouteToAgentEffect } from '../machines/conversation.types';
import { agentsAtCapacity, releaseAgentSlot, takeAgentSlot } from '../store/agent-slots.store';
import type { Store } from '../store/db';
import { findNumber } from '../store/numbers.store';
import { createSipCalls, type SipRouting } from '../integrations/sip/sip.routing';
import type { SipDialog } from '../integrations/sip/sip.types';

export interface RouteAttempt extends RouteToAgentEffect {
  /** The conversation's generation: keys the Call-ID with the attempt, so a reopened conversation calls anew. */
  generation: number;
}

export type RouteAttemptOutcome =
  | { outcome: 'answered'; agentId: string; call: CallRef }
  | { outcome: 'busy'; status: number; reason: string; retryAfterMs?: number }
  | { outcome: 'rejected'; status: number; reason: string }
  | { outcome: 'noAnswer' };

export function createRoutingActivities({ store, sip, clock = () => new Date(), logger }: { store: Store; sip?: SipRouting; clock?: () => Date; logger?: Pick<Logger, 'warn'> }) {
  const calls = createSipCalls({ ...(sip ? { sip } : {}), ...(logger ? { logger } : {}) });
  return {
    /** One routing attempt. Safe to retry: the same attempt re-sends the same call, and a taken place is kept. */
    async routeToAgent(attempt: RouteAttempt): Promise<RouteAttemptOutcome> {
      const [number, atCapacity] = await Promise.all([findNumber(store, attempt.businessNumberId), agentsAtCapacity(store, attempt.agentCapacity)]);
      const outcome = await calls.routeToAgent({
        conversationId: attempt.conversationId,
        attempt: attempt.attempt,
        generation: attempt.generation,
        customerNumber: attempt.customer.waId ?? attempt.customer.key,
        businessNumber: number?.displayNumber.replace(/^\+/, '') ?? attempt.businessNumberId,
        businessNumberId: attempt.businessNumberId,
        queue: attempt.queue,
        ...(attempt.skill ? { skill: attempt.skill } : {}),
        ...(attempt.language ? { language: attempt.language } : {}),
        ...(attempt.targetAgentId ? { targetAgentId: attempt.targetAgentId } : {}),
        agentsAtCapacity: atCapacity,
      });
      switch (outcome.outcome) {
        case 'answered': {
          const { agentId, dialog, msrp } = outcome;
          if (msrp && 'problem' in msrp) {
            // Session mode with an answer that set up no usable MSRP session: the agent could not read the chat.
            logger?.warn({ conversationId: attempt.conversationId, problem: msrp.problem }, 'SIP: answered without a usable MSRP session; hanging up');
            await calls.hangUp(dialog);
            return { outcome: 'rejected', status: 488, reason: `Not Acceptable Here: ${msrp.problem}` };
          }
          const taken = agentId !== '' && (await takeAgentSlot(store, { agentId, conversationId: attempt.conversationId, callId: dialog.callId, capacity: attempt.agentCapacity, at: clock() }));
          // The chat mode rides on the call (with the MSRP session in session mode), so the workflow knows whether
          // and how to carry the chat into this dialog.
          const chat = sip?.chatMode === 'message' ? { chatMode: 'message' } : msrp ? { chatMode: 'msrp', msrp: msrp.session } : {};
          if (taken) return { outcome: 'answered', agentId, call: { ...dialog, ...chat } };
          logger?.warn({ conversationId: attempt.conversationId, agentId }, 'SIP: answered by an agent at capacity (or unnamed); hanging up');
          await calls.hangUp(dialog);
          return { outcome: 'busy', status: 486, reason: agentId === '' ? 'answer named no agent' : `agent ${agentId} at capacity` };
        }
        case 'busy':
          return { outcome: 'busy', status: outcome.status, reason: outcome.reason, ...(outcome.retryAfterSeconds !== undefined ? { retryAfterMs: outcome.retryAfterSeconds * 1_000 } : {}) };
        default:
          return outcome;
      }
    },

    /**
     * Ends an assignment: the agent's place is freed first (so an unreachable contact centre cannot hold it), then
     * BYE unless the contact centre already hung up; a failed BYE is retried by Temporal.
     */
    async releaseAgent(release: ReleaseAgentEffect): Promise<void> {
      await releaseAgentSlot(store, release.agentId, release.conversationId);
      if (release.hangUp) await calls.hangUp(release.call as unknown as SipDialog);
    },
  };
}

export type RoutingActivities = ReturnType<typeof createRoutingActivities>;
