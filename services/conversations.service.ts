import { refuseChangedRepeat } from './idempotency';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { ConversationInput, OutboundContent, Sender, TransferTarget } from '../machines/conversation.types';
import type { ConversationStatus } from '../machines/conversation.status';
import { AppError } from '../lib/errors';
import { toTemplateView } from './send-refusals';
import type { MessagingLimits } from '../lib/messaging-limits';
import type { Store } from '../store/db';
import { findConversation, listConversations, type ConversationFilter } from '../store/conversations.store';
import type { ConversationDoc } from '../store/documents';
import { listThread } from '../store/messages.store';
import { agentDeliveriesOf } from '../store/agent-deliveries.store';
import { resolveOutbound } from './outbound-content';
import { reactionsByWamid } from '../store/reactions.store';
import { withEditsAndRevokes } from './inbound-view';
import { listApprovedTemplates } from '../store/templates.store';
import { closeConversationUpdate, transferConversationUpdate, conversationStatusQuery, conversationWorkflowId } from '../workflows/conversation.messages';
import { callEntries, type CallEntry } from './call-entries';
import { callsOnlyConversation } from './calls-only-conversation';
import type { ConversationView, MessageView, OutboundRequest, SendAccepted, StartConversationBody, TemplateView } from '../api/conversations.schema';
import { maySee, narrowedAgent, type AgentVisibility, type Viewer } from './visibility';
import { customerForIntegrator } from './customer-identity';
import { messageIdFor, createSendPath } from './conversation-sends';
import { toConversationView, toMessageView } from './conversation-views';

/** What the conversation service needs: the store, Temporal, and the deployment's settings. */
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
 * The conversations use cases shared by the API and the activities: start one with a template, send into one (the
 * send path: services/conversation-sends.ts), close, transfer, read its status and thread, list them, each as the
 * viewer may see it (services/visibility.ts).
 */
export function createConversationService(deps: ConversationServiceDeps) {
  const { store, temporal } = deps;
  const bounded = <T>(call: () => Promise<T>) => temporal.connection.withDeadline(Date.now() + (deps.temporalDeadlineMs ?? 10_000), call);
  const { sendVia } = createSendPath(deps, bounded);

  /**
   * The conversation as the read model has it, else as its workflow answers: the read model is written a moment after
   * a webhook is acknowledged (the workflow's projection), and a conversation the broker was told we took must be one
   * every route finds at once, as GET does. Unknown to both, a conversation of calls alone is a closed one
   * (services/calls-only-conversation.ts: its thread lists them, so every route finds it); else 404.
   */
  async function requireConversation(conversationId: string): Promise<ConversationStatus & { updatedAt?: Date }> {
    const doc = await findConversation(store, conversationId);
    if (doc) return doc;
    try {
      return await bounded(() => temporal.workflow.getHandle(conversationId).query(conversationStatusQuery));
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      const callsOnly = await callsOnlyConversation(store, conversationId);
      if (callsOnly) return callsOnly;
      throw new AppError('unknown_conversation', `No conversation ${conversationId}`);
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


    /**
     * The thread as `GET /v1/conversations/{id}/messages` shows it: the messages, and the conversation's WhatsApp
     * calls beside them (services/call-entries.ts; an agent sees the calls it took). Calls alone make a thread too, and
     * a conversation every route finds (requireConversation).
     */
    async thread(conversationId: string, agentId?: string, page: { limit?: number; before?: string } = {}): Promise<{ messages: MessageView[]; hasOlder: boolean; calls: CallEntry[] }> {
      const [thread, reactions, calls] = await Promise.all([listThread(store, conversationId, page), reactionsByWamid(store, conversationId), callEntries(store, conversationId, agentId)]);
      if (!thread) {
        await requireConversation(conversationId);
        throw new AppError('unknown_message', `No message ${page.before} in this conversation: \`before\` takes the id of one of its messages`);
      }
      if (thread.docs.length === 0 && calls.length === 0) await requireConversation(conversationId);
      const delivered = await agentDeliveriesOf(store, thread.docs.map((doc) => doc._id));
      return { messages: withEditsAndRevokes(thread.docs.map((doc) => toMessageView(doc, delivered.get(doc._id), reactions))), hasOlder: thread.hasOlder, calls };
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
