import { z } from 'zod';
import 'zod-openapi';
import { CallEntryView } from './openapi.calls';
import { conversationStates } from '../machines/conversation.machine';

/** Request and response schemas of the analyst API; the OpenAPI document is generated from these. */

const State = z.enum(conversationStates);
const isoTime = z.iso.datetime({ offset: true }).meta({ example: '2026-11-25T00:00:00Z' });

export const KpiQuery = z
  .strictObject({
    businessNumberId: z.string().regex(/^\d{1,64}$/).optional().meta({ description: 'Conversations of one business phone-number id' }),
    from: isoTime.optional().meta({ description: 'Runs started at or after this time' }),
    to: isoTime.optional().meta({ description: 'Runs started before this time' }),
    state: State.optional().meta({ description: 'Conversations now in (or ended in) this state' }),
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), { message: 'from must be before to', path: ['to'] });

export const TimelineQuery = z.strictObject({
  runId: z.string().regex(/^[0-9a-f-]{36}$/).optional().meta({ description: 'One run only; default: every run of the conversation, newest first' }),
});

const Duration = z.object({ count: z.number().int(), medianMs: z.number().nullable(), p90Ms: z.number().nullable() });
const Counts = z.record(z.string(), z.number().int());

const ByType = z
  .object({ inbound: Counts, outbound: Counts })
  .meta({ description: 'Messages by WhatsApp type: inbound by kind (text, image, audio, video, document, sticker, location, contacts, button, interactive, order, unsupported), outbound by the type sent' });

export const KpisView = z
  .object({
    conversations: z.number().int(),
    runs: z.number().int(),
    replayFailures: z.number().int().meta({ description: 'Runs the current code could not replay; left out of the other figures' }),
    holdTime: Duration.meta({ description: 'First inbound message to the first agent assignment' }),
    firstResponseTime: Duration.meta({ description: 'First inbound message to the first answer' }),
    conversationsByState: Counts,
    windowExpiries: z.number().int(),
    templatesSent: z.number().int(),
    messages: z.object({ inbound: z.number().int(), outboundSession: z.number().int(), outboundTemplate: z.number().int() }),
    messagesByType: ByType,
    bot: z.object({ conversations: z.number().int(), handOffs: z.number().int(), handOffRate: z.number().nullable() }),
    failuresByCode: Counts.meta({ description: "WhatsApp's error code for broker refusals (131047…), <event>:<code> for others" }),
    messagesByPricingCategory: Counts.nullable().meta({ description: 'Outbound messages by WhatsApp pricing category; unpriced until a status carries one' }),
    pricing: z
      .object({
        byCategory: z.record(z.string(), z.object({ billable: z.number().int(), free: z.number().int() })),
        freeByType: Counts.meta({ description: 'Free messages by pricing.type: free_customer_service, free_entry_point' }),
        unpriced: z.number().int(),
        costEstimate: z
          .object({ currency: z.string(), total: z.number(), byCategory: z.record(z.string(), z.number()), unratedCategories: z.array(z.string()) })
          .nullable()
          .meta({ description: 'Billable messages times the rate card (PUT /v1/pricing/rate-card); null until one is set' }),
      })
      .nullable()
      .meta({ description: "Billable and free outbound messages by category, from the status webhooks' per-message pricing" }),
  })
  .meta({ id: 'Kpis' });

const Step = z.object({ event: z.string(), from: State, to: State });

export const TimelineView = z
  .object({
    conversationId: z.string(),
    runId: z.string(),
    conversationKey: z.string(),
    continued: z.boolean(),
    startedAt: z.string(),
    endedAt: z.string().nullable(),
    ending: z.enum(['completed', 'continuedAsNew', 'failed', 'terminated', 'canceled', 'timedOut', 'running']),
    finalState: State,
    states: z.array(z.object({ state: State, enteredAt: z.string(), leftAt: z.string().nullable(), durationMs: z.number().nullable() })),
    messages: z.object({ inbound: z.number().int(), outboundSession: z.number().int(), outboundTemplate: z.number().int() }),
    messagesByType: ByType,
    windowExpiries: z.array(z.object({ at: z.string(), cause: z.string() })),
    handOffs: z.array(z.object({ at: z.string(), kind: z.enum(['agentAssigned', 'botHandOff']), eventType: z.string(), agentId: z.string().optional() })),
    failures: z.array(z.object({ at: z.string(), eventType: z.string(), key: z.string(), messageId: z.string().optional(), title: z.string().optional() })),
    holdMs: z.number().nullable(),
    firstResponseMs: z.number().nullable(),
    bot: z.object({ involved: z.boolean(), handedOff: z.boolean() }),
    outboundMessageIds: z.array(z.string()),
    path: z.array(Step),
    events: z.array(z.object({ at: z.string(), eventType: z.string(), from: State, to: State }).catchall(z.unknown())),
    diagram: z.string().meta({ description: "Mermaid state diagram of the machine with this run's path highlighted" }),
  })
  .meta({ id: 'Timeline' });

export const ConversationTimelinesView = z
  .object({
    conversationId: z.string(),
    runs: z.array(TimelineView),
    replayFailures: z.array(z.object({ runId: z.string(), error: z.string(), offendingEvent: z.object({ eventId: z.number(), eventType: z.string() }).optional() })),
    calls: z.array(CallEntryView).meta({ description: "The conversation's WhatsApp calls, oldest first (each is its own workflow, call:<Call-ID>, so they sit beside the runs)" }),
  })
  .meta({ id: 'ConversationTimelines' });
