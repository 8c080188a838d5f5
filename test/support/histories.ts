import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

/**
 * With RECORD_HISTORIES=1 (`npm run histories`), the workflow tests save the history of each scenario under
 * test/workflows/histories for the replay test. Otherwise this does nothing.
 */
export async function keepHistory(name: string, handle: WorkflowHandle): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  writeFileSync(join(__dirname, '../workflows/histories', `${name}.json`), `${historyToJSON(history)}\n`);
}
