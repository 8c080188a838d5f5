import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * One part of WhatsApp's side kept in a JSON file, so that `npm start` restarted on one `.data` finds it where
 * WhatsApp would (the connector's store survives a restart; a simulator that forgot refused what WhatsApp takes).
 * Without a file (tests, benchmarks) nothing is kept. Written whole after every change (a demo holds little),
 * through a temporary file renamed over the old one, so a stop mid-write leaves the previous state rather than half
 * a file. The parts: `templates.json` (template-state.ts), `calling-settings.json`, `call-permissions.json`,
 * `meta-sip.json` (the business-call permissions and calls-webhook switches of the SIP side), `block-users.json`
 * (blocklists and who wrote when), `service-windows.json` (customer service windows).
 */
export interface StateFile<T> {
  /** What was kept; undefined when there is no file yet (or no file at all). */
  load(): T | undefined;
  /** Keeps `state` whole (JSON: Infinity and undefined do not survive; callers store them otherwise). */
  save(state: T): void;
}

/** The part kept in `file`; unset: memory only. A file that is not JSON stops the start, naming the file. */
export function jsonStateFile<T>(file: string | undefined): StateFile<T> {
  if (!file) return { load: () => undefined, save: () => undefined };
  return {
    load() {
      if (!existsSync(file)) return undefined;
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as T;
      } catch (err) {
        throw new Error(`simulator state ${file} is not JSON (remove it to start that part afresh): ${(err as Error).message}`);
      }
    },
    save(state) {
      mkdirSync(dirname(file), { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify(state, null, 1));
      renameSync(temporary, file);
    },
  };
}

/** The part `name` (`<name>.json`) under the simulator's state directory; no directory: memory only. */
export const partState = <T>(stateDir: string | undefined, name: string): StateFile<T> => jsonStateFile<T>(stateDir ? join(stateDir, `${name}.json`) : undefined);
