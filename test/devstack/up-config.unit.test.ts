import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * `npm start` (bin/up.ts) names a bad `EMBEDDED_*` setting the way every other bad setting is named ("Invalid
 * configuration:" and one line per variable), before it starts anything, instead of a raw dump of zod's issues.
 */
describe('npm start with a bad EMBEDDED_* setting', () => {
  const root = resolve(__dirname, '../..');

  it.each([
    ['EMBEDDED_TEMPORAL_SQLITE_PRAGMAS', 'journal_mode=wal; drop', /^ {2}EMBEDDED_TEMPORAL_SQLITE_PRAGMAS: expected name=value pairs separated by commas/m],
    ['EMBEDDED_FERRETDB_PORT', 'abc', /^ {2}EMBEDDED_FERRETDB_PORT: /m],
  ])('%s=%j fails start-up naming the variable', (name, value, line) => {
    const run = spawnSync(process.execPath, [resolve(root, 'node_modules/tsx/dist/cli.mjs'), 'bin/up.ts'], {
      cwd: root,
      // A data directory of its own: nothing is started, but nothing of a developer's .data is touched either.
      env: { ...process.env, [name]: value, DATA_DIR: resolve(root, '.data-test-up-config') },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/^Invalid configuration:$/m);
    expect(run.stderr).toMatch(line);
    expect(run.stderr).not.toMatch(/"code":/);
  });
});
