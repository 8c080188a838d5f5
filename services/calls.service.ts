/**
 * What the SIP side asks of the rest of the connector when a WhatsApp call comes in (sip.b2bua.ts's hooks): is the
 * number's calling on, with which SIP password; start the call's workflow with the chats' routing (queue, skill,
 * retry) and the number's call hours; tell it of CANCEL and BYE.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { isWithinCallHours } from '../lib/call-hours';
import { routeFor } from '../lib/machine-config';
import type { Admission, CallHooks } from '../integrations/sip/sip.b2bua';
import { callWorkflowId } from '../integrations/sip/sip.b2bua';
import type { InboundInvite } from '../integrations/sip/sip.call.types';
import { findCallSettings } from '../store/calls.store';
import type { Store } from '../store/db';
import { publishedConfig } from '../store/machine-config.store';
import { listNumbers } from '../store/numbers.store';
import type { BusinessCalls } from './business-calls.service';
import { callConversation } from './customer-calls';
import { conversationWorkflowId } from '../lib/conversation-id';
import { callCancelledSignal, callLegEndedSignal, type CallWorkflowInput } from '../workflows/call.messages';

const digits = (text: string) => text.replace(/\D/g, '');

export interface CallServiceDeps {
  store: Store;
  temporal: Client;
  taskQueue: string;
  /** This process's own task queue: the call's attempts run where the caller's INVITE is held. */
  sipTaskQueue?: string;
  clock?: () => number;
  /** Longest call before both legs are ended (default 4 h). */
  maxDurationMs?: number;
  /** The contact centre dialling customers (business-initiated calls); absent: such INVITEs are answered 404. */
  businessCalls?: BusinessCalls;
}

export function createCallService({ store, temporal, taskQueue, sipTaskQueue, clock = () => Date.now(), maxDurationMs = 4 * 3_600_000, businessCalls }: CallServiceDeps): CallHooks {
  /** The number called: the To user is the business number (E.164 with or without +), or its phone-number id. */
  async function numberOf(invite: InboundInvite) {
    const called = digits(invite.toUser);
    return (await listNumbers(store)).find((n) => n._id === invite.toUser || (called !== '' && digits(n.displayNumber) === called));
  }

  async function signal(callId: string, send: (handle: ReturnType<Client['workflow']['getHandle']>) => Promise<void>): Promise<boolean> {
    try {
      await send(temporal.workflow.getHandle(callWorkflowId(callId)));
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  return {
    async admit(invite): Promise<Admission> {
      const number = await numberOf(invite);
      if (!number) return (await businessCalls?.admit(invite)) ?? { kind: 'refuse', status: 404, reason: 'Not Found' };
      const settings = await findCallSettings(store, number._id);
      if (settings?.calling.status !== 'ENABLED') return { kind: 'refuse', status: 403, reason: 'Calling Disabled' };
      // Meta always has a SIP password for a number it sends SIP calls for: an INVITE for a number without one is
      // not Meta's, and without a password there is nothing to challenge it with, so it is refused, never let through.
      if (!settings.sipPassword) return { kind: 'refuse', status: 403, reason: 'No SIP Credentials' };
      return { kind: 'accept', password: settings.sipPassword };
    },

    async offered(invite) {
      const number = await numberOf(invite);
      if (!number && (await businessCalls?.start(invite))) return;
      if (!number) throw new Error(`no business number for ${invite.toUser}`);
      const [settings, { config }] = await Promise.all([findCallSettings(store, number._id), publishedConfig(store)]);
      const at = clock();
      const customer = digits(invite.fromUser) || invite.fromUser;
      // Meta's From user is the caller's wa_id: the call joins the conversation their messages use (the registry's key).
      // A From without digits (never Meta's) keeps the id it names, learning nothing.
      const { conversationId } = digits(invite.fromUser) ? await callConversation(store, number._id, { waId: customer }, new Date(at)) : { conversationId: conversationWorkflowId(number._id, customer) };
      const route = routeFor(config, number._id, undefined, at);
      const input: CallWorkflowInput = {
        invite,
        conversationId,
        businessNumberId: number._id,
        businessNumber: digits(number.displayNumber),
        customerNumber: customer,
        offeredAt: at,
        outsideCallHours: !isWithinCallHours(settings?.calling.call_hours, at),
        route,
        retry: { maxAttempts: config.routing.retry.maxAttempts, initialMs: config.routing.retry.initialSeconds * 1_000 },
        maxDurationMs,
        ...(sipTaskQueue ? { sipTaskQueue } : {}),
      };
      await temporal.workflow.start('callWorkflow', {
        workflowId: callWorkflowId(invite.callId),
        taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
    },

    async cancelled(callId) {
      await signal(callId, (h) => h.signal(callCancelledSignal));
    },

    legEnded: (event) => signal(event.callId, (h) => h.signal(callLegEndedSignal, event)),
  };
}
