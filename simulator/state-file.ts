import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * WhatsApp's side kept in JSON files, one per part, so that `npm start` restarted on one `.data` finds it where
 * WhatsApp would (the connector's store survives a restart; a simulator that forgot refused what WhatsApp takes):
 * `templates.json`, `calling-settings.json`, `call-permissions.json` (users' call permissions, which the SIP side
 * admits calls by), `meta-sip.json` (the calls-webhook switches), `block-users.json` (blocklists, who wrote when),
 * `service-windows.json`, `media.json` with the bytes in `media/`. Without a directory (tests, benchmarks) nothing
 * is kept.
 *
 * A part is written whole (a demo holds little), through a temporary file renamed over the old one, so a stop
 * mid-write leaves the previous state rather than half a file. What the Graph API answers for (a block, settings, a
 * permission, a template) is written before the answer. What every inbound message changes (who wrote when, the
 * service windows) is coalesced: the first change schedules one write {@link WRITE_DELAY_MS} later, which takes the
 * state as it is then, so a burst of messages costs one write, not one each, on the event loop `npm start` shares
 * with the API and the worker. `flush()` (the simulator's `close()`, on Ctrl-C) writes what is pending at once; only
 * a process killed outright loses those last 200 ms.
 */
export interface StateFile<T> {
  /** What was kept; undefined when there is no file yet (or no directory). */
  load(): T | undefined;
  /**
   * The part changed: `snapshot` is written soon, or before this returns with `now` (a change WhatsApp is about to
   * tell of, so the connector never learns what the restarted simulator forgot). JSON: Infinity and undefined do not
   * survive; callers map them.
   */
  save(snapshot: () => T, now?: boolean): void;
}

/** Milliseconds between a change and its write. */
export const WRITE_DELAY_MS = 200;

/** Files kept whole in one folder of the state directory (media bytes), each written through a temporary file. */
export interface StateFiles {
  write(name: string, bytes: Buffer): void;
  /** The bytes, or undefined when the file is gone. */
  read(name: string): Buffer | undefined;
  remove(name: string): void;
}

/** Writes `data` as `file`'s whole content through a temporary file renamed over it: a stop mid-write leaves the old file. */
function writeWhole(file: string, data: string | Buffer): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, data);
  renameSync(temporary, file);
}

/** The simulator's state directory: its parts, and `flush()` to write every pending change now. */
export function stateDirectory(dir: string | undefined) {
  const pending = new Map<string, () => unknown>();
  let timer: NodeJS.Timeout | undefined;

  const write = (file: string, state: unknown) => writeWhole(file, JSON.stringify(state, null, 1));
  function flush(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const due = [...pending.entries()];
    pending.clear();
    for (const [file, snapshot] of due) write(file, snapshot());
  }

  return {
    /** The part `<name>.json`; a file that is not JSON stops the start, naming the file. */
    part<T>(name: string): StateFile<T> {
      if (!dir) return { load: () => undefined, save: () => undefined };
      const file = join(dir, `${name}.json`);
      return {
        load() {
          if (!existsSync(file)) return undefined;
          try {
            return JSON.parse(readFileSync(file, 'utf8')) as T;
          } catch (err) {
            throw new Error(`simulator state ${file} is not JSON (remove it to start that part afresh): ${(err as Error).message}`);
          }
        },
        save(snapshot, now = false) {
          if (now) {
            pending.delete(file);
            return write(file, snapshot());
          }
          pending.set(file, snapshot);
          timer ??= setTimeout(flush, WRITE_DELAY_MS).unref();
        },
      };
    },
    /** The folder `<sub>/` for files kept whole; undefined without a directory. */
    files(sub: string): StateFiles | undefined {
      if (!dir) return undefined;
      const folder = join(dir, sub);
      const path = (name: string) => join(folder, name.replace(/[^A-Za-z0-9._-]/g, '_'));
      return {
        write: (name, bytes) => writeWhole(path(name), bytes),
        read: (name) => (existsSync(path(name)) ? readFileSync(path(name)) : undefined),
        remove: (name) => rmSync(path(name), { force: true }),
      };
    },
    flush,
  };
}
