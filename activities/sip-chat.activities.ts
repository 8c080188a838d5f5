/**
 * Page-mode chat over SIP (SIP_CHAT_MODE=message, RFC 3428): one activity carries one chat line to the agent as an
 * in-dialog MESSAGE. The request derives from the line alone (dialog, CSeq, stored text), so a retried activity, on
 * this worker or another after a restart, re-sends the same request: the contact centre sees a retransmission.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { currentActivity } from './heartbeat';
import type { Logger } from 'pino';
import type { OutboundContent } from '../machines/conversation.types';
import type { Store } from '../store/db';
import { isConnectorOutbound, type MessageDoc } from '../store/documents';
import { recordAgentDelivery } from '../store/agent-deliveries.store';
import { messagesById, outboundFor } from '../store/messages.store';
import { MediaPending, inboundLineText } from '../services/inbound-view';
import { chatContent, originOf, reactionText, replyText, templateListText } from '../integrations/sip/sip.chat';
import { isMediaType } from '../lib/inbound-message.schema';
import { TEMPLATE_COMMAND_HELP } from '../lib/agent-commands';
import { findConversation } from '../store/conversations.store';
import { listApprovedTemplates } from '../store/templates.store';
import type { SipRouting } from '../integrations/sip/sip.routing';
import type { ChatLine, SipDialog } from '../integrations/sip/sip.types';
import type { InDialogContent } from '../integrations/sip/sip.dialog';
import { msrpMessageIdFor, type MsrpCall } from '../integrations/sip/msrp.sdp';

/** `heldOn` (session mode): the task queue of this worker alone, which holds the call's MSRP connection now. */
export type RelayOutcome = ({ outcome: 'delivered' } | { outcome: 'refused'; status: number; reason: string }) & { heldOn?: string };

const retry = (message: string) => ApplicationFailure.retryable(message, 'SipChatUnavailable');

function describeOutbound(content: OutboundContent, mediaLink: (id: string) => string): string {
  const lines = (...parts: (string | undefined)[]) => parts.filter(Boolean).join('\n');
  switch (content.type) {
    case 'text':
      return content.text;
    case 'image':
    case 'audio':
    case 'video':
    case 'sticker':
    case 'document':
      return lines(
        `[${content.type === 'audio' && content.voice ? 'voice note' : content.type}${content.type === 'document' && content.filename ? ` ${content.filename}` : ''}] ${mediaLink(content.mediaId)}`,
        'caption' in content ? content.caption : undefined,
      );
    case 'location':
      return `[location] ${content.name ?? ''} ${content.latitude},${content.longitude}`.replace('  ', ' ');
    case 'contacts':
      return `[contacts] ${content.contacts.map((c) => c.name.formatted_name).join(', ')}`;
    case 'reaction':
      return `[reaction ${content.emoji || 'removed'}]`;
    case 'buttons':
      return lines(content.body, `[buttons] ${content.buttons.map((b) => b.title).join(' | ')}`);
    case 'list':
      return lines(content.body, `[list ${content.button}] ${content.sections.flatMap((s) => s.rows.map((r) => r.title)).join(' | ')}`);
    case 'ctaUrl':
      return lines(content.body, `[${content.displayText}] ${content.url}`);
    case 'locationRequest':
      return lines(content.body, '[send location]');
    case 'callPermissionRequest':
      return lines(content.body, '[call permission request]');
    case 'template':
      return `[template ${content.name} (${content.language})]`;
  }
}

/** The line's text as the agent reads it; throws (retryable) while media is still being fetched. */
function textOf(doc: MessageDoc, mediaLink: (id: string) => string): string {
  if (isConnectorOutbound(doc)) return describeOutbound(doc.content, mediaLink);
  // Written from the WhatsApp Business app (its media is not fetched: the text or caption, else its type).
  if (doc.direction === 'outbound') return doc.text ?? doc[doc.type as 'image']?.caption ?? `[${doc.type} sent from the WhatsApp Business app]`;
  try {
    return inboundLineText(doc, mediaLink);
  } catch (err) {
    if (err instanceof MediaPending) throw retry(err.message);
    throw err;
  }
}

/**
 * A message as a reply quotes it: its line, but a customer's media by type, name and caption only, so the quote is
 * the same whether or not the media has been fetched yet (a retried line carries the same text under its CSeq).
 */
function quoteOf(doc: MessageDoc, mediaLink: (id: string) => string): string {
  if (doc.direction === 'inbound' && isMediaType(doc.type) && doc[doc.type]) {
    const media = doc[doc.type]!;
    return [`[${[doc.type, media.filename].filter(Boolean).join(' ')}]`, media.caption].filter(Boolean).join(' ');
  }
  return textOf(doc, mediaLink);
}

/** The message a customer's reply quotes (Meta's `context.id`): theirs by wamid, or ours by the wamid WhatsApp gave it. */
async function quotedBy(store: Store, doc: MessageDoc, mediaLink: (id: string) => string): Promise<{ wamid: string; text?: string } | undefined> {
  const wamid = doc.direction === 'inbound' ? doc.context?.messageId : undefined;
  if (!wamid) return undefined;
  const target = (await messagesById(store, [wamid])).get(wamid) ?? (await outboundFor(store, wamid));
  return { wamid, ...(target ? { text: quoteOf(target, mediaLink) } : {}) };
}

/**
 * The window-closed notice with what may still reach the customer: the number's approved templates, listed when the
 * line is sent (the project's rule for a closed window: refuse, and offer the approved templates; Meta's customer
 * service windows). A retry re-reads them: a template approved in between is listed too, under the same CSeq.
 */
async function withApprovedTemplates(store: Store, conversationId: string, notice: string): Promise<string> {
  const conversation = await findConversation(store, conversationId);
  if (!conversation) return notice;
  const templates = await listApprovedTemplates(store, conversation.businessNumberId);
  return templateListText(templates, notice.replace(TEMPLATE_COMMAND_HELP, '').trim());
}

/** Heartbeats every second while inside an activity; nothing when called directly (tests). */
function heartbeating(): { stop(): void } {
  const context = currentActivity();
  if (!context) return { stop: () => undefined };
  const timer = setInterval(() => context.heartbeat(), 1_000);
  return { stop: () => clearInterval(timer) };
}

/**
 * Session mode: the line as one MSRP message (RFC 4975), chunked, with a Message-ID derived from the call and the
 * line, so a retry (here or on another worker, over a new connection) is the same message sent again, not a second.
 * Delivered on the Success-Report; a 4xx response or failure REPORT is final; no answer or a lost connection retries.
 */
async function relayOverMsrp(sip: SipRouting, line: ChatLine, content: InDialogContent, holderQueue?: string): Promise<RelayOutcome> {
  const call = line.call as unknown as SipDialog & { msrp?: MsrpCall };
  if (!sip.msrp || !call.msrp) return { outcome: 'refused', status: 0, reason: 'MSRP session mode is not enabled on this worker' };
  const beat = heartbeating();
  const result = await sip.msrp
    .send({ callId: call.callId, conversationId: call.conversationId, msrp: call.msrp }, {
      messageId: msrpMessageIdFor(call.callId, line.seq),
      contentType: content.contentType,
      body: Buffer.from(content.body, 'utf8'),
      ...(content.headers ? { headers: content.headers } : {}),
    })
    .finally(beat.stop);
  if (result.kind === 'failed') throw retry(`MSRP line ${line.seq} in ${call.callId}: ${result.reason}`);
  const held = holderQueue ? { heldOn: holderQueue } : {};
  if (result.kind === 'refused') return { outcome: 'refused', status: result.status, reason: result.comment, ...held };
  return { outcome: 'delivered', ...held };
}

export function createSipChatActivities({ store, sip, clock = () => new Date(), mediaBaseUrl = 'http://localhost:3000', logger, msrpHolderQueue }: {
  store: Store;
  sip?: SipRouting;
  /** Session mode: the task queue only this worker polls, where the lines of the sessions it holds are sent. */
  msrpHolderQueue?: string;
  clock?: () => Date;
  /** Base of the links to stored media the agent's desktop opens (SIP_CHAT_MEDIA_BASE_URL). */
  mediaBaseUrl?: string;
  logger?: Pick<Logger, 'warn'>;
}) {
  const mediaLink = (mediaId: string) => `${mediaBaseUrl.replace(/\/+$/, '')}/v1/media/${encodeURIComponent(mediaId)}`;
  return {
    /**
     * Sends one chat line. 2xx: delivered (recorded on the message); 481 or another 4xx/6xx: the agent's side refused
     * it for good (a dialog that ended, say), nothing to retry; 5xx, no answer or a transport failure: retried.
     */
    async relayToAgent(line: ChatLine): Promise<RelayOutcome> {
      if (!sip) return { outcome: 'refused', status: 0, reason: 'SIP is not configured on this worker' };
      let text = line.text;
      let wamid: string | undefined;
      let replyTo: string | undefined;
      let origin = line.origin ?? 'system';
      if (text === undefined && line.messageId) {
        const doc = (await messagesById(store, [line.messageId])).get(line.messageId);
        // An outbound line is written by its send, which may not have run yet: wait for it rather than send less.
        if (!doc) throw retry(`message ${line.messageId} not stored yet`);
        text = textOf(doc, mediaLink);
        // A reply shows what it quotes, as WhatsApp does above it: Meta's webhook names the quoted message only.
        const quoted = await quotedBy(store, doc, mediaLink);
        if (quoted) {
          text = replyText(text, quoted);
          replyTo = quoted.wamid;
        }
        origin = line.origin ?? originOf(doc.direction, doc.direction === 'outbound' ? doc.sender : undefined);
        // An outbound wamid arrives later: a retry must not carry a header the first attempt lacked.
        wamid = doc.direction === 'inbound' ? doc.wamid : undefined;
      }
      if (line.reaction) {
        const { targetWamid, reactionId } = line.reaction;
        const target = (await messagesById(store, [targetWamid])).get(targetWamid) ?? (await outboundFor(store, targetWamid));
        text = reactionText(line.reaction.emoji, { wamid: targetWamid, ...(target ? { text: textOf(target, mediaLink) } : {}) });
        wamid = reactionId;
      }
      const dialog = line.call as unknown as SipDialog;
      if (line.notice === 'window-closed' && text !== undefined) text = await withApprovedTemplates(store, dialog.conversationId, text);
      const content = chatContent({ ...line, origin }, text ?? '', wamid, replyTo);
      if (line.call.chatMode === 'msrp') {
        const outcome = await relayOverMsrp(sip, line, content, msrpHolderQueue);
        if (outcome.outcome === 'delivered' && line.messageId && !line.history) await recordAgentDelivery(store, line.messageId, { callId: dialog.callId, seq: line.seq, at: clock() });
        return outcome;
      }
      // Heartbeats while the transaction runs (up to 64·T1): a worker that dies mid-send is noticed within the
      // heartbeat timeout, and the line re-sent by another, instead of after the whole start-to-close timeout.
      const beat = heartbeating();
      const result = await sip.agent.message(dialog, line.seq, content).finally(beat.stop);
      if (result.kind !== 'response') throw retry(`MESSAGE ${line.seq} in ${dialog.callId}: ${result.kind === 'timeout' ? 'no answer' : result.error.message}`);
      if (result.status >= 500 && result.status < 600) throw retry(`MESSAGE ${line.seq} in ${dialog.callId}: ${result.status} ${result.reason}`);
      if (result.status >= 300) {
        logger?.warn({ callId: dialog.callId, seq: line.seq, status: result.status }, 'SIP: chat line refused by the contact centre');
        return { outcome: 'refused', status: result.status, reason: result.reason };
      }
      if (line.messageId && !line.history) await recordAgentDelivery(store, line.messageId, { callId: dialog.callId, seq: line.seq, at: clock() });
      return { outcome: 'delivered' };
    },
  };
}

export type SipChatActivities = ReturnType<typeof createSipChatActivities>;
