/**
 * The agent's side of chat over SIP (SIP_CHAT_MODE=message or msrp): an in-dialog MESSAGE, or an MSRP SEND in the
 * call's session, from the contact centre is the agent's reply, and goes through the conversation service exactly as
 * an HTTP reply does (window, templates, tier, pacing). Its idempotency key is the MESSAGE's Call-ID and CSeq (the
 * MSRP Message-ID in session mode), so a retransmission (or the same request reaching another worker) sends once. The SIP final response says what became of it; a refusal the agent must act on also
 * comes back as a notice MESSAGE in the session (through the conversation's workflow, which owns the dialog's CSeq).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { AppError, refusalIn } from '../lib/errors';
import type { Sender } from '../machines/conversation.types';
import type { OutboundRequest } from '../api/conversations.schema';
import type { Store } from '../store/db';
import { agentOnCall } from '../store/agent-slots.store';
import type { AgentMessage, AgentMessageAnswer } from '../integrations/sip/sip.client';
import { AGENT_CONTENT_TYPES, agentText, parseAgentCommand, templateListText } from '../integrations/sip/sip.chat';
import { SESSION_LIMITS } from '../lib/session-messages';
import type { ChatNoticeCode } from '../integrations/sip/sip.types';
import { agentNoticeSignal } from '../workflows/conversation.messages';
import type { ConversationService } from './conversations.service';

/** Warning (RFC 3261 §20.43): `399 <agent> "<text>"`, the text one line without quotes. */
const warning = (text: string): [string, string] => ['Warning', `399 whatsapp-connector "${text.replace(/[\x00-\x1f\x7f"\\]/g, ' ').slice(0, 300)}"`]; // eslint-disable-line no-control-regex

/** SIP answers to the service's refusals: the reason phrase names the problem, Warning carries the detail. */
const REFUSALS: Partial<Record<string, [number, string]>> = {
  template_required: [403, 'Template Required'],
  conversation_closed: [481, 'Call/Transaction Does Not Exist'],
  unknown_conversation: [481, 'Call/Transaction Does Not Exist'],
  template_not_approved: [404, 'Template Not Approved'],
  template_parameters_mismatch: [400, 'Template Parameters Mismatch'],
  messaging_limit_reached: [403, 'Messaging Limit Reached'],
};

/** What names the agent's request: the MESSAGE's CSeq (page mode) or the MSRP Message-ID (session mode). */
const requestOf = (message: AgentMessage) => message.requestKey ?? String(message.cseq);

export function createAgentChat({ store, temporal, conversations }: { store: Store; temporal: Client; conversations: ConversationService }) {
  async function tell(message: AgentMessage, code: ChatNoticeCode, text: string): Promise<void> {
    const notice = { key: `${message.callId}:${requestOf(message)}`, callId: message.callId, code, text };
    await temporal.workflow.getHandle(message.conversationId).signal(agentNoticeSignal, notice).catch((err: unknown) => {
      if (!(err instanceof WorkflowNotFoundError)) throw err; // the conversation ended meanwhile: nobody to tell
    });
  }

  async function send(message: AgentMessage, content: OutboundRequest, sender: Sender): Promise<AgentMessageAnswer> {
    try {
      const accepted = await conversations.send(message.conversationId, content, sender, `sip:${message.callId}:${requestOf(message)}`);
      // 202 (RFC 3428 §7): taken, on its way to WhatsApp; the thread shows what WhatsApp makes of it.
      return { status: 202, reason: 'Accepted', headers: [['X-Message-Id', accepted.messageId]] };
    } catch (err) {
      const refusal = err instanceof AppError ? err : refusalIn(err);
      if (!refusal) throw err;
      // The call is the agent's (its place is taken) but the workflow has not applied the answer yet: a moment more.
      if (refusal.code === 'not_assigned') return { status: 503, reason: 'Assignment Pending', headers: [['Retry-After', '1']] };
      const [status, reason] = REFUSALS[refusal.code] ?? [403, 'Forbidden'];
      const afterwards = async () => {
        if (refusal.code === 'template_required') {
          const templates = await conversations.approvedTemplates(message.conversationId);
          await tell(message, 'template-required', templateListText(templates, `Not sent: ${refusal.message}`));
        } else if (status !== 481) {
          await tell(message, 'refused', `Not sent (${refusal.code}): ${refusal.message}`);
        }
      };
      return { status, reason, headers: [warning(`${refusal.code}: ${refusal.message}`)], afterwards };
    }
  }

  return async function onAgentMessage(message: AgentMessage): Promise<AgentMessageAnswer> {
    const body = agentText(message.contentType, message.body);
    if (body === undefined) return { status: 415, reason: 'Unsupported Media Type', headers: [['Accept', AGENT_CONTENT_TYPES]] };
    // The agent is whoever holds the conversation on this very call; a MESSAGE in an ended call is refused.
    const agentId = await agentOnCall(store, message.conversationId, message.callId);
    if (!agentId) return { status: 481, reason: 'Call/Transaction Does Not Exist' };
    const sender: Sender = { kind: 'agent', id: agentId };
    const command = parseAgentCommand(body);
    switch (command.kind) {
      case 'invalid':
        return { status: 400, reason: 'Bad Command', headers: [warning(command.problem)], afterwards: () => tell(message, 'refused', command.problem) };
      case 'listTemplates': {
        const list = templateListText(await conversations.approvedTemplates(message.conversationId), 'Approved templates:');
        return { status: 200, reason: 'OK', afterwards: () => tell(message, 'templates', list) };
      }
      case 'template': {
        const parameters = command.parameters.map((text) => ({ type: 'text' as const, text }));
        const components = parameters.length > 0 ? [{ type: 'body' as const, parameters }] : undefined;
        return send(message, { type: 'template', name: command.name, language: command.language, ...(components ? { components } : {}) }, sender);
      }
      case 'text':
        if (command.text === '') return { status: 400, reason: 'Empty Message' };
        if (command.text.length > SESSION_LIMITS.textBody) {
          // Meta refuses a text body over 4,096 characters (text-messages page): refused here, where the agent still
          // has it, rather than accepted 202 and failed at WhatsApp later. 413: RFC 3261 §21.4.11.
          const problem = `WhatsApp takes a text of at most ${SESSION_LIMITS.textBody.toLocaleString('en')} characters; this one has ${command.text.length.toLocaleString('en')}. Send it in parts.`;
          return { status: 413, reason: 'Request Entity Too Large', headers: [warning(`invalid_request: ${problem}`)], afterwards: () => tell(message, 'refused', `Not sent (invalid_request): ${problem}`) };
        }
        return send(message, { type: 'text', text: command.text }, sender);
    }
  };
}
