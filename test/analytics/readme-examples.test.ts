/**
 * The README's *Analysts* examples run on the committed histories "so they can be pasted as they are": each printed
 * answer is checked here against what `wa-analyst` prints today. A history added to test/workflows/histories, or a
 * transition added to the machine, changes them; this test says which block to paste again (it had drifted twice:
 * the KPI counts and a `business.opened` line of the diagram).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_PAYLOAD_KEYS } from '../support/env';

const root = join(__dirname, '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** What `npm run analyst -- <args>` prints on stdout, with the test rigs' keys exported as the README says. */
const analyst = (args: string[]) =>
  execFileSync(process.execPath, ['--import', 'tsx', join(root, 'bin/wa-analyst.ts'), ...args], {
    cwd: root,
    env: { ...process.env, TEMPORAL_PAYLOAD_KEYS: TEST_PAYLOAD_KEYS },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });

/** The lines the README shows right after `$ <command>`, up to the next `$ ` line, blank line or fence. */
function printedAfter(command: string): string[] {
  const lines = readme.split('\n');
  const at = lines.indexOf(`$ ${command}`);
  if (at < 0) throw new Error(`README has no "$ ${command}"`);
  const printed: string[] = [];
  for (const line of lines.slice(at + 1)) {
    if (line === '' || line.startsWith('$ ') || line.startsWith('```')) break;
    printed.push(line);
  }
  return printed;
}

describe("the README's analyst examples, run on the committed histories", () => {
  it('kpi prints what the README shows', () => {
    expect(analyst(['kpi', '--dir', 'test/workflows/histories']).trimEnd().split('\n')).toEqual(printedAfter('npm run analyst -- kpi --dir test/workflows/histories'));
  }, 120_000);

  it('kpi --format csv begins as the README shows (it cuts the rest with …)', () => {
    const shown = printedAfter('npm run analyst -- kpi --dir test/workflows/histories --format csv');
    expect(shown.at(-1)).toBe('…');
    const head = shown.slice(0, -1);
    expect(analyst(['kpi', '--dir', 'test/workflows/histories', '--format', 'csv']).split('\n').slice(0, head.length)).toEqual(head);
  }, 120_000);

  it('timeline --format mermaid prints the README\'s diagram', () => {
    const start = readme.indexOf('```mermaid\n%% wa:106540352242922:15550665605-c_61bac06eaaba476b');
    const shown = readme.slice(start + '```mermaid\n'.length, readme.indexOf('\n```', start));
    expect(analyst(['timeline', '--format', 'mermaid', 'test/workflows/histories/window-reply-refusal-reopen.json']).trimEnd()).toBe(shown);
  }, 120_000);

  it('replay --dir prints what the README shows, the lines it cuts counted in "(N more)", and its summary', () => {
    // The README's lines after the command, up to the comment that follows (the summary is the last of them).
    const lines = readme.split('\n');
    const at = lines.findIndex((line) => line.startsWith('$ npm run analyst -- replay --dir test/workflows/histories '));
    expect(at).toBeGreaterThan(0);
    const shown: string[] = [];
    for (const line of lines.slice(at + 1)) {
      if (line === '' || line.startsWith('$ ') || line.startsWith('#') || line.startsWith('```')) break;
      shown.push(line);
    }
    const summary = shown.pop();
    const cut = shown.findIndex((line) => /^…\s+\(\d+ more\)$/.test(line));
    const [head, tail, more] = [shown.slice(0, cut), shown.slice(cut + 1), Number(/\((\d+) more\)/.exec(shown[cut] ?? '')?.[1])];

    const run = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bin/wa-analyst.ts'), 'replay', '--dir', 'test/workflows/histories'], {
      cwd: root,
      env: { ...process.env, TEMPORAL_PAYLOAD_KEYS: TEST_PAYLOAD_KEYS },
      encoding: 'utf8',
    });
    const printed = run.stdout.trimEnd().split('\n');
    expect(printed.slice(0, head.length)).toEqual(head);
    expect(printed.slice(printed.length - tail.length)).toEqual(tail);
    expect({ shown: head.length + more + tail.length }).toEqual({ shown: printed.length });
    expect(run.stderr.trimEnd().split('\n').at(-1)).toBe(summary);
  }, 120_000);

  it("the fold's section counts the committed histories the directory holds", () => {
    const committed = readdirSync(join(root, 'test/workflows/histories')).filter((f) => f.endsWith('.json')).length;
    expect(/reads every committed history \((\d+),/.exec(readme)?.[1]).toBe(String(committed));
  });
});
