/**
 * `bench:scale`'s view of the store as it grows: the difference between two snapshots of the connector's store
 * probes (bench/store.probe.ts) as, per command and collection, how many were sent per conversation and their mean
 * time (ms, send to answer), so a command whose time grows with the documents shows from one window to the next.
 */
import type { ProbeCounts } from './bench.connector';
import { round1 } from './bench.support';

export type ProbeSnapshot = { API: ProbeCounts; worker: ProbeCounts };

/** Per command (`API: find messages`): count per conversation and mean ms, the costliest (count × mean) first. */
export type CommandCosts = Record<string, { perConversation: number; meanMs: number }>;

export function commandCosts(before: ProbeSnapshot, after: ProbeSnapshot, conversations: number): CommandCosts {
  const rows: [string, { perConversation: number; meanMs: number; total: number }][] = [];
  for (const side of ['API', 'worker'] as const) {
    for (const [key, count] of Object.entries(after[side].counts)) {
      const n = count - (before[side].counts[key] ?? 0);
      if (n <= 0) continue;
      const ms = (after[side].ms[key] ?? 0) - (before[side].ms[key] ?? 0);
      rows.push([`${side}: ${key}`, { perConversation: Math.round((n / conversations) * 100) / 100, meanMs: round1(ms / n), total: ms }]);
    }
  }
  rows.sort((a, b) => b[1].total - a[1].total);
  return Object.fromEntries(rows.map(([key, { perConversation, meanMs }]) => [key, { perConversation, meanMs }]));
}

/** Sums per-sample costs into one table (the samples of one kind: evicted or cached). */
export function addCosts(into: Map<string, { n: number; ms: number }>, before: ProbeSnapshot, after: ProbeSnapshot): void {
  for (const side of ['API', 'worker'] as const) {
    for (const [key, count] of Object.entries(after[side].counts)) {
      const n = count - (before[side].counts[key] ?? 0);
      if (n <= 0) continue;
      const ms = (after[side].ms[key] ?? 0) - (before[side].ms[key] ?? 0);
      const row = into.get(`${side}: ${key}`) ?? { n: 0, ms: 0 };
      into.set(`${side}: ${key}`, { n: row.n + n, ms: row.ms + ms });
    }
  }
}

/** The summed table per sample: commands per message and their mean ms, costliest first. */
export function perSample(sums: Map<string, { n: number; ms: number }>, samples: number): Record<string, { perMessage: number; meanMs: number }> {
  return Object.fromEntries(
    [...sums.entries()]
      .sort((a, b) => b[1].ms - a[1].ms)
      .map(([key, { n, ms }]) => [key, { perMessage: Math.round((n / samples) * 100) / 100, meanMs: round1(ms / n) }]),
  );
}

/** Prints a cost table's costliest rows. */
export function printCosts(title: string, costs: Record<string, { meanMs: number } & ({ perConversation: number } | { perMessage: number })>, rows = 8): void {
  console.log(title);
  for (const [key, c] of Object.entries(costs).slice(0, rows)) {
    const per = 'perConversation' in c ? c.perConversation : c.perMessage;
    console.log(`    ${key.padEnd(48)} ${String(per).padStart(6)} × ${String(c.meanMs).padStart(7)} ms`);
  }
}
