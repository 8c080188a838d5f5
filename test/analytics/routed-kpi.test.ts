import { join } from 'node:path';
import { analyzeRuns, computeKpis } from '../../analytics/analytics.pipeline';
import { historiesFromFiles } from '../../analytics/history.source';
import type { Timeline } from '../../analytics/timeline.build';
import { testEnv } from '../support/env';

const files = ['agent-routing-bot-hand-off', 'agent-routing-busy-then-answer'].map((name) => join(__dirname, '../workflows/histories', `${name}.json`));
const analyzed = () => analyzeRuns(historiesFromFiles(files), { codePath: testEnv().workflowBundlePath });

/** Analysts' KPIs over real routed conversations: the committed histories of the SIP and bot e2e tests, replayed. */
describe('KPIs of conversations routed to agents', () => {
  it('measure hold time up to the SIP answer and count the bot hand-off', async () => {
    const timelines: Timeline[] = [];
    for await (const run of analyzed()) if (run.timeline) timelines.push(run.timeline);
    expect(timelines).toHaveLength(2);
    expect(timelines.map((t) => t.holdMs)).toEqual([expect.any(Number), expect.any(Number)]);
    const [bot, busy] = timelines;
    expect(bot!.bot).toMatchObject({ involved: true, handedOff: true });
    expect(busy!.bot.involved).toBe(false);

    const kpis = await computeKpis(analyzed());
    expect(kpis.holdTime.count).toBe(2);
    expect(kpis.bot).toMatchObject({ conversations: 1, handOffs: 1, handOffRate: 1 });
  });
});
