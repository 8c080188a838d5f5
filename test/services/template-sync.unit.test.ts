import pino from 'pino';
import { startTemplateSync } from '../../services/template-sync';

/**
 * The sync's first round runs at start-up, not one interval later (15 minutes by default): a template deleted at
 * WhatsApp while the connector was stopped (or forgotten by a restarted broker) is found before anyone sends it.
 */
describe('the periodic template sync', () => {
  const logger = pino({ level: 'silent' });
  const result = { accounts: 1, checked: 0, changed: 0, deleted: 0 };

  it('runs a first round at start-up, then every interval', async () => {
    jest.useFakeTimers();
    try {
      const sync = jest.fn().mockResolvedValue(result);
      const stop = startTemplateSync({ sync }, 60_000, logger);
      expect(sync).toHaveBeenCalledTimes(1);
      await jest.advanceTimersByTimeAsync(60_000);
      expect(sync).toHaveBeenCalledTimes(2);
      stop();
      await jest.advanceTimersByTimeAsync(120_000);
      expect(sync).toHaveBeenCalledTimes(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('never runs with an interval of 0', () => {
    const sync = jest.fn().mockResolvedValue(result);
    startTemplateSync({ sync }, 0, logger)();
    expect(sync).not.toHaveBeenCalled();
  });
});
