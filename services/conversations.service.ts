import { createHash, randomUUID } from 'node:crypto';
import { refuseChangedRepeat } from './idempotency';
import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { ConversationInput, OutboundContent, Sender, TransferTarget } from '../machines/conversation.types';
import type { ConversationStatus } from '../machines/conversation.status';
import { AppError, refusalIn } from '../lib/errors';
import { isDirectSend, mayGoOutsideWindow } from '../machines/conversation.rules';
import { sendRefusal, toTemplateView, type RefusedConversation } from './send-refusals';
import { findNumber } from '../store/numbers.store';
import { findPersonBlock } from './person-blocks';
import { checkParameters } from '../lib/template-parameters';
import type { MessagingLimits } from '../lib/messaging-limits';
import type { Store } from '../store/db';
import { findConversation, listConversations, type ConversationFilter } from '../store/conversations.store';
import { outboundStatuses, type ConversationDoc, type MessageDoc } from '../store/documents';
import { listThread } from '../store/messages.store';
import { agentDeliveriesOf, type AgentDeliveryDoc } from '../store/agent-deliveries.store';
import { resolveOutbound } from './outbound-content';
import { outboundContentView } from './outbound-view';
import { reactionsByWamid, type ReactionView } from '../store/reactions.store';
import { inboundFieldsView, withEditsAndRevokes } from './inbound-view';
import { findTemplate, listApprovedTemplates } from '../store/templates.store';
import { admitOutsideWindow, releaseAdmission } from './messaging-limit';
import { refuseUnwantedMarketing } from './marketing-consent';
import {
  CONVERSATION_WORKFLOW_TYPE,
  closeConversationUpdate,
  transferConversationUpdate,
  conversationStatusQuery,
  conversationWorkflowId,
  sendMessageUpdate,
  type ConversationWorkflowInput,
} from '../workflows/conversation.messages';
import { callEntries, type CallEntry } from './call-entries';
import type { ConversationView, MessageView, OutboundRequest, SendAccepted, StartConversationBody, TemplateView } from '../api/conversations.schema';
import { maySee, narrowedAgent, type AgentVisibility, type Viewer } from './visibility';
import { customerForIntegrator, preferredRecipient } from './customer-identity';

export interface ConversationServiceDeps {
  store: Store;
  temporal: Client;
  taskQueue: string;
  idleCloseAfterMs: number;
  /** Longest a request waits on Temporal before answering 503 (the client would otherwise keep retrying). */
  temporalDeadlineMs?: number;
  /** Per-number template tiers (and rates); WhatsApp's defaults when absent. */
  limits?: MessagingLimits;
  /** What agent keys may read (`own` when absent): see services/visibility.ts. */
  agentVisibility?: AgentVisibility;
}

/**
 * A stable message id: from the caller's Idempotency-Key (scoped to the conversation, so two integrators' keys
 * never collide), else fresh. It is also the Temporal Update id, so a retried request takes effect once.
 */
/** The body field that holds the outgoing message: `message` on a send, `template` when starting a conversation. */
type MessageAt = 'message' | 'template';

export function messageIdFor(conversationId: string, idempotencyKey: string | undefined): string {
  if (!idempotencyKey) return `msg_${randomUUID().replace(/-/g, '')}`;
  return `msg_${createHash('sha256').update(`${conversationId}\n${idempotencyKey}`).digest('hex').slice(0, 32)}`;
}

export function createConversationService(deps: ConversationServiceDeps) {
  const { store, temporal } = deps;
  const bounded = <T>(call: () => Promise<T>) => temporal.connection.withDeadline(Date.now() + (deps.temporalDeadlineMs ?? 10_000), call);

  /** `at`: where the message sits in the request that asked for it, so error paths name the caller's own fields. */
  async function ensureSendable(businessNumberId: string, message: OutboundContent, at: MessageAt, customer?: ConversationInput['customer']): Promise<void> {
    // Meta refuses the category field on a number it did not enable (100): refused here, before anything is recorded.
    if (isDirectSend(message) && !(await findNumber(store, businessNumberId))?.sending?.directSend) {
      throw new AppError('direct_send_unavailable', `Business number ${businessNumberId} may not send content marked "category": "utility": Meta has not enabled Direct Send for it`, {
        errors: [{ in: 'body', path: `${at}.category`, message: 'Direct Send is not enabled for this number (PUT /v1/numbers/{id}/sending)' }],
      });
    }
    if (message.type !== 'template') return;
    const template = await findTemplate(store, businessNumberId, message.name, message.language);
    if (template?.status !== 'APPROVED') {
      throw new AppError('template_not_approved', `Template ${message.name} (${message.language}) is ${template?.status ?? 'unknown'} on this number`);
    }
    // WhatsApp refuses authentication templates to a BSUID (131062): refused here, before a unit or a send is spent.
    if (customer && template.category.toLowerCase() === 'authentication' && !(await preferredRecipient(store, customer)).waId) {
      throw new AppError(
        'bsuid_recipient_unsupported',
        `${message.name} is an authentication template, which WhatsApp delivers to phone numbers only; this customer is known by their business-scoped user id alone`,
      );
    }
    // Marketing only: the number held for spam (131048), or the person stopped marketing messages.
    if (template.category.toLowerCase() === 'marketing') await refuseUnwantedMarketing(store, businessNumberId, message.name, customer);
    // Templates recorded before supervisors managed them here have no definition to check against.
    const problems = template.definition ? checkParameters(template.definition, message.components) : [];
    if (problems.length > 0) {
      throw new AppError('template_parameters_mismatch', `The parameters do not fit ${message.name} (${message.language}); see errors`, {
        errors: problems.map((p) => ({ in: 'body', ...p, path: `${at}.${p.path}` })),
      });
    }
  }

  /** Sends through update-with-start: a conversation that has ended is started again, in a state that wants a template. */
  async function sendVia(conversation: ConversationInput, messageId: string, message: OutboundContent, sender: Sender, at: MessageAt, current?: ConversationStatus & RefusedConversation) {
    // WhatsApp refuses sends to a person the business blocked (block-users page): refused here, nothing recorded. The
    // person, not this conversation's identifier: a block through their other conversation holds here too.
    if (await findPersonBlock(store, conversation.businessNumberId, conversation.customer)) {
      throw new AppError('customer_blocked', `This person is blocked on business number ${conversation.businessNumberId}; unblock them first (DELETE /v1/conversations/${conversation.conversationId}/block)`);
    }
    // A closed conversation takes no free-form message; sending it on would start an empty run, which would replace
    // the closed one in the read model.
    if (current?.state === 'closed' && !mayGoOutsideWindow(message) && (await closedNow(conversation.conversationId))) {
      throw await sendRefusal(store, conversation.businessNumberId, 'conversation_closed', current);
    }
    await ensureSendable(conversation.businessNumberId, message, at, conversation.customer);
    const admission = await admitOutsideWindow({ store, limits: deps.limits }, conversation, messageId, message, current);
    const input: ConversationWorkflowInput = { conversation };
    try {
      return await bounded(() => temporal.workflow.executeUpdateWithStart(sendMessageUpdate, {
        updateId: messageId,
        args: [{ messageId, message, sender }],
        startWorkflowOperation: new WithStartWorkflowOperation(CONVERSATION_WORKFLOW_TYPE, {
          workflowId: conversation.conversationId,
          taskQueue: deps.taskQueue,
          args: [input],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      }));
    } catch (err) {
      const refusal = refusalIn(err);
      // Refused by the conversation: nothing was sent, so the unit goes back.
      if (refusal && admission) await releaseAdmission(store, conversation, admission);
      // Each cause in its own words (the run that refused may have ended a moment ago: conversation_closed).
      if (refusal?.code === 'template_required' || refusal?.code === 'conversation_closed') {
        throw await sendRefusal(store, conversation.businessNumberId, refusal.code, current);
      }
      throw err;
    }
  }

  /**
   * The conversation as the read model has it, else as its workflow answers: the read model is written a moment after
   * a webhook is acknowledged (the workflow's projection), and a conversation the broker was told we took must be one
   * every route finds at once, as GET does. Unknown to both: 404.
   */
  async function requireConversation(conversationId: string): Promise<ConversationStatus & { updatedAt?: Date }> {
    const doc = await findConversation(store, conversationId);
    if (doc) return doc;
    try {
      return await bounded(() => temporal.workflow.getHandle(conversationId).query(conversationStatusQuery));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new AppError('unknown_conversation', `No conversation ${conversationId}`);
      throw err;
    }
  }

  /** The read model says closed, but the customer may have started the next conversation a moment ago: ask Temporal. */
  async function closedNow(conversationId: string): Promise<boolean> {
    try {
      return (await bounded(() => temporal.workflow.getHandle(conversationId).query(conversationStatusQuery))).state === 'closed';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return true;
      throw err;
    }
  }

  const policy = deps.agentVisibility ?? 'own';

  return {
    /**
     * Refuses with `unknown_conversation` (404) what this viewer may not read (an agent cannot tell another agent's
     * conversation from none). Unnarrowed viewers cost no read, unless `mustExist` (live streams need the conversation).
     */
    async visible(conversationId: string, viewer: Viewer, { mustExist = false } = {}): Promise<void> {
      if (!mustExist && !narrowedAgent(viewer, policy)) return;
      const doc = await requireConversation(conversationId);
      if (!maySee(doc, viewer, policy)) throw new AppError('unknown_conversation', `No conversation ${conversationId}`);
    },

    /** The deployment's policy for agent keys. */
    agentVisibility: policy,

    /** Whether the viewer may (still) read this conversation; for live streams re-checking at each change. */
    maySee: (doc: Pick<ConversationDoc, 'agentId' | 'routing'>, viewer: Viewer) => maySee(doc, viewer, policy),

    async start(body: StartConversationBody, sender: Sender, idempotencyKey?: string): Promise<SendAccepted> {
      // The person, whichever of their identifiers (or way of writing their number) the integrator used: one conversation.
      const customer = await customerForIntegrator(store, body.businessNumberId, body.customer, new Date());
      const conversationId = conversationWorkflowId(body.businessNumberId, customer.key);
      const conversation: ConversationInput = {
        conversationId,
        businessNumberId: body.businessNumberId,
        customer,
        idleCloseAfterMs: deps.idleCloseAfterMs,
      };
      const messageId = messageIdFor(conversationId, idempotencyKey);
      const template: OutboundContent = { type: 'template', ...body.template };
      if (idempotencyKey) await refuseChangedRepeat(store, messageId, template);
      return sendVia(conversation, messageId, template, sender, 'template');
    },

    async send(conversationId: string, request: OutboundRequest, sender: Sender, idempotencyKey?: string): Promise<SendAccepted> {
      const doc = await requireConversation(conversationId);
      const message = await resolveOutbound(store, conversationId, request);
      const conversation: ConversationInput = {
        conversationId,
        businessNumberId: doc.businessNumberId,
        customer: doc.customer,
        idleCloseAfterMs: deps.idleCloseAfterMs,
      };
      const messageId = messageIdFor(conversationId, idempotencyKey);
      if (idempotencyKey) await refuseChangedRepeat(store, messageId, message);
      return sendVia(conversation, messageId, message, sender, 'message', doc);
    },

    /** Ends the conversation now; the customer's next message (or a template) starts a new one. */
    async close(conversationId: string, sender: Sender): Promise<ConversationView> {
      await requireConversation(conversationId);
      try {
        return await bounded(() => temporal.workflow.getHandle(conversationId).executeUpdate(closeConversationUpdate, { args: [{ sender }] }));
      } catch (err) {
        // Already ended (idle or closed before): closing is idempotent, answer the last known state.
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        return toConversationView(await requireConversation(conversationId));
      }
    },

    /** Live state from the workflow; the read model answers for conversations Temporal no longer holds. */
    async get(conversationId: string): Promise<ConversationView> {
      try {
        return await bounded(() => temporal.workflow.getHandle(conversationId).query(conversationStatusQuery));
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        return toConversationView(await requireConversation(conversationId));
      }
    },

    /** The conversation as last recorded (the read model), without asking its workflow: for frequent re-reads. */
    async stored(conversationId: string): Promise<ConversationView> {
      return toConversationView(await requireConversation(conversationId));
    },

    /** Hands the conversation on (an agent to a queue or a named agent); the current call is hung up first. */
    async transfer(conversationId: string, sender: Sender, to: TransferTarget): Promise<ConversationView> {
      await requireConversation(conversationId);
      try {
        return await bounded(() => temporal.workflow.getHandle(conversationId).executeUpdate(transferConversationUpdate, { args: [{ sender, to }] }));
      } catch (err) {
        // The conversation exists (read model) but its workflow has ended.
        if (err instanceof WorkflowNotFoundError) throw new AppError('conversation_closed', `${conversationId} has ended`);
        throw err;
      }
    },

    /** The conversations an agent holds now, newest activity first (from the read model). */
    async heldBy(agentId: string): Promise<ConversationView[]> {
      const docs = await listConversations(store, { agentId, limit: 500 });
      return docs.filter((doc) => doc.state !== 'closed' && doc.agentId === agentId).map(toConversationView);
    },

    async messages(conversationId: string): Promise<MessageView[]> {
      const [thread, reactions] = await Promise.all([listThread(store, conversationId), reactionsByWamid(store, conversationId)]);
      if (thread.length === 0) await requireConversation(conversationId);
      const delivered = await agentDeliveriesOf(store, thread.map((doc) => doc._id));
      return withEditsAndRevokes(thread.map((doc) => toMessageView(doc, delivered.get(doc._id), reactions)));
    },

    /**
     * The thread as `GET /v1/conversations/{id}/messages` shows it: the messages, and the conversation's WhatsApp
     * calls beside them (services/call-entries.ts; an agent sees the calls it took). Calls alone make a thread too.
     */
    async thread(conversationId: string, agentId?: string): Promise<{ messages: MessageView[]; calls: CallEntry[] }> {
      const [thread, reactions, calls] = await Promise.all([listThread(store, conversationId), reactionsByWamid(store, conversationId), callEntries(store, conversationId, agentId)]);
      if (thread.length === 0 && calls.length === 0) await requireConversation(conversationId);
      const delivered = await agentDeliveriesOf(store, thread.map((doc) => doc._id));
      return { messages: withEditsAndRevokes(thread.map((doc) => toMessageView(doc, delivered.get(doc._id), reactions))), calls };
    },

    async list(filter: ConversationFilter, viewer: Viewer = {}): Promise<ConversationView[]> {
      const agent = narrowedAgent(viewer, policy);
      return (await listConversations(store, { ...filter, ...(agent ? { visibleToAgent: agent } : {}) })).map(toConversationView);
    },

    async approvedTemplates(conversationId: string): Promise<TemplateView[]> {
      const doc = await requireConversation(conversationId);
      return (await listApprovedTemplates(store, doc.businessNumberId)).map(toTemplateView);
    },
  };
}

export type ConversationService = ReturnType<typeof createConversationService>;

function toConversationView(doc: ConversationDoc | ConversationStatus): ConversationView {
  const { _id, projectionKey: _key, updatedAt: _updated, ...status } = doc as Partial<ConversationDoc> & ConversationStatus;
  // Documents projected before a field existed lack it.
  return {
    ...status,
    lastMessages: status.lastMessages ?? [],
    routing: status.routing ?? { phase: status.agentId ? 'assigned' : 'none', queue: null, attempt: 0 },
    assignedAt: status.assignedAt ?? null,
    holdTimeMs: status.holdTimeMs ?? null,
    firstResponseMs: status.firstResponseMs ?? null,
  };
}


/**
 * A stored message as the thread API shows it: `delivery` to the agent's SIP chat when there was one, and `reactions`
 * by wamid (see reactionsByWamid) put on the message each reacts to.
 */
export function toMessageView(doc: MessageDoc, delivery?: AgentDeliveryDoc, reactions?: ReadonlyMap<string, ReactionView[]>): MessageView {
  const at = new Date(doc.sortAt).toISOString();
  const toAgent = delivery ? { deliveredToAgent: { at: delivery.at.toISOString(), callId: delivery.callId } } : {};
  const reacted = doc.wamid ? reactions?.get(doc.wamid) : undefined;
  if (doc.direction === 'inbound') {
    return {
      id: doc._id,
      direction: 'inbound',
      type: doc.type,
      ...(doc.text !== undefined ? { text: doc.text } : {}),
      ...inboundFieldsView(doc),
      status: 'received',
      at,
      wamid: doc.wamid,
      ...toAgent,
      ...(reacted ? { reactions: reacted } : {}),
    };
  }
  const content = doc.content;
  return {
    id: doc._id,
    direction: 'outbound',
    type: content.type,
    ...outboundContentView(content),
    status: outboundStatuses[doc.statusRank] ?? 'queued',
    ...(doc.statusTimes.played ? { playedAt: new Date(doc.statusTimes.played).toISOString() } : {}),
    at,
    ...(doc.wamid ? { wamid: doc.wamid } : {}),
    sender: doc.sender,
    ...(doc.pricingCategory ? { pricingCategory: doc.pricingCategory } : {}),
    ...(doc.pricing ? { pricing: doc.pricing } : {}),
    ...(doc.failure ? { failure: doc.failure } : {}),
    ...toAgent,
    ...(reacted ? { reactions: reacted } : {}),
    ...(doc.recipientWaId ? { recipientWaId: doc.recipientWaId } : {}),
  };
}
