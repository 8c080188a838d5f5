import { PricingAccumulator, type PricingKpis } from './pricing.kpis';
import type { MessagePricing } from '../store/documents';
import { conversationStates } from '../machines/conversation.machine';
import type { ConversationStateName } from '../machines/conversation.types';
import type { Timeline } from './timeline.build';

/** A duration's distribution over the conversations that have one. */
export interface DurationStats {
  count: number;
  medianMs: number | null;
  p90Ms: number | null;
}

/** The KPIs over a set of conversations. Numbers only: JSON, CSV and the terminal table are all made from this. */
export interface Kpis {
  /** Conversations begun in the set (runs continued from an earlier run are part of their conversation). */
  conversations: number;
  runs: number;
  /** Runs that could not be replayed (nondeterminism or unreadable): left out of every other figure. */
  replayFailures: number;
  holdTime: DurationStats;
  firstResponseTime: DurationStats;
  /** Where each conversation is now (its latest run in the set), or ended. */
  conversationsByState: Record<ConversationStateName, number>;
  windowExpiries: number;
  templatesSent: number;
  messages: { inbound: number; outboundSession: number; outboundTemplate: number };
  /** Messages by WhatsApp type: inbound by kind (text, image, audio, location…), outbound by the type sent. */
  messagesByType: { inbound: Record<string, number>; outbound: Record<string, number> };
  bot: { conversations: number; handOffs: number; handOffRate: number | null };
  failuresByCode: Record<string, number>;
  /** Outbound messages by WhatsApp pricing category (what they cost); only with a store to read delivery statuses from. */
  messagesByPricingCategory: Record<string, number> | null;
  /** Billable and free messages by category, and a cost estimate from the rate card; only with a store. */
  pricing: PricingKpis | null;
}

/**
 * Percentile with linear interpolation between closest ranks (numpy's default): the median of 2 and 4 is 3.
 * Sorts `values` in place.
 */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  const rank = (values.length - 1) * p;
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return values[low]! + (values[high]! - values[low]!) * (rank - low);
}

const rounded = (ms: number | null) => (ms === null ? null : Math.round(ms));
const stats = (values: number[]): DurationStats => ({ count: values.length, medianMs: rounded(percentile(values, 0.5)), p90Ms: rounded(percentile(values, 0.9)) });

/**
 * Adds timelines up one at a time. It keeps counters, the hold and first-response durations (one number per
 * conversation, for the percentiles) and the keys of conversations a bot took part in; never the timelines.
 */
export class KpiAccumulator {
  private conversations = 0;
  private runs = 0;
  private replayFailures = 0;
  private readonly holds: number[] = [];
  private readonly firstResponses: number[] = [];
  private readonly byState = Object.fromEntries(conversationStates.map((s) => [s, 0])) as Record<ConversationStateName, number>;
  private windowExpiries = 0;
  private readonly messages = { inbound: 0, outboundSession: 0, outboundTemplate: 0 };
  private readonly byType: Kpis['messagesByType'] = { inbound: {}, outbound: {} };
  private readonly botConversations = new Set<string>();
  private readonly botHandOffs = new Set<string>();
  private readonly failures: Record<string, number> = {};
  private pricing: Record<string, number> | null = null;
  private priced: PricingAccumulator | null = null;
  private rateCard: { currency: string; rates: Record<string, number> } | null = null;

  add(timeline: Timeline): void {
    this.runs += 1;
    if (!timeline.continued) this.conversations += 1;
    // A run that continued as new hands its conversation on; the last run says where the conversation is.
    if (timeline.ending !== 'continuedAsNew' || timeline.finalState === 'closed') this.byState[timeline.finalState] += 1;
    if (timeline.holdMs !== null) this.holds.push(timeline.holdMs);
    if (timeline.firstResponseMs !== null) this.firstResponses.push(timeline.firstResponseMs);
    this.windowExpiries += timeline.windowExpiries.length;
    this.messages.inbound += timeline.messages.inbound;
    this.messages.outboundSession += timeline.messages.outboundSession;
    this.messages.outboundTemplate += timeline.messages.outboundTemplate;
    // Timelines serialised before per-type counts existed have none.
    for (const direction of ['inbound', 'outbound'] as const) {
      for (const [type, n] of Object.entries(timeline.messagesByType?.[direction] ?? {})) this.byType[direction][type] = (this.byType[direction][type] ?? 0) + n;
    }
    if (timeline.bot.involved) this.botConversations.add(timeline.conversationKey);
    if (timeline.bot.handedOff) this.botHandOffs.add(timeline.conversationKey);
    for (const failure of timeline.failures) this.failures[failure.key] = (this.failures[failure.key] ?? 0) + 1;
  }

  addReplayFailure(): void {
    this.replayFailures += 1;
  }

  /** Counts outbound messages by pricing category (read from the store by the caller). */
  addPricing(categories: Iterable<string>): void {
    this.pricing ??= {};
    for (const category of categories) this.pricing[category] = (this.pricing[category] ?? 0) + 1;
  }

  /** Counts outbound messages by what WhatsApp charges for them (see analytics/pricing.kpis.ts). */
  addPriced(pricings: Iterable<MessagePricing | undefined>): void {
    this.priced ??= new PricingAccumulator();
    this.priced.add(pricings);
  }

  /** The supervisors' rate card the cost estimate uses. */
  useRateCard(card: { currency: string; rates: Record<string, number> } | null): void {
    this.rateCard = card;
  }

  result(): Kpis {
    const bots = this.botConversations.size;
    return {
      conversations: this.conversations,
      runs: this.runs,
      replayFailures: this.replayFailures,
      holdTime: stats(this.holds),
      firstResponseTime: stats(this.firstResponses),
      conversationsByState: { ...this.byState },
      windowExpiries: this.windowExpiries,
      templatesSent: this.messages.outboundTemplate,
      messages: { ...this.messages },
      messagesByType: { inbound: { ...this.byType.inbound }, outbound: { ...this.byType.outbound } },
      bot: { conversations: bots, handOffs: this.botHandOffs.size, handOffRate: bots === 0 ? null : this.botHandOffs.size / bots },
      failuresByCode: { ...this.failures },
      messagesByPricingCategory: this.pricing && { ...this.pricing },
      pricing: this.priced && this.priced.result(this.rateCard),
    };
  }
}
