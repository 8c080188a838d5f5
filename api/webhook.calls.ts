/**
 * The `calls` webhook field: Meta tells of a WhatsApp call's life (`connect`, `terminate` with status, start and end
 * times and duration). For a SIP-enabled number Meta sends these only when webhook delivery for SIP calls is enabled
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/sip/); payloads:
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-initiated-calls/ and
 * .../calling/business-initiated-calls/. Unknown fields are kept; an event we do not read is stored as named.
 * Stored once per call and event (store/call-events.store.ts): a redelivery changes nothing.
 */
import { z } from 'zod';
import { SESSION_WINDOW_MS } from '../machines/conversation.types';
import { callConversation, tellConversationOfCall, type CallCustomer } from '../services/customer-calls';
import { forgetCallEvent, markHandedOver, recordCallEvent, wasHandedOver } from '../store/call-events.store';
import { writeUnlessCallErased } from '../store/erasure-tombstones.store';
import { parseIdentifier } from '../lib/customer-identifiers';
import type { IngestDeps } from './webhook.deps';
import { UnusablePart } from './webhook.failures';

/**
 * A `calls` change value: the number, and its call events: `calls[]` (connect, terminate) and `statuses[]`, Meta's
 * status of a business-initiated call (`type: "call"`, `status` RINGING, ACCEPTED or REJECTED, `recipient_id` the
 * user; https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/business-initiated-calls/),
 * read as events named `status` of that call (the business calls, the user is `to`).
 */
export const CallsChangeValue = z
  .looseObject({
    metadata: z.looseObject({ display_phone_number: z.string().optional(), phone_number_id: z.string().min(1) }),
    calls: z.array(z.unknown()).optional(),
    statuses: z.array(z.unknown()).optional(),
  })
  .transform((value): typeof value & { calls: unknown[] } => ({ ...value, calls: [...(value.calls ?? []), ...(value.statuses ?? []).map((status) => statusAsCallEvent(value.metadata, status))] }));
export type CallsChangeValue = z.infer<typeof CallsChangeValue>;

/** A call status as a call event; a status without Meta's fields stays unreadable (a dead letter, as any event). */
function statusAsCallEvent(metadata: { display_phone_number?: string; phone_number_id: string }, raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null) return raw;
  const status = raw as Record<string, unknown>;
  return {
    ...status,
    from: metadata.display_phone_number ?? metadata.phone_number_id,
    to: status.recipient_id,
    ...(typeof status.recipient_user_id === 'string' ? { to_user_id: status.recipient_user_id } : {}),
    event: 'status',
    direction: 'BUSINESS_INITIATED',
  };
}

const unixSeconds = z.union([z.string().regex(/^\d{1,12}$/), z.number().int().min(0)]).transform((s) => Number(s) * 1000);

const bsuid = z.string().min(1).max(160).optional();

/**
 * One call event as Meta sends it in `value.calls[]`. The user's BSUID rides beside their number: `from_user_id` on
 * a user's call, `to_user_id` on a business's (`recipient_user_id` on its statuses), as on every webhook naming a
 * user (https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids/).
 */
export const CloudCallEvent = z.looseObject({
  id: z.string().min(1).max(512),
  // The user's number may be left out for a user known by BSUID alone; an event naming neither is a dead letter.
  from: z.string().min(1).max(64).optional(),
  to: z.string().min(1).max(64).optional(),
  from_user_id: bsuid,
  to_user_id: bsuid,
  event: z.string().min(1).max(64),
  direction: z.string().max(64).optional(),
  timestamp: unixSeconds,
  status: z.string().max(64).optional(),
  start_time: unixSeconds.optional(),
  end_time: unixSeconds.optional(),
  duration: z.coerce.number().int().min(0).optional(),
});
export type CloudCallEvent = z.infer<typeof CloudCallEvent>;

const digits = (text: string) => text.replace(/\D/g, '');

/**
 * Stores one call event; answers whether it was new (a redelivered one is not, nor one of a call whose caller was
 * erased: store/erasure-tombstones.store.ts). A user's call (`connect`,
 * `USER_INITIATED`) then opens or refreshes their customer service window: Meta's Calling API pricing page, "the
 * customer service window now also starts or refreshes for calls: when a WhatsApp user calls you, regardless of if
 * you accept the call or not" (https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/pricing/).
 * Throws as the store or Temporal do: an outage answers 503 and the broker delivers the call again.
 */
export async function ingestCallEvent(deps: IngestDeps, value: CallsChangeValue, event: CloudCallEvent, receivedAt: Date): Promise<boolean> {
  const businessNumberId = value.metadata.phone_number_id;
  // The WhatsApp user is the caller of a user-initiated call and the callee of a business-initiated one; filed under
  // the conversation their messages use (the registry's key), never one built from the number alone.
  const caller = callerOf(value, event);
  if (!caller.waId && !caller.userId) throw new UnusablePart('no_customer', `call event ${event.id} (${event.event}) names no WhatsApp user: no number or user id on the user's side`);
  // A status is kept once per status (RINGING, then ACCEPTED…); any other event once per call.
  const id = event.event === 'status' ? `${event.id}:status:${(event.status ?? '').toUpperCase()}` : `${event.id}:${event.event}`;
  // A call of a person erased since (its terminate comes seconds after the connect): answered, stored nowhere, the
  // caller not registered again; one erased while this event was on its way is taken back.
  const stored = await writeUnlessCallErased(
    deps.store,
    event.id,
    async () => {
      const conversation = await callConversation(deps.store, businessNumberId, caller, receivedAt);
      const outcome = await recordCallEvent(deps.store, {
        _id: id,
        wacid: event.id,
        event: event.event,
        ...(event.direction ? { direction: event.direction } : {}),
        businessNumberId,
        customer: caller.waId ?? conversation.customer.key,
        conversationId: conversation.conversationId,
        at: event.timestamp,
        ...(event.status ? { status: event.status.toUpperCase() } : {}),
        ...(event.start_time !== undefined ? { startTime: event.start_time } : {}),
        ...(event.end_time !== undefined ? { endTime: event.end_time } : {}),
        ...(event.duration !== undefined ? { durationSeconds: event.duration } : {}),
        receivedAt,
      });
      return { conversation, outcome };
    },
    async ({ outcome }) => (outcome === 'new' ? forgetCallEvent(deps.store, id) : undefined),
  );
  if (!stored) return false;
  const { conversation, outcome } = stored;
  // The user calls, or accepts the business's call (its ACCEPTED status): Meta's two cases on the pricing page. A call
  // 24 h old can open no window any more. A redelivery is handed over only if the first delivery's hand-over did not
  // finish (that may be why it came back); the conversation takes each call id once anyway.
  const userCalled = event.event === 'connect' && event.direction === 'USER_INITIATED';
  const userAccepted = event.event === 'status' && event.status?.toUpperCase() === 'ACCEPTED';
  const opensWindow = (userCalled || userAccepted) && event.timestamp + SESSION_WINDOW_MS > receivedAt.getTime();
  if (opensWindow && (outcome === 'new' || !(await wasHandedOver(deps.store, id)))) {
    // Bounded like a message's hand-over: with Temporal down the broker gets its 503 instead of waiting on us.
    await tellConversationOfCall(
      { ...deps, temporalDeadlineMs: deps.temporalDeadlineMs ?? 5_000 },
      { businessNumberId, caller, conversation, callId: event.id, calledAt: event.timestamp, receivedAt },
    );
    await markHandedOver(deps.store, id, new Date());
  }
  return outcome === 'new';
}

const CallContacts = z.array(z.looseObject({ wa_id: z.string().optional(), user_id: z.string().optional(), profile: z.looseObject({ name: z.string().optional() }).optional() }));

/** The WhatsApp user's side of the call: number, BSUID (the event's, else their `contacts[]` entry's) and name. */
function callerOf(value: CallsChangeValue, event: CloudCallEvent): CallCustomer {
  const businessCalled = event.direction === 'BUSINESS_INITIATED';
  const side = (businessCalled ? event.to : event.from) ?? '';
  // A user known by BSUID alone may be named by it where the number would be (or not at all: the field is omitted).
  const named = parseIdentifier(side);
  const waId = named === undefined || named.kind === 'phone' ? digits(side) || undefined : undefined;
  const eventUserId = (businessCalled ? event.to_user_id : event.from_user_id) ?? (named?.kind === 'bsuid' ? named.value : undefined);
  const contact = CallContacts.safeParse(value.contacts).data?.find((c) => (c.wa_id !== undefined && c.wa_id === waId) || (eventUserId !== undefined && c.user_id === eventUserId));
  const userId = eventUserId ?? contact?.user_id;
  const profileName = contact?.profile?.name;
  return { ...(waId ? { waId } : {}), ...(userId ? { userId } : {}), ...(profileName ? { profileName } : {}) };
}
