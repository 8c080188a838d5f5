import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { replayRuns, type ReplayOutcome } from '../../analytics/history.replay';
import { historiesFromFiles } from '../../analytics/history.source';
import { isUnreadable } from '../../analytics/history.types';
import { testDataConverter, testEnv } from '../support/env';

const dir = join(__dirname, 'histories');
const files = readdirSync(dir).filter((file) => file.endsWith('.json')).sort();
const outcomes = new Map<string, ReplayOutcome>();

/**
 * Conversations already running must keep running after a deploy: each committed history is replayed against the
 * current workflow code. A nondeterministic change fails here; guard it with `patched()` and record new histories
 * (`npm run histories`) as the README explains. The replay registers the analysts' timeline sink, as `wa-analyst`
 * does: histories recorded before the sink existed replay unchanged and still report every transition. It holds the
 * rigs' payload keys as the service does: histories recorded before the payload codec (plain JSON) pass through it.
 */
describe('replay of committed workflow histories', () => {
  beforeAll(async () => {
    const inputs = historiesFromFiles(files.map((file) => join(dir, file)));
    for await (const outcome of replayRuns(inputs, { codePath: testEnv().workflowBundlePath }, testDataConverter)) outcomes.set(outcome.source, outcome);
  });

  it('has histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  it.each(files)('replays %s without nondeterminism, reporting its transitions', (file) => {
    const outcome = outcomes.get(join(dir, file))!;
    expect(isUnreadable(outcome)).toBe(false);
    if (isUnreadable(outcome)) return;
    expect(outcome.error).toBeUndefined();
    expect(outcome.ok).toBe(true);
    // Campaign and call workflows have no conversation machine: replaying cleanly is all there is to check.
    if (file.startsWith('campaign-') || file.startsWith('call-')) return;
    if (file.startsWith('continued-from-v1')) {
      // A run continued from older code's snapshot (schema 1): restored through the migration on every replay.
      expect(outcome.start).toMatchObject({ state: 'handedToAgent', continued: true, context: { agentId: 'agent-1' } });
      expect(outcome.records.map((r) => [r.eventType, r.from, r.to])).toEqual([
        ['agent.released', 'handedToAgent', 'openSession'],
        ['conversation.closeRequested', 'openSession', 'closed'],
      ]);
      return;
    }
    expect(outcome.start).toMatchObject({ state: 'inbound', continued: false });
    if (file.startsWith('customer-called')) {
      // Started by a user's call (signal customerCalled): the window opens without a customer message.
      expect(outcome.records[0]).toMatchObject({ eventType: 'customer.called', from: 'inbound', to: 'openSession', callId: 'wacid.first' });
      expect(outcome.records.some((r) => r.eventType === 'customer.messageReceived')).toBe(false);
      return;
    }
    // Runs with the settings read apply the configuration first (inbound → inbound), then the customer's message.
    expect(outcome.records.find((r) => r.eventType === 'customer.messageReceived')).toMatchObject({ from: 'inbound', to: 'openSession' });
  });
});
