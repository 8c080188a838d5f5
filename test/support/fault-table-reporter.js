// Prints the fault table (test/faults/*) at the end of a run and keeps it in test-results/fault-table.txt.
const { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const columns = ['fault', 'sent', 'accepted', 'stored', 'replies', 'delivered', 'duplicates', 'lost', 'redeliveries', 'retriedSends'];

class FaultTableReporter {
  constructor(globalConfig) {
    this.dir = join(globalConfig.rootDir, 'test-results');
    this.rows = join(this.dir, 'fault-rows.jsonl');
  }

  onRunStart() {
    rmSync(this.rows, { force: true });
  }

  onRunComplete() {
    if (!existsSync(this.rows)) return;
    const rows = readFileSync(this.rows, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
    rows.sort((a, b) => a.fault.localeCompare(b.fault));
    const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
    const line = (values) => values.map((v, i) => (i === 0 ? String(v).padEnd(widths[i]) : String(v).padStart(widths[i]))).join('  ');
    const table = [
      'Faults under a steady stream (inbound = customer messages, replies = agent/integrator sends):',
      line(columns),
      ...rows.map((r) => line(columns.map((c) => r[c]))),
    ].join('\n');
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(join(this.dir, 'fault-table.txt'), `${table}\n`);
    process.stdout.write(`\n${table}\n`);
  }
}

module.exports = FaultTableReporter;
