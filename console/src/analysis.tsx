import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiProblem, stateLabels, stateNames, type Conversation } from './api';
import { BarChart } from './charts';
import { Problem } from './problem';
import { CustomerText } from './customer-text';

interface Duration {
  count: number;
  medianMs: number | null;
  p90Ms: number | null;
}
interface Kpis {
  conversations: number;
  runs: number;
  holdTime: Duration;
  firstResponseTime: Duration;
  conversationsByState: Record<string, number>;
  windowExpiries: number;
  templatesSent: number;
  messagesByPricingCategory: Record<string, number> | null;
  /** Billable and free messages by category, and the rate card's cost estimate (null without a store). */
  pricing: {
    byCategory: Record<string, { billable: number; free: number }>;
    costEstimate: { currency: string; total: number; unratedCategories: string[] } | null;
  } | null;
  bot: { conversations: number; handOffs: number; handOffRate: number | null };
}
interface Timeline {
  runId: string;
  finalState: string;
  holdMs: number | null;
  firstResponseMs: number | null;
  states: { state: string; enteredAt: string; durationMs: number | null }[];
  diagram: string;
}

let renders = 0;
/** Renders mermaid text to SVG; mermaid is loaded only when this page needs it. */
function Diagram({ source, label }: { source: string | undefined; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!source || !box.current) return;
    let live = true;
    void import('mermaid').then(async ({ default: mermaid }) => {
      mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', theme: 'neutral' });
      const { svg } = await mermaid.render(`diagram-${(renders += 1)}`, source);
      if (live && box.current) box.current.innerHTML = svg;
    });
    return () => {
      live = false;
    };
  }, [source]);
  return <div ref={box} class="diagram" role="img" aria-label={label} />;
}

const seconds = (ms: number | null) => (ms === null ? null : ms / 1000);

/** The machine's diagram with one conversation's path on it, and KPI charts over a filter. */
export function AnalysisPage() {
  const [machine, setMachine] = useState<string>();
  const [conversationId, setConversationId] = useState('');
  const [timeline, setTimeline] = useState<Timeline>();
  const [filter, setFilter] = useState({ businessNumberId: '', from: '', to: '', state: '' });
  const [recent, setRecent] = useState<Conversation[]>([]);
  const [kpis, setKpis] = useState<Kpis>();
  const [problem, setProblem] = useState<ApiProblem>();
  const guard = async (run: () => Promise<void>) => {
    try {
      await run();
      setProblem(undefined);
    } catch (err) {
      setProblem(err as ApiProblem);
    }
  };
  useEffect(() => void guard(async () => setMachine((await api<{ diagram: string }>('GET', '/v1/analytics/diagram')).diagram)), []);
  // Suggestions for the conversation id: the latest ones, so nobody has to copy an id from elsewhere.
  useEffect(() => void api<{ conversations: Conversation[] }>('GET', '/v1/conversations?limit=50').then((r) => setRecent(r.conversations), () => undefined), []);

  const showPath = (e: Event) => {
    e.preventDefault();
    void guard(async () => setTimeline((await api<{ runs: Timeline[] }>('GET', `/v1/analytics/conversations/${encodeURIComponent(conversationId)}/timeline`)).runs[0]));
  };
  const loadKpis = (e: Event) => {
    e.preventDefault();
    const query = new URLSearchParams();
    if (filter.businessNumberId) query.set('businessNumberId', filter.businessNumberId);
    if (filter.from) query.set('from', new Date(filter.from).toISOString());
    if (filter.to) query.set('to', new Date(filter.to).toISOString());
    if (filter.state) query.set('state', filter.state);
    void guard(async () => setKpis(await api<Kpis>('GET', `/v1/analytics/kpis?${query}`)));
  };
  return (
    <section aria-labelledby="analysis-title">
      <h1 id="analysis-title">Analysis</h1>
      <Problem problem={problem} />
      <form class="inline" onSubmit={showPath}>
        <label for="timeline-id">Conversation id</label>
        <input id="timeline-id" list="recent-conversations" value={conversationId} onInput={(e) => setConversationId(e.currentTarget.value)} placeholder="wa:106540352242922:15551234567" required />
        <datalist id="recent-conversations">
          {recent.map((c) => (
            <option key={c.conversationId} value={c.conversationId}>
              <CustomerText text={c.customer.profileName ?? c.customer.key} /> · {stateLabels[c.state]}
            </option>
          ))}
        </datalist>
        <button type="submit">Draw its path</button>
      </form>
      {timeline && (
        <p>
          Run ending in <strong>{timeline.finalState}</strong>; hold {timeline.holdMs === null ? '—' : `${timeline.holdMs} ms`}, first response{' '}
          {timeline.firstResponseMs === null ? '—' : `${timeline.firstResponseMs} ms`}; states: {timeline.states.map((s) => s.state).join(' → ')}
        </p>
      )}
      <Diagram source={timeline?.diagram ?? machine} label={timeline ? "The conversation machine with this conversation's path highlighted" : 'The conversation machine'} />
      <h2>KPIs</h2>
      <form class="inline" onSubmit={loadKpis}>
        <label for="kpi-number">Business number id</label>
        <input id="kpi-number" value={filter.businessNumberId} onInput={(e) => setFilter({ ...filter, businessNumberId: e.currentTarget.value })} />
        <label for="kpi-from">From</label>
        <input id="kpi-from" type="datetime-local" value={filter.from} onInput={(e) => setFilter({ ...filter, from: e.currentTarget.value })} />
        <label for="kpi-to">To</label>
        <input id="kpi-to" type="datetime-local" value={filter.to} onInput={(e) => setFilter({ ...filter, to: e.currentTarget.value })} />
        <label for="kpi-state">State</label>
        <select id="kpi-state" value={filter.state} onChange={(e) => setFilter({ ...filter, state: e.currentTarget.value })}>
          <option value="">any</option>
          {stateNames.map((state) => (
            <option key={state} value={state}>
              {stateLabels[state]}
            </option>
          ))}
        </select>
        <button type="submit">Compute</button>
      </form>
      {kpis && (
        <div class="charts" data-testid="kpis">
          <p class="span-all">{kpis.conversations} conversations, {kpis.runs} runs; bot hand-off rate {kpis.bot.handOffRate === null ? '—' : `${Math.round(kpis.bot.handOffRate * 100)} %`}</p>
          <BarChart title="Hold time and first response (s)" unit=" s" data={[['hold median', seconds(kpis.holdTime.medianMs)], ['hold p90', seconds(kpis.holdTime.p90Ms)], ['first response median', seconds(kpis.firstResponseTime.medianMs)], ['first response p90', seconds(kpis.firstResponseTime.p90Ms)]]} />
          <BarChart title="Conversations by state" data={Object.entries(kpis.conversationsByState)} />
          <BarChart title="Window expiries and templates sent" data={[['window expiries', kpis.windowExpiries], ['templates sent', kpis.templatesSent]]} />
          <BarChart title="Messages by pricing category" data={Object.entries(kpis.messagesByPricingCategory ?? {})} />
          {kpis.pricing && (
            <BarChart
              title="Billable and free messages by category"
              data={Object.entries(kpis.pricing.byCategory).flatMap(([category, n]): [string, number][] => [
                [`${category} billable`, n.billable],
                [`${category} free`, n.free],
              ])}
            />
          )}
          {kpis.pricing && (
            <p class="span-all" data-testid="cost-estimate">
              {kpis.pricing.costEstimate
                ? `Estimated cost: ${kpis.pricing.costEstimate.total} ${kpis.pricing.costEstimate.currency}${kpis.pricing.costEstimate.unratedCategories.length ? ` (no rate for ${kpis.pricing.costEstimate.unratedCategories.join(', ')})` : ''}`
                : 'Estimated cost: no rate card set (a supervisor sets one with PUT /v1/pricing/rate-card)'}
            </p>
          )}
        </div>
      )}
    </section>
  );
}
