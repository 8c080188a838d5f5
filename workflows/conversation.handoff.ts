import { ActivityFailure, patched, proxyActivities } from '@temporalio/workflow';
import { markReadForBot } from './conversation.receipts';
import type { ConversationActivities } from '../activities/activities.types';
import type { RouteAttemptOutcome } from '../activities/routing.activities';
import type { ConversationEvent, HandOffEffect, ReleaseAgentEffect } from '../machines/conversation.types';

const bot = proxyActivities<Pick<ConversationActivities, 'askBot'>>({
  // The activity bounds the bot by the configured timeout (at most 30 s) and turns every failure into an outcome.
  startToCloseTimeout: '45 seconds',
  retry: { maximumAttempts: 2 },
});

const routing = proxyActivities<Pick<ConversationActivities, 'routeToAgent'>>({
  // An INVITE waits SIP_INVITE_TIMEOUT_MS for an answer, then up to 64·T1 for the CANCEL to settle.
  startToCloseTimeout: '3 minutes',
  // A retry re-sends the same call (same Call-ID), which the contact centre sees as a retransmission.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
});

const release = proxyActivities<Pick<ConversationActivities, 'releaseAgent'>>({
  startToCloseTimeout: '1 minute',
  // BYE to an unreachable contact centre: keep trying for a while, the agent's place is freed after it.
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export interface HandOffDeps {
  /** Hands the outcome to the machine (skipped by the caller once the conversation is closed). */
  dispatch(event: ConversationEvent): void;
  isClosed(): boolean;
  /** The conversation's generation, so a reopened conversation's calls get new Call-IDs. */
  generation: number;
  /** Waits for the call's chat lines and gives its BYE the next CSeq (SIP page mode); the effect as is without it. */
  beforeRelease?(effect: ReleaseAgentEffect): ReleaseAgentEffect | Promise<ReleaseAgentEffect>;
}

/** Carries out one hand-off effect and reports what it came to as machine events. */
export async function carryOutHandOff(effect: HandOffEffect, deps: HandOffDeps): Promise<void> {
  const report = (event: ConversationEvent) => {
    if (!deps.isClosed()) deps.dispatch(event);
  };
  switch (effect.type) {
    case 'askBot': {
      const { messageId } = effect.params;
      // The bot takes the message: the customer sees it read, beside the bot's question so a slow broker never holds
      // the bot up. Runs from before receipts existed replay without it.
      const receipt = patched('mark-read-for-bot') ? markReadForBot(effect.params.conversationId, effect.params.businessNumberId, messageId) : undefined;
      const outcome = await bot.askBot(effect.params).catch((err: unknown) => {
        if (!(err instanceof ActivityFailure)) throw err;
        return { outcome: 'failed' as const, reason: 'bot activity failed' };
      });
      await receipt;
      if (outcome.outcome === 'failed') return report({ type: 'bot.failed', messageId, reason: outcome.reason, at: Date.now() });
      if (outcome.replies.length > 0) report({ type: 'bot.replied', messageId, replies: outcome.replies, at: Date.now() });
      if (outcome.handOff) report({ type: 'bot.handOffRequested', messageId, ...(outcome.reason ? { reason: outcome.reason } : {}), at: Date.now() });
      return;
    }
    case 'routeToAgent': {
      const { attempt, conversationId } = effect.params;
      const outcome = await routing.routeToAgent({ ...effect.params, generation: deps.generation }).catch((err: unknown): RouteAttemptOutcome => {
        if (!(err instanceof ActivityFailure)) throw err;
        // The store or the user agent kept failing: a busy answer, so the conversation waits and tries again.
        return { outcome: 'busy', status: 503, reason: 'routing attempt failed' };
      });
      switch (outcome.outcome) {
        case 'answered':
          if (deps.isClosed()) {
            // Answered as the conversation closed: nobody needs the agent any more.
            await release.releaseAgent({ conversationId, agentId: outcome.agentId, call: outcome.call, hangUp: true });
            return;
          }
          return report({ type: 'sip.answered', attempt, agentId: outcome.agentId, call: outcome.call, at: Date.now() });
        case 'busy':
          return report({ type: 'sip.busy', attempt, status: outcome.status, reason: outcome.reason, ...(outcome.retryAfterMs !== undefined ? { retryAfterMs: outcome.retryAfterMs } : {}), at: Date.now() });
        case 'noAnswer':
          return report({ type: 'sip.busy', attempt, status: 408, reason: 'no answer', at: Date.now() });
        case 'rejected':
          return report({ type: 'sip.failed', attempt, status: outcome.status, reason: outcome.reason, at: Date.now() });
      }
      return;
    }
    case 'releaseAgent': {
      // Awaited only when it is a promise: an extra await would let another activity take this one's place in the
      // command order, and committed histories would no longer replay.
      const ready = deps.beforeRelease?.(effect.params) ?? effect.params;
      await release.releaseAgent(ready instanceof Promise ? await ready : ready).catch((err: unknown) => {
        if (!(err instanceof ActivityFailure)) throw err; // an hour of failed BYEs: the far end is gone, the place is not
      });
      return;
    }
  }
}
