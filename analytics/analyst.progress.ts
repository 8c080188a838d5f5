import { SingleBar, Presets } from 'cli-progress';
import type { AnalystIo } from './analyst.io';

export interface Progress {
  tick(): void;
  stop(): void;
}

/**
 * A progress bar on stderr (so stdout stays clean for JSON and CSV), shown only on a terminal and when asked for.
 * Without a known total it counts runs.
 */
export function startProgress(io: AnalystIo, wanted: boolean, total: number | undefined, label: string): Progress {
  if (!wanted || !io.stderr.isTTY) return { tick: () => undefined, stop: () => undefined };
  const bar = new SingleBar(
    {
      stream: io.stderr as NodeJS.WritableStream,
      format: total === undefined ? `${label} {value} runs | {rate}/s` : `${label} [{bar}] {value}/{total} | {percentage}% | eta {eta_formatted} | {rate}/s`,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 200,
    },
    Presets.shades_classic,
  );
  const started = Date.now();
  let count = 0;
  let stopped = false;
  bar.start(total ?? 0, 0, { rate: '0' });
  return {
    tick() {
      count += 1;
      if (total !== undefined && count > total) bar.setTotal(count);
      bar.update(count, { rate: (count / Math.max((Date.now() - started) / 1_000, 0.001)).toFixed(0) });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
