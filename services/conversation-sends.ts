import { createHash, randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, WorkflowNotFoundError } from '@temporalio/client';
import type { ConversationInput, OutboundContent, Sender } from '../machines/conversation.types';
import type { ConversationStatus } from '../machines/conversation.status';
import { AppError, isUnprocessedUpdate, refusalIn } from '../lib/errors';
import { isDirectSend, mayGoOutsideWindow } from '../machines/conversation.rules';
import { checkParameters } from '../lib/template-parameters';
import { findNumber } from '../store/numbers.store';
import { findTemplate, templateLanguages } from '../store/templates.store';
import { CONVERSATION_WORKFLOW_TYPE, conversationStatusQuery, sendMessageUpdate, type ConversationWorkflowInput } from '../workflows/conversation.messages';
import type { ConversationServiceDeps } from './conversations.service';
import { sendRefusal, type RefusedConversation } from './send-refusals';
import { findPersonBlock } from './person-blocks';
import { admitOutsideWindow, releaseAdmission } from './messaging-limit';
import { refuseUnwantedMarketing } from './marketing-consent';
import { preferredRecipient } from './customer-identity';

/** The body field that holds the outgoing message: `message` on a send, `template` when starting a conversation. */
export type MessageAt = 'message' | 'template';

/**
 * A stable message id: from the caller's Idempotency-Key (scoped to the conversation, so two integrators' keys
 * never collide), else fresh. It is also the Temporal Update id, so a retried request takes effect once.
 */
export function messageIdFor(conversationId: string, idempotencyKey: string | undefined): string {
  if (!idempotencyKey) return `msg_${randomUUID().replace(/-/g, '')}`;
  return `msg_${createHash('sha256').update(`${conversationId}\n${idempotencyKey}`).digest('hex').slice(0, 32)}`;
}

/**
 * Why a template is not known here, in words that say what to do: the languages held under that name (Meta's 132001
 * "does not exist in the translation" is mostly `en` for `en_US`), else how a template made in WhatsApp Manager gets
 * here (chatwoot#13805: the refusal named the parameters, not the missing sync).
 */
async function unknownTemplateDetail(store: ConversationServiceDeps['store'], businessNumberId: string, name: string, language: string): Promise<string> {
  const languages = await templateLanguages(store, businessNumberId, name);
  const held = languages.length > 0 ? `; this number has it in ${languages.join(', ')}` : '';
  return `Template ${name} (${language}) is not known here on this number${held}. One made in WhatsApp Manager is taken in by the template sync (every TEMPLATE_SYNC_INTERVAL_MS, or now: POST /v1/templates/sync)`;
}

/**
 * The send path shared by a reply and a conversation's start: WhatsApp's refusals checked before anything is recorded
 * (a blocked person, a closed conversation, Direct Send, the template's status, category and parameters, the
 * messaging limit), then the message handed to the conversation's workflow by update-with-start. `bounded` runs a
 * Temporal call under the request's deadline. Throws `AppError` with the refusal's code (lib/errors.ts).
 */
export function createSendPath(deps: ConversationServiceDeps, bounded: <T>(call: () => Promise<T>) => Promise<T>) {
  const { store, temporal } = deps;

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
    if (!template) throw new AppError('template_not_approved', await unknownTemplateDetail(store, businessNumberId, message.name, message.language));
    if (template.status !== 'APPROVED') {
      throw new AppError('template_not_approved', `Template ${message.name} (${message.language}) is ${template.status} on this number`);
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
      // Refused by the conversation, or rejected by Temporal unprocessed under a burst (answered 429 too_many_in_flight,
      // api/problem.ts): nothing was recorded, so the unit goes back; a retry under the same key takes it again.
      if ((refusal || isUnprocessedUpdate(err)) && admission) await releaseAdmission(store, conversation, admission);
      // Each cause in its own words (the run that refused may have ended a moment ago: conversation_closed).
      if (refusal?.code === 'template_required' || refusal?.code === 'conversation_closed') {
        throw await sendRefusal(store, conversation.businessNumberId, refusal.code, current);
      }
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

  return { sendVia };
}
