import { join } from 'node:path';
import { replayRuns, type ReplayOutcome } from '../../analytics/history.replay';
import { historiesFromFiles } from '../../analytics/history.source';
import { isUnreadable } from '../../analytics/history.types';
import { testEnv } from '../support/env';

/*
 * A history the current conversation workflow wrote itself, recorded by the Temporal-restart fault test: a customer
 * message and an agent's reply handled in one workflow task (events 11–24: two local-activity markers, the window
 * timer re-armed, then the send scheduled). Evicted from the cache (here by a task timeout while the dev server was
 * down), the workflow replays its commands in another order (the send before the timer's cancellation) and stays
 * stuck on a nondeterminism error, taking no more messages. Any eviction at that point does it: a worker restart,
 * a full cache. This test pins the failure so the suite stays green while the bug stands, and turns red once the
 * workflow replays the history: then make it a plain replay test and un-skip test/faults/temporal-restart.test.ts.
 */
describe('replaying a conversation history the current workflow code wrote', () => {
  it('still fails on a customer message and a reply handled in one workflow task (known bug: turns red when fixed)', async () => {
    const outcomes: ReplayOutcome[] = [];
    const inputs = historiesFromFiles([join(__dirname, 'histories', 'reply-and-message-in-one-task.json')]);
    for await (const outcome of replayRuns(inputs, { codePath: testEnv().workflowBundlePath })) outcomes.push(outcome);
    expect(outcomes).toHaveLength(1);
    const [outcome] = outcomes;
    expect(isUnreadable(outcome!)).toBe(false);
    expect(outcome).toMatchObject({ ok: false });
    expect(String((outcome as { error?: unknown }).error)).toMatch(/Nondeterminism error: Activity machine does not handle this event: HistoryEvent\(id: 22, TimerCanceled\)/);
  });
});
