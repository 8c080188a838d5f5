import type { ReactionDoc } from '../store/documents';
import { z } from 'zod';
import { messages as messagesMetric } from '../lib/metrics';
import { recordDeadLetter, type DeadLetter } from '../store/dead-letters.store';
import { keepAside, orDeadLetter } from './webhook.failures';
import { BusinessCapabilityValue, ingestCapabilityUpdate } from './webhook.capability';
import { CallsChangeValue, CloudCallEvent, ingestCallEvent } from './webhook.calls';
import { isPersonBlockedInbound } from '../services/person-blocks';
import { handOver, inboundOf, ingestStatus, ingestTemplateEvent, storeInbound, tellOfReaction, type Inbound } from './webhook.messages';
import { DELIVERY_STATUSES, isDeliveryStatus } from '../store/messages.store';
import { CALL_STATUSES, isCallStatus } from '../store/call-events.store';
import { healthFields, ingestHealthEvent, MESSAGES_ERROR, UnreadableHealthEvent } from '../services/account-health';
import { UnusablePart } from './webhook.failures';
import { CloudMessageEcho, EchoesChangeValue, takeEcho } from '../services/business-app-echoes';
import { CloudInboundMessage, CloudStatus, MessagesChangeValue, type CloudWebhookBody } from './webhook.schema';

import type { IngestDeps } from './webhook.deps';

export type { IngestDeps };

export interface IngestSummary {
  messages: number;
  duplicates: number;
  statuses: number;
  templateEvents: number;
  /** `business_capability_update` changes that set a portfolio's messaging limit. */
  capabilityUpdates: number;
  /** Messages from people the business blocked: kept, not routed (a message written before the block can still arrive). */
  fromBlocked: number;
  /** Account-health and marketing-preference events applied (account_update, phone_number_quality_update, account_alerts, the errors webhook, user_preferences); a redelivered alert event is not counted. */
  healthEvents: number;
  /** `calls` events (connect, terminate) stored; a redelivered one is not counted. */
  callEvents: number;
  /** `smb_message_echoes`: messages the business sent from the WhatsApp Business app, in their customers' threads (a redelivered one also counts in `duplicates`). */
  echoes: number;
  /** Changes nothing here acts on, each kept whole as a `field_not_handled` dead letter (never dropped unseen). */
  ignoredChanges: number;
  /** Parts newly kept aside as dead letters (GET /v1/dead-letters); a redelivered part whose letter is kept already is not counted. */
  deadLetters: number;
}

export const emptySummary = (): IngestSummary => ({ messages: 0, duplicates: 0, statuses: 0, templateEvents: 0, capabilityUpdates: 0, fromBlocked: 0, healthEvents: 0, callEvents: 0, echoes: 0, ignoredChanges: 0, deadLetters: 0 });

/** One thing a webhook body carries, with what is needed to process it or keep it as a dead letter. */
export type WebhookPart =
  | { kind: 'message'; value: MessagesChangeValue; raw: unknown }
  | { kind: 'status'; value: MessagesChangeValue; raw: unknown }
  | { kind: 'template'; field: string; raw: unknown; entryId?: string; entryTime?: number }
  | { kind: 'health'; field: string; raw: unknown; entryId: string; entryTime?: number }
  | { kind: 'capability'; field: string; wabaId: string; time?: number; value: BusinessCapabilityValue; raw: unknown }
  | { kind: 'call'; value: CallsChangeValue; raw: unknown }
  /** One of `smb_message_echoes`' `message_echoes[]`: stored in its customer's thread (services/business-app-echoes.ts). */
  | { kind: 'echo'; value: EchoesChangeValue; raw: unknown }
  | { kind: 'unreadableChange'; field: string; raw: unknown; detail: string }
  /** A change nothing here acts on: acknowledged and kept whole as a `field_not_handled` dead letter. */
  | { kind: 'ignored'; field: string; raw: unknown; entryId: string; entryTime?: number; businessNumberId?: string };

/** Webhook fields about templates: their review status, category and quality (Meta's webhooks reference). */
const templateFields = new Set(['message_template_status_update', 'template_category_update', 'message_template_quality_update']);

/** The body's parts in payload order; a `messages` change is split into its messages and statuses. */
export function partsOf(body: CloudWebhookBody): WebhookPart[] {
  return body.entry.flatMap((entry) =>
    entry.changes.flatMap((change): WebhookPart[] => {
      // The entry's `time` tells a later event from a redelivery of this one when their values are alike.
      const when = typeof entry.time === 'number' ? { entryTime: entry.time } : {};
      if (templateFields.has(change.field)) return [{ kind: 'template', field: change.field, raw: change.value, entryId: entry.id, ...when }];
      if (healthFields.has(change.field)) return [{ kind: 'health', field: change.field, raw: change.value, entryId: entry.id, ...when }];
      if (change.field === 'business_capability_update') {
        const parsed = BusinessCapabilityValue.safeParse(change.value);
        if (!parsed.success) return [{ kind: 'unreadableChange', field: change.field, raw: change.value, detail: z.prettifyError(parsed.error) }];
        const time = typeof entry.time === 'number' ? entry.time : undefined;
        return [{ kind: 'capability', field: change.field, wabaId: entry.id, ...(time !== undefined ? { time } : {}), value: parsed.data, raw: change.value }];
      }
      if (change.field === 'calls') {
        const parsed = CallsChangeValue.safeParse(change.value);
        if (!parsed.success) return [{ kind: 'unreadableChange', field: change.field, raw: change.value, detail: z.prettifyError(parsed.error) }];
        const calls = parsed.data.calls ?? [];
        return calls.length === 0 ? [ignored(entry.id, when.entryTime, change.field, change.value)] : calls.map((raw) => ({ kind: 'call' as const, value: parsed.data, raw }));
      }
      if (change.field === 'smb_message_echoes') {
        const parsed = EchoesChangeValue.safeParse(change.value);
        if (!parsed.success) return [{ kind: 'unreadableChange', field: change.field, raw: change.value, detail: z.prettifyError(parsed.error) }];
        const echoes = parsed.data.message_echoes ?? [];
        return echoes.length === 0 ? [ignored(entry.id, when.entryTime, change.field, change.value)] : echoes.map((raw) => ({ kind: 'echo' as const, value: parsed.data, raw }));
      }
      if (change.field !== 'messages') return [ignored(entry.id, when.entryTime, change.field, change.value)];
      const parsed = MessagesChangeValue.safeParse(change.value);
      if (!parsed.success) return [{ kind: 'unreadableChange', field: change.field, raw: change.value, detail: z.prettifyError(parsed.error) }];
      const value = parsed.data;
      // Meta's errors webhook (an `errors[]` beside or instead of messages) becomes a supervisors' alert, never dropped.
      const errors = (value.errors ?? []).map((error) => ({ kind: 'health' as const, field: MESSAGES_ERROR, raw: { metadata: value.metadata, error }, entryId: entry.id, ...when }));
      const parts: WebhookPart[] = [...(value.messages ?? []).map((raw) => ({ kind: 'message' as const, value, raw })), ...(value.statuses ?? []).map((raw) => ({ kind: 'status' as const, value, raw })), ...errors];
      // A `messages` change with none of the three carries something Meta added since: kept, not dropped unseen.
      return parts.length > 0 ? parts : [ignored(entry.id, when.entryTime, change.field, change.value)];
    }),
  );
}

/** A change of a field nothing here acts on, with the business number its value names (Meta's `metadata`), if any. */
function ignored(entryId: string, entryTime: number | undefined, field: string, raw: unknown): WebhookPart {
  const id = (raw as { metadata?: { phone_number_id?: unknown } } | null)?.metadata?.phone_number_id;
  return { kind: 'ignored', field, raw, entryId, ...(entryTime !== undefined ? { entryTime } : {}), ...(typeof id === 'string' && id !== '' ? { businessNumberId: id } : {}) };
}

/** Why a change was kept unacted on: a field this release acts on whose change carried nothing to act on, or another field. */
function ignoredDetail(field: string): string {
  if (field === 'smb_message_echoes') return 'field smb_message_echoes: the change carried no message_echoes; kept as received';
  if (field === 'calls') return 'field calls: the change carried no calls; kept as received';
  if (field === 'messages') return 'field messages: the change carried no messages, statuses or errors; kept for a later release';
  return `field ${field}: this release does not act on it; kept for a later one`;
}

/** JSON of a part as received; one nested too deep to serialise (JSON.parse takes depths stringify cannot) says so. */
export function jsonOf(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return JSON.stringify({ unserialisable: 'nested too deep to keep' });
  }
}

/** What a dead letter of a message or status keeps beside it, so a replay can rebuild the change. */
function letterOf(part: { value: MessagesChangeValue; raw: unknown }, receivedAt: Date): DeadLetter {
  const raw = part.raw as { id?: unknown };
  return {
    reason: 'unexpected_error',
    detail: '',
    field: 'messages',
    raw: jsonOf(part.raw),
    context: jsonOf({ metadata: part.value.metadata, ...(part.value.contacts ? { contacts: part.value.contacts } : {}) }),
    businessNumberId: part.value.metadata.phone_number_id,
    ...(typeof raw?.id === 'string' ? { wamid: raw.id } : {}),
    receivedAt,
  };
}

/**
 * Processes parts of a webhook: stores every message (wamid as key) and hands each conversation its messages, records
 * statuses and template events. A part the connector cannot use is kept as a dead letter and the others go on; only an
 * outage throws (the route answers 503 and the broker delivers the body again). Every step is idempotent, so a
 * redelivery takes effect once. `firstPosition`: where `parts` start in their webhook body (a backlog chunk's offset),
 * so messages of one body keep their receipt order across chunks (lib/thread-order.ts).
 */
export async function ingestParts(
  deps: IngestDeps,
  parts: readonly WebhookPart[],
  receivedAt: Date,
  summary = emptySummary(),
  firstPosition = 0,
): Promise<IngestSummary> {
  const messages: { part: Extract<WebhookPart, { kind: 'message' }>; message: CloudInboundMessage }[] = [];
  // Only letters newly kept are counted: a redelivered unusable part finds its letter kept already.
  const kept = async (letter: DeadLetter) => {
    if (await keepAside(deps, letter)) summary.deadLetters += 1;
  };
  const refusedOr = (letter: () => DeadLetter, work: () => Promise<unknown>) => orDeadLetter(deps, letter, work, summary);
  for (const part of parts) {
    if (part.kind === 'ignored') {
      // Meta sends fields a subscription asked for and fields added since; none is dropped unseen (README *Dead letters*).
      // The entry (the WhatsApp Business Account, and when Meta sent it) beside the value, for a later replay.
      const context = jsonOf({ entry: { id: part.entryId, ...(part.entryTime !== undefined ? { time: part.entryTime } : {}) } });
      if (await recordDeadLetter(deps.store, { reason: 'field_not_handled', detail: ignoredDetail(part.field), field: part.field, raw: jsonOf(part.raw), context, ...(part.businessNumberId ? { businessNumberId: part.businessNumberId } : {}), receivedAt })) summary.deadLetters += 1;
      summary.ignoredChanges += 1;
    }
    if (part.kind === 'unreadableChange') {
      await kept({ reason: 'change_unreadable', detail: part.detail, field: part.field, raw: jsonOf(part.raw), receivedAt });
    }
    if (part.kind === 'template') {
      const letter = () => ({ reason: 'unexpected_error' as const, detail: '', field: part.field, raw: jsonOf(part.raw), receivedAt });
      let applied = 0;
      if (!(await refusedOr(letter, async () => (applied = await ingestTemplateEvent(deps, part.field, part.raw, { id: part.entryId ?? '', ...(part.entryTime !== undefined ? { time: part.entryTime } : {}) }))))) summary.templateEvents += applied;
    }
    if (part.kind === 'health') {
      const letter = () => ({ reason: 'unexpected_error' as const, detail: '', field: part.field, raw: jsonOf(part.raw), receivedAt });
      let applied = 0;
      const work = async () => {
        try {
          applied = await ingestHealthEvent(deps.store, part.field, { id: part.entryId, ...(part.entryTime !== undefined ? { time: part.entryTime } : {}) }, part.raw, receivedAt);
        } catch (err) {
          if (err instanceof UnreadableHealthEvent) throw new UnusablePart('health_event_unreadable', err.message);
          throw err;
        }
      };
      if (!(await refusedOr(letter, work))) summary.healthEvents += applied;
    }
    if (part.kind === 'capability') {
      const letter = () => ({ reason: 'unexpected_error' as const, detail: '', field: part.field, raw: jsonOf(part.raw), receivedAt });
      let applied = 0;
      if (!(await refusedOr(letter, async () => (applied = await ingestCapabilityUpdate(deps, part.wabaId, part.time, part.value, receivedAt))))) summary.capabilityUpdates += applied;
    }
    if (part.kind === 'call') {
      const event = CloudCallEvent.safeParse(part.raw);
      const letter = () => ({ reason: 'unexpected_error' as const, detail: '', field: 'calls', raw: jsonOf(part.raw), receivedAt });
      let stored = false;
      const status = event.success && event.data.event === 'status' ? (event.data.status ?? '').toUpperCase() : undefined;
      if (!event.success) await kept({ ...letter(), reason: 'change_unreadable', detail: z.prettifyError(event.error) });
      // A call status Meta does not list is kept aside as an unknown message status is, rather than stored as a phase.
      else if (status !== undefined && !isCallStatus(status)) await kept({ ...letter(), reason: 'status_unreadable', detail: `call status "${event.data.status ?? ''}" is none of ${CALL_STATUSES.join(', ')} (Meta's business-initiated calls page)` });
      else if (!(await refusedOr(letter, async () => (stored = await ingestCallEvent(deps, part.value, event.data, receivedAt))))) summary.callEvents += stored ? 1 : 0;
    }
    if (part.kind === 'echo') {
      const echo = CloudMessageEcho.safeParse(part.raw);
      const businessNumberId = part.value.metadata.phone_number_id;
      const raw = part.raw as { id?: unknown };
      const letter = (): DeadLetter => ({
        reason: 'unexpected_error', detail: '', field: 'smb_message_echoes', raw: jsonOf(part.raw), context: jsonOf({ metadata: part.value.metadata }), businessNumberId,
        ...(typeof raw?.id === 'string' ? { wamid: raw.id } : {}), receivedAt,
      });
      let outcome: 'new' | 'duplicate' | undefined;
      if (!echo.success) await kept({ ...letter(), reason: 'message_unreadable', detail: z.prettifyError(echo.error) });
      else if (
        !(await refusedOr(letter, async () => {
          // Meta's redelivery of an echo to a person erased since: a duplicate, as for their own messages (below).
          const erased = await deps.erasureClock.isRedeliveryErased(echo.data.id, Number(echo.data.timestamp) * 1000, receivedAt);
          outcome = erased ? 'duplicate' : await takeEcho(deps.store, part.value.metadata, echo.data, receivedAt, firstPosition + summary.echoes);
        }))
      ) {
        summary.echoes += 1;
        if (outcome === 'duplicate') summary.duplicates += 1;
      }
    }
    if (part.kind === 'message') {
      const parsed = CloudInboundMessage.safeParse(part.raw);
      if (parsed.success) messages.push({ part, message: parsed.data });
      else await kept({ ...letterOf(part, receivedAt), reason: 'message_unreadable', detail: z.prettifyError(parsed.error) });
    }
  }
  // In payload order by timestamp: a batch carrying a customer's burst is handled as they wrote it.
  messages.sort((a, b) => Number(a.message.timestamp) - Number(b.message.timestamp));
  type Taken = { inbound: Inbound; part: Extract<WebhookPart, { kind: 'message' }> };
  const byConversation = new Map<string, Taken[]>();
  const reactions: (Inbound & { reaction: ReactionDoc })[] = [];
  for (const [index, { part, message }] of messages.entries()) {
    let inbound: Inbound | undefined;
    let stored: Awaited<ReturnType<typeof storeInbound>> | undefined;
    let blocked = false;
    let erased = false;
    const refused = await refusedOr(() => letterOf(part, receivedAt), async () => {
      // Meta's redelivery of a message erased since: a duplicate, the person not registered again. Read only for a late
      // message (services/erasure-clock.ts): a fresh one costs nothing more.
      if ((erased = await deps.erasureClock.isRedeliveryErased(message.id, Number(message.timestamp) * 1000, receivedAt))) return;
      const taken = await inboundOf(deps, part.value, message, receivedAt, firstPosition + index);
      inbound = taken;
      const { businessNumberId, customer } = taken.input.conversation;
      // Side by side: the answer waits for one store round trip, not two (a reaction or an event is never signalled).
      const [result, block] = await Promise.all([storeInbound(deps, taken), taken.reaction || taken.event ? false : isPersonBlockedInbound(deps.store, businessNumberId, customer)]);
      stored = result;
      blocked = block;
    });
    if (!refused && erased) {
      summary.messages += 1;
      summary.duplicates += 1;
      continue;
    }
    if (refused || !inbound || !stored) continue;
    summary.messages += 1;
    if (stored.outcome !== 'new') summary.duplicates += 1;
    else messagesMetric.inc({ direction: 'inbound', type: message.type });
    // A reaction, an event, or a redelivery its conversation already handled: nothing to hand over (a reaction is told
    // to its conversation after the messages, for an agent chatting over SIP).
    if (!stored.signal) {
      if (inbound.reaction) reactions.push({ ...inbound, reaction: inbound.reaction });
      continue;
    }
    if (blocked) {
      summary.fromBlocked += 1;
      continue;
    }
    const id = inbound.input.conversation.conversationId;
    const taken = byConversation.get(id) ?? [];
    taken.push({ inbound, part });
    byConversation.set(id, taken);
  }
  for (const taken of byConversation.values()) {
    const [first, ...others] = taken;
    const refused = await refusedOr(() => letterOf(first!.part, receivedAt), () => handOver(deps, taken.map((t) => t.inbound)));
    if (!refused) continue;
    // Refused for good: the first is kept by orDeadLetter; keep the others of the same conversation with it.
    for (const other of others) await kept({ ...letterOf(other.part, receivedAt), reason: refused, detail: 'refused with the first message of its conversation' });
    summary.messages -= taken.length;
  }
  for (const reaction of reactions) await tellOfReaction(deps, reaction);
  for (const part of parts) {
    if (part.kind !== 'status') continue;
    const parsed = CloudStatus.safeParse(part.raw);
    if (!parsed.success) {
      await kept({ ...letterOf(part, receivedAt), reason: 'status_unreadable', detail: z.prettifyError(parsed.error) });
      continue;
    }
    const value = parsed.data.status;
    if (!isDeliveryStatus(value)) {
      // Acknowledged (Meta would redeliver it for days) and kept where a supervisor sees it, rather than dropped uncounted.
      await kept({ ...letterOf(part, receivedAt), reason: 'status_unreadable', detail: `status "${value}" is none of ${DELIVERY_STATUSES.join(', ')} (Meta's status webhook reference)` });
      continue;
    }
    if (!(await refusedOr(() => letterOf(part, receivedAt), () => ingestStatus(deps, { ...parsed.data, status: value })))) summary.statuses += 1;
  }
  return summary;
}
