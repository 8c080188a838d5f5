/** The calls' KPIs: what counts as answered, missed, abandoned, and the mean wait and talk times. */
import { callKpis } from '../../services/call-settings.service';

const from = new Date('2026-11-30T00:00:00Z');
const to = new Date('2026-12-01T00:00:00Z');

test('answered calls (ended or still talking) give wait and talk; missed and abandoned count apart; business-initiated calls count in both and apart', () => {
  const kpis = callKpis(
    [
      { phase: 'ended', answeredAt: 1, waitSeconds: 10, talkSeconds: 100 },
      { phase: 'answered', answeredAt: 2, waitSeconds: 20 },
      { phase: 'ended', answeredAt: 3, waitSeconds: 0, talkSeconds: 50 },
      { phase: 'missed', waitSeconds: 30 },
      { phase: 'abandoned', waitSeconds: 7 },
      { phase: 'abandoned', waitSeconds: 9 },
      { phase: 'failed', waitSeconds: 2 },
      { phase: 'ended', answeredAt: 4, waitSeconds: 5, talkSeconds: 0, direction: 'business_initiated' },
      { phase: 'missed', waitSeconds: 30, direction: 'business_initiated' },
    ],
    from,
    to,
  );
  expect(kpis).toEqual({
    from: from.toISOString(),
    to: to.toISOString(),
    offered: 9,
    answered: 4,
    missed: 2,
    abandoned: 2,
    failed: 1,
    averageWaitSeconds: 8.8,
    averageAbandonSeconds: 8,
    averageTalkSeconds: 50,
    totalTalkSeconds: 150,
    businessInitiated: { placed: 2, answered: 1, missed: 1 },
  });
});

test('no calls: counts are zero and means are null', () => {
  expect(callKpis([], from, to)).toMatchObject({ offered: 0, averageWaitSeconds: null, averageTalkSeconds: null, totalTalkSeconds: 0 });
});
