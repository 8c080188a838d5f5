import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The benchmarks' figures in the README were measured on Node 24 (each result records `node`); `npm run bench:*` must
 * run there too, whatever the system node is, or a newcomer compares a Node 20 figure with them.
 */
describe('npm scripts', () => {
  const scripts: Record<string, string> = JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')).scripts;

  it.each(Object.keys(scripts).filter((name) => name.startsWith('bench:')))('%s runs on Node 24 (scripts/node24.sh)', (name) => {
    expect(scripts[name]).toMatch(/^bash scripts\/node24\.sh /);
  });
});
