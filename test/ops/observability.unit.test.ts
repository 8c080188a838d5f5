/**
 * The Grafana dashboard and the alert rules (deploy/observability/) name only metrics the connector serves, and every
 * alert tells the on-call person what to do. Temporal SDK metrics (`temporal_…`) are the SDK's own names.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { registry } from '../../lib/metrics';
import { metricsRoutes } from '../../api/metrics.routes';
import type { Store } from '../../store/db';

const dir = join(__dirname, '../../deploy/observability');
const alerts = parse(readFileSync(join(dir, 'alerts.yml'), 'utf8')) as { groups: { rules: { alert: string; expr: string; annotations: Record<string, string> }[] }[] };
const dashboard = JSON.parse(readFileSync(join(dir, 'grafana-dashboard.json'), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };

// The store-backed gauges are registered with the API's routes.
metricsRoutes({ store: {} as Store });
const served = new Set(registry.getMetricsAsArray().map((m) => m.name));
const namesIn = (expr: string) => [...expr.matchAll(/\b(whatsapp_[a-z_]+)\b/g)].map((m) => m[1]!.replace(/_(bucket|count|sum)$/, ''));

describe('dashboard and alerts', () => {
  const exprs = [...alerts.groups.flatMap((g) => g.rules.map((r) => [r.alert, r.expr] as const)), ...dashboard.panels.flatMap((p) => p.targets.map((t) => [p.title, t.expr] as const))];

  it.each(exprs)('%s uses only served metrics', (_name, expr) => {
    const names = namesIn(expr);
    expect(names.length + (expr.includes('temporal_') ? 1 : 0)).toBeGreaterThan(0);
    for (const name of names) expect(served).toContain(name);
  });

  it('every alert says what it means and what to do', () => {
    for (const rule of alerts.groups.flatMap((g) => g.rules)) {
      expect(rule.annotations.summary).toBeTruthy();
      expect(rule.annotations.action).toBeTruthy();
    }
  });
});
