/**
 * The simulator's state files (simulator/state-file.ts): what the Graph API answers for is on disk before the answer,
 * what every inbound message changes is written once per burst, `flush()` (the simulator's close) writes what is
 * pending, and a file that is not JSON stops the start naming it rather than starting empty.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stateDirectory, WRITE_DELAY_MS } from '../../simulator/state-file';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'sim-state-file-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const onDisk = (name: string) => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as unknown;

test('a burst of changes is written once, as it stands at the write; `now` writes before returning', async () => {
  const state = stateDirectory(dir);
  const windows = state.part<{ n: number }>('service-windows');
  let snapshots = 0;
  for (let n = 1; n <= 50; n++) windows.save(() => (snapshots++, { n }));
  expect(existsSync(join(dir, 'service-windows.json'))).toBe(false);
  await new Promise((resolve) => setTimeout(resolve, WRITE_DELAY_MS + 100));
  expect([onDisk('service-windows'), snapshots]).toEqual([{ n: 50 }, 1]);

  state.part<{ blocked: string[] }>('block-users').save(() => ({ blocked: ['15551234567'] }), true);
  expect(onDisk('block-users')).toEqual({ blocked: ['15551234567'] });
  expect(state.part('block-users').load()).toEqual({ blocked: ['15551234567'] });
});

test('flush writes what is pending at once; without a directory nothing is kept', () => {
  const state = stateDirectory(dir);
  state.part<{ n: number }>('service-windows').save(() => ({ n: 7 }));
  state.flush();
  expect(onDisk('service-windows')).toEqual({ n: 7 });
  const none = stateDirectory(undefined).part<{ n: number }>('service-windows');
  none.save(() => ({ n: 8 }), true);
  expect(none.load()).toBeUndefined();
});

test('a part that is not JSON stops the start, naming its file', () => {
  writeFileSync(join(dir, 'calling-settings.json'), '{"numbers": [');
  expect(() => stateDirectory(dir).part('calling-settings').load()).toThrow(/calling-settings\.json is not JSON/);
});
