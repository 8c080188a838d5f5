import { appendFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** One fault's outcome, as the table at the end of the run prints it (test/support/fault-table-reporter.js). */
export interface FaultRow {
  fault: string;
  /** Customer messages the simulator offered as webhooks. */
  sent: number;
  /** Those the connector acknowledged with 200, after as many redeliveries as it took. */
  accepted: number;
  /** Distinct customer messages in the store, all handled by their conversation. */
  stored: number;
  /** Agent and integrator sends the API accepted (202). */
  replies: number;
  /** Distinct sends the broker simulator received. */
  delivered: number;
  /** Inbound messages handled more than once plus sends the broker received more than once. */
  duplicates: number;
  /** Accepted inbound messages not stored and handled, plus accepted sends never delivered. */
  lost: number;
  /** Webhook deliveries that needed a retry, and API sends answered 503/429 and retried. */
  redeliveries: number;
  retriedSends: number;
}

/** Where the rows gather: each test file runs in its own jest worker, so they meet in a file. */
export const faultRowsFile = resolve(__dirname, '../../test-results/fault-rows.jsonl');

export function recordFaultRow(row: FaultRow): void {
  mkdirSync(join(faultRowsFile, '..'), { recursive: true });
  appendFileSync(faultRowsFile, `${JSON.stringify(row)}\n`);
  console.log(JSON.stringify(row));
}
