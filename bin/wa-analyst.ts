#!/usr/bin/env node
/** `wa-analyst` (`npm run analyst -- …`): export and replay conversation histories, timelines and KPIs. See --help. */
import { runAnalyst } from '../analytics/analyst.cli';

runAnalyst(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 2;
  },
);
