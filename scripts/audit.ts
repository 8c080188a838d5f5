/**
 * `npm run audit`: npm's advisories for the installed tree, failing on any high or critical one that
 * `audit-exceptions.json` does not explain (its advisory URL, the package, why it cannot reach us or what we wait
 * for, and a date to look again). CI runs it before the tests. Where the registry serves no advisory endpoint (some
 * mirrors answer 405), it says so and passes: there is nothing to judge.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';

interface Exception {
  url: string;
  package: string;
  why: string;
  reviewBy: string;
}
interface Advisory {
  source?: number;
  name?: string;
  url?: string;
  severity?: string;
  title?: string;
}
interface Report {
  vulnerabilities?: Record<string, { severity: string; via: (Advisory | string)[] }>;
  error?: { code?: string; summary?: string };
  /** npm's shape when the advisory endpoint itself failed. */
  statusCode?: number;
  message?: string;
}

const exceptions = JSON.parse(readFileSync('audit-exceptions.json', 'utf8')) as { exceptions: Exception[] };
const explained = new Set(exceptions.exceptions.map((e) => e.url));
const overdue = exceptions.exceptions.filter((e) => new Date(e.reviewBy) < new Date());

execFile('npm', ['audit', '--json'], { maxBuffer: 64 * 1024 * 1024 }, (_err, stdout) => {
  let report: Report;
  try {
    report = JSON.parse(stdout) as Report;
  } catch {
    console.log('npm audit: no report (the registry gave no answer); nothing to judge');
    return;
  }
  if (report.error || report.statusCode) {
    const why = report.statusCode ? `${report.statusCode}: ${report.message ?? ''}` : `${report.error?.code ?? 'error'}: ${report.error?.summary ?? ''}`;
    console.log(`npm audit: the registry's advisory endpoint is unavailable here (${why}); nothing to judge`);
    return;
  }
  const serious = Object.entries(report.vulnerabilities ?? {}).flatMap(([pkg, v]) =>
    v.via.filter((via): via is Advisory => typeof via === 'object' && (via.severity === 'high' || via.severity === 'critical')).map((via) => ({ pkg, ...via })),
  );
  const unexplained = serious.filter((a) => !a.url || !explained.has(a.url));
  for (const a of serious) console.log(`${explained.has(a.url ?? '') ? 'explained' : 'UNEXPLAINED'}: ${a.severity} ${a.pkg} ${a.title ?? ''} ${a.url ?? ''}`);
  for (const e of overdue) console.log(`review overdue since ${e.reviewBy}: ${e.package} ${e.url}`);
  console.log(`npm audit: ${serious.length} high or critical advisories, ${unexplained.length} unexplained, ${overdue.length} exceptions overdue`);
  if (unexplained.length > 0 || overdue.length > 0) process.exitCode = 1;
});
