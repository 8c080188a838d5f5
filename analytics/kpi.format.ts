import { stringify } from 'csv-stringify/sync';
import type { DurationStats, Kpis } from './kpi.aggregate';

/** One KPI figure as a row: `metric`, an optional `key` (a state, an error code, a category) and the value. */
export interface KpiRow {
  metric: string;
  key: string;
  value: number | null;
}

const durationRows = (metric: string, s: DurationStats): KpiRow[] => [
  { metric: `${metric}_count`, key: '', value: s.count },
  { metric: `${metric}_median_ms`, key: '', value: s.medianMs },
  { metric: `${metric}_p90_ms`, key: '', value: s.p90Ms },
];

const keyed = (metric: string, counts: Record<string, number> | null): KpiRow[] =>
  Object.entries(counts ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => ({ metric, key, value }));

/** The KPIs flattened into rows, in a fixed order (the CSV and the table). */
export function kpiRows(k: Kpis): KpiRow[] {
  return [
    { metric: 'conversations', key: '', value: k.conversations },
    { metric: 'runs', key: '', value: k.runs },
    { metric: 'replay_failures', key: '', value: k.replayFailures },
    ...durationRows('hold_time', k.holdTime),
    ...durationRows('first_response_time', k.firstResponseTime),
    ...keyed('conversations_by_state', k.conversationsByState),
    { metric: 'window_expiries', key: '', value: k.windowExpiries },
    { metric: 'templates_sent', key: '', value: k.templatesSent },
    ...keyed('messages', { inbound: k.messages.inbound, outbound_session: k.messages.outboundSession, outbound_template: k.messages.outboundTemplate }),
    ...keyed('inbound_messages_by_type', k.messagesByType.inbound),
    ...keyed('outbound_messages_by_type', k.messagesByType.outbound),
    { metric: 'bot_conversations', key: '', value: k.bot.conversations },
    { metric: 'bot_hand_offs', key: '', value: k.bot.handOffs },
    { metric: 'bot_hand_off_rate', key: '', value: k.bot.handOffRate },
    ...keyed('failures_by_code', k.failuresByCode),
    ...keyed('messages_by_pricing_category', k.messagesByPricingCategory),
  ];
}

/** CSV with a header line (`metric,key,value`); an empty value means "none to measure". */
export function kpisToCsv(k: Kpis): string {
  return stringify(kpiRows(k), { header: true, columns: ['metric', 'key', 'value'], cast: { number: String } });
}

/** A duration for people: `4 min 12 s`, `1 h 3 min`, `850 ms`. */
export function humanDuration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1_000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h} h ${m % 60} min` : `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** `inbound text 3, audio 1; outbound text 2, template 1` */
export function byType(counts: { inbound: Record<string, number>; outbound: Record<string, number> }): string {
  const list = (c: Record<string, number>) => Object.entries(c).sort(([a], [b]) => a.localeCompare(b)).map(([t, n]) => `${t} ${n}`).join(', ') || 'none';
  return `inbound ${list(counts.inbound)}; outbound ${list(counts.outbound)}`;
}

/** The KPIs as an aligned table for the terminal. */
export function kpisToTable(k: Kpis): string {
  const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)} %`);
  const lines: [string, string][] = [
    ['conversations', `${k.conversations} (${k.runs} runs${k.replayFailures ? `, ${k.replayFailures} not replayable` : ''})`],
    ['hold time (first inbound → agent)', `median ${humanDuration(k.holdTime.medianMs)}, p90 ${humanDuration(k.holdTime.p90Ms)} (${k.holdTime.count} conversations)`],
    ['first response time', `median ${humanDuration(k.firstResponseTime.medianMs)}, p90 ${humanDuration(k.firstResponseTime.p90Ms)} (${k.firstResponseTime.count} conversations)`],
    ['conversations by state', Object.entries(k.conversationsByState).map(([s, n]) => `${s} ${n}`).join(', ')],
    ['window expiries', String(k.windowExpiries)],
    ['templates sent', String(k.templatesSent)],
    ['messages', `inbound ${k.messages.inbound}, outbound session ${k.messages.outboundSession}, outbound template ${k.messages.outboundTemplate}`],
    ['messages by type', byType(k.messagesByType)],
    ['bot hand-off rate', `${pct(k.bot.handOffRate)} (${k.bot.handOffs} of ${k.bot.conversations} bot conversations)`],
    ['failures by code', Object.entries(k.failuresByCode).map(([c, n]) => `${c} ×${n}`).join(', ') || 'none'],
    ['messages by pricing category', k.messagesByPricingCategory ? Object.entries(k.messagesByPricingCategory).map(([c, n]) => `${c} ${n}`).join(', ') || 'none' : 'not read (give --mongodb-url)'],
  ];
  const width = Math.max(...lines.map(([label]) => label.length));
  return `${lines.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n')}\n`;
}
