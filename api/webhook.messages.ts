import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import type { CustomerRef } from '../machines/conversation.types';
import { readInbound } from '../lib/inbound-message';
import { recordCallPermissionReply } from '../store/call-permissions.store';
import { receiptSeq } from '../lib/thread-order';
import { recordReaction } from '../store/reactions.store';
import type { InboundMessageDoc, MessageFailure, MessagePricing, ReactionDoc } from '../store/documents';
import { insertInbound, outboundFor, recordStatus } from '../store/messages.store';
import type { DeliveryStatusDoc } from '../store/documents';
import {
  CONVERSATION_WORKFLOW_TYPE,
  MAX_MESSAGES_PER_SIGNAL,
  brokerFailureSignal,
  conversationWorkflowId,
  customerMessageSignal,
  customerMessagesSignal,
  customerReactedSignal,
  type ConversationWorkflowInput,
  type InboundMessage,
} from '../workflows/conversation.messages';
import { failureReasonFor } from '../machines/conversation.rules';
import type { IngestDeps } from './webhook.deps';
import { UnusablePart } from './webhook.failures';
import { CloudContact, type CloudInboundMessage, type CloudStatus, type MessagesChangeValue } from './webhook.schema';
import { meaningOf } from '../lib/meta-errors';
import { templateHealthEvent } from '../services/account-health';
import { failureConsequences } from '../services/failure-consequences';
import { customerForInbound, inboundIdentity, learnFromStatus } from '../services/customer-identity';

/** `played`: a voice message was played (Meta's status webhook reference); kept beside `read`, which it implies. */

function contactFor(value: MessagesChangeValue, message: CloudInboundMessage): CloudContact | undefined {
  // An unreadable contact only fails to name its customer; the message then names them itself, or is dead-lettered.
  const contacts = (value.contacts ?? []).flatMap((c) => {
    const parsed = CloudContact.safeParse(c);
    return parsed.success ? [parsed.data] : [];
  });
  // A lone contact names a message that does not name its writer only when it is the change's only message: beside
  // another message (a group message without `from` next to someone's 1:1 message) it is that other writer's.
  const alone = contacts.length === 1 && (value.messages?.length ?? 0) <= 1;
  return contacts.find((c) => (message.from && c.wa_id === message.from) || (message.from_user_id && c.user_id === message.from_user_id)) ?? (alone ? contacts[0] : undefined);
}

/**
 * The customer as the registry knows them: every identifier in the message is learned (a `system` notice re-points
 * the person to their new number or BSUID), and `key` is the person's conversation key, whatever identifier arrived.
 * Throws {@link UnusablePart} (`no_customer`) when neither the message nor its contact names one; a store that does
 * not answer throws as it is (the webhook answers 503 and is delivered again).
 */
export async function customerOf(deps: Pick<IngestDeps, 'store'>, value: MessagesChangeValue, message: CloudInboundMessage, receivedAt: Date, contact = contactFor(value, message)): Promise<CustomerRef> {
  const seen = inboundIdentity(contact, message);
  if (Object.keys(seen.hints).length === 0 && !seen.formerPhone) {
    throw new UnusablePart('no_customer', `message ${message.id} names no customer (no from, from_user_id, wa_id or user_id)`);
  }
  return customerForInbound(deps.store, value.metadata.phone_number_id, seen, receivedAt);
}

/**
 * One customer message as stored and as signalled, and the conversation it belongs to. A reaction is stored beside
 * the message it names and an event (system notice, edit, revoke…) in the thread; neither is signalled.
 */
export interface Inbound {
  doc: InboundMessageDoc;
  signal: InboundMessage;
  input: ConversationWorkflowInput;
  reaction?: ReactionDoc;
  event?: true;
}

/** `position`: the message's place among those of its webhook body, in the order they are processed (see receiptSeq). */
export async function inboundOf(deps: IngestDeps, value: MessagesChangeValue, message: CloudInboundMessage, receivedAt: Date, position = 0): Promise<Inbound> {
  const businessNumberId = value.metadata.phone_number_id;
  const contact = contactFor(value, message);
  const customer = await customerOf(deps, value, message, receivedAt, contact);
  const conversationId = conversationWorkflowId(businessNumberId, customer.key);
  const sentAt = Number(message.timestamp) * 1000;
  const read = readInbound(message);
  // Only a customer's message is signalled; a reaction is never stored as a message (see `reaction` below).
  const kind = read.category === 'reaction' ? 'unsupported' : read.kind;
  const customerRead = read.category === 'customer' ? read : undefined;
  const doc: InboundMessageDoc = {
    _id: message.id,
    direction: 'inbound',
    wamid: message.id,
    conversationId,
    businessNumberId,
    customerKey: customer.key,
    // Never later than its receipt: a `timestamp` ahead of us (a clock running fast, ours or the sender's) would put the
    // message after our replies to it in the thread, and keep it past its retention; the window is capped the same way.
    sortAt: Math.min(sentAt, receivedAt.getTime()),
    seq: receiptSeq(receivedAt, position),
    createdAt: receivedAt,
    kind,
    type: message.type,
    ...read.content,
    ...(contact?.identity_key_hash ? { identityKeyHash: contact.identity_key_hash } : {}),
    raw: JSON.stringify(message),
    // An event has nothing for the conversation to handle: it is complete once stored.
    ...(read.category === 'event' ? { event: true as const, handled: true } : { handled: false }),
  };
  const { key: _key, ...identity } = customer;
  const signal: InboundMessage = {
    messageId: message.id,
    sentAt,
    kind: customerRead?.kind ?? 'unsupported',
    ...(customerRead?.media ? { brokerMediaId: customerRead.media.brokerMediaId } : {}),
    customer: identity,
  };
  const input: ConversationWorkflowInput = { conversation: { conversationId, businessNumberId, customer, idleCloseAfterMs: deps.idleCloseAfterMs } };
  // A reaction is attached to the message it names, in the store only: it is not the customer writing, so it neither
  // starts nor wakes a conversation, routes, nor gets automatic replies.
  const reaction: ReactionDoc | undefined =
    read.category === 'reaction' ? { _id: message.id, targetWamid: read.targetWamid, conversationId, by: customer.key, emoji: read.emoji, at: new Date(sentAt) } : undefined;
  return { doc, signal, input, ...(reaction ? { reaction } : {}), ...(read.category === 'event' ? { event: true as const } : {}) };
}

/**
 * Stores the message keyed on its wamid. `signal`: whether its conversation is still to be told (not for a reaction,
 * an event, or a redelivery its conversation already handled).
 */
export async function storeInbound(deps: IngestDeps, inbound: Inbound): Promise<{ outcome: 'new' | 'duplicate'; signal: boolean }> {
  if (inbound.reaction) return { outcome: (await recordReaction(deps.store, inbound.reaction)) === 'inserted' ? 'new' : 'duplicate', signal: false };
  const stored = await insertInbound(deps.store, inbound.doc);
  // A call permission reply is also kept per number and customer, redelivery or not (the newest reply wins).
  const reply = inbound.doc.callPermissionReply;
  if (reply) await recordCallPermissionReply(deps.store, inbound.doc.businessNumberId, inbound.doc.customerKey, reply, new Date());
  // System notices, welcome requests, edits and revokes: kept in the thread, not signalled (see the README's table).
  return { outcome: stored === 'inserted' ? 'new' : 'duplicate', signal: !inbound.event && stored !== 'duplicate-handled' };
}

/**
 * Hands one conversation's messages (oldest first) to its workflow, starting it if need be: one signal for a single
 * message (as every webhook did before batches), else signals of at most {@link MAX_MESSAGES_PER_SIGNAL}.
 */
export async function handOver(deps: IngestDeps, messages: Inbound[]): Promise<void> {
  const first = messages[0];
  if (!first) return;
  // Not knowing the version only costs the conversation a settings read.
  const settingsVersion = await deps.settingsVersion?.().catch(() => undefined);
  const stamp = (m: InboundMessage): InboundMessage => (settingsVersion === undefined ? m : { ...m, settingsVersion });
  for (let i = 0; i < messages.length; i += MAX_MESSAGES_PER_SIGNAL) {
    const batch = messages.slice(i, i + MAX_MESSAGES_PER_SIGNAL).map((m) => stamp(m.signal));
    const options = { workflowId: first.input.conversation.conversationId, taskQueue: deps.taskQueue, args: [first.input] as [ConversationWorkflowInput] };
    // Bounded: with Temporal down the client would otherwise retry for a long time while the broker waits on us.
    await deps.temporal.connection.withDeadline(Date.now() + (deps.temporalDeadlineMs ?? 5_000), () =>
      batch.length === 1
        ? deps.temporal.workflow.signalWithStart(CONVERSATION_WORKFLOW_TYPE, { ...options, signal: customerMessageSignal, signalArgs: [batch[0]!] })
        : deps.temporal.workflow.signalWithStart(CONVERSATION_WORKFLOW_TYPE, { ...options, signal: customerMessagesSignal, signalArgs: [batch] }),
    );
  }
}

/** Meta's pricing object as stored: `billable` arrives as a boolean (or, from some brokers, "true"/"false"). */
function pricingOfStatus(pricing: NonNullable<CloudStatus['pricing']>): MessagePricing {
  const billable = typeof pricing.billable === 'string' ? pricing.billable === 'true' : pricing.billable;
  return {
    ...(pricing.category ? { category: pricing.category } : {}),
    ...(pricing.type ? { type: pricing.type } : {}),
    ...(billable !== undefined ? { billable } : {}),
    ...(pricing.pricing_model ? { model: pricing.pricing_model } : {}),
  };
}

/** The status's conversation (conversation-based pricing) as the store keeps it, or nothing. */
function conversationOf(conversation: CloudStatus['conversation']): { conversation?: { id?: string; originType?: string; expiresAt?: Date } } {
  if (!conversation) return {};
  const kept = {
    ...(conversation.id ? { id: conversation.id } : {}),
    ...(conversation.origin?.type ? { originType: conversation.origin.type } : {}),
    ...(conversation.expiration_timestamp !== undefined ? { expiresAt: new Date(Number(conversation.expiration_timestamp) * 1000) } : {}),
  };
  return Object.keys(kept).length > 0 ? { conversation: kept } : {};
}

function failureOf(status: CloudStatus): MessageFailure | undefined {
  const error = status.errors?.[0];
  if (status.status !== 'failed' || !error) return undefined;
  return {
    code: error.code,
    title: error.title ?? error.message ?? 'failed',
    ...(error.error_data?.details ? { details: error.error_data.details } : {}),
    reason: failureReasonFor(error.code),
    action: meaningOf(error.code).action,
    ...(meaningOf(error.code).meaning ? { meaning: meaningOf(error.code).meaning } : {}),
  };
}

/** Statuses go straight to the store as one insert each; only a failure concerns the conversation's machine. */
export async function ingestStatus(deps: IngestDeps, status: CloudStatus & { status: DeliveryStatusDoc['status'] }): Promise<void> {
  // A status of a message sent to a person erased since names them (their number, BSUID, and the wamid, which carries
  // their number in base64): dropped, not kept beside no message. One read by `_id` per status, only while an erasure
  // is recent (services/erasure-clock.ts): otherwise none.
  if (await deps.erasureClock.isStatusErased(status.id)) return;
  await learnFromStatus(deps.store, status, new Date());
  const failure = failureOf(status);
  const messageId = status.biz_opaque_callback_data;
  await recordStatus(deps.store, {
    wamid: status.id,
    ...(messageId ? { messageId } : {}),
    status: status.status,
    at: new Date(Number(status.timestamp) * 1000),
    ...(status.pricing?.category ? { pricingCategory: status.pricing.category } : {}),
    ...(status.pricing ? { pricing: pricingOfStatus(status.pricing) } : {}),
    ...(failure ? { failure } : {}),
    ...conversationOf(status.conversation),
  });
  if (!failure) return;
  // A redelivered failure signals again: the first signal may not have gone out (the broker redelivers because we
  // did not answer); the machine ignores a 131047 for a send older than the customer's latest message.
  const message = await outboundFor(deps.store, status.id, messageId);
  if (message) await failureConsequences(deps.store, failure.code, message.businessNumberId, { key: message.customerKey, ...(status.recipient_id ? { waId: status.recipient_id } : {}), ...(status.recipient_user_id ? { userId: status.recipient_user_id } : {}) }, new Date(Number(status.timestamp) * 1000));
  if (message) {
    try {
      await deps.temporal.workflow
        .getHandle(message.conversationId)
        .signal(brokerFailureSignal, { messageId: message._id, code: failure.code, title: failure.title, sentAt: message.sortAt });
    } catch (err) {
      // A conversation that has ended has no window to close; the failure is on the message already.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
}

const TemplateStatusValue = z.looseObject({
  event: z.string().min(1),
  message_template_id: z.union([z.string(), z.number()]).transform(String),
  message_template_name: z.string().optional(),
  message_template_language: z.string().optional(),
  reason: z.string().nullish(),
});

const TemplateCategoryValue = z.looseObject({
  message_template_id: z.union([z.string(), z.number()]).transform(String),
  new_category: z.string().min(1),
  previous_category: z.string().optional(),
});

const TemplateQualityValue = z.looseObject({
  message_template_id: z.union([z.string(), z.number()]).transform(String),
  new_quality_score: z.string().min(1),
});

/**
 * A template's status, category or quality changed at WhatsApp. Throws {@link UnusablePart} for a value it cannot read.
 * A pause, disable, reinstatement or RED score is also an account-health alert (services/account-health.ts).
 */
export async function ingestTemplateEvent(deps: IngestDeps, field: string, value: unknown, entry: { id: string; time?: number } = { id: '' }): Promise<number> {
  if (field === 'message_template_status_update') {
    const parsed = TemplateStatusValue.safeParse(value);
    if (!parsed.success) throw new UnusablePart('template_event_unreadable', z.prettifyError(parsed.error));
    const { event, message_template_id: templateId, reason } = parsed.data;
    const applied = await deps.templates.applyStatusEvent({ templateId, status: event, ...(reason ? { reason } : {}) }, 'webhook');
    await templateHealthEvent(deps.store, field, entry, { templateId, status: event, ...(reason && reason !== 'NONE' ? { reason } : {}) }, new Date());
    return applied;
  }
  if (field === 'message_template_quality_update') {
    const quality = TemplateQualityValue.safeParse(value);
    if (!quality.success) throw new UnusablePart('template_event_unreadable', z.prettifyError(quality.error));
    const applied = await deps.templates.applyQualityEvent({ templateId: quality.data.message_template_id, quality: quality.data.new_quality_score });
    await templateHealthEvent(deps.store, field, entry, { templateId: quality.data.message_template_id, quality: quality.data.new_quality_score }, new Date());
    return applied;
  }
  const parsed = TemplateCategoryValue.safeParse(value);
  if (!parsed.success) throw new UnusablePart('template_event_unreadable', z.prettifyError(parsed.error));
  return deps.templates.applyCategoryEvent({ templateId: parsed.data.message_template_id, category: parsed.data.new_category }, 'webhook');
}

/**
 * Tells the customer's conversation of their reaction, so an agent chatting over SIP sees it (the conversation takes
 * each reaction id once, so a redelivery may tell it again). No conversation running: nobody to tell. Throws as
 * Temporal does: the broker then delivers the body again.
 */
export async function tellOfReaction(deps: IngestDeps, inbound: Inbound & { reaction: ReactionDoc }): Promise<void> {
  const { _id: reactionId, targetWamid, emoji } = inbound.reaction;
  try {
    await deps.temporal.workflow.getHandle(inbound.input.conversation.conversationId).signal(customerReactedSignal, { reactionId, targetWamid, emoji });
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}
