import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { testEnv } from '../support/env';

const dir = join(__dirname, 'histories');
const files = readdirSync(dir).filter((file) => file.endsWith('.json')).sort();

/**
 * Conversations already running must keep running after a deploy: each committed history is replayed against the
 * current workflow code. A nondeterministic change fails here; guard it with `patched()` and record new histories
 * (`npm run histories`) as the README explains.
 */
describe('replay of committed conversation histories', () => {
  it('has histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  it.each(files)('replays %s without nondeterminism', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    await Worker.runReplayHistory({ workflowBundle: { codePath: testEnv().workflowBundlePath } }, history, file.replace(/\.json$/, ''));
  });
});
