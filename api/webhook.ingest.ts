import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { z } from 'zod';
import type { Logger } from 'pino';
import type { CustomerRef } from '../machines/conversation.types';
import { readInbound } from '../lib/inbound-message';
import { recordReaction } from '../store/reactions.store';
import type { Store } from '../store/db';
import type { InboundMessageDoc, MessageFailure } from '../store/documents';
import { insertInbound, outboundFor, recordStatus } from '../store/messages.store';
import {
  CONVERSATION_WORKFLOW_TYPE,
  brokerFailureSignal,
  conversationWorkflowId,
  customerMessageSignal,
  type ConversationWorkflowInput,
  type InboundMessage,
} from '../workflows/conversation.messages';
import type { TemplateService } from '../services/templates.service';
import { meaningOf } from '../lib/meta-errors';
import type { CloudContact, CloudInboundMessage, CloudStatus, CloudWebhookBody, MessagesChangeValue } from './webhook.schema';
import { failureReasonFor } from '../machines/conversation.rules';

export interface IngestDeps {
  store: Store;
  temporal: Client;
  taskQueue: string;
  idleCloseAfterMs: number;
  logger: Logger;
  /** Applies template status and category changes WhatsApp reports. */
  templates: Pick<TemplateService, 'applyStatusEvent' | 'applyCategoryEvent' | 'applyQualityEvent'>;
  /** How long one hand-over to Temporal may take before the webhook gives up with 503 (the broker retries). */
  temporalDeadlineMs?: number;
}

export interface IngestSummary {
  messages: number;
  duplicates: number;
  statuses: number;
  templateEvents: number;
  ignoredChanges: number;
}

const deliveryStatuses = new Set(['sent', 'delivered', 'read', 'failed']);

/**
 * Hands every message and status in a webhook body to durable storage and Temporal. Resolves only when all of it
 * is durable; throws otherwise, and the route answers 503 so the broker delivers the body again. Each step is
 * idempotent (wamid as the message key, workflow-side dedupe), so a redelivery takes effect once.
 */
export async function ingestWebhook(deps: IngestDeps, body: CloudWebhookBody, receivedAt: Date): Promise<IngestSummary> {
  const summary: IngestSummary = { messages: 0, duplicates: 0, statuses: 0, templateEvents: 0, ignoredChanges: 0 };
  for (const entry of body.entry) {
    for (const change of entry.changes) {
      if (['message_template_status_update', 'template_category_update', 'message_template_quality_update'].includes(change.field)) {
        summary.templateEvents += await ingestTemplateEvent(deps, change.field, change.value);
        continue;
      }
      if (change.field !== 'messages') {
        summary.ignoredChanges += 1;
        continue;
      }
      const value = change.value as MessagesChangeValue;
      for (const error of value.errors ?? []) deps.logger.warn({ error, phoneNumberId: value.metadata.phone_number_id }, 'broker reported an error');
      // In payload order by timestamp: a batch carrying a customer's burst is handled as they wrote it.
      const messages = [...(value.messages ?? [])].sort((a, b) => Number(a.timestamp) - Number(b.timestamp));
      for (const message of messages) {
        const outcome = await ingestMessage(deps, value, message, receivedAt);
        summary.messages += 1;
        if (outcome === 'duplicate') summary.duplicates += 1;
      }
      for (const status of value.statuses ?? []) {
        if (await ingestStatus(deps, status)) summary.statuses += 1;
      }
    }
  }
  return summary;
}

function contactFor(value: MessagesChangeValue, message: CloudInboundMessage): CloudContact | undefined {
  const contacts = value.contacts ?? [];
  return (
    contacts.find((c) => (message.from && c.wa_id === message.from) || (message.from_user_id && c.user_id === message.from_user_id)) ??
    (contacts.length === 1 ? contacts[0] : undefined)
  );
}

/** The customer as WhatsApp names them; keyed on the business-scoped id when there is one, else the phone number. */
export function customerOf(value: MessagesChangeValue, message: CloudInboundMessage): CustomerRef {
  const contact = contactFor(value, message);
  const userId = message.from_user_id ?? contact?.user_id;
  const waId = message.from ?? contact?.wa_id;
  const key = userId ?? waId;
  if (!key) throw new Error(`message ${message.id} names no customer`); // the schema check makes this unreachable
  return {
    key,
    ...(waId ? { waId } : {}),
    ...(userId ? { userId } : {}),
    ...(contact?.username ? { username: contact.username } : {}),
    ...(contact?.profile?.name ? { profileName: contact.profile.name } : {}),
  };
}

async function ingestMessage(
  deps: IngestDeps,
  value: MessagesChangeValue,
  message: CloudInboundMessage,
  receivedAt: Date,
): Promise<'new' | 'duplicate'> {
  const businessNumberId = value.metadata.phone_number_id;
  const customer = customerOf(value, message);
  const conversationId = conversationWorkflowId(businessNumberId, customer.key);
  const sentAt = Number(message.timestamp) * 1000;
  const read = readInbound(message);
  if (read.category === 'reaction') {
    // Attached to the message it names, in the store only: a reaction is not the customer writing, so it neither
    // starts nor wakes a conversation, routes, nor gets automatic replies.
    const outcome = await recordReaction(deps.store, {
      _id: message.id,
      targetWamid: read.targetWamid,
      conversationId,
      by: customer.key,
      emoji: read.emoji,
      at: new Date(sentAt),
    });
    return outcome === 'inserted' ? 'new' : 'duplicate';
  }
  const doc: InboundMessageDoc = {
    _id: message.id,
    direction: 'inbound',
    wamid: message.id,
    conversationId,
    businessNumberId,
    customerKey: customer.key,
    sortAt: sentAt,
    createdAt: receivedAt,
    kind: read.kind,
    type: message.type,
    ...read.content,
    raw: JSON.stringify(message),
    // An event has nothing for the conversation to handle: it is complete once stored.
    ...(read.category === 'event' ? { event: true as const, handled: true } : { handled: false }),
  };
  const stored = await insertInbound(deps.store, doc);
  // System notices, welcome requests, edits and revokes: kept in the thread, not signalled (see the README's table).
  if (read.category === 'event') return stored === 'inserted' ? 'new' : 'duplicate';
  // Already handled by its conversation: the broker is redelivering, nothing left to do.
  if (stored === 'duplicate-handled') return 'duplicate';

  const { key: _key, ...identity } = customer;
  const signal: InboundMessage = {
    messageId: message.id,
    sentAt,
    kind: read.kind,
    ...(read.media ? { brokerMediaId: read.media.brokerMediaId } : {}),
    customer: identity,
  };
  const input: ConversationWorkflowInput = {
    conversation: { conversationId, businessNumberId, customer, idleCloseAfterMs: deps.idleCloseAfterMs },
  };
  // Bounded: with Temporal down the client would otherwise retry for a long time while the broker waits on us.
  await deps.temporal.connection.withDeadline(Date.now() + (deps.temporalDeadlineMs ?? 5_000), () =>
    deps.temporal.workflow.signalWithStart(CONVERSATION_WORKFLOW_TYPE, {
      workflowId: conversationId,
      taskQueue: deps.taskQueue,
      args: [input],
      signal: customerMessageSignal,
      signalArgs: [signal],
    }),
  );
  return stored === 'inserted' ? 'new' : 'duplicate';
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
  };
}

/** Statuses go straight to the store as one insert each; only a failure concerns the conversation's machine. */
async function ingestStatus(deps: IngestDeps, status: CloudStatus): Promise<boolean> {
  if (!deliveryStatuses.has(status.status)) return false;
  const failure = failureOf(status);
  const messageId = status.biz_opaque_callback_data;
  await recordStatus(deps.store, {
    wamid: status.id,
    ...(messageId ? { messageId } : {}),
    status: status.status as 'sent' | 'delivered' | 'read' | 'failed',
    at: new Date(Number(status.timestamp) * 1000),
    ...(status.pricing?.category ? { pricingCategory: status.pricing.category } : {}),
    ...(failure ? { failure } : {}),
  });
  if (!failure) return true;
  // A redelivered failure signals again: the first signal may not have gone out (the broker redelivers because we
  // did not answer); the machine ignores a 131047 for a send older than the customer's latest message.
  const message = await outboundFor(deps.store, status.id, messageId);
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
  return true;
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

/** A template's status or category changed at WhatsApp; a value we cannot read is logged and skipped, not retried. */
async function ingestTemplateEvent(deps: IngestDeps, field: string, value: unknown): Promise<number> {
  if (field === 'message_template_status_update') {
    const parsed = TemplateStatusValue.safeParse(value);
    if (!parsed.success) return skip(deps, field, value);
    const { event, message_template_id: templateId, reason } = parsed.data;
    return deps.templates.applyStatusEvent({ templateId, status: event, ...(reason ? { reason } : {}) }, 'webhook');
  }
  if (field === 'message_template_quality_update') {
    const quality = TemplateQualityValue.safeParse(value);
    if (!quality.success) return skip(deps, field, value);
    return deps.templates.applyQualityEvent({ templateId: quality.data.message_template_id, quality: quality.data.new_quality_score });
  }
  const parsed = TemplateCategoryValue.safeParse(value);
  if (!parsed.success) return skip(deps, field, value);
  return deps.templates.applyCategoryEvent({ templateId: parsed.data.message_template_id, category: parsed.data.new_category }, 'webhook');
}

function skip(deps: IngestDeps, field: string, value: unknown): number {
  deps.logger.warn({ field, value }, 'template webhook not understood; skipped');
  return 0;
}
