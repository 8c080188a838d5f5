// Prints the closing line CI reads (`N passed, N failed`) and keeps it in test-results/summary.txt.
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    // A suite that failed to load has no failed tests but is still a failure.
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    // Exactly `N passed, N failed`: that is the line CI reads; skipped tests are said on the line before.
    const line = `${results.numPassedTests} passed, ${failed} failed`;
    if (skipped) process.stdout.write(`\n${skipped} skipped (it.skip / it.todo)`);
    const dir = join(this.rootDir, 'test-results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'summary.txt'), `${line}\n`);
    process.stdout.write(`\n${line}\n`);
  }
}

module.exports = SummaryReporter;
